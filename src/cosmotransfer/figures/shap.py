"""Figures of notebook 07: SHAP attributions per k bin before and after fine-tuning.

Every function takes arrays (see :mod:`cosmotransfer.explain` for how they are made) and returns
a matplotlib Figure. Parameters keep one colour throughout: Ωm blue, σ8 red, Mν green.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from ..config import PRIORS
from ..attribution import SignFlip
from ..explain import CaseSHAP

COLORS = {"Om": "C0", "Ob": "C4", "h": "C5", "ns": "C1", "s8": "C3", "Mnu": "C2", "w": "C7", "fR0": "C6"}
STAT_LABELS = {"pk": "P(k)", "mpk": "marked P(k)"}


def _tex(name: str) -> str:
    return f"${PRIORS[name].label}$"


def _bin_edges(k: np.ndarray) -> np.ndarray:
    """(n_k + 1,) edges between the k values (geometric midpoints; outer edges mirrored) for shading."""
    k = np.asarray(k, dtype=np.float64)
    mid = np.sqrt(k[1:] * k[:-1])
    return np.concatenate([[k[0] ** 2 / mid[0]], mid, [k[-1] ** 2 / mid[-1]]])


def _shade(ax, k: np.ndarray, flips: SignFlip | None):
    """Grey bands over the bins of ``flips``."""
    if flips is None or not len(flips):
        return
    edges = _bin_edges(k)
    for i in flips.bins:
        ax.axvspan(edges[i], edges[i + 1], color="0.85", lw=0, zorder=0)


def signed_attribution_figure(k: np.ndarray, panels: Sequence[Mapping],
                              response: Mapping[str, np.ndarray] | None = None,
                              response_label: str = r"$\partial \ln P / \partial\theta$",
                              suptitle: str = "") -> plt.Figure:
    """Signed SHAP importance per k bin (thin) and per k band (steps), one panel per network.

    ``k`` (n_k,) h/Mpc. Each panel is a dict: ``title``; ``curves`` {parameter: (n_k,) signed
    mean |φ|} in scaled-output units; optional ``bands`` {parameter: (n_bands,) signed band
    importance} with ``band_edges`` (n_bands + 1,) — drawn divided by the band's number of bins,
    so steps and bins share the axis; optional ``flips`` (bins where σ8 flipped sign against the
    pre-trained network, shaded grey) and ``band_flips`` (bands, hatched). ``response``:
    {parameter: (n_k,) d ln S/dθ}, dashed on a twin axis for the parameters of each panel.
    """
    n = len(panels)
    fig, axes = plt.subplots(1, n, figsize=(4.3 * n, 3.9), sharey=True, squeeze=False)
    # symmetric limits on both axes, so the zero of the SHAP curves and of the responses coincide
    lim = 0.0
    for p in panels:
        per_band = [np.asarray(v) / np.maximum(np.histogram(k, bins=p["band_edges"])[0], 1)
                    for v in p.get("bands", {}).values()]
        lim = max([lim] + [float(np.abs(c).max()) for c in [*p["curves"].values(), *per_band]])
    lim *= 1.1
    for ax, panel in zip(axes[0], panels):
        curves = panel["curves"]
        _shade(ax, k, panel.get("flips"))
        bf = panel.get("band_flips")
        if bf is not None:
            for lo, hi in bf.runs:
                ax.axvspan(lo, hi, facecolor="none", edgecolor="0.5", hatch="///", lw=0, zorder=0)
        ax.axhline(0, color="k", lw=0.6)
        edges = panel.get("band_edges")
        nbins = None if edges is None else np.histogram(k, bins=edges)[0]
        for name, c in curves.items():
            ax.plot(k, c, color=COLORS.get(name), lw=0.8, alpha=0.6, label=f"{_tex(name)} per bin")
            if edges is not None and name in panel.get("bands", {}):
                ax.stairs(panel["bands"][name] / np.maximum(nbins, 1), edges, color=COLORS.get(name), lw=2.2,
                          label=f"{_tex(name)} per band")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # a short k range would label every minor tick
        ax.set(title=panel["title"], xlabel=r"$k$ [$h$/Mpc]")
        handles, labels = ax.get_legend_handles_labels()
        if response:
            tw = ax.twinx()
            for name in curves:
                if name in response:
                    lab = response_label.replace("\\theta", "{" + PRIORS[name].label + "}")
                    tw.plot(k, response[name], color=COLORS.get(name), lw=1, ls="--", alpha=0.8, label=lab)
            rmax = max((float(np.abs(response[nm]).max()) for nm in curves if nm in response), default=1.0)
            tw.set_ylim(-1.1 * rmax, 1.1 * rmax)
            tw.tick_params(labelsize=7, colors="0.35")
            if ax is axes[0, -1]:
                tw.set_ylabel("response (dashed)", color="0.35")
            h2, l2 = tw.get_legend_handles_labels()
            handles, labels = handles + h2, labels + l2
        flips = panel.get("flips")
        if flips is not None and len(flips):
            handles.append(plt.Rectangle((0, 0), 1, 1, color="0.85"))
            labels.append(r"$\sigma_8$ flips (bin)")
        if bf is not None and len(bf):
            handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="none", edgecolor="0.5", hatch="///"))
            labels.append(r"$\sigma_8$ flips (band)")
        ax.legend(handles, labels, fontsize=6, loc="lower left", framealpha=0.8, ncol=2)
    axes[0, 0].set_ylim(-lim, lim)
    axes[0, 0].set_ylabel("signed mean |SHAP| per bin (scaled output)")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def attribution_heatmap(k: np.ndarray, panels: Sequence[tuple[str, np.ndarray, np.ndarray, str]],
                        ncols: int | None = None, suptitle: str = "") -> plt.Figure:
    """Per-simulation SHAP values: rows = simulations sorted by a parameter, columns = k bins.

    ``panels``: (title, φ (n, n_k), sort values (n,), sort-axis label) — e.g. σ8's attributions of
    each test simulation ordered by its true σ8 — or None for an empty grid cell; filled row by
    row, ``ncols`` per row. Colours are symmetric about 0 per panel.
    """
    n = len(panels)
    ncols = ncols or n
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.4 * nrows), squeeze=False)
    edges = _bin_edges(k)
    for ax, panel in zip(axes.flat, panels):
        if panel is None:  # a gap in the grid (e.g. Mν of a network that does not predict it)
            ax.set_axis_off()
            continue
        title, phi, order_by, label = panel
        o = np.argsort(order_by, kind="stable")
        # clip at the 99th percentile of |φ|: a few simulations with extreme values would wash out the rest
        lim = float(np.quantile(np.abs(phi), 0.99)) or 1.0
        vals = np.asarray(order_by)[o]
        m = ax.pcolormesh(edges, np.arange(len(o) + 1), phi[o], cmap="RdBu_r", vmin=-lim, vmax=lim, shading="flat")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        # label the sorted rows with the parameter values they hold
        ticks = np.linspace(0, len(o) - 1, 5).astype(int)
        ax.set_yticks(ticks + 0.5, [f"{vals[t]:.2f}" for t in ticks])
        ax.set(title=title, xlabel=r"$k$ [$h$/Mpc]", ylabel=label)
        fig.colorbar(m, ax=ax, pad=0.02).ax.tick_params(labelsize=7)
    for ax in axes.flat[n:]:
        ax.set_axis_off()
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def region_figure(regions: Mapping[str, Mapping[str, tuple[float, float]]], params: Sequence[str], k_min: float,
                  suptitle: str = "") -> plt.Figure:
    """Grouped bars: per network (x groups) and parameter, how far the small-scale bins (solid)
    and the large-scale bins (hatched), each summed as one group, move the prediction.

    ``regions``: network label → {parameter: (small, large)} from
    :func:`cosmotransfer.attribution.region_attribution`; a parameter a network does not predict is
    left out of its group.
    """
    labels = list(regions)
    width = 0.8 / (2 * len(params))
    fig, ax = plt.subplots(figsize=(2.0 + 1.9 * len(labels), 3.6))
    x = np.arange(len(labels))
    for j, p in enumerate(params):
        for h, (part, hatch) in enumerate((("small", None), ("large", "///"))):
            vals = [regions[lab][p][h] if p in regions[lab] else np.nan for lab in labels]
            off = (2 * j + h - (2 * len(params) - 1) / 2) * width
            ax.bar(x + off, vals, width, color=COLORS.get(p) if h == 0 else "none", edgecolor=COLORS.get(p),
                   hatch=hatch, label=f"{_tex(p)}, k {'≥' if h == 0 else '<'} {k_min:g}")
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("mean |Σ SHAP over the group|")
    ax.legend(fontsize=7, ncol=len(params))
    ax.set_title(suptitle or f"attribution of the scales above and below k = {k_min:g} h/Mpc", fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------
# One case (see explain.explain_case)
# --------------------------------------------------------------------------------------
def case_signed_figure(res: CaseSHAP, response: Mapping[str, np.ndarray] | None = None,
                       pre_params: Sequence[str] = ("Om", "s8"), ft_params: Sequence[str] = ("s8", "Mnu"),
                       rel_threshold: float = 0.1) -> plt.Figure:
    """Signed SHAP per k bin and band: the pre-trained network (``pre_params``), then each
    fine-tuned one (``ft_params``) with σ8's sign flips against the pre-trained network marked.

    ``response``: {parameter: (n_k,) d ln S/dθ in physical units}; it is drawn per unit of the
    *scaled* parameter (times the prior width), the units the network's outputs and SHAP values have.
    """
    def panel(net, params, flips):
        return {"title": net.label, "curves": {p: res.signed(net, p) for p in params},
                "bands": {p: res.signed_bands(net, p) for p in params}, "band_edges": res.band_edges,
                "flips": res.flips(net, "s8", rel_threshold) if flips else None,
                "band_flips": res.band_flips(net, "s8", rel_threshold) if flips else None}

    panels = [panel(res.pretrained, pre_params, False)] + [panel(net, ft_params, True) for net in res.finetuned]
    scaled = None if response is None else {p: r * PRIORS[p].span for p, r in response.items()}
    label = r"$\partial \ln S / \partial\hat\theta$"
    return signed_attribution_figure(res.k, panels, scaled, response_label=label,
                                     suptitle=f"{STAT_LABELS.get(res.stat, res.stat)}: signed SHAP importance per k bin and band")


def case_heatmap(res: CaseSHAP, params: Sequence[str] = ("s8", "Mnu")) -> plt.Figure:
    """Per-simulation SHAP values: one column per network, one row per parameter, test simulations
    sorted by the parameter's true value."""
    panels_by_row = []
    for p in params:
        for net in res.networks:
            if p in net.attr.names:
                j = net.attr.names.index(p)
                panels_by_row.append((f"{_tex(p)} — {net.label}", net.attr.values[:, :, j], net.truth[:, j],
                                      f"true {_tex(p)}"))
            else:
                panels_by_row.append(None)
    return attribution_heatmap(res.k, panels_by_row, ncols=len(res.networks),
                               suptitle=f"{STAT_LABELS.get(res.stat, res.stat)}: SHAP value of every test simulation")


def case_region_figure(regions: Mapping[str, Mapping[str, tuple[float, float]]], stat: str, k_min: float,
                       params: Sequence[str] = ("Om", "s8", "Mnu")) -> plt.Figure:
    """Bars: how far the bins above and below ``k_min``, each as one group, move each prediction.

    ``regions``: :func:`cosmotransfer.explain.case_regions` (network label → output → (small, large))."""
    title = f"{STAT_LABELS.get(stat, stat)}: attribution of the scales above and below k = {k_min:g} h/Mpc"
    return region_figure({label.replace(", ", "\n"): r for label, r in regions.items()}, params, k_min, suptitle=title)


# --------------------------------------------------------------------------------------
# Tables and notes
# --------------------------------------------------------------------------------------
def benchmark_table(rows: Sequence[Mapping]):
    """The explainer benchmark (:func:`cosmotransfer.attribution.benchmark`) as a table to read, one
    row per method: times to three significant figures, the additivity error in scientific notation."""
    import pandas as pd

    df = pd.DataFrame(rows).set_index("method").rename(columns={
        "n_explained": "simulations explained", "n_background": "background rows", "wall_s": "wall [s]",
        "s_per_sample": "s per simulation", "max_additivity_error": "max |Σφ − (f − E f)|",
        "corr_with_deep": "corr. with deep", "first_call_s": "one-off compile [s]",
    })
    return df.style.format({"wall [s]": "{:.3g}", "s per simulation": "{:.3g}", "max |Σφ − (f − E f)|": "{:.1e}",
                            "corr. with deep": "{:.3f}", "one-off compile [s]": "{:.3g}"})


def admonition(title: str, text: str, kind: str = "warning"):
    """An HTML admonition (rendered like a MyST one by the book theme) for a notebook output:
    e.g. a section skipped because its data do not exist at this scale."""
    from html import escape

    from IPython.display import HTML

    return HTML(f'<div class="admonition {escape(kind)}"><p class="admonition-title">{escape(title)}</p>'
                f"<p>{escape(text)}</p></div>")
