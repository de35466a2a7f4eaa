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
# # Four ways to transfer
#
# ## Overview
# The earlier chapters used one transfer recipe, dummy nodes. The paper compared four, and this
# chapter runs all of them on the cases of `config.RANKING_CASES` whose suites are at hand — the
# stand-in tiers' cases and the real Quijote nwLH with P(k) and with the marked P(k):
#
# | variant | pre-trained network | what is fine-tuned |
# | --- | --- | --- |
# | scratch | none | a fresh MLP on the N simulations (the baseline) |
# | dummy nodes | 5 + spare outputs, spare ones without loss | every layer; spare rows become the new parameters |
# | no dummy | the same hidden layers | every layer, with a new, random output layer |
# | frozen + head | hidden layers ending in a 10-unit bottleneck | only a new MLP head on the frozen 10 features |
#
# 1. Total test MSE vs N for every variant and case
# 2. Savings factors and a ranking
#
# ## Prerequisites
# | Concept | Importance | Notes |
# | --- | --- | --- |
# | {doc}`03_neutrinos`, {doc}`04_modified_gravity` | Necessary | the cases and the savings factor |
#
# - **Time to run:** under a minute at the smoke scale; about six minutes at the book scale on a
#   2-core CPU (scratch and dummy-node runs come from the cache of the earlier chapters).

# %% tags=["parameters"]
SCALE = "book"
SEED = 0

# %% [markdown]
# ## Imports

# %%
import pandas as pd
from IPython.display import display
from myst_nb import glue

from cosmotransfer import results, sweeps
from cosmotransfer.config import RANKING_CASES, TRANSFER_VERDICT, VARIANTS, get_scale
from cosmotransfer.figures import publish
from cosmotransfer.figures.learning import VARIANT_STYLE, skipped, variants_by_case
from cosmotransfer.transfer import get_case

scale = get_scale(SCALE)
sweeps.set_threads(scale)

# %% [markdown]
# ## Every variant on every case
#
# The no-dummy variant reuses the hidden layers of the dummy-node network: the dummy outputs carry
# no loss, so pre-training with or without them gives the same hidden layers from the same initial
# weights (checked by the test suite) — the two variants differ only in their output layer. The
# frozen variant has its own pre-trained network whose last hidden layer has 10 units. Every point
# here is the median of {glue:text}`n_seeds` training seeds (`config.RANKING_SEEDS`, the first of
# the scale's; the other chapters use all of them), so a variant's curve can differ slightly from
# the same variant's in an earlier chapter.

# %%
curves, titles, swept = {}, {}, {}
rank_scale = sweeps.ranking_scale(scale)  # the scale's first config.RANKING_SEEDS training seeds
glue("n_seeds", len(rank_scale.seeds), display=False)
# every case's missing pre-trained networks at once, on all workers, before the sweeps
sweeps.prepare(tuple(n for n in RANKING_CASES if not sweeps.case_missing(n, scale)), scale, VARIANTS, seed=SEED,
               progress=False)
for name in RANKING_CASES:
    case = get_case(name)
    missing = sweeps.case_missing(name, scale)
    if missing:
        display(skipped(missing, f"Skipped: {case.title}"))
        continue
    swept[name] = sweeps.sweep(name, rank_scale, variants=VARIANTS, seed=SEED, progress=False)
    curves[name] = sweeps.curves(swept[name].table)
    titles[name] = case.title
fig = variants_by_case(curves, titles)
publish(fig, "fig-06-variants", data=swept)

# %% [markdown]
# ```{glue:figure} fig-06-variants
# :name: fig-06-variants
#
# Every transfer variant against scratch on every case: total test MSE against N. *`fig-06-variants`, drawn by `figures.learning.variants_by_case` from `sweeps.sweep` of every case in `config.RANKING_CASES`, all variants.* Data: {download}`fig-06-variants.csv <downloads/fig-06-variants.csv>` ({download}`provenance <downloads/fig-06-variants.json>`).
# ```

# %% [markdown]
# ## Savings factors
#
# For each case and transfer variant: how many times more simulations the scratch network needs
# to reach the variant's total test MSE at the reference budget (">" a lower bound: scratch never
# gets there within the swept budgets; "<" an upper bound; below 1: negative transfer).

# %%
n_ref = sweeps.reference_budget(next(iter(curves.values())).N.unique())
glue("n_ref", n_ref, display=False)
summary = pd.DataFrame({titles[c]: {VARIANT_STYLE[v]["label"]: str(sweeps.savings_factor(curves[c], v, n_ref))
                                    for v in VARIANTS if v != "scratch"} for c in curves}).T
summary.index.name = f"savings at N = {n_ref}"
summary

# %% [markdown]
# Averaged over budgets, the ratio of each variant's total test MSE to scratch's (geometric mean;
# below 1 beats scratch), best first:

# %%
rank = sweeps.ranking(curves)
order = list(rank.index)
glue("ranking", " > ".join(VARIANT_STYLE[v]["label"].removeprefix("transfer: ") for v in order) + " (best first)",
     display=False)
glue("best_variant", VARIANT_STYLE[order[0]]["label"].removeprefix("transfer: "), display=False)
glue("worst_variant", VARIANT_STYLE[order[-1]]["label"].removeprefix("transfer: "), display=False)
glue("frozen_ratio", float(rank.loc["frozen", "mean"]), display=False)
n_max = {c: int(curves[c].N.max()) for c in curves}
frozen_end = {c: float(sweeps.mse_ratio(curves[c], "frozen").loc[n_max[c]]) for c in curves}
glue("frozen_end", ", ".join(f"{frozen_end[c]:.2f} ({titles[c]}, N = {n_max[c]})" for c in curves), display=False)
rank.rename(index=lambda v: VARIANT_STYLE[v]["label"], columns=titles).round(3)

# %% [markdown]
# Where each variant loses to scratch — the budgets at which its median total test MSE is more than
# {glue:text}`worse_pct` above scratch's, with the largest ratio:

# %%
glue("worse_pct", f"{TRANSFER_VERDICT['worse'] - 1:.0%}", display=False)
losses = pd.DataFrame({titles[c]: {VARIANT_STYLE[v]["label"]: results.where_it_loses(curves[c], v)
                                   for v in VARIANTS if v != "scratch"} for c in curves}).T
for v in VARIANTS[1:]:
    label = VARIANT_STYLE[v]["label"]
    lose = [t for t in losses.index if losses.loc[t, label] != "never"]
    glue(f"lose_{v}", f"{len(lose)} of {len(losses)}" + (f" ({'; '.join(lose)})" if lose else ""), display=False)
losses.index.name = "loses to scratch at"
losses

# %% [markdown]
# The dummy-node variant loses somewhere in {glue:text}`lose_dummy` cases, no dummy in
# {glue:text}`lose_nodummy`, frozen + head in {glue:text}`lose_frozen`.
#
# Ranking at this scale: {glue:text}`ranking`. The paper found dummy nodes best everywhere and the
# frozen + head variant worst, with negative transfer even in the total MSE. The frozen variant
# can only recombine ten features tuned for ΛCDM, so more simulations cannot teach it what those
# features never encoded: its curves flatten as N grows. At the largest budget its total MSE is,
# relative to scratch (above 1: negative transfer), {glue:text}`frozen_end`; averaged over
# budgets the ratio is {glue:text}`frozen_ratio:.2f`.
#
# ## Summary
# - Best variant here: {glue:text}`best_variant`; worst on average over budgets:
#   {glue:text}`worst_variant`.
# - Cases where a variant loses to scratch at some budget: dummy nodes {glue:text}`lose_dummy`;
#   no dummy {glue:text}`lose_nodummy`; frozen + head {glue:text}`lose_frozen`.
# - The dummy-node and no-dummy variants start from the same hidden layers and differ only in the
#   output layer: keeping the pre-trained output rows is what separates them.
# - Freezing a 10-unit ΛCDM bottleneck helps at the smallest budgets but caps what more
#   simulations can add.

# %% [markdown]
# ```{admonition} Re-run this chapter
# `cosmotransfer book --only 06 --scale smoke -p SEED=1 --out my-book` executes this chapter
# again — at any scale, with any of the parameters of its first code cell (`-p NAME=VALUE`) —
# into `my-book/book/06_architectures.ipynb`; without `--only` it executes and builds the whole book.
# ```
