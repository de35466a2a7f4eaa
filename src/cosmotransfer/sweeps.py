"""Budget sweeps: test MSE vs the number N of beyond-ΛCDM training simulations, per variant.

:func:`sweep` runs every (variant, N, seed) of a case at a scale — or, at the paper scale, an
Optuna search per (variant, N) whose top trials form the band (:mod:`cosmotransfer.hpo`) — and
returns a tidy table, one row per (variant, n_pretrain, N, member, parameter)::

    case  variant  n_pretrain  N  member  param  mse

``member`` is the training seed (or the rank of an Optuna trial); ``mse`` is the test MSE of one
parameter on the scaled [0, 1] axis. The table is written with its provenance (scale, data and
pre-training keys, configs, code and torch versions, git commit, wall time) to
``paths.cache_dir("sweeps", key)``.

:func:`curves` reduces it to the median and 16–84 % band over members of the total (sum over the
case's parameters) and per-parameter MSE; :func:`savings_factor` reads off how many more
scratch simulations reach a transfer curve's total MSE.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from . import __version__, paths
from .cluster import fan_out, get_client
from .config import (BAND, RANKING_SEEDS, REFERENCE_BUDGET, TUNING_GRID, VARIANTS, ConfigError, Scale, get_scale,
                     lookup)
from .data import find_suite, load_suite
from .datasets import LearningSet, RehearsalSet, default_split, k_cut, learning_set, rehearsal_set
from .store import SuiteData, atomic_write, stable_hash
from .simulate import git_commit
from .train import default_device
from .transfer import (PRETRAINED_KIND, STAGE_OF, Case, Pretrained, cached_pretrain, cached_run, case_tier, get_case, pretrain,
                       pretrain_config, pretrain_sizes, pretrain_tier, run, variant_config)



#: How a sweep sets each variant's hyper-parameters at scales without Optuna (see :func:`sweep`).
TUNINGS = ("fixed", "grid")


def reference_budget(budgets) -> int:
    """The budget the prose quotes: 100 (the paper's) if swept, else the nearest swept one."""
    budgets = sorted(int(b) for b in budgets)
    return min(budgets, key=lambda b: (abs(np.log(b / REFERENCE_BUDGET)), b))


def ranking_scale(scale: Scale | str) -> Scale:
    """The scale of chapter 06's comparison of every variant: its first ``config.RANKING_SEEDS`` seeds."""
    sc = get_scale(scale)
    return sc.with_(seeds=sc.seeds[:RANKING_SEEDS])


def set_threads(scale: Scale | str) -> None:
    """Use the scale's number of torch CPU threads (if it sets one)."""
    sc = get_scale(scale)
    if sc.threads:
        torch.set_num_threads(sc.threads)


def case_suite(case: Case | str, scale: Scale | str, pretraining: bool = False) -> SuiteData:
    """The suite a case fine-tunes on (``pretraining``: pre-trains on), in its statistic and tier at the
    scale, with the case's k cut applied."""
    case, sc = get_case(case), get_scale(scale)
    if pretraining:
        data = load_suite(case.pretrain_suite, sc, case.source_stat, tier=pretrain_tier(case, sc))
    else:
        data = load_suite(case.suite, sc, case.stat, tier=case_tier(case, sc))
    return k_cut(data, case.k_max)


def case_data(case: Case | str, scale: Scale | str, data: SuiteData | None = None) -> LearningSet:
    """The fine-tuning learning set of a case at a scale (from ``data`` instead of the case's
    suite file when given, e.g. a user's own nwLH; the case's k cut applies to it too)."""
    case = get_case(case)
    data = case_suite(case, scale) if data is None else k_cut(data, case.k_max)
    return learning_set(data, case.stat, targets=case.targets)


def pretrain_data(case: Case | str, scale: Scale | str) -> LearningSet:
    """The ΛCDM pre-training set of a case: its pre-training suite, statistic and tier at the scale's
    size; every pre-training size trains on the first N of its one train pool and is validated and
    tested on its one validation and test set."""
    case = get_case(case)
    return learning_set(case_suite(case, scale, pretraining=True), case.source_stat)


def rehearsal_data(case: Case | str, scale: Scale | str, ls: LearningSet, n_pretrain: int) -> RehearsalSet:
    """What a case's network pre-trained on at ``n_pretrain`` — the first ``n_pretrain`` of its
    pre-training suite's train pool — in the terms of the fine-tuning set ``ls``, for rehearsal."""
    case = get_case(case)
    data = case_suite(case, scale, pretraining=True)
    return rehearsal_set(data, case.source_stat, default_split(data).train(n_pretrain), ls)


def budget_grid(case: Case | str, scale: Scale | str, n_pool: int, budgets: tuple[int, ...] | None = None) -> tuple[int, ...]:
    """The budgets a sweep trains at: the grid (default: the scale's) up to the train pool, and the
    whole pool for a case with ``include_pool`` (the real nwLH: 700)."""
    case, sc = get_case(case), get_scale(scale)
    grid = [n for n in (budgets or sc.budgets) if n <= n_pool]
    if case.include_pool and n_pool not in grid and budgets is None:
        grid.append(n_pool)
    return tuple(sorted(grid))


def pretrained(case: Case | str, scale: Scale | str, kind: str = "main", n_pretrain: int | None = None,
               seed: int = 0, device: str | None = None, train: bool = True) -> Pretrained | None:
    """The (cached) pre-trained network ``kind`` of a case at a scale (see :mod:`cosmotransfer.transfer`).

    At a scale with Optuna trials the architecture and optimiser come from :func:`hpo.tune_pretrain`.
    ``train=False``: only the cached network, ``None`` if it has not been trained (nor tuned) yet.
    """
    sc = get_scale(scale)
    ls = pretrain_data(case, sc)
    n = n_pretrain or max(pretrain_sizes(case, sc))
    cfg = pretrain_config(kind, sc)
    if sc.optuna_trials:
        if not train:
            return None  # its config is only known after the (cached) search: a task that runs it
        from .hpo import tune_pretrain

        cfg = tune_pretrain(ls, cfg, sc.optuna_trials, seed=seed, device=device, n_train=n)
    if not train:
        return cached_pretrain(ls, cfg, seed=seed, n_train=n)
    return pretrain(ls, cfg, seed=seed, device=device, n_train=n)


def kinds_of(variants: tuple[str, ...]) -> list[str]:
    """The pre-trained networks (:data:`transfer.PRETRAINED_KIND`) that ``variants`` start from."""
    return sorted({PRETRAINED_KIND[v] for v in variants if v != "scratch"})


def _pretrain_tasks(case: Case, sc: Scale, kinds: list[str], n_pretrain: tuple[int, ...], seed: int,
                    device: str) -> tuple[dict, list[tuple]]:
    """``({(n_pretrain, kind): cached network or None}, a task for each missing one)``."""
    pre = {(n, k): pretrained(case, sc, k, n, seed=seed, device=device, train=False) for n in n_pretrain for k in kinds}
    return pre, [("pretrain", case, sc, k, n, seed, device) for (n, k), p in pre.items() if p is None]


def prepare(cases: tuple[str, ...], scale: Scale | str, variants: tuple[str, ...] = VARIANTS,
            n_pretrain: tuple[int, ...] | None = None, seed: int = 0, device: str | None = None,
            workers: int | None = None, progress: bool = True, scheduler: str | None = None) -> int:
    """Pre-train, all at once on ``workers``, every network the sweeps of ``cases`` with ``variants``
    will start from (each case's largest pre-training size, or ``n_pretrain``) and that is not cached
    yet: a chapter sweeping several cases in turn would otherwise train them one after another, one
    per sweep, with the other workers idle. Returns how many it trained."""
    sc = get_scale(scale)
    device = device or default_device()
    tasks = []
    for c in cases:
        case = get_case(c)
        sizes = tuple(n_pretrain or (max(pretrain_sizes(case, sc)),))
        tasks += _pretrain_tasks(case, sc, kinds_of(variants), sizes, seed, device)[1]
    _execute(tasks, workers or sc.workers, sc.threads, desc=f"pre-training [{sc.name}]", progress=progress,
             scheduler=scheduler)
    return len(tasks)


@dataclass
class Sweep:
    """A sweep's tidy table, its provenance and where both were written."""

    table: pd.DataFrame
    provenance: dict
    folder: Path


def _rows(case: str, variant: str, n_pre: int, result: dict, member: int) -> list[dict]:
    return [{"case": case, "variant": variant, "n_pretrain": n_pre, "N": result["N"], "member": member,
             "param": p, "mse": m} for p, m in result["test_mse"].items()]


def sweep(case: Case | str, scale: Scale | str, variants: tuple[str, ...] = VARIANTS,
          n_pretrain: tuple[int, ...] | None = None, budgets: tuple[int, ...] | None = None,
          seed: int = 0, device: str | None = None, workers: int | None = None, progress: bool = True,
          data: SuiteData | None = None, tuning: str = "fixed", scheduler: str | None = None) -> Sweep:
    """Test MSE vs N for each variant of a case (and each pre-training size in ``n_pretrain``).

    Defaults come from the scale: its budgets (those that fit the case's train pool) and largest
    pre-training size. The pre-trained networks use ``seed``; the members of the band are the
    training seeds ``seed + s`` for ``s`` in the scale's seeds (or, with Optuna trials, the top
    trials of searches seeded with ``seed``). Every run is cached, so sweeps sharing runs are cheap.
    ``workers`` > 1 trains that many runs at once in separate processes (default: the scale's), or
    ``scheduler`` names a running Dask cluster to train them on (:mod:`cosmotransfer.cluster`);
    each run is seeded on its own, so the results do not depend on where it ran. ``data`` replaces the case's
    fine-tuning suite (a user's own files, same statistic and targets).

    ``tuning="grid"`` (scales without Optuna): at every budget each variant's config is chosen from
    ``config.TUNING_GRID`` by the validation MSE of one run with the first training seed, then
    trained with every seed (:func:`choose_configs`); the provenance records each choice.
    """
    if tuning not in TUNINGS:
        raise ConfigError(f"unknown tuning {tuning!r}; valid: {', '.join(TUNINGS)}")
    case, sc = get_case(case), get_scale(scale)
    t0 = time.perf_counter()
    get_client(workers or sc.workers, scheduler)  # an unreachable scheduler fails now, not after pre-training
    device = device or default_device()
    set_threads(sc)
    ls = case_data(case, sc, data)
    n_pretrain = tuple(n_pretrain or (max(pretrain_sizes(case, sc)),))
    budgets = budget_grid(case, sc, ls.n_pool, budgets)
    seeds = tuple(seed + s for s in sc.seeds)
    tuned = tuning == "grid" and not sc.optuna_trials
    chosen, search = {}, []

    def budget_tasks(v: str, n_pre: int, net: Pretrained | None, reh: RehearsalSet | None) -> list[tuple]:
        """One per training run of a job: (variant, n_pretrain, member, run arguments)."""
        out = []
        for n in budgets:
            cfg = chosen.get((v, n_pre, n), variant_config(v, sc))
            if sc.optuna_trials:
                out.append((v, n_pre, None, ("search", ls, cfg, n, net, sc.optuna_trials, len(seeds), seed, device,
                                             reh)))
            else:
                out += [(v, n_pre, s, ("run", ls, cfg, n, s, net, device, reh)) for s in seeds]
        return out

    # The missing pre-trainings go on beside the scratch runs, which need none (with fixed configs; a
    # grid search tunes both variants together): alone, a long pre-training would leave workers idle.
    pre, pre_tasks = _pretrain_tasks(case, sc, kinds_of(variants), n_pretrain, seed, device)
    early = budget_tasks("scratch", 0, None, None) if pre_tasks and "scratch" in variants and not tuned else []
    done = _execute(pre_tasks + [t[3] for t in early], workers or sc.workers, sc.threads, scheduler=scheduler,
                    desc=f"{case.name} [{sc.name}, pre-training{', scratch' if early else ''}]", progress=progress)
    pre.update({(n, k): net for (_, _, _, k, n, _, _), net in zip(pre_tasks, done)})

    replay = ({n: rehearsal_data(case, sc, ls, n) for n in n_pretrain}
              if any(variant_config(v, sc).rehearsal for v in variants) else {})
    jobs = []  # (variant, n_pretrain, pre-trained network, rehearsal set) — scratch: no n_pretrain
    for v in variants:
        if v == "scratch":
            jobs += [] if early else [(v, 0, None, None)]
        else:
            reh = variant_config(v, sc).rehearsal
            jobs += [(v, n, pre[n, PRETRAINED_KIND[v]], replay[n] if reh else None) for n in n_pretrain]
    if tuned:
        chosen, search = choose_configs(ls, jobs, budgets, sc, seeds[0], device, workers, progress, case.name,
                                        scheduler)
    late = [t for job in jobs for t in budget_tasks(*job)]
    tasks = early + late
    results = done[len(pre_tasks):] + _execute([t[3] for t in late], workers or sc.workers, sc.threads,
                                               scheduler=scheduler, desc=f"{case.name} [{sc.name}]", progress=progress)
    rows = []
    for (v, n_pre, member, _), res in zip(tasks, results):
        if member is None:  # an Optuna search: its top trials are the members
            for rank, r in enumerate(res):
                rows += _rows(case.name, v, n_pre, r, rank)
        else:
            rows += _rows(case.name, v, n_pre, res, member)
    table = pd.DataFrame(rows)
    provenance = {
        "case": case.name, "suite": case.suite, "stat": case.stat, "tier": case_tier(case, sc),
        "pretrain_suite": case.pretrain_suite, "pretrain_stat": case.source_stat,
        "pretrain_tier": pretrain_tier(case, sc), "targets": list(case.targets), "scale": sc.name,
        "variants": list(variants),
        "n_pretrain": list(n_pretrain), "budgets": list(budgets), "members": list(seeds),
        "band": "Optuna top trials" if sc.optuna_trials else "training seeds", "optuna_trials": sc.optuna_trials,
        "data_key": ls.key, "n_suite": len(ls), "pretrained": {f"{k}@{n}": p.key for (n, k), p in pre.items()},
        "pretrained_test_mse": {f"{k}@{n}": p.info["test_mse_total"] for (n, k), p in pre.items()},
        "configs": {v: _as_json(variant_config(v, sc)) for v in variants},
        "tuning": "grid" if tuned else "fixed", "grid": TUNING_GRID if tuned else None,
        "chosen": [{"variant": v, "n_pretrain": n_pre, "N": n, **_as_json(cfg)} for (v, n_pre, n), cfg in chosen.items()],
        "search": search,
        "device": device, "threads": torch.get_num_threads(), "code_version": __version__, "torch": torch.__version__,
        "git_commit": git_commit(), "wall_s": round(time.perf_counter() - t0, 1),
    }
    key = stable_hash({k: provenance[k] for k in ("case", "scale", "variants", "n_pretrain", "budgets", "members",
                                                  "data_key", "pretrained", "configs", "optuna_trials", "tuning",
                                                  "grid")})
    folder = paths.cache_dir("sweeps", key)
    atomic_write(folder / "results.csv", lambda tmp: table.to_csv(tmp, index=False))
    atomic_write(folder / "provenance.json", lambda tmp: tmp.write_text(json.dumps(provenance, indent=1) + "\n"))
    return Sweep(table, provenance, folder)


def _as_json(cfg) -> dict:
    return json.loads(json.dumps(asdict(cfg)))  # tuples → lists, as they come back from JSON


def choose_configs(ls: LearningSet, jobs: list[tuple], budgets: tuple[int, ...], sc: Scale, seed: int,
                   device: str, workers: int | None, progress: bool, name: str,
                   scheduler: str | None = None) -> tuple[dict, list[dict]]:
    """The grid search of a tuned sweep: for each (variant, n_pretrain, N) of ``jobs`` × ``budgets``,
    the config of ``config.TUNING_GRID`` (the variant's stage) with the lowest validation MSE after
    one run with ``seed``. Returns ``({(variant, n_pretrain, N): TrainConfig}, search rows)``; each
    row is one grid point: variant, n_pretrain, N, its grid values, val_mse, test_mse (total)."""
    from .hpo import grid_configs

    points = []  # (variant, n_pretrain, N, config, pre-trained network, rehearsal set)
    for v, n_pre, net, reh in jobs:
        grid = lookup(TUNING_GRID, STAGE_OF[v], "tuning grid of stage")
        points += [(v, n_pre, n, cfg, net, reh) for n in budgets for cfg in grid_configs(variant_config(v, sc), grid)]
    results = _execute([("run", ls, cfg, n, seed, net, device, reh) for v, n_pre, n, cfg, net, reh in points],
                       workers or sc.workers, sc.threads, desc=f"{name} [{sc.name}, grid]", progress=progress,
                       scheduler=scheduler)
    chosen, best, rows = {}, {}, []
    for (v, n_pre, n, cfg, _, _), res in zip(points, results):
        rows.append({"variant": v, "n_pretrain": n_pre, "N": n,
                     **{f: _as_json(cfg)[f] for f in TUNING_GRID[STAGE_OF[v]]},
                     "val_mse": res["val_mse"], "test_mse": float(sum(res["test_mse"].values()))})
        if res["val_mse"] < best.get((v, n_pre, n), np.inf):
            best[v, n_pre, n], chosen[v, n_pre, n] = res["val_mse"], cfg
    return chosen, rows


def _task(threads: int | None, cache: Path, *args):
    """One unit of sweep work, wherever it runs: a pre-training (``args`` = "pretrain", ...), a
    training run ("run", ...), or an Optuna search returning its top trials ("search", ...). ``threads`` and ``cache`` are the caller's, so a
    worker trains and caches alike."""
    if threads:
        torch.set_num_threads(threads)
    paths.CACHE_DIR = cache  # the caller's cache, even where it was redirected (tests)
    if args[0] == "pretrain":
        _, case, sc, kind, n, seed, device = args
        return pretrained(case, sc, kind, n, seed=seed, device=device)
    if args[0] == "run":
        _, ls, cfg, n, s, net, device, reh = args
        return run(ls, cfg, n, seed=s, pretrained=net, device=device, rehearsal=reh)
    from .hpo import top_trials

    _, ls, cfg, n, net, n_trials, k, seed, device, reh = args
    return top_trials(ls, cfg, n, net, n_trials, k, seed=seed, device=device, rehearsal=reh)


def _cost(task: tuple) -> float:
    """A task's relative cost for ordering (:func:`_execute`): its training size (times the trials of
    a search); a pre-training outlasts any run."""
    if task[0] == "pretrain":
        return np.inf
    return task[3] * (task[5] if task[0] == "search" else 1)


def _execute(tasks: list[tuple], workers: int, threads: int | None, desc: str, progress: bool,
             scheduler: str | None = None) -> list:
    """Results of :func:`_task` for every task, in order: cached runs from the cache, the others
    fanned out (:func:`cluster.fan_out`: in this process, on ``workers`` local processes, or on the
    cluster at ``scheduler``)."""
    out = [cached_run(*t[1:6], rehearsal=t[7]) if t[0] == "run" else None for t in tasks]
    # longest first (pre-trainings, then the largest N), so that no long task starts last and runs
    # alone while the other workers idle; the results come back in the order of ``tasks``
    todo = sorted((i for i, r in enumerate(out) if r is None), key=lambda i: -_cost(tasks[i]))
    results = fan_out(_task, [(threads, paths.CACHE_DIR, *tasks[i]) for i in todo], workers, scheduler,
                      desc=desc, done=len(tasks) - len(todo), progress=progress)
    for i, r in zip(todo, results):
        out[i] = r
    return out


# --------------------------------------------------------------------------------------
# Reductions
# --------------------------------------------------------------------------------------
def totals(table: pd.DataFrame) -> pd.DataFrame:
    """Per (case, variant, n_pretrain, N, member): the total MSE, as rows with ``param = "total"``."""
    keys = ["case", "variant", "n_pretrain", "N", "member"]
    tot = table.groupby(keys, as_index=False)["mse"].sum()
    tot["param"] = "total"
    return tot[keys + ["param", "mse"]]


def curves(table: pd.DataFrame) -> pd.DataFrame:
    """Median and 16–84 % band over members of every parameter's MSE and of the total.

    Columns: case, variant, n_pretrain, N, param, median, lo, hi, members.
    """
    full = pd.concat([table, totals(table)], ignore_index=True)
    g = full.groupby(["case", "variant", "n_pretrain", "N", "param"])["mse"]
    out = g.agg(median="median", lo=lambda s: s.quantile(BAND[0]), hi=lambda s: s.quantile(BAND[1]), members="count")
    return out.reset_index()


@dataclass(frozen=True)
class Savings:
    """``factor`` = N_scratch / N at equal total MSE; ``bound`` is "" (interpolated), ">" (scratch
    never reaches it within the grid: a lower bound) or "<" (transfer is no better than scratch at
    the smallest N: an upper bound). ``mse``: the variant's median total MSE at N;
    ``baseline_mse``: the baseline's at the same N (NaN if it was not run there)."""

    variant: str
    N: int
    mse: float
    n_scratch: float
    factor: float
    bound: str
    baseline_mse: float = float("nan")

    def __str__(self) -> str:
        return f"{self.bound}{format_factor(self.factor)}×"


def format_factor(x: float) -> str:
    """A savings factor for prose: two decimals below 1 (0.62), one up to 10 (5.6), none above (11)."""
    return f"{x:.2f}" if x < 1 else f"{x:.1f}" if x < 10 else f"{x:.0f}"


def scratch_n_at(ns: np.ndarray, ms: np.ndarray, m: float, log_y: bool = True) -> tuple[float, str]:
    """N at which the (monotone-made) scratch curve ``ms(ns)`` reaches the loss ``m``, interpolated
    linearly in log N and in log ``ms`` (an MSE) or, with ``log_y=False``, in ``ms`` itself (a loss
    that can be negative, such as a negative log density)."""
    ms = np.minimum.accumulate(ms)  # a larger budget is never worse than a smaller one's best
    if m < ms[-1]:
        return float(ns[-1]), ">"
    if m >= ms[0]:
        return float(ns[0]), "<" if m > ms[0] else ""
    i = int(np.flatnonzero(ms <= m)[0])  # first budget at or below m; ms[i-1] > m
    f = np.log if log_y else (lambda v: v)
    la, lb = f(ms[i - 1]), f(ms[i])
    t = (f(m) - la) / (lb - la)
    return float(np.exp(np.log(ns[i - 1]) + t * (np.log(ns[i]) - np.log(ns[i - 1])))), ""


def savings_factor(curve: pd.DataFrame, variant: str, n: int, baseline: str = "scratch",
                   n_pretrain: int | None = None) -> Savings:
    """How many times more baseline simulations reach ``variant``'s median total MSE at budget ``n``.

    ``curve``: output of :func:`curves` for one case (``param == "total"`` rows are used).
    """
    tot = curve[curve.param == "total"]
    base = tot[tot.variant == baseline].sort_values("N")
    tr = tot[tot.variant == variant]
    if n_pretrain is not None:
        tr = tr[tr.n_pretrain == n_pretrain]
    tr = tr[tr.N == n]
    if tr.empty or base.empty:
        raise KeyError(f"no total-MSE curve for {variant!r} at N={n} and {baseline!r} in this table")
    m = float(tr["median"].iloc[0])
    n_s, bound = scratch_n_at(base.N.to_numpy(float), base["median"].to_numpy(float), m)
    at_n = base[base.N == n]["median"]
    return Savings(variant, int(n), m, n_s, n_s / n, bound, float(at_n.iloc[0]) if len(at_n) else float("nan"))


def savings_table(curve: pd.DataFrame, variants: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Savings factor of every transfer variant at every budget of one case (rows: N, columns: variant)."""
    tot = curve[curve.param == "total"]
    variants = variants or tuple(v for v in tot.variant.unique() if v != "scratch")
    budgets = sorted(tot.N.unique())
    n_pre = tot[tot.variant != "scratch"].n_pretrain.max()
    data = {v: [str(savings_factor(curve, v, n, n_pretrain=n_pre)) for n in budgets] for v in variants}
    return pd.DataFrame(data, index=pd.Index(budgets, name="N"))


def mse_ratio(curve: pd.DataFrame, variant: str, param: str = "total", baseline: str = "scratch") -> pd.Series:
    """Median MSE of ``variant`` over ``baseline``'s at every budget (index N); > 1: transfer hurts."""
    c = curve[curve.param == param]
    n_pre = c[c.variant == variant].n_pretrain.max()
    t = c[(c.variant == variant) & (c.n_pretrain == n_pre)].set_index("N")["median"]
    s = c[c.variant == baseline].set_index("N")["median"]
    return (t / s).dropna()


def ranking(curves_by_case: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Geometric mean over budgets of each variant's total-MSE ratio to scratch, per case.

    Rows: variants (best first, by the mean over cases); columns: cases and ``mean``. Below 1:
    the variant beats scratch on average.
    """
    out = {}
    for case, c in curves_by_case.items():
        variants = [v for v in c.variant.unique() if v != "scratch"]
        out[case] = {v: float(np.exp(np.log(mse_ratio(c, v)).mean())) for v in variants}
    table = pd.DataFrame(out)
    table["mean"] = np.exp(np.log(table).mean(axis=1))
    return table.sort_values("mean")


def case_missing(case: Case | str, scale: Scale | str) -> str:
    """"" when a case's fine-tuning and pre-training suites are both at hand at ``scale``;
    otherwise the message naming what is missing and the command that makes it."""
    case, sc = get_case(case), get_scale(scale)
    for suite, stat, tier in ((case.suite, case.stat, case_tier(case, sc)),
                              (case.pretrain_suite, case.source_stat, pretrain_tier(case, sc))):
        data, message = find_suite(suite, sc, stat, tier=tier)
        if data is None:
            return message
    return ""
