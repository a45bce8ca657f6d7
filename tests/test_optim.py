"""dlcourse.optim against torch.optim in float64: trajectories over many steps and parameter groups,
state names, state_dict round trips both ways, implementation switches and error messages."""
import copy
import inspect

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse import optim as ours_optim
from dlcourse.testing import assert_close_named

DT = torch.float64
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.3, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, foreach=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, maximize=True, foreach=False)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.1, maximize=True, foreach=True)),
    ("RMSprop", dict(lr=0.01, foreach=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, betas=(0.8, 0.99))),
    ("Adam", dict(lr=0.01, foreach=True, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True, foreach=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw in CASES]


def _params(seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(4, 3, dtype=DT, generator=g).requires_grad_(),
            torch.randn(3, dtype=DT, generator=g).requires_grad_(),
            torch.randn(2, 2, dtype=DT, generator=g).requires_grad_()]


def _loss(params, t):
    w, b, c = params
    # a non-quadratic loss whose gradients change with t; c gets no gradient on odd steps
    loss = (w.sin() * torch.arange(12, dtype=DT).reshape(4, 3)).sum() + ((b - 1) ** 4).sum() * (1 + t % 3)
    if t % 2 == 0:
        loss = loss + (c @ c).trace()
    return loss


def _groups(params, kw):
    return [{"params": params[:2]}, {"params": [params[2]], "lr": kw["lr"] / 2}]


def _run(opt, params, steps, start=0):
    for t in range(start, start + steps):
        opt.zero_grad()
        _loss(params, t).backward()
        if t % 2 == 1:
            params[2].grad = None
        opt.step()


@pytest.mark.parametrize(("name", "kw"), CASES, ids=IDS)
def test_trajectory_matches_torch_over_groups(name, kw):
    a, b = _params(), _params()
    ours = getattr(ours_optim, name)(_groups(a, kw), **kw)
    theirs = getattr(torch.optim, name)(_groups(b, kw), **kw)
    _run(ours, a, 40)
    _run(theirs, b, 40)
    for i, (p, q) in enumerate(zip(a, b)):
        assert_close_named(f"parameter {i} after 40 steps", p, q, rtol=1e-12, atol=1e-12)
        assert sorted(ours.state[p]) == sorted(theirs.state[q]), "state names differ from torch's"
        for key in theirs.state[q]:
            assert_close_named(f"state {key!r} of parameter {i}", ours.state[p][key], theirs.state[q][key])


@pytest.mark.parametrize(("name", "kw"), CASES, ids=IDS)
def test_state_dict_round_trips_both_ways(name, kw):
    a, b = _params(), _params()
    ours = getattr(ours_optim, name)(_groups(a, kw), **kw)
    theirs = getattr(torch.optim, name)(_groups(b, kw), **kw)
    _run(ours, a, 7)
    _run(theirs, b, 7)
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert ours_sd["param_groups"] == theirs_sd["param_groups"]
    assert sorted(ours_sd["state"]) == sorted(theirs_sd["state"]) and all(isinstance(k, int) for k in ours_sd["state"])
    # torch loads ours; ours loads torch's (integer keys, tensor step, extra group keys such as foreach)
    c = [p.detach().clone().requires_grad_() for p in a]
    torch_from_ours = getattr(torch.optim, name)(_groups(c, kw), **kw)
    torch_from_ours.load_state_dict(copy.deepcopy(ours_sd))
    d = [p.detach().clone().requires_grad_() for p in b]
    ours_from_torch = getattr(ours_optim, name)(_groups(d, kw), **kw)
    ours_from_torch.load_state_dict(copy.deepcopy(theirs_sd))
    for opt, params in ((ours, a), (theirs, b), (torch_from_ours, c), (ours_from_torch, d)):
        _run(opt, params, 9, start=7)
    for i in range(3):
        for label, p in (("ours", a[i]), ("torch loaded ours", c[i]), ("ours loaded torch", d[i])):
            assert_close_named(f"{label}: parameter {i}", p, b[i], rtol=1e-12, atol=1e-12)


def test_loads_state_dict_with_number_step_and_missing_keys():
    a, b = _params(), _params()
    theirs = torch.optim.Adam(b, lr=0.01)
    _run(theirs, b, 3)
    sd = theirs.state_dict()
    for s in sd["state"].values():
        s["step"] = float(s["step"])          # an old checkpoint: step as a number
    for g in sd["param_groups"]:
        del g["decoupled_weight_decay"], g["foreach"]
    ours = ours_optim.Adam(a, lr=0.01)
    ours.load_state_dict(sd)
    _run(ours, a, 1, start=3)
    assert isinstance(ours.state[a[0]]["step"], torch.Tensor) and ours.state[a[0]]["step"].item() == 4
    assert ours.param_groups[0]["foreach"] is None and ours.param_groups[0]["decoupled_weight_decay"] is False


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "AdamW"])
def test_signature_is_torchs(name):
    ours = [(p.name, p.default, p.kind) for p in inspect.signature(getattr(ours_optim, name)).parameters.values()]
    theirs = [(p.name, p.default, p.kind)
              for p in inspect.signature(getattr(torch.optim, name)).parameters.values()]
    assert ours[:len(theirs)] == theirs
    assert all(kind == inspect.Parameter.KEYWORD_ONLY for _, _, kind in ours[len(theirs):])


@pytest.mark.parametrize(("call", "message"), [
    (lambda p: ours_optim.SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: ours_optim.SGD(p, momentum=-0.1), "Invalid momentum value: -0.1"),
    (lambda p: ours_optim.SGD(p, weight_decay=-1), "Invalid weight_decay value: -1"),
    (lambda p: ours_optim.SGD(p, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: ours_optim.SGD(p, fused=True), "fused=True is not implemented"),
    (lambda p: ours_optim.SGD(p, differentiable=True), "differentiable=True is not implemented"),
    (lambda p: ours_optim.RMSprop(p, alpha=-1), "Invalid alpha value: -1"),
    (lambda p: ours_optim.RMSprop(p, eps=-1), "Invalid epsilon value: -1"),
    (lambda p: ours_optim.RMSprop(p, capturable=True), "capturable=True"),
    (lambda p: ours_optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: ours_optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda p: ours_optim.AdamW(p, weight_decay=-0.5), "Invalid weight_decay value: -0.5"),
    (lambda p: ours_optim.Adam(p, lr=torch.tensor(0.1)), "pass a float"),
    (lambda p: ours_optim.Adam(p, foreach="yes"), "foreach must be None, True or False"),
])
def test_invalid_hyperparameters_are_named_like_torch(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(_params())


def test_param_list_errors_and_zero_grad():
    with pytest.raises(ValueError, match="empty parameter list"):
        ours_optim.SGD([])
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        ours_optim.SGD(torch.zeros(2, requires_grad=True))
    p = _params()
    with pytest.raises(ValueError, match="more than one parameter group"):
        ours_optim.SGD([{"params": p}, {"params": p[:1]}])
    opt = ours_optim.SGD(p, lr=0.1)
    _loss(p, 0).backward()
    opt.zero_grad(set_to_none=False)
    assert all(q.grad is not None and q.grad.abs().sum() == 0 for q in p)
    opt.zero_grad()
    assert all(q.grad is None for q in p)


def test_named_parameters_are_kept_as_param_names():
    lin, ref = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    ours = ours_optim.SGD(lin.named_parameters(), lr=0.1)
    theirs = torch.optim.SGD(ref.named_parameters(), lr=0.1)
    assert ours.state_dict()["param_groups"] == theirs.state_dict()["param_groups"]


def test_paper_momentum_equals_torch_at_constant_lr_and_differs_when_lr_changes():
    for nesterov in (False, True):   # same trajectory at a constant rate: v = -lr * momentum_buffer
        a, b = _params(), _params()
        paper = ours_optim.SGD(a, lr=0.05, momentum=0.9, nesterov=nesterov, paper_momentum=True)
        torchs = torch.optim.SGD(b, lr=0.05, momentum=0.9, nesterov=nesterov)
        _run(paper, a, 25)
        _run(torchs, b, 25)
        for p, q in zip(a, b):
            assert_close_named(f"paper-form parameter (nesterov={nesterov})", p, q, rtol=1e-10, atol=1e-10)
        assert "velocity" in paper.state[a[0]] and "momentum_buffer" not in paper.state[a[0]]
    # cut the rate tenfold mid-way: torch rescales the accumulated buffer at once, the paper's velocity does not
    a, b = _params(), _params()
    paper = ours_optim.SGD(a, lr=0.05, momentum=0.9, paper_momentum=True)
    torchs = torch.optim.SGD(b, lr=0.05, momentum=0.9)
    _run(paper, a, 10)
    _run(torchs, b, 10)
    for opt in (paper, torchs):
        opt.param_groups[0]["lr"] = 0.005
    before = a[0].detach().clone()
    _run(paper, a, 1, start=10)
    _run(torchs, b, 1, start=10)
    paper_step, torch_step = (a[0] - before).norm().item(), (b[0] - before).norm().item()
    assert paper_step > 3 * torch_step, (paper_step, torch_step)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 6), st.integers(1, 5), st.sampled_from(["SGD", "RMSprop", "Adam", "AdamW"]))
def test_any_shapes_match_torch(rows, cols, name):
    g = torch.Generator().manual_seed(rows * 10 + cols)
    x = torch.randn(rows, cols, dtype=DT, generator=g)
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    kw = {"lr": 0.03, "momentum": 0.5} if name in ("SGD", "RMSprop") else {"lr": 0.03}
    ours, theirs = getattr(ours_optim, name)([a], **kw), getattr(torch.optim, name)([b], **kw)
    for opt, p in ((ours, a), (theirs, b)):
        for _ in range(5):
            opt.zero_grad()
            (p.cos() * p).sum().backward()
            opt.step()
    assert_close_named("parameter", a, b, rtol=1e-12, atol=1e-12)


def test_closure_returns_loss():
    p = _params()
    opt = ours_optim.Adam(p, lr=0.1)

    def closure():
        opt.zero_grad()
        loss = _loss(p, 0)
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert isinstance(loss, torch.Tensor) and loss.ndim == 0
