"""dlcourse.device: automatic choice, explicit choice, environment override, clear errors."""
import pytest
import torch

from dlcourse.device import ENV_VAR, available_devices, get_device


def test_automatic_choice_prefers_accelerators(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    expected = "cuda" if torch.cuda.is_available() else ("mps" if "mps" in available_devices() else "cpu")
    assert get_device().type == expected
    assert available_devices()[-1] == "cpu"


def test_order_is_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert available_devices()[0] == "cuda"
    assert get_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr("dlcourse.device._mps_available", lambda: True)
    assert available_devices() == ["mps", "cpu"]
    assert get_device().type == "mps"


def test_explicit_choice(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "definitely-not-a-device")  # ignored when a name is given
    assert get_device("cpu") == torch.device("cpu")
    assert get_device(" CPU ") == torch.device("cpu")
    assert get_device(torch.device("cpu")) == torch.device("cpu")


def test_environment_override(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "cpu")
    assert get_device() == torch.device("cpu")


@pytest.mark.parametrize("name", ["gpu", "cuda0", "tpu", ""])
def test_unknown_device_is_a_clear_error(name, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(ValueError, match="unknown device.*expected one of cuda, mps, cpu"):
        get_device(name)


def test_unknown_device_from_environment_names_the_variable(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "gpu")
    with pytest.raises(ValueError, match=ENV_VAR):
        get_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_unavailable_device_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(RuntimeError, match="not available on this machine; available: .*cpu"):
        get_device("cuda")


def test_missing_cuda_index_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(RuntimeError, match="has 1 CUDA device"):
        get_device("cuda:3")
