"""SHAP attributions: which k bins a trained network uses for which parameter.

A network maps standardised summaries ``x: (n, n_k) float32`` (n_k = 79 bins) to scaled
parameters ``(n, n_out)`` in (0, 1). :func:`explain` splits every output into one additive
contribution per input bin (SHAP values, in units of the scaled output):

    f_j(x) = E_background[f_j] + Σ_i φ_ij(x)

Three explainers, all from :mod:`shap`, all against a *background* set (the paper: the test set):

``"deep"``         DeepLIFT rescale rule averaged over the background (DeepExplainer). Additive
                   to float precision for a chain of Linear / LeakyReLU / Dropout / Sigmoid
                   modules; one forward + backward of 2·n_background rows per sample and output.
``"permutation"``  The paper's choice: antithetic feature permutations, masking with the
                   background rows (PermutationExplainer + Independent masker, the *whole*
                   background, not shap's default 100-row subsample). Model-agnostic and additive
                   by construction (the permutation path telescopes), but it evaluates the network
                   on (2·n_k + 1)·n_background rows per permutation and sample.
``"gradient"``     Expected gradients (GradientExplainer): integrated gradients from random
                   background rows at random path points; additive only in expectation (Monte Carlo).

Cost, measured on the 2-core CPU dev machine (shared with other jobs, load ≈ 8) for the book
scale's 79→256→256 network, 5 outputs, 300 background rows: deep 0.22 s per explained simulation
(additivity 1e-7), gradient 0.35 s (additivity error up to 0.08), permutation 0.63 s with only 100
background rows (1.9 s with 300) plus a one-off ≈ 10–25 s numba compile per process; the
permutation values correlate with DeepLIFT's at 0.84 (different attributions of interactions, and
3 permutations of noise). Notebook 07 re-measures this (:func:`benchmark`). :data:`~cosmotransfer.config.SHAP_SETTINGS`
picks the explainer per scale. Everything runs single-threaded in float32 (the networks'
precision; float64 doubles DeepExplainer's cost) on a copy of the network (the caller's model is
not touched) and is seeded: same inputs and seed, same values.

The summaries that notebook 07 plots:

* :func:`signed_importance` — per bin, mean |φ| signed by the correlation between the bin's value
  and its attribution (the direction in which raising that bin moves the prediction). The plain
  mean of φ is not used: with the explained set equal to the background it vanishes for any
  network that is linear in x, so its sign is noise.
* :func:`band_attributions` — the same values summed over k bands (single bins alternate in sign:
  neighbouring bins are nearly collinear);
* :func:`sign_flips` — the bins (or bands) where one parameter's signed importance changes sign
  between two networks (pre-trained → fine-tuned), above a noise threshold;
* :func:`region_attribution` — how far the small-scale and the large-scale bins, each as one
  group, move each prediction;
* :func:`response` — d ln S / dθ per bin from the engine that made the data (finite differences),
  the physical degeneracy the attributions reflect.
"""
from __future__ import annotations

import copy
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from .config import PARAM_NAMES, SHAP_SETTINGS, ConfigError, ShapSettings, fiducial_vector, get_param
from .models import MLP, FrozenBodyHead

METHODS: tuple[str, ...] = ("deep", "gradient", "permutation")
#: Methods whose values sum exactly to f(x) − E[f] (up to float rounding).
EXACT_METHODS: tuple[str, ...] = ("deep", "permutation")


def shap_settings(scale_name: str) -> ShapSettings:
    try:
        return SHAP_SETTINGS[scale_name]
    except KeyError:
        raise ConfigError(f"no SHAP settings for scale {scale_name!r}; valid scales: {', '.join(SHAP_SETTINGS)}") from None


@dataclass
class Attributions:
    """SHAP values of a network's outputs on ``n`` inputs.

    ``values``   (n, n_k, n_out) float64 — φ, in units of the scaled output (a fraction of the prior)
    ``expected`` (n_out,) float64 — E[f] over the background
    ``outputs``  (n, n_out) float64 — f(x)
    ``x``        (n, n_k) float64 — the explained (standardised) inputs
    ``names``    output names (parameter names; dummy outputs are not explained)
    """

    values: np.ndarray
    expected: np.ndarray
    outputs: np.ndarray
    x: np.ndarray
    names: tuple[str, ...]
    method: str
    wall_s: float
    n_background: int
    extra: dict = field(default_factory=dict)

    def of(self, name: str) -> np.ndarray:
        """(n, n_k) SHAP values of one output."""
        if name not in self.names:
            raise ConfigError(f"output {name!r} was not explained; explained outputs: {', '.join(self.names)}")
        return self.values[:, :, self.names.index(name)]

    def additivity_error(self) -> np.ndarray:
        """(n, n_out) Σ_i φ_ij − (f_j(x) − E[f_j]); zero up to rounding for the exact methods."""
        return self.values.sum(axis=1) - (self.outputs - self.expected)


# --------------------------------------------------------------------------------------
# Explaining
# --------------------------------------------------------------------------------------
def explainable(model: nn.Module, outputs: Sequence[int] | None = None) -> nn.Module:
    """A float32 CPU copy of ``model`` built only from modules DeepExplainer understands.

    :class:`~cosmotransfer.models.MLP` applies its sigmoid as a function and
    :class:`~cosmotransfer.models.FrozenBodyHead` runs its body under ``no_grad``; DeepLIFT needs
    every nonlinearity as a hooked module and a gradient through every layer, so both are rebuilt as
    one ``nn.Sequential`` (same weights, same outputs). ``outputs`` keeps only those output columns
    (rows of the last Linear; the sigmoid is element-wise, so this is exact). Any other module is
    copied as it is: its attributions are then exact only if it, too, is built of such modules.
    """
    model = copy.deepcopy(model).cpu().float().eval()
    if isinstance(model, FrozenBodyHead):
        layers, head = [*model.body, *model.head.body], model.head.head
    elif isinstance(model, MLP):
        layers, head = [*model.body], model.head
    else:
        if outputs is not None:
            raise ConfigError("selecting outputs needs a cosmotransfer MLP/FrozenBodyHead; explain all outputs and slice")
        return model
    if outputs is not None:
        sel = list(outputs)
        new = nn.Linear(head.in_features, len(sel))
        with torch.no_grad():
            new.weight.copy_(head.weight[sel])
            new.bias.copy_(head.bias[sel])
        head = new
    seq = nn.Sequential(*layers, head, nn.Sigmoid())
    for p in seq.parameters():
        p.requires_grad_(True)  # DeepLIFT's backward must reach the input through frozen layers too
    return seq.eval()


@contextmanager
def _quiet_seeded(seed: int):
    """Silence shap's numpy-2 deprecation chatter; seed and then restore numpy's global RNG
    (shap's explainers draw from it); run torch single-threaded meanwhile.

    The explainers run many small passes (2 × n_background rows each): intra-op threads only add
    overhead there — on the 2-core machine with 2 torch threads DeepExplainer ran ~15× slower.
    """
    state, threads = np.random.get_state(), torch.get_num_threads()
    np.random.seed(seed)
    torch.set_num_threads(1)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
            warnings.filterwarnings("ignore", category=FutureWarning)
            yield
    finally:
        np.random.set_state(state)
        torch.set_num_threads(threads)


def _stack(values) -> np.ndarray:
    """(n, n_k, n_out) float64 from shap's (n, n_k, n_out) array, (n, n_k) array (one output) or
    list of n_out (n, n_k) arrays (the form depends on the explainer and shap version)."""
    if isinstance(values, list):
        values = np.stack(values, axis=-1)
    values = np.asarray(values, dtype=np.float64)
    return values[:, :, None] if values.ndim == 2 else values


def explain(model: nn.Module, x, background, method: str = "deep", outputs: Sequence[int] | None = None,
            names: Sequence[str] | None = None, seed: int = 0, nsamples: int = 200,
            max_evals: int = 500) -> Attributions:
    """SHAP values of ``model``'s outputs with respect to its input bins.

    ``x`` (n, n_k) and ``background`` (m, n_k): standardised inputs (what the network was trained on);
    ``outputs``: the output columns to explain (default: all; pass ``range(n_targets)`` to skip
    dummy nodes); ``names``: one name per explained output (default ``"out<j>"``).
    ``nsamples``: Monte-Carlo samples per input of the gradient explainer; ``max_evals``: model
    evaluations per input of the permutation explainer (shap's default 500 = 3 antithetic
    permutations of 79 bins).
    """
    if method not in METHODS:
        raise ConfigError(f"unknown SHAP method {method!r}; valid methods: {', '.join(METHODS)}")
    x = np.asarray(x, dtype=np.float32)
    bg = np.asarray(background, dtype=np.float32)
    if x.ndim != 2 or bg.ndim != 2 or x.shape[1] != bg.shape[1]:
        raise ConfigError(f"x {x.shape} and background {bg.shape} must be (n, n_k) arrays with the same n_k")
    # Our networks are rebuilt with only the wanted output rows; any other module is explained in
    # full and sliced afterwards.
    rebuilt = isinstance(model, (MLP, FrozenBodyHead))
    net = explainable(model, outputs if rebuilt else None)
    cols = list(outputs) if (outputs is not None and not rebuilt) else slice(None)
    with torch.no_grad():
        f_x = net(torch.from_numpy(x)).double().numpy()[:, cols]
        f_bg = net(torch.from_numpy(bg)).double().numpy()[:, cols]
    n_out = f_x.shape[1]
    names = tuple(names) if names is not None else tuple(f"out{j}" for j in range(n_out))
    if len(names) != n_out:
        raise ConfigError(f"{len(names)} names for {n_out} explained outputs")

    with _quiet_seeded(seed):
        import shap  # heavy, and noisy under numpy 2: imported only where attributions are made

        t0 = time.perf_counter()
        if method == "deep":
            e = shap.DeepExplainer(net, torch.from_numpy(bg))
            phi = e.shap_values(torch.from_numpy(x), check_additivity=False)
        elif method == "gradient":
            e = shap.GradientExplainer(net, torch.from_numpy(bg))
            phi = e.shap_values(torch.from_numpy(x), nsamples=nsamples, rseed=seed)
        else:
            def f(a):
                with torch.no_grad():
                    return net(torch.from_numpy(np.asarray(a, dtype=np.float32))).numpy()

            masker = shap.maskers.Independent(bg, max_samples=len(bg))
            e = shap.PermutationExplainer(f, masker, seed=seed)
            phi = e(x, max_evals=max_evals, silent=True).values
    wall = time.perf_counter() - t0
    phi = _stack(phi)[:, :, cols]
    return Attributions(values=phi, expected=f_bg.mean(axis=0), outputs=f_x, x=x.astype(np.float64), names=names, method=method,
                        wall_s=wall, n_background=len(bg))


def benchmark(model: nn.Module, x, background, outputs: Sequence[int] | None = None,
              names: Sequence[str] | None = None, permutation_background: int | None = None,
              seed: int = 0) -> list[dict]:
    """Run every method on the same rows; one dict per method: wall time, seconds per explained
    sample, max |additivity error|, the correlation of its values with the deep explainer's, and
    ``first_call_s`` — the one-off compilation of shap's permutation loop, paid once per process.

    ``permutation_background`` caps the permutation explainer's background (its cost is linear in it).
    """
    bg = np.asarray(background)
    # shap compiles the permutation explainer's inner loop (numba) on first use: pay it outside the timing
    warm = explain(model, np.asarray(x)[:1], bg[:2], method="permutation", outputs=outputs, names=names).wall_s
    res = {}
    for m in METHODS:
        b = bg[:permutation_background] if (m == "permutation" and permutation_background) else bg
        res[m] = explain(model, x, b, method=m, outputs=outputs, names=names, seed=seed)
    ref = res["deep"].values.ravel()
    rows = []
    for m, a in res.items():
        rows.append({
            "method": m, "n_explained": len(a.x), "n_background": a.n_background, "wall_s": a.wall_s,
            "s_per_sample": a.wall_s / len(a.x), "max_additivity_error": float(np.abs(a.additivity_error()).max()),
            "corr_with_deep": float(np.corrcoef(a.values.ravel(), ref)[0, 1]),
            "first_call_s": warm if m == "permutation" else 0.0,
        })
    return rows


# --------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------
def signed_importance(attr: Attributions, name: str) -> np.ndarray:
    """(n_k,) mean |φ_i| over the explained rows, signed by corr(x_i, φ_i).

    Positive: a higher (standardised log) value in bin i pushes the prediction up. Bins whose
    attribution does not vary with their value (corr undefined) get 0.
    """
    phi, x = attr.of(name), attr.x
    xc, pc = x - x.mean(axis=0), phi - phi.mean(axis=0)
    cov = (xc * pc).mean(axis=0)
    sign = np.sign(np.where(np.abs(cov) > 0, cov, 0.0))
    return np.abs(phi).mean(axis=0) * sign


#: Edges [h/Mpc] of the k bands the per-bin attributions are summed over. Neighbouring bins are
#: nearly collinear across cosmologies, so a network reads them with alternating-sign weights
#: and single-bin attributions alternate in sign; a band's summed attribution does not.
BAND_EDGES: tuple[float, ...] = (0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.6)


def band_attributions(attr: Attributions, k: np.ndarray, edges: Sequence[float] = BAND_EDGES) -> Attributions:
    """The same attributions with the bins grouped into k bands: φ summed over each band's bins
    (exact for additive explanations: the band's share of f(x) − E[f]), x averaged over them.

    Returns an :class:`Attributions` with ``values`` (n, n_bands, n_out) and ``x`` (n, n_bands);
    empty bands are dropped (see :func:`band_edges_used`).
    """
    band = np.digitize(np.asarray(k), edges) - 1
    used = np.unique(band)
    values = np.stack([attr.values[:, band == b, :].sum(axis=1) for b in used], axis=1)
    x = np.stack([attr.x[:, band == b].mean(axis=1) for b in used], axis=1)
    return Attributions(values=values, expected=attr.expected, outputs=attr.outputs, x=x, names=attr.names,
                        method=attr.method, wall_s=attr.wall_s, n_background=attr.n_background)


def band_edges_used(k: np.ndarray, edges: Sequence[float] = BAND_EDGES) -> np.ndarray:
    """(n_bands + 1,) edges of the non-empty bands of :func:`band_attributions`, the outer ones
    clipped to the first and last k."""
    k = np.asarray(k)
    band = np.digitize(k, edges) - 1
    used = np.unique(band)
    e = np.array([edges[b] for b in used] + [edges[used[-1] + 1]], dtype=np.float64)
    e[0], e[-1] = max(e[0], k.min()), min(e[-1], k.max())
    return e


def region_attribution(attr: Attributions, k: np.ndarray, k_min: float) -> dict[str, tuple[float, float]]:
    """Per output: (mean |Σ_{k ≥ k_min} φ|, mean |Σ_{k < k_min} φ|) over the explained rows —
    how far the small-scale and the large-scale bins, each taken as one group, move the
    prediction from E[f] (scaled-output units). Cancellations inside a group net out; two large,
    opposite group values mean the network reads the *contrast* between the scales."""
    sel = np.asarray(k) >= k_min
    small = np.abs(attr.values[:, sel, :].sum(axis=1)).mean(axis=0)
    large = np.abs(attr.values[:, ~sel, :].sum(axis=1)).mean(axis=0)
    return {n: (float(s), float(g)) for n, s, g in zip(attr.names, small, large)}


@dataclass(frozen=True)
class SignFlip:
    """Bins (or bands) where a signed curve changes sign between two networks.

    ``bins`` (m,) int indices; ``k`` (m,) h/Mpc; ``runs``: contiguous (k_lo, k_hi) ranges (bin
    centres, or band edges); ``unit``: "bins" or "bands"; ``threshold``: the relative size both
    curves had to exceed (fraction of each curve's max |·|).
    """

    bins: np.ndarray
    k: np.ndarray
    runs: tuple[tuple[float, float], ...]
    threshold: float
    unit: str = "bins"

    def __len__(self) -> int:
        return len(self.bins)

    def describe(self) -> str:
        """``"0.210–0.350 h/Mpc (12 bins)"``-style text for the prose, or ``"no bins"``."""
        if not len(self):
            return f"no {self.unit}"
        fmt = "{:.3f}" if self.unit == "bins" else "{:.2f}"  # adjacent bins differ by k_F ≈ 0.006 h/Mpc
        parts = [f"{fmt.format(a)}–{fmt.format(b)}" if b > a else fmt.format(a) for a, b in self.runs]
        unit = self.unit if len(self) > 1 else self.unit[:-1]
        return f"{', '.join(parts)} h/Mpc ({len(self)} {unit})"


def sign_flips(before: np.ndarray, after: np.ndarray, k: np.ndarray, rel_threshold: float = 0.1,
               edges: np.ndarray | None = None) -> SignFlip:
    """Entries where ``before`` and ``after`` ((n,) signed curves) have opposite signs, both above
    ``rel_threshold`` × their own max |·| (so sign noise around zero is not counted).

    ``k`` (n,): where the entries sit; ``edges`` (n + 1,): band edges — given, the entries are
    bands and the runs are reported by their edges.
    """
    before, after, k = map(np.asarray, (before, after, k))
    big = (np.abs(before) >= rel_threshold * np.abs(before).max()) & (np.abs(after) >= rel_threshold * np.abs(after).max())
    idx = np.flatnonzero(big & (np.sign(before) * np.sign(after) < 0))
    return _flip(idx, k, rel_threshold, edges)


def _flip(idx: np.ndarray, k: np.ndarray, threshold: float, edges: np.ndarray | None) -> SignFlip:
    """A :class:`SignFlip` of the entries ``idx``, grouped into runs of consecutive entries."""
    runs: list[list[int]] = []
    for i in idx:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    if edges is None:
        spans = tuple((float(k[a]), float(k[b])) for a, b in runs)
    else:
        spans = tuple((float(edges[a]), float(edges[b + 1])) for a, b in runs)
    return SignFlip(bins=np.asarray(idx, dtype=int), k=k[idx], runs=spans, threshold=threshold,
                    unit="bins" if edges is None else "bands")


# --------------------------------------------------------------------------------------
# The physics the attributions should reflect
# --------------------------------------------------------------------------------------
#: Finite-difference steps (in parameter units). Mν's fiducial is 0 eV, the prior's edge, so its
#: derivative is one-sided: (ln P(Mν = step) − ln P(0)) / step.
RESPONSE_STEPS: dict[str, float] = {"Om": 0.01, "s8": 0.02, "Mnu": 0.1}


def response(stat: Callable[[np.ndarray], np.ndarray], params: Sequence[str], theta0=None,
             steps: dict[str, float] | None = None) -> dict[str, np.ndarray]:
    """d ln S / dθ per bin for each parameter in ``params``, by finite differences of ``stat``.

    ``stat``: a full parameter vector (10,) → (n_k,) positive summary, e.g.
    :func:`cosmotransfer.emulate.mean_pk` (the emulated tier's noise-free, mode-averaged HMcode
    P(k): the engine behind the emulated suites) or a simulation with a fixed seed (the seed's
    sample variance then cancels to first order). Central differences about ``theta0`` (default:
    the fiducial), one-sided upward where θ0 − step leaves the prior (Mν at 0 eV).
    Returns name → (n_k,) float64.
    """
    theta0 = fiducial_vector() if theta0 is None else np.asarray(theta0, dtype=np.float64)
    steps = {**RESPONSE_STEPS, **(steps or {})}
    lns0 = None
    out = {}
    for name in params:
        p, j, h = get_param(name), PARAM_NAMES.index(name), steps[name]
        up = theta0.copy()
        up[j] += h
        if theta0[j] - h >= p.lo:
            dn = theta0.copy()
            dn[j] -= h
            out[name] = (np.log(stat(up)) - np.log(stat(dn))) / (2 * h)
        else:
            if lns0 is None:
                lns0 = np.log(stat(theta0))
            out[name] = (np.log(stat(up)) - lns0) / h
    return out


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
    from .data import unscale_targets

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
    from .data import load_npz, save_npz, stable_hash

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
    :class:`~cosmotransfer.data.DataFileError` (naming the command that makes it) when a suite
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
    net, _ = _explain_cached({"pretrained": pre.key}, f"pre-trained ({c.pretrain_suite}, {pre_ls.n_pool} sims)",
                             "pretrained", pre_ls.n_pool, lambda: (pre.model, pre.test_mse), pre_ls, params, st,
                             seed, cache)
    nets.append(net)
    cfg = variant_config("dummy", sc)
    for n in budgets:
        def train(n=n):
            # models are not cached, so this trains; its result lands in the cache the sweeps read
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
    return _flip(idx, np.sqrt(e[1:] * e[:-1]), rel_threshold, e)


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
