"""The networks: a plain MLP regressor and the frozen-body + head network of the frozen variant.

Every network maps standardised summaries ``x: (batch, n_k) float32`` to scaled parameters
``(batch, n_out) float32`` in (0, 1) (sigmoid output; min–max scaling with the prior table, see
:func:`cosmotransfer.datasets.scale_targets`). Hidden layers are Linear → LeakyReLU(0.2) → Dropout.

An :class:`MLP` may carry ``n_dummy`` extra output nodes after its ``n_targets`` real ones.
During pre-training they get zero loss weight (:meth:`MLP.loss_weights`), so they receive no
gradient; when fine-tuning on a beyond-ΛCDM suite the spare rows become the new parameters
(the *dummy-node* transfer variant, :mod:`cosmotransfer.transfer`).
"""
from __future__ import annotations

import torch
from torch import nn

NEGATIVE_SLOPE = 0.2  # LeakyReLU slope of the paper


def hidden_stack(n_in: int, hidden: tuple[int, ...], dropout: float) -> tuple[nn.Sequential, int]:
    """Linear → LeakyReLU → Dropout for each width in ``hidden``; returns (stack, output width)."""
    layers: list[nn.Module] = []
    width = n_in
    for h in hidden:
        layers += [nn.Linear(width, h), nn.LeakyReLU(NEGATIVE_SLOPE), nn.Dropout(dropout)]
        width = h
    return nn.Sequential(*layers), width


class MLP(nn.Module):
    """``n_in`` → hidden layers → ``n_targets + n_dummy`` sigmoid outputs.

    ``bottleneck`` appends one more hidden layer of that width (the frozen variant's features).
    ``body`` holds every hidden layer, ``head`` the single output ``nn.Linear``, so a transfer
    variant can keep the body and keep, slice or replace the head.
    """

    def __init__(self, n_in: int, hidden: tuple[int, ...], n_targets: int, dropout: float = 0.0,
                 n_dummy: int = 0, bottleneck: int | None = None):
        super().__init__()
        widths = tuple(hidden) + ((bottleneck,) if bottleneck else ())
        self.n_in, self.hidden, self.bottleneck = n_in, tuple(hidden), bottleneck
        self.n_targets, self.n_dummy = n_targets, n_dummy
        self.body, width = hidden_stack(n_in, widths, dropout)
        self.head = nn.Linear(width, n_targets + n_dummy)

    @property
    def n_features(self) -> int:
        """Width of the last hidden layer (what the head sees)."""
        return self.head.in_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.head(self.body(x)))

    def loss_weights(self) -> torch.Tensor:
        """(n_targets + n_dummy,) — 1 for real outputs, 0 for dummy nodes."""
        w = torch.zeros(self.n_targets + self.n_dummy)
        w[: self.n_targets] = 1.0
        return w


class FrozenBodyHead(nn.Module):
    """A pre-trained body whose weights never change, followed by a new trainable MLP head.

    The body stays in eval mode even while the head trains: its dropout is off, so the
    features it hands the head are a fixed function of the input.
    """

    def __init__(self, body: nn.Sequential, n_features: int, head_hidden: tuple[int, ...], n_targets: int,
                 dropout: float = 0.0):
        super().__init__()
        self.body = body
        for p in self.body.parameters():
            p.requires_grad_(False)
        self.head = MLP(n_features, head_hidden, n_targets, dropout)
        self.n_targets, self.n_dummy = n_targets, 0
        self.body.eval()

    def train(self, mode: bool = True):
        super().train(mode)
        self.body.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            f = self.body(x)
        return self.head(f)

    def loss_weights(self) -> torch.Tensor:
        return torch.ones(self.n_targets)


class LoRALinear(nn.Module):
    """A frozen ``nn.Linear`` plus a trainable low-rank update (LoRA, Hu et al. 2021):
    ``y = base(x) + (x Aᵀ) Bᵀ · scale``, A (rank, in) random, B (out, rank) zero — so the layer starts
    as exactly the pre-trained one, and fine-tuning moves it only within a rank-``rank`` subspace."""

    def __init__(self, base: nn.Linear, rank: int, scale: float = 1.0):
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.A = nn.Parameter(torch.empty(rank, base.in_features))
        nn.init.kaiming_uniform_(self.A, a=5 ** 0.5)  # as nn.Linear initialises its weight
        self.B = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = scale

    @property
    def in_features(self) -> int:
        return self.base.in_features

    @property
    def out_features(self) -> int:
        return self.base.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (x @ self.A.T) @ self.B.T * self.scale


def with_lora(model: MLP, rank: int) -> MLP:
    """``model`` with every hidden ``nn.Linear`` of its body wrapped in a :class:`LoRALinear` of
    ``rank`` (in place; the output layer stays a plain, trainable ``nn.Linear``)."""
    for i, layer in enumerate(model.body):
        if isinstance(layer, nn.Linear):
            model.body[i] = LoRALinear(layer, rank)
    return model


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
