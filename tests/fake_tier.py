"""A tier for testing the runner: cheap, deterministic, and able to crash on request.

Set ``FAKE_TIER_CRASH_AT`` to a simulation seed to make the chunk holding it fail (a killed run);
``FAKE_TIER_KILL_AT`` to a seed and ``FAKE_TIER_KILL_MARK`` to a file path to make the process running
the chunk holding it die at once, the first time only (a lost worker); ``FAKE_TIER_SLEEP`` to seconds
each chunk takes (a slow tier, to kill a client in mid-run).
"""
import os
import time
from pathlib import Path

import numpy as np

from cosmotransfer.stats import kbins

CHUNK = 3


def settings(preset, statistics):
    return {"box": 1000.0, "statistics": list(statistics), "amplitude": 1.0}


def run_chunk(params, seeds, settings, device):
    crash = int(os.environ.get("FAKE_TIER_CRASH_AT", -1))
    if crash in seeds:
        raise RuntimeError(f"simulated crash at seed {crash}")
    if int(os.environ.get("FAKE_TIER_KILL_AT", -1)) in seeds:
        die_once(os.environ["FAKE_TIER_KILL_MARK"])
    time.sleep(float(os.environ.get("FAKE_TIER_SLEEP", 0)))
    k = kbins(settings["box"]).k
    rng = [np.random.default_rng(int(s)) for s in seeds]
    pk = np.stack([settings["amplitude"] * p[4] ** 2 * k**-1.5 * r.gamma(100, 0.01, len(k)) for p, r in zip(params, rng)])
    out = {"pk": pk.astype(np.float32), "derived_sum": params.sum(axis=1)}
    if "mpk" in settings["statistics"]:
        out["mpk"] = (0.5 * pk).astype(np.float32)
    return out


def die_once(mark: str) -> None:
    """End this process without cleanup (as a killed worker does) unless ``mark`` exists; leave it."""
    if not Path(mark).exists():
        Path(mark).touch()
        os._exit(1)


def double_or_die(x: int, die_at: int, mark: str) -> int:
    """A fan-out task: ``2 x``, but the worker running ``x == die_at`` dies the first time."""
    if x == die_at:
        die_once(mark)
    return 2 * x
