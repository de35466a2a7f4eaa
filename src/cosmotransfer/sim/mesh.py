"""Mesh operations on any torch device: CIC paint and read-out, wavenumber grids, the CIC window.

Conventions: a periodic box of side ``box`` [Mpc/h] holds an ``(n, n, n)`` mesh whose cell
``(i, j, l)`` sits at ``(i, j, l) · box/n``; Fourier meshes are ``torch.fft.rfftn`` layouts
``(n, n, n//2 + 1)``.

Painting is deterministic on every device: each particle's eight CIC weights are rounded to
fixed point (``FIXED_POINT`` = 2²⁴ units per particle) and summed with an *integer*
``index_add_``. Integer addition is associative, so the GPU's atomic adds give the same bits in
any order (float atomics do not), and the quantisation (6e-8 of a particle) is far below the
float32 precision of the result.
"""
from __future__ import annotations

import math
from functools import lru_cache

import torch

FIXED_POINT = float(2**24)


class CIC:
    """The cloud-in-cell stencil of a set of positions on an ``n³`` mesh, built once and reused
    for several paints and read-outs at the same positions (density, forces, marks).

    ``pos``: (N, 3) float32 [Mpc/h], any values (wrapped periodically). Holds the flat mesh
    index (int64) and weight (float32) of each particle's 8 corners: 96 bytes per particle.
    Particles in lattice order give nearly sorted indices, which keeps the scatter and gather
    cache-friendly on the CPU and coalesced on a GPU.
    """

    def __init__(self, pos: torch.Tensor, n: int, box: float):
        self.n = n
        self.n_particles = pos.shape[0]
        g = pos.mul(n / box)
        i0 = torch.floor(g)
        frac = g.sub_(i0)  # weight of the upper neighbour, per axis
        i0 = i0.to(torch.int64).remainder_(n)
        off, w = [], []
        for d, stride in enumerate((n * n, n, 1)):
            lo = i0[:, d]
            hi = torch.where(lo == n - 1, 0, lo + 1)
            off.append((lo * stride, hi * stride))
            f = frac[:, d].contiguous()
            w.append((1.0 - f, f))
        del g, i0, frac
        self.index, self.weight = [], []
        for dx in (0, 1):
            for dy in (0, 1):
                ixy, wxy = off[0][dx] + off[1][dy], w[0][dx] * w[1][dy]
                for dz in (0, 1):
                    self.index.append(ixy + off[2][dz])
                    self.weight.append(wxy * w[2][dz])

    def _accumulate(self, weights: torch.Tensor | None) -> torch.Tensor:
        """(n³,) int64: the painted weights in units of 1/FIXED_POINT."""
        acc = torch.zeros(self.n**3, dtype=torch.int64, device=self.weight[0].device)
        for idx, w in zip(self.index, self.weight):
            w = w * FIXED_POINT if weights is None else w * weights * FIXED_POINT
            acc.index_add_(0, idx, torch.round(w).to(torch.int64))
        return acc

    def paint(self, weights: torch.Tensor | None = None) -> torch.Tensor:
        """(n, n, n) float32: the sum of ``weights`` ((N,), default 1 per particle) per cell."""
        n = self.n
        return self._accumulate(weights).to(torch.float32).mul_(1.0 / FIXED_POINT).view(n, n, n)

    def contrast(self, weights: torch.Tensor | None = None) -> torch.Tensor:
        """(n, n, n) float32 δ = ρ/ρ̄ − 1 of the painted ``weights`` (default 1 per particle).

        The mean comes from the integer total, which no summation order can change.
        """
        n = self.n
        acc = self._accumulate(weights)
        scale = n**3 / float(acc.sum())
        return acc.to(torch.float32).mul_(scale).sub_(1.0).view(n, n, n)

    def read(self, mesh: torch.Tensor) -> torch.Tensor:
        """Interpolate ``mesh`` ((n, n, n) or channels first, (c, n, n, n)) to the positions:
        (N,) or (c, N)."""
        n = self.n
        flat = mesh.reshape(-1, n**3)  # channels first: one gather serves every channel
        out = None
        for idx, w in zip(self.index, self.weight):
            v = flat.index_select(1, idx).mul_(w)
            out = v if out is None else out.add_(v)
        return out if mesh.dim() == 4 else out[0]


def wavenumbers(n: int, box: float, device=None, dtype=torch.float32):
    """1-D wavenumbers [h/Mpc] of an rfftn mesh: (kx (n,1,1), ky (1,n,1), kz (1,1,n//2+1))."""
    kf = 2.0 * math.pi / box
    k = torch.fft.fftfreq(n, d=1.0 / n, device=device, dtype=torch.float64) * kf
    kz = torch.fft.rfftfreq(n, d=1.0 / n, device=device, dtype=torch.float64) * kf
    return k.to(dtype).view(n, 1, 1), k.to(dtype).view(1, n, 1), kz.to(dtype).view(1, 1, -1)


@lru_cache(maxsize=4)
def k_squared(n: int, box: float, device=None) -> torch.Tensor:
    """(n, n, n//2+1) float32 |k|² [(h/Mpc)²]. Cached: do not modify it in place."""
    kx, ky, kz = wavenumbers(n, box, device)
    return kx * kx + ky * ky + kz * kz


@lru_cache(maxsize=4)
def cic_window_squared(n: int, device=None) -> torch.Tensor:
    """(n, n, n//2+1) float32 W_CIC(k)² = Π_i sinc⁴(π n_i / n): the power a CIC paint removes.
    Cached: do not modify it in place."""
    def sinc2(m):
        x = math.pi * m / n
        s = torch.where(m == 0, torch.ones_like(x), torch.sin(x) / torch.where(m == 0, torch.ones_like(x), x))
        return s * s

    m = torch.fft.fftfreq(n, d=1.0 / n, device=device, dtype=torch.float64)
    mz = torch.fft.rfftfreq(n, d=1.0 / n, device=device, dtype=torch.float64)
    w = sinc2(m).view(n, 1, 1) * sinc2(m).view(1, n, 1) * sinc2(mz).view(1, 1, -1)
    return (w * w).to(torch.float32)
