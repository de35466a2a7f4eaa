"""One training loop for pre-training, training from scratch and fine-tuning.

AdamW with betas (0.5, 0.999), mini-batches of ``cfg.batch_size`` (32), loss = MSE on the
min–max scaled targets weighted per output (dummy nodes weigh 0), early stopping on the
validation MSE with ``cfg.patience`` epochs of patience, and the best epoch's weights restored
at the end. Seeded: the same data, config and seed give the same weights on the same device.

Arrays in, arrays out: ``x`` (n, n_k) float32 standardised summaries, ``y`` (n, n_targets)
float32 scaled targets in [0, 1] (see :mod:`cosmotransfer.data`).
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from .config import TrainConfig


def default_device() -> str:
    """``"cuda"`` when a GPU is visible, else ``"cpu"``."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def weighted_mse(pred: torch.Tensor, y: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Mean over samples of Σ_j w_j (pred_j − y_j)² / Σ_j w_j.

    ``pred`` (b, n_out); ``y`` (b, n_targets) with n_targets ≤ n_out — the missing columns
    (dummy nodes) are padded with zeros, and their weight 0 makes their gradient exactly 0.
    """
    if y.shape[1] < pred.shape[1]:
        y = torch.cat([y, y.new_zeros(y.shape[0], pred.shape[1] - y.shape[1])], dim=1)
    return ((pred - y) ** 2 * weights).sum(dim=1).mean() / weights.sum()


@dataclass
class FitResult:
    """What :func:`fit` did: per-epoch losses, the restored epoch and its validation MSE."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = -1
    best_val: float = float("inf")
    wall_s: float = 0.0

    @property
    def epochs(self) -> int:
        return len(self.val_loss)

    def as_dict(self) -> dict:
        return {"train_loss": self.train_loss, "val_loss": self.val_loss, "best_epoch": self.best_epoch,
                "best_val": self.best_val, "epochs": self.epochs, "wall_s": round(self.wall_s, 3)}


def _tensor(a, device) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float32), device=device)


@torch.no_grad()
def predict(model: nn.Module, x, device: str | None = None, batch: int = 8192) -> np.ndarray:
    """(n, n_out) float32 network outputs in eval mode (dropout off)."""
    device = device or next(model.parameters()).device.type
    model.eval()
    xt = _tensor(x, device)
    return torch.cat([model(xt[i : i + batch]) for i in range(0, len(xt), batch)]).cpu().numpy()


def mse_per_param(pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(n_targets,) MSE of each target on the scaled [0, 1] axis (dummy columns of ``pred`` ignored)."""
    return ((np.asarray(pred, np.float64)[:, : y.shape[1]] - y) ** 2).mean(axis=0)


def fit(model: nn.Module, x_train, y_train, x_val, y_val, cfg: TrainConfig, seed: int = 0,
        device: str | None = None, penalty=None, rehearsal: tuple | None = None) -> FitResult:
    """Train ``model`` in place; returns the history. The best-validation weights are restored.

    Only parameters with ``requires_grad`` are optimised (a frozen body stays untouched).
    ``penalty(model) -> scalar tensor`` is added to every batch's training loss (e.g. L2-SP); the
    validation loss, which picks the best epoch, is the plain loss. The loss is the MSE over the
    model's real outputs (``model.loss_weights()``), or the model's own ``model.loss(x, y)`` where
    it has one (a posterior network: the negative log density of the truth). ``rehearsal`` =
    ``(x, y, m)``: every epoch also trains on ``m`` rows of ``(x, y)`` drawn afresh without
    replacement (from the batch-order stream), shuffled in with the training set.
    """
    device = device or default_device()
    model.to(device)
    xt, yt = _tensor(x_train, device), _tensor(y_train, device)
    xv, yv = _tensor(x_val, device), _tensor(y_val, device)
    own_loss = getattr(model, "loss", None)
    weights = None if own_loss else model.loss_weights().to(device)

    def objective(xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        return own_loss(xb, yb) if own_loss else weighted_mse(model(xb), yb, weights)

    params = [p for p in model.parameters() if p.requires_grad]
    # fused: one kernel for the whole update (≈1.5× faster steps for these small nets on the CPU)
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay, betas=tuple(cfg.betas), fused=True)
    # Two streams: the batch order, and dropout (torch's global generator, seeded here).
    order = torch.Generator(device="cpu").manual_seed(seed)
    torch.manual_seed(seed + 1)

    res = FitResult()
    best_state = copy.deepcopy(model.state_dict())
    t0 = time.perf_counter()
    if rehearsal is not None:
        xr, yr, m = _tensor(rehearsal[0], device), _tensor(rehearsal[1], device), int(rehearsal[2])
    for epoch in range(cfg.max_epochs):
        model.train()
        xe, ye = xt, yt
        if rehearsal is not None:
            pick = torch.randperm(len(xr), generator=order)[:m].to(device)
            xe, ye = torch.cat([xt, xr[pick]]), torch.cat([yt, yr[pick]])
        n, bs = len(xe), cfg.batch_size
        perm = torch.randperm(n, generator=order).to(device)
        total = torch.zeros((), device=device)
        for i in range(0, n, bs):
            idx = perm[i : i + bs]
            loss = objective(xe[idx], ye[idx])
            if penalty is not None:
                loss = loss + penalty(model)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach() * len(idx)
        model.eval()
        with torch.no_grad():
            val = objective(xv, yv).item()
        res.train_loss.append(total.item() / n)
        res.val_loss.append(val)
        if val < res.best_val:
            res.best_val, res.best_epoch = val, epoch
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - res.best_epoch >= cfg.patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    res.wall_s = time.perf_counter() - t0
    return res
