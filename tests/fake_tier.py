"""A tier for testing the runner: cheap, deterministic, and able to crash on request.

Set ``FAKE_TIER_CRASH_AT`` to a simulation seed to make the chunk holding it fail (a killed run).
"""
import os

import numpy as np

from cosmotransfer.stats import kbins

CHUNK = 3


def settings(preset, statistics):
    return {"box": 1000.0, "statistics": list(statistics), "amplitude": 1.0}


def run_chunk(params, seeds, settings, device):
    crash = int(os.environ.get("FAKE_TIER_CRASH_AT", -1))
    if crash in seeds:
        raise RuntimeError(f"simulated crash at seed {crash}")
    k = kbins(settings["box"]).k
    rng = [np.random.default_rng(int(s)) for s in seeds]
    pk = np.stack([settings["amplitude"] * p[4] ** 2 * k**-1.5 * r.gamma(100, 0.01, len(k)) for p, r in zip(params, rng)])
    out = {"pk": pk.astype(np.float32), "derived_sum": params.sum(axis=1)}
    if "mpk" in settings["statistics"]:
        out["mpk"] = (0.5 * pk).astype(np.float32)
    return out
