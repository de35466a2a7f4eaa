"""SHAP helpers: additivity, locality (zero attribution to unused bins), exactness on a linear
network, the summaries, the figures and the response. Small networks only: the file takes
≈ 15–40 s on the 2-core machine, most of it shap's one-off numba compile of the permutation
explainer (paid once per process) and the shap import."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from cosmotransfer.config import ConfigError
from cosmotransfer.attribution import (EXACT_METHODS, METHODS, band_attributions, band_edges_used, explain, explainable,
                                      region_attribution, sign_flips, signed_importance)
from cosmotransfer.models import MLP, FrozenBodyHead

N_K = 79


@pytest.fixture(scope="module")
def inputs():
    rng = np.random.default_rng(1)
    return rng.normal(size=(40, N_K)).astype(np.float32)


def _mlp(seed=0, n_targets=2, n_dummy=1, hidden=(32, 16)):
    torch.manual_seed(seed)
    return MLP(N_K, hidden, n_targets, dropout=0.2, n_dummy=n_dummy).eval()


@pytest.mark.parametrize("method", EXACT_METHODS)
def test_additivity_exact_methods(inputs, method):
    """Σ_bins φ = f(x) − E_background[f] to 1e-4, for every explained output."""
    a = explain(_mlp(), inputs[:3], inputs[10:40], method=method, outputs=range(2), names=("s8", "Mnu"))
    assert a.values.shape == (3, N_K, 2)
    assert np.abs(a.additivity_error()).max() < 1e-4
    # the error is measured against the network itself, not against the explainer's own bookkeeping
    with torch.no_grad():
        f = _mlp()(torch.from_numpy(inputs[:3])).numpy()[:, :2]
    np.testing.assert_allclose(a.outputs, f, atol=1e-6)


def test_additivity_frozen_body_head(inputs):
    """The frozen variant's network (body run under no_grad) is rebuilt so DeepLIFT stays exact."""
    body = _mlp(hidden=(24, 10)).body
    torch.manual_seed(3)
    net = FrozenBodyHead(body, 10, (8,), 2).eval()
    a = explain(net, inputs[:5], inputs[10:30], method="deep")
    assert np.abs(a.additivity_error()).max() < 1e-4
    with torch.no_grad():
        np.testing.assert_allclose(a.outputs, net(torch.from_numpy(inputs[:5])).numpy(), atol=1e-6)
    assert np.abs(a.values).max() > 1e-4  # not trivially zero through the frozen body


def test_gradient_explainer_is_close(inputs):
    """Expected gradients are Monte-Carlo: additive only approximately, and close to DeepLIFT."""
    m = _mlp()
    g = explain(m, inputs[:5], inputs[10:40], method="gradient", outputs=range(2), nsamples=400)
    d = explain(m, inputs[:5], inputs[10:40], method="deep", outputs=range(2))
    scale = np.abs(g.outputs - g.expected).max()
    assert np.abs(g.additivity_error()).max() < 0.2 * scale
    assert np.corrcoef(g.values.ravel(), d.values.ravel())[0, 1] > 0.9


@pytest.mark.parametrize("method", METHODS)
def test_unused_bins_get_zero_attribution(inputs, method):
    """A network whose first layer only reads bins 60–78 attributes nothing to bins 0–59."""
    m = _mlp(seed=4)
    with torch.no_grad():
        m.body[0].weight[:, :60] = 0.0
    a = explain(m, inputs[:3], inputs[10:30], method=method, outputs=range(2))
    assert np.abs(a.values[:, :60, :]).max() < 1e-7
    assert np.abs(a.values[:, 60:, :]).max() > 1e-3


@pytest.mark.parametrize("method", EXACT_METHODS)
def test_linear_network_exact_values(inputs, method):
    """For f = w·x + b the Shapley values are w_i (x_i − mean background_i)."""
    torch.manual_seed(5)
    lin = nn.Linear(N_K, 1)
    x, bg = inputs[:3], inputs[10:40]
    a = explain(lin, x, bg, method=method)
    w = lin.weight.detach().numpy()[0]
    expect = w * (x - bg.mean(axis=0))
    np.testing.assert_allclose(a.values[:, :, 0], expect, atol=1e-5)
    # signed importance of a linear network has the sign of its weights
    s = signed_importance(explain(lin, inputs, inputs, method="deep"), "out0")
    assert np.array_equal(np.sign(s), np.sign(w))


def test_explainable_keeps_outputs_and_selects_rows(inputs):
    m = _mlp(n_targets=3, n_dummy=2)
    with torch.no_grad():
        full = m(torch.from_numpy(inputs)).numpy()
        sel = explainable(m, outputs=[0, 2])(torch.from_numpy(inputs)).numpy()
    np.testing.assert_allclose(sel, full[:, [0, 2]], atol=1e-6)
    assert all(p.dtype == torch.float32 for p in m.parameters())  # caller's model untouched


def test_deterministic(inputs):
    m = _mlp()
    for method in ("gradient", "permutation"):
        a = explain(m, inputs[:2], inputs[10:30], method=method, seed=7)
        b = explain(m, inputs[:2], inputs[10:30], method=method, seed=7)
        assert np.array_equal(a.values, b.values)


def test_bad_inputs(inputs):
    m = _mlp()
    with pytest.raises(ConfigError, match="valid methods"):
        explain(m, inputs[:2], inputs, method="kernel")
    with pytest.raises(ConfigError, match="same n_k"):
        explain(m, inputs[:2, :50], inputs)
    a = explain(m, inputs[:2], inputs[:10], outputs=range(2), names=("s8", "Mnu"))
    with pytest.raises(ConfigError, match="not explained"):
        a.of("Om")


def test_sign_flips_and_mass():
    k = np.linspace(0.01, 0.5, 10)
    before = np.array([1, 1, 1, 1, 0.01, 0.5, 1, 1, 1, 1.0])
    after = np.array([1, 1, 1, 1, -0.01, -0.5, -1, 1, -1, -1.0])
    f = sign_flips(before, after, k, rel_threshold=0.1)
    assert f.bins.tolist() == [5, 6, 8, 9]  # bin 4 flips too, but below the noise threshold
    assert f.runs == ((k[5], k[6]), (k[8], k[9]))
    assert f.describe() == f"{k[5]:.3f}–{k[6]:.3f}, {k[8]:.3f}–{k[9]:.3f} h/Mpc (4 bins)"
    assert sign_flips(before, before, k).describe() == "no bins"


def test_region_and_band_attributions(inputs):
    m = _mlp(seed=6)
    with torch.no_grad():
        m.body[0].weight[:, 40:] = 0.0  # only large scales (the first 40 bins) are read
    a = explain(m, inputs[:5], inputs[10:30], outputs=range(2), names=("s8", "Mnu"))
    k = np.linspace(0.01, 0.5, N_K)
    r = region_attribution(a, k, k_min=k[40])
    assert set(r) == {"s8", "Mnu"} and max(v[0] for v in r.values()) < 1e-7  # nothing from small scales
    assert min(v[1] for v in r.values()) > 0
    # bands: summing within bands keeps additivity, and the band edges cover the k range
    b = band_attributions(a, k)
    assert b.values.shape[1] == b.x.shape[1] == len(band_edges_used(k)) - 1
    assert np.abs(b.additivity_error()).max() < 1e-4
    e = band_edges_used(k)
    assert e[0] == k[0] and e[-1] == k[-1] and np.all(np.diff(e) > 0)
    f = sign_flips(np.array([1.0, 1, -1]), np.array([1.0, -1, 1]), np.array([0.1, 0.2, 0.3]),
                   edges=np.array([0.05, 0.15, 0.25, 0.5]))
    assert f.unit == "bands" and f.runs == ((0.15, 0.5),) and f.describe() == "0.15–0.50 h/Mpc (2 bands)"
    one = sign_flips(np.array([1.0, 1]), np.array([1.0, -1]), np.array([0.1, 0.2]), edges=np.array([0.0, 0.15, 0.3]))
    assert one.describe() == "0.15–0.30 h/Mpc (1 band)"


def test_response_sigma8():
    """d ln P / dσ8 = 2/σ8 on linear scales, larger where nonlinear growth responds to σ8."""
    pytest.importorskip("camb")
    from cosmotransfer.cosmology import nonlinear_power
    from cosmotransfer.attribution import response

    k = np.array([0.01, 0.5])
    r = response(lambda theta: nonlinear_power(theta, k), ["s8"])["s8"]
    assert r[0] == pytest.approx(2 / 0.834, rel=0.02)
    assert r[1] > 1.2 * r[0]


def test_response_finite_differences():
    """Central differences where the prior allows, one-sided at Mν = 0 (its prior edge)."""
    from cosmotransfer.config import PARAM_NAMES
    from cosmotransfer.attribution import response

    j8, jn = PARAM_NAMES.index("s8"), PARAM_NAMES.index("Mnu")
    slope = np.array([[1.0, -2.0], [0.5, 3.0]])  # d ln S/dθ of two bins, for (σ8, Mν)
    stat = lambda th: np.exp(slope @ np.array([th[j8], th[jn]]))  # noqa: E731
    r = response(stat, ["s8", "Mnu"])
    np.testing.assert_allclose(r["s8"], slope[:, 0], rtol=1e-9)
    np.testing.assert_allclose(r["Mnu"], slope[:, 1], rtol=1e-9)


def test_benchmark_rows(inputs):
    from cosmotransfer.attribution import benchmark

    rows = benchmark(_mlp(), inputs[:2], inputs[10:30], outputs=range(2), permutation_background=10)
    assert [r["method"] for r in rows] == list(METHODS)
    by = {r["method"]: r for r in rows}
    assert by["deep"]["max_additivity_error"] < 1e-4 and by["permutation"]["max_additivity_error"] < 1e-4
    assert by["permutation"]["n_background"] == 10 and by["deep"]["n_background"] == 20
    assert by["permutation"]["corr_with_deep"] > 0.8


def _case(inputs):
    """A CaseSHAP from untrained toy networks (what notebook 07's figures receive)."""
    from cosmotransfer.config import LCDM_PARAMS
    from cosmotransfer.explain import CaseSHAP, NetworkSHAP

    nets = []
    for label, names in (("pre", LCDM_PARAMS), ("ft 50", LCDM_PARAMS + ("Mnu",)), ("ft 100", LCDM_PARAMS + ("Mnu",))):
        a = explain(_mlp(seed=len(nets), n_targets=len(names)), inputs[:8], inputs[10:30], outputs=range(len(names)),
                    names=names)
        truth = np.random.default_rng(0).uniform(size=(8, len(names)))
        nets.append(NetworkSHAP(label, "pretrained" if not nets else "finetuned", 50, a, truth,
                                {n: 0.01 for n in names}))
    return CaseSHAP("mnu_pk", "pk", np.linspace(0.009, 0.5, N_K), nets, {"train": 0.0, "explain": 0.0})


def test_case_tables_and_figures(inputs):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cosmotransfer.explain import case_regions, reassignment_table, reassignment_verdict
    from cosmotransfer.figures.shap import admonition, case_heatmap, case_region_figure, case_signed_figure

    res = _case(inputs)
    t = reassignment_table(res, 0.2)
    assert list(t["N"]) == [50, 50, 50] and t["s8 small vs pre-trained"].iloc[0] == pytest.approx(1.0)
    assert reassignment_verdict(res, 0.2).split(",")[0].split(":")[0] in {"yes", "partly", "no"}
    resp = {p: np.linspace(-1, 1, N_K) for p in ("Om", "s8", "Mnu")}
    for fig in (case_signed_figure(res, resp), case_heatmap(res), case_region_figure(case_regions(res, 0.2), res.stat, 0.2)):
        fig.canvas.draw()  # renders every label (catches mathtext errors)
        plt.close(fig)
    assert "admonition warning" in admonition("t", "<x>").data and "&lt;x&gt;" in admonition("t", "<x>").data
