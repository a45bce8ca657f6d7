"""Chapter 3 exercises: backpropagation (book: ``book/ch3_backprop``)."""
from __future__ import annotations

import math

import torch

from dlcourse.autograd.backprop import MLP
from dlcourse.autograd.gradcheck import numerical_gradient
from dlcourse.autograd.tensor import unbroadcast
from dlcourse.experiments.descent import line_grad

from .spec import Case, Exercise, Mistake, Question

__all__ = ["EXERCISES", "mul_tanh_backward", "mlp_backward", "central_difference", "TEST_FUNCTIONS"]

D = torch.float64


# ------------------------------------------------------------------------------------------ 3.1 scalar backward


def mul_tanh_backward(x: float, y: float, out_grad: float, x_grad: float, y_grad: float) -> tuple[float, float]:
    """Backward of :math:`z = \\tanh(x y)` for scalars: return the new ``(x.grad, y.grad)`` after adding this
    node's contribution, :math:`\\bar x \\mathrel{+}= \\bar z (1 - z^2) y` and likewise for ``y``."""
    z = math.tanh(x * y)
    local = (1.0 - z * z) * out_grad
    return x_grad + local * y, y_grad + local * x


def _mul_tanh_cases() -> list[Case]:
    return [
        Case(args=(0.5, -1.5, 1.0, 0.0, 0.0), note="fresh gradients, out.grad = 1"),
        Case(args=(2.0, 0.25, -0.5, 0.0, 0.0), note="out.grad = -0.5"),
        Case(args=(0.3, 0.7, 1.0, 0.2, -1.0), note="x and y already hold gradients from another use"),
        Case(args=(-1.2, 0.4, 2.0, 1.5, 0.5), note="accumulated gradients, out.grad = 2"),
    ]


def _mt_overwrite(x, y, out_grad, x_grad, y_grad):
    z = math.tanh(x * y)
    local = (1.0 - z * z) * out_grad
    return local * y, local * x


def _mt_swapped(x, y, out_grad, x_grad, y_grad):
    z = math.tanh(x * y)
    local = (1.0 - z * z) * out_grad
    return x_grad + local * x, y_grad + local * y


def _mt_no_tanh_derivative(x, y, out_grad, x_grad, y_grad):
    return x_grad + out_grad * y, y_grad + out_grad * x


def _mt_tanh_of_input(x, y, out_grad, x_grad, y_grad):
    local = (1.0 - (x * y) ** 2) * out_grad
    return x_grad + local * y, y_grad + local * x


# ------------------------------------------------------------------------------------------ 3.2 MLP backward


def mlp_backward(x: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor,
                 grad_output: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gradients of a two-layer sigmoid MLP :math:`y = \\sigma(x W_1^\\top + b_1) W_2^\\top + b_2` by the rules,
    given :math:`\\partial L/\\partial y`; returns ``{"W1", "b1", "W2", "b2"}`` in torch's layouts."""
    net = MLP([W1.shape[1], W1.shape[0], W2.shape[0]], "sigmoid", dtype=x.dtype)
    net.load_state_dict({"0.weight": W1, "0.bias": b1, "2.weight": W2, "2.bias": b2})
    net(x)
    g = net.backward(grad_output)
    return {"W1": g["0.weight"], "b1": g["0.bias"], "W2": g["2.weight"], "b2": g["2.bias"]}


def _mlp_cases() -> list[Case]:
    cases = []
    for seed, (n, i, h, o) in enumerate([(4, 3, 5, 2), (1, 2, 3, 1), (6, 4, 4, 3)]):
        g = torch.Generator().manual_seed(100 + seed)
        r = lambda *s, g=g: torch.randn(*s, generator=g, dtype=D)  # noqa: E731
        cases.append(Case(args=(r(n, i), r(h, i), r(h), r(o, h), r(o), r(n, o)),
                          note=f"batch {n}, sizes {i}-{h}-{o}"))
    return cases


def _mlp_forward(x, W1, b1):
    z1 = x @ W1.T + b1
    return z1, torch.sigmoid(z1)


def _mb_transposed(x, W1, b1, W2, b2, grad_output):
    z1, a1 = _mlp_forward(x, W1, b1)
    g1 = (grad_output @ W2) * a1 * (1 - a1)
    # weight gradient as X^T G: the (in, out) layout, not nn.Linear's (out, in)
    return {"W1": x.T @ g1, "b1": g1.sum(0), "W2": a1.T @ grad_output, "b2": grad_output.sum(0)}


def _mb_no_derivative(x, W1, b1, W2, b2, grad_output):
    z1, a1 = _mlp_forward(x, W1, b1)
    g1 = grad_output @ W2
    return {"W1": g1.T @ x, "b1": g1.sum(0), "W2": grad_output.T @ a1, "b2": grad_output.sum(0)}


def _mb_derivative_of_output(x, W1, b1, W2, b2, grad_output):
    z1, a1 = _mlp_forward(x, W1, b1)
    s = torch.sigmoid(a1)            # sigma'(a) instead of sigma'(z)
    g1 = (grad_output @ W2) * s * (1 - s)
    return {"W1": g1.T @ x, "b1": g1.sum(0), "W2": grad_output.T @ a1, "b2": grad_output.sum(0)}


def _mb_bias_mean(x, W1, b1, W2, b2, grad_output):
    z1, a1 = _mlp_forward(x, W1, b1)
    g1 = (grad_output @ W2) * a1 * (1 - a1)
    return {"W1": g1.T @ x, "b1": g1.mean(0), "W2": grad_output.T @ a1, "b2": grad_output.mean(0)}


# ------------------------------------------------------------------------------------------ 3.3 central differences


def _f_quadratic(x):
    return float((x ** 2).sum() + 3 * x[0] * x[-1])


def _f_smooth(x):
    return float(torch.tanh(x).sum() * torch.exp(-0.5 * (x ** 2).sum()) + torch.sin(3 * x).prod())


def _f_logsumexp(x):
    return float(torch.logsumexp(2 * x, dim=0) + (x ** 3).sum() / 3)


#: The functions the 3.3 cases differentiate, by name (cases hold names so they stay plain data).
TEST_FUNCTIONS = {"quadratic": _f_quadratic, "smooth": _f_smooth, "logsumexp": _f_logsumexp}


def central_difference(f, x: torch.Tensor, h: float = 1e-3) -> torch.Tensor:
    """Central-difference gradient of a scalar function ``f`` of a 1-D float64 tensor ``x``:
    :math:`(f(x + h e_i) - f(x - h e_i)) / 2h` for each ``i``; ``x`` is left unchanged."""
    work = x.clone()
    return numerical_gradient(lambda: f(work), work, h)


def _cd_cases() -> list[Case]:
    return [
        Case(args=("quadratic", torch.tensor([1.0, -2.0, 0.5], dtype=D), 1e-3), note="a quadratic, 3 inputs"),
        Case(args=("smooth", torch.tensor([0.3, -0.7, 1.1, 0.2], dtype=D), 1e-3), note="tanh, exp and sin, 4 inputs"),
        Case(args=("logsumexp", torch.tensor([0.5, 1.5], dtype=D), 1e-2), note="logsumexp and a cubic, h = 0.01"),
    ]


def _run_cd(entry, case: Case):
    name, x, h = case.args
    x_in = x.clone()
    grad = entry(TEST_FUNCTIONS[name], x_in, h)
    return {"gradient": torch.as_tensor(grad, dtype=D), "x_after": x_in}


def _cd_one_sided(f, x, h=1e-3):
    g = torch.zeros_like(x)
    fx = f(x)
    for i in range(len(x)):
        e = torch.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - fx) / h
    return g


def _cd_no_half(f, x, h=1e-3):
    g = torch.zeros_like(x)
    for i in range(len(x)):
        e = torch.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / h
    return g


def _cd_not_restored(f, x, h=1e-3):
    g = torch.zeros_like(x)
    for i in range(len(x)):
        x[i] += h
        fp = f(x)
        x[i] -= 2 * h
        fm = f(x)
        g[i] = (fp - fm) / (2 * h)      # x[i] is left at x[i] - h
    return g


# ------------------------------------------------------------------------------------------ 3.4 unbroadcast


def _unbroadcast_cases() -> list[Case]:
    g = torch.Generator().manual_seed(7)
    r = lambda *s: torch.randn(*s, generator=g, dtype=D)  # noqa: E731
    return [
        Case(args=(r(4, 3), (3,)), note="a bias (3,) added to a batch (4, 3)"),
        Case(args=(r(4, 3), (4, 1)), note="a column (4, 1) added to (4, 3)"),
        Case(args=(r(2, 3, 4), (3, 1)), note="(3, 1) broadcast to (2, 3, 4)"),
        Case(args=(r(2, 3), (2, 3)), note="no broadcasting"),
        Case(args=(r(5, 2), ()), note="a scalar added to (5, 2)"),
    ]


def _ub_leading_only(grad, shape):
    extra = grad.ndim - len(shape)
    return grad.sum(dim=tuple(range(extra))) if extra else grad


def _ub_no_keepdim(grad, shape):
    grad = _ub_leading_only(grad, shape)
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(dim=axes) if axes else grad


def _ub_mean(grad, shape):
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.mean(dim=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.mean(dim=axes, keepdim=True) if axes else grad


EXERCISES = [
    Exercise(
        id="3.2",
        title="An MLP's backward pass by the rules",
        entry="mlp_backward",
        reference=mlp_backward,
        cases=_mlp_cases,
        statement=(
            "The network is $Z_1 = X W_1^\\top + b_1$, $A_1 = \\sigma(Z_1)$, $Y = A_1 W_2^\\top + b_2$ with "
            "`x` (N, in), `W1` (hidden, in), `b1` (hidden,), `W2` (out, hidden), `b2` (out,), laid out like "
            "`nn.Linear`. Given `grad_output` $= \\partial L/\\partial Y$ (N, out), return a dict with the "
            "gradients `'W1'`, `'b1'`, `'W2'`, `'b2'` (same shapes as the parameters), using the three rules: "
            "through a weight matrix multiply by its transpose; through a function multiply elementwise by its "
            "derivative at the forward input; a weight's gradient is the layer input transposed times the "
            "backward signal. Use plain tensor operations, not autograd."),
        stub=("import torch\n\n"
              "def mlp_backward(x, W1, b1, W2, b2, grad_output):\n"
              "    # forward: cache what the backward pass needs, then apply the rules from the top down\n"
              "    raise NotImplementedError\n"),
        section="ch3-rules",
        forbidden=("dlcourse.autograd.backprop", "dlcourse.exercises.ch3", "torch.autograd"),
        mistakes=(
            Mistake("weight gradient transposed", _mb_transposed,
                    "Your weight gradients have shape (in, out): X^T G. nn.Linear stores W as (out, in), so its "
                    "gradient is G^T X, the same numbers transposed."),
            Mistake("sigmoid derivative missing", _mb_no_derivative,
                    "The signal went through W2 but not through the sigmoid: multiply it elementwise by "
                    "sigma(z1) * (1 - sigma(z1)) before computing W1's gradient."),
            Mistake("derivative at the wrong point", _mb_derivative_of_output,
                    "You evaluated the sigmoid's derivative at its output a1 = sigma(z1); evaluate it at the "
                    "forward input z1: sigma'(z1) = a1 * (1 - a1)."),
            Mistake("bias gradient averaged", _mb_bias_mean,
                    "The bias is added to every row of the batch, so its gradient is the sum of the rows of the "
                    "backward signal, not their mean (grad_output already carries any 1/N)."),
        ),
    ),
    Exercise(
        id="3.4",
        title="Un-broadcasting a gradient",
        entry="unbroadcast",
        reference=unbroadcast,
        cases=_unbroadcast_cases,
        statement=(
            "When an input of shape `shape` is broadcast to a larger result, every copy contributes to its "
            "gradient. Write `unbroadcast(grad, shape)` that sums `grad` (the result's gradient) down to exactly "
            "`shape`: over the leading axes broadcasting added, then over every axis where `shape` has size 1, "
            "keeping that axis."),
        stub=("import torch\n\n"
              "def unbroadcast(grad, shape):\n"
              "    raise NotImplementedError\n"),
        section="ch3-tensor",
        forbidden=("dlcourse.autograd", "dlcourse.exercises.ch3", "torch.autograd", "torch.Tensor.sum_to_size"),
        mistakes=(
            Mistake("size-1 axes not summed", _ub_leading_only,
                    "You summed the added leading axes but not the axes where the input had size 1: a (4, 1) "
                    "column used 3 times across (4, 3) needs the sum over axis 1."),
            Mistake("axis dropped", _ub_no_keepdim,
                    "You summed the size-1 axes away; keep them (keepdim=True) so the result has exactly the "
                    "input's shape."),
            Mistake("mean instead of sum", _ub_mean,
                    "Each copy of a broadcast value adds its own contribution to the gradient, so they are "
                    "summed, not averaged."),
        ),
    ),
]

# ------------------------------------------------------------------------------------------- graded questions

QUESTIONS = [
    Question(
        id="3.5", title="The cost of a finite-difference gradient", section="ch3-gradcheck",
        statement=("A network has $P = 1{,}000{,}000$ weights. How many evaluations of the loss does a gradient by "
                   "central differences need?"),
        answer=2_000_000, rtol=1e-9,
        mistakes=(Mistake("one per weight", 1_000_000,
                          "A central difference evaluates the loss twice per weight, at theta + h and theta - h."),
                  Mistake("one-sided", 1_000_001,
                          "That is the one-sided difference (P + 1 evaluations); central differences need 2P.")),
    ),
    Question(
        id="3.6", title="Reverse mode, 1970", section="ch3-story",
        statement=("Who published the general reverse mode of automatic differentiation, with working code, in a "
                   "1970 master's thesis?"),
        choices={"a": "Rumelhart, Hinton and Williams", "b": "Seppo Linnainmaa", "c": "Paul Werbos"},
        answer="b",
        mistakes=(Mistake("the 1986 paper", "a",
                          "Their 1985 report and 1986 Nature paper made backpropagation famous; the method is older."),
                  Mistake("Werbos", "c",
                          "Werbos proposed applying reverse mode to neural networks, in 1974 and in print in 1982.")),
    ),
    Question(
        id="3.7", title="Ten sigmoid layers", section="ch3-vanishing",
        statement=("The sigmoid's derivative is at most $1/4$. Ignoring the weights, by at most what factor can "
                   "the derivatives of ten sigmoid layers scale the backward signal? (A number such as 1e-3.)"),
        answer=0.25 ** 10, rtol=1e-3,
        mistakes=(Mistake("added instead of multiplied", 2.5,
                          "The chain rule multiplies one derivative per layer; it does not add them."),
                  Mistake("one layer", 0.25, "That is one layer; ten layers multiply ten such factors.")),
    ),
    Question(
        id="3.8", title="Which frameworks are Value", section="ch3-next",
        statement="Which system computes gradients the way this chapter's `Value` does, by recording operations as "
                  "they run and walking the record backwards?",
        choices={"a": "Theano", "b": "PyTorch's autograd", "c": "TensorFlow 1"},
        answer="b",
        mistakes=(Mistake("static graphs", "a",
                          "Theano, like TensorFlow 1, first builds a static symbolic graph, then compiles and runs "
                          "it."),
                  Mistake("static graphs (TF1)", "c",
                          "TensorFlow 1 builds a static graph first; TensorFlow 2's GradientTape is the eager "
                          "one.")),
    ),
]
EXERCISES += QUESTIONS

# ------------------------------------------------------------------------------------------ 3.11 the line's gradient


def _line_cases() -> list[Case]:
    g = torch.Generator().manual_seed(311)
    cases = []
    for n, theta in ((1, (0.5, -0.25)), (16, (-1.0, 3.5)), (512, (2.0, -1.0))):
        x = torch.randn(n, generator=g, dtype=D) + 2
        y = 2 * x - 1 + 0.5 * torch.randn(n, generator=g, dtype=D)
        cases.append(Case(args=(torch.tensor(theta, dtype=D), x, y), note=f"a batch of {n}, (w, b) = {theta}"))
    return cases


def _lg_no_two(theta, x, y):
    r = theta[0] * x + theta[1] - y
    return torch.stack([(r * x).mean(), r.mean()])


def _lg_sum(theta, x, y):
    r = theta[0] * x + theta[1] - y
    return torch.stack([2 * (r * x).sum(), 2 * r.sum()])


def _lg_sign(theta, x, y):
    r = y - theta[0] * x - theta[1]
    return torch.stack([2 * (r * x).mean(), 2 * r.mean()])


def _lg_bias_times_x(theta, x, y):
    r = theta[0] * x + theta[1] - y
    return torch.stack([2 * (r * x).mean(), 2 * (r * x).mean()])


# ------------------------------------------------------------ second edition: derivations instead of formulas

DERIVED = [
    Exercise(
        id="3.9",
        title="The backward step of one operator, derived",
        entry="mul_tanh_backward",
        reference=mul_tanh_backward,
        cases=_mul_tanh_cases,
        statement=(
            "A node computes $z = \\tanh(x y)$ from two scalars. Write `mul_tanh_backward(x, y, out_grad, x_grad, "
            "y_grad)` returning the pair `(new_x_grad, new_y_grad)`: the gradients `x` and `y` hold after this "
            "node's backward step, given $\\bar z$ = `out_grad` $= \\partial L/\\partial z$ and the gradients "
            "they held before. Derive $\\partial z/\\partial x$ and $\\partial z/\\partial y$ yourself with the "
            "chain rule (the node is a product inside a tanh); it helps to write tanh's derivative in terms of its "
            "output $z$, which the forward pass has stored. Remember that `x` or `y` may be used elsewhere in the "
            "graph too."),
        stub=("import math\n\n"
              "def mul_tanh_backward(x, y, out_grad, x_grad, y_grad):\n"
              "    # return (new_x_grad, new_y_grad)\n"
              "    raise NotImplementedError\n"),
        section="ch3-scalar",
        forbidden=("dlcourse.autograd", "dlcourse.exercises.ch3", "torch.autograd"),
        mistakes=(
            Mistake("gradient overwritten", _mt_overwrite,
                    "You replaced x.grad instead of adding to it. A value used in several places receives one "
                    "contribution from each use: accumulate with +=."),
            Mistake("factors swapped", _mt_swapped,
                    "You multiplied x's gradient by x. The derivative of x*y with respect to x is y (the *other* "
                    "factor), and vice versa."),
            Mistake("tanh derivative missing", _mt_no_tanh_derivative,
                    "You passed the gradient through the product but not through tanh: multiply by 1 - z**2."),
            Mistake("tanh derivative at the input", _mt_tanh_of_input,
                    "You used 1 - (x*y)**2; the derivative of tanh is 1 - tanh(x*y)**2, i.e. 1 - z**2."),
        ),
    ),
    Exercise(
        id="3.10",
        title="A finite-difference gradient that is exact on quadratics",
        entry="finite_difference_gradient",
        reference=central_difference,
        cases=_cd_cases,
        run=_run_cd,
        statement=(
            "Every backward pass in this course is checked against a gradient computed from values of the function "
            "alone. Write `finite_difference_gradient(f, x, h)` for a function `f` that maps a 1-D float64 tensor to a "
            "float: return a tensor shaped like `x` whose entry `i` estimates $\\partial f/\\partial x_i$ from two "
            "evaluations of `f`, at points a step `h` along coordinate `i` from `x`. Choose the two points so that "
            "the estimate is *exact* for every quadratic $f$ (up to rounding), and so its error shrinks like $h^2$ "
            "for smooth $f$. Hint: write the Taylor expansion of $f$ around $x$ to second order and see which "
            "combination of two values cancels the second-order term. Leave `x` unchanged when you return (the "
            "check looks)."),
        stub=("import torch\n\n"
              "def finite_difference_gradient(f, x, h=1e-3):\n"
              "    raise NotImplementedError\n"),
        section="ch3-gradcheck",
        forbidden=("dlcourse.autograd.gradcheck", "dlcourse.exercises.ch3", "torch.autograd"),
        mistakes=(
            Mistake("one-sided difference", _cd_one_sided,
                    "You used (f(x + h) - f(x)) / h. Its Taylor expansion keeps the (h/2) f'' term, so it is not "
                    "exact on a quadratic and its error shrinks only like h. Step to both sides, x + h and x - h: "
                    "the second-order terms cancel."),
            Mistake("divided by h", _cd_no_half,
                    "The two points are 2h apart: divide by 2h, not h. Your gradient is twice too large."),
            Mistake("x not restored", _cd_not_restored,
                    "You perturbed x in place and left it moved by -h, so later coordinates (and the caller) "
                    "see a shifted x. Restore each entry after measuring, or work on a copy."),
        ),
    ),
]

SECTIONS = [
    Exercise(
        id="3.11",
        title="The gradient behind the descent paths",
        entry="line_grad",
        reference=line_grad,
        cases=_line_cases,
        statement=(
            "The descent experiment fits a line $\\hat y = w x + b$ by lowering the mean squared error "
            "$L(w, b) = \\frac1n \\sum_i (w x_i + b - y_i)^2$ over a batch of $n$ points: gradient descent uses "
            "all 512 points per step, minibatch descent 16, stochastic descent 1, but all three take the same "
            "gradient of their batch. Derive $\\partial L/\\partial w$ and $\\partial L/\\partial b$ and write "
            "`line_grad(theta, x, y)` returning them as a tensor `(2,)`, for `theta` $= (w, b)$ of shape (2,) and "
            "`x`, `y` of shape (n,), float64. No autograd. Then think: why does a batch of one point give a step "
            "in a direction that can make the loss on *all* points go up?"),
        stub=("import torch\n\n"
              "def line_grad(theta, x, y):\n"
              "    # theta = (w, b), shape (2,); x, y: (n,) -> tensor([dL/dw, dL/db])\n"
              "    raise NotImplementedError\n"),
        section="ch3-sgd",
        forbidden=("dlcourse.experiments.descent", "torch.autograd", "torch.func"),
        mistakes=(
            Mistake("the 2 of the square lost", _lg_no_two,
                    "Your gradient is half the true one: the derivative of r^2 is 2 r times dr/dw."),
            Mistake("sum instead of mean", _lg_sum,
                    "The loss is a MEAN over the batch, so its gradient is a mean too; a sum makes the step grow "
                    "with the batch size, and the same learning rate would then mean different things for GD and "
                    "SGD."),
            Mistake("residual sign flipped", _lg_sign,
                    "You used y - (w x + b) as the residual: that is minus the gradient, and a step along it goes "
                    "uphill."),
            Mistake("bias treated like the weight", _lg_bias_times_x,
                    "b enters the prediction with factor 1, not x: dL/db = (2/n) sum of the residuals."),
        ),
    ),
    Question(
        id="3.12", title="Counting steps", section="ch3-sgd",
        statement=("The chapter's descent experiment has 512 points and runs each method for 8 epochs (8 passes "
                   "over the data). How many parameter updates does minibatch descent with batches of 16 make?"),
        answer=256, atol=1e-9,
        mistakes=(Mistake("epochs", 8, "That is gradient descent's count: one step per pass. A pass in batches of "
                                       "16 takes 512 / 16 steps."),
                  Mistake("steps per epoch", 32, "That is one epoch; the run makes 8 of them."),
                  Mistake("stochastic", 4096, "That is stochastic descent's count, one step per example.")),
    ),
    Question(
        id="3.13", title="Eight patterns through three units", section="ch3-encoder",
        statement=("Rumelhart, Hinton and Williams's encoder maps 8 one-hot inputs through a hidden layer back to "
                   "the same 8 outputs. If every hidden unit could only be on or off, what is the fewest hidden "
                   "units that can still give the 8 inputs 8 different codes?"),
        answer=3, atol=1e-9,
        mistakes=(Mistake("one per pattern", 8,
                          "Eight units would be a one-hot code, one unit per pattern. Binary units can share: n of "
                          "them have 2^n on/off patterns."),
                  Mistake("half", 4, "Four binary units have 16 patterns; fewer suffice for 8.")),
    ),
    Question(
        id="3.14", title="Pre-training in 2006", section="ch3-pretraining",
        statement=("In 2006 Hinton, Osindero and Teh trained a deep belief network one layer at a time before "
                   "fine-tuning it. How was each layer trained?"),
        choices={"a": "As a restricted Boltzmann machine modelling the layer below, without labels",
                 "b": "As a classifier of the labels, one layer at a time",
                 "c": "As an autoencoder trained with backpropagation, which is the version this chapter runs"},
        answer="a",
        mistakes=(Mistake("supervised layers", "b",
                          "The pre-training used no labels at all; the labels came in only at fine-tuning."),
                  Mistake("autoencoders", "c",
                          "This chapter stacks autoencoders, the variant Bengio and colleagues showed in 2007 to work "
                          "as well; the 2006 paper used restricted Boltzmann machines.")),
    ),
    Question(
        id="3.15", title="What the pre-training experiment shows", section="ch3-pretraining",
        statement=("The chapter fine-tunes a 4-hidden-layer sigmoid network with plain SGD, once from pre-trained "
                   "weights and once from PyTorch's default random initialisation. What does the result show?"),
        choices={"a": "Deep networks need pre-training, today as in 2006.",
                 "b": "With plain SGD and default initialisation this deep sigmoid network stays near chance, while "
                      "the pre-trained one works; it says nothing about networks with ReLUs, careful "
                      "initialisation or better optimisers, which by 2010-2012 trained from random weights.",
                 "c": "Pre-training helps because it lets the network see the labels twice."},
        answer="b",
        mistakes=(Mistake("needed today", "a",
                          "ReLUs, careful initialisation and better optimisers trained deep networks from random "
                          "weights by 2010-2012; AlexNet used no pre-training."),
                  Mistake("labels twice", "c",
                          "Pre-training uses no labels; the stack learns to reconstruct its inputs.")),
    ),
]
EXERCISES += DERIVED + SECTIONS
