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
# # Predicting negative transfer before training
#
# ## Overview
# The paper observes negative transfer — the σ8–Mν degeneracy of the marked power spectrum — but
# gives no way to see it coming. A cosmologist who considers transfer learning for a new model
# wants to know *before* training anything whether it will hurt. This chapter asks whether the
# fine-tuning suite alone predicts it, and tests the prediction on every case the book has run:
# the real nwLH with P(k) and the marked P(k) (three pre-training set-ups), the emulated nwLH and
# MG suites, and the CPU-simulated neutrino and PNG suites.
#
# **Data tiers:** all of them; each point says which. The measured side is the sweeps of
# {doc}`03_neutrinos` to {doc}`05_png` (read from their caches), so nothing is trained here.
#
# 1. Two predictors read off the fine-tuning suite
# 2. Predicted vs measured, with rank correlations
# 3. Where the prediction fails
#
# ## Prerequisites
# | Concept | Importance | Notes |
# | --- | --- | --- |
# | {doc}`03_neutrinos` | Necessary | the responses, the Fisher forecast and the verdict ratio |
# | {doc}`04_modified_gravity`, {doc}`05_png` | Helpful | the other cases |
#
# - **Time to run:** seconds once the chapters before it have run.

# %% tags=["parameters"]
SCALE = "book"
SEED = 0

# %% [markdown]
# ## Imports

# %%
from myst_nb import glue

from cosmotransfer import audit
from cosmotransfer.config import TRANSFER_VERDICT, get_scale
from cosmotransfer.figures import publish
from cosmotransfer.figures.audit import predictor_vs_ratio
from cosmotransfer.sweeps import set_threads

scale = get_scale(SCALE)
set_threads(scale)

# %% [markdown]
# ## Two predictors from the fine-tuning suite
#
# For each new parameter p of a case (Mν; Mν and f_R0; f_NL), from the fine-tuning suite's own
# linear responses ∂ ln S/∂θ̂ (a fit over its simulations, each parameter scaled to its prior):
#
# - **cos(p, σ8)** — the cosine, over the k bins (each bin weighted alike), between p's response
#   and σ8's. A network
#   pre-trained on ΛCDM reads σ8 from those bins. If p moves the statistic the way *less* σ8 does
#   (a negative cosine), the pre-trained σ8 reading points the wrong way for p and must be unlearnt;
#   if it moves it as *more* σ8 does, the reading already points p's way.
# - **degeneracy** — p's marginal over its conditional error in the linear-response Fisher forecast
#   of {doc}`03_neutrinos`: how much of what the statistic says about p it shares with the others.
#
# The measured side: the verdict ratio of each case — the geometric mean over N ≤
# {glue:text}`n_max` of p's median test MSE after dummy-node transfer over its MSE from scratch.

# %%
glue("n_max", TRANSFER_VERDICT["n_max"], display=False)
table = audit.audit(scale, seed=SEED)
glue("n_points", len(table), display=False)
glue("n_groups", table.group.nunique(), display=False)
table.round(3)

# %% [markdown]
# ## Predicted vs measured
#
# Filled markers with a black edge: parameters some variant learns; without: not informative on that
# data (their ratios are MSEs near the prior mean, so near 1 whatever the predictor says).

# %%
fig = predictor_vs_ratio(table, {"cos_s8": "cos(response of p, response of σ8)",
                                 "degeneracy": "marginal / conditional error of p"})
publish(fig, "fig-08-predictors", data=table)
rc = {p: audit.rank_correlation(table, p) for p in ("cos_s8", "degeneracy")}
for p, r in rc.items():
    glue(f"rho_{p}", str(r), display=False)
informative = table[table.informative]
glue("n_informative", len(informative), display=False)
glue("rho_cos_informative", str(audit.rank_correlation(informative, "cos_s8")) if informative.group.nunique() > 2
     else "too few points", display=False)

# %% [markdown]
# ```{glue:figure} fig-08-predictors
# :name: fig-08-predictors
#
# Each predictor against the measured transfer/scratch ratio, one point per case and parameter. *`fig-08-predictors`, drawn by `figures.audit.predictor_vs_ratio` from `audit.audit` of `config.AUDIT_CASES`.* Data: {download}`fig-08-predictors.csv <downloads/fig-08-predictors.csv>` ({download}`provenance <downloads/fig-08-predictors.json>`).
# ```

# %% [markdown]
# Spearman's rank correlation with the measured ratio, with a 16–84 % band from resampling whole
# fine-tuning suites (cases that share a suite share their predictors): cos(p, σ8)
# {glue:text}`rho_cos_s8`; degeneracy {glue:text}`rho_degeneracy`. Over the
# {glue:text}`n_informative` points whose parameter some variant learns, cos(p, σ8)
# {glue:text}`rho_cos_informative`.
#
# Read the two together: the degeneracy index says how entangled p is with *all* the parameters,
# but not whether the pre-trained network's reading helps or hurts p; the sign of cos(p, σ8) is
# meant to say the latter. The degeneracy index was tried first and the cosine second, both on this
# table, with no thresholds fitted to it; with {glue:text}`n_groups` independent suites the bands
# are wide: this is evidence, not a calibrated test.
#
# ## Where the prediction fails
#
# The cases where the sign of cos(p, σ8) and the verdict disagree — a negative cosine without
# negative transfer, or a positive one with it:

# %%
miss = audit.misses(table)
glue("n_misses", len(miss), display=False)
glue("misses", "; ".join(f"{r.case} {r.param} (cos {r.cos_s8:+.2f}, ratio {r.ratio:.2f}, {r.verdict}"
                         f"{'' if r.informative else ', not informative'})" for r in miss.itertuples()) or "none",
     display=False)
miss.round(3)

# %% [markdown]
# {glue:text}`n_misses` of {glue:text}`n_points`: {glue:text}`misses`. A parameter that no variant
# learns shows ratios near 1 whatever its responses; and a negative cosine flags a risk without
# deciding it — the pre-trained network may read σ8 from other bins, or fine-tuning may unlearn
# the reading fast enough.
#
# ## Summary
# - Read off the fine-tuning suite alone, the sign of cos(p, σ8) ranks the cases by their measured
#   transfer/scratch ratio with {glue:text}`rho_cos_s8`; the degeneracy index does
#   {glue:text}`rho_degeneracy`.
# - A recommendation, with its limits: before fine-tuning a ΛCDM network on a new parameter,
#   compute its response and σ8's from the new suite (`data.suite_responses`); a clearly negative
#   cosine flags a risk of negative transfer for that parameter. {glue:text}`n_points` points from
#   {glue:text}`n_groups` suites of one paper's cases are a small sample, and mitigations are not
#   part of this chapter yet.

# %% [markdown]
# ```{admonition} Re-run this chapter
# `cosmotransfer book --only 08 --scale smoke -p SEED=1 --out my-book` executes this chapter
# again — at any scale, with any of the parameters of its first code cell (`-p NAME=VALUE`) —
# into `my-book/book/08_negative_transfer.ipynb`; without `--only` it executes and builds the whole book.
# ```
