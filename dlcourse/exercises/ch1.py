"""Chapter 1 exercises: why deep learning took off (book: ``book/ch1_history``)."""
from __future__ import annotations

import torch

from dlcourse.experiments.hardware import gflops, matmul_loops
from dlcourse.nn.activation import relu, sigmoid

from .spec import Case, Exercise, Mistake, Question

__all__ = ["EXERCISES"]

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


# ------------------------------------------------------------------------------------------------- 1.2 GFLOP/s


def _gflops_cases() -> list[Case]:
    return [
        Case(args=(1000, 0.5), note="n = 1000 in 0.5 s"),
        Case(args=(64, 0.1), note="n = 64 in 0.1 s (a Python loop)"),
        Case(args=(4096, 0.02), note="n = 4096 in 20 ms (a GPU)"),
        Case(args=(1, 1e-9), note="n = 1 in one nanosecond"),
    ]


def _gflops_n_cubed(n, seconds):
    return n ** 3 / seconds / 1e9


def _gflops_not_giga(n, seconds):
    return 2 * n ** 3 / seconds


def _gflops_n_squared(n, seconds):
    return 2 * n ** 2 / seconds / 1e9


def _gflops_times(n, seconds):
    return 2 * n ** 3 * seconds / 1e9


# ------------------------------------------------------------------------------------------------- 1.3 / 1.4


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


def _relu_abs(x):
    return x.abs()


def _relu_clamp_one(x):
    return x.clamp(0.0, 1.0)


def _relu_leaky(x):
    return torch.where(x > 0, x, 0.01 * x)


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
        id="1.2",
        title="GFLOP/s of a matrix product",
        entry="gflops",
        reference=gflops,
        cases=_gflops_cases,
        statement=(
            "Write `gflops(n, seconds)` that returns the throughput, in GFLOP/s ($10^9$ floating-point "
            "operations per second), of a product of two $n \\times n$ matrices that took `seconds`. Count the "
            "operations: each of the $n^2$ entries of the result needs $n$ multiplications and $n$ additions."),
        stub=("def gflops(n, seconds):\n"
              "    raise NotImplementedError\n"),
        section="ch1-hardware",
        forbidden=("dlcourse.experiments.hardware",),
        mistakes=(
            Mistake("n^3 flops", _gflops_n_cubed,
                    "You counted n^3 operations. Each of the n^3 terms is a multiplication AND an addition: "
                    "2 n^3 flops."),
            Mistake("not in giga", _gflops_not_giga,
                    "Your answer is in FLOP/s. Divide by 1e9 for GFLOP/s."),
            Mistake("n^2 flops", _gflops_n_squared,
                    "You counted 2 n^2 operations: that is one per entry of the result, but each entry is a sum "
                    "of n products, so the total is 2 n^3."),
            Mistake("multiplied by the time", _gflops_times,
                    "A throughput is work divided by time: 2 n^3 / seconds / 1e9, not times seconds."),
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
    Exercise(
        id="1.4",
        title="The rectified linear unit",
        entry="relu",
        reference=relu,
        cases=_activation_cases,
        statement=(
            "Write `relu(x)` that applies $\\operatorname{relu}(x) = \\max(0, x)$ elementwise to a float64 tensor "
            "of any shape and returns a tensor of the same shape. Do not call `torch.relu`."),
        stub=("import torch\n\n"
              "def relu(x):\n"
              "    raise NotImplementedError\n"),
        section="ch1-algorithms",
        forbidden=("dlcourse.nn.activation", "dlcourse.nn.functional.relu", "torch.relu", "torch.nn.functional.relu",
                   "torch.Tensor.relu", "torch.nn.ReLU"),
        mistakes=(
            Mistake("absolute value", _relu_abs,
                    "You returned |x|: negative inputs must give 0, not -x."),
            Mistake("clamped to [0, 1]", _relu_clamp_one,
                    "ReLU has no upper bound: for x > 0 it returns x itself. That unbounded side is why its "
                    "gradient is 1 there and does not vanish."),
            Mistake("leaky", _relu_leaky,
                    "That is the leaky ReLU (0.01 x for x < 0). The plain ReLU returns exactly 0 for x <= 0."),
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
