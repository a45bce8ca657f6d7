"""Experience replay: a fixed-size memory of transitions, sampled uniformly (book: Chapter 8, "Deep Q-learning").

Lin (1992) proposed replaying past experience; DQN (Mnih et al., 2013, 2015) made it the ingredient that let a
neural network learn from its own play. Consecutive transitions of one game are strongly correlated (the same ball,
the same screen one row lower); a network trained on them in order sees a stream of near-duplicates and forgets
the rest. Sampling a minibatch uniformly from the last ``capacity`` transitions makes the batch closer to the
i.i.d. data stochastic gradient descent assumes, and lets every transition be learned from many times.

The buffer is a ring: once full, each new transition overwrites the oldest.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

__all__ = ["Transition", "ReplayBuffer"]


class Transition(NamedTuple):
    """A batch of transitions ``(s, a, r, s', done)``; each field has the batch as its first dimension."""

    obs: torch.Tensor        # (B, *obs_shape)
    action: torch.Tensor     # (B,) int64
    reward: torch.Tensor     # (B,)
    next_obs: torch.Tensor   # (B, *obs_shape)
    done: torch.Tensor       # (B,) bool: next_obs is terminal, nothing follows it


class ReplayBuffer:
    """A ring buffer of the last ``capacity`` transitions.

    Args:
        capacity: how many transitions it keeps.
        obs_shape: shape of one observation, e.g. ``(1, 6, 5)``.
        dtype: floating dtype of observations and rewards.
        device: where the tensors live (sampling returns tensors there).
    """

    def __init__(self, capacity: int, obs_shape: tuple[int, ...], *, dtype: torch.dtype = torch.float32,
                 device: torch.device | str = "cpu"):
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be a positive int, got {capacity!r}")
        self.capacity, self.obs_shape = capacity, tuple(obs_shape)
        self.obs = torch.zeros((capacity, *self.obs_shape), dtype=dtype, device=device)
        self.next_obs = torch.zeros_like(self.obs)
        self.action = torch.zeros(capacity, dtype=torch.int64, device=device)
        self.reward = torch.zeros(capacity, dtype=dtype, device=device)
        self.done = torch.zeros(capacity, dtype=torch.bool, device=device)
        self.position = 0      # where the next transition goes
        self.size = 0          # how many are stored (at most capacity)
        self.pushed = 0        # how many were ever pushed

    def __len__(self) -> int:
        return self.size

    def push(self, obs: torch.Tensor, action: int, reward: float, next_obs: torch.Tensor, done: bool) -> None:
        """Store one transition, overwriting the oldest when full."""
        if tuple(obs.shape) != self.obs_shape or tuple(next_obs.shape) != self.obs_shape:
            raise ValueError(f"observations must have shape {self.obs_shape}, got {tuple(obs.shape)} and "
                             f"{tuple(next_obs.shape)}")
        i = self.position
        self.obs[i], self.next_obs[i] = obs, next_obs
        self.action[i], self.reward[i], self.done[i] = int(action), float(reward), bool(done)
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)
        self.pushed += 1

    def _gather(self, index: torch.Tensor) -> Transition:
        index = index.to(self.obs.device)
        return Transition(self.obs[index], self.action[index], self.reward[index], self.next_obs[index],
                          self.done[index])

    def sample(self, batch_size: int, generator: torch.Generator | None = None) -> Transition:
        """``batch_size`` transitions drawn uniformly, with replacement, from those stored."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        return self._gather(torch.randint(self.size, (batch_size,), generator=generator))

    def latest(self, batch_size: int) -> Transition:
        """The ``batch_size`` most recent transitions in time order (oldest first): what an agent without replay
        learns from, a window of consecutive, correlated experience."""
        if self.size == 0:
            raise ValueError("the replay buffer is empty")
        n = min(batch_size, self.size)
        index = (torch.arange(self.position - n, self.position)) % self.capacity
        return self._gather(index)
