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
# # Pre-training a ΛCDM network
#
# ## Overview
# Everything later in the book starts from one network: an MLP that reads a ΛCDM power spectrum
# and returns the five ΛCDM parameters. This chapter trains it on the Big-Sobol-Sequence analogue
# (`bsq`), shows how well it infers each parameter, and asks how many ΛCDM simulations the
# pre-training needs before fine-tuning on massive neutrinos benefits from it.
#
# **Data tier: emulated.** The real BSQ (32,768 N-body runs) is not at hand, so this network is
# trained on the emulated BSQ (CAMB HMcode-2020 + one 1 Gpc/$h$ box's sample variance, 79 bins).
# Its real-data counterpart, a network pre-trained on the 2,000 runs of the real Quijote latin
# hypercube, is built and compared with it in {doc}`03_neutrinos`.
#
# 1. The learning set: inputs, targets, split
# 2. The pre-trained network: per-parameter test MSE and predictions
# 3. Does pre-training size matter? A small and a large ΛCDM pre-training set
#
# ## Prerequisites
# | Concept | Importance | Notes |
# | --- | --- | --- |
# | {doc}`01_data` | Necessary | the suites, splits and k bins |
# | Multilayer perceptrons, AdamW, early stopping | Helpful | PyTorch |
#
# - **Time to run:** seconds at the smoke scale; a few minutes at the book scale on a 2-core CPU
#   (pre-training is cached under `.cache/pretrain/` and reused by every later chapter).
# - **Scales:** the book scale trains fixed, tuned configurations with the paper's budgets,
#   epochs, patience and five seeds. The paper scale — `make book SCALE=paper` (or
#   `cosmotransfer book --scale paper`) on a GPU machine, once the simulated suites exist — runs
#   the paper's Optuna searches instead (100 trials for every pre-trained network and for every
#   variant and budget; the bands are the top five trials).

# %% tags=["parameters"]
SCALE = "book"
SEED = 0

# %% [markdown]
# ## Imports

# %%
import pandas as pd
from myst_nb import glue

from cosmotransfer import sweeps
from cosmotransfer.config import SCORECARD, get_scale
from cosmotransfer.figures import publish
from cosmotransfer.figures.learning import PLAIN, learning_curves, pretrain_mse, pretrain_size_ablation, truth_vs_prediction
from cosmotransfer.train import predict
from cosmotransfer.transfer import pretrain_config

scale = get_scale(SCALE)
sweeps.set_threads(scale)

# %% [markdown]
# ## The learning set
#
# The network sees $\log_{10} P(k)$ in the 79 bins, each bin standardised with the mean and
# standard deviation of the suite's own training pool, and predicts each parameter min–max
# scaled to $[0, 1]$ with the prior table (sigmoid outputs; $\Omega_b$ uses $[0.02, 0.08]$
# everywhere). On that axis an MSE of $1/12 \approx 0.083$ is what always predicting the prior
# mean scores. The suite is split 70/15/15 once, with a fixed seed.

# %%
sizes = sweeps.pretrain_sizes("mnu_pk", scale)
n_pre = max(sizes)
pre_ls = sweeps.pretrain_data("mnu_pk", scale)
x_test, y_test = pre_ls.test()
glue("n_pretrain", f"{n_pre:,}", display=False)
glue("n_pretrain_suite", f"{len(pre_ls):,}", display=False)
glue("n_pretrain_pool", f"{pre_ls.n_pool:,}", display=False)
glue("n_pretrain_val", f"{len(pre_ls.split.val):,}", display=False)
glue("n_pretrain_test", f"{len(y_test):,}", display=False)
cfg = pretrain_config("main", scale)
pd.Series({"hidden layers": cfg.hidden, "dropout": cfg.dropout, "learning rate": cfg.lr,
           "weight decay": cfg.weight_decay, "AdamW betas": cfg.betas, "batch": cfg.batch_size,
           "max epochs / patience": f"{cfg.max_epochs} / {cfg.patience}", "dummy outputs": cfg.n_dummy},
          name="pre-training configuration").to_frame()

# %% [markdown]
# The {glue:text}`n_pretrain_suite` `bsq` points are split once into a train pool of
# {glue:text}`n_pretrain_pool`, {glue:text}`n_pretrain_val` validation and
# {glue:text}`n_pretrain_test` test simulations. A pre-training size is a training-set size, as in
# the paper (whose "22,000" trains on 22,000 of a 22,400-simulation pool): the network below trains
# on the first {glue:text}`n_pretrain` simulations of the pool. It already
# carries the spare *dummy* output nodes the dummy-node transfer variant needs later: their loss
# weight is zero, so they receive no gradient and do not change what the network learns (the
# test suite checks that a network with and without them trains to the same weights).
#
# ## The pre-trained network

# %%
# The size ablation's sweep (last section) runs first: its scratch runs train beside the pre-trainings.
sw = sweeps.sweep("mnu_pk", scale, variants=("scratch", "dummy"), n_pretrain=sizes, seed=SEED, progress=False)
nets = {n: sweeps.pretrained("mnu_pk", scale, "main", n, seed=SEED) for n in sizes}
best = nets[n_pre]
glue("pretrain_mse", best.info["test_mse_total"], display=False)
glue("pretrain_mse_mean", best.info["test_mse_total"] / len(best.test_mse), display=False)
glue("paper_pretrain_total", SCORECARD["paper_pretrain_total"], display=False)
ranked = sorted(best.test_mse, key=best.test_mse.get)
for which, name in (("best", ranked[0]), ("worst", ranked[-1])):
    glue(f"pretrain_{which}", PLAIN[name], display=False)
    glue(f"pretrain_{which}_mse", best.test_mse[name], display=False)
fig = pretrain_mse({f"{n:,} sims": net.test_mse for n, net in nets.items()})
publish(fig, "fig-02-pretrain-mse")

# %% [markdown]
# ```{glue:figure} fig-02-pretrain-mse
# :name: fig-02-pretrain-mse
#
# Per-parameter test MSE of the pre-trained ΛCDM networks. *`fig-02-pretrain-mse`, drawn by `figures.learning.pretrain_mse` from the pre-trained networks (`.cache/pretrain`).*
# ```

# %% [markdown]
# Trained on {glue:text}`n_pretrain` simulations, the network reaches a total test MSE (sum over the five parameters) of
# {glue:text}`pretrain_mse:.4f`, a mean of {glue:text}`pretrain_mse_mean:.4f` per parameter. The
# best-inferred parameter is {glue:text}`pretrain_best` (MSE {glue:text}`pretrain_best_mse:.5f`),
# the worst {glue:text}`pretrain_worst` (MSE {glue:text}`pretrain_worst_mse:.4f`). The paper's
# good BSQ network (an Optuna-tuned 3-layer MLP, 22,000 training simulations of the real BSQ)
# printed ≈ 0.013 *per parameter* — a total of ≈ {glue:text}`paper_pretrain_total` in this book's
# convention; the book scale uses fixed defaults and the emulated tier ({doc}`10_scorecard`
# compares the two, and the real-LH network of {doc}`03_neutrinos`).

# %%
fig = truth_vs_prediction(y_test, predict(best.model, x_test), pre_ls.targets)
publish(fig, "fig-02-truth-vs-prediction")

# %% [markdown]
# ```{glue:figure} fig-02-truth-vs-prediction
# :name: fig-02-truth-vs-prediction
#
# Predicted against true parameters on the pre-training test set. *`fig-02-truth-vs-prediction`, drawn by `figures.learning.truth_vs_prediction` from the largest pre-trained network on the BSQ test set.*
# ```

# %% [markdown]
# Training stops when the validation MSE has not improved for the patience window, and the
# weights of the best epoch are restored (dots).

# %%
fig = learning_curves({f"{n:,} sims": net.info["history"] for n, net in nets.items()})
publish(fig, "fig-02-learning-curves")

# %% [markdown]
# ```{glue:figure} fig-02-learning-curves
# :name: fig-02-learning-curves
#
# Training and validation loss per epoch; dots mark the restored best epoch. *`fig-02-learning-curves`, drawn by `figures.learning.learning_curves` from the pre-training histories.*
# ```

# %% [markdown]
# ## Does pre-training size matter?
#
# The paper pre-trained on 2,000 and on 22,000 ΛCDM simulations and found benefits already at
# 2,000. Here networks pre-trained on {glue:text}`n_pretrain_small` and on
# {glue:text}`n_pretrain_large` simulations are fine-tuned on the massive-neutrino suite with the dummy-node
# variant (the ΛCDM output rows are kept, a spare row becomes $M_\nu$, all layers train) for
# every budget N, and compared with the same MLP trained from scratch on the N simulations.
# Lines are medians over training seeds, bands the 16–84 % range.

# %%
curve = sweeps.curves(sw.table)
n_ref = sweeps.reference_budget(sw.provenance["budgets"])
glue("n_ref", n_ref, display=False)
for which, n in (("small", min(sizes)), ("large", max(sizes))):
    glue(f"n_pretrain_{which}", f"{n:,}", display=False)
    glue(f"ablation_savings_{which}", str(sweeps.savings_factor(curve, "dummy", n_ref, n_pretrain=n)), display=False)
fig = pretrain_size_ablation(curve, title="Mν with P(k): dummy-node transfer vs scratch")
publish(fig, "fig-02-pretrain-size", data=sw)

# %% [markdown]
# ```{glue:figure} fig-02-pretrain-size
# :name: fig-02-pretrain-size
#
# Total test MSE against N, fine-tuned from each pre-training size and from scratch. *`fig-02-pretrain-size`, drawn by `figures.learning.pretrain_size_ablation` from `sweeps.sweep('mnu_pk')` at both pre-training sizes.* Data: {download}`fig-02-pretrain-size.csv <downloads/fig-02-pretrain-size.csv>` ({download}`provenance <downloads/fig-02-pretrain-size.json>`).
# ```

# %%
tot = curve[curve.param == "total"].pivot_table(index="N", columns=["variant", "n_pretrain"], values="median")
tot.round(4)

# %% [markdown]
# The *savings factor* at a budget N is how many times more simulations the scratch network needs
# to reach the total test MSE the transfer network reaches with N (interpolated log–log along the
# scratch curve; ">" marks a lower bound when scratch never gets there within the swept budgets,
# "<" an upper bound when transfer is no better than scratch at the smallest budget). At
# N = {glue:text}`n_ref` it is {glue:text}`ablation_savings_large` when pre-training on
# {glue:text}`n_pretrain_large` ΛCDM simulations and {glue:text}`ablation_savings_small` with
# {glue:text}`n_pretrain_small`. At every budget:

# %%
pd.DataFrame({f"pre-trained on {n:,}": [str(sweeps.savings_factor(curve, "dummy", b, n_pretrain=n))
                                        for b in sorted(curve.N.unique())] for n in sizes},
             index=pd.Index(sorted(curve.N.unique()), name="N"))

# %% [markdown]
# ## Bring your own suite
#
# Nothing above depends on where the spectra come from. Real Quijote summaries load into the same
# pipeline — stacked `(n_sims, 79)` arrays, or a folder of per-simulation Pylians files
# (`<i>/Pk_m_z=0.txt`, columns k and P(k)) plus a parameter table — and get the same
# preprocessing and a seeded 70/15/15 split. For the real ΛCDM latin hypercube beside the project
# (not part of the book; the test suite trains on it when it is present):
#
# ```python
# from cosmotransfer import paths
# from cosmotransfer.data import learning_set, load_quijote
# from cosmotransfer.transfer import pretrain, pretrain_config
#
# q = paths.QUIJOTE_DIR  # ../shared/quijote, or $COSMOTRANSFER_QUIJOTE
# data = load_quijote(q / "LH_Pk_m_z0.npy", q / "LH_params.txt", mpk=q / "LH_MPk_m_z0.npy")
# net = pretrain(learning_set(data, "pk"), pretrain_config("main", "book"))
# net.test_mse  # per-parameter test MSE on the scaled axis
# ```
#
# ## Summary
# - The ΛCDM network is an MLP with LeakyReLU(0.2), dropout and sigmoid outputs, trained with
#   AdamW (betas 0.5, 0.999), batch 32 and early stopping; it is cached by a hash of its data,
#   configuration and seed, so every later chapter reuses it.
# - Per-parameter accuracy spans orders of magnitude: {glue:text}`pretrain_best` is inferred best,
#   {glue:text}`pretrain_worst` worst.
# - Fine-tuning from either pre-trained network saves simulations: at N = {glue:text}`n_ref`,
#   {glue:text}`ablation_savings_small` with {glue:text}`n_pretrain_small` pre-training simulations
#   and {glue:text}`ablation_savings_large` with {glue:text}`n_pretrain_large`.
#
# ### What's next
# {doc}`03_neutrinos` fine-tunes this network on massive neutrinos, with P(k) and with the
# marked power spectrum.

# %% [markdown]
# ```{admonition} Re-run this chapter
# `cosmotransfer book --only 02 --scale smoke -p SEED=1 --out my-book` executes this chapter
# again — at any scale, with any of the parameters of its first code cell (`-p NAME=VALUE`) —
# into `my-book/book/02_pretraining.ipynb`; without `--only` it executes and builds the whole book.
# ```
