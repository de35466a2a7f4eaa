"""Hyper-parameter searches with Optuna (the paper scale; smaller scales use tuned defaults).

The search spaces follow the paper (``../shared/PAPER.md``):

* pre-training and training from scratch — learning rate in [1e-5, 1e-1], weight decay,
  1–3 hidden layers of 32–500 units, dropout in [0, 0.5];
* fine-tuning (dummy / no-dummy variants) — the pre-trained architecture is kept; learning
  rate in [1e-6, 1e-3] and weight decay;
* the frozen variant's new head (not stated in the paper) — learning rate in [1e-5, 1e-1],
  weight decay, 1–2 head layers of 16–256 units, dropout.

Every trial minimises the validation MSE; the test MSE of each trial is stored beside it, so the
band of a budget sweep is the test MSE of the top trials (as in the paper's figures). The TPE
sampler is seeded and every trial's training run is cached (:func:`cosmotransfer.transfer.run`),
so re-running a finished search replays it from the cache.
"""
from __future__ import annotations

import itertools

import optuna

from .config import TrainConfig
from .datasets import LearningSet
from .transfer import Pretrained, parse_init_from, pretrain, run

WEIGHT_DECAY = (1e-6, 1e-1)


def grid_configs(base: TrainConfig, grid: dict[str, tuple]) -> list[TrainConfig]:
    """Every combination of ``grid``'s values (field → values) applied to ``base``, in a fixed order."""
    names = sorted(grid)
    return [base.with_(**dict(zip(names, values))) for values in itertools.product(*(grid[n] for n in names))]


def suggest(trial: optuna.Trial, base: TrainConfig) -> TrainConfig:
    """The config of one trial: ``base`` with the hyper-parameters of its variant's search space."""
    variant = parse_init_from(base.init_from)
    wd = trial.suggest_float("weight_decay", *WEIGHT_DECAY, log=True)
    if variant in ("dummy", "nodummy"):
        return base.with_(lr=trial.suggest_float("lr", 1e-6, 1e-3, log=True), weight_decay=wd)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    if variant == "frozen":
        n = trial.suggest_int("head_layers", 1, 2)
        head = tuple(trial.suggest_int(f"head_width_{i}", 16, 256, log=True) for i in range(n))
        return base.with_(lr=lr, weight_decay=wd, dropout=dropout, head_hidden=head)
    n = trial.suggest_int("layers", 1, 3)
    hidden = tuple(trial.suggest_int(f"width_{i}", 32, 500, log=True) for i in range(n))
    return base.with_(lr=lr, weight_decay=wd, dropout=dropout, hidden=hidden)


def _study(seed: int) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=seed))


def top_trials(ls: LearningSet, base: TrainConfig, n_train: int, pretrained: Pretrained | None, n_trials: int,
               k: int, seed: int = 0, device: str | None = None, rehearsal=None) -> list[dict]:
    """Search ``n_trials`` configs of ``base``'s variant at budget ``n_train``; the ``k`` best results.
    ``rehearsal``: the pre-training simulations of a rehearsing config (see :func:`transfer.run`).

    Each result is :func:`cosmotransfer.transfer.run`'s dict (validation and test MSE, config).
    """
    results: dict[int, dict] = {}

    def objective(trial: optuna.Trial) -> float:
        res = run(ls, suggest(trial, base), n_train, seed=seed, pretrained=pretrained, device=device,
                  rehearsal=rehearsal)
        results[trial.number] = res
        return res["val_mse"]

    study = _study(seed)
    study.optimize(objective, n_trials=n_trials)
    done = sorted((t for t in study.trials if t.value is not None), key=lambda t: t.value)
    return [results[t.number] for t in done[:k]]


def tune_pretrain(ls: LearningSet, base: TrainConfig, n_trials: int, seed: int = 0,
                  device: str | None = None, n_train: int | None = None) -> TrainConfig:
    """The best pre-training config (architecture, dropout, lr, weight decay) by validation MSE.

    ``base`` fixes what is not searched: the dummy outputs or the bottleneck, batch, epochs.
    """
    configs: dict[int, TrainConfig] = {}

    def objective(trial: optuna.Trial) -> float:
        cfg = suggest(trial, base.with_(init_from="scratch"))
        configs[trial.number] = cfg
        return pretrain(ls, cfg, seed=seed, device=device, n_train=n_train).info["history"]["best_val"]

    study = _study(seed)
    study.optimize(objective, n_trials=n_trials)
    return configs[study.best_trial.number]
