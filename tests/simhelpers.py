"""Helpers shared by the engine's tests (importable because pytest puts tests/ on sys.path)."""
from __future__ import annotations

import numpy as np

from cosmotransfer.config import PARAM_NAMES, fiducial_vector, get_scale

#: the smoke preset: 250 Mpc/h, 32³ particles, 64³ mesh, 5 steps
SMOKE = get_scale("smoke").sim


def theta_with(**kw) -> np.ndarray:
    """(10,) the fiducial vector with some parameters set — unchecked against the prior, so
    tests can also build the invalid cosmologies the engine must refuse."""
    t = fiducial_vector()
    for k, v in kw.items():
        t[PARAM_NAMES.index(k)] = v
    return t
