"""The training loop: dummy outputs carry no loss, seeding, early stopping, best-checkpoint restore."""
import numpy as np
import pytest
import torch

from cosmotransfer.config import TrainConfig
from cosmotransfer.models import MLP
from cosmotransfer.train import fit, mse_per_param, predict, weighted_mse
from cosmotransfer.transfer import new_mlp

torch.set_num_threads(1)  # tiny networks: a second thread only adds contention on the 2-core machine


@pytest.fixture(scope="module")
def xy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 79)).astype(np.float32)
    w = rng.normal(size=(79, 5)) / 9
    y = (1 / (1 + np.exp(-x @ w))).astype(np.float32)
    return x[:200], y[:200], x[200:], y[200:]


CFG = TrainConfig(hidden=(32, 16), dropout=0.1, lr=3e-3, weight_decay=1e-3, max_epochs=15, patience=5)


def test_dummy_outputs_get_exactly_zero_gradient():
    m = MLP(79, (8,), n_targets=5, n_dummy=2)
    loss = weighted_mse(m(torch.randn(16, 79)), torch.rand(16, 5), m.loss_weights())
    loss.backward()
    assert torch.count_nonzero(m.head.weight.grad[5:]) == 0 and torch.count_nonzero(m.head.bias.grad[5:]) == 0
    assert torch.count_nonzero(m.head.weight.grad[:5]) > 0


def test_dummy_nodes_do_not_change_pretraining(xy):
    """Pre-training with 2 dummy outputs learns the same network as with none: they carry no loss.

    And the dummy rows themselves only feel AdamW's decoupled weight decay: (1 − lr·wd) per step.
    """
    a, b = new_mlp(79, 5, CFG, seed=1), new_mlp(79, 5, CFG.with_(n_dummy=2), seed=1)
    dummy0 = b.head.weight[5:].detach().clone()
    ha = fit(a, *xy, CFG, seed=4, device="cpu")
    hb = fit(b, *xy, CFG, seed=4, device="cpu")
    assert ha.val_loss == pytest.approx(hb.val_loss, rel=1e-5)
    for pa, pb in zip(a.body.parameters(), b.body.parameters()):
        torch.testing.assert_close(pa, pb, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(a.head.weight, b.head.weight[:5], rtol=1e-5, atol=1e-6)
    steps = (hb.best_epoch + 1) * int(np.ceil(len(xy[0]) / CFG.batch_size))
    torch.testing.assert_close(b.head.weight[5:], dummy0 * (1 - CFG.lr * CFG.weight_decay) ** steps)


def test_same_seed_same_weights_other_seed_other_weights(xy):
    runs = []
    for seed in (0, 0, 1):
        m = new_mlp(79, 5, CFG, seed=seed)
        fit(m, *xy, CFG, seed=seed, device="cpu")
        runs.append(torch.cat([p.flatten() for p in m.parameters()]))
    assert torch.equal(runs[0], runs[1])
    assert not torch.equal(runs[0], runs[2])


def test_early_stopping_restores_the_best_epoch(xy):
    cfg = CFG.with_(lr=3e-2, max_epochs=200, patience=3)  # a high rate: validation turns up soon
    m = new_mlp(79, 5, cfg, seed=0)
    h = fit(m, *xy, cfg, seed=0, device="cpu")
    assert h.epochs < cfg.max_epochs and h.epochs == h.best_epoch + 1 + cfg.patience
    assert h.best_val == min(h.val_loss) == h.val_loss[h.best_epoch]
    val = mse_per_param(predict(m, xy[2]), xy[3]).mean()
    assert val == pytest.approx(h.best_val, rel=1e-5)


def test_frozen_parameters_are_not_optimised(xy):
    m = new_mlp(79, 5, CFG, seed=0)
    for p in m.body.parameters():
        p.requires_grad_(False)
    before = [p.clone() for p in m.body.parameters()]
    fit(m, *xy, CFG.with_(max_epochs=3), seed=0, device="cpu")
    assert all(torch.equal(a, b) for a, b in zip(before, m.body.parameters()))
