"""Chapter 2 exercises: the perceptron and the AI winter (book: ``book/ch2_perceptron``)."""
from __future__ import annotations

import torch

from dlcourse.models.gmdh import fit_quadratic_unit, quadratic_features
from dlcourse.nn.perceptron import delta_rule_update, perceptron_update

from .spec import Case, Exercise, Mistake, Question

__all__ = ["EXERCISES", "xor_network_weights"]

D = torch.float64


# ------------------------------------------------------------------------------------------------- 2.1 perceptron


def _perceptron_cases() -> list[Case]:
    w = torch.tensor([[0.5, -1.0]], dtype=D)
    b = torch.tensor([0.25], dtype=D)
    w3 = torch.tensor([[0.2, -0.4, 1.0]], dtype=D)
    return [
        Case(args=(w, b, torch.tensor([1.0, 1.0], dtype=D), 1, 0.5), note="a misclassified positive point"),
        Case(args=(w, b, torch.tensor([-1.0, 2.0], dtype=D), -1, 0.5), note="a correctly classified negative point"),
        Case(args=(w, b, torch.tensor([2.0, 0.5], dtype=D), -1, 1.0), note="a misclassified negative point"),
        Case(args=(torch.zeros(1, 2, dtype=D), torch.zeros(1, dtype=D), torch.tensor([1.0, -2.0], dtype=D), 1, 1.0),
             note="zero weights: the score is 0, which counts as a mistake"),
        Case(args=(w3, torch.tensor([-0.1], dtype=D), torch.tensor([1.0, 2.0, 0.5], dtype=D), 1, 0.1),
             note="3 inputs, a misclassified point"),
    ]


def _p_sign_flipped(weight, bias, x, y, lr=1.0):
    if y * ((weight[0] * x).sum() + bias[0]).item() <= 0:
        return weight - lr * y * x.unsqueeze(0), bias - lr * y
    return weight.clone(), bias.clone()


def _p_no_bias(weight, bias, x, y, lr=1.0):
    if y * ((weight[0] * x).sum() + bias[0]).item() <= 0:
        return weight + lr * y * x.unsqueeze(0), bias.clone()
    return weight.clone(), bias.clone()


def _p_always(weight, bias, x, y, lr=1.0):
    return weight + lr * y * x.unsqueeze(0), bias + lr * y


def _p_strict(weight, bias, x, y, lr=1.0):
    if y * ((weight[0] * x).sum() + bias[0]).item() < 0:
        return weight + lr * y * x.unsqueeze(0), bias + lr * y
    return weight.clone(), bias.clone()


# ------------------------------------------------------------------------------------------------- 2.2 XOR network


def xor_network_weights() -> dict[str, torch.Tensor]:
    """Weights of a 2-2-1 network of threshold units (output 1 when the weighted sum is >= 0) computing XOR.

    Hidden unit 1 is OR (x1 + x2 - 0.5 >= 0), hidden unit 2 is AND (x1 + x2 - 1.5 >= 0), and the output fires
    for "OR and not AND" (h1 - h2 - 0.5 >= 0).
    """
    return {
        "W1": torch.tensor([[1.0, 1.0], [1.0, 1.0]], dtype=D), "b1": torch.tensor([-0.5, -1.5], dtype=D),
        "W2": torch.tensor([[1.0, -1.0]], dtype=D), "b2": torch.tensor([-0.5], dtype=D),
    }


def _threshold_net(params, X: torch.Tensor) -> torch.Tensor:
    if not isinstance(params, dict) or set(params) != {"W1", "b1", "W2", "b2"}:
        raise ValueError("return a dict with exactly the keys 'W1', 'b1', 'W2', 'b2'")
    p = {k: torch.as_tensor(v, dtype=D) for k, v in params.items()}
    shapes = {"W1": (2, 2), "b1": (2,), "W2": (1, 2), "b2": (1,)}
    for k, s in shapes.items():
        if tuple(p[k].shape) != s:
            raise ValueError(f"{k} must have shape {s}, got {tuple(p[k].shape)}")
    h = (X @ p["W1"].T + p["b1"] >= 0).to(D)
    return (h @ p["W2"].T + p["b2"] >= 0).to(D).squeeze(1)


def _run_xor(entry, case: Case):
    return _threshold_net(entry(), *case.args)


def _xor_cases() -> list[Case]:
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=D)
    return [Case(args=(X,), note="the four XOR inputs"),
            Case(args=(X.flip(0).repeat(2, 1),), note="the four inputs reversed, twice")]


def _xor_or():
    w = xor_network_weights()
    w["W2"], w["b2"] = torch.tensor([[1.0, 0.0]], dtype=D), torch.tensor([-0.5], dtype=D)
    return w


def _xor_and_sign():
    w = xor_network_weights()
    w["W2"] = torch.tensor([[1.0, 1.0]], dtype=D)
    return w


def _xor_no_hidden_bias():
    w = xor_network_weights()
    w["b1"] = torch.zeros(2, dtype=D)
    return w


# ------------------------------------------------------------------------------------------------- 2.3 delta rule


def _delta_cases() -> list[Case]:
    g = torch.Generator().manual_seed(23)
    cases = []
    for n, d, lr in ((1, 2, 0.1), (5, 3, 0.05), (8, 1, 0.2)):
        cases.append(Case(args=(torch.randn(1, d, generator=g, dtype=D), torch.randn(1, generator=g, dtype=D),
                                torch.randn(n, d, generator=g, dtype=D), torch.randn(n, generator=g, dtype=D), lr),
                          note=f"a batch of {n} examples with {d} inputs"))
    return cases


def _d_sign(weight, bias, x, y, lr=0.01):
    error = (x @ weight.T).squeeze(1) + bias - y
    n = x.shape[0]
    return weight + (lr / n) * (error @ x).unsqueeze(0), bias + (lr / n) * error.sum()


def _d_no_bias(weight, bias, x, y, lr=0.01):
    error = y - (x @ weight.T).squeeze(1) - bias
    return weight + (lr / x.shape[0]) * (error @ x).unsqueeze(0), bias.clone()


def _d_sum(weight, bias, x, y, lr=0.01):
    error = y - (x @ weight.T).squeeze(1) - bias
    return weight + lr * (error @ x).unsqueeze(0), bias + lr * error.sum()


def _d_threshold(weight, bias, x, y, lr=0.01):
    out = (x @ weight.T).squeeze(1) + bias
    error = y - torch.where(out >= 0, 1.0, -1.0).to(D)
    n = x.shape[0]
    return weight + (lr / n) * (error @ x).unsqueeze(0), bias + (lr / n) * error.sum()


def _d_double(weight, bias, x, y, lr=0.01):
    error = y - (x @ weight.T).squeeze(1) - bias
    n = x.shape[0]
    return weight + (2 * lr / n) * (error @ x).unsqueeze(0), bias + (2 * lr / n) * error.sum()


# ------------------------------------------------------------------------------------------------- 2.4 GMDH unit


def _gmdh_cases() -> list[Case]:
    g = torch.Generator().manual_seed(24)
    cases = []
    for n in (12, 40):
        a, b = torch.randn(n, generator=g, dtype=D), torch.randn(n, generator=g, dtype=D)
        y = 1.0 + a - 2 * b + 0.5 * a * b + 0.3 * a * a - b * b + 0.1 * torch.randn(n, generator=g, dtype=D)
        cases.append(Case(args=(a, b, y), note=f"{n} noisy samples of a quadratic"))
    a, b = torch.rand(15, generator=g, dtype=D) * 2 - 1, torch.rand(15, generator=g, dtype=D) * 2 - 1
    cases.append(Case(args=(a, b, torch.sin(3 * a) * torch.cos(b)), note="15 samples of a non-polynomial target"))
    return cases


def _lstsq(F, y):
    return torch.linalg.lstsq(F, y.unsqueeze(1), driver="gelsd").solution.squeeze(1)


def _g_no_cross(a, b, y):
    F = torch.stack([torch.ones_like(a), a, b, a * a, b * b], 1)
    c = _lstsq(F, y)
    return torch.stack([c[0], c[1], c[2], torch.zeros_like(c[0]), c[3], c[4]])


def _g_no_constant(a, b, y):
    F = quadratic_features(a, b)[:, 1:]
    return torch.cat([torch.zeros(1, dtype=y.dtype), _lstsq(F, y)])


def _g_linear(a, b, y):
    F = quadratic_features(a, b)[:, :3]
    return torch.cat([_lstsq(F, y), torch.zeros(3, dtype=y.dtype)])


EXERCISES = [
    Exercise(
        id="2.2",
        title="Weights for an XOR network",
        entry="xor_network_weights",
        reference=xor_network_weights,
        cases=_xor_cases,
        run=_run_xor,
        statement=(
            "No single threshold unit computes XOR, but two layers do. Write `xor_network_weights()` returning a "
            "dict with `W1` (2, 2), `b1` (2,), `W2` (1, 2), `b2` (1,) such that the network "
            "$h = [x W_1^\\top + b_1 \\ge 0]$, $o = [h W_2^\\top + b_2 \\ge 0]$ (the brackets give 1 or 0) outputs "
            "1 exactly when one of the two binary inputs is 1. Hint: XOR is OR and not AND."),
        stub=("import torch\n\n"
              "def xor_network_weights():\n"
              "    # return {'W1': ..., 'b1': ..., 'W2': ..., 'b2': ...}\n"
              "    raise NotImplementedError\n"),
        section="ch2-hidden-layer",
        forbidden=("dlcourse.exercises.ch2",),
        mistakes=(
            Mistake("output copies OR", _xor_or,
                    "Your network computes OR: it says 1 for (1, 1). The output unit must also be inhibited "
                    "by an AND-like hidden unit (a negative weight)."),
            Mistake("output weights both positive", _xor_and_sign,
                    "With both output weights positive the AND unit excites the output instead of inhibiting "
                    "it, so (1, 1) gives 1. Give the AND unit a negative weight."),
            Mistake("no hidden biases", _xor_no_hidden_bias,
                    "Without thresholds (biases) in the hidden layer, the hidden units fire even for input "
                    "(0, 0). Each hidden unit needs its own threshold, e.g. -0.5 for OR and -1.5 for AND."),
        ),
    ),
    Exercise(
        id="2.4",
        title="One GMDH unit by least squares",
        entry="fit_quadratic_unit",
        reference=fit_quadratic_unit,
        cases=_gmdh_cases,
        rtol=1e-6, atol=1e-7,
        statement=(
            "Ivakhnenko's units are quadratic polynomials of two inputs, "
            "$u = c_0 + c_1 a + c_2 b + c_3 ab + c_4 a^2 + c_5 b^2$. Write `fit_quadratic_unit(a, b, y)` (each (N,), "
            "float64) returning the six coefficients (6,) in that order that minimise $\\sum_n (u_n - y_n)^2$. "
            "Build the (N, 6) design matrix and solve the normal equations, e.g. with `torch.linalg.solve`."),
        stub=("import torch\n\n"
              "def fit_quadratic_unit(a, b, y):\n"
              "    # a, b, y: (N,) -> (6,) coefficients of [1, a, b, a*b, a^2, b^2]\n"
              "    raise NotImplementedError\n"),
        section="ch2-gmdh",
        forbidden=("dlcourse.models.gmdh", "torch.linalg.lstsq", "numpy.linalg.lstsq"),
        mistakes=(
            Mistake("no cross term", _g_no_cross,
                    "Your unit has no a*b term. The cross term is what lets GMDH layers build interactions "
                    "between inputs; include it (column 4)."),
            Mistake("no constant", _g_no_constant,
                    "You left out the constant column of ones, so the fitted surface is forced through 0."),
            Mistake("linear only", _g_linear,
                    "You fitted only 1, a and b: a linear unit. Ivakhnenko's units are quadratic."),
        ),
    ),
]

# ------------------------------------------------------------------------------------------- graded questions

QUESTIONS = [
    Question(
        id="2.5", title="Inhibition in 1943", section="ch2-mcculloch-pitts",
        statement="In McCulloch and Pitts's 1943 model, what does one active inhibitory input do?",
        choices={"a": "It subtracts 1 from the weighted sum.",
                 "b": "It stops the unit from firing, however many excitatory inputs are active.",
                 "c": "Nothing, unless the threshold is 0."},
        answer="b",
        mistakes=(Mistake("a weight of -1", "a",
                          "A weight of -1 is the modern reading. In the 1943 paper inhibition is absolute: a veto "
                          "that no amount of excitation overcomes."),),
    ),
    Question(
        id="2.6", title="The best line for XOR", section="ch2-xor",
        statement="At most how many of the four XOR points can a single straight line classify correctly?",
        answer=3, atol=1e-9,
        mistakes=(Mistake("all four", 4, "No line separates XOR's classes: the midpoint argument rules out four."),
                  Mistake("two", 2, "A line can do better than chance: put one corner alone on its side.")),
    ),
    Question(
        id="2.7", title="How GMDH fits a unit", section="ch2-gmdh",
        statement="How did Ivakhnenko's Group Method of Data Handling fit the six coefficients of each unit?",
        choices={"a": "By backpropagating the output error through the layers above",
                 "b": "By least squares against the final target, one layer at a time",
                 "c": "By Rosenblatt's perceptron rule"},
        answer="b",
        mistakes=(Mistake("backpropagation", "a",
                          "GMDH never needed backpropagation: each unit is fitted directly to the final target."),),
    ),
]
EXERCISES += QUESTIONS

# ------------------------------------------------------------ second edition: derivations instead of formulas

DERIVED = [
    Exercise(
        id="2.8",
        title="The perceptron rule, derived",
        entry="perceptron_update",
        reference=perceptron_update,
        cases=_perceptron_cases,
        statement=(
            "Rosenblatt's rule can be read as gradient descent. For one example with label $y \\in \\{-1, +1\\}$ "
            "take the *perceptron loss* $\\ell(w, b) = \\max\\big(0,\\, -y\\,(w \\cdot x + b)\\big)$: zero when "
            "the point lies on its correct side, growing the further it lies on the wrong side. Derive "
            "$\\partial \\ell / \\partial w$ and $\\partial \\ell / \\partial b$ on each side of the kink, and "
            "write `perceptron_update(weight, bias, x, y, lr)` that takes one gradient step of size `lr`. A point "
            "exactly on the boundary ($y\\,(w \\cdot x + b) = 0$) counts as a mistake: take the gradient from the "
            "mistake side there, or training from zero weights would never start. `weight` has shape (1, d), "
            "`bias` (1,), `x` (d,); return new tensors `(weight, bias)` and leave the inputs unchanged."),
        stub=("def perceptron_update(weight, bias, x, y, lr=1.0):\n"
              "    # weight (1, d), bias (1,), x (d,), y in {-1, +1}\n"
              "    raise NotImplementedError\n"),
        section="ch2-perceptron-rule",
        forbidden=("dlcourse.nn.perceptron",),
        mistakes=(
            Mistake("sign flipped", _p_sign_flipped,
                    "On a mistake you moved w away from y*x. The loss's gradient on a mistake is -y*x, so a step "
                    "down it adds eta*y*x, turning the boundary towards classifying the point correctly."),
            Mistake("bias not updated", _p_no_bias,
                    "Your weights change but the bias does not. The loss depends on b too: d(loss)/db = -y on a "
                    "mistake, so the bias moves by eta*y."),
            Mistake("updates on correct points", _p_always,
                    "You updated on a point that was already classified correctly. There the loss is 0 and flat: "
                    "its gradient is 0, so nothing changes."),
            Mistake("strict inequality", _p_strict,
                    "A score of exactly 0 (for example with zero weights) is a mistake too: take the gradient "
                    "from the mistake side when y*(w.x+b) <= 0, not < 0, or training from zero never starts."),
        ),
    ),
    Exercise(
        id="2.9",
        title="The delta rule (Widrow-Hoff), derived",
        entry="delta_rule_update",
        reference=delta_rule_update,
        cases=_delta_cases,
        statement=(
            "ADALINE's unit has a linear output $o = x w^\\top + b$ and learns by lowering the squared error "
            "$L(w, b) = \\tfrac{1}{2N} \\sum_n (y_n - o_n)^2$ over a batch. Differentiate $L$ with respect to $w$ "
            "and $b$ by hand, and write `delta_rule_update(weight, bias, x, y, lr)` that returns the weights after "
            "one gradient-descent step of size `lr`, without autograd: `weight` (1, d), `bias` (1,), `x` (N, d), "
            "real targets `y` (N,). Check your derivative on one example: which way must $w$ move when the output "
            "is too small?"),
        stub=("def delta_rule_update(weight, bias, x, y, lr=0.01):\n"
              "    # weight (1, d), bias (1,), x (N, d), y (N,)\n"
              "    raise NotImplementedError\n"),
        section="ch2-delta-rule",
        forbidden=("dlcourse.nn.perceptron", "torch.optim", "torch.autograd"),
        mistakes=(
            Mistake("error sign flipped", _d_sign,
                    "You used o - y as the error and then added it: that climbs the squared error instead of "
                    "descending it. Use e = y - o with a plus sign (or o - y with a minus)."),
            Mistake("bias not updated", _d_no_bias,
                    "The bias is a weight on a constant input 1; its update is eta times the mean error."),
            Mistake("the 1/2 not cancelled", _d_double,
                    "Your step is twice too large: the derivative of (1/2) e^2 is e (times de/dw), the 2 of the "
                    "square cancels the 1/2."),
            Mistake("sum instead of mean", _d_sum,
                    "Your step is N times too large: the loss is a mean over the batch, so divide by N."),
            Mistake("thresholded output", _d_threshold,
                    "You used the thresholded output sign(o) in the error. That is the perceptron's signal; the "
                    "delta rule uses the linear output o itself, so it learns even from correct points."),
        ),
    ),
]

HISTORY = [
    Question(
        id="2.10", title="What Cortes and Vapnik added", section="ch2-svm",
        statement=("Support vector machines became neural networks' rival in the 1990s. Boser, Guyon and Vapnik "
                   "combined the widest margin with kernels in 1992. What did Cortes and Vapnik add in 1995?"),
        choices={"a": "The kernel trick, which makes the separating surface non-linear",
                 "b": "The soft margin, which tolerates classes that overlap",
                 "c": "Training by backpropagation through a hidden layer"},
        answer="b",
        mistakes=(Mistake("kernels", "a",
                          "Kernels were already in Boser, Guyon and Vapnik's 1992 paper; 1995 made the margin soft, "
                          "so that overlapping classes no longer make the problem infeasible."),
                  Mistake("backpropagation", "c",
                          "An SVM has no hidden layer to backpropagate through: it solves one convex problem with a "
                          "unique solution, which was part of its appeal.")),
    ),
]
EXERCISES += DERIVED + HISTORY
