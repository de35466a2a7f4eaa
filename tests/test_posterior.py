"""The posterior network on a toy problem whose posterior is known (a Gaussian of known mean and
width for each of two parameters, given four summaries), TARP, and the posteriors of the book's
cases at the smoke scale (the real nwLH, shipped)."""
import numpy as np
import pytest
import torch

from cosmotransfer.config import ConfigError, TrainConfig
from cosmotransfer.models import hidden_stack
from cosmotransfer.posterior import (PosteriorNet, flat_prior_log_density, flow_order, posterior_metrics, posterior_run,
                                     pretrain_posterior, tarp_coverage)
from cosmotransfer.sweeps import scratch_n_at
from cosmotransfer.train import fit

SIGMA = np.array([0.05, 0.08])  # the true posterior widths (standard deviations)


def toy(n: int, seed: int):
    """x (n, 4) uniform summaries; y (n, 2): mean 0.5 + 0.3 (x0 − ½) and 0.4 + 0.2 x1, Gaussian noise SIGMA."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (n, 4)).astype(np.float32)
    mean = np.stack([0.5 + 0.3 * (x[:, 0] - 0.5), 0.4 + 0.2 * x[:, 1]], axis=1)
    return x, (mean + rng.normal(0, 1, (n, 2)) * SIGMA).astype(np.float32), mean


@pytest.fixture(scope="module")
def trained():
    torch.manual_seed(0)
    body, width = hidden_stack(4, (32,), 0.0)
    net = PosteriorNet(body, width, 2, transforms=2, hidden=(32, 32))
    (xt, yt, _), (xv, yv, _) = toy(3000, 1), toy(500, 2)
    fit(net, xt, yt, xv, yv, TrainConfig(lr=5e-3, weight_decay=0.0, batch_size=256, max_epochs=40, patience=8),
        seed=0, device="cpu")
    return net


def test_the_flow_recovers_a_known_gaussian_posterior(trained):
    x, _, mean = toy(200, 3)
    draws = trained.sample(torch.as_tensor(x), 1000).numpy()  # (1000, 200, 2)
    # stated tolerances: posterior median within 0.015 of the true mean (median over simulations),
    # half the 16–84 % interval within 20 % of σ (quantiles: a spline flow's far tails are loose)
    lo, mid, hi = np.quantile(draws, [0.16, 0.5, 0.84], axis=0)
    assert np.median(np.abs(mid - mean), axis=0).max() < 0.015
    np.testing.assert_allclose(np.median((hi - lo) / 2, axis=0), SIGMA, rtol=0.2)


def test_its_coverage_is_calibrated_within_the_binomial_error(trained):
    x, y, _ = toy(600, 4)
    m = posterior_metrics(trained, x, y, n_samples=400)
    # every level, both parameters: within 3 binomial standard errors of the diagonal
    assert (np.abs(m.coverage - m.levels[:, None]) <= 3 * m.coverage_band()[:, None] + 1e-9).all(), m.coverage
    np.testing.assert_allclose(m.width, 2 * SIGMA, rtol=0.2)  # a 68 % interval spans ±1σ
    # the log density of the truth: that of the true Gaussians, −Σ ln(σ √(2π)) − 1 (within 0.2 nats)
    assert m.log_density == pytest.approx(float(-np.log(SIGMA * np.sqrt(2 * np.pi)).sum() - 1.0), abs=0.2)


def test_an_over_confident_posterior_shows_in_the_coverage(trained):
    x, y, _ = toy(600, 4)
    narrow = (y - 0.5) * 3 + 0.5  # the truths spread three times wider than the posteriors claim
    m = posterior_metrics(trained, x, narrow.astype(np.float32), n_samples=400)
    assert (m.coverage[m.levels >= 0.5] < m.levels[m.levels >= 0.5, None] - 0.1).all()


# --------------------------------------------------------------------------------------
# TARP, savings on a loss that can be negative
# --------------------------------------------------------------------------------------
def test_tarp_follows_the_diagonal_for_true_posteriors_and_not_for_narrow_ones():
    rng = np.random.default_rng(0)
    n, d, s = 600, 3, 300
    centre = rng.uniform(0.3, 0.7, (n, d))
    truth = centre + rng.normal(0, 0.05, (n, d))  # the truth is a draw from the posterior
    draws = centre[None] + rng.normal(0, 0.05, (s, n, d))
    alpha, ecp = tarp_coverage(draws, truth, seed=1)
    assert alpha[0] == 0 and alpha[-1] == 1 and ecp[-1] == 1
    # within 3 binomial standard errors of the diagonal at every level inside (0, 1)
    inner = slice(1, -1)
    assert (np.abs(ecp - alpha)[inner] <= 3 * np.sqrt(alpha * (1 - alpha) / n)[inner]).all(), ecp - alpha
    narrow = centre[None] + rng.normal(0, 0.015, (s, n, d))  # claims a third of the true width
    _, ecp_narrow = tarp_coverage(narrow, truth, seed=1)
    assert np.abs(ecp_narrow - alpha).max() > 0.2


def test_savings_interpolate_a_negative_log_density_linearly():
    ns = np.array([100.0, 200.0, 400.0])
    nll = np.array([-1.0, -3.0, -5.0])  # scratch's negative log density falls with N
    n, bound = scratch_n_at(ns, nll, -4.0, log_y=False)
    assert bound == "" and n == pytest.approx(np.sqrt(200 * 400))  # halfway in log N
    assert scratch_n_at(ns, nll, -6.0, log_y=False)[1] == ">"
    assert scratch_n_at(ns, nll, 0.0, log_y=False)[1] == "<"


# --------------------------------------------------------------------------------------
# The book's cases: dummy dimensions, fine-tuning, the cache (real nwLH, smoke settings)
# --------------------------------------------------------------------------------------
def test_flow_layout_puts_the_new_parameters_in_the_dummy_dimensions():
    assert flow_order("mnu_pk_q") == ("Om", "Ob", "h", "ns", "s8", "Mnu")
    assert flow_order("fr_pk")[-2:] == ("Mnu", "fR0")
    with pytest.raises(ConfigError, match="every pre-training target"):
        flow_order("png_lc")  # ΛCDM fixed: no place for the pre-trained ΛCDM dimensions


@pytest.fixture(scope="module")
def smoke_posteriors(tmp_path_factory):
    from cosmotransfer import paths

    old, paths.CACHE_DIR = paths.CACHE_DIR, tmp_path_factory.mktemp("cache")
    torch.set_num_threads(1)
    try:
        pre = pretrain_posterior("mnu_pk_q", "smoke")
        runs = {v: posterior_run("mnu_pk_q", "smoke", v, 50, pre=pre) for v in ("scratch", "dummy")}
        yield pre, runs
    finally:
        paths.CACHE_DIR = old


def test_pretraining_learns_the_lcdm_dimensions_and_a_flat_dummy(smoke_posteriors):
    pre, _ = smoke_posteriors
    assert pre.info["order"] == list(flow_order("mnu_pk_q")) and pre.info["n_dummy"] == 1
    # better than the flat prior the latin hypercube is drawn from, on its test set
    flat = flat_prior_log_density("lh", flow_order("mnu_pk_q"))
    assert flat == pytest.approx(-np.log(0.04 / 0.06))  # Ωb sampled over 0.03–0.07 of the table's 0.02–0.08
    assert pre.info["flat_prior_log_density"] == pytest.approx(flat)
    assert pre.info["test_log_density"] > flat + 1.0
    from cosmotransfer.sweeps import pretrain_data

    ls = pretrain_data("mnu_pk_q", "smoke")
    x = torch.as_tensor(ls.x[ls.split.test][:64])
    with torch.no_grad():
        dummy = pre.net.sample(x, 400).numpy()[..., -1]  # the noise dimension's draws
    # independent of the summaries: a broad marginal over the unit interval, not a point
    assert dummy.std(axis=0).mean() > 0.15


def test_fine_tuning_starts_from_the_pretrained_posterior_and_is_cached(smoke_posteriors, monkeypatch):
    from cosmotransfer import posterior

    pre, runs = smoke_posteriors
    for v, r in runs.items():
        assert r["variant"] == v and r["N"] == 50 and r["n_test"] == 150
        assert set(r["params"]) == set(flow_order("mnu_pk_q"))
        assert np.isfinite(r["log_density"]) and 0 <= r["tarp_error"] <= 1
        assert all(m["width"] > 0 for m in r["params"].values())
    assert runs["dummy"]["pretrained"] == pre.key and runs["scratch"]["pretrained"] is None
    # the pre-trained start is worth something at N = 50 on the ΛCDM parameters
    assert runs["dummy"]["log_density"] > runs["scratch"]["log_density"]
    monkeypatch.setattr(posterior, "fit", lambda *a, **k: pytest.fail("trained again"))
    again = posterior_run("mnu_pk_q", "smoke", "dummy", 50, pre=pre, return_net=True)
    assert again["log_density"] == runs["dummy"]["log_density"]
    assert isinstance(again["net"], PosteriorNet)
    # a case with the same fine-tuning data and layout shares the scratch run, under its own name
    shared = posterior_run("mnu_pk_q_emu", "smoke", "scratch", 50)
    assert shared["case"] == "mnu_pk_q_emu" and shared["log_density"] == runs["scratch"]["log_density"]
    with pytest.raises(ConfigError, match="pre-train it for this case"):
        posterior_run("fr_pk", "smoke", "dummy", 50, pre=pre)  # two dummy dimensions, not one


def test_a_posterior_run_is_deterministic(smoke_posteriors, tmp_path, monkeypatch):
    from cosmotransfer import paths

    pre, runs = smoke_posteriors
    monkeypatch.setattr(paths, "CACHE_DIR", tmp_path / "fresh")
    redo = posterior_run("mnu_pk_q", "smoke", "dummy", 50, pre=pre)
    assert redo["log_density"] == runs["dummy"]["log_density"] and redo["params"] == runs["dummy"]["params"]


def test_unknown_posterior_variant_is_one_clear_error():
    with pytest.raises(ConfigError, match="valid: scratch, dummy"):
        posterior_run("mnu_pk_q", "smoke", "frozen", 50)
