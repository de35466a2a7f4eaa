"""The estimators against Pylians, the Quijote team's code (optional: ``pip install -e ".[peers]"``).

On one smoke-preset simulation of the engine: P(k) of the same mesh, the mesh top-hat window and
the smoothed field, and the marked spectrum built with Pylians' own tools (paint, smooth,
interpolate, mark, paint the marks) against :func:`cosmotransfer.stats.marked_power_spectrum`
with the ``"mesh"`` window. Skipped where Pylians is not installed.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

PKL = pytest.importorskip("Pk_library")
SL = pytest.importorskip("smoothing_library")
MASL = pytest.importorskip("MAS_library")

from cosmotransfer import stats  # noqa: E402
from cosmotransfer.config import MARK_DELTA_S, MARK_P, MARK_R, fiducial_vector, get_sim_preset  # noqa: E402
from cosmotransfer.sim import simulate_fields  # noqa: E402


@pytest.fixture(scope="module")
def run():
    pre = get_sim_preset("smoke")
    f = simulate_fields(fiducial_vector(), seed=0, preset="smoke")
    return pre.box, pre.n_mesh, np.ascontiguousarray(f.pos, dtype=np.float32)


def _painted(pos: np.ndarray, box: float, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Pylians' CIC density contrast of the particles (weighted by ``weights``)."""
    rho = np.zeros((n, n, n), dtype=np.float32)
    MASL.MA(pos, rho, box, "CIC", W=weights, verbose=False)
    return (rho / rho.mean(dtype=np.float64) - 1.0).astype(np.float32)


def _pylians_pk(delta: np.ndarray, box: float, n_k: int):
    res = PKL.Pk(delta, box, 0, "CIC", 1, False)
    return res.k3D[:n_k], res.Pk[:n_k, 0], res.Nmodes3D[:n_k]


def test_power_spectrum_of_the_same_mesh(run):
    box, n, pos = run
    delta = _painted(pos, box, n)
    pk = stats.power_spectrum(delta, box)
    k, p, modes = _pylians_pk(delta, box, len(pk))
    kb = stats.kbins(box)
    np.testing.assert_allclose(pk, p, rtol=1e-6)
    np.testing.assert_allclose(kb.k, k, rtol=1e-12)
    np.testing.assert_array_equal(kb.n_modes, 2 * modes)  # we count both members of each ±k pair


def test_mesh_window_and_smoothed_field(run):
    box, n, pos = run
    w = SL.FT_filter(box, MARK_R, n, "Top-Hat", 1)
    ours = stats.mesh_tophat_window(n, box, MARK_R).numpy()
    assert np.abs(w.imag).max() < 1e-6
    np.testing.assert_allclose(ours, w.real, atol=2e-7)
    delta = _painted(pos, box, n)
    smooth = SL.field_smoothing(delta, w, 1)
    mine = torch.fft.irfftn(torch.fft.rfftn(torch.from_numpy(delta)) * torch.from_numpy(ours), s=delta.shape).numpy()
    np.testing.assert_allclose(mine, smooth, atol=1e-5 * np.abs(smooth).max())


def test_marked_spectrum_with_the_mesh_window_is_pylians_pipeline(run):
    box, n, pos = run
    delta = _painted(pos, box, n)
    smooth = SL.field_smoothing(delta, SL.FT_filter(box, MARK_R, n, "Top-Hat", 1), 1)
    at_particles = np.zeros(len(pos), dtype=np.float32)
    MASL.CIC_interp(smooth, box, pos, at_particles)
    marks = (((1 + MARK_DELTA_S) / (1 + MARK_DELTA_S + np.clip(at_particles, -1, None))) ** MARK_P).astype(np.float32)
    _, mpk_pylians, _ = _pylians_pk(_painted(pos, box, n, marks), box, len(stats.kbins(box).k))
    pk, mpk = stats.marked_power_spectrum(torch.from_numpy(pos), box, n, window="mesh")
    np.testing.assert_allclose(mpk, mpk_pylians, rtol=1e-4)
    # and the analytic window, the book's, differs from it by more than that
    _, mpk_analytic = stats.marked_power_spectrum(torch.from_numpy(pos), box, n, window="analytic")
    assert np.abs(mpk_analytic / mpk_pylians - 1).max() > 1e-3
