"""The seven suite designs, their simulation seeds and their train/validation/test splits.

Each suite mirrors a Quijote suite (``../shared/PAPER.md``):

========  ===========================  =======  ===============================================
name      Quijote analogue             points   varied (sampling range if narrower than prior)
========  ===========================  =======  ===============================================
bsq       Big Sobol Sequence           32,768   Ωm, Ωb, h, n_s, σ8 (Sobol)
nwlh      nwLH                         2,000    + Ωb∈[0.03,0.07], Mν∈[0.01,1], w (latin hypercube)
mg        Quijote-MG (Hu–Sawicki n=1)  2,048    + Ωb∈[0.03,0.07], Mν∈[0.01,1], f_R0 (Sobol; 2,000 used)
png_eq    Quijote-PNG LH_EQ            1,000    Ωm, h, n_s, σ8, f_NL^equil; Ωb = 0.049 (LH)
png_lc    Quijote-PNG LH_LC            1,000    f_NL^local only; ΛCDM at the fiducial (LH)
lh        Quijote LH (ΛCDM)            2,000    Ωm, Ωb∈[0.03,0.07], h, n_s, σ8 (latin hypercube)
========  ===========================  =======  ===============================================

Everything here is deterministic: the design seed, the simulation seeds (``seed_base + i``)
and the split seed are fixed per suite, so a design point, its seed and its split role are
the same at every scale preset and on every machine.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.stats import qmc

from .config import (LCDM_PARAMS, PARAM_NAMES, PRIORS, VAL_FRACTION, ConfigError, check_in_prior, pool_size,
                     get_param, lookup)



@dataclass(frozen=True)
class Suite:
    """A suite design: which parameters vary over which ranges, and how points are drawn.

    ``varied`` maps each varied parameter to its sampling range; parameters not varied sit at
    ``fixed`` (default: the fiducial of the prior table). ``targets`` are what a network
    infers (``w`` is varied in nwLH but is a nuisance, not a target).
    """

    name: str
    title: str
    role: str
    n: int  # design points generated
    n_used: int  # design points the book uses (Quijote-MG: 2,048 run, 2,000 used)
    sampler: str  # "sobol" or "lh"
    varied: dict[str, tuple[float, float]]
    targets: tuple[str, ...]
    design_seed: int
    seed_base: int  # simulation seed of point i is seed_base + i
    split_seed: int
    fixed: dict[str, float] = field(default_factory=dict)
    statistics: tuple[str, ...] = ("pk", "mpk")

    @property
    def varied_names(self) -> tuple[str, ...]:
        return tuple(self.varied)

    @property
    def new_params(self) -> tuple[str, ...]:
        """Targets beyond the five ΛCDM parameters (what dummy nodes are reserved for)."""
        return tuple(t for t in self.targets if t not in LCDM_PARAMS)

    def value_of(self, name: str) -> float:
        """The constant value of a parameter this suite does not vary."""
        return self.fixed.get(name, get_param(name).fiducial)


def _lcdm(ob=(0.02, 0.08)) -> dict[str, tuple[float, float]]:
    r = {n: (PRIORS[n].lo, PRIORS[n].hi) for n in LCDM_PARAMS}
    r["Ob"] = ob
    return r


SUITES: dict[str, Suite] = {
    s.name: s
    for s in [
        Suite(
            name="bsq", title="ΛCDM Big Sobol Sequence", role="pre-training",
            n=32768, n_used=32768, sampler="sobol", varied=_lcdm(),
            targets=LCDM_PARAMS, design_seed=101, seed_base=1_000_000, split_seed=201,
        ),
        Suite(
            name="nwlh", title="massive neutrinos + w latin hypercube", role="Mν fine-tuning",
            n=2000, n_used=2000, sampler="lh",
            varied={**_lcdm(ob=(0.03, 0.07)), "Mnu": (0.01, 1.0), "w": (-1.3, -0.7)},
            targets=LCDM_PARAMS + ("Mnu",), design_seed=102, seed_base=2_000_000, split_seed=202,
        ),
        Suite(
            name="mg", title="Hu–Sawicki f(R) + massive neutrinos Sobol", role="f(R) fine-tuning",
            n=2048, n_used=2000, sampler="sobol",
            varied={**_lcdm(ob=(0.03, 0.07)), "Mnu": (0.01, 1.0), "fR0": (-3e-4, 0.0)},
            targets=LCDM_PARAMS + ("Mnu", "fR0"), design_seed=103, seed_base=3_000_000, split_seed=203,
        ),
        Suite(
            name="png_eq", title="equilateral PNG latin hypercube", role="f_NL^equil fine-tuning",
            n=1000, n_used=1000, sampler="lh",
            varied={n: r for n, r in _lcdm().items() if n != "Ob"} | {"fNL_equil": (-600.0, 600.0)},
            targets=("Om", "h", "ns", "s8", "fNL_equil"), design_seed=104, seed_base=4_000_000,
            split_seed=204, fixed={"Ob": 0.049},
        ),
        Suite(
            name="png_lc", title="local PNG at the fiducial ΛCDM", role="f_NL^local fine-tuning",
            n=1000, n_used=1000, sampler="lh", varied={"fNL_loc": (-300.0, 300.0)},
            targets=("fNL_loc",), design_seed=105, seed_base=5_000_000, split_seed=205,
        ),
        # the design of Quijote's ΛCDM latin hypercube (the real tier reads Quijote's own points,
        # see cosmotransfer.quijote; this design lets the other tiers make its analogue)
        Suite(
            name="lh", title="ΛCDM latin hypercube", role="pre-training (the real Quijote LH)",
            n=2000, n_used=2000, sampler="lh", varied=_lcdm(ob=(0.03, 0.07)),
            targets=LCDM_PARAMS, design_seed=106, seed_base=6_000_000, split_seed=206,
        ),
    ]
}


def get_suite(name: str | Suite) -> Suite:
    """The suite called ``name``; a clear error naming the valid choices otherwise."""
    return lookup(SUITES, name, "suite", Suite)


@lru_cache(maxsize=None)
def _unit_design(name: str) -> np.ndarray:
    s = get_suite(name)
    d = len(s.varied)
    if s.sampler == "sobol":
        m = int(np.log2(s.n))
        if 2**m != s.n:
            raise ConfigError(f"Sobol suite {name!r} needs a power-of-two size, got {s.n}")
        u = qmc.Sobol(d=d, scramble=True, seed=s.design_seed).random_base2(m)
    elif s.sampler == "lh":
        u = qmc.LatinHypercube(d=d, seed=s.design_seed).random(s.n)
    else:
        raise ConfigError(f"unknown sampler {s.sampler!r} for suite {name!r}; valid: sobol, lh")
    u.setflags(write=False)
    return u


def design(suite: str | Suite, n: int | None = None) -> np.ndarray:
    """Full parameter vectors of the first ``n`` design points (default: ``n_used``).

    Returns ``(n, len(PARAM_NAMES))`` float64 in :data:`PARAM_NAMES` order (Ωm, Ωb, h, n_s,
    σ8 [–], Mν [eV], w [–], f_R0 [–], f_NL^loc, f_NL^equil); non-varied columns hold the
    suite's fixed values.
    """
    s = get_suite(suite)
    n = s.n_used if n is None else int(n)
    if not 0 < n <= s.n:
        raise ConfigError(f"suite {s.name!r} has {s.n} design points; asked for {n}")
    u = _unit_design(s.name)[:n]
    out = np.empty((n, len(PARAM_NAMES)))
    for j, name in enumerate(PARAM_NAMES):
        if name in s.varied:
            lo, hi = s.varied[name]
            out[:, j] = lo + u[:, s.varied_names.index(name)] * (hi - lo)
        else:
            out[:, j] = s.value_of(name)
    return out


def sim_seeds(suite: str | Suite, n: int | None = None) -> np.ndarray:
    """(n,) int64 — the simulation seed of each design point (``seed_base + i``)."""
    s = get_suite(suite)
    n = s.n_used if n is None else int(n)
    return s.seed_base + np.arange(n, dtype=np.int64)


@dataclass(frozen=True)
class Split:
    """Indices into a suite's first ``n`` points: train pool (70%), validation, test (15% each).

    ``train(N)`` is the nested fine-tuning set of size N: the first N of the shuffled pool,
    so every smaller set is contained in every larger one, and validation and test never move.
    """

    pool: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def train(self, n_train: int | None = None) -> np.ndarray:
        if n_train is None:
            return self.pool
        if not 0 < n_train <= len(self.pool):
            raise ConfigError(f"training size {n_train} not in [1, {len(self.pool)}] (the train pool)")
        return self.pool[:n_train]


def make_split(n: int, seed: int) -> Split:
    """70/15/15 split of ``n`` items from a fixed seed (also for user-supplied suites)."""
    perm = np.random.default_rng(seed).permutation(n)
    n_pool, n_val = pool_size(n), int(VAL_FRACTION * n)
    return Split(pool=perm[:n_pool], val=perm[n_pool : n_pool + n_val], test=perm[n_pool + n_val :])


def split(suite: str | Suite, n: int | None = None) -> Split:
    """The suite's fixed split of its first ``n`` points (default ``n_used``)."""
    s = get_suite(suite)
    return make_split(s.n_used if n is None else int(n), s.split_seed)


def validate_point(suite: str | Suite, params: dict[str, float]) -> None:
    """Raise :class:`ConfigError` if a parameter is unknown or outside the suite's ranges."""
    s = get_suite(suite)
    for name, value in params.items():
        get_param(name)
        if name in s.varied:
            check_in_prior(name, value, *s.varied[name])
        else:
            check_in_prior(name, value)


def suite_table() -> pd.DataFrame:
    """One row per suite (a DataFrame indexed by name): role, size, sampler, varied parameters, targets, split sizes."""
    rows = []
    for s in SUITES.values():
        sp = split(s)
        rows.append({
            "suite": s.name, "analogue of": s.title, "role": s.role, "points": s.n, "used": s.n_used,
            "sampler": {"sobol": "Sobol", "lh": "latin hypercube"}[s.sampler],
            "varied": ", ".join(s.varied), "targets": ", ".join(s.targets),
            "train pool / val / test": f"{len(sp.pool)} / {len(sp.val)} / {len(sp.test)}",
        })
    return pd.DataFrame(rows).set_index("suite")
