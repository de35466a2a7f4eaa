"""Figures of the data page (notebook 01): the suite designs, their splits and the k binning."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..config import PARAM_NAMES, PRIORS
from ..stats import KBins
from ..suites import Split, Suite


def _label(name: str) -> str:
    p = PRIORS[name]
    return f"${p.label}$" + (f" [{p.unit}]" if p.unit else "")


def design_corner(suite: Suite, points: np.ndarray, max_points: int = 2048) -> plt.Figure:
    """Corner plot of a suite's varied parameters: 1-D histograms and pairwise projections.

    ``points``: (n, 10) full parameter vectors of the design (:func:`cosmotransfer.suites.design`);
    the first ``max_points`` are drawn, for legibility.
    """
    names = suite.varied_names
    d = points[:max_points]
    cols = [PARAM_NAMES.index(nm) for nm in names]
    m = len(names)
    size = 1.6 * max(m, 2)
    fig, axes = plt.subplots(m, m, figsize=(size, size), squeeze=False)
    for i in range(m):
        for j in range(m):
            ax = axes[i, j]
            if j > i:
                ax.set_axis_off()
                continue
            xi, xj = d[:, cols[i]], d[:, cols[j]]
            if i == j:
                ax.hist(xi, bins=20, range=suite.varied[names[i]], color="C0", alpha=0.8)
                ax.set_yticks([])
            else:
                ax.scatter(xj, xi, s=2, alpha=0.5, lw=0)
                ax.set_xlim(suite.varied[names[j]])
                ax.set_ylim(suite.varied[names[i]])
            if i == m - 1:
                ax.set_xlabel(_label(names[j]))
            else:
                ax.set_xticklabels([])
            if j == 0 and i > 0:
                ax.set_ylabel(_label(names[i]))
            elif j > 0:
                ax.set_yticklabels([])
            ax.tick_params(labelsize=7)
    fig.suptitle(f"{suite.name}: {suite.title} — first {len(d)} of {suite.n} points ({suite.sampler})")
    fig.tight_layout()
    return fig


def split_figure(suite: Suite, points: np.ndarray, sp: Split, budgets: tuple[int, ...]) -> plt.Figure:
    """Where the train pool, validation and test points lie in (Ωm, σ8), and the nested subsets.

    ``points``: (n, 10) the design points the split ``sp`` indexes."""
    d = points
    x, y = d[:, PARAM_NAMES.index("Om")], d[:, PARAM_NAMES.index("s8")]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for idx, lab, c in [(sp.pool, "train pool", "0.7"), (sp.val, "validation", "C1"), (sp.test, "test", "C3")]:
        a.scatter(x[idx], y[idx], s=6, c=c, label=f"{lab} ({len(idx)})", lw=0)
    a.set(xlabel=_label("Om"), ylabel=_label("s8"), title=f"{suite.name}: fixed 70/15/15 split")
    a.legend(fontsize=8, loc="upper right")
    budgets = [n for n in budgets if n <= len(sp.pool)]
    for i, n in enumerate(sorted(budgets, reverse=True)):
        idx = sp.train(n)
        b.scatter(x[idx], y[idx], s=8 + 2 * i, lw=0, label=f"N = {n}", color=plt.cm.viridis(i / max(len(budgets) - 1, 1)))
    b.set(xlabel=_label("Om"), ylabel=_label("s8"), title="nested fine-tuning sets (each inside the next)")
    b.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def kgrid_figure(kb: KBins) -> plt.Figure:
    """The 79-bin grid: modes per bin, one box's fractional sample variance, and mean k vs centre."""
    centre = (kb.index + 0.5) * kb.kf
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    axes[0].step(kb.k, kb.n_independent, where="mid")
    axes[0].set(xscale="log", yscale="log", xlabel=r"$k$ [$h$/Mpc]", ylabel=r"independent modes $N_k$",
                title=f"{len(kb)} shells of width $k_F$ = {kb.kf:.5f} $h$/Mpc")
    axes[1].plot(kb.k, 1 / np.sqrt(kb.n_independent))
    axes[1].set(xscale="log", yscale="log", xlabel=r"$k$ [$h$/Mpc]", ylabel=r"$\sigma_P/P = N_k^{-1/2}$",
                title=f"sample variance of one {kb.box:.0f} Mpc/$h$ box")
    axes[2].plot(kb.k, kb.k / centre - 1)
    axes[2].axhline(0, c="k", lw=0.5)
    axes[2].set(xscale="log", xlabel=r"$k$ [$h$/Mpc]", ylabel="mode-averaged $k$ / shell centre − 1",
                title="where each bin is reported")
    fig.tight_layout()
    return fig
