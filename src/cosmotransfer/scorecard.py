"""The reproduction scorecard: one row per finding of the paper, this book's number on each data
tier, and a verdict computed by a rule.

Each finding (``FINDINGS``) names the paper's statement in this book's convention (total MSE =
sum over a case's parameters), the chapter that shows it, and for each data tier the cases it is
measured on. :func:`measure` turns a finding and a tier into a :class:`Measurement`: the numbers
the rule reads (``numbers``), a text for the table and the verdict — "reproduced", "partly",
"not reproduced" or "not testable on this data" (a tier that lacks the case; for the PNG rows also
a tier on which no variant learns f_NL). A savings factor carried by the ΛCDM parameters alone,
its new parameter not informative, is at most "partly". The rules are plain functions of ``numbers`` with thresholds in
``config.SCORECARD`` (:func:`verdict_of`), so a test can recompute every verdict from its numbers.

Everything is read from the caches the chapters fill (sweeps, pre-trained networks, SHAP), with
the chapters' own arguments, so the scorecard costs seconds once the book has run.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .config import PRIORS, SCORECARD, TUNED_CASES, VARIANTS, get_scale
from .results import not_informative, savings_interval, savings_text, transfer_verdict
from .sweeps import (case_missing, curves, pretrain_sizes, pretrained, ranking, ranking_scale, reference_budget,
                     sweep)
from .transfer import STAGE_OF, get_case

TIERS = ("real Quijote", "emulated", "CPU-simulated")
VERDICTS = ("reproduced", "partly", "not reproduced", "not testable on this data")
NOT_TESTABLE = "not testable on this data"


@dataclass(frozen=True)
class Finding:
    """One finding of the paper: ``key``, ``statement`` (in this book's convention), ``paper`` (its
    number as the table prints it), ``kind`` (which rule scores it), ``chapter`` (where the book
    shows it) and ``cases``: tier → the case names it is measured on there."""

    key: str
    statement: str
    paper: str
    kind: str
    chapter: str
    cases: dict[str, tuple[str, ...]] = field(default_factory=dict)


FINDINGS: tuple[Finding, ...] = (
    Finding("pretraining", "pre-training on BSQ P(k): a good network's total test MSE (sum over 5)",
            "≈ 0.066 (0.013 per parameter; 22,000 training sims)", "pretraining", "02_pretraining",
            {"real Quijote": ("mnu_pk_q",), "emulated": ("mnu_pk",), "CPU-simulated": ("mnu_pk_sim",)}),
    Finding("mnu_pk", "Mν with P(k): transfer saves ≈ 10× in fine-tuning simulations", "≈ 10×", "savings",
            "03_neutrinos", {"real Quijote": ("mnu_pk_q",), "emulated": ("mnu_pk",), "CPU-simulated": ("mnu_pk_sim",)}),
    Finding("fr", "f(R) + Mν with P(k): transfer saves ≈ 10×", "≈ 10×", "savings", "04_modified_gravity",
            {"emulated": ("fr_pk",)}),
    Finding("png_eq", "equilateral PNG: a consistent gain on nearly all parameters", "gain on nearly all",
            "gain_most", "05_png", {"emulated": ("png_eq_emu",), "CPU-simulated": ("png_eq",)}),
    Finding("png_lc", "local PNG with ΛCDM fixed: no gain (nothing shared to transfer)", "no gain", "no_gain",
            "05_png", {"emulated": ("png_lc_emu",), "CPU-simulated": ("png_lc",)}),
    Finding("mpk", "marked P(k): negative transfer on σ8 and Mν at small N (real: P → MP as the paper; "
            "CPU-simulated: MP → MP)",
            "negative on σ8 and Mν", "negative", "03_neutrinos",
            {"real Quijote": ("mnu_p2mpk_q",), "CPU-simulated": ("mnu_mpk",)}),
    Finding("ranking", "variants: dummy nodes > no dummy > frozen + head", "dummy > no dummy > frozen", "ranking",
            "06_architectures", {"real Quijote": ("mnu_pk_q", "mnu_mpk_q"), "emulated": ("mnu_pk", "fr_pk"),
                                 "CPU-simulated": ("mnu_pk_sim", "mnu_mpk", "png_eq", "png_lc")}),
    Finding("pretrain_size", "pre-training on 2,000 ΛCDM training sims already helps",
            "a gain already at 2,000", "small_pretrain", "02_pretraining", {"emulated": ("mnu_pk",)}),
    Finding("shap", "SHAP: fine-tuning on Mν takes the small scales away from σ8 (attributions flip sign)",
            "reassigned, sign flip", "shap", "07_shap", {"emulated": ("mnu_pk",), "CPU-simulated": ("mnu_mpk",)}),
)


@dataclass(frozen=True)
class Measurement:
    """A finding on one tier: ``numbers`` (what the rule reads), ``text`` (for the table), ``verdict``."""

    finding: str
    tier: str
    numbers: dict
    text: str
    verdict: str


# --------------------------------------------------------------------------------------
# The rules: numbers → verdict (thresholds in config.SCORECARD)
# --------------------------------------------------------------------------------------
def verdict_of(kind: str, numbers: dict) -> str:
    """The verdict of a finding of ``kind`` from its ``numbers`` (see :func:`measure`)."""
    if numbers.get("missing"):
        return NOT_TESTABLE
    t = SCORECARD
    if kind == "pretraining":
        r = numbers["total_mse"] / numbers["paper_total_mse"]
        return "reproduced" if r <= t["pretrain_ratio"][0] else "partly" if r <= t["pretrain_ratio"][1] else "not reproduced"
    if kind == "savings":
        # a lower bound (">") that already reaches the paper's factor within the tolerance counts
        if numbers["hi"] < 1:
            return "not reproduced"
        if numbers["factor"] >= numbers["paper_factor"] / t["savings_tolerance"]:
            # a saving carried by the ΛCDM parameters alone does not show the new physics
            return "partly" if numbers["uninformative"] else "reproduced"
        return "partly" if numbers["lo"] > t["clear_gain"] else "not reproduced"
    if kind == "gain_most":
        if set(numbers["uninformative"]) >= set(numbers["new"]):
            return NOT_TESTABLE
        frac = numbers["n_gain"] / numbers["n_params"]
        return "reproduced" if frac >= t["most"] else "partly" if frac >= t["some"] else "not reproduced"
    if kind == "no_gain":
        if set(numbers["uninformative"]) >= set(numbers["new"]):
            return NOT_TESTABLE
        return "not reproduced" if numbers["total_verdict"] == "gain" else "reproduced"
    if kind == "negative":
        n = sum(v == "negative transfer" for v in (numbers["s8"], numbers["Mnu"]))
        return ("reproduced", "partly", "not reproduced")[2 - n]
    if kind == "ranking":
        order = numbers["order"]
        if order == ["dummy", "nodummy", "frozen"]:
            return "reproduced"
        return "partly" if order[0] == "dummy" or order[-1] == "frozen" else "not reproduced"
    if kind == "small_pretrain":
        return "reproduced" if numbers["lo_small"] > t["clear_gain"] else "not reproduced"
    if kind == "shap":
        answer = numbers["answer"]
        return "reproduced" if answer.startswith("yes") else "partly" if answer.startswith("partly") else "not reproduced"
    raise KeyError(f"no rule for findings of kind {kind!r}")


# --------------------------------------------------------------------------------------
# Measuring a finding on a tier, from the chapters' caches
# --------------------------------------------------------------------------------------
def _sweep(case: str, scale, seed: int, variants=("scratch", "dummy"), **kw):
    return sweep(case, scale, variants=variants, seed=seed, progress=False, **kw)


def measure(f: Finding, tier: str, scale, seed: int = 0) -> Measurement:
    """One finding on one tier at ``scale`` (the chapters' sweeps and networks, from the cache)."""
    sc = get_scale(scale)
    cases = f.cases.get(tier, ())
    missing = [c for c in cases if case_missing(c, sc)]
    if not cases or missing:
        why = "no such suite in this tier" if not cases else f"suites not here: {', '.join(missing)}"
        return Measurement(f.key, tier, {"missing": True}, f"— ({why})", NOT_TESTABLE)
    numbers, text = _MEASURE[f.kind](cases, sc, seed)
    return Measurement(f.key, tier, numbers, text, verdict_of(f.kind, numbers))


def _pretraining(cases, sc, seed):
    net = pretrained(cases[0], sc, "main", seed=seed)
    n_train = net.info["n_train"]
    total = net.info["test_mse_total"]
    return ({"total_mse": total, "paper_total_mse": SCORECARD["paper_pretrain_total"], "n_train": n_train},
            f"{total:.4f} ({n_train:,} training sims)")


def _savings(cases, sc, seed):
    """Scored on the tuned baseline for the cases of ``config.TUNED_CASES`` (the fair comparison,
    closest to the paper's Optuna searches), with the fixed-config number beside it."""
    case = get_case(cases[0])
    fixed = _sweep(case.name, sc, seed)
    tuned = case.name in TUNED_CASES
    sw = _sweep(case.name, sc, seed, tuning="grid") if tuned else fixed
    n = reference_budget(sw.provenance["budgets"])
    s = savings_interval(sw.table, "dummy", n)
    c = curves(sw.table)
    dull = [p for p in case.new_params if not_informative(c, p)]
    text = f"at N = {n}: {savings_text(sw.table, 'dummy', n, case.targets)}"
    if tuned:
        text += f", tuned baseline (fixed configs: {savings_interval(fixed.table, 'dummy', n).point})"
    return ({"factor": s.factor, "lo": s.lo, "hi": s.hi, "bound": s.point.bound, "N": n,
             "paper_factor": SCORECARD["paper_savings"], "uninformative": dull,
             "tuning": sw.provenance["tuning"]}, text)


def _param_verdicts(case_name, sc, seed):
    case = get_case(case_name)
    c = curves(_sweep(case.name, sc, seed).table)
    verdicts = {p: transfer_verdict(c, p).verdict for p in case.targets}
    dull = [p for p in case.targets if not_informative(c, p)]
    return case, c, verdicts, dull


def _gain_most(cases, sc, seed):
    case, c, v, dull = _param_verdicts(cases[0], sc, seed)
    n_gain = sum(x == "gain" for x in v.values())
    text = f"gain on {n_gain} of {len(v)}: " + ", ".join(f"{PRIORS[p].plain} {x}" for p, x in v.items())
    if dull:
        text += f"; {', '.join(PRIORS[p].plain for p in dull)} not informative"
    return {"n_gain": n_gain, "n_params": len(v), "verdicts": v, "uninformative": dull,
            "new": list(case.new_params)}, text


def _no_gain(cases, sc, seed):
    case, c, v, dull = _param_verdicts(cases[0], sc, seed)
    total = transfer_verdict(c, "total")
    text = f"total: {total}" + (f"; {', '.join(PRIORS[p].plain for p in dull)} not informative" if dull else "")
    return {"total_verdict": total.verdict, "uninformative": dull, "new": list(case.new_params)}, text


def _negative(cases, sc, seed):
    c = curves(_sweep(cases[0], sc, seed).table)
    v = {p: transfer_verdict(c, p) for p in ("s8", "Mnu")}
    return ({p: x.verdict for p, x in v.items()} | {"ratio_s8": v["s8"].gmean, "ratio_Mnu": v["Mnu"].gmean},
            f"σ8: {v['s8']}; Mν: {v['Mnu']}")


def _ranking(cases, sc, seed):
    table = ranking({c: curves(_sweep(c, ranking_scale(sc), seed, variants=VARIANTS).table) for c in cases})
    order = list(table.index)
    return ({"order": order, "mean_ratio": {v: float(table.loc[v, "mean"]) for v in order}},
            " > ".join(f"{v} ({table.loc[v, 'mean']:.2f})" for v in order) + " (total MSE / scratch, geometric mean)")


def _small_pretrain(cases, sc, seed):
    sizes = pretrain_sizes(cases[0], sc)
    sw = _sweep(cases[0], sc, seed, n_pretrain=sizes)  # chapter 02's sweep
    n = reference_budget(sw.provenance["budgets"])
    small, large = min(sizes), max(sizes)
    s_small = savings_interval(sw.table, "dummy", n, n_pretrain=small)
    s_large = savings_interval(sw.table, "dummy", n, n_pretrain=large)
    return ({"factor_small": s_small.factor, "lo_small": s_small.lo, "factor_large": s_large.factor, "N": n},
            f"{small:,}: {s_small}; {large:,}: {s_large} at N = {n}")


def _shap(cases, sc, seed):
    from .config import SHAP_FLIP_THRESHOLD, SHAP_K_SMALL
    from .explain import explain_case, reassignment_verdict

    res = explain_case(cases[0], sc, seed=seed)
    answer = reassignment_verdict(res, SHAP_K_SMALL, rel_threshold=SHAP_FLIP_THRESHOLD)
    return {"answer": answer}, answer


_MEASURE = {"pretraining": _pretraining, "savings": _savings, "gain_most": _gain_most, "no_gain": _no_gain,
            "negative": _negative, "ranking": _ranking, "small_pretrain": _small_pretrain, "shap": _shap}


def tuned_sweeps(scale, seed: int = 0, cases: tuple[str, ...] = TUNED_CASES) -> dict[str, tuple]:
    """case → (fixed-config sweep, tuned sweep) of scratch and dummy for each case of ``cases`` whose
    suites are here (the tuned one runs the grid search of ``config.TUNING_GRID`` once; cached)."""
    sc = get_scale(scale)
    return {c: (_sweep(c, sc, seed), _sweep(c, sc, seed, tuning="grid")) for c in cases if not case_missing(c, sc)}


def tuning_shift(pairs: dict[str, tuple], budgets: tuple[int, ...] | None = None) -> pd.DataFrame:
    """How far tuning moves the savings: per case and budget (default: the smallest swept and the
    reference budget), the dummy variant's savings factor with fixed configs and with the tuned
    baseline (bands over seeds), their ratio, and each curve's total MSE at that N.

    ``pairs``: :func:`tuned_sweeps`' result. Columns: case, N, fixed, tuned, tuned/fixed,
    scratch MSE fixed, scratch MSE tuned, dummy MSE fixed, dummy MSE tuned."""
    rows = []
    for case, (fixed, tuned) in pairs.items():
        swept = tuned.provenance["budgets"]
        for n in budgets or sorted({min(swept), reference_budget(swept)}):
            f, t = savings_interval(fixed.table, "dummy", n), savings_interval(tuned.table, "dummy", n)
            row = {"case": case, "N": n, "fixed": str(f), "tuned": str(t), "tuned/fixed": t.factor / f.factor}
            for name, sw in (("fixed", fixed), ("tuned", tuned)):
                c = curves(sw.table)
                for v in ("scratch", "dummy"):
                    row[f"{v} MSE {name}"] = float(c[(c.variant == v) & (c.param == "total") & (c.N == n)]["median"].iloc[0])
            rows.append(row)
    return pd.DataFrame(rows)


def chosen_configs(tuned) -> pd.DataFrame:
    """The config a tuned sweep chose per variant and budget: one row each (variant, N, the grid's fields)."""
    grids = tuned.provenance["grid"]
    fields = sorted({f for grid in grids.values() for f in grid})
    out = []
    for r in tuned.provenance["chosen"]:
        mine = grids[STAGE_OF[r["variant"]]]  # a field outside the variant's grid is not its choice
        out.append({"variant": r["variant"], "N": r["N"],
                    **{f: ("×".join(map(str, r[f])) if f == "hidden" else r[f]) if f in mine else "—" for f in fields}})
    return pd.DataFrame(out).sort_values(["variant", "N"]).reset_index(drop=True)


def scorecard(scale, seed: int = 0) -> list[Measurement]:
    """Every finding on every tier (``FINDINGS`` × ``TIERS``)."""
    return [measure(f, tier, scale, seed) for f in FINDINGS for tier in TIERS]


def summary_verdict(measurements: list[Measurement], key: str) -> str:
    """The row's verdict: the real tier's where it is testable; else the stand-in tiers' where
    those that can test it agree; "partly" where they disagree; else not testable."""
    mine = {m.tier: m.verdict for m in measurements if m.finding == key}
    if mine.get("real Quijote", NOT_TESTABLE) != NOT_TESTABLE:
        return mine["real Quijote"]
    testable = {v for v in mine.values() if v != NOT_TESTABLE}
    if not testable:
        return NOT_TESTABLE
    return testable.pop() if len(testable) == 1 else "partly"


def table(measurements: list[Measurement]) -> pd.DataFrame:
    """Rows: findings (index: the statement); columns: ``paper``, each tier's number (``<tier>``) and
    verdict (``<tier> verdict``), the row's ``verdict`` and its ``chapter``."""
    rows = []
    for f in FINDINGS:
        row = {"finding": f.statement, "paper": f.paper}
        for m in (m for m in measurements if m.finding == f.key):
            row[m.tier] = m.text
            row[f"{m.tier} verdict"] = m.verdict
        row["verdict"] = summary_verdict(measurements, f.key)
        row["chapter"] = f.chapter
        rows.append(row)
    return pd.DataFrame(rows).set_index("finding")
