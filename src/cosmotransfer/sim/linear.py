"""Linear power tables for the initial conditions: CAMB on the CPU, cached, carried to the GPU.

One table per cosmology: the σ8-normalised linear total-matter P(k) at z = 0 from
:func:`cosmotransfer.cosmology.linear_power` on ``TABLE_GRID`` (log-spaced k [h/Mpc]), stored as
``.cache/linear/<grid and code key>/<cosmology key>.npy`` ((n_k,) float64, (Mpc/h)³). The GPU machine has
no CAMB: precompute a suite's tables here (in parallel, sharded, resumable — a table that exists
is never recomputed) and carry ``.cache/linear`` along::

    python -m cosmotransfer.sim.linear bsq --n 64 --workers 2 [--shard 0/4]

Beside each P(k) table, from the same CAMB solve and under the same key, a cosmology may have:

* ``<key>.As.npy`` — (1,) float64, the primordial amplitude A_s of the σ8-matched cosmology
  (:func:`primordial_amplitude`; made for cosmologies with f_NL ≠ 0);
* ``<key>.nu<version>.npz`` — the massive-neutrino tables (:func:`neutrino_table`; made for
  Mν > 0): T_ν/T_cb(k, z) and P_cb/P_m(k) at z = 0 on the table k grid, and Ω_ν.
"""
from __future__ import annotations

import argparse
import sys
import zipfile
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from tqdm import tqdm  # plain: tqdm.auto warns (with a machine path) in notebooks without ipywidgets

from .. import cosmology, paths
from ..config import ConfigError
from ..store import atomic_write, code_hash, stable_hash

#: k grid of every table [h/Mpc]. 2 h/Mpc covers the IC lattice of the paper preset
#: (√3·π·256/1000 = 1.39 h/Mpc) and stays inside CAMB's kmax = 2/Mpc for h ≤ 1.
TABLE_GRID = {"k_min": 1e-4, "k_max": 2.0, "n_k": 512}


@lru_cache(maxsize=1)
def _code_hash() -> str:
    return code_hash(Path(cosmology.__file__).read_text())


def table_grid() -> dict:
    """``TABLE_GRID`` plus :func:`code_hash` of ``cosmology.py``: the tables — and, through the
    settings, the suites made from them — are remade when the code that computes them changes, and
    only then. (Importing :mod:`cosmotransfer.cosmology` does not import CAMB.)"""
    return {**TABLE_GRID, "code": _code_hash()}


def table_k(grid: dict | None = None) -> np.ndarray:
    """(n_k,) float64 k [h/Mpc] of the tables."""
    grid = grid or TABLE_GRID
    return np.geomspace(grid["k_min"], grid["k_max"], grid["n_k"])


#: Parameters the linear tables do not depend on (f_NL acts on the initial potential only, and
#: the σ8-matched A_s ignores it): zeroed in the table key, so e.g. the whole PNG-LC suite —
#: one cosmology, many f_NL — shares one CAMB solve.
NOT_IN_TABLES = ("fNL_loc", "fNL_equil")


def table_path(theta, grid: dict | None = None) -> Path:
    from ..config import PARAM_NAMES

    theta = [0.0 if name in NOT_IN_TABLES else float(v)
             for name, v in zip(PARAM_NAMES, np.asarray(theta, dtype=np.float64), strict=True)]
    return paths.cache_dir("linear", stable_hash(grid or table_grid())) / f"{stable_hash({'theta': theta, 'z': 0.0})}.npy"


def compute_table(theta, grid: dict | None = None) -> np.ndarray:
    """(n_k,) float64 P_lin [(Mpc/h)³] from CAMB (CPU only)."""
    _require_camb()
    return np.asarray(cosmology.linear_power(theta, table_k(grid), z=0.0), dtype=np.float64)


def _require_camb() -> None:
    try:
        import camb  # noqa: F401  (checked here so the error names the fix)
    except ImportError:
        raise ConfigError(
            "no linear table for this cosmology and CAMB is not installed here (GPU machine?); "
            "precompute the tables on a CPU machine with `python -m cosmotransfer.sim.linear SUITE --n N` "
            "and carry .cache/linear along"
        ) from None


def _cached(path: Path, compute, valid):
    """The arrays stored at ``path`` (a .npy array or a .npz dict) if ``valid(them)``, else
    ``compute()``'s, written atomically first."""
    if path.is_file():
        try:
            v = np.load(path, allow_pickle=False)
            if isinstance(v, np.lib.npyio.NpzFile):
                with v:
                    v = {name: v[name] for name in v.files}
        except (OSError, ValueError, zipfile.BadZipFile):
            v = None  # unreadable: recompute below and overwrite
        if v is not None and valid(v):
            return v
    v = compute()

    def write(tmp: Path):
        with open(tmp, "wb") as f:  # a file handle: np.save would append ".npy" to a name
            (np.savez(f, **v) if isinstance(v, dict) else np.save(f, v))

    atomic_write(path, write)
    return v


def linear_table(theta, grid: dict | None = None) -> np.ndarray:
    """(n_k,) float64 P_lin on ``table_k(grid)``: from the cache, else computed and cached.
    ``grid``: default :func:`table_grid`."""
    grid = grid or table_grid()
    return _cached(table_path(theta, grid), lambda: compute_table(theta, grid),
                   lambda p: p.shape == (grid["n_k"],) and np.all(np.isfinite(p)) and np.all(p > 0))


def primordial_amplitude(theta) -> float:
    """A_s (dimensionless, at CAMB's pivot k = 0.05/Mpc) of ``theta``'s σ8-matched cosmology:
    the amplitude that gives the total-matter linear σ8 of ``theta`` at z = 0 (see
    :class:`cosmotransfer.cosmology.Spectra`). Cached beside the P(k) table (``<key>.As.npy``)."""
    def compute():
        _require_camb()
        t = tuple(float(v) for v in np.asarray(theta, dtype=np.float64))
        return np.array([cosmology.spectra_at(t).A_s])  # the solve linear_table uses too

    path = table_path(theta).with_suffix(".As.npy")
    return float(_cached(path, compute, lambda a: a.shape == (1,) and np.isfinite(a[0]) and a[0] > 0)[0])


#: Redshifts of the neutrino tables (descending, 1 + z log-spaced from 100 to 1): they cover
#: the growth ODE's start (z = 99) and every z_init ≤ 99; 40 nodes keep the linear-in-ln a
#: interpolation of T_ν/T_cb below 0.05% of the growth.
NU_TABLE_Z = tuple(float(z) for z in np.round(np.geomspace(100.0, 1.0, 40) - 1.0, 8))
#: Bump when the neutrino-table code changes (part of the file name, so old tables are ignored).
NU_TABLE_VERSION = 1


def compute_neutrino_table(theta, grid: dict | None = None) -> dict[str, np.ndarray]:
    """Massive-neutrino tables from CAMB (CPU only) on ``table_k(grid)`` [h/Mpc]:

    ``z`` (n_z,) = :data:`NU_TABLE_Z`; ``ratio`` (n_z, n_k) T_ν/T_cb, the linear neutrino
    density contrast per unit CDM+baryon contrast; ``cb_over_m`` (n_k,) T_cb/T_m at z = 0
    (so P_cb = P_m · cb_over_m²); ``omega_nu`` (1,) Ω_ν = Ω_ν h²/h² as CAMB sets it up
    (:func:`cosmotransfer.cosmology.camb_params`: three degenerate species, Ωm includes ν).
    Below CAMB's smallest k the ratios are held at their first value (ν cluster like matter there).
    """
    _require_camb()
    import camb

    camb.config.ThreadNum = 1  # bit-reproducible, as cosmology.Spectra
    c = cosmology.Cosmo.from_vector(theta)
    if c.Mnu <= 0.0:
        raise ConfigError(f"neutrino tables need Mnu > 0; got {c.Mnu}")
    pars = cosmology.camb_params(c, redshifts=NU_TABLE_Z)
    td = camb.get_transfer_functions(pars).get_matter_transfer_data()
    zs = np.asarray(pars.Transfer.PK_redshifts[: len(NU_TABLE_Z)])
    if not np.allclose(zs, NU_TABLE_Z, atol=1e-6):  # pragma: no cover - CAMB keeps the order given
        raise RuntimeError(f"CAMB returned redshifts {zs}, expected {NU_TABLE_Z}")
    lq = np.log(td.q / c.h)  # CAMB's k is in 1/Mpc
    lk = np.log(np.clip(table_k(grid), td.q[0] / c.h, td.q[-1] / c.h))

    def on_grid(name, i):
        return np.interp(lk, lq, td.transfer_z(name, i).astype(np.float64))

    ratio = np.stack([on_grid("delta_nu", i) / on_grid("delta_nonu", i) for i in range(len(zs))])
    i0 = len(zs) - 1  # z = 0 is last
    return {"z": np.asarray(NU_TABLE_Z), "ratio": ratio,
            "cb_over_m": on_grid("delta_nonu", i0) / on_grid("delta_tot", i0),
            "omega_nu": np.array([pars.omnuh2 / c.h**2])}


def neutrino_table(theta, grid: dict | None = None) -> dict[str, np.ndarray]:
    """:func:`compute_neutrino_table`'s arrays for ``theta`` (Mν > 0): from the cache, else
    computed and cached (``<key>.nu<NU_TABLE_VERSION>.npz`` beside the P(k) table)."""
    grid = grid or table_grid()
    n_z, n_k = len(NU_TABLE_Z), grid["n_k"]

    def valid(t):
        return (set(t) == {"z", "ratio", "cb_over_m", "omega_nu"} and t["ratio"].shape == (n_z, n_k)
                and t["cb_over_m"].shape == (n_k,) and all(np.all(np.isfinite(v)) for v in t.values()))

    path = table_path(theta, grid).with_suffix(f".nu{NU_TABLE_VERSION}.npz")
    return _cached(path, lambda: compute_neutrino_table(theta, grid), valid)


def _ensure(theta) -> None:
    """Every table the engine needs for ``theta``: P(k); A_s when f_NL ≠ 0; ν tables when Mν > 0."""
    from ..config import PARAM_NAMES

    t = dict(zip(PARAM_NAMES, np.asarray(theta, dtype=np.float64)))
    linear_table(theta)
    if t["fNL_loc"] != 0.0 or t["fNL_equil"] != 0.0:
        primordial_amplitude(theta)
    if t["Mnu"] > 0.0:
        neutrino_table(theta)


def _missing(theta) -> bool:
    """Whether any table :func:`_ensure` would make for ``theta`` is not on disk."""
    from ..config import PARAM_NAMES

    t = dict(zip(PARAM_NAMES, np.asarray(theta, dtype=np.float64)))
    path = table_path(theta)
    need = [path]
    if t["fNL_loc"] != 0.0 or t["fNL_equil"] != 0.0:
        need.append(path.with_suffix(".As.npy"))
    if t["Mnu"] > 0.0:
        need.append(path.with_suffix(f".nu{NU_TABLE_VERSION}.npz"))
    return not all(p.is_file() for p in need)


def precompute(suite: str, n: int | None = None, shard: tuple[int, int] = (0, 1), workers: int = 1,
               progress: bool = True) -> int:
    """Make the missing tables of the first ``n`` design points of ``suite`` (this shard's share).

    Returns the number of tables computed. Safe to kill and rerun: finished tables are kept.
    """
    from ..suites import design

    params = design(suite, n)
    i, m = shard
    todo = [t for t in params[i::m] if _missing(t)]
    bar = tqdm(total=len(params[i::m]), initial=len(params[i::m]) - len(todo), unit="table",
               desc=f"linear P(k) {suite}", disable=not progress)
    if workers > 1 and len(todo) > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            for _ in pool.map(_ensure, todo, chunksize=4):
                bar.update()
    else:
        for t in todo:
            _ensure(t)
            bar.update()
    bar.close()
    return len(todo)


def main(argv: list[str] | None = None) -> int:
    from ..simulate import parse_shard

    p = argparse.ArgumentParser(prog="python -m cosmotransfer.sim.linear", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("suite")
    p.add_argument("--n", type=int, default=None, help="first N design points (default: the suite's size)")
    p.add_argument("--shard", default="0/1", help="i/n: every n-th design point starting at i")
    p.add_argument("--workers", type=int, default=1, help="parallel CPU processes")
    args = p.parse_args(argv)
    try:
        done = precompute(args.suite, args.n, parse_shard(args.shard), args.workers)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"computed {done} tables under {paths.CACHE_DIR / 'linear'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
