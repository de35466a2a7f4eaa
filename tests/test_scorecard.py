"""The scorecard's rules, and its verdicts against their own numbers at the smoke scale."""
import pytest

from cosmotransfer import scorecard
from cosmotransfer.config import SCORECARD
from cosmotransfer.scorecard import NOT_TESTABLE, Measurement, verdict_of

KIND = {f.key: f.kind for f in scorecard.FINDINGS}


@pytest.fixture(scope="module")
def smoke_card():
    """Every finding on every tier at the smoke scale (from the smoke book's caches under `make test`)."""
    return scorecard.scorecard("smoke")


def test_every_verdict_follows_from_its_numbers(smoke_card):
    assert len(smoke_card) == len(scorecard.FINDINGS) * len(scorecard.TIERS)
    for m in smoke_card:
        assert m.verdict in scorecard.VERDICTS
        assert m.verdict == verdict_of(KIND[m.finding], m.numbers), (m.finding, m.tier, m.numbers)
    # the real tier measures what it has: P(k) savings, marked-P(k) transfer, the ranking
    real = {m.finding: m for m in smoke_card if m.tier == "real Quijote"}
    for key in ("pretraining", "mnu_pk", "mpk", "ranking"):
        assert real[key].verdict != NOT_TESTABLE, key
    assert real["fr"].verdict == NOT_TESTABLE and real["fr"].numbers == {"missing": True}
    table = scorecard.table(smoke_card)
    assert list(table.index) == [f.statement for f in scorecard.FINDINGS]
    for f in scorecard.FINDINGS:
        assert table.loc[f.statement, "verdict"] == scorecard.summary_verdict(smoke_card, f.key)


@pytest.mark.parametrize("total, verdict", [(0.07, "reproduced"), (0.15, "partly"), (0.3, "not reproduced")])
def test_pretraining_rule(total, verdict):
    assert verdict_of("pretraining", {"total_mse": total, "paper_total_mse": 0.066}) == verdict


@pytest.mark.parametrize("factor, lo, hi, dull, verdict", [
    (8.0, 6.0, 10.0, [], "reproduced"),
    (8.0, 6.0, 10.0, ["fR0"], "partly"),  # the saving comes from the ΛCDM parameters alone
    (3.0, 2.0, 4.0, [], "partly"),
    (1.2, 0.9, 1.5, [], "not reproduced"),
    (0.6, 0.5, 0.7, [], "not reproduced"),
])
def test_savings_rule(factor, lo, hi, dull, verdict):
    numbers = {"factor": factor, "lo": lo, "hi": hi, "bound": "", "paper_factor": SCORECARD["paper_savings"],
               "uninformative": dull}
    assert verdict_of("savings", numbers) == verdict


def test_transfer_rules():
    neg = "negative transfer"
    assert verdict_of("negative", {"s8": neg, "Mnu": neg}) == "reproduced"
    assert verdict_of("negative", {"s8": "gain", "Mnu": neg}) == "partly"
    assert verdict_of("negative", {"s8": "gain", "Mnu": "no clear difference"}) == "not reproduced"
    most = {"n_gain": 4, "n_params": 5, "uninformative": [], "new": ["fNL_equil"]}
    assert verdict_of("gain_most", most) == "reproduced"
    assert verdict_of("gain_most", most | {"n_gain": 2}) == "not reproduced"
    assert verdict_of("gain_most", most | {"uninformative": ["fNL_equil"]}) == NOT_TESTABLE
    assert verdict_of("no_gain", {"total_verdict": "gain", "uninformative": [], "new": ["fNL_loc"]}) == "not reproduced"
    assert verdict_of("no_gain", {"total_verdict": "no clear difference", "uninformative": [],
                                  "new": ["fNL_loc"]}) == "reproduced"
    assert verdict_of("ranking", {"order": ["dummy", "nodummy", "frozen"]}) == "reproduced"
    assert verdict_of("ranking", {"order": ["dummy", "frozen", "nodummy"]}) == "partly"
    assert verdict_of("ranking", {"order": ["frozen", "dummy", "nodummy"]}) == "not reproduced"
    assert verdict_of("shap", {"answer": "partly: only at N = 50 …"}) == "partly"
    assert verdict_of("pretraining", {"missing": True}) == NOT_TESTABLE


def test_row_verdict_prefers_real_data_and_never_picks_a_stand_in():
    def ms(**verdicts):
        return [Measurement("x", tier, {}, "", v) for tier, v in verdicts.items()]

    real, emu, cpu = scorecard.TIERS
    assert scorecard.summary_verdict(ms(**{real: "partly", emu: "reproduced"}), "x") == "partly"
    assert scorecard.summary_verdict(ms(**{real: NOT_TESTABLE, emu: "reproduced", cpu: "reproduced"}), "x") == "reproduced"
    assert scorecard.summary_verdict(ms(**{real: NOT_TESTABLE, emu: "reproduced", cpu: "not reproduced"}), "x") == "partly"
    assert scorecard.summary_verdict(ms(**{real: NOT_TESTABLE, emu: NOT_TESTABLE}), "x") == NOT_TESTABLE
