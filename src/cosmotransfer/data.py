"""Suite data: the summaries files (one ``.npz`` per suite and tier, a JSON manifest beside it).

A suite file holds, for ``n`` design points::

    params   (n, 10) float64   full parameter vectors, config.PARAM_NAMES order
    index    (n,)    int64     design index of each row (row i ↔ design point index[i])
    seeds    (n,)    int64     simulation seed of each row
    k        (79,)   float64   mode-averaged k of the bins [h/Mpc]
    pk       (n, 79) float32   matter power spectrum [(Mpc/h)^3]
    mpk      (n, 79) float32   marked power spectrum [(Mpc/h)^3]        (simulated tier only)
    derived_<name> (n,) float64  derived columns (simulated tier: derived_s8_fR, the linear σ8 of an f(R) cosmology)
    meta     0-d str           JSON: suite, tier, settings, config hash, code version, command

The manifest ``<suite>.json`` repeats ``meta`` and adds the file's sha256 and size, so a
shipped file can be checked without trusting its contents. Writes are atomic (temporary
file + rename): a killed process never leaves a half-written suite file behind.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import paths
from .config import LCDM_PARAMS, PARAM_NAMES, REAL_TIER, USER_SPLIT_SEED, check_in_prior, fiducial_vector, get_param, get_scale
from .stats import kbins
from .suites import SUITES, Split, get_suite, make_split
from .suites import split as suite_split


class DataFileError(RuntimeError):
    """A missing, corrupted or mismatched data file; the message names the fix."""


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def stable_hash(obj, length: int = 16) -> str:
    """Hash of a JSON-able object, independent of dict order (cache keys, config hashes)."""
    blob = json.dumps(obj, sort_keys=True, default=_json_default).encode()
    return hashlib.sha256(blob).hexdigest()[:length]


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then rename onto ``path``; nothing is left on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the file is data, readable like any other
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_npz(path: Path, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Atomically write ``arrays`` plus ``meta`` (as JSON) to an uncompressed-deterministic npz."""

    def write(tmp: Path):
        # np.savez_compressed stamps no time into the zip members, so equal inputs give
        # equal bytes; the explicit file handle stops numpy appending '.npz' to tmp names.
        with open(tmp, "wb") as f:
            np.savez_compressed(f, meta=np.array(json.dumps(meta, sort_keys=True, default=_json_default)), **arrays)

    atomic_write(path, write)


def load_npz(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    """Read a file written by :func:`save_npz`; clear error if it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(f"data file {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        meta = json.loads(str(arrays.pop("meta")))
    except Exception as e:  # zipfile.BadZipFile, ValueError, KeyError, json errors …
        raise DataFileError(f"data file {path} is corrupted ({type(e).__name__}: {e}); delete it and regenerate it") from e
    return arrays, meta


@dataclass
class SuiteData:
    """The summaries of one suite at one tier, as loaded from its file.

    ``stats`` maps a statistic name (``"pk"``, ``"mpk"``) to its (n, n_k) array;
    ``derived`` maps a derived-column name to its (n,) array.
    """

    suite: str
    tier: str
    params: np.ndarray
    index: np.ndarray
    seeds: np.ndarray
    k: np.ndarray
    stats: dict[str, np.ndarray]
    derived: dict[str, np.ndarray] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.params)

    def param(self, name: str) -> np.ndarray:
        """(n,) values of one parameter (derived value if one was stored, e.g. σ8 of f(R))."""
        return self.params[:, PARAM_NAMES.index(name)]

    def stat(self, name: str) -> np.ndarray:
        try:
            return self.stats[name]
        except KeyError:
            have = ", ".join(self.stats) or "none"
            raise DataFileError(
                f"suite {self.suite!r} ({self.tier} tier) has no statistic {name!r} (has: {have}); "
                "marked P(k) and PNG exist only in the simulated tier"
            ) from None

    def to_arrays(self) -> dict[str, np.ndarray]:
        out = {"params": self.params, "index": self.index, "seeds": self.seeds, "k": self.k}
        out.update(self.stats)
        out.update({f"derived_{k}": v for k, v in self.derived.items()})
        return out


STAT_NAMES = ("pk", "mpk")


def manifest_path(path: Path) -> Path:
    return Path(path).with_suffix(".json")


def write_suite(path: Path, data: SuiteData, extra_manifest: dict | None = None) -> dict:
    """Write the suite file and its manifest (both atomically). Returns the manifest."""
    save_npz(path, data.to_arrays(), data.meta)
    manifest = {
        "file": Path(path).name,
        "sha256": sha256_file(path),
        "bytes": Path(path).stat().st_size,
        "n": len(data),
        "statistics": sorted(data.stats),
        **data.meta,
        **(extra_manifest or {}),
    }
    atomic_write(manifest_path(path), lambda tmp: tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True, default=_json_default) + "\n"))
    return manifest


def read_manifest(path: Path) -> dict:
    mp = manifest_path(path)
    if not mp.is_file():
        raise DataFileError(f"manifest {mp} is missing; regenerate the suite with `cosmotransfer simulate`")
    return json.loads(mp.read_text())


def verify_suite_file(path: Path) -> dict:
    """Check a suite file against its manifest's sha256; returns the manifest."""
    manifest = read_manifest(path)
    if not Path(path).is_file():
        raise DataFileError(f"data file {path} does not exist; regenerate it with `cosmotransfer simulate`")
    digest = sha256_file(path)
    if digest != manifest["sha256"]:
        raise DataFileError(
            f"data file {path} does not match its manifest (sha256 {digest[:12]}… ≠ {manifest['sha256'][:12]}…); "
            "restore it with `git checkout -- data/` or regenerate it with `cosmotransfer simulate`"
        )
    return manifest


def read_suite(path: Path, verify: bool = True) -> SuiteData:
    """Load a suite file (checked against its manifest when ``verify``)."""
    if verify:
        verify_suite_file(path)
    arrays, meta = load_npz(path)
    try:
        return SuiteData(
            suite=meta["suite"],
            tier=meta["tier"],
            params=arrays.pop("params"),
            index=arrays.pop("index"),
            seeds=arrays.pop("seeds"),
            k=arrays.pop("k"),
            stats={s: arrays.pop(s) for s in STAT_NAMES if s in arrays},
            derived={k.removeprefix("derived_"): arrays.pop(k) for k in list(arrays) if k.startswith("derived_")},
            meta=meta,
        )
    except KeyError as e:
        raise DataFileError(f"data file {path} lacks {e}; it is not a suite file — regenerate it with `cosmotransfer simulate`") from None


# ======================================================================================
# Learning pipeline: suite → (x, y) arrays a network trains on
# ======================================================================================
# Below this line: preprocessing, the suite locator of the notebooks, and the loaders for
# real Quijote data (bring your own suites). Everything returns plain numpy arrays; torch
# only enters in :mod:`cosmotransfer.train`.

#: Statistics the emulated tier cannot make: they need the simulated (particle-mesh) tier.
SIMULATED_ONLY_STATS = ("mpk",)
#: Suites whose physics only the simulated tier has (primordial non-Gaussianity).
SIMULATED_ONLY_SUITES = ("png_eq", "png_lc")


def log_summaries(stat: np.ndarray, name: str = "summary") -> np.ndarray:
    """log10 of a (n, n_k) positive summary array; a clear error if any entry is ≤ 0 or not finite."""
    a = np.asarray(stat, dtype=np.float64)
    bad = ~np.isfinite(a) | (a <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0]) if a.ndim == 2 else 0
        raise DataFileError(f"{name} has {bad.sum()} non-positive or non-finite entries (first in row {row}); "
                            "log10 needs positive spectra — check or regenerate the suite")
    return np.log10(a)


@dataclass(frozen=True)
class Standardizer:
    """Per-bin standardisation ``(x − mean) / std`` with statistics fitted on one suite.

    ``mean``, ``std``: (n_k,) float64 of log10 summaries.
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> "Standardizer":
        x = np.asarray(x, dtype=np.float64)
        if len(x) < 2:
            raise DataFileError("standardising needs at least 2 simulations")
        std = x.std(axis=0)
        # a constant bin (impossible for real spectra, possible for toy data) keeps unit scale
        return cls(mean=x.mean(axis=0), std=np.where(std > 0, std, 1.0))

    def transform(self, x: np.ndarray) -> np.ndarray:
        """(n, n_k) float32 standardised features."""
        return ((np.asarray(x, dtype=np.float64) - self.mean) / self.std).astype(np.float32)

    def as_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}


def scale_targets(params: np.ndarray, targets: tuple[str, ...]) -> np.ndarray:
    """(n, len(targets)) float32 in [0, 1]: full parameter vectors min–max scaled with the prior table.

    ``params``: (n, 10) float64 in ``PARAM_NAMES`` order.
    """
    params = np.asarray(params, dtype=np.float64)
    return np.stack([get_param(t).scale(params[:, PARAM_NAMES.index(t)]) for t in targets], axis=1).astype(np.float32)


def unscale_targets(u: np.ndarray, targets: tuple[str, ...]) -> np.ndarray:
    """Inverse of :func:`scale_targets`: (n, len(targets)) float64 in physical units."""
    u = np.asarray(u, dtype=np.float64)
    return np.stack([get_param(t).unscale(u[:, j]) for j, t in enumerate(targets)], axis=1)


def array_hash(*arrays: np.ndarray, length: int = 16) -> str:
    """Hash of array contents (dtype, shape and bytes): names the data a network was trained on."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()[:length]


@dataclass
class LearningSet:
    """One suite and statistic, ready for a network.

    ``x``: (n, n_k) float32 — log10 summaries standardised per k bin with the statistics of the
    suite's own train pool (validation and test rows never enter them); ``y``: (n, n_targets)
    float32 — targets min–max scaled with the prior table; ``split``: the fixed 70/15/15 split
    (``split.train(N)`` is the nested fine-tuning set of size N). ``key`` hashes x, y and the
    split: it names the data in every cache key.
    """

    suite: str
    stat: str
    targets: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    split: Split
    standardizer: Standardizer
    key: str

    def __len__(self) -> int:
        return len(self.x)

    @property
    def n_pool(self) -> int:
        return len(self.split.pool)

    def train(self, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        rows = self.split.train(n)
        return self.x[rows], self.y[rows]

    def val(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[self.split.val], self.y[self.split.val]

    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[self.split.test], self.y[self.split.test]


def default_split(data: SuiteData):
    """The split a suite's rows use: the suite's own fixed split, or a seeded one for user data."""
    n = len(data)
    if data.suite in SUITES and np.array_equal(data.index, np.arange(n)):
        return suite_split(data.suite, n)
    return make_split(n, USER_SPLIT_SEED)


def learning_set(data: SuiteData, stat: str = "pk", targets: tuple[str, ...] | None = None,
                 split=None) -> LearningSet:
    """Preprocess one statistic of a suite: x = standardised log10 summaries, y = scaled targets.

    ``targets`` default to the suite's (``suites.SUITES``; the five ΛCDM parameters for user
    suites); ``split`` defaults to :func:`default_split`.
    """
    if targets is None:
        targets = SUITES[data.suite].targets if data.suite in SUITES else LCDM_PARAMS
    targets = tuple(targets)
    split = default_split(data) if split is None else split
    logx = log_summaries(data.stat(stat), f"{stat} of {data.suite}")
    scaler = Standardizer.fit(logx[split.pool])
    x = scaler.transform(logx)
    y = scale_targets(data.params, targets)
    key = array_hash(x, y, split.pool, split.val, split.test)
    return LearningSet(suite=data.suite, stat=stat, targets=targets, x=x, y=y, split=split, standardizer=scaler, key=key)


def suite_responses(data: SuiteData, stat: str = "pk") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """How a suite's statistic moves with each varied parameter, read off the suite itself.

    A least-squares fit, per k bin, of ln S over the suite's simulations on the varied parameters
    min–max scaled with the prior table (θ̂ ∈ [0, 1]) plus a constant: the slope ∂ ln S/∂θ̂ is the
    change of ln S across the whole prior width with the other parameters held fixed, to first
    order, averaged over the design. Returns ``{name: (slope (n_k,), standard error (n_k,))}``
    for the parameters the suite varies. Needs more simulations than varied parameters + 1.
    """
    names = list(SUITES[data.suite].varied_names) if data.suite in SUITES else list(LCDM_PARAMS)
    x = np.column_stack([np.ones(len(data))] + [get_param(n).scale(data.params[:, PARAM_NAMES.index(n)])
                                                 for n in names])
    if len(data) <= x.shape[1]:
        raise DataFileError(f"{len(data)} simulations cannot fit {x.shape[1] - 1} parameter responses")
    y = np.log(data.stat(stat).astype(np.float64))
    coef, _, _, _ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    dof = len(data) - x.shape[1]
    cov = np.linalg.inv(x.T @ x)  # (p, p); the residual variance is per bin
    se = np.sqrt(np.outer(np.diag(cov), (resid**2).sum(0) / dof))
    return {n: (coef[j + 1], se[j + 1]) for j, n in enumerate(names)}


# --------------------------------------------------------------------------------------
# Which file a notebook reads at a scale
# --------------------------------------------------------------------------------------
def subset_suite(data: SuiteData, n: int) -> SuiteData:
    """The first ``n`` rows of a suite (design points 0 … n−1 of a shipped suite)."""
    if n > len(data):
        raise DataFileError(f"suite {data.suite!r} has {len(data)} simulations; {n} were asked for")
    return SuiteData(suite=data.suite, tier=data.tier, params=data.params[:n], index=data.index[:n],
                     seeds=data.seeds[:n], k=data.k, stats={k: v[:n] for k, v in data.stats.items()},
                     derived={k: v[:n] for k, v in data.derived.items()}, meta=data.meta)


def suite_tier(suite: str, stat: str, scale, tier: str | None = None) -> str:
    """The tier that holds ``stat`` of ``suite`` at ``scale``: ``tier`` if given (e.g. ``"quijote"``,
    the real spectra, which have marked P(k) too), else the scale's own tier where it can make it,
    else ``"simulated"`` (marked P(k) and PNG need the particle-mesh engine)."""
    sc = get_scale(scale)
    if tier:
        return tier
    if stat in SIMULATED_ONLY_STATS or suite in SIMULATED_ONLY_SUITES:
        return "simulated"
    return sc.tier


def suite_path(suite: str, tier: str, scale) -> Path:
    """The file a notebook reads: shipped files under ``data/`` — the real Quijote tier's, the
    emulated tier's, and the simulated tier's at the scale's ``suite_preset`` — or, for a preset
    that is not shipped, the cache.

    The emulated tier does not depend on the preset and the first N rows of a suite file are what
    ``--n N`` makes, so at the smoke scale a shipped emulated file large enough is used as is.
    """
    sc = get_scale(scale)
    if tier == "simulated":
        return paths.preset_suite_file(suite, tier, sc.suite_preset)
    if tier == REAL_TIER:
        return paths.suite_file(suite, tier)
    shipped = paths.suite_file(suite, tier)
    if sc.name != "smoke":
        return shipped
    n = sc.suite_size(suite, tier) or get_suite(suite).n_used
    if shipped.is_file() and read_manifest(shipped)["n"] >= n:
        return shipped
    return paths.suite_file(suite, tier, root=paths.CACHE_DIR / "suites" / sc.name)


def simulate_command(suite: str, tier: str, scale) -> str:
    """The command that makes the file :func:`load_suite` looks for."""
    sc = get_scale(scale)
    if tier == REAL_TIER:
        return "cosmotransfer convert-quijote"
    n = sc.suite_size(suite, tier) or get_suite(suite).n_used
    if tier == "simulated":
        device = " --device cuda" if sc.suite_preset == "paper" else " --workers 2"
        return f"cosmotransfer simulate {suite} --tier simulated --preset {sc.suite_preset} --n {n}{device}"
    if sc.name == "smoke":
        return f"cosmotransfer simulate {suite} --tier {tier} --n {n} --preset smoke"
    return f"cosmotransfer simulate {suite} --tier {tier} --n {get_suite(suite).n}"


def suite_shortfall(suite: str, scale, stat: str = "pk", n: int | None = None,
                    tier: str | None = None) -> tuple[Path, int, int, str]:
    """Where :func:`load_suite` reads ``suite`` at ``scale``, how many simulations it needs and has
    there, and its tier: ``(path, n_needed, n_have, tier)``. Loads nothing."""
    sc = get_scale(scale)
    s = get_suite(suite)
    tier = suite_tier(s.name, stat, sc, tier)
    path = suite_path(s.name, tier, sc)
    have = read_manifest(path)["n"] if path.is_file() else 0
    # the real tier holds what Quijote ran: its whole file at every scale
    n = n or sc.suite_size(s.name, tier) or (have if tier == REAL_TIER else s.n_used)
    return path, n, have, tier


def load_suite(suite: str, scale, stat: str = "pk", n: int | None = None, tier: str | None = None) -> SuiteData:
    """The suite a notebook reads at ``scale``: its first ``n`` rows (default: the scale's
    :meth:`~cosmotransfer.config.Scale.suite_size`), holding ``stat``, from ``tier`` (default:
    :func:`suite_tier`).

    Loaders only load: a missing or too small file raises :class:`DataFileError` naming the command
    that makes it (at the smoke scale the book runner makes missing emulated suites first,
    :func:`cosmotransfer.simulate.ensure_smoke_suites`).
    """
    sc = get_scale(scale)
    path, n, have, tier = suite_shortfall(suite, sc, stat, n, tier)
    if have < n or not have:
        shown = path.relative_to(paths.ROOT) if path.is_relative_to(paths.ROOT) else path
        what = f"is not at {shown}" if not have else f"at {shown} holds {have} simulations, not {n}"
        how = "restore it with `git checkout -- data/quijote` or make it" if tier == REAL_TIER else "generate it"
        raise DataFileError(f"{'marked P(k) of ' if stat == 'mpk' else ''}suite {suite!r} ({tier} tier) {what}; "
                            f"{how} with `{simulate_command(suite, tier, sc)}`")
    data = read_suite(path)
    data.stat(stat)  # clear error if the file lacks the statistic
    return subset_suite(data, n) if len(data) > n else data


def find_suite(suite: str, scale, stat: str = "pk", n: int | None = None,
               tier: str | None = None) -> tuple[SuiteData | None, str]:
    """:func:`load_suite`, or ``(None, message)`` when the file does not exist.

    For notebooks: a missing optional suite becomes an admonition, not a crash.
    """
    try:
        return load_suite(suite, scale, stat, n=n, tier=tier), ""
    except DataFileError as e:
        return None, str(e)


# --------------------------------------------------------------------------------------
# Bring your own suites: real Quijote data
# --------------------------------------------------------------------------------------
def suite_from_arrays(pk, params, param_names: tuple[str, ...] | None = None, mpk=None, k=None,
                      name: str = "user") -> SuiteData:
    """A :class:`SuiteData` from stacked arrays (e.g. real Quijote summaries).

    ``pk`` (and ``mpk``): (n_sims, 79) P(k) [(Mpc/h)^3] on the Quijote bins; ``params``:
    (n_sims, len(param_names)) in the prior table's units (default names: the five ΛCDM
    parameters); parameters not given sit at their fiducial value. ``k``: (79,) h/Mpc
    (default: :func:`cosmotransfer.stats.kbins`). Raises ConfigError for a parameter outside
    its prior and DataFileError for mismatched shapes.
    """
    param_names = tuple(param_names or LCDM_PARAMS)
    pk = np.asarray(pk, dtype=np.float64)
    params = np.atleast_2d(np.asarray(params, dtype=np.float64))
    kk = kbins().k if k is None else np.asarray(k, dtype=np.float64)
    if pk.ndim != 2 or pk.shape[1] != len(kk):
        raise DataFileError(f"P(k) array has shape {pk.shape}; expected (n_sims, {len(kk)}) on the Quijote k bins")
    if params.shape != (len(pk), len(param_names)):
        raise DataFileError(f"parameter table has shape {params.shape}; expected ({len(pk)}, {len(param_names)}) "
                            f"for columns {', '.join(param_names)}")
    full = np.tile(fiducial_vector(), (len(pk), 1))
    for j, p in enumerate(param_names):
        get_param(p)
        check_in_prior(p, params[:, j])
        full[:, PARAM_NAMES.index(p)] = params[:, j]
    stats = {"pk": pk.astype(np.float32)}
    if mpk is not None:
        mpk = np.asarray(mpk, dtype=np.float64)
        if mpk.shape != pk.shape:
            raise DataFileError(f"marked P(k) array has shape {mpk.shape}; expected {pk.shape} like P(k)")
        stats["mpk"] = mpk.astype(np.float32)
    n = len(pk)
    return SuiteData(suite=name, tier="user", params=full, index=np.arange(n, dtype=np.int64),
                     seeds=np.zeros(n, dtype=np.int64), k=kk, stats=stats,
                     meta={"suite": name, "tier": "user", "param_names": list(param_names)})


def _natural_key(p: Path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.as_posix())]


def read_pk_files(folder, pattern: str = "Pk_*", n_k: int | None = None) -> np.ndarray:
    """Stack per-simulation Pylians text files into (n_sims, 79) P(k) [(Mpc/h)^3].

    Files matching ``pattern`` anywhere below ``folder`` (``.txt`` or ``.dat``; e.g. Quijote's
    ``<i>/Pk_m_z=0.txt``) are read in natural order of their paths (so ``2/`` before ``10/``):
    row i of the result is the i-th file, and must match row i of the parameter table. Each file
    has columns k [h/Mpc], P(k) (further columns are ignored); its first 79 rows must lie on the
    Quijote bins (1 % tolerance), any rows beyond are dropped.
    """
    folder = Path(folder)
    files = sorted((f for f in folder.rglob(pattern) if f.suffix in (".txt", ".dat")), key=_natural_key)
    if not files:
        raise DataFileError(f"no files matching {pattern!r} (.txt/.dat) below {folder}")
    kk = kbins().k
    n_k = n_k or len(kk)
    rows = []
    for f in files:
        try:
            a = np.loadtxt(f, ndmin=2)
        except ValueError as e:
            raise DataFileError(f"{f} is not a k, P(k) text table ({e})") from None
        if a.shape[0] < n_k or a.shape[1] < 2 or not np.allclose(a[:n_k, 0], kk[:n_k], rtol=1e-2):
            raise DataFileError(f"{f}: its first {n_k} k values do not match the Quijote bins "
                                f"({kk[0]:.4f} … {kk[n_k - 1]:.4f} h/Mpc); it needs a 1 Gpc/h box binned like Pylians")
        rows.append(a[:n_k, 1])
    return np.stack(rows)


def read_param_table(path, n_columns: int | None = None) -> np.ndarray:
    """(n_sims, n_params) float64 from a whitespace text table (``#`` lines are comments),
    e.g. Quijote's ``latin_hypercube_params.txt`` (Ωm, Ωb, h, n_s, σ8)."""
    try:
        a = np.loadtxt(path, ndmin=2)
    except (OSError, ValueError) as e:
        raise DataFileError(f"cannot read parameter table {path}: {e}") from None
    if n_columns is not None and a.shape[1] != n_columns:
        raise DataFileError(f"parameter table {path} has {a.shape[1]} columns; expected {n_columns}")
    return a


def _read_stat(src) -> np.ndarray:
    if isinstance(src, (str, Path)):
        p = Path(src)
        if p.is_dir():
            return read_pk_files(p)
        if p.suffix == ".npy":
            return np.load(p, allow_pickle=False)
        if p.is_file():
            return np.loadtxt(p, ndmin=2)
        raise DataFileError(f"{p} does not exist")
    return np.asarray(src)


def load_quijote(pk, params, param_names: tuple[str, ...] | None = None, mpk=None,
                 name: str = "quijote") -> SuiteData:
    """Bring your own suite: real Quijote (or any) summaries → :class:`SuiteData`.

    ``pk`` / ``mpk``: a stacked (n_sims, 79) array, a ``.npy`` or text file holding one, or a
    folder of per-simulation ``Pk_*.txt``/``.dat`` files (:func:`read_pk_files`). ``params``: an
    (n_sims, n_params) array or a text table (:func:`read_param_table`) whose columns are
    ``param_names`` (default: Ωm, Ωb, h, n_s, σ8, Quijote's order). Example, the ΛCDM latin
    hypercube beside the project::

        q = paths.QUIJOTE_DIR
        data = load_quijote(q / "LH_Pk_m_z0.npy", q / "LH_params.txt", mpk=q / "LH_MPk_m_z0.npy")
        ls = learning_set(data, "pk")          # split 70/15/15 with USER_SPLIT_SEED
    """
    table = read_param_table(params) if isinstance(params, (str, Path)) else np.asarray(params)
    return suite_from_arrays(_read_stat(pk), table, param_names=param_names,
                             mpk=None if mpk is None else _read_stat(mpk), name=name)
