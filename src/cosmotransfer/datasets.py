"""Learning sets: a suite's statistic → the (x, y) arrays a network trains on, with the suite's
fixed split, its standardisation and the scaled targets; and the suite's own linear responses.

Everything returns plain numpy arrays; torch only enters in :mod:`cosmotransfer.train`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .config import LCDM_PARAMS, PARAM_NAMES, USER_SPLIT_SEED, ConfigError, get_param
from .store import DataFileError, SuiteData, array_hash
from .suites import SUITES, Split, make_split
from .suites import split as suite_split

def log_summaries(stat: np.ndarray, name: str = "summary") -> np.ndarray:
    """log10 of a (n, n_k) positive summary array; a clear error if any entry is ≤ 0 or not finite."""
    a = np.asarray(stat, dtype=np.float64)
    bad = ~np.isfinite(a) | (a <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0]) if a.ndim == 2 else 0
        raise DataFileError(f"{name} has {bad.sum()} non-positive or non-finite entries (first in row {row}); "
                            "log10 needs positive spectra — check or regenerate the suite")
    return np.log10(a)


@dataclass(frozen=True)
class Standardizer:
    """Per-bin standardisation ``(x − mean) / std`` with statistics fitted on one suite.

    ``mean``, ``std``: (n_k,) float64 of log10 summaries.
    """

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> "Standardizer":
        x = np.asarray(x, dtype=np.float64)
        if len(x) < 2:
            raise DataFileError("standardising needs at least 2 simulations")
        std = x.std(axis=0)
        # a constant bin (impossible for real spectra, possible for toy data) keeps unit scale
        return cls(mean=x.mean(axis=0), std=np.where(std > 0, std, 1.0))

    def transform(self, x: np.ndarray) -> np.ndarray:
        """(n, n_k) float32 standardised features."""
        return ((np.asarray(x, dtype=np.float64) - self.mean) / self.std).astype(np.float32)

    def as_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}


def scale_targets(params: np.ndarray, targets: tuple[str, ...]) -> np.ndarray:
    """(n, len(targets)) float32 in [0, 1]: full parameter vectors min–max scaled with the prior table.

    ``params``: (n, 10) float64 in ``PARAM_NAMES`` order.
    """
    params = np.asarray(params, dtype=np.float64)
    return np.stack([get_param(t).scale(params[:, PARAM_NAMES.index(t)]) for t in targets], axis=1).astype(np.float32)


def unscale_targets(u: np.ndarray, targets: tuple[str, ...]) -> np.ndarray:
    """Inverse of :func:`scale_targets`: (n, len(targets)) float64 in physical units."""
    u = np.asarray(u, dtype=np.float64)
    return np.stack([get_param(t).unscale(u[:, j]) for j, t in enumerate(targets)], axis=1)


@dataclass
class LearningSet:
    """One suite and statistic, ready for a network.

    ``x``: (n, n_k) float32 — log10 summaries standardised per k bin with the statistics of the
    suite's own train pool (validation and test rows never enter them); ``y``: (n, n_targets)
    float32 — targets min–max scaled with the prior table; ``split``: the fixed 70/15/15 split
    (``split.train(N)`` is the nested fine-tuning set of size N). ``key`` hashes x, y and the
    split: it names the data in every cache key.
    """

    suite: str
    stat: str
    targets: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray
    split: Split
    standardizer: Standardizer
    key: str

    def __len__(self) -> int:
        return len(self.x)

    @property
    def n_pool(self) -> int:
        return len(self.split.pool)

    def train(self, n: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        rows = self.split.train(n)
        return self.x[rows], self.y[rows]

    def val(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[self.split.val], self.y[self.split.val]

    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[self.split.test], self.y[self.split.test]


def k_cut(data: SuiteData, k_max: float | None) -> SuiteData:
    """``data`` with only the bins at k ≤ ``k_max`` [h/Mpc] (every statistic; ``None``: unchanged).

    The scale cuts of the authors' revision runs (k_max = 0.1, 0.3, 0.5): the network then sees only
    the large scales. ConfigError when no bin survives."""
    if k_max is None:
        return data
    keep = data.k <= k_max
    if not keep.any():
        raise ConfigError(f"k_max = {k_max} h/Mpc keeps no bin of {data.suite!r} (its first bin is at k = {data.k[0]:.4f})")
    return replace(data, k=data.k[keep], stats={n: s[:, keep] for n, s in data.stats.items()},
                   meta={**data.meta, "k_max": k_max})


def default_split(data: SuiteData):
    """The split a suite's rows use: the suite's own fixed split, or a seeded one for user data."""
    n = len(data)
    if data.suite in SUITES and np.array_equal(data.index, np.arange(n)):
        return suite_split(data.suite, n)
    return make_split(n, USER_SPLIT_SEED)


def learning_set(data: SuiteData, stat: str = "pk", targets: tuple[str, ...] | None = None,
                 split=None) -> LearningSet:
    """Preprocess one statistic of a suite: x = standardised log10 summaries, y = scaled targets.

    ``targets`` default to the suite's (``suites.SUITES``; the five ΛCDM parameters for user
    suites); ``split`` defaults to :func:`default_split`.
    """
    if targets is None:
        targets = SUITES[data.suite].targets if data.suite in SUITES else LCDM_PARAMS
    targets = tuple(targets)
    split = default_split(data) if split is None else split
    logx = log_summaries(data.stat(stat), f"{stat} of {data.suite}")
    scaler = Standardizer.fit(logx[split.pool])
    x = scaler.transform(logx)
    y = scale_targets(data.params, targets)
    key = array_hash(x, y, split.pool, split.val, split.test)
    return LearningSet(suite=data.suite, stat=stat, targets=targets, x=x, y=y, split=split, standardizer=scaler, key=key)


@dataclass(frozen=True)
class RehearsalSet:
    """ΛCDM simulations in a fine-tuning set's terms, for rehearsal: ``x`` (m, n_k) float32 — the
    pre-training suite's summaries standardised with the *fine-tuning* set's statistics; ``y`` (m,
    n_targets) float32 — the fine-tuning targets at the pre-training suite's values (its fixed new
    parameters included), scaled with the prior table. ``key`` hashes both."""

    x: np.ndarray
    y: np.ndarray
    key: str


def rehearsal_set(pre: SuiteData, stat: str, rows: np.ndarray, ls: LearningSet) -> RehearsalSet:
    """The ``rows`` of the pre-training suite ``pre`` (its training set) as a :class:`RehearsalSet`
    for fine-tuning on ``ls``. ConfigError unless ``stat`` is ``ls``'s statistic on the same bins."""
    if stat != ls.stat or pre.stat(stat).shape[1] != ls.x.shape[1]:
        raise ConfigError(f"rehearsal replays the pre-training simulations through the fine-tuning inputs: it needs "
                          f"the same statistic on the same bins (pre-training {stat}, fine-tuning {ls.stat})")
    rows = np.asarray(rows)
    x = ls.standardizer.transform(log_summaries(pre.stat(stat)[rows], f"{stat} of {pre.suite}"))
    y = scale_targets(pre.params[rows], ls.targets)
    return RehearsalSet(x=x, y=y, key=array_hash(x, y))


def suite_responses(data: SuiteData, stat: str = "pk") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """How a suite's statistic moves with each varied parameter, read off the suite itself.

    A least-squares fit, per k bin, of ln S over the suite's simulations on the varied parameters
    min–max scaled with the prior table (θ̂ ∈ [0, 1]) plus a constant: the slope ∂ ln S/∂θ̂ is the
    change of ln S across the whole prior width with the other parameters held fixed, to first
    order, averaged over the design. Returns ``{name: (slope (n_k,), standard error (n_k,))}``
    for the parameters the suite varies. Needs more simulations than varied parameters + 1.
    """
    names = list(SUITES[data.suite].varied_names) if data.suite in SUITES else list(LCDM_PARAMS)
    x = np.column_stack([np.ones(len(data))] + [get_param(n).scale(data.params[:, PARAM_NAMES.index(n)])
                                                 for n in names])
    if len(data) <= x.shape[1]:
        raise DataFileError(f"{len(data)} simulations cannot fit {x.shape[1] - 1} parameter responses")
    y = np.log(data.stat(stat).astype(np.float64))
    coef, _, _, _ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ coef
    dof = len(data) - x.shape[1]
    cov = np.linalg.inv(x.T @ x)  # (p, p); the residual variance is per bin
    se = np.sqrt(np.outer(np.diag(cov), (resid**2).sum(0) / dof))
    return {n: (coef[j + 1], se[j + 1]) for j, n in enumerate(names)}
