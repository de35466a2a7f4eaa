"""The networks: shapes, output range, dummy-node loss weights, the frozen body."""
import torch

from cosmotransfer.config import TrainConfig
from cosmotransfer.models import MLP, FrozenBodyHead, count_parameters
from cosmotransfer.transfer import new_mlp

torch.set_num_threads(1)  # tiny networks: a second thread only adds contention on the 2-core machine


def test_mlp_shapes_range_and_layers():
    m = MLP(79, (32, 16), n_targets=5, dropout=0.2, n_dummy=2)
    out = m(torch.randn(7, 79) * 10)
    assert out.shape == (7, 7)
    assert ((out > 0) & (out < 1)).all()  # sigmoid output
    kinds = [type(layer).__name__ for layer in m.body]
    assert kinds == ["Linear", "LeakyReLU", "Dropout"] * 2
    assert m.body[1].negative_slope == 0.2
    assert m.body[2].p == 0.2


def test_bottleneck_is_the_last_hidden_layer():
    m = MLP(79, (32, 16), n_targets=5, bottleneck=10)
    assert m.n_features == 10 and m.body[-3].out_features == 10


def test_dummy_nodes_have_zero_loss_weight():
    w = MLP(79, (8,), n_targets=5, n_dummy=2).loss_weights()
    assert w.tolist() == [1, 1, 1, 1, 1, 0, 0]


def test_real_outputs_start_identical_with_or_without_dummy_nodes():
    cfg = TrainConfig(hidden=(16, 8))
    a, b = new_mlp(79, 5, cfg, seed=3), new_mlp(79, 5, cfg.with_(n_dummy=2), seed=3)
    for (na, pa), (nb, pb) in zip(a.body.named_parameters(), b.body.named_parameters()):
        assert torch.equal(pa, pb), na
    assert torch.equal(a.head.weight, b.head.weight[:5]) and torch.equal(a.head.bias, b.head.bias[:5])
    assert b.head.weight.shape == (7, 8)


def test_frozen_body_has_no_trainable_weights_and_stays_in_eval_mode():
    base = MLP(79, (16,), n_targets=5, dropout=0.5, bottleneck=10)
    net = FrozenBodyHead(base.body, base.n_features, (8,), n_targets=6, dropout=0.1)
    net.train()
    assert not net.body.training and net.head.training
    assert all(not p.requires_grad for p in net.body.parameters())
    assert count_parameters(net) == count_parameters(net.head)
    x = torch.randn(4, 79)
    assert torch.equal(net.body(x), net.body(x))  # no dropout in the frozen features
    assert net(x).shape == (4, 6)
