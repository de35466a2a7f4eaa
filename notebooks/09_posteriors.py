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
# # Posteriors instead of points
#
# ## Overview
# The paper's networks predict one value per parameter and are scored by their MSE, and the paper
# names this as a limitation. For Mν from P(k) the MSE hardly falls below that of always
# predicting the prior's middle, and a point estimate cannot say whether the network knows that. A
# posterior can: its width says what the data constrain, and its coverage on held-out simulations
# says whether that width can be trusted. This chapter swaps the MLP's output layer for a
# conditional normalising flow on the same trunk, pre-trains it on ΛCDM and fine-tunes it exactly
# like the point networks, and asks what transfer does to the posterior.
#
# **Data tiers:** the real Quijote nwLH with P(k) and with the marked P(k), each pre-trained on the
# real ΛCDM latin hypercube's own statistic (the `mnu_pk_q` and `mnu_mpk_q` cases of
# {doc}`03_neutrinos`), and the emulated f(R) suite pre-trained on the emulated BSQ (`fr_pk`, as in
# {doc}`04_modified_gravity`). On the real suites the test set is {glue:text}`post_n_test` simulations,
# so an empirical coverage is known to about ±{glue:text}`post_binomial_1` (one binomial standard error
# at the 50 % level).
#
# 1. The posterior network and how transfer works for it
# 2. Scores against the budget: log density of the truth, widths
# 3. Savings on the log density
# 4. Coverage: are the posteriors calibrated?
# 5. The negative transfer on Mν: biased, over-confident, or wider?
# 6. The σ8–Mν degeneracy in the joint posterior
#
# ## Prerequisites
# | Concept | Importance | Notes |
# | --- | --- | --- |
# | {doc}`03_neutrinos`, {doc}`08_negative_transfer` | Necessary | the cases and the Mν penalty of the marked P(k) |
# | Normalising flows, simulation-based calibration | Helpful | Papamakarios et al. 2021; Talts et al. 2018; Lemos et al. 2023 (TARP) |
#
# - **Time to run:** every flow is trained here (then cached): {glue:text}`post_n_flows` flows,
#   {glue:text}`post_train_min` CPU-minutes of training at this scale, spread over
#   {glue:text}`post_workers` worker processes.

# %% tags=["parameters"]
SCALE = "book"
SEED = 0

# %% [markdown]
# ## Imports

# %%
import numpy as np
import pandas as pd
from IPython.display import display
from myst_nb import glue

from cosmotransfer import posterior, sweeps
from cosmotransfer.config import COVERAGE_LEVELS, POSTERIOR_CHANGE, POSTERIOR_VARIANTS, get_scale
from cosmotransfer.figures import publish
from cosmotransfer.figures.learning import skipped
from cosmotransfer.figures.posterior import coverage_figure, joint_posteriors, scores_vs_budget
from cosmotransfer.sweeps import format_factor, set_threads
from cosmotransfer.transfer import get_case

scale = get_scale(SCALE)
set_threads(scale)
settings = posterior.posterior_settings(scale)
cases = [c for c in settings.cases if not sweeps.case_missing(c, scale)]
for c in settings.cases:
    if c not in cases:
        display(skipped(sweeps.case_missing(c, scale)))
titles = {c: get_case(c).title.split(";")[0] for c in cases}

# %% [markdown]
# ## The posterior network
#
# `posterior.PosteriorNet` keeps the point network's trunk — the standardised summaries through
# the hidden layers — and puts a conditional neural spline flow (`zuko`; Durkan et al. 2019) on
# its features instead of the output layer: a density q(θ | x) over the scaled parameters, trained
# on the negative log density of the truth by the book's one training loop. zuko rather than sbi:
# the flow has to sit on a trunk that this book pre-trains, fine-tunes and caches with its own
# loop, and zuko's flows are plain torch modules, while sbi brings its own loop and wrappers. Its
# unit tests check, on a toy with a known Gaussian posterior, that the flow recovers the mean and
# width and that its coverage lies within three binomial errors of the diagonal.
#
# **Transfer, dummy-style.** The ΛCDM posterior is pre-trained over the {glue:text}`post_n_lcdm` ΛCDM parameters *and*
# one extra dimension per parameter the new suite adds, filled with uniform noise that has nothing
# to do with the summaries — the flow learns a flat, prior-like marginal there, as the point
# network's dummy nodes learn nothing. Fine-tuning puts Mν (and f_R0) into those dimensions and
# trains everything; scratch trains a fresh trunk and flow on the N simulations alone. Budgets
# {glue:text}`post_budgets`, {glue:text}`post_seeds` training seeds each, {glue:text}`post_draws`
# posterior draws per test simulation.

# %%
# every flow of the chapter: the ΛCDM pre-trainings, then scratch and transfer at each budget and seed
post_sweeps = posterior.posterior_sweeps(cases, scale, seed=SEED)
pre = {c: sw.pretrained for c, sw in post_sweeps.items()}
table = pd.concat([sw.table for sw in post_sweeps.values()], ignore_index=True)
runs_table = table.drop_duplicates(["case", "variant", "N", "member"]).assign(param="joint")
train_s = runs_table.wall_s.sum() + sum(p.info["history"]["wall_s"] for p in pre.values())
glue("post_n_flows", len(runs_table) + len(pre), display=False)
glue("post_train_min", f"{train_s / 60:.1f}", display=False)
glue("post_workers", scale.workers, display=False)
glue("post_n_lcdm", len(pre[cases[0]].info["order"]) - pre[cases[0]].info["n_dummy"], display=False)
glue("post_budgets", ", ".join(map(str, settings.budgets)), display=False)
glue("post_seeds", len(settings.seeds), display=False)
glue("post_draws", settings.n_samples, display=False)
for c, p in pre.items():
    glue(f"pre_ld_{c}", f"{p.info['test_log_density']:.2f}", display=False)
    glue(f"pre_flat_{c}", f"{p.info['flat_prior_log_density']:.2f}", display=False)
pd.DataFrame({c: {"pre-training simulations": p.info["n_train"], "flow dimensions": ", ".join(p.info["order"]),
                  "dummy dimensions": p.info["n_dummy"], "test log density": round(p.info["test_log_density"], 2),
                  "flat prior's log density": round(p.info["flat_prior_log_density"], 2),
                  "epochs": p.info["history"]["epochs"]} for c, p in pre.items()})

# %% [markdown]
# On its own ΛCDM test set the pre-trained posterior of the real latin hypercube's P(k) scores a mean
# log density of {glue:text}`pre_ld_mnu_pk_q` against {glue:text}`pre_flat_mnu_pk_q` for the flat
# prior that suite is drawn from (the latin hypercube samples Ωb over less than the prior table's
# range, so its flat prior already scores above 0 on the scaled axes); its marked P(k)
# {glue:text}`pre_ld_mnu_mpk_q`, and the emulated BSQ's P(k) {glue:text}`pre_ld_fr_pk` (flat prior
# {glue:text}`pre_flat_fr_pk`).

# %% [markdown]
# ## Scores against the budget
#
# The mean log posterior density of the true parameters on the test set (scaled axes, higher is
# better), and the mean width of the central 68 % interval of σ8 and of Mν in their own units.
# Dotted: what the flat prior each suite is drawn from scores — its log density, and 68 % of each
# parameter's sampled range, what a posterior that learnt nothing would give. Lines: median over
# seeds; bands: 16–84 %.

# %%
ld = posterior.posterior_curves(runs_table, "log_density")
width = posterior.posterior_curves(table, "width")
flat = {c: sw.flat_prior for c, sw in post_sweeps.items()}
prior_w = {c: posterior.flat_prior_widths(get_case(c).suite, ("s8", "Mnu")) for c in cases}
fig = scores_vs_budget(ld, width, titles, flat, prior_w)
publish(fig, "fig-09-posterior-scores", data=post_sweeps)

# %% [markdown]
# ```{glue:figure} fig-09-posterior-scores
# :name: fig-09-posterior-scores
#
# Log posterior density of the truth and 68 % widths of σ8 and Mν against N, transfer and scratch. *`fig-09-posterior-scores`, drawn by `figures.posterior.scores_vs_budget` from `posterior.posterior_sweeps` of the cases in `config.POSTERIOR_SETTINGS`.* Data: {download}`fig-09-posterior-scores.csv <downloads/fig-09-posterior-scores.csv>` ({download}`provenance <downloads/fig-09-posterior-scores.json>`).
# ```

# %% [markdown]
# ## Savings on the log density
#
# As for the MSE: how many simulations scratch needs to reach the median log density that the
# transferred posterior reaches at N = {glue:text}`post_n_ref` (interpolated linearly in the log
# density and in log N; "<" where transfer does worse than scratch at the smallest budget, ">"
# where scratch never gets there within the grid: bounds, as for the MSE savings).

# %%
n_ref = sweeps.reference_budget(settings.budgets)
glue("post_n_ref", n_ref, display=False)
rows = {}
for c in cases:
    s = posterior.log_density_savings(table[table.case == c], n_ref)
    text = f"{s['bound']}{format_factor(s['factor'])}×"
    glue(f"post_savings_{c}", text, display=False)
    glue(f"post_ld_{c}", f"{s['transfer']:.2f} vs {s['scratch']:.2f}", display=False)
    rows[titles[c]] = {"transfer log density": round(s["transfer"], 2), "scratch log density": round(s["scratch"], 2),
                       "scratch N to match": round(s["n_scratch"]), "savings": text}
pd.DataFrame(rows).T

# %% [markdown]
# At N = {glue:text}`post_n_ref`: real nwLH with P(k) {glue:text}`post_savings_mnu_pk_q`
# (log density {glue:text}`post_ld_mnu_pk_q`, transfer vs scratch); with the marked P(k)
# {glue:text}`post_savings_mnu_mpk_q` ({glue:text}`post_ld_mnu_mpk_q`); emulated f(R)
# {glue:text}`post_savings_fr_pk` ({glue:text}`post_ld_fr_pk`).
#
# ## Coverage
#
# Two checks at N = {glue:text}`post_n_ref`, on the test set. **Joint:** the expected coverage of
# TARP (Lemos, Coogan et al. 2023; `posterior.tarp_coverage`): for each simulation, a random
# reference point in the prior and the fraction f of posterior draws closer to it than the truth; a
# calibrated posterior makes f uniform, so the curve follows the diagonal. **Marginal:** the
# fraction of simulations whose true σ8 or Mν lies in the central interval of each credibility
# (the marginal form of simulation-based calibration). Below the diagonal: over-confident; above:
# too wide. Grey: ±2 binomial standard errors for the case's test set.

# %%
at_ref = {c: {v: posterior.posterior_run(c, scale, v, n_ref, seed=settings.seeds[0], pre=pre[c])
              for v in POSTERIOR_VARIANTS} for c in cases}
bands = {c: posterior.coverage_band(at_ref[c]["scratch"]["n_test"]) for c in cases}
fig = coverage_figure(at_ref, titles, bands)
publish(fig, "fig-09-coverage")
summary = posterior.summary_at(table, n_ref)
for c in cases:
    for v in ("scratch", "dummy"):
        err = summary.loc[c].xs(v, level="variant")
        glue(f"cov_{c}_{v}", f"{err['coverage_error'].max():.2f}", display=False)
        glue(f"tarp_{c}_{v}", f"{err['tarp_error'].iloc[0]:.2f}", display=False)
n_test = at_ref[cases[0]]["scratch"]["n_test"]
glue("post_n_test", n_test, display=False)
glue("post_binomial", f"{2 * np.sqrt(0.25 / n_test):.2f}", display=False)
glue("post_binomial_1", f"{np.sqrt(0.25 / n_test):.2f}", display=False)
glue("post_n_levels", len(COVERAGE_LEVELS), display=False)
summary.round(3)

# %% [markdown]
# ```{glue:figure} fig-09-coverage
# :name: fig-09-coverage
#
# Expected against empirical coverage at the reference budget: TARP (joint) and central intervals of σ8 and Mν, transfer and scratch. *`fig-09-coverage`, drawn by `figures.posterior.coverage_figure` from `posterior.posterior_run` at the reference budget, scratch and transfer (first seed).*
# ```

# %% [markdown]
# The largest coverage error, max |empirical − expected| over credibility levels (median over
# seeds; marginal of σ8 and Mν, and TARP): real nwLH P(k) — scratch {glue:text}`cov_mnu_pk_q_scratch`
# (TARP {glue:text}`tarp_mnu_pk_q_scratch`), transfer {glue:text}`cov_mnu_pk_q_dummy` (TARP
# {glue:text}`tarp_mnu_pk_q_dummy`); marked P(k) — scratch {glue:text}`cov_mnu_mpk_q_scratch`
# (TARP {glue:text}`tarp_mnu_mpk_q_scratch`), transfer {glue:text}`cov_mnu_mpk_q_dummy` (TARP
# {glue:text}`tarp_mnu_mpk_q_dummy`); f(R) — scratch {glue:text}`cov_fr_pk_scratch`, transfer
# {glue:text}`cov_fr_pk_dummy`. For comparison, twice the binomial standard error at the 50 % level
# with {glue:text}`post_n_test` test simulations is {glue:text}`post_binomial`; the error quoted is
# the largest over {glue:text}`post_n_levels` nested levels and two parameters, so it sits above
# the error at any one level.
#
# ## The negative transfer on Mν: biased, over-confident, or wider?
#
# {doc}`08_negative_transfer` found that fine-tuning the ΛCDM network on the marked P(k) can
# leave Mν *worse* than scratch. What does that look like in a posterior? Three numbers per
# parameter, medians over seeds, at N = {glue:text}`post_n_ref` and
# {glue:text}`post_n_wide`: the 68 % width; the bias, the mean over test simulations of
# z = (posterior mean − truth) / posterior standard deviation; and the rms of z — near 1 for an
# honest posterior, above 1 for an over-confident one.

# %%
n_wide = settings.n_wide
glue("post_n_wide", n_wide, display=False)
glue("change_width", f"{POSTERIOR_CHANGE['width']:.0%}", display=False)
glue("change_z", f"{POSTERIOR_CHANGE['z']:.1f}", display=False)
mnu = pd.concat({n: posterior.summary_at(table, n, params=("Mnu",)) for n in (n_ref, n_wide)}, names=["N"])
mnu = mnu[["width", "z_mean", "z_rms", "coverage_error"]].reset_index()
for c in cases:
    for at, n in (("ref", n_ref), ("wide", n_wide)):
        for v in POSTERIOR_VARIANTS:
            row = mnu.query("case == @c and N == @n and variant == @v")
            glue(f"mnu_w_{c}_{at}_{v}", f"{row['width'].iloc[0]:.3f}", display=False)
            glue(f"mnu_z_{c}_{at}_{v}", f"{row['z_mean'].iloc[0]:+.2f}", display=False)
            glue(f"mnu_zrms_{c}_{at}_{v}", f"{row['z_rms'].iloc[0]:.2f}", display=False)
glue("mnu_prior_w", f"{prior_w[cases[0]]['Mnu']:.3f}", display=False)
for c in cases:
    for at, n in (("ref", n_ref), ("wide", n_wide)):
        rows_n = mnu.query("case == @c and N == @n").set_index("variant")
        glue(f"mnu_change_{c}_{at}", posterior.describe_change(rows_n.loc["scratch"], rows_n.loc["dummy"]),
             display=False)
mnu.set_index(["case", "N", "variant"]).round(3)

# %% [markdown]
# Mν's 68 % width (eV; a flat prior's is {glue:text}`mnu_prior_w`), scratch → transfer: with P(k),
# {glue:text}`mnu_w_mnu_pk_q_ref_scratch` → {glue:text}`mnu_w_mnu_pk_q_ref_dummy` at N = {glue:text}`post_n_ref`
# and {glue:text}`mnu_w_mnu_pk_q_wide_scratch` → {glue:text}`mnu_w_mnu_pk_q_wide_dummy` at
# N = {glue:text}`post_n_wide`; with the marked P(k), {glue:text}`mnu_w_mnu_mpk_q_ref_scratch` →
# {glue:text}`mnu_w_mnu_mpk_q_ref_dummy` and {glue:text}`mnu_w_mnu_mpk_q_wide_scratch` →
# {glue:text}`mnu_w_mnu_mpk_q_wide_dummy`.
#
# Set against scratch, transfer leaves the Mν posterior of the marked P(k)
# {glue:text}`mnu_change_mnu_mpk_q_ref` at N = {glue:text}`post_n_ref`, and
# {glue:text}`mnu_change_mnu_mpk_q_wide` at N = {glue:text}`post_n_wide`. With P(k):
# {glue:text}`mnu_change_mnu_pk_q_ref` at N = {glue:text}`post_n_ref`; in the emulated f(R) suite:
# {glue:text}`mnu_change_fr_pk_ref`. (Wider or narrower: the 68 % width moves more than
# {glue:text}`change_width` of itself; more biased or over-confident: |z̄| or the rms of z moves by
# more than {glue:text}`change_z`.) The transferred Mν posterior starts from the flat marginal its
# dummy dimension learnt on noise in pre-training, so fine-tuning has to narrow it from the prior's
# width; scratch starts from a random flow. The table above has every case and both budgets; read
# it with the coverage figure, since a width can be trusted only where the coverage is right.
#
# ## The σ8–Mν degeneracy in the joint posterior
#
# Massive neutrinos suppress small-scale power much as a change of σ8 does, so a summary that
# cannot tell them apart should give a joint posterior tilted along the direction that keeps the
# summary fixed: σ8 and Mν correlated, not independent. Two test simulations of the marked-P(k) case at
# N = {glue:text}`post_n_ref`, first seed; and, over the whole test set, the median correlation of
# σ8 and Mν in each posterior.

# %%
corner_case = settings.corner_case if settings.corner_case in cases else cases[0]
test_sims = settings.corner_sims
joints = {c: posterior.joint_draws(c, scale, pre[c], n_ref, test_sims, seed=settings.seeds[0]) for c in cases}
joint = joints[corner_case]
fig = joint_posteriors(joint["draws"], joint["contours"], joint["truths"],
                       names=[f"{titles[corner_case]}: test simulation {i}" for i in test_sims])
publish(fig, "fig-09-joint-posteriors")
corr = {c: j["correlation"] for c, j in joints.items()}
for c, r in corr.items():
    for v, value in r.items():
        glue(f"corr_{c}_{v}", f"{value:+.2f}", display=False)
    glue(f"tilt_{c}", posterior.tilt_text(r), display=False)
glue("change_tilt", f"{POSTERIOR_CHANGE['tilt']:.1f}", display=False)
pd.DataFrame(corr).T.rename(columns={"scratch": "scratch: corr(σ8, Mν)", "dummy": "transfer: corr(σ8, Mν)"}).round(2)

# %% [markdown]
# ```{glue:figure} fig-09-joint-posteriors
# :name: fig-09-joint-posteriors
#
# The joint posterior of σ8 and Mν for two test simulations of the real nwLH with the marked P(k), transfer and scratch (68 % and 95 % contours; the star: the truth). *`fig-09-joint-posteriors`, drawn by `figures.posterior.joint_posteriors` from `posterior.joint_draws` of two test simulations (reference budget, first seed).*
# ```

# %% [markdown]
# Median posterior correlation of σ8 and Mν over the test set, scratch and transfer: real nwLH
# P(k) {glue:text}`corr_mnu_pk_q_scratch` and {glue:text}`corr_mnu_pk_q_dummy`
# ({glue:text}`tilt_mnu_pk_q`); marked P(k) {glue:text}`corr_mnu_mpk_q_scratch` and
# {glue:text}`corr_mnu_mpk_q_dummy` ({glue:text}`tilt_mnu_mpk_q`); emulated f(R)
# {glue:text}`corr_fr_pk_scratch` and {glue:text}`corr_fr_pk_dummy` ({glue:text}`tilt_fr_pk`;
# tilted means a median |correlation| above {glue:text}`change_tilt`). A degeneracy can show in two
# ways: as a tilt, a direction in the (σ8, Mν) plane the summaries cannot resolve while they pin down
# the other; or, when they say little about Mν at all, as an Mν posterior close to the prior's width
# (the widths above) at whatever σ8 the data fix, with nothing to lean along.
#
# ## Summary
# - A conditional spline flow on the point network's trunk transfers like the point network: the
#   ΛCDM posterior is pre-trained with uniform-noise dummy dimensions that the new parameters take
#   over.
# - Log-density savings at N = {glue:text}`post_n_ref`: {glue:text}`post_savings_mnu_pk_q` (real
#   P(k)), {glue:text}`post_savings_mnu_mpk_q` (real marked P(k)), {glue:text}`post_savings_fr_pk`
#   (emulated f(R)).
# - Coverage error (max over levels, σ8 and Mν): scratch {glue:text}`cov_mnu_pk_q_scratch`,
#   transfer {glue:text}`cov_mnu_pk_q_dummy` on the real P(k).
# - Mν's 68 % width with P(k): {glue:text}`mnu_w_mnu_pk_q_ref_scratch` eV from scratch,
#   {glue:text}`mnu_w_mnu_pk_q_ref_dummy` eV after transfer at N = {glue:text}`post_n_ref`;
#   {glue:text}`mnu_w_mnu_pk_q_wide_scratch` and {glue:text}`mnu_w_mnu_pk_q_wide_dummy` eV at
#   N = {glue:text}`post_n_wide` (a flat prior: {glue:text}`mnu_prior_w`).
# - The Mν penalty of the marked P(k), as a posterior at N = {glue:text}`post_n_ref`:
#   {glue:text}`mnu_change_mnu_mpk_q_ref`.
# - The σ8–Mν joint posteriors: {glue:text}`tilt_mnu_mpk_q` with the marked P(k),
#   {glue:text}`tilt_mnu_pk_q` with P(k).
#
# ### What's next
# {doc}`10_scorecard` collects every finding of the paper with a verdict.

# %% [markdown]
# ```{admonition} Re-run this chapter
# `cosmotransfer book --only 09 --scale smoke -p SEED=1 --out my-book` executes this chapter
# again — at any scale, with any of the parameters of its first code cell (`-p NAME=VALUE`) —
# into `my-book/book/09_posteriors.ipynb`; without `--only` it executes and builds the whole book.
# ```
