"""Figures of the emulated data tier (notebook 01): validation against Quijote, the suites'
spectra, and the Mν and f(R) responses. Each function takes data and returns a Figure."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import Normalize

from ..config import get_param


def quijote_comparison(cmp: dict) -> plt.Figure:
    """Emulated tier vs the real Quijote latin hypercube, per k bin.

    ``cmp``: the dict of :func:`cosmotransfer.emulate.compare_with_reference`. Top: median and
    16–84 % band of P_emu/P_Quijote (emulated realisations) and of the noise-free theory over
    Quijote. Bottom: scatter of ln P about the smooth model — Quijote, the emulated tier, and
    one box's sample variance 1/√N_k.
    """
    k = cmp["k"]
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(6.4, 6.0), sharex=True, height_ratios=(3, 2))
    ax.fill_between(k, cmp["ratio_lo"], cmp["ratio_hi"], color="C0", alpha=0.25, lw=0, label="emulated / Quijote, 16–84 %")
    ax.plot(k, cmp["ratio_median"], color="C0", label="emulated / Quijote, median")
    ax.fill_between(k, cmp["theory_lo"], cmp["theory_hi"], color="C1", alpha=0.25, lw=0, label="theory / Quijote, 16–84 %")
    ax.plot(k, cmp["theory_median"], color="C1", label="theory / Quijote, median")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_ylabel(r"$P_{\rm emu}/P_{\rm Quijote}$")
    ax.set_ylim(0.6, 1.4)
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title(f"emulated tier vs Quijote latin hypercube ({int(cmp['n'])} cosmologies)")
    bx.plot(k, cmp["scatter_ref"], color="k", label="Quijote")
    bx.plot(k, cmp["scatter_emu"], color="C0", ls="--", label="emulated")
    bx.plot(k, cmp["scatter_expected"], color="C2", ls=":", label=r"$1/\sqrt{N_k}$ (one box)")
    bx.set_yscale("log")
    bx.set_xscale("log")
    bx.set_xlabel(r"$k\ [h\,{\rm Mpc}^{-1}]$")
    bx.set_ylabel(r"std of $\ln(P/\bar P_{\rm theory})$")
    bx.legend(fontsize=8)
    fig.tight_layout()
    return fig


def spectra_by_parameter(k: np.ndarray, pk: np.ndarray, values: np.ndarray, param: str, n_max: int = 300,
                         title: str | None = None) -> plt.Figure:
    """Spectra of a suite, one line per simulation coloured by one parameter.

    ``k`` (79,) [h/Mpc]; ``pk`` (n, 79) [(Mpc/h)^3]; ``values`` (n,) of ``param`` (a name of the
    prior table). At most ``n_max`` lines are drawn (the first ones).
    """
    p = get_param(param)
    n = min(len(pk), n_max)
    norm = Normalize(values[:n].min(), values[:n].max())
    cmap = plt.get_cmap("viridis")
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for i in np.argsort(values[:n]):
        ax.plot(k, k * pk[i], color=cmap(norm(values[i])), lw=0.6, alpha=0.7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$k\ [h\,{\rm Mpc}^{-1}]$")
    ax.set_ylabel(r"$k\,P(k)\ [({\rm Mpc}/h)^2]$")
    cb = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax)
    cb.set_label(f"${p.label}$" + (f" [{p.unit}]" if p.unit else ""))
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def responses(k: np.ndarray, curves: dict[str, dict[float, np.ndarray]]) -> plt.Figure:
    """Noise-free responses of the emulated P(k) to the new parameters, one panel each.

    ``curves`` maps a parameter name (e.g. ``"Mnu"``, ``"fR0"``) to {value: (79,) ratio
    P(value)/P(reference)}, e.g. from :func:`cosmotransfer.emulate.response`.
    """
    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.8), squeeze=False)
    for ax, (name, by_value) in zip(axes[0], curves.items()):
        p = get_param(name)
        vals = sorted(by_value)
        cmap = plt.get_cmap("plasma")
        for j, v in enumerate(vals):
            ax.plot(k, by_value[v], color=cmap(j / max(len(vals) - 1, 1)), label=f"${p.label}={v:g}$" + (f" {p.unit}" if p.unit else ""))
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel(r"$k\ [h\,{\rm Mpc}^{-1}]$")
        ax.set_ylabel(f"$P/P_{{\\rm ref}}$ (varying ${p.label}$)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def low_k_excess_figure(low: dict, control: dict) -> plt.Figure:
    """Real Quijote spectra over CAMB on the largest scales (:func:`cosmotransfer.emulate.low_k_excess`).

    Left: P_Quijote / P_linear (mode-averaged) per bin for the lowest-Ωm cosmologies, coloured by
    Ωb/Ωm, with the median of the control cosmologies (Ωm ≈ 0.3). Right: the same ratio, and the
    one over HMcode-2020, in the last bin against Ωb/Ωm."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    norm = Normalize(low["fb"].min(), low["fb"].max())
    for fb, r in zip(low["fb"], low["over_linear"]):
        ax.plot(low["k"], r, color=plt.cm.viridis(norm(fb)), lw=1, alpha=0.8)
    ax.plot(control["k"], np.median(control["over_linear"], axis=0), color="k", lw=2,
            label=rf"median, $\Omega_m$ = {control['Om'].min():.2f}–{control['Om'].max():.2f}")
    ax.axhline(1.0, color="0.5", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel(r"$k\ [h\,{\rm Mpc}^{-1}]$")
    ax.set_ylabel(r"$P_{\rm Quijote}/P_{\rm linear}$ (bin-averaged)")
    ax.set_title(rf"$\Omega_m$ = {low['Om'].min():.3f}–{low['Om'].max():.3f}, coloured by $\Omega_b/\Omega_m$", fontsize=10)
    ax.legend(fontsize=8)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap="viridis"), ax=ax, label=r"$\Omega_b/\Omega_m$")
    k_last = low["k"][-1]
    bx.scatter(low["fb"], low["over_linear"][:, -1], color="C0", label="over CAMB linear")
    bx.scatter(low["fb"], low["over_hmcode"][:, -1], color="C1", marker="s", label="over HMcode-2020")
    bx.axhline(1.0, color="0.5", lw=0.8)
    bx.set_yscale("log")
    bx.set_xlabel(r"$\Omega_b/\Omega_m$")
    bx.set_ylabel(rf"$P_{{\rm Quijote}}$ / theory at $k$ = {k_last:.3f}")
    bx.legend(fontsize=8)
    return fig
