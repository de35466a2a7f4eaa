"""The study on a user's own suite (``cosmotransfer sweep``): transfer vs scratch, no code to write.

A user brings a suite laid out like Quijote's — P(k) (and optionally marked P(k)) as ``(n, 79)``
arrays in (Mpc/h)^3 on the Quijote bins, a parameter table with named columns — and picks the
targets, the ΛCDM pre-training source (``config.PRETRAIN_SOURCES``, the same cached networks the
book uses), the variants, budgets and seeds. :func:`run_study` checks every input first (one
clear error naming the fix, before anything trains), runs the sweep, and writes into ``out``:

``results.csv``   one row per variant × N × seed × parameter: ``variant,n_pretrain,N,seed,param,mse``
                  (test MSE on the prior-scaled [0, 1] axis);
``summary.json``  ``{"savings": {variant: {N: factor or null}}, "savings_band": …, "ratio":
                  {variant: {param: {N: median transfer MSE / median scratch MSE}}}, "verdict": …,
                  "provenance": {…}}`` — a factor is null where it is only a bound (see ``savings_bound``);
``curves.png``    total and per-parameter MSE vs N.

The three files are made in a temporary folder beside ``out`` and moved in only when all exist (a
new ``out`` appears whole; in an existing one each file is replaced atomically), so a failed or
interrupted run leaves nothing half-written in ``out``.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from .config import (DEFAULT_SCALE, LCDM_PARAMS, N_DUMMY, PRETRAIN_SOURCES, TRANSFER_VERDICT, VARIANTS, ConfigError, get_param,
                     get_scale, lookup)
from .datasets import log_summaries
from .quijote import load_quijote
from .store import sha256_file
from .transfer import Case


def parse_list(text: str | None, kind=str) -> tuple:
    """``"a,b, c"`` → ``("a", "b", "c")`` (converted with ``kind``); empty → ``()``."""
    if not text:
        return ()
    try:
        return tuple(kind(t.strip()) for t in text.split(",") if t.strip())
    except ValueError:
        raise ConfigError(f"cannot read {text!r} as a comma-separated list of {kind.__name__}") from None


def user_case(stat: str, targets: tuple[str, ...], pretrain: str, pretrain_stat: str | None = None) -> Case:
    """The :class:`~cosmotransfer.transfer.Case` of a user suite: ``stat`` (``pk`` or ``mpk``) and
    ``targets``, fine-tuned from the ``pretrain`` source's network on ``pretrain_stat`` (default:
    ``stat`` where the source has it, else P(k): the emulated BSQ has no marked spectrum)."""
    suite, tier = lookup(PRETRAIN_SOURCES, pretrain, "pre-training source")
    if stat not in ("pk", "mpk"):
        raise ConfigError(f"unknown statistic {stat!r}; valid statistics: pk, mpk")
    if pretrain_stat is None:
        pretrain_stat = stat if tier != "emulated" else "pk"
    if tier == "emulated" and pretrain_stat != "pk":
        raise ConfigError("the emulated BSQ has P(k) only; pre-train on pk (--pretrain-stat pk) or use quijote_lh")
    return Case("user", f"user suite ({stat}), pre-trained on {pretrain} {pretrain_stat}", "user", stat,
                pretrain_suite=suite, tier="user", pretrain_tier=tier, pretrain_stat=pretrain_stat,
                target_names=tuple(targets))


def check_inputs(param_names: tuple[str, ...], targets: tuple[str, ...], variants: tuple[str, ...]) -> None:
    """Names against the prior table, the parameter columns and the variants (ConfigError)."""
    if not param_names or not targets:
        raise ConfigError("name the parameter table's columns (--param-names) and the targets (--targets), "
                          "e.g. --param-names Om,Ob,h,ns,s8,Mnu,w --targets Om,Ob,h,ns,s8,Mnu")
    for name in param_names + targets:
        get_param(name)
    for flag, names in (("--param-names", param_names), ("--targets", targets)):
        if len(set(names)) != len(names):
            raise ConfigError(f"{flag} repeats a name: {', '.join(names)}")
    missing = [t for t in targets if t not in param_names]
    if missing:
        raise ConfigError(f"targets {', '.join(missing)} are not columns of the parameter table "
                          f"({', '.join(param_names)}); name them in --param-names or drop them from --targets")
    new = [t for t in targets if t not in LCDM_PARAMS]
    if len(new) > N_DUMMY:
        raise ConfigError(f"{len(new)} targets beyond ΛCDM ({', '.join(new)}); the pre-trained networks have "
                          f"{N_DUMMY} dummy outputs — choose at most {N_DUMMY}")
    bad = [v for v in variants if v not in VARIANTS]
    if bad or not variants:
        raise ConfigError(f"unknown variants {', '.join(bad) or '(none given)'}; valid variants: {', '.join(VARIANTS)}")
    if "scratch" not in variants:
        raise ConfigError("the variants must include scratch: savings and ratios are measured against it")


def run_study(pk, params, param_names: tuple[str, ...], targets: tuple[str, ...], out: Path, stat: str = "pk",
              mpk=None, pretrain: str = "quijote_lh", pretrain_stat: str | None = None,
              variants: tuple[str, ...] = ("scratch", "dummy"), budgets: tuple[int, ...] = (50, 100, 200),
              seeds: tuple[int, ...] = (0, 1, 2), scale: str = DEFAULT_SCALE, workers: int | None = None,
              scheduler: str | None = None, progress: bool = True) -> Path:
    """Run the transfer study on a user's suite and write ``out``/{results.csv, summary.json, curves.png}.

    ``pk``/``mpk``: (n, 79) arrays or ``.npy``/text files (or folders of Pylians ``Pk_*.txt``);
    ``params``: an (n, len(param_names)) array or text table. The training runs go on ``workers``
    local processes or the Dask cluster at ``scheduler`` (:mod:`cosmotransfer.cluster`). Returns ``out``.
    """
    import matplotlib.pyplot as plt

    from . import results, sweeps
    from .figures.learning import mse_vs_budget

    sc = get_scale(scale)
    check_inputs(param_names, targets, variants)
    case = user_case(stat, targets, pretrain, pretrain_stat)
    if stat == "mpk" and mpk is None:
        raise ConfigError("--stat mpk needs the marked spectra: give --mpk FILE")
    budgets = tuple(sorted(set(int(b) for b in budgets)))
    if not budgets or min(budgets) < 2:
        raise ConfigError("give budgets of at least 2 simulations, e.g. --budgets 50,100,200")
    if not seeds:
        raise ConfigError("give at least one training seed, e.g. --seeds 0,1,2")
    data = load_quijote(pk, params, param_names=param_names, mpk=mpk, name="user")
    for name, a in data.stats.items():
        log_summaries(a, f"{'marked P(k)' if name == 'mpk' else 'P(k)'} of the user suite")
    ls = sweeps.case_data(case, sc, data)
    if max(budgets) > ls.n_pool:
        raise ConfigError(f"budget {max(budgets)} exceeds the train pool: {len(data)} simulations split 70/15/15 "
                          f"leave {ls.n_pool} for training; choose budgets ≤ {ls.n_pool}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; name a folder")
    try:  # fail now, not after the training, if the results cannot be written there
        out.parent.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=out.parent).close()
    except OSError as e:
        raise ConfigError(f"cannot write next to --out {out}: {e}") from None

    # the seeds given are the members of the band; the pre-trained network is the book's (seed 0),
    # so a study reuses the book's cached pre-training
    sc = replace(sc, seeds=tuple(seeds))
    sw = sweeps.sweep(case, sc, variants=variants, budgets=budgets, seed=0, workers=workers, progress=progress,
                      data=data, scheduler=scheduler)
    table = sw.table.rename(columns={"member": "seed"})[["variant", "n_pretrain", "N", "seed", "param", "mse"]]
    curve = sweeps.curves(sw.table)
    transfer = [v for v in variants if v != "scratch"]
    savings, band, bound, ratio, verdict = {}, {}, {}, {}, {}
    for v in transfer:
        iv = {n: results.savings_interval(sw.table, v, n) for n in sw.provenance["budgets"]}
        savings[v] = {str(n): (None if s.point.bound else round(s.point.factor, 4)) for n, s in iv.items()}
        bound[v] = {str(n): f"{s.point.bound}{s.point.factor:.4g}" for n, s in iv.items() if s.point.bound}
        band[v] = {str(n): [round(s.lo, 4), round(s.hi, 4)] for n, s in iv.items()}
        ratio[v] = {p: {str(n): round(float(r), 6) for n, r in sweeps.mse_ratio(curve, v, p).items()}
                    for p in ("total",) + tuple(targets)}
        # the verdict reads the small budgets (N ≤ TRANSFER_VERDICT["n_max"]); none swept: no verdict
        verdict[v] = ({p: results.transfer_verdict(curve, p, v).verdict for p in targets}
                      if min(budgets) <= TRANSFER_VERDICT["n_max"] else None)
    inputs = {name: {"path": str(Path(src)), "sha256": sha256_file(Path(src))}
              for name, src in (("pk", pk), ("mpk", mpk), ("params", params))
              if isinstance(src, (str, Path)) and Path(src).is_file()}
    summary = {"savings": savings, "savings_band": band, "savings_bound": bound, "ratio": ratio, "verdict": verdict,
               "provenance": {**sw.provenance, "inputs": inputs, "param_names": list(param_names)}}

    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        table.to_csv(tmp / "results.csv", index=False)
        (tmp / "summary.json").write_text(json.dumps(summary, indent=1, default=_json) + "\n")
        fig = mse_vs_budget(curve, title=case.title)
        fig.savefig(tmp / "curves.png", dpi=120)
        plt.close(fig)
        if not out.exists():
            os.rename(tmp, out)  # the whole folder appears at once
        else:  # an existing folder: each file is replaced atomically
            for f in ("results.csv", "summary.json", "curves.png"):
                os.replace(tmp / f, out / f)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _json(o):
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")

