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
# # Scorecard: what this book reproduces
#
# ## Overview
# One row per finding of the paper: the paper's statement and number in this book's convention
# (a *total* MSE is the sum over a case's parameters; the paper's printed losses are means), this
# book's number on each data tier where the finding can be measured, and a verdict computed by a
# rule from those numbers — *reproduced*, *partly*, *not reproduced*, or *not testable on this data*
# (the tier lacks the suite; for the PNG rows, also when no variant learns f_NL there).
#
# The tiers: **real Quijote** (the real LH and nwLH runs shipped in `data/quijote/`), **emulated**
# (CAMB HMcode-2020 + one box's sample variance, P(k) only) and **CPU-simulated** (the particle-mesh
# engine in {glue:text}`sim_box` Mpc/$h$ boxes, {glue:text}`sim_nk` k bins). A row's verdict is the real tier's where it can test the
# finding, otherwise the stand-ins' where they agree, and *partly* where they disagree.
#
# ## Prerequisites
# | Concept | Importance | Notes |
# | --- | --- | --- |
# | {doc}`02_pretraining` … {doc}`07_shap` | Necessary | every number here is one of theirs |
#
# - **Time to run:** at the book scale about five minutes on 2 cores for the grid search of the
#   tuned baseline (`config.TUNED_CASES`); everything else is read from the caches of the chapters
#   before it (sweeps, pre-trained networks, SHAP values).

# %% tags=["parameters"]
SCALE = "book"
SEED = 0

# %% [markdown]
# ## Imports

# %%
from IPython.display import HTML
from myst_nb import glue

import pandas as pd

from cosmotransfer import scorecard
from cosmotransfer.config import (NOT_INFORMATIVE, REFERENCE_BUDGET, SCORECARD, TRANSFER_VERDICT, TUNING_GRID,
                                  get_scale)
from cosmotransfer.transfer import get_case
from cosmotransfer.figures.scorecard import scorecard_html
from cosmotransfer.stats import simulated_suite_bins
from cosmotransfer.sweeps import set_threads

scale = get_scale(SCALE)
sim_bins = simulated_suite_bins(scale)
glue("sim_box", f"{sim_bins.box:g}", display=False)
glue("sim_nk", str(len(sim_bins.k)), display=False)
set_threads(scale)

# %% [markdown]
# ## The scorecard
#
# The savings rows are scored on the tuned baseline of the last section where it exists.

# %%
pairs = scorecard.tuned_sweeps(scale, seed=SEED)  # the grid searches (cached after the first run)
measurements = scorecard.scorecard(scale, seed=SEED)
table = scorecard.table(measurements)
for key, verdict in zip((f.key for f in scorecard.FINDINGS), table["verdict"]):
    glue(f"verdict_{key}", verdict, display=False)
counts = table["verdict"].value_counts()
for v in scorecard.VERDICTS:  # n_reproduced, n_partly, n_not_reproduced, n_not_testable
    glue("n_" + "_".join(v.split()[:2]), int(counts.get(v, 0)), display=False)
glue("n_findings", len(table), display=False)

HTML(scorecard_html(table, scorecard.TIERS))

# %% [markdown]
# Of {glue:text}`n_findings` findings, {glue:text}`n_reproduced` are reproduced,
# {glue:text}`n_partly` partly, {glue:text}`n_not_reproduced` not reproduced and
# {glue:text}`n_not_testable` not testable on the data this book has.
#
# ## The rules
#
# Every verdict is `scorecard.verdict_of(kind, numbers)` — a function of the numbers in the table —
# with its thresholds in `config.SCORECARD`, `config.TRANSFER_VERDICT` and `config.NOT_INFORMATIVE`:

# %%
glue("paper_pretrain", SCORECARD["paper_pretrain_total"], display=False)
glue("pretrain_lo", SCORECARD["pretrain_ratio"][0], display=False)
glue("pretrain_hi", SCORECARD["pretrain_ratio"][1], display=False)
glue("paper_savings", SCORECARD["paper_savings"], display=False)
glue("savings_min", SCORECARD["paper_savings"] / SCORECARD["savings_tolerance"], display=False)
glue("most", f"{SCORECARD['most']:.0%}", display=False)
glue("some", f"{SCORECARD['some']:.0%}", display=False)
glue("tolerance", SCORECARD["savings_tolerance"], display=False)
glue("clear_gain", SCORECARD["clear_gain"], display=False)
glue("n_ref", REFERENCE_BUDGET, display=False)
glue("n_max", TRANSFER_VERDICT["n_max"], display=False)
glue("worse", TRANSFER_VERDICT["worse"], display=False)
glue("better", TRANSFER_VERDICT["better"], display=False)
glue("margin", f"{NOT_INFORMATIVE['margin']:.0%}", display=False)

# %% [markdown]
# - **Pre-training**: our network's total test MSE over the paper's {glue:text}`paper_pretrain`:
#   reproduced up to {glue:text}`pretrain_lo`×, partly up to {glue:text}`pretrain_hi`×.
# - **Savings** (Mν, f(R)): the savings factor at N = {glue:text}`n_ref` (or the nearest swept
#   budget) with its bootstrap band over seeds, against the baseline tuned at every budget (last
#   section) where the case has one; reproduced from {glue:text}`savings_min`× (the
#   paper's {glue:text}`paper_savings`× within a factor of {glue:text}`tolerance`) — but only
#   *partly* when the new parameter is not informative, since the saving is then carried by the
#   ΛCDM parameters; partly while the band's lower end stays above {glue:text}`clear_gain`;
#   otherwise not.
# - **Negative transfer / gain** of a parameter: the geometric mean over N ≤ {glue:text}`n_max` of
#   its median test MSE after transfer over scratch's — negative transfer above {glue:text}`worse`,
#   a gain below {glue:text}`better`. Marked P(k): reproduced if both σ8 and Mν show negative
#   transfer, partly if one does. Equilateral PNG: reproduced if at least {glue:text}`most` of the
#   parameters gain, partly if at least {glue:text}`some` do. Local PNG: reproduced unless the
#   total gains.
# - **Not informative**: a parameter whose median MSE stays above the prior-mean MSE (1/12) less
#   {glue:text}`margin` for every variant at every N; a PNG row whose f_NL is not informative is
#   not testable on that tier.
# - **Ranking**: the geometric mean over budgets and cases of each variant's total MSE over
#   scratch's; reproduced if the order is dummy > no dummy > frozen, partly if dummy is first or
#   frozen last.
# - **SHAP**: chapter 07's answer to "are the small scales taken away from σ8?": yes → reproduced,
#   at some N → partly, no → not reproduced.
#
# ## A fair baseline: tuned at every budget
#
# The chapters train every variant with one fixed configuration per scale; the paper tuned every
# network with Optuna. A scratch configuration that suits large N may overfit at small N, which
# would inflate the savings exactly where they are quoted. So for the cases of `config.TUNED_CASES`
# (at this scale: {glue:text}`tuned_cases`; the grid's cost kept the other savings rows on the
# fixed configuration), each budget's configuration is chosen on the validation set — for scratch from a grid of
# learning rate, weight decay and width, for the dummy variant's fine-tuning from learning rate and
# weight decay; the same grid for every case, one run with the first seed per grid point — and the
# chosen configuration then trains with every seed. The fixed configuration is a point of each grid.

# %%
grid = pd.DataFrame([{"stage": stage, "field": f, "values": ", ".join(map(str, vals))}
                     for stage, g in TUNING_GRID.items() for f, vals in g.items()]).set_index(["stage", "field"])
shift = scorecard.tuning_shift(pairs)
for which, f in (("min", min), ("max", max)):
    glue(f"tuned_shift_{which}", f"{f(shift['tuned/fixed']):.2f}" if len(shift) else "—", display=False)
glue("tuned_cases", ", ".join(get_case(c).title for c in pairs) or "none (no suites here)", display=False)
grid

# %% [markdown]
# Savings factors of the dummy variant with fixed configurations and with the tuned baseline (bands
# over training seeds), and the median total test MSE of each curve, for
# {glue:text}`tuned_cases`:

# %%
shift.set_index(["case", "N"]).round(4)

# %% [markdown]
# Tuning multiplies the savings factors by {glue:text}`tuned_shift_min` to
# {glue:text}`tuned_shift_max` (tuned over fixed, same case and N): how much of each quoted saving
# owes to the fixed scratch configuration. The configurations the validation set chose:

# %%
pd.concat({c: scorecard.chosen_configs(tuned) for c, (_, tuned) in pairs.items()}, names=["case", "row"]) \
    .droplevel("row").set_index(["variant", "N"], append=True)

# %% [markdown]
# ## Summary
# - Mν with P(k): {glue:text}`verdict_mnu_pk`; f(R): {glue:text}`verdict_fr`; marked-P(k)
#   negative transfer: {glue:text}`verdict_mpk`; pre-training: {glue:text}`verdict_pretraining`.
# - Equilateral PNG: {glue:text}`verdict_png_eq`; local PNG: {glue:text}`verdict_png_lc`; the
#   variants' ranking: {glue:text}`verdict_ranking`; a gain already from the smaller pre-training
#   set: {glue:text}`verdict_pretrain_size`; SHAP: {glue:text}`verdict_shap`.
# - A baseline tuned at every budget on the validation set multiplies the savings factors by
#   {glue:text}`tuned_shift_min` to {glue:text}`tuned_shift_max`; the savings rows are scored on it.

# %% [markdown]
# ```{admonition} Re-run this chapter
# `cosmotransfer book --only 10 --scale smoke -p SEED=1 --out my-book` executes this chapter
# again — at any scale, with any of the parameters of its first code cell (`-p NAME=VALUE`) —
# into `my-book/book/10_scorecard.ipynb`; without `--only` it executes and builds the whole book.
# ```
