"""Every location the project reads or writes, relative to the repository root.

Environment overrides (all optional):

* ``COSMOTRANSFER_ROOT`` — the repository root (default: found from this file, or the cwd).
* ``COSMOTRANSFER_CACHE`` — where expensive stages cache their results (default ``ROOT/.cache``).
* ``COSMOTRANSFER_QUIJOTE`` — the real Quijote reference files (default ``ROOT/../shared/quijote``);
  used only by tests and by the bring-your-own-data loaders, never by the book.
* ``COSMOTRANSFER_FIGURES`` — where the book's figures are saved (default ``ROOT/_build/figures``;
  the book runner points it at the ``_build/figures`` of the book it builds).
* ``COSMOTRANSFER_DOWNLOADS`` — where the tables behind the figures are written for the pages to
  link (default ``ROOT/book/downloads``; the book runner points it at the book it builds).
"""
from __future__ import annotations

import os
from pathlib import Path


def _find_root() -> Path:
    if env := os.environ.get("COSMOTRANSFER_ROOT"):
        return Path(env).resolve()
    # Editable install / source checkout: src/cosmotransfer/paths.py -> repository root.
    here = Path(__file__).resolve().parents[2]
    if (here / "pyproject.toml").is_file():
        return here
    return Path.cwd().resolve()


ROOT: Path = _find_root()
DATA_DIR: Path = ROOT / "data"  # shipped suite files and their manifests
NOTEBOOKS_DIR: Path = ROOT / "notebooks"  # Jupytext sources
BOOK_DIR: Path = ROOT / "book"  # prose pages; executed notebooks land here (git-ignored)
CACHE_DIR: Path = Path(os.environ.get("COSMOTRANSFER_CACHE", ROOT / ".cache")).resolve()
QUIJOTE_DIR: Path = Path(os.environ.get("COSMOTRANSFER_QUIJOTE", ROOT.parent / "shared" / "quijote")).resolve()


def figures_dir() -> Path:
    """Where :func:`cosmotransfer.figures.publish` saves ``<id>.png`` and ``<id>.pdf`` (read at call
    time: the book runner sets ``COSMOTRANSFER_FIGURES`` for the notebooks it executes)."""
    return Path(os.environ.get("COSMOTRANSFER_FIGURES", ROOT / "_build" / "figures")).resolve()


def downloads_dir() -> Path:
    """Where :func:`cosmotransfer.figures.publish` writes ``<id>.csv`` and ``<id>.json``, beside the
    pages that link them (read at call time, like :func:`figures_dir`)."""
    return Path(os.environ.get("COSMOTRANSFER_DOWNLOADS", BOOK_DIR / "downloads")).resolve()


def suite_file(suite: str, tier: str, root: Path | None = None, preset: str = "paper") -> Path:
    """Path of a suite's summaries file: ``data/<tier>/<suite>.npz`` (manifest beside it) for the
    paper preset (and the emulated tier, which has no preset), ``data/<tier>/<preset>/<suite>.npz``
    for another simulation preset."""
    folder = Path(tier) if preset == "paper" or tier == "emulated" else Path(tier) / preset
    return (root or DATA_DIR) / folder / f"{suite}.npz"


def preset_suite_file(suite: str, tier: str, preset: str) -> Path:
    """Where ``cosmotransfer simulate --preset PRESET`` writes by default: :func:`suite_file` under
    ``data/`` for the shipped presets, ``.cache/suites/<preset>/<tier>/<suite>.npz`` for the others."""
    from .config import SHIPPED_PRESETS

    if preset in SHIPPED_PRESETS:
        return suite_file(suite, tier, preset=preset)
    return suite_file(suite, tier, root=CACHE_DIR / "suites" / preset)


def engine_table(check: str, preset: str) -> Path:
    """Where ``cosmotransfer validate-engine CHECK --preset PRESET`` writes its table (shipped)."""
    return DATA_DIR / "reference" / f"engine_vs_{check}_{preset}.json"


def cache_dir(stage: str, key: str) -> Path:
    """Cache folder of one expensive stage run, named by the hash of its inputs."""
    return CACHE_DIR / stage / key
