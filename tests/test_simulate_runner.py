"""The runner shared by every tier: chunks, resume, shards, merge, manifests, errors."""
import json

import numpy as np
import pytest

import fake_tier
from cosmotransfer import simulate as sim
from cosmotransfer.config import ConfigError
from cosmotransfer.store import DataFileError, read_suite, verify_suite_file
from cosmotransfer.suites import design, sim_seeds


@pytest.fixture
def fake(monkeypatch, isolated_cache):
    monkeypatch.setitem(sim.TIERS, "fake", "fake_tier")
    return isolated_cache


def test_generate_file_manifest_and_contents(fake, tmp_path):
    out = sim.simulate("nwlh", tier="fake", n=10, preset="smoke", out=tmp_path / "nwlh.npz", progress=False)
    data = read_suite(out)
    assert len(data) == 10 and data.stats["pk"].shape == (10, 79) and data.stats["pk"].dtype == np.float32
    np.testing.assert_array_equal(data.params, design("nwlh", 10))
    np.testing.assert_array_equal(data.seeds, sim_seeds("nwlh", 10))
    np.testing.assert_allclose(data.derived["sum"], design("nwlh", 10).sum(1))
    m = json.loads((tmp_path / "nwlh.json").read_text())
    assert m["n"] == 10 and m["tier"] == "fake" and m["suite"] == "nwlh" and m["config_hash"] == data.meta["config_hash"]
    assert m["sha256"] == verify_suite_file(out)["sha256"]
    assert not list(fake.glob("simulate/*"))  # chunks removed after the merge


def test_same_inputs_same_bytes(fake, tmp_path):
    a = sim.simulate("bsq", tier="fake", n=7, preset="smoke", out=tmp_path / "a.npz", progress=False)
    b = sim.simulate("bsq", tier="fake", n=7, preset="smoke", out=tmp_path / "b.npz", progress=False)
    assert a.read_bytes() == b.read_bytes()


def test_resume_after_crash_loses_and_duplicates_nothing(fake, tmp_path, monkeypatch):
    out = tmp_path / "mg.npz"
    seeds = sim_seeds("mg", 10)
    monkeypatch.setenv("FAKE_TIER_CRASH_AT", str(seeds[7]))  # the third chunk (6..8) dies
    with pytest.raises(RuntimeError, match="simulated crash"):
        sim.simulate("mg", tier="fake", n=10, preset="smoke", out=out, progress=False)
    assert not out.exists()
    run = sim.SuiteRun("mg", "fake", n=10, preset="smoke", out=out)
    assert run.missing_chunks() == [(6, 9), (9, 10)]
    monkeypatch.delenv("FAKE_TIER_CRASH_AT")
    sim.simulate("mg", tier="fake", n=10, preset="smoke", out=out, progress=False)
    ref = sim.simulate("mg", tier="fake", n=10, preset="smoke", out=tmp_path / "ref.npz", progress=False)
    np.testing.assert_array_equal(read_suite(out).stats["pk"], read_suite(ref).stats["pk"])


def test_shards_then_merge_and_parallel_workers(fake, tmp_path):
    out = tmp_path / "png.npz"
    assert sim.simulate("png_lc", tier="fake", n=12, preset="smoke", shard=(0, 2), out=out, progress=False) is None
    assert not out.exists()
    assert sim.simulate("png_lc", tier="fake", n=12, preset="smoke", shard=(1, 2), out=out, progress=False) == out
    par = sim.simulate("png_lc", tier="fake", n=12, preset="smoke", workers=2, out=tmp_path / "par.npz", progress=False)
    assert out.read_bytes() == par.read_bytes()


def test_existing_file_with_other_settings_is_refused(fake, tmp_path, monkeypatch):
    out = tmp_path / "x.npz"
    sim.simulate("nwlh", tier="fake", n=4, preset="smoke", statistics=("pk",), out=out, progress=False)
    with pytest.raises(DataFileError, match="other settings.*--force"):
        sim.simulate("nwlh", tier="fake", n=4, preset="smoke", statistics=("pk", "mpk"), out=out, progress=False)
    with pytest.raises(DataFileError, match="other settings"):  # fewer points than the file: not a growth
        sim.simulate("nwlh", tier="fake", n=3, preset="smoke", statistics=("pk",), out=out, progress=False)
    sim.simulate("nwlh", tier="fake", n=4, preset="smoke", statistics=("pk", "mpk"), out=out, force=True, progress=False)
    assert "mpk" in read_suite(out).stats


def test_corrupted_or_tampered_files_are_caught(fake, tmp_path):
    out = sim.simulate("nwlh", tier="fake", n=4, preset="smoke", out=tmp_path / "c.npz", progress=False)
    read_suite(out)  # verified once: later loads of the unchanged file skip the hash, a changed one is hashed again
    blob = bytearray(out.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    out.write_bytes(bytes(blob))
    with pytest.raises(DataFileError, match="does not match its manifest"):
        read_suite(out)
    out.write_bytes(b"not a zip")
    with pytest.raises(DataFileError, match="corrupted"):
        read_suite(out, verify=False)
    (tmp_path / "c.json").unlink()
    with pytest.raises(DataFileError, match="manifest .* is missing"):
        read_suite(out)


def test_reproduce_rows(fake, tmp_path):
    out = sim.simulate("bsq", tier="fake", n=9, preset="smoke", out=tmp_path / "r.npz", progress=False)
    again = sim.reproduce(out, [2, 5])
    np.testing.assert_array_equal(again["pk"], read_suite(out).stats["pk"][[2, 5]])


def test_bad_arguments():
    with pytest.raises(ConfigError, match="valid tiers: emulated, simulated"):
        sim.get_tier("nbody")
    with pytest.raises(ConfigError, match="i/n"):
        sim.parse_shard("3")
    with pytest.raises(ConfigError, match="0 ≤ i < n"):
        sim.parse_shard("2/2")
    assert sim.parse_shard("1/4") == (1, 4)


def test_growing_a_file_reuses_its_rows(fake, tmp_path, monkeypatch):
    out = tmp_path / "grow.npz"
    small = sim.simulate("bsq", tier="fake", n=7, preset="smoke", out=out, progress=False)
    first = read_suite(small).stats["pk"]
    # any chunk inside the first 7 rows must not run again: crash if it does
    monkeypatch.setenv("FAKE_TIER_CRASH_AT", str(sim_seeds("bsq", 7)[0]))
    sim.simulate("bsq", tier="fake", n=11, preset="smoke", out=out, progress=False)
    grown = read_suite(out)
    assert len(grown) == 11
    np.testing.assert_array_equal(grown.stats["pk"][:7], first)
    monkeypatch.delenv("FAKE_TIER_CRASH_AT")
    ref = sim.simulate("bsq", tier="fake", n=11, preset="smoke", out=tmp_path / "ref.npz", progress=False)
    assert read_suite(ref).stats["pk"].tobytes() == grown.stats["pk"].tobytes()


def test_interrupted_run_is_reused_by_a_run_with_another_n(fake, tmp_path, monkeypatch):
    seeds = sim_seeds("nwlh", 12)
    monkeypatch.setenv("FAKE_TIER_CRASH_AT", str(seeds[10]))  # a 12-point run dies in its last chunk
    with pytest.raises(RuntimeError):
        sim.simulate("nwlh", tier="fake", n=12, preset="smoke", out=tmp_path / "big.npz", progress=False)
    monkeypatch.setenv("FAKE_TIER_CRASH_AT", str(seeds[0]))  # reusing chunks must not re-run row 0
    small = sim.simulate("nwlh", tier="fake", n=9, preset="smoke", out=tmp_path / "small.npz", progress=False)
    assert len(read_suite(small)) == 9
    monkeypatch.delenv("FAKE_TIER_CRASH_AT")
    big = sim.simulate("nwlh", tier="fake", n=12, preset="smoke", out=tmp_path / "big.npz", progress=False)
    np.testing.assert_array_equal(read_suite(big).stats["pk"][:9], read_suite(small).stats["pk"])


def test_an_unchanged_suite_file_is_hashed_once_per_process(fake, tmp_path, monkeypatch):
    from cosmotransfer import store

    out = sim.simulate("nwlh", tier="fake", n=4, preset="smoke", out=tmp_path / "h.npz", progress=False)
    calls = []
    real = store.sha256_file
    monkeypatch.setattr(store, "sha256_file", lambda p: calls.append(p) or real(p))
    for _ in range(3):
        read_suite(out)
    assert len(calls) == 1
    store.verify_suite_file(out)  # `cosmotransfer verify` always hashes
    assert len(calls) == 2
