"""The experiment modules added for chapters 1-4 (second edition): encoder, cost of gradients, HOG features,
receptive fields, training compute. Small sizes; the notebooks assert the full-size claims."""
import pytest
import torch
from torch import nn

from dlcourse.experiments import compute, encoder_838, feature_learning, receptive_field, reverse_vs_finite


def test_sizes_are_selected_in_one_place(monkeypatch):
    for module in (encoder_838, reverse_vs_finite):
        monkeypatch.setenv("DLCOURSE_SIZE", "full")
        assert module.config() is module.FULL
        monkeypatch.setenv("DLCOURSE_SIZE", "quick")
        assert module.config() is module.QUICK
        assert module.config("full") is module.FULL


def test_encoder_learns_eight_distinct_codes():
    r = encoder_838.train_encoder(encoder_838.Config(steps=300, lr=2.0), seed=1)
    assert r.accuracy == 1.0 and r.losses[-1] < r.losses[0] / 10
    assert r.hidden.shape == (8, 3) and ((r.hidden >= 0) & (r.hidden <= 1)).all()
    gaps = torch.cdist(r.hidden, r.hidden) + 9 * torch.eye(8, dtype=r.hidden.dtype)
    assert gaps.min() > 0.3
    with pytest.raises(ValueError, match="at least one hidden unit"):
        encoder_838.train_encoder(encoder_838.Config(hidden=0))


def test_reverse_mode_and_finite_differences_agree_and_costs_grow():
    rows = reverse_vs_finite.time_gradients(reverse_vs_finite.Config(widths=(2, 32), inputs=8, batch=8))
    assert [r["weights"] for r in rows] == [8 * 2 + 2 + 2 * 3 + 3, 8 * 32 + 32 + 32 * 3 + 3]
    assert all(r["max_rel_diff"] < 1e-6 for r in rows)
    assert rows[1]["finite_s"] > rows[0]["finite_s"]


def test_hog_features_match_a_hand_computed_histogram():
    img = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    img[0, 0, :, 2:] = 1.0                         # a vertical edge: horizontal gradients only
    f = feature_learning.hog_features(img, bins=4, cell=2).view(2, 2, 4)
    assert torch.allclose(f.norm(), torch.tensor(1.0, dtype=torch.float64))
    assert (f[..., 1:] == 0).all()                 # every gradient is in bin 0 (angle 0)
    assert torch.allclose(f[0, 0, 0], f[0, 1, 0]) and f[0, 0, 0] > 0
    with pytest.raises(ValueError, match="multiples of cell"):
        feature_learning.hog_features(torch.zeros(2, 5, 5), cell=2)
    winners = feature_learning.ILSVRC_TOP5
    assert [w.year for w in winners] == list(range(2010, 2016))
    assert [w.learned_features for w in winners] == [False, False, True, True, True, True]


def test_measured_receptive_fields_equal_the_arithmetic():
    torch.manual_seed(0)
    for depth, pool_every, expected in [(1, 0, 3), (3, 0, 7), (2, 1, 8), (3, 1, 18)]:
        net = receptive_field.conv_stack(depth, pool_every)
        grad = receptive_field.gradient_map(net, size=32)
        assert receptive_field.measured_size(grad) == receptive_field.theoretical_size(net) == expected
    with pytest.raises(ValueError, match="too small"):
        receptive_field.gradient_map(receptive_field.conv_stack(4), size=6)


def test_training_compute_counts():
    assert compute.training_flop(10, 100, 2) == 6 * 10 * 100 * 2
    runs = compute.MILESTONE_RUNS
    assert [r.year for r in runs] == sorted(r.year for r in runs)
    assert [r.flop for r in runs] == sorted(r.flop for r in runs)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
    assert compute.count_macs(model, torch.zeros(5, 1, 8, 8)) == 4 * 36 * 9 + 144 * 10
    with pytest.raises(ValueError, match="positive"):
        compute.training_flop(0, 1, 1)


def test_timeline_draws_the_neural_network_slump_apart_from_the_ai_winters():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dlcourse.experiments.timeline import AI_WINTERS, NEURAL_NETWORK_SLUMP, plot_timeline

    start, end = NEURAL_NETWORK_SLUMP
    assert all(end_w < start for _, end_w in AI_WINTERS) and end == 2006  # after both winters, until 2006
    texts = [t.get_text() for t in plot_timeline().texts]
    assert texts.count("neural-network slump") == 1 and texts.count("AI winter") == len(AI_WINTERS)
    assert "neural-network slump" not in [t.get_text() for t in plot_timeline(slump=None).texts]
    plt.close("all")
