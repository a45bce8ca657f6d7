"""dlcourse.optim.lr_scheduler against torch.optim.lr_scheduler: the same rates (and momenta) step for step."""
import warnings

import pytest
import torch

from dlcourse import optim as ours_optim
from dlcourse.optim import lr_scheduler as ours_sched

SCHEDULES = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("LambdaLR", dict(lr_lambda=lambda t: 1 / (1 + t) ** 0.5)),
    ("LinearLR", dict(start_factor=0.1, total_iters=7)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.0, total_iters=20)),
    ("CosineAnnealingLR", dict(T_max=9, eta_min=0.001)),
    ("OneCycleLR", dict(max_lr=0.4, total_steps=40)),
    ("OneCycleLR", dict(max_lr=[0.4, 0.2], epochs=4, steps_per_epoch=10, anneal_strategy="linear",
                        three_phase=True)),
]


def _optimizers(optim, name="SGD"):
    p, q = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(3))
    if name == "SGD":
        return optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.05}], lr=0.1, momentum=0.9)
    return optim.Adam([{"params": [p]}, {"params": [q], "lr": 0.05}], lr=0.1)


def _trace(opt, scheduler, steps=40):
    out = []
    for _ in range(steps):
        for group in opt.param_groups:
            for p in group["params"]:
                p.grad = torch.ones_like(p)
        opt.step()
        scheduler.step()
        out.append([(g["lr"], g.get("momentum"), g.get("betas")) for g in opt.param_groups])
    return out


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize(("name", "kw"), SCHEDULES, ids=[f"{n}{i}" for i, (n, _) in enumerate(SCHEDULES)])
def test_schedule_equals_torch(name, kw, opt_name):
    ours_opt, theirs_opt = _optimizers(ours_optim, opt_name), _optimizers(torch.optim, opt_name)
    ours = getattr(ours_sched, name)(ours_opt, **kw)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kw)
    assert ours.get_last_lr() == theirs.get_last_lr()
    assert _trace(ours_opt, ours) == _trace(theirs_opt, theirs)
    assert ours.last_epoch == theirs.last_epoch == 40


def test_warmup_then_cosine_with_sequential_lr_and_state_dict():
    def build(optim, sched):
        opt = _optimizers(optim)
        warm = sched.LinearLR(opt, start_factor=0.01, total_iters=5)
        decay = sched.CosineAnnealingLR(opt, T_max=15, eta_min=1e-4)
        return opt, sched.SequentialLR(opt, [warm, decay], milestones=[5])

    (o1, s1), (o2, s2) = build(ours_optim, ours_sched), build(torch.optim, torch.optim.lr_scheduler)
    assert _trace(o1, s1, 12) == _trace(o2, s2, 12)
    # warm-up reached the base rate at the milestone, then decays
    o3, s3 = build(ours_optim, ours_sched)
    lrs = [row[0][0] for row in _trace(o3, s3, 20)]
    assert lrs[4] == pytest.approx(0.1) and lrs[0] < 0.03 and lrs[-1] < 0.01
    # resume from a state_dict: the continuation matches
    o4, s4 = build(ours_optim, ours_sched)
    s4.load_state_dict(s1.state_dict())
    o4.load_state_dict(o1.state_dict())
    assert _trace(o4, s4, 8) == _trace(o1, s1, 8)


def test_our_schedulers_drive_torch_optimizers():
    opt = _optimizers(torch.optim)
    ref = _optimizers(torch.optim)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _trace(opt, ours_sched.OneCycleLR(opt, 0.3, total_steps=25), 25) == \
            _trace(ref, torch.optim.lr_scheduler.OneCycleLR(ref, 0.3, total_steps=25), 25)


def test_errors_are_torchs():
    opt = _optimizers(ours_optim)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        ours_sched.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="either total_steps OR"):
        ours_sched.OneCycleLR(opt, 0.1)
    with pytest.raises(ValueError, match="Tried to step 6 times"):
        s = ours_sched.OneCycleLR(opt, 0.1, total_steps=5)
        for _ in range(6):
            s.step()
    with pytest.raises(ValueError, match="one more than the number of milestone"):
        ours_sched.SequentialLR(opt, [ours_sched.StepLR(opt, 2)], milestones=[3])
    with pytest.raises(KeyError, match="initial_lr"):
        ours_sched.StepLR(_optimizers(ours_optim), 2, last_epoch=3)
    with pytest.raises(TypeError, match="not an Optimizer"):
        ours_sched.StepLR(object(), 2)
