"""SHAP for the book's cases: the pre-trained and fine-tuned networks of a case, explained with the
engine of :mod:`cosmotransfer.attribution`, cached, and summarised for notebook 07.

:func:`explain_case` takes the case's pre-trained network and its fine-tuned networks from the
transfer cache (:func:`cosmotransfer.transfer.run` keeps the weights of a run asked for its model),
explains them with the scale's :data:`~cosmotransfer.config.SHAP_SETTINGS` and caches the
attributions; :func:`reassignment_table` and :func:`reassignment_verdict` answer the paper's question
(are the small scales taken away from σ8 when the network learns Mν?); :func:`engine_response` is
the physics the attributions should reflect.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .config import SHAP_SETTINGS, ConfigError, ShapSettings, get_param
from .attribution import (Attributions, SignFlip, band_attributions, band_edges_used, benchmark, explain, flip_runs,
                          region_attribution, response, sign_flips, signed_importance)


def shap_settings(scale_name: str) -> ShapSettings:
    try:
        return SHAP_SETTINGS[scale_name]
    except KeyError:
        raise ConfigError(f"no SHAP settings for scale {scale_name!r}; valid scales: {', '.join(SHAP_SETTINGS)}") from None


def engine_response(stat: str, scale, params: Sequence[str], seed: int = 0,
                    device: str | None = None) -> dict[str, np.ndarray]:
    """:func:`response` of a statistic from the engine that makes it at ``scale``: the emulated
    tier's noise-free P(k) (:func:`cosmotransfer.emulate.mean_pk`), or — for marked P(k) — the
    particle-mesh engine at the preset of the scale's simulated suites (``suite_preset``: the same
    box and k bins) with one fixed seed (so the finite differences see the same initial field).
    Raises ConfigError where the engine lacks a parameter's physics.
    """
    from .config import get_scale, get_sim_preset
    from .data import SIMULATED_ONLY_STATS

    sc = get_scale(scale)
    if stat not in SIMULATED_ONLY_STATS and sc.tier == "emulated":
        from .emulate import mean_pk

        return response(mean_pk, params)
    from . import sim
    from .train import default_device

    settings = sim.settings(get_sim_preset(sc.suite_preset))
    dev = device or default_device()

    def one(theta):
        return sim.run_chunk(theta[None], np.array([seed]), settings, dev)[stat][0].astype(np.float64)

    return response(one, params)


# --------------------------------------------------------------------------------------
# Notebook 07: one case's networks, explained (cached)
# --------------------------------------------------------------------------------------
@dataclass
class NetworkSHAP:
    """One explained network: ``attr`` on its own suite's test rows; ``truth`` (n, n_out) the
    physical parameter values of the explained rows (same order as ``attr.names``)."""

    label: str
    kind: str  # "pretrained" or "finetuned"
    n_train: int
    attr: Attributions
    truth: np.ndarray
    test_mse: dict[str, float]


@dataclass
class CaseSHAP:
    """The pre-trained network and its fine-tuned descendants of one case, explained.

    ``networks[0]`` is the pre-trained network (explained on the ΛCDM suite's test set), the
    others the dummy-node fine-tunings at increasing N (explained on the case suite's test set).
    ``wall_s``: seconds spent training (0 when cached) and explaining.
    """

    case: str
    stat: str
    k: np.ndarray
    networks: list[NetworkSHAP]
    wall_s: dict[str, float]

    @property
    def pretrained(self) -> NetworkSHAP:
        return self.networks[0]

    @property
    def finetuned(self) -> list[NetworkSHAP]:
        return self.networks[1:]

    def signed(self, net: NetworkSHAP, name: str) -> np.ndarray:
        """(n_k,) signed importance of every bin."""
        return signed_importance(net.attr, name)

    def signed_bands(self, net: NetworkSHAP, name: str) -> np.ndarray:
        """(n_bands,) signed importance of the :data:`BAND_EDGES` bands (see :meth:`band_edges`)."""
        return signed_importance(band_attributions(net.attr, self.k), name)

    @property
    def band_edges(self) -> np.ndarray:
        return band_edges_used(self.k)

    def flips(self, net: NetworkSHAP, name: str = "s8", rel_threshold: float = 0.1) -> SignFlip:
        """Bins where ``name``'s signed importance in ``net`` opposes the pre-trained network's."""
        return sign_flips(self.signed(self.pretrained, name), self.signed(net, name), self.k, rel_threshold)

    def band_flips(self, net: NetworkSHAP, name: str = "s8", rel_threshold: float = 0.1) -> SignFlip:
        """Bands where ``name``'s summed attribution in ``net`` opposes the pre-trained network's."""
        e = self.band_edges
        return sign_flips(self.signed_bands(self.pretrained, name), self.signed_bands(net, name),
                          np.sqrt(e[1:] * e[:-1]), rel_threshold, edges=e)


def _rows(ls, settings: ShapSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(explained x, background x, explained truth (n, n_targets)) from a learning set's fixed test rows."""
    from .datasets import unscale_targets

    test = ls.split.test
    bg = ls.x[test[: settings.n_background]]
    rows = test[: settings.n_explain]
    return ls.x[rows], bg, unscale_targets(ls.y[rows], ls.targets)


def _explain_cached(key: dict, label: str, kind: str, n_train: int, train, ls, params: Sequence[str],
                    settings: ShapSettings, seed: int, cache: bool) -> tuple[NetworkSHAP, float]:
    """Explain the outputs ``params`` (those among the network's targets) of the network ``train()``
    returns (``(model, test_mse)``), or load the cached result.

    Returns the explained network and the seconds spent training (0 when cached or pre-cached).
    """
    from . import paths
    from .store import load_npz, save_npz, stable_hash

    names = tuple(p for p in params if p in ls.targets)
    cols = [ls.targets.index(p) for p in names]
    h = stable_hash({**key, "params": names, "settings": settings.__dict__, "seed": seed})
    path = paths.cache_dir("shap", h) / "attributions.npz"
    if cache and path.is_file():
        a, meta = load_npz(path)
        attr = Attributions(values=a["values"], expected=a["expected"], outputs=a["outputs"], x=a["x"],
                            names=tuple(meta["names"]), method=meta["method"], wall_s=meta["wall_s"],
                            n_background=meta["n_background"])
        return NetworkSHAP(label, kind, n_train, attr, a["truth"], meta["test_mse"]), 0.0
    t0 = time.perf_counter()
    model, test_mse = train()
    t_train = time.perf_counter() - t0
    x, bg, truth = _rows(ls, settings)
    truth = truth[:, cols]
    attr = explain(model, x, bg, method=settings.method, outputs=cols, names=names, seed=seed)
    if cache:
        meta = {"names": list(attr.names), "method": attr.method, "wall_s": attr.wall_s,
                "n_background": attr.n_background, "test_mse": test_mse, "label": label, "key": key}
        save_npz(path, {"values": attr.values, "expected": attr.expected, "outputs": attr.outputs, "x": attr.x,
                        "truth": truth}, meta)
    return NetworkSHAP(label, kind, n_train, attr, truth, test_mse), t_train


def benchmark_case(case: str, scale, seed: int = 0, settings: ShapSettings | None = None,
                   device: str | None = None) -> list[dict]:
    """:func:`benchmark` of every method on the case's pre-trained network (loaded from the
    cache :func:`explain_case` fills), ``settings.n_benchmark`` test rows, the scale's background."""
    from .config import get_scale
    from .sweeps import pretrain_data, pretrained

    sc = get_scale(scale)
    st = settings or shap_settings(sc.name)
    pre_ls = pretrain_data(case, sc)
    pre = pretrained(case, sc, "main", seed=seed, device=device)
    x, bg, _ = _rows(pre_ls, st)
    return benchmark(pre.model, x[: st.n_benchmark], bg, outputs=range(len(pre_ls.targets)), names=pre_ls.targets,
                     permutation_background=st.permutation_background, seed=seed)


def explain_case(case: str, scale, seed: int = 0, budgets: Sequence[int] | None = None,
                 params: Sequence[str] = ("Om", "s8", "Mnu"),
                 settings: ShapSettings | None = None, device: str | None = None, cache: bool = True) -> CaseSHAP:
    """Pre-train (or load the cached) ΛCDM network of ``case``, fine-tune it with dummy nodes at each
    N in ``budgets`` (default: the scale's smallest and largest N that fit the train pool), and
    explain the outputs ``params`` of every network (those it predicts; each costs as much as the
    others) with the scale's :data:`~cosmotransfer.config.SHAP_SETTINGS`.

    The pre-trained network is :func:`cosmotransfer.sweeps.pretrained`'s ``main`` network on the
    scale's largest pre-training set — the cache entry the transfer notebooks make. Attributions
    are cached under ``paths.cache_dir("shap", key)``. Raises
    :class:`~cosmotransfer.store.DataFileError` (naming the command that makes it) when a suite
    file is missing.
    """
    from .config import get_scale
    from .data import load_suite
    from .sweeps import case_data, pretrain_data, pretrained
    from .transfer import get_case, run, run_path, variant_config

    sc = get_scale(scale)
    st = settings or shap_settings(sc.name)
    c = get_case(case)
    pre_ls, ft_ls = pretrain_data(c, sc), case_data(c, sc)
    if budgets is None:
        # a suite file smaller than the scale asks for fits no budget: then its whole pool
        fit_pool = [b for b in sc.budgets if b <= ft_ls.n_pool] or [ft_ls.n_pool]
        budgets = sorted({min(fit_pool), max(fit_pool)})

    t_train = 0.0
    t0 = time.perf_counter()
    pre = pretrained(c, sc, "main", seed=seed, device=device)
    t_train += time.perf_counter() - t0
    nets = []
    n_pre = pre.info["n_train"]
    net, _ = _explain_cached({"pretrained": pre.key}, f"pre-trained ({c.pretrain_suite}, {n_pre:,} sims)",
                             "pretrained", n_pre, lambda: (pre.model, pre.test_mse), pre_ls, params, st,
                             seed, cache)
    nets.append(net)
    cfg = variant_config("dummy", sc)
    for n in budgets:
        def train(n=n):
            # from the transfer cache (trained there, with its weights kept, the first time it is asked for)
            r = run(ft_ls, cfg, n, seed=seed, pretrained=pre, device=device, return_model=True)
            return r["model"], r["test_mse"]

        # the fine-tuned network is named by the key of its training run (data, config, N, seed, pre-training)
        key = {"finetune": run_path(ft_ls, cfg, n, seed, pre).parent.name}
        net, dt = _explain_cached(key, f"fine-tuned, N = {n}", "finetuned", n, train, ft_ls, params, st, seed, cache)
        nets.append(net)
        t_train += dt
    t_explain = sum(nt.attr.wall_s for nt in nets)
    k = load_suite(c.suite, sc, c.stat, tier=c.tier).k  # the bins of the suite's box
    return CaseSHAP(case=c.name, stat=c.stat, k=k, networks=nets,
                    wall_s={"train": t_train, "explain": t_explain})


def reassignment_table(res: CaseSHAP, k_min: float, old: str = "s8", new: str = "Mnu",
                       rel_threshold: float = 0.1):
    """One row per network: how far the small-scale (k ≥ ``k_min``) and large-scale bins move the
    predictions of ``old`` (σ8) and ``new`` (Mν) (:func:`region_attribution`), ``old``'s
    small-scale attribution relative to the pre-trained network's, and where ``old``'s signed
    importance flipped sign against the pre-trained network — per band (:data:`BAND_EDGES`) and
    per bin (single-bin flips include the alternating-sign noise of neighbouring bins).
    """
    import pandas as pd

    base = region_attribution(res.pretrained.attr, res.k, k_min)[old][0]
    rows = []
    for net in res.networks:
        r = region_attribution(net.attr, res.k, k_min)
        pre = net is res.pretrained
        rows.append({
            "network": net.label, "N": net.n_train,
            f"{old} small scales": r[old][0], f"{old} large scales": r[old][1],
            f"{new} small scales": r[new][0] if new in r else np.nan,
            f"{new} large scales": r[new][1] if new in r else np.nan,
            f"{old} small vs pre-trained": r[old][0] / base if base else np.nan,
            f"{old} band flips": "—" if pre else res.band_flips(net, old, rel_threshold).describe(),
            f"{old} bin flips": "—" if pre else res.flips(net, old, rel_threshold).describe(),
            f"{old} test MSE": net.test_mse.get(old, np.nan), f"{new} test MSE": net.test_mse.get(new, np.nan),
        })
    return pd.DataFrame(rows).set_index("network")


def small_scale_band_flips(res: CaseSHAP, net: NetworkSHAP, k_min: float, name: str = "s8",
                           rel_threshold: float = 0.1) -> SignFlip:
    """:meth:`CaseSHAP.band_flips` restricted to the bands that start at k ≥ ``k_min``."""
    f = res.band_flips(net, name, rel_threshold)
    e = res.band_edges
    idx = f.bins[e[f.bins] >= k_min - 1e-12]
    return flip_runs(idx, np.sqrt(e[1:] * e[:-1]), rel_threshold, e)


def reassignment_verdict(res: CaseSHAP, k_min: float, old: str = "s8", rel_threshold: float = 0.1) -> str:
    """A sentence for the prose: are the small scales taken away from ``old`` (σ8) by fine-tuning?

    At a given N they are if ``old``'s small-scale attribution (:func:`region_attribution`) falls
    below half the pre-trained network's, or ``old``'s summed attribution changes sign in a band
    at k ≥ ``k_min``.
    """
    base = region_attribution(res.pretrained.attr, res.k, k_min)[old][0]
    moved = []
    for net in res.finetuned:
        small = region_attribution(net.attr, res.k, k_min)[old][0]
        flips = small_scale_band_flips(res, net, k_min, old, rel_threshold)
        moved.append(small < 0.5 * base or len(flips) > 0)
    if all(moved):
        return f"yes, at every N, the small scales are taken away from {get_param(old).plain}"
    if any(moved):
        ns = ", ".join(str(net.n_train) for net, m in zip(res.finetuned, moved) if m)
        return f"partly: only at N = {ns} are the small scales taken away from {get_param(old).plain}"
    return f"no: {get_param(old).plain} keeps its small-scale attribution, with the same sign, at every N"


def case_regions(res: "CaseSHAP", k_min: float) -> dict[str, dict[str, tuple[float, float]]]:
    """:func:`region_attribution` of every network of a case: network label → output →
    (small-scale, large-scale) attribution (what ``figures.shap.case_region_figure`` draws)."""
    return {net.label: region_attribution(net.attr, res.k, k_min) for net in res.networks}
