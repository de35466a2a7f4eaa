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
# {doc}`03_neutrinos` to {doc}`05_png` (read from their caches, at N ≤ 200); the scale cuts and
# the mitigations are trained here, on the real nwLH.
#
# 1. Two predictors read off the fine-tuning suite
# 2. Predicted vs measured, with rank correlations
# 3. Where the prediction fails
# 4. Scale cuts: k_max = 0.1, 0.3, 0.5 h/Mpc
# 5. Beating it: four mitigations on the real nwLH
#
# ## Prerequisites
# | Concept | Importance | Notes |
# | --- | --- | --- |
# | {doc}`03_neutrinos` | Necessary | the responses, the Fisher forecast and the verdict ratio |
# | {doc}`04_modified_gravity`, {doc}`05_png` | Helpful | the other cases |
#
# - **Time to run:** about six minutes at the book scale on 2 cores (the scale-cut and mitigation
#   sweeps); the rest is read from the caches of the chapters before it.

# %% tags=["parameters"]
SCALE = "book"
SEED = 0

# %% [markdown]
# ## Imports

# %%
from myst_nb import glue

from IPython.display import display

from cosmotransfer import audit, results, sweeps
from cosmotransfer.config import MITIGATION_CASES, MITIGATION_N_MAX, MITIGATIONS, TRANSFER_VERDICT, get_scale
from cosmotransfer.figures import publish
from cosmotransfer.figures.audit import predictor_vs_ratio
from cosmotransfer.figures.learning import VARIANT_STYLE, mse_vs_budget, skipped
from cosmotransfer.transfer import get_case, mitigations_for
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

# %% [markdown]
# ## Scale cuts
#
# The authors' revision runs cut the statistic at k_max = 0.1, 0.3 and 0.5 h/Mpc. The audit's
# table holds the same cuts of the real nwLH (pre-trained on the real LH with the same cut and the
# same statistic; k_max = 0.5 is the full case), so the predictor is tested there too: the
# cut cases keep their suite's bootstrap group, since they are the same simulations.

# %%
cuts = audit.scale_cuts(table)
glue("cuts", "; ".join(f"{'marked P(k)' if r.stat == 'mpk' else 'P(k)'} at k ≤ {r.k_max:g}: cos {r.cos_s8:+.2f}, "
                       f"ratio {r.ratio:.2f} ({r.verdict}{'' if r.informative else ', not informative'})"
                       for r in cuts.itertuples()) or "not measured here (no real nwLH)", display=False)
cuts[["case", "stat", "k_max", "cos_s8", "degeneracy", "ratio", "verdict", "informative"]].round(3)

# %% [markdown]
# Mν at each cut: {glue:text}`cuts`. Read down each statistic: where the cosine changes sign and
# where the ratio crosses 1 say which scales carry the risk, and whether the predictor follows.

# %% [markdown]
# ## Beating it: four mitigations
#
# On the real nwLH with the marked P(k) — pre-trained on the real LH's P(k), the paper's protocol,
# where {doc}`03_neutrinos` measures Mν's penalty, and pre-trained on the LH's marked P(k) itself —
# and with P(k) as the control, the dummy-node variant is fine-tuned again with one change each, at
# every budget up to {glue:text}`mit_n_max`:
#
# - **L2-SP** (Li, Grandvalet & Davoine 2018) adds {glue:text}`mit_l2sp` × the squared distance of
#   the weights from where fine-tuning started to the loss: a pull toward the pre-trained network;
# - **re-initialised rows**: the output rows of σ8 and of the new parameter are drawn afresh instead
#   of kept (the opposite pull: forget the σ8 reading that points the wrong way);
# - **LoRA** (Hu et al. 2021): the pre-trained hidden layers are frozen and learn only through
#   rank-{glue:text}`mit_lora_rank` adapters; the output layer trains;
# - **rehearsal** (Robins 1995; the replay of continual learning): every epoch trains on
#   {glue:text}`mit_rehearsal` × N ΛCDM simulations of the pre-training set beside the N new ones,
#   drawn afresh each epoch, with their true Mν = 0. It replays the pre-training simulations through
#   the fine-tuning inputs, so it needs the same statistic: it is tried where the network was
#   pre-trained on the marked P(k) (and on the P(k) control), not from P(k) to the marked P(k).
#
# Each is compared with scratch and with the plain dummy variant by the verdict ratio (geometric mean
# over N ≤ {glue:text}`n_max` of the median test MSE over scratch's; above
# {glue:text}`worse`: negative transfer, below {glue:text}`better`: a gain). The two marked-P(k)
# set-ups also measure a fifth lever, the pre-training statistic (P → MP against MP → MP).

# %%
glue("mit_n_max", MITIGATION_N_MAX, display=False)
glue("mit_l2sp", f"{MITIGATIONS['l2sp']['l2sp']:g}", display=False)
glue("mit_lora_rank", MITIGATIONS["lora"]["lora_rank"], display=False)
glue("mit_rehearsal", f"{MITIGATIONS['rehearsal']['rehearsal']:g}", display=False)
glue("worse", TRANSFER_VERDICT["worse"], display=False)
glue("better", TRANSFER_VERDICT["better"], display=False)
FIGURE = {"mnu_p2mpk_q": "fig-08-mitigations-mpk", "mnu_mpk_q": "fig-08-mitigations-mpk-mpk",
          "mnu_pk_q": "fig-08-mitigations-pk"}
mit_sweep, mit_table = {}, {}
for case in MITIGATION_CASES:
    missing = sweeps.case_missing(case, scale)
    if missing:
        display(skipped(missing, f"Skipped: {get_case(case).title}"))
        continue
    tried = ("dummy",) + mitigations_for(case)
    budgets = tuple(n for n in scale.budgets if n <= MITIGATION_N_MAX)
    mit_sweep[case] = sweeps.sweep(case, scale, variants=("scratch",) + tried, budgets=budgets, seed=SEED,
                                   progress=False)
    curve = sweeps.curves(mit_sweep[case].table)
    mit_table[case] = results.mitigation_table(curve, tried, budgets=tuple(n for n in (50, 100, 200) if n in budgets))
    fig = mse_vs_budget(curve, params=("s8", "Mnu"), title=get_case(case).title)
    publish(fig, FIGURE[case], data=mit_sweep[case])
for case in MITIGATION_CASES:
    if case not in mit_table:
        publish(None, FIGURE[case], "the real nwLH suites are not here")

# %% [markdown]
# ```{glue:figure} fig-08-mitigations-mpk
# :name: fig-08-mitigations-mpk
#
# Real nwLH, marked P(k) pre-trained on the real LH's P(k): total, σ8 and Mν test MSE against N for scratch, the dummy variant and each mitigation. *`fig-08-mitigations-mpk`, drawn by `figures.learning.mse_vs_budget` from `sweeps.sweep('mnu_p2mpk_q')` with the mitigations of `transfer.mitigations_for`.* Data: {download}`fig-08-mitigations-mpk.csv <downloads/fig-08-mitigations-mpk.csv>` ({download}`provenance <downloads/fig-08-mitigations-mpk.json>`).
# ```
#
# ```{glue:figure} fig-08-mitigations-mpk-mpk
# :name: fig-08-mitigations-mpk-mpk
#
# Real nwLH, marked P(k) pre-trained on the real LH's marked P(k): the same variants and rehearsal. *`fig-08-mitigations-mpk-mpk`, drawn by `figures.learning.mse_vs_budget` from `sweeps.sweep('mnu_mpk_q')` with the mitigations of `transfer.mitigations_for`.* Data: {download}`fig-08-mitigations-mpk-mpk.csv <downloads/fig-08-mitigations-mpk-mpk.csv>` ({download}`provenance <downloads/fig-08-mitigations-mpk-mpk.json>`).
# ```
#
# ```{glue:figure} fig-08-mitigations-pk
# :name: fig-08-mitigations-pk
#
# The control, real nwLH with P(k) pre-trained on the real LH: the same variants and rehearsal. *`fig-08-mitigations-pk`, drawn by `figures.learning.mse_vs_budget` from `sweeps.sweep('mnu_pk_q')` with the mitigations of `transfer.mitigations_for`.* Data: {download}`fig-08-mitigations-pk.csv <downloads/fig-08-mitigations-pk.csv>` ({download}`provenance <downloads/fig-08-mitigations-pk.json>`).
# ```
#
# Per variant: the verdict ratio of σ8, Mν and the total to scratch, its verdict, and the plain ratio
# at N = 50, 100 and 200:

# %%
for case, t in mit_table.items():
    labelled = t.rename(index=lambda v: VARIANT_STYLE[v]["label"])
    display(labelled.style.format(precision=3).set_caption(get_case(case).title))
MP_CASES = {"p2m": "mnu_p2mpk_q", "m2m": "mnu_mpk_q"}  # glue prefix → case: the two marked-P(k) set-ups
removed = []
for tag, case in MP_CASES.items():
    if case not in mit_table:
        for name in ("dummy_mnu", "dummy_total", "best", "shown", "shown_mnu", "shown_total", "shown_by_n", "removes",
                     "reinit"):
            glue(f"{tag}_{name}", "not measured here (no real nwLH)", display=False)
        continue
    t, best = mit_table[case], results.best_mitigation(mit_table[case])
    shown = best or min(mitigations_for(case), key=lambda v: t.loc[v, "Mν ratio"])
    glue(f"{tag}_dummy_mnu", f"{t.loc['dummy', 'Mν ratio']:.2f} ({t.loc['dummy', 'Mν verdict']})", display=False)
    glue(f"{tag}_dummy_total", f"{t.loc['dummy', 'total ratio']:.2f} ({t.loc['dummy', 'total verdict']})", display=False)
    glue(f"{tag}_reinit", f"{t.loc['reinit', 'Mν ratio']:.2f} ({t.loc['reinit', 'Mν verdict']})", display=False)
    glue(f"{tag}_best", VARIANT_STYLE[best]["label"] if best else "none of them", display=False)
    glue(f"{tag}_shown", VARIANT_STYLE[shown]["label"], display=False)
    glue(f"{tag}_shown_mnu", f"{t.loc[shown, 'Mν ratio']:.2f} ({t.loc[shown, 'Mν verdict']})", display=False)
    glue(f"{tag}_shown_total", f"{t.loc[shown, 'total ratio']:.2f} ({t.loc[shown, 'total verdict']})", display=False)
    at_n = [c.removeprefix("Mν @ ") for c in t.columns if c.startswith("Mν @ ")]
    glue(f"{tag}_shown_by_n", "; ".join(f"N = {n}: Mν {t.loc[shown, f'Mν @ {n}']:.2f}, total "
                                        f"{t.loc[shown, f'total @ {n}']:.2f}" for n in at_n), display=False)
    removes = best is not None and t.loc[shown, "Mν verdict"] != "negative transfer"
    glue(f"{tag}_removes", "removes" if removes else "does not remove", display=False)
    if removes:
        removed.append(f"{VARIANT_STYLE[shown]['label']} ({get_case(case).title})")
glue("mit_removed", "; ".join(removed) if removed else "none", display=False)
if "mnu_mpk_q" in mit_table:
    t = mit_table["mnu_mpk_q"]
    glue("m2m_rehearsal", f"Mν {t.loc['rehearsal', 'Mν ratio']:.2f} ({t.loc['rehearsal', 'Mν verdict']}), total "
                          f"{t.loc['rehearsal', 'total ratio']:.2f} ({t.loc['rehearsal', 'total verdict']})", display=False)
else:
    glue("m2m_rehearsal", "not measured here (no real nwLH)", display=False)

# %% [markdown]
# **Pre-trained on P(k), fine-tuned on the marked P(k)** (the paper's protocol): the plain dummy
# variant's Mν ratio is {glue:text}`p2m_dummy_mnu` and its total {glue:text}`p2m_dummy_total`. The
# best mitigation by the rule (lowest Mν ratio among those that keep a gain in the total, and below
# the dummy variant's): {glue:text}`p2m_best`. The mitigation with the lowest Mν ratio,
# {glue:text}`p2m_shown`: Mν {glue:text}`p2m_shown_mnu`, total {glue:text}`p2m_shown_total`
# ({glue:text}`p2m_shown_by_n`) — it {glue:text}`p2m_removes` the Mν penalty while keeping the total
# gain.
#
# **Pre-trained on the marked P(k) itself**: the plain dummy variant's Mν ratio is
# {glue:text}`m2m_dummy_mnu`, its total {glue:text}`m2m_dummy_total`; rehearsal reaches
# {glue:text}`m2m_rehearsal`. The best by the rule: {glue:text}`m2m_best`; the lowest Mν ratio,
# {glue:text}`m2m_shown`: Mν {glue:text}`m2m_shown_mnu`, total {glue:text}`m2m_shown_total`
# ({glue:text}`m2m_shown_by_n`) — it {glue:text}`m2m_removes` the penalty while keeping the total gain.
#
# Mitigations that remove the Mν penalty at N ≤ {glue:text}`n_max` and keep the total gain, over both
# set-ups: {glue:text}`mit_removed`.
#
# A toy shows what the re-initialised rows are for (`test_toy_negative_transfer_and_its_fix` in
# `tests/test_transfer.py`, run by `make test`): when the fine-tuning statistic reverses σ8's
# response and changes nothing else, the plain dummy variant is worse than scratch, and drawing the
# σ8 and Mν rows afresh brings the total back to scratch's level with a better σ8 than scratch.
# On the real nwLH the re-initialised rows reach an Mν ratio of {glue:text}`p2m_reinit` (P → MP)
# and {glue:text}`m2m_reinit` (MP → MP): where that verdict is still negative transfer, Mν's
# penalty is more than a σ8 reading that points the wrong way.

# %% [markdown]
# ## Summary
# - Read off the fine-tuning suite alone, the sign of cos(p, σ8) ranks the cases by their measured
#   transfer/scratch ratio with {glue:text}`rho_cos_s8`; the degeneracy index does
#   {glue:text}`rho_degeneracy`.
# - A recommendation, with its limits: before fine-tuning a ΛCDM network on a new parameter,
#   compute its response and σ8's from the new suite (`data.suite_responses`); a clearly negative
#   cosine flags a risk of negative transfer for that parameter. {glue:text}`n_points` points from
#   {glue:text}`n_groups` suites of one paper's cases are a small sample. Cut in scale, Mν on the real
#   nwLH gives: {glue:text}`cuts`.
# - Against Mν's penalty with the marked P(k) pre-trained on P(k), the best of L2-SP,
#   re-initialised rows and LoRA by the rule above is {glue:text}`p2m_best`; {glue:text}`p2m_shown`
#   reaches an Mν ratio of {glue:text}`p2m_shown_mnu` with a total of {glue:text}`p2m_shown_total`.
#   Pre-trained on the marked P(k), the dummy variant's Mν ratio is {glue:text}`m2m_dummy_mnu`, and
#   rehearsal reaches {glue:text}`m2m_rehearsal`. What removes the penalty and keeps the gain:
#   {glue:text}`mit_removed`. One strength or rank each, five seeds, one suite: a lead to follow,
#   not a tuned method.
#
# ### What's next
# {doc}`09_posteriors` asks what the Mν penalty looks like in a posterior: biased, over-confident,
# or only wider.

# %% [markdown]
# ```{admonition} Re-run this chapter
# `cosmotransfer book --only 08 --scale smoke -p SEED=1 --out my-book` executes this chapter
# again — at any scale, with any of the parameters of its first code cell (`-p NAME=VALUE`) —
# into `my-book/book/08_negative_transfer.ipynb`; without `--only` it executes and builds the whole book.
# ```
