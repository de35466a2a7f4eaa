"""Figures of the engine page (notebook 11) and the suite overviews: what the particle-mesh engine makes.

Each function takes arrays (from :func:`cosmotransfer.sim.simulate_fields`, a suite file or
CAMB) and returns a :class:`matplotlib.figure.Figure`; nothing here runs a simulation.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import NullFormatter


def _slab(field: np.ndarray, thickness: int) -> np.ndarray:
    """Mean of ``field`` ((n, n, n)) over the first ``thickness`` planes along the last axis."""
    return np.asarray(field)[:, :, :thickness].mean(axis=2)


def density_slices(delta: np.ndarray, delta_marked: np.ndarray, box: float, thickness: float = 20.0,
                   title: str | None = None):
    """Side by side: the density 1 + δ and the marked density 1 + δ_M in one slab.

    ``delta``, ``delta_marked``: (n, n, n) contrasts on the estimator mesh; ``box`` [Mpc/h];
    ``thickness`` [Mpc/h] of the slab (rounded to whole cells). The mark up-weights the
    underdense regions, so the marked field lights up the voids the density field leaves dark.
    """
    n = delta.shape[0]
    cells = max(1, int(round(thickness / box * n)))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), constrained_layout=True)
    for ax, field, name in ((axes[0], delta, r"$1+\delta$"), (axes[1], delta_marked, r"$1+\delta_M$ (marked)")):
        img = np.clip(1.0 + _slab(field, cells), 1e-2, None)
        im = ax.imshow(img.T, origin="lower", extent=(0, box, 0, box), cmap="magma",
                       norm=LogNorm(vmin=max(img.min(), 5e-2), vmax=img.max()))
        ax.set_xlabel(r"$x$ [Mpc/$h$]")
        ax.set_ylabel(r"$y$ [Mpc/$h$]")
        ax.set_title(f"{name}, slab of {cells * box / n:.0f} Mpc/$h$")
        fig.colorbar(im, ax=ax, shrink=0.85)
    if title:
        fig.suptitle(title)
    return fig


def spectra(k: np.ndarray, pk: np.ndarray, mpk: np.ndarray, labels, reference: dict | None = None):
    """P(k) and marked P(k) of a few cosmologies, with optional reference curves.

    ``k`` (n_k,) [h/Mpc]; ``pk``, ``mpk`` (m, n_k) [(Mpc/h)³]; ``labels`` (m,) legend text;
    ``reference``: optional ``{"pk": (m, n_k), "mpk": (m, n_k), "label": str}`` drawn dashed in
    the same colours (e.g. the real Quijote spectra at the same cosmologies).
    """
    pk, mpk = np.atleast_2d(pk), np.atleast_2d(mpk)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), constrained_layout=True)
    for i, lab in enumerate(labels):
        c = f"C{i}"
        axes[0].loglog(k, pk[i], color=c, label=lab)
        axes[1].loglog(k, mpk[i], color=c, label=lab)
        if reference is not None:
            axes[0].loglog(k, reference["pk"][i], color=c, ls="--", lw=1)
            axes[1].loglog(k, reference["mpk"][i], color=c, ls="--", lw=1)
    for ax, name in zip(axes, (r"$P(k)$", r"$M(k)$ (marked)")):
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor log labels collide over one decade
        ax.set_xlabel(r"$k$ [$h$/Mpc]")
        ax.set_ylabel(name + r" [(Mpc/$h$)$^3$]")
    if reference is not None:
        axes[0].plot([], [], color="k", ls="--", lw=1, label=reference.get("label", "reference"))
    axes[0].legend(fontsize=8)
    return fig


def ratio_to_theory(k: np.ndarray, pk: np.ndarray, theory: dict, labels, band: dict | None = None):
    """Simulated P(k) divided by theory spectra, one panel per theory.

    ``pk`` (m, n_k) [(Mpc/h)³]; ``theory``: ``{name: (m, n_k)}`` (e.g. ``"HMcode-2020"``,
    ``"linear"``); ``band``: optional ``{name: (lo, hi)}`` tolerance band to shade, e.g. the
    fidelity targets. Horizontal line at 1.
    """
    pk = np.atleast_2d(pk)
    fig, axes = plt.subplots(1, len(theory), figsize=(5 * len(theory), 3.8), constrained_layout=True, squeeze=False)
    for ax, (name, th) in zip(axes[0], theory.items()):
        th = np.atleast_2d(th)
        for i, lab in enumerate(labels):
            ax.semilogx(k, pk[i] / th[i], color=f"C{i}", label=lab)
        ax.axhline(1.0, color="k", lw=0.8)
        if band and name in band:
            ax.axhspan(*band[name], color="0.85", zorder=0)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(r"$k$ [$h$/Mpc]")
        ax.set_ylabel(rf"$P_{{\rm sim}}/P_{{\rm {name}}}$")
    axes[0][0].legend(fontsize=8)
    return fig


def suite_overview(k: np.ndarray, stats: dict[str, np.ndarray], values: np.ndarray, param: str,
                   fits: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]], n_max: int = 300,
                   title: str | None = None):
    """A simulated suite at a glance, one column per statistic.

    Top: k·S(k) of the first ``n_max`` simulations coloured by ``param``; bottom: the suite's
    own responses ∂ ln S/∂θ̂ (:func:`cosmotransfer.datasets.suite_responses`, ± 2 standard errors)
    of ``param`` and σ8. ``k`` (n_k,) [h/Mpc]; ``stats``: {"pk", "mpk"} → (n, n_k) [(Mpc/h)³];
    ``values`` (n,) of ``param``; ``fits``: {stat: suite_responses(...)}.
    """
    from matplotlib.colors import Normalize

    from ..config import get_param

    p = get_param(param)
    n = min(len(values), n_max)
    norm = Normalize(values[:n].min(), values[:n].max())
    cmap = plt.get_cmap("viridis")
    names = {"pk": "P(k)", "mpk": "marked P(k)"}
    fig, axes = plt.subplots(2, len(stats), figsize=(5.0 * len(stats), 7.0), squeeze=False, constrained_layout=True)
    for j, (stat, arr) in enumerate(stats.items()):
        ax = axes[0, j]
        for i in np.argsort(values[:n]):
            ax.plot(k, k * arr[i], color=cmap(norm(values[i])), lw=0.6, alpha=0.7)
        ax.set(xscale="log", yscale="log", title=names.get(stat, stat), xlabel=r"$k\ [h\,{\rm Mpc}^{-1}]$",
               ylabel=r"$k\,S(k)\ [({\rm Mpc}/h)^2]$")
        ax = axes[1, j]
        for c, name in enumerate((param, "s8")):
            slope, se = fits[stat][name]
            ax.fill_between(k, slope - 2 * se, slope + 2 * se, color=f"C{c}", alpha=0.25, lw=0)
            ax.plot(k, slope, color=f"C{c}", label=f"${get_param(name).label}$")
        ax.axhline(0, color="0.3", lw=0.8)
        for a in axes[:, j]:
            a.xaxis.set_minor_formatter(NullFormatter())  # the minor log labels collide at 19 bins
        ax.set(xscale="log", xlabel=r"$k\ [h\,{\rm Mpc}^{-1}]$",
               ylabel=r"$\partial \ln S / \partial \hat\theta$ (fit over the suite)")
        ax.legend(fontsize=8)
    cb = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes[0, :].tolist(), shrink=0.9)
    cb.set_label(f"${p.label}$" + (f" [{p.unit}]" if p.unit else ""))
    if title:
        fig.suptitle(title)
    return fig


def hmcode_check_table(table: dict):
    """The corners check of :func:`cosmotransfer.sim.validate.hmcode_check` as a DataFrame: one
    row per cosmology, P/HMcode-2020 (mean ± sd over seeds) at each k, and whether the mean is
    within the tolerance."""
    import pandas as pd

    rows = {}
    # the fiducial first (the file's keys are sorted)
    for name, r in sorted(table["cosmologies"].items(), key=lambda item: item[0] != "fiducial"):
        rows[name] = {f"k = {k:.3f}": f"{m:.3f} ± {s:.3f}" + ("" if ok else " ✗")
                      for k, m, s, ok in zip(table["k"], r["mean"], r["sd"], r["within"])}
    tol = ", ".join(f"{100 * t:.0f}%" for t in table["tolerance"])
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(f"P / HMcode (tolerance {tol})")


def corners_check_table(table: dict):
    """The corners refereed by real N-body (:func:`cosmotransfer.sim.validate.corners_check`) as a
    DataFrame: one row per cosmology (the Quijote rows nearest it), and at each k the engine over
    Quijote (mean ± standard error over the rows; ✗ outside the tolerance), Quijote over HMcode-2020
    and the engine over HMcode-2020."""
    import pandas as pd

    rows = {}
    for name, r in sorted(table["cosmologies"].items(), key=lambda item: item[0] != "fiducial"):
        row = {}
        for j, k in enumerate(table["k"]):
            row[(f"k = {k:.3f}", "engine / Quijote")] = (f"{r['sim_over_quijote'][j]:.3f} ± {r['sim_over_quijote_sem'][j]:.3f}"
                                                         + ("" if r["within"][j] else " ✗"))
            row[(f"k = {k:.3f}", "Quijote / HMcode")] = f"{r['quijote_over_hmcode'][j]:.3f}"
            row[(f"k = {k:.3f}", "engine / HMcode")] = f"{r['sim_over_hmcode'][j]:.3f}"
        rows[f"{name} ({len(r['rows'])} LH rows)"] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.columns = pd.MultiIndex.from_tuples(out.columns)
    return out


def steps_check_table(table: dict):
    """The step check (:func:`cosmotransfer.sim.validate.steps_check`) as a DataFrame: one row per
    group of Quijote rows, and at each k the engine over Quijote with the preset's steps and with
    more, and the per-box gain P(more steps)/P(preset's) (mean ± standard error over the rows)."""
    import pandas as pd

    n0, n1 = table["preset"]["n_steps"], table["n_steps"]
    rows = {}
    for name, r in sorted(table["cosmologies"].items(), key=lambda item: item[0] != "fiducial"):
        row = {}
        for j, k in enumerate(table["k"]):
            row[(f"k = {k:.3f}", f"engine / Quijote, {n0} steps")] = f"{r['sim_over_quijote'][j]:.3f}"
            row[(f"k = {k:.3f}", f"… {n1} steps")] = f"{r['sim_over_quijote_more_steps'][j]:.3f}"
            row[(f"k = {k:.3f}", f"gain {n1}/{n0}")] = f"{r['gain'][j]:.4f} ± {r['gain_sem'][j]:.4f}"
        rows[f"{name} ({len(r['rows'])} LH rows)"] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.columns = pd.MultiIndex.from_tuples(out.columns)
    return out


def quijote_check_figure(table: dict) -> plt.Figure:
    """The engine over the real Quijote latin hypercube (:func:`cosmotransfer.sim.validate.quijote_check`):
    median and 16–84 % band of P_sim/P_Quijote (left) and MP_sim/MP_Quijote (right) per k bin;
    the marked spectrum's tolerance band shaded up to its k limit."""
    a = {name: np.asarray(v) for name, v in table["arrays"].items()}
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True, constrained_layout=True)
    for ax, st, label in zip(axes, ("pk", "mpk"), ("P(k)", "marked P(k)")):
        ax.fill_between(a["k"], a[f"{st}_lo"], a[f"{st}_hi"], color="C0", alpha=0.25, lw=0, label="16–84 %")
        ax.plot(a["k"], a[f"{st}_median"], color="C0", label="median")
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set_xscale("log")
        ax.set_xlabel(r"$k\ [h\,{\rm Mpc}^{-1}]$")
        ax.set_title(f"{label}: engine / Quijote", fontsize=10)
    tol, k_max = table["mpk_tolerance"], table["mpk_k_max"]
    axes[1].fill_between([a["k"][0], k_max], 1 - tol, 1 + tol, color="0.88", zorder=0, label=f"±{100 * tol:.0f}%")
    axes[0].set_ylabel(f"ratio over {table['n_cosmologies']} LH cosmologies")
    axes[0].set_ylim(0.7, 1.3)
    axes[1].legend(fontsize=8)
    return fig


def physics_check_table(table: dict):
    """The physics check of :func:`cosmotransfer.sim.validate.physics_check` as a DataFrame: per
    case the same-seed ratio over its reference at each k, the ratio over one-loop SPT at
    k ≈ 0.1 (neutrinos) or the largest deviation from fremu (f(R); over all its bins, over those
    above the linear scale, and below it the engine's and fremu's from linear theory), and the
    first bin over linear theory, and for neutrinos how far the ratio is from the nearest of CAMB's
    three ν-aware fits at each k; a ✗ marks a ratio outside the case's tolerance. The Mν–σ8 cosines are in
    the table's ``cosine`` entry, not here."""
    import pandas as pd

    rows = {}
    for name, r in table["cases"].items():
        tol = r["tolerance"]
        row = {"reference": r["reference"], "σ8": f"{r['s8']:.3f}" if "s8" in r else ""}
        for k, v in zip(table["k"], r["over_reference"]):
            row[f"/ ref. at k = {k:.3f}"] = f"{v:.3f}" + ("" if abs(v - 1) <= tol else " ✗")
        if "over_spt_k01" in r:
            v = r["over_spt_k01"]
            row[f"/ one-loop SPT at k = {table['k_spt']:.3f}"] = f"{v:.3f}" + ("" if abs(v - 1) <= tol else " ✗")
        elif "max_deviation" in r:
            v = r["max_deviation"]
            row["largest |/ fremu − 1|, k ≤ 0.5"] = f"{100 * v:.1f}%" + ("" if v <= tol else " ✗")
            if "max_deviation_above" in r:  # tables made before the split lack it
                k_lin = table["fr_linear_k"]
                v = r["max_deviation_above"]
                row[f"… k ≥ {k_lin:g}"] = f"{100 * v:.1f}%" + ("" if v <= tol else " ✗")
                row[f"k < {k_lin:g}: largest |/ linear − 1|, engine | fremu"] = (
                    f"{100 * r['linear_deviation_below']:.1f}% | {100 * r['fremu_linear_deviation_below']:.1f}%")
        row[f"/ linear, k = {table['k_first_bin']:.3f}"] = f"{r['over_linear_first_bin']:.3f}"
        row["MP ratio at k targets"] = ", ".join(f"{v:.3f}" for v in r["mpk_ratio"])
        if "over_other_fits" in r:  # the nearest of CAMB's three ν-aware fits at each k
            fits = np.array([r["over_reference"]] + list(r["over_other_fits"].values()))
            row["|/ nearest ν fit − 1| at k targets"] = ", ".join(
                f"{100 * v:.1f}%" for v in np.min(np.abs(fits - 1), axis=0))
        rows[name] = row
    columns = list(dict.fromkeys(c for row in rows.values() for c in row))  # first appearance …
    columns.sort(key=lambda c: c.startswith(("/ linear", "MP ratio", "|/ nearest")))  # … with these last
    return pd.DataFrame.from_dict(rows, orient="index")[columns].fillna("")


def marks_check_figure(table: dict) -> plt.Figure:
    """Which top-hat window of the mark Quijote's files follow (:func:`cosmotransfer.sim.validate.marks_check`):
    (MP/P)_sim / (MP/P)_Quijote per k bin, median and 16–84 % band over the LH cosmologies, one
    colour per window; the adopted window solid."""
    a = {name: np.asarray(v) for name, v in table["arrays"].items()}
    fig, ax = plt.subplots(figsize=(6.4, 3.8), constrained_layout=True)
    for i, w in enumerate(table["windows"]):
        adopted = w == table["adopted"]
        ax.fill_between(a["k"], a[f"{w}_lo"], a[f"{w}_hi"], color=f"C{i}", alpha=0.2, lw=0)
        ax.plot(a["k"], a[f"{w}_median"], color=f"C{i}", ls="-" if adopted else "--",
                label=f"{w} top-hat" + (" (used)" if adopted else ""))
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel(r"$k\ [h\,{\rm Mpc}^{-1}]$")
    ax.set_ylabel(r"$(MP/P)_{\rm engine}\,/\,(MP/P)_{\rm Quijote}$")
    ax.set_ylim(0.8, 1.4)
    ax.set_title(f"the mark against Quijote's ({table['n_cosmologies']} LH cosmologies, "
                 f"{table['preset']['n_particles']}³ particles)", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    return fig
