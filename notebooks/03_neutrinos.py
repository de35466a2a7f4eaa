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
# # Massive neutrinos: transfer with P(k) and with the marked power spectrum
#
# ## Overview
# The first beyond-ΛCDM test of the paper: infer the five ΛCDM parameters and the sum of the
# neutrino masses $M_\nu$ from the nwLH analogue (`nwlh`, which also varies $w$ as a nuisance).
# A network pre-trained on ΛCDM ({doc}`02_pretraining`) is fine-tuned on N simulations and
# compared with the same network trained from scratch.
#
# 1. Mν with P(k): total and per-parameter test MSE vs N
# 2. Mν with the marked power spectrum
# 3. Negative transfer: σ8 and Mν
#
# ## Prerequisites
# | Concept | Importance | Notes |
# | --- | --- | --- |
# | {doc}`02_pretraining` | Necessary | the pre-trained network and the savings factor |
# | Massive neutrinos and the matter power spectrum | Helpful | small-scale suppression ∝ Mν |
#
# - **Time to run:** seconds at the smoke scale; about six minutes at the book scale on a 2-core
#   CPU once {doc}`02_pretraining` has run (its P(k) runs are cached and reused here; the two
#   sweeps on the simulated suites are trained here).

# %% tags=["parameters"]
SCALE = "book"
SEED = 0

# %% [markdown]
# ## Imports

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display
from myst_nb import glue

from cosmotransfer import paths, sweeps
from cosmotransfer.config import get_scale
from cosmotransfer.figures.learning import mse_vs_budget, skipped, transfer_ratio

scale = get_scale(SCALE)
sweeps.set_threads(scale)
NOT_BUILT = "not built at this scale (see the note above)"

# %% [markdown]
# ## Mν with P(k)
#
# The *dummy-node* variant: the network was pre-trained with spare output nodes that carried no
# loss; for fine-tuning, the ΛCDM outputs keep their pre-trained rows, the first spare row
# becomes $M_\nu$, and every layer trains on the N simulations. *Scratch* is the same MLP trained
# on those N simulations alone. Lines: median over training seeds; bands: 16–84 %; dotted: the
# prior-mean MSE.

# %%
sw_pk = sweeps.sweep("mnu_pk", scale, variants=("scratch", "dummy"), seed=SEED, progress=False)
curve_pk = sweeps.curves(sw_pk.table)
n_ref = sweeps.reference_budget(sw_pk.provenance["budgets"])
s_pk = sweeps.savings_factor(curve_pk, "dummy", n_ref)
glue("n_ref", n_ref, display=False)
glue("pk_savings", str(s_pk), display=False)
glue("pk_transfer_mse", s_pk.mse, display=False)
glue("pk_scratch_mse", s_pk.baseline_mse, display=False)
fig = mse_vs_budget(curve_pk, title="Mν with P(k): transfer (dummy nodes) vs scratch")
plt.show()

# %% [markdown]
# At N = {glue:text}`n_ref` the fine-tuned network reaches a total test MSE of
# {glue:text}`pk_transfer_mse:.4f` against {glue:text}`pk_scratch_mse:.4f` from scratch: scratch
# needs {glue:text}`pk_savings` as many simulations to match it (the paper: ≈ 10×). The
# savings factor at every budget:

# %%
sweeps.savings_table(curve_pk)

# %% [markdown]
# Every sweep is written as a tidy table (one row per variant, pre-training size, N, seed and
# parameter) with its provenance beside it; this one:

# %%
prov = {k: sw_pk.provenance[k] for k in ("scale", "suite", "stat", "n_suite", "budgets", "members", "data_key",
                                         "pretrained", "device", "threads", "torch", "git_commit")}
pd.Series({**prov, "table": str(sw_pk.folder.relative_to(paths.ROOT) if sw_pk.folder.is_relative_to(paths.ROOT)
                                  else sw_pk.folder)}, name="provenance").to_frame()

# %% [markdown]
# ## Mν with the marked power spectrum
#
# The marked power spectrum up-weights low-density regions, where massive neutrinos leave
# their clearest imprint (mark parameters R = 10 Mpc/h, p = 2, δs = 0.25). It needs the density
# field, so it exists only in the simulated (particle-mesh) tier — for both the fine-tuning suite
# and the ΛCDM pre-training suite.

# %%
from cosmotransfer.config import get_sim_preset
from cosmotransfer.data import load_suite

missing_mpk = sweeps.case_missing("mnu_mpk", scale)
curves = {"P(k), emulated": curve_pk}
SIM_TAGS = {"pksim": "mnu_pk_sim", "mpk": "mnu_mpk"}
if missing_mpk:
    display(skipped(missing_mpk, "Skipped: the marked-P(k) suites are not here"))
    for name in ("sim_box", "sim_nk", "sim_n_pre", "sim_n_ft", "sim_n_ref"):
        glue(name, NOT_BUILT, display=False)
    for tag in SIM_TAGS:
        for name in ("savings", "transfer_mse", "scratch_mse"):
            glue(f"{tag}_{name}", NOT_BUILT, display=False)
else:
    preset = get_sim_preset(scale.suite_preset)
    glue("sim_box", f"{preset.box:.0f}", display=False)
    glue("sim_nk", len(load_suite("nwlh", scale, "mpk").k), display=False)
    glue("sim_n_pre", max(sweeps.pretrain_sizes("mnu_mpk", scale)), display=False)
    glue("sim_n_ft", len(sweeps.case_data("mnu_mpk", scale)), display=False)
    sim_curves = {}
    for tag, case in SIM_TAGS.items():
        sw = sweeps.sweep(case, scale, variants=("scratch", "dummy"), seed=SEED, progress=False)
        sim_curves[tag] = sweeps.curves(sw.table)
        n_ref_sim = sweeps.reference_budget(sw.provenance["budgets"])
        sv = sweeps.savings_factor(sim_curves[tag], "dummy", n_ref_sim)
        glue(f"{tag}_savings", str(sv), display=False)
        glue(f"{tag}_transfer_mse", f"{sv.mse:.4f}", display=False)
        glue(f"{tag}_scratch_mse", f"{sv.baseline_mse:.4f}", display=False)
    glue("sim_n_ref", n_ref_sim, display=False)
    curves["P(k), simulated"] = sim_curves["pksim"]
    curves["marked P(k), simulated"] = sim_curves["mpk"]
    fig = mse_vs_budget(sim_curves["mpk"], title="Mν with marked P(k): transfer (dummy nodes) vs scratch")
    plt.show()

# %% [markdown]
# These suites are the shipped simulated ones of this scale: the paper preset's resolution
# (particle spacing 3.9 Mpc/h, force cell 1.95 Mpc/h, 10 steps) in a {glue:text}`sim_box` Mpc/h
# box, whose {glue:text}`sim_nk` k bins reach 0.5 $h$/Mpc — made on a 2-core CPU
# ({doc}`01_data`), since the Quijote-size suites need a GPU. The ΛCDM network is pre-trained on
# {glue:text}`sim_n_pre` simulated BSQ points and fine-tuned on up to 70 % of
# {glue:text}`sim_n_ft` neutrino simulations. So that the statistic, not the data, makes the
# difference, the same sweep also runs on the P(k) of the very same simulations.
#
# At N = {glue:text}`sim_n_ref`, total test MSE after fine-tuning vs from scratch — marked P(k):
# {glue:text}`mpk_transfer_mse` vs {glue:text}`mpk_scratch_mse` (savings
# {glue:text}`mpk_savings`); P(k) of the same simulations: {glue:text}`pksim_transfer_mse` vs
# {glue:text}`pksim_scratch_mse` (savings {glue:text}`pksim_savings`). The paper found a much
# smaller gain with the marked spectrum than with P(k) (≈ 1.4–2×; at N = 100, 0.029 vs 0.032).
#
# ## Negative transfer: σ8 and Mν
#
# Massive neutrinos suppress small-scale clustering, much as a lower σ8 does. A network
# pre-trained on ΛCDM has learnt to read σ8 from exactly those small-scale bins; fine-tuned on
# few simulations, it must unlearn part of that to give the signal to $M_\nu$. The panels show
# each parameter's test MSE after transfer divided by its MSE from scratch: above 1 (shaded),
# the pre-trained start hurts.

# %%
fig = transfer_ratio(curves, ("s8", "Mnu"))
plt.show()
n_min = min(sw_pk.provenance["budgets"])
glue("n_min", n_min, display=False)
TAGS = {"P(k), emulated": "pk", "P(k), simulated": "pksim", "marked P(k), simulated": "mpk"}


def verdict(r: float) -> str:
    # medians over five seeds: a ratio within 5 % of 1 is no difference worth a name
    return f"{r:.2f} ({'negative transfer' if r > 1.05 else 'gain' if r < 0.95 else 'no clear difference'})"


for stat, tag in TAGS.items():
    for p in ("s8", "Mnu"):
        if stat in curves:
            ratio = sweeps.mse_ratio(curves[stat], "dummy", p)
            glue(f"{tag}_ratio_{p}", verdict(float(ratio.loc[n_min])), display=False)
            glue(f"{tag}_ratio_max_{p}", f"{ratio.max():.2f} at N = {ratio.idxmax()}", display=False)
        else:
            glue(f"{tag}_ratio_{p}", NOT_BUILT, display=False)
            glue(f"{tag}_ratio_max_{p}", NOT_BUILT, display=False)

# %% [markdown]
# At the smallest budget (N = {glue:text}`n_min`), transfer / scratch MSE ratios — with the
# emulated P(k): σ8 {glue:text}`pk_ratio_s8`, Mν {glue:text}`pk_ratio_Mnu`; with the P(k) of the
# simulated suites: σ8 {glue:text}`pksim_ratio_s8`, Mν {glue:text}`pksim_ratio_Mnu`; with their
# marked power spectrum: σ8 {glue:text}`mpk_ratio_s8`, Mν {glue:text}`mpk_ratio_Mnu`. The
# largest ratios over all budgets, for Mν: {glue:text}`pk_ratio_max_Mnu` (emulated P(k)),
# {glue:text}`pksim_ratio_max_Mnu` (simulated P(k)), {glue:text}`mpk_ratio_max_Mnu` (marked
# P(k)); for σ8: {glue:text}`pk_ratio_max_s8`, {glue:text}`pksim_ratio_max_s8`,
# {glue:text}`mpk_ratio_max_s8`. The paper saw negative transfer on both parameters with the
# marked power spectrum at small N, and none with P(k). {doc}`07_shap` looks at where in k the
# networks read σ8 and Mν, before and after fine-tuning.
#
# ## Summary
# - With P(k), fine-tuning the ΛCDM network saves simulations: {glue:text}`pk_savings` at
#   N = {glue:text}`n_ref`. The per-parameter panels show where the gain comes from — mostly the
#   ΛCDM parameters the network already knew; Mν itself is weakly constrained by P(k) alone.
# - The marked power spectrum is the paper's case of negative transfer: the pre-trained network
#   reads σ8 from the bins where Mν leaves its signal. It needs the simulated tier; with this
#   scale's simulated suites the savings factor is {glue:text}`mpk_savings` for the marked
#   spectrum against {glue:text}`pksim_savings` for P(k) of the same simulations.
#
# ### What's next
# {doc}`04_modified_gravity` adds a second new parameter, the f(R) amplitude $f_{R0}$.
