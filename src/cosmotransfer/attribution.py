"""The SHAP engine: which k bins a trained network uses for which parameter.

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

The summaries of the attributions:

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

from .config import PARAM_NAMES, ConfigError, fiducial_vector, get_param
from .models import MLP, FrozenBodyHead


METHODS: tuple[str, ...] = ("deep", "gradient", "permutation")
#: Methods whose values sum exactly to f(x) − E[f] (up to float rounding).
EXACT_METHODS: tuple[str, ...] = ("deep", "permutation")


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
    return flip_runs(idx, k, rel_threshold, edges)


def flip_runs(idx: np.ndarray, k: np.ndarray, threshold: float, edges: np.ndarray | None) -> SignFlip:
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
