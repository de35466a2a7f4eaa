"""Budget-sweep reductions (bands, totals, savings factor) and the Optuna search."""
import numpy as np
import pandas as pd
import pytest
import torch
from toy import toy_suite

from cosmotransfer.config import LCDM_PARAMS, TrainConfig
from cosmotransfer.datasets import learning_set
from cosmotransfer.hpo import suggest, top_trials
from cosmotransfer.sweeps import curves, savings_factor, savings_table, totals

torch.set_num_threads(1)
BUDGETS = (50, 100, 200, 400, 800, 1600)


def fake_table(scratch_mse, transfer_mse, members=(0, 1, 2)):
    """Two parameters, each carrying half of the given total MSE; members scatter by ±10 %."""
    rows = []
    for variant, f in (("scratch", scratch_mse), ("dummy", transfer_mse)):
        for n in BUDGETS:
            for m in members:
                for p in ("Om", "Mnu"):
                    rows.append({"case": "c", "variant": variant, "n_pretrain": 0 if variant == "scratch" else 2000,
                                 "N": n, "member": m, "param": p, "mse": f(n) / 2 * (1 + 0.1 * (m - 1))})
    return pd.DataFrame(rows)


def test_totals_and_bands():
    t = fake_table(lambda n: 1 / n, lambda n: 0.1 / n)
    tot = totals(t)
    assert len(tot) == 2 * len(BUDGETS) * 3
    c = curves(t)
    row = c[(c.variant == "scratch") & (c.N == 100) & (c.param == "total")].iloc[0]
    assert row["median"] == pytest.approx(0.01) and row.lo < row["median"] < row.hi and row.members == 3
    assert set(c.param) == {"Om", "Mnu", "total"}


def test_savings_factor_interpolates_log_log():
    # scratch MSE ∝ 1/N, transfer 10× lower: transfer at N reaches what scratch needs 10 N for
    c = curves(fake_table(lambda n: 1 / n, lambda n: 0.1 / n))
    s = savings_factor(c, "dummy", 100)
    assert s.factor == pytest.approx(10.0, rel=1e-9) and s.bound == "" and s.n_scratch == pytest.approx(1000)
    s = savings_factor(c, "dummy", 800)  # scratch would need 8000 > 1600: only a lower bound
    assert s.bound == ">" and s.factor == pytest.approx(2.0) and str(s) == ">2.0×"


def test_savings_factor_below_one_for_negative_transfer():
    c = curves(fake_table(lambda n: 1 / n, lambda n: 2 / n))
    assert savings_factor(c, "dummy", 200).factor == pytest.approx(0.5)
    s = savings_factor(c, "dummy", 50)  # worse than scratch at the smallest budget: an upper bound
    assert s.bound == "<" and s.factor == pytest.approx(1.0)
    tab = savings_table(c)
    assert list(tab.index) == list(BUDGETS) and tab.loc[200, "dummy"] == "0.50×"


def test_search_space_and_top_trials_are_sorted(isolated_cache):
    ls = learning_set(toy_suite(300, False, seed=0), targets=LCDM_PARAMS)
    base = TrainConfig(hidden=(16,), max_epochs=3, patience=2)
    res = top_trials(ls, base, 50, None, n_trials=4, k=2, seed=0, device="cpu")
    assert len(res) == 2 and res[0]["val_mse"] <= res[1]["val_mse"]
    cfg = res[0]["config"]
    assert 1e-5 <= cfg["lr"] <= 1e-1 and 1 <= len(cfg["hidden"]) <= 3 and all(32 <= w <= 500 for w in cfg["hidden"])

    import optuna

    t = optuna.trial.FixedTrial({"lr": 1e-4, "weight_decay": 1e-3})
    ft = suggest(t, base.with_(init_from="pretrained:dummy"))
    assert ft.lr == 1e-4 and ft.hidden == base.hidden  # fine-tuning keeps the architecture


def test_sweep_end_to_end_writes_a_tidy_table_with_provenance(isolated_cache, monkeypatch):
    """A smoke-scale sweep of every variant on the runner's cheap fake tier (no CAMB)."""
    import json

    from cosmotransfer import simulate as sim
    from cosmotransfer.sweeps import sweep

    monkeypatch.setitem(sim.TIERS, "emulated", "fake_tier")
    sw = sweep("mnu_pk", "smoke", n_pretrain=(64, 128), progress=False)
    t = sw.table
    assert list(t.columns) == ["case", "variant", "n_pretrain", "N", "member", "param", "mse"]
    assert set(t.variant) == {"scratch", "dummy", "nodummy", "frozen"} and set(t.N) == {50, 100}
    assert set(t.param) == {"Om", "Ob", "h", "ns", "s8", "Mnu"}
    assert set(t[t.variant == "scratch"].n_pretrain) == {0} and set(t[t.variant == "frozen"].n_pretrain) == {64, 128}
    assert len(t) == (1 + 3 * 2) * 2 * 6  # (scratch + 3 variants × 2 sizes) × 2 budgets × 6 parameters
    prov = json.loads((sw.folder / "provenance.json").read_text())
    assert prov["scale"] == "smoke" and set(prov["pretrained"]) == {"main@64", "main@128", "bottleneck@64", "bottleneck@128"}
    assert (sw.folder / "results.csv").is_file()
    assert len(list((isolated_cache / "pretrain").iterdir())) == 4
    n_runs = len(list((isolated_cache / "finetune").iterdir()))
    again = sweep("mnu_pk", "smoke", variants=("scratch", "dummy"), progress=False)  # all from the cache
    assert len(list((isolated_cache / "finetune").iterdir())) == n_runs
    merged = t[(t.variant.isin(["scratch", "dummy"])) & (t.n_pretrain.isin([0, 128]))].reset_index(drop=True)
    pd.testing.assert_frame_equal(again.table, merged)


def test_paper_protocol_path_runs_optuna_searches(isolated_cache, monkeypatch):
    """With optuna_trials > 0 the pre-training config is searched and the band is the top trials."""
    from cosmotransfer import simulate as sim
    from cosmotransfer.config import get_scale
    from cosmotransfer.sweeps import sweep

    monkeypatch.setitem(sim.TIERS, "emulated", "fake_tier")
    scale = get_scale("smoke").with_(optuna_trials=3, seeds=(0, 1), budgets=(50,), max_epochs=4)
    sw = sweep("mnu_pk", scale, variants=("scratch", "dummy"), n_pretrain=(128,), progress=False)
    assert set(sw.table.member) == {0, 1} and sw.provenance["band"] == "Optuna top trials"
    assert len(list((isolated_cache / "pretrain").iterdir())) == 3  # one network per pre-training trial
    scratch = sw.table[sw.table.variant == "scratch"].groupby("member").mse.sum()
    assert len(scratch) == 2


def test_pretraining_sizes_are_training_set_sizes(isolated_cache, monkeypatch):
    """As in the paper, a pre-training size counts the simulations the network trains on: every size
    trains on the first N of one train pool and shares the validation and test sets."""
    from cosmotransfer import simulate as sim
    from cosmotransfer.config import get_scale, pool_size
    from cosmotransfer.sweeps import pretrain_data, pretrain_sizes, pretrained

    assert get_scale("book").pretrain_sizes("emulated") == (2000, 22000)  # of the 32,768-point BSQ's pool of 22,937
    assert pool_size(32768) == 22937 and get_scale("book").suite_size("bsq", "emulated") == 32768
    assert get_scale("book").pretrain_sizes("simulated") == (1400,)  # 2,000 CPU-simulated boxes: the pool
    assert pretrain_sizes("mnu_pk_q", "book") == pretrain_sizes("mnu_pk_q", "smoke") == (1400,)  # the real LH's pool
    monkeypatch.setitem(sim.TIERS, "emulated", "fake_tier")
    assert pretrain_sizes("mnu_pk", "smoke") == (64, 128)
    small, large = (pretrained("mnu_pk", "smoke", "main", n) for n in (64, 128))
    assert (small.info["n_train"], large.info["n_train"]) == (64, 128) and small.key != large.key
    assert small.info["data_key"] == large.info["data_key"] == pretrain_data("mnu_pk", "smoke").key


def test_tuned_sweep_trains_each_budgets_best_validation_config(isolated_cache, monkeypatch):
    from cosmotransfer import simulate as sim
    from cosmotransfer.config import SCALES, TUNING_GRID, ConfigError
    from cosmotransfer.sweeps import sweep
    from cosmotransfer.transfer import STAGE_OF

    # the book's fixed configuration is a point of each grid: tuning cannot do worse on validation
    for stage, grid in TUNING_GRID.items():
        cfg = SCALES["book"].stage(stage)
        assert all(getattr(cfg, f) in values for f, values in grid.items()), stage
    monkeypatch.setitem(sim.TIERS, "emulated", "fake_tier")
    scale = SCALES["smoke"].with_(seeds=(0, 1), max_epochs=4)
    sw = sweep("mnu_pk", scale, variants=("scratch", "dummy"), n_pretrain=(128,), budgets=(50, 100),
               progress=False, tuning="grid")
    prov = sw.provenance
    assert prov["tuning"] == "grid" and len(prov["chosen"]) == 4
    search = pd.DataFrame(prov["search"])
    n_grid = {v: int(np.prod([len(x) for x in TUNING_GRID[STAGE_OF[v]].values()])) for v in ("scratch", "dummy")}
    assert search.groupby(["variant", "N"]).size().to_dict() == {(v, n): n_grid[v] for v in n_grid for n in (50, 100)}
    tot = sw.table.groupby(["variant", "N", "member"]).mse.sum()
    for c in prov["chosen"]:
        rows = search[(search.variant == c["variant"]) & (search.N == c["N"])]
        best = rows.loc[rows.val_mse.idxmin()]
        assert all(best[f] == c[f] for f in TUNING_GRID[STAGE_OF[c["variant"]]])
        # the first seed's member is the search's own run of the chosen config (cached, not retrained)
        assert tot[c["variant"], c["N"], 0] == pytest.approx(best.test_mse)
    fixed = sweep("mnu_pk", scale, variants=("scratch", "dummy"), n_pretrain=(128,), budgets=(50, 100), progress=False)
    assert fixed.folder != sw.folder and fixed.provenance["tuning"] == "fixed" and fixed.provenance["chosen"] == []
    with pytest.raises(ConfigError, match="unknown tuning 'optuna'; valid: fixed, grid"):
        sweep("mnu_pk", scale, tuning="optuna", progress=False)


def test_a_sweep_on_two_dask_workers_writes_the_serial_table_bytes(isolated_cache, monkeypatch):
    import shutil

    from cosmotransfer import simulate as sim
    from cosmotransfer.sweeps import sweep

    monkeypatch.setitem(sim.TIERS, "emulated", "fake_tier")
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    # on the workers: the pre-training (beside the scratch runs), then the transfer runs
    par = sweep("fr_pk", "smoke", variants=("scratch", "dummy"), workers=2, progress=False)
    par_bytes = (par.folder / "results.csv").read_bytes()
    assert len(list((isolated_cache / "finetune").iterdir())) == 4  # the workers wrote to the same cache
    (pre,) = (isolated_cache / "pretrain").iterdir()
    weights = torch.load(pre / "model.pt", weights_only=True)
    shutil.rmtree(isolated_cache / "finetune")
    shutil.rmtree(isolated_cache / "pretrain")
    seq = sweep("fr_pk", "smoke", variants=("scratch", "dummy"), workers=1, progress=False)
    assert len(list((isolated_cache / "finetune").iterdir())) == 4  # trained again, in this process
    again = torch.load(pre / "model.pt", weights_only=True)  # (the file's bytes name its temporary file)
    assert weights.keys() == again.keys() and all(torch.equal(weights[k], again[k]) for k in weights)
    assert seq.folder == par.folder and (seq.folder / "results.csv").read_bytes() == par_bytes


def test_prepare_pretrains_what_the_sweeps_will_start_from_once(isolated_cache, monkeypatch):
    from cosmotransfer import simulate as sim
    from cosmotransfer.sweeps import prepare, sweep

    monkeypatch.setitem(sim.TIERS, "emulated", "fake_tier")
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    # dummy and no dummy start from one network, frozen + head from the bottleneck one
    variants = ("scratch", "dummy", "nodummy", "frozen")
    assert prepare(("fr_pk",), "smoke", variants, workers=2, progress=False) == 2
    assert len(list((isolated_cache / "pretrain").iterdir())) == 2
    assert prepare(("fr_pk",), "smoke", variants, progress=False) == 0
    sw = sweep("fr_pk", "smoke", variants=variants, progress=False)
    assert len(list((isolated_cache / "pretrain").iterdir())) == 2  # the sweep trained none again
    assert {k.split("@")[0] for k in sw.provenance["pretrained"]} == {"main", "bottleneck"}


def test_every_case_pretrains_on_the_bins_it_fine_tunes_on():
    """A network pre-trained on one tier's bins cannot be fine-tuned on another's: a case pre-trains
    in its own tier, or — the real-data cases — in another tier on the same 79 Quijote bins (PNG
    and marked P(k) of the stand-ins exist only when simulated)."""
    from cosmotransfer.data import suite_tier
    from cosmotransfer.sweeps import case_tier, pretrain_tier
    from cosmotransfer.transfer import CASES

    for scale in ("smoke", "book", "paper"):
        for name, c in CASES.items():
            t = case_tier(name, scale)
            assert t == suite_tier(c.suite, c.stat, scale, c.tier)
            if name in ("png_eq", "png_lc", "mnu_mpk", "mnu_pk_sim"):
                assert t == "simulated", (name, scale)
            if pretrain_tier(name, scale) != t:
                assert {t, pretrain_tier(name, scale)} <= {"quijote", "emulated"}, (name, scale)


def test_where_a_variant_loses_to_scratch():
    from cosmotransfer.results import where_it_loses

    # transfer better at small N, worse from N = 400 on (ratio 1.5)
    c = curves(fake_table(lambda n: 1.0 / n, lambda n: 0.5 / n if n < 400 else 1.5 / n))
    assert where_it_loses(c, "dummy") == "N = 400–1,600 (up to 1.50×)"
    assert where_it_loses(curves(fake_table(lambda n: 1.0 / n, lambda n: 0.9 / n)), "dummy") == "never"
    gaps = curves(fake_table(lambda n: 1.0 / n, lambda n: (2.0 if n in (50, 200) else 0.5) / n))
    assert where_it_loses(gaps, "dummy") == "N = 50, 200 (up to 2.00×)"


def test_the_ranking_scale_keeps_the_first_seeds_and_nothing_else():
    from cosmotransfer.config import RANKING_SEEDS, get_scale
    from cosmotransfer.sweeps import ranking_scale

    book = get_scale("book")
    rank = ranking_scale("book")
    assert rank.seeds == book.seeds[:RANKING_SEEDS] and len(rank.seeds) < len(book.seeds)
    assert rank.with_(seeds=book.seeds) == book
    assert ranking_scale("smoke") == get_scale("smoke")  # one seed: unchanged
