"""Figures of the posterior chapter: scores vs budget, coverage, and joint posteriors of test simulations.

Every function takes tables or arrays from :mod:`cosmotransfer.posterior` and returns a matplotlib
Figure. Budget curves: columns case, variant, N, param, median, lo, hi
(:func:`cosmotransfer.posterior.posterior_curves`).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..config import POSTERIOR_VARIANTS, PRIORS
from .learning import VARIANT_STYLE, band_line, budget_axis, label


def scores_vs_budget(log_density: pd.DataFrame, width: pd.DataFrame, titles: Mapping[str, str],
                     flat_prior: Mapping[str, float], prior_widths: Mapping[str, Mapping[str, float]],
                     params: Sequence[str] = ("s8", "Mnu")) -> plt.Figure:
    """One row per case: the mean log posterior density of the truth vs N, then the 68 % width of each
    of ``params`` vs N (in the parameter's units), scratch and transfer with their 16–84 % bands over
    seeds. Dotted: what the suite's flat prior scores (``flat_prior``: case → log density;
    ``prior_widths``: case → param → 68 % width)."""
    cases = list(titles)
    ncol = 1 + len(params)
    fig, axes = plt.subplots(len(cases), ncol, figsize=(3.1 * ncol, 2.6 * len(cases)), squeeze=False)
    for row, case in zip(axes, cases):
        ld = log_density[log_density.case == case]
        budgets = sorted(ld.N.unique())
        for v in POSTERIOR_VARIANTS:
            band_line(row[0], ld[ld.variant == v], VARIANT_STYLE[v])
        row[0].axhline(flat_prior[case], color="0.6", ls=":", lw=1)
        budget_axis(row[0], budgets, logy=False)
        row[0].set_ylabel(f"{titles[case]}\nmean log q(truth)", fontsize=8)
        for ax, p in zip(row[1:], params):
            w = width[(width.case == case) & (width.param == p)]
            for v in POSTERIOR_VARIANTS:
                band_line(ax, w[w.variant == v], VARIANT_STYLE[v])
            ax.axhline(prior_widths[case][p], color="0.6", ls=":", lw=1)
            budget_axis(ax, budgets, logy=False)
            ax.set_ylabel(f"68 % width of {label(p)}", fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("N (training simulations)", fontsize=8)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def coverage_figure(runs: Mapping[str, Mapping[str, dict]], titles: Mapping[str, str], bands: Mapping[str, dict],
                    params: Sequence[str] = ("s8", "Mnu")) -> plt.Figure:
    """Empirical against expected coverage at one budget, one row per case: the joint TARP curve, then
    the central-interval coverage of each of ``params``; scratch and transfer, the diagonal with its
    binomial band.

    ``runs``: case → variant → a :func:`cosmotransfer.posterior.posterior_run` result; ``bands``: case →
    :func:`cosmotransfer.posterior.coverage_band` for the case's number of test simulations.
    """
    cases = list(titles)
    ncol = 1 + len(params)
    fig, axes = plt.subplots(len(cases), ncol, figsize=(2.8 * ncol, 2.7 * len(cases)), squeeze=False)
    for row, case in zip(axes, cases):
        any_run = next(iter(runs[case].values()))
        band = bands[case]
        panels = [("joint (TARP)", "tarp_alpha", None)] + [(label(p), "levels", p) for p in params]
        for ax, (title, x_key, p) in zip(row, panels):
            ax.fill_between(band["alpha"], band["lo"], band["hi"], color="0.85", lw=0)
            ax.plot([0, 1], [0, 1], color="0.5", lw=0.8)
            for v in POSTERIOR_VARIANTS:
                r = runs[case].get(v)
                if r is None:
                    continue
                y = r["tarp"] if p is None else r["params"][p]["coverage"]
                st = VARIANT_STYLE[v]
                ax.plot(r[x_key], y, color=st["color"], ls=st["ls"], marker="o", ms=2.5, lw=1.3, label=st["label"])
            ax.set_title(f"{title}, N = {any_run['N']}", fontsize=8)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=7)
        row[0].set_ylabel(f"{titles[case]}\nempirical coverage", fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("credibility level", fontsize=8)
    axes[0, 0].legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    return fig


def joint_posteriors(draws: Mapping[str, np.ndarray], contours: Mapping[str, Sequence[dict]], truths: np.ndarray,
                     params: tuple[str, str] = ("s8", "Mnu"), names: Sequence[str] = ()) -> plt.Figure:
    """Corner plots of two parameters for a few test simulations, side by side: the joint
    posterior's 68 % and 95 % contours (of a smoothed 2-D histogram of the draws) with both marginals
    beside it, scratch and transfer; the truth marked.

    ``draws``: variant → (n_samples, n_sims, 2) draws in the parameters' units; ``contours``: variant →
    one :func:`cosmotransfer.posterior.density_contours` per simulation; ``truths`` (n_sims, 2).
    """
    n_sims = truths.shape[0]
    fig, axes = plt.subplots(2, 2 * n_sims, figsize=(3.6 * n_sims, 3.8),
                             gridspec_kw={"height_ratios": [1, 2.2], "width_ratios": [2.2, 1] * n_sims})
    lims = [(PRIORS[p].lo, PRIORS[p].hi) for p in params]
    for j in range(n_sims):
        top, joint, side = axes[0, 2 * j], axes[1, 2 * j], axes[1, 2 * j + 1]
        axes[0, 2 * j + 1].set_visible(False)
        for v in POSTERIOR_VARIANTS:
            if v not in draws:
                continue
            d, st = draws[v][:, j], VARIANT_STYLE[v]
            kw = {"bins": 30, "histtype": "step", "density": True, "color": st["color"], "ls": st["ls"]}
            top.hist(d[:, 0], range=lims[0], label=st["label"], **kw)
            side.hist(d[:, 1], range=lims[1], orientation="horizontal", **kw)
            c = contours[v][j]
            if len(c["levels"]) > 1:
                joint.contour(c["x"], c["y"], c["h"], levels=c["levels"], colors=st["color"], linestyles=st["ls"],
                              linewidths=1.2)
        top.axvline(truths[j, 0], color="k", lw=0.8)
        side.axhline(truths[j, 1], color="k", lw=0.8)
        top.set_xlim(lims[0])
        side.set_ylim(lims[1])
        top.set_title(names[j] if j < len(names) else f"test simulation {j}", fontsize=8)
        for ax in (top, side):
            ax.set_xticks([]) if ax is side else ax.set_yticks([])
            ax.tick_params(labelsize=7, labelbottom=ax is not top, labelleft=ax is not side)
        joint.plot(*truths[j], marker="*", color="k", ms=9, ls="none", label="truth")
        joint.set_xlim(lims[0])
        joint.set_ylim(lims[1])
        joint.set_xlabel(label(params[0]), fontsize=8)
        joint.set_ylabel(label(params[1]), fontsize=8)
        joint.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    return fig
