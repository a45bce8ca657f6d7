"""A worked answer to exercise 6.3 that uses nothing the exercise forbids (tests only; never published)."""
import torch


def batch_norm_train(x, running_mean, running_var, weight, bias, momentum=0.1, eps=1e-5):
    n = x.shape[0]
    mean = x.mean(dim=0)
    var = ((x - mean) ** 2).mean(dim=0)                 # biased: normalises the batch
    y = (x - mean) / torch.sqrt(var + eps) * weight + bias
    new_mean = (1 - momentum) * running_mean + momentum * mean
    new_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)   # unbiased: the running estimate
    return y, new_mean, new_var
