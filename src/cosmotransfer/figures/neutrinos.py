"""Figures of the massive-neutrino part of the engine page (notebook 11) (the engine's ν physics and its checks).

Each function takes arrays (from :func:`cosmotransfer.sim.experiments.parameter_responses` and
CAMB) and returns a :class:`matplotlib.figure.Figure`; nothing here runs a simulation.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

_STATS = (("pk", r"$P(k)$"), ("mpk", r"$M(k)$ (marked)"))


def _k_axis(ax):
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())  # minor log labels collide over one decade
    ax.set_xlabel(r"$k$ [$h$/Mpc]")


def neutrino_ratios(k: np.ndarray, spectra: dict, masses, camb: dict | None = None, tolerance: float = 0.02):
    """The ν effect at the same seed: S(Mν)/S(fiducial) for P(k) and MP(k), and P's ratio
    against CAMB's.

    ``k`` (n_k,) [h/Mpc]; ``spectra``: ``{"fid" | "Mnu=<m>": {"pk", "mpk": (n_k,)}}`` (as
    :func:`~cosmotransfer.sim.experiments.parameter_responses` returns them); ``masses`` [eV] to
    draw; ``camb``: optional ``{m: {"hmcode": (n_k,), "linear": (n_k,)}}`` CAMB ratios at the same
    σ8, drawn dashed (HMcode-2020) and dotted (linear) and, in a third panel, divided into the
    simulated P ratio with a ±``tolerance`` band. An optional ``"spt": (n_k,)`` entry (one-loop
    ratio, NaN where one loop does not apply) is drawn dash-dotted in both panels.
    """
    n_panels = 3 if camb else 2
    fig, axes = plt.subplots(1, n_panels, figsize=(5 * n_panels, 3.9), constrained_layout=True)
    for j, m in enumerate(masses):
        c = f"C{j}"
        for ax, (st, name) in zip(axes, _STATS):
            ax.plot(k, spectra[f"Mnu={m:g}"][st] / spectra["fid"][st], color=c, label=rf"$M_\nu$ = {m:g} eV")
        if camb:
            axes[0].plot(k, camb[m]["hmcode"], color=c, ls="--", lw=1)
            axes[0].plot(k, camb[m]["linear"], color=c, ls=":", lw=1)
            sim = spectra[f"Mnu={m:g}"]["pk"] / spectra["fid"]["pk"]
            axes[2].plot(k, sim / camb[m]["hmcode"], color=c)
            if "spt" in camb[m]:
                axes[0].plot(k, camb[m]["spt"], color=c, ls="-.", lw=1)
                axes[2].plot(k, sim / camb[m]["spt"], color=c, ls="-.", lw=1)
    for ax, sym in zip(axes, ("P", "M")):
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_ylabel(rf"${sym}(k; M_\nu)\,/\,{sym}(k; 0)$, same seed")
    axes[1].set_title("marked spectrum", fontsize=10)
    if camb:
        axes[0].plot([], [], color="k", ls="--", lw=1, label="CAMB HMcode-2020")
        axes[0].plot([], [], color="k", ls=":", lw=1, label="CAMB linear")
        axes[2].axhline(1.0, color="k", lw=0.8)
        axes[2].axhspan(1 - tolerance, 1 + tolerance, color="0.85", zorder=0)
        axes[2].set_ylabel(r"$P$ ratio: simulated / reference")
        if any("spt" in c for c in camb.values()):
            axes[0].plot([], [], color="k", ls="-.", lw=1, label="one-loop SPT")
            axes[2].plot([], [], color="k", lw=1.5, label="/ HMcode-2020")
            axes[2].plot([], [], color="k", ls="-.", lw=1, label="/ one-loop SPT")
            axes[2].legend(fontsize=8)
    for ax in axes:
        _k_axis(ax)
    axes[0].legend(fontsize=8)
    return fig


def response_figure(responses: dict):
    """The degeneracy check: d ln S/dMν and d ln S/dσ8 per k bin, for P(k) (left) and MP(k) (right).

    ``responses``: the dict of :func:`~cosmotransfer.sim.experiments.parameter_responses`. Top row:
    the responses [1/eV and per unit σ8]; bottom row: each divided by its norm over the k bins,
    so their *shapes* can be compared — where the two curves coincide (up to sign), a network
    cannot tell Mν from σ8 with that statistic. The titles give the cosine of the two vectors.
    """
    k = responses["k"]
    fig, axes = plt.subplots(2, 2, figsize=(10, 6.4), constrained_layout=True, sharex=True)
    for col, (st, name) in enumerate(_STATS):
        r = responses["dlnS"][st]
        for p, lab, c in (("Mnu", r"$\partial \ln S/\partial M_\nu$ [1/eV]", "C0"),
                          ("s8", r"$\partial \ln S/\partial \sigma_8$", "C3")):
            axes[0, col].plot(k, r[p], color=c, label=lab)
            axes[1, col].plot(k, r[p] / np.linalg.norm(r[p]), color=c, label=lab)
        axes[0, col].set_title(f"{name}: cos(Mν, σ8) = {responses['cosine'][st]:+.3f}")
        axes[0, col].set_ylabel(r"$\partial \ln S/\partial\theta$")
        axes[1, col].set_ylabel("response / its norm (shape)")
        for ax in axes[:, col]:
            ax.axhline(0.0, color="k", lw=0.8)
            _k_axis(ax)
        axes[0, col].set_xlabel("")  # the rows share k
    axes[0, 0].legend(fontsize=8)
    ds8 = f"±{responses['ds8']:g}" if responses.get("central_s8", True) else f"+{responses['ds8']:g} (one-sided)"
    fig.suptitle(f"Responses at the fiducial cosmology, same seed ({responses['seed']}); "
                 f"ΔMν = +{responses['dMnu']:g} eV (one-sided), Δσ8 = {ds8}", fontsize=10)
    return fig
