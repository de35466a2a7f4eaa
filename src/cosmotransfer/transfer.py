"""Pre-training on ΛCDM, and the transfer variants that start a beyond-ΛCDM network from it.

A *case* is a fine-tuning problem: a beyond-ΛCDM suite and a statistic, with a network
pre-trained on the ΛCDM suite (``bsq``) with the same statistic.

The variants (``TrainConfig.init_from``):

``scratch``             a fresh MLP trained on the N beyond-ΛCDM simulations only (the baseline);
``pretrained:dummy``    the pre-trained MLP with its whole output layer: ΛCDM outputs keep their
                        rows, the spare (dummy) rows become the new parameters; all layers train;
``pretrained:nodummy``  the pre-trained hidden layers with a new, randomly initialised output
                        layer; all layers train;
``pretrained:frozen``   the hidden layers of a network pre-trained with a 10-unit bottleneck,
                        frozen, followed by a new MLP head — only the head trains.

Two pre-trained networks serve all four: ``main`` (5 + ``N_DUMMY`` outputs, the dummy rows
without loss) for ``dummy`` and ``nodummy``, and ``bottleneck`` for ``frozen``. The dummy rows
get no gradient, so ``main``'s hidden layers are those a 5-output network would learn from the
same initial weights (tested); ``nodummy`` therefore reuses them instead of pre-training again.

Every trained network is cached under ``paths.cache_dir("pretrain" | "finetune", key)``,
``key`` = hash of (data, config, seed, pre-trained key): later notebooks reuse it.
"""
from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from . import __version__, paths
from .config import (BOTTLENECK, KMAX_CUTS, LCDM_PARAMS, MITIGATIONS, N_DUMMY, PRETRAIN_SOURCES, TRAINING_VERSION, VARIANTS, ConfigError,
                     Scale, TrainConfig,
                     get_scale, lookup, pool_size)
from .config import REAL_TIER
from .data import suite_path, suite_tier
from .datasets import LearningSet, RehearsalSet
from .store import atomic_write, read_manifest, stable_hash
from .models import MLP, FrozenBodyHead, with_lora
from .suites import get_suite
from .train import default_device, fit, mse_per_param, predict


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One fine-tuning problem: ``suite`` (beyond ΛCDM) seen through ``stat``, read from ``tier``
    (``None``: the scale's, see :func:`cosmotransfer.data.suite_tier`), fine-tuned from a network
    pre-trained on ``pretrain_suite``'s ``pretrain_stat`` (``None``: ``stat``) in ``pretrain_tier``
    (``None``: ``tier``). Different statistics are each standardised with their own suite's
    statistics (the paper's P(k) → marked P(k) protocol). ``target_names`` default to the suite's
    targets; ``include_pool`` adds the whole train pool to the budget grid (the real nwLH's 700);
    ``k_max`` [h/Mpc] keeps only the bins at k ≤ k_max of both suites (``None``: all, to ``config.K_MAX``).
    """

    name: str
    title: str
    suite: str
    stat: str
    pretrain_suite: str = "bsq"
    tier: str | None = None
    pretrain_tier: str | None = None
    pretrain_stat: str | None = None
    target_names: tuple[str, ...] | None = None
    include_pool: bool = False
    k_max: float | None = None

    @property
    def targets(self) -> tuple[str, ...]:
        return self.target_names or get_suite(self.suite).targets

    @property
    def new_params(self) -> tuple[str, ...]:
        return tuple(t for t in self.targets if t not in LCDM_PARAMS)

    @property
    def source_stat(self) -> str:
        """The statistic the ΛCDM network is pre-trained on."""
        return self.pretrain_stat or self.stat


def real_case(name: str, title: str, stat: str, source: str, pretrain_stat: str | None = None,
              suite: str = "nwlh", **kw) -> Case:
    """A case fine-tuned on a real Quijote suite, pre-trained on one of ``config.PRETRAIN_SOURCES``."""
    pre_suite, pre_tier = lookup(PRETRAIN_SOURCES, source, "pre-training source")
    return Case(name, title, suite, stat, pretrain_suite=pre_suite, tier=REAL_TIER, pretrain_tier=pre_tier,
                pretrain_stat=pretrain_stat, include_pool=True, **kw)


CASES: dict[str, Case] = {
    c.name: c
    for c in [
        Case("mnu_pk", "massive neutrinos, P(k)", "nwlh", "pk"),
        Case("mnu_mpk", "massive neutrinos, marked P(k)", "nwlh", "mpk"),
        # P(k) of the very simulations the marked-P(k) case reads: the two statistics compared
        # on the same boxes, resolution and k range
        Case("mnu_pk_sim", "massive neutrinos, P(k) of the simulated suites", "nwlh", "pk", tier="simulated"),
        Case("fr_pk", "f(R) + massive neutrinos, P(k)", "mg", "pk"),
        Case("png_eq", "equilateral PNG, P(k)", "png_eq", "pk"),
        Case("png_lc", "local PNG (ΛCDM fixed), P(k)", "png_lc", "pk"),
        # the PNG suites at Quijote's volume and bins: HMcode × the engine-calibrated response × one
        # 1 Gpc/h box's sample variance, pre-trained on the emulated BSQ; budgets to the pool (700)
        *(Case(f"{suite}_emu", f"{title}, P(k), emulated (1 Gpc/h, engine-calibrated response)", suite, "pk",
               tier="emulated", pretrain_tier="emulated", include_pool=True)
          for suite, title in (("png_eq", "equilateral PNG"), ("png_lc", "local PNG (ΛCDM fixed)"))),
        # the real Quijote nwLH, pre-trained on the real ΛCDM latin hypercube or the emulated BSQ
        real_case("mnu_pk_q", "real nwLH, P(k); pre-trained on the real LH", "pk", "quijote_lh"),
        real_case("mnu_pk_q_emu", "real nwLH, P(k); pre-trained on the emulated BSQ", "pk", "emulated_bsq"),
        real_case("mnu_mpk_q", "real nwLH, marked P(k); pre-trained on the real LH's marked P(k)", "mpk",
                  "quijote_lh"),
        real_case("mnu_p2mpk_q", "real nwLH, marked P(k); pre-trained on the real LH's P(k)", "mpk", "quijote_lh",
                  pretrain_stat="pk"),
        real_case("mnu_p2mpk_q_emu", "real nwLH, marked P(k); pre-trained on the emulated BSQ's P(k)", "mpk",
                  "emulated_bsq", pretrain_stat="pk"),
        # the scale cuts of the authors' revision runs, for the degeneracy audit (k_max = 0.5: the cases above)
        *(real_case(f"mnu_{stat}_q_k{str(k).replace('.', '')}", f"real nwLH, {title} at k ≤ {k} h/Mpc; pre-trained on the "
                    f"real LH's, same cut", stat, "quijote_lh", k_max=k)
          for stat, title in (("pk", "P(k)"), ("mpk", "marked P(k)")) for k in KMAX_CUTS),
    ]
}


def get_case(name: str | Case) -> Case:
    """The case called ``name``; a clear error naming the valid choices otherwise."""
    return lookup(CASES, name, "case", Case)


def case_tier(case: Case | str, scale: Scale | str) -> str:
    """The tier a case's fine-tuning suite is read from."""
    case = get_case(case)
    return suite_tier(case.suite, case.stat, scale, case.tier)


def pretrain_tier(case: Case | str, scale: Scale | str) -> str:
    """The tier of a case's pre-training suite: its own if the case names one, else that of the
    fine-tuning suite (a PNG suite exists only in the simulated tier, so its ΛCDM network is
    pre-trained there)."""
    case = get_case(case)
    return case.pretrain_tier or case_tier(case, scale)


def pretrain_sizes(case: Case | str, scale: Scale | str) -> tuple[int, ...]:
    """The scale's pre-training (training-set) sizes that the train pool of the case's pre-training
    suite holds (see :meth:`~cosmotransfer.config.Scale.pretrain_sizes`); for the real tier, read
    whole at every scale, its whole train pool."""
    case, sc = get_case(case), get_scale(scale)
    tier = pretrain_tier(case, sc)
    if tier == REAL_TIER:
        return (pool_size(int(read_manifest(suite_path(case.pretrain_suite, tier, sc))["n"])),)
    return sc.pretrain_sizes(tier, case.pretrain_suite)


#: Training stage (``Scale.train`` key) of each variant, and of each mitigation (``config.MITIGATIONS``).
STAGE_OF = {"scratch": "scratch", "dummy": "finetune", "nodummy": "finetune", "frozen": "head",
            **{m: "finetune" for m in MITIGATIONS}}
#: Which pre-trained network each transfer variant (and mitigation) starts from.
PRETRAINED_KIND = {"dummy": "main", "nodummy": "main", "frozen": "bottleneck", **{m: "main" for m in MITIGATIONS}}


def mitigations_for(case: Case | str) -> tuple[str, ...]:
    """The mitigations of ``config.MITIGATIONS`` a case can try: all but rehearsal where it pre-trains
    on another statistic than it fine-tunes on (P(k) → marked P(k): the ΛCDM simulations cannot be
    replayed through the fine-tuning inputs)."""
    case = get_case(case)
    return tuple(m for m, change in MITIGATIONS.items() if not change.get("rehearsal") or case.source_stat == case.stat)


def parse_init_from(init_from: str) -> str:
    """``"scratch"`` / ``"pretrained:<variant>"`` → the variant name; ConfigError otherwise."""
    if init_from == "scratch":
        return "scratch"
    variant = init_from.removeprefix("pretrained:")
    if not init_from.startswith("pretrained:") or variant not in PRETRAINED_KIND:
        valid = ", ".join(["scratch"] + [f"pretrained:{v}" for v in PRETRAINED_KIND])
        raise ConfigError(f"unknown init_from {init_from!r}; valid: {valid}")
    return variant


def init_from(variant: str) -> str:
    """The ``init_from`` switch of a variant name (``"dummy"`` → ``"pretrained:dummy"``)."""
    if variant not in STAGE_OF:
        raise ConfigError(f"unknown variant {variant!r}; valid: {', '.join(STAGE_OF)}")
    return "scratch" if variant == "scratch" else f"pretrained:{variant}"


def variant_config(variant: str, scale: Scale | str) -> TrainConfig:
    """The training config of a variant at a scale (stage ``scratch``, ``finetune`` or ``head``)."""
    switch = init_from(variant)
    return get_scale(scale).stage(STAGE_OF[variant]).with_(init_from=switch, **MITIGATIONS.get(variant, {}))


def pretrain_config(kind: str, scale: Scale | str) -> TrainConfig:
    """The pre-training config of the ``main`` (dummy outputs) or ``bottleneck`` network."""
    cfg = get_scale(scale).stage("pretrain")
    if kind == "main":
        return cfg.with_(n_dummy=N_DUMMY, bottleneck=None)
    if kind == "bottleneck":
        return cfg.with_(n_dummy=0, bottleneck=BOTTLENECK)
    raise ConfigError(f"unknown pre-trained network {kind!r}; valid: main, bottleneck")


# --------------------------------------------------------------------------------------
# Model construction
# --------------------------------------------------------------------------------------
def new_mlp(n_in: int, n_targets: int, cfg: TrainConfig, seed: int) -> MLP:
    """A freshly initialised MLP; its real outputs' initial weights do not depend on ``n_dummy``.

    The dummy rows are drawn after everything else, so a network with and without dummy
    nodes starts (and, since dummies carry no loss, trains) identically on the real outputs.
    """
    torch.manual_seed(seed)
    model = MLP(n_in, cfg.hidden, n_targets, cfg.dropout, n_dummy=0, bottleneck=cfg.bottleneck)
    if cfg.n_dummy:
        extra = nn.Linear(model.n_features, cfg.n_dummy)
        head = nn.Linear(model.n_features, n_targets + cfg.n_dummy)
        with torch.no_grad():
            head.weight.copy_(torch.cat([model.head.weight, extra.weight]))
            head.bias.copy_(torch.cat([model.head.bias, extra.bias]))
        model.head, model.n_dummy = head, cfg.n_dummy
    return model


def output_rows(targets: tuple[str, ...], pretrained_targets: tuple[str, ...], n_dummy: int) -> list[int]:
    """Row of the pre-trained output layer each fine-tuning target takes over.

    ΛCDM targets keep their own row; new parameters take the dummy rows in order (the first
    new parameter the first dummy row, …). ConfigError if there are more new parameters than
    dummy rows.
    """
    new = [t for t in targets if t not in pretrained_targets]
    if len(new) > n_dummy:
        raise ConfigError(f"{len(new)} new parameters ({', '.join(new)}) but only {n_dummy} dummy outputs; "
                          "pre-train with more (config.N_DUMMY)")
    return [pretrained_targets.index(t) if t in pretrained_targets else len(pretrained_targets) + new.index(t)
            for t in targets]


def reinit_outputs(targets: tuple[str, ...], pretrained_targets: tuple[str, ...], names: tuple[str, ...]) -> set[str]:
    """The outputs among ``targets`` whose pre-trained rows a ``reinit`` config redraws: the names
    given, ``"new"`` standing for every target the pre-trained network did not have."""
    new = {t for t in targets if t not in pretrained_targets}
    return {t for t in targets if t in names or ("new" in names and t in new)}


def l2sp_penalty(model: nn.Module, strength: float):
    """L2-SP: ``strength`` × the squared distance of the trainable weights from their values now
    (where fine-tuning starts), as a penalty for :func:`cosmotransfer.train.fit`."""
    start = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}

    def penalty(m: nn.Module) -> torch.Tensor:
        return strength * sum(((p - start[n].to(p.device)) ** 2).sum() for n, p in m.named_parameters() if n in start)
    return penalty


def build_model(variant: str, n_in: int, targets: tuple[str, ...], cfg: TrainConfig, seed: int,
                pretrained: "Pretrained | None" = None) -> nn.Module:
    """The network a variant starts from (random parts seeded with ``seed``)."""
    if variant == "scratch":
        return new_mlp(n_in, len(targets), cfg.with_(n_dummy=0), seed)
    if pretrained is None:
        raise ConfigError(f"variant {variant!r} needs a pre-trained network")
    base: MLP = pretrained.model
    if base.n_in != n_in:
        raise ConfigError(f"the pre-trained network reads {base.n_in} k bins, the fine-tuning data {n_in}: "
                          "pre-train on a suite with the same bins (the real and emulated tiers share Quijote's 79)")
    torch.manual_seed(seed)
    if variant == "dummy" or variant in MITIGATIONS:
        model = copy.deepcopy(base)
        rows = output_rows(targets, pretrained.targets, base.n_dummy)
        head = nn.Linear(base.n_features, len(targets))  # its random rows are what ``reinit`` keeps
        fresh = reinit_outputs(targets, pretrained.targets, cfg.reinit)
        with torch.no_grad():
            for i, row in enumerate(rows):
                if targets[i] not in fresh:
                    head.weight[i] = base.head.weight[row]
                    head.bias[i] = base.head.bias[row]
        model.head, model.n_targets, model.n_dummy = head, len(targets), 0
        return with_lora(model, cfg.lora_rank) if cfg.lora_rank else model
    if variant == "nodummy":
        model = copy.deepcopy(base)
        model.head, model.n_targets, model.n_dummy = nn.Linear(base.n_features, len(targets)), len(targets), 0
        return model
    if variant == "frozen":
        if not base.bottleneck:
            raise ConfigError("the frozen variant needs a network pre-trained with a bottleneck (kind 'bottleneck')")
        return FrozenBodyHead(copy.deepcopy(base.body), base.n_features, cfg.head_hidden, len(targets), cfg.dropout)
    raise ConfigError(f"unknown variant {variant!r}; valid: {', '.join(VARIANTS)}")


# --------------------------------------------------------------------------------------
# Pre-training (cached)
# --------------------------------------------------------------------------------------
@dataclass
class Pretrained:
    """A pre-trained ΛCDM network and what made it.

    ``info``: config, seed, data key, targets, history, per-parameter test MSE, wall time.
    """

    model: MLP
    key: str
    info: dict = field(default_factory=dict)

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(self.info["targets"])

    @property
    def test_mse(self) -> dict[str, float]:
        return self.info["test_mse"]


def _config_dict(cfg: TrainConfig) -> dict:
    return json.loads(json.dumps(asdict(cfg)))  # tuples → lists, as they come back from JSON


def _pretrain_entry(ls: LearningSet, cfg: TrainConfig, seed: int, n_train: int) -> tuple[str, Path]:
    """The cache key and folder of a pre-training (see :func:`pretrain`)."""
    ls.split.train(n_train)  # ConfigError if the pool is smaller
    key = stable_hash({"data": ls.key, "n_train": n_train, "config": _config_dict(cfg), "seed": seed,
                       "targets": ls.targets, "training": TRAINING_VERSION})
    return key, paths.cache_dir("pretrain", key)


def cached_pretrain(ls: LearningSet, cfg: TrainConfig, seed: int = 0, n_train: int | None = None) -> Pretrained | None:
    """:func:`pretrain`'s cached network, or ``None`` if that pre-training has not been done."""
    n_train = ls.n_pool if n_train is None else int(n_train)
    key, folder = _pretrain_entry(ls, cfg, seed, n_train)
    if not (folder / "info.json").is_file():
        return None
    info = json.loads((folder / "info.json").read_text())
    model = new_mlp(ls.x.shape[1], len(ls.targets), cfg, seed)
    model.load_state_dict(torch.load(folder / "model.pt", map_location="cpu", weights_only=True))
    model.eval()
    return Pretrained(model, key, info)


def pretrain(ls: LearningSet, cfg: TrainConfig, seed: int = 0, device: str | None = None,
             cache: bool = True, n_train: int | None = None) -> Pretrained:
    """Train (or load from the cache) a ΛCDM network on the first ``n_train`` simulations of
    ``ls``'s train pool (``None``: the whole pool), validated and tested on ``ls``'s fixed
    validation and test sets — so a pre-training size is the number of simulations the network
    trains on, as in the paper (its "22,000" of a 22,400-simulation pool).

    Cache key: hash of the data (:attr:`LearningSet.key`, which covers the suite file, the
    preset and the number of simulations), the training size, the config and the seed.
    """
    n_train = ls.n_pool if n_train is None else int(n_train)
    if cache and (done := cached_pretrain(ls, cfg, seed, n_train)) is not None:
        return done
    key, folder = _pretrain_entry(ls, cfg, seed, n_train)
    n_in = ls.x.shape[1]
    device = device or default_device()
    model = new_mlp(n_in, len(ls.targets), cfg, seed)
    hist = fit(model, *ls.train(n_train), *ls.val(), cfg, seed=seed, device=device)
    model.cpu()
    x_test, y_test = ls.test()
    mse = mse_per_param(predict(model, x_test), y_test)
    info = {
        "suite": ls.suite, "stat": ls.stat, "targets": list(ls.targets), "n_suite": len(ls), "n_train": n_train,
        "data_key": ls.key, "config": _config_dict(cfg), "seed": seed, "device": device,
        "test_mse": dict(zip(ls.targets, map(float, mse))), "test_mse_total": float(mse.sum()),
        "history": hist.as_dict(), "code_version": __version__, "torch": torch.__version__,
        "standardizer": ls.standardizer.as_dict(),
    }
    if cache:
        atomic_write(folder / "model.pt", lambda tmp: torch.save(model.state_dict(), tmp))
        # info.json last: its presence marks a complete cache entry
        atomic_write(folder / "info.json", lambda tmp: tmp.write_text(json.dumps(info, indent=1) + "\n"))
    return Pretrained(model, key, info)


# --------------------------------------------------------------------------------------
# One fine-tuning (or scratch) run (cached)
# --------------------------------------------------------------------------------------
def run_path(ls: LearningSet, cfg: TrainConfig, n_train: int, seed: int, pretrained: Pretrained | None,
             rehearsal: RehearsalSet | None = None):
    """Where :func:`run` caches its result: ``finetune/<hash of data, variant, N, config, seed, pre-trained>``
    (and of the rehearsal set, for a config that rehearses)."""
    variant = parse_init_from(cfg.init_from)
    pre_key = pretrained.key if pretrained is not None and variant != "scratch" else None
    inputs = {"data": ls.key, "variant": variant, "N": n_train, "config": _config_dict(cfg),
              "seed": seed, "pretrained": pre_key, "training": TRAINING_VERSION}
    if cfg.rehearsal:
        inputs["rehearsal"] = _rehearsal_set(cfg, rehearsal).key
    return paths.cache_dir("finetune", stable_hash(inputs)) / "result.json"


def _rehearsal_set(cfg: TrainConfig, rehearsal: RehearsalSet | None) -> RehearsalSet:
    if rehearsal is None:
        raise ConfigError("a config with rehearsal > 0 needs the pre-training simulations (datasets.rehearsal_set)")
    return rehearsal


def cached_run(ls: LearningSet, cfg: TrainConfig, n_train: int, seed: int = 0,
               pretrained: Pretrained | None = None, rehearsal: RehearsalSet | None = None) -> dict | None:
    """:func:`run`'s cached result, or ``None`` if that run has not been done."""
    path = run_path(ls, cfg, n_train, seed, pretrained, rehearsal)
    return json.loads(path.read_text()) if path.is_file() else None


def run(ls: LearningSet, cfg: TrainConfig, n_train: int, seed: int = 0, pretrained: Pretrained | None = None,
        device: str | None = None, cache: bool = True, return_model: bool = False,
        rehearsal: RehearsalSet | None = None) -> dict:
    """Train the variant ``cfg.init_from`` on the first ``n_train`` simulations of the pool; test it.

    ``pretrained``: the network a ``pretrained:*`` variant starts from (see :data:`PRETRAINED_KIND`);
    ``rehearsal``: the pre-training simulations a config with ``rehearsal`` > 0 trains on beside them.

    Returns ``{"variant", "N", "seed", "test_mse": {param: mse}, "val_mse", "epochs", "best_epoch",
    "wall_s", ...}`` (and ``"model"`` with ``return_model``). Results are cached; a run's weights
    only when its model is asked for (the networks SHAP explains: a few, not every sweep run), and
    later calls for the model load them from the cache instead of training again.
    """
    variant = parse_init_from(cfg.init_from)
    if variant == "scratch":
        pretrained = None
    pre_key = pretrained.key if pretrained is not None else None
    path = run_path(ls, cfg, n_train, seed, pretrained, rehearsal)
    weights = path.parent / "model.pt"
    if cache and path.is_file() and (not return_model or weights.is_file()):
        out = json.loads(path.read_text())
        if return_model:
            model = build_model(variant, ls.x.shape[1], ls.targets, cfg, seed, pretrained)
            model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
            out["model"] = model.eval()
        return out
    device = device or default_device()
    model = build_model(variant, ls.x.shape[1], ls.targets, cfg, seed, pretrained)
    penalty = l2sp_penalty(model, cfg.l2sp) if cfg.l2sp else None
    replay = None
    if cfg.rehearsal:
        reh = _rehearsal_set(cfg, rehearsal)
        replay = (reh.x, reh.y, min(len(reh.x), round(cfg.rehearsal * n_train)))
    hist = fit(model, *ls.train(n_train), *ls.val(), cfg, seed=seed, device=device, penalty=penalty,
               rehearsal=replay)
    model.cpu()
    x_test, y_test = ls.test()
    mse = mse_per_param(predict(model, x_test), y_test)
    out = {"variant": variant, "N": n_train, "seed": seed, "test_mse": dict(zip(ls.targets, map(float, mse))),
           "val_mse": hist.best_val, "epochs": hist.epochs, "best_epoch": hist.best_epoch,
           "wall_s": round(hist.wall_s, 3), "pretrained": pre_key, "data_key": ls.key, "key": path.parent.name,
           "config": _config_dict(cfg), "device": device}
    if cache:
        if return_model:  # before the result, whose presence marks a complete entry
            atomic_write(weights, lambda tmp: torch.save(model.state_dict(), tmp))
        atomic_write(path, lambda tmp: tmp.write_text(json.dumps(out, indent=1) + "\n"))
    if return_model:
        out["model"] = model.eval()
    return out
