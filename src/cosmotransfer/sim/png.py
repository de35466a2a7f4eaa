"""Primordial non-Gaussianity in the initial conditions: local and equilateral f_NL.

The engine's Gaussian initial conditions start from the z = 0 linear density ``δ₀`` and its
Lagrangian potential ``φ₁`` (``∇²φ₁ = δ₀``, so ``φ₁(k) = −δ₀(k)/k²``; :mod:`.ic`). Primordial
non-Gaussianity is a transformation of the *primordial* potential, so :class:`PNGHook` takes
``φ₁`` back to the primordial potential, transforms it, and returns the new ``φ₁``; 2LPT then
proceeds as usual (:func:`.ic.lpt_displacements`). This is the method of the 2LPTPNG code
(Scoccimarro, Hui, Manera & Chan 2012, PRD 85, 083002 — "SHMC12"; n_s ≠ 1 by Jamieson) that
made the Quijote-PNG initial conditions.

Conventions (those of 2LPTPNG, checked against its source)
    Φ is the primordial Bardeen potential during matter domination, Φ = (3/5) ζ, with the sign
    of *minus* the Newtonian potential: ``δ₀(k) = M(k) Φ(k)`` with a positive transfer M, so an
    overdensity sits where Φ > 0 and a positive f_NL^loc makes the density skewness positive
    (more massive clusters), as in the large-scale-structure literature. f_NL multiplies the
    matter-era Φ ("CMB convention": the LSS convention's f_NL is ≈ 1.3 times larger), as in
    Quijote-PNG.

    ``P_Φ(k) = (9/25) 2π² A_s k⁻³ (k/k_pivot)^(n_s − 1)``, k_pivot = 0.05 Mpc⁻¹ (CAMB's), A_s
    the amplitude of the σ8-matched cosmology (:func:`.linear.primordial_amplitude`). In the
    engine's units (k [h/Mpc], P [(Mpc/h)³]) the tilt term reads ``(k h / 0.05)^(n_s − 1)``.
    ``M(k) = √(P_lin(k) / P_Φ(k))`` with the z = 0 linear total-matter P_lin of the tables, so
    M includes the transfer function and the growth to z = 0.

Local shape
    ``Φ = φ + f_NL^loc (φ² − ⟨φ²⟩)`` in real space (φ Gaussian). Bispectrum
    ``B = 2 f_NL (P₁P₂ + P₂P₃ + P₃P₁)``.

Equilateral shape (SHMC12's non-local kernel, generalised to n_s ≠ 1 as in 2LPTPNG)
    ``Φ = φ + f_NL^equil [−3 φ² + 4 ∂⁻¹(φ ∂φ) + 2 ∂⁻²(φ ∂²φ) − 2 ∂⁻²(∂φ)²]``, where ``∂^α`` is
    the Fourier multiplier ``k^(α (4 − n_s)/3)`` — ``∂ ∝ P_Φ^(−1/3)``, ``= |k|`` for n_s = 1 —
    and every term's DC mode is removed. Its bispectrum is exactly the equilateral template
    ``B = 6 f_NL [−(P₁P₂ + 2 perm.) − 2 (P₁P₂P₃)^(2/3) + (P₁^(1/3) P₂^(2/3) P₃ + 5 perm.)]``
    for any triangle (the symmetrised kernel, summed over the three pairs, gives each term of
    the template; the multipliers are scale-free, so their units cancel). (The short form
    ``−3φ² + 4∂⁻¹(φ∂φ) + 2∂⁻²(∂φ)²`` does *not* give the template; the ``φ ∂²φ`` term and the
    minus sign above are SHMC12's / 2LPTPNG's.)

Numerics
    The transformation runs in float64 on the device of ``φ₁`` (a few FFTs of the particle
    mesh, no random numbers: the same seed gives the same Gaussian φ, and f_NL = 0 gives no
    hook at all, i.e. byte-identical Gaussian initial conditions). Products are taken on the
    particle mesh without de-aliasing, as in 2LPTPNG; DC and Nyquist planes of the result are
    zeroed like those of the white noise.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..config import PARAM_NAMES, ConfigError
from .mesh import wavenumbers

#: CAMB's pivot scale of A_s [1/Mpc].
K_PIVOT = 0.05


def bardeen_power(k, A_s: float, ns: float, h: float):
    """P_Φ(k) [(Mpc/h)³] of the primordial potential Φ = (3/5) ζ at ``k`` [h/Mpc] (array or
    tensor, any shape; k > 0): ``(9/25) 2π² A_s k⁻³ (k h / 0.05)^(n_s − 1)``."""
    return (9.0 / 25.0) * 2.0 * np.pi**2 * A_s * k**-3.0 * (k * (h / K_PIVOT)) ** (ns - 1.0)


def _kmag(n: int, box: float, device) -> torch.Tensor:
    """(n, n, n//2+1) float64 |k| [h/Mpc] of an rfftn mesh, with |k| = 1 at DC (never divided by 0)."""
    kx, ky, kz = wavenumbers(n, box, device, torch.float64)
    k = torch.sqrt(kx * kx + ky * ky + kz * kz)
    k[0, 0, 0] = 1.0
    return k


def _zero_dc_and_nyquist(f: torch.Tensor) -> torch.Tensor:
    """Zero the DC mode and the Nyquist planes of an rfftn mesh (n, n, n//2+1), in place."""
    n = f.shape[0]
    f[0, 0, 0] = 0.0
    f[n // 2] = 0.0
    f[:, n // 2] = 0.0
    f[..., -1] = 0.0
    return f


def non_gaussian_potential(phi_k: torch.Tensor, box: float, fnl_loc: float = 0.0, fnl_equil: float = 0.0,
                           ns: float = 1.0) -> torch.Tensor:
    """The primordial potential with local and/or equilateral PNG (module docstring).

    ``phi_k``: (n, n, n//2+1) complex Gaussian φ(k) in unnormalised-FFT units (``irfftn`` gives
    φ(x), dimensionless); ``box`` [Mpc/h]; ``ns`` sets the equilateral operators ∂^α. Returns
    (n, n, n//2+1) complex128 Φ(k) in the same units, DC and Nyquist planes zeroed. The two
    shapes add at first order in f_NL (both are quadratic in the Gaussian φ).
    """
    n = phi_k.shape[0]
    shape = (n, n, n)
    phi_k = phi_k.to(torch.complex128)
    phi = torch.fft.irfftn(phi_k, s=shape)
    out = phi_k.clone()
    if fnl_loc != 0.0:
        out += fnl_loc * torch.fft.rfftn(phi * phi)
    if fnl_equil != 0.0:
        # ∂ = k^((4 − n_s)/3): P_Φ ∝ k^(n_s − 4), so ∂ ∝ P_Φ^(−1/3) whatever the tilt
        d = _kmag(n, box, phi_k.device) ** ((4.0 - ns) / 3.0)
        d_inv = 1.0 / d
        d[0, 0, 0] = 0.0
        d_inv[0, 0, 0] = 0.0
        dphi = torch.fft.irfftn(d * phi_k, s=shape)
        d2phi = torch.fft.irfftn(d * d * phi_k, s=shape)
        quad = -3.0 * torch.fft.rfftn(phi * phi)
        quad += 4.0 * d_inv * torch.fft.rfftn(phi * dphi)
        quad += 2.0 * d_inv * d_inv * torch.fft.rfftn(phi * d2phi - dphi * dphi)
        out += fnl_equil * quad
    return _zero_dc_and_nyquist(out)


@dataclass
class PNGHook:
    """The :data:`.ic.PotentialHook` of a cosmology with f_NL ≠ 0: φ₁ → φ₁ with PNG.

    ``table_k`` [h/Mpc], ``table_p`` [(Mpc/h)³]: the linear P(k) the initial conditions were
    drawn from; ``None`` reads the cached table of ``theta`` (:func:`.linear.linear_table`) when
    the hook is first called. A_s comes from :func:`.linear.primordial_amplitude` (cached, CPU
    precomputable) at that moment too, so building a hook is free.
    """

    theta: np.ndarray
    table_k: np.ndarray | None = None
    table_p: np.ndarray | None = None

    def _param(self, name: str) -> float:
        return float(self.theta[PARAM_NAMES.index(name)])

    def transfer(self, k: torch.Tensor) -> torch.Tensor:
        """M(k) = √(P_lin/P_Φ) at ``k`` [h/Mpc] (float64 tensor, k > 0): δ₀(k) = M(k) Φ(k)."""
        from .ic import interp_loglog
        from .linear import linear_table, primordial_amplitude, table_k

        tk, tp = self.table_k, self.table_p
        if tp is None:
            tk, tp = table_k(), linear_table(self.theta)
        tk = torch.as_tensor(tk, dtype=torch.float64, device=k.device)
        tp = torch.as_tensor(tp, dtype=torch.float64, device=k.device)
        p_phi = bardeen_power(k, primordial_amplitude(self.theta), self._param("ns"), self._param("h"))
        return torch.sqrt(interp_loglog(k, tk, tp) / p_phi)

    def primordial(self, phi1: torch.Tensor, box: float) -> tuple[torch.Tensor, torch.Tensor]:
        """(Φ(k) complex128, M(k) float64), both (n, n, n//2+1), of the Lagrangian potential
        ``phi1`` (unnormalised-FFT units): Φ = δ₀/M = −k² φ₁/M."""
        k = _kmag(phi1.shape[0], box, phi1.device)
        m = self.transfer(k)
        phi = -(k * k) * phi1.to(torch.complex128) / m
        phi[0, 0, 0] = 0.0
        return phi, m

    def __call__(self, phi1: torch.Tensor, box: float) -> torch.Tensor:
        """(n, n, n//2+1) complex64 φ₁ of the non-Gaussian initial conditions (same units)."""
        phi, m = self.primordial(phi1, box)
        phi = non_gaussian_potential(phi, box, self._param("fNL_loc"), self._param("fNL_equil"), self._param("ns"))
        k = _kmag(phi1.shape[0], box, phi1.device)
        return (-m * phi / (k * k)).to(torch.complex64)


def potential_hook(theta, table_k=None, table_p=None) -> PNGHook | None:
    """The PNG hook of ``theta`` ((10,) in ``PARAM_NAMES`` order), ``None`` when both f_NL are 0
    (Gaussian: nothing is transformed, the initial conditions stay byte-identical)."""
    theta = np.asarray(theta, dtype=np.float64)
    t = dict(zip(PARAM_NAMES, theta))
    if not (np.isfinite(t["fNL_loc"]) and np.isfinite(t["fNL_equil"])):
        raise ConfigError(f"f_NL must be finite; got fNL_loc={t['fNL_loc']}, fNL_equil={t['fNL_equil']}")
    if t["fNL_loc"] == 0.0 and t["fNL_equil"] == 0.0:
        return None
    return PNGHook(theta.copy(), table_k, table_p)


def initial_density(theta, seed: int, n: int, box: float, device="cpu") -> np.ndarray:
    """(n, n, n) float64 z = 0 linear density δ₀(x) of the initial conditions of ``theta`` and
    ``seed`` on an n³ particle mesh of side ``box`` [Mpc/h] — non-Gaussian when f_NL ≠ 0 (the
    field whose skewness the tests and the engine page measure)."""
    from .ic import linear_density, white_noise
    from .linear import linear_table, table_k

    tk, tp = table_k(), linear_table(theta)
    delta = linear_density(torch.from_numpy(white_noise(seed, n)).to(device), tk, tp, box).to(torch.complex128)
    hook = potential_hook(theta, tk, tp)
    if hook is not None:
        k2 = _kmag(n, box, delta.device) ** 2
        delta = -k2 * hook(-delta / k2, box).to(torch.complex128)
        delta[0, 0, 0] = 0.0
    return torch.fft.irfftn(delta, s=(n, n, n)).cpu().numpy()


def local_moments_theory(theta, n: int, box: float) -> tuple[float, float]:
    """Ensemble ``(⟨δ₀²⟩, ⟨δ₀³⟩)`` of :func:`initial_density` for local PNG, to first order in
    f_NL^loc, on the same n³ mesh (same modes, same dropped DC/Nyquist planes, same aliasing).

    With δ_G = M∗φ and δ₀ = δ_G + f M∗(φ² − ⟨φ²⟩), Wick's theorem gives
    ``⟨δ₀³⟩ = 6 f [M ∗ C²](0)``, ``C(r) = ⟨δ_G(x) φ(x + r)⟩`` — the linear-theory skewness the
    tests compare the generated field with (an independent FFT computation, no random field).
    """
    from .ic import interp_loglog
    from .linear import linear_table, table_k

    theta = np.asarray(theta, dtype=np.float64)
    hook = PNGHook(theta)
    k = _kmag(n, box, "cpu")
    m = hook.transfer(k)
    p_lin = interp_loglog(k, torch.as_tensor(table_k()), torch.as_tensor(linear_table(theta)))
    keep = _zero_dc_and_nyquist(torch.ones_like(k))  # the modes the white noise fills
    shape = (n, n, n)
    # ⟨|X_k|²⟩ = P n⁶/V in unnormalised-FFT units, so irfftn(P n³/V) is the correlation function
    var = float(torch.fft.irfftn(keep * p_lin * (n**3 / box**3), s=shape)[0, 0, 0])
    c = torch.fft.irfftn(keep * p_lin / m * (n**3 / box**3), s=shape)  # P_δφ = M P_φ = P_lin/M
    fnl = float(theta[PARAM_NAMES.index("fNL_loc")])
    third = 6.0 * fnl * float(torch.fft.irfftn(keep * m * torch.fft.rfftn(c * c), s=shape)[0, 0, 0])
    return var, third


def skewness(delta: np.ndarray) -> tuple[float, float]:
    """(γ₁ = ⟨δ³⟩/⟨δ²⟩^(3/2), S₃ = ⟨δ³⟩/⟨δ²⟩²) of a mean-zero field (any shape)."""
    d = np.asarray(delta, dtype=np.float64)
    d = d - d.mean()
    m2, m3 = float(np.mean(d * d)), float(np.mean(d**3))
    return m3 / m2**1.5, m3 / m2**2


def skewness_study(seed: int, n: int, box: float, edges=(("fNL_loc", 300.0), ("fNL_equil", 600.0))) -> dict:
    """Skewness of the initial density for each PNG shape at ±f_NL (the engine page's figure).

    ``edges``: (parameter, f) pairs, each run at +f and −f on top of the fiducial cosmology with
    ``seed`` on an n³ mesh of side ``box`` [Mpc/h]. Returns ``deltas`` {label: (n, n, n) field}
    (the Gaussian one first), ``gamma`` {shape: ([−f, 0, f], [γ₁ …])} (shape "local" or
    "equilateral") and, for local PNG, ``theory`` {"local": ([−f, f], [γ₁ predicted to first
    order in f_NL])}: the Gaussian
    realisation's γ₁ plus ±⟨δ³⟩/⟨δ²⟩^(3/2) of :func:`local_moments_theory`.
    """
    from ..config import fiducial_vector, get_param, with_params

    gauss = initial_density(fiducial_vector(), seed, n, box)
    g0 = skewness(gauss)[0]
    deltas, gamma, theory = {"Gaussian": gauss}, {}, {}
    for name, f in edges:
        g = {}
        for v in (f, -f):
            d = initial_density(with_params(**{name: v}), seed, n, box)
            deltas[rf"${get_param(name).label} = {v:+.0f}$"] = d
            g[v] = skewness(d)[0]
        shape = {"fNL_loc": "local", "fNL_equil": "equilateral"}[name]
        gamma[shape] = ([-f, 0.0, f], [g[-f], g0, g[f]])
        if shape == "local":
            var, third = local_moments_theory(with_params(fNL_loc=f), n, box)
            gth = third / var**1.5
            theory[shape] = ([-f, f], [g0 - gth, g0 + gth])
    return {"deltas": deltas, "gamma": gamma, "theory": theory}
