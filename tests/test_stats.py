"""Estimators of cosmotransfer.stats: P(k) and the marked P(k) (normalisation, binning, CIC,
shot noise, marks). Small meshes; seconds in all."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from cosmotransfer.sim.ic import white_noise
from cosmotransfer.sim.mesh import CIC
from cosmotransfer.config import ConfigError
from cosmotransfer.stats import (QUIJOTE_PARTICLES, kbins, marked_power_spectrum, marks, mesh_tophat_window,
                                 power_spectrum, shot_noise, smoothing_window, tophat_window)

BOX = 250.0


def test_plane_wave_lands_in_its_bin_with_the_right_power():
    """δ = A cos(k·x), k = (3, 4, 0) k_F: the two modes ±k carry V A²/4 each, averaged over the
    shell |m| ∈ [5, 6) of n_modes lattice points (no CIC deconvolution for a field made on the mesh)."""
    n, amp = 32, 0.3
    x = torch.arange(n, dtype=torch.float64) * (BOX / n)
    kf = 2 * np.pi / BOX
    delta = amp * torch.cos(3 * kf * x[:, None, None] + 4 * kf * x[None, :, None]) * torch.ones(1, 1, n, dtype=torch.float64)
    pk = power_spectrum(delta.float(), BOX, k_max=0.3, deconvolve_cic=False)
    bins = kbins(BOX, 0.3)
    expect = np.zeros(len(bins))
    i = int(np.flatnonzero(bins.index == 5)[0])
    expect[i] = 2 * BOX**3 * amp**2 / 4 / bins.n_modes[i]
    np.testing.assert_allclose(pk, expect, rtol=1e-5, atol=1e-6 * expect.max())


def test_gaussian_field_recovers_its_power():
    """A Gaussian field of known P(k) ∝ k^-1.5: every bin within 4.5σ of its sample variance
    (σ = P / √n_independent); the mode-weighted mean ratio within 1.5% (3σ)."""
    n = 64
    k1 = 2 * np.pi / BOX * np.fft.fftfreq(n, 1 / n)
    kz = 2 * np.pi / BOX * np.arange(n // 2 + 1)
    kk = np.sqrt(k1[:, None, None] ** 2 + k1[None, :, None] ** 2 + kz[None, None, :] ** 2)
    kk[0, 0, 0] = 1.0
    p_true = lambda k: 1e3 * k**-1.5  # noqa: E731
    dk = white_noise(5, n) * np.sqrt(p_true(kk) * n**6 / BOX**3)
    delta = torch.fft.irfftn(torch.from_numpy(dk), s=(n, n, n)).float()
    bins = kbins(BOX, 0.6)
    pk = power_spectrum(delta, BOX, k_max=0.6, deconvolve_cic=False)
    # the expectation is the mode average of P over each shell (not P at the mean k)
    m = np.fft.fftfreq(n, 1 / n)
    shells = np.floor(np.sqrt(m[:, None, None] ** 2 + m[None, :, None] ** 2 + np.arange(n // 2 + 1)[None, None, :] ** 2))
    w = np.where((np.arange(n // 2 + 1) > 0) & (np.arange(n // 2 + 1) < n // 2), 2.0, 1.0) * np.ones_like(kk)
    expect = np.array([(w * p_true(kk))[shells == i].sum() / w[shells == i].sum() for i in bins.index])
    z = (pk / expect - 1) * np.sqrt(bins.n_independent)
    assert np.abs(z).max() < 4.5
    assert np.average(pk / expect, weights=bins.n_independent) == pytest.approx(1.0, abs=0.015)


def test_poisson_particles_give_the_shot_noise_convention():
    """Uniform random particles: raw P(k) (Pylians, "none") ≈ V/N at low k, where the CIC alias
    sum is ≈ 1; "subtract" takes it to ≈ 0; "quijote" leaves V/512³. Tolerance 4σ of the bin average."""
    n_part, n = 20000, 64
    g = torch.Generator().manual_seed(0)
    pos = torch.rand(n_part, 3, generator=g) * BOX
    sn = BOX**3 / n_part
    low = kbins(BOX).k < 0.15
    tol = 4 * sn / np.sqrt(kbins(BOX).n_independent[low].sum())
    for conv, level in (("none", sn), ("subtract", 0.0), ("quijote", BOX**3 / QUIJOTE_PARTICLES)):
        pk, mpk = marked_power_spectrum(pos, BOX, n, shot_noise_convention=conv)
        assert np.average(pk[low], weights=kbins(BOX).n_independent[low]) == pytest.approx(level, abs=tol)


def test_shot_noise_of_weights():
    w = torch.tensor([1.0, 1.0, 2.0, 4.0])
    assert shot_noise(10.0, weights=w) == pytest.approx(1000 * 22 / 64)
    assert shot_noise(10.0, n_particles=8) == pytest.approx(125.0)
    assert shot_noise(10.0, n_particles=8, convention="none") == 0.0
    assert shot_noise(10.0, n_particles=8, convention="quijote") == pytest.approx(125.0 - 1000 / QUIJOTE_PARTICLES)
    with pytest.raises(ValueError, match="convention"):
        shot_noise(10.0, n_particles=8, convention="pylians")


def _clustered_particles(n_side=32, seed=2):
    """A lattice displaced by a smooth random field: clustered enough for the mark to matter."""
    d = torch.from_numpy(white_noise(seed, n_side)).to(torch.complex64)
    q = torch.stack(torch.meshgrid(*[torch.arange(n_side, dtype=torch.float32) * (BOX / n_side)] * 3, indexing="ij"), -1).reshape(-1, 3)
    disp = torch.stack([torch.fft.irfftn(d * (i + 1.0) * 3e2, s=(n_side,) * 3).reshape(-1) for i in range(3)], 1)
    return (q + disp).remainder(BOX)


def test_constant_mark_gives_the_power_spectrum():
    """p = 0 makes every mark 1: MP(k) = P(k) to the last bit. A huge δs makes the mark nearly
    constant: MP = P to 1e-3."""
    pos = _clustered_particles()
    pk, mpk = marked_power_spectrum(pos, BOX, 64, p=0.0)
    np.testing.assert_array_equal(mpk, pk)
    pk2, mpk2 = marked_power_spectrum(pos, BOX, 64, delta_s=1e5)
    np.testing.assert_allclose(mpk2, pk2, rtol=1e-3)
    # the default mark (R = 10, p = 2, δs = 0.25) changes the spectrum
    _, mpk3 = marked_power_spectrum(pos, BOX, 64)
    assert np.abs(mpk3 / pk - 1).max() > 0.1


def test_mark_values_and_tophat():
    d = torch.tensor([-1.5, -1.0, 0.0, 1.0])
    np.testing.assert_allclose(marks(d).numpy(), [25.0, 25.0, 1.0, (1.25 / 2.25) ** 2], rtol=1e-6)
    kr = torch.tensor([0.0, 1e-4, 0.5, 4.4934])  # 4.4934: first zero of the top-hat window
    w = tophat_window(kr).numpy()
    assert w[0] == 1.0 and w[1] == pytest.approx(1.0) and w[2] == pytest.approx(0.975223, abs=1e-5) and abs(w[3]) < 1e-4


def test_cic_paint_conserves_mass_and_reads_back_linear_fields():
    g = torch.Generator().manual_seed(1)
    pos = torch.rand(5000, 3, generator=g) * BOX
    cic = CIC(pos, 16, BOX)
    rho = cic.paint()
    assert float(rho.sum()) == pytest.approx(5000.0, abs=1e-3)
    # CIC interpolation is exact for a field linear in each coordinate (away from the wrap)
    x = torch.arange(16, dtype=torch.float32) * (BOX / 16)
    field = (2.0 * x[:, None, None] + 3.0 * x[None, :, None] - x[None, None, :]).contiguous()
    inner = (pos < BOX - BOX / 16).all(dim=1)
    got = cic.read(field)[inner]
    want = (2.0 * pos[:, 0] + 3.0 * pos[:, 1] - pos[:, 2])[inner]
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-3)


def test_mesh_tophat_is_the_unit_sum_sphere_of_cells():
    """R = 10 Mpc/h on a 250/128 Mpc/h cell (the paper preset's force cell): 587 cells, each 1/587;
    the transform is 1 at k = 0 and close to the analytic window on large scales."""
    from cosmotransfer.sim.mesh import k_squared

    w = mesh_tophat_window(128, 250.0, 10.0)
    cells = torch.fft.irfftn(w, s=(128, 128, 128))
    inside = cells > 0.5 / 587
    assert int(inside.sum()) == 587 and torch.allclose(cells[inside], torch.tensor(1 / 587), rtol=1e-4)
    assert abs(float(w[0, 0, 0]) - 1) < 1e-6
    analytic = smoothing_window("analytic", 128, 250.0, 10.0)
    assert torch.equal(analytic, tophat_window(torch.sqrt(k_squared(128, 250.0)) * 10.0))
    assert abs(float(w[1, 0, 0] - analytic[1, 0, 0])) < 1e-3 < float((w - analytic).abs().max())
    with pytest.raises(ConfigError, match="unknown mark window"):
        smoothing_window("gaussian", 128, 250.0, 10.0)
