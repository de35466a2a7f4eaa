"""Background expansion, linear growth to second order, and the FastPM time-stepping factors.

Units: the scale factor ``a`` is dimensionless, time is measured in 1/H0, comoving lengths in
Mpc/h. The particle momentum is ``p = a³ E(a) dx/da`` (Mpc/h in these units), so the equations
of motion of the particle-mesh engine are

    dx/da = p / (a³ E),      dp/da = -∇φ / (a² E),      ∇²φ = (3/2) Ωm δ,

with ``E(a) = H(a)/H0``. The universe is flat, filled with pressureless matter (CDM + baryons,
one fluid, as in Quijote's Gadget runs) and dark energy with a constant equation of state ``w``;
radiation is left out, as in the N-body codes the book mirrors (its share at z = 9 is < 0.1%).
Massive neutrinos (:mod:`.neutrinos`) are part of Ωm here: at z ≤ 9 they are non-relativistic
(the excess of their energy density over ρ ∝ a⁻³ changes E(a) by < 4e-4 at Mν = 0.01 eV, less
at larger masses), so E(a) is unchanged; their scale-dependent growth is
:class:`.neutrinos.NeutrinoBackground`, which sets :meth:`Background.growth_mu`.

Growth: ``D1`` (first order) and ``D2`` (second order, 2LPT) solve, in ``ln a``,

    D1'' + (2 + dlnE/dlna) D1' − (3/2) Ωm(a) D1 = 0
    D2'' + (2 + dlnE/dlna) D2' − (3/2) Ωm(a) D2 = −(3/2) Ωm(a) D1²

from the matter-dominated growing mode (D1 = a, D2 = −3/7 a²) at a = 1e-3, normalised to
``D1(1) = 1`` (so ``D2 ≈ −3/7 D1²`` at early times, the 2LPT convention of Scoccimarro 1998).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.integrate import solve_ivp
from scipy.interpolate import CubicHermiteSpline

from ..config import PARAM_NAMES, ConfigError

A_START = 1e-3  # where the growth ODE starts from the matter-dominated growing mode
_N_GRID = 2048  # ln a samples of the dense growth table


@dataclass(frozen=True)
class Background:
    """Flat wCDM background: ``Om`` (total matter) and ``w`` (constant)."""

    Om: float
    w: float = -1.0

    @classmethod
    def from_theta(cls, theta) -> "Background":
        """The background of a full parameter vector ((10,) in ``PARAM_NAMES`` order)."""
        t = dict(zip(PARAM_NAMES, np.asarray(theta, dtype=np.float64)))
        if t["Mnu"] < 0.0:
            raise ConfigError(f"Mnu={t['Mnu']} eV: the sum of neutrino masses cannot be negative; use Mnu ≥ 0")
        # Mν > 0: ν are matter at z ≤ 9 (module docstring); their growth is .neutrinos'
        return cls(Om=float(t["Om"]), w=float(t["w"]))

    # ---- expansion ---------------------------------------------------------------------
    def e2(self, a):
        """E(a)² = H²/H0² (flat: Ω_DE = 1 − Ωm)."""
        a = np.asarray(a, dtype=np.float64)
        return self.Om * a**-3 + (1.0 - self.Om) * a ** (-3.0 * (1.0 + self.w))

    def E(self, a):
        return np.sqrt(self.e2(a))

    def dlnE_dlna(self, a):
        a = np.asarray(a, dtype=np.float64)
        de = (1.0 - self.Om) * a ** (-3.0 * (1.0 + self.w))
        return -1.5 * (self.Om * a**-3 + (1.0 + self.w) * de) / self.e2(a)

    def Om_a(self, a):
        """Ωm(a) = Ωm a⁻³ / E²."""
        a = np.asarray(a, dtype=np.float64)
        return self.Om * a**-3 / self.e2(a)

    # ---- growth ------------------------------------------------------------------------
    def growth_mu(self, a):
        """Multiplier of the Poisson source felt by the mode that ``D1`` describes: 1 for cold
        matter in GR (:class:`.neutrinos.NeutrinoBackground` overrides it)."""
        return 1.0

    @cached_property
    def _growth(self) -> dict[str, CubicHermiteSpline]:
        def rhs(lna, y):
            a = np.exp(lna)
            d1, d1p, d2, d2p = y
            fric = 2.0 + self.dlnE_dlna(a)
            src = 1.5 * self.Om_a(a) * self.growth_mu(a)
            return [d1p, -fric * d1p + src * d1, d2p, -fric * d2p + src * (d2 - d1 * d1)]

        lna = np.linspace(np.log(A_START), 0.0, _N_GRID)
        a0 = A_START
        y0 = [a0, a0, -3.0 / 7.0 * a0**2, -6.0 / 7.0 * a0**2]
        sol = solve_ivp(rhs, (lna[0], 0.0), y0, t_eval=lna, method="DOP853", rtol=1e-10, atol=1e-14)
        if not sol.success:  # pragma: no cover - smooth ODE, never seen
            raise RuntimeError(f"growth ODE failed for {self}: {sol.message}")
        d1, d1p, d2, d2p = sol.y
        n1 = d1[-1]
        d1, d1p, d2, d2p = d1 / n1, d1p / n1, d2 / n1**2, d2p / n1**2
        # d/dlna of the derivatives from the ODE itself, so the Hermite splines are C¹-exact
        a = np.exp(lna)
        fric, src = 2.0 + self.dlnE_dlna(a), 1.5 * self.Om_a(a) * self.growth_mu(a)
        d1pp = -fric * d1p + src * d1
        d2pp = -fric * d2p + src * (d2 - d1 * d1)
        return {
            "D1": CubicHermiteSpline(lna, d1, d1p), "dD1": CubicHermiteSpline(lna, d1p, d1pp),
            "D2": CubicHermiteSpline(lna, d2, d2p), "dD2": CubicHermiteSpline(lna, d2p, d2pp),
        }

    def _eval(self, name: str, a):
        a = np.asarray(a, dtype=np.float64)
        if np.any(a < A_START) or np.any(a > 1.0 + 1e-12):
            raise ConfigError(f"growth is tabulated for {A_START} ≤ a ≤ 1; got a in [{a.min()}, {a.max()}]")
        return self._growth[name](np.log(a))

    def D1(self, a):
        """First-order growth, D1(1) = 1."""
        return self._eval("D1", a)

    def D2(self, a):
        """Second-order growth, ≈ −3/7 D1² early on."""
        return self._eval("D2", a)

    def dD1_dlna(self, a):
        return self._eval("dD1", a)

    def dD2_dlna(self, a):
        return self._eval("dD2", a)

    def f1(self, a):
        """Growth rate dlnD1/dlna."""
        return self.dD1_dlna(a) / self.D1(a)

    # ---- FastPM factors (Feng et al. 2016) ---------------------------------------------
    def Gp(self, a):
        """a³ E dD1/da: the momentum of the linear growing mode per unit displacement."""
        a = np.asarray(a, dtype=np.float64)
        return a * a * self.E(a) * self.dD1_dlna(a)

    def drift_factor(self, a0: float, a1: float, ac: float) -> float:
        """x(a1) = x(a0) + p(ac) · factor: exact for the linear growing mode."""
        return float((self.D1(a1) - self.D1(a0)) / self.Gp(ac))

    def kick_factor(self, a0: float, a1: float, ac: float) -> float:
        """p(a1) = p(a0) + F(ac) · factor with F = −∇φ: exact for the linear growing mode.

        In linear theory F = (3/2) Ωm μ D1 ψ and dGp/da = (3/2) Ωm μ D1 / (a² E) (μ = :meth:`growth_mu`),
        so Δp = ψ ΔGp = F(ac) ΔGp / ((3/2) Ωm μ(ac) D1(ac)).
        """
        return float((self.Gp(a1) - self.Gp(a0)) / (1.5 * self.Om * self.growth_mu(ac) * self.D1(ac)))


def time_steps(z_init: float, n_steps: int) -> np.ndarray:
    """(n_steps + 1,) scale factors from 1/(1+z_init) to 1, uniform in a (FastPM's default).

    Uniform-a steps put most of the steps where structure grows non-linearly; with the FastPM
    factors the linear growth is exact whatever the spacing.
    """
    if n_steps < 1 or z_init <= 0:
        raise ConfigError(f"need n_steps ≥ 1 and z_init > 0; got n_steps={n_steps}, z_init={z_init}")
    return np.linspace(1.0 / (1.0 + z_init), 1.0, n_steps + 1)
