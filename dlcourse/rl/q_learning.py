"""The Q-learning target and epsilon-greedy exploration (book: Chapter 8, "Deep Q-learning").

Watkins (1989) learned the action value Q(s, a), the return expected after taking action a in state s and acting
well afterwards, from the Bellman equation. Each transition (s, a, r, s', done) gives a target

    y = r + gamma * max_a' Q(s', a')      if s' is not terminal,
    y = r                                 if it is (the game is over; nothing more will be earned),

and the network's Q(s, a) is moved towards y. DQN computes max_a' Q(s', a') with a *target network*, a copy of
the Q-network refreshed every C steps, so the target does not move with every update.
"""
from __future__ import annotations

import torch

__all__ = ["q_learning_target", "epsilon_greedy", "linear_schedule"]


def q_learning_target(reward: torch.Tensor, next_q: torch.Tensor, done: torch.Tensor,
                      gamma: float = 0.99) -> torch.Tensor:
    """The one-step Q-learning target ``r + gamma * (1 - done) * max_a' Q(s', a')``.

    Args:
        reward: (B,) rewards.
        next_q: (B, A) action values of the next states (from the target network).
        done: (B,) bool or 0/1: the next state is terminal.
        gamma: discount factor in [0, 1].

    Returns:
        (B,) targets, with no gradient to ``next_q``'s network (they are constants of the update).
    """
    if next_q.ndim != 2 or reward.shape != next_q.shape[:1] or done.shape != reward.shape:
        raise ValueError(f"expected reward (B,), next_q (B, A), done (B,); got {tuple(reward.shape)}, "
                         f"{tuple(next_q.shape)}, {tuple(done.shape)}")
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")
    not_done = 1.0 - done.to(reward.dtype)
    return (reward + gamma * not_done * next_q.detach().max(dim=1).values).detach()


def epsilon_greedy(q_values: torch.Tensor, epsilon: float, generator: torch.Generator | None = None) -> int:
    """With probability ``epsilon`` a random action, else the arg-max of ``q_values`` (A,)."""
    if torch.rand((), generator=generator).item() < epsilon:
        return int(torch.randint(q_values.shape[-1], (), generator=generator))
    return int(q_values.argmax())


def linear_schedule(step: int, start: float, end: float, steps: int) -> float:
    """``start`` moving linearly to ``end`` over ``steps`` steps, then ``end`` (DQN's exploration rate)."""
    if step >= steps:
        return end
    return start + (end - start) * step / steps
