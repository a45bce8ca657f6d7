"""Catch: a pixel game small enough to learn on a CPU in seconds (book: Chapter 8, "Deep Q-learning").

A ball starts in a random column of the top row of a ``rows x columns`` screen and falls one row per step. The
agent moves a one-pixel paddle along the bottom row: action 0 = left, 1 = stay, 2 = right. When the ball reaches
the bottom row the episode ends with reward +1 if the paddle is under it and -1 if not; every other step gives 0.
The agent sees only the screen, a (1, rows, columns) image with the ball and the paddle lit, as DQN saw Atari's
pixels. The reward arrives only at the end, ``rows - 1`` steps after the decisions that earned it: the agent must
learn which earlier moves mattered (the credit-assignment problem that Q-learning's bootstrapped target solves).
"""
from __future__ import annotations

import torch

__all__ = ["Catch"]


class Catch:
    """The game, one episode at a time.

    Args:
        rows, columns: size of the screen (at least 3 x 3).
        seed: seed of the generator that places the ball.

    Use::

        env = Catch(6, 5, seed=0)
        obs = env.reset()                    # (1, rows, columns) float32
        obs, reward, done = env.step(2)      # move right
    """

    n_actions = 3

    def __init__(self, rows: int = 6, columns: int = 5, *, seed: int = 0):
        if rows < 3 or columns < 3:
            raise ValueError(f"Catch needs at least 3 rows and 3 columns, got {rows} x {columns}")
        self.rows, self.columns = rows, columns
        self.generator = torch.Generator().manual_seed(seed)
        self.ball_row = self.ball_col = self.paddle = 0
        self.done = True

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (1, self.rows, self.columns)

    def observe(self) -> torch.Tensor:
        """The screen (1, rows, columns): 1 at the ball and at the paddle, 0 elsewhere."""
        screen = torch.zeros(self.observation_shape)
        screen[0, self.ball_row, self.ball_col] = 1.0
        screen[0, self.rows - 1, self.paddle] = 1.0
        return screen

    def reset(self, ball_col: int | None = None) -> torch.Tensor:
        """Start an episode: ball at the top (random column, or ``ball_col``), paddle in the middle."""
        if ball_col is None:
            ball_col = int(torch.randint(self.columns, (1,), generator=self.generator))
        if not 0 <= ball_col < self.columns:
            raise ValueError(f"ball_col must be in [0, {self.columns}), got {ball_col}")
        self.ball_row, self.ball_col, self.paddle = 0, ball_col, self.columns // 2
        self.done = False
        return self.observe()

    def step(self, action: int) -> tuple[torch.Tensor, float, bool]:
        """Move the paddle (0 left, 1 stay, 2 right), let the ball fall; returns (screen, reward, done)."""
        if self.done:
            raise RuntimeError("the episode is over: call reset() first")
        if action not in (0, 1, 2):
            raise ValueError(f"action must be 0 (left), 1 (stay) or 2 (right), got {action!r}")
        self.paddle = min(max(self.paddle + action - 1, 0), self.columns - 1)
        self.ball_row += 1
        reward = 0.0
        if self.ball_row == self.rows - 1:
            self.done = True
            reward = 1.0 if self.paddle == self.ball_col else -1.0
        return self.observe(), reward, self.done
