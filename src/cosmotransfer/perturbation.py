"""One-loop standard perturbation theory (SPT) of the matter power spectrum: a quasi-linear
reference for the engine that owes nothing to a fit to simulations.

HMcode-2020 is the engine's nonlinear reference, but on quasi-linear scales (k ≈ 0.05–0.15 h/Mpc
at z = 0) its halo model is a fit calibrated on ΛCDM-shaped spectra. Massive neutrinos at fixed
σ8 reshape the spectrum (1 eV: P_cb 25–35 % higher at k ≈ 0.05 h/Mpc, 15 % at 0.5), and the
mode coupling that builds the quasi-linear power depends on that shape. One loop of SPT
computes it from the linear spectrum alone:

    P(k) = P_L(k) + P_22(k) + 2 P_13(k)     (EdS kernels F2, F3; ``p13`` below is 2 P_13),

    P_22 = k³/(98 (2π)²) ∫ dr P_L(kr) ∫_{-1}^{1} dx P_L(k√(1+r²−2rx)) (3r + 7x − 10rx²)² / (1+r²−2rx)²,
    2P_13 = k³ P_L(k)/(252 (2π)²) ∫ dr P_L(kr) [12/r² − 158 + 100r² − 42r⁴
                                            + 3/r³ (r²−1)³ (7r²+2) ln|(1+r)/(1−r)|]

(Makino, Sasaki & Suto 1992; Jain & Bertschinger 1994). One loop over-predicts the nonlinear
power at z = 0 beyond k ≈ 0.1 h/Mpc, so it is used as a *ratio* between cosmologies, where that
error largely cancels. With neutrinos the cb field carries the loops and the neutrinos stay
linear (Saito, Takada & Taruya 2008): P_m = P_m,L + f_cb² [P_22 + 2P_13](P_cb,L).
"""
from __future__ import annotations

import numpy as np
from numpy.polynomial.legendre import leggauss

#: integration grid: r = q/k log-spaced over [R_MIN, max(R_MAX, Q_MAX/k)] (Q_MAX in h/Mpc: the
#: q⁻³ tail beyond adds < 1e-4 to either loop at k ≥ 0.01), N_R points; N_X Gauss–Legendre nodes in x
R_MIN, R_MAX, Q_MAX, N_R, N_X = 1e-4, 50.0, 20.0, 1500, 256


def _power_law_ends(k_tab: np.ndarray, p_tab: np.ndarray):
    """P_L(q) from a table: log–log interpolation inside, held below ``k_tab[0]`` (the loops
    barely feel q → 0: P_L(q) q² → 0) and ∝ q⁻³ above ``k_tab[-1]`` (CDM's small-scale slope)."""
    lk, lp = np.log(k_tab), np.log(p_tab)

    def p(q):
        q = np.asarray(q, dtype=np.float64)
        out = np.exp(np.interp(np.log(np.clip(q, k_tab[0], k_tab[-1])), lk, lp))
        return np.where(q > k_tab[-1], out * (q / k_tab[-1]) ** -3, out)

    return p


def _f13(r: np.ndarray) -> np.ndarray:
    """The P_13 kernel in brackets above, with its series where the closed form cancels badly."""
    out = np.empty_like(r)
    small, large = r < 1e-2, r > 1e2
    near = np.abs(r - 1.0) < 1e-8
    mid = ~(small | large | near)
    m = r[mid]
    out[mid] = (12 / m**2 - 158 + 100 * m**2 - 42 * m**4
                + 3 / m**3 * (m**2 - 1) ** 3 * (7 * m**2 + 2) * np.log(np.abs((1 + m) / (1 - m))))
    s = r[small]
    out[small] = -168 + 928 / 5 * s**2 - 4512 / 35 * s**4
    g = r[large]
    out[large] = -488 / 5 + 96 / 5 / g**2
    out[near] = 12 - 158 + 100 - 42
    return out


def one_loop(k_tab: np.ndarray, p_tab: np.ndarray, k) -> tuple[np.ndarray, np.ndarray]:
    """``(P_22, 2 P_13)`` [(Mpc/h)³] at ``k`` (n,) [h/Mpc] for the linear spectrum ``p_tab``
    (m,) [(Mpc/h)³] tabulated at ``k_tab`` (m,) [h/Mpc]; EdS kernels, z of the table."""
    p = _power_law_ends(np.asarray(k_tab, dtype=np.float64), np.asarray(p_tab, dtype=np.float64))
    x, wx = leggauss(N_X)
    p22, p13 = [], []
    for kk in np.atleast_1d(np.asarray(k, dtype=np.float64)):
        r = np.geomspace(R_MIN, max(R_MAX, Q_MAX / kk), N_R)
        R, X = r[:, None], x[None, :]
        q2 = 1.0 + R**2 - 2.0 * R * X  # |k − q|² / k²
        kern22 = (3 * R + 7 * X - 10 * R * X**2) ** 2 / q2**2
        f13 = _f13(r)
        pq = p(kk * r)
        inner = (p(kk * np.sqrt(q2)) * kern22) @ wx
        # ∫ dr g(r) = ∫ d ln r  r g(r) on the log grid
        p22.append(kk**3 / (98 * (2 * np.pi) ** 2) * np.trapezoid(pq * inner * r, np.log(r)))
        p13.append(kk**3 * p(kk) / (252 * (2 * np.pi) ** 2) * np.trapezoid(pq * f13 * r, np.log(r)))
    return np.array(p22), np.array(p13)


def matter_power(theta, k) -> np.ndarray:
    """One-loop total-matter P(k) [(Mpc/h)³] at z = 0 for a (10,) ``theta`` (GR, Gaussian), at
    ``k`` (n,) [h/Mpc]: the loops of the cb spectrum, neutrinos linear (module docstring).
    Linear spectra and transfer ratios from the engine's cached CAMB tables."""
    from .config import PARAM_NAMES
    from .sim.linear import linear_table, neutrino_table, table_k

    k = np.asarray(k, dtype=np.float64)
    kt, pm = table_k(), linear_table(theta)
    if float(np.asarray(theta)[PARAM_NAMES.index("Mnu")]) > 0.0:
        nu = neutrino_table(theta)
        pcb = pm * nu["cb_over_m"] ** 2
        f_cb = 1.0 - float(nu["omega_nu"][0]) / float(np.asarray(theta)[PARAM_NAMES.index("Om")])
    else:
        pcb, f_cb = pm, 1.0
    p22, p13 = one_loop(kt, pcb, k)
    return np.exp(np.interp(np.log(k), np.log(kt), np.log(pm))) + f_cb**2 * (p22 + p13)


def _png_bispectrum(shape: str, p1, p2, p3):
    """The primordial bispectrum B_Φ per unit f_NL of ``shape`` ("local" or "equilateral") from the
    three P_Φ (the templates of :mod:`cosmotransfer.sim.png`)."""
    pair = p1 * p2 + p2 * p3 + p3 * p1
    if shape == "local":
        return 2.0 * pair
    if shape == "equilateral":
        c1, c2, c3 = np.cbrt(p1), np.cbrt(p2), np.cbrt(p3)
        perm = (c1 * c2**2 * p3 + c1 * c3**2 * p2 + c2 * c1**2 * p3 + c2 * c3**2 * p1
                + c3 * c1**2 * p2 + c3 * c2**2 * p1)
        return 6.0 * (-pair - 2.0 * (c1 * c2 * c3) ** 2 + perm)
    raise ValueError(f"unknown PNG shape {shape!r}; valid: local, equilateral")


def png_p12(theta, k, shape: str) -> np.ndarray:
    """The one-loop PNG term of the matter P(k) per unit f_NL, P_12(k) [(Mpc/h)³] at ``k`` (n,) [h/Mpc].

    ``P_12(k) = 2 ∫ d³q/(2π)³ F2(q, k − q) B_0(k, q, |k − q|)`` (Taruya, Koyama & Matsubara 2008),
    ``B_0 = M(k₁)M(k₂)M(k₃) B_Φ`` the linear matter bispectrum the primordial one of ``shape``
    leaves at z = 0, with the engine's transfer M = √(P_L/P_Φ) (σ8-matched A_s, CAMB's pivot; see
    :mod:`cosmotransfer.sim.png`). The integrand is symmetric under q ↔ k − q, so it is taken
    twice over the half q < |k − q| (:func:`half_domain`), which keeps the grid off the p → 0 end.
    ``(ΔP/P)`` at first order in f_NL is P_12/P: compare it with the odd part of a paired response.
    """
    from .config import PARAM_NAMES
    from .sim.linear import linear_table, primordial_amplitude, table_k
    from .sim.png import bardeen_power

    theta = np.asarray(theta, dtype=np.float64)
    p = _power_law_ends(table_k(), linear_table(theta))
    a_s, ns, h = primordial_amplitude(theta), theta[PARAM_NAMES.index("ns")], theta[PARAM_NAMES.index("h")]

    def p_phi(q):
        return bardeen_power(q, a_s, ns, h)

    def m(q):
        return np.sqrt(p(q) / p_phi(q))

    out = []
    for kk in np.atleast_1d(np.asarray(k, dtype=np.float64)):
        r, s, f2, wx = half_domain(kk)
        b0 = m(kk) * m(kk * r) * m(kk * s) * _png_bispectrum(shape, p_phi(kk), p_phi(kk * r), p_phi(kk * s))
        out.append(2.0 * half_domain_integral(kk, r, f2 * b0, wx))
    return np.array(out)


def half_domain(k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The grid of a symmetric mode-coupling integral over q at one ``k`` [h/Mpc], on the half
    q < |k − q| (x = cos(k, q) < 1/(2r)): ``r`` (N_R, 1) = q/k, ``s`` (N_R, N_X) = |k − q|/k, the
    symmetrised kernel ``F2(q, k − q)`` (N_R, N_X) and the Gauss–Legendre weights ``wx`` in x."""
    t, wt = leggauss(N_X)
    r = np.geomspace(R_MIN, max(R_MAX, Q_MAX / k), N_R)[:, None]
    x_hi = np.minimum(1.0, 1.0 / (2.0 * r))
    x = (x_hi + 1.0) / 2.0 * t[None, :] + (x_hi - 1.0) / 2.0
    wx = (x_hi + 1.0) / 2.0 * wt[None, :]
    s = np.sqrt(1.0 + r**2 - 2.0 * r * x)
    mu = (r * x - r**2) / (r * s)  # cosine between q and k − q
    f2 = 5.0 / 7.0 + mu / 2.0 * (r / s + s / r) + 2.0 / 7.0 * mu**2
    return r, s, f2, wx


def half_domain_integral(k: float, r: np.ndarray, integrand: np.ndarray, wx: np.ndarray) -> float:
    """``∫ d³q/(2π)³ g`` over all q of an integrand symmetric under q ↔ k − q, given on
    :func:`half_domain`'s grid: twice the half, d³q/(2π)³ = k³ r² dr dx/(4π²), ∫ dr = ∫ d ln r · r."""
    inner = np.sum(integrand * wx, axis=1)
    return 2.0 * k**3 / (4 * np.pi**2) * float(np.trapezoid(inner * r[:, 0] ** 3, np.log(r[:, 0])))
