"""The ``cosmotransfer`` command line.

    cosmotransfer design SUITE                  summary of a suite design
    cosmotransfer simulate SUITE [options]      make (or resume) a suite's summaries file
                                                (--workers N local Dask workers, or --scheduler ADDRESS)
    cosmotransfer verify [FILE ...]             check suite files against their manifests
    cosmotransfer validate-emulated [--quijote DIR]
                                                emulated tier vs the real Quijote LH → data/reference/
    cosmotransfer validate-engine {hmcode,quijote,corners,steps,physics,marks,png} [--preset P] [--seeds N] [--n N] [--rows N] [--steps N] [--shard i/n]
                                                the engine vs HMcode / the real Quijote LH → data/reference/
    cosmotransfer convert-quijote [--quijote DIR]
                                                the real Quijote summaries → data/quijote/ (+ manifests)
    cosmotransfer sweep --pk P.npy [--mpk M.npy] --params T.txt --param-names … --targets … --out DIR
                                                transfer vs scratch on your own suite
    cosmotransfer benchmark-fanout [--n N] [--seeds S]
                                                1 vs 2 local Dask workers → data/reference/
    cosmotransfer book [--scale S] [--out DIR] [--only 03] [-p SEED=1]
                                                execute the notebooks (or one) and build the book
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import DASK_SCHEDULER_ENV, DEFAULT_SCALE, SCALES, SIM_PRESETS, ConfigError
from .store import DataFileError


SCHEDULER_HELP = (f"address of a running Dask scheduler (e.g. tcp://10.0.0.1:8786) to fan out to; "
                  f"default ${DASK_SCHEDULER_ENV}, else a local cluster of --workers processes")


def _cmd_design(args) -> int:
    from .config import PARAM_NAMES
    from .suites import design, get_suite, split

    s = get_suite(args.suite)
    d = design(s)
    sp = split(s)
    print(f"{s.name}: {s.title} ({s.role}); {s.n} points ({s.sampler}), {s.n_used} used")
    print(f"split: {len(sp.pool)} train pool / {len(sp.val)} validation / {len(sp.test)} test")
    for j, name in enumerate(PARAM_NAMES):
        tag = "varied" if name in s.varied else "fixed "
        print(f"  {name:10s} {tag} [{d[:, j].min():+.4g}, {d[:, j].max():+.4g}]{'  target' if name in s.targets else ''}")
    return 0


def _cmd_simulate(args) -> int:
    from .simulate import parse_shard, simulate

    out = simulate(
        args.suite, tier=args.tier, n=args.n, preset=args.preset, statistics=tuple(args.stat or ()) or None,
        shard=parse_shard(args.shard), device=args.device, workers=args.workers, scheduler=args.scheduler,
        out=Path(args.out) if args.out else None, force=args.force,
    )
    print(f"wrote {out}" if out else "shard done; other shards still have chunks to run")
    return 0


def _cmd_verify(args) -> int:
    from . import paths
    from .store import verify_suite_file

    files = [Path(f) for f in args.files] or sorted(paths.DATA_DIR.rglob("*.npz"))
    for f in files:
        m = verify_suite_file(f)
        print(f"ok  {f}  n={m['n']}  {m['sha256'][:12]}")
    return 0


def _cmd_validate_emulated(args) -> int:
    from .emulate import write_quijote_validation

    out = write_quijote_validation(quijote_dir=Path(args.quijote) if args.quijote else None, workers=args.workers)
    print(f"wrote {out}")
    return 0


def _cmd_validate_engine(args) -> int:
    from .simulate import parse_shard
    from .sim.validate import write_check

    kwargs = {"device": args.device, "shard": parse_shard(args.shard)}
    if args.check == "hmcode":
        kwargs["n_seeds"] = args.seeds
    elif args.check in ("quijote", "marks"):
        kwargs["quijote_dir"] = Path(args.quijote) if args.quijote else None
        if args.n:
            kwargs["n"] = args.n
    elif args.check in ("corners", "steps"):
        kwargs.update(n_rows=args.rows, quijote_dir=Path(args.quijote) if args.quijote else None)
        if args.check == "steps":
            kwargs["n_steps"] = args.steps
    out = write_check(args.check, preset=args.preset, **kwargs)
    print(f"wrote {out}" if out else "shard done; run without --shard to write the table")
    return 0


def _cmd_convert_quijote(args) -> int:
    from .quijote import convert

    for path in convert(Path(args.quijote) if args.quijote else None):
        print(f"wrote {path}")
    return 0


def _cmd_sweep(args) -> int:
    from .study import parse_list, run_study

    given = {"variants": parse_list(args.variants), "budgets": parse_list(args.budgets, int),
             "seeds": parse_list(args.seeds, int), "pretrain": args.pretrain, "scale": args.scale}
    out = run_study(
        pk=args.pk, mpk=args.mpk, params=args.params, param_names=parse_list(args.param_names),
        targets=parse_list(args.targets), stat=args.stat, pretrain_stat=args.pretrain_stat, workers=args.workers,
        scheduler=args.scheduler,
        out=Path(args.out), **{k: v for k, v in given.items() if v},  # the rest: run_study's defaults
    )
    print(f"wrote {out / 'results.csv'}, {out / 'summary.json'}, {out / 'curves.png'}")
    return 0


def _cmd_benchmark_fanout(args) -> int:
    from .benchmark import run_benchmark

    result = run_benchmark(n_sims=args.n, seeds=args.seeds)
    for r in result["rows"]:
        print(f"{r['workload']:6s} {r['workers']} worker(s): {r['tasks']:3d} tasks in {r['wall_s']:7.1f} s, "
              f"speed-up {r['speedup']:.2f}, overhead {100 * r['overhead_fraction']:.2f} % of a task")
    print(f"scheduler overhead {1e3 * result['overhead_s']:.2f} ms per task; suite files identical: "
          f"{result['suite_files_identical']}")
    return 0


def _cmd_book(args) -> int:
    from .book import build_book

    from .book import parse_parameters, resolve_chapters

    build_book(scale=args.scale, out=Path(args.out) if args.out else None,
               notebooks=resolve_chapters(args.only) if args.only else None,
               parameters=parse_parameters(args.parameter or []))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="cosmotransfer", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    d = sub.add_parser("design", help="summary of a suite design")
    d.add_argument("suite")
    d.set_defaults(func=_cmd_design)

    s = sub.add_parser("simulate", help="make (or resume) a suite's summaries file")
    s.add_argument("suite")
    s.add_argument("--tier", default="emulated", help="emulated (CAMB/fremu, CPU) or simulated (particle mesh)")
    s.add_argument("--n", type=int, default=None, help="first N design points (default: the suite's size)")
    s.add_argument("--preset", default="paper", help=f"simulation preset: {', '.join(SIM_PRESETS)} (default paper)")
    s.add_argument("--stat", action="append", choices=["pk", "mpk"], help="statistics (default: the suite's)")
    s.add_argument("--shard", default="0/1", help="i/n: run every n-th chunk starting at i")
    s.add_argument("--device", default="cpu", help="cpu or cuda")
    s.add_argument("--workers", type=int, default=1, help="local Dask worker processes (1: run in this process)")
    s.add_argument("--scheduler", default=None, help=SCHEDULER_HELP)
    s.add_argument("--out", default=None, help="output file (default: data/<tier>/[<preset>/]<suite>.npz for the shipped presets paper and cpu, else .cache/suites/)")
    s.add_argument("--force", action="store_true", help="overwrite an output made with other settings")
    s.set_defaults(func=_cmd_simulate)

    v = sub.add_parser("verify", help="check suite files against their manifests")
    v.add_argument("files", nargs="*")
    v.set_defaults(func=_cmd_verify)

    q = sub.add_parser("validate-emulated", help="compare the emulated tier with the real Quijote latin hypercube")
    q.add_argument("--quijote", default=None, help="folder with LH_params.txt and LH_Pk_m_z0.npy (default ../shared/quijote)")
    q.add_argument("--workers", type=int, default=1, help="parallel CPU processes")
    q.set_defaults(func=_cmd_validate_emulated)

    e = sub.add_parser("validate-engine", help="compare the engine with HMcode-2020, the real Quijote latin hypercube, or its physics references")
    e.add_argument("check", choices=["hmcode", "quijote", "corners", "steps", "physics", "marks", "png"])
    e.add_argument("--preset", default="paper", help=f"simulation preset: {', '.join(SIM_PRESETS)} (default paper)")
    e.add_argument("--seeds", type=int, default=5, help="hmcode: boxes per cosmology (default 5)")
    e.add_argument("--n", type=int, default=None, help="quijote, marks: cosmologies of the latin hypercube (default 50, 8)")
    e.add_argument("--rows", type=int, default=8, help="corners, steps: Quijote LH rows nearest each corner (default 8)")
    e.add_argument("--steps", type=int, default=20, help="steps: the time steps to compare with the preset's (default 20)")
    e.add_argument("--quijote", default=None, help="quijote, corners, steps: folder with the LH files (default ../shared/quijote)")
    e.add_argument("--shard", default="0/1", help="i/n: make every n-th box only (no table)")
    e.add_argument("--device", default="cpu", help="cpu or cuda")
    e.set_defaults(func=_cmd_validate_engine)

    c = sub.add_parser("convert-quijote", help="convert the real Quijote summaries into data/quijote/")
    c.add_argument("--quijote", default=None, help="folder with the LH_* and nwLH_* files (default ../shared/quijote)")
    c.set_defaults(func=_cmd_convert_quijote)

    w = sub.add_parser("sweep", help="transfer vs scratch on your own suite: results.csv, summary.json, curves.png")
    w.add_argument("--pk", required=True, help="(n, 79) P(k) [(Mpc/h)^3]: .npy, text table, or folder of Pk_*.txt")
    w.add_argument("--mpk", default=None, help="(n, 79) marked P(k), same layout (needed for --stat mpk)")
    w.add_argument("--params", required=True, help="parameter table, one row per simulation (text, # comments)")
    w.add_argument("--param-names", required=True, help="its columns, e.g. Om,Ob,h,ns,s8,Mnu,w")
    w.add_argument("--targets", required=True, help="what the network infers, e.g. Om,Ob,h,ns,s8,Mnu")
    w.add_argument("--stat", default="pk", choices=["pk", "mpk"], help="the statistic to fine-tune on")
    w.add_argument("--pretrain", default=None, help="pre-training source: quijote_lh (default) or emulated_bsq")
    w.add_argument("--pretrain-stat", default=None, choices=["pk", "mpk"],
                   help="statistic of the pre-training (default: --stat where the source has it, else pk)")
    w.add_argument("--variants", default=None, help="from scratch,dummy,nodummy,frozen (default scratch,dummy)")
    w.add_argument("--budgets", default=None, help="training-set sizes N (default 50,100,200)")
    w.add_argument("--seeds", default=None, help="training seeds, the band's members (default 0,1,2)")
    w.add_argument("--scale", default=None, help=f"{', '.join(SCALES)}: networks and epochs (default {DEFAULT_SCALE})")
    w.add_argument("--workers", type=int, default=None, help="local Dask worker processes training at once (default: the scale's)")
    w.add_argument("--scheduler", default=None, help=SCHEDULER_HELP)
    w.add_argument("--out", required=True, help="output folder")
    w.set_defaults(func=_cmd_sweep)

    f = sub.add_parser("benchmark-fanout", help="a smoke suite and a smoke sweep on 1 vs 2 local Dask workers")
    f.add_argument("--n", type=int, default=200, help="emulated f(R) points of the suite (default 200)")
    f.add_argument("--seeds", type=int, default=5, help="training seeds of the sweep (default 5)")
    f.set_defaults(func=_cmd_benchmark_fanout)

    b = sub.add_parser("book", help="execute the notebooks with papermill and build the book")
    b.add_argument("--scale", default=DEFAULT_SCALE, help=f"{', '.join(SCALES)} (default {DEFAULT_SCALE})")
    b.add_argument("--out", default=None, help="build in this folder instead of the repository")
    b.add_argument("--only", action="append", help="only this chapter (03 or 03_neutrinos; repeatable)")
    b.add_argument("-p", "--parameter", action="append", help="a papermill parameter NAME=VALUE (repeatable)")
    b.set_defaults(func=_cmd_book)

    args = p.parse_args(argv)
    try:
        return args.func(args)
    except (ConfigError, DataFileError) as e:
        print(f"cosmotransfer: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
