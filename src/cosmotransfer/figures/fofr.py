"""Figures of the f(R) part of the engine page (notebook 11): the engine's Hu–Sawicki boost against fremu.

Each function takes arrays (from :func:`cosmotransfer.sim.experiments.simulate_boosts`, fremu via
:func:`cosmotransfer.cosmology.fR_boost`, linear theory via :func:`cosmotransfer.sim.fofr.linear_boost`)
and returns a :class:`matplotlib.figure.Figure`; nothing here runs a simulation.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter


def _label(fR0: float) -> str:
    m, e = f"{fR0:.0e}".split("e")
    return rf"$f_{{R0}} = {m}\times10^{{{int(e)}}}$"


def boost_vs_fremu(k: np.ndarray, boost: dict, fremu: dict, linear: dict | None = None,
                   unscreened: dict | None = None, k_min_fremu: float | None = None, tolerance: float = 0.03):
    """Top: the boost P_fR/P_GR against k, one colour per f_R0; bottom: engine / fremu − 1 [%].

    ``k`` (n_k,) [h/Mpc]; ``boost``, ``fremu`` and the optional ``linear`` (linear theory) and
    ``unscreened`` (the engine without screening): ``{f_R0: (n_k,)}``. The engine is drawn solid,
    fremu dashed, the unscreened engine dash-dotted and linear theory dotted (the last two show
    what screening takes away). ``k_min_fremu``: fremu's first k (below it the emulator is
    extrapolated; shaded). ``tolerance``: the ±band of the bottom panel (the issue's 3%).
    """
    fig, (top, bot) = plt.subplots(2, 1, figsize=(7, 6.4), sharex=True, constrained_layout=True,
                                   gridspec_kw={"height_ratios": (2, 1)})
    for i, f in enumerate(sorted(boost, reverse=True)):
        c = f"C{i}"
        top.semilogx(k, boost[f], color=c, label=_label(f))
        top.semilogx(k, fremu[f], color=c, ls="--", lw=1)
        if unscreened and f in unscreened:
            top.semilogx(k, unscreened[f], color=c, ls="-.", lw=1)
        if linear and f in linear:
            top.semilogx(k, linear[f], color=c, ls=":", lw=1)
        bot.semilogx(k, 100 * (boost[f] / fremu[f] - 1), color=c)
    for ls, name, show in (("--", "fremu (Quijote-MG emulator)", True), ("-.", "engine, no screening", unscreened),
                           (":", "linear theory", linear)):
        if show:
            top.plot([], [], color="k", ls=ls, lw=1, label=name)
    top.axhline(1.0, color="k", lw=0.8)
    top.set_ylabel(r"$P_{f(R)}/P_{\rm GR}$")
    top.legend(fontsize=8, ncol=2)
    bot.axhspan(-100 * tolerance, 100 * tolerance, color="0.85", zorder=0)
    bot.axhline(0.0, color="k", lw=0.8)
    bot.set_ylabel("engine / fremu − 1 [%]")
    bot.set_xlabel(r"$k$ [$h$/Mpc]")
    for ax in (top, bot):
        if k_min_fremu is not None and k[0] < k_min_fremu:
            ax.axvspan(k[0] * 0.9, k_min_fremu, color="0.93", zorder=0)
        ax.xaxis.set_minor_formatter(NullFormatter())
    return fig



def suite_response_panel(k: np.ndarray, fits: dict, names: tuple[str, ...], title: str = ""):
    """How a suite's ln P(k) moves across each parameter's whole prior (scaled θ̂), read off the
    suite itself: ``fits`` = :func:`cosmotransfer.datasets.suite_responses` (slope, standard error per
    bin), drawn for ``names`` with ± 2 standard errors. Curves of the same shape up to a factor are
    directions the statistic cannot tell apart."""
    from ..config import get_param

    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for i, n in enumerate(names):
        slope, se = fits[n]
        ax.fill_between(k, slope - 2 * se, slope + 2 * se, color=f"C{i}", alpha=0.25, lw=0)
        ax.plot(k, slope, color=f"C{i}", label=f"${get_param(n).label}$")
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(r"$k\ [h\,{\rm Mpc}^{-1}]$")
    ax.set_ylabel(r"$\partial \ln P / \partial\hat\theta$ (whole prior)")
    ax.legend(fontsize=8, ncol=2)
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
