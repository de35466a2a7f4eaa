"""The degeneracy audit's figure (chapter 08): a predictor read off the fine-tuning suite against the
transfer / scratch MSE ratio the sweeps measured."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..config import PRIORS, TRANSFER_VERDICT

TIER_COLOURS = {"quijote": "C3", "emulated": "C0", "simulated": "C2"}
STAT_MARKERS = {"pk": "o", "mpk": "s"}


def predictor_vs_ratio(table: pd.DataFrame, predictors: dict[str, str]) -> plt.Figure:
    """One panel per predictor (column → axis label): each (case, new parameter) of the
    :func:`cosmotransfer.audit.audit` table at its predicted value and measured ratio; colour: the
    fine-tuning tier, marker: the statistic; shaded: the verdict's "no clear difference" band."""
    fig, axes = plt.subplots(1, len(predictors), figsize=(5.0 * len(predictors), 3.8), squeeze=False)
    for ax, (col, xlabel) in zip(axes[0], predictors.items()):
        ax.axhspan(TRANSFER_VERDICT["better"], TRANSFER_VERDICT["worse"], color="0.9", lw=0)
        ax.axhline(1, color="0.4", lw=0.8)
        for _, r in table.iterrows():
            ax.scatter(r[col], r.ratio, color=TIER_COLOURS.get(r.tier, "0.3"), marker=STAT_MARKERS.get(r.stat, "^"),
                       s=40, edgecolor="k" if r.informative else "none", lw=0.6, zorder=3)
            ax.annotate(f"{r.case} {PRIORS[r.param].plain}", (r[col], r.ratio), fontsize=6, xytext=(3, 3),
                        textcoords="offset points")
        if col == "degeneracy":
            ax.set_xscale("log")
        if np.nanmin(table[col]) < 0 < np.nanmax(table[col]):
            ax.axvline(0, color="0.4", lw=0.8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("MSE transfer / scratch (N ≤ 200)")
    handles = [plt.Line2D([], [], color=c, marker="o", ls="", label=t) for t, c in TIER_COLOURS.items()]
    handles += [plt.Line2D([], [], color="0.3", marker=m, ls="", label={"pk": "P(k)", "mpk": "marked P(k)"}[s])
                for s, m in STAT_MARKERS.items()]
    axes[0, -1].legend(handles=handles, fontsize=7, loc="best")
    fig.tight_layout()
    return fig
