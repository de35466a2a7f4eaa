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
# # Massive neutrinos: transfer on the real Quijote nwLH
#
# ## Overview
# The first beyond-ΛCDM test of the paper: infer the five ΛCDM parameters and the sum of the
# neutrino masses $M_\nu$ ($w$ varies too, as a nuisance) from N simulations of Quijote's nwLH,
# starting either from a network pre-trained on ΛCDM or from scratch.
#
# **Data tier: real Quijote.** This chapter leads with the paper's own simulations: the first
# 1,000 runs of the real nwLH (P(k) and marked P(k), shipped in `data/quijote/` with their
# provenance) for fine-tuning, and for pre-training either the real Quijote ΛCDM latin hypercube
# or the emulated Big Sobol Sequence — the *sim-to-real* question of whether cheap spectra can
# replace the N-body pre-training set. The paper's nwLH has 2,000 runs and its pre-training
# suite (BSQ) 32,768; with half the nwLH the train pool here is {glue:text}`n_pool` instead of
# 1,400, and the budgets stop there. The last section sets the book's stand-in tiers (emulated P(k),
# CPU-simulated marked P(k)) beside these results, conclusion by conclusion.
#
# 1. Mν with P(k): savings from the real and from the emulated pre-training
# 2. Mν with the marked power spectrum: MP → MP and the paper's P → MP protocol
# 3. Negative transfer: σ8 and Mν
# 4. What the stand-in tiers say
#
# ## Prerequisites
# | Concept | Importance | Notes |
# | --- | --- | --- |
# | {doc}`02_pretraining` | Necessary | the pre-trained network and the savings factor |
# | Massive neutrinos and the matter power spectrum | Helpful | small-scale suppression ∝ Mν |
#
# - **Time to run:** seconds at the smoke scale; about ten minutes at the book scale on a 2-core
#   CPU (the emulated BSQ network of {doc}`02_pretraining` and its P(k) sweeps are reused).
# - **Your own nwLH:** the parameters `NWLH_PK`, `NWLH_MPK` and `NWLH_PARAMS` name the
#   fine-tuning files (empty: the shipped ones). To re-run the chapter on, e.g., all 2,000 nwLH runs:
#   `papermill 03_neutrinos.ipynb out.ipynb -p NWLH_PK Pk.npy -p NWLH_MPK MPk.npy -p NWLH_PARAMS params.txt`
#   (arrays of shape (n, 79) in (Mpc/h)³; the table's columns Ωm, Ωb, h, n_s, σ8, Mν, w).

# %% tags=["parameters"]
SCALE = "book"
SEED = 0
NWLH_PK = ""
NWLH_MPK = ""
NWLH_PARAMS = ""

# %% [markdown]
# ## Imports

# %%
import pandas as pd
from IPython.display import display
from myst_nb import glue

from cosmotransfer import paths, quijote, results, sweeps
from cosmotransfer.config import QUOTED_BUDGETS, TRANSFER_VERDICT, get_scale
from cosmotransfer.data import load_suite
from cosmotransfer.datasets import suite_responses
from cosmotransfer.figures import publish
from cosmotransfer.figures.learning import PLAIN, skipped, transfer_ratio, transfers_vs_budget
from cosmotransfer.figures.sim import suite_overview
from cosmotransfer.fisher import suite_fisher
from cosmotransfer.sim.neutrinos import response_cosine
from cosmotransfer.stats import kbins

scale = get_scale(SCALE)
STAT_NAMES = {"pk": "P(k)", "mpk": "marked P(k)"}
sweeps.set_threads(scale)
nwlh = quijote.nwlh_from_files(NWLH_PK, NWLH_MPK, NWLH_PARAMS)  # None: the shipped real nwLH

# %% [markdown]
# ## The data
#
# The fine-tuning suite is split 70/15/15 once, with the nwLH's fixed seed; the fine-tuning sets
# of size N are nested subsets of the train pool, and the validation and test sets never move.
# Each statistic is standardised per k bin with its own suite's training pool, so a network
# pre-trained on P(k) and fine-tuned on the marked P(k) sees each input on its own scale.

# %%
ft = sweeps.case_data("mnu_pk_q", scale, nwlh)
pre_lh = sweeps.pretrain_data("mnu_pk_q", scale)
pre_bsq = sweeps.pretrain_data("mnu_pk_q_emu", scale)
glue("n_nwlh", len(ft), display=False)
glue("n_pool", ft.n_pool, display=False)
glue("n_val", len(ft.split.val), display=False)
glue("n_test", len(ft.split.test), display=False)
glue("n_lh_train", f"{max(sweeps.pretrain_sizes('mnu_pk_q', scale)):,}", display=False)
glue("n_bsq", f"{len(pre_bsq):,}", display=False)
glue("n_bsq_pool", f"{pre_bsq.n_pool:,}", display=False)
glue("n_bsq_train", f"{max(sweeps.pretrain_sizes('mnu_pk_q_emu', scale)):,}", display=False)
pd.DataFrame({
    "suite": ["nwLH (fine-tuning)", "LH (pre-training)", "BSQ (pre-training)"],
    "tier": [sweeps.case_tier("mnu_pk_q", scale) if nwlh is None else "user files", "quijote", "emulated"],
    "simulations": [len(ft), len(pre_lh), len(pre_bsq)],
    "train / val / test": [f"{ft.n_pool} / {len(ft.split.val)} / {len(ft.split.test)}",
                           f"{pre_lh.n_pool} / {len(pre_lh.split.val)} / {len(pre_lh.split.test)}",
                           f"{pre_bsq.n_pool} / {len(pre_bsq.split.val)} / {len(pre_bsq.split.test)}"],
    "targets": [", ".join(PLAIN[t] for t in ft.targets), ", ".join(PLAIN[t] for t in pre_lh.targets),
                ", ".join(PLAIN[t] for t in pre_bsq.targets)],
}).set_index("suite")

# %% [markdown]
# The real nwLH at a glance: the spectra coloured by Mν (top) and, below, how each statistic moves
# with Mν and with σ8 across the prior, read off the suite itself (a least-squares fit of ln S on
# the seven varied parameters, ± 2 standard errors). Where the two response curves have the same
# shape, a network cannot tell the two parameters apart from that statistic.

# %%
real = load_suite("nwlh", scale, "pk", tier="quijote") if nwlh is None else nwlh
fits = {st: suite_responses(real, st) for st in ("pk", "mpk")}
fig = suite_overview(real.k, real.stats, real.param("Mnu"), "Mnu", fits,
                     title=f"nwLH, {'real Quijote' if nwlh is None else 'user files'} ({len(real)} simulations)")
publish(fig, "fig-03-real-nwlh")
modes = kbins().n_modes
for st in ("pk", "mpk"):
    glue(f"cos_{st}", f"{response_cosine(fits[st]['Mnu'][0], fits[st]['s8'][0], modes):+.2f}", display=False)
    glue(f"cos_{st}_flat", f"{response_cosine(fits[st]['Mnu'][0], fits[st]['s8'][0]):+.2f}", display=False)

# %% [markdown]
# ```{glue:figure} fig-03-real-nwlh
# :name: fig-03-real-nwlh
#
# The real nwLH: spectra by Mν, and how each statistic moves with Mν and σ8 across the suite. *`fig-03-real-nwlh`, drawn by `figures.sim.suite_overview` from `data/quijote/nwlh.npz`; `data.suite_responses`.*
# ```

# %% [markdown]
# The cosine between the Mν and σ8 responses over the 79 bins (±1: the two parameters move the
# statistic alike, up to a factor), each bin weighted by its number of modes — the inverse of its
# Gaussian variance, so the high-k bins dominate: {glue:text}`cos_pk` for P(k),
# {glue:text}`cos_mpk` for the marked P(k); with every bin weighted alike, {glue:text}`cos_pk_flat`
# and {glue:text}`cos_mpk_flat`. Mν is varied at fixed σ8, so its imprint is a change of shape;
# the sign of the cosine says whether that shape change looks like more σ8 (+) or less (−), its
# size how little is left to tell the two apart.
#
# All seven parameters at once: a linear-response Fisher forecast (`fisher.suite_fisher`: these
# responses, with one 1 Gpc/$h$ box's sample variance per bin), as each parameter's error over its
# prior's standard deviation — conditional (the others known) and marginal (the others free).

# %%
fisher_table = pd.concat({STAT_NAMES[st]: suite_fisher(real, st).table() for st in ("pk", "mpk")}, axis=1)
for st in ("pk", "mpk"):
    glue(f"fisher_mnu_{st}", f"{fisher_table[(STAT_NAMES[st], 'marginal / prior')][PLAIN['Mnu']]:.2f}",
         display=False)
fisher_table.round(3)

# %% [markdown]
# Mν's marginal error is {glue:text}`fisher_mnu_pk` of its prior's standard deviation with P(k) and
# {glue:text}`fisher_mnu_mpk` with the marked P(k) (at or above 1: to linear order the statistic
# cannot separate Mν from the others over the prior). These are properties of the data alone,
# computed before any network is trained; the transfer results below show what they do to
# fine-tuning.
#
# {glue:text}`n_nwlh` real nwLH simulations: {glue:text}`n_pool` in the train pool,
# {glue:text}`n_val` for validation (early stopping) and {glue:text}`n_test` for the test MSE.
# The real LH network trains on {glue:text}`n_lh_train` simulations; the emulated BSQ network on
# the first {glue:text}`n_bsq_train` simulations of the train pool ({glue:text}`n_bsq_pool`) of
# {glue:text}`n_bsq` points — like the paper's "22,000", a count of training simulations.
#
# ## Mν with P(k)
#
# The *dummy-node* variant: the network was pre-trained with spare output nodes that carried no
# loss; for fine-tuning, the ΛCDM outputs keep their pre-trained rows, the first spare row
# becomes $M_\nu$, and every layer trains on the N simulations. *No dummy* gets a fresh output
# layer instead. *Scratch* is the same MLP trained on the N simulations alone. Lines: median over
# training seeds; bands: 16–84 %; dotted: the prior-mean MSE.

# %%
PK = {"pre-trained on the real LH": "mnu_pk_q", "pre-trained on the emulated BSQ": "mnu_pk_q_emu"}
VARIANTS = {"mnu_pk_q": ("scratch", "dummy", "nodummy")}
sw = {case: sweeps.sweep(case, scale, variants=VARIANTS.get(case, ("scratch", "dummy")), seed=SEED, progress=False,
                         data=nwlh) for case in PK.values()}
curve = {case: sweeps.curves(s.table) for case, s in sw.items()}
fig = transfers_vs_budget({lab: curve[c] for lab, c in PK.items()},
                          title="Real nwLH, P(k): dummy-node transfer vs scratch")
publish(fig, "fig-03-real-pk", data=dict(sw))  # shown here, and on the landing page

# %% [markdown]
# ```{glue:figure} fig-03-real-pk
# :name: fig-03-real-pk
#
# Real nwLH, P(k): total and per-parameter test MSE against N, transfer and scratch. *`fig-03-real-pk`, drawn by `figures.learning.transfers_vs_budget` from `sweeps.sweep` of `mnu_pk_q`, `mnu_pk_q_emu`.* Data: {download}`fig-03-real-pk.csv <downloads/fig-03-real-pk.csv>` ({download}`provenance <downloads/fig-03-real-pk.json>`).
# ```

# %%
glue("n_a", QUOTED_BUDGETS[0], display=False)
glue("n_b", QUOTED_BUDGETS[1], display=False)
for tag, case in (("lh", "mnu_pk_q"), ("bsq", "mnu_pk_q_emu")):
    for n in QUOTED_BUDGETS:
        s = results.savings_interval(sw[case].table, "dummy", n)
        glue(f"pk_{tag}_savings_{n}", results.savings_text(sw[case].table, "dummy", n, ft.targets), display=False)
        glue(f"pk_{tag}_mse_{n}", f"{s.point.mse:.4f}", display=False)
    glue(f"pk_{tag}_pretrain_mse", f"{next(iter(sw[case].provenance['pretrained_test_mse'].values())):.4f}",
         display=False)
for n in QUOTED_BUDGETS:
    s = results.savings_interval(sw["mnu_pk_q"].table, "nodummy", n)
    glue(f"pk_nodummy_savings_{n}", results.savings_text(sw["mnu_pk_q"].table, "nodummy", n, ft.targets),
         display=False)
    glue(f"pk_scratch_mse_{n}", f"{s.point.baseline_mse:.4f}", display=False)
pd.DataFrame({lab: sweeps.savings_table(curve[c])["dummy"] for lab, c in PK.items()}
             | {"no dummy, real LH": sweeps.savings_table(curve["mnu_pk_q"])["nodummy"]})

# %% [markdown]
# Savings factor = how many scratch simulations reach the transfer network's median total MSE,
# over N (log–log interpolation on the scratch curve; ">" where scratch never gets there on the
# grid); the band in brackets is the 16–84 % range over bootstrap resamplings of the seeds.
#
# At N = {glue:text}`n_a` the network pre-trained on the real LH reaches a total test MSE of
# {glue:text}`pk_lh_mse_50` against {glue:text}`pk_scratch_mse_50` from scratch, a savings of
# {glue:text}`pk_lh_savings_50`; at N = {glue:text}`n_b`, {glue:text}`pk_lh_savings_100`. Pre-trained
# on the emulated BSQ instead: {glue:text}`pk_bsq_savings_50` and {glue:text}`pk_bsq_savings_100`.
# Without dummy nodes (fresh output layer, real LH): {glue:text}`pk_nodummy_savings_50` and
# {glue:text}`pk_nodummy_savings_100`. The pre-trained networks' own total test MSE on their ΛCDM
# test sets: {glue:text}`pk_lh_pretrain_mse` (real LH) and {glue:text}`pk_bsq_pretrain_mse` (emulated
# BSQ). The paper reports ≈ 10× for Mν with P(k).
#
# ## Mν with the marked power spectrum
#
# The marked power spectrum up-weights low-density regions, where massive neutrinos leave their
# clearest imprint (R = 10 Mpc/h, p = 2, δs = 0.25). Three pre-training set-ups, all fine-tuned on
# the real nwLH's marked spectrum:
#
# - **MP → MP**: pre-trained on the real LH's marked spectrum;
# - **P → MP (real LH)**: pre-trained on the real LH's P(k), the paper's own protocol;
# - **P → MP (emulated BSQ)**: pre-trained on the emulated BSQ's P(k) (the emulator has no marked spectrum).

# %%
MP = {"MP → MP (real LH)": "mnu_mpk_q", "P → MP (real LH)": "mnu_p2mpk_q", "P → MP (emulated BSQ)": "mnu_p2mpk_q_emu"}
for case in MP.values():
    sw[case] = sweeps.sweep(case, scale, variants=("scratch", "dummy"), seed=SEED, progress=False, data=nwlh)
    curve[case] = sweeps.curves(sw[case].table)
fig = transfers_vs_budget({lab: curve[c] for lab, c in MP.items()},
                          title="Real nwLH, marked P(k): dummy-node transfer vs scratch")
publish(fig, "fig-03-real-mpk", data={c: sw[c] for c in MP.values()})

# %% [markdown]
# ```{glue:figure} fig-03-real-mpk
# :name: fig-03-real-mpk
#
# Real nwLH, marked P(k): transfer from three pre-trainings against scratch. *`fig-03-real-mpk`, drawn by `figures.learning.transfers_vs_budget` from `sweeps.sweep` of `mnu_mpk_q`, `mnu_p2mpk_q`, `mnu_p2mpk_q_emu`.* Data: {download}`fig-03-real-mpk.csv <downloads/fig-03-real-mpk.csv>` ({download}`provenance <downloads/fig-03-real-mpk.json>`).
# ```

# %%
for tag, case in (("mm", "mnu_mpk_q"), ("pm", "mnu_p2mpk_q"), ("pmemu", "mnu_p2mpk_q_emu")):
    for n in QUOTED_BUDGETS:
        glue(f"{tag}_savings_{n}", results.savings_text(sw[case].table, "dummy", n, ft.targets), display=False)
    for p in ("total", "s8", "Mnu"):
        glue(f"{tag}_verdict_{p}", str(results.transfer_verdict(curve[case], p)), display=False)
for p in ("total", "s8", "Mnu"):
    glue(f"pk_verdict_{p}", str(results.transfer_verdict(curve["mnu_pk_q"], p)), display=False)
    glue(f"pkemu_verdict_{p}", str(results.transfer_verdict(curve["mnu_pk_q_emu"], p)), display=False)
glue("mp_scratch_mse_100",
     f"{results.savings_interval(sw['mnu_mpk_q'].table, 'dummy', QUOTED_BUDGETS[1]).point.baseline_mse:.4f}", display=False)
pd.DataFrame({lab: sweeps.savings_table(curve[c])["dummy"] for lab, c in MP.items()})

# %% [markdown]
# With the marked spectrum, scratch reaches a total MSE of {glue:text}`mp_scratch_mse_100` at
# N = 100. Savings at N = {glue:text}`n_a` / {glue:text}`n_b`: MP → MP {glue:text}`mm_savings_50` /
# {glue:text}`mm_savings_100`; P → MP from the real LH {glue:text}`pm_savings_50` /
# {glue:text}`pm_savings_100`; P → MP from the emulated BSQ {glue:text}`pmemu_savings_50` /
# {glue:text}`pmemu_savings_100`.
#
# ### What is learned of Mν itself
#
# The savings above are on the total MSE of six parameters. Mν's own median test MSE, against
# the 1/12 ≈ 0.083 of always predicting the prior mean:

# %%
mnu = pd.DataFrame({
    "P(k): scratch": curve["mnu_pk_q"].query("param == 'Mnu' and variant == 'scratch'").set_index("N")["median"],
    "P(k): transfer (real LH)": curve["mnu_pk_q"].query("param == 'Mnu' and variant == 'dummy'").set_index("N")["median"],
    "marked P(k): scratch": curve["mnu_mpk_q"].query("param == 'Mnu' and variant == 'scratch'").set_index("N")["median"],
    "marked P(k): MP → MP": curve["mnu_mpk_q"].query("param == 'Mnu' and variant == 'dummy'").set_index("N")["median"],
    "marked P(k): P → MP": curve["mnu_p2mpk_q"].query("param == 'Mnu' and variant == 'dummy'").set_index("N")["median"],
})
n_top = int(mnu.index.max())
glue("n_top", n_top, display=False)
for col, tag in zip(mnu.columns, ("pk_s", "pk_t", "mp_s", "mp_mm", "mp_pm")):
    glue(f"mnu_{tag}_b", f"{mnu.loc[QUOTED_BUDGETS[1], col]:.3f}", display=False)
    glue(f"mnu_{tag}_top", f"{mnu.loc[n_top, col]:.3f}", display=False)
mnu.round(4)

# %% [markdown]
# With P(k), Mν's MSE at N = {glue:text}`n_b` is {glue:text}`mnu_pk_s_b` from scratch and
# {glue:text}`mnu_pk_t_b` after transfer, and at N = {glue:text}`n_top` {glue:text}`mnu_pk_s_top`
# and {glue:text}`mnu_pk_t_top`: where these stay near 0.083, P(k) tells the networks little about
# Mν and the P(k) savings come from the ΛCDM parameters. With the marked spectrum Mν's MSE from
# scratch is {glue:text}`mnu_mp_s_b` at N = {glue:text}`n_b` and {glue:text}`mnu_mp_s_top` at
# N = {glue:text}`n_top`; after transfer, {glue:text}`mnu_mp_mm_b` (MP → MP) and
# {glue:text}`mnu_mp_pm_b` (P → MP) at N = {glue:text}`n_b`.
#
# ## Negative transfer: σ8 and Mν
#
# Massive neutrinos suppress small-scale clustering, much as a lower σ8 does. A network
# pre-trained on ΛCDM reads σ8 from exactly those bins; fine-tuned on few simulations, it must
# unlearn part of that to give the signal to $M_\nu$. The panels show each parameter's median test
# MSE after transfer over its median MSE from scratch: above 1 (shaded), the pre-trained start hurts.

# %%
ratio_curves = {"P(k), real LH": curve["mnu_pk_q"], "P(k), emulated BSQ": curve["mnu_pk_q_emu"]} | {
    lab: curve[c] for lab, c in MP.items()}
fig = transfer_ratio(ratio_curves, ("s8", "Mnu"))
publish(fig, "fig-03-real-ratio", data=dict(sw))  # shown here, and on the landing page
glue("verdict_n_max", TRANSFER_VERDICT["n_max"], display=False)
glue("verdict_worse", TRANSFER_VERDICT["worse"], display=False)
glue("verdict_better", TRANSFER_VERDICT["better"], display=False)
pd.DataFrame({lab: {PLAIN[p]: str(results.transfer_verdict(c, p)) for p in ("total", "s8", "Mnu")}
              for lab, c in ratio_curves.items()}).T

# %% [markdown]
# ```{glue:figure} fig-03-real-ratio
# :name: fig-03-real-ratio
#
# σ8 and Mν: median test MSE after transfer over scratch's, per N (above 1: negative transfer). *`fig-03-real-ratio`, drawn by `figures.learning.transfer_ratio` from the same five sweeps.* Data: {download}`fig-03-real-ratio.csv <downloads/fig-03-real-ratio.csv>` ({download}`provenance <downloads/fig-03-real-ratio.json>`).
# ```

# %% [markdown]
# The verdict of a parameter is the geometric mean of these ratios over the budgets
# N ≤ {glue:text}`verdict_n_max`: above {glue:text}`verdict_worse` it is negative transfer, below
# {glue:text}`verdict_better` a gain, otherwise no clear difference (the range over the budgets
# follows in brackets). On the real nwLH:
#
# | pre-training → fine-tuning | total | σ8 | Mν |
# | --- | --- | --- | --- |
# | P → P, real LH | {glue:text}`pk_verdict_total` | {glue:text}`pk_verdict_s8` | {glue:text}`pk_verdict_Mnu` |
# | P → P, emulated BSQ | {glue:text}`pkemu_verdict_total` | {glue:text}`pkemu_verdict_s8` | {glue:text}`pkemu_verdict_Mnu` |
# | MP → MP, real LH | {glue:text}`mm_verdict_total` | {glue:text}`mm_verdict_s8` | {glue:text}`mm_verdict_Mnu` |
# | P → MP, real LH | {glue:text}`pm_verdict_total` | {glue:text}`pm_verdict_s8` | {glue:text}`pm_verdict_Mnu` |
# | P → MP, emulated BSQ | {glue:text}`pmemu_verdict_total` | {glue:text}`pmemu_verdict_s8` | {glue:text}`pmemu_verdict_Mnu` |
#
# The paper saw negative transfer on σ8 and Mν with the marked spectrum at small N, and a large
# gain with P(k). {doc}`07_shap` looks at where in k the networks read σ8 and Mν.
#
# ## Sim-to-real: can the emulated BSQ replace the N-body pre-training set?
#
# The same fine-tuning, from two pre-trained networks: the median total MSE after fine-tuning from
# the emulated BSQ over that from the real LH, per budget (below 1: the emulated pre-training does better).

# %%
s2r = {}
for stat, (real_case, emu_case) in {"P(k)": ("mnu_pk_q", "mnu_pk_q_emu"),
                                    "marked P(k)": ("mnu_p2mpk_q", "mnu_p2mpk_q_emu")}.items():
    s2r[stat] = results.source_ratio(curve[emu_case], curve[real_case])
    glue(f"s2r_{'pk' if stat == 'P(k)' else 'mpk'}", str(s2r[stat]), display=False)
pd.DataFrame({stat: v.ratios for stat, v in s2r.items()}).rename_axis("N").round(3)

# %% [markdown]
# Emulated over real pre-training, total MSE after fine-tuning, over N ≤ {glue:text}`verdict_n_max`:
# with P(k) {glue:text}`s2r_pk`; with the marked spectrum (P → MP) {glue:text}`s2r_mpk`.
# ("better"/"worse" use the verdict thresholds above.)
#
# ## What the stand-in tiers say
#
# Before the real nwLH was at hand, this chapter ran on two stand-ins: the **emulated** nwLH
# (CAMB HMcode-2020 + one 1 Gpc/h box's sample variance, P(k) only) pre-trained on the emulated
# BSQ, and the **CPU-simulated** suites of the particle-mesh engine (the paper's resolution in
# small boxes; marked P(k) and P(k) of the same boxes) pre-trained on simulated BSQ boxes. Each conclusion below is computed the same way on each tier; "agrees" means the same
# verdict, or savings factors on the same side of 1 within a factor of 2 (`config.STAND_IN_AGREEMENT`).

# %%
stand_ins = {"emulated": {"pk": "mnu_pk"}, "CPU-simulated": {"pk": "mnu_pk_sim", "mpk": "mnu_mpk"}}
missing = {case: sweeps.case_missing(case, scale) for tier in stand_ins.values() for case in tier.values()}
for case, message in missing.items():
    if message:
        display(skipped(message, f"Skipped: the stand-in suites of {case} are not here"))
    else:
        sw[case] = sweeps.sweep(case, scale, variants=("scratch", "dummy"), seed=SEED, progress=False)
        curve[case] = sweeps.curves(sw[case].table)
        ls = sweeps.case_data(case, scale)
        glue(f"{case}_size", f"{len(ls):,} simulations (pool {ls.n_pool}), {ls.x.shape[1]} k bins", display=False)
    if message:
        glue(f"{case}_size", "not at hand at this scale", display=False)


def stand_in(stat: str, what):
    """One conclusion on the real tier and on each stand-in tier that has the case."""
    real = {"pk": "mnu_pk_q", "mpk": "mnu_mpk_q"}[stat]
    values = {"real Quijote": what(real)}
    for tier, cases in stand_ins.items():
        case = cases.get(stat)
        values[tier] = what(case) if case in curve else None
    return values


n_ref = sweeps.reference_budget(QUOTED_BUDGETS)
conclusions = [
    results.Conclusion(f"P(k): savings at N = {n_ref}", "savings",
                       stand_in("pk", lambda c: results.savings_interval(sw[c].table, "dummy", n_ref))),
] + [
    results.Conclusion(f"{name}: {PLAIN[p]} verdict, N ≤ {TRANSFER_VERDICT['n_max']}", "verdict",
                       stand_in(stat, lambda c, p=p: results.transfer_verdict(curve[c], p)))
    for stat, name in (("pk", "P(k)"), ("mpk", "marked P(k), MP → MP")) for p in ("total", "s8", "Mnu")
]
table = results.comparison_table(conclusions, real="real Quijote")
for col in [c for c in table.columns if c.endswith("vs real Quijote")]:
    tag = col.split()[0].replace("-", "_").lower()
    glue(f"agree_{tag}", f"{(table[col] == 'agrees').sum()} of {(table[col] != '—').sum()}", display=False)
table

# %% [markdown]
# The stand-in suites at this scale: emulated nwLH {glue:text}`mnu_pk_size`; CPU-simulated
# {glue:text}`mnu_mpk_size`; the real nwLH {glue:text}`n_nwlh` simulations (pool
# {glue:text}`n_pool`), 79 k bins. Of the conclusions each stand-in can test, the emulated tier
# agrees with the real data on {glue:text}`agree_emulated` and the CPU-simulated tier on
# {glue:text}`agree_cpu_simulated`. Where a stand-in disagrees with the real nwLH, the real data
# decide.
#
# Every sweep is written as a tidy table (one row per variant, pre-training size, N, seed and
# parameter) with its provenance beside it; the real-data P(k) sweep's:

# %%
prov = sw["mnu_pk_q"].provenance
keys = ("scale", "suite", "tier", "stat", "pretrain_suite", "pretrain_tier", "n_suite", "budgets", "members",
        "data_key", "pretrained", "device", "threads", "torch", "git_commit")
folder = sw["mnu_pk_q"].folder
pd.Series({**{k: prov[k] for k in keys},
           "table": str(folder.relative_to(paths.ROOT) if folder.is_relative_to(paths.ROOT) else folder)},
          name="provenance").to_frame()

# %% [markdown]
# ## Summary
# - **P(k), real nwLH:** fine-tuning the ΛCDM network saves simulations —
#   {glue:text}`pk_lh_savings_50` at N = {glue:text}`n_a` and {glue:text}`pk_lh_savings_100` at
#   N = {glue:text}`n_b` from the real LH; {glue:text}`pk_bsq_savings_50` and
#   {glue:text}`pk_bsq_savings_100` from the emulated BSQ.
# - **Marked P(k), real nwLH:** Mν {glue:text}`mm_verdict_Mnu` (MP → MP) and
#   {glue:text}`pm_verdict_Mnu` (P → MP); σ8 {glue:text}`mm_verdict_s8` (MP → MP) and
#   {glue:text}`pm_verdict_s8` (P → MP); total {glue:text}`mm_verdict_total` (MP → MP).
# - **Sim-to-real:** the emulated pre-training against the real one, total MSE after fine-tuning:
#   {glue:text}`s2r_pk` (P(k)), {glue:text}`s2r_mpk` (marked P(k)).
# - **Stand-ins:** the emulated tier agrees with the real data on {glue:text}`agree_emulated` of its
#   conclusions, the CPU-simulated tier on {glue:text}`agree_cpu_simulated`.
#
# ### What's next
# {doc}`04_modified_gravity` adds a second new parameter, the f(R) amplitude $f_{R0}$.

# %% [markdown]
# ```{admonition} Re-run this chapter
# `cosmotransfer book --only 03 --scale smoke -p SEED=1 --out my-book` executes this chapter
# again — at any scale, with any of the parameters of its first code cell (`-p NAME=VALUE`) —
# into `my-book/book/03_neutrinos.ipynb`; without `--only` it executes and builds the whole book.
# ```
