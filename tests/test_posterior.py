"""The posterior network on a toy problem whose posterior is known: a Gaussian of known mean and
width for each of two parameters, given four summaries."""
import numpy as np
import pytest
import torch

from cosmotransfer.config import TrainConfig
from cosmotransfer.models import hidden_stack
from cosmotransfer.posterior import PosteriorNet, posterior_metrics
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
