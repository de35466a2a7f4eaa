"""The linear-response Fisher forecast: independent responses are measured alone as well as together;
two parameters with one response shape are not."""
import numpy as np
import pytest

from cosmotransfer.config import LCDM_PARAMS, PARAM_NAMES, fiducial_vector, get_param
from cosmotransfer.store import SuiteData
from cosmotransfer.fisher import PRIOR_STD, suite_fisher
from cosmotransfer.stats import kbins


def synthetic(shapes: dict, n: int = 400, noise: float = 1e-3, seed: int = 0) -> SuiteData:
    """ln P = Σ θ̂_i shape_i(k) + noise, for the five ΛCDM parameters (a user suite)."""
    rng = np.random.default_rng(seed)
    k = kbins().k
    params = np.tile(fiducial_vector(), (n, 1))
    lnp = np.full((n, len(k)), 8.0)
    for name in LCDM_PARAMS:
        p = get_param(name)
        lo, hi = (0.03, 0.07) if name == "Ob" else (p.lo, p.hi)
        params[:, PARAM_NAMES.index(name)] = rng.uniform(lo, hi, n)
        lnp += np.outer(p.scale(params[:, PARAM_NAMES.index(name)]), shapes[name](k))
    lnp += rng.normal(0, noise, lnp.shape)
    return SuiteData("user", "toy", params, np.arange(n), np.arange(n), k, {"pk": np.exp(lnp).astype(np.float32)})


SHAPES = {"Om": lambda k: (k / 0.5) ** 2, "Ob": lambda k: np.sin(20 * k), "h": lambda k: np.cos(10 * k),
          "ns": lambda k: np.log(k / 0.05), "s8": lambda k: np.ones_like(k)}


def test_independent_responses_are_measured_alone_and_together():
    f = suite_fisher(synthetic(SHAPES), "pk")
    assert f.names == LCDM_PARAMS
    assert np.all(f.marginal < 0.2 * PRIOR_STD)  # order-one responses, 79 bins: well measured


def test_one_shape_for_two_parameters_is_a_degeneracy():
    shapes = dict(SHAPES, ns=lambda k: 0.5 * np.ones_like(k))  # n_s now moves P(k) exactly as σ8 does
    f = suite_fisher(synthetic(shapes), "pk")
    t = f.table()
    assert t.loc[get_param("ns").plain, "most correlated with"] == get_param("s8").plain
    assert abs(t.loc[get_param("ns").plain, "correlation"]) > 0.99
    assert t.loc[get_param("ns").plain, "marginal / prior"] > 20 * t.loc[get_param("ns").plain, "conditional / prior"]
    assert t.loc[get_param("Om").plain, "marginal / prior"] < 0.2
    independent = suite_fisher(synthetic(SHAPES), "pk").table()
    assert t.loc[get_param("ns").plain, "marginal / prior"] > 10 * independent.loc[get_param("ns").plain, "marginal / prior"]


def test_residual_noise_follows_the_scatter_about_the_fit():
    quiet, loud = (suite_fisher(synthetic(SHAPES, noise=s), "pk", noise="residual") for s in (1e-3, 1e-2))
    np.testing.assert_allclose(loud.marginal / quiet.marginal, 10, rtol=0.15)
    with pytest.raises(ValueError, match="unknown noise"):
        suite_fisher(synthetic(SHAPES), "pk", noise="gaussian")


def test_a_k_cut_suite_keeps_its_boxs_mode_counts():
    from cosmotransfer.datasets import k_cut

    full, cut = suite_fisher(synthetic(SHAPES), "pk"), suite_fisher(k_cut(synthetic(SHAPES), 0.1), "pk")
    assert np.all(cut.marginal > full.marginal)  # fewer bins, less information
    shifted = synthetic(SHAPES)
    shifted.k = shifted.k * 1.1  # bins of no known box
    with pytest.raises(ValueError, match="match no known box"):
        suite_fisher(shifted, "pk")
