"""Initial conditions: counter-based white noise, the linear density, 2LPT displacements.

White noise
    Every Fourier mode of integer wavevector ``m = (mx, my, mz)`` gets a complex Gaussian
    ``g(m)`` (⟨|g|²⟩ = 1) computed from a hash of ``(seed, m)`` alone: random access to the
    output stream of SplitMix64 (Steele et al. 2014; passes BigCrush) at counter ``c``, the
    packed wavevector of the pair's canonical member (its two 32-bit halves give modulus and
    phase by Box–Muller). So

    * the field does not depend on the device (the noise is drawn on the CPU with numpy's
      exactly wrapping uint64 arithmetic, then copied to the device), nor on the order in
      which modes are visited;
    * a mode has the same value at every mesh size: a 64³ realisation is the 32³ one plus
      new small-scale modes (Nyquist planes are zeroed so that this holds exactly);
    * ``g(−m) = conj g(m)``, so the field is real.

2LPT (Scoccimarro 1998; Crocce, Pueblas & Scoccimarro 2006)
    With the linear density ``δ₀`` at z = 0 and ``∇²φ₁ = δ₀``,
    ``∇²φ₂ = Σ_{i<j} (φ₁,ii φ₁,jj − φ₁,ij²)``, the particles start at
    ``x = q + D1 ψ₁ + D2 ψ₂`` with ``ψ₁ = −∇φ₁``, ``ψ₂ = ∇φ₂`` and ``D2 ≈ −3/7 D1²``
    (:mod:`.background`).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np
import torch

from ..config import ConfigError
from .mesh import wavenumbers

_GAMMA = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's Weyl increment
_OFFSET = 1 << 20  # wavevector components are packed as 21-bit unsigned fields


def _mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function (a bijection of uint64 with full avalanche), in place."""
    t = z >> np.uint64(30)
    z ^= t
    z *= np.uint64(0xBF58476D1CE4E5B9)
    np.right_shift(z, np.uint64(27), out=t)
    z ^= t
    z *= np.uint64(0x94D049BB133111EB)
    np.right_shift(z, np.uint64(31), out=t)
    z ^= t
    return z


def _noise_block(state: np.uint64, mx: np.ndarray, n: int) -> np.ndarray:
    """White noise of the x-planes ``mx`` (integer wavevector components): (len(mx), n, n//2+1)."""
    m = np.fft.fftfreq(n, 1.0 / n).astype(np.int64)
    mx, my, mz = mx[:, None, None], m[None, :, None], np.arange(n // 2 + 1, dtype=np.int64)[None, None, :]
    # canonical member of the pair (m, −m): mz > 0, or mz = 0 and my > 0, or mz = my = 0 and mx > 0
    canon = (mz > 0) | ((mz == 0) & ((my > 0) | ((my == 0) & (mx > 0))))
    sign = np.where(canon, 1, -1)
    c = ((sign * mx + _OFFSET) << 42) | ((sign * my + _OFFSET) << 21) | (sign * mz + _OFFSET)
    # the c-th output of SplitMix64 started at `state`; its two 32-bit halves are two uniforms
    bits = _mix64(state + (c.astype(np.uint64) + np.uint64(1)) * _GAMMA)
    u1 = torch.from_numpy(((bits >> np.uint64(32)).astype(np.float64) + 1.0) * 2.0**-32)  # (0, 1]
    phase = torch.from_numpy((bits & np.uint64(0xFFFFFFFF)).astype(np.float64) * (2.0 * np.pi * 2.0**-32))
    # Box–Muller in polar form: |g|² = −ln u1 ~ Exp(1), uniform phase -> complex normal, E|g|² = 1
    # (torch's vectorised float64 sin/cos: 6x faster than numpy's on the CPU)
    r = torch.sqrt(-torch.log(u1))
    r_im = torch.where(torch.from_numpy(canon), r, -r)  # g(−m) = conj g(m)
    g = torch.complex(r * torch.cos(phase), r_im * torch.sin(phase)).numpy()
    nyq = (np.abs(mx) == n // 2) | (np.abs(my) == n // 2) | (mz == n // 2) | ((mx == 0) & (my == 0) & (mz == 0))
    g[np.broadcast_to(nyq, g.shape)] = 0.0
    return g


def white_noise(seed: int, n: int, workers: int = 1) -> np.ndarray:
    """(n, n, n//2+1) complex128: unit complex Gaussian modes in ``rfftn`` layout.

    DC and Nyquist planes are zero; ``E|g|² = 1`` elsewhere. ``workers`` threads share the
    x-planes (every mode is computed on its own, so the result does not depend on them).
    See the module docstring.
    """
    if n % 2 or n > 2 * _OFFSET - 2:
        raise ConfigError(f"white noise needs an even mesh size below 2^21, got {n}")
    with np.errstate(over="ignore"):
        state = _mix64(np.array([seed], dtype=np.int64).view(np.uint64) ^ np.uint64(0x5DEECE66D))[0]
    mx = np.fft.fftfreq(n, 1.0 / n).astype(np.int64)
    blocks = np.array_split(mx, max(1, n // 16))  # ~16 planes at a time: cache-sized temporaries
    out = np.empty((n, n, n // 2 + 1), dtype=np.complex128)
    starts = np.cumsum([0] + [len(b) for b in blocks])

    def fill(i):
        out[starts[i]:starts[i + 1]] = _noise_block(state, blocks[i], n)

    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(fill, range(len(blocks))))
    else:
        for i in range(len(blocks)):
            fill(i)
    return out


def interp_loglog(k: torch.Tensor, table_k: torch.Tensor, table_p: torch.Tensor) -> torch.Tensor:
    """Linear interpolation of log P in log k (power-law extrapolation past the ends)."""
    lk, lt, lp = torch.log(k), torch.log(table_k), torch.log(table_p)
    i = torch.searchsorted(lt, lk).clamp_(1, len(lt) - 1)
    t = (lk - lt[i - 1]) / (lt[i] - lt[i - 1])
    return torch.exp(lp[i - 1] + t * (lp[i] - lp[i - 1]))


def linear_density(noise: torch.Tensor, table_k, table_p, box: float) -> torch.Tensor:
    """(n, n, n//2+1) complex64: the z = 0 linear density ``δ₀`` in unnormalised-FFT units.

    ``noise``: white noise on the device (:func:`white_noise`); ``table_k`` [h/Mpc],
    ``table_p`` [(Mpc/h)³]: the linear power. ``⟨|δ_k|²⟩ = P(k) n⁶ / V`` so that
    ``irfftn(δ_k)`` has the real-space variance ∫ P d³k / (2π)³.
    """
    n = noise.shape[0]
    dev = noise.device
    kx, ky, kz = wavenumbers(n, box, dev, torch.float64)
    k = torch.sqrt(kx * kx + ky * ky + kz * kz)
    k[0, 0, 0] = 1.0  # DC: any positive k; its noise is zero
    tk = torch.as_tensor(table_k, dtype=torch.float64, device=dev)
    tp = torch.as_tensor(table_p, dtype=torch.float64, device=dev)
    amp = torch.sqrt(interp_loglog(k, tk, tp) * (n**6 / box**3))
    return (noise.to(torch.complex128) * amp).to(torch.complex64)


#: A transformation of the Lagrangian potential: (φ₁(k) (n, n, n//2+1) complex64, box) -> φ₁(k).
PotentialHook = Callable[[torch.Tensor, float], torch.Tensor]


def gradient_k(n: int, box: float, device):
    """Wavenumbers for first derivatives: the Nyquist entries are zeroed (odd derivative of a
    real field has no well-defined Nyquist component)."""
    kx, ky, kz = wavenumbers(n, box, device)
    kx, ky, kz = kx.clone(), ky.clone(), kz.clone()
    kx[n // 2] = 0.0
    ky[:, n // 2] = 0.0
    kz[..., -1] = 0.0
    return kx, ky, kz


def lpt_displacements(delta0_k: torch.Tensor, box: float,
                      potential_hook: PotentialHook | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """First- and second-order Lagrangian displacements at z = 0 normalisation.

    ``delta0_k``: (n, n, n//2+1) complex64 from :func:`linear_density`; ``potential_hook``:
    see :func:`.png.potential_hook`. Returns
    ``psi1, psi2``: (n³, 3) float32 [Mpc/h] in the particle order of :func:`lattice`.
    """
    n = delta0_k.shape[0]
    dev = delta0_k.device
    shape = (n, n, n)
    kx, ky, kz = wavenumbers(n, box, dev)
    k2 = kx * kx + ky * ky + kz * kz
    k2[0, 0, 0] = 1.0
    phi1 = -delta0_k / k2
    if potential_hook is not None:
        phi1 = potential_hook(phi1, box)
    kvec = (kx, ky, kz)
    gx, gy, gz = gradient_k(n, box, dev)
    gvec = (gx, gy, gz)

    # ψ₁ = −∇φ₁  →  ψ₁(k) = −i k φ₁(k)
    psi1 = torch.stack([torch.fft.irfftn(-1j * g * phi1, s=shape).reshape(-1) for g in gvec], dim=1)

    # second-order source Σ_{i<j} (φ,ii φ,jj − φ,ij²) from the six second derivatives
    diag = [torch.fft.irfftn(-(k * k) * phi1, s=shape) for k in kvec]
    src = diag[0] * diag[1] + diag[0] * diag[2] + diag[1] * diag[2]
    del diag
    for i, j in ((0, 1), (0, 2), (1, 2)):
        src -= torch.fft.irfftn(-(kvec[i] * kvec[j]) * phi1, s=shape) ** 2
    src_k = torch.fft.rfftn(src)
    src_k[0, 0, 0] = 0.0
    del src
    phi2 = -src_k / k2
    # ψ₂ = ∇φ₂  →  ψ₂(k) = i k φ₂(k)
    psi2 = torch.stack([torch.fft.irfftn(1j * g * phi2, s=shape).reshape(-1) for g in gvec], dim=1)
    return psi1, psi2


def lattice(n: int, box: float, device=None) -> torch.Tensor:
    """(n³, 3) float32 unperturbed particle positions (i, j, l) · box/n [Mpc/h], C order."""
    q = torch.arange(n, device=device, dtype=torch.float32) * (box / n)
    return torch.stack(torch.meshgrid(q, q, q, indexing="ij"), dim=-1).reshape(-1, 3)
