"""The scale experiment of Chapter 1 on a tiny budget (dlcourse.experiments.scale)."""
import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from dlcourse.experiments.scale import MODELS, plot_scale_experiment, run_scale_experiment, train_mlp  # noqa: E402


@pytest.fixture(scope="module")
def rows():
    return run_scale_experiment(sizes=(50, 200), n_test=300, svm_max_m=50, epochs=2, min_steps=10, device="cpu")


def test_table_shape(rows):
    # one row per (model, m), the SVM only up to svm_max_m; ordered by model then m
    assert [(r["model"], r["m"]) for r in rows] == [
        (name, m) for name in MODELS for m in (50, 200) if not (name == "SVM (RBF)" and m > 50)]
    for r in rows:
        assert set(r) == {"model", "m", "accuracy", "seconds"}
        assert 0.0 <= r["accuracy"] <= 1.0 and r["seconds"] >= 0.0


def test_plot_has_one_curve_per_model_and_log_x(rows):
    ax = plot_scale_experiment(rows)
    assert ax.get_xscale() == "log"
    assert len([line for line in ax.get_lines() if line.get_label() in MODELS]) == len(MODELS)
    assert any("SVM stopped" in t.get_text() for t in ax.texts)
    matplotlib.pyplot.close(ax.figure)


def test_mlp_learns_a_separable_task():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(400, 5, generator=g)
    y = (X[:, 0] + X[:, 1] > 0).long()
    model = train_mlp(X, y, (16,), epochs=5, min_steps=100, device="cpu")
    with torch.no_grad():
        acc = ((model(X).squeeze(1) > 0).long() == y).float().mean().item()
    assert acc > 0.95, acc


@pytest.mark.parametrize("kwargs, match", [
    (dict(sizes=(200, 100)), "increasing"),
    (dict(sizes=(1,)), "increasing"),
    (dict(models=("random forest",)), "unknown models"),
    (dict(n_test=0), "n_test"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        run_scale_experiment(**kwargs)
