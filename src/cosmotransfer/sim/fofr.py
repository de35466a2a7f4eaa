"""Hu–Sawicki f(R) gravity (n = 1) in the particle-mesh engine, with thin-shell screening.

Model (Hu & Sawicki 2007, parameterised by f_R0 as in Quijote-MG / MG-Gadget): the background
is ΛCDM's (it differs by O(|f_R0|) ≲ 0.1%), and the scalaron f_R = df/dR follows
its background value

    f_R(a) = f_R0 · [r0 / r(a)]²,   r(a) = Ωm a⁻³ + 4 ΩΛ,   r0 = r(1) = Ωm + 4 ΩΛ   (n = 1),

with ``R(a) = 3 H0² r(a)``. Its mass, m² = 1 / (3 f_RR), is (physical, h/Mpc)

    m²(a) = (H0/c)² · r(a)³ / (2 |f_R0| r0²),      H0/c = 1/2997.92458 h/Mpc,

and the Poisson equation of the linear theory gains a Yukawa-like fifth force:

    φ = φ_N + φ_5,   φ_5(k) = (μ(k, a) − 1) φ_N(k),   μ(k, a) = 1 + (1/3) k² / (k² + a² m²(a))

(k comoving [h/Mpc]; μ → 1 above the Compton wavelength, 4/3 well inside it).

Screening (the thin-shell approximation of Winther & Ferreira 2015, PRD 91, 123507, as in
MG-PICOLA's ``ComputeFifthForce_PotentialScreening``): the source of the fifth force is the
density contrast times a factor that switches it off in deep potential wells,

    ∇²φ_5 − a² m² φ_5 = (1/3) S(x) ∇²φ_N,    S(x) = min(1, |3 f_R(a) / (2 Φ_N(x))|) where Φ_N < 0,
                                             S(x) = 1 where Φ_N ≥ 0,

with Φ_N the Newtonian potential in units of c². The engine's φ (see :mod:`.background`) solves
∇²φ = (3/2) Ωm δ with comoving ∇ in h/Mpc and the kick ``dp/da = −∇φ/(a² E)``; the physical
peculiar potential solves ∇²Φ = 4πG ρ̄ a² δ = (3/2) Ωm H0² δ / a, so

    Φ_N / c² = φ / (a (c/H0)²),     c/H0 = 2997.92458 Mpc/h,

and ``S`` compares ``|φ|`` with ``(3/2) |f_R(a)| a (c/H0)²``. No smoothing of Φ_N is applied
(MG-PICOLA applies none for chameleons): the force mesh's CIC already smooths it on the cell scale.
The thin-shell factor also screens the long-wavelength part of the source, which the full
f(R) equation leaves unscreened, so below :data:`K_LINEAR` = 0.1 h/Mpc the fifth force blends
into its linear value, φ_5 → G φ_5,lin + (1 − G) φ_5 with G = exp(−k²/(2 K_LINEAR²)) (the
"enforce large-scale linear" option of Winther's FML COLA code). Cost: five FFTs of the force
mesh per step instead of GR's two (book preset on one CPU thread: GR twin plus four f(R) runs
in 74 s).

Initial conditions are GR's (the suite's σ8 is that of the GR twin, as in Quijote-MG's design);
f(R) acts through gravity only, so an f(R) run and its GR twin with the same seed share their
initial particles. :func:`sigma8_fR` gives the linear σ8 of the f(R) cosmology (derived column),
from the scale-dependent linear growth ODE (:func:`linear_growth_ratio`).

Massive neutrinos compose with f(R) through the Poisson equation: their k-space multiplier
makes φ_N the potential of the total matter, whose curvature is then the (screened) source of φ_5.

Validation (book preset: 500 Mpc/h, 128³ particles, 256³ mesh, 10 steps; fiducial cosmology;
CPU): the boost P_fR/P_GR against fremu (Mν = 0.01, its floor) from fremu's first k (0.028) to
0.5 h/Mpc deviates by at most 0.8 / 1.1 / 1.6 / 3.6% for f_R0 = −1e-6 / −1e-5 / −1e-4 / −3e-4
with seed 1 and 0.8 / 1.1 / 1.4 / 3.9% with seed 2. The −3e-4 excess is at k = 0.043, where
the engine follows linear theory and fremu strays from bin to bin: on its own k grid its
boost over linear theory is 0.925, 0.986, 0.939, 0.985 at k = 0.028, 0.034, 0.040, 0.047
(non-monotonic: 1.128 → 1.098 → 1.174, where a physical boost grows smoothly with k), the
sample variance of the Quijote-MG boxes it was trained on; from k = 0.056 on the engine is
within 2.5% of fremu (seeds 1, 2; at most 2.4% at k ≥ 0.1). Without screening the boost overshoots fremu by 6 / 10 / 4.4 / 4.6%.
In the first bin (k = 0.018) the boost is linear theory's (:func:`linear_boost`) to 0.1%
(without screening: 0.05%). Time steps (the FastPM factors are GR's): at k ≤ 0.5 h/Mpc
ten steps under-estimate the boost of forty by at most 0.13% (−1e-5) and 0.67% (−1e-4), twenty
by 0.03% and 0.13%; for −3e-4 ten steps are 0.85% under twenty. The preset's ten steps suffice.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..config import PARAM_NAMES, ConfigError
from .background import A_START, Background
from .mesh import k_squared

#: c/H0 [Mpc/h]
C_OVER_H0 = 2997.92458
#: The f_R0 range the engine accepts: Quijote-MG's prior, where the ΛCDM background holds and
#: the fremu validation was done.
FR0_RANGE = (-3e-4, 0.0)
#: [h/Mpc] below which the fifth force blends into its linear (unscreened) value (FofRGravity).
#: Measured at the book preset (fiducial, seed 1, f_R0 = −1e-5 / −1e-4): pure thin-shell
#: screening leaves the first bin (k = 0.018) 0.35 / 0.41% under linear theory and the boost up
#: to 2.4 / 2.6% under fremu near k ≈ 0.08; blending at 0.1 h/Mpc (the value of FML's COLA
#: examples) gives 0.1% and 1.1 / 1.6%; at 0.05 h/Mpc 1.9 / 2.1%; at 0.2 h/Mpc, which lets
#: the linear force through where screening acts, 4.6 / 2.5%.
K_LINEAR = 0.1


@dataclass(frozen=True)
class HuSawicki:
    """Hu–Sawicki n = 1 on a flat ΛCDM background: ``Om`` total matter, ``fR0`` ≤ 0."""

    Om: float
    fR0: float

    @classmethod
    def from_theta(cls, theta) -> "HuSawicki | None":
        """The model of a (10,) parameter vector, ``None`` for GR (f_R0 = 0); ConfigError outside
        :data:`FR0_RANGE` or with w ≠ −1."""
        t = dict(zip(PARAM_NAMES, np.asarray(theta, dtype=np.float64)))
        fR0 = float(t["fR0"])
        if fR0 == 0.0:
            return None
        lo, hi = FR0_RANGE
        if not lo <= fR0 <= hi:
            raise ConfigError(f"fR0={fR0}: the engine's Hu–Sawicki f(R) takes {lo} ≤ fR0 ≤ {hi} "
                              "(Quijote-MG's prior; fR0 > 0 has a tachyonic scalaron)")
        if t["w"] != -1.0:
            raise ConfigError(f"fR0={fR0} with w={t['w']}: Hu–Sawicki f(R) mimics a ΛCDM background; set w = -1")
        return cls(Om=float(t["Om"]), fR0=fR0)

    def _r(self, a):
        a = np.asarray(a, dtype=np.float64)
        return self.Om * a**-3 + 4.0 * (1.0 - self.Om)

    def fR(self, a):
        """f_R(a) (dimensionless, ≤ 0): the background scalaron."""
        return self.fR0 * (self._r(1.0) / self._r(a)) ** 2

    def mass2(self, a):
        """m²(a) [(h/Mpc)²], physical: m² = 1/(3 f_RR)."""
        return self._r(a) ** 3 / (2.0 * abs(self.fR0) * self._r(1.0) ** 2) / C_OVER_H0**2

    def mu(self, k, a):
        """μ(k, a) = 1 + k²/(3 (k² + a² m²)): the linear Poisson multiplier, ``k`` comoving [h/Mpc]."""
        k2 = np.asarray(k, dtype=np.float64) ** 2
        return 1.0 + k2 / (3.0 * (k2 + a * a * self.mass2(a)))

    def phi_screen(self, a) -> float:
        """(3/2) |f_R(a)| a (c/H0)² [(Mpc/h)² H0²]: the engine-unit potential depth beyond which
        the fifth force is screened (|3 f_R / (2 Φ_N)| = 1 with Φ_N/c² = φ / (a (c/H0)²))."""
        return float(1.5 * abs(self.fR(a)) * a * C_OVER_H0**2)


class FofRGravity:
    """The f(R) gravity modification of :meth:`.pm.ParticleMesh.potential`.

    Called with the Newtonian potential ``phi_k`` ((n, n, n//2+1) complex64, rfftn layout,
    [(Mpc/h)² H0²]), the scale factor and the :class:`.pm.ParticleMesh`; returns the (n, n, n)
    float32 total potential φ_N + φ_5 in the same units. ``screening=False`` gives the linear
    (unscreened) theory: a pure multiplier μ(k, a). ``k_linear`` [h/Mpc] (screened only): blend
    the linear φ_5 in on large scales, φ_5 → G φ_5,lin + (1 − G) φ_5,screened with the Gaussian
    low-pass G = exp(−k²/(2 k_linear²)) (FML's "enforce large-scale linear" option), because the
    thin-shell factor also screens the long-wavelength part of the source, which linear theory
    (and the full f(R) equation) leave unscreened.
    """

    def __init__(self, model: HuSawicki, screening: bool = True, k_linear: float | None = None):
        self.model, self.screening, self.k_linear = model, screening, k_linear

    def screening_factor(self, phi: torch.Tensor, a: float) -> torch.Tensor:
        """S(x) = min(1, φ_screen(a) / |φ|) where φ < 0, else 1; ``phi`` (n, n, n) engine units."""
        depth = self.model.phi_screen(a)
        return torch.clamp(-phi, min=depth).reciprocal_().mul_(depth)

    def __call__(self, phi_k: torch.Tensor, a: float, pm) -> torch.Tensor:
        n = pm.n
        k2 = k_squared(n, pm.box, pm.device)  # cached: read only
        am2 = float(a * a * self.model.mass2(a))
        if not self.screening:
            return torch.fft.irfftn(phi_k * (1.0 + k2 / (3.0 * (k2 + am2))), s=(n, n, n))
        # ∇²φ_N = (3/2) Ωm δ (the Green's function is −1/k², so −k² φ_N(k) is the source exactly)
        phi = torch.fft.irfftn(phi_k, s=(n, n, n))
        src = torch.fft.irfftn(phi_k * k2, s=(n, n, n)).neg_()
        src.mul_(self.screening_factor(phi, a))
        # (k² + a²m²) φ_5 = −(1/3) S ∇²φ_N; the mean of S δ is not a source (the DC mode is dropped)
        phi5_k = torch.fft.rfftn(src).mul_(-1.0 / 3.0).div_(k2 + am2)
        phi5_k[0, 0, 0] = 0.0
        if self.k_linear is not None:
            g = torch.exp(k2 * (-0.5 / self.k_linear**2))
            phi5_k.mul_(1.0 - g).add_(phi_k * (g * k2 / (3.0 * (k2 + am2))))
        return phi.add_(torch.fft.irfftn(phi5_k, s=(n, n, n)))


def gravity_modification(theta, screening: bool = True, k_linear: float | None = K_LINEAR) -> FofRGravity | None:
    """The gravity hook of :func:`.pm.evolve` for ``theta``: ``None`` in GR (f_R0 = 0). The engine
    uses the defaults (thin-shell screening, linear blend below :data:`K_LINEAR`)."""
    model = HuSawicki.from_theta(theta)
    return None if model is None else FofRGravity(model, screening, k_linear)


# ---- linear theory -----------------------------------------------------------------------
def linear_growth_ratio(Om: float, fR0: float, k, a: float = 1.0) -> np.ndarray:
    """D_fR(k, a) / D_GR(a): (len(k),) float64 for ``k`` [h/Mpc] on a flat ΛCDM background.

    Solves D'' + (2 + dlnE/dlna) D' − (3/2) Ωm(a) μ(k, a) D = 0 in ln a from the matter-dominated
    growing mode at a = 1e-3 (where μ − 1 < 1e-9 over the prior), once with μ and once with
    μ = 1, so that the ratio carries no integration error common to both.
    """
    from scipy.integrate import solve_ivp

    k = np.atleast_1d(np.asarray(k, dtype=np.float64))
    if fR0 == 0.0:
        return np.ones_like(k)
    bg, model = Background(Om), HuSawicki(Om, fR0)
    nk = len(k)

    def rhs(lna, y):
        x = np.exp(lna)
        d, dp = y[: nk + 1], y[nk + 1:]
        mu = np.append(model.mu(k, x), 1.0)  # the last column is GR
        return np.concatenate([dp, -(2.0 + bg.dlnE_dlna(x)) * dp + 1.5 * bg.Om_a(x) * mu * d])

    y0 = np.concatenate([np.full(nk + 1, A_START), np.full(nk + 1, A_START)])
    sol = solve_ivp(rhs, (np.log(A_START), np.log(a)), y0, method="DOP853", rtol=1e-9, atol=1e-14)
    if not sol.success:  # pragma: no cover - smooth ODE
        raise RuntimeError(f"f(R) growth ODE failed: {sol.message}")
    d = sol.y[: nk + 1, -1]
    return d[:nk] / d[nk]


def linear_boost(theta, k, a: float = 1.0) -> np.ndarray:
    """(len(k),) P_lin,fR / P_lin,GR = (D_fR/D_GR)² at ``k`` [h/Mpc] for a (10,) ``theta``."""
    t = dict(zip(PARAM_NAMES, np.asarray(theta, dtype=np.float64)))
    HuSawicki.from_theta(theta)  # range checks
    return linear_growth_ratio(float(t["Om"]), float(t["fR0"]), k, a) ** 2


def sigma8_fR(theta) -> float:
    """Linear σ8 at z = 0 of the f(R) cosmology whose GR twin has σ8 = ``theta``'s s8.

    σ8_fR² = ∫ P_GR(k) B_lin(k) W²(8k) k² dk / ∫ P_GR(k) W²(8k) k² dk × σ8_GR², with the GR
    linear P(k) of :func:`.linear.linear_table` (cached; CAMB on a miss) and the linear boost
    B_lin of :func:`linear_boost` (top-hat W, R = 8 Mpc/h). Equals s8 for f_R0 = 0. With Mν > 0
    the boost is that of a massless universe with the same total Ωm (the neutrinos' own
    suppression is in P_GR), an approximation good to the f_ν fraction of the f(R) effect.
    """
    from ..stats import tophat_window
    from .linear import linear_table, table_k

    t = dict(zip(PARAM_NAMES, np.asarray(theta, dtype=np.float64)))
    if HuSawicki.from_theta(theta) is None:
        return float(t["s8"])
    k = table_k()
    w2 = tophat_window(torch.from_numpy(8.0 * k)).numpy() ** 2
    integrand = linear_table(theta) * w2 * k**3  # d ln k measure
    lnk = np.log(k)
    ratio = np.trapezoid(integrand * linear_boost(theta, k), lnk) / np.trapezoid(integrand, lnk)
    return float(t["s8"] * np.sqrt(ratio))


def fremu_k_min() -> float:
    """fremu's first k [h/Mpc] (0.028): below it :func:`cosmotransfer.cosmology.fR_boost`
    extrapolates (∝ k² to 1), so comparisons with the engine start there."""
    from ..cosmology import fremu_emulator

    return float(fremu_emulator().ks[0])
