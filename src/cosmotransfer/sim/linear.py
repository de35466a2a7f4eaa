"""Linear power tables for the initial conditions: CAMB on the CPU, cached, carried to the GPU.

One table per cosmology: the σ8-normalised linear total-matter P(k) at z = 0 from
:func:`cosmotransfer.cosmology.linear_power` on ``TABLE_GRID`` (log-spaced k [h/Mpc]), stored as
``.cache/linear/<grid and code key>/<cosmology key>.npy`` ((n_k,) float64, (Mpc/h)³). The GPU machine has
no CAMB: precompute a suite's tables here (in parallel, sharded, resumable — a table that exists
is never recomputed) and carry ``.cache/linear`` along::

    python -m cosmotransfer.sim.linear bsq --n 64 --workers 2 [--shard 0/4]
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .. import cosmology, paths
from ..config import ConfigError
from ..data import atomic_write, stable_hash

#: k grid of every table [h/Mpc]. 2 h/Mpc covers the IC lattice of the paper preset
#: (√3·π·256/1000 = 1.39 h/Mpc) and stays inside CAMB's kmax = 2/Mpc for h ≤ 1.
TABLE_GRID = {"k_min": 1e-4, "k_max": 2.0, "n_k": 512}


@lru_cache(maxsize=1)
def _code_hash() -> str:
    return hashlib.sha256(Path(cosmology.__file__).read_bytes()).hexdigest()[:12]


def table_grid() -> dict:
    """``TABLE_GRID`` plus a hash of ``cosmology.py``: the tables — and, through the settings,
    the suites made from them — are remade when the code that computes them changes.
    (Importing :mod:`cosmotransfer.cosmology` does not import CAMB.)"""
    return {**TABLE_GRID, "code": _code_hash()}


def table_k(grid: dict | None = None) -> np.ndarray:
    """(n_k,) float64 k [h/Mpc] of the tables."""
    grid = grid or TABLE_GRID
    return np.geomspace(grid["k_min"], grid["k_max"], grid["n_k"])


def table_path(theta, grid: dict | None = None) -> Path:
    theta = [float(v) for v in np.asarray(theta, dtype=np.float64)]
    return paths.cache_dir("linear", stable_hash(grid or table_grid())) / f"{stable_hash({'theta': theta, 'z': 0.0})}.npy"


def compute_table(theta, grid: dict | None = None) -> np.ndarray:
    """(n_k,) float64 P_lin [(Mpc/h)³] from CAMB (CPU only)."""
    try:
        import camb  # noqa: F401  (checked here so the error names the fix)
    except ImportError:
        raise ConfigError(
            "no linear power table for this cosmology and CAMB is not installed here (GPU machine?); "
            "precompute the tables on a CPU machine with `python -m cosmotransfer.sim.linear SUITE --n N` "
            "and carry .cache/linear along"
        ) from None
    return np.asarray(cosmology.linear_power(theta, table_k(grid), z=0.0), dtype=np.float64)


def linear_table(theta, grid: dict | None = None) -> np.ndarray:
    """(n_k,) float64 P_lin on ``table_k(grid)``: from the cache, else computed and cached.
    ``grid``: default :func:`table_grid`."""
    grid = grid or table_grid()
    path = table_path(theta, grid)
    if path.is_file():
        try:
            p = np.load(path, allow_pickle=False)
            if p.shape == (grid["n_k"],) and np.all(np.isfinite(p)) and np.all(p > 0):
                return p
        except (OSError, ValueError):
            pass  # unreadable: recompute below and overwrite
    p = compute_table(theta, grid)

    def write(tmp: Path):
        with open(tmp, "wb") as f:  # a file handle: np.save would append ".npy" to a name
            np.save(f, p)

    atomic_write(path, write)
    return p


def _ensure(theta) -> None:
    linear_table(theta)


def precompute(suite: str, n: int | None = None, shard: tuple[int, int] = (0, 1), workers: int = 1,
               progress: bool = True) -> int:
    """Make the missing tables of the first ``n`` design points of ``suite`` (this shard's share).

    Returns the number of tables computed. Safe to kill and rerun: finished tables are kept.
    """
    from ..suites import design

    params = design(suite, n)
    i, m = shard
    todo = [t for t in params[i::m] if not table_path(t).is_file()]
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
