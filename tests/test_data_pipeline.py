"""Preprocessing, the suite locator of the notebooks, and the bring-your-own-data loaders."""
import numpy as np
import pytest
from toy import toy_suite

from cosmotransfer import paths, simulate as sim
from cosmotransfer.config import LCDM_PARAMS, PRIORS, ConfigError
from cosmotransfer.data import find_suite, load_suite
from cosmotransfer.datasets import Standardizer, k_cut, learning_set, log_summaries, scale_targets, unscale_targets
from cosmotransfer.quijote import load_quijote, read_pk_files, suite_from_arrays
from cosmotransfer.store import DataFileError
from cosmotransfer.stats import kbins
from cosmotransfer.suites import split


def test_log_summaries_rejects_non_positive_spectra():
    with pytest.raises(DataFileError, match="row 1"):
        log_summaries(np.array([[1.0, 2.0], [0.0, 1.0]]))
    assert log_summaries(np.array([[10.0, 100.0]])).tolist() == [[1.0, 2.0]]


def test_targets_are_scaled_with_the_prior_table():
    params = np.tile([PRIORS[n].fiducial for n in PRIORS], (3, 1))
    params[0, 1], params[1, 1], params[2, 1] = 0.02, 0.08, 0.05  # Ωb: bounds [0.02, 0.08] everywhere
    u = scale_targets(params, ("Ob", "s8"))
    assert u[:, 0].tolist() == pytest.approx([0.0, 1.0, 0.5])
    assert u[0, 1] == pytest.approx((0.834 - 0.6) / 0.4)
    np.testing.assert_allclose(unscale_targets(u, ("Ob", "s8")), params[:, [1, 4]], rtol=1e-6)


def test_learning_set_standardises_with_the_train_pool_only():
    data = toy_suite(200, True, seed=0, name="nwlh")
    ls = learning_set(data)  # a shipped suite's name: its own split and targets
    assert ls.targets == LCDM_PARAMS + ("Mnu",)
    sp = split("nwlh", 200)
    assert np.array_equal(ls.split.pool, sp.pool) and np.array_equal(ls.split.test, sp.test)
    xp = ls.x[ls.split.pool]
    np.testing.assert_allclose(xp.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(xp.std(0), 1, atol=1e-4)
    assert ls.x.dtype == np.float32 and ls.y.dtype == np.float32 and ((ls.y >= 0) & (ls.y <= 1)).all()
    # changing test rows changes neither the statistics nor the train features, but does change the key
    data.stats["pk"][ls.split.test] *= 3
    ls2 = learning_set(data)
    np.testing.assert_array_equal(ls2.standardizer.mean, ls.standardizer.mean)
    np.testing.assert_array_equal(ls2.x[ls.split.pool], xp)
    assert ls2.key != ls.key


def test_nested_budgets_and_fixed_val_test():
    ls = learning_set(toy_suite(300, False, seed=0), targets=LCDM_PARAMS)
    small, large = ls.split.train(50), ls.split.train(100)
    assert set(small) <= set(large)
    assert not set(ls.split.pool) & set(ls.split.val) and not set(ls.split.val) & set(ls.split.test)
    assert len(ls.split.pool) + len(ls.split.val) + len(ls.split.test) == 300
    assert ls.train(50)[0].shape == (50, 79)


def test_standardizer_survives_a_constant_bin():
    s = Standardizer.fit(np.array([[1.0, 2.0], [1.0, 4.0]]))
    assert s.std.tolist() == [1.0, 1.0]


def test_k_cut_keeps_the_large_scale_bins_of_every_statistic():
    d = toy_suite(20, True, seed=0)
    d.stats["mpk"] = d.stats["pk"] * 2
    c = k_cut(d, 0.1)
    assert c.k.max() <= 0.1 and len(c.k) == int((d.k <= 0.1).sum()) < len(d.k)
    for name in ("pk", "mpk"):
        np.testing.assert_array_equal(c.stat(name), d.stat(name)[:, d.k <= 0.1])
    assert c.meta["k_max"] == 0.1 and "k_max" not in d.meta  # the input is untouched
    assert k_cut(d, None) is d
    assert learning_set(c).x.shape == (20, len(c.k))
    with pytest.raises(ConfigError, match="keeps no bin"):
        k_cut(d, 0.001)


def test_user_arrays_are_checked():
    pk = np.ones((4, 79))
    good = np.tile([0.3, 0.05, 0.7, 0.96, 0.8], (4, 1))
    d = suite_from_arrays(pk, good)
    assert d.params.shape == (4, 10) and d.param("Mnu").tolist() == [0.0] * 4
    bad = good.copy()
    bad[2, 0] = 0.7  # Ωm outside [0.1, 0.5]
    with pytest.raises(ConfigError, match="Om"):
        suite_from_arrays(pk, bad)
    with pytest.raises(DataFileError, match="expected"):
        suite_from_arrays(np.ones((4, 50)), good)
    with pytest.raises(DataFileError, match="expected"):
        suite_from_arrays(pk, good[:3])


def test_quijote_latin_hypercube_stacked(quijote_dir):
    data = load_quijote(quijote_dir / "LH_Pk_m_z0.npy", quijote_dir / "LH_params.txt",
                        mpk=quijote_dir / "LH_MPk_m_z0.npy")
    assert len(data) == 2000 and data.stat("mpk").shape == (2000, 79)
    table = np.loadtxt(quijote_dir / "LH_params.txt")
    np.testing.assert_allclose(data.params[:, :5], table)
    for stat in ("pk", "mpk"):
        ls = learning_set(data, stat)
        assert ls.targets == LCDM_PARAMS and ls.x.shape == (2000, 79) and len(ls.split.pool) == 1400
        assert ((ls.y >= 0) & (ls.y <= 1)).all() and np.isfinite(ls.x).all()


def test_quijote_per_simulation_text_files(quijote_dir, tmp_path):
    """Pylians-style files <i>/Pk_m_z=0.txt (k, P, extra columns, rows beyond k=0.5) → the same arrays."""
    pk = np.load(quijote_dir / "LH_Pk_m_z0.npy")[:12]
    k = np.loadtxt(quijote_dir / "k_bins.txt")
    kf = 2 * np.pi / 1000
    for i in range(12):  # natural order: 2/ comes before 10/
        extra_k = k[-1] + kf * np.arange(1, 6)
        table = np.column_stack([np.r_[k, extra_k], np.r_[pk[i], np.ones(5)], np.zeros(84)])
        (tmp_path / str(i)).mkdir()
        np.savetxt(tmp_path / str(i) / "Pk_m_z=0.txt", table)
    np.testing.assert_allclose(read_pk_files(tmp_path), pk, rtol=1e-12)
    params = np.loadtxt(quijote_dir / "LH_params.txt")[:12]
    np.savetxt(tmp_path / "params.txt", params, header="Omega_m Omega_b h n_s sigma_8")
    data = load_quijote(tmp_path, tmp_path / "params.txt")
    np.testing.assert_allclose(data.stat("pk"), pk, rtol=1e-6)


def test_per_simulation_files_on_other_bins_are_refused(tmp_path):
    k = kbins(500.0).k  # a 500 Mpc/h box: k_F twice as large
    np.savetxt(tmp_path / "Pk_0.dat", np.column_stack([k, np.ones(len(k))]))
    with pytest.raises(DataFileError, match="Quijote bins"):
        read_pk_files(tmp_path)
    with pytest.raises(DataFileError, match="no files"):
        read_pk_files(tmp_path / "empty")


def test_book_scale_never_regenerates_and_names_the_command(isolated_cache, monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "DATA_DIR", tmp_path / "data")
    with pytest.raises(DataFileError, match="cosmotransfer simulate nwlh --tier emulated"):
        load_suite("nwlh", "book")
    data, msg = find_suite("nwlh", "book", "mpk")  # marked P(k): simulated tier only
    assert data is None and "--tier simulated" in msg and "marked" in msg
    data, msg = find_suite("png_eq", "book")
    assert data is None and "png_eq" in msg


def test_smoke_scale_suites_are_made_by_the_runner_not_the_loader(isolated_cache, monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "DATA_DIR", tmp_path / "data")  # no shipped file to fall back on
    monkeypatch.setitem(sim.TIERS, "emulated", "fake_tier")  # the runner's cheap test tier
    monkeypatch.setattr(sim, "SMOKE_WORKERS", 1)  # no process start-up for a fake tier
    path = isolated_cache / "suites" / "smoke" / "emulated" / "nwlh.npz"
    sim.simulate("nwlh", tier="emulated", n=64, preset="smoke", out=path, progress=False)
    with pytest.raises(DataFileError, match="holds 64 simulations, not 256"):
        load_suite("nwlh", "smoke")  # loaders only load
    assert sim.ensure_smoke_suite("nwlh") == path  # the stale, smaller file in the smoke cache is replaced
    data = load_suite("nwlh", "smoke")
    assert len(data) == 256 and path.is_file()
    assert sim.ensure_smoke_suite("nwlh") is None  # nothing more to make
    assert load_suite("nwlh", "smoke").stats["pk"].tobytes() == data.stats["pk"].tobytes()


@pytest.mark.parametrize("stat", ["pk", "mpk"])
def test_a_network_learns_from_the_real_quijote_hypercube(quijote_dir, stat):
    """Bring-your-own data end to end: 30 epochs on the 1,400 real training spectra.

    Thresholds (scaled MSE; the prior mean scores 0.083): σ8 < 0.003 and Ωm < 0.015 — measured
    ≈0.0007 / 0.005 (P(k)) and 0.0006 / 0.004 (marked P(k)) on the 2-core dev machine.
    """
    import torch

    from cosmotransfer.config import TrainConfig
    from cosmotransfer.transfer import pretrain

    torch.set_num_threads(1)
    data = load_quijote(quijote_dir / "LH_Pk_m_z0.npy", quijote_dir / "LH_params.txt",
                        mpk=quijote_dir / "LH_MPk_m_z0.npy")
    net = pretrain(learning_set(data, stat), TrainConfig(hidden=(64, 64), dropout=0.0, lr=2e-3, max_epochs=30,
                                                         patience=10), cache=False, device="cpu")
    assert net.test_mse["s8"] < 0.003 and net.test_mse["Om"] < 0.015, net.test_mse


def test_code_hash_ignores_docstrings_and_comments_but_not_code():
    from cosmotransfer.store import code_hash

    src = 'def f(x):\n    """Twice x."""\n    return 2 * x  # double\n'
    assert code_hash(src) == code_hash('def f(x):\n    """Two times x, reworded."""\n\n    return 2 * x\n')
    assert code_hash(src) != code_hash(src.replace("2 * x", "3 * x"))
    assert code_hash(src) != code_hash(src.replace("def f", "def g"))
