"""The real-Quijote tier: the Quijote summaries that exist beside the project, shipped as suite files.

Two real suites exist (``../shared/quijote``, see ``REAL_SUITES``):

========  ==============================  =====  =============================================
suite     Quijote suite                   sims   columns of the parameter table
========  ==============================  =====  =============================================
lh        ΛCDM latin hypercube            2,000  Ωm, Ωb, h, n_s, σ8
nwlh      massive ν + w latin hypercube   1,000  Ωm, Ωb, h, n_s, σ8, Mν [eV], w  (sims 0–999)
========  ==============================  =====  =============================================

:func:`convert` turns them into the project's own suite files, ``data/quijote/<suite>.npz``
(the format of :mod:`cosmotransfer.data`: ``pk``, ``mpk`` (n, 79) float32 (Mpc/h)^3, ``params``
(n, 10) float64), with a manifest that names the source files and their sha256, the citations
and what each array means. These files are the one part of ``../shared`` that ships; the book
reads them through :func:`cosmotransfer.data.load_suite` with ``tier="quijote"`` like any other
tier, and never needs ``../shared`` itself.

:func:`read_real_suite` reads the same kind of files from anywhere (a user's own nwLH, e.g. all
2,000 simulations) into a :class:`~cosmotransfer.store.SuiteData` that the sweeps use as they use
the shipped one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import paths
from .config import (LCDM_PARAMS, PARAM_NAMES, QUIJOTE_K_RTOL, ConfigError, check_in_prior, fiducial_vector, get_param,
                     lookup)
from .config import REAL_TIER as TIER
from .datasets import log_summaries
from .store import DataFileError, SuiteData, sha256_file, write_suite
from .stats import kbins

CITATIONS = {
    "quijote": "Villaescusa-Navarro F. et al. 2020, 'The Quijote simulations', ApJS 250, 2 (arXiv:1909.05273)",
    "marked_power_spectrum": "Massara E. et al. 2021, 'Using the marked power spectrum to detect the signature "
                             "of neutrinos in large-scale structure', PRL 126, 011301 (arXiv:2001.11024)",
}
ARRAYS = {
    "pk": "(n, 79) float32 (Mpc/h)^3: total-matter power spectrum at z = 0 in real space, 1 Gpc/h box, "
          "Pylians binning (shells of width k_F = 2π/1000 h/Mpc, DC dropped, mode-averaged k ≤ 0.5 h/Mpc, "
          "CIC deconvolved); float64 in the source, rounded to float32 here",
    "mpk": "(n, 79) float32 (Mpc/h)^3: marked power spectrum of the same snapshot, mark "
           "m = [(1+δs)/(1+δs+δ_R)]^p with top-hat R = 10 Mpc/h, p = 2, δs = 0.25",
    "params": "(n, 10) float64: parameter vectors in config.PARAM_NAMES order; the columns Quijote does not "
              "vary hold the fiducial (Mν = 0, w = −1, f_R0 = 0, f_NL = 0)",
    "k": "(79,) float64 h/Mpc: the project's mode-averaged bin centres (stats.kbins), checked against k_bins.txt",
    "index": "(n,) int64: the Quijote simulation number of each row",
    "seeds": "(n,) int64: −1 — Quijote's own initial-condition seeds are not part of these files",
}


@dataclass(frozen=True)
class RealSuite:
    """One real Quijote suite: its source files (in ``paths.QUIJOTE_DIR``) and parameter columns."""

    name: str
    title: str
    pk: str
    mpk: str
    params: str
    param_names: tuple[str, ...]

    def sources(self, folder: Path) -> dict[str, Path]:
        return {"pk": folder / self.pk, "mpk": folder / self.mpk, "params": folder / self.params,
                "k": folder / "k_bins.txt"}


REAL_SUITES: dict[str, RealSuite] = {
    s.name: s
    for s in [
        RealSuite("lh", "Quijote ΛCDM latin hypercube", "LH_Pk_m_z0.npy", "LH_MPk_m_z0.npy", "LH_params.txt",
                  LCDM_PARAMS),
        RealSuite("nwlh", "Quijote nwLH (massive neutrinos + w), simulations 0–999", "nwLH_Pk_m_z0.npy",
                  "nwLH_MPk_m_z0.npy", "nwLH_params.txt", LCDM_PARAMS + ("Mnu", "w")),
    ]
}


def get_real_suite(name: str) -> RealSuite:
    """The real suite called ``name``; a clear error naming the valid choices otherwise."""
    return lookup(REAL_SUITES, name, "real Quijote suite", RealSuite)


def suite_path(name: str) -> Path:
    """``data/quijote/<name>.npz``: the shipped real suite file (manifest beside it)."""
    return paths.suite_file(get_real_suite(name).name, TIER)


def read_real_suite(name: str, pk, params, mpk=None, param_names: tuple[str, ...] | None = None) -> SuiteData:
    """A real suite from files (or arrays) laid out like Quijote's: ``pk``/``mpk`` (n, 79) in
    (Mpc/h)^3, ``params`` (n, len(param_names)) with the columns of ``REAL_SUITES[name]``.

    The result carries the suite's name, so it gets that suite's targets and fixed split
    (:func:`cosmotransfer.datasets.default_split`). Raises DataFileError / ConfigError, naming the fix,
    for a wrong shape, a parameter outside its prior, or non-positive / non-finite spectra.
    """
    real = get_real_suite(name)
    data = load_quijote(pk, params, param_names=param_names or real.param_names, mpk=mpk, name=real.name)
    for stat, a in data.stats.items():
        log_summaries(a, f"{stat} of {name}")  # one clear error for non-positive or non-finite spectra
    data.tier = TIER
    data.seeds = np.full(len(data), -1, dtype=np.int64)
    data.meta = {"suite": real.name, "tier": TIER, "param_names": list(real.param_names)}
    return data


def convert(source: Path | None = None, out_dir: Path | None = None) -> list[Path]:
    """Make ``data/quijote/<suite>.npz`` + manifest for every real suite from the files in ``source``
    (default ``paths.QUIJOTE_DIR``, i.e. ``../shared/quijote``). Returns the written files.

    Every source file must be there and consistent (shapes, k bins within ``QUIJOTE_K_RTOL`` of
    the project's, parameters inside the prior table, positive spectra); otherwise one
    DataFileError (ConfigError for a parameter outside its prior) names the problem, and nothing is
    written: every check runs before the first file is written.
    """
    source = Path(source or paths.QUIJOTE_DIR)
    out_dir = Path(out_dir or paths.DATA_DIR / TIER)
    ready = []
    for real in REAL_SUITES.values():
        src = real.sources(source)
        missing = [str(p) for p in src.values() if not p.is_file()]
        if missing:
            raise DataFileError(f"real Quijote files missing: {', '.join(missing)}; point --quijote at the folder "
                                "that holds them (default ../shared/quijote)")
        k_src = np.loadtxt(src["k"])
        k = kbins().k
        if k_src.shape != k.shape or not np.allclose(k_src, k, rtol=QUIJOTE_K_RTOL):
            raise DataFileError(f"{src['k']} does not hold the 79 Quijote k bins of this project (stats.kbins)")
        data = read_real_suite(real.name, src["pk"], src["params"], mpk=src["mpk"])
        ready.append((real, src, data))
    written = []
    for real, src, data in ready:  # all checked: now write
        data.meta.update({"title": real.title, "source": {key: p.name for key, p in src.items()}})
        extra = {
            "source_sha256": {p.name: sha256_file(p) for p in src.values()},
            "citations": CITATIONS,
            "arrays": ARRAYS,
            "made_by": "cosmotransfer convert-quijote",
        }
        path = out_dir / f"{real.name}.npz"
        write_suite(path, data, extra_manifest=extra)
        written.append(path)
    return written


def nwlh_from_files(pk: str = "", mpk: str = "", params: str = "") -> SuiteData | None:
    """The fine-tuning nwLH a chapter reads: ``None`` (the shipped ``data/quijote/nwlh.npz``) when no
    file is named, else the user's files (all three: P(k), marked P(k), the 7-column table)."""
    given = {"NWLH_PK": pk, "NWLH_MPK": mpk, "NWLH_PARAMS": params}
    if not any(given.values()):
        return None
    missing = [k for k, v in given.items() if not v]
    if missing:
        raise ConfigError(f"name all three nwLH files; missing: {', '.join(missing)} "
                          "(or none, for the shipped real nwLH)")
    return read_real_suite("nwlh", pk, params, mpk=mpk)


# --------------------------------------------------------------------------------------
# Bring your own suites: real Quijote summaries as arrays or Pylians files
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
