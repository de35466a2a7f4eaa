"""Which suite file a notebook reads at a scale, and loading it (loaders only load).

:func:`load_suite` reads the first ``n`` rows of a suite at a scale from its tier — the real
Quijote files, the emulated tier's or the simulated tier's at the scale's preset — and raises one
:class:`~cosmotransfer.store.DataFileError` naming the command that makes a missing or too small
file. The file format is :mod:`cosmotransfer.store`'s.
"""
from __future__ import annotations

from pathlib import Path

from . import paths
from .config import REAL_TIER, get_scale
from .store import DataFileError, SuiteData, read_manifest, read_suite
from .suites import get_suite

#: Statistics the emulated tier cannot make: they need the simulated (particle-mesh) tier.
SIMULATED_ONLY_STATS = ("mpk",)


#: Suites read from the simulated tier unless a case names another (primordial non-Gaussianity: the
#: emulated tier has it only through the engine-calibrated response, in the cases that say so).
SIMULATED_ONLY_SUITES = ("png_eq", "png_lc")


def subset_suite(data: SuiteData, n: int) -> SuiteData:
    """The first ``n`` rows of a suite (design points 0 … n−1 of a shipped suite)."""
    if n > len(data):
        raise DataFileError(f"suite {data.suite!r} has {len(data)} simulations; {n} were asked for")
    return SuiteData(suite=data.suite, tier=data.tier, params=data.params[:n], index=data.index[:n],
                     seeds=data.seeds[:n], k=data.k, stats={k: v[:n] for k, v in data.stats.items()},
                     derived={k: v[:n] for k, v in data.derived.items()}, meta=data.meta)


def suite_tier(suite: str, stat: str, scale, tier: str | None = None) -> str:
    """The tier that holds ``stat`` of ``suite`` at ``scale``: ``tier`` if given (e.g. ``"quijote"``,
    the real spectra, which have marked P(k) too), else the scale's own tier where it can make it,
    else ``"simulated"`` (marked P(k) and PNG need the particle-mesh engine)."""
    sc = get_scale(scale)
    if tier:
        return tier
    if stat in SIMULATED_ONLY_STATS or suite in SIMULATED_ONLY_SUITES:
        return "simulated"
    return sc.tier


def suite_path(suite: str, tier: str, scale) -> Path:
    """The file a notebook reads: shipped files under ``data/`` — the real Quijote tier's, the
    emulated tier's, and the simulated tier's at the scale's ``suite_preset`` — or, for a preset
    that is not shipped, the cache.

    The emulated tier does not depend on the preset and the first N rows of a suite file are what
    ``--n N`` makes, so at the smoke scale a shipped emulated file large enough is used as is.
    """
    sc = get_scale(scale)
    if tier == "simulated":
        return paths.preset_suite_file(suite, tier, sc.suite_preset)
    if tier == REAL_TIER:
        return paths.suite_file(suite, tier)
    shipped = paths.suite_file(suite, tier)
    if sc.name != "smoke":
        return shipped
    n = sc.suite_size(suite, tier) or get_suite(suite).n_used
    if shipped.is_file() and read_manifest(shipped)["n"] >= n:
        return shipped
    return paths.suite_file(suite, tier, root=paths.CACHE_DIR / "suites" / sc.name)


def simulate_command(suite: str, tier: str, scale) -> str:
    """The command that makes the file :func:`load_suite` looks for."""
    sc = get_scale(scale)
    if tier == REAL_TIER:
        return "cosmotransfer convert-quijote"
    n = sc.suite_size(suite, tier) or get_suite(suite).n_used
    if tier == "simulated":
        device = " --device cuda" if sc.suite_preset == "paper" else " --workers 2"
        return f"cosmotransfer simulate {suite} --tier simulated --preset {sc.suite_preset} --n {n}{device}"
    if sc.name == "smoke":
        return f"cosmotransfer simulate {suite} --tier {tier} --n {n} --preset smoke"
    return f"cosmotransfer simulate {suite} --tier {tier} --n {get_suite(suite).n}"


def suite_shortfall(suite: str, scale, stat: str = "pk", n: int | None = None,
                    tier: str | None = None) -> tuple[Path, int, int, str]:
    """Where :func:`load_suite` reads ``suite`` at ``scale``, how many simulations it needs and has
    there, and its tier: ``(path, n_needed, n_have, tier)``. Loads nothing."""
    sc = get_scale(scale)
    s = get_suite(suite)
    tier = suite_tier(s.name, stat, sc, tier)
    path = suite_path(s.name, tier, sc)
    have = read_manifest(path)["n"] if path.is_file() else 0
    # the real tier holds what Quijote ran: its whole file at every scale
    n = n or sc.suite_size(s.name, tier) or (have if tier == REAL_TIER else s.n_used)
    return path, n, have, tier


def load_suite(suite: str, scale, stat: str = "pk", n: int | None = None, tier: str | None = None) -> SuiteData:
    """The suite a notebook reads at ``scale``: its first ``n`` rows (default: the scale's
    :meth:`~cosmotransfer.config.Scale.suite_size`), holding ``stat``, from ``tier`` (default:
    :func:`suite_tier`).

    Loaders only load: a missing or too small file raises :class:`DataFileError` naming the command
    that makes it (at the smoke scale the book runner makes missing emulated suites first,
    :func:`cosmotransfer.simulate.ensure_smoke_suites`).
    """
    sc = get_scale(scale)
    path, n, have, tier = suite_shortfall(suite, sc, stat, n, tier)
    if have < n or not have:
        shown = path.relative_to(paths.ROOT) if path.is_relative_to(paths.ROOT) else path
        what = f"is not at {shown}" if not have else f"at {shown} holds {have} simulations, not {n}"
        how = "restore it with `git checkout -- data/quijote` or make it" if tier == REAL_TIER else "generate it"
        raise DataFileError(f"{'marked P(k) of ' if stat == 'mpk' else ''}suite {suite!r} ({tier} tier) {what}; "
                            f"{how} with `{simulate_command(suite, tier, sc)}`")
    data = read_suite(path)
    data.stat(stat)  # clear error if the file lacks the statistic
    return subset_suite(data, n) if len(data) > n else data


def find_suite(suite: str, scale, stat: str = "pk", n: int | None = None,
               tier: str | None = None) -> tuple[SuiteData | None, str]:
    """:func:`load_suite`, or ``(None, message)`` when the file does not exist.

    For notebooks: a missing optional suite becomes an admonition, not a crash.
    """
    try:
        return load_suite(suite, scale, stat, n=n, tier=tier), ""
    except DataFileError as e:
        return None, str(e)
