"""Posteriors instead of points: a conditional normalising flow on an MLP trunk's features.

The point networks of the book predict one value per parameter and are scored by MSE. A
:class:`PosteriorNet` keeps the same trunk — standardised summaries ``x: (batch, n_k)`` through the
hidden layers of an :class:`~cosmotransfer.models.MLP` — and puts a conditional neural spline flow
(``zuko.flows.NSF``; Durkan et al. 2019) on its features instead of the output layer: the density
q(θ̂ | x) of the scaled targets θ̂ ∈ [0, 1]^d (the prior table's min–max scaling). It trains with the
shared loop (:func:`cosmotransfer.train.fit`) on the negative log density of the truth, so a
pre-trained trunk transfers to it as to a point network.

zuko rather than sbi: the flow has to sit on a trunk that is pre-trained and fine-tuned by this
book's own loop and cache; zuko is a small flow library of plain ``torch.nn`` modules, while sbi
brings its own training loop and density-estimator wrappers.

What a posterior is scored by (:func:`posterior_metrics`) on held-out simulations:

* the mean log density of the truth (higher is better; a uniform prior scores 0 on the unit cube);
* the width of each parameter's central 68 % interval, from samples;
* the coverage of central intervals: the fraction of simulations whose true value lies in the
  interval of credibility α, against α — a calibrated posterior lies on the diagonal, an
  over-confident one below it (the marginal version of simulation-based calibration, Talts et al.
  2018);
* the joint expected coverage of TARP (Lemos, Coogan et al. 2023, :func:`tarp_coverage`);
* the standardised error of the posterior mean, z = (mean − truth) / std per parameter: its mean
  over simulations is a bias, its rms above 1 an over-confidence.

Transfer, as for the point networks (:mod:`cosmotransfer.transfer`): the ΛCDM posterior is pre-trained
with one *dummy dimension* per new parameter, filled with uniform noise independent of the summaries
(so the flow learns a flat, prior-like marginal there); fine-tuning on the beyond-ΛCDM suite puts the
new parameters into those dimensions and trains everything (:func:`pretrain_posterior`,
:func:`posterior_run`, :func:`posterior_sweeps`; settings: ``config.POSTERIOR_SETTINGS``).
"""
from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
import zuko
from torch import nn

from . import __version__, paths
from .cluster import fan_out
from .config import (BAND, CORNER_BINS, COVERAGE_LEVELS, EVALUATION_VERSION, POSTERIOR_CHANGE, POSTERIOR_SETTINGS, POSTERIOR_VARIANTS,
                     PRIORS, TARP_N_ALPHA, TRAINING_VERSION, ConfigError, PosteriorSettings, TrainConfig, get_scale,
                     lookup, pool_size)
from .datasets import LearningSet
from .models import hidden_stack
from .store import atomic_write, stable_hash
from .suites import get_suite
from .sweeps import case_data, pretrain_data, scratch_n_at
from .train import default_device, fit
from .transfer import Case, get_case


class PosteriorNet(nn.Module):
    """``body`` (hidden layers; their output has ``n_features`` units) → a conditional spline flow
    over ``n_targets`` scaled parameters. ``transforms``/``hidden``: the flow's depth and the widths
    of its conditioner networks. Each transform is a coupling layer (``passes=2``: half the
    dimensions conditioned on the other half, alternating), so a draw costs two conditioner passes
    per transform instead of one per dimension (d/2 times cheaper sampling in d dimensions)."""

    def __init__(self, body: nn.Sequential, n_features: int, n_targets: int, transforms: int = 3,
                 hidden: tuple[int, ...] = (64, 64)):
        super().__init__()
        self.body = body
        self.flow = zuko.flows.NSF(features=n_targets, context=n_features, transforms=transforms,
                                   hidden_features=hidden, passes=2)

    def log_prob(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(batch,) log q(y | x)."""
        return self.flow(self.body(x)).log_prob(y)

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The training loss of :func:`cosmotransfer.train.fit`: the mean negative log density."""
        return -self.log_prob(x, y).mean()

    @torch.no_grad()
    def sample(self, x: torch.Tensor, n: int) -> torch.Tensor:
        """(n, batch, n_targets) draws from q(· | x)."""
        return self.flow(self.body(x)).sample((n,))


@dataclass(frozen=True)
class PosteriorMetrics:
    """Held-out scores of a posterior: ``log_density`` (mean log q(θ̂_true | x)), ``width`` (n_targets,)
    mean 68 % interval width on the scaled axis, ``levels`` and ``coverage`` (n_levels, n_targets)
    the empirical coverage of central intervals at each credibility level, ``n`` simulations."""

    log_density: float
    width: np.ndarray
    levels: np.ndarray
    coverage: np.ndarray
    n: int

    def coverage_error(self) -> np.ndarray:
        """(n_targets,) max |empirical − expected| coverage over the levels, per parameter."""
        return np.abs(self.coverage - self.levels[:, None]).max(axis=0)

    def coverage_band(self) -> np.ndarray:
        """(n_levels,) the binomial standard error of an empirical coverage at each level."""
        return np.sqrt(self.levels * (1 - self.levels) / self.n)


@torch.no_grad()
def draw(net: PosteriorNet, x, y, n_samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(log q of the truths (n,), draws (n_samples, n, n_targets)) for held-out ``x`` (n, n_k) and
    scaled truths ``y`` (n, n_targets); the draws seeded."""
    net.eval()
    xt = torch.as_tensor(np.asarray(x, np.float32))
    yt = torch.as_tensor(np.asarray(y, np.float32))
    torch.manual_seed(seed)
    return net.log_prob(xt, yt).numpy(), net.sample(xt, n_samples).numpy()


def scores(logq: np.ndarray, draws: np.ndarray, y, levels=COVERAGE_LEVELS) -> PosteriorMetrics:
    """:class:`PosteriorMetrics` from the log densities of the truths ``logq`` (n,), posterior
    ``draws`` (n_samples, n, d) and the truths ``y`` (n, d)."""
    y = np.asarray(y, np.float64)
    lo68, hi68 = np.quantile(draws, [0.16, 0.84], axis=0)
    # the rank of the truth among the draws → the central interval it first falls in
    below = (draws < y[None]).mean(axis=0)  # (n, d) in [0, 1]
    central = np.abs(2 * below - 1)  # the smallest central credibility containing the truth
    levels = np.asarray(levels, dtype=np.float64)
    coverage = (central[None] <= levels[:, None, None]).mean(axis=1)  # (n_levels, d)
    return PosteriorMetrics(float(logq.mean()), (hi68 - lo68).mean(axis=0), levels, coverage, len(y))


def posterior_metrics(net: PosteriorNet, x, y, n_samples: int = 500, seed: int = 0,
                      levels=COVERAGE_LEVELS) -> PosteriorMetrics:
    """Score ``net`` on held-out ``x`` (n, n_k) and true scaled targets ``y`` (n, n_targets), with
    ``n_samples`` posterior draws per simulation (seeded)."""
    return scores(*draw(net, x, y, n_samples, seed), y, levels)


def tarp_coverage(draws: np.ndarray, truth: np.ndarray, seed: int = 0,
                  n_alpha: int = TARP_N_ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """The expected coverage of TARP (Lemos, Coogan et al. 2023) on the unit cube of scaled parameters.

    ``draws`` (n_samples, n, d) posterior draws, ``truth`` (n, d); one reference point per simulation,
    uniform on the cube (the prior, seeded). For each simulation, f = the fraction of draws closer to
    its reference than the truth is; a calibrated posterior has f uniform, so the fraction of
    simulations with f ≤ α equals α. Returns (α, expected coverage), each (n_alpha,).
    """
    ref = np.random.default_rng(seed).uniform(0, 1, truth.shape)
    d_draws = np.sqrt(((draws - ref[None]) ** 2).sum(axis=-1))  # (n_samples, n)
    d_truth = np.sqrt(((truth - ref) ** 2).sum(axis=-1))  # (n,)
    f = (d_draws < d_truth[None]).mean(axis=0)
    alpha = np.linspace(0, 1, n_alpha)
    return alpha, (f[None] <= alpha[:, None]).mean(axis=1)  # ≤: the coverage at α = 1 is 1


# --------------------------------------------------------------------------------------
# Posteriors of the book's cases: pre-training with dummy dimensions, fine-tuning, sweeps
# --------------------------------------------------------------------------------------
def posterior_settings(scale) -> PosteriorSettings:
    """The posterior chapter's settings at a scale (by the scale's name)."""
    return lookup(POSTERIOR_SETTINGS, get_scale(scale).name, "scale with posterior settings")


def flow_order(case: Case | str) -> tuple[str, ...]:
    """The flow's dimensions: the pre-training targets, then the case's new parameters in the dummy
    dimensions. A case that drops a ΛCDM target has no place in this layout (ConfigError)."""
    case = get_case(case)
    pre = tuple(t for t in PRIORS if t in get_suite(case.pretrain_suite).targets)
    missing = [t for t in pre if t not in case.targets]
    if missing:
        raise ConfigError(f"case {case.name!r} does not infer {', '.join(missing)}: posterior transfer needs every "
                          "pre-training target among the case's targets")
    return pre + case.new_params


def _flow_config(st: PosteriorSettings) -> dict:
    return {"transforms": st.transforms, "flow_hidden": list(st.flow_hidden)}


def new_posterior(n_in: int, n_dims: int, cfg: TrainConfig, st: PosteriorSettings, seed: int) -> PosteriorNet:
    """A freshly initialised trunk (``cfg.hidden``, ``cfg.dropout``) + flow over ``n_dims`` (seeded)."""
    torch.manual_seed(seed)
    body, width = hidden_stack(n_in, tuple(cfg.hidden), cfg.dropout)
    return PosteriorNet(body, width, n_dims, transforms=st.transforms, hidden=tuple(st.flow_hidden))


@dataclass
class PretrainedPosterior:
    """A ΛCDM posterior network with ``n_dummy`` dummy dimensions, its cache key and what made it."""

    net: PosteriorNet
    key: str
    info: dict


def _config(cfg: TrainConfig) -> dict:
    return json.loads(json.dumps(asdict(cfg)))


#: The dummy noise's own random stream (beside the training seed), so it never repeats the split's or
#: the initialisation's draws.
DUMMY_STREAM = 7


def _dummies(n: int, n_dummy: int, seed: int) -> np.ndarray:
    """(n, n_dummy) float32 uniform noise: the dummy dimensions' targets in pre-training."""
    return np.random.default_rng([seed, DUMMY_STREAM]).uniform(0, 1, (n, n_dummy)).astype(np.float32)


def flat_prior_log_density(suite: str, order: tuple[str, ...]) -> float:
    """The mean log density (scaled axes, as :func:`evaluate` reports it) of the flat prior a suite's
    design samples from, over the flow dimensions ``order``: −Σ ln(width of the sampled range on the
    scaled axis). A parameter the suite samples over less than its prior-table range (Ωb of the
    latin hypercubes, Mν from 0.01 eV) scores above 0; a dummy dimension (not in the suite) scores 0."""
    varied = get_suite(suite).varied
    total = -sum(np.log((varied[t][1] - varied[t][0]) / PRIORS[t].span) for t in order if t in varied)
    return round(float(total), 12) + 0.0  # + 0.0: a suite drawn from the whole table scores 0, not −0


def flat_prior_widths(suite: str, params) -> dict[str, float]:
    """The 68 % width of a flat prior over each parameter's sampled range in a suite (parameter units):
    what a posterior that learnt nothing would report."""
    varied = get_suite(suite).varied
    return {p: 0.68 * (varied[p][1] - varied[p][0]) for p in params}


def pretrain_posterior(case: Case | str, scale, seed: int = 0, device: str | None = None) -> PretrainedPosterior:
    """The (cached) ΛCDM posterior of a case's pre-training suite and statistic: trunk + flow over the
    pre-training targets and one uniform-noise dummy dimension per new parameter, trained on the first
    ``n_pretrain`` simulations of the pool (capped by it) and tested on the suite's test set."""
    case, st = get_case(case), posterior_settings(scale)
    ls = pretrain_data(case, scale)
    n_train = min(st.n_pretrain, pool_size(len(ls)))
    order = flow_order(case)
    n_dummy = len(case.new_params)
    lcdm = order[: len(order) - n_dummy]
    cfg = st.train["pretrain"]
    key = stable_hash({"stage": "posterior-pretrain", "data": ls.key, "n_train": n_train, "config": _config(cfg),
                       "flow": _flow_config(st), "n_dummy": n_dummy, "seed": seed, "training": TRAINING_VERSION})
    folder = paths.cache_dir("posterior", key)
    net = new_posterior(ls.x.shape[1], len(order), cfg, st, seed)
    if (folder / "info.json").is_file():
        net.load_state_dict(torch.load(folder / "model.pt", map_location="cpu", weights_only=True))
        return PretrainedPosterior(net.eval(), key, json.loads((folder / "info.json").read_text()))
    y = np.concatenate([_flow_targets(ls, lcdm), _dummies(len(ls), n_dummy, seed)], axis=1)
    rows = ls.split.train(n_train)
    device = device or default_device()
    hist = fit(net, ls.x[rows], y[rows], ls.x[ls.split.val], y[ls.split.val], cfg, seed=seed, device=device)
    net.cpu().eval()
    test = ls.split.test
    with torch.no_grad():
        logq = float(net.log_prob(torch.as_tensor(ls.x[test]), torch.as_tensor(y[test])).mean())
    info = {"case": case.name, "suite": ls.suite, "stat": ls.stat, "order": list(order), "n_dummy": n_dummy,
            "n_train": n_train, "data_key": ls.key, "config": _config(cfg), "flow": _flow_config(st), "seed": seed,
            "device": device, "test_log_density": logq, "flat_prior_log_density": flat_prior_log_density(ls.suite, order),
            "history": hist.as_dict()}
    atomic_write(folder / "model.pt", lambda tmp: torch.save(net.state_dict(), tmp))
    atomic_write(folder / "info.json", lambda tmp: tmp.write_text(json.dumps(info, indent=1) + "\n"))
    return PretrainedPosterior(net, key, info)


def _task(threads: int | None, cache, kind: str, *args):
    """One unit of posterior work on a worker, with the caller's threads and cache: a pre-training
    (``kind`` "pretrain", ``args`` = case, scale, seed) or a run ("run": case, scale, variant, N, seed, pre)."""
    if threads:
        torch.set_num_threads(threads)
    paths.CACHE_DIR = cache
    if kind == "pretrain":
        case, scale, seed = args
        return pretrain_posterior(case, scale, seed=seed)
    case, scale, variant, n, seed, pre = args
    return posterior_run(case, scale, variant, n, seed=seed, pre=pre)


def pretrain_posteriors(cases, scale, seed: int = 0, workers: int | None = None) -> dict[str, PretrainedPosterior]:
    """:func:`pretrain_posterior` of every case, fanned out on ``workers`` (default: the scale's)."""
    sc = get_scale(scale)
    tasks = [(sc.threads, paths.CACHE_DIR, "pretrain", get_case(c).name, sc.name, seed) for c in cases]
    return dict(zip(cases, fan_out(_task, tasks, workers or sc.workers, desc="posterior pre-training",
                                   progress=False)))


def _flow_targets(ls: LearningSet, order: tuple[str, ...]) -> np.ndarray:
    """(n, d) the learning set's scaled targets in the flow's order."""
    return ls.y[:, [ls.targets.index(t) for t in order]]


def evaluate(net: PosteriorNet, x: np.ndarray, y: np.ndarray, order: tuple[str, ...], n_samples: int,
             seed: int = 0) -> dict:
    """Held-out scores of a posterior on ``x`` (n, n_k) and scaled truths ``y`` (n, d) in ``order``:
    ``log_density`` (mean log q of the truth, scaled axes), per parameter ``width`` (mean 68 %
    interval in the parameter's units), ``z_mean`` and ``z_rms`` (standardised error of the
    posterior mean), ``coverage_error`` (max |empirical − expected| of central intervals), and the
    joint ``tarp`` curve with its ``tarp_error``."""
    logq, draws = draw(net, x, y, n_samples, seed)
    m = scores(logq, draws, y)
    z = (draws.mean(axis=0) - y) / draws.std(axis=0)
    alpha, ecp = tarp_coverage(draws, y, seed=seed)
    span = np.array([PRIORS[t].span for t in order])
    per = {t: {"width": float(m.width[i] * span[i]), "z_mean": float(z[:, i].mean()),
               "z_rms": float(np.sqrt((z[:, i] ** 2).mean())), "coverage_error": float(m.coverage_error()[i]),
               "coverage": m.coverage[:, i].tolist()} for i, t in enumerate(order)}
    return {"log_density": m.log_density, "params": per, "levels": m.levels.tolist(), "n_test": m.n,
            "coverage_band": m.coverage_band().tolist(),
            "tarp_alpha": alpha.tolist(), "tarp": ecp.tolist(), "tarp_error": float(np.abs(ecp - alpha).max())}


def posterior_run(case: Case | str, scale, variant: str, n_train: int, seed: int = 0,
                  pre: PretrainedPosterior | None = None, device: str | None = None, return_net: bool = False) -> dict:
    """Train (or read from the cache) one posterior: ``variant`` ``scratch`` (a fresh trunk + flow) or
    ``dummy`` (the pre-trained posterior ``pre``, its dummy dimensions taking the new parameters) on the
    first ``n_train`` simulations of the case's pool; scored by :func:`evaluate` on the test set.
    Returns ``{"variant", "N", "seed", "val_nll", "epochs", "wall_s", **evaluate(...)}`` (and
    ``"net"`` with ``return_net``)."""
    case, st = get_case(case), posterior_settings(scale)
    if variant not in POSTERIOR_VARIANTS:
        raise ConfigError(f"unknown posterior variant {variant!r}; valid: {', '.join(POSTERIOR_VARIANTS)}")
    if variant == "dummy" and pre is None:
        raise ConfigError("the dummy posterior needs the pre-trained one (pretrain_posterior)")
    ls, order = case_data(case, scale), flow_order(case)
    if variant == "dummy" and pre.info["order"] != list(order):
        raise ConfigError(f"the pre-trained posterior's dimensions {pre.info['order']} are not case "
                          f"{case.name!r}'s {list(order)}: pre-train it for this case (pretrain_posterior)")
    cfg = st.train["scratch" if variant == "scratch" else "finetune"]
    pre_key = pre.key if variant == "dummy" else None
    key = stable_hash({"stage": "posterior-run", "data": ls.key, "order": list(order), "variant": variant,
                       "N": int(n_train), "seed": seed, "config": _config(cfg), "flow": _flow_config(st),
                       "pretrained": pre_key, "training": TRAINING_VERSION,
                       "evaluation": {"n_samples": st.n_samples, "levels": list(COVERAGE_LEVELS),
                                      "tarp_n_alpha": TARP_N_ALPHA, "version": EVALUATION_VERSION}})
    folder = paths.cache_dir("posterior", key)
    net = (new_posterior(ls.x.shape[1], len(order), cfg, st, seed) if variant == "scratch"
           else copy.deepcopy(pre.net))
    if (folder / "result.json").is_file():
        # runs are shared between cases with the same data and layout: the result names the case asked for
        out = {**json.loads((folder / "result.json").read_text()), "case": case.name}
        if return_net:
            net.load_state_dict(torch.load(folder / "model.pt", map_location="cpu", weights_only=True))
            out["net"] = net.eval()
        return out
    y = _flow_targets(ls, order)
    rows, val = ls.split.train(n_train), ls.split.val
    device = device or default_device()
    hist = fit(net, ls.x[rows], y[rows], ls.x[val], y[val], cfg, seed=seed, device=device)
    net.cpu().eval()
    test = ls.split.test
    out = {"case": case.name, "variant": variant, "N": int(n_train), "seed": seed, "order": list(order),
           "val_nll": hist.best_val, "epochs": hist.epochs, "wall_s": round(hist.wall_s, 3), "pretrained": pre_key,
           "data_key": ls.key, "config": _config(cfg), "device": device,
           "flat_prior_log_density": flat_prior_log_density(ls.suite, order),
           **evaluate(net, ls.x[test], y[test], order, st.n_samples, seed=seed)}
    atomic_write(folder / "model.pt", lambda tmp: torch.save(net.state_dict(), tmp))
    atomic_write(folder / "result.json", lambda tmp: tmp.write_text(json.dumps(out, indent=1) + "\n"))
    if return_net:
        out["net"] = net
    return out


@dataclass
class PosteriorSweep:
    """A posterior sweep's tidy table, its provenance (settings, data and pre-trained keys), the ΛCDM
    posterior it transferred from, and the flat-prior log density of its fine-tuning suite."""

    table: pd.DataFrame
    provenance: dict
    pretrained: PretrainedPosterior
    flat_prior: float


def posterior_sweeps(cases, scale, seed: int = 0, workers: int | None = None,
                     progress: bool = False) -> dict[str, PosteriorSweep]:
    """Scratch and dummy-transferred posteriors of each case at every budget and training seed of the
    scale's settings (budgets up to the case's pool), transferred from the ΛCDM posteriors pre-trained
    with ``seed`` (:func:`pretrain_posteriors`); every case's runs in one fan-out on ``workers``
    (default: the scale's).

    Each table: one row per (variant, N, member, param): case, variant, N, member, param, log_density
    (the run's, joint), width, z_mean, z_rms, coverage_error, tarp_error, and the run's epochs and
    training wall_s [s].
    """
    sc, st = get_scale(scale), posterior_settings(scale)
    names = [get_case(c).name for c in cases]
    budgets = {c: [n for n in st.budgets if n <= case_data(c, sc).n_pool] for c in names}
    common = (sc.threads, paths.CACHE_DIR)
    # Two fan-outs: the pre-trainings beside the scratch runs (which do not need them), then the
    # transfers; the longest tasks first in each, so that the workers finish together.
    grid = sorted(((c, n, s) for c in names for n in budgets[c] for s in st.seeds), key=lambda g: -g[1])
    first = [(*common, "pretrain", c, sc.name, seed) for c in names] + \
        [(*common, "run", c, sc.name, "scratch", n, s, None) for c, n, s in grid]
    done = fan_out(_task, first, workers or sc.workers, desc="posteriors: pre-training, scratch", progress=progress)
    pre = dict(zip(names, done[: len(names)]))
    second = [(*common, "run", c, sc.name, "dummy", n, s, pre[c]) for c, n, s in grid]
    results = done[len(names):] + fan_out(_task, second, workers or sc.workers, desc="posteriors: transfer",
                                          progress=progress)
    cases_of = [c for c, _, _ in grid] * 2  # the case of each result, by its task's position
    out = {}
    for c in names:
        mine = [r for r, rc in zip(results, cases_of) if rc == c]
        rows = [{"case": c, "variant": r["variant"], "N": r["N"], "member": r["seed"], "param": p,
                 "log_density": r["log_density"], **{k: v for k, v in m.items() if k != "coverage"},
                 "tarp_error": r["tarp_error"], "epochs": r["epochs"], "wall_s": r["wall_s"]}
                for r in mine for p, m in r["params"].items()]
        rows.sort(key=lambda r: (r["variant"] != "scratch", r["N"], r["member"]))
        provenance = {"case": c, "scale": sc.name, "settings": json.loads(json.dumps(asdict(st))),
                      "budgets": budgets[c], "data_key": mine[0]["data_key"] if mine else None,
                      "pretrained": {"key": pre[c].key, **{k: pre[c].info[k] for k in
                                                           ("n_train", "data_key", "seed", "test_log_density")}},
                      "code_version": __version__, "torch": torch.__version__}
        flat = flat_prior_log_density(get_case(c).suite, flow_order(c))
        out[c] = PosteriorSweep(pd.DataFrame(rows), provenance, pre[c], flat)
    return out


def posterior_curves(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Median and 16–84 % band over members of ``column`` per (case, variant, N, param).
    Columns: case, variant, N, param, median, lo, hi."""
    g = table.groupby(["case", "variant", "N", "param"])[column]
    return g.agg(median="median", lo=lambda s: s.quantile(BAND[0]), hi=lambda s: s.quantile(BAND[1])).reset_index()


def log_density_savings(table: pd.DataFrame, n: int) -> dict:
    """How many scratch simulations reach the transferred posterior's median log density at budget
    ``n`` (one case's table): ``{"factor", "bound", "n_scratch", "transfer", "scratch"}``, the bound
    as in :class:`cosmotransfer.sweeps.Savings` (">" beyond the grid, "<" no gain)."""
    runs = table.drop_duplicates(["variant", "N", "member"])
    med = runs.groupby(["variant", "N"])["log_density"].median()
    scratch = med["scratch"].sort_index()
    target = float(med["dummy"][n])
    # the negative log density falls with N like an MSE; it can be negative, so interpolate it linearly in log N
    n_s, bound = scratch_n_at(scratch.index.to_numpy(float), -scratch.to_numpy(float), -target, log_y=False)
    return {"factor": n_s / n, "bound": bound, "n_scratch": n_s, "transfer": target,
            "scratch": float(scratch.get(n, np.nan))}


def summary_at(table: pd.DataFrame, n: int, params: tuple[str, ...] = ("s8", "Mnu")) -> pd.DataFrame:
    """Medians over seeds at budget ``n``, per case, variant and parameter of ``params``: log_density,
    width (parameter units), z_mean (bias in posterior standard deviations), z_rms (> 1: over-confident),
    coverage_error, tarp_error. Index (case, param, variant)."""
    t = table[(table.N == n) & table.param.isin(params)]
    cols = ["log_density", "width", "z_mean", "z_rms", "coverage_error", "tarp_error"]
    return t.groupby(["case", "param", "variant"])[cols].median()


def joint_draws(case: Case | str, scale, pre: PretrainedPosterior, n_train: int, sims: tuple[int, ...],
                params: tuple[str, str] = ("s8", "Mnu"), seed: int = 0) -> dict:
    """Draws of two parameters for a few test simulations (indices into the test set), from the scratch
    and transferred (from ``pre``) posteriors of training seed ``seed`` at ``n_train`` (trained or
    cached), in the parameters' units; and over the whole test set the posterior correlation of the
    two (median over simulations).

    Returns ``{"draws": {variant: (n_samples, len(sims), 2)}, "truths": (len(sims), 2),
    "contours": {variant: [one :func:`density_contours` per simulation]}, "correlation": {variant: float}}``.
    """
    case, st = get_case(case), posterior_settings(scale)
    ls, order = case_data(case, scale), flow_order(case)
    cols = [order.index(p) for p in params]
    lo = np.array([PRIORS[p].lo for p in params])
    span = np.array([PRIORS[p].span for p in params])
    x, y = ls.x[ls.split.test], _flow_targets(ls, order)[ls.split.test]
    out = {"draws": {}, "contours": {}, "correlation": {}, "truths": lo + y[list(sims)][:, cols] * span}
    lims = [(PRIORS[p].lo, PRIORS[p].hi) for p in params]
    for v in POSTERIOR_VARIANTS:
        net = posterior_run(case, scale, v, n_train, seed=seed, pre=pre, return_net=True)["net"]
        _, d = draw(net, x, y, st.n_samples, seed)
        d = d[..., cols]
        out["draws"][v] = lo + d[:, list(sims)] * span
        out["contours"][v] = [density_contours(out["draws"][v][:, j], lims) for j in range(len(sims))]
        dc = d - d.mean(axis=0)
        corr = (dc[..., 0] * dc[..., 1]).mean(axis=0) / (dc[..., 0].std(axis=0) * dc[..., 1].std(axis=0))
        out["correlation"][v] = float(np.median(corr))
    return out


def density_contours(points: np.ndarray, lims, bins: int = CORNER_BINS, masses=(0.95, 0.68)) -> dict:
    """The highest-density contours of (n, 2) draws enclosing ``masses`` of them, from a 2-D histogram
    over ``lims`` ((lo, hi) per axis) smoothed by a binomial kernel (a few hundred draws are noisy).
    Returns ``{"x": (bins,), "y": (bins,) bin centres, "h": (bins, bins) smoothed counts indexed [y, x],
    "levels": increasing count levels}`` (one level fewer where two masses share one)."""
    h, xe, ye = np.histogram2d(points[:, 0], points[:, 1], bins=bins, range=lims)
    kernel = np.array([1, 4, 6, 4, 1]) / 16
    h = np.apply_along_axis(lambda r: np.convolve(r, kernel, mode="same"), 0, h)
    h = np.apply_along_axis(lambda r: np.convolve(r, kernel, mode="same"), 1, h)
    flat = np.sort(h.ravel())[::-1]
    cum = np.cumsum(flat) / flat.sum()
    levels = sorted({float(flat[min(np.searchsorted(cum, q), len(flat) - 1)]) for q in masses})
    return {"x": 0.5 * (xe[1:] + xe[:-1]), "y": 0.5 * (ye[1:] + ye[:-1]), "h": h.T, "levels": levels}


def coverage_band(n: int, grid: np.ndarray | None = None, k: float = 2.0) -> dict:
    """The diagonal of a calibrated coverage plot with ±``k`` binomial standard errors for ``n`` test
    simulations: ``{"alpha": grid (default 101 points on [0, 1]), "lo", "hi"}``."""
    grid = np.linspace(0, 1, 101) if grid is None else grid
    half = k * np.sqrt(grid * (1 - grid) / n)
    return {"alpha": grid, "lo": grid - half, "hi": grid + half}


def describe_change(scratch: pd.Series, transfer: pd.Series) -> str:
    """How a parameter's posterior changes from scratch to transfer, in words with the numbers:
    wider or narrower (68 % width ratio), more or less biased (|z̄|), more or less over-confident (rms
    z), by the thresholds of ``config.POSTERIOR_CHANGE``. ``scratch``/``transfer``: rows of
    :func:`summary_at` (width, z_mean, z_rms)."""
    ratio = transfer["width"] / scratch["width"]
    width = ("wider" if ratio > 1 + POSTERIOR_CHANGE["width"] else
             "narrower" if ratio < 1 - POSTERIOR_CHANGE["width"] else "as wide")
    dz = abs(transfer["z_mean"]) - abs(scratch["z_mean"])
    bias = "more biased" if dz > POSTERIOR_CHANGE["z"] else "less biased" if dz < -POSTERIOR_CHANGE["z"] else \
        "no more biased"
    drms = transfer["z_rms"] - scratch["z_rms"]
    conf = ("more over-confident" if drms > POSTERIOR_CHANGE["z"] else
            "less over-confident" if drms < -POSTERIOR_CHANGE["z"] else "no more over-confident")
    return (f"{width} (68 % width × {ratio:.2f}), {bias} (z̄ {transfer['z_mean']:+.2f} against "
            f"{scratch['z_mean']:+.2f}), {conf} (rms z {transfer['z_rms']:.2f} against {scratch['z_rms']:.2f})")


def tilt_text(correlations: dict[str, float]) -> str:
    """"tilted" or "not tilted": whether any median σ8–Mν correlation (variant → value) exceeds
    ``config.POSTERIOR_CHANGE["tilt"]`` in size."""
    return "tilted" if max(abs(v) for v in correlations.values()) > POSTERIOR_CHANGE["tilt"] else "not tilted"
