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

from .config import BOX, K_MAX


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
