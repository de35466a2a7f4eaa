"""Predicting negative transfer before training: a degeneracy audit of the fine-tuning suite, tested
against the transfer / scratch ratios the sweeps measured.

For every case of ``config.AUDIT_CASES`` and each of its new parameters p, two predictors are read
off the fine-tuning suite alone (:func:`cosmotransfer.datasets.suite_responses`: ln S fitted linearly in
the prior-scaled parameters):

``cos_s8``       the cosine, over the k bins, between p's response and σ8's. Positive: p moves the
                 statistic as *more* σ8 does; negative: as *less* σ8 does. A network pre-trained on
                 ΛCDM reads σ8 from exactly those bins, so a negative cosine means its σ8 reading
                 points the wrong way for p;
``degeneracy``   p's marginal over conditional linear-response Fisher error
                 (:func:`cosmotransfer.fisher.suite_fisher`): how much of what the statistic says
                 about p it shares with the other parameters.

The measured quantity is the verdict ratio of :func:`cosmotransfer.results.transfer_verdict`: the
geometric mean over N ≤ 200 of p's median test MSE after dummy-node transfer over scratch's.
:func:`rank_correlation` gives Spearman's ρ between a predictor and the ratio with a bootstrap
band that resamples fine-tuning *suites* (cases that share a suite and statistic share their
predictors, so they are not independent points).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from .config import AUDIT_BOOTSTRAP, AUDIT_CASES, K_MAX, KMAX_CUTS, TRANSFER_VERDICT, get_scale
from .datasets import suite_responses
from .fisher import suite_fisher
from .results import not_informative, transfer_verdict
from .sim.neutrinos import response_cosine
from .sweeps import case_missing, case_suite, case_tier, curves, pretrain_tier, sweep
from .transfer import get_case


def audit(scale, seed: int = 0, cases: tuple[str, ...] = AUDIT_CASES) -> pd.DataFrame:
    """One row per (case, new parameter) whose suites are at hand at ``scale`` and vary σ8 (the
    local-PNG suite does not: it has no σ8 response to compare with): the predictors, the
    measured ratio and verdict, and whether any variant learns the parameter at all.

    Columns: case, param, tier, stat, k_max (h/Mpc), pretrain (suite/tier/stat), group (the fine-tuning suite,
    tier and statistic: the bootstrap's unit), cos_s8, degeneracy, ratio, verdict, informative.
    The sweeps are the chapters' own (scratch and dummy, cached) at the budgets N ≤
    ``TRANSFER_VERDICT["n_max"]``; the k-cut cases (``config.KMAX_CUTS``) are swept here.
    """
    # the budgets the verdict reads (N ≤ its n_max); the informative flag refers to them too
    budgets = tuple(n for n in get_scale(scale).budgets if n <= TRANSFER_VERDICT["n_max"])
    rows = []
    for name in cases:
        if case_missing(name, scale):
            continue
        c = get_case(name)
        tier = case_tier(c, scale)
        data = case_suite(c, scale)
        fits = suite_responses(data, c.stat)
        if "s8" not in fits:  # σ8 fixed (local PNG): nothing for the pre-trained σ8 reading to mislead
            continue
        fisher = suite_fisher(data, c.stat)
        curve = curves(sweep(name, scale, variants=("scratch", "dummy"), budgets=budgets, seed=seed, progress=False).table)
        for p in c.new_params:
            j = fisher.names.index(p)
            v = transfer_verdict(curve, p)
            rows.append({"case": name, "param": p, "tier": tier, "stat": c.stat, "k_max": c.k_max or K_MAX,
                         "pretrain": f"{c.pretrain_suite}/{pretrain_tier(c, scale)}/{c.source_stat}",
                         "group": f"{c.suite}/{tier}/{c.stat}",
                         "cos_s8": response_cosine(fits[p][0], fits["s8"][0]),
                         "degeneracy": float(fisher.marginal[j] / fisher.conditional[j]),
                         "ratio": v.gmean, "verdict": v.verdict, "informative": not not_informative(curve, p)})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class RankCorrelation:
    """Spearman's ρ between a predictor and the measured ratio, its bootstrap band over fine-tuning
    suites (``lo``, ``hi``: the ``AUDIT_BOOTSTRAP["band"]`` quantiles) and the number of points."""

    predictor: str
    rho: float
    lo: float
    hi: float
    n_points: int
    n_groups: int

    def __str__(self) -> str:
        return f"ρ = {self.rho:+.2f} (band {self.lo:+.2f} to {self.hi:+.2f}; {self.n_points} points, {self.n_groups} suites)"


def rank_correlation(table: pd.DataFrame, predictor: str, measured: str = "ratio") -> RankCorrelation:
    """Spearman's ρ of ``predictor`` against ``measured`` over the audit table, with a bootstrap that
    draws whole groups (fine-tuning suites) with replacement."""
    rho = float(spearmanr(table[predictor], table[measured]).statistic)
    groups = table.group.unique()
    rng = np.random.default_rng(AUDIT_BOOTSTRAP["seed"])
    draws = []
    for _ in range(AUDIT_BOOTSTRAP["draws"]):
        pick = rng.choice(groups, len(groups))
        t = pd.concat([table[table.group == g] for g in pick])
        if t[predictor].nunique() > 1 and t[measured].nunique() > 1:
            draws.append(spearmanr(t[predictor], t[measured]).statistic)
    lo, hi = np.quantile(draws, AUDIT_BOOTSTRAP["band"]) if draws else (np.nan, np.nan)
    return RankCorrelation(predictor, rho, float(lo), float(hi), len(table), len(groups))


def misses(table: pd.DataFrame) -> pd.DataFrame:
    """Rows where the sign of ``cos_s8`` and the verdict disagree: a negative cosine without
    negative transfer, or a positive one with it."""
    neg = table.verdict == "negative transfer"
    return table[(table.cos_s8 < 0) != neg]


def scale_cuts(table: pd.DataFrame) -> pd.DataFrame:
    """The audit rows of the cases that differ only by k_max (``config.KMAX_CUTS`` and the full
    ``K_MAX``: the real nwLH pre-trained on the real LH in the same statistic), sorted by statistic
    and k_max."""
    def family(name: str) -> tuple:
        c = get_case(name)
        return (c.suite, c.tier, c.stat, c.pretrain_suite, c.pretrain_tier, c.source_stat)

    cut = {family(n) for n in table.case if get_case(n).k_max in KMAX_CUTS}
    rows = table[[family(n) in cut for n in table.case]]
    return rows.sort_values(["stat", "k_max"]).reset_index(drop=True)
