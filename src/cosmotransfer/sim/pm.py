"""Particle-mesh gravity and the FastPM kick-drift-kick integrator (Feng et al. 2016).

Force: paint the particles with CIC on the force mesh (finer than the particle lattice),
solve ``∇²φ = (3/2) Ωm δ`` with the Green's function ``−1/k²`` times the optional
``poisson_multiplier(k, a)`` hook (a pure k-space factor: massive neutrinos), pass the result
through the optional ``gravity`` hook (a modification that needs the potential in real space:
screened f(R), :mod:`.fofr`), take the gradient with the 4-point finite difference in real
space, and read it back at the particles with CIC.

Time stepping: KDK with the FastPM factors of :class:`.background.Background`, which make the
linear growing mode exact at any step size; only the positions at a = 1 are needed (real-space
summaries), so the last half kick is skipped and ``n_steps`` steps cost ``n_steps`` force
evaluations.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from .background import Background, time_steps
from .mesh import CIC, k_squared

#: A scale- and time-dependent multiplier of the Poisson kernel: (|k| mesh [h/Mpc], a) -> mesh.
PoissonMultiplier = Callable[[torch.Tensor, float], torch.Tensor]
#: A gravity modification: (φ_N(k) (n, n, n//2+1) complex [(Mpc/h)² H0²], a, ParticleMesh) ->
#: the (n, n, n) real total potential in the same units (e.g. :class:`.fofr.FofRGravity`).
GravityModification = Callable[[torch.Tensor, float, "ParticleMesh"], torch.Tensor]


def poisson_multiplier(theta) -> PoissonMultiplier | None:
    """The modified-gravity / neutrino multiplier of the Poisson kernel for ``theta``.

    General relativity with cold matter needs none (``None``). Screened f(R) is not a pure
    multiplier: it enters through the ``gravity`` hook (:func:`.fofr.gravity_modification`).
    """
    return None


class ParticleMesh:
    """Gravity on an ``n³`` periodic mesh of side ``box`` [Mpc/h] for ``n_particles`` particles.

    The Green's function (with the DC mode removed) is built once and reused for every force
    evaluation and every simulation on the same mesh.
    """

    def __init__(self, n: int, box: float, device):
        self.n, self.box, self.device = n, float(box), torch.device(device)
        k2 = k_squared(n, box, self.device).clone()
        k2[0, 0, 0] = 1.0
        self.green = -1.0 / k2
        self.green[0, 0, 0] = 0.0
        self._kmag = None

    def kmag(self) -> torch.Tensor:
        """(n, n, n//2+1) float32 |k| [h/Mpc] (built only when a multiplier needs it)."""
        if self._kmag is None:
            self._kmag = torch.sqrt(k_squared(self.n, self.box, self.device))
        return self._kmag

    def potential(self, cic: CIC, n_particles: int, Om: float, a: float,
                  multiplier: PoissonMultiplier | None = None,
                  gravity: GravityModification | None = None) -> torch.Tensor:
        """(n, n, n) float32 φ with ∇²φ = (3/2) Ωm δ [(Mpc/h)² H0²] from particles painted by ``cic``
        (times ``multiplier`` in k space; then ``gravity`` turns that Newtonian φ into the total)."""
        n = self.n
        rho = cic.paint()
        # δ = ρ/ρ̄ − 1; the −1 only touches the DC mode, which the Green's function drops
        delta_k = torch.fft.rfftn(rho)
        del rho
        delta_k.mul_(self.green).mul_(1.5 * Om * n**3 / n_particles)
        if multiplier is not None:
            delta_k.mul_(multiplier(self.kmag(), a))
        if gravity is not None:
            return gravity(delta_k, a, self)
        return torch.fft.irfftn(delta_k, s=(n, n, n))

    def gradient(self, phi: torch.Tensor) -> torch.Tensor:
        """(3, n, n, n) float32 ∇φ with the 4-point finite difference (error O(h⁴)), periodic.

        Real-space differences cost a few passes over the mesh: much less than three inverse
        FFTs on a CPU, about the same on a GPU. Channels first, so that one read-out gathers
        all three components.
        """
        n, h = self.n, self.box / self.n
        out = torch.empty((3,) + phi.shape, dtype=phi.dtype, device=phi.device)
        for axis in range(3):
            p = torch.cat([phi.narrow(axis, n - 2, 2), phi, phi.narrow(axis, 0, 2)], dim=axis)
            c = 1.0 / (12.0 * h)
            g = torch.sub(p.narrow(axis, 3, n), p.narrow(axis, 1, n), out=out[axis]).mul_(8.0 * c)
            g.sub_(p.narrow(axis, 4, n), alpha=c).add_(p.narrow(axis, 0, n), alpha=c)
        return out

    def force(self, pos: torch.Tensor, Om: float, a: float, multiplier: PoissonMultiplier | None = None,
              gravity: GravityModification | None = None) -> torch.Tensor:
        """(N, 3) float32 F = −∇φ at the particles (a transposed view)."""
        cic = CIC(pos, self.n, self.box)
        phi = self.potential(cic, pos.shape[0], Om, a, multiplier, gravity)
        return cic.read(self.gradient(phi)).neg_().T


def evolve(pos: torch.Tensor, mom: torch.Tensor, bg: Background, pm: ParticleMesh, z_init: float, n_steps: int,
           multiplier: PoissonMultiplier | None = None, gravity: GravityModification | None = None) -> torch.Tensor:
    """Evolve particles from ``a = 1/(1+z_init)`` to ``a = 1`` with ``n_steps`` FastPM KDK steps.

    ``pos``: (N, 3) float32 [Mpc/h], ``mom``: (N, 3) float32 momenta ``a³E dx/da`` at the start
    (modified in place). ``multiplier`` and ``gravity``: the hooks of :meth:`ParticleMesh.potential`
    (``None``: GR with cold matter). Returns the (N, 3) float32 positions at a = 1, wrapped into [0, box).
    """
    a = time_steps(z_init, n_steps)
    a_half = np.concatenate([[a[0]], 0.5 * (a[1:] + a[:-1])])  # momenta live at half steps
    for i in range(n_steps):
        f = pm.force(pos, bg.Om, a[i], multiplier, gravity)
        mom.add_(f, alpha=bg.kick_factor(a_half[i], a_half[i + 1], a[i]))
        del f
        pos.add_(mom, alpha=bg.drift_factor(a[i], a[i + 1], a_half[i + 1]))
    return pos.remainder_(pm.box)
