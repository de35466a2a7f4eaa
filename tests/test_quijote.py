"""The real-Quijote tier: the shipped files, their provenance, the converter and its errors."""
import shutil

import numpy as np
import pytest

from cosmotransfer import paths, quijote
from cosmotransfer.config import LCDM_PARAMS, ConfigError
from cosmotransfer.data import load_suite
from cosmotransfer.datasets import learning_set
from cosmotransfer.store import DataFileError, read_manifest, read_suite, sha256_file, verify_suite_file
from cosmotransfer.stats import kbins
from cosmotransfer.sweeps import budget_grid, case_data, pretrain_data, pretrain_sizes

SHIPPED = {"lh": (2000, LCDM_PARAMS), "nwlh": (1000, LCDM_PARAMS + ("Mnu", "w"))}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_real_suite_is_a_suite_file_with_provenance(name):
    n, columns = SHIPPED[name]
    path = quijote.suite_path(name)
    manifest = verify_suite_file(path)
    data = read_suite(path)
    assert (data.suite, data.tier, len(data)) == (name, "quijote", n)
    assert data.stat("pk").shape == data.stat("mpk").shape == (n, 79) and data.stat("pk").dtype == np.float32
    assert (data.stat("pk") > 0).all() and (data.stat("mpk") > 0).all()
    np.testing.assert_array_equal(data.k, kbins().k)
    np.testing.assert_array_equal(data.index, np.arange(n))
    assert manifest["param_names"] == list(columns)
    assert "Villaescusa-Navarro" in manifest["citations"]["quijote"]
    assert "Massara" in manifest["citations"]["marked_power_spectrum"]
    real = quijote.REAL_SUITES[name]
    assert set(manifest["source_sha256"]) == {real.pk, real.mpk, real.params, "k_bins.txt"}
    assert set(manifest["arrays"]) >= {"pk", "mpk", "params", "k", "index"}
    # the columns Quijote does not vary sit at the fiducial
    assert (data.param("fR0") == 0).all() and (data.param("w") == -1).all() == (name == "lh")


def test_shipped_real_suites_are_the_shared_files(quijote_dir):
    """Byte for byte what `cosmotransfer convert-quijote` makes from ../shared/quijote today."""
    for name, real in quijote.REAL_SUITES.items():
        manifest = read_manifest(quijote.suite_path(name))
        for key, path in real.sources(quijote_dir).items():
            assert manifest["source_sha256"][path.name] == sha256_file(path), path.name
        data = read_suite(quijote.suite_path(name))
        np.testing.assert_array_equal(data.stat("pk"), np.load(quijote_dir / real.pk).astype(np.float32))
        np.testing.assert_array_equal(data.stat("mpk"), np.load(quijote_dir / real.mpk).astype(np.float32))
        table = np.loadtxt(quijote_dir / real.params)
        for j, p in enumerate(real.param_names):
            np.testing.assert_array_equal(data.param(p), table[:, j])


def test_convert_is_deterministic_and_atomic(quijote_dir, tmp_path):
    out = quijote.convert(quijote_dir, tmp_path / "a")
    assert [p.name for p in out] == ["lh.npz", "nwlh.npz"]
    for p in out:
        assert sha256_file(p) == sha256_file(quijote.suite_path(p.stem)), "shipped file differs from a fresh conversion"
    # a source folder with a missing or a broken file: one clear error, nothing written
    src = tmp_path / "src"
    src.mkdir()
    for f in quijote_dir.iterdir():  # copyfile, not copytree: ../shared is read-only
        if f.name != "nwLH_MPk_m_z0.npy":
            shutil.copyfile(f, src / f.name)
    with pytest.raises(DataFileError, match="nwLH_MPk_m_z0.npy.*--quijote"):
        quijote.convert(src, tmp_path / "b")
    shutil.copyfile(quijote_dir / "nwLH_MPk_m_z0.npy", src / "nwLH_MPk_m_z0.npy")
    bad = np.load(src / "LH_Pk_m_z0.npy")
    bad[3, 5] = np.nan
    np.save(src / "LH_Pk_m_z0.npy", bad)
    with pytest.raises(DataFileError, match="row 3"):
        quijote.convert(src, tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_read_real_suite_rejects_bad_input(tmp_path):
    data = read_suite(quijote.suite_path("nwlh"))
    pk, mpk = data.stat("pk")[:20], data.stat("mpk")[:20]
    table = data.params[:20][:, :7]
    assert len(quijote.read_real_suite("nwlh", pk, table, mpk=mpk)) == 20
    with pytest.raises(DataFileError, match=r"expected \(n_sims, 79\)"):
        quijote.read_real_suite("nwlh", pk[:, :50], table)
    with pytest.raises(DataFileError, match="expected"):
        quijote.read_real_suite("nwlh", pk, table[:, :5])
    wrong = table.copy()
    wrong[4, 5] = 1.7  # Mν beyond its prior
    with pytest.raises(ConfigError, match="Mnu=1.7"):
        quijote.read_real_suite("nwlh", pk, wrong)
    neg = pk.copy()
    neg[2, 0] = -1
    with pytest.raises(DataFileError, match="row 2"):
        quijote.read_real_suite("nwlh", neg, table)
    with pytest.raises(ConfigError, match="valid real Quijote suites"):
        quijote.read_real_suite("mg", pk, table)
    with pytest.raises(ConfigError, match="NWLH_MPK"):
        quijote.nwlh_from_files(pk="a.npy", params="b.txt")
    assert quijote.nwlh_from_files() is None


@pytest.mark.parametrize("scale", ["smoke", "book"])
def test_load_suite_reads_the_real_tier_like_any_other(scale):
    nw = load_suite("nwlh", scale, "mpk", tier="quijote")
    assert len(nw) == 1000  # the whole real file at every scale
    ls = learning_set(nw, "mpk")
    assert ls.targets == LCDM_PARAMS + ("Mnu",)  # w is a nuisance
    assert (ls.n_pool, len(ls.split.val), len(ls.split.test)) == (700, 150, 150)
    # the fine-tuning set of the real case, and the budgets up to the whole pool
    ft = case_data("mnu_pk_q", scale)
    assert ft.key == learning_set(load_suite("nwlh", scale, "pk", tier="quijote"), "pk").key
    assert budget_grid("mnu_pk_q", scale, ft.n_pool)[-1] == 700
    # P → MP: the pre-training set is the real LH's P(k), standardised with its own statistics
    pre = pretrain_data("mnu_p2mpk_q", scale)
    assert (pre.suite, pre.stat, len(pre), pre.n_pool) == ("lh", "pk", 2000, 1400)
    assert pretrain_sizes("mnu_mpk_q", scale) == (1400,)  # the whole train pool, at every scale


def test_missing_real_file_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "DATA_DIR", tmp_path)
    with pytest.raises(DataFileError, match="git checkout -- data/quijote.*convert-quijote"):
        load_suite("nwlh", "book", "pk", tier="quijote")


def test_verify_command_checks_the_real_tier(capsys):
    from cosmotransfer.cli import main

    assert main(["verify", str(quijote.suite_path("lh")), str(quijote.suite_path("nwlh"))]) == 0
    assert capsys.readouterr().out.count("ok ") == 2

