"""Chapter 1 exercises: why deep learning took off (book: ``book/ch1_history``)."""
from __future__ import annotations

import torch

from dlcourse.experiments.hardware import matmul_loops
from dlcourse.nn.activation import activation_derivative, sigmoid

from .spec import Case, Exercise, Mistake, Question

__all__ = ["EXERCISES", "matmul_gflops"]

D = torch.float64


# ------------------------------------------------------------------------------------------------- 1.1 matmul


def _matmul_cases() -> list[Case]:
    g = torch.Generator().manual_seed(1)
    return [
        Case(args=(torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=D), torch.tensor([[5.0, 6.0], [7.0, 8.0]], dtype=D)),
             note="2x2 times 2x2"),
        Case(args=(torch.randn(3, 4, generator=g, dtype=D), torch.randn(4, 2, generator=g, dtype=D)),
             note="A (3, 4) times B (4, 2)"),
        Case(args=(torch.randn(5, 5, generator=g, dtype=D), torch.randn(5, 5, generator=g, dtype=D)),
             note="two random 5x5 matrices"),
        Case(args=(torch.randn(1, 6, generator=g, dtype=D), torch.randn(6, 1, generator=g, dtype=D)),
             note="a row times a column (a dot product)"),
    ]


def _run_matmul(entry, case: Case) -> torch.Tensor:
    return torch.as_tensor(entry(*case.args, **dict(case.kwargs)), dtype=D)


def _mm_transposed(A, B):
    n, k = len(A), len(A[0])
    return [[sum(float(A[i][t]) * float(B[j][t]) for t in range(k)) for j in range(len(B))] for i in range(n)]


def _mm_no_reset(A, B):
    n, k, p = len(A), len(A[0]), len(B[0])
    C, total = [[0.0] * p for _ in range(n)], 0.0
    for i in range(n):
        for j in range(p):
            for t in range(k):
                total += float(A[i][t]) * float(B[t][j])
            C[i][j] = total
    return C


def _mm_elementwise(A, B):
    n, p = len(A), len(B[0])
    return [[float(A[i][j]) * float(B[i][j]) if i < len(B) and j < len(A[0]) else 0.0 for j in range(p)]
            for i in range(n)]


# ------------------------------------------------------------------------------------------- 1.8 GFLOP/s, counted


def matmul_gflops(n: int, k: int, p: int, seconds: float) -> float:
    """Throughput, in GFLOP/s, of an ``(n, k) @ (k, p)`` product that took ``seconds``, counting the ``n k p``
    multiplications and ``n k p`` additions of the loops of exercise 1.1 (the running sum starts at 0)."""
    if min(n, k, p) < 1:
        raise ValueError(f"n, k and p must be >= 1, got {(n, k, p)}")
    if not seconds > 0:
        raise ValueError(f"seconds must be > 0, got {seconds}")
    return 2.0 * n * k * p / seconds / 1e9


def _gflops_cases() -> list[Case]:
    return [
        Case(args=(1000, 1000, 1000, 0.5), note="(1000, 1000) @ (1000, 1000) in 0.5 s"),
        Case(args=(64, 10, 32, 0.1), note="(64, 10) @ (10, 32) in 0.1 s (a Python loop)"),
        Case(args=(4096, 512, 128, 0.002), note="(4096, 512) @ (512, 128) in 2 ms (a GPU)"),
        Case(args=(3, 1, 5, 1e-9), note="(3, 1) @ (1, 5), an outer product, in one nanosecond"),
    ]


def _gflops_square(n, k, p, seconds):
    return 2 * n ** 3 / seconds / 1e9


def _gflops_mults_only(n, k, p, seconds):
    return n * k * p / seconds / 1e9


def _gflops_one_less_add(n, k, p, seconds):
    return n * p * (2 * k - 1) / seconds / 1e9


def _gflops_per_entry(n, k, p, seconds):
    return 2 * n * p / seconds / 1e9


def _gflops_not_giga(n, k, p, seconds):
    return 2 * n * k * p / seconds


def _gflops_times(n, k, p, seconds):
    return 2 * n * k * p * seconds / 1e9


# ------------------------------------------------------------------------------------------ 1.9 the derivatives


def _derivative_cases() -> list[Case]:
    z = torch.tensor([-3.0, -0.5, 0.0, 0.5, 3.0], dtype=D)
    grid = torch.linspace(-6, 6, 12, dtype=D).reshape(3, 4)
    big = torch.tensor([-800.0, -30.0, 30.0, 800.0], dtype=D)
    return [Case(args=(v, name), note=f"{name} on {what}") for name in ("sigmoid", "tanh", "relu")
            for v, what in ((z, "five points around 0, 0 included"), (grid, "a (3, 4) grid from -6 to 6"),
                            (big, "large |z|"))]


def _sig(z):
    return torch.where(z >= 0, 1 / (1 + torch.exp(-z.abs())), torch.exp(-z.abs()) / (1 + torch.exp(-z.abs())))


def _der_at_input(z, name):
    if name == "sigmoid":
        return z * (1 - z)
    if name == "tanh":
        return 1 - z ** 2
    return (z > 0).to(z.dtype)


def _der_function_itself(z, name):
    if name == "sigmoid":
        return _sig(z)
    if name == "tanh":
        return torch.tanh(z)
    return z.clamp(min=0)


def _der_relu_at_zero(z, name):
    if name == "sigmoid":
        return _sig(z) * (1 - _sig(z))
    if name == "tanh":
        return 1 - torch.tanh(z) ** 2
    return (z >= 0).to(z.dtype)


# ------------------------------------------------------------------------------------------------- 1.3 sigmoid


def _activation_cases() -> list[Case]:
    return [
        Case(args=(torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], dtype=D),), note="five points around 0"),
        Case(args=(torch.linspace(-6, 6, 12, dtype=D).reshape(3, 4),), note="a (3, 4) grid from -6 to 6"),
        Case(args=(torch.tensor([-800.0, -30.0, 30.0, 800.0], dtype=D),), note="large |x| (overflow risk)"),
    ]


def _sigmoid_plus(x):
    return 1.0 / (1.0 + torch.exp(x))


def _sigmoid_tanh(x):
    return torch.tanh(x)


def _sigmoid_no_one(x):
    return 1.0 / torch.exp(-x)


EXERCISES = [
    Exercise(
        id="1.1",
        title="A matrix product with loops",
        entry="matmul",
        reference=matmul_loops,
        cases=_matmul_cases,
        run=_run_matmul,
        statement=(
            "Write `matmul(A, B)` that returns the product $C = AB$ of an $(n, k)$ matrix `A` and a $(k, p)$ "
            "matrix `B`, with $C_{ij} = \\sum_{t=1}^{k} A_{it} B_{tj}$, using Python loops only. `A` and `B` are "
            "2-D float64 tensors; return a tensor or nested lists of shape $(n, p)$. Do not use `@`, "
            "`torch.matmul`, `torch.mm`, `numpy.matmul` or `numpy.dot`: the point is to write the $2nkp$ "
            "operations yourself, and later to time them."),
        stub=("def matmul(A, B):\n"
              "    # A (n, k), B (k, p) -> C (n, p) with C[i][j] = sum over t of A[i][t] * B[t][j]\n"
              "    raise NotImplementedError\n"),
        section="ch1-hardware",
        forbidden=("dlcourse.experiments.hardware", "torch.matmul", "torch.mm", "numpy.matmul", "numpy.dot"),
        mistakes=(
            Mistake("B transposed", _mm_transposed,
                    "You multiplied row i of A with row j of B (B[j][t]). The product pairs row i of A with "
                    "column j of B: C[i][j] = sum over t of A[i][t] * B[t][j]."),
            Mistake("accumulator not reset", _mm_no_reset,
                    "Your running sum carries over from one entry to the next. Start it at 0 for every (i, j)."),
            Mistake("elementwise product", _mm_elementwise,
                    "You multiplied matching entries, A[i][j] * B[i][j]. A matrix product sums over the inner "
                    "index t: it needs a third loop."),
        ),
    ),
    Exercise(
        id="1.3",
        title="The sigmoid",
        entry="sigmoid",
        reference=sigmoid,
        cases=_activation_cases,
        statement=(
            "Write `sigmoid(x)` that applies $\\sigma(x) = 1 / (1 + e^{-x})$ elementwise to a float64 tensor of "
            "any shape. It must return finite values for large $|x|$ (try $x = \\pm 800$): "
            "for $x < 0$ use the equivalent form $e^{x} / (1 + e^{x})$. Do not call `torch.sigmoid`."),
        stub=("import torch\n\n"
              "def sigmoid(x):\n"
              "    raise NotImplementedError\n"),
        section="ch1-algorithms",
        forbidden=("dlcourse.nn.activation", "dlcourse.nn.functional.sigmoid", "torch.sigmoid", "torch.special.expit",
                   "torch.nn.functional.sigmoid", "torch.Tensor.sigmoid", "torch.nn.Sigmoid"),
        mistakes=(
            Mistake("e^{+x}", _sigmoid_plus,
                    "You wrote 1 / (1 + e^{x}): that is sigma(-x), a sigmoid that falls instead of rising. The "
                    "exponent is -x."),
            Mistake("tanh", _sigmoid_tanh,
                    "tanh has the same S shape but goes from -1 to 1; the sigmoid goes from 0 to 1 and "
                    "sigma(0) = 1/2."),
            Mistake("forgot the 1 +", _sigmoid_no_one,
                    "1 / e^{-x} is e^{x}, which grows without bound. The sigmoid is 1 / (1 + e^{-x})."),
        ),
    ),
]

# ------------------------------------------------------------------------------------------- graded questions

QUESTIONS = [
    Question(
        id="1.5", title="The second AI winter", section="ch1-timeline",
        statement="Which period does this book's timeline shade as the second AI winter, and what collapsed then?",
        choices={"a": "1969-1973: perceptrons, after Minsky and Papert's book",
                 "b": "1987-1993: the market for expert systems, a slump of symbolic AI",
                 "c": "1995-2006: neural networks, when support vector machines won the benchmarks"},
        answer="b",
        mistakes=(Mistake("the neural-network slump", "c",
                          "That is the neural-network slump, a later and separate story; neural networks were in "
                          "their backpropagation revival in the late 1980s."),
                  Mistake("the first winter", "a",
                          "Minsky and Papert (1969) and the Lighthill report (1973) led to the first winter.")),
    ),
    Question(
        id="1.6", title="Floating-point operations of a matrix product", section="ch1-hardware",
        statement=("Multiplying two $n \\times n$ matrices takes $n^3$ multiplications and $n^3$ additions. How "
                   "many GFLOP (units of $10^9$ floating-point operations) does one product of two "
                   "$1000 \\times 1000$ matrices take?"),
        answer=2.0, rtol=1e-6,
        mistakes=(Mistake("multiplications only", 1.0,
                          "You counted the multiplications only; the additions are floating-point operations too."),
                  Mistake("MFLOP instead of GFLOP", 2000.0,
                          "That is the count in millions (MFLOP); a GFLOP is 10^9 operations.")),
    ),
    Question(
        id="1.7", title="The loss of random guessing", section="ch1-algorithms",
        statement=("A classifier for the ten digits that gives every class probability $1/10$: what is its "
                   "cross-entropy loss, with the natural logarithm? (Three decimals are enough.)"),
        answer=2.302585, atol=5e-3,
        mistakes=(Mistake("the probability", 0.1,
                          "0.1 is the probability of the right class; the loss is minus its logarithm."),
                  Mistake("base-10 logarithm", 1.0,
                          "You used the base-10 logarithm; cross-entropy losses use the natural one.")),
    ),
]
EXERCISES += QUESTIONS

# ------------------------------------------------------------ second edition: derivations instead of formulas

DERIVED = [
    Exercise(
        id="1.8",
        title="GFLOP/s of a matrix product, counted",
        entry="matmul_gflops",
        reference=matmul_gflops,
        cases=_gflops_cases,
        statement=(
            "Hardware is compared in GFLOP/s: $10^9$ floating-point operations (multiplications and additions) per "
            "second. Write `matmul_gflops(n, k, p, seconds)` that returns the throughput of a product of an "
            "$(n, k)$ and a $(k, p)$ matrix that took `seconds`. Count the operations yourself, exactly as the "
            "loops of exercise 1.1 perform them, with every running sum starting at 0: how many entries does the "
            "result have, and how many multiplications and additions does each one cost?"),
        stub=("def matmul_gflops(n, k, p, seconds):\n"
              "    # (n, k) @ (k, p) in `seconds` -> GFLOP/s\n"
              "    raise NotImplementedError\n"),
        section="ch1-hardware",
        forbidden=("dlcourse.experiments.hardware",),
        mistakes=(
            Mistake("square matrices assumed", _gflops_square,
                    "You counted 2 n^3, the count for square matrices. The result has n*p entries and each is a "
                    "sum over the inner dimension k."),
            Mistake("multiplications only", _gflops_mults_only,
                    "You counted n*k*p operations: the multiplications. Each product is also added to the running "
                    "sum, so there are as many additions."),
            Mistake("one addition too few", _gflops_one_less_add,
                    "You counted k - 1 additions per entry, as if the sum started from the first product. The "
                    "loops start the running sum at 0 and add k products to it: k additions."),
            Mistake("one operation per entry", _gflops_per_entry,
                    "You counted the n*p entries of the result, but each entry is a sum of k products: 2k "
                    "operations."),
            Mistake("not in giga", _gflops_not_giga, "Your answer is in FLOP/s. Divide by 1e9 for GFLOP/s."),
            Mistake("multiplied by the time", _gflops_times,
                    "A throughput is work divided by time, not multiplied by it."),
        ),
    ),
    Exercise(
        id="1.9",
        title="The slopes of sigmoid, tanh and ReLU",
        entry="activation_derivative",
        reference=activation_derivative,
        cases=_derivative_cases,
        statement=(
            "Backpropagation multiplies the backward signal by the activation's derivative at every layer "
            "(Chapter 3), so the derivative decides whether the signal survives. Write "
            "`activation_derivative(z, name)` that returns $f'(z)$ elementwise for a float64 tensor `z` of any "
            "shape, where `name` is `\"sigmoid\"`, `\"tanh\"` or `\"relu\"`. Derive the three derivatives "
            "yourself (for the sigmoid and tanh, express them through the function's own value, which is how a "
            "forward pass stores them); at $z = 0$, where ReLU has a kink, use 0, as PyTorch does. They must be "
            "finite for $|z| = 800$. Autograd is not allowed."),
        stub=("import torch\n\n"
              "def activation_derivative(z, name):\n"
              "    # name in {'sigmoid', 'tanh', 'relu'}; returns f'(z), same shape as z\n"
              "    raise NotImplementedError\n"),
        section="ch1-algorithms",
        forbidden=("dlcourse.nn.activation", "dlcourse.autograd", "torch.autograd", "torch.func"),
        mistakes=(
            Mistake("derivative at the input", _der_at_input,
                    "You used z(1 - z) for the sigmoid (or 1 - z^2 for tanh): the formula in terms of the "
                    "function's VALUE applied to its input. With s = sigma(z) the derivative is s(1 - s); with "
                    "t = tanh(z) it is 1 - t^2."),
            Mistake("the function, not its slope", _der_function_itself,
                    "You returned the activation itself, f(z). The backward pass needs its slope f'(z)."),
            Mistake("ReLU's slope at 0", _der_relu_at_zero,
                    "At z = 0 ReLU has a kink and no derivative; PyTorch (and this course) use 0 there, i.e. the "
                    "slope is 1 only for z > 0."),
        ),
    ),
]

HISTORY = [
    Question(
        id="1.10", title="What the scale figure shows", section="ch1-data",
        statement=("This chapter trains logistic regression, an RBF SVM and three networks on nested training sets "
                   "of 100 to 50,000 examples. Which statement do its curves (and the asserts under them) support?"),
        choices={"a": "The large network is the best model at every training-set size.",
                 "b": "With a few hundred examples logistic regression beats every network; only with tens of "
                      "thousands does the large network win clearly, while logistic regression has levelled off.",
                 "c": "All models improve at the same rate; the networks merely start higher.",
                 "d": "The SVM wins at large sizes, because its cost grows only linearly with the data."},
        answer="b",
        mistakes=(Mistake("large net everywhere", "a",
                          "Look at the left end of the figure: with 300 examples logistic regression beats every "
                          "network. Scale needs a large model AND a lot of data."),
                  Mistake("same rate", "c",
                          "The traditional learners level off: logistic regression gains under a point over the "
                          "last doubling of the data, while the large network is still improving."),
                  Mistake("SVM scaling", "d",
                          "Training a kernel SVM costs at least quadratically in the number of examples; that is "
                          "why the experiment stops it at 10,000.")),
    ),
    Question(
        id="1.11", title="The factor behind the compute figure", section="ch1-compute",
        statement=("The compute figure estimates a training run's floating-point operations as (multiply-adds of "
                   "one forward pass) x (examples seen) x a constant factor. The backward pass costs about twice "
                   "the forward pass. What is the factor?"),
        answer=6, atol=1e-9,
        mistakes=(Mistake("forward pass only", 2,
                          "Two operations per multiply-add counts the forward pass only; training also runs the "
                          "backward pass, about twice as costly."),
                  Mistake("multiply-adds, not operations", 3,
                          "Forward plus backward is about 3 forward passes of multiply-adds; each multiply-add is two "
                          "floating-point operations.")),
    ),
]
EXERCISES += DERIVED + HISTORY
