"""Chapter 4 exercises: convolutional networks (book: ``book/ch4_convnets``)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from dlcourse.nn.conv import conv2d_loop, conv2d_output_size, im2col
from dlcourse.nn.pooling import max_pool2d_backward

from .spec import Case, Exercise, Mistake, Question

__all__ = ["EXERCISES", "receptive_field_size"]

D = torch.float64
_CONV_FORBIDDEN = ("dlcourse.nn", "torch.nn.functional.conv2d", "torch.conv2d", "torch.nn.Conv2d",
                   "torch.nn.functional.unfold", "torch.nn.Unfold", "torch.nn.functional.conv_transpose2d")


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# ------------------------------------------------------------------------------------------------- 4.1 shapes


def _shape_cases() -> list[Case]:
    return [
        Case(args=((8, 8), 3), kwargs=dict(stride=1, padding=1, dilation=1), note="8x8, 3x3 kernel, padding 1"),
        Case(args=((28, 28), 5), kwargs=dict(stride=1, padding=0, dilation=1), note="28x28, 5x5, no padding"),
        Case(args=((224, 224), 11), kwargs=dict(stride=4, padding=2, dilation=1), note="AlexNet's first layer"),
        Case(args=((7, 10), (3, 2)), kwargs=dict(stride=(2, 3), padding=(1, 0), dilation=1),
             note="7x10, kernel (3, 2), stride (2, 3), padding (1, 0)"),
        Case(args=((9, 9), 3), kwargs=dict(stride=2, padding=1, dilation=2), note="9x9, 3x3, stride 2, dilation 2"),
    ]


def _run_shape(entry, case: Case) -> torch.Tensor:
    return torch.as_tensor(entry(*case.args, **dict(case.kwargs)), dtype=torch.int64)


def _shape_generic(fn):
    def solution(size, kernel_size, stride=1, padding=0, dilation=1):
        return tuple(fn(*a) for a in zip(_pair(size), _pair(kernel_size), _pair(stride), _pair(padding),
                                         _pair(dilation)))
    return solution


_shape_no_plus_one = _shape_generic(lambda n, k, s, p, d: (n + 2 * p - d * (k - 1) - 1) // s)
_shape_one_side_padding = _shape_generic(lambda n, k, s, p, d: (n + p - d * (k - 1) - 1) // s + 1)
_shape_no_dilation = _shape_generic(lambda n, k, s, p, d: (n + 2 * p - k) // s + 1)
_shape_ceil = _shape_generic(lambda n, k, s, p, d: math.ceil((n + 2 * p - d * (k - 1) - 1) / s) + 1)


# ------------------------------------------------------------------------------------------------- 4.2 conv


def _conv_cases() -> list[Case]:
    g = torch.Generator().manual_seed(4)

    def r(*shape):
        return torch.randn(*shape, dtype=D, generator=g)

    return [
        Case(args=(r(1, 1, 5, 5), r(1, 1, 3, 3), None), note="one 5x5 image, one 3x3 filter, no bias"),
        Case(args=(r(2, 3, 6, 7), r(4, 3, 3, 2), r(4)), note="2 images, 3 -> 4 channels, kernel (3, 2), bias"),
        Case(args=(r(1, 2, 7, 7), r(3, 2, 3, 3), r(3)), kwargs=dict(stride=2, padding=1),
             note="stride 2, padding 1"),
        Case(args=(r(2, 1, 8, 8), r(6, 1, 3, 3), r(6)), kwargs=dict(stride=1, padding=1),
             note="LeNet's first layer on two 8x8 digits"),
    ]


def _conv_flipped(x, weight, bias=None, stride=1, padding=0):
    return conv2d_loop(x, weight.flip(-1, -2), bias, stride, padding)


def _conv_padding_off_by_one(x, weight, bias=None, stride=1, padding=0):
    return conv2d_loop(x, weight, bias, stride, padding + 1)


def _conv_no_bias(x, weight, bias=None, stride=1, padding=0):
    return conv2d_loop(x, weight, None, stride, padding)


def _conv_stride_ignored(x, weight, bias=None, stride=1, padding=0):
    return conv2d_loop(x, weight, bias, 1, padding)


# ------------------------------------------------------------------------------------------------- 4.3 im2col


def _im2col_cases() -> list[Case]:
    g = torch.Generator().manual_seed(5)
    return [
        Case(args=(torch.arange(16.0, dtype=D).view(1, 1, 4, 4), 2), note="the 4x4 image 0..15, 2x2 windows"),
        Case(args=(torch.randn(2, 3, 5, 4, dtype=D, generator=g), (3, 2)), note="2 images, 3 channels, kernel (3, 2)"),
        Case(args=(torch.randn(1, 2, 6, 6, dtype=D, generator=g), 3), kwargs=dict(stride=2, padding=1),
             note="stride 2, padding 1"),
    ]


def _im2col_ref(x, kernel_size, stride=1, padding=0):
    return im2col(x, kernel_size, stride, padding)


def _im2col_channels_last(x, kernel_size, stride=1, padding=0):
    kH, kW = _pair(kernel_size)
    N, C = x.shape[:2]
    cols = im2col(x, kernel_size, stride, padding)
    return cols.view(N, C, kH * kW, -1).transpose(1, 2).reshape(N, C * kH * kW, -1)


def _im2col_kernel_transposed(x, kernel_size, stride=1, padding=0):
    kH, kW = _pair(kernel_size)
    N, C = x.shape[:2]
    cols = im2col(x, kernel_size, stride, padding)
    return cols.view(N, C, kH, kW, -1).transpose(2, 3).reshape(N, C * kH * kW, -1)


def _im2col_no_padding(x, kernel_size, stride=1, padding=0):
    return im2col(x, kernel_size, stride, 0)


# ------------------------------------------------------------------------------------------------- 4.4 pool backward


def _pool_cases() -> list[Case]:
    g = torch.Generator().manual_seed(6)
    x1 = torch.tensor([[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 1.0], [0.0, 2.0, 1.0, 1.5], [9.0, 1.0, 3.0, 2.5]]]],
                      dtype=D)
    x2 = torch.randn(2, 3, 6, 6, dtype=D, generator=g)
    x3 = torch.randn(1, 2, 5, 5, dtype=D, generator=g)
    return [
        Case(args=(x1, torch.ones(1, 1, 2, 2, dtype=D), 2), note="one 4x4 image, 2x2 windows, upstream ones"),
        Case(args=(x2, torch.randn(2, 3, 3, 3, dtype=D, generator=g), 2), note="(2, 3, 6, 6), 2x2 windows"),
        Case(args=(x3, torch.randn(1, 2, 4, 4, dtype=D, generator=g), 2), kwargs=dict(stride=1),
             note="overlapping 2x2 windows with stride 1"),
        Case(args=(x3, torch.randn(1, 2, 2, 2, dtype=D, generator=g), 3), kwargs=dict(stride=2),
             note="overlapping 3x3 windows with stride 2"),
    ]


def _pool_even(x, grad_out, kernel_size, stride=None):
    x = x.detach().requires_grad_()
    with torch.enable_grad():
        out = F.avg_pool2d(x, kernel_size, stride)
    return torch.autograd.grad(out, x, grad_out)[0]


def _pool_overwrite(x, grad_out, kernel_size, stride=None):
    k, s = _pair(kernel_size), _pair(stride if stride is not None else kernel_size)
    grad = torch.zeros_like(x)
    N, C, H_out, W_out = grad_out.shape
    for i in range(H_out):
        for j in range(W_out):
            win = x[:, :, s[0] * i: s[0] * i + k[0], s[1] * j: s[1] * j + k[1]].reshape(N, C, -1)
            a = win.argmax(-1)
            for n in range(N):
                for c in range(C):
                    u, v = divmod(a[n, c].item(), k[1])
                    grad[n, c, s[0] * i + u, s[1] * j + v] = grad_out[n, c, i, j]   # = instead of +=
    return grad


def _pool_min(x, grad_out, kernel_size, stride=None):
    return max_pool2d_backward(-x, grad_out, kernel_size, stride)


EXERCISES = [
    Exercise(
        id="4.1",
        title="Output size of a convolution",
        entry="conv_output_size",
        reference=conv2d_output_size,
        cases=_shape_cases,
        run=_run_shape,
        statement=(
            "Write `conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1)` that returns the "
            "output `(H_out, W_out)` of a 2-D convolution on an input of `size = (H, W)`. Every argument after "
            "`size` is an int or a pair `(for H, for W)`. Padding adds `padding` zeros on *both* sides; a dilated "
            "kernel of size $k$ spans $d(k-1)+1$ pixels; the window moves `stride` pixels at a time and must fit "
            "entirely inside the padded input."),
        stub=("def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):\n"
              "    # return (H_out, W_out) as ints\n"
              "    raise NotImplementedError\n"),
        section="ch4-conv-loops",
        forbidden=("dlcourse.nn",),
        mistakes=(
            Mistake("no +1", _shape_no_plus_one,
                    "You forgot the first position: floor((H + 2p - d(k-1) - 1) / s) counts the *moves* of the "
                    "window; the number of positions is one more."),
            Mistake("padding on one side", _shape_one_side_padding,
                    "Padding p adds p rows at the top AND p at the bottom: the padded height is H + 2p."),
            Mistake("dilation ignored", _shape_no_dilation,
                    "A dilated kernel spans d(k - 1) + 1 pixels, not k."),
            Mistake("ceil instead of floor", _shape_ceil,
                    "A window that does not fit entirely is dropped: round down (floor), not up."),
        ),
    ),
    Exercise(
        id="4.2",
        title="A convolutional layer with loops",
        entry="conv2d",
        reference=conv2d_loop,
        cases=_conv_cases,
        statement=(
            "Write `conv2d(x, weight, bias=None, stride=1, padding=0)` for `x` of shape $(N, C_{in}, H, W)$, "
            "`weight` $(C_{out}, C_{in}, k_H, k_W)$ and `bias` $(C_{out},)$ or `None`, with int `stride` and "
            "`padding`, returning $y[n,o,i,j] = b[o] + \\sum_{c,u,v} w[o,c,u,v]\\, x_p[n,c,s i+u, s j+v]$ "
            "where $x_p$ is `x` with `padding` zeros around it. Loops over output positions are fine; "
            "`torch.nn.functional.pad` is allowed, but not `torch.nn.functional.conv2d`, `torch.conv2d`, "
            "`torch.nn.functional.unfold` or `dlcourse.nn`."),
        stub=("import torch\n\n"
              "def conv2d(x, weight, bias=None, stride=1, padding=0):\n"
              "    raise NotImplementedError\n"),
        section="ch4-conv-loops",
        forbidden=_CONV_FORBIDDEN,
        mistakes=(
            Mistake("flipped kernel", _conv_flipped,
                    "You flipped the kernel: that is the textbook convolution. Deep-learning layers compute "
                    "cross-correlation: w[o, c, u, v] multiplies x_p[n, c, s*i + u, s*j + v], no flip."),
            Mistake("padding off by one", _conv_padding_off_by_one,
                    "Your padding is one pixel too wide: add exactly `padding` zeros on each side."),
            Mistake("bias forgotten", _conv_no_bias,
                    "You did not add the bias b[o] to every output of channel o."),
            Mistake("stride ignored", _conv_stride_ignored,
                    "With stride s the window of output (i, j) starts at row s*i and column s*j."),
        ),
    ),
    Exercise(
        id="4.3",
        title="im2col",
        entry="im2col",
        reference=_im2col_ref,
        cases=_im2col_cases,
        statement=(
            "Write `im2col(x, kernel_size, stride=1, padding=0)` that copies every receptive field of `x` "
            "$(N, C, H, W)$ into a column and returns a tensor $(N, C k_H k_W, L)$ with $L = H_{out} W_{out}$: "
            "row $c\\,k_H k_W + u\\,k_W + v$ of column $i\\,W_{out} + j$ holds $x_p[n, c, s i + u, s j + v]$ "
            "(`kernel_size` is an int or a pair). Then `weight.view(C_out, -1) @ im2col(x, ...)` is the "
            "convolution. `Tensor.unfold` is allowed; `torch.nn.functional.unfold` and `dlcourse.nn` are not."),
        stub=("import torch\n\n"
              "def im2col(x, kernel_size, stride=1, padding=0):\n"
              "    raise NotImplementedError\n"),
        section="ch4-im2col",
        forbidden=_CONV_FORBIDDEN,
        mistakes=(
            Mistake("channels last in a column", _im2col_channels_last,
                    "Your rows are ordered (u, v, c). PyTorch's weight.view(C_out, -1) is ordered (c, u, v): "
                    "channel first, then kernel row, then kernel column."),
            Mistake("kernel transposed", _im2col_kernel_transposed,
                    "Inside a channel, rows go over the kernel row u first, then the column v: index u*kW + v."),
            Mistake("padding ignored", _im2col_no_padding,
                    "Pad the image with `padding` zeros on each side before cutting out windows."),
        ),
    ),
    Exercise(
        id="4.4",
        title="The backward pass of max pooling",
        entry="max_pool2d_backward",
        reference=max_pool2d_backward,
        cases=_pool_cases,
        statement=(
            "Write `max_pool2d_backward(x, grad_out, kernel_size, stride=None)` that returns "
            "$\\partial L / \\partial x$ (shape of `x`, $(N, C, H, W)$) for $y$ = max pooling of `x` with "
            "square windows of side `kernel_size` (int) and `stride` (default: `kernel_size`), no padding, given "
            "`grad_out` $= \\partial L / \\partial y$. Each window's gradient goes to the input that was its "
            "maximum; where windows overlap, an input can win several and receives the sum. Do not use autograd "
            "on `torch.nn.functional.max_pool2d` or `dlcourse.nn`."),
        stub=("import torch\n\n"
              "def max_pool2d_backward(x, grad_out, kernel_size, stride=None):\n"
              "    raise NotImplementedError\n"),
        section="ch4-pooling",
        forbidden=("dlcourse.nn", "torch.nn.functional.max_pool2d", "torch.max_pool2d", "torch.nn.MaxPool2d",
                   "torch.nn.functional.max_unpool2d", "torch.nn.functional.max_pool2d_with_indices"),
        mistakes=(
            Mistake("spread evenly", _pool_even,
                    "You spread each gradient evenly over its window: that is average pooling's backward pass. "
                    "Max pooling sends it all to the window's maximum."),
            Mistake("overlaps overwrite", _pool_overwrite,
                    "When windows overlap, an input that is the maximum of two windows must receive the SUM of "
                    "their gradients; you overwrote the first with the second (= instead of +=)."),
            Mistake("gradient to the minimum", _pool_min,
                    "You sent the gradient to each window's smallest input; it belongs to the largest."),
        ),
    ),
]

# ------------------------------------------------------------------------------------------- graded questions

QUESTIONS = [
    Question(
        id="4.5", title="Weights of a shared 3x3 layer", section="ch4-local-connections",
        statement=("How many weights (no biases) does a $3 \\times 3$ convolution from 64 to 64 channels have, "
                   "whatever the size of its input?"),
        answer=36_864, rtol=1e-9,
        mistakes=(Mistake("one output channel", 576, "That is one filter (64 x 3 x 3); there are 64 of them."),
                  Mistake("forgot the kernel", 4_096, "That is 64 x 64; each pair of channels has a 3x3 kernel.")),
    ),
    Question(
        id="4.6", title="The separable saving", section="ch4-separable",
        statement=("What fraction of a standard $3 \\times 3$ convolution's multiply-adds does a depthwise "
                   "separable one need, with $C_{out} = 64$ output channels? (Three decimals are enough.)"),
        answer=1 / 64 + 1 / 9, atol=2e-3,
        mistakes=(Mistake("depthwise part only", 1 / 9,
                          "You counted the depthwise part only; the pointwise 1x1 convolution adds 1/C_out."),
                  Mistake("pointwise part only", 1 / 64,
                          "You counted the pointwise part only; the depthwise 3x3 filtering adds 1/k^2.")),
    ),
    Question(
        id="4.7", title="Where the ReLU speed-up was measured", section="ch4-alexnet",
        statement="AlexNet's paper reports that ReLUs reached a fixed training error six times faster than tanh. "
                  "On what?",
        choices={"a": "On AlexNet itself, on ImageNet, with plain SGD",
                 "b": "On a four-layer convolutional network on CIFAR-10, to 25% training error",
                 "c": "On LeNet, on MNIST"},
        answer="b",
        mistakes=(Mistake("AlexNet itself", "a",
                          "Figure 1 of the paper uses a small four-layer network on CIFAR-10; AlexNet itself trained "
                          "with momentum and weight decay."),),
    ),
    Question(
        id="4.8", title="What weight sharing gives", section="ch4-equivariance",
        statement="What does sharing one filter across all positions give a convolutional layer?",
        choices={"a": "Invariance to rotations of the input",
                 "b": "Equivariance to translations: shift the input and the feature map shifts",
                 "c": "Invariance to the scale of objects"},
        answer="b",
        mistakes=(Mistake("rotation", "a",
                          "The source notes say rotation, and they are wrong: a shared filter finds its pattern at "
                          "any position, not at any angle."),),
    ),
]
EXERCISES += QUESTIONS


# ------------------------------------------------------------------------------------------- 4.12 receptive field


def receptive_field_size(layers) -> int:
    """Side of the receptive field of one unit after a stack of square windows, ``layers`` a sequence of
    ``(kernel_size, stride)`` pairs from the input up: ``r += (k - 1) * j`` then ``j *= s``, from ``r = j = 1``."""
    r, j = 1, 1
    for k, s in layers:
        r += (k - 1) * j
        j *= s
    return r


def _rf_cases() -> list[Case]:
    conv, pool = (3, 1), (2, 2)
    return [
        Case(args=([conv],), note="one 3x3 convolution"),
        Case(args=([conv] * 4,), note="four 3x3 convolutions"),
        Case(args=([conv, pool, conv, pool, conv],), note="3x3 conv, 2x2 pool, conv, pool, conv"),
        Case(args=([(11, 4), (3, 2), (5, 1), (3, 2), (3, 1)],), note="AlexNet's first layers: 11x11/4, pool 3/2, 5x5, "
                                                                     "pool 3/2, 3x3"),
        Case(args=([(5, 2), (5, 2)],), note="two 5x5 convolutions with stride 2 (LeCun 1989)"),
    ]


def _run_rf(entry, case: Case) -> torch.Tensor:
    return torch.as_tensor(entry(*case.args), dtype=torch.int64)


def _rf_no_stride(layers):
    return 1 + sum(k - 1 for k, _ in layers)


def _rf_stride_too_early(layers):
    r, j = 1, 1
    for k, s in layers:
        j *= s
        r += (k - 1) * j
    return r


def _rf_kernels_multiplied(layers):
    r = 1
    for k, _ in layers:
        r *= k
    return r


SECTIONS = [
    Question(
        id="4.9", title="LeNet's parameters, counted", section="ch4-lenet",
        statement=("Count the parameters (weights and biases) of this chapter's LeNet for 8x8 digits: a 3x3 "
                   "convolution from 1 to 12 maps, 2x2 max-pooling, a 3x3 convolution from 12 to 24 maps, 2x2 "
                   "max-pooling, a fully-connected layer of 64 units and one of 10 outputs. Both convolutions pad by "
                   "1, so only the pooling changes the map size."),
        answer=9594, atol=0.5,
        mistakes=(Mistake("no biases", 9484, "You counted the weights only; every map and every unit has a bias."),
                  Mistake("one input channel for conv2", 7218,
                          "The second convolution reads all 12 maps of the first: each of its filters is 12 x 3 x 3."),
                  Mistake("one pooling forgotten", 28026,
                          "After two 2x2 poolings the 8x8 maps are 2x2, so the first fully-connected layer reads "
                          "24 x 2 x 2 = 96 numbers, not 24 x 4 x 4.")),
    ),
    Question(
        id="4.10", title="What LeNet read in 1989", section="ch4b-story",
        statement="What did LeCun and colleagues' 1989 convolutional network, trained end to end by backpropagation, "
                  "learn to read?",
        choices={"a": "The MNIST digits",
                 "b": "Handwritten zip codes from US mail: 7,291 training digits of 16x16 pixels",
                 "c": "Bank cheques, millions a day"},
        answer="b",
        mistakes=(Mistake("MNIST", "a",
                          "The course's source document says so, and it is wrong: MNIST was assembled later and "
                          "belongs to LeNet-5 and the 1998 paper."),
                  Mistake("cheques", "c", "The cheque reader was built on LeNet-5, described in 1998.")),
    ),
    Question(
        id="4.11", title="Which of AlexNet's ingredients won here", section="ch4-alexnet",
        statement=("This chapter tries AlexNet's ingredients one at a time on a 25-thousand-parameter ConvNet for "
                   "the 8x8 digits, eight epochs with Adam. Which one gives a clear win that the notebook asserts?"),
        choices={"a": "Dropout: a smaller gap between training and test loss in every seed",
                 "b": "ReLU instead of tanh: six times faster training",
                 "c": "Augmentation with one-pixel shifts: far better accuracy on shifted test digits"},
        answer="c",
        mistakes=(Mistake("dropout", "a",
                          "Over three seeds dropout ends with a higher training loss and a lower test accuracy, and "
                          "the gap moves either way: this small network underfits, so it has nothing to regularise."),
                  Mistake("ReLU", "b",
                          "The six-fold speed-up was measured in the paper on CIFAR-10 with SGD; here, with Adam, the "
                          "difference is small and changes with the seed.")),
    ),
    Question(
        id="4.13", title="What the neocognitron lacked", section="ch4-neocognitron",
        statement=("Fukushima's neocognitron (1980) and LeCun's networks of 1989-1990 look alike. What did LeCun's "
                   "networks have that the neocognitron did not?"),
        choices={"a": "Units that detect one pattern with the same weights at every position",
                 "b": "Layers that respond if any unit in a small neighbourhood below does, absorbing small shifts",
                 "c": "Training of every layer for one goal, by backpropagating the output error"},
        answer="c",
        mistakes=(Mistake("shared weights", "a",
                          "The neocognitron's S-cells already detected one pattern with the same weights at every "
                          "position: weight sharing is Fukushima's."),
                  Mistake("pooling", "b",
                          "Those are the neocognitron's C-cells, the ancestor of pooling. Its S-cells organised "
                          "themselves by a local rule without labels; nothing trained all layers together.")),
    ),
    Exercise(
        id="4.12",
        title="How far one unit sees",
        entry="receptive_field_size",
        reference=receptive_field_size,
        cases=_rf_cases,
        run=_run_rf,
        statement=(
            "A unit's receptive field is the patch of input pixels that can change it. Write "
            "`receptive_field_size(layers)` for a stack of convolutions and poolings with square windows, given as "
            "a list of `(kernel_size, stride)` pairs from the input up, that returns the side (an int) of the "
            "receptive field of one unit of the last layer. Work it out from the bottom: one unit of a $k \\times "
            "k$ layer reads $k$ neighbouring units of the layer below, and neighbouring units of a layer are as "
            "far apart, in input pixels, as the product of the strides beneath them. The chapter measures the "
            "answer by backpropagating from one unit (a 3x3 convolution reaches 3x3 pixels, two reach 5x5)."),
        stub=("def receptive_field_size(layers):\n"
              "    # layers: [(kernel_size, stride), ...] from the input up -> the side in input pixels\n"
              "    raise NotImplementedError\n"),
        section="ch4-receptive-field",
        forbidden=("dlcourse.experiments.receptive_field",),
        mistakes=(
            Mistake("strides ignored", _rf_no_stride,
                    "You added k - 1 for every layer, which is right only when every stride is 1. After a layer "
                    "with stride s, neighbouring units are s input pixels apart, so the next layer's k - 1 extra "
                    "units add (k - 1) times the product of the strides beneath it."),
            Mistake("stride counted too early", _rf_stride_too_early,
                    "You multiplied in a layer's own stride before adding its k - 1. A layer's stride spaces out "
                    "the units of the layers ABOVE it; its own window steps over units of the layer below."),
            Mistake("kernels multiplied", _rf_kernels_multiplied,
                    "Two 3x3 layers see 5x5 pixels, not 9x9: the windows of neighbouring units overlap, so the "
                    "sizes grow by adding k - 1, not by multiplying."),
        ),
    ),
]
EXERCISES += SECTIONS
