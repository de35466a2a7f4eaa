"""Massive neutrinos in the particle-mesh engine: linear response, scale-dependent growth, total matter.

Treatment (the one of issue 5; the numbers behind each choice are in ``tests/test_sim_neutrinos.py``
and the report of issue 5):

* **Particles are CDM + baryons** ("cb"); the neutrinos are not particles but a *linear
  response*: in Fourier space ``δ_ν(k, a) = R(k, a) δ_cb(k, a)`` with ``R = T_ν/T_cb`` from
  CAMB, tabulated at :data:`.linear.NU_TABLE_Z` (z = 99 … 0) and interpolated linearly in
  ln a and ln k. The Poisson source is ``(3/2) Ωm [f_cb δ_cb + f_ν δ_ν]``, i.e. the engine's
  ``(3/2) Ωm δ_cb`` times the multiplier ``μ_ν(k, a) = f_cb + f_ν R(k, a)``
  (f_ν = Ω_ν/Ωm with CAMB's Ω_ν: three degenerate species). Exact in linear theory; on
  non-linear scales it lets ν follow the non-linear cb field with the linear ratio. The ν
  share of δ_m, f_ν R, is small where δ_cb is non-linear (at z = 0 and Mν = 1 eV: 0.034 at
  k = 0.1, 0.006 at k = 0.5 h/Mpc), so the error is of order f_ν R times the non-linear excess
  of δ_cb: ≲ 0.5% in P(k ≤ 0.5 h/Mpc) at 1 eV (an estimate, not measured).
* **Background**: unchanged E(a) — ν are counted in Ωm as matter (see :mod:`.background`).
* **Initial conditions** (Zennaro et al. 2017, as Quijote's ν suites): CAMB's z = 0 linear
  ``P_cb(k)`` is back-scaled to z_init with the *scale-dependent* cb growth ``D(k, a)`` that
  solves the engine's own linear equation,
  ``D'' + (2 + dlnE/dlna) D' = (3/2) Ωm(a) μ_ν(k, a) D`` (' = d/dlna), so the engine
  recovers CAMB's P_cb at z = 0 on linear scales; the initial momenta use the
  scale-dependent rate ``dD/dlna(k)``. 2LPT's second order uses the reference growth below.
* **Time stepping**: the FastPM kick/drift factors are exact for one growth history; they
  use that of the mode ``K_REF`` (:class:`NeutrinoBackground`). Other modes pick up only the
  KDK discretisation error of the difference in growth rate (measured in the tests).
* **Output is total matter**: ``δ_m(k) = δ_cb(k) [f_cb + f_ν R(k, z=0)]`` on the estimator
  mesh (:meth:`NeutrinoModel.total_matter`). P(k) is that of δ_m; the mark is computed from
  the smoothed δ_m and weights the total density, ``m (1 + δ_m) = f_cb m (1 + δ_cb) + f_ν m (1 + δ_ν)``,
  with the cb part painted from the marked particles (as for Mν = 0) and the smooth ν part
  evaluated on the mesh (:meth:`NeutrinoModel.marked_field`).

Everything CAMB-derived comes from the cached tables of :mod:`.linear` (GPU: precompute them).
Mν = 0 never reaches this module, so ΛCDM outputs are unchanged.

Validation (book preset: 500 Mpc/h, 128³ particles, 256³ mesh, 10 steps; fiducial cosmology
with Mν changed at fixed total-matter σ8; seeds 0, 1, 2; CPU). P(Mν)/P(0) against CAMB
HMcode-2020's ratio at k ≈ 0.1 / 0.3 / 0.5 h/Mpc: Mν = 0.1 eV within 0.2% everywhere;
0.4 eV +0.7…+1.1 / −0.1…+0.6 / +0.1…+0.3% (seeds 1, 2); 1 eV +2.6…+4.2 / +1.0…+2.8 /
+0.1…+1.3% — over 2% at k ≈ 0.1–0.3 for 1 eV. Twenty steps change the 1 eV numbers by
≤ 0.1%, and 64³-particle runs in 250 and 500 Mpc/h boxes give +1.4…+3.1%: not time stepping,
not mostly resolution. It is HMcode's: at fixed total σ8 the 1 eV cb spectrum has 25–35% more
power at k ≈ 0.05 h/Mpc than the fiducial, and the mode coupling that feeds k ≈ 0.1 from there
is missing from HMcode's fit. One-loop SPT (:mod:`cosmotransfer.perturbation`, cb loops, ν
linear) puts P(1 eV)/P(0) 3.4% above HMcode's at k = 0.1 (0.4 eV: 1.0%, 0.1 eV: 0.2%), and the
engine (seeds 0–2) is within −0.3% of one loop there and −1.7…−0.2% (mean over seeds) on
0.04 < k < 0.16. Separately, with the ν physics switched off: a ΛCDM run whose initial
spectrum is the 1 eV cb spectrum gives the same excess (its P/P_lin over the fiducial's is
+5.0% at k = 0.106, the ν run's +3.9%), while a ΛCDM run at σ8 = 0.887 follows HMcode's
σ8 response to +0.3…+0.8%. In a linear-amplitude run the 1 eV/0 cb ratio is CAMB's to
−0.2% at k ≤ 0.1, −0.7% at 0.3 and −1.6% at 0.5 h/Mpc. In the first bin (k = 0.018) the ratio equals CAMB's
linear one to −0.06…+0.16% (0.1 eV), −0.3…−0.4% (0.4 eV) and −1.0…+2.0% (1 eV), where the
engine's own linear error is −0.3% (a linear-amplitude run) and the rest is the mildly
non-linear evolution of the box's 13 independent modes there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch
from scipy.integrate import solve_ivp

from ..config import MARK_WINDOW, PARAM_NAMES, ConfigError
from ..stats import marks, smoothing_window
from .background import A_START, Background
from .ic import gradient_k, lattice, linear_density, lpt_displacements
from .linear import neutrino_table, table_grid, table_k
from .mesh import k_squared

#: [h/Mpc] the mode whose growth the FastPM factors are exact for: mid-range (in ln k) of the
#: k the suites measure, 0.009–0.5 h/Mpc. The error it leaves at other k, linear theory, 10
#: steps from z = 9, Mν = 1 eV: −0.14% in amplitude at k = 0.009, +0.03% at 0.5 (tests).
K_REF = 0.2


def has_neutrinos(theta) -> bool:
    """Whether ``theta`` ((10,), ``PARAM_NAMES`` order) has massive neutrinos (Mν > 0)."""
    return float(np.asarray(theta, dtype=np.float64)[PARAM_NAMES.index("Mnu")]) > 0.0


def _lerp_rows(x: float, xs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Row of ``rows`` ((n_x, ...)) linearly interpolated at ``x`` in ascending ``xs``; held
    constant outside."""
    if x <= xs[0]:
        return rows[0]
    if x >= xs[-1]:
        return rows[-1]
    i = int(np.searchsorted(xs, x))
    t = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
    return rows[i - 1] + t * (rows[i] - rows[i - 1])


@dataclass(frozen=True)
class NeutrinoBackground(Background):
    """:class:`.Background` whose ``D1``, ``D2`` and FastPM factors follow one cb mode (:data:`K_REF`):
    :meth:`growth_mu` is that mode's μ_ν(a) = f_cb + f_ν R(K_REF, a), interpolated linearly in
    ln a and held at its z = 99 value before z = 99. ``lna`` (n_z,) ascending ln a of the table,
    ``mu_ref`` (n_z,) μ_ν there. E(a) is the parent's (ν counted as matter in Ωm)."""

    lna: tuple = field(default=(), compare=False)
    mu_ref: tuple = field(default=(), compare=False)

    def growth_mu(self, a):
        return np.interp(np.log(a), self.lna, self.mu_ref)


@dataclass(frozen=True, eq=False)
class NeutrinoModel:
    """The linear neutrino response of one cosmology (from :func:`.linear.neutrino_table`).

    ``k`` (n_k,) [h/Mpc] table wavenumbers; ``lna`` (n_z,) ascending ln a of the tables;
    ``ratio`` (n_z, n_k) R = T_ν/T_cb; ``cb_over_m`` (n_k,) T_cb/T_m at z = 0; ``f_nu`` = Ω_ν/Ωm.
    """

    Om: float
    w: float
    f_nu: float
    k: np.ndarray
    lna: np.ndarray
    ratio: np.ndarray
    cb_over_m: np.ndarray
    _mesh_cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_theta(cls, theta, grid: dict | None = None) -> "NeutrinoModel":
        """The model of ``theta`` (Mν > 0) from the cached tables (computed on the CPU if missing)."""
        theta = np.asarray(theta, dtype=np.float64)
        if not has_neutrinos(theta):
            raise ConfigError("NeutrinoModel needs Mnu > 0; massless neutrinos take the ΛCDM path")
        bg = Background.from_theta(theta)  # checks the rest of theta's background
        grid = grid or table_grid()
        t = neutrino_table(theta, grid)
        lna = -np.log1p(t["z"])  # the tables run from high z to z = 0: ascending a
        if np.any(np.diff(lna) <= 0):  # pragma: no cover - guards the table format
            raise RuntimeError("neutrino table redshifts must decrease")
        return cls(Om=bg.Om, w=bg.w, f_nu=float(t["omega_nu"][0]) / bg.Om, k=table_k(grid),
                   lna=lna, ratio=t["ratio"], cb_over_m=t["cb_over_m"])

    # ---- linear theory ---------------------------------------------------------------
    def mu(self, a: float) -> np.ndarray:
        """(n_k,) μ_ν(k, a) = f_cb + f_ν R(k, a) on ``k``."""
        return 1.0 - self.f_nu + self.f_nu * _lerp_rows(float(np.log(a)), self.lna, self.ratio)

    def _mu_at(self, kq: float) -> np.ndarray:
        """(n_z,) μ_ν(kq, a) at the table's ln a (interpolated in ln k)."""
        r = np.array([np.interp(np.log(kq), np.log(self.k), row) for row in self.ratio])
        return 1.0 - self.f_nu + self.f_nu * r

    @cached_property
    def background(self) -> NeutrinoBackground:
        """Expansion, reference-mode growth and FastPM factors (mode :data:`K_REF`)."""
        return NeutrinoBackground(Om=self.Om, w=self.w, lna=tuple(self.lna), mu_ref=tuple(self._mu_at(K_REF)))

    def growth(self, a: float, k=None) -> tuple[np.ndarray, np.ndarray]:
        """Scale-dependent linear cb growth at scale factor ``a``: ``(D, dD/dlna)``, each (n_k,)
        on ``k`` [h/Mpc] (default: the table's), normalised to D(k, 1) = 1.

        Solves ``D'' + (2 + dlnE/dlna) D' = (3/2) Ωm(a) μ_ν(k, a) D`` in ln a from the
        matter-era mode D = a at ``A_START`` (a decaying mode left by that start falls as
        a^(-5/2) relative to the growing one: ~1e-5 by z = 9), with μ_ν held at its z = 99 value
        before z = 99 — the equation the engine integrates (checked against CAMB in the tests).
        """
        kq = self.k if k is None else np.asarray(k, dtype=np.float64)
        bg = self.background
        lk, lkt = np.log(kq), np.log(self.k)
        mu_nodes = np.array([np.interp(lk, lkt, 1.0 - self.f_nu + self.f_nu * row) for row in self.ratio])

        def rhs(lna, y):
            d, dp = y[: len(kq)], y[len(kq):]
            a_ = np.exp(lna)
            src = 1.5 * float(bg.Om_a(a_)) * _lerp_rows(lna, self.lna, mu_nodes)
            return np.concatenate([dp, -(2.0 + float(bg.dlnE_dlna(a_))) * dp + src * d])

        y0 = np.full(2 * len(kq), A_START)
        t_eval = sorted({float(np.log(a)), 0.0})
        sol = solve_ivp(rhs, (np.log(A_START), 0.0), y0, t_eval=t_eval, method="DOP853", rtol=1e-9, atol=1e-14)
        if not sol.success:  # pragma: no cover - smooth ODE
            raise RuntimeError(f"neutrino growth ODE failed: {sol.message}")
        i = t_eval.index(float(np.log(a)))
        d1 = sol.y[: len(kq), -1]
        return sol.y[: len(kq), i] / d1, sol.y[len(kq):, i] / d1

    # ---- on a mesh -------------------------------------------------------------------
    def _on_mesh(self, kmag: torch.Tensor, values: np.ndarray) -> torch.Tensor:
        """``values`` (n_k,) on ``k`` interpolated (linearly in ln k, held at the ends) to the
        |k| mesh ``kmag`` [h/Mpc]: float32, shaped and placed like ``kmag``.

        A mesh has few distinct |k| (n = 256: 49k of 8.4M modes): interpolate on those and
        gather. The distinct values of the last mesh are kept (every PM step asks for the same mesh).
        """
        key = (kmag.data_ptr(), tuple(kmag.shape), str(kmag.device))
        if self._mesh_cache.get("key") != key:
            uniq, inverse = torch.unique(kmag, return_inverse=True)
            self._mesh_cache.update(key=key, ref=kmag,  # ref: the key's memory stays in use
                                      lk=np.log(np.clip(uniq.double().cpu().numpy(), self.k[0], self.k[-1])),
                                      inverse=inverse)
        w = self._mesh_cache
        lut = np.interp(w["lk"], np.log(self.k), values).astype(np.float32)
        return torch.from_numpy(lut).to(kmag.device)[w["inverse"]]

    def multiplier(self, base=None):
        """The Poisson-kernel multiplier ``(|k| mesh, a) -> μ_ν(k, a)`` of :mod:`.pm`, times
        ``base(k, a)`` (another physics' multiplier, e.g. f(R)) when given."""
        def mult(kmag: torch.Tensor, a: float) -> torch.Tensor:
            m = self._on_mesh(kmag, self.mu(a))
            return m if base is None else m * base(kmag, a)

        return mult

    def total_matter(self, n: int, box: float, device) -> torch.Tensor:
        """(n, n, n//2+1) float32 δ_m/δ_cb = f_cb + f_ν R(k, z=0) on an ``n``³ rfftn mesh."""
        return self._on_mesh(torch.sqrt(k_squared(n, box, device)), self.mu(1.0))

    def marked_field(self, cic, box: float, R: float, p: float, delta_s: float):
        """Total-matter version of :func:`cosmotransfer.stats.marked_field` for cb particles ``cic``.

        Returns ``(delta_m, delta_M, m)``: the (n, n, n) float32 total-matter contrast, the
        marked total contrast m(x)(1 + δ_m)/mean − 1 (cb part painted from the marked
        particles, ν part on the mesh), and the (N,) float32 marks, computed from δ_m smoothed
        with a top-hat of radius ``R`` [Mpc/h].
        """
        n = cic.n
        shape = (n, n, n)
        delta_cb = cic.contrast()
        dk = torch.fft.rfftn(delta_cb)
        del delta_cb
        resp = self.total_matter(n, box, dk.device)
        f_cb, f_nu = 1.0 - self.f_nu, self.f_nu
        # δ_ν = R δ_cb, and (f_cb + f_ν R) = resp  →  R = (resp − f_cb)/f_ν
        delta_nu = torch.fft.irfftn(dk * ((resp - f_cb) / f_nu), s=shape)
        dk.mul_(resp)
        delta_m = torch.fft.irfftn(dk, s=shape)
        delta_R = torch.fft.irfftn(dk * smoothing_window(MARK_WINDOW, n, box, R, dk.device), s=shape)
        del dk
        m = marks(cic.read(delta_R), p, delta_s).to(torch.float32)
        # Σ over cells of the marked cb mass is Σ m_i · n³/N; the ν part is m(x)(1 + δ_ν) per cell
        rho = cic.paint(m).mul_(f_cb * n**3 / cic.n_particles)
        rho.add_(marks(delta_R, p, delta_s).mul_(delta_nu.add_(1.0)), alpha=f_nu)
        delta_marked = rho.div_(rho.double().mean().float()).sub_(1.0)
        return delta_m, delta_marked, m

    # ---- initial conditions ----------------------------------------------------------
    def initial_conditions(self, noise: torch.Tensor, table_p: np.ndarray, box: float, z_init: float,
                           potential_hook=None):
        """2LPT cb particles at ``z_init`` with scale-dependent growth (module docstring).

        ``noise``: (n_p, n_p, n_p//2+1) white noise on the device; ``table_p`` (n_k,) the z = 0
        linear total-matter P(k) [(Mpc/h)³] on ``k`` (:func:`.linear.linear_table`). Returns ``(pos, mom, delta0)``:
        (N, 3) float32 positions [Mpc/h] and momenta a³E dx/da, and the (n_p, n_p, n_p//2+1)
        complex64 z = 0 linear cb density they were made from (``potential_hook``, a PNG
        transformation of φ₁, applied to it).
        """
        bg = self.background
        n = noise.shape[0]
        dev = noise.device
        delta0 = linear_density(noise, self.k, table_p * self.cb_over_m**2, box)  # P_cb = P_m (T_cb/T_m)²
        kx, ky, kz = gradient_k(n, box, dev)
        k2 = k_squared(n, box, dev).clone()
        k2[0, 0, 0] = 1.0
        if potential_hook is not None:
            delta0 = -k2 * potential_hook(-delta0 / k2, box)
        a0 = 1.0 / (1.0 + z_init)
        d, dd = self.growth(a0)
        kmag = torch.sqrt(k2)
        # 2LPT from the actual z_init field: x = q + ψ1 + (D2/D1²) ψ2, where ψ2 ∝ D1² of that field
        psi1, psi2 = lpt_displacements(delta0 * self._on_mesh(kmag, d), box)
        dv = delta0 * self._on_mesh(kmag, dd)
        phi_v = -dv / k2
        psi1_v = torch.stack([torch.fft.irfftn(-1j * g * phi_v, s=(n, n, n)).reshape(-1) for g in (kx, ky, kz)], dim=1)
        d1 = float(bg.D1(a0))
        pos = lattice(n, box, dev)
        pos += psi1 + (float(bg.D2(a0)) / d1**2) * psi2
        # p = a³E dx/da = a²E dx/dlna
        mom = (a0 * a0 * float(bg.E(a0))) * (psi1_v + (float(bg.dD2_dlna(a0)) / d1**2) * psi2)
        return pos, mom, delta0


# ---- responses of the statistics (the degeneracy check of the book) ----------------------
def response_cosine(x: np.ndarray, y: np.ndarray, weights=1.0) -> float:
    """Cosine of the angle between two response vectors over the k bins ((n_k,) each), with
    per-bin ``weights`` (e.g. the modes per bin): |cos| → 1 means the two parameters move the
    statistic alike, i.e. are degenerate in it."""
    return float((weights * x) @ y / np.sqrt(((weights * x) @ x) * ((weights * y) @ y)))
