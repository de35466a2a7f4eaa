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
# # The data: five suites and one k grid
#
# ## Overview
# The paper pre-trains on a large ΛCDM suite and fine-tunes on four smaller beyond-ΛCDM suites.
# This chapter lays out those suites as this book builds them: which parameters each one varies,
# how its points are drawn, how it is split into training, validation and test sets, and the
# 79-bin k grid on which every power spectrum is measured.
#
# 1. The five suite designs
# 2. Splits and nested fine-tuning sets
# 3. The k binning
# 4. The simulated tier: particle-mesh runs
#
# ## Prerequisites
# | Concept | Importance | Notes |
# | --- | --- | --- |
# | [Introduction](intro.md) | Necessary | what the paper asks |
# | Latin hypercubes and Sobol sequences | Helpful | `scipy.stats.qmc` |
# | Matter power spectrum estimators | Helpful | Pylians binning conventions |
#
# - **Time to run:** seconds at the smoke scale; about a minute at the book scale (three
#   particle-mesh runs on the CPU).

# %% tags=["parameters"]
SCALE = "book"
SEED = 0

# %% [markdown]
# ## Imports

# %%
import matplotlib.pyplot as plt
import numpy as np
from myst_nb import glue

from cosmotransfer.config import fiducial_vector, get_scale, with_params
from cosmotransfer.cosmology import nonlinear_power
from cosmotransfer.figures.data import design_corner, kgrid_figure, split_figure, suite_table
from cosmotransfer.figures.sim import density_slices, ratio_to_theory, spectra
from cosmotransfer.sim import simulate_fields
from cosmotransfer.stats import kbins
from cosmotransfer.suites import SUITES, split

scale = get_scale(SCALE)

# %% [markdown]
# ## The five suite designs
#
# Each suite mirrors one Quijote suite: the same parameters, priors, sampling scheme and size.
# Points come from `scipy.stats.qmc` with a fixed seed per suite, and point *i* of a suite is
# simulated with its own seed (`seed_base + i`), so a design point means the same simulation at
# every scale and on every machine.

# %%
table = suite_table()
for name, s in SUITES.items():
    glue(f"n_{name}", s.n, display=False)
table

# %% [markdown]
# The pre-training suite `bsq` has {glue:text}`n_bsq` points; the fine-tuning suites have
# {glue:text}`n_nwlh` (massive neutrinos and $w$), {glue:text}`n_mg` (f(R) with massive
# neutrinos), and {glue:text}`n_png_eq` / {glue:text}`n_png_lc` (equilateral and local primordial
# non-Gaussianity). Below, each suite's points projected on every pair of its varied parameters.

# %%
for name, s in SUITES.items():
    fig = design_corner(s, n=scale.n_suite.get(name) or s.n_used)
    plt.show()

# %% [markdown]
# The local-PNG suite varies a single parameter: its ΛCDM parameters sit at the fiducial
# cosmology, so a network pre-trained on ΛCDM has nothing to reuse there — the control case of
# the paper.
#
# ## Splits and nested fine-tuning sets
#
# Every suite is split once, with a fixed seed, into a 70% training pool, 15% validation and 15%
# test. A fine-tuning set of size N is the first N points of the shuffled pool, so the sets are
# nested and validation and test never change with N.

# %%
sp = split("nwlh", scale.n_suite.get("nwlh"))
glue("nwlh_pool", len(sp.pool), display=False)
glue("nwlh_test", len(sp.test), display=False)
fig = split_figure(SUITES["nwlh"], sp, scale.budgets)
plt.show()

# %% [markdown]
# At this scale the neutrino suite's training pool holds {glue:text}`nwlh_pool` simulations and
# its test set {glue:text}`nwlh_test`.
#
# ## The k binning
#
# Power spectra are measured as in Quijote (Pylians): spherical shells of width
# $k_F = 2\pi/L$ in a $L = 1\,h^{-1}$Gpc box, the DC mode dropped, each bin reported at the mean
# $|k|$ of its modes, and bins kept up to $k = 0.5\,h$/Mpc. The grid is computed by counting the
# lattice modes of every shell — nothing is typed in — and the tests check it against the k values
# of the Quijote files.

# %%
kb = kbins()
glue("n_kbins", len(kb), display=False)
glue("k_min", float(kb.k[0]), display=False)
glue("k_max", float(kb.k[-1]), display=False)
glue("first_bin_offset", 100 * float(kb.k[0] / ((kb.index[0] + 0.5) * kb.kf) - 1), display=False)
fig = kgrid_figure(kb)
plt.show()

# %% [markdown]
# The grid has {glue:text}`n_kbins` bins from $k$ = {glue:text}`k_min:.4f` to
# {glue:text}`k_max:.4f` $h$/Mpc. The mode-averaged $k$ of the first bin sits
# {glue:text}`first_bin_offset:.1f`% away from its shell centre, which is why theory spectra are
# averaged over the modes of each bin rather than evaluated at one $k$.
#
# ## The simulated tier: particle-mesh runs
#
# The engine behind the simulated tier (`cosmotransfer.sim`) evolves a random realisation of
# the linear spectrum with a particle-mesh code: counter-based white noise (the same field on a
# CPU and a GPU, and the same large-scale modes at every resolution), second-order Lagrangian
# initial conditions at $z = 9$, FastPM kick-drift-kick steps on a force mesh twice as fine as
# the particle lattice, then P(k) and the marked P(k) on the Quijote grid. At the paper preset
# a run has 256³ particles in a 1 Gpc/$h$ box (a GPU job); this page runs the preset of its
# scale on the CPU.

# %%
sim_preset = scale.sim
cosmologies = {
    "fiducial": fiducial_vector(),
    r"$\sigma_8 = 0.70$": with_params(s8=0.70),
    r"$\Omega_{\rm m} = 0.25$": with_params(Om=0.25),
}
runs = {name: simulate_fields(theta, seed=SEED, preset=SCALE) for name, theta in cosmologies.items()}
fid = runs["fiducial"]
glue("sim_box", float(sim_preset.box), display=False)
glue("sim_particles", int(sim_preset.n_particles), display=False)
glue("sim_mesh", int(sim_preset.n_mesh), display=False)
fig = density_slices(fid.delta, fid.delta_marked, sim_preset.box, title="fiducial cosmology, z = 0")
plt.show()

# %% [markdown]
# At this scale a run has {glue:text}`sim_particles`³ particles on a {glue:text}`sim_mesh`³
# force mesh in a {glue:text}`sim_box:.0f` Mpc/$h$ box. The marked density (right) is the
# density weighted by $m = [(1+\delta_s)/(1+\delta_s+\delta_R)]^p$ with $R = 10$ Mpc/$h$,
# $p = 2$, $\delta_s = 0.25$: it up-weights the underdense regions that the density field
# leaves dark — where massive neutrinos leave their clearest imprint. The grid-like speckle in
# the voids is the particle lattice itself: there the particles have barely moved from their
# initial grid, which is twice as coarse as the mesh the fields are painted on.

# %%
labels = list(runs)
k = fid.k
pk = np.stack([r.pk for r in runs.values()])
mpk = np.stack([r.mpk for r in runs.values()])
fig = spectra(k, pk, mpk, labels)
plt.show()
theory = {
    "HMcode": np.stack([nonlinear_power(theta, k) for theta in cosmologies.values()]),
    "linear": np.stack([r.pk_linear for r in runs.values()]),
}
fig = ratio_to_theory(k, pk, theory, labels)
plt.show()
i01 = int(np.argmin(abs(k - 0.1)))
glue("sim_hmcode_01", float(pk[0, i01] / theory["HMcode"][0, i01]), display=False)

# %% [markdown]
# The simulated spectra follow linear theory on large scales (up to the sample variance of one
# box, the same realisation in every cosmology) and CAMB's HMcode-2020 into the nonlinear
# regime: at $k \approx 0.1\,h$/Mpc the fiducial run is {glue:text}`sim_hmcode_01:.3f` times
# HMcode. The tests check the engine against linear growth (1%), second-order skewness, and
# — at the paper preset — against HMcode and the real Quijote spectra.
#
# ## Summary
# - Five suites, drawn deterministically, each point with its own simulation seed.
# - One fixed 70/15/15 split per suite; fine-tuning sets are nested.
# - 79 Quijote k bins, computed from the lattice.
# - The particle-mesh engine makes P(k) and the marked P(k) that track linear theory and HMcode.
#
# ### What's next
# The suites' spectra come from two data tiers — simulated (particle mesh) and emulated (theory
# plus the sample variance of one box); the {doc}`design` page says which tier each chapter uses.
