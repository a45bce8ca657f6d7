"""Chapter 5 exercises: recurrent networks and LSTM (book: ``book/ch5_rnn``)."""
from __future__ import annotations

import torch

from dlcourse.autograd.bptt import rnn_bptt, rnn_forward, rnn_step
from dlcourse.nn.rnn import LSTMCell
from dlcourse.nn.utils.clip_grad import clip_grad_norm_

from .spec import Case, Exercise, Mistake, Question

__all__ = ["EXERCISES", "clip_by_norm"]

D = torch.float64


def _gen(seed: int):
    g = torch.Generator().manual_seed(seed)
    return lambda *shape: torch.randn(*shape, dtype=D, generator=g)


# ------------------------------------------------------------------------------------------------- 5.1 RNN step


def _step_cases() -> list[Case]:
    cases = []
    for seed, (n, i, h) in enumerate([(2, 3, 4), (3, 4, 4), (1, 5, 2)]):
        r = _gen(50 + seed)
        cases.append(Case(args=(r(n, i), r(n, h), r(h, i), r(h, h), r(h), r(h)),
                          note=f"batch {n}, input {i}, hidden {h}"))
    return cases


def _step_sigmoid(x, h, W_ih, W_hh, b_ih, b_hh):
    return torch.sigmoid(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)


def _step_no_state(x, h, W_ih, W_hh, b_ih, b_hh):
    return torch.tanh(x @ W_ih.T + b_ih + b_hh)


def _step_transposed(x, h, W_ih, W_hh, b_ih, b_hh):
    return torch.tanh(x @ W_ih.T + b_ih + h @ W_hh + b_hh)


def _step_one_bias(x, h, W_ih, W_hh, b_ih, b_hh):
    return torch.tanh(x @ W_ih.T + h @ W_hh.T + b_ih)


# ------------------------------------------------------------------------------------------------- 5.2 LSTM cell


def _lstm_cases() -> list[Case]:
    cases = []
    for seed, (T, n, i, h) in enumerate([(1, 2, 3, 4), (3, 2, 3, 4), (4, 3, 2, 5)]):
        torch.manual_seed(500 + seed)
        ref = torch.nn.LSTMCell(i, h).double()
        with torch.no_grad():                       # a clearly open forget gate, so a missing bias shows
            ref.bias_ih[h:2 * h] += 1.0
        r = _gen(60 + seed)
        state = {k: v.detach().clone() for k, v in ref.state_dict().items()}
        cases.append(Case(args=(state, r(T, n, i), r(n, h), r(n, h), r(T, n, h)),
                          note=f"{T} step(s), batch {n}, input {i}, hidden {h}, torch's weights"))
    return cases


def _run_lstm(entry, case: Case) -> dict:
    """Build the learner's cell, load torch's weights, run T steps carrying (h, c), back-propagate."""
    state_dict, xs, h0, c0, grad_hs = case.args
    H = h0.shape[1]
    cell = entry(xs.shape[2], H).double()
    cell.load_state_dict(state_dict)
    h, c, hs = h0, c0, []
    for t in range(xs.shape[0]):
        h, c = cell(xs[t], (h, c))
        hs.append(h)
    hs = torch.stack(hs)
    loss = (hs * grad_hs).sum() + c.sum()
    names = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    params = dict(cell.named_parameters())
    grads = torch.autograd.grad(loss, [params[n] for n in names])
    return {"h": hs.detach(), "c": c.detach(), **{f"grad_{n}": g for n, g in zip(names, grads)}}


class _LSTMCellBase(torch.nn.Module):
    def __init__(self, input_size, hidden_size):
        super().__init__()
        H = hidden_size
        self.weight_ih = torch.nn.Parameter(torch.zeros(4 * H, input_size))
        self.weight_hh = torch.nn.Parameter(torch.zeros(4 * H, H))
        self.bias_ih = torch.nn.Parameter(torch.zeros(4 * H))
        self.bias_hh = torch.nn.Parameter(torch.zeros(4 * H))

    def gates(self, x, h):
        return x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh


class _LSTMGateOrderIFOG(_LSTMCellBase):
    def forward(self, x, state):
        h, c = state
        i, f, o, g = self.gates(x, h).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


class _LSTMNoForgetBias(_LSTMCellBase):
    def forward(self, x, state):
        h, c = state
        H = h.shape[1]
        z = self.gates(x, h)
        f_pre = z[:, H:2 * H] - self.bias_ih[H:2 * H] - self.bias_hh[H:2 * H]
        i, g, o = z[:, :H], z[:, 2 * H:3 * H], z[:, 3 * H:]
        c = torch.sigmoid(f_pre) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


class _LSTMNoTanhOnCell(_LSTMCellBase):
    def forward(self, x, state):
        h, c = state
        i, f, g, o = self.gates(x, h).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * c, c


class _LSTMNoForgetGate(_LSTMCellBase):
    def forward(self, x, state):
        h, c = state
        i, f, g, o = self.gates(x, h).chunk(4, 1)
        c = c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


# ------------------------------------------------------------------------------------------------- 5.3 BPTT


def _bptt_cases() -> list[Case]:
    cases = []
    for seed, (n, i, h) in enumerate([(1, 2, 3), (3, 3, 4), (2, 4, 2)]):
        r = _gen(70 + seed)
        cases.append(Case(args=(r(2, n, i), r(n, h), r(h, i) * 0.7, r(h, h) * 0.7, r(h), r(h), r(2, n, h)),
                          note=f"two steps, batch {n}, input {i}, hidden {h}"))
    return cases


def _bptt_generic(carry_state: bool = True, tanh_derivative: str = "output", previous_state: bool = True):
    def solution(x, h0, W_ih, W_hh, b_ih, b_hh, grad_hs):
        hs = rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
        prev = torch.cat([h0[None], hs[:-1]])
        out = {"x": torch.zeros_like(x), "weight_ih": torch.zeros_like(W_ih), "weight_hh": torch.zeros_like(W_hh),
               "bias_ih": torch.zeros_like(b_ih)}
        carry = torch.zeros_like(h0)
        for t in (1, 0):
            g = grad_hs[t] + (carry if carry_state else 0)
            if tanh_derivative == "output":
                delta = g * (1 - hs[t] ** 2)
            elif tanh_derivative == "none":
                delta = g
            else:                                           # at the pre-activation
                a = torch.atanh(hs[t].clamp(-1 + 1e-12, 1 - 1e-12))
                delta = g * (1 - a ** 2)
            out["weight_ih"] += delta.T @ x[t]
            out["weight_hh"] += delta.T @ (prev[t] if previous_state else hs[t])
            out["bias_ih"] += delta.sum(0)
            out["x"][t] = delta @ W_ih
            carry = delta @ W_hh
        out["h0"] = carry
        out["bias_hh"] = out["bias_ih"].clone()
        return out
    return solution


# ------------------------------------------------------------------------------------------------- 5.4 clipping


def clip_by_norm(grads: list[torch.Tensor], max_norm: float) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Clipped copies of ``grads`` (their joint 2-norm at most ``max_norm``) and the norm before clipping."""
    params = [torch.zeros_like(g, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    total = clip_grad_norm_(params, max_norm)
    return [p.grad for p in params], total


def _clip_cases() -> list[Case]:
    r = _gen(80)
    big = [r(3, 4) * 5, r(4) * 5, r(2, 2)]
    return [
        Case(args=(big, 1.0), note="three gradients with total norm about 30, max_norm 1"),
        Case(args=([r(5) * 0.1], 1.0), note="one small gradient, below max_norm: left unchanged"),
        Case(args=([torch.tensor([3.0, 4.0], dtype=D), torch.tensor([12.0], dtype=D)], 6.5),
             note="gradients (3, 4) and (12,): total norm 13, max_norm 6.5"),
        Case(args=([r(2, 3) * 2, r(3) * 0.01], 0.5), note="one large and one tiny gradient, max_norm 0.5"),
    ]


def _clip_per_element(grads, max_norm):
    total = torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in grads]))
    return [g.clamp(-max_norm, max_norm) for g in grads], total


def _clip_per_tensor(grads, max_norm):
    total = torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in grads]))
    out = []
    for g in grads:
        n = torch.linalg.vector_norm(g)
        out.append(g * min(1.0, max_norm / (float(n) + 1e-6)))
    return out, total


def _clip_always(grads, max_norm):
    total = torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in grads]))
    return [g * (max_norm / (total + 1e-6)) for g in grads], total


def _clip_returns_after(grads, max_norm):
    clipped, _ = clip_by_norm(grads, max_norm)
    return clipped, torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in clipped]))


_LSTM_FORBIDDEN = ("torch.nn.LSTMCell", "torch.nn.LSTM", "torch.lstm_cell", "torch._VF", "torch.lstm",
                   "torch.nn.modules.rnn", "dlcourse.nn")

EXERCISES = [
    Exercise(
        id="5.1",
        title="One step of a recurrent network",
        entry="rnn_step",
        reference=rnn_step,
        cases=_step_cases,
        statement=(
            "Write `rnn_step(x, h, W_ih, W_hh, b_ih, b_hh)` that returns the next state "
            "$h' = \\tanh(x W_{ih}^\\top + b_{ih} + h W_{hh}^\\top + b_{hh})$ for `x` (N, I), `h` (N, H), "
            "`W_ih` (H, I), `W_hh` (H, H) and biases (H,), laid out as `torch.nn.RNNCell` stores them."),
        stub=("import torch\n\n"
              "def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):\n"
              "    raise NotImplementedError\n"),
        section="ch5-rnn",
        forbidden=("dlcourse.autograd.bptt", "dlcourse.nn", "torch.nn.RNNCell", "torch.rnn_tanh_cell",
                   "torch._VF"),
        mistakes=(
            Mistake("sigmoid instead of tanh", _step_sigmoid,
                    "The plain RNN squashes with tanh, whose outputs lie in (-1, 1), not with the sigmoid."),
            Mistake("state not carried", _step_no_state,
                    "Your new state does not depend on the old one: add h W_hh^T. Without it the network has no "
                    "memory at all."),
            Mistake("W_hh transposed", _step_transposed,
                    "torch stores W_hh as (out, in): the state enters as h @ W_hh.T, not h @ W_hh."),
            Mistake("one bias only", _step_one_bias,
                    "torch's cell has two biases, b_ih and b_hh, and adds both (their sum acts as one bias)."),
        ),
    ),
    Exercise(
        id="5.2",
        title="An LSTM cell, gate by gate",
        entry="LSTMCell",
        reference=LSTMCell,
        cases=_lstm_cases,
        run=_run_lstm,
        statement=(
            "Write a module `LSTMCell(input_size, hidden_size)` (a `torch.nn.Module`) with parameters named "
            "like torch's: `weight_ih` (4H, I), `weight_hh` (4H, H), `bias_ih` and `bias_hh` (4H,), the four "
            "gates stacked in torch's order **i, f, g, o**. `forward(x, (h, c))` returns `(h', c')` with "
            "$z = x W_{ih}^\\top + b_{ih} + h W_{hh}^\\top + b_{hh}$ split into $z_i, z_f, z_g, z_o$, "
            "$c' = \\sigma(z_f) c + \\sigma(z_i) \\tanh(z_g)$ and $h' = \\sigma(z_o) \\tanh(c')$. The check "
            "loads torch's weights with `load_state_dict`, runs several steps carrying `(h, c)`, and compares "
            "the states and the weight gradients. `torch.nn.LSTMCell`, `torch.lstm_cell`, `torch._VF` and "
            "`dlcourse.nn` are not allowed."),
        stub=("import torch\n\n"
              "class LSTMCell(torch.nn.Module):\n"
              "    def __init__(self, input_size, hidden_size):\n"
              "        super().__init__()\n"
              "        raise NotImplementedError\n\n"
              "    def forward(self, x, state):\n"
              "        h, c = state\n"
              "        raise NotImplementedError\n"),
        section="ch5-lstm",
        forbidden=_LSTM_FORBIDDEN,
        mistakes=(
            Mistake("gate order i, f, o, g", _LSTMGateOrderIFOG,
                    "torch stacks the gates as i, f, g, o (input, forget, cell candidate, output): the third "
                    "block is the tanh candidate g, the fourth the output gate."),
            Mistake("forget-gate bias missing", _LSTMNoForgetBias,
                    "Your forget gate ignores its bias rows (H..2H of bias_ih and bias_hh). That bias is what keeps "
                    "the gate open at the start of training; add it like every other gate's."),
            Mistake("no tanh on the cell", _LSTMNoTanhOnCell,
                    "h' = o * tanh(c'): squash the new cell state before the output gate."),
            Mistake("forget gate missing", _LSTMNoForgetGate,
                    "You added to the cell without forgetting (c' = c + i g, the 1997 LSTM). torch's cell, like "
                    "Gers et al. 2000, multiplies the old cell by the forget gate: c' = f c + i g."),
        ),
    ),
    Exercise(
        id="5.3",
        title="Backpropagation through time, two steps",
        entry="bptt_two_steps",
        reference=rnn_bptt,
        cases=_bptt_cases,
        statement=(
            "A plain RNN runs two steps: $h_t = \\tanh(x_t W_{ih}^\\top + b_{ih} + h_{t-1} W_{hh}^\\top + "
            "b_{hh})$ for $t = 1, 2$, with `x` (2, N, I), `h0` (N, H) and the weights as in 5.1. Given "
            "`grad_hs` (2, N, H) $= \\partial L/\\partial h_t$ from the loss at each step, write "
            "`bptt_two_steps(x, h0, W_ih, W_hh, b_ih, b_hh, grad_hs)` returning a dict with the gradients "
            "`'x'`, `'h0'`, `'weight_ih'`, `'weight_hh'`, `'bias_ih'`, `'bias_hh'` (shapes of the tensors). "
            "Go backwards: the state $h_1$ gets gradient both from its own loss and through step 2. Use plain "
            "tensor operations, not autograd."),
        stub=("import torch\n\n"
              "def bptt_two_steps(x, h0, W_ih, W_hh, b_ih, b_hh, grad_hs):\n"
              "    raise NotImplementedError\n"),
        section="ch5-bptt",
        forbidden=("dlcourse.autograd", "torch.autograd", "torch.Tensor.backward", "dlcourse.exercises.ch5"),
        mistakes=(
            Mistake("gradient not carried back", _bptt_generic(carry_state=False),
                    "h_1 also influences the loss through h_2: add delta_2 W_hh to its gradient before going "
                    "through step 1's tanh. Without it, backpropagation *through time* stops at one step."),
            Mistake("tanh derivative missing", _bptt_generic(tanh_derivative="none"),
                    "Multiply by tanh's derivative, 1 - h_t^2, before the weight gradients."),
            Mistake("derivative at the pre-activation", _bptt_generic(tanh_derivative="pre"),
                    "tanh'(a) = 1 - tanh(a)^2 = 1 - h_t^2: use the output h_t, not the pre-activation a_t."),
            Mistake("W_hh paired with the wrong state", _bptt_generic(previous_state=False),
                    "Step t multiplies W_hh by the state it received, h_{t-1}: dW_hh += delta_t^T h_{t-1}."),
        ),
    ),
    Exercise(
        id="5.4",
        title="Clipping gradients by their norm",
        entry="clip_by_norm",
        reference=clip_by_norm,
        cases=_clip_cases,
        statement=(
            "Write `clip_by_norm(grads, max_norm)` for a list of gradient tensors: compute their joint 2-norm "
            "$\\|g\\| = \\sqrt{\\sum_k \\|g_k\\|^2}$ and, if it exceeds `max_norm`, scale *every* gradient by "
            "`max_norm / (norm + 1e-6)` (as `torch.nn.utils.clip_grad_norm_` does); otherwise leave them. Return "
            "`(clipped, norm)`: a list of new tensors (do not modify the inputs) and the norm *before* clipping."),
        stub=("import torch\n\n"
              "def clip_by_norm(grads, max_norm):\n"
              "    raise NotImplementedError\n"),
        section="ch5-gradients",
        forbidden=("torch.nn.utils.clip_grad_norm_", "torch.nn.utils.clip_grad_value_", "torch.nn.utils.clip_grad",
                   "dlcourse.nn"),
        mistakes=(
            Mistake("clipped per element", _clip_per_element,
                    "You clamped each element to [-max_norm, max_norm] (clipping by value). That changes the "
                    "direction of the step; clipping by norm scales all gradients by one factor."),
            Mistake("clipped per tensor", _clip_per_tensor,
                    "You clipped each tensor by its own norm. Treat all gradients as one long vector: one norm, "
                    "one scale factor for all."),
            Mistake("always rescaled", _clip_always,
                    "Scale only when the norm exceeds max_norm; a small gradient is left as it is."),
            Mistake("norm after clipping returned", _clip_returns_after,
                    "Return the norm measured before clipping (it is what you would log to see explosions)."),
        ),
    ),
]

QUESTIONS = [
    Question(
        id="5.5", title="Parameters of an LSTM layer", section="ch5-lstm",
        statement=("How many parameters does `torch.nn.LSTM(8, 32)` have (one layer, input size 8, hidden size 32, "
                   "with PyTorch's two bias vectors)?"),
        answer=5376, rtol=1e-9,
        mistakes=(Mistake("one gate", 1344, "That is a plain RNN's count (one block); the LSTM stacks four gates."),
                  Mistake("three gates", 4032, "That is the GRU's count (r, z, n); the LSTM has four: i, f, g, o."),
                  Mistake("one bias", 5248, "PyTorch keeps two bias vectors per layer, bias_ih and bias_hh.")),
    ),
    Question(
        id="5.6", title="Perplexity of a mixed guess", section="ch5-lm",
        statement=("A character model gives probability 1/2 to half of the held-out characters and 1/8 to the "
                   "other half. What is its perplexity?"),
        answer=4.0, rtol=1e-6,
        mistakes=(Mistake("arithmetic mean", 5.0,
                          "Perplexity is not the mean of 2 and 8: it is exp of the mean negative log-probability, "
                          "a geometric mean."),
                  Mistake("mean probability", 3.2,
                          "You inverted the mean probability (1/0.3125); average the log-probabilities instead.")),
    ),
    Question(
        id="5.7", title="Clipping by the norm", section="ch5-gradients",
        statement=("Two gradients, $(3, 4)$ and $(12)$, are clipped together by norm to `max_norm = 6.5`. What is "
                   "the first component of the first gradient afterwards? (Ignore the 1e-6.)"),
        answer=1.5, atol=1e-4,
        mistakes=(Mistake("left unchanged", 3.0,
                          "The first gradient's own norm, 5, is below 6.5, and no element exceeds 6.5 either; but "
                          "the joint norm is 13, so every gradient is halved."),),
    ),
    Question(
        id="5.8", title="What the Neural Turing Machine adds", section="ch5-story",
        statement=("The chapter's source notes list the Neural Turing Machine beside LSTM and GRU as a cure for "
                   "vanishing gradients. What is its main idea?"),
        choices={"a": "A gate that keeps the gradient along the state close to 1",
                 "b": "An external memory that a recurrent controller reads and writes by differentiable addressing",
                 "c": "Pre-training a stack of RNNs, each predicting its input, before the task"},
        answer="b",
        mistakes=(Mistake("a gate", "a", "That is the LSTM's forget gate (and the GRU's update gate)."),
                  Mistake("history compressor", "c", "That is Schmidhuber's 1992 history compressor.")),
    ),
    Question(
        id="5.9", title="A very open forget gate", section="ch5-gradients",
        statement=("An LSTM's forget-gate bias helps long-range learning when set to 2 instead of 0. What happens "
                   "with a bias of 20?"),
        choices={"a": "Even better: the gradient along the cell is carried exactly",
                 "b": "Worse: the gate saturates at 1, its own gradient vanishes, and the cell can never learn to "
                      "forget",
                 "c": "No effect: the bias is learned away in the first step"},
        answer="b",
        mistakes=(Mistake("even better", "a",
                          "The cell's gradient is carried, but sigma'(20) is about 2e-9: the gate cannot learn, and "
                          "the cell accumulates everything written to it."),
                  Mistake("learned away", "c",
                          "The gradient reaching the bias is multiplied by sigma'(20), about 2e-9: it hardly moves.")),
    ),
]
EXERCISES += QUESTIONS
