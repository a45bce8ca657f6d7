"""dlcourse.training: the shared loop learns, records a history, plots it, and rejects bad arguments."""
import matplotlib

matplotlib.use("Agg")
import pytest
import torch
from torch import nn

from dlcourse import seed_everything
from dlcourse.training import Callback, EarlyStopping, History, accuracy, evaluate, fit, make_loader


def blobs(n=400):
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 2, (n,), generator=g)
    X = torch.randn(n, 2, generator=g) + 3.0 * (2 * y[:, None] - 1)
    return X, y


def test_fit_learns_and_records_history():
    seed_everything(0)
    X, y = blobs()
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    history = fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(),
                  optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=5, batch_size=32,
                  valid=(X, y), metrics={"accuracy": accuracy}, device="cpu", progress=False)
    assert history["epoch"] == [1, 2, 3, 4, 5]
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert history.last["valid_accuracy"] > 0.95
    assert len(history.step_losses) == 5 * 13  # ceil(400 / 32) steps per epoch
    assert set(history.last) >= {"train_loss", "train_accuracy", "valid_loss", "valid_accuracy", "seconds"}


def test_fit_is_repeatable_with_a_seed():
    def run():
        seed_everything(3)
        X, y = blobs()
        model = nn.Linear(2, 2)
        return fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), progress=False, device="cpu",
                   optimizer=torch.optim.SGD(model.parameters(), lr=0.1), epochs=2).step_losses
    assert run() == run()


def test_scheduler_steps_per_batch():
    X, y = blobs(64)
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, scheduler=sched, epochs=1,
        batch_size=16, progress=False, device="cpu")
    assert opt.param_groups[0]["lr"] == pytest.approx(1.0 * 0.5**4)


def test_evaluate_and_accuracy():
    out = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    assert accuracy(out, torch.tensor([0, 1, 1])) == pytest.approx(2 / 3)
    assert accuracy(torch.tensor([1.0, -1.0]), torch.tensor([1, 0])) == 1.0
    model = nn.Linear(2, 2)
    X, y = blobs(50)
    scores = evaluate(model, (X, y), nn.CrossEntropyLoss(), {"accuracy": accuracy}, device="cpu")
    assert set(scores) == {"loss", "accuracy"} and 0 <= scores["accuracy"] <= 1


def test_history_plot_draws_each_series():
    h = History(epochs=[{"epoch": 1, "train_loss": 1.0, "valid_accuracy": 0.5, "seconds": 0.1},
                        {"epoch": 2, "train_loss": 0.5, "valid_accuracy": 0.7, "seconds": 0.1}])
    axes = h.plot()
    assert len(axes) == 2
    assert list(axes[0].lines[0].get_ydata()) == [1.0, 0.5]
    assert list(axes[1].lines[0].get_ydata()) == [0.5, 0.7]


def test_bad_arguments_are_clear_errors():
    X, y = blobs(10)
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, epochs=0)
    with pytest.raises(ValueError, match="differ in length: 10 vs 9"):
        make_loader((X, y[:9]))
    with pytest.raises(TypeError, match="pair of tensors"):
        make_loader([1, 2, 3])
    with pytest.raises(KeyError, match="recorded"):
        History(epochs=[{"epoch": 1}])["valid_loss"]
    with pytest.raises(ValueError, match="empty"):
        History().plot()


def test_diverging_loss_stops_with_a_clear_error():
    X, y = blobs(64)
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1e30)
    with pytest.raises(FloatingPointError, match="smaller learning rate"):
        fit(model, (X, y.float()[:, None] * 1e10), loss_fn=nn.MSELoss(), optimizer=opt, epochs=3,
            progress=False, device="cpu")


# ------------------------------------------------------------------ the loop for chapters 5-8
class PlainSGD:
    """A hand-written optimizer with torch's surface only (as dlcourse.optim's are): no torch.optim base class."""

    def __init__(self, params, lr):
        self.param_groups = [{"params": list(params), "lr": lr}]
        self.state: dict = {}
        self.grad_norms: list[float] = []

    def zero_grad(self, set_to_none: bool = True):
        for p in self.param_groups[0]["params"]:
            p.grad = None

    @torch.no_grad()
    def step(self):
        ps = [p for p in self.param_groups[0]["params"] if p.grad is not None]
        self.grad_norms.append(torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in ps])).item())
        for p in ps:
            p -= self.param_groups[0]["lr"] * p.grad

    def state_dict(self):
        return {"state": self.state, "param_groups": [{"lr": g["lr"]} for g in self.param_groups]}


def _linear(seed=0):
    torch.manual_seed(seed)
    return nn.Linear(2, 2).double()


def test_any_optimizer_with_torchs_surface_and_gradient_clipping():
    X, y = blobs(64)
    model = _linear()
    opt = PlainSGD(model.parameters(), lr=0.1)
    fit(model, (X.double(), y), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, batch_size=16, progress=False,
        device="cpu")
    assert len(opt.grad_norms) == 4 and max(opt.grad_norms) > 0.5          # unclipped gradients are large here
    model = _linear()
    opt = PlainSGD(model.parameters(), lr=0.1)
    fit(model, (X.double(), y), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, batch_size=16, progress=False,
        device="cpu", clip_grad_norm=0.25)
    assert len(opt.grad_norms) == 4 and max(opt.grad_norms) <= 0.25 + 1e-12


def test_gradient_accumulation_equals_one_big_batch():
    X, y = blobs(96)
    runs = {}
    for batch_size, accumulate in ((32, 1), (16, 2), (8, 4)):
        model = _linear()
        fit(model, (X.double(), y), loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.SGD(model.parameters(), 0.5),
            epochs=2, batch_size=batch_size, accumulate=accumulate, progress=False, device="cpu",
            generator=torch.Generator().manual_seed(7))
        runs[(batch_size, accumulate)] = model.weight.detach().clone()
    moved = (runs[(32, 1)] - _linear().weight).abs().max()
    assert moved > 0.1                                                   # training did something
    torch.testing.assert_close(runs[(16, 2)], runs[(32, 1)], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(runs[(8, 4)], runs[(32, 1)], rtol=1e-12, atol=1e-12)


def test_accumulation_steps_once_per_group_and_schedules_per_step_or_epoch():
    X, y = blobs(80)                          # 5 batches of 16: groups of 2, 2 and 1 -> 3 optimizer steps
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    h = fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, scheduler=sched, batch_size=16,
            accumulate=2, progress=False, device="cpu")
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5 ** 3) and len(h.step_losses) == 5
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, scheduler=sched, scheduler_interval="epoch",
        epochs=3, batch_size=16, progress=False, device="cpu")
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5 ** 3)


class DictPairs(torch.utils.data.Dataset):
    """Batches that are dicts, not (X, y) pairs."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return {"features": self.X[i], "label": self.y[i]}


def test_batch_fn_for_batches_that_are_not_pairs():
    X, y = blobs(200)
    seed_everything(0)
    model = nn.Linear(2, 2)
    h = fit(model, DictPairs(X, y), loss_fn=nn.CrossEntropyLoss(), epochs=3, batch_size=32, progress=False,
            optimizer=torch.optim.SGD(model.parameters(), lr=0.5), valid=DictPairs(X, y), device="cpu",
            metrics={"accuracy": accuracy}, batch_fn=lambda m, b: (m(b["features"]), b["label"]))
    assert h.last["valid_accuracy"] > 0.95 and h["train_loss"][-1] < h["train_loss"][0]
    with pytest.raises(TypeError, match="batch_fn"):
        fit(model, DictPairs(X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.SGD(model.parameters()),
            progress=False, device="cpu")


def test_step_fn_with_two_optimizers_logs_each_loss():
    """A GAN-shaped step: two models, two optimizers in a dict, two losses logged."""
    torch.manual_seed(0)
    gan = nn.ModuleDict({"G": nn.Linear(1, 1), "D": nn.Linear(1, 1)})
    opts = {"G": torch.optim.SGD(gan["G"].parameters(), lr=0.05), "D": torch.optim.SGD(gan["D"].parameters(), lr=0.05)}
    real = torch.randn(64, 1) + 3.0
    calls = []

    def step(model, batch, optimizer):
        (x,) = batch
        bce = nn.functional.binary_cross_entropy_with_logits
        z = torch.randn(len(x), 1)
        optimizer["D"].zero_grad()
        fake = model["G"](z).detach()
        d_loss = bce(model["D"](x), torch.ones_like(x)) + bce(model["D"](fake), torch.zeros_like(fake))
        d_loss.backward()
        optimizer["D"].step()
        optimizer["G"].zero_grad()
        g_loss = bce(model["D"](model["G"](z)), torch.ones_like(x))
        g_loss.backward()
        optimizer["G"].step()
        calls.append(len(x))
        return {"d_loss": d_loss.item(), "g_loss": g_loss.item()}

    h = fit(gan, torch.utils.data.TensorDataset(real), step_fn=step, optimizer=opts, epochs=2, batch_size=16,
            progress=False, device="cpu")
    assert calls == [16] * 8 and len(h.step_losses) == 8
    assert set(h.last) == {"epoch", "train_d_loss", "train_g_loss", "seconds"}
    assert h.step_losses[-1] == pytest.approx(h.step_losses[-1]) and all(v > 0 for v in h["train_d_loss"])
    with pytest.raises(ValueError, match=r"step_fn does the whole step itself; drop \['clip_grad_norm'\]"):
        fit(gan, torch.utils.data.TensorDataset(real), step_fn=step, optimizer=opts, clip_grad_norm=1.0)
    with pytest.raises(ValueError, match="needs loss_fn"):
        fit(gan, torch.utils.data.TensorDataset(real), optimizer=opts)
    with pytest.raises(TypeError, match="zero_grad"):
        fit(nn.Linear(2, 2), blobs(8), loss_fn=nn.CrossEntropyLoss(), optimizer=opts, device="cpu")


def test_early_stopping_stops_and_restores_the_best_weights():
    X, y = blobs(64)
    model = _linear()
    first = {}

    class Snapshot(Callback):
        def on_epoch_end(self, model, history):
            if history.last["epoch"] == 1:
                first.update({k: v.clone() for k, v in model.state_dict().items()})

    # the training loss falls every epoch, so "max" never improves after epoch 1: patience 2 stops at epoch 4
    stopper = EarlyStopping("train_loss", patience=2, mode="max")
    h = fit(model, (X.double(), y), loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.SGD(model.parameters(), 0.1),
            epochs=20, progress=False, device="cpu", callbacks=[Snapshot(), stopper])
    assert h["epoch"] == [1, 2, 3, 4] and h.stopped_epoch == stopper.stopped_epoch == 4 and stopper.best_epoch == 1
    for k, v in model.state_dict().items():
        assert torch.equal(v, first[k]), k
    with pytest.raises(KeyError, match="valid_loss"):
        fit(model, (X.double(), y), loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.SGD(model.parameters(), 0.1),
            progress=False, device="cpu", callbacks=[EarlyStopping()])


def test_amp_off_cuda_warns_and_trains_in_float32():
    X, y = blobs(32)
    model = nn.Linear(2, 2)
    with pytest.warns(RuntimeWarning, match="CUDA only"):
        h = fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.SGD(model.parameters(), 0.1),
                progress=False, device="cpu", amp=True)
    assert model.weight.dtype == torch.float32 and len(h.step_losses) == 1


def test_evaluate_weights_each_batch_by_its_size():
    """3 rows in batches of 2 and 1: the loss is the mean over rows (6), not the mean of batch means (8.5)."""
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.zero_()
    X, y = torch.zeros(3, 1), torch.tensor([[1.0], [1.0], [4.0]])     # squared errors 1, 1, 16
    scores = evaluate(model, (X, y), nn.MSELoss(), batch_size=2, device="cpu")
    assert scores["loss"] == pytest.approx(6.0)
    assert evaluate(model, (X, y), nn.MSELoss(), batch_size=3, device="cpu")["loss"] == pytest.approx(6.0)


@pytest.mark.parametrize("shuffle, seeded", [(True, True), (True, False), (False, True)])
def test_tensor_batches_give_torchs_batches_and_random_draws(shuffle, seeded):
    X, y = torch.arange(50.0).view(25, 2), torch.arange(25)
    data = torch.utils.data.TensorDataset(X, y)

    def batches(loader):
        return [b for _ in range(2) for b in loader] + [torch.rand(3)]    # two epochs, then the global RNG state

    torch.manual_seed(11)
    ours = batches(make_loader(data, batch_size=8, shuffle=shuffle,
                               generator=torch.Generator().manual_seed(3) if seeded else None))
    torch.manual_seed(11)
    theirs = batches(torch.utils.data.DataLoader(data, batch_size=8, shuffle=shuffle,
                                                 generator=torch.Generator().manual_seed(3) if seeded else None))
    assert len(ours) == len(theirs) == 9
    for a, b in zip(ours, theirs):
        assert all(torch.equal(u, v) for u, v in zip(a, b)) if isinstance(a, tuple) else torch.equal(a, b)
    assert len(make_loader((X, y), batch_size=8)) == 4


def test_plot_histories_draws_one_line_per_run():
    from dlcourse.plotting import plot_histories

    runs = {name: History(epochs=[{"epoch": 1, "train_loss": 1.0 * k, "valid_loss": 2.0 * k},
                                  {"epoch": 2, "train_loss": 0.5 * k, "valid_loss": 1.5 * k}])
            for k, name in enumerate(["sgd", "adam"], start=1)}
    axes = plot_histories(runs, keys=["train_loss", "valid_loss"])
    assert len(axes) == 2 and [ln.get_label() for ln in axes[0].lines] == ["sgd", "adam"]
    assert list(axes[1].lines[1].get_ydata()) == [4.0, 3.0]
    with pytest.raises(ValueError, match="no histories"):
        plot_histories({})
    with pytest.raises(KeyError, match="accuracy"):
        plot_histories(runs, keys=["accuracy"])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="mixed precision runs on CUDA only")
def test_amp_on_cuda_runs_the_forward_in_float16_and_learns():
    X, y = blobs(256)
    seed_everything(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    dtypes = []

    def batch_fn(m, batch):
        out = m(batch[0])
        dtypes.append(out.dtype)
        return out, batch[1]

    h = fit(model, (X, y), loss_fn=nn.CrossEntropyLoss(), optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
            epochs=5, batch_size=32, device=torch.device("cuda"), batch_fn=batch_fn, amp=True, clip_grad_norm=1.0,
            valid=(X, y), metrics={"accuracy": accuracy}, progress=False)
    assert dtypes[0] == torch.float16 and model[0].weight.dtype == torch.float32
    assert h.last["valid_accuracy"] > 0.95 and h["train_loss"][-1] < h["train_loss"][0]
