"""The ``simulated`` tier: a particle-mesh N-body engine in torch (CPU or GPU, same code).

Pipeline of one simulation (see each module):

1. :mod:`.linear` — σ8-normalised linear P(k) from CAMB, cached per cosmology (CPU only);
2. :mod:`.ic` — counter-based white noise (same field on every device and mesh size), 2LPT;
3. :mod:`.pm` — FastPM kick-drift-kick with a CIC force mesh finer than the particle lattice;
4. :mod:`cosmotransfer.stats` — P(k) and marked P(k) on the Quijote k grid.

:mod:`.background` gives E(a), the growth factors D1, D2 and the FastPM step factors.
ΛCDM and constant w are supported, and beyond them:
Massive neutrinos (Mν > 0: CDM+baryon particles with scale-dependent growth, a linear neutrino
response in the Poisson source, total-matter statistics) are :mod:`.neutrinos`, which
:class:`.engine.Engine` calls when Mν > 0 (its tables come from :func:`.linear.neutrino_table`).
Local and equilateral primordial non-Gaussianity (2LPTPNG's method) is :mod:`.png`, which enters
through a hook on the initial potential (:func:`.png.potential_hook`, applied by the engine).
The physics modules never import the engine; the experiments that run it for their checks
(f(R) boosts, Mν and σ8 responses) are :mod:`.experiments`.
Hu–Sawicki f(R) (n = 1, −3e-4 ≤ f_R0 ≤ 0, thin-shell screening) is :mod:`.fofr`, which enters
through the ``gravity`` hook of :func:`.pm.evolve` (:func:`.fofr.gravity_modification`).

Tier interface used by :mod:`cosmotransfer.simulate`: :data:`CHUNK`, :func:`settings`,
:func:`run_chunk`. For one simulation with its fields: :func:`simulate_fields`.

Why the paper preset is 256³ particles, a 512³ force mesh and 10 steps from z = 9 (measured at
the same particle Nyquist and force cell in a 500 Mpc/h box with 128³ particles, fiducial
cosmology, two seeds, P(k)/HMcode at k = 0.1 / 0.3 / 0.5 h/Mpc): a 256³ mesh (force = particle
grid) loses 3 / 16 / 31%; a 768³ mesh changes nothing by more than 0.5%; 20 steps add
0.2 / 0.9 / 1.5%; starting at z = 19 changes < 0.2%. What remains — P(k) about 4% (k = 0.3)
and 8% (k = 0.5) below Quijote's 512³ boxes (11 LH cosmologies) — is mostly the mass
resolution. Two tempting fixes were rejected: deconvolving the CIC window in the force raises P(0.5) by 14% but makes the particle
lattice unstable (a linear-amplitude run blows up), and the exact gradient ik instead of the
4-point finite difference drives the lattice's Nyquist pattern (a plane wave grows 8% too little).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..config import SimPreset, get_sim_preset
from .engine import Engine, Fields, make_settings

#: simulations per work unit of the runner (resume / shard granularity): ~2 s on a GPU at the
#: paper preset, ~1 s on a CPU at the smoke preset
CHUNK = 8


def settings(preset: SimPreset, statistics=("pk", "mpk")) -> dict:
    """JSON-able settings of the engine for a :class:`~cosmotransfer.config.SimPreset`."""
    return make_settings(preset, tuple(statistics))


@lru_cache(maxsize=2)
def _engine(settings_json: str, device: str) -> Engine:
    import json

    return Engine(json.loads(settings_json), device)


def run_chunk(params: np.ndarray, seeds: np.ndarray, settings: dict, device: str = "cpu") -> dict[str, np.ndarray]:
    """``params`` (m, 10) float64, ``seeds`` (m,) int64 → ``{"pk", "mpk": (m, n_k) float32}``
    [(Mpc/h)³] on ``kbins(settings["box"])``, deterministic per (settings, seed, device)."""
    import json

    engine = _engine(json.dumps(settings, sort_keys=True), str(device))
    return engine.run_many(np.asarray(params, dtype=np.float64), np.asarray(seeds, dtype=np.int64))


def simulate_fields(theta, seed: int = 0, preset: str | SimPreset = "smoke", device: str = "cpu") -> Fields:
    """Run one simulation at a named simulation preset's (or a :class:`SimPreset`'s) settings and keep its
    fields: positions, density and marked-density meshes, marks, P(k), MP(k), linear P(k)."""
    return Engine(make_settings(get_sim_preset(preset)), device).fields(np.asarray(theta, dtype=np.float64), seed)
