"""LoRALinear, add_lora and the residual models."""
import pytest
import torch
from torch import nn

from dlcourse.models import BasicBlock, DeepMLP
from dlcourse.nn import LoRALinear, add_lora, count_trainable


def test_lora_starts_as_base_trains_only_adapters_and_merges():
    torch.manual_seed(0)
    base = nn.Linear(6, 4)
    lora = LoRALinear(base, r=2, lora_alpha=4)
    x = torch.randn(5, 6)
    torch.testing.assert_close(lora(x), base(x))                 # B = 0: the same function at the start
    assert count_trainable(lora) == 2 * (6 + 4)
    with torch.no_grad():
        lora.lora_B.normal_()
    (lora(x) ** 2).sum().backward()
    assert base.weight.grad is None and lora.lora_A.grad is not None
    expected = x @ (base.weight + 2.0 * lora.lora_B @ lora.lora_A).T + base.bias
    torch.testing.assert_close(lora(x), expected)
    torch.testing.assert_close(lora.merge()(x), expected)


def test_add_lora_wraps_named_layers():
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))
    add_lora(model, ["0", "2"], r=2)
    assert isinstance(model[0], LoRALinear) and isinstance(model[2], LoRALinear) and isinstance(model[4], nn.Linear)
    assert count_trainable(model) == 2 * (8 + 16) + 2 * (16 + 16)
    with pytest.raises(KeyError, match="no submodule named '9'"):
        add_lora(model, ["9"])
    with pytest.raises(TypeError, match="not an nn.Linear"):
        add_lora(model, ["1"])
    with pytest.raises(ValueError, match="r must be a positive int"):
        LoRALinear(nn.Linear(2, 2), r=0)


def test_residual_models_shapes_and_identity_path():
    block = BasicBlock(4, 8, stride=2)
    assert block(torch.randn(2, 4, 8, 8)).shape == (2, 8, 4, 4)
    for seed in range(3):
        torch.manual_seed(seed)
        plain, res = DeepMLP(64, 32, 32, 10, residual=False), DeepMLP(64, 32, 32, 10, residual=True)
        assert sum(p.numel() for p in plain.parameters()) == sum(p.numel() for p in res.parameters())
        x = torch.randn(64, 64)
        for model in (plain, res):
            model(x).sum().backward()
        # 32 blocks deep: the skips carry the gradient to the first layer, the plain stack lets it fade
        assert res.stem.weight.grad.norm() > 2 * plain.stem.weight.grad.norm()
