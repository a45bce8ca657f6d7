"""Chapter 8, deep Q-learning: the Catch game, the replay buffer's capacity and sampling, the Q-learning target,
the Q-network and a short DQN run."""
import dataclasses

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlcourse.experiments import dqn
from dlcourse.models import QNetwork
from dlcourse.rl import Catch, ReplayBuffer, epsilon_greedy, linear_schedule, q_learning_target


def test_catch_episode_rewards_and_screen():
    env = Catch(5, 4, seed=0)
    obs = env.reset(ball_col=0)
    assert obs.shape == (1, 5, 4) and obs.sum() == 2 and obs[0, 0, 0] == 1 and obs[0, 4, 2] == 1
    rewards, done, steps = [], False, 0
    while not done:                      # always move left: the paddle reaches column 0 in time
        obs, r, done = env.step(0)
        rewards.append(r)
        steps += 1
    assert steps == 4 and rewards == [0.0, 0.0, 0.0, 1.0]
    env.reset(ball_col=3)
    for _ in range(4):
        _, r, done = env.step(0)        # moving away from the ball misses it
    assert done and r == -1.0
    with pytest.raises(RuntimeError, match="reset"):
        env.step(1)
    with pytest.raises(ValueError, match="action must be"):
        env.reset()
        env.step(3)
    with pytest.raises(ValueError, match="at least 3"):
        Catch(2, 5)


def test_replay_buffer_capacity_overwrites_oldest():
    buf = ReplayBuffer(3, (1, 2, 2))
    for t in range(5):
        buf.push(torch.full((1, 2, 2), float(t)), t % 3, float(t), torch.full((1, 2, 2), t + 1.0), t == 4)
    assert len(buf) == 3 and buf.pushed == 5
    assert sorted(buf.reward.tolist()) == [2.0, 3.0, 4.0]               # 0 and 1 were overwritten
    latest = buf.latest(2)
    assert latest.reward.tolist() == [3.0, 4.0] and latest.done.tolist() == [False, True]
    torch.testing.assert_close(latest.next_obs[:, 0, 0, 0], torch.tensor([4.0, 5.0]))
    with pytest.raises(ValueError, match=r"shape \(1, 2, 2\)"):
        buf.push(torch.zeros(2, 2), 0, 0.0, torch.zeros(2, 2), False)
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0, (1,))
    with pytest.raises(ValueError, match="empty"):
        ReplayBuffer(2, (1,)).sample(1)


@settings(max_examples=25, deadline=None)
@given(capacity=st.integers(1, 12), pushes=st.integers(1, 30), window=st.integers(1, 15))
def test_replay_buffer_keeps_the_last_capacity_transitions(capacity, pushes, window):
    buf = ReplayBuffer(capacity, (2,))
    for t in range(pushes):
        buf.push(torch.full((2,), float(t)), 0, float(t), torch.zeros(2), False)
    kept = list(range(max(0, pushes - capacity), pushes))
    assert len(buf) == len(kept) and sorted(buf.reward[:len(buf)].tolist()) == kept
    assert buf.latest(window).reward.tolist() == kept[-window:]          # time order, oldest first
    assert set(buf.sample(64, torch.Generator().manual_seed(0)).reward.tolist()) <= set(kept)


def test_replay_buffer_samples_uniformly_and_consistently():
    buf = ReplayBuffer(10, (1,))
    for t in range(25):                 # keeps transitions 15..24
        buf.push(torch.tensor([float(t)]), t % 3, float(t), torch.tensor([t + 0.5]), False)
    batch = buf.sample(20000, torch.Generator().manual_seed(0))
    assert batch.obs.shape == (20000, 1) and batch.action.dtype == torch.int64
    # every field of a sampled row belongs to the same transition
    torch.testing.assert_close(batch.obs[:, 0], batch.reward)
    torch.testing.assert_close(batch.next_obs[:, 0], batch.reward + 0.5)
    assert torch.equal(batch.action, batch.reward.long() % 3)
    counts = torch.bincount(batch.reward.long() - 15, minlength=10).float()
    assert batch.reward.min() == 15 and batch.reward.max() == 24
    assert (counts / 20000 - 0.1).abs().max() < 0.015                  # uniform over the stored ten


def test_q_learning_target_masks_terminal_states():
    reward = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64)
    next_q = torch.tensor([[0.5, 2.0, -1.0], [3.0, 0.0, 0.0], [-0.5, -0.2, -0.9]], dtype=torch.float64,
                          requires_grad=True)
    done = torch.tensor([False, True, False])
    y = q_learning_target(reward, next_q, done, gamma=0.9)
    expected = torch.tensor([1.0 + 0.9 * 2.0, -1.0, 0.9 * -0.2], dtype=torch.float64)
    torch.testing.assert_close(y, expected)
    assert not y.requires_grad                                            # the target is a constant
    with pytest.raises(ValueError, match=r"next_q \(B, A\)"):
        q_learning_target(reward, next_q[0], done)
    with pytest.raises(ValueError, match="gamma"):
        q_learning_target(reward, next_q, done, gamma=1.5)


def test_epsilon_greedy_and_schedule():
    q = torch.tensor([0.1, 0.7, 0.2])
    assert epsilon_greedy(q, 0.0) == 1
    g = torch.Generator().manual_seed(0)
    picks = torch.tensor([epsilon_greedy(q, 1.0, g) for _ in range(600)])
    assert set(picks.tolist()) == {0, 1, 2} and (torch.bincount(picks) > 150).all()
    assert linear_schedule(0, 1.0, 0.1, 100) == 1.0 and linear_schedule(50, 1.0, 0.1, 100) == pytest.approx(0.55)
    assert linear_schedule(500, 1.0, 0.1, 100) == 0.1


def test_q_network_shapes_and_errors():
    q = QNetwork((1, 6, 5), 3)
    assert q(torch.rand(4, 1, 6, 5)).shape == (4, 3)
    assert QNetwork((1, 6, 5), 3, conv_channels=4)(torch.rand(2, 1, 6, 5)).shape == (2, 3)
    with pytest.raises(ValueError, match=r"\(B, 1, 6, 5\)"):
        q(torch.rand(4, 1, 5, 6))


def test_dqn_learns_catch_quickly():
    torch.set_num_threads(1)
    cfg = dataclasses.replace(dqn.QUICK, rows=4, columns=3, steps=400, epsilon_steps=200, eval_every=400)
    curve = dqn.train_dqn(cfg, seed=0)
    assert curve["step"] == [0, 400] and curve["catch_rate"][-1] == 1.0
    assert len(curve["returns"]) == 400 // 3
    assert dqn.config("full") is dqn.FULL and dqn.config("quick") is dqn.QUICK
