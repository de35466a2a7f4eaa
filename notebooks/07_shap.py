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
# # Where the networks look: SHAP attributions
#
# ## Overview
# The paper explains its negative transfer with SHAP: after ΛCDM pre-training the small-scale
# bins of the spectrum carry σ8; after fine-tuning on massive neutrinos they are reassigned to
# Mν, and σ8's attributions flip sign at small scales. This chapter builds that analysis for the
# networks of this book and asks whether the same reassignment appears.
#
# 1. Choosing an explainer (cost and exactness of three SHAP methods)
# 2. Attributions with P(k): pre-trained vs fine-tuned at small and large N
# 3. Attributions with the marked P(k)
# 4. What the attributions show
#
# ## Prerequisites
# | Concept | Importance | Notes |
# | --- | --- | --- |
# | Transfer variants (the transfer chapters) | Necessary | the dummy-node fine-tuning explained here |
# | Shapley values / SHAP | Helpful | Lundberg & Lee 2017; the `shap` package |
# | Massive-neutrino and σ8 signatures in P(k) | Helpful | free-streaming suppression vs amplitude |
#
# - **Time to run:** under a minute at the smoke scale; a few minutes at the book scale (the
#   pre-trained network comes from the cache of the transfer chapters; two fine-tunings per
#   statistic are trained here, and their attributions cached).

# %% tags=["parameters"]
SCALE = "book"
SEED = 0
K_SMALL = None  # h/Mpc: bins at and above this k count as "small scales" (None: config.SHAP_K_SMALL)
FLIP_THRESHOLD = None  # a sign flip counts only where both curves exceed this fraction of their max
# (None: config.SHAP_FLIP_THRESHOLD)

# %% [markdown]
# ## Imports

# %%
from IPython.display import display
from myst_nb import glue

from cosmotransfer.config import SHAP_FLIP_THRESHOLD, SHAP_K_SMALL, ConfigError, get_scale
from cosmotransfer.store import DataFileError
from cosmotransfer.explain import (benchmark_case, case_regions, engine_response, explain_case, reassignment_table,
                                  reassignment_verdict, shap_settings)
from cosmotransfer.figures import publish
from cosmotransfer.figures.shap import admonition, benchmark_table, case_heatmap, case_region_figure, case_signed_figure
from cosmotransfer.stats import simulated_suite_bins
from cosmotransfer.sweeps import set_threads

scale = get_scale(SCALE)
sim_bins = simulated_suite_bins(scale)
glue("sim_box", f"{sim_bins.box:g}", display=False)
glue("sim_nk", str(len(sim_bins.k)), display=False)
K_SMALL = SHAP_K_SMALL if K_SMALL is None else K_SMALL
FLIP_THRESHOLD = SHAP_FLIP_THRESHOLD if FLIP_THRESHOLD is None else FLIP_THRESHOLD
settings = shap_settings(scale.name)
set_threads(scale)
glue("method", settings.method, display=False)
glue("k_small", K_SMALL, display=False)

# %% [markdown]
# ## Choosing an explainer
#
# A network's output for parameter θ is split into one additive contribution per k bin,
# $f_\theta(x) = \mathbb{E}[f_\theta] + \sum_i \phi_{\theta,i}(x)$, with the expectation over a
# *background* set — as in the paper, the test set. Three explainers from `shap`:
#
# - **permutation** (the paper's): antithetic permutations of the bins, masking with background
#   rows. Model-agnostic and exactly additive, but each permutation evaluates the network on
#   $(2 \cdot 79 + 1) \times n_\mathrm{background}$ inputs per explained simulation.
# - **deep** (DeepExplainer, DeepLIFT rescale rule averaged over the background): one forward and
#   backward pass per simulation, output and background row; exactly additive for a chain of
#   Linear / LeakyReLU / sigmoid layers.
# - **gradient** (expected gradients): Monte-Carlo path integrals of the gradient, additive only
#   on average.
#
# The same simulations explained by all three, on the pre-trained P(k) network:

# %%
bench = benchmark_case("mnu_pk", scale, seed=SEED)
for row in bench:
    glue(f"s_per_sample_{row['method']}", float(row["s_per_sample"]), display=False)
    glue(f"additivity_{row['method']}", float(row["max_additivity_error"]), display=False)
    glue(f"corr_{row['method']}", float(row["corr_with_deep"]), display=False)
benchmark_table(bench)

# %% [markdown]
# Per explained simulation the permutation explainer costs {glue:text}`s_per_sample_permutation:.2f` s
# (with the background shown in the table), DeepExplainer {glue:text}`s_per_sample_deep:.3f` s and
# the gradient explainer {glue:text}`s_per_sample_gradient:.3f` s. The exact methods sum to
# $f(x) - \mathbb{E}[f]$ to {glue:text}`additivity_deep:.1e` (deep) and
# {glue:text}`additivity_permutation:.1e` (permutation); their values correlate at
# {glue:text}`corr_permutation:.3f`. The explainer of each scale is set in
# `config.SHAP_SETTINGS`: at this scale the **{glue:text}`method`** explainer — at the book scale,
# with 300 background simulations, DeepExplainer is the cheapest exact method by far — and the
# paper's permutation explainer at the paper scale, on a GPU.
#
# ## Attributions with P(k)
#
# The ΛCDM network is explained on its own test simulations; its dummy-node fine-tunings on the
# neutrino suite's test simulations, at the smallest and the largest N of this scale. Each thin
# curve is the *signed importance* of a bin: the mean |SHAP| over the test simulations, signed by
# the correlation between the bin's value and its attribution (positive: more power in that bin
# pushes the prediction up). The steps are the same for k bands, with the SHAP values of a band's
# bins summed (drawn per bin of the band). The plain mean of the SHAP values is not shown: with the
# explained set equal to the background it vanishes for any network linear in its inputs. Grey:
# bins where σ8's signed importance has the opposite sign to the pre-trained network's; hatched:
# such bands. Dashed, on the
# right axes: the response $\partial \ln P / \partial\hat\theta$ of the emulated tier's
# noise-free spectrum at the fiducial cosmology, per unit of the scaled parameter $\hat\theta$
# (θ min–max scaled with its prior: the units of the outputs and of their SHAP values; finite
# differences, one-sided for Mν at 0 eV).

# %%
results = {}
for stat, case in (("pk", "mnu_pk"), ("mpk", "mnu_mpk")):
    try:
        results[stat] = explain_case(case, scale, seed=SEED)
    except DataFileError as e:
        results[stat] = str(e)

res = results["pk"]
resp_pk = engine_response("pk", scale, ["Om", "s8", "Mnu"])
for name in ("s8", "Mnu"):
    glue(f"resp_{name}_first", float(resp_pk[name][0]), display=False)
    glue(f"resp_{name}_last", float(resp_pk[name][-1]), display=False)
glue("k_first", float(res.k[0]), display=False)
glue("k_last", float(res.k[-1]), display=False)
fig = case_signed_figure(res, resp_pk, rel_threshold=FLIP_THRESHOLD)
publish(fig, "fig-07-signed-pk")

# %% [markdown]
# ```{glue:figure} fig-07-signed-pk
# :name: fig-07-signed-pk
#
# Signed SHAP attributions per k bin, before and after fine-tuning, with the responses (P(k)). *`fig-07-signed-pk`, drawn by `figures.shap.case_signed_figure` from `explain.explain_case('mnu_pk')`; suite responses.*
# ```

# %%
table_pk = reassignment_table(res, K_SMALL, rel_threshold=FLIP_THRESHOLD)
small, large = res.finetuned[0], res.finetuned[-1]
for which, net in (("small", small), ("large", large)):
    row = table_pk.loc[net.label]
    glue(f"pk_n_{which}", int(net.n_train), display=False)
    glue(f"pk_band_flip_{which}", row["s8 band flips"], display=False)
    glue(f"pk_bin_flip_{which}", row["s8 bin flips"], display=False)
    glue(f"pk_s8_ratio_{which}", float(row["s8 small vs pre-trained"]), display=False)
    glue(f"pk_mnu_small_{which}", float(row["Mnu small scales"]), display=False)
    glue(f"pk_mnu_large_{which}", float(row["Mnu large scales"]), display=False)
    glue(f"pk_mnu_mse_{which}", float(row["Mnu test MSE"]), display=False)
pre_row = table_pk.iloc[0]
glue("pk_s8_small_pre", float(pre_row["s8 small scales"]), display=False)
glue("pk_s8_large_pre", float(pre_row["s8 large scales"]), display=False)
glue("pk_verdict", reassignment_verdict(res, K_SMALL, rel_threshold=FLIP_THRESHOLD), display=False)
glue("pk_train_s", float(res.wall_s["train"]), display=False)
glue("pk_explain_s", float(res.wall_s["explain"]), display=False)
fig = case_region_figure(case_regions(res, K_SMALL), res.stat, K_SMALL)
publish(fig, "fig-07-regions-pk")
table_pk.style.format(precision=4)

# %% [markdown]
# ```{glue:figure} fig-07-regions-pk
# :name: fig-07-regions-pk
#
# Share of attribution at small and large scales per output and network (P(k)). *`fig-07-regions-pk`, drawn by `figures.shap.case_region_figure` from `explain.case_regions` of `explain.explain_case('mnu_pk')`.*
# ```

# %% [markdown]
# Single bins are a noisy unit: neighbouring bins are nearly collinear across cosmologies, so a
# network reads them with alternating-sign weights and single-bin attributions alternate in sign
# (thin lines). Summed over k bands (steps) — or over all the bins above and below
# $k$ = {glue:text}`k_small` $h$/Mpc (bars) — they are stable.
#
# In the pre-trained network the small scales carry σ8: summed, the bins at $k \geq$
# {glue:text}`k_small` $h$/Mpc move its σ8 prediction by {glue:text}`pk_s8_small_pre:.3f` on
# average (in units of the prior width), the larger scales by {glue:text}`pk_s8_large_pre:.3f`.
# After fine-tuning σ8 keeps {glue:text}`pk_s8_ratio_small:.2f` (N = {glue:text}`pk_n_small`) and
# {glue:text}`pk_s8_ratio_large:.2f` (N = {glue:text}`pk_n_large`) of that small-scale attribution.
# σ8's band attributions change sign against the pre-trained network in
# {glue:text}`pk_band_flip_small` at N = {glue:text}`pk_n_small` and {glue:text}`pk_band_flip_large`
# at N = {glue:text}`pk_n_large` (single bins: {glue:text}`pk_bin_flip_small` and
# {glue:text}`pk_bin_flip_large`). Mν draws {glue:text}`pk_mnu_small_large:.3f` from the small
# scales and {glue:text}`pk_mnu_large_large:.3f` from the large ones at N = {glue:text}`pk_n_large`
# (test MSE {glue:text}`pk_mnu_mse_large:.3f`; predicting the prior mean scores 0.083); where both
# are large and opposite, the network reads Mν from the *contrast* between the scales. Are the small
# scales taken away from σ8? **{glue:text}`pk_verdict`**. (Training in this run:
# {glue:text}`pk_train_s:.0f` s; computing the attributions took {glue:text}`pk_explain_s:.0f` s —
# later runs read both from the cache.)
#
# Every test simulation, sorted by its true parameter value — where a bin's attribution changes
# colour along a column, the network reads that parameter from that bin:

# %%
fig = case_heatmap(res)
publish(fig, "fig-07-heatmap-pk")

# %% [markdown]
# ```{glue:figure} fig-07-heatmap-pk
# :name: fig-07-heatmap-pk
#
# Attribution per k bin for every network and output (P(k)). *`fig-07-heatmap-pk`, drawn by `figures.shap.case_heatmap` from `explain.explain_case('mnu_pk')`.*
# ```

# %% [markdown]
# ## Attributions with the marked P(k)
#
# The marked power spectrum needs a density field, so only the simulated (particle-mesh) tier
# makes it. At the book scale these are the suites shipped at the `cpu` preset (the paper's
# resolution in a {glue:text}`sim_box` Mpc/$h$ box, {glue:text}`sim_nk` k bins; {doc}`01_data`): the ΛCDM network is pre-trained
# on the simulated BSQ points and fine-tuned on the simulated neutrino suite, and the dashed
# curves are the engine's own responses at that preset (one seed, finite differences). At the
# paper scale the Quijote-size suites need a GPU. Where they are missing, the command that makes
# them is named below and this section is skipped.

# %%
res_m = results["mpk"]
if isinstance(res_m, str):
    display(admonition("Marked P(k) suites not available at this scale", res_m))
    for fid in ("fig-07-signed-mpk", "fig-07-regions-mpk", "fig-07-heatmap-mpk"):
        publish(None, fid, "no marked P(k) suites at this scale")
    glue("mpk_summary", "not computed — there are no marked P(k) suites at this scale (see the note above)",
         display=False)
else:
    try:
        resp_m = engine_response("mpk", scale, ["Om", "s8", "Mnu"], seed=SEED)
    except ConfigError as e:
        resp_m = None
        display(admonition("No marked-P(k) response curves", f"the particle-mesh engine cannot run them here: {e}"))
    fig = case_signed_figure(res_m, resp_m, rel_threshold=FLIP_THRESHOLD)
    publish(fig, "fig-07-signed-mpk")
    table_m = reassignment_table(res_m, K_SMALL, rel_threshold=FLIP_THRESHOLD)
    flips = "; ".join(f"in {row['s8 band flips']} at N = {row['N']}" for _, row in table_m.iloc[1:].iterrows())
    verdict = reassignment_verdict(res_m, K_SMALL, rel_threshold=FLIP_THRESHOLD)
    glue("mpk_summary", f"σ8's band attributions change sign {flips}. Are the small scales taken away from σ8? "
         f"{verdict}", display=False)
    fig = case_region_figure(case_regions(res_m, K_SMALL), res_m.stat, K_SMALL)
    publish(fig, "fig-07-regions-mpk")
    fig = case_heatmap(res_m)
    publish(fig, "fig-07-heatmap-mpk")
    display(table_m.style.format(precision=4))

# %% [markdown]
# ```{glue:figure} fig-07-signed-mpk
# :name: fig-07-signed-mpk
#
# Signed SHAP attributions per k bin with the engine's responses (marked P(k)). *`fig-07-signed-mpk`, drawn by `figures.shap.case_signed_figure` from `explain.explain_case('mnu_mpk')`; engine responses.*
# ```
#
# ```{glue:figure} fig-07-regions-mpk
# :name: fig-07-regions-mpk
#
# Share of attribution at small and large scales (marked P(k)). *`fig-07-regions-mpk`, drawn by `figures.shap.case_region_figure` from `explain.case_regions` of `explain.explain_case('mnu_mpk')`.*
# ```
#
# ```{glue:figure} fig-07-heatmap-mpk
# :name: fig-07-heatmap-mpk
#
# Attribution per k bin for every network and output (marked P(k)). *`fig-07-heatmap-mpk`, drawn by `figures.shap.case_heatmap` from `explain.explain_case('mnu_mpk')`.*
# ```

# %% [markdown]
# With the marked P(k): {glue:text}`mpk_summary`.
#
# ## Summary
# - SHAP values split each predicted parameter into per-bin contributions that add up exactly
#   (DeepExplainer, permutation) to the prediction minus its background mean.
# - With P(k), are the small scales taken away from σ8? {glue:text}`pk_verdict`. σ8's band
#   attributions flip sign in {glue:text}`pk_band_flip_small` (N = {glue:text}`pk_n_small`) and
#   {glue:text}`pk_band_flip_large` (N = {glue:text}`pk_n_large`).
# - With the marked P(k): {glue:text}`mpk_summary`.
# - The physics the attributions reflect (dashed curves): at fixed σ8, d ln P/dσ8 goes from
#   {glue:text}`resp_s8_first:.2f` at $k$ = {glue:text}`k_first:.3f` to
#   {glue:text}`resp_s8_last:.2f` at {glue:text}`k_last:.3f` $h$/Mpc, and d ln P/dMν from
#   {glue:text}`resp_Mnu_first:.3f` to {glue:text}`resp_Mnu_last:.3f` per eV. Where the two
#   responses are near-proportional, a network can tell σ8 from Mν only by comparing bins, and
#   the attributions of the two parameters must share those bins.
#
# ### What's next
# The attributions are computed for one training seed; the transfer chapters show how much the
# test MSE itself varies between seeds.

# %% [markdown]
# ```{admonition} Re-run this chapter
# `cosmotransfer book --only 07 --scale smoke -p SEED=1 --out my-book` executes this chapter
# again — at any scale, with any of the parameters of its first code cell (`-p NAME=VALUE`) —
# into `my-book/book/07_shap.ipynb`; without `--only` it executes and builds the whole book.
# ```
