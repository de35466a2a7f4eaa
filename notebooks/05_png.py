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
# # Primordial non-Gaussianity: equilateral and local
#
# ## Overview
# The last two cases of the paper change the initial conditions instead of the late-time physics.
# Quijote-PNG's equilateral latin hypercube (`png_eq`) varies $f_{\rm NL}^{\rm equil}$ together
# with Ωm, h, n_s and σ8 (Ωb fixed); the local one (`png_lc`) varies only $f_{\rm NL}^{\rm loc}$,
# with ΛCDM fixed at the fiducial cosmology. The second is a control: with nothing of ΛCDM left to
# infer, a ΛCDM pre-training has nothing to hand over.
#
# 1. Why the local case should show no gain
# 2. Equilateral PNG: transfer vs scratch
# 3. Local PNG: transfer vs scratch
#
# ## Prerequisites
# | Concept | Importance | Notes |
# | --- | --- | --- |
# | {doc}`03_neutrinos` | Necessary | the transfer protocol and the savings factor |
# | Primordial non-Gaussianity, $f_{\rm NL}$ | Helpful | equilateral vs local bispectrum shapes |
#
# - **Time to run:** seconds at the smoke scale; about a minute at the book scale on a 2-core CPU.
#   The PNG suites exist only in the simulated (particle-mesh) tier: at the book scale the shipped
#   `cpu`-preset suites (the paper's resolution in a {glue:text}`sim_box` Mpc/h box,
#   {glue:text}`sim_nk` k bins; {doc}`01_data`),
#   with the ΛCDM network pre-trained on the simulated BSQ points of the same preset. Without
#   them this chapter explains and skips.

# %% tags=["parameters"]
SCALE = "book"
SEED = 0

# %% [markdown]
# ## Imports

# %%
from IPython.display import display
from myst_nb import glue

from cosmotransfer import results, sweeps
from cosmotransfer.config import get_scale, pool_size
from cosmotransfer.transfer import get_case
from cosmotransfer.figures import publish
from cosmotransfer.figures.learning import mse_vs_budget, skipped
from cosmotransfer.stats import simulated_suite_bins

scale = get_scale(SCALE)
sim_bins = simulated_suite_bins(scale)
glue("sim_box", f"{sim_bins.box:g}", display=False)
glue("sim_nk", str(len(sim_bins.k)), display=False)
sweeps.set_threads(scale)
NOT_BUILT = "not built at this scale (see the note above)"

# %% [markdown]
# ## Why no gain is expected for local PNG
#
# Fine-tuning helps when the new task shares structure with the old one. In the equilateral suite
# four of the five targets are ΛCDM parameters the pre-trained network already reads from P(k),
# and $f_{\rm NL}$ is one extra output. In the local suite the only target is
# $f_{\rm NL}^{\rm loc}$ and every simulation has the same ΛCDM cosmology: the pre-trained
# features that separate cosmologies vary only through sample variance, and the imprint of
# $f_{\rm NL}$ on the *matter* power spectrum at $z = 0$ is tiny (local PNG's strong
# scale-dependent signature lives in the bias of haloes, not in the matter field). Neither the
# pre-trained features nor the scratch network have much to work with, so the two should tie,
# near the prior-mean MSE of 1/12. The budgets stop at {glue:text}`png_max_n`, the largest of the
# scale's budgets within the train pool ({glue:text}`png_pool`) of the {glue:text}`png_n_suite`-simulation suites.
#
# ## Transfer vs scratch
#
# Both suites, fine-tuned with the dummy-node variant from the ΛCDM network (its first spare
# output becomes $f_{\rm NL}$; for the equilateral suite the Ωb output is dropped, Ωb being fixed)
# and trained from scratch, at every budget.

# %%
curve_of, swept, sweep_of = {}, {}, {}
for case, title in (("png_eq", "equilateral PNG"), ("png_lc", "local PNG (ΛCDM fixed)")):
    missing = sweeps.case_missing(case, scale)
    if missing:
        display(skipped(missing, f"Skipped: the {title} suites are not here"))
        glue(f"{case}_savings", NOT_BUILT, display=False)
        glue(f"{case}_mse", NOT_BUILT, display=False)
        continue
    sw = sweeps.sweep(case, scale, variants=("scratch", "dummy"), seed=SEED, progress=False)
    curve_of[case] = sweeps.curves(sw.table)
    swept, sweep_of[case] = sw.provenance, sw
    n_ref = sweeps.reference_budget(sw.provenance["budgets"])
    sv = sweeps.savings_factor(curve_of[case], "dummy", n_ref)
    glue(f"{case}_savings", f"{results.savings_text(sw.table, 'dummy', n_ref, get_case(case).targets)} at N = {n_ref}",
         display=False)
    glue(f"{case}_mse", f"{sv.mse:.4f} after transfer vs {sv.baseline_mse:.4f} from scratch", display=False)
glue("png_max_n", f"{max(swept['budgets']):,}" if swept else NOT_BUILT, display=False)
glue("png_pool", f"{pool_size(swept['n_suite']):,}" if swept else NOT_BUILT, display=False)
glue("png_n_suite", f"{swept['n_suite']:,}" if swept else NOT_BUILT, display=False)

# %% [markdown]
# ### Equilateral PNG

# %%
if "png_eq" in curve_of:
    fig = mse_vs_budget(curve_of["png_eq"], title="equilateral PNG: transfer (dummy nodes) vs scratch")
    publish(fig, "fig-05-png-eq", data=sweep_of["png_eq"])
    display(sweeps.savings_table(curve_of["png_eq"]))
else:
    display(skipped("equilateral PNG needs the simulated suites named above", "Skipped: no equilateral-PNG suite here"))
    publish(None, "fig-05-png-eq", "no equilateral-PNG suite here")

# %% [markdown]
# ```{glue:figure} fig-05-png-eq
# :name: fig-05-png-eq
#
# Equilateral PNG: test MSE against N, transfer and scratch. *`fig-05-png-eq`, drawn by `figures.learning.mse_vs_budget` from `sweeps.sweep('png_eq')`.* Data: {download}`fig-05-png-eq.csv <downloads/fig-05-png-eq.csv>` ({download}`provenance <downloads/fig-05-png-eq.json>`).
# ```

# %% [markdown]
# Savings factor for equilateral PNG: {glue:text}`png_eq_savings` (total test MSE
# {glue:text}`png_eq_mse`). The paper found a consistent gain on nearly every parameter.
#
# ### Local PNG

# %%
if "png_lc" in curve_of:
    fig = mse_vs_budget(curve_of["png_lc"], title="local PNG (ΛCDM fixed): transfer (dummy nodes) vs scratch")
    publish(fig, "fig-05-png-lc", data=sweep_of["png_lc"])
    display(sweeps.savings_table(curve_of["png_lc"]))
else:
    display(skipped("local PNG needs the simulated suites named above", "Skipped: no local-PNG suite here"))
    publish(None, "fig-05-png-lc", "no local-PNG suite here")

# %% [markdown]
# ```{glue:figure} fig-05-png-lc
# :name: fig-05-png-lc
#
# Local PNG (ΛCDM fixed): test MSE against N, transfer and scratch. *`fig-05-png-lc`, drawn by `figures.learning.mse_vs_budget` from `sweeps.sweep('png_lc')`.* Data: {download}`fig-05-png-lc.csv <downloads/fig-05-png-lc.csv>` ({download}`provenance <downloads/fig-05-png-lc.json>`).
# ```

# %% [markdown]
# Savings factor for local PNG: {glue:text}`png_lc_savings` — expected near 1 (no gain), as in
# the paper; where no variant learns f_NL, no factor is quoted. Read it with the test MSE itself, {glue:text}`png_lc_mse`, against 1/12 ≈ 0.083 for
# predicting the prior mean of the one target: where both networks stay near that floor, their
# curves are flat in N, and the savings factor — a ratio of N read along a flat scratch curve —
# turns a small difference in MSE into a large factor.
#
# ## Summary
# - Transfer pays where the new suite still varies what the pre-trained network knows (equilateral
#   PNG: four ΛCDM parameters plus one new one).
# - With ΛCDM fixed (local PNG) there is nothing shared to transfer, and no gain is expected.
# - Both suites need non-Gaussian initial conditions: the simulated tier
#   (`cosmotransfer simulate png_eq --tier simulated --preset cpu`, or `--device cuda` for the
#   Quijote-size preset).
#
# ### What's next
# {doc}`06_architectures` compares the four ways of transferring on every case.

# %% [markdown]
# ```{admonition} Re-run this chapter
# `cosmotransfer book --only 05 --scale smoke -p SEED=1 --out my-book` executes this chapter
# again — at any scale, with any of the parameters of its first code cell (`-p NAME=VALUE`) —
# into `my-book/book/05_png.ipynb`; without `--only` it executes and builds the whole book.
# ```
