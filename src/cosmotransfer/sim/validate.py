"""The engine against references, at any preset (the numbers that matter are the paper preset's)::

    cosmotransfer validate-engine hmcode  [--preset paper] [--seeds 5] [--device cpu]
    cosmotransfer validate-engine quijote [--preset paper] [--n 50] [--device cpu] [--quijote DIR]
    cosmotransfer validate-engine corners [--preset paper] [--rows 8] [--device cpu] [--quijote DIR]
    cosmotransfer validate-engine steps   [--preset paper] [--steps 20] [--rows 8] [--device cpu] [--quijote DIR]
    cosmotransfer validate-engine physics [--preset paper] [--device cpu]
    cosmotransfer validate-engine marks   [--preset paper] [--n 8] [--device cpu] [--quijote DIR]
    cosmotransfer validate-engine png     --preset book [--device cpu]

* ``hmcode`` — P(k) over CAMB's HMcode-2020 at k ≈ 0.1, 0.3, 0.5 h/Mpc (the bins nearest),
  mean and spread over ``seeds`` realisations, at the fiducial cosmology and the four
  (Ωm, σ8) corners of the BSQ prior (Ωb, h, n_s at the fiducial): the two parameters that set
  how non-linear a box is, at their extremes. Tolerances :data:`HMCODE_TOLERANCE`.
* ``corners`` — the ``hmcode`` cosmologies refereed by real N-body: the Quijote LH cosmologies
  nearest each corner, simulated, with engine/Quijote beside Quijote/HMcode-2020
  (:func:`corners_check`): HMcode was fitted near Ωm ≈ 0.3 and is itself off at Ωm = 0.1 and 0.5.
* ``steps`` — the ``corners`` rows of the fiducial and of (Ωm 0.1, σ8 1.0), the corner furthest
  from Quijote, again with more time steps (:func:`steps_check`): what the steps recover of the
  small-scale deficit; the rest is resolution.
* ``physics`` — massive neutrinos (0.1, 0.4, 1 eV) and f(R) (f_R0 = −1e-6, −1e-5, −1e-4, −3e-4) as
  same-seed ratios to the fiducial run, against HMcode-2020 and one-loop SPT (ν) and fremu (f(R))
  (:func:`physics_check`).
* ``marks`` — which top-hat window of the mark Quijote's MP(k) follows: (MP/P)_sim/(MP/P)_Quijote at
  ``n`` LH cosmologies for each window of ``MARK_WINDOWS``, from the same particles (:func:`marks_check`).
* ``png`` — the PNG response R(k; θ, f_NL) of the emulated tier from paired runs (same seed with and
  without f_NL), fitted, with its held-out error and one-loop PT at low k (:func:`png_check`).
* ``quijote`` — P(k) and MP(k) over the real Quijote latin hypercube's, per k bin (median and
  16–84 %), for ``n`` of its 2,000 cosmologies spread evenly over the file. Our boxes have
  their own seeds, not Quijote's initial conditions, so each ratio carries both boxes'
  sample variance; the median over cosmologies is the engine's bias. Needs the Quijote files
  (``../shared/quijote`` or ``COSMOTRANSFER_QUIJOTE``) and a preset in the Quijote box.

Every simulation is cached on its own (``.cache/validate/<key>/summaries.npz``, key = engine
settings, θ, seed and device), so a killed run resumes where it stopped and a rerun only
re-reads. ``--shard i/n`` runs every n-th box only (several processes or machines at once,
as ``cosmotransfer simulate``); the run without a shard then writes the table. The
tables are written atomically to ``data/reference/engine_vs_<check>_<preset>.json``: ratios
and their provenance (sha256 of the inputs, settings, seconds per simulation), no spectra.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

from .. import paths
from ..config import (BOX, HMCODE_K, HMCODE_TOLERANCE, MARK_K_RANGES, MARK_WINDOW, MARK_WINDOWS, MPK_K_MAX, MPK_TOLERANCE, PARAM_NAMES,
                      PHYSICS_TOLERANCE, ConfigError, SimPreset, fiducial_vector, get_sim_preset, with_params)
from ..store import DataFileError, atomic_write, load_npz, save_npz, sha256_file, stable_hash
from ..stats import kbins
from .engine import Engine, make_settings

#: seeds of the validation boxes: away from every suite's seed_base + i (1e6, 2e6, …)
SEED_BASE = 900_000


def corner_cosmologies() -> dict[str, np.ndarray]:
    """``{name: (10,) θ}``: the fiducial and the four (Ωm, σ8) corners of the BSQ prior."""
    from ..suites import get_suite

    bsq = get_suite("bsq")
    out = {"fiducial": fiducial_vector()}
    for om_tag, om in zip(("low", "high"), bsq.varied["Om"]):
        for s8_tag, s8 in zip(("low", "high"), bsq.varied["s8"]):
            theta = fiducial_vector()
            theta[PARAM_NAMES.index("Om")], theta[PARAM_NAMES.index("s8")] = om, s8
            out[f"Om {om_tag}, s8 {s8_tag}"] = theta
    return out


def simulate_cached(params: np.ndarray, seeds: np.ndarray, preset: str | SimPreset = "paper",
                    device: str = "cpu", progress: bool = True,
                    shard: tuple[int, int] = (0, 1)) -> tuple[dict[str, np.ndarray] | None, float | None]:
    """P(k) and MP(k) of each (θ, seed), each simulation cached on its own.

    ``params`` (m, 10), ``seeds`` (m,) → ``({"pk", "mpk": (m, n_k) float32 [(Mpc/h)³]}, s/sim)``,
    the median wall seconds per simulation, each recorded when the box was made (None if no box
    recorded one). With a
    ``shard`` (i, n) other than (0, 1) only the boxes j ≡ i (mod n) are made and the summaries
    are ``None``.
    """
    from tqdm import tqdm

    settings = make_settings(get_sim_preset(preset))
    i_shard, n_shard = shard
    items = list(zip(np.asarray(params, dtype=np.float64), np.asarray(seeds, dtype=np.int64)))
    if n_shard > 1:
        items = items[i_shard::n_shard]
    engine, out, seconds = None, {"pk": [], "mpk": []}, []
    for theta, seed in tqdm(items, disable=not progress, desc="validation boxes", unit="sim"):
        key = stable_hash({"settings": settings, "theta": theta.tolist(), "seed": int(seed), "device": str(device)})
        path = paths.cache_dir("validate", key) / "summaries.npz"
        if not path.is_file():
            engine = engine or Engine(settings, device)
            t0 = time.perf_counter()
            res = engine.run_many(theta[None], np.array([seed]))
            save_npz(path, {s: res[s][0] for s in out},
                     {"settings": settings, "theta": theta, "seed": int(seed), "device": str(device),
                      "seconds": time.perf_counter() - t0, "torch_threads": torch.get_num_threads()})
        arrays, meta = load_npz(path)
        for s in out:
            out[s].append(arrays[s])
        if "seconds" in meta:
            seconds.append(meta["seconds"])
    per_sim = float(np.median(seconds)) if seconds else None
    return ({s: np.stack(v) for s, v in out.items()} if n_shard == 1 else None), per_sim


def _nearest_bins(k: np.ndarray, targets) -> list[int]:
    return [int(np.argmin(np.abs(k - t))) for t in targets]


def hmcode_check(preset: str | SimPreset = "paper", n_seeds: int = 5, device: str = "cpu", progress: bool = True,
                 shard: tuple[int, int] = (0, 1)) -> dict | None:
    """P(k)/HMcode-2020 at :data:`HMCODE_K` for :func:`corner_cosmologies`, ``n_seeds`` boxes each.

    Returns a JSON-able dict: per cosmology the mean and standard deviation over seeds of the
    ratio at each k, whether each mean is within :data:`HMCODE_TOLERANCE`, and provenance
    (``None`` for a partial ``shard``: see :func:`simulate_cached`).
    """
    from ..cosmology import nonlinear_power

    pre = get_sim_preset(preset)
    kb = kbins(pre.box)
    cosmos = corner_cosmologies()
    params = np.repeat(np.stack(list(cosmos.values())), n_seeds, axis=0)
    seeds = np.tile(SEED_BASE + np.arange(n_seeds), len(cosmos))
    sims, s_per_sim = simulate_cached(params, seeds, pre, device, progress, shard)
    if sims is None:
        return None
    idx = _nearest_bins(kb.k, HMCODE_K)
    rows = {}
    for j, (name, theta) in enumerate(cosmos.items()):
        ratio = sims["pk"][j * n_seeds:(j + 1) * n_seeds][:, idx] / nonlinear_power(theta, kb.k[idx])
        mean = ratio.mean(axis=0)
        rows[name] = {"theta": theta.tolist(), "mean": mean.tolist(), "sd": ratio.std(axis=0, ddof=1).tolist()
                      if n_seeds > 1 else [0.0] * len(idx),
                      "within": [bool(abs(m - 1) <= t) for m, t in zip(mean, HMCODE_TOLERANCE)]}
    return {"what": "simulated P(k) / CAMB HMcode-2020 at the bins nearest k_targets, mean and sd over seeds",
            "preset": asdict(pre), "settings": make_settings(pre), "device": str(device),
            "seeds": (SEED_BASE + np.arange(n_seeds)).tolist(), "k_targets": list(HMCODE_K),
            "k": kb.k[idx].tolist(), "tolerance": list(HMCODE_TOLERANCE), "cosmologies": rows,
            "all_within": all(all(r["within"]) for r in rows.values()), "s_per_sim": s_per_sim}


def _read_quijote(quijote_dir: Path | None):
    """The real Quijote latin hypercube: ``(SuiteData, {name: file})``, a clear error if a file is missing."""
    from ..quijote import load_quijote

    q = Path(quijote_dir or paths.QUIJOTE_DIR)
    files = {"pk": q / "LH_Pk_m_z0.npy", "mpk": q / "LH_MPk_m_z0.npy", "params": q / "LH_params.txt"}
    missing = [str(f) for f in files.values() if not f.is_file()]
    if missing:
        raise DataFileError(f"the Quijote reference files {missing} are missing; put the Quijote latin hypercube "
                            "there or set COSMOTRANSFER_QUIJOTE")
    return load_quijote(files["pk"], files["params"], mpk=files["mpk"]), files


def _quijote_boxes(data, files: dict, rows: np.ndarray, pre: SimPreset, device: str, progress: bool,
                   shard: tuple[int, int]) -> tuple[dict[str, np.ndarray] | None, dict]:
    """The engine at the Quijote LH ``rows`` of ``data`` (seed ``SEED_BASE + row``, Mν = 0, w = −1).

    Returns ``(sims, provenance)``: ``sims`` as :func:`simulate_cached`'s (``None`` for a partial
    shard); ``provenance`` the preset, settings, device, sha256 of ``files`` and seconds per box.
    """
    params = _lh_params(data, rows, pre)
    sims, s_per_sim = simulate_cached(params, SEED_BASE + rows, pre, device, progress, shard)
    provenance = {"preset": asdict(pre), "settings": make_settings(pre), "device": str(device),
                  "inputs": _inputs(files), "s_per_sim": s_per_sim}
    return sims, provenance


def _lh_params(data, rows: np.ndarray, pre: SimPreset) -> np.ndarray:
    """(len(rows), 10) parameter vectors of Quijote LH ``rows`` for a preset in the Quijote box."""
    if pre.box != BOX:
        raise ConfigError(f"the Quijote checks need a preset in the Quijote box ({BOX:g} Mpc/h, e.g. paper); "
                          f"this one's box is {pre.box:g} Mpc/h")
    params = np.tile(fiducial_vector(), (len(rows), 1))
    params[:, :5] = data.params[rows, :5]  # the LH varies Ωm, Ωb, h, n_s, σ8 (Mν = 0, w = −1)
    return params


def _inputs(files: dict) -> dict:
    """Provenance of the Quijote files a check read: name → file name and sha256."""
    return {name: {"file": f.name, "sha256": sha256_file(f)} for name, f in files.items()}


def quijote_check(preset: str | SimPreset = "paper", n: int = 50, device: str = "cpu",
                  quijote_dir: Path | None = None, progress: bool = True, shard: tuple[int, int] = (0, 1)) -> dict | None:
    """P(k) and MP(k) of the engine over the real Quijote latin hypercube's, per k bin.

    Simulates ``n`` of the 2,000 LH cosmologies (indices evenly spread; Mν = 0, w = −1) and
    returns per bin the median and 16/84 % of P_sim/P_Quijote and MP_sim/MP_Quijote, the share
    of bins with k ≤ :data:`MPK_K_MAX` whose MP median is within :data:`MPK_TOLERANCE`, and
    provenance (sha256 of the Quijote files read); ``None`` for a partial ``shard``.
    """
    pre = get_sim_preset(preset)
    data, files = _read_quijote(quijote_dir)
    rows = np.unique(np.linspace(0, len(data) - 1, n).round().astype(int))
    sims, provenance = _quijote_boxes(data, files, rows, pre, device, progress, shard)
    if sims is None:
        return None
    kb = kbins(pre.box)
    arrays = {"k": kb.k}
    for s in ("pk", "mpk"):
        lo, med, hi = np.percentile(sims[s] / data.stats[s][rows], [16, 50, 84], axis=0)
        arrays.update({f"{s}_median": med, f"{s}_lo": lo, f"{s}_hi": hi})
    sel = kb.k <= MPK_K_MAX
    mpk_dev = np.abs(arrays["mpk_median"][sel] - 1)
    return {"what": "simulated / real Quijote LH (z=0, total matter) per k bin: median and 16-84% over cosmologies",
            **provenance, "rows": rows.tolist(), "n_cosmologies": int(len(rows)),
            "mpk_tolerance": MPK_TOLERANCE, "mpk_k_max": MPK_K_MAX,
            "mpk_share_within": float(np.mean(mpk_dev <= MPK_TOLERANCE)), "mpk_max_deviation": float(mpk_dev.max()),
            "arrays": {name: np.asarray(v, dtype=np.float64).tolist() for name, v in arrays.items()}}


def _mark_boxes(params: np.ndarray, seeds: np.ndarray, pre: SimPreset, device: str,
                progress: bool) -> tuple[dict[str, np.ndarray], float | None]:
    """P(k) and MP(k) with every window of ``MARK_WINDOWS`` from the same particles, each box cached.

    ``params`` (m, 10) with Mν = 0 (the particles are all the matter), ``seeds`` (m,) →
    ``({"pk": (m, n_k), "mpk_<window>": (m, n_k)} float64 [(Mpc/h)³], median s/box)``.
    """
    from tqdm import tqdm

    from ..stats import marked_power_spectrum

    settings = make_settings(pre)
    names = ["pk"] + [f"mpk_{w}" for w in MARK_WINDOWS]
    engine, out, seconds = None, {s: [] for s in names}, []
    for theta, seed in tqdm(list(zip(params, seeds)), disable=not progress, desc="mark boxes", unit="sim"):
        key = stable_hash({"settings": settings, "theta": theta.tolist(), "seed": int(seed), "device": str(device),
                           "windows": list(MARK_WINDOWS)})
        path = paths.cache_dir("validate-marks", key) / "summaries.npz"
        if not path.is_file():
            engine = engine or Engine(settings, device)
            t0 = time.perf_counter()
            pos = engine.run(theta, int(seed))
            res = {}
            for w in MARK_WINDOWS:
                res["pk"], res[f"mpk_{w}"] = marked_power_spectrum(pos, pre.box, settings["n_mesh"], window=w,
                                                                   shot_noise_convention=settings["shot_noise"])
            save_npz(path, res, {"settings": settings, "theta": theta, "seed": int(seed), "device": str(device),
                                 "seconds": time.perf_counter() - t0, "torch_threads": torch.get_num_threads()})
        arrays, meta = load_npz(path)
        for s in names:
            out[s].append(arrays[s])
        seconds.append(meta["seconds"])
    return {s: np.stack(v).astype(np.float64) for s, v in out.items()}, float(np.median(seconds))


def marks_check(preset: str | SimPreset = "paper", n: int = 8, device: str = "cpu",
                quijote_dir: Path | None = None, progress: bool = True, shard: tuple[int, int] = (0, 1)) -> dict:
    """Which top-hat window of the mark the real Quijote files follow: MP(k)/P(k) of the engine
    over Quijote's, per window of ``config.MARK_WINDOWS``.

    Simulates ``n`` LH cosmologies (rows evenly spread, our seeds; Mν = 0, w = −1) and computes
    P(k) and MP(k) from the same particles with each window. The ratio (MP/P)_sim / (MP/P)_Quijote
    cancels most of both boxes' sample variance and much of the engine's P(k) error; what is
    left is the mark's definition and the engine's resolution. Per window: the median and 16/84 %
    over cosmologies per k bin, and per range of :data:`MARK_K_RANGES` the median over
    cosmologies of each one's mean over the range's bins. Not sharded (``shard`` must be 0/1).
    """
    if shard != (0, 1):
        raise ConfigError("the marks check runs whole (a handful of boxes); drop --shard")
    pre = get_sim_preset(preset)
    data, files = _read_quijote(quijote_dir)
    rows = np.unique(np.linspace(0, len(data) - 1, n).round().astype(int))
    sims, s_per_sim = _mark_boxes(_lh_params(data, rows, pre), SEED_BASE + rows, pre, device, progress)
    k = kbins(pre.box).k
    quijote = data.stats["mpk"][rows] / data.stats["pk"][rows]
    arrays, ranges = {"k": k}, {}
    for w in MARK_WINDOWS:
        ratio = sims[f"mpk_{w}"] / sims["pk"] / quijote
        lo, med, hi = np.percentile(ratio, [16, 50, 84], axis=0)
        arrays.update({f"{w}_median": med, f"{w}_lo": lo, f"{w}_hi": hi})
        ranges[w] = [float(np.median(ratio[:, (k > a) & (k <= b)].mean(axis=1))) for a, b in MARK_K_RANGES]
    return {"what": "(MP/P)_sim / (MP/P)_Quijote per mark window (z=0, total matter): median and 16-84% over "
                    "cosmologies per k bin; per k range the median over cosmologies of the mean over its bins",
            "preset": asdict(pre), "settings": make_settings(pre), "device": str(device),
            "inputs": _inputs(files), "s_per_sim": s_per_sim, "rows": rows.tolist(), "n_cosmologies": int(len(rows)),
            "windows": list(MARK_WINDOWS), "adopted": MARK_WINDOW, "k_ranges": [list(r) for r in MARK_K_RANGES],
            "range_medians": ranges,
            "arrays": {name: np.asarray(v, dtype=np.float64).tolist() for name, v in arrays.items()}}


def closest_window(table: dict) -> str:
    """The window of a :func:`marks_check` table whose range medians above the first k range (where
    the windows differ most) lie closest to 1 on average."""
    gap = {w: float(np.mean(np.abs(np.asarray(m[1:]) - 1))) for w, m in table["range_medians"].items()}
    return min(gap, key=gap.get)


def corner_rows(params: np.ndarray, n_rows: int) -> dict[str, np.ndarray]:
    """``{name: (n_rows,) int}``: for each of :func:`corner_cosmologies`, the latin-hypercube rows
    nearest it in (Ωm, σ8), distances in units of the BSQ prior's widths (Ωb, h, n_s free).

    ``params``: (n_sims, ≥5) the LH table, columns Ωm, Ωb, h, n_s, σ8 (Quijote's order).
    """
    from ..suites import get_suite

    bsq = get_suite("bsq")
    cols = [PARAM_NAMES.index(p) for p in ("Om", "s8")]
    width = np.array([np.ptp(bsq.varied[p]) for p in ("Om", "s8")])
    out = {}
    for name, theta in corner_cosmologies().items():
        d = np.hypot(*((params[:, cols] - theta[cols]) / width).T)
        out[name] = np.sort(np.argsort(d, kind="stable")[:n_rows])
    return out


def corners_check(preset: str | SimPreset = "paper", n_rows: int = 8, device: str = "cpu",
                  quijote_dir: Path | None = None, progress: bool = True, shard: tuple[int, int] = (0, 1)) -> dict | None:
    """The HMcode check's cosmologies refereed by real N-body: the engine and HMcode-2020 against Quijote.

    HMcode-2020 was fitted to simulations of cosmologies near Planck's (Ωm ≈ 0.3); at the BSQ corners its own
    error is the size of the HMcode check's tolerances. Here, for the fiducial and each corner,
    the ``n_rows`` Quijote LH cosmologies nearest it in (Ωm, σ8) (:func:`corner_rows`) are
    simulated (our seeds) and, at the bins nearest :data:`HMCODE_K`, the check reports the mean
    over those rows of P_sim/P_Quijote (the engine's error, held to :data:`HMCODE_TOLERANCE`),
    P_Quijote/P_HMcode (HMcode's error there) and P_sim/P_HMcode, with the rows' parameter ranges.
    ``None`` for a partial ``shard``.
    """
    from ..cosmology import nonlinear_power

    pre = get_sim_preset(preset)
    data, files = _read_quijote(quijote_dir)
    groups = corner_rows(data.params, n_rows)
    rows = np.concatenate(list(groups.values()))
    sims, provenance = _quijote_boxes(data, files, rows, pre, device, progress, shard)
    if sims is None:
        return None
    kb = kbins(pre.box)
    idx = _nearest_bins(kb.k, HMCODE_K)
    out, start = {}, 0
    for name, r in groups.items():
        sim = sims["pk"][start:start + len(r)][:, idx].astype(np.float64)
        start += len(r)
        quij = data.stats["pk"][r][:, idx]
        hm = np.stack([nonlinear_power(np.r_[data.params[i, :5], fiducial_vector()[5:]], kb.k[idx]) for i in r])
        over_q = sim / quij
        mean = over_q.mean(axis=0)
        out[name] = {"rows": r.tolist(),
                     "param_range": {p: [float(data.params[r, j].min()), float(data.params[r, j].max())]
                                     for j, p in enumerate(("Om", "Ob", "h", "ns", "s8"))},
                     "sim_over_quijote": mean.tolist(),
                     "sim_over_quijote_sem": (over_q.std(axis=0, ddof=1) / np.sqrt(len(r))).tolist(),
                     "quijote_over_hmcode": (quij / hm).mean(axis=0).tolist(),
                     "sim_over_hmcode": (sim / hm).mean(axis=0).tolist(),
                     "within": [bool(abs(m - 1) <= t) for m, t in zip(mean, HMCODE_TOLERANCE)]}
    return {"what": "P(k) at the Quijote LH rows nearest each (Om, s8) corner of the BSQ prior: means over "
                    "the rows of sim/Quijote, Quijote/HMcode-2020 and sim/HMcode-2020 at the bins nearest k_targets",
            **provenance, "n_rows": int(n_rows), "k_targets": list(HMCODE_K), "k": kb.k[idx].tolist(),
            "tolerance": list(HMCODE_TOLERANCE), "cosmologies": out,
            "all_within": all(all(c["within"]) for c in out.values())}


#: the corners-check groups the step check re-runs: the fiducial and the corner furthest from Quijote
STEPS_GROUPS = ("fiducial", "Om low, s8 high")


def steps_check(preset: str | SimPreset = "paper", n_steps: int = 20, n_rows: int = 8, device: str = "cpu",
                quijote_dir: Path | None = None, progress: bool = True, shard: tuple[int, int] = (0, 1)) -> dict | None:
    """How much of the engine's small-scale deficit against Quijote is time stepping.

    The Quijote LH rows of :data:`STEPS_GROUPS` (:func:`corner_rows`, ``n_rows`` each) are simulated
    with the preset's steps and with ``n_steps`` — same seeds, same initial particles, so the change
    is paired box by box. Per group, at the bins nearest :data:`HMCODE_K`: the mean over rows of
    P_sim/P_Quijote at both step counts, and the mean and standard error of the per-box ratio
    P(n_steps)/P(preset's steps). What more steps do not recover is mass and force resolution.
    ``None`` for a partial ``shard``.
    """
    pre = get_sim_preset(preset)
    more = replace(pre, n_steps=int(n_steps))
    if more.n_steps <= pre.n_steps:
        raise ConfigError(f"the step check needs more steps than the preset's {pre.n_steps}; got n_steps={n_steps}")
    data, files = _read_quijote(quijote_dir)
    groups = {g: r for g, r in corner_rows(data.params, n_rows).items() if g in STEPS_GROUPS}
    rows = np.concatenate(list(groups.values()))
    sims, provenance = {}, {}
    for p in (pre, more):
        sims[p.n_steps], provenance[p.n_steps] = _quijote_boxes(data, files, rows, p, device, progress, shard)
    if sims[pre.n_steps] is None:
        return None
    idx = _nearest_bins(kbins(pre.box).k, HMCODE_K)
    out, start = {}, 0
    for name, r in groups.items():
        sl = slice(start, start + len(r))
        start += len(r)
        quij = data.stats["pk"][r][:, idx]
        base, fine = (sims[p.n_steps]["pk"][sl][:, idx].astype(np.float64) for p in (pre, more))
        gain = fine / base
        out[name] = {"rows": r.tolist(),
                     "sim_over_quijote": (base / quij).mean(axis=0).tolist(),
                     "sim_over_quijote_more_steps": (fine / quij).mean(axis=0).tolist(),
                     "gain": gain.mean(axis=0).tolist(),
                     "gain_sem": (gain.std(axis=0, ddof=1) / np.sqrt(len(r))).tolist()}
    return {"what": "P(k) at the Quijote LH rows nearest the fiducial and the (low Om, high s8) corner, with the "
                    "preset's steps and with n_steps: means over rows of sim/Quijote and of the per-box gain",
            **provenance[pre.n_steps], "n_steps": more.n_steps,
            "s_per_sim_more_steps": provenance[more.n_steps]["s_per_sim"],
            "n_rows": int(n_rows), "k_targets": list(HMCODE_K), "k": kbins(pre.box).k[idx].tolist(),
            "cosmologies": out}


#: the beyond-ΛCDM cases of the physics check: (parameter, value, tolerance on the ratio to the reference,
#: ``config.PHYSICS_TOLERANCE``); "Mnu" at the fiducial σ8 (the suites' parametrisation), "Mnu_As" at the
#: fiducial A_s (σ8 lowered: :func:`sigma8_at_amplitude_of`); the issue accepts either, stated
PHYSICS_CASES = tuple((name, value, PHYSICS_TOLERANCE[name]) for name, value in (
    ("Mnu", 0.1), ("Mnu", 0.4), ("Mnu", 1.0), ("Mnu_As", 0.1), ("Mnu_As", 0.4), ("Mnu_As", 1.0),
    ("fR0", -1e-6), ("fR0", -1e-5), ("fR0", -1e-4), ("fR0", -3e-4),
    ("s8", 0.854),  # σ8 + 0.02: the σ8 response, against HMcode, and the Mν–σ8 degeneracy
    ("s8", 0.608)))  # the σ8 of 1 eV at the fiducial A_s, without neutrinos: the σ8 part of Mnu_As=1
#: below this k [h/Mpc] the density field at z = 0 is close to linear, so the f(R) boost is linear
#: theory's to about a per cent, while fremu (trained on boosts measured from simulations, noisy
#: in these few-mode bins) strays from it bin to bin; the physics check reports both references there
FR_LINEAR_K = 0.05


def sigma8_at_amplitude_of(theta, reference) -> float:
    """The linear total-matter σ8 at z = 0 of ``theta``'s cosmology (its own s8 drops out) when its
    primordial amplitude A_s is ``reference``'s: how an A_s-matched comparison sets σ8.

    Both are (10,) vectors. Linear P ∝ A_s, so σ8 = s8_θ (A_s,ref / A_s,θ)^½ with each A_s the
    σ8-matched amplitude of :class:`cosmotransfer.cosmology.Spectra` (Mν = 1 eV at the fiducial
    A_s: σ8 ≈ 0.608).
    """
    from ..cosmology import spectra_at

    own, ref = (spectra_at(t) for t in (theta, reference))
    return float(own.cosmo.s8 * np.sqrt(ref.A_s / own.A_s))


#: CAMB's other non-linear fits with a massive-neutrino treatment (``halofit_version``): beside
#: HMcode-2020 they show how far the references themselves disagree on the 1 eV response
NU_FITS = {"HMcode-2016": "mead2016", "halofit + Bird 2012": "bird"}


def nonlinear_fit_power(theta, k: np.ndarray, halofit_version: str) -> np.ndarray:
    """Total-matter P(k) [(Mpc/h)³] at z = 0 of CAMB's non-linear fit ``halofit_version`` at ``k``
    [h/Mpc], at the σ8-matched A_s of :class:`cosmotransfer.cosmology.Spectra` (same settings)."""
    import camb

    from ..cosmology import camb_params, spectra_at

    spec = spectra_at(theta)
    pars = camb_params(spec.cosmo, A_s=spec.A_s)
    pars.NonLinear = camb.model.NonLinear_pk
    pars.NonLinearModel.set_params(halofit_version=halofit_version)
    interp = camb.get_results(pars).get_matter_power_interpolator(
        nonlinear=True, hubble_units=True, k_hunit=True, var1="delta_tot", var2="delta_tot")
    return interp.P(0.0, np.asarray(k, dtype=np.float64))


def physics_theta(name: str, value: float) -> np.ndarray:
    """(10,) θ of a :data:`PHYSICS_CASES` case: the fiducial with ``name`` set to ``value``;
    ``Mnu_As`` sets Mν and the σ8 the fiducial primordial amplitude gives it."""
    if name == "Mnu_As":
        return with_params(Mnu=value, s8=sigma8_at_amplitude_of(with_params(Mnu=value), fiducial_vector()))
    return with_params(**{name: value})


def physics_check(preset: str | SimPreset = "paper", seed_index: int = 0, device: str = "cpu", progress: bool = True,
                  shard: tuple[int, int] = (0, 1)) -> dict | None:
    """Massive neutrinos and f(R) against their references, one seed, same-seed ratios S(θ)/S(fiducial).

    Neutrinos (σ8 fixed, and A_s fixed: :func:`physics_theta`): P's ratio over CAMB HMcode-2020's
    at :data:`HMCODE_K`, and over one-loop SPT's at the bin nearest k = 0.1
    (:mod:`cosmotransfer.perturbation`; at fixed σ8 HMcode misses the mode coupling of the 1 eV
    spectrum there, see :mod:`.neutrinos`). f(R) (GR twin's σ8): the boost
    over fremu's (at its floor Mν = 0.01 eV) at :data:`HMCODE_K` and its largest deviation from
    fremu's first k to 0.5 h/Mpc, also split at :data:`FR_LINEAR_K`: above it against fremu
    (``max_deviation_above``), below it the engine's and fremu's largest deviations from linear
    theory (``linear_deviation_below``, ``fremu_linear_deviation_below``). σ8 + 0.02 and σ8 = 0.608
    (1 eV's σ8 at fixed A_s, without neutrinos): over HMcode's ratio. All: the ratio over linear
    theory's in the first bin, and the marked spectrum's ratio at :data:`HMCODE_K` (no reference:
    the size of the effect). ``cosine``: for P and MP, the cosine between the Mν (0.1 eV) and σ8
    responses over the bins, unweighted and weighted by modes (:func:`.neutrinos.response_cosine`).
    Returns a JSON-able dict (``None`` for a partial ``shard``).
    """
    from ..cosmology import fR_boost, linear_power, nonlinear_power
    from ..perturbation import matter_power
    from .fofr import fremu_k_min, linear_boost
    from .neutrinos import response_cosine

    pre = get_sim_preset(preset)
    kb = kbins(pre.box)
    fid = fiducial_vector()
    thetas = [fid] + [physics_theta(name, value) for name, value, _ in PHYSICS_CASES]
    seed = SEED_BASE + seed_index
    sims, s_per_sim = simulate_cached(np.stack(thetas), np.full(len(thetas), seed), pre, device, progress, shard)
    if sims is None:
        return None
    idx = _nearest_bins(kb.k, HMCODE_K)
    i01 = _nearest_bins(kb.k, (0.1,))[0]
    in_fremu = (kb.k >= fremu_k_min()) & (kb.k <= 0.5)
    fid_fits = {fit: nonlinear_fit_power(fid, kb.k[idx], v) for fit, v in NU_FITS.items()}  # once, not per ν case
    cases = {}
    for j, ((name, value, tol), theta) in enumerate(zip(PHYSICS_CASES, thetas[1:]), start=1):
        ratio = sims["pk"][j] / sims["pk"][0]
        row = {"value": value, "tolerance": tol, "ratio": ratio[idx].tolist(),
               "mpk_ratio": (sims["mpk"][j][idx] / sims["mpk"][0][idx]).tolist()}
        if name in ("Mnu", "Mnu_As", "s8"):
            ref = nonlinear_power(theta, kb.k) / nonlinear_power(fid, kb.k)
            lin0 = linear_power(theta, kb.k[:1]) / linear_power(fid, kb.k[:1])
            row.update(reference="HMcode-2020")
            row.update(s8=float(theta[PARAM_NAMES.index("s8")]))
            if name.startswith("Mnu"):
                spt = matter_power(theta, kb.k[i01:i01 + 1]) / matter_power(fid, kb.k[i01:i01 + 1])
                fits = {fit: nonlinear_fit_power(theta, kb.k[idx], v) / fid_fits[fit] for fit, v in NU_FITS.items()}
                row.update(over_spt_k01=float(ratio[i01] / spt[0]),
                           over_other_fits={fit: (ratio[idx] / f).tolist() for fit, f in fits.items()})
        else:
            ref = fR_boost(with_params(fR0=value, Mnu=0.01), kb.k)
            lin = linear_boost(theta, kb.k)
            lin0 = lin[:1]
            low, rest = in_fremu & (kb.k < FR_LINEAR_K), in_fremu & (kb.k >= FR_LINEAR_K)
            row.update(reference="fremu (Mnu = 0.01 eV)",
                       max_deviation=float(np.max(np.abs(ratio[in_fremu] / ref[in_fremu] - 1))),
                       max_deviation_above=float(np.max(np.abs(ratio[rest] / ref[rest] - 1))),
                       linear_deviation_below=float(np.max(np.abs(ratio[low] / lin[low] - 1))),
                       fremu_linear_deviation_below=float(np.max(np.abs(ref[low] / lin[low] - 1))))
        row.update(over_reference=(ratio[idx] / ref[idx]).tolist(), over_linear_first_bin=float(ratio[0] / lin0[0]))
        cases[f"{name}={value:g}"] = row
    names = [f"{n}={v:g}" for n, v, _ in PHYSICS_CASES]
    cosine = {}
    for st in ("pk", "mpk"):
        ln = np.log(sims[st].astype(np.float64))
        r_nu, r_s8 = ln[1 + names.index("Mnu=0.1")] - ln[0], ln[1 + names.index("s8=0.854")] - ln[0]
        cosine[st] = {"unweighted": response_cosine(r_nu, r_s8), "modes": response_cosine(r_nu, r_s8, kb.n_modes)}
    return {"what": "same-seed ratios S(theta)/S(fiducial) of the engine against references (Mnu at fixed "
                    "total-matter sigma8, Mnu_As at the fiducial A_s; f(R) at the GR twin's sigma8)",
            "preset": asdict(pre), "settings": make_settings(pre), "device": str(device), "seed": int(seed),
            "k_targets": list(HMCODE_K), "k": kb.k[idx].tolist(), "k_first_bin": float(kb.k[0]),
            "k_spt": float(kb.k[i01]), "fr_linear_k": FR_LINEAR_K, "cases": cases, "cosine": cosine, "s_per_sim": s_per_sim}


def png_check(preset: str | SimPreset = "book", device: str = "cpu", progress: bool = True,
              shard: tuple[int, int] = (0, 1), calibration: dict | None = None) -> dict | None:
    """The PNG response of the emulated tier, calibrated on paired engine runs (:mod:`cosmotransfer.png_response`).

    Runs the design of :data:`~cosmotransfer.config.PNG_RESPONSE` (each cosmology Gaussian and at ±f
    of both shapes, one seed), fits R(k; θ, f) per shape on the cosmologies not held out, and
    records the fit's coefficients, its error on the held-out pairs per :data:`MARK_K_RANGES`
    range, the measured odd and even parts of every pair, and at k ≤ ``pt_k_max`` the fit's and
    the fiducial pair's first-order response against one-loop PT's P_12/P at the fiducial
    (:func:`cosmotransfer.perturbation.png_p12`). Returns a JSON-able dict (``None`` for a partial
    ``shard``). ``calibration`` replaces :data:`~cosmotransfer.config.PNG_RESPONSE` (the tests' small design).
    """
    from ..config import PNG_RESPONSE
    from ..perturbation import matter_power, png_p12
    from ..png_response import SHAPES, design, fit_response, held_out_error, pair_parts
    from .linear import primordial_amplitude

    cal = calibration or PNG_RESPONSE
    pre = get_sim_preset(preset)
    des = design(cal)
    params, seeds = des.runs()
    sims, s_per_sim = simulate_cached(params, seeds, pre, device, progress, shard)
    if sims is None:
        return None
    kb = kbins(pre.box)
    parts = pair_parts(sims["pk"], des)
    train, held = ~des.held_out, des.held_out
    fid = des.theta[0]
    a_s = np.array([primordial_amplitude(t) for t in des.theta])  # σ8-matched, cached beside each linear table
    low = kb.k <= cal["pt_k_max"]
    p_loop = matter_power(fid, kb.k[low])
    shapes = {}
    for shape in SHAPES:
        odd, even, f = parts[shape]["odd"], parts[shape]["even"], des.f[shape]
        resp = fit_response(shape, kb.k, kb.n_modes, des.theta[train], a_s[train], odd[train], even[train], a_s[0],
                            cal["as_power"], cal["k_degree"])
        shapes[shape] = {
            **resp.as_json(), "f": f.tolist(), "odd": odd.tolist(), "even": even.tolist(),
            "held_out": held_out_error(resp, kb.k, des.theta[held], a_s[held], f[held], odd[held], even[held],
                                       MARK_K_RANGES),
            "in_sample": held_out_error(resp, kb.k, des.theta[train], a_s[train], f[train], odd[train], even[train],
                                        MARK_K_RANGES),
            "pt": {"fit": resp.parts(kb.k[low], fid, a_s[0])[0].tolist(), "fiducial_pair": odd[0, low].tolist(),
                   "one_loop": (png_p12(fid, kb.k[low], shape) / p_loop).tolist()},
        }
    return {"what": "the matter P(k) response to f_NL from paired engine runs (same seed with and without "
                    "f_NL), fitted as R - 1 = f A(k; theta) + f^2 B(k; theta), A and B linear in (Om, h, ns, s8) "
                    "times powers of A_s/A_s^fid (cosmotransfer.png_response)",
            "preset": asdict(pre), "settings": make_settings(pre), "device": str(device),
            "calibration": dict(cal), "theta": des.theta.tolist(), "a_s": a_s.tolist(), "seeds": des.seeds.tolist(),
            "held_out": des.held_out.tolist(), "k": kb.k.tolist(), "n_modes": kb.n_modes.tolist(),
            "k_ranges": [list(r) for r in MARK_K_RANGES], "k_pt": kb.k[low].tolist(), "shapes": shapes,
            "s_per_sim": s_per_sim, "n_sims": int(len(seeds)),
            "cpu_seconds": None if s_per_sim is None else float(s_per_sim * len(seeds)),
            "cpu_seconds_note": "median seconds per simulation (one process, as recorded when each box was made) x simulations"}


def write_check(check: str, preset: str = "paper", out: Path | None = None, **kwargs) -> Path | None:
    """Run ``check`` (a key of ``runs`` below) and write its table atomically; returns the path
    (``None`` after a partial shard, which writes nothing)."""
    runs = {"hmcode": hmcode_check, "quijote": quijote_check, "corners": corners_check, "steps": steps_check,
            "physics": physics_check, "marks": marks_check, "png": png_check}
    if check not in runs:
        raise ConfigError(f"unknown engine check {check!r}; valid: {', '.join(runs)}")
    table = runs[check](preset=preset, **kwargs)
    if table is None:
        return None
    out = Path(out or paths.engine_table(check, preset))
    text = json.dumps(table, indent=1, sort_keys=True) + "\n"
    atomic_write(out, lambda tmp: Path(tmp).write_text(text))
    return out


def read_check(check: str, preset: str = "paper", path: Path | None = None) -> dict:
    """A table written by :func:`write_check`; a clear error naming the command if it is missing."""
    path = Path(path or paths.engine_table(check, preset))
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise DataFileError(f"{path} is missing or corrupted ({e}); remake it with "
                            f"`cosmotransfer validate-engine {check} --preset {preset}`") from e
