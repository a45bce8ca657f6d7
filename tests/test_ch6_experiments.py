"""Chapter 6 experiments at tiny sizes: the claims the book asserts, on configurations that run in a second."""
import math

import pytest
import torch
from torch import nn

from dlcourse.experiments import (
    batchnorm_lr,
    finetuning,
    init_statistics,
    optimizer_comparison,
    optimizer_paths,
    regularization,
    residual_depth,
    schedules,
)

MODULES = [batchnorm_lr, finetuning, init_statistics, optimizer_comparison, optimizer_paths, regularization,
           residual_depth, schedules]


@pytest.mark.parametrize("module", MODULES, ids=[m.__name__.rsplit(".", 1)[1] for m in MODULES])
def test_sizes_are_selected_in_one_place(module, monkeypatch):
    monkeypatch.setenv("DLCOURSE_SIZE", "full")
    assert module.config() is module.FULL
    monkeypatch.setenv("DLCOURSE_SIZE", "quick")
    assert module.config() is module.QUICK and module.QUICK != module.FULL


def test_init_statistics_which_combinations_survive():
    cfg = init_statistics.Config(depth=20, width=64, batch=64)
    stats = init_statistics.run(cfg)
    alive = {k: init_statistics.alive(s) for k, s in stats.items()}
    assert alive == {("naive", "tanh"): False, ("naive", "relu"): False, ("xavier", "tanh"): True,
                     ("xavier", "relu"): False, ("he", "tanh"): True, ("he", "relu"): True}
    a = stats[("xavier", "relu")]["activation_std"]
    # the second moment halves at every ReLU layer: the std ratio over 19 layers is near 2**-9.5
    assert 2 ** -12 < a[-1] / a[0] < 2 ** -7
    with pytest.raises(ValueError, match="activation must be one of"):
        init_statistics.layer_statistics("he", "gelu", cfg)


def test_saddle_sgd_creeps_adaptive_methods_escape():
    s = optimizer_paths.SURFACES["saddle"]
    sgd = optimizer_paths.path(s, lambda p: optimizer_paths.optim.SGD(p, lr=0.05), 100)
    adam = optimizer_paths.path(s, lambda p: optimizer_paths.optim.Adam(p, lr=0.05), 100)
    assert s.f(sgd[-1]) > -0.05 and s.f(adam[-1]) < -0.24
    assert sgd.shape == (101, 2) and sgd.dtype == torch.float64


def test_schedule_curves():
    rates = schedules.curves(total=100, lr=1.0, warmup=10)
    w = rates["warm-up + cosine"]
    assert w[0] == pytest.approx(0.01) and max(w) == pytest.approx(1.0) and w.index(max(w)) == 10
    assert rates["constant"] == [1.0] * 100
    assert rates["step (x0.1 at 2/3)"][70] == pytest.approx(0.1) and rates["cosine"][-1] < 0.01
    o = rates["one-cycle"]
    assert o[0] == pytest.approx(1.0 / 25) and o.index(max(o)) in (29, 30)


def test_regularisation_penalties_and_label_noise():
    net = regularization.make_net(4, 0.5)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Linear):
                m.weight.fill_(-0.5)
    n_weights = 64 * 4 + 4 * 4 + 4 * 10
    assert regularization.penalty(net, "L1").item() == pytest.approx(0.5 * n_weights)
    assert regularization.penalty(net, "L2").item() == pytest.approx(0.25 * n_weights)
    assert sum(isinstance(m, regularization.Dropout) for m in net.modules()) == 2
    with pytest.raises(ValueError, match="variant must be one of"):
        regularization.train_variant("L3", regularization.QUICK, 0)


def test_finetuning_tasks_and_adapters():
    source, target, test = finetuning.split_tasks(shots=3, seed=0)
    assert len(target[0]) == 30 and set(target[1].tolist()) == {0, 1, 2}
    assert len(source[0]) + 30 == 1347 and test[1].max() == 2
    body = finetuning.make_body(16)
    cfg = finetuning.Config(width=16, finetune_epochs=1)
    r = finetuning.adapt("LoRA r=2", body, cfg, target, test, 0)
    assert r["trainable"] == 2 * (64 + 16) + 2 * (16 + 16) + 16 * 3 + 3
    assert finetuning.adapt("head only", body, cfg, target, test, 0)["trainable"] == 16 * 3 + 3
    assert 0.0 <= r["accuracy"] <= 1.0


def test_batchnorm_net_layout_and_usable_rates():
    net = batchnorm_lr.make_net(8, 3, batchnorm=True)
    assert sum(isinstance(m, batchnorm_lr.BatchNorm1d) for m in net) == 3
    assert all(m.bias is None for m in net if isinstance(m, nn.Linear) and m.out_features == 8)
    runs = {0.1: {"valid_accuracy": 0.9}, 1.0: {"valid_accuracy": 0.2}, 0.01: {"valid_accuracy": 0.86}}
    assert batchnorm_lr.usable_rates(runs, 0.85) == [0.01, 0.1]


def test_optimizer_grids_and_best():
    results = {"A": {0.1: {"train_loss": 0.5}, 1.0: {"train_loss": math.inf}, 0.01: {"train_loss": 0.3}}}
    assert optimizer_comparison.best(results)["A"][0] == 0.01
    assert all(len(grid) == 5 for _, _, grid in optimizer_comparison.GRIDS.values())
