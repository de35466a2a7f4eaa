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
2,000 simulations) into a :class:`~cosmotransfer.data.SuiteData` that the sweeps use as they use
the shipped one.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import paths
from .config import LCDM_PARAMS, QUIJOTE_K_RTOL, ConfigError, lookup
from .config import REAL_TIER as TIER
from .data import DataFileError, SuiteData, load_quijote, log_summaries, sha256_file, write_suite
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
    (:func:`cosmotransfer.data.default_split`). Raises DataFileError / ConfigError, naming the fix,
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
