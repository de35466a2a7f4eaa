"""Shared fixtures: the real Quijote reference files (skipped cleanly when absent)."""
from __future__ import annotations

import numpy as np
import pytest

from cosmotransfer import paths


@pytest.fixture(scope="session")
def quijote_dir():
    """``../shared/quijote`` (or $COSMOTRANSFER_QUIJOTE); skips the test when it is absent."""
    if not (paths.QUIJOTE_DIR / "k_bins.txt").is_file():
        pytest.skip(f"real Quijote reference data not found at {paths.QUIJOTE_DIR}")
    return paths.QUIJOTE_DIR


@pytest.fixture(scope="session")
def quijote_k(quijote_dir):
    return np.loadtxt(quijote_dir / "k_bins.txt")


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch):
    """Point the cache at a temporary folder so tests never touch the real one."""
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "cache")
    return tmp_path / "cache"
