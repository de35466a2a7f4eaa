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
#
# ## Prerequisites
# | Concept | Importance | Notes |
# | --- | --- | --- |
# | [Introduction](intro.md) | Necessary | what the paper asks |
# | Latin hypercubes and Sobol sequences | Helpful | `scipy.stats.qmc` |
# | Matter power spectrum estimators | Helpful | Pylians binning conventions |
#
# - **Time to run:** seconds at every scale (nothing here trains or simulates).

# %% tags=["parameters"]
SCALE = "book"
SEED = 0

# %% [markdown]
# ## Imports

# %%
import matplotlib.pyplot as plt
from myst_nb import glue

from cosmotransfer.config import get_scale
from cosmotransfer.figures.data import design_corner, kgrid_figure, split_figure, suite_table
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
# ## Summary
# - Five suites, drawn deterministically, each point with its own simulation seed.
# - One fixed 70/15/15 split per suite; fine-tuning sets are nested.
# - 79 Quijote k bins, computed from the lattice.
#
# ### What's next
# The suites' spectra come from two data tiers — simulated (particle mesh) and emulated (theory
# plus the sample variance of one box); the {doc}`design` page says which tier each chapter uses.
