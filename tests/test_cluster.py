"""The Dask backend (cosmotransfer.cluster) on a 2-worker LocalCluster: the same bytes as serial,
a worker killed mid-task, the client killed mid-run, and an unreachable scheduler."""
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import fake_tier
from cosmotransfer import cluster
from cosmotransfer import simulate as sim
from cosmotransfer.config import ConfigError
from cosmotransfer.store import read_suite, verify_suite_file
from cosmotransfer.suites import sim_seeds

TESTS = Path(__file__).parent


@pytest.fixture
def fresh_clusters():
    """Local clusters made in the test, not reused from earlier ones: their workers are spawned with
    the test's environment (the fault switches of the fake tier)."""
    cluster.close_clients()
    yield
    cluster.close_clients()


@pytest.fixture
def fake(monkeypatch, isolated_cache, fresh_clusters):
    monkeypatch.setitem(sim.TIERS, "fake", "fake_tier")
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    return isolated_cache


def test_fan_out_keeps_order_and_counts_in_this_process_and_on_a_cluster(fresh_clusters, tmp_path):
    tasks = [(x, -1, str(tmp_path / "never")) for x in range(7)]
    assert cluster.get_client(1) is None  # one worker, no scheduler: in this process
    assert cluster.fan_out(fake_tier.double_or_die, tasks, workers=1, progress=False) == [2 * x for x in range(7)]
    assert cluster.fan_out(fake_tier.double_or_die, tasks, workers=2, progress=False) == [2 * x for x in range(7)]
    assert len(cluster.get_client(2).scheduler_info()["workers"]) == 2
    assert cluster.get_client(2) is cluster.get_client(2)  # made once per process


def test_suite_on_two_workers_has_the_serial_bytes(fake, tmp_path):
    serial = sim.simulate("nwlh", tier="fake", n=20, preset="smoke", out=tmp_path / "serial.npz", progress=False)
    two = sim.simulate("nwlh", tier="fake", n=20, preset="smoke", workers=2, out=tmp_path / "two.npz", progress=False)
    assert serial.read_bytes() == two.read_bytes()
    assert verify_suite_file(two)["sha256"] == verify_suite_file(serial)["sha256"]


def test_a_worker_killed_mid_chunk_loses_nothing(fake, tmp_path, monkeypatch):
    mark = tmp_path / "killed"
    monkeypatch.setenv("FAKE_TIER_KILL_AT", str(sim_seeds("mg", 12)[4]))  # the second chunk (3..5)
    monkeypatch.setenv("FAKE_TIER_KILL_MARK", str(mark))
    out = sim.simulate("mg", tier="fake", n=12, preset="smoke", workers=2, out=tmp_path / "mg.npz", progress=False)
    assert mark.exists()  # a worker did die in the middle of a chunk
    monkeypatch.delenv("FAKE_TIER_KILL_AT")
    ref = sim.simulate("mg", tier="fake", n=12, preset="smoke", out=tmp_path / "ref.npz", progress=False)
    assert out.read_bytes() == ref.read_bytes()
    manifest = verify_suite_file(out)  # the manifest matches the file
    assert manifest["n"] == 12 and len(read_suite(out)) == 12
    assert not list(fake.glob("simulate/*"))  # chunks (and any half-written temporary) cleaned up


def test_fan_out_redoes_the_task_of_a_killed_worker(fresh_clusters, tmp_path):
    mark = tmp_path / "killed"
    tasks = [(x, 3, str(mark)) for x in range(6)]
    assert cluster.fan_out(fake_tier.double_or_die, tasks, workers=2, progress=False) == [2 * x for x in range(6)]
    assert mark.exists()


CLIENT = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from cosmotransfer import paths, simulate as sim
    if __name__ == "__main__":
        sim.TIERS["fake"] = "fake_tier"
        paths.CACHE_DIR = Path({cache!r})
        sim.simulate("bsq", tier="fake", n=30, preset="smoke", workers=2, out=Path({out!r}), progress=False)
""")


def test_a_killed_client_resumes_from_the_finished_chunks(fake, tmp_path, monkeypatch):
    out = tmp_path / "bsq.npz"
    script = tmp_path / "client.py"
    script.write_text(CLIENT.format(tests=str(TESTS), cache=str(fake), out=str(out)))
    env = {**os.environ, "FAKE_TIER_SLEEP": "0.5"}  # 10 chunks of 3: ~2.5 s on two workers
    proc = subprocess.Popen([sys.executable, str(script)], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run = sim.SuiteRun("bsq", "fake", n=30, preset="smoke", out=out)
    deadline = time.monotonic() + 60
    while len(run.missing_chunks()) > 7 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the client, its local cluster and workers: all gone at once
    proc.wait()
    finished = 10 - len(run.missing_chunks())
    assert 3 <= finished < 10 and not out.exists()
    done = [c for c in run.chunks if c not in run.missing_chunks()]
    # a finished chunk run again would crash: the restarted client must take them from the cache
    monkeypatch.setenv("FAKE_TIER_CRASH_AT", str(run.seeds[done[0][0]]))
    sim.simulate("bsq", tier="fake", n=30, preset="smoke", workers=2, out=out, progress=False)
    monkeypatch.delenv("FAKE_TIER_CRASH_AT")
    ref = sim.simulate("bsq", tier="fake", n=30, preset="smoke", out=tmp_path / "ref.npz", progress=False)
    assert out.read_bytes() == ref.read_bytes()


def test_an_unreachable_scheduler_is_a_clear_error_within_seconds(fake, tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "DASK_CONNECT_TIMEOUT_S", 2)
    t0 = time.monotonic()
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'.*--scheduler"):
        sim.simulate("nwlh", tier="fake", n=6, preset="smoke", scheduler="tcp://127.0.0.1:1", out=tmp_path / "x.npz",
                     progress=False)
    assert time.monotonic() - t0 < 10
    assert not (tmp_path / "x.npz").exists() and not list(fake.glob("simulate/*/*.npz"))
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "no-port-here")  # Dask's convention names it too
    with pytest.raises(ConfigError, match="no-port-here"):
        cluster.fan_out(fake_tier.double_or_die, [(1, -1, "x")], progress=False)


def test_the_command_line_names_the_scheduler_fix(fake, tmp_path, monkeypatch, capsys):
    from cosmotransfer.cli import main

    monkeypatch.setattr(cluster, "DASK_CONNECT_TIMEOUT_S", 1)
    assert main(["simulate", "nwlh", "--tier", "fake", "--n", "6", "--preset", "smoke", "--out", str(tmp_path / "x.npz"),
                 "--scheduler", "tcp://127.0.0.1:1"]) == 2
    err = capsys.readouterr().err
    assert "cosmotransfer: error: cannot reach the Dask scheduler" in err and "DASK_SCHEDULER_ADDRESS" in err
