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
# 2. Two tiers for PNG: CPU-simulated boxes, and the emulated tier at Quijote's volume
# 3. Equilateral PNG: transfer vs scratch, on both tiers
# 4. Local PNG: transfer vs scratch, on both tiers
# 5. Which finding holds on which tier
#
# ## Prerequisites
# | Concept | Importance | Notes |
# | --- | --- | --- |
# | {doc}`03_neutrinos` | Necessary | the transfer protocol and the savings factor |
# | {doc}`10_scorecard` | Helpful | the verdict rule and the "not informative" test used at the end |
# | Primordial non-Gaussianity, $f_{\rm NL}$ | Helpful | equilateral vs local bispectrum shapes |
#
# - **Time to run:** seconds at the smoke scale; a few minutes at the book scale on a 2-core CPU.
#   Two tiers: the shipped `cpu`-preset particle-mesh suites (the paper's resolution in a
#   {glue:text}`sim_box` Mpc/h box, {glue:text}`sim_nk` k bins; {doc}`01_data`), with the ΛCDM network
#   pre-trained on the simulated BSQ points of the same preset; and the shipped emulated suites
#   (Quijote's 1 Gpc/h box and 79 bins), with the network pre-trained on the emulated BSQ.
#   A tier whose suites are missing is explained and skipped.

# %% tags=["parameters"]
SCALE = "book"
SEED = 0

# %% [markdown]
# ## Imports

# %%
import numpy as np
from IPython.display import display
from myst_nb import glue

from cosmotransfer import results, scorecard, sweeps
from cosmotransfer.config import BOX, PNG_RESPONSE, get_scale, pool_size
from cosmotransfer.transfer import get_case
from cosmotransfer.figures import publish
from cosmotransfer.figures.learning import mse_vs_budget, skipped
from cosmotransfer.png_response import read_responses_from
from cosmotransfer.sim.validate import read_check
from cosmotransfer.stats import kbins, simulated_suite_bins
from cosmotransfer.store import DataFileError

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
# $f_{\rm NL}$ on the *matter* power spectrum at $z = 0$ is small (local PNG's strong
# scale-dependent signature lives in the bias of haloes, not in the matter field). Whether a
# network learns $f_{\rm NL}$ at all depends on that imprint against one box's sample variance.
#
# ## Two tiers for PNG
#
# How big is the signal against the noise? At $k \approx 0.5\,h$/Mpc one bin of a
# {glue:text}`sim_box` Mpc/h box has a sample variance of {glue:text}`png_noise_cpu`, one bin of
# Quijote's 1 Gpc/h box {glue:text}`png_noise_quijote`. The engine's paired runs put the matter
# P(k) response $R - 1$ (both orders in f_NL) at the fiducial at {glue:text}`png_resp_loc` for $f_{\rm NL}^{\rm loc} = +100$ and
# {glue:text}`png_resp_eq` for $f_{\rm NL}^{\rm equil} = +600$, the edge of its prior (the local
# prior reaches $|f_{\rm NL}^{\rm loc}| = 300$, three times the quoted value); across the equilateral
# prior the response grows with the primordial amplitude $A_s$, which at fixed σ8 is largest at low Ωm
# ({doc}`11_engine`).
#
# - **CPU-simulated** (`png_eq`, `png_lc`): particle-mesh boxes with non-Gaussian initial
#   conditions, {glue:text}`sim_nk` bins, each with the sample variance above.
# - **Emulated** (`png_eq_emu`, `png_lc_emu`): each spectrum is HMcode-2020(θ) × R(k; θ, f_NL) ×
#   Gamma sample variance of one 1 Gpc/h box, in Quijote's 79 bins, at the Quijote-PNG designs. The
#   response R was measured by the engine in paired runs (the same seed with and without f_NL) at
#   the `book` preset and fitted smoothly in θ and f_NL ({doc}`11_engine`, figure
#   `fig-11-png-calibration`). On held-out pairs the fit is off by {glue:text}`png_fit_err_loc`
#   (local) and {glue:text}`png_fit_err_eq` (equilateral), rms — an upper bound on its error, the
#   measured pairs carrying their own realisation's scatter; compare a Quijote bin's sample variance
#   above. What this tier cannot have: anything a smooth response misses — the response's own
#   scatter from one realisation to the next, and f_NL's effect on the *covariance* of the bins. A
#   network here learns f_NL from the mean response alone.
#
# Both tiers are fine-tuned with the dummy-node variant from a ΛCDM network (its first spare
# output becomes $f_{\rm NL}$; for the equilateral suites the Ωb output is dropped, Ωb being fixed)
# and trained from scratch, at every budget: the scale's grid up to the train pool
# ({glue:text}`png_pool` of the {glue:text}`png_n_suite`-simulation suites) and, on the emulated
# tier, the whole pool as in the paper (budgets to {glue:text}`png_emu_max_n`).

# %%
quijote_bins = kbins(BOX)
i05 = int(np.argmin(np.abs(sim_bins.k - 0.5)))
j05 = int(np.argmin(np.abs(quijote_bins.k - 0.5)))
glue("png_noise_cpu", f"{100 / np.sqrt(sim_bins.n_independent[i05]):.1f} % (k = {sim_bins.k[i05]:.2f})", display=False)
glue("png_noise_quijote", f"{100 / np.sqrt(quijote_bins.n_independent[j05]):.2f} % (k = {quijote_bins.k[j05]:.3f})",
     display=False)
try:
    png_table = read_check("png", PNG_RESPONSE["preset"])
except DataFileError as e:
    png_table = None
    display(skipped(str(e), "Skipped: no PNG calibration table"))
if png_table is not None:
    fid, a_fid = np.asarray(png_table["theta"][0]), png_table["a_s"][0]
    resp = read_responses_from(png_table)
    for shape, tag in (("local", "loc"), ("equilateral", "eq")):
        f = PNG_RESPONSE["f_ref"][shape]
        r = 100 * (resp[shape](quijote_bins.k, fid, f, a_fid) - 1)
        glue(f"png_resp_{tag}", ", ".join(f"{r[int(np.argmin(np.abs(quijote_bins.k - kk)))]:+.2f} % at k ≈ {kk:g}"
                                         for kk in (0.1, 0.3, 0.5)), display=False)
        err = png_table["shapes"][shape]["held_out"]["rms"]
        glue(f"png_fit_err_{tag}", " / ".join(f"{100 * x:.2f} %" for x in err) + " in k ranges " +
             ", ".join(f"{lo:g}–{hi:g}" for lo, hi in png_table["k_ranges"]), display=False)
else:
    for name in ("png_resp_loc", "png_resp_eq", "png_fit_err_loc", "png_fit_err_eq"):
        glue(name, "(no calibration table)", display=False)

# %% [markdown]
# ## Transfer vs scratch

# %%
CASES = {"png_eq": "equilateral PNG, CPU-simulated", "png_lc": "local PNG (ΛCDM fixed), CPU-simulated",
         "png_eq_emu": "equilateral PNG, emulated", "png_lc_emu": "local PNG (ΛCDM fixed), emulated"}
curve_of, sweep_of, swept = {}, {}, {}
present = [c for c in CASES if not sweeps.case_missing(c, scale)]
sweeps.prepare(tuple(present), scale, variants=("scratch", "dummy"), seed=SEED, progress=False)
for case, title in CASES.items():
    missing = sweeps.case_missing(case, scale)
    if missing:
        display(skipped(missing, f"Skipped: the {title} suites are not here"))
        for what in ("savings", "mse", "fnl", "fnl_max", "loses"):
            glue(f"{case}_{what}", NOT_BUILT, display=False)
        continue
    sw = sweeps.sweep(case, scale, variants=("scratch", "dummy"), seed=SEED, progress=False)
    curve_of[case], sweep_of[case], swept[case] = sweeps.curves(sw.table), sw, sw.provenance
    c = get_case(case)
    n_ref = sweeps.reference_budget(sw.provenance["budgets"])
    sv = sweeps.savings_factor(curve_of[case], "dummy", n_ref)
    glue(f"{case}_savings", f"{results.savings_text(sw.table, 'dummy', n_ref, c.targets)} at N = {n_ref}",
         display=False)
    glue(f"{case}_mse", f"{sv.mse:.4f} after transfer vs {sv.baseline_mse:.4f} from scratch", display=False)
    fnl = c.new_params[0]
    n_max = max(sw.provenance["budgets"])
    glue(f"{case}_fnl", f"{results.prior_mean_text(curve_of[case], fnl, n_ref)} at N = {n_ref}", display=False)
    glue(f"{case}_fnl_max", f"{results.prior_mean_text(curve_of[case], fnl, n_max)} at N = {n_max:,}", display=False)
    glue(f"{case}_loses", results.where_it_loses(curve_of[case], "dummy"), display=False)
sim_swept = swept.get("png_eq") or swept.get("png_lc")
emu_swept = swept.get("png_eq_emu") or swept.get("png_lc_emu")
glue("png_pool", f"{pool_size(sim_swept['n_suite']):,}" if sim_swept else NOT_BUILT, display=False)
glue("png_n_suite", f"{sim_swept['n_suite']:,}" if sim_swept else NOT_BUILT, display=False)
glue("png_emu_max_n", f"{max(emu_swept['budgets']):,}" if emu_swept else NOT_BUILT, display=False)


def show(case: str, fig_id: str) -> None:
    """The budget curves and savings table of one case, or a note where its suites are missing."""
    if case in curve_of:
        fig = mse_vs_budget(curve_of[case], title=f"{CASES[case]}: transfer (dummy nodes) vs scratch")
        publish(fig, fig_id, data=sweep_of[case])
        display(sweeps.savings_table(curve_of[case]))
    else:
        display(skipped(f"{CASES[case]} needs its suites (see the note above)", f"Skipped: no {case} suite here"))
        publish(None, fig_id, f"no {case} suite here")


# %% [markdown]
# ### Equilateral PNG

# %%
show("png_eq", "fig-05-png-eq")

# %% [markdown]
# ```{glue:figure} fig-05-png-eq
# :name: fig-05-png-eq
#
# Equilateral PNG, CPU-simulated: test MSE against N, transfer and scratch. *`fig-05-png-eq`, drawn by `figures.learning.mse_vs_budget` from `sweeps.sweep('png_eq')`.* Data: {download}`fig-05-png-eq.csv <downloads/fig-05-png-eq.csv>` ({download}`provenance <downloads/fig-05-png-eq.json>`).
# ```

# %%
show("png_eq_emu", "fig-05-png-eq-emu")

# %% [markdown]
# ```{glue:figure} fig-05-png-eq-emu
# :name: fig-05-png-eq-emu
#
# Equilateral PNG, emulated (1 Gpc/h, 79 bins, engine-calibrated response): test MSE against N, transfer and scratch. *`fig-05-png-eq-emu`, drawn by `figures.learning.mse_vs_budget` from `sweeps.sweep('png_eq_emu')`.* Data: {download}`fig-05-png-eq-emu.csv <downloads/fig-05-png-eq-emu.csv>` ({download}`provenance <downloads/fig-05-png-eq-emu.json>`).
# ```

# %% [markdown]
# Savings factor for equilateral PNG: CPU-simulated {glue:text}`png_eq_savings` (total test MSE
# {glue:text}`png_eq_mse`); emulated {glue:text}`png_eq_emu_savings` (total test MSE
# {glue:text}`png_eq_emu_mse`). The paper found a consistent gain on nearly every parameter. The
# totals are carried by the four ΛCDM parameters; $f_{\rm NL}^{\rm equil}$ itself stays near the
# prior mean's MSE: CPU-simulated {glue:text}`png_eq_fnl`, and {glue:text}`png_eq_fnl_max`; emulated
# {glue:text}`png_eq_emu_fnl`, and {glue:text}`png_eq_emu_fnl_max` — even at Quijote's volume and
# the paper's 700 simulations, with four ΛCDM parameters varying beside it, it is only beginning to
# be learned.
#
# ### Local PNG

# %%
show("png_lc", "fig-05-png-lc")

# %% [markdown]
# ```{glue:figure} fig-05-png-lc
# :name: fig-05-png-lc
#
# Local PNG (ΛCDM fixed), CPU-simulated: test MSE against N, transfer and scratch. *`fig-05-png-lc`, drawn by `figures.learning.mse_vs_budget` from `sweeps.sweep('png_lc')`.* Data: {download}`fig-05-png-lc.csv <downloads/fig-05-png-lc.csv>` ({download}`provenance <downloads/fig-05-png-lc.json>`).
# ```

# %%
show("png_lc_emu", "fig-05-png-lc-emu")

# %% [markdown]
# ```{glue:figure} fig-05-png-lc-emu
# :name: fig-05-png-lc-emu
#
# Local PNG (ΛCDM fixed), emulated (1 Gpc/h, 79 bins, engine-calibrated response): test MSE against N, transfer and scratch. *`fig-05-png-lc-emu`, drawn by `figures.learning.mse_vs_budget` from `sweeps.sweep('png_lc_emu')`.* Data: {download}`fig-05-png-lc-emu.csv <downloads/fig-05-png-lc-emu.csv>` ({download}`provenance <downloads/fig-05-png-lc-emu.json>`).
# ```

# %% [markdown]
# Savings factor for local PNG: CPU-simulated {glue:text}`png_lc_savings`; emulated
# {glue:text}`png_lc_emu_savings`. Read each with the test MSE of the one target against 1/12 ≈ 0.083
# for predicting the prior mean — CPU-simulated {glue:text}`png_lc_fnl`, and
# {glue:text}`png_lc_fnl_max`: near that floor, where a savings factor — a ratio of N read along a
# nearly flat scratch curve — turns a small difference in MSE into a large factor. Emulated
# {glue:text}`png_lc_emu_fnl`, and {glue:text}`png_lc_emu_fnl_max`: at Quijote's volume, with ΛCDM
# fixed and a smooth response, $f_{\rm NL}^{\rm loc}$ is learned almost exactly. There the
# transfer loses to scratch at {glue:text}`png_lc_emu_loses` (transfer/scratch total MSE) and wins at
# the larger budgets. Two things make this tier easier than N-body boxes: its noise is one box's
# Gaussian, diagonal sample variance, while the covariance of a simulated P(k) at $k \gtrsim 0.2\,h$/Mpc
# couples the bins and caps what a smooth, amplitude-like response can be measured to; and the
# response carries no realisation-to-realisation scatter. The emulated local MSE is therefore a
# best case, not a forecast for Quijote-PNG.
#
# ## Which finding holds on which tier
#
# The scorecard's rules ({doc}`10_scorecard`), applied to both tiers: equilateral PNG is
# "reproduced" when transfer gains (transfer/scratch MSE ratio below 0.95 over N ≤ 200) on most
# parameters; local PNG is "reproduced" when the total shows no gain; either is "not testable on
# this data" where no variant learns $f_{\rm NL}$ (every median MSE within 10 % of the prior
# mean's, or above it).

# %%
png_rows = [scorecard.measure(f, tier, scale, SEED) for f in scorecard.FINDINGS if f.key in ("png_eq", "png_lc")
            for tier in ("emulated", "CPU-simulated")]
display(scorecard.table(png_rows)[[f"{t}{s}" for t in ("emulated", "CPU-simulated") for s in ("", " verdict")]])
for m in png_rows:
    tag = "emu" if m.tier == "emulated" else "sim"
    glue(f"{m.finding}_{tag}_verdict", m.verdict, display=False)
    glue(f"{m.finding}_{tag}_text", m.text, display=False)

# %% [markdown]
# Equilateral PNG: emulated **{glue:text}`png_eq_emu_verdict`** ({glue:text}`png_eq_emu_text`);
# CPU-simulated **{glue:text}`png_eq_sim_verdict`** ({glue:text}`png_eq_sim_text`).
# Local PNG: emulated **{glue:text}`png_lc_emu_verdict`** ({glue:text}`png_lc_emu_text`);
# CPU-simulated **{glue:text}`png_lc_sim_verdict`** ({glue:text}`png_lc_sim_text`).
#
# ## Summary
# - Transfer pays where the new suite still varies what the pre-trained network knows (equilateral
#   PNG: four ΛCDM parameters plus one new one), on both tiers, carried by the ΛCDM parameters.
# - With ΛCDM fixed (local PNG) the scorecard's rule finds no gain on either tier, but the emulated
#   tier's curves are not flat ties: transfer loses at {glue:text}`png_lc_emu_loses` and gains at the
#   larger budgets (savings {glue:text}`png_lc_emu_savings`).
# - Whether f_NL itself is learned depends on the volume: a per-cent response against one box's
#   sample variance. The emulated tier reaches Quijote's volume with an engine-calibrated mean
#   response; it cannot carry what a smooth response leaves out (the verdicts above say which
#   finding holds on which tier).
# - The simulated suites: `cosmotransfer simulate png_eq --tier simulated --preset cpu` (or `--device
#   cuda` for the Quijote-size preset); the emulated ones: `cosmotransfer simulate png_eq --tier
#   emulated`, after `cosmotransfer validate-engine png --preset book` made the response table.
#
# ### What's next
# {doc}`06_architectures` compares the four ways of transferring on every case.

# %% [markdown]
# ```{admonition} Re-run this chapter
# `cosmotransfer book --only 05 --scale smoke -p SEED=1 --out my-book` executes this chapter
# again — at any scale, with any of the parameters of its first code cell (`-p NAME=VALUE`) —
# into `my-book/book/05_png.ipynb`; without `--only` it executes and builds the whole book.
# ```
