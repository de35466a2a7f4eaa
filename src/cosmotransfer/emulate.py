"""The emulated data tier: nonlinear theory P(k) plus the sample variance of one Quijote box.

For each design point (a full parameter vector θ and a simulation seed):

1. the GR total-matter spectrum at z = 0 — CAMB HMcode-2020, σ8-normalised
   (:class:`cosmotransfer.cosmology.Spectra`; massive ν and constant w included);
2. for f(R) points, times the Hu–Sawicki response P_fR/P_GR of ``fremu`` at the same Mν
   (:func:`cosmotransfer.cosmology.fR_boost`); for PNG points (f_NL^loc or f_NL^equil ≠ 0), times
   the response R(k; θ, f_NL) the particle-mesh engine measured in paired runs
   (:mod:`cosmotransfer.png_response`, the shipped table ``data/reference/engine_vs_png_book.json``);
3. averaged over the lattice modes of each of the 79 Quijote bins — the mean of P(|k|) over
   every k = k_F n with |n| in the shell, exactly as a measured bin averages its modes (at the
   bin's mean k instead, the first bin would be 1.4 % off);
4. one box's sample variance: P̂ = P̄ · Gamma(N_k, 1/N_k) per bin, N_k = n_modes/2 the
   independent modes of the bin in a 1 Gpc/h box (so Var P̂ = P̄²/N_k), drawn with
   ``numpy.random.default_rng(seed)``.

The tier always mimics the 1 Gpc/h Quijote box (``config.BOX``) and its 79 bins, whatever
scale preset is asked for (a preset's particle-mesh settings do not apply here). It has no
density field, so it makes no marked P(k), and PNG only where the response was calibrated
(:func:`cosmotransfer.png_response.check_calibrated`): asking for more is a
:class:`~cosmotransfer.config.ConfigError` that names the simulated tier.

The runner contract (``CHUNK``, :func:`settings`, :func:`design_settings`, :func:`run_chunk`) is
described in :mod:`cosmotransfer.simulate`.
"""
from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from .config import BOX, K_MAX, N_KBINS, PARAM_NAMES, ConfigError, SimPreset
from .cosmology import Spectra, camb_settings, fR_boost, fr_settings, spectra_at
from .png_response import SHAPES, check_calibrated, png_factor, read_responses, table_file
from .stats import kbins

CHUNK = 50  # design points per work unit: ≈ 20–40 s on one core
#: The statistics this tier can make.
STATISTICS = ("pk",)
_FR0 = PARAM_NAMES.index("fR0")


def settings(preset: SimPreset | None = None, statistics=("pk",)) -> dict:
    """Everything that determines this tier's output (hashed into the cache key).

    ``preset`` is accepted for the runner's contract and ignored: the emulated tier is always
    one 1 Gpc/h Quijote box.
    """
    unknown = [s for s in statistics if s not in STATISTICS]
    if unknown:
        raise ConfigError(
            f"the emulated tier makes only {', '.join(STATISTICS)}; {', '.join(unknown)} needs a density field: "
            "use the simulated tier (--tier simulated)"
        )
    return {
        "tier": "emulated",
        "statistics": list(statistics),
        "box": BOX,
        "k_max": K_MAX,
        "n_kbins": N_KBINS,
        "z": 0.0,
        "preset_note": "the emulated tier is always one 1 Gpc/h Quijote box with 79 bins, whatever the preset",
        "power": "CAMB HMcode-2020 total matter, sigma8-normalised",
        "camb": camb_settings(),
        "fR": fr_settings(),
        "bin_average": "mean of P(|k|) over the lattice modes k_F n of each shell, |n| in [i, i+1)",
        "sample_variance": "P * Gamma(N_k, 1/N_k) per bin, N_k = n_modes/2; numpy default_rng(seed).gamma",
        "dtype": "float32",
    }


def check_design(params: np.ndarray) -> None:
    """Raise :class:`ConfigError` for design points this tier cannot emulate (PNG outside the calibration)."""
    check_calibrated(params)


def _has_png(params: np.ndarray) -> bool:
    return bool(np.any(np.atleast_2d(params)[:, [PARAM_NAMES.index(n) for n in SHAPES.values()]] != 0.0))


def design_settings(params: np.ndarray) -> dict:
    """Settings a design adds to :func:`settings`: for PNG points, the response table's name and sha256
    (so a suite is remade when the calibration changes); nothing otherwise."""
    if not _has_png(params):
        return {}
    from .store import sha256_file

    path = table_file()
    read_responses(path)  # a clear error now if it is missing or corrupted
    return {"png_response": {"file": path.name, "sha256": sha256_file(path),
                             "model": "P * R, R - 1 = f A(k; theta) + f^2 B(k; theta) (cosmotransfer.png_response)"}}


def _responses() -> dict:
    """The calibrated responses, read once per process while the table is unchanged (its path, size
    and modification time: not hashed per design point; the runner checked its sha256 per chunk)."""
    path = table_file()
    try:
        st = path.stat()
    except OSError:
        return read_responses(path)  # the clear error naming the command
    return _read_responses(str(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=4)
def _read_responses(path: str, size: int, mtime_ns: int) -> dict:
    return read_responses(Path(path))


@lru_cache(maxsize=None)
def shell_modes(box: float = BOX) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct mode radii of the bins of :func:`cosmotransfer.stats.kbins`.

    Returns ``k`` (m,) float64 [h/Mpc], one per distinct |n|² in the kept shells; ``bin``
    (m,) int64, the bin (0 … 78) of each; ``count`` (m,) float64, the lattice points with that
    |n|². A bin average is ``bincount(bin, count·P(k)) / bincount(bin, count)``.
    """
    kb = kbins(box)
    n_max = int(kb.index[-1]) + 1
    n = np.arange(-n_max, n_max + 1)
    nxy2 = (n[:, None] ** 2 + n[None, :] ** 2).ravel()
    s_max = n_max**2  # |n|² < (i_last + 1)²
    count = np.zeros(s_max, dtype=np.int64)
    for nz in n:
        s = nxy2 + nz * nz
        count += np.bincount(s[s < s_max], minlength=s_max)
    s = np.flatnonzero(count)
    shell = np.floor(np.sqrt(s)).astype(np.int64)  # |n| ∈ [i, i+1); exact for perfect squares
    pos = np.searchsorted(kb.index, shell)
    keep = (pos < len(kb.index)) & (kb.index[np.minimum(pos, len(kb.index) - 1)] == shell)
    s, pos = s[keep], pos[keep]
    return np.sqrt(s) * kb.kf, pos, count[s].astype(np.float64)


def bin_average(pk_modes: np.ndarray, box: float = BOX) -> np.ndarray:
    """(79,) mean over each bin's modes of a spectrum given at the radii of :func:`shell_modes`."""
    _, b, c = shell_modes(box)
    return np.bincount(b, weights=c * pk_modes, minlength=N_KBINS) / np.bincount(b, weights=c, minlength=N_KBINS)


def mean_pk(theta) -> np.ndarray:
    """(79,) float64 [(Mpc/h)^3] — the noise-free, mode-averaged emulated P(k) of one cosmology."""
    theta = np.asarray(theta, dtype=np.float64)
    check_design(theta)
    k, _, _ = shell_modes(BOX)
    if _has_png(theta):
        # the Gaussian cosmology's spectrum (one CAMB solution for all of the local suite's f_NL)
        gauss = theta.copy()
        gauss[[PARAM_NAMES.index(n) for n in SHAPES.values()]] = 0.0
        sp = spectra_at(gauss)
        p = sp.nonlinear(k) * png_factor(k, theta, sp.A_s, _responses())
    else:
        p = Spectra(theta).nonlinear(k)
    if theta[_FR0] != 0.0:
        p = p * fR_boost(theta, k)
    return bin_average(p)


def sample_variance(pk_mean: np.ndarray, seed: int) -> np.ndarray:
    """(79,) one box's realisation of ``pk_mean``: P·Gamma(N_k, 1/N_k) per bin, seeded by ``seed``."""
    nk = kbins(BOX).n_independent
    return pk_mean * np.random.default_rng(int(seed)).gamma(shape=nk, scale=1.0 / nk)


def _check_settings(given: dict, params: np.ndarray) -> None:
    """Refuse settings this code would not record for ``params``; only warn when just a package version differs."""
    here = settings(None, tuple(given.get("statistics", STATISTICS))) | design_settings(params)
    versions = {"camb": "camb_version", "fR": "fremu_version"}

    def strip(d):
        return {k: ({kk: vv for kk, vv in v.items() if kk != versions[k]} if k in versions else v) for k, v in d.items()}

    if strip(given) != strip(here):
        diff = sorted(k for k in set(given) | set(here) if strip(given).get(k) != strip(here).get(k))
        raise ConfigError(f"these emulated-tier settings differ from this code's in {diff}; "
                          "regenerate the suite with this code")
    if given != here:
        warnings.warn(f"emulated-tier package versions differ from the recorded ones "
                      f"(recorded camb {given['camb']['camb_version']}, fremu {given['fR']['fremu_version']}); "
                      "spectra may differ slightly", stacklevel=3)


def run_chunk(params: np.ndarray, seeds: np.ndarray, settings: dict, device: str = "cpu") -> dict[str, np.ndarray]:
    """``params`` (m, 10) float64, ``seeds`` (m,) int64 → ``{"pk": (m, 79) float32 [(Mpc/h)^3]}``.

    CPU only (``device`` is ignored: CAMB has no GPU path). ``settings`` must be this tier's
    (they are checked against what this code would record, so a file cannot be silently
    re-made with other spectra).
    """
    params = np.atleast_2d(np.asarray(params, dtype=np.float64))
    check_design(params)
    _check_settings(settings, params)
    pk = np.stack([sample_variance(mean_pk(theta), seed) for theta, seed in zip(params, np.asarray(seeds))])
    return {"pk": pk.astype(np.float32)}


# --------------------------------------------------------------------------------------
# Validation against measured spectra (the real Quijote latin hypercube, or any suite)
# --------------------------------------------------------------------------------------
def compare_with_reference(params: np.ndarray, pk_ref: np.ndarray, seeds=None, progress: bool = False,
                           workers: int = 1) -> dict[str, np.ndarray]:
    """Emulated tier vs measured spectra at the same cosmologies.

    ``params`` (n, 10) full parameter vectors; ``pk_ref`` (n, 79) measured P(k) [(Mpc/h)^3]
    (e.g. Quijote's ``LH_Pk_m_z0.npy``); ``seeds`` (n,) for the emulated draws (default 0 … n−1);
    ``workers`` CPU processes for the theory spectra.
    Returns per k bin ((79,) arrays, ``k`` included):

    * ``ratio_median``, ``ratio_lo``, ``ratio_hi`` — median and 16/84 % of P_emu/P_ref, P_emu the
      emulated realisation (theory × Gamma draw);
    * ``theory_median``, ``theory_lo``, ``theory_hi`` — the same for the noise-free theory P̄;
    * ``scatter_ref`` — std over cosmologies of ln(P_ref/P̄), the measured scatter about the
      smooth model; ``scatter_emu`` — the same for the emulated realisations;
      ``scatter_expected`` = 1/√N_k, what one box's sample variance alone gives.
    """
    from tqdm import tqdm

    params = np.atleast_2d(np.asarray(params, dtype=np.float64))
    pk_ref = np.asarray(pk_ref, dtype=np.float64)
    seeds = np.arange(len(params)) if seeds is None else np.asarray(seeds)
    theory = np.empty((len(params), N_KBINS))
    with tqdm(total=len(params), disable=not progress, desc="theory P(k)", unit="cosmology") as bar:
        if workers > 1:
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            # spawn: CAMB's Fortran state is not fork-safe; chunks keep the per-task overhead small
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
                for i, m in enumerate(pool.map(mean_pk, params, chunksize=25)):
                    theory[i] = m
                    bar.update()
        else:
            for i, t in enumerate(params):
                theory[i] = mean_pk(t)
                bar.update()
    emu = np.stack([sample_variance(m, s) for m, s in zip(theory, seeds)])
    out = {"k": kbins(BOX).k, "n": np.array(len(params))}
    for name, num in (("ratio", emu), ("theory", theory)):
        lo, med, hi = np.percentile(num / pk_ref, [16, 50, 84], axis=0)
        out.update({f"{name}_median": med, f"{name}_lo": lo, f"{name}_hi": hi})
    out["scatter_ref"] = np.std(np.log(pk_ref / theory), axis=0)
    out["scatter_emu"] = np.std(np.log(emu / theory), axis=0)
    out["scatter_expected"] = 1.0 / np.sqrt(kbins(BOX).n_independent)
    return out


def low_k_rows(params: np.ndarray, n: int, control_om: float) -> tuple[np.ndarray, np.ndarray]:
    """``(the n rows of params (n_sims, 10) with the lowest Ωm, the n nearest Ωm = control_om)``."""
    om = params[:, PARAM_NAMES.index("Om")]
    return np.argsort(om, kind="stable")[:n], np.argsort(np.abs(om - control_om), kind="stable")[:n]


def low_k_excess(params: np.ndarray, pk_ref: np.ndarray, rows: np.ndarray, n_bins: int) -> dict[str, np.ndarray]:
    """Measured spectra over theory on the largest scales, at some cosmologies.

    ``params`` (n, 10) full parameter vectors; ``pk_ref`` (n, 79) measured P(k) [(Mpc/h)^3];
    ``rows`` (m,) the cosmologies to look at; ``n_bins`` the first bins. Returns ``k`` (n_bins,),
    ``Om``, ``fb`` = Ωb/Ωm (m,), and (m, n_bins) ratios of ``pk_ref`` to CAMB's linear spectrum
    at the bins' mean k (``over_linear_k``) and averaged over each bin's modes like the
    measurement (``over_linear``), and to HMcode-2020 averaged the same way (``over_hmcode``).
    """
    k, b, c = shell_modes(BOX)
    first = b < n_bins
    out = {name: np.empty((len(rows), n_bins)) for name in ("over_linear_k", "over_linear", "over_hmcode")}
    kb = kbins(BOX).k[:n_bins]
    for i, r in enumerate(rows):
        sp = Spectra(params[r])
        ref = np.asarray(pk_ref[r, :n_bins], dtype=np.float64)
        for name, pk_modes in (("over_linear", sp.linear(k[first])), ("over_hmcode", sp.nonlinear(k[first]))):
            avg = np.bincount(b[first], weights=c[first] * pk_modes) / np.bincount(b[first], weights=c[first])
            out[name][i] = ref / avg
        out["over_linear_k"][i] = ref / sp.linear(kb)
    om, ob = params[rows, PARAM_NAMES.index("Om")], params[rows, PARAM_NAMES.index("Ob")]
    return {"k": kb, "Om": om, "fb": ob / om, **out}


#: Where the emulated-vs-Quijote validation table is shipped (a small derived table, not Quijote data).
VALIDATION_FILE = "reference/emulated_vs_quijote.json"


def quijote_validation(quijote_dir: Path | None = None, workers: int = 1, progress: bool = True) -> dict:
    """Compare the emulated tier with the real Quijote ΛCDM latin hypercube (2,000 boxes).

    Reads ``LH_params.txt`` (Ωm, Ωb, h, n_s, σ8; the other parameters at the fiducial) and
    ``LH_Pk_m_z0.npy`` from ``quijote_dir`` (default :data:`cosmotransfer.paths.QUIJOTE_DIR`) and
    returns :func:`compare_with_reference`'s per-bin arrays as lists, plus provenance: the sha256
    of both inputs, this tier's settings and the number of cosmologies. Costs one CAMB run per
    cosmology (≈ 15 CPU-minutes for all 2,000).
    """
    from . import paths
    from .config import fiducial_vector
    from .quijote import load_quijote
    from .store import DataFileError, sha256_file

    q = Path(quijote_dir or paths.QUIJOTE_DIR)
    files = {"pk": q / "LH_Pk_m_z0.npy", "params": q / "LH_params.txt"}
    missing = [str(f) for f in files.values() if not f.is_file()]
    if missing:
        raise DataFileError(f"the Quijote reference files {missing} are missing; put the Quijote latin hypercube "
                            "there or set COSMOTRANSFER_QUIJOTE")
    data = load_quijote(files["pk"], files["params"])
    params = np.tile(fiducial_vector(), (len(data), 1))
    params[:, :5] = data.params[:, :5]  # Quijote's LH varies Ωm, Ωb, h, n_s, σ8 (Mν = 0, w = −1)
    cmp = compare_with_reference(params, data.stats["pk"], progress=progress, workers=workers)
    return {
        "what": "emulated tier vs the real Quijote LCDM latin hypercube (z=0, total matter P(k)), per k bin",
        "n_cosmologies": int(len(data)),
        "inputs": {name: {"file": f.name, "sha256": sha256_file(f)} for name, f in files.items()},
        "settings": settings(None, ("pk",)),
        "arrays": {name: np.asarray(v, dtype=np.float64).tolist() for name, v in cmp.items() if np.ndim(v) == 1},
    }


def write_quijote_validation(out: Path | None = None, **kwargs) -> Path:
    """Run :func:`quijote_validation` and write it, atomically, to ``data/`` + :data:`VALIDATION_FILE`."""
    import json

    from . import paths
    from .store import atomic_write

    table = quijote_validation(**kwargs)
    out = Path(out or paths.DATA_DIR / VALIDATION_FILE)
    text = json.dumps(table, indent=1, sort_keys=True) + "\n"
    atomic_write(out, lambda tmp: Path(tmp).write_text(text))
    return out


def read_quijote_validation(path: Path | None = None) -> dict[str, np.ndarray]:
    """The shipped validation table as :func:`compare_with_reference`'s dict of (79,) arrays
    (plus ``n``), for :func:`cosmotransfer.figures.emulated.quijote_comparison`."""
    import json

    from . import paths
    from .store import DataFileError

    path = Path(path or paths.DATA_DIR / VALIDATION_FILE)
    try:
        table = json.loads(path.read_text())
        out = {name: np.asarray(v, dtype=np.float64) for name, v in table["arrays"].items()}
    except (OSError, ValueError, KeyError) as e:
        raise DataFileError(f"{path} is missing or corrupted ({e}); remake it with "
                            "`cosmotransfer validate-emulated` (needs the Quijote files)") from e
    out["n"] = np.array(table["n_cosmologies"])
    return out


def response(name: str, values, base=None) -> dict[float, np.ndarray]:
    """Noise-free response of the emulated P(k) to one parameter: {value: (79,) P(θ)/P(base)}.

    ``base`` (10,) is the reference cosmology (default: the fiducial with Mν = 0.1 eV, inside
    fremu's prior); θ is ``base`` with ``name`` set to each of ``values``.
    """
    from .config import fiducial_vector

    if base is None:
        base = fiducial_vector()
        base[PARAM_NAMES.index("Mnu")] = 0.1
    base = np.asarray(base, dtype=np.float64)
    ref = mean_pk(base)
    out = {}
    for v in values:
        theta = base.copy()
        theta[PARAM_NAMES.index(name)] = v
        out[float(v)] = mean_pk(theta) / ref
    return out
