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


def response_calibration(curves: dict, k_box: np.ndarray, noise_box: np.ndarray, prototype: dict | None = None):
    """The emulated tier's PNG response against its checks (:func:`cosmotransfer.png_response.calibration_curves`).

    One panel per shape: the fitted first-order response at the fiducial (line), the fiducial pair it
    was fitted with (dots), one-loop PT at low k (dashed), the regression slopes of the CPU-preset
    suite (error bars) and of the emulated suite of the same design (band) and, for the local shape, ``prototype`` {"k", "ratio", "label"} (crosses). Last panel:
    the held-out rms error of the fit per bin beside ``noise_box`` (n,) [%], one 1 Gpc/h box's
    sample variance 100/√N_k at ``k_box``.
    """
    fig, axes = plt.subplots(1, len(curves) + 1, figsize=(13, 3.9), constrained_layout=True)
    for ax, (shape, c) in zip(axes, curves.items()):
        ax.semilogx(c["k"], c["pair"], ".", color="0.6", label="fiducial pair (engine, 500 Mpc/h)")
        ax.semilogx(c["k"], c["fit"], "C0-", label="fit at the fiducial")
        ax.semilogx(c["k_pt"], c["pt"], "C3--", label="one-loop PT ($P_{12}/P$)")
        if "small" in c:
            ax.fill_between(c["k_emu"], c["emu"] - c["emu_err"], c["emu"] + c["emu_err"], color="C2", alpha=0.3,
                            label="emulated suite (1 Gpc/h), regression slope")
            ax.errorbar(c["k_small"], c["small"], c["small_err"], fmt="s", ms=3, color="C2", capsize=2,
                        label="CPU-preset suite (250 Mpc/h), same design")
        if shape == "local" and prototype is not None:
            ax.plot(prototype["k"], prototype["ratio"], "kx", label=prototype.get("label", "prototype"))
        ax.axhline(0.0, color="k", lw=0.8)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(r"$k$ [$h$/Mpc]")
        ax.set_ylabel(rf"first-order $\Delta P/P$ at $f_{{\rm NL}} = {c['f_ref']:+.0f}$ [%]")
        ax.set_title(shape)
        ax.legend(fontsize=7)
    ax = axes[-1]
    for i, (shape, c) in enumerate(curves.items()):
        ax.loglog(c["k"], c["residual"], color=f"C{i}", label=f"{shape}: held-out fit error")
    ax.loglog(k_box, noise_box, "k:", label="one 1 Gpc/$h$ box: $1/\\sqrt{N_k}$")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(r"$k$ [$h$/Mpc]")
    ax.set_ylabel("rms error [%]")
    ax.set_title("fit error vs sample variance")
    ax.legend(fontsize=7)
    return fig
