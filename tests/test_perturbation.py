"""One-loop SPT (perturbation.py): kernel series, the analytic low-k limits, the neutrino reference."""
from __future__ import annotations

import numpy as np
import pytest

from cosmotransfer import perturbation as pt


def test_p13_kernel_series_join_the_closed_form():
    # the closed form is evaluated just inside each switch point, the series just outside
    for inside, outside in ((1.0001e-2, 0.9999e-2), (0.9999e2, 1.0001e2), (1 - 2e-8, 1 - 5e-9)):
        a, b = pt._f13(np.array([inside, outside]))
        assert a == pytest.approx(b, abs=2e-4)
    lo, hi = pt._f13(np.array([1e-6, 1e6]))
    assert lo == pytest.approx(-168.0) and hi == pytest.approx(-488 / 5)


def _bump():
    """A spectrum whose power lives at q ∈ [0.3, 3] h/Mpc (Gaussian in ln q) above a faint white
    floor (so P_L(k) is defined at small k and adds < 1e-4 to the integrals), tabulated."""
    k_tab = np.geomspace(1e-5, 20.0, 4000)
    p_tab = 1e3 * np.exp(-0.5 * (np.log(k_tab) / 0.3) ** 2) + 1e-3
    return k_tab, p_tab


def test_low_k_limits_of_both_loops():
    """For k ≪ every q that carries power: 2P_13 → −(61/630π²) k² P_L(k) ∫P dq (the large-scale
    damping by the displacement dispersion) and P_22 → (9/196π²) k⁴ ∫P²/q² dq (the k⁴ tail of
    momentum conservation). Both follow from the kernels' r → ∞ limits, so they check the
    kernels, the prefactors and the quadrature together."""
    k_tab, p_tab = _bump()
    k = np.array([2e-3, 4e-3])
    p22, p13 = pt.one_loop(k_tab, p_tab, k)
    q = k_tab
    i1, i2 = np.trapezoid(p_tab, q), np.trapezoid(p_tab**2 / q**2, q)
    p_k = np.interp(k, k_tab, p_tab)
    np.testing.assert_allclose(p13, -61 / (630 * np.pi**2) * k**2 * p_k * i1, rtol=2e-3)
    np.testing.assert_allclose(p22, 9 / (196 * np.pi**2) * k**4 * i2, rtol=2e-3)


def test_neutrino_one_loop_ratio_against_hmcode():
    """The reference behind the engine's 1 eV check (notebook 01): at fixed total σ8 the 1 eV
    cb spectrum couples more power into k ≈ 0.1 h/Mpc than HMcode-2020 predicts — one loop's
    P(1 eV)/P(0) is 3.4% above HMcode's there (measured), while for 0.1 eV the two agree to
    0.2%. Both tend to the linear ratio on large scales."""
    from cosmotransfer.config import fiducial_vector, with_params
    from cosmotransfer.cosmology import linear_power, nonlinear_power

    k = np.array([0.02, 0.1])
    fid = pt.matter_power(fiducial_vector(), k)
    for m, lo, hi in ((0.1, -0.005, 0.005), (1.0, 0.025, 0.045)):
        theta = with_params(Mnu=m)
        spt = pt.matter_power(theta, k) / fid
        hm = nonlinear_power(theta, k) / nonlinear_power(fiducial_vector(), k)
        lin = linear_power(theta, k) / linear_power(fiducial_vector(), k)
        assert lo < spt[1] / hm[1] - 1 < hi
        assert spt[0] == pytest.approx(lin[0], rel=2e-3)
