"""The one place for numbers: the prior table, the Quijote box, and the scale presets.

Every other module imports its constants from here; nothing below is repeated elsewhere.

* ``PRIORS`` — one row per parameter the book knows (range, fiducial, label, unit). The
  ranges are the *target-scaling* bounds of the paper (Ωb uses [0.02, 0.08] everywhere);
  suites may sample a sub-box of them (see :mod:`cosmotransfer.suites`).
* ``BOX``, ``K_MAX`` — the Quijote summary-statistic conventions.
* ``SCALES`` — named presets: ``smoke`` (tests, seconds), ``book`` (the default: what CI
  builds and publishes), ``paper`` (the full protocol, GPU).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

import numpy as np


class ConfigError(ValueError):
    """A bad name or value in a configuration (unknown scale, suite, parameter, out-of-prior)."""


# --------------------------------------------------------------------------------------
# The prior table
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Param:
    """One cosmological parameter: its prior range ``[lo, hi]``, fiducial value and labels."""

    name: str
    lo: float
    hi: float
    fiducial: float
    label: str  # LaTeX, without the surrounding $
    unit: str = ""
    description: str = ""
    plain: str = ""  # Unicode name for prose and glued text, which cannot carry LaTeX

    @property
    def span(self) -> float:
        return self.hi - self.lo

    def scale(self, x):
        """Min–max scale to [0, 1] with the prior bounds (the network's target space)."""
        return (np.asarray(x, dtype=np.float64) - self.lo) / self.span

    def unscale(self, u):
        """Inverse of :meth:`scale`."""
        return np.asarray(u, dtype=np.float64) * self.span + self.lo


PRIORS: dict[str, Param] = {
    p.name: p
    for p in [
        Param("Om", 0.1, 0.5, 0.3175, r"\Omega_{\rm m}", "", "total matter density", plain="Ωm"),
        Param("Ob", 0.02, 0.08, 0.049, r"\Omega_{\rm b}", "", "baryon density", plain="Ωb"),
        Param("h", 0.5, 0.9, 0.6711, r"h", "", "reduced Hubble constant", plain="h"),
        Param("ns", 0.8, 1.2, 0.9624, r"n_s", "", "primordial spectral index", plain="n_s"),
        Param("s8", 0.6, 1.0, 0.834, r"\sigma_8", "", "linear total-matter σ8 at z=0", plain="σ8"),
        Param("Mnu", 0.0, 1.0, 0.0, r"M_\nu", "eV", "sum of neutrino masses", plain="Mν"),
        Param("w", -1.3, -0.7, -1.0, r"w", "", "dark-energy equation of state", plain="w"),
        Param("fR0", -3e-4, 0.0, 0.0, r"f_{R0}", "", "Hu–Sawicki (n=1) scalaron amplitude", plain="f_R0"),
        Param("fNL_loc", -300.0, 300.0, 0.0, r"f_{\rm NL}^{\rm loc}", "", "local PNG amplitude", plain="f_NL^loc"),
        Param("fNL_equil", -600.0, 600.0, 0.0, r"f_{\rm NL}^{\rm equil}", "", "equilateral PNG amplitude", plain="f_NL^equil"),
    ]
}
#: Parameter order of every full parameter vector (design tables, simulation inputs).
PARAM_NAMES: tuple[str, ...] = tuple(PRIORS)
#: The five ΛCDM parameters every network is pre-trained on.
LCDM_PARAMS: tuple[str, ...] = ("Om", "Ob", "h", "ns", "s8")


def lookup(table: Mapping, name, what: str, kind: type | None = None):
    """``table[name]`` (or ``name`` itself if it already is a ``kind``); otherwise one
    :class:`ConfigError` naming the valid choices, e.g. "unknown suite 'x'; valid suites: …"."""
    if kind is not None and isinstance(name, kind):
        return name
    try:
        return table[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown {what} {name!r}; valid {what}s: {', '.join(table)}") from None


def get_param(name: str) -> Param:
    """The prior row of ``name``; a clear error naming the valid choices otherwise."""
    return lookup(PRIORS, name, "parameter")


def fiducial_vector() -> np.ndarray:
    """(n_params,) float64 — the fiducial cosmology in ``PARAM_NAMES`` order."""
    return np.array([PRIORS[n].fiducial for n in PARAM_NAMES])


def with_params(**values: float) -> np.ndarray:
    """(n_params,) float64 — the fiducial cosmology with some parameters changed (checked against the prior)."""
    theta = fiducial_vector()
    for name, v in values.items():
        check_in_prior(name, v)
        theta[PARAM_NAMES.index(name)] = v
    return theta


def check_in_prior(name: str, values, lo: float | None = None, hi: float | None = None) -> None:
    """Raise :class:`ConfigError` if any of ``values`` lies outside ``[lo, hi]`` (default: the prior)."""
    p = get_param(name)
    lo = p.lo if lo is None else lo
    hi = p.hi if hi is None else hi
    v = np.atleast_1d(np.asarray(values, dtype=np.float64))
    bad = ~np.isfinite(v) | (v < lo) | (v > hi)
    if bad.any():
        raise ConfigError(
            f"{name}={float(v[bad][0]):g} lies outside its prior [{lo}, {hi}] "
            f"({bad.sum()} of {v.size} values); choose a value inside the prior"
        )


# --------------------------------------------------------------------------------------
# Summary-statistic conventions (Quijote / Pylians)
# --------------------------------------------------------------------------------------
BOX = 1000.0  # Mpc/h, side of every Quijote box
K_F = 2.0 * np.pi / BOX  # h/Mpc, fundamental mode and bin width
K_MAX = 0.5  # h/Mpc, largest mode-averaged k kept
N_KBINS = 79  # bins that survive the cut (checked against Quijote in the tests)
#: Marked power spectrum defaults (Massara et al. 2021, used by the paper).
MARK_R = 10.0  # Mpc/h, top-hat smoothing radius
MARK_P = 2.0
MARK_DELTA_S = 0.25
#: The top-hat smoothing windows of the mark (:func:`cosmotransfer.stats.smoothing_window`): the analytic
#: 3(sin x − x cos x)/x³ of a sphere of radius R, or the sphere of mesh cells within R, normalised to unit
#: sum, Fourier-transformed on the mesh (the construction of Pylians' ``smoothing_library`` Top-Hat).
#: ``validate-engine marks`` measures both against the real Quijote files; the analytic one is used.
MARK_WINDOWS = ("analytic", "mesh")
MARK_WINDOW = "analytic"
#: The largest scales of the real LH against CAMB (data chapter, :func:`cosmotransfer.emulate.low_k_excess`):
#: the first ``n_bins`` bins (k ≤ 0.041 h/Mpc), at the ``rows`` lowest-Ωm cosmologies and as many
#: controls nearest Ωm = ``control_Om``; ``rows`` per scale (one CAMB solution each, ~1 s).
LOW_K = {"n_bins": 6, "control_Om": 0.3, "rows": {"smoke": 3, "book": 10, "paper": 20}}
#: k ranges [h/Mpc] of the marks check's summary: the median over cosmologies of each one's mean ratio
MARK_K_RANGES = ((0.0, 0.15), (0.15, 0.3), (0.3, 0.5))
#: The tier of the real Quijote summaries (shipped in ``data/quijote/``, never generated).
REAL_TIER = "quijote"
#: Relative tolerance between a real Quijote ``k_bins.txt`` and the project's bin centres
#: (the file prints six decimals).
QUIJOTE_K_RTOL = 2e-4

#: The engine checks of the engine page (notebooks/11_engine.py, :mod:`cosmotransfer.sim.validate`): the
#: k [h/Mpc] they read and the tolerances on |P/reference − 1| there (against HMcode-2020, and against Quijote at the corners)
HMCODE_K = (0.1, 0.3, 0.5)
HMCODE_TOLERANCE = (0.03, 0.08, 0.12)
#: The Quijote check: marked P(k) within this of Quijote's (median ratio) on k ≤ ``MPK_K_MAX``
MPK_TOLERANCE = 0.15
MPK_K_MAX = 0.3
#: The physics check: the tolerance on a case's ratio to its reference, by what the case varies
#: (``Mnu_As``: Mν at the fiducial A_s)
PHYSICS_TOLERANCE = {"Mnu": 0.02, "Mnu_As": 0.02, "fR0": 0.03, "s8": 0.02}
#: The expected size of the local-PNG P(k) response: the prototype measurement the engine's physics
#: was specified against (per cent, at f_NL^loc = +100); the engine page draws it beside the engine's
PNG_PROTOTYPE = {"fNL_loc": 100.0, "k": (0.1, 0.3, 0.5), "percent": (0.5, 1.3, 1.7)}
#: The PNG response of the emulated tier (:mod:`cosmotransfer.png_response`), calibrated on paired engine
#: runs (same seed with and without f_NL) at ``preset``: ``n_cosmologies`` latin-hypercube points over the
#: equilateral suite's (Ωm, h, n_s, σ8) prior, the fiducial first, each run Gaussian and at ±f for both
#: shapes, |f| drawn in [``f_min_fraction``, 1] × the prior edge; every ``held_out_every``-th cosmology
#: (from the second) is held out of the fit to measure its error. The fit: R − 1 = f A(k; θ) + f² B(k; θ),
#: A and B linear in θ times (A_s/A_s^fid)^``as_power`` (B: twice the power), polynomials of degree
#: ``k_degree`` in ln k. The one-loop comparison: the bins with ``pt_k_min`` < k ≤ ``pt_k_max`` [h/Mpc]
#: (the first bin of a 500 Mpc/h box has 13 independent modes: the fit is not constrained there), where
#: fit/PT must lie within 1 ± ``pt_tolerance`` (one loop over-predicts towards k ≈ 0.15 at z = 0). The
#: shipped table is also held to a held-out error below every Quijote bin's sample variance in each
#: k range. ``f_ref``: the f_NL at which the pages quote a shape's response.
PNG_RESPONSE = {"preset": "book", "n_cosmologies": 20, "held_out_every": 4, "f_min_fraction": 0.3,
                "design_seed": 107, "seed_base": 950_000, "k_degree": 4, "as_power": 0.75,
                "pt_k_min": 0.025, "pt_k_max": 0.15, "pt_tolerance": 0.3,
                "f_ref": {"local": 100.0, "equilateral": 600.0}}


# --------------------------------------------------------------------------------------
# Scale presets
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SimPreset:
    """Particle-mesh settings of the simulated tier (see :mod:`cosmotransfer.sim`)."""

    box: float  # Mpc/h
    n_particles: int  # per side
    n_mesh: int  # force mesh per side
    n_steps: int
    z_init: float


#: Named particle-mesh presets (``cosmotransfer simulate --preset NAME``); each scale below
#: points at one. All but ``smoke`` keep the paper's resolution — particle spacing 3.9 Mpc/h,
#: force cell 1.95 Mpc/h, 10 steps from z = 9 — and differ only in the box:
#: ``paper`` the Quijote box (GPU; 79 k bins), ``book`` a 500 Mpc/h box (~15 s per simulation on
#: one CPU core; the engine page's physics checks; 39 bins), ``cpu`` a 250 Mpc/h box (~1–3 s per
#: simulation on one core, CAMB included: suites of thousands on a CPU; 19 bins).
SIM_PRESETS: dict[str, SimPreset] = {
    "smoke": SimPreset(box=250.0, n_particles=32, n_mesh=64, n_steps=5, z_init=9.0),
    "cpu": SimPreset(box=250.0, n_particles=64, n_mesh=128, n_steps=10, z_init=9.0),
    "book": SimPreset(box=500.0, n_particles=128, n_mesh=256, n_steps=10, z_init=9.0),
    "paper": SimPreset(box=1000.0, n_particles=256, n_mesh=512, n_steps=10, z_init=9.0),
}

#: Processes that make a missing smoke-scale emulated suite (CAMB is the cost; the machines have 2 cores).
SMOKE_WORKERS = 2
#: The execution backend (:mod:`cosmotransfer.cluster`): a running Dask scheduler is named by
#: ``--scheduler`` or this environment variable (Dask's own convention); connecting to it gives up
#: after ``DASK_CONNECT_TIMEOUT_S`` seconds with an error instead of hanging.
DASK_SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
DASK_CONNECT_TIMEOUT_S = 10
#: Presets whose suites are shipped under ``data/`` (the others go to the cache).
SHIPPED_PRESETS: tuple[str, ...] = ("paper", "cpu")


def get_sim_preset(name: str | SimPreset) -> SimPreset:
    """The simulation preset called ``name``; a clear error naming the valid choices otherwise."""
    return lookup(SIM_PRESETS, name, "preset", SimPreset)


@dataclass(frozen=True)
class TrainConfig:
    """One training stage (nanoGPT-style): where the weights start, the network, the optimiser.

    ``init_from`` is ``"scratch"`` or ``"pretrained:<variant>"`` with variant ``dummy`` (keep
    the pre-trained output layer; its spare dummy rows become the new parameters), ``nodummy``
    (new output layer) or ``frozen`` (frozen pre-trained bottleneck body + new MLP head); every
    layer not frozen is fine-tuned. The mitigations of negative transfer (chapter 08) start like
    ``dummy``: ``l2sp`` > 0 adds ``l2sp`` × the squared distance of the trained weights from where
    fine-tuning started to the loss (L2-SP); ``reinit`` names outputs whose pre-trained rows are
    drawn afresh; ``lora_rank`` > 0 freezes the pre-trained hidden layers and trains low-rank
    adapters beside them, and the output layer; ``rehearsal`` > 0 adds to every epoch ``rehearsal`` × N
    simulations drawn afresh from the pre-training suite's training set (same statistic; the new
    parameters at that suite's values, e.g. Mν = 0). For a ``pretrained:*`` stage the architecture fields
    ``hidden``/``dropout``/``bottleneck`` are those of the pre-trained network, not this config.
    """

    init_from: str = "scratch"
    hidden: tuple[int, ...] = (256, 256)  # hidden widths (1–3 layers in the paper's search)
    dropout: float = 0.1
    n_dummy: int = 0  # extra, zero-loss output nodes (pre-training of the dummy variant)
    bottleneck: int | None = None  # width of a fixed last hidden layer (pre-training of ``frozen``)
    head_hidden: tuple[int, ...] = (64,)  # the new head of the ``frozen`` variant
    lr: float = 1e-3
    weight_decay: float = 1e-4
    betas: tuple[float, float] = (0.5, 0.999)
    batch_size: int = 32
    max_epochs: int | None = None  # None: the scale's max_epochs
    patience: int | None = None  # None: the scale's patience
    l2sp: float = 0.0
    reinit: tuple[str, ...] = ()
    lora_rank: int = 0
    rehearsal: float = 0.0

    def with_(self, **changes) -> "TrainConfig":
        return replace(self, **changes)


#: The transfer variants (see :mod:`cosmotransfer.transfer`); ``scratch`` is the baseline.
VARIANTS: tuple[str, ...] = ("scratch", "dummy", "nodummy", "frozen")
#: Mitigations of negative transfer (chapter 08): the dummy-node variant with one change each —
#: L2-SP (Li, Grandvalet & Davoine 2018: a pull toward the pre-trained weights), the σ8 and new
#: parameters' output rows re-initialised, and low-rank adapters (LoRA, Hu et al. 2021) on frozen
#: pre-trained layers, and rehearsal (joint training with as many ΛCDM simulations as new ones in
#: every epoch, drawn afresh: Robins 1995; the replay of continual learning). ``"new"`` in
#: ``reinit`` stands for the case's new parameters. Rehearsal needs the pre-training statistic to be
#: the fine-tuning one.
MITIGATIONS: dict[str, dict] = {
    "l2sp": {"l2sp": 0.1},
    "reinit": {"reinit": ("s8", "new")},
    "lora": {"lora_rank": 4},
    "rehearsal": {"rehearsal": 1.0},
}
#: The cases chapter 08 tries the mitigations on (the real nwLH: marked P(k) pre-trained on P(k) as
#: the paper, and on the marked P(k) itself; P(k) as the control), and the largest budget they are
#: tried at (the issue's N ≤ 200).
MITIGATION_CASES = ("mnu_p2mpk_q", "mnu_mpk_q", "mnu_pk_q")
MITIGATION_N_MAX = 200
#: Spare (dummy) outputs of the pre-trained network: one per new parameter of the largest case
#: (f(R): Mν and f_R0). They carry no loss, so their number does not change pre-training.
N_DUMMY = 2
#: Where a ΛCDM network can be pre-trained: name → (suite, tier). ``quijote_lh``: the real Quijote
#: latin hypercube (2,000 N-body runs, 1,400 in the train pool); ``emulated_bsq``: the emulated
#: Big Sobol Sequence (CAMB HMcode-2020 + one box's sample variance).
PRETRAIN_SOURCES: dict[str, tuple[str, str]] = {
    "quijote_lh": ("lh", "quijote"),
    "emulated_bsq": ("bsq", "emulated"),
}
#: Quantiles of the band drawn around a median over training seeds (or Optuna trials).
BAND = (0.16, 0.84)
#: The budget the paper quotes its numbers at (the prose quotes the nearest swept one).
REFERENCE_BUDGET = 100
#: The budgets chapter 03 and the landing page quote the real-data savings at: the smallest swept
#: budget and the paper's reference.
QUOTED_BUDGETS = (50, 100)
#: The split of every suite: train pool, validation; the test set takes the rest (15 %).
TRAIN_FRACTION = 0.70
VAL_FRACTION = 0.15


def pool_size(n: int) -> int:
    """The train pool of a suite of ``n`` simulations (the rest is validation and test)."""
    return int(TRAIN_FRACTION * n)


#: Split seed of user-supplied suites (the shipped suites have their own, in ``suites.SUITES``).
USER_SPLIT_SEED = 0
#: Bump when a change to the training code should invalidate the cached networks and results.
TRAINING_VERSION = 1
#: The negative-transfer verdict of a parameter: the geometric mean, over budgets N ≤ ``n_max``, of
#: its median test MSE after transfer over its median MSE from scratch. Above ``worse``: negative
#: transfer; below ``better``: a gain; in between: no clear difference (medians over a few seeds
#: scatter by a few per cent).
TRANSFER_VERDICT = {"n_max": 200, "worse": 1.05, "better": 0.95}
#: Bootstrap of a savings factor over training seeds: draws, and the seed of the resampling.
SAVINGS_BOOTSTRAP = {"draws": 2000, "seed": 0}
#: When a stand-in tier (emulated, CPU-simulated) tells the same story as the real Quijote data: the
#: same verdict, or savings factors on the same side of 1 within this factor of each other.
STAND_IN_AGREEMENT = {"savings_factor": 2.0}
#: A parameter is *not informative* on a data set when neither scratch nor transfer learns it:
#: every variant's median test MSE stays above ``1 − margin`` times the prior-mean MSE (1/12 on the
#: scaled axis) at every budget — near the prior mean, or worse. Its savings factor is then not quoted.
NOT_INFORMATIVE = {"margin": 0.10}
#: The test MSE of always predicting the middle of a uniform prior, on the scaled [0, 1] axis.
PRIOR_MEAN_MSE = 1.0 / 12.0
#: The scorecard's rules (:mod:`cosmotransfer.scorecard`). ``paper_pretrain_total``: the paper's
#: good BSQ network, 0.013 per parameter = 0.066 summed over five; ``pretrain_ratio``: ours over
#: that, reproduced up to the first, partly up to the second; ``paper_savings``: the ≈ 10× of Mν
#: and f(R) with P(k), reproduced from ``paper_savings / savings_tolerance`` on, partly while the
#: band's lower end is above ``clear_gain``; ``most``: the fraction of parameters that must gain
#: for "a gain on nearly all" (``some``: for "partly").
SCORECARD = {"paper_pretrain_total": 0.066, "pretrain_ratio": (1.5, 3.0), "paper_savings": 10.0,
             "savings_tolerance": 2.0, "clear_gain": 1.0, "most": 0.75, "some": 0.5}
@dataclass(frozen=True)
class ShapSettings:
    """How notebook 07 explains a network at one scale.

    ``n_background`` / ``n_explain`` cap the test-set rows used as background and explained
    (``None``: the whole test set); ``n_benchmark`` rows go through every method once to time them.
    """

    method: str
    n_background: int | None
    n_explain: int | None
    n_benchmark: int
    permutation_background: int  # background rows for the (slow) permutation explainer's benchmark


#: SHAP explainer per scale: DeepExplainer where CPU time is short (exactly additive like the paper's permutation
#: values, and ~9× cheaper per simulation at equal background on the book's network), on 300 test
#: rows — the whole test set of a 2,000-simulation suite, a tenth of the ΛCDM suite's; the paper's
#: permutation explainer with the whole test set as background at the paper scale.
SHAP_SETTINGS: dict[str, ShapSettings] = {
    "smoke": ShapSettings(method="deep", n_background=32, n_explain=32, n_benchmark=4, permutation_background=16),
    "book": ShapSettings(method="deep", n_background=300, n_explain=300, n_benchmark=10, permutation_background=100),
    "paper": ShapSettings(method="permutation", n_background=None, n_explain=None, n_benchmark=10,
                          permutation_background=300),
}


@dataclass(frozen=True)
class PosteriorSettings:
    """How the posterior chapter trains and scores its flows at one scale (:mod:`cosmotransfer.posterior`).

    ``cases``: the fine-tuning problems it studies; ``budgets``/``seeds``: its own grid (smaller than the
    point networks': a flow costs several MLPs); ``n_pretrain``: the pre-training size (capped by the
    case's pool); ``transforms``/``flow_hidden``: the spline flow's depth and conditioner widths;
    ``n_samples``: posterior draws per test simulation; ``train``: a :class:`TrainConfig` per stage
    (``pretrain``, ``scratch``, ``finetune``; ``hidden``/``dropout`` are the trunk's). The chapter
    quotes widths at the reference budget and at ``n_wide``, and draws the joint posteriors of
    ``corner_case`` for its test simulations ``corner_sims``.
    """

    cases: tuple[str, ...]
    budgets: tuple[int, ...]
    seeds: tuple[int, ...]
    n_pretrain: int
    n_wide: int
    corner_case: str
    corner_sims: tuple[int, ...]
    transforms: int
    flow_hidden: tuple[int, ...]
    n_samples: int
    train: Mapping[str, TrainConfig]


_FLOW_TRAIN = {
    "pretrain": TrainConfig(hidden=(256, 256), dropout=0.1, lr=1e-3, weight_decay=1e-4, batch_size=128,
                            max_epochs=300, patience=15),
    "scratch": TrainConfig(hidden=(256, 256), dropout=0.1, lr=1e-3, weight_decay=1e-4, batch_size=64,
                           max_epochs=300, patience=15),
    "finetune": TrainConfig(lr=3e-4, weight_decay=1e-4, batch_size=64, max_epochs=300, patience=15),
}
#: The posterior chapter per scale: the real nwLH with P(k) and marked P(k) (each pre-trained on the real
#: LH's own statistic) and the emulated f(R) suite; at the book scale budgets to 400 and three seeds (CI time).
#: Batches of 64 (128 in pre-training) and 150 draws per test simulation: a flow step and a draw cost several
#: MLP steps on the CPU.
POSTERIOR_SETTINGS: dict[str, PosteriorSettings] = {
    # a small trunk and flow, but pre-trained long enough to beat the flat prior (the tests check it)
    "smoke": PosteriorSettings(cases=("mnu_pk_q", "mnu_mpk_q", "fr_pk"), budgets=(50, 100), seeds=(0,), n_pretrain=700,
                               n_wide=50, corner_case="mnu_mpk_q", corner_sims=(0, 1),
                               transforms=2, flow_hidden=(32, 32), n_samples=100,
                               train={"pretrain": _FLOW_TRAIN["pretrain"].with_(hidden=(64, 64), max_epochs=40, patience=5),
                                      "scratch": _FLOW_TRAIN["scratch"].with_(hidden=(64, 64), max_epochs=20, patience=5),
                                      "finetune": _FLOW_TRAIN["finetune"].with_(max_epochs=20, patience=5)}),
    "book": PosteriorSettings(cases=("mnu_pk_q", "mnu_mpk_q", "fr_pk"), budgets=(100, 200, 400),
                              seeds=(0, 1, 2), n_pretrain=2000, n_wide=400, corner_case="mnu_mpk_q", corner_sims=(0, 1), transforms=3, flow_hidden=(64, 64), n_samples=150,
                              train=_FLOW_TRAIN),
    "paper": PosteriorSettings(cases=("mnu_pk_q", "mnu_mpk_q", "fr_pk"), budgets=(50, 75, 100, 125, 150, 200, 400, 700),
                               seeds=(0, 1, 2, 3, 4), n_pretrain=22000, n_wide=400, corner_case="mnu_mpk_q",
                               corner_sims=(0, 1), transforms=5, flow_hidden=(128, 128),
                               n_samples=2000, train={k: v.with_(max_epochs=1000, patience=50) for k, v in _FLOW_TRAIN.items()}),
}
#: How the posterior chapter words a change from scratch to transfer: a 68 % width changes when the ratio
#: moves more than ``width`` from 1; the bias z̄ and the rms of z when they move more than ``z``; a joint
#: posterior is tilted when the median |correlation| of its two parameters exceeds ``tilt``.
POSTERIOR_CHANGE = {"width": 0.05, "z": 0.1, "tilt": 0.2}
#: The posterior variants: a flow from scratch, and one transferred from the ΛCDM posterior (dummy dimensions).
POSTERIOR_VARIANTS = ("scratch", "dummy")
#: How a posterior is scored (:func:`cosmotransfer.posterior.evaluate`): the credibility levels of its central
#: intervals, the number of TARP credibility values (0 to 1), and a version that changes with the scoring
#: code, so that cached scores are redone when it changes.
COVERAGE_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.68, 0.7, 0.8, 0.9, 0.95)
TARP_N_ALPHA = 21
EVALUATION_VERSION = 1
#: Bins per axis of the smoothed 2-D histogram whose 68 % and 95 % contours the joint posteriors show.
CORNER_BINS = 24
#: SHAP (notebook 07 and the scorecard): bins at k ≥ ``SHAP_K_SMALL`` h/Mpc are "small scales";
#: a sign flip counts only where both curves exceed ``SHAP_FLIP_THRESHOLD`` of their maximum.
SHAP_K_SMALL = 0.2
SHAP_FLIP_THRESHOLD = 0.1
#: The cases chapter 06 compares every variant on (all four variants each): the stand-ins, and the
#: real nwLH with P(k) and with the marked P(k).
RANKING_CASES = ("mnu_pk", "mnu_mpk", "mnu_pk_sim", "fr_pk", "png_eq", "png_lc", "mnu_pk_q", "mnu_mpk_q")
#: Training seeds per point of that comparison: the first ``RANKING_SEEDS`` of the scale's (CI time: its
#: no-dummy and frozen runs on eight cases were a fifth of the book's training at five seeds).
RANKING_SEEDS = 3
#: The degeneracy audit (:mod:`cosmotransfer.audit`, chapter 08): the cases whose new parameters it
#: predicts, and the bootstrap of its rank correlations (over fine-tuning suites).
#: The scale cuts k_max [h/Mpc] of the authors' revision runs below the full ``K_MAX`` = 0.5: the real
#: nwLH cases ``mnu_pk_q_k01`` … ``mnu_mpk_q_k03`` (pre-trained on the real LH with the same cut).
KMAX_CUTS = (0.1, 0.3)
AUDIT_CASES = ("mnu_pk_q", "mnu_pk_q_emu", "mnu_mpk_q", "mnu_p2mpk_q", "mnu_p2mpk_q_emu", "mnu_pk_q_k01", "mnu_pk_q_k03",
               "mnu_mpk_q_k01", "mnu_mpk_q_k03", "mnu_pk", "mnu_pk_sim", "mnu_mpk", "fr_pk", "png_eq", "png_lc")
AUDIT_BOOTSTRAP = {"draws": 2000, "seed": 0, "band": BAND}
#: The fair baseline (chapter 10): at every budget N, each variant's config is chosen on the
#: validation set from this grid — the same for every case and scale without Optuna searches —
#: by one run with the sweep's first training seed; the chosen config then trains with every seed.
#: Per training stage: the values each field takes (every combination is tried). The book scale's
#: fixed config is one point of each grid, so there tuning can only lower the validation MSE.
TUNING_GRID: dict[str, dict[str, tuple]] = {
    "scratch": {"lr": (3e-4, 1e-3, 3e-3), "weight_decay": (1e-4, 1e-2), "hidden": ((128, 128), (256, 256))},
    "finetune": {"lr": (1e-4, 3e-4, 1e-3), "weight_decay": (1e-4, 1e-2)},
}
#: The cases whose savings chapter 10 re-measures with the tuned baseline (the real Mν): the grid search
#: costs minutes per case on the CI machine. The emulated f(R) case left the list for CI time: its grid
#: (budgets to 1,400) took six of the book's minutes on 2 cores and moved its savings by 0.95–1.01×.
TUNED_CASES = ("mnu_pk_q",)
#: Width of the bottleneck layer the frozen variant's pre-trained network ends in (the paper's 10).
BOTTLENECK = 10


@dataclass(frozen=True)
class Scale:
    """One named preset for every stage of the book.

    ``n_suite`` caps how many design points of a suite a stage uses (``None``: all);
    ``budgets`` is the fine-tuning grid N; ``seeds`` the training seeds for the bands.
    ``train`` holds one :class:`TrainConfig` per training stage — ``pretrain`` (the ΛCDM
    network), ``scratch`` (the baseline), ``finetune`` (dummy / no-dummy variants) and ``head``
    (the frozen variant's new head); read them with :meth:`stage`. With ``optuna_trials`` > 0
    (the paper scale) they are the starting points of the searches in :mod:`cosmotransfer.hpo`.
    ``threads``: torch CPU threads per training process (``None``: torch's default);
    ``workers``: training runs of a sweep that go on at once, on local Dask worker processes.
    ``sim`` is the preset the engine page runs its engine checks at; ``suite_preset`` names the preset
    of the simulated-tier suite files the notebooks read (marked P(k), PNG, and the simulated
    P(k) cases), ``n_simulated`` how many simulations of each they use (``None``: ``n_suite``).
    """

    name: str
    description: str
    sim: SimPreset
    tier: str  # data tier the notebooks read by default: "emulated" or "simulated"
    n_suite: Mapping[str, int | None] = field(default_factory=dict)
    suite_preset: str = "paper"
    n_simulated: Mapping[str, int] = field(default_factory=dict)
    n_pretrain: tuple[int, ...] = (2000,)
    budgets: tuple[int, ...] = (50, 75, 100, 125, 150, 200, 400, 800, 1400)
    seeds: tuple[int, ...] = (0,)
    max_epochs: int = 1000
    patience: int = 50
    optuna_trials: int = 0  # 0: use the tuned defaults
    train: Mapping[str, TrainConfig] = field(default_factory=dict)
    threads: int | None = None
    workers: int = 1

    def with_(self, **changes) -> "Scale":
        return replace(self, **changes)

    def suite_size(self, suite: str, tier: str) -> int | None:
        """Simulations of ``suite`` the scale reads from a ``tier`` file (``None``: the whole design,
        or for the real ``quijote`` tier the whole file, whatever the scale)."""
        if tier == REAL_TIER:
            return None
        if tier == "simulated" and suite in self.n_simulated:
            return self.n_simulated[suite]
        return self.n_suite.get(suite)

    def pretrain_sizes(self, tier: str, suite: str = "bsq") -> tuple[int, ...]:
        """The pre-training sizes of ``n_pretrain`` — training-set sizes — that the train pool of a
        ``tier`` pre-training suite holds at this scale (the whole pool when it holds none of them)."""
        have = self.suite_size(suite, tier)
        if have is None:
            return tuple(self.n_pretrain)
        pool = pool_size(have)
        return tuple(n for n in self.n_pretrain if n <= pool) or (pool,)

    def stage(self, name: str) -> TrainConfig:
        """The training config of one stage, with the scale's epoch cap and patience filled in."""
        try:
            cfg = self.train[name]
        except KeyError:
            raise ConfigError(f"scale {self.name!r} has no training stage {name!r}; stages: {', '.join(self.train)}") from None
        return cfg.with_(max_epochs=cfg.max_epochs or self.max_epochs, patience=cfg.patience or self.patience)


SCALES: dict[str, Scale] = {
    "smoke": Scale(
        name="smoke",
        description="tests and CI: tiny suites, a few epochs; seconds per notebook",
        sim=SIM_PRESETS["smoke"],
        tier="emulated",
        n_suite={"bsq": 256, "nwlh": 256, "mg": 256, "png_eq": 256, "png_lc": 256},
        # the first rows of the shipped CPU-preset suites (nothing to simulate in the tests)
        suite_preset="cpu",
        n_pretrain=(64, 128),
        budgets=(50, 100),
        seeds=(0,),
        max_epochs=20,
        patience=5,
        train={
            "pretrain": TrainConfig(hidden=(64, 64), dropout=0.1, lr=1e-3, weight_decay=1e-4),
            "scratch": TrainConfig(hidden=(64, 64), dropout=0.1, lr=1e-3, weight_decay=1e-4),
            "finetune": TrainConfig(lr=3e-4, weight_decay=1e-4),
            "head": TrainConfig(head_hidden=(32,), dropout=0.0, lr=1e-3, weight_decay=1e-4),
        },
        threads=1,
    ),
    "book": Scale(
        name="book",
        description="the published book: shipped emulated suites, CPU training within the CI budget",
        sim=SIM_PRESETS["book"],
        tier="emulated",
        # the shipped emulated suites: the whole 32,768-point BSQ (train pool 22,937), pre-trained on
        # 2,000 and on 22,000 training simulations as in the paper
        n_suite={"bsq": 32768, "nwlh": 2000, "mg": 2000, "png_eq": 1000, "png_lc": 1000},
        # marked P(k) (and the simulated P(k) beside it) from the shipped CPU-preset suites: the
        # paper's resolution in a 250 Mpc/h box, made on the 2-core CPU
        suite_preset="cpu",
        n_simulated={"bsq": 2000, "nwlh": 1000},
        n_pretrain=(2000, 22000),
        # the paper's protocol without the Optuna searches: its budget grid, 1,000 epochs, patience
        # 50, five seeds. Measured: all training of notebooks 02–06 took 16 min on the shared 2-core
        # dev machine (2 worker processes, other jobs running).
        budgets=(50, 75, 100, 125, 150, 200, 400, 800, 1400),
        seeds=(0, 1, 2, 3, 4),
        max_epochs=1000,
        patience=50,
        train={
            "pretrain": TrainConfig(hidden=(256, 256), dropout=0.1, lr=1e-3, weight_decay=1e-4),
            "scratch": TrainConfig(hidden=(256, 256), dropout=0.1, lr=1e-3, weight_decay=1e-4),
            "finetune": TrainConfig(lr=3e-4, weight_decay=1e-4),
            "head": TrainConfig(head_hidden=(128,), dropout=0.2, lr=8e-4, weight_decay=1e-4),
        },
        # small networks: two single-threaded training processes beat one two-threaded one
        threads=1,
        workers=2,
    ),
    "paper": Scale(
        name="paper",
        description="the paper's protocol: full suites, Optuna searches, 1000 epochs (GPU)",
        sim=SIM_PRESETS["paper"],
        tier="simulated",
        n_suite={"bsq": 32768, "nwlh": 2000, "mg": 2000, "png_eq": 1000, "png_lc": 1000},
        n_pretrain=(2000, 22000),
        budgets=(50, 75, 100, 125, 150, 200, 400, 800, 1400),
        seeds=(0, 1, 2, 3, 4),
        max_epochs=1000,
        patience=50,
        optuna_trials=100,
        # starting points of the Optuna searches (the paper's good BSQ network for pre-training)
        train={
            "pretrain": TrainConfig(hidden=(400, 440, 210), dropout=0.25, lr=4e-4, weight_decay=1e-4),
            "scratch": TrainConfig(hidden=(400, 440, 210), dropout=0.25, lr=4e-4, weight_decay=1e-4),
            "finetune": TrainConfig(lr=1e-4, weight_decay=1e-4),
            "head": TrainConfig(head_hidden=(128, 128), dropout=0.1, lr=4e-4, weight_decay=1e-4),
        },
        # several searches share the GPU at once (small networks leave it mostly idle)
        threads=2,
        workers=4,
    ),
}
DEFAULT_SCALE = "book"


def get_scale(name: str | Scale = DEFAULT_SCALE) -> Scale:
    """The preset called ``name``; a clear error naming the valid choices otherwise."""
    return lookup(SCALES, name, "scale", Scale)
