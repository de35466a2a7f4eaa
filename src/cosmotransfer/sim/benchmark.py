"""Time the engine and check its determinism on a device::

    python -m cosmotransfer.sim.benchmark --preset paper --device cuda --n 8 [--compare cpu.npz]
    python -m cosmotransfer.sim.benchmark --preset paper --profile      # the share of each stage (CPU)

Runs the first ``n`` design points of a suite (tables from ``.cache/linear``; precompute them on
a CPU machine first), prints seconds per simulation after one warm-up simulation (FFT plans,
allocator), re-runs the first one and checks the bytes are identical, and saves the summaries
to ``--out``. With ``--compare FILE`` (the ``--out`` of a run on another device) it prints the
largest relative difference between the two devices' P(k) and MP(k). ``--profile`` times one
simulation under cProfile and prints the share of each stage (:func:`profile_stages`).
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from ..config import ConfigError, get_sim_preset
from ..suites import design, sim_seeds
from .engine import Engine, make_settings


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def benchmark(suite: str = "bsq", n: int = 8, preset: str = "paper", device: str = "cpu") -> dict:
    """Run ``n`` simulations; returns timings, the determinism check and the summaries."""
    eng = Engine(make_settings(get_sim_preset(preset)), device)
    params, seeds = design(suite, n), sim_seeds(suite, n)
    dev = torch.device(device)
    eng.run_many(params[:1], seeds[:1])  # warm-up: FFT plans, caches, allocator
    _sync(dev)
    t0 = time.perf_counter()
    out = eng.run_many(params, seeds)
    _sync(dev)
    per_sim = (time.perf_counter() - t0) / n
    again = eng.run_many(params[:1], seeds[:1])
    same = all(again[k][0].tobytes() == out[k][0].tobytes() for k in out)
    return {"s_per_sim": per_sim, "deterministic": same, "params": params, "seeds": seeds, **out}


#: the engine's stages for :func:`profile_stages`: (label, source file, function); the first four
#: are consecutive and add up to a simulation, the last three are kernels called in all of them
STAGES = (("white noise", "ic.py", "white_noise"), ("initial conditions (2LPT)", "engine.py", "initial_conditions"),
          ("particle mesh (KDK steps)", "pm.py", "evolve"), ("P(k) and marked P(k)", "engine.py", "summaries"),
          ("CIC indices and weights", "mesh.py", "__init__"), ("CIC paint", "mesh.py", "_accumulate"),
          ("CIC read-out", "mesh.py", "read"))


def profile_stages(suite: str = "bsq", preset: str = "paper") -> dict:
    """Seconds and share of one simulation (after a warm-up one) spent in each of :data:`STAGES`,
    and in FFTs (every ``torch.fft`` call), on the CPU.

    cProfile times host calls: exact on the CPU, where torch runs each operation before it
    returns, meaningless on a GPU, where calls return before the kernels finish (use
    ``torch.profiler`` there). Returns ``{"total": s, "stages": {label: (s, share)}}``.
    """
    import cProfile
    import pstats

    eng = Engine(make_settings(get_sim_preset(preset)), "cpu")
    params, seeds = design(suite, 2), sim_seeds(suite, 2)
    eng.run_many(params, seeds)  # warm-up; both linear tables (CAMB on a fresh cache) made before profiling
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.runcall(eng.run_many, params[1:], seeds[1:])
    total = time.perf_counter() - t0
    stats = pstats.Stats(prof).stats  # {(file, line, function): (calls, ncalls, tottime, cumtime, callers)}
    out = {}
    for label, file, func in STAGES:
        sec = sum(v[3] for (f, _, fn), v in stats.items() if fn == func and f.endswith(f"sim/{file}"))
        out[label] = (sec, sec / total)
    fft = sum(v[2] for (_, _, fn), v in stats.items() if "fft_" in fn)
    out["FFTs (all stages)"] = (fft, fft / total)
    return {"total": total, "stages": out}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cosmotransfer.sim.benchmark", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", default="bsq")
    p.add_argument("--n", type=int, default=8)
    p.add_argument("--preset", default="paper")
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default="benchmark.npz")
    p.add_argument("--compare", default=None, help="an --out file from another device")
    p.add_argument("--profile", action="store_true", help="the share of each stage in one simulation (CPU only)")
    args = p.parse_args(argv)
    if args.profile:
        if args.device != "cpu":
            print("error: --profile times host calls and is for the CPU; on a GPU use torch.profiler", file=sys.stderr)
            return 2
        r = profile_stages(args.suite, args.preset)
        print(f"{args.preset} preset, one simulation on the CPU ({torch.get_num_threads()} threads): {r['total']:.2f} s")
        for label, (sec, share) in r["stages"].items():
            print(f"  {label:28s} {sec:8.2f} s  {100 * share:5.1f}%")
        return 0
    try:
        r = benchmark(args.suite, args.n, args.preset, args.device)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu"
    print(f"{args.preset} preset on {args.device} ({name}, {torch.get_num_threads()} CPU threads): "
          f"{r['s_per_sim']:.3f} s/sim over {args.n} sims; same seed -> identical bytes: {r['deterministic']}")
    np.savez(args.out, pk=r["pk"], mpk=r["mpk"], params=r["params"], seeds=r["seeds"])
    if args.compare:
        other = np.load(args.compare)
        m = min(len(other["pk"]), args.n)
        for st in ("pk", "mpk"):
            rel = np.abs(r[st][:m] / other[st][:m] - 1)
            print(f"{st}: max |{args.device} / other - 1| = {rel.max():.2e} (median {np.median(rel):.2e})")
    return 0 if r["deterministic"] else 1


if __name__ == "__main__":
    sys.exit(main())
