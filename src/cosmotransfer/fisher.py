"""What a statistic can tell apart, read off a suite before any network is trained: a linear-response
Fisher forecast.

:func:`cosmotransfer.datasets.suite_responses` fits ln S(k) of a suite's simulations linearly in the
varied parameters θ̂ (each min–max scaled with the prior table, so a unit is the whole prior
width). Around that mean response, the Fisher matrix of the parameters is

    F_ij = Σ_k r_i(k) r_j(k) / σ²(k)

with σ²(k) the variance of ln S in a bin: ``"sample"`` — the Gaussian sample variance of one box,
1 / N_k with N_k the independent modes of the bin (for P(k); the same weighting for the marked
P(k), which lacks its own covariance here) — or ``"residual"`` — the scatter of the suite about the
linear fit, which adds what a linear model cannot follow. The *conditional* error 1/√F_ii is what
the statistic says about θ̂_i with every other parameter known; the *marginal* error √(F⁻¹)_ii is
what is left when they are not. A marginal error near or above the prior's own standard deviation,
1/√12 ≈ 0.29, means that, to linear order, the statistic cannot separate the parameter from the
others over the prior: a network reading it starts from the same degeneracy.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import BOX, PARAM_NAMES, SIM_PRESETS, get_param
from .datasets import suite_responses
from .store import SuiteData
from .suites import SUITES

PRIOR_STD = 1.0 / np.sqrt(12.0)  # std of a uniform prior on the scaled [0, 1] axis


@dataclass(frozen=True)
class Fisher:
    """A linear-response Fisher forecast of one suite and statistic.

    ``names``: the varied parameters; ``F``: (p, p) Fisher matrix in scaled units; ``cov`` its
    inverse; ``conditional`` / ``marginal``: (p,) errors (scaled units, the prior width is 1).
    """

    suite: str
    stat: str
    noise: str
    names: tuple[str, ...]
    F: np.ndarray
    cov: np.ndarray

    @property
    def conditional(self) -> np.ndarray:
        return 1.0 / np.sqrt(np.diag(self.F))

    @property
    def marginal(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))

    def correlation(self) -> pd.DataFrame:
        """(p, p) correlation matrix of the forecast errors."""
        s = self.marginal
        return pd.DataFrame(self.cov / np.outer(s, s), index=self.names, columns=self.names)

    def table(self) -> pd.DataFrame:
        """Per parameter: conditional and marginal error over the prior's std, and the parameter
        whose errors correlate most with it (and by how much)."""
        corr = self.correlation()
        rows = {}
        for j, n in enumerate(self.names):
            c = corr[n].drop(n)
            partner = c.abs().idxmax()
            rows[get_param(n).plain] = {"conditional / prior": self.conditional[j] / PRIOR_STD,
                                        "marginal / prior": self.marginal[j] / PRIOR_STD,
                                        "most correlated with": get_param(partner).plain,
                                        "correlation": float(c[partner])}
        return pd.DataFrame.from_dict(rows, orient="index")


def suite_fisher(data: SuiteData, stat: str = "pk", noise: str = "sample") -> Fisher:
    """The Fisher forecast of ``stat`` of a suite (see the module docstring). ``noise``: "sample"
    (one box's Gaussian sample variance, from the suite's own k bins and box) or "residual"."""
    from .stats import kbins

    fits = suite_responses(data, stat)
    names = tuple(fits)
    R = np.stack([fits[n][0] for n in names])  # (p, n_k)
    if noise == "sample":
        # the suite's box: the one whose first bins are the suite's (Quijote's, or a CPU preset's; a
        # suite cut at a smaller k_max keeps the first bins)
        n = len(data.k)
        boxes = sorted({BOX} | {p.box for p in SIM_PRESETS.values()})
        kb = next((kb for kb in map(kbins, boxes) if len(kb.k) >= n and np.allclose(kb.k[:n], data.k, rtol=1e-3)),
                  None)
        if kb is None:
            raise ValueError(f"the {n} k bins of {data.suite!r} match no known box; use noise='residual'")
        var = 2.0 / kb.n_modes[:n]  # 1 / independent modes (half the lattice count: ±k pairs)
    elif noise == "residual":
        names_all = list(SUITES[data.suite].varied_names) if data.suite in SUITES else list(names)
        x = np.column_stack([np.ones(len(data))] + [get_param(n).scale(data.params[:, PARAM_NAMES.index(n)])
                                                     for n in names_all])
        y = np.log(data.stat(stat).astype(np.float64))
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        var = (y - x @ coef).var(axis=0)
    else:
        raise ValueError(f"unknown noise {noise!r}; valid: sample, residual")
    F = (R / var) @ R.T
    return Fisher(data.suite, stat, noise, names, F, np.linalg.inv(F))
