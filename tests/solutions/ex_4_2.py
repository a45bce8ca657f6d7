"""A worked answer to exercise 4.2 that uses nothing the exercise forbids (tests only; never published)."""
import torch


def conv2d(x, weight, bias=None, stride=1, padding=0):
    N, C, H, W = x.shape
    O, _, kH, kW = weight.shape
    xp = torch.nn.functional.pad(x, (padding, padding, padding, padding))
    Ho, Wo = (H + 2 * padding - kH) // stride + 1, (W + 2 * padding - kW) // stride + 1
    y = torch.zeros(N, O, Ho, Wo, dtype=x.dtype, device=x.device)
    for i in range(Ho):
        for j in range(Wo):
            patch = xp[:, :, i * stride:i * stride + kH, j * stride:j * stride + kW]  # (N, C, kH, kW)
            y[:, :, i, j] = (patch[:, None] * weight[None]).sum(dim=(2, 3, 4))
    if bias is not None:
        y = y + bias.view(1, -1, 1, 1)
    return y
