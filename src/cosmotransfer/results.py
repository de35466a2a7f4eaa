"""What a chapter quotes from its sweeps: savings factors with bootstrap bands, the
negative-transfer verdict per parameter, and the table that sets a stand-in tier's conclusions
beside the real Quijote ones.

Everything here reads the tidy tables and curves of :mod:`cosmotransfer.sweeps` and returns small
objects whose ``str`` is what the book glues; the rules and their thresholds live in
:mod:`cosmotransfer.config` (``TRANSFER_VERDICT``, ``SAVINGS_BOOTSTRAP``, ``STAND_IN_AGREEMENT``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import BAND, NOT_INFORMATIVE, PRIOR_MEAN_MSE, PRIORS, SAVINGS_BOOTSTRAP, STAND_IN_AGREEMENT, TRANSFER_VERDICT
from .sweeps import Savings, curves, format_factor, mse_ratio, savings_factor, scratch_n_at, totals


@dataclass(frozen=True)
class SavingsInterval:
    """A savings factor with its bootstrap band: ``point`` from the medians over seeds; ``lo``,
    ``hi`` the ``BAND`` quantiles of the factor over resamplings of the seeds (each budget's members
    drawn with replacement, scratch and transfer independently)."""

    point: Savings
    lo: float
    hi: float
    draws: int

    @property
    def factor(self) -> float:
        return self.point.factor

    def __str__(self) -> str:
        return f"{self.point} (band {format_factor(self.lo)}–{format_factor(self.hi)}×)"


def savings_interval(table: pd.DataFrame, variant: str, n: int, baseline: str = "scratch",
                     n_pretrain: int | None = None) -> SavingsInterval:
    """:func:`savings_factor` of one case's tidy sweep table, with a bootstrap band over seeds
    (``config.SAVINGS_BOOTSTRAP``). A resampled factor that is a bound enters at the bound: a lower
    bound (">", scratch never reaches the transfer MSE on the grid) keeps the band conservative; an
    upper bound ("<", transfer no better than scratch at the smallest N) raises its lower end."""
    tot = totals(table)
    if n_pretrain is None:
        n_pretrain = tot[tot.variant == variant].n_pretrain.max()
    point = savings_factor(curves(table), variant, n, baseline=baseline, n_pretrain=n_pretrain)
    base = tot[tot.variant == baseline]
    ns = np.array(sorted(base.N.unique()), dtype=float)
    members = [base[base.N == k].mse.to_numpy() for k in ns]
    mine = tot[(tot.variant == variant) & (tot.n_pretrain == n_pretrain) & (tot.N == n)].mse.to_numpy()
    rng = np.random.default_rng(SAVINGS_BOOTSTRAP["seed"])
    draws = SAVINGS_BOOTSTRAP["draws"]

    def resampled_medians(x: np.ndarray) -> np.ndarray:  # (draws,)
        return np.median(x[rng.integers(0, len(x), (draws, len(x)))], axis=1)

    base_med = np.stack([resampled_medians(x) for x in members], axis=1)  # (draws, n_budgets)
    mine_med = resampled_medians(mine)
    factors = np.array([scratch_n_at(ns, b, m)[0] / n for b, m in zip(base_med, mine_med)])
    lo, hi = np.quantile(factors, BAND)
    return SavingsInterval(point, float(lo), float(hi), draws)


def not_informative(curve: pd.DataFrame, param: str) -> bool:
    """True when no variant learns ``param``: every median MSE in ``curve`` (all variants, all N)
    stays above ``1 − NOT_INFORMATIVE["margin"]`` times the prior-mean MSE, 1/12 (near it, or worse)."""
    c = curve[curve.param == param]
    if c.empty:
        raise KeyError(f"no curve for {param!r}")
    return bool((c["median"] >= (1 - NOT_INFORMATIVE["margin"]) * PRIOR_MEAN_MSE).all())


def savings_text(table: pd.DataFrame, variant: str, n: int, targets: tuple[str, ...], n_pretrain: int | None = None) -> str:
    """The savings factor as the prose quotes it: with its band, the reason when it is only a bound,
    and the parameters that are not informative — or, when no target is learned at all, only that."""
    c = curves(table)
    dull = [p for p in targets if not_informative(c, p)]
    if len(dull) == len(targets):
        return f"not informative on this data (no variant learns {', '.join(PRIORS[p].plain for p in dull)})"
    s = savings_interval(table, variant, n, n_pretrain=n_pretrain)
    text = str(s)
    if s.point.bound == ">":
        text += f" — a lower bound: scratch does not reach it by N = {int(c.N.max())}"
    elif s.point.bound == "<":
        text += " — an upper bound: transfer is no better than scratch at the smallest N"
    if dull:
        text += f"; {', '.join(PRIORS[p].plain for p in dull)} not informative on this data"
    return text


@dataclass(frozen=True)
class TransferVerdict:
    """Whether transfer helps or hurts one parameter at small budgets (``config.TRANSFER_VERDICT``).

    ``ratios``: median MSE after transfer / from scratch per budget N ≤ ``n_max``; ``gmean``:
    their geometric mean; ``verdict``: "negative transfer", "gain" or "no clear difference".
    """

    param: str
    ratios: pd.Series
    gmean: float
    verdict: str

    def __str__(self) -> str:
        lo, hi = self.ratios.min(), self.ratios.max()
        return f"{self.verdict} (ratio {self.gmean:.2f}; {lo:.2f}–{hi:.2f} over N ≤ {int(self.ratios.index.max())})"


def transfer_verdict(curve: pd.DataFrame, param: str, variant: str = "dummy") -> TransferVerdict:
    """The negative-transfer verdict of ``param`` for ``variant`` against scratch in one case."""
    r = mse_ratio(curve, variant, param)
    r = r[r.index <= TRANSFER_VERDICT["n_max"]]
    if r.empty:
        raise KeyError(f"no budgets ≤ {TRANSFER_VERDICT['n_max']} for {variant!r} and {param!r}")
    g = float(np.exp(np.log(r).mean()))
    verdict = ("negative transfer" if g > TRANSFER_VERDICT["worse"] else
               "gain" if g < TRANSFER_VERDICT["better"] else "no clear difference")
    return TransferVerdict(param, r, g, verdict)


def prior_mean_text(curve: pd.DataFrame, param: str, n: int, variants: tuple[str, ...] = ("scratch", "dummy")) -> str:
    """One parameter's test MSE at budget ``n`` beside the prior-mean MSE, as the prose quotes it:
    each variant's median and 16–84 % band over seeds, then 1/12 (targets scaled to [0, 1])."""
    c = curve[(curve.param == param) & (curve.N == n)]
    if c.empty:
        raise KeyError(f"no curve for {param!r} at N = {n}")
    parts = []
    for v in variants:
        row = c[c.variant == v].iloc[0]
        parts.append(f"{v} {row['median']:.4f} ({row['lo']:.4f}–{row['hi']:.4f})")
    return f"{', '.join(parts)} vs {PRIOR_MEAN_MSE:.4f} for the prior mean"


def where_it_loses(curve: pd.DataFrame, variant: str, param: str = "total") -> str:
    """Where ``variant`` loses to scratch in one case: the budgets at which its median ``param`` MSE
    exceeds scratch's by more than ``TRANSFER_VERDICT["worse"]``, with the largest ratio — e.g.
    "N = 400–1,400 (up to 1.62×)" — or "never" (at N = a, b when the budgets are not contiguous)."""
    r = mse_ratio(curve, variant, param)
    lost = r[r > TRANSFER_VERDICT["worse"]]
    if lost.empty:
        return "never"
    ns = [int(n) for n in lost.index]
    swept = [int(n) for n in r.index]
    contiguous = swept[swept.index(ns[0]): swept.index(ns[-1]) + 1] == ns
    where = (f"N = {ns[0]:,}" if len(ns) == 1 else f"N = {ns[0]:,}–{ns[-1]:,}" if contiguous
             else "N = " + ", ".join(f"{n:,}" for n in ns))
    return f"{where} (up to {lost.max():.2f}×)"


def mitigation_table(curve: pd.DataFrame, variants: tuple[str, ...], params: tuple[str, ...] = ("s8", "Mnu", "total"),
                     budgets: tuple[int, ...] = ()) -> pd.DataFrame:
    """How each variant fares against scratch in one case: per variant (rows), for each of ``params``
    the verdict ratio (geometric mean over N ≤ ``TRANSFER_VERDICT["n_max"]`` of its median test MSE
    over scratch's) and its verdict, and the plain ratio at each of ``budgets``."""
    rows = []
    for v in variants:
        row = {"variant": v}
        for p in params:
            tv = transfer_verdict(curve, p, variant=v)
            name = PRIORS[p].plain if p in PRIORS else p
            row[f"{name} ratio"] = tv.gmean
            row[f"{name} verdict"] = tv.verdict
            for n in budgets:
                row[f"{name} @ {n}"] = float(tv.ratios.get(n, np.nan))
        rows.append(row)
    return pd.DataFrame(rows).set_index("variant")


def best_mitigation(table: pd.DataFrame, new: str = "Mν") -> str | None:
    """The variant of a :func:`mitigation_table` with the lowest ``new`` ratio among those that keep a
    gain in the total (its verdict "gain"), if that ratio is below the plain dummy variant's; else None."""
    keep = table[table["total verdict"] == "gain"]
    if keep.empty:
        return None
    best = keep[f"{new} ratio"].idxmin()
    return best if best != "dummy" and keep.loc[best, f"{new} ratio"] < table.loc["dummy", f"{new} ratio"] else None


@dataclass(frozen=True)
class SourceComparison:
    """Two pre-training sources for the same fine-tuning: ``ratios`` = median MSE from one over the
    other's per budget N ≤ ``TRANSFER_VERDICT["n_max"]``, their geometric mean ``gmean``, and
    ``verdict`` "better" / "worse" / "as good" (the verdict thresholds)."""

    ratios: pd.Series
    gmean: float
    verdict: str

    def __str__(self) -> str:
        return (f"{self.gmean:.2f} ({self.verdict}; {self.ratios.min():.2f}–{self.ratios.max():.2f} "
                f"over N ≤ {int(self.ratios.index.max())})")


def source_ratio(curve: pd.DataFrame, reference: pd.DataFrame, variant: str = "dummy",
                 param: str = "total") -> SourceComparison:
    """``variant``'s median ``param`` MSE in ``curve`` over that in ``reference`` (two cases that
    differ only in the pre-training source), per budget, with the verdict on the geometric mean."""
    def med(c):
        c = c[(c.variant == variant) & (c.param == param)]
        return c[c.n_pretrain == c.n_pretrain.max()].set_index("N")["median"]

    r = (med(curve) / med(reference)).dropna()
    r = r[r.index <= TRANSFER_VERDICT["n_max"]]
    if r.empty:
        raise KeyError(f"no common budgets ≤ {TRANSFER_VERDICT['n_max']} for {variant!r} and {param!r}")
    g = float(np.exp(np.log(r).mean()))
    verdict = "worse" if g > TRANSFER_VERDICT["worse"] else "better" if g < TRANSFER_VERDICT["better"] else "as good"
    return SourceComparison(r, g, verdict)


# --------------------------------------------------------------------------------------
# Stand-in tiers against the real data
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Conclusion:
    """One conclusion a chapter draws, measured on several tiers.

    ``kind``: ``"savings"`` (values are :class:`SavingsInterval`) or ``"verdict"``
    (:class:`TransferVerdict`); ``values``: tier label → value or ``None`` where the tier lacks the case.
    """

    text: str
    kind: str
    values: dict


def agrees(kind: str, real, other) -> bool:
    """Whether a stand-in tier's value tells the same story as the real one: the same verdict, or a
    savings factor within ``STAND_IN_AGREEMENT["savings_factor"]`` times the real one (both sides
    of 1 alike)."""
    if kind == "verdict":
        return real.verdict == other.verdict
    a, b = real.factor, other.factor
    same_side = (a > 1) == (b > 1)
    return same_side and max(a, b) / min(a, b) <= STAND_IN_AGREEMENT["savings_factor"]


def comparison_table(conclusions: list[Conclusion], real: str) -> pd.DataFrame:
    """Rows: conclusions; columns: each tier's value as text, and for every other tier whether it
    agrees with the ``real`` one ("agrees" / "differs" / "—" where either is missing)."""
    rows = []
    for c in conclusions:
        row = {"conclusion": c.text}
        for tier, v in c.values.items():
            row[tier] = "—" if v is None else str(v)
        for tier, v in c.values.items():
            if tier != real:
                ref = c.values.get(real)
                row[f"{tier} vs {real}"] = ("—" if v is None or ref is None else
                                            "agrees" if agrees(c.kind, ref, v) else "differs")
        rows.append(row)
    return pd.DataFrame(rows).set_index("conclusion")
