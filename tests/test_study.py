"""`cosmotransfer sweep` on a user's files, end to end at the smoke scale, and its bad inputs; the
reductions the chapters quote (savings bands, verdicts, stand-in agreement)."""
import json

import numpy as np
import pandas as pd
import pytest

from cosmotransfer import quijote, results
from cosmotransfer.cli import main
from cosmotransfer.store import read_suite
from cosmotransfer.sweeps import curves, format_factor

NAMES = "Om,Ob,h,ns,s8,Mnu,w"
TARGETS = "Om,Ob,h,ns,s8,Mnu"


@pytest.fixture(scope="module")
def user_files(tmp_path_factory):
    """The first 300 real nwLH simulations, written as a user would have them: .npy spectra and a text table."""
    d = tmp_path_factory.mktemp("user")
    data = read_suite(quijote.suite_path("nwlh"))
    np.save(d / "pk.npy", data.stat("pk")[:300].astype(np.float64))
    np.save(d / "mpk.npy", data.stat("mpk")[:300].astype(np.float64))
    np.savetxt(d / "params.txt", data.params[:300, :7], header="Om Ob h ns s8 Mnu w")
    return d


def argv(d, out, **over):
    opts = {"--pk": d / "pk.npy", "--mpk": d / "mpk.npy", "--params": d / "params.txt", "--param-names": NAMES,
            "--targets": TARGETS, "--stat": "mpk", "--pretrain": "quijote_lh", "--variants": "scratch,dummy",
            "--budgets": "50,100", "--seeds": "0,1", "--scale": "smoke", "--out": out} | over
    return ["sweep"] + [str(a) for kv in opts.items() for a in kv]


def test_sweep_end_to_end(user_files, tmp_path, isolated_cache, capsys):
    out = tmp_path / "study"
    assert main(argv(user_files, out)) == 0
    assert sorted(p.name for p in out.iterdir()) == ["curves.png", "results.csv", "summary.json"]
    table = pd.read_csv(out / "results.csv")
    assert list(table.columns) == ["variant", "n_pretrain", "N", "seed", "param", "mse"]
    assert len(table) == 2 * 2 * 2 * 6  # variants × N × seeds × targets
    assert set(table.param) == set(TARGETS.split(",")) and set(table.seed) == {0, 1}
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["savings"]["dummy"]) == {"50", "100"}
    for n, f in summary["savings"]["dummy"].items():
        assert (f is None) == (n in summary["savings_bound"]["dummy"])
    # the ratio is the median transfer MSE over the median scratch MSE, recomputed from the table
    med = table[table.param == "Mnu"].groupby(["variant", "N"]).mse.median()
    assert summary["ratio"]["dummy"]["Mnu"]["50"] == pytest.approx(med["dummy", 50] / med["scratch", 50], rel=1e-5)
    prov = summary["provenance"]
    assert prov["pretrain_suite"] == "lh" and prov["pretrain_stat"] == "mpk" and prov["members"] == [0, 1]
    assert len(prov["inputs"]["pk"]["sha256"]) == 64
    assert "user [smoke]" in capsys.readouterr().err  # the progress bar


def test_sweep_uses_the_books_cached_pretraining(user_files, tmp_path, isolated_cache):
    from cosmotransfer.sweeps import pretrained

    assert main(argv(user_files, tmp_path / "a", **{"--stat": "pk", "--pretrain": "emulated_bsq",
                                                     "--budgets": "50", "--seeds": "3"})) == 0
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    book_net = pretrained("mnu_pk_q_emu", "smoke", "main")
    assert list(summary["provenance"]["pretrained"].values()) == [book_net.key]


@pytest.mark.parametrize("over, message", [
    ({"--pk": "pk_short.npy"}, "expected (n_sims, 79)"),
    ({"--param-names": "Om,Ob,h,ns,s8,Mnu"}, "expected (300, 6)"),
    ({"--param-names": "Om,Ob,h,ns,s8,Mnu,wa"}, "unknown parameter 'wa'"),
    ({"--targets": "Om,s8,fNL_x"}, "unknown parameter 'fNL_x'"),
    ({"--targets": "Om,s8,fR0"}, "not columns of the parameter table"),
    ({"--budgets": "50,400"}, "exceeds the train pool"),
    ({"--pk": "pk_nan.npy", "--stat": "pk"}, "non-positive or non-finite"),
    ({"--mpk": "mpk_neg.npy"}, "non-positive or non-finite"),
    ({"--pretrain": "bsq_real"}, "valid pre-training sources"),
    ({"--variants": "dummy"}, "must include scratch"),
    ({"--params": "params_wide.txt"}, "Mnu=1.5 lies outside its prior"),
    ({"--targets": "Om,s8,Om"}, "--targets repeats a name"),
    ({"--targets": ""}, "name the parameter table's columns"),
])
def test_bad_input_is_one_clear_error_and_writes_nothing(user_files, tmp_path, isolated_cache, capsys, over, message):
    d = user_files
    pk = np.load(d / "pk.npy")
    np.save(d / "pk_short.npy", pk[:, :60])
    np.save(d / "pk_nan.npy", np.where(np.arange(300)[:, None] == 7, np.nan, pk))
    np.save(d / "mpk_neg.npy", -np.load(d / "mpk.npy"))
    wide = np.loadtxt(d / "params.txt")
    wide[0, 5] = 1.5
    np.savetxt(d / "params_wide.txt", wide)
    over = {k: (d / v if v.endswith((".npy", ".txt")) else v) for k, v in over.items()}
    out = tmp_path / "study"
    assert main(argv(d, out, **over)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cosmotransfer: error:") and message in err[0], err
    assert not out.exists() and not list(tmp_path.glob(".study*"))


# --------------------------------------------------------------------------------------
# The reductions the chapters quote
# --------------------------------------------------------------------------------------
def table_of(scratch, transfer, budgets=(50, 100, 200, 400), members=(0, 1, 2, 3, 4), scatter=0.1):
    """Per-parameter MSE: ``Mnu`` follows ``f(N)`` of each variant, ``s8`` is the same for both."""
    rows = []
    for variant, f in (("scratch", scratch), ("dummy", transfer)):
        for n in budgets:
            for m in members:
                x = 1 + scatter * (m - 2) / 2
                rows += [{"case": "c", "variant": variant, "n_pretrain": 0 if variant == "scratch" else 2000, "N": n,
                          "member": m, "param": "Mnu", "mse": f(n) * x},
                         {"case": "c", "variant": variant, "n_pretrain": 0 if variant == "scratch" else 2000, "N": n,
                          "member": m, "param": "s8", "mse": 0.01 * x}]
    return pd.DataFrame(rows)


def test_savings_band_contains_the_point_and_shrinks_with_less_scatter():
    t = table_of(lambda n: 1 / n, lambda n: 0.5 / n)  # total: (1/N + 0.01) vs (0.5/N + 0.01)
    wide = results.savings_interval(t, "dummy", 100)
    assert wide.lo <= wide.factor <= wide.hi and wide.point.bound == ""
    tight = results.savings_interval(table_of(lambda n: 1 / n, lambda n: 0.5 / n, scatter=0.01), "dummy", 100)
    assert tight.hi - tight.lo < wide.hi - wide.lo
    assert tight.factor == pytest.approx(wide.factor)
    assert str(wide).startswith(f"{format_factor(wide.factor)}× (band ")


@pytest.mark.parametrize("factor, verdict", [(1.2, "negative transfer"), (0.8, "gain"), (1.02, "no clear difference")])
def test_transfer_verdict_follows_its_ratios(factor, verdict):
    c = curves(table_of(lambda n: 1 / n, lambda n: factor / n, budgets=(50, 100, 200, 400)))
    v = results.transfer_verdict(c, "Mnu")
    assert v.verdict == verdict and v.gmean == pytest.approx(factor)
    assert list(v.ratios.index) == [50, 100, 200]  # N ≤ n_max only
    assert results.transfer_verdict(c, "s8").verdict == "no clear difference"


def test_stand_in_agreement():
    real = results.transfer_verdict(curves(table_of(lambda n: 1 / n, lambda n: 1.3 / n)), "Mnu")
    other = results.transfer_verdict(curves(table_of(lambda n: 1 / n, lambda n: 0.7 / n)), "Mnu")
    same = results.transfer_verdict(curves(table_of(lambda n: 1 / n, lambda n: 1.2 / n)), "Mnu")
    tab = results.comparison_table([results.Conclusion("Mν", "verdict", {"real": real, "a": other, "b": same,
                                                                          "c": None})], real="real")
    assert tab.loc["Mν", "a vs real"] == "differs" and tab.loc["Mν", "b vs real"] == "agrees"
    assert tab.loc["Mν", "c vs real"] == "—" and tab.loc["Mν", "c"] == "—"


def test_neutrino_chapter_reruns_on_a_users_nwlh(user_files, tmp_path, isolated_cache, monkeypatch):
    """The papermill parameters NWLH_PK / NWLH_MPK / NWLH_PARAMS swap the chapter's fine-tuning suite."""
    from cosmotransfer.book import execute_notebook

    monkeypatch.setenv("COSMOTRANSFER_CACHE", str(isolated_cache))  # the kernel's cache too

    d = user_files
    execute_notebook("03_neutrinos", tmp_path, {"SCALE": "smoke", "NWLH_PK": str(d / "pk.npy"),
                                                "NWLH_MPK": str(d / "mpk.npy"), "NWLH_PARAMS": str(d / "params.txt")})
    nb = json.loads((tmp_path / "03_neutrinos.ipynb").read_text())
    glued = {}
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            meta = o.get("metadata", {}).get("scrapbook", {})
            if meta.get("name"):
                glued[meta["name"]] = o["data"].get("application/papermill.record/text/plain")
    assert glued["n_nwlh"] == "300" and glued["n_pool"] == "210"
    assert "user files" in json.dumps(nb)
