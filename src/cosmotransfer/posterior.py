"""Posteriors instead of points: a conditional normalising flow on an MLP trunk's features.

The point networks of the book predict one value per parameter and are scored by MSE. A
:class:`PosteriorNet` keeps the same trunk — standardised summaries ``x: (batch, n_k)`` through the
hidden layers of an :class:`~cosmotransfer.models.MLP` — and puts a conditional neural spline flow
(``zuko.flows.NSF``; Durkan et al. 2019) on its features instead of the output layer: the density
q(θ̂ | x) of the scaled targets θ̂ ∈ [0, 1]^d (the prior table's min–max scaling). It trains with the
shared loop (:func:`cosmotransfer.train.fit`) on the negative log density of the truth, so a
pre-trained trunk transfers to it as to a point network.

zuko rather than sbi: the flow has to sit on a trunk that is pre-trained and fine-tuned by this
book's own loop and cache; zuko is a small flow library of plain ``torch.nn`` modules, while sbi
brings its own training loop and density-estimator wrappers.

What a posterior is scored by (:func:`posterior_metrics`) on held-out simulations:

* the mean log density of the truth (higher is better; a uniform prior scores 0 on the unit cube);
* the width of each parameter's central 68 % interval, from samples;
* the coverage of central intervals: the fraction of simulations whose true value lies in the
  interval of credibility α, against α — a calibrated posterior lies on the diagonal, an
  over-confident one below it (the marginal version of simulation-based calibration, Talts et al.
  2018).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import zuko
from torch import nn


class PosteriorNet(nn.Module):
    """``body`` (hidden layers; their output has ``n_features`` units) → a conditional spline flow
    over ``n_targets`` scaled parameters. ``transforms``/``hidden``: the flow's depth and the widths
    of its conditioner networks."""

    def __init__(self, body: nn.Sequential, n_features: int, n_targets: int, transforms: int = 3,
                 hidden: tuple[int, ...] = (64, 64)):
        super().__init__()
        self.body, self.n_targets = body, n_targets
        self.flow = zuko.flows.NSF(features=n_targets, context=n_features, transforms=transforms,
                                   hidden_features=hidden)

    def log_prob(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(batch,) log q(y | x)."""
        return self.flow(self.body(x)).log_prob(y)

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The training loss of :func:`cosmotransfer.train.fit`: the mean negative log density."""
        return -self.log_prob(x, y).mean()

    @torch.no_grad()
    def sample(self, x: torch.Tensor, n: int) -> torch.Tensor:
        """(n, batch, n_targets) draws from q(· | x)."""
        return self.flow(self.body(x)).sample((n,))


@dataclass(frozen=True)
class PosteriorMetrics:
    """Held-out scores of a posterior: ``log_density`` (mean log q(θ̂_true | x)), ``width`` (n_targets,)
    mean 68 % interval width on the scaled axis, ``levels`` and ``coverage`` (n_levels, n_targets)
    the empirical coverage of central intervals at each credibility level, ``n`` simulations."""

    log_density: float
    width: np.ndarray
    levels: np.ndarray
    coverage: np.ndarray
    n: int

    def coverage_error(self) -> float:
        """max |empirical − expected| coverage over levels and parameters."""
        return float(np.abs(self.coverage - self.levels[:, None]).max())

    def coverage_band(self) -> np.ndarray:
        """(n_levels,) the binomial standard error of an empirical coverage at each level."""
        return np.sqrt(self.levels * (1 - self.levels) / self.n)


@torch.no_grad()
def posterior_metrics(net: PosteriorNet, x, y, n_samples: int = 500, seed: int = 0,
                      levels=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.68, 0.7, 0.8, 0.9, 0.95)) -> PosteriorMetrics:
    """Score ``net`` on held-out ``x`` (n, n_k) and true scaled targets ``y`` (n, n_targets), with
    ``n_samples`` posterior draws per simulation (seeded)."""
    net.eval()
    xt = torch.as_tensor(np.asarray(x, np.float32))
    yt = torch.as_tensor(np.asarray(y, np.float32))
    torch.manual_seed(seed)
    logq = net.log_prob(xt, yt).numpy()
    draws = net.sample(xt, n_samples).numpy()  # (n_samples, n, d)
    lo68, hi68 = np.quantile(draws, [0.16, 0.84], axis=0)
    # the rank of the truth among the draws → the central interval it first falls in
    below = (draws < yt.numpy()[None]).mean(axis=0)  # (n, d) in [0, 1]
    central = np.abs(2 * below - 1)  # the smallest central credibility containing the truth
    levels = np.asarray(levels, dtype=np.float64)
    coverage = (central[None] <= levels[:, None, None]).mean(axis=1)  # (n_levels, d)
    return PosteriorMetrics(float(logq.mean()), (hi68 - lo68).mean(axis=0), levels, coverage, len(xt))
