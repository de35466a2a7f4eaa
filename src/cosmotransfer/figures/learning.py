"""Figures of notebooks 02–06: the pre-trained network, MSE vs budget, negative transfer, variants.

Every function takes tables or arrays (see :mod:`cosmotransfer.sweeps` for the curve tables:
columns case, variant, n_pretrain, N, param, median, lo, hi) and returns a matplotlib Figure.
MSEs are on the scaled [0, 1] axis of each parameter, where predicting the prior mean scores 1/12.
"""
from __future__ import annotations

import html

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
import pandas as pd

from ..config import PRIOR_MEAN_MSE, PRIORS
from ..datasets import unscale_targets

PRIOR_MSE = PRIOR_MEAN_MSE  # MSE of always predicting the middle of a uniform prior, scaled axis
VARIANT_STYLE = {
    "scratch": {"color": "0.15", "label": "scratch", "ls": "--"},
    "dummy": {"color": "C0", "label": "transfer: dummy nodes", "ls": "-"},
    "nodummy": {"color": "C1", "label": "transfer: no dummy", "ls": "-"},
    "frozen": {"color": "C3", "label": "transfer: frozen + head", "ls": "-"},
    # the mitigations of negative transfer (chapter 08): dummy nodes plus one change each
    "l2sp": {"color": "C2", "label": "dummy + L2-SP", "ls": "-."},
    "reinit": {"color": "C4", "label": "dummy, σ8 and new rows re-initialised", "ls": "-."},
    "lora": {"color": "C5", "label": "dummy + LoRA (frozen layers)", "ls": "-."},
    "rehearsal": {"color": "C6", "label": "dummy + rehearsal (ΛCDM replayed)", "ls": "-."},
}


#: Unicode names for prose (glued text cannot carry LaTeX), from the prior table, plus ``total``.
PLAIN = {**{name: p.plain for name, p in PRIORS.items()}, "total": "total"}


def label(name: str) -> str:
    """``$\\Omega_m$``-style axis label of a parameter (``total`` for the sum)."""
    if name == "total":
        return "total"
    p = PRIORS[name]
    return f"${p.label}$" + (f" [{p.unit}]" if p.unit else "")


def skipped(message: str, title: str = "Skipped: this part needs a suite that is not here"):
    """An admonition for a notebook cell whose data does not exist (instead of a crash)."""
    from IPython.display import HTML

    return HTML(f'<div class="admonition warning"><p class="admonition-title">{html.escape(title)}</p>'
                f"<p>{html.escape(message)}</p></div>")


# --------------------------------------------------------------------------------------
# The pre-trained network (notebook 02)
# --------------------------------------------------------------------------------------
def pretrain_mse(results: dict[str, dict[str, float]]) -> plt.Figure:
    """Per-parameter test MSE of one or more pre-trained networks (bars), prior-mean MSE dashed.

    ``results``: label → {param: test MSE}.
    """
    names = list(next(iter(results.values())))
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    width = 0.8 / len(results)
    for i, (lab, mse) in enumerate(results.items()):
        ax.bar(np.arange(len(names)) + (i - (len(results) - 1) / 2) * width, [mse[n] for n in names], width,
               label=f"{lab} (total {sum(mse.values()):.4f})")
    ax.axhline(PRIOR_MSE, color="0.4", ls=":", lw=1, label="prior mean (1/12)")
    ax.set_xticks(np.arange(len(names)), [label(n) for n in names])
    ax.set_yscale("log")
    ax.set_ylabel("test MSE (scaled)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def truth_vs_prediction(y_true: np.ndarray, y_pred: np.ndarray, targets: tuple[str, ...]) -> plt.Figure:
    """One panel per parameter: predicted vs true value on the test set, in physical units.

    ``y_true``, ``y_pred``: (n, len(targets)) scaled [0, 1] (extra prediction columns ignored).
    """
    t = unscale_targets(y_true, targets)
    p = unscale_targets(y_pred[:, : len(targets)], targets)
    fig, axes = plt.subplots(1, len(targets), figsize=(2.6 * len(targets), 2.8))
    for j, (ax, name) in enumerate(zip(np.atleast_1d(axes), targets)):
        lo, hi = PRIORS[name].lo, PRIORS[name].hi
        ax.plot([lo, hi], [lo, hi], color="0.5", lw=1)
        ax.scatter(t[:, j], p[:, j], s=3, alpha=0.5, lw=0)
        ax.set_xlim(lo, hi), ax.set_ylim(lo, hi)
        mse = np.mean((y_pred[:, j] - y_true[:, j]) ** 2)
        ax.set_title(f"{label(name)}  MSE {mse:.4f}", fontsize=9)
        ax.set_xlabel("true")
        if j == 0:
            ax.set_ylabel("predicted")
    fig.tight_layout()
    return fig


def learning_curves(histories: dict[str, dict]) -> plt.Figure:
    """Training and validation loss per epoch; the restored (best) epoch marked."""
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    for i, (lab, h) in enumerate(histories.items()):
        ep = np.arange(1, len(h["val_loss"]) + 1)
        ax.plot(ep, h["train_loss"], color=f"C{i}", lw=1, alpha=0.6, ls="--")
        ax.plot(ep, h["val_loss"], color=f"C{i}", lw=1.5, label=f"{lab}: validation (-- training)")
        ax.plot(h["best_epoch"] + 1, h["best_val"], "o", color=f"C{i}", ms=4)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("MSE (scaled, mean over outputs)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------
# MSE vs budget (notebooks 02–06)
# --------------------------------------------------------------------------------------
def band_line(ax, c: pd.DataFrame, style: dict, label_: str | None = None):
    """A median-vs-N line with its lo–hi band (a curve table's rows of one variant and parameter)."""
    c = c.sort_values("N")
    ax.plot(c.N, c["median"], color=style["color"], ls=style["ls"], marker="o", ms=3, lw=1.5,
            label=label_ or style["label"])
    ax.fill_between(c.N, c.lo, c.hi, color=style["color"], alpha=0.2, lw=0)


def budget_axis(ax, budgets, logy: bool = True):
    """Log N axis ticked at the swept budgets; log MSE axis labelled even within one decade."""
    ax.set_xscale("log")
    # every budget ticked; on the dense paper grid only the doublings labelled, so labels never overlap
    shown = set(budgets) if len(budgets) <= 6 else {b for b in budgets if b in (50, 100, 200, 400, 700, 800, 1400)}
    ax.set_xticks(budgets, [str(b) if b in shown else "" for b in budgets], fontsize=7)
    ax.xaxis.set_minor_locator(ticker.NullLocator())
    if logy:
        ax.set_yscale("log")
        lo, hi = ax.get_ylim()
        # label 1-2-5 steps over a wide range, every integer multiple within a narrow one
        subs = (1.0, 2.0, 5.0) if hi / lo > 4 else tuple(range(1, 10))
        ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=subs))
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
        ax.tick_params(axis="y", which="both", labelsize=7)


def _ordered(params) -> tuple[str, ...]:
    """Parameters in the prior table's order (Ωm, Ωb, h, n_s, σ8, Mν, …)."""
    return tuple(p for p in PRIORS if p in set(params))


def mse_vs_budget(curve: pd.DataFrame, variants: tuple[str, ...] | None = None, params: tuple[str, ...] | None = None,
                  title: str = "", n_pretrain: int | None = None) -> plt.Figure:
    """Total and per-parameter test MSE vs N (median and 16–84 % band), one line per variant.

    ``curve``: one case's :func:`cosmotransfer.sweeps.curves` table; ``n_pretrain`` picks the
    pre-training size of the transfer variants (default: the largest in the table).
    """
    variants = variants or tuple(v for v in VARIANT_STYLE if v in set(curve.variant))
    params = params or _ordered(curve.param.unique())
    n_pre = n_pretrain or curve[curve.variant != "scratch"].n_pretrain.max()
    c = curve[(curve.variant == "scratch") | (curve.n_pretrain == n_pre)]
    panels = ("total",) + tuple(params)
    ncol = min(4, len(panels))
    nrow = int(np.ceil(len(panels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.1 * ncol, 2.7 * nrow), squeeze=False)
    budgets = sorted(c.N.unique())
    for ax, p in zip(axes.flat, panels):
        for v in variants:
            band_line(ax, c[(c.variant == v) & (c.param == p)], VARIANT_STYLE[v])
        _mse_panel(ax, p, len(params), budgets)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    return _finish_mse_figure(fig, axes, title)


def _mse_panel(ax, param: str, n_params: int, budgets) -> None:
    """Prior-mean line (×``n_params`` for the total), budget axes and title of one MSE-vs-N panel."""
    ax.axhline(PRIOR_MSE * (n_params if param == "total" else 1), color="0.6", ls=":", lw=1)
    budget_axis(ax, budgets)
    ax.set_title(label(param) if param != "total" else f"total ({n_params} parameters)", fontsize=9)
    ax.set_xlabel("N (training simulations)", fontsize=8)


def _finish_mse_figure(fig, axes, title: str) -> plt.Figure:
    axes[0, 0].set_ylabel("test MSE (scaled)")
    axes[0, 0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def pretrain_size_ablation(curve: pd.DataFrame, variant: str = "dummy", title: str = "") -> plt.Figure:
    """Total test MSE vs N of ``variant`` for each pre-training size, and scratch."""
    tot = curve[curve.param == "total"]
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    band_line(ax, tot[tot.variant == "scratch"], VARIANT_STYLE["scratch"])
    sizes = sorted(tot[tot.variant == variant].n_pretrain.unique())
    for i, n in enumerate(sizes):
        style = {**VARIANT_STYLE[variant], "color": plt.cm.Blues(0.45 + 0.5 * i / max(len(sizes) - 1, 1))}
        band_line(ax, tot[(tot.variant == variant) & (tot.n_pretrain == n)], style, f"pre-trained on {n:,} ΛCDM sims")
    budget_axis(ax, sorted(tot.N.unique()))
    ax.set_xlabel("N (training simulations)")
    ax.set_ylabel("total test MSE (scaled)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def transfer_ratio(curves: dict[str, pd.DataFrame], params: tuple[str, ...] = ("s8", "Mnu"),
                   variant: str = "dummy") -> plt.Figure:
    """Negative-transfer panels: per-parameter MSE of ``variant`` over scratch's, vs N.

    ``curves``: label (e.g. "P(k)", "marked P(k)") → one case's curve table. Ratios above 1
    (shaded) are negative transfer: the pre-trained start hurts that parameter.
    """
    fig, axes = plt.subplots(1, len(params), figsize=(3.6 * len(params), 3.0), squeeze=False)
    for ax, p in zip(axes[0], params):
        for i, (lab, c) in enumerate(curves.items()):
            n_pre = c[c.variant == variant].n_pretrain.max()
            s = c[(c.variant == "scratch") & (c.param == p)].set_index("N")["median"]
            t = c[(c.variant == variant) & (c.param == p) & (c.n_pretrain == n_pre)].set_index("N")["median"]
            r = (t / s).dropna()
            ax.plot(r.index, r.values, marker="o", ms=3, color=f"C{i}", label=lab)
        ax.axhline(1, color="0.3", lw=1)
        ax.axhspan(1, 100, color="C3", alpha=0.07, lw=0)
        budget_axis(ax, sorted(set().union(*(c.N.unique() for c in curves.values()))))
        ax.set_ylim(0.1, 10)
        ax.set_title(f"{label(p)}: MSE transfer / scratch", fontsize=9)
        ax.set_xlabel("N (training simulations)", fontsize=8)
    axes[0, 0].set_ylabel("ratio (> 1: negative transfer)")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def variants_by_case(curves: dict[str, pd.DataFrame], titles: dict[str, str] | None = None) -> plt.Figure:
    """Total test MSE vs N of every variant, one panel per case (notebook 06), three per row."""
    n = len(curves)
    ncol = min(n, 3)
    nrow = -(-n // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.5 * ncol, 3.2 * nrow), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, (case, c) in zip(axes.flat, curves.items()):
        tot = c[c.param == "total"]
        n_pre = tot[tot.variant != "scratch"].n_pretrain.max()
        for v in VARIANT_STYLE:
            sel = tot[(tot.variant == v) & ((tot.variant == "scratch") | (tot.n_pretrain == n_pre))]
            if not sel.empty:
                band_line(ax, sel, VARIANT_STYLE[v])
        budget_axis(ax, sorted(tot.N.unique()))
        ax.set_title((titles or {}).get(case, case), fontsize=9)
        ax.set_xlabel("N (training simulations)", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("total test MSE (scaled)")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def transfers_vs_budget(curves: dict[str, pd.DataFrame], params: tuple[str, ...] = ("total", "s8", "Mnu"),
                        variant: str = "dummy", title: str = "") -> plt.Figure:
    """Several transfer set-ups of one fine-tuning suite against one scratch baseline: test MSE vs N
    (median and 16–84 % band), one panel per parameter (``"total"``: the sum over the targets).

    ``curves``: label (e.g. "pre-trained on the real LH") → that set-up's curve table; each holds
    ``variant`` (at its largest pre-training size) and the same ``scratch`` rows, drawn once from the first.
    """
    first = next(iter(curves.values()))
    n_targets = len(set(first.param) - {"total"})
    fig, axes = plt.subplots(1, len(params), figsize=(3.4 * len(params), 3.0), squeeze=False)
    for ax, p in zip(axes[0], params):
        band_line(ax, first[(first.variant == "scratch") & (first.param == p)], VARIANT_STYLE["scratch"])
        for i, (lab, c) in enumerate(curves.items()):
            n_pre = c[c.variant == variant].n_pretrain.max()
            style = {**VARIANT_STYLE[variant], "color": f"C{i}"}
            band_line(ax, c[(c.variant == variant) & (c.param == p) & (c.n_pretrain == n_pre)], style, lab)
        _mse_panel(ax, p, n_targets, sorted(first.N.unique()))
    return _finish_mse_figure(fig, axes, title)
