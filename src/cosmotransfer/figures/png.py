"""Figures of the engine page's primordial non-Gaussianity section (:mod:`cosmotransfer.sim.png`).

Each function takes arrays (from :func:`cosmotransfer.sim.simulate_fields` and
:func:`cosmotransfer.sim.png.initial_density`) and returns a :class:`matplotlib.figure.Figure`;
nothing here runs a simulation.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter


def response_ratios(k: np.ndarray, pk: np.ndarray, mpk: np.ndarray, pk_gauss: np.ndarray, mpk_gauss: np.ndarray,
                    labels, reference: dict | None = None):
    """P(k) and marked P(k) of non-Gaussian runs relative to the Gaussian run at the same seed.

    ``k`` (n_k,) [h/Mpc]; ``pk``, ``mpk`` (m, n_k) [(Mpc/h)³]; ``pk_gauss``, ``mpk_gauss``
    (n_k,); ``labels`` (m,); ``reference``: optional ``{"k": (j,), "ratio": (j,), "label": str}``
    points drawn on the P(k) panel in percent (e.g. a prototype measurement). Plots 100 (X/X_G − 1).
    """
    pk, mpk = np.atleast_2d(pk), np.atleast_2d(mpk)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.9), constrained_layout=True)
    for ax, x, x0, name in ((axes[0], pk, pk_gauss, "P"), (axes[1], mpk, mpk_gauss, "M")):
        for i, lab in enumerate(labels):
            # a dashed line for negative f_NL, same colour as its positive twin
            ax.semilogx(k, 100.0 * (x[i] / x0 - 1.0), color=f"C{i // 2}", ls="-" if i % 2 == 0 else "--", label=lab)
        ax.axhline(0.0, color="k", lw=0.8)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(r"$k$ [$h$/Mpc]")
        ax.set_ylabel(rf"${name}(k)/{name}_{{\rm G}}(k) - 1$ [%]")
    axes[0].set_title("power spectrum")
    axes[1].set_title("marked power spectrum")
    if reference is not None:
        axes[0].plot(reference["k"], reference["ratio"], "kx", label=reference.get("label", "reference"))
    axes[0].legend(fontsize=8)
    return fig


def initial_density_skewness(deltas: dict, skew: dict, theory: dict | None = None, bins: int = 40):
    """The initial (z = 0 linear) density of non-Gaussian initial conditions.

    ``deltas``: ``{label: (n, n, n) δ₀}`` with the Gaussian field first — left panel: each
    field's PDF divided by the Gaussian one (the same seed, so the ratio shows the skew, not
    the noise); ``skew``: ``{shape: (f_NL (j,), γ₁ (j,))}`` — right panel: the skewness
    γ₁ = ⟨δ³⟩/⟨δ²⟩^(3/2) against f_NL, one line per shape; ``theory``: optional
    ``{shape: (f_NL (j,), γ₁ (j,))}`` drawn dashed (first-order linear theory).
    """
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.9), constrained_layout=True)
    fields = list(deltas.items())
    sd = float(np.std(fields[0][1]))
    edges = np.linspace(-4.0 * sd, 4.0 * sd, bins + 1)
    centre = 0.5 * (edges[1:] + edges[:-1])
    h0, _ = np.histogram(fields[0][1], edges)
    for i, (lab, d) in enumerate(fields[1:]):
        h, _ = np.histogram(d, edges)
        ok = h0 > 200  # ratios of well-populated bins only (Poisson noise < 7%)
        axes[0].plot(centre[ok] / sd, h[ok] / h0[ok], color=f"C{i // 2}", ls="-" if i % 2 == 0 else "--", label=lab)
    axes[0].axhline(1.0, color="k", lw=0.8)
    axes[0].set_xlabel(r"$\delta_0/\sigma$")
    axes[0].set_ylabel(fr"PDF / PDF$_{{\rm G}}$ ({fields[0][0]})")
    axes[0].legend(fontsize=8)
    for i, (shape, (f, g)) in enumerate(skew.items()):
        axes[1].plot(f, g, "o-", color=f"C{i}", label=shape)
        if theory and shape in theory:
            axes[1].plot(*theory[shape], ls="--", color=f"C{i}", label=f"{shape}: linear theory")
    axes[1].axhline(0.0, color="k", lw=0.8)
    axes[1].set_xlabel(r"$f_{\rm NL}$")
    axes[1].set_ylabel(r"skewness $\gamma_1$ of $\delta_0$")
    axes[1].legend(fontsize=8)
    return fig
