"""Chapter 6 exercises: training deep networks (book: ``book/ch6_training``)."""
from __future__ import annotations

import math

import torch

from dlcourse.nn.batchnorm import batch_norm
from dlcourse.nn.init import kaiming_normal_
from dlcourse.optim import Adam

from .spec import Case, Exercise, Mistake, Question

__all__ = ["EXERCISES"]

D = torch.float64


# ------------------------------------------------------------------------------------------------- 6.1 Adam


def _adam_cases() -> list[Case]:
    g = torch.Generator().manual_seed(61)
    return [
        Case(args=(torch.tensor([1.5, -0.5], dtype=D),), kwargs=dict(lr=0.1, steps=5), note="one 2-vector, lr 0.1"),
        Case(args=(torch.randn(3, 2, dtype=D, generator=g), torch.randn(4, dtype=D, generator=g)),
             kwargs=dict(lr=0.01, betas=(0.8, 0.99), steps=8), note="two tensors, betas (0.8, 0.99)"),
        Case(args=(torch.randn(5, dtype=D, generator=g),), kwargs=dict(lr=0.001, eps=1e-3, steps=3),
             note="eps 1e-3"),
    ]


def _adam_loss(params: list[torch.Tensor], t: int) -> torch.Tensor:
    return sum(((p - 0.3 * t) ** 2 * (1 + i) + p.sin()).sum() for i, p in enumerate(params))


def _run_adam(entry, case: Case):
    """Build the optimizer on fresh copies of the tensors, take ``steps`` steps, return every intermediate value."""
    kwargs = dict(case.kwargs)
    steps = kwargs.pop("steps")
    params = [t.clone().requires_grad_() for t in case.args]
    opt = entry(params, **kwargs)
    trajectory = []
    for t in range(steps):
        for p in params:
            p.grad = None
        _adam_loss(params, t).backward()
        opt.step()
        trajectory.append([p.detach().clone() for p in params])
    return trajectory


def _adam_reference(params, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
    return Adam(params, lr=lr, betas=betas, eps=eps)


class _AdamWrong:
    """A family of wrong Adams for the mistakes."""

    correct_m = True
    correct_v = True
    eps_inside = False

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
        self.params, self.lr, self.betas, self.eps = list(params), lr, betas, eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self):
        b1, b2 = self.betas
        self.t += 1
        for p, m, v in zip(self.params, self.m, self.v):
            m.mul_(b1).add_(p.grad, alpha=1 - b1)
            v.mul_(b2).add_(p.grad ** 2, alpha=1 - b2)
            m_hat = m / (1 - b1 ** self.t) if self.correct_m else m
            v_hat = v / (1 - b2 ** self.t) if self.correct_v else v
            denom = (v_hat + self.eps).sqrt() if self.eps_inside else v_hat.sqrt() + self.eps
            p -= self.lr * m_hat / denom


class _AdamNoCorrection(_AdamWrong):
    correct_m = correct_v = False


class _AdamOnlyFirst(_AdamWrong):
    correct_v = False


class _AdamEpsInside(_AdamWrong):
    eps_inside = True


# ------------------------------------------------------------------------------------------------- 6.2 He init


def _he_cases() -> list[Case]:
    return [Case(args=((64, 32),), note="a Linear weight (64 out, 32 in)"),
            Case(args=((16, 3, 5, 5),), note="a Conv2d weight (16, 3, 5, 5)"),
            Case(args=((10, 100),), note="a Linear weight (10 out, 100 in)")]


def _run_he(entry, case: Case):
    tensor = torch.empty(case.args[0], dtype=D)
    out = entry(tensor, generator=torch.Generator().manual_seed(62))
    return out if out is not None else tensor


def _he_reference(tensor, generator=None):
    return kaiming_normal_(tensor, mode="fan_in", nonlinearity="relu", generator=generator)


def _receptive(shape):
    return math.prod(shape[2:]) if len(shape) > 2 else 1


def _he_fan_out(tensor, generator=None):
    return tensor.normal_(0, math.sqrt(2 / (tensor.shape[0] * _receptive(tensor.shape))), generator=generator)


def _he_no_gain(tensor, generator=None):
    return tensor.normal_(0, math.sqrt(1 / (tensor.shape[1] * _receptive(tensor.shape))), generator=generator)


def _he_xavier(tensor, generator=None):
    r = _receptive(tensor.shape)
    return tensor.normal_(0, math.sqrt(2 / ((tensor.shape[0] + tensor.shape[1]) * r)), generator=generator)


def _he_no_kernel(tensor, generator=None):
    return tensor.normal_(0, math.sqrt(2 / tensor.shape[1]), generator=generator)


# ------------------------------------------------------------------------------------------------- 6.3 BatchNorm


def _bn_cases() -> list[Case]:
    g = torch.Generator().manual_seed(63)

    def r(*shape):
        return torch.randn(*shape, dtype=D, generator=g)

    return [
        Case(args=(r(8, 3) * 2 + 1, torch.zeros(3, dtype=D), torch.ones(3, dtype=D), torch.ones(3, dtype=D),
                   torch.zeros(3, dtype=D)), note="8 examples, 3 features, fresh running statistics"),
        Case(args=(r(5, 4), r(4), r(4).abs() + 0.5, r(4), r(4)), kwargs=dict(momentum=0.3),
             note="5 examples, 4 features, momentum 0.3"),
        Case(args=(r(2, 2) * 3, r(2), r(2).abs() + 0.1, r(2), r(2)), kwargs=dict(eps=0.1),
             note="a batch of 2, eps 0.1"),
    ]


def _bn_reference(x, running_mean, running_var, weight, bias, momentum=0.1, eps=1e-5):
    rm, rv = running_mean.clone(), running_var.clone()
    y = batch_norm(x, rm, rv, weight, bias, training=True, momentum=momentum, eps=eps)
    return y, rm, rv


def _bn_generic(unbiased_running=True, unbiased_normalise=False, swap_momentum=False, eps_outside=False):
    def solution(x, running_mean, running_var, weight, bias, momentum=0.1, eps=1e-5):
        mean = x.mean(0)
        var_b, var_u = x.var(0, unbiased=False), x.var(0, unbiased=True)
        var = var_u if unbiased_normalise else var_b
        x_hat = (x - mean) / (var.sqrt() + eps if eps_outside else (var + eps).sqrt())
        m = 1 - momentum if swap_momentum else momentum
        rm = (1 - m) * running_mean + m * mean
        rv = (1 - m) * running_var + m * (var_u if unbiased_running else var_b)
        return x_hat * weight + bias, rm, rv
    return solution


# ------------------------------------------------------------------------------------------------- 6.4 residual


def _res_cases() -> list[Case]:
    g = torch.Generator().manual_seed(64)

    def r(*shape):
        return torch.randn(*shape, dtype=D, generator=g)

    return [Case(args=(r(4, 3), r(3, 3), r(3), r(3, 3), r(3)), note="4 examples, width 3"),
            Case(args=(r(6, 5), r(5, 5) * 0.3, r(5), r(5, 5) * 0.3, r(5)), note="6 examples, width 5")]


def residual_block(x, w1, b1, w2, b2):
    """The reference: ``relu(x + relu(x w1^T + b1) w2^T + b2)``."""
    h = torch.relu(x @ w1.T + b1)
    return torch.relu(x + h @ w2.T + b2)


def _res_after(x, w1, b1, w2, b2):
    h = torch.relu(x @ w1.T + b1)
    return torch.relu(h @ w2.T + b2) + x


def _res_no_skip(x, w1, b1, w2, b2):
    h = torch.relu(x @ w1.T + b1)
    return torch.relu(h @ w2.T + b2)


def _res_no_final_relu(x, w1, b1, w2, b2):
    h = torch.relu(x @ w1.T + b1)
    return x + h @ w2.T + b2


EXERCISES = [
    Exercise(
        id="6.1",
        title="An Adam optimizer with bias correction",
        entry="Adam",
        reference=_adam_reference,
        cases=_adam_cases,
        run=_run_adam,
        statement=(
            "Write a class `Adam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-8)` whose `step()` updates every "
            "tensor `p` in `params` in place from its `p.grad`, as Kingma and Ba's Adam: at step $t = 1, 2, "
            "\\dots$, $m \\leftarrow \\beta_1 m + (1-\\beta_1) g$, $v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2$ "
            "(both start at zero), $\\hat m = m / (1-\\beta_1^t)$, $\\hat v = v / (1-\\beta_2^t)$ and "
            "$p \\leftarrow p - \\text{lr}\\, \\hat m / (\\sqrt{\\hat v} + \\epsilon)$. Update the tensors "
            "under `torch.no_grad()`. The check builds your optimizer, takes several steps and compares every "
            "intermediate value. `torch.optim` and `dlcourse.optim` are not allowed."),
        stub=("import torch\n\n"
              "class Adam:\n"
              "    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8):\n"
              "        raise NotImplementedError\n\n"
              "    def step(self):\n"
              "        raise NotImplementedError\n"),
        section="ch6-adam",
        forbidden=("torch.optim", "dlcourse.optim"),
        mistakes=(
            Mistake("no bias correction", _AdamNoCorrection,
                    "You used m and v directly. Both start at zero, so early on they are biased towards zero; "
                    "divide by 1 - beta1^t and 1 - beta2^t (t counts from 1)."),
            Mistake("only the first moment corrected", _AdamOnlyFirst,
                    "You corrected m but not v: v_hat = v / (1 - beta2^t) too, otherwise the first steps are "
                    "far too large (v is tiny)."),
            Mistake("eps inside the square root", _AdamEpsInside,
                    "eps is added after the square root: sqrt(v_hat) + eps, not sqrt(v_hat + eps)."),
        ),
    ),
    Exercise(
        id="6.2",
        title="He initialisation",
        entry="he_normal_",
        reference=_he_reference,
        cases=_he_cases,
        run=_run_he,
        statement=(
            "Write `he_normal_(tensor, generator=None)` that fills a weight `tensor` of shape "
            "$(\\text{out}, \\text{in}, *\\text{kernel})$ in place with He et al.'s initialisation for ReLU "
            "layers, $\\mathcal N(0, \\sigma^2)$ with $\\sigma = \\sqrt{2 / \\text{fan}_{in}}$ and "
            "$\\text{fan}_{in} = \\text{in} \\times \\prod \\text{kernel}$, by calling "
            "`tensor.normal_(0, std, generator=generator)` once, and returns `tensor`. "
            "`torch.nn.init` and `dlcourse.nn.init` are not allowed."),
        stub=("import math\n\n"
              "def he_normal_(tensor, generator=None):\n"
              "    raise NotImplementedError\n"),
        section="ch6-init",
        forbidden=("torch.nn.init", "dlcourse.nn"),
        mistakes=(
            Mistake("fan_out instead of fan_in", _he_fan_out,
                    "You divided by fan_out (out x kernel). For the forward signal's variance, each output sums "
                    "fan_in = in x kernel products: use fan_in."),
            Mistake("no ReLU gain", _he_no_gain,
                    "std = sqrt(1 / fan_in) is LeCun's rule for a linear layer; ReLU zeroes half its inputs, "
                    "so He doubles the variance: sqrt(2 / fan_in)."),
            Mistake("Xavier instead of He", _he_xavier,
                    "sqrt(2 / (fan_in + fan_out)) is Glorot and Bengio's rule (for tanh); He's is "
                    "sqrt(2 / fan_in)."),
            Mistake("kernel size left out", _he_no_kernel,
                    "For a convolution, each output sums in x kH x kW inputs: fan_in includes the kernel size."),
        ),
    ),
    Exercise(
        id="6.3",
        title="BatchNorm's training forward pass with running statistics",
        entry="batch_norm_train",
        reference=_bn_reference,
        cases=_bn_cases,
        statement=(
            "Write `batch_norm_train(x, running_mean, running_var, weight, bias, momentum=0.1, eps=1e-5)` for a "
            "batch `x` of shape $(N, C)$: normalise each feature with the batch's mean $\\mu$ and *biased* "
            "variance $\\sigma^2$ (divide by $N$), $y = (x - \\mu)/\\sqrt{\\sigma^2 + \\epsilon} \\cdot w + b$, "
            "and return `(y, new_running_mean, new_running_var)` with "
            "$\\text{new} = (1 - \\text{momentum})\\,\\text{old} + \\text{momentum} \\cdot \\text{batch value}$, "
            "where the running variance is updated with the *unbiased* variance (divide by $N - 1$), as PyTorch "
            "does. Do not modify the arguments. `torch.nn.functional.batch_norm`, `torch.batch_norm`, "
            "`torch.nn.BatchNorm1d` and `dlcourse.nn` are not allowed."),
        stub=("import torch\n\n"
              "def batch_norm_train(x, running_mean, running_var, weight, bias, momentum=0.1, eps=1e-5):\n"
              "    raise NotImplementedError\n"),
        section="ch6-batchnorm",
        forbidden=("torch.nn.functional.batch_norm", "torch.batch_norm", "torch.nn.BatchNorm1d", "dlcourse.nn",
                   "torch.nn.functional.layer_norm"),
        mistakes=(
            Mistake("biased variance in the running statistics", _bn_generic(unbiased_running=False),
                    "The running variance estimates the population's: update it with the unbiased variance "
                    "(divide by N - 1), while the batch itself is normalised with the biased one."),
            Mistake("unbiased variance to normalise", _bn_generic(unbiased_normalise=True),
                    "Normalise the batch with its biased variance (divide by N); only the running estimate "
                    "uses N - 1."),
            Mistake("momentum the wrong way round", _bn_generic(swap_momentum=True),
                    "PyTorch's momentum is the weight of the NEW batch: (1 - momentum) * old + momentum * new."),
            Mistake("eps outside the square root", _bn_generic(eps_outside=True),
                    "eps goes inside the square root: sqrt(var + eps)."),
        ),
    ),
    Exercise(
        id="6.4",
        title="A residual block",
        entry="residual_block",
        reference=residual_block,
        cases=_res_cases,
        statement=(
            "Write `residual_block(x, w1, b1, w2, b2)` for `x` of shape $(N, D)$ and square weights: "
            "$h = \\text{relu}(x W_1^\\top + b_1)$, $F(x) = h W_2^\\top + b_2$, and the block's output "
            "$\\text{relu}(x + F(x))$: the skip is added *before* the final activation, as in He et al.'s "
            "block."),
        stub=("import torch\n\n"
              "def residual_block(x, w1, b1, w2, b2):\n"
              "    raise NotImplementedError\n"),
        section="ch6-residual",
        forbidden=("dlcourse.models",),
        mistakes=(
            Mistake("skip added after the activation", _res_after,
                    "You computed relu(F(x)) + x: the skip must be added before the last ReLU, relu(x + F(x)). "
                    "Added after it, the block's output can never be zeroed and its scale grows block by block."),
            Mistake("no skip", _res_no_skip,
                    "That is a plain two-layer block: add x back, relu(x + F(x))."),
            Mistake("no final activation", _res_no_final_relu,
                    "He et al.'s block applies ReLU after the sum: relu(x + F(x))."),
        ),
    ),
    Question(
        id="6.5", title="He initialisation of a convolution", section="ch6-init",
        statement=("A convolutional layer has a weight of shape (64, 32, 3, 3) (64 output channels, 32 input "
                   "channels, 3x3 kernels) and is followed by ReLU. What standard deviation does He initialisation "
                   "(`kaiming_normal_`, mode fan_in) give its weights? Three significant digits are enough."),
        answer=math.sqrt(2 / (32 * 9)), rtol=5e-3,
        mistakes=(Mistake("fan_out", math.sqrt(2 / (64 * 9)), "That divides by fan_out = 64 x 3 x 3; the forward "
                          "rule uses fan_in."),
                  Mistake("kernel left out", math.sqrt(2 / 32), "fan_in counts every input of one output: the "
                          "input channels times the kernel's 3 x 3 positions."),
                  Mistake("Xavier", math.sqrt(2 / ((32 + 64) * 9)), "That is Glorot and Bengio's rule, "
                          "2 / (fan_in + fan_out); He's is 2 / fan_in.")),
    ),
    Question(
        id="6.6", title="Adam's first step without bias correction", section="ch6-adam",
        statement=("Adam runs with betas = (0.8, 0.99) but *without* bias correction. At the very first step, a "
                   "coordinate has gradient g (eps negligible). Its step is how many times larger than the step "
                   "of Adam with bias correction?"),
        answer=2.0, rtol=1e-2,
        mistakes=(Mistake("first moment only", 0.2, "Uncorrected, m = 0.2 g, but v = 0.01 g^2 is uncorrected too: "
                          "its square root 0.1 |g| is in the denominator."),
                  Mistake("second moment only", 10.0, "The denominator sqrt(0.01 g^2) = 0.1 |g| makes the step 10x "
                          "larger, but the numerator m = 0.2 g makes it 5x smaller.")),
    ),
    Question(
        id="6.7", title="What residual connections were for", section="ch6-residual",
        statement="What did He et al. (2016) observe in plain networks that led them to residual connections?",
        choices={"a": "the gradients of the first layers vanished, although the networks used batch normalisation",
                 "b": "a deeper plain network reached a higher *training* error than a shallower one",
                 "c": "deeper plain networks over-fitted: lower training error but higher test error"},
        answer="b",
        mistakes=(Mistake("vanishing gradients", "a", "He et al. checked that with batch normalisation the "
                          "gradients did not vanish; they called the problem an optimisation difficulty."),
                  Mistake("over-fitting", "c", "The deeper plain network was worse on the *training* set too, so "
                          "it was not over-fitting.")),
    ),
    Question(
        id="6.8", title="LoRA's parameter count", section="ch6-lora",
        statement=("LoRA of rank 8 wraps a linear layer with 512 inputs and 2048 outputs (weight 2048 x 512). "
                   "How many parameters does the adapter train (A and B, no bias)?"),
        answer=8 * (512 + 2048), rtol=0, atol=0.5,
        mistakes=(Mistake("A only", 8 * 512, "B (2048 x 8) is trained too: r (in + out) in all."),
                  Mistake("B only", 8 * 2048, "A (8 x 512) is trained too: r (in + out) in all."),
                  Mistake("the whole matrix", 512 * 2048, "That is the frozen weight; LoRA trains only A and B.")),
    ),
]
