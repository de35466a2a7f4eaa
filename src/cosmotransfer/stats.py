"""Summary statistics on the Quijote k grid.

The grid follows Pylians for a periodic box of side ``BOX``: spherical shells of width
k_F = 2π/BOX on the integer lattice |n| ∈ [i, i+1), i = 1, 2, … (the DC mode, i = 0, is
dropped), each bin reported at the mean |k| of its modes, and only bins with mean k ≤ K_MAX
kept. For a 1 Gpc/h box that gives the 79 bins of the Quijote files.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from .config import BOX, K_MAX, MARK_DELTA_S, MARK_P, MARK_R, MARK_WINDOW, MARK_WINDOWS, ConfigError


@dataclass(frozen=True)
class KBins:
    """The binning of one box.

    ``k``: (n_bins,) mode-averaged k [h/Mpc]; ``n_modes``: (n_bins,) lattice points per shell
    (both ±k of each pair); ``n_independent`` = n_modes/2, the independent complex modes that
    set the sample variance of one box; ``index``: (n_bins,) shell index i (|n| ∈ [i, i+1)).
    """

    box: float
    k: np.ndarray
    n_modes: np.ndarray
    index: np.ndarray

    @property
    def kf(self) -> float:
        return 2.0 * np.pi / self.box

    @property
    def n_independent(self) -> np.ndarray:
        return self.n_modes / 2.0

    @property
    def edges(self) -> np.ndarray:
        """(n_bins + 1,) shell edges [h/Mpc]."""
        return np.append(self.index, self.index[-1] + 1) * self.kf

    def __len__(self) -> int:
        return len(self.k)


@lru_cache(maxsize=None)
def kbins(box: float = BOX, k_max: float = K_MAX) -> KBins:
    """Count the lattice modes of every shell and keep the bins with mean k ≤ ``k_max``."""
    kf = 2.0 * np.pi / box
    n_max = int(np.ceil(k_max / kf)) + 1  # shells that can possibly pass the cut
    n = np.arange(-n_max, n_max + 1)
    # |n|² over a cube, slice by slice in kz to keep memory small even for big n_max
    sums = np.zeros(n_max + 2)
    counts = np.zeros(n_max + 2)
    nx2 = (n[:, None] ** 2 + n[None, :] ** 2).ravel()
    for nz in n:
        r = np.sqrt(nx2 + nz * nz)
        i = r.astype(np.int64)  # shell index: |n| ∈ [i, i+1)
        keep = i <= n_max + 1
        counts += np.bincount(i[keep], minlength=n_max + 2)[: n_max + 2]
        sums += np.bincount(i[keep], weights=r[keep], minlength=n_max + 2)[: n_max + 2]
    idx = np.arange(1, n_max + 1)  # drop DC (i = 0) and the outermost, truncated shell
    k = sums[idx] / counts[idx] * kf
    sel = k <= k_max
    return KBins(box=float(box), k=k[sel], n_modes=counts[idx][sel], index=idx[sel])


def simulated_suite_bins(scale) -> KBins:
    """The k bins of the simulated-tier suites a scale reads (those of its ``suite_preset``'s box)."""
    from .config import get_scale, get_sim_preset

    return kbins(get_sim_preset(get_scale(scale).suite_preset).box)


# --------------------------------------------------------------------------------------
# Estimators (torch, any device)
# --------------------------------------------------------------------------------------
# Shot noise. Pylians — and so the Quijote files — does NOT subtract it. Checked on
# ../shared/quijote: over 50 LH boxes, P_Quijote/P_HMcode at k > 0.4 h/Mpc grows with 1/P_HMcode
# as a + c/P with c = 19 ± 7 (Mpc/h)³: a positive additive term, as an unsubtracted V/512³ =
# 7.45 (Mpc/h)³ would give (HMcode's own errors blur the value). The simulated tier follows the
# same convention ("none") for both statistics: it needs no noise model, and it keeps the marked
# spectrum positive — subtracting the Poisson term V Σm²/(Σm)² of the marked field drives MP(k)
# negative at k ≳ 0.2 h/Mpc, because marks anti-correlate with the local particle density. Our
# 256³-particle boxes carry V/256³ = 59.6 (Mpc/h)³ in P(k) (at k = 0.5 h/Mpc: 8% of P for the median
# Quijote LH cosmology, 4-17% over its 5-95% range, up to 23% at its lowest P; in the
# Quijote boxes 7.45); `shot_noise` also offers "subtract" and "quijote" (replace our
# Poisson term by a 512³ box's) for comparisons.
QUIJOTE_PARTICLES = 512**3  # CDM particles of a Quijote box
SHOT_NOISE_CONVENTIONS = ("none", "subtract", "quijote")


def shot_noise(box: float, weights=None, n_particles: int | None = None, convention: str = "subtract") -> float:
    """The constant to subtract from a measured spectrum under a shot-noise ``convention`` [(Mpc/h)³].

    The Poisson term of a field painted from particles with weights ``w_i`` (a mark; default 1)
    is ``S = V Σw² / (Σw)²`` (``V/N`` unweighted). Conventions: ``"none"`` → 0 (Pylians, the
    Quijote files); ``"subtract"`` → ``S``; ``"quijote"`` → ``S − S·N/512³``, i.e. replace our
    term by that of the same field sampled by a Quijote box's 512³ particles.
    """
    if convention not in SHOT_NOISE_CONVENTIONS:
        raise ValueError(f"unknown shot-noise convention {convention!r}; valid: {', '.join(SHOT_NOISE_CONVENTIONS)}")
    if convention == "none":
        return 0.0
    if weights is None:
        n = int(n_particles)
        s = box**3 / n
    else:
        w = weights.to(torch.float64) if isinstance(weights, torch.Tensor) else torch.as_tensor(weights, dtype=torch.float64)
        n = w.numel()
        s = float(box**3 * (w * w).sum() / w.sum() ** 2)
    return s if convention == "subtract" else s * (1.0 - n / QUIJOTE_PARTICLES)


@lru_cache(maxsize=8)
def _binning(n: int, box: float, k_max: float, device: str):
    """Modes of an rfftn mesh that fall in the ``kbins(box, k_max)`` shells.

    Returns (flat index of each mode on ``device``, its bin (numpy int64), its weight (numpy
    float64: 2 for 0 < kz < n/2, whose conjugate twin the rfft layout does not store, else 1)).
    """
    bins = kbins(box, k_max)
    if bins.index[-1] + 1 >= n // 2:
        raise ValueError(f"a {n}³ mesh cannot resolve k ≤ {k_max} h/Mpc in a {box} Mpc/h box "
                         f"(shell {bins.index[-1]} reaches its Nyquist plane {n // 2}); use a finer mesh")
    m = np.fft.fftfreq(n, 1.0 / n).astype(np.int32)
    mz = np.arange(n // 2 + 1, dtype=np.int32)
    m2 = (m[:, None, None] ** 2 + m[None, :, None] ** 2 + mz[None, None, :] ** 2).ravel()
    sel = np.flatnonzero((m2 >= bins.index[0] ** 2) & (m2 < (bins.index[-1] + 1) ** 2))
    # shell |m| ∈ [i, i+1); float64 sqrt is exact on perfect squares
    lookup = np.full(bins.index[-1] + 1, -1, dtype=np.int64)
    lookup[bins.index] = np.arange(len(bins))
    b = lookup[np.floor(np.sqrt(m2[sel].astype(np.float64))).astype(np.int64)]
    kz = sel % (n // 2 + 1)
    w = np.where((kz > 0) & (kz < n // 2), 2.0, 1.0)
    sel, b, w = sel[b >= 0], b[b >= 0], w[b >= 0]
    counts = np.bincount(b, weights=w, minlength=len(bins))
    assert np.array_equal(counts, bins.n_modes), "mode counts disagree with kbins"
    return torch.as_tensor(sel, device=device), b, w


def power_spectrum(delta, box: float, k_max: float = K_MAX, deconvolve_cic: bool = True,
                   subtract: float = 0.0) -> np.ndarray:
    """Binned power spectrum of a density contrast on a periodic mesh.

    ``delta``: (n, n, n) real (torch tensor on any device, or numpy), the contrast δ = ρ/ρ̄ − 1
    painted with CIC; ``box`` [Mpc/h]. Returns ``(len(kbins(box, k_max)),)`` float64
    P(k) [(Mpc/h)³] on the Quijote grid (:func:`kbins`): the average of ``V |δ_k|² / n⁶`` over
    the lattice modes of each shell (both members of every ±k pair, as Pylians counts them), each
    divided by the CIC window W²(k) = Π sinc⁴(π m_i / n) when ``deconvolve_cic``, minus the
    constant ``subtract`` (the shot noise of a convention, :func:`shot_noise`; default 0, Pylians).
    Reported at the mode-averaged k of :func:`kbins`.
    """
    from .sim.mesh import cic_window_squared  # the mesh helpers live with the engine

    d = torch.as_tensor(delta)
    n = d.shape[0]
    dk = torch.fft.rfftn(d.to(torch.float32))
    power = dk.real**2 + dk.imag**2
    if deconvolve_cic:
        power = power / cic_window_squared(n, d.device)
    sel, b, w = _binning(n, float(box), float(k_max), str(d.device))
    vals = power.reshape(-1)[sel].to(torch.float64).cpu().numpy()  # binned on the host: deterministic sums
    pk = np.bincount(b, weights=w * vals, minlength=b.max() + 1) / np.bincount(b, weights=w, minlength=b.max() + 1)
    return pk * box**3 / float(n) ** 6 - subtract


def tophat_window(kr: torch.Tensor) -> torch.Tensor:
    """Fourier transform of a unit-volume-normalised spherical top-hat, W(x) = 3(sin x − x cos x)/x³."""
    x = torch.where(kr < 1e-3, torch.ones_like(kr), kr)
    w = 3.0 * (torch.sin(x) - x * torch.cos(x)) / x**3
    return torch.where(kr < 1e-3, 1.0 - kr * kr / 10.0, w)


def mesh_tophat_window(n: int, box: float, R: float, device=None) -> torch.Tensor:
    """(n, n, n//2+1) float32 Fourier transform of the top-hat built on the mesh: the cells whose
    integer offset d from a cell (periodic, components in (−n/2, n/2]) has |d|² ≤ (R n / box)²,
    each weighted 1/(their number). For R = 10 Mpc/h on a 1.95 Mpc/h cell it holds 587 cells where
    the sphere's volume is 562: a slightly wider filter than the analytic one."""
    m = torch.arange(n, dtype=torch.int64)
    m = torch.where(m > n // 2, m - n, m)
    d2 = m[:, None, None] ** 2 + m[None, :, None] ** 2 + m[None, None, :] ** 2
    cells = (d2.to(torch.float64) <= (R * n / box) ** 2).to(torch.float64)
    # real and even: its transform is real
    return torch.fft.rfftn(cells / cells.sum()).real.to(torch.float32).to(device)


def smoothing_window(window: str, n: int, box: float, R: float, device=None) -> torch.Tensor:
    """(n, n, n//2+1) float32 top-hat filter of radius ``R`` [Mpc/h] on an n³ mesh of side ``box``:
    ``window`` one of ``config.MARK_WINDOWS`` (``"analytic"``: :func:`tophat_window`; ``"mesh"``:
    :func:`mesh_tophat_window`)."""
    from .sim.mesh import k_squared

    if window == "analytic":
        return tophat_window(torch.sqrt(k_squared(n, box, device)) * R)
    if window == "mesh":
        return mesh_tophat_window(n, box, R, device)
    raise ConfigError(f"unknown mark window {window!r}; valid: {', '.join(MARK_WINDOWS)}")


def marks(delta_R, p: float = MARK_P, delta_s: float = MARK_DELTA_S):
    """The mark of White (2016) / Massara et al. (2021): m = [(1+δs)/(1+δs+δ_R)]^p.

    δ_R below −1 (possible only through the ringing of the top-hat filter) is clipped to −1,
    where the density is zero.
    """
    return ((1.0 + delta_s) / (1.0 + delta_s + delta_R.clamp(min=-1.0))) ** p


def marked_field(cic, box: float, R: float = MARK_R, p: float = MARK_P, delta_s: float = MARK_DELTA_S,
                 window: str = MARK_WINDOW):
    """The marked density contrast of the particles of ``cic`` (a :class:`sim.mesh.CIC`).

    Following Massara et al. (2021): paint the particles (CIC), smooth the contrast with a
    top-hat of radius ``R`` [Mpc/h] in Fourier space (:func:`smoothing_window` ``window``),
    interpolate it to every particle (CIC),
    mark each particle with :func:`marks`, paint the marked particles and normalise by the mean
    mark: δ_M = ρ_M / ρ̄_M − 1. Returns ``(delta, delta_M, m)``: the (n, n, n) float32 contrast,
    the (n, n, n) float32 marked contrast, and the (N,) float32 marks.
    """
    delta = cic.contrast()
    w = smoothing_window(window, cic.n, box, R, delta.device)
    delta_R = torch.fft.irfftn(torch.fft.rfftn(delta) * w, s=delta.shape)
    m = marks(cic.read(delta_R), p, delta_s).to(torch.float32)
    return delta, cic.contrast(m), m


def marked_power_spectrum(pos, box: float, n_mesh: int, R: float = MARK_R, p: float = MARK_P,
                          delta_s: float = MARK_DELTA_S, k_max: float = K_MAX,
                          shot_noise_convention: str = "none", window: str = MARK_WINDOW) -> tuple[np.ndarray, np.ndarray]:
    """P(k) and marked P(k) of particles ``pos`` ((N, 3) [Mpc/h], torch on any device).

    Both on the ``kbins(box, k_max)`` grid, CIC-deconvolved, with the shot-noise convention of
    :func:`shot_noise` applied to each (the marked term uses the marks as weights); the mark's
    top-hat is :func:`smoothing_window` ``window``. ``p = 0``
    makes every mark 1, and then MP(k) = P(k) exactly.
    """
    from .sim.mesh import CIC

    cic = CIC(torch.as_tensor(pos, dtype=torch.float32), n_mesh, box)
    delta, delta_m, m = marked_field(cic, box, R, p, delta_s, window)
    n = pos.shape[0]
    pk = power_spectrum(delta, box, k_max, subtract=shot_noise(box, n_particles=n, convention=shot_noise_convention))
    mpk = power_spectrum(delta_m, box, k_max, subtract=shot_noise(box, weights=m, convention=shot_noise_convention))
    return pk, mpk
