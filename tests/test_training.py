"""dlcourse.training: the shared loop learns, records a history, plots it, and rejects bad arguments."""
import matplotlib

matplotlib.use("Agg")
import pytest
import torch
from torch import nn

from dlcourse import seed_everything
from dlcourse.training import History, accuracy, evaluate, fit, make_loader


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
