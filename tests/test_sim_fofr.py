"""Hu–Sawicki f(R) in the particle-mesh engine (cosmotransfer.sim.fofr): model, screening, boost.

Smoke size, CPU, seconds. The paper-preset validation against fremu is in the report of issue 5
and notebook 01.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from cosmotransfer.config import PARAM_NAMES, ConfigError, fiducial_vector
from cosmotransfer.sim import run_chunk, settings
from cosmotransfer.sim.background import Background
from cosmotransfer.sim.engine import Engine, make_settings
from cosmotransfer.sim.experiments import simulate_boosts
from cosmotransfer.sim.fofr import (C_OVER_H0, FofRGravity, HuSawicki, gravity_modification, linear_boost,
                                    linear_growth_ratio, sigma8_fR)
from cosmotransfer.sim.ic import white_noise
from cosmotransfer.sim.linear import linear_table
from cosmotransfer.sim.mesh import CIC
from cosmotransfer.sim.pm import ParticleMesh, evolve
from simhelpers import SMOKE, theta_with


# ---- the model ---------------------------------------------------------------------------
def test_scalaron_mass_and_background_field_against_hand_values():
    """Ωm = 0.3175, f_R0 = −1e-5: r0 = Ωm + 4ΩΛ = 3.0475, m(1) = √(r0 / 2e-5) / 2997.92458
    = 390.352 / 2997.925 = 0.130208 h/Mpc; r(1/2) = 8 Ωm + 4ΩΛ = 5.27, so m(1/2) = m(1) (5.27/3.0475)^(3/2)
    and f_R(1/2) = −1e-5 (3.0475/5.27)² = −3.3440e-6."""
    hs = HuSawicki(0.3175, -1e-5)
    assert np.sqrt(hs.mass2(1.0)) == pytest.approx(0.130208, rel=1e-5)
    assert np.sqrt(hs.mass2(0.5)) == pytest.approx(0.130208 * (5.27 / 3.0475) ** 1.5, rel=1e-5)
    assert hs.fR(1.0) == -1e-5
    assert hs.fR(0.5) == pytest.approx(-3.3440e-6, rel=1e-4)
    # the screening depth is (3/2)|f_R| in units of c², i.e. times a (c/H0)² in engine units
    assert hs.phi_screen(0.5) == pytest.approx(1.5 * 3.3440e-6 * 0.5 * C_OVER_H0**2, rel=1e-4)


def test_mu_limits():
    """μ = 1 + k²/(3(k² + a²m²)): 1 far outside the Compton wavelength, 4/3 far inside, 7/6 at k = a m."""
    hs = HuSawicki(0.3, -1e-4)
    for a in (0.2, 0.5, 1.0):
        am = a * np.sqrt(hs.mass2(a))
        mu = hs.mu(np.array([1e-4 * am, am, 1e4 * am]), a)
        np.testing.assert_allclose(mu, [1.0, 7.0 / 6.0, 4.0 / 3.0], atol=1e-7)
    # the Compton wavelength shrinks into the past (m ∝ a^-4.5 in matter domination)
    assert hs.mass2(0.2) > 100 * hs.mass2(1.0)


def test_out_of_range_f_R0_is_refused_and_zero_is_gr():
    assert gravity_modification(fiducial_vector()) is None
    for kw, word in (({"fR0": 1e-5}, "tachyonic"), ({"fR0": -1e-3}, "fR0"), ({"fR0": -1e-5, "w": -0.9}, "w = -1")):
        with pytest.raises(ConfigError, match=word):
            run_chunk(theta_with(**kw)[None], np.array([1]), settings(SMOKE), "cpu")


# ---- linear theory -------------------------------------------------------------------------
def test_linear_growth_limits_and_sigma8():
    """D_fR/D_GR → 1 far above the Compton wavelength and rises with k and |f_R0|; the f(R) σ8
    equals the GR twin's at f_R0 = 0 and grows with |f_R0| (measured 0.888, 0.952, 0.984 for
    −1e-5, −1e-4, −3e-4 at the fiducial σ8 = 0.834)."""
    k = np.array([1e-4, 0.01, 0.1, 1.0])
    for fR0 in (-1e-5, -1e-4):
        r = linear_growth_ratio(0.3175, fR0, k)
        assert r[0] == pytest.approx(1.0, abs=1e-5)
        assert np.all(np.diff(r) > 0)
    assert np.all(linear_growth_ratio(0.3175, -1e-4, k[1:]) > linear_growth_ratio(0.3175, -1e-5, k[1:]))
    # f_R0 = −1e-4, k = 5 h/Mpc: inside the Compton wavelength (a m < k) since z ≈ 9. In an EdS
    # universe a mode switched from μ = 1 to 4/3 at a_s grows as 0.935 (a/a_s)^0.186 relative to
    # GR (growing mode of p² + p/2 = 2, matched to D' = D): 1.44 by a = 1; Λ slows it (1.386)
    assert 1.30 < linear_growth_ratio(0.3175, -1e-4, [5.0])[0] < 1.44
    s8 = [sigma8_fR(theta_with(fR0=f)) for f in (0.0, -1e-6, -1e-5, -1e-4, -3e-4)]
    assert s8[0] == fiducial_vector()[PARAM_NAMES.index("s8")]
    assert np.all(np.diff(s8) > 0) and 0.85 < s8[2] < 0.93 and 0.93 < s8[3] < 0.98


# ---- the gravity hook ------------------------------------------------------------------------
def _point_mass(n: int = 32, box: float = 64.0, excess: int = 2000):
    """A uniform lattice (δ = 0) plus ``excess`` particles in one cell at the centre: its
    Newtonian potential on the mesh, and the Fourier-space potential the hook receives."""
    h = box / n
    i = (torch.arange(n, dtype=torch.float32) + 0.5) * h  # cell centres: CIC puts one particle per cell
    q = torch.stack(torch.meshgrid(i, i, i, indexing="ij"), dim=-1).reshape(-1, 3)
    pos = torch.cat([q, torch.full((excess, 3), box / 2 + 0.5 * h)])
    pm = ParticleMesh(n, box, "cpu")
    cic = CIC(pos, n, box)
    phi_gr = pm.potential(cic, pos.shape[0], 0.3, 1.0)
    captured = {}

    def grab(phi_k, a, pm_):
        captured["phi_k"] = phi_k.clone()
        return torch.fft.irfftn(phi_k, s=(n, n, n))

    np.testing.assert_array_equal(pm.potential(cic, pos.shape[0], 0.3, 1.0, gravity=grab).numpy(), phi_gr.numpy())
    return pm, phi_gr, captured["phi_k"]


def test_screening_factor_is_one_outside_and_small_in_a_deep_well():
    """Toy point mass, a = 1: S = 1 where φ_N ≥ 0 or shallower than (3/2)|f_R| c², S ≪ 1 at the
    centre for f_R0 = −1e-6, and the screened fifth-force potential at the centre is a small
    fraction of the unscreened one. For f_R0 = −3e-4 the same well is not screened at all and the
    screened hook equals the linear multiplier μ(k, a) to float32 round-off."""
    pm, phi, phi_k = _point_mass()
    c = pm.n // 2
    weak = FofRGravity(HuSawicki(0.3, -1e-6))
    s = weak.screening_factor(phi, 1.0)
    depth = weak.model.phi_screen(1.0)
    assert phi[c, c, c] < -10 * depth  # the toy well is deep for f_R0 = −1e-6 ...
    assert s[c, c, c] < 0.1
    assert torch.all(s[phi >= -depth] == 1.0) and torch.all((s > 0) & (s <= 1))
    assert (phi >= 0).any() and float(s.mean()) > 0.9  # ... and small: most of the box is unscreened
    fifth_screened = weak(phi_k, 1.0, pm) - phi
    fifth_linear = FofRGravity(weak.model, screening=False)(phi_k, 1.0, pm) - phi
    assert 0 < -fifth_screened[c, c, c] < 0.3 * -fifth_linear[c, c, c]  # measured 2.4 vs 45

    strong = HuSawicki(0.3, -3e-4)
    assert phi.min() > -strong.phi_screen(1.0)  # nowhere screened
    a = FofRGravity(strong)(phi_k, 1.0, pm)
    b = FofRGravity(strong, screening=False)(phi_k, 1.0, pm)
    assert float((a - b).abs().max()) < 1e-5 * float(b.abs().max())
    assert float((b - phi).abs().max()) > 0.05 * float(phi.abs().max())  # and the fifth force is there


def test_f_R0_zero_is_gr_byte_for_byte():
    """f_R0 = 0 takes the GR path: the engine's positions equal evolve() without any hook."""
    s = make_settings(SMOKE, ("pk",))
    eng = Engine(s, "cpu")
    theta = fiducial_vector()
    pos, mom, _ = eng.initial_conditions(theta, white_noise(5, s["n_particles"]), linear_table(theta))
    ref = evolve(pos, mom, Background.from_theta(theta), eng.pm, s["z_init"], s["n_steps"])
    assert eng.run(theta, 5).numpy().tobytes() == ref.numpy().tobytes()


# ---- the engine ----------------------------------------------------------------------------
def test_boost_at_smoke_size_grows_with_f_R0_and_follows_fremu():
    """Same seed and initial particles, smoke preset: the boost P_fR/P_GR exceeds 1 and grows with
    |f_R0| at every k; screening keeps −1e-5 below its linear-theory boost at k ≥ 0.2 h/Mpc; and the
    boost lies within 5% of fremu (Quijote-MG emulator, Mν = 0.01, its floor) at 0.1 ≤ k ≤ 0.5
    h/Mpc (measured ≤ 1.7% for −1e-5 and ≤ 4.3% for −1e-4, the largest at k ≈ 0.5 where 32³ particles
    resolve little; the book-preset numbers are in notebook 01)."""
    pytest.importorskip("fremu")
    from cosmotransfer.cosmology import fR_boost

    values = (-1e-6, -1e-5, -1e-4)
    k, p_gr, b = simulate_boosts(fiducial_vector(), values, seed=1, preset="smoke")
    stack = np.stack([b[f] for f in values])
    assert np.all(stack[:, 1:] > 1.0) and np.all(np.diff(stack, axis=0) > 0)
    sel = k >= 0.2
    assert np.all(b[-1e-5][sel] < linear_boost(theta_with(fR0=-1e-5), k[sel]))
    sel = (k >= 0.1) & (k <= 0.5)
    for f in values:
        ref = fR_boost(theta_with(fR0=f, Mnu=0.01), k[sel])
        assert np.max(np.abs(b[f][sel] / ref - 1)) < 0.05, f


def test_large_scale_boost_follows_linear_theory():
    """First smoke bin (k = 0.036 h/Mpc), f_R0 = −3e-4, 10 steps: the engine's boost (screened, with
    the linear blend below K_LINEAR) is within 1.2% of linear theory (1.149; measured −0.8%; −1.3%
    with 5 steps; < 0.1% in the book preset's first bin at 0.018 h/Mpc). A 10% error in the
    fifth force's normalisation would move it by 1.5%. Pure thin-shell screening falls further
    below: it also screens the long-wavelength source (measured −1.3%)."""
    theta = theta_with(fR0=-3e-4)
    lin = linear_boost(theta, [0.0356])[0]
    k, _, blend = simulate_boosts(fiducial_vector(), (-3e-4,), seed=1, preset="smoke", n_steps=10)
    _, _, thin = simulate_boosts(fiducial_vector(), (-3e-4,), seed=1, preset="smoke", n_steps=10, k_linear=None)
    assert k[0] == pytest.approx(0.0356, abs=1e-4)
    assert lin == pytest.approx(1.149, abs=0.002)
    assert blend[-3e-4][0] / lin == pytest.approx(1.0, abs=0.012)
    assert thin[-3e-4][0] < blend[-3e-4][0]


def test_f_R_composes_with_massive_neutrinos():
    """Mν = 0.4 eV with f_R0 = −1e-4 (the neutrinos' linear response is in the Newtonian potential
    that the fifth force is built from): the f(R) boost at fixed Mν stays within 2% of the
    massless one at every k (measured −0.5% at most; fremu: +0.4% at k ≈ 0.3 h/Mpc)."""
    params = np.stack([fiducial_vector(), theta_with(fR0=-1e-4), theta_with(Mnu=0.4), theta_with(Mnu=0.4, fR0=-1e-4)])
    pk = run_chunk(params, np.array([1, 1, 1, 1]), settings(SMOKE, ("pk",)), "cpu")["pk"].astype(np.float64)
    massless, massive = pk[1] / pk[0], pk[3] / pk[2]
    assert np.all(massive[1:] > 1.05)
    np.testing.assert_allclose(massive, massless, rtol=0.02)


def test_f_R_runs_are_deterministic():
    params = theta_with(fR0=-1e-5)[None]
    a = run_chunk(params, np.array([3]), settings(SMOKE), "cpu")
    b = run_chunk(params, np.array([3]), settings(SMOKE), "cpu")
    g = run_chunk(fiducial_vector()[None], np.array([3]), settings(SMOKE), "cpu")
    for st in a:
        assert a[st].tobytes() == b[st].tobytes()
        assert not np.allclose(a[st], g[st])


def test_boost_figure():
    import matplotlib

    matplotlib.use("Agg")  # this test only; notebooks keep their inline backend
    import matplotlib.pyplot as plt

    from cosmotransfer.figures.fofr import boost_vs_fremu

    k = np.geomspace(0.02, 0.5, 20)
    b = {-1e-5: 1 + 0.1 * k, -1e-4: 1 + 0.3 * k}
    fig = boost_vs_fremu(k, b, {f: v * 1.01 for f, v in b.items()}, linear=b, unscreened=b, k_min_fremu=0.028)
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2
    assert len(fig.axes[0].lines) >= 8 and len(fig.axes[1].lines) == 3
    plt.close(fig)


def test_mg_suite_file_carries_the_f_R_sigma8(tmp_path):
    """`cosmotransfer simulate mg --tier simulated`: the file stores σ8 of each f(R) cosmology as
    the derived column ``s8_fR``, above the design's GR-twin σ8 and equal to :func:`sigma8_fR`."""
    from cosmotransfer.store import read_suite
    from cosmotransfer.simulate import simulate

    out = simulate("mg", tier="simulated", n=2, preset="smoke", out=tmp_path / "mg.npz", progress=False)
    data = read_suite(out)
    s8 = data.param("s8")
    assert data.derived["s8_fR"].shape == (2,)
    assert np.all(data.derived["s8_fR"] > s8)
    assert data.derived["s8_fR"][0] == sigma8_fR(data.params[0])
