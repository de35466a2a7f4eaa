# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The data: five suites and one k grid
#
# ## Overview
# The paper pre-trains on a large ΛCDM suite and fine-tunes on four smaller beyond-ΛCDM suites.
# This chapter lays out those suites as this book builds them: which parameters each one varies,
# how its points are drawn, how it is split into training, validation and test sets, and the
# 79-bin k grid on which every power spectrum is measured. The particle-mesh engine behind the
# simulated tier, its checks against theory and Quijote and its beyond-ΛCDM physics, has a page of
# its own: {doc}`11_engine`.
#
# 1. The five suite designs
# 2. Splits and nested fine-tuning sets
# 3. The k binning
# 4. The emulated tier: theory plus one box's sample variance
# 5. The largest scales at $\Omega_m \approx 0.1$
# 6. Simulated suites made on a CPU
# 7. The marked spectrum against Quijote's definition
#
# ## Prerequisites
# | Concept | Importance | Notes |
# | --- | --- | --- |
# | [Introduction](intro.md) | Necessary | what the paper asks |
# | Latin hypercubes and Sobol sequences | Helpful | `scipy.stats.qmc` |
# | Matter power spectrum estimators | Helpful | Pylians binning conventions |
#
# - **Time to run:** under a minute at the smoke scale; about a minute at the book scale (CAMB for
#   the emulated tier's responses and the largest-scales check). The marks check it reads is a
#   separate command (`cosmotransfer validate-engine marks`: minutes per paper-preset box on a CPU).

# %% tags=["parameters"]
SCALE = "book"
SEED = 0

# %% [markdown]
# ## Imports

# %%
import numpy as np
import pandas as pd
from IPython.display import display
from scipy.stats import spearmanr
from myst_nb import glue

from cosmotransfer import emulate
from cosmotransfer.config import LOW_K, MARK_DELTA_S, MARK_P, MARK_R, PARAM_NAMES, REAL_TIER, get_scale
from cosmotransfer.data import find_suite, load_suite
from cosmotransfer.datasets import suite_responses
from cosmotransfer.figures import publish
from cosmotransfer.figures.data import design_corner, kgrid_figure, split_figure
from cosmotransfer.figures.emulated import low_k_excess_figure, quijote_comparison, responses, spectra_by_parameter
from cosmotransfer.figures.learning import skipped
from cosmotransfer.figures.sim import marks_check_figure, suite_overview
from cosmotransfer.sim.validate import closest_window, read_check
from cosmotransfer.stats import kbins, simulated_suite_bins
from cosmotransfer.suites import SUITES, design, split, suite_table

scale = get_scale(SCALE)

# %% [markdown]
# ## The five suite designs
#
# Each suite mirrors one Quijote suite: the same parameters, priors, sampling scheme and size.
# Points come from `scipy.stats.qmc` with a fixed seed per suite, and point *i* of a suite is
# simulated with its own seed (`seed_base + i`), so a design point means the same simulation at
# every scale and on every machine.

# %%
table = suite_table()
for name, s in SUITES.items():
    glue(f"n_{name}", s.n, display=False)
table

# %% [markdown]
# The pre-training suite `bsq` has {glue:text}`n_bsq` points; the fine-tuning suites have
# {glue:text}`n_nwlh` (massive neutrinos and $w$), {glue:text}`n_mg` (f(R) with massive
# neutrinos), and {glue:text}`n_png_eq` / {glue:text}`n_png_lc` (equilateral and local primordial
# non-Gaussianity). Below, each suite's points projected on every pair of its varied parameters.

# %%
for name, s in SUITES.items():
    fig = design_corner(s, design(s, min(scale.n_suite.get(name) or s.n_used, s.n_used)))
    publish(fig, f"fig-01-design-{name.replace('_', '-')}")

# %% [markdown]
# ```{glue:figure} fig-01-design-bsq
# :name: fig-01-design-bsq
#
# The suite's design: its points projected on every pair of varied parameters. *`fig-01-design-bsq`, drawn by `figures.data.design_corner` from `suites.design` of `bsq` (the scale's points).*
# ```
#
# ```{glue:figure} fig-01-design-nwlh
# :name: fig-01-design-nwlh
#
# The suite's design: its points projected on every pair of varied parameters. *`fig-01-design-nwlh`, drawn by `figures.data.design_corner` from `suites.design` of `nwlh` (the scale's points).*
# ```
#
# ```{glue:figure} fig-01-design-mg
# :name: fig-01-design-mg
#
# The suite's design: its points projected on every pair of varied parameters. *`fig-01-design-mg`, drawn by `figures.data.design_corner` from `suites.design` of `mg` (the scale's points).*
# ```
#
# ```{glue:figure} fig-01-design-png-eq
# :name: fig-01-design-png-eq
#
# The suite's design: its points projected on every pair of varied parameters. *`fig-01-design-png-eq`, drawn by `figures.data.design_corner` from `suites.design` of `png_eq` (the scale's points).*
# ```
#
# ```{glue:figure} fig-01-design-png-lc
# :name: fig-01-design-png-lc
#
# The suite's design: its points projected on every pair of varied parameters. *`fig-01-design-png-lc`, drawn by `figures.data.design_corner` from `suites.design` of `png_lc` (the scale's points).*
# ```
#
# ```{glue:figure} fig-01-design-lh
# :name: fig-01-design-lh
#
# The suite's design: its points projected on every pair of varied parameters. *`fig-01-design-lh`, drawn by `figures.data.design_corner` from `suites.design` of `lh` (the scale's points).*
# ```

# %% [markdown]
# The local-PNG suite varies a single parameter: its ΛCDM parameters sit at the fiducial
# cosmology, so a network pre-trained on ΛCDM has nothing to reuse there — the control case of
# the paper.
#
# ## Splits and nested fine-tuning sets
#
# Every suite is split once, with a fixed seed, into a 70% training pool, 15% validation and 15%
# test. A fine-tuning set of size N is the first N points of the shuffled pool, so the sets are
# nested and validation and test never change with N.

# %%
sp = split("nwlh", scale.n_suite.get("nwlh"))
glue("nwlh_pool", len(sp.pool), display=False)
glue("nwlh_test", len(sp.test), display=False)
fig = split_figure(SUITES["nwlh"], design("nwlh", len(sp.pool) + len(sp.val) + len(sp.test)), sp, scale.budgets)
publish(fig, "fig-01-split")

# %% [markdown]
# ```{glue:figure} fig-01-split
# :name: fig-01-split
#
# The fixed 70/15/15 split of the nwLH suite and the nested fine-tuning sets of the budgets. *`fig-01-split`, drawn by `figures.data.split_figure` from `suites.design` and `suites.split` of `nwlh`, the scale's budgets.*
# ```

# %% [markdown]
# At this scale the neutrino suite's training pool holds {glue:text}`nwlh_pool` simulations and
# its test set {glue:text}`nwlh_test`.
#
# ## The k binning
#
# Power spectra are measured as in Quijote (Pylians): spherical shells of width
# $k_F = 2\pi/L$ in a $L = 1\,h^{-1}$Gpc box, the DC mode dropped, each bin reported at the mean
# $|k|$ of its modes, and bins kept up to $k = 0.5\,h$/Mpc. The grid is computed by counting the
# lattice modes of every shell — nothing is typed in — and the tests check it against the k values
# of the Quijote files.

# %%
kb = kbins()
glue("n_kbins", len(kb), display=False)
glue("k_min", float(kb.k[0]), display=False)
glue("k_max", float(kb.k[-1]), display=False)
glue("first_bin_offset", 100 * float(kb.k[0] / ((kb.index[0] + 0.5) * kb.kf) - 1), display=False)
fig = kgrid_figure(kb)
publish(fig, "fig-01-kgrid")

# %% [markdown]
# ```{glue:figure} fig-01-kgrid
# :name: fig-01-kgrid
#
# The 79 Quijote k bins: mode-averaged k against the shell centre, and the modes per bin. *`fig-01-kgrid`, drawn by `figures.data.kgrid_figure` from `stats.kbins` of the Quijote box.*
# ```

# %% [markdown]
# The grid has {glue:text}`n_kbins` bins from $k$ = {glue:text}`k_min:.4f` to
# {glue:text}`k_max:.4f` $h$/Mpc. The mode-averaged $k$ of the first bin sits
# {glue:text}`first_bin_offset:.1f`% away from its shell centre, which is why theory spectra are
# averaged over the modes of each bin rather than evaluated at one $k$.
#
# ## The emulated tier: theory plus one box's sample variance
#
# The P(k) suites the book trains on at its default scale are *emulated*: for every design point,
# CAMB's HMcode-2020 total-matter spectrum (σ8-normalised, massive neutrinos and $w$ included),
# times the `fremu` f(R) response for the modified-gravity suite and the engine-calibrated
# response to f_NL for the two PNG suites ({doc}`11_engine`, {doc}`05_png`), averaged over the lattice modes
# of each bin, then drawn with the sample variance of one 1 Gpc/$h$ box,
# $\hat P = \bar P\,\Gamma(N_k, 1/N_k)$, seeded by the simulation's seed. The suites ship with
# the project (`data/emulated/`, each with a manifest; the tests re-make rows of each file).
# Below: the first spectra of the neutrino suite coloured by $M_\nu$, and the noise-free
# response of P(k) to the two new parameters that the fine-tuning chapters must learn.

# %%
nwlh = load_suite("nwlh", scale)
fig = spectra_by_parameter(nwlh.k, nwlh.stats["pk"], nwlh.params[:, PARAM_NAMES.index("Mnu")], "Mnu", n_max=200,
                           title=f"nwLH-like suite, emulated tier (first {min(len(nwlh), 200)} of {len(nwlh)})")
publish(fig, "fig-01-emulated-spectra")
curves = {"Mnu": emulate.response("Mnu", [0.01, 0.25, 0.5, 1.0]), "fR0": emulate.response("fR0", [-1e-6, -1e-5, -1e-4, -3e-4]),
          "s8": emulate.response("s8", [0.75, 0.80, 0.87, 0.92])}
fig = responses(kbins().k, curves)
publish(fig, "fig-01-emulated-responses")
i03 = int(np.argmin(abs(kbins().k - 0.3)))
glue("emu_n_nwlh", len(nwlh), display=False)
glue("emu_mnu1_03", float(curves["Mnu"][1.0][i03]), display=False)
glue("emu_fr4_03", float(curves["fR0"][-1e-4][i03]), display=False)

# %% [markdown]
# ```{glue:figure} fig-01-emulated-spectra
# :name: fig-01-emulated-spectra
#
# Emulated nwLH spectra coloured by Mν. *`fig-01-emulated-spectra`, drawn by `figures.emulated.spectra_by_parameter` from `data/emulated/nwlh.npz`.*
# ```
#
# ```{glue:figure} fig-01-emulated-responses
# :name: fig-01-emulated-responses
#
# Noise-free emulated responses of P(k) to Mν and f_R0 at the fiducial cosmology. *`fig-01-emulated-responses`, drawn by `figures.emulated.responses` from `emulate.response` (CAMB HMcode-2020, fremu).*
# ```

# %% [markdown]
# At $k \approx 0.3\,h$/Mpc a total neutrino mass of 1 eV lowers P(k) to
# {glue:text}`emu_mnu1_03:.3f` of the $M_\nu = 0.1$ eV spectrum at fixed σ8, and $f_{R0} = -10^{-4}$
# raises it to {glue:text}`emu_fr4_03:.3f`: both are scale-dependent, which is what lets a
# network tell them from σ8 — and what σ8 at small scales can imitate.
#
# How close is this tier to real N-body spectra? The project measured it once against the
# 2,000 boxes of the real Quijote ΛCDM latin hypercube (`cosmotransfer validate-emulated`; the
# per-bin table ships as `data/reference/emulated_vs_quijote.json`, the Quijote files themselves
# stay outside the project).

# %%
cmp = emulate.read_quijote_validation()
fig = quijote_comparison(cmp)
publish(fig, "fig-01-emulated-vs-quijote")
k_cmp = cmp["k"]
mid = (k_cmp > 0.05) & (k_cmp < 0.5)
glue("emu_q_n", int(cmp["n"]), display=False)
glue("emu_q_med_lo", float(cmp["theory_median"][mid].min()), display=False)
glue("emu_q_med_hi", float(cmp["theory_median"][mid].max()), display=False)
i01 = int(np.argmin(abs(k_cmp - 0.1)))
glue("emu_q_scatter_ref_01", float(cmp["scatter_ref"][i01]), display=False)
glue("emu_q_scatter_emu_01", float(cmp["scatter_emu"][i01]), display=False)

# %% [markdown]
# ```{glue:figure} fig-01-emulated-vs-quijote
# :name: fig-01-emulated-vs-quijote
#
# The emulated tier against real Quijote spectra at the same cosmologies. *`fig-01-emulated-vs-quijote`, drawn by `figures.emulated.quijote_comparison` from `data/reference/emulated_vs_quijote.json`.*
# ```

# %% [markdown]
# Over the {glue:text}`emu_q_n` Quijote cosmologies the median ratio of the theory to the
# measured spectra stays between {glue:text}`emu_q_med_lo:.3f` and {glue:text}`emu_q_med_hi:.3f`
# for $0.05 < k < 0.5\,h$/Mpc. On the largest scales Quijote scatters about the smooth model by
# exactly one box's sample variance; further in it scatters more (at $k \approx 0.1$: a standard
# deviation of ln P of {glue:text}`emu_q_scatter_ref_01:.3f` against {glue:text}`emu_q_scatter_emu_01:.3f`
# for the emulated tier), because HMcode's own errors vary from cosmology to cosmology. The
# emulated suites are therefore *cleaner* than N-body suites at small scales: networks trained on
# them find the parameters a little more easily than the paper's did.

# %% [markdown]
# ## The largest scales at $\Omega_m \approx 0.1$
#
# At the low-$\Omega_m$ edge of the latin hypercube the real Quijote spectra sit well above CAMB's
# linear theory in the bins around $k \approx 0.03$–$0.04\,h$/Mpc, where a spectrum should be
# linear. Below, the {glue:text}`lowk_n` lowest-$\Omega_m$ cosmologies of the real LH
# (`data/quijote/lh.npz`) and {glue:text}`lowk_n` controls near $\Omega_m = 0.3$, over CAMB's linear
# spectrum and over HMcode-2020, both averaged over each bin's lattice modes as the measurement is
# (`emulate.low_k_excess`; at the bin's mean k instead, for comparison).

# %%
lh = load_suite("lh", scale, "pk", tier=REAL_TIER)
low_rows, control_rows = emulate.low_k_rows(lh.params, LOW_K["rows"][scale.name], LOW_K["control_Om"])
low = emulate.low_k_excess(lh.params, lh.stats["pk"], low_rows, LOW_K["n_bins"])
control = emulate.low_k_excess(lh.params, lh.stats["pk"], control_rows, LOW_K["n_bins"])
fig = low_k_excess_figure(low, control)
publish(fig, "fig-01-low-k-excess")
glue("lowk_n", len(low_rows), display=False)
glue("lowk_om", f"{low['Om'].min():.3f}–{low['Om'].max():.3f}", display=False)
glue("lowk_fb", f"{low['fb'].min():.2f}–{low['fb'].max():.2f}", display=False)
for j, tag in ((-2, "a"), (-1, "b")):
    glue(f"lowk_k_{tag}", f"{low['k'][j]:.3f}", display=False)
    for name in ("over_linear", "over_linear_k", "over_hmcode"):
        glue(f"lowk_{name}_{tag}", f"{np.median(low[name][:, j]):.2f}", display=False)
        glue(f"lowk_{name}_{tag}_max", f"{low[name][:, j].max():.2f}", display=False)
    glue(f"lowk_control_{tag}", f"{np.median(control['over_linear'][:, j]):.2f}", display=False)
rho = spearmanr(low["fb"], low["over_linear"][:, -1])
glue("lowk_rho", f"{rho.statistic:+.2f} (p = {rho.pvalue:.2f})", display=False)

# %% [markdown]
# ```{glue:figure} fig-01-low-k-excess
# :name: fig-01-low-k-excess
#
# Real Quijote spectra over CAMB on the largest scales, lowest-Ωm cosmologies against Ωm ≈ 0.3. *`fig-01-low-k-excess`, drawn by `figures.emulated.low_k_excess_figure` from `emulate.low_k_excess` of the real LH (`data/quijote/lh.npz`) and CAMB.*
# ```

# %% [markdown]
# For $\Omega_m$ = {glue:text}`lowk_om` ($\Omega_b/\Omega_m$ = {glue:text}`lowk_fb`) the median of
# $P_{\rm Quijote}/P_{\rm linear}$ is {glue:text}`lowk_over_linear_a` at $k$ = {glue:text}`lowk_k_a`
# and {glue:text}`lowk_over_linear_b` at {glue:text}`lowk_k_b` $h$/Mpc (largest
# {glue:text}`lowk_over_linear_a_max` and {glue:text}`lowk_over_linear_b_max`), against
# {glue:text}`lowk_control_a` and {glue:text}`lowk_control_b` for the controls. The bins are not the
# cause: at each bin's mean k instead of averaged over its modes the medians are
# {glue:text}`lowk_over_linear_k_a` and {glue:text}`lowk_over_linear_k_b`. Over HMcode-2020 they
# drop to {glue:text}`lowk_over_hmcode_a` and {glue:text}`lowk_over_hmcode_b` (largest
# {glue:text}`lowk_over_hmcode_a_max` and {glue:text}`lowk_over_hmcode_b_max`): much of the excess is
# non-linear, even at these scales. Our reading: with about half of the matter in baryons and a
# sound horizon this large, the linear spectrum of such a cosmology has deep baryon-acoustic
# troughs on exactly these scales, and mode coupling fills them in; HMcode damps the wiggles and
# recovers much of it. Across the low-$\Omega_m$ rows the rank correlation of $\Omega_b/\Omega_m$
# with the excess in the last bin is {glue:text}`lowk_rho`: at this many rows a hint at most, so
# the baryon reading stays a reading. Either way the excess is beyond linear theory, not an
# artefact of Quijote's bins.

# %% [markdown]
# ## Simulated suites made on a CPU
#
# The marked power spectrum exists only in the simulated tier. Quijote-size suites need a GPU;
# this book ships suites made on a 2-core CPU at the `cpu` preset instead — the paper preset's
# particle spacing (3.9 Mpc/$h$), force cell (1.95 Mpc/$h$) and 10 steps, in a {glue:text}`suite_box`
# Mpc/$h$ box, so {glue:text}`sim_nk` k bins up to 0.5 $h$/Mpc and a larger sample variance than Quijote's — with P(k) and
# MP(k) of every simulation (`data/simulated/cpu/`, manifests beside; the tests re-simulate a row
# of each). Below, the neutrino suite: its spectra coloured by $M_\nu$, and how ln P and ln MP
# move with $M_\nu$ and σ8 across the suite — a least-squares fit, per bin, of ln S on all the
# varied parameters (scaled to [0, 1] over their prior), ± 2 standard errors.

# %%
sim_nwlh, sim_missing = find_suite("nwlh", scale, "mpk")
sim_bsq, sim_bsq_missing = find_suite("bsq", scale, "mpk")
sim_bins = simulated_suite_bins(scale)
glue("suite_box", f"{sim_bins.box:g}", display=False)
glue("sim_nk", str(len(sim_bins.k)), display=False)
if sim_nwlh is None or sim_bsq is None:
    display(skipped(sim_missing or sim_bsq_missing, "Skipped: the simulated suites are not here"))
    publish(None, "fig-01-simulated-nwlh", "the simulated suites are not here")
    for name in ("sim_n_nwlh", "sim_n_bsq", "sim_bad", "sim_mnu_pk_05", "sim_mnu_mpk_05", "sim_s8_pk_05",
                 "sim_s8_mpk_05", "sim_mnu_mpk_sig"):
        glue(name, "not built at this scale", display=False)
else:
    fits = {st: suite_responses(sim_nwlh, st) for st in ("pk", "mpk")}
    mnu = sim_nwlh.params[:, PARAM_NAMES.index("Mnu")]
    fig = suite_overview(sim_nwlh.k, sim_nwlh.stats, mnu, "Mnu", fits,
                         title=f"nwLH-like suite, simulated tier ({scale.suite_preset} preset, {len(sim_nwlh)} simulations)")
    publish(fig, "fig-01-simulated-nwlh")
    bad = sum(int((~np.isfinite(d.stat(st)) | (d.stat(st) <= 0)).any(axis=1).sum())
              for d in (sim_nwlh, sim_bsq) for st in ("pk", "mpk"))
    i05 = len(sim_nwlh.k) - 1
    glue("sim_n_nwlh", len(sim_nwlh), display=False)
    glue("sim_n_bsq", len(sim_bsq), display=False)
    glue("sim_bad", bad, display=False)
    for name, tag in (("Mnu", "mnu"), ("s8", "s8")):
        for st in ("pk", "mpk"):
            glue(f"sim_{tag}_{st}_05", f"{fits[st][name][0][i05]:+.3f}", display=False)
    sig = fits["mpk"]["Mnu"][0] / fits["mpk"]["Mnu"][1]
    glue("sim_mnu_mpk_sig", f"{int((abs(sig) > 2).sum())} of {len(sig)}", display=False)

# %% [markdown]
# ```{glue:figure} fig-01-simulated-nwlh
# :name: fig-01-simulated-nwlh
#
# The CPU-simulated nwLH-like suite: spectra by Mν and the suite's own responses. *`fig-01-simulated-nwlh`, drawn by `figures.sim.suite_overview` from `data/simulated/cpu/nwlh.npz`; `data.suite_responses`.*
# ```

# %% [markdown]
# The shipped suites hold {glue:text}`sim_n_bsq` BSQ-like ΛCDM and {glue:text}`sim_n_nwlh`
# nwLH-like simulations; {glue:text}`sim_bad` spectra among them are non-finite or non-positive.
# Across the neutrino suite, at the last bin ($k$ ≈ 0.5 $h$/Mpc), going from the bottom to the
# top of the prior changes ln P by {glue:text}`sim_mnu_pk_05` for $M_\nu$ and
# {glue:text}`sim_s8_pk_05` for σ8, and ln MP by {glue:text}`sim_mnu_mpk_05` and
# {glue:text}`sim_s8_mpk_05`; the $M_\nu$ response of the marked spectrum stands out of the noise
# (beyond 2 standard errors) in {glue:text}`sim_mnu_mpk_sig` bins. At fixed total-matter σ8,
# neutrinos suppress the small scales only a little in P but move the marked spectrum, which
# weights the voids, much more (the engine's responses at one seed, {doc}`11_engine`). Chapters {doc}`03_neutrinos` and {doc}`07_shap` train on these suites.

# %% [markdown]
# ## The marked spectrum against Quijote's definition
#
# The mark of each particle is $m = [(1+\delta_s)/(1+\delta_s+\delta_R)]^p$ with
# $\delta_s$ = {glue:text}`mark_delta_s`, $p$ = {glue:text}`mark_p`, and $\delta_R$ the density
# smoothed with a top-hat of radius $R$ = {glue:text}`mark_R` Mpc/$h$ (Massara et al. 2021). A top-hat
# on a mesh can be built two ways: the analytic transform of a sphere, $3(\sin x - x\cos x)/x^3$,
# or the sphere of mesh cells within $R$, each weighted equally, Fourier-transformed on the mesh
# (how Pylians' `smoothing_library`, the Quijote team's code, builds it; slightly wider than the
# sphere). Quijote's files do not say which one made them, and the two differ by several
# per cent in the marked spectrum. To decide, `cosmotransfer validate-engine marks` ran the engine
# at the paper preset at {glue:text}`marks_n` cosmologies of the real LH (our seeds) and computed
# P(k) and MP(k) from the same particles with each window; the ratio
# $(MP/P)_{\rm engine}/(MP/P)_{\rm Quijote}$ cancels most of both boxes' sample variance and much of
# the engine's own P(k) error (the table ships as `data/reference/engine_vs_marks_paper.json`).

# %%
marks_table = read_check("marks")
fig = marks_check_figure(marks_table)
publish(fig, "fig-01-marks-vs-quijote")
glue("mark_R", f"{MARK_R:g}", display=False)
glue("mark_p", f"{MARK_P:g}", display=False)
glue("mark_delta_s", f"{MARK_DELTA_S:g}", display=False)
glue("marks_n", marks_table["n_cosmologies"], display=False)
glue("marks_s_per_sim", f"{marks_table['s_per_sim']:.0f}", display=False)
glue("marks_adopted", marks_table["adopted"], display=False)
ranges = [f"{a:g}–{b:g}" for a, b in marks_table["k_ranges"]]
glue("marks_ranges", ", ".join(ranges), display=False)
for w, medians in marks_table["range_medians"].items():
    glue(f"marks_{w}", ", ".join(f"{m:.3f}" for m in medians), display=False)
# above the first range, where the two windows differ most: which stays closest to 1, and the span
above = {w: np.array(m[1:]) for w, m in marks_table["range_medians"].items()}
glue("marks_k_split", f"{marks_table['k_ranges'][1][0]:g}", display=False)
glue("marks_closer", closest_window(marks_table), display=False)
glue("marks_above_min", f"{min(m.min() for m in above.values()):.3f}", display=False)
glue("marks_above_max", f"{max(m.max() for m in above.values()):.3f}", display=False)
pd.DataFrame(marks_table["range_medians"], index=[f"{r} h/Mpc" for r in ranges]).rename_axis("k range") \
    .style.format("{:.3f}").set_caption("median over cosmologies of (MP/P)_engine / (MP/P)_Quijote")

# %% [markdown]
# ```{glue:figure} fig-01-marks-vs-quijote
# :name: fig-01-marks-vs-quijote
#
# The marked spectrum over the power spectrum, engine against the real Quijote LH, for each top-hat window. *`fig-01-marks-vs-quijote`, drawn by `figures.sim.marks_check_figure` from `data/reference/engine_vs_marks_paper.json`.*
# ```

# %% [markdown]
# The table above gives, per window and k range, the median over cosmologies of each one's mean
# ratio: for $k$ in {glue:text}`marks_ranges` $h$/Mpc, {glue:text}`marks_analytic` with the
# analytic window and {glue:text}`marks_mesh` with the mesh one. Above $k$ = {glue:text}`marks_k_split` $h$/Mpc the {glue:text}`marks_closer` window is the
# closer to Quijote; the book uses the {glue:text}`marks_adopted` one (`config.MARK_WINDOW`; a test
# holds the two to agree). Neither brings the ratio to 1 there: with either window it lies between
# {glue:text}`marks_above_min` and {glue:text}`marks_above_max`, so what remains is not the window
# but the engine or another part of the definition (the engine's P(k) falls short of Quijote's at
# high k, {doc}`11_engine`). What else the files imply: the LH is ΛCDM with massless neutrinos, so marks
# on CDM and on total matter are the same there, and this check cannot tell them apart; the mark
# is normalised by its mean and read at the particles with the painting's own CIC kernel in both
# windows. Each paper-preset box took {glue:text}`marks_s_per_sim` s on one CPU thread.

# %% [markdown]
# ## Summary
# - Five suites, drawn deterministically, each point with its own simulation seed.
# - One fixed 70/15/15 split per suite; fine-tuning sets are nested.
# - 79 Quijote k bins, computed from the lattice.
# - The emulated tier: CAMB HMcode-2020 (and fremu for f(R)) with one box's sample variance.
# - The CPU-simulated suites carry P(k) and the marked P(k) of the book's particle-mesh engine
#   ({doc}`11_engine`).
# - At $\Omega_m \approx 0.1$ the real LH spectra lie {glue:text}`lowk_over_linear_b`× above linear
#   theory at $k$ = {glue:text}`lowk_k_b` $h$/Mpc (median), {glue:text}`lowk_over_hmcode_b`× above
#   HMcode-2020: non-linear, not the bins.
# - The mark's top-hat: the {glue:text}`marks_closer` window matches Quijote's MP/P better above
#   $k$ = {glue:text}`marks_k_split`; the book uses the {glue:text}`marks_adopted` one.
#
# ### What's next
# The suites' spectra come from two data tiers — simulated (particle mesh) and emulated (theory
# plus the sample variance of one box); the {doc}`design` page says which tier each chapter uses.

# %% [markdown]
# ```{admonition} Re-run this chapter
# `cosmotransfer book --only 01 --scale smoke -p SEED=1 --out my-book` executes this chapter
# again — at any scale, with any of the parameters of its first code cell (`-p NAME=VALUE`) —
# into `my-book/book/01_data.ipynb`; without `--only` it executes and builds the whole book.
# ```
