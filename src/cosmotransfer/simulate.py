"""Design → summaries file: the runner shared by every data tier.

A *tier* is a module that turns parameter vectors and seeds into summary statistics:

* ``emulated`` — :mod:`cosmotransfer.emulate` (CAMB HMcode / fremu + one box's sample variance)
* ``simulated`` — :mod:`cosmotransfer.sim` (the particle-mesh engine)

Each tier module provides

``CHUNK``
    design points per work unit (the granularity of resume and of sharding);
``settings(preset, statistics) -> dict``
    the JSON-able settings that determine its output (recorded in the file and hashed into
    the cache key); raises :class:`~cosmotransfer.config.ConfigError` for what it cannot do;
``check_design(params)``, ``design_settings(params) -> dict`` (optional)
    refuse design points the tier cannot make; add the settings a design needs beyond those
    (e.g. the table a response is read from);
``run_chunk(params, seeds, settings, device) -> dict``
    ``params`` (m, 10) float64, ``seeds`` (m,) int64 → ``{"pk": (m, 79) float32, ...}``,
    plus ``"derived_<name>"`` (m,) columns where the tier computes any.

The runner splits a suite into chunks, runs the chunks this shard owns (on the Dask backend of
:mod:`cosmotransfer.cluster`: local worker processes, or a running cluster), stores each finished chunk atomically under ``.cache/simulate/<key>/`` so a killed
run resumes with nothing lost or duplicated, and merges the chunks into the suite file once
every shard is done.
"""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from . import __version__, paths
from .cluster import fan_out
from .config import SMOKE_WORKERS, ConfigError, get_sim_preset
from .data import suite_shortfall
from .store import DataFileError, SuiteData, load_npz, read_manifest, read_suite, save_npz, stable_hash, write_suite
from .stats import kbins
from .suites import design, get_suite, sim_seeds

TIERS = {"emulated": "cosmotransfer.emulate", "simulated": "cosmotransfer.sim"}


def get_tier(name: str):
    """The tier module called ``name``; a clear error naming the valid choices otherwise."""
    if name not in TIERS:
        raise ConfigError(f"unknown tier {name!r}; valid tiers: {', '.join(TIERS)}")
    return importlib.import_module(TIERS[name])


def git_commit() -> str | None:
    """The repository's HEAD commit (provenance only; never part of a cache key)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` → (i, n) with 0 ≤ i < n."""
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ConfigError(f"shard must look like i/n (e.g. 0/4), got {text!r}") from None
    if not 0 <= i < n:
        raise ConfigError(f"shard {text!r}: need 0 ≤ i < n")
    return i, n


def _chunk_name(start: int, stop: int) -> str:
    return f"chunk_{start:06d}_{stop:06d}.npz"


def _run_one(module: str, params: np.ndarray, seeds: np.ndarray, settings: dict, device: str, path: Path, meta: dict) -> int:
    """Run one chunk with the tier ``module`` and store it atomically (a worker-process entry point)."""
    t0 = time.perf_counter()
    out = importlib.import_module(module).run_chunk(params, seeds, settings, device)
    save_npz(path, out, {**meta, "wall_s": time.perf_counter() - t0})
    return len(seeds)


class SuiteRun:
    """One (suite, tier, n, settings) generation: its cache key, chunks, and output file."""

    def __init__(self, suite: str, tier: str, n: int | None = None, preset: str = "paper",
                 statistics: tuple[str, ...] | None = None, out: Path | None = None):
        sim_preset = get_sim_preset(preset)  # validates the name
        self.suite = get_suite(suite)
        self.tier_name = tier
        self.tier = get_tier(tier)
        self.preset = preset
        self.n = self.suite.n_used if n is None else int(n)
        self.params = design(self.suite, self.n)  # validates n
        self.seeds = sim_seeds(self.suite, self.n)
        if not statistics:  # default: the suite's statistics that this tier can make
            statistics = tuple(s for s in self.suite.statistics if s in getattr(self.tier, "STATISTICS", self.suite.statistics))
        if hasattr(self.tier, "check_design"):  # e.g. PNG outside the emulated tier's calibration: fail before any work
            self.tier.check_design(self.params)
        self.settings = self.tier.settings(sim_preset, tuple(statistics))
        if hasattr(self.tier, "design_settings"):  # e.g. the emulated tier's PNG response table
            self.settings = {**self.settings, **self.tier.design_settings(self.params)}
        self.meta = {
            "suite": self.suite.name,
            "tier": tier,
            "preset": preset,
            "n": self.n,
            "settings": self.settings,
            "design_seed": self.suite.design_seed,
            "seed_base": self.suite.seed_base,
            "code_version": __version__,
        }
        self.key = stable_hash(self.meta)
        # A chunk's content depends on its rows' design points and seeds, not on how many points
        # the suite has: chunks are keyed without n, so a run with another n reuses them.
        self.chunk_key = stable_hash({k: v for k, v in self.meta.items() if k != "n"})
        self.meta["config_hash"] = self.key
        self.out = Path(out) if out else paths.preset_suite_file(self.suite.name, tier, preset)
        self.chunk_dir = paths.cache_dir("simulate", self.chunk_key)
        chunk = self.tier.CHUNK
        self.chunks = [(a, min(a + chunk, self.n)) for a in range(0, self.n, chunk)]

    def existing_output_matches(self) -> bool:
        """True if the output file exists and was made with exactly these inputs.

        A file made with the same settings for fewer design points is grown, not redone: its
        rows become finished chunks (design points are a prefix-stable sequence).
        """
        if not self.out.is_file():
            return False
        arrays, meta = load_npz(self.out)
        if meta.get("config_hash") == self.key:
            return True
        same_but_n = stable_hash({k: v for k, v in meta.items() if k not in ("n", "config_hash")}) == self.chunk_key
        if not (same_but_n and meta["n"] < self.n):
            raise DataFileError(
                f"{self.out} exists but was made with other settings (config hash {meta.get('config_hash')} ≠ {self.key}); "
                "pass --force to overwrite it, or --out to write elsewhere"
            )
        self._adopt_rows(arrays, meta["n"])
        return False

    def _adopt_rows(self, arrays: dict[str, np.ndarray], n_old: int) -> None:
        """Store the chunks that lie wholly inside the first ``n_old`` rows of an existing file.

        Each adopted chunk carries its share of the old file's compute time, so the grown file's
        manifest still reports the total.
        """
        try:
            old_compute = float(read_manifest(self.out).get("compute_s") or 0.0)
        except DataFileError:
            old_compute = 0.0
        outputs = [k for k in arrays if k not in ("params", "index", "seeds", "k")]  # pk, mpk, derived_*
        for a, b in self.chunks:
            path = self.chunk_dir / _chunk_name(a, b)
            if b <= n_old and not path.is_file():
                save_npz(path, {k: arrays[k][a:b] for k in outputs},
                         {"chunk_key": self.chunk_key, "start": a, "stop": b, "wall_s": old_compute * (b - a) / n_old})

    def missing_chunks(self, shard: tuple[int, int] = (0, 1)) -> list[tuple[int, int]]:
        i, n = shard
        return [c for c in self.chunks[i::n] if not (self.chunk_dir / _chunk_name(*c)).is_file()]

    def run(self, shard: tuple[int, int] = (0, 1), device: str = "cpu", workers: int = 1,
            scheduler: str | None = None, progress: bool = True, command: str | None = None) -> Path | None:
        """Run this shard's missing chunks (on the backend of :func:`cluster.fan_out`: ``workers``
        local processes or the cluster at ``scheduler``); merge if every chunk now exists.

        Returns the output path once the suite file is complete, ``None`` if other shards
        still have chunks to run.
        """
        todo = self.missing_chunks(shard)
        mine = self.chunks[shard[0]::shard[1]]
        jobs = [(self.tier.__name__, self.params[a:b], self.seeds[a:b], self.settings, device,
                 self.chunk_dir / _chunk_name(a, b), {"chunk_key": self.chunk_key, "start": a, "stop": b}) for a, b in todo]
        fan_out(_run_one, jobs, workers, scheduler, desc=f"{self.suite.name} [{self.tier_name}]", unit="sim",
                weights=[b - a for a, b in todo], done=sum(b - a for a, b in mine) - sum(b - a for a, b in todo),
                progress=progress)
        if self.missing_chunks((0, 1)):
            return None
        return self.merge(device=device, command=command)

    def merge(self, device: str = "cpu", command: str | None = None) -> Path:
        parts, wall = [], 0.0
        for a, b in self.chunks:
            arrays, meta = load_npz(self.chunk_dir / _chunk_name(a, b))
            if meta.get("chunk_key") != self.chunk_key or (meta["start"], meta["stop"]) != (a, b):
                raise DataFileError(f"chunk {a}:{b} in {self.chunk_dir} belongs to another run; delete that folder and rerun")
            parts.append(arrays)
            wall += meta["wall_s"]
        cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        data = SuiteData(
            suite=self.suite.name, tier=self.tier_name, params=self.params,
            index=np.arange(self.n, dtype=np.int64), seeds=self.seeds, k=kbins(self.settings.get("box", 1000.0)).k,
            stats={s: cat.pop(s) for s in ("pk", "mpk") if s in cat},
            derived={k.removeprefix("derived_"): v for k, v in cat.items()}, meta=self.meta,
        )
        _check_finite(data, self.out)
        write_suite(self.out, data, extra_manifest={
            "command": command, "compute_s": round(wall, 2), "device": device,
            "git_commit": git_commit(), "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        })
        for a, b in self.chunks:  # chunks beyond n (from a larger run) stay for that run
            (self.chunk_dir / _chunk_name(a, b)).unlink()
            for tmp in self.chunk_dir.glob(f".{_chunk_name(a, b)}.*.tmp"):  # left by a worker killed mid-write
                tmp.unlink()
        if not any(self.chunk_dir.iterdir()):
            self.chunk_dir.rmdir()
        return self.out


def _check_finite(data: SuiteData, out: Path) -> None:
    for name, arr in data.stats.items():
        bad = ~np.isfinite(arr).all(axis=1) | (arr <= 0).any(axis=1)
        if bad.any():
            raise DataFileError(f"{name} of {bad.sum()} simulations of {data.suite} is non-finite or ≤ 0 "
                                f"(first at design index {np.flatnonzero(bad)[0]}); {out} was not written")


def simulate(suite: str, tier: str = "emulated", n: int | None = None, preset: str = "paper",
             statistics: tuple[str, ...] | None = None, shard: tuple[int, int] = (0, 1), device: str = "cpu",
             workers: int = 1, out: Path | None = None, force: bool = False, progress: bool = True,
             scheduler: str | None = None) -> Path | None:
    """Generate (or resume) a suite file. See :class:`SuiteRun` and :meth:`SuiteRun.run`."""
    run = SuiteRun(suite, tier, n=n, preset=preset, statistics=statistics, out=out)
    if force and run.out.exists():
        run.out.unlink()
    elif run.existing_output_matches():
        return run.out
    command = "cosmotransfer " + " ".join(sys.argv[1:]) if sys.argv and "cosmotransfer" in sys.argv[0] else None
    return run.run(shard=shard, device=device, workers=workers, scheduler=scheduler, progress=progress, command=command)


def ensure_smoke_suite(suite: str, stat: str = "pk", tier: str | None = None, n: int | None = None,
                       progress: bool = False) -> Path | None:
    """Make the emulated suite the smoke scale reads, into the cache, when it is missing or too small
    (a smaller file there is stale and is replaced). Returns the file made, or ``None`` if nothing
    was needed or the tier is not the emulated one (the others are shipped or need the engine)."""
    path, need, have, tier = suite_shortfall(suite, "smoke", stat, n, tier)
    if tier != "emulated" or have >= need:
        return None
    return simulate(suite, tier=tier, n=need, preset="smoke", out=path, force=True, workers=SMOKE_WORKERS,
                    progress=progress)


def ensure_smoke_suites(progress: bool = False) -> list[Path]:
    """:func:`ensure_smoke_suite` for every suite a case reads at the smoke scale (fine-tuning and
    pre-training); the book runner calls it before a smoke build."""
    from .transfer import CASES, case_tier, pretrain_tier

    made = []
    for c in CASES.values():
        wanted = [(c.suite, c.stat, case_tier(c, "smoke"), None)]
        if pretrain_tier(c, "smoke") == "emulated":  # at the scale's size: every pre-training size shares its split
            wanted.append((c.pretrain_suite, c.source_stat, "emulated", None))
        for suite, stat, tier, n in wanted:
            if (path := ensure_smoke_suite(suite, stat, tier, n, progress)) is not None:
                made.append(path)
    return made


def reproduce(path: Path, rows, device: str = "cpu") -> dict[str, np.ndarray]:
    """Re-run the tier for some rows of an existing suite file, with the file's own settings.

    Used to prove a shipped file comes from this code: compare the result with the stored rows.
    """
    data = read_suite(path)
    rows = np.atleast_1d(np.asarray(rows))
    tier = get_tier(data.tier)
    return tier.run_chunk(data.params[rows], data.seeds[rows], data.meta["settings"], device)


def describe(path: Path) -> str:
    data = read_suite(path)
    return json.dumps({"file": str(path), "n": len(data), **{k: list(v.shape) for k, v in data.stats.items()}, **data.meta}, indent=1)
