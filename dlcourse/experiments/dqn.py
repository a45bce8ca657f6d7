"""Deep Q-learning on Catch, and its two ingredients removed one at a time (book: Chapter 8, "Deep Q-learning").

Three agents share everything (network, optimiser, exploration, number of updates, batch size) but:

- ``"DQN"``: minibatches sampled uniformly from a replay buffer; targets from a target network refreshed every
  ``target_update`` steps;
- ``"no replay"``: each minibatch is the ``batch_size`` most recent transitions, in order (the correlated stream
  an online learner sees); target network kept;
- ``"no target network"``: replay kept; targets from the online network itself.

Every ``eval_every`` steps the greedy policy plays one game from every starting column; the curve is the fraction
of balls caught.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..models.dqn import QNetwork
from ..rl import Catch, ReplayBuffer, epsilon_greedy, linear_schedule, q_learning_target
from ..runtime import size as _size

__all__ = ["Config", "QUICK", "FULL", "config", "VARIANTS", "train_dqn", "greedy_catch_rate", "run"]


@dataclass(frozen=True)
class Config:
    rows: int = 6
    columns: int = 5
    steps: int = 1200            # environment steps (one update each, after `warmup`)
    warmup: int = 64
    buffer: int = 1000
    batch_size: int = 32
    lr: float = 3e-3
    gamma: float = 0.9
    target_update: int = 50
    epsilon_start: float = 1.0
    epsilon_end: float = 0.05
    epsilon_steps: int = 600
    hidden: int = 64
    eval_every: int = 100
    seeds: tuple[int, ...] = (0, 1, 2)


QUICK = Config()
FULL = Config(rows=10, columns=7, steps=8000, buffer=5000, epsilon_steps=3000, eval_every=250,
              seeds=(0, 1, 2, 3, 4), target_update=200, hidden=128)

#: name -> (use replay, use a target network)
VARIANTS = {"DQN": (True, True), "no replay": (False, True), "no target network": (True, False)}


def config(size: str | None = None) -> Config:
    """FULL when the size (``dlcourse.runtime.size()`` by default) is ``"full"``, else QUICK."""
    return FULL if (size or _size()) == "full" else QUICK


@torch.no_grad()
def greedy_catch_rate(q: QNetwork, env: Catch) -> float:
    """Fraction of balls caught by the greedy policy, one game from each starting column."""
    caught = 0
    for col in range(env.columns):
        obs, done, reward = env.reset(ball_col=col), False, 0.0
        while not done:
            obs, reward, done = env.step(int(q(obs[None]).argmax()))
        caught += reward > 0
    return caught / env.columns


def train_dqn(cfg: Config, seed: int = 0, *, replay: bool = True, target_network: bool = True,
              progress: bool = False, desc: str = "DQN") -> dict[str, list]:
    """Train one agent; returns ``{"step": [...], "catch_rate": [...], "returns": [...per episode]}``."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    env, eval_env = Catch(cfg.rows, cfg.columns, seed=seed), Catch(cfg.rows, cfg.columns, seed=seed + 1)
    q = QNetwork(env.observation_shape, env.n_actions, hidden=cfg.hidden)
    q_target = copy.deepcopy(q) if target_network else q
    optimizer = torch.optim.Adam(q.parameters(), lr=cfg.lr)
    buffer = ReplayBuffer(cfg.buffer, env.observation_shape)
    curve = {"step": [0], "catch_rate": [greedy_catch_rate(q, eval_env)], "returns": []}
    obs = env.reset()
    for step in tqdm(range(1, cfg.steps + 1), desc=desc, disable=not progress, mininterval=0.5, leave=False):
        epsilon = linear_schedule(step, cfg.epsilon_start, cfg.epsilon_end, cfg.epsilon_steps)
        with torch.no_grad():
            action = epsilon_greedy(q(obs[None])[0], epsilon, g)
        next_obs, reward, done = env.step(action)
        buffer.push(obs, action, reward, next_obs, done)
        obs = env.reset() if done else next_obs
        if done:
            curve["returns"].append(reward)
        if step >= cfg.warmup:
            batch = buffer.sample(cfg.batch_size, g) if replay else buffer.latest(cfg.batch_size)
            with torch.no_grad():
                y = q_learning_target(batch.reward, q_target(batch.next_obs), batch.done, cfg.gamma)
            q_sa = q(batch.obs).gather(1, batch.action[:, None])[:, 0]
            loss = F.smooth_l1_loss(q_sa, y)          # DQN's clipped error: Huber loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if target_network and step % cfg.target_update == 0:
                q_target.load_state_dict(q.state_dict())
        if step % cfg.eval_every == 0:
            curve["step"].append(step)
            curve["catch_rate"].append(greedy_catch_rate(q, eval_env))
    return curve


def run(cfg: Config | None = None, variants: dict | None = None, progress: bool = True) -> dict[str, list[dict]]:
    """Every variant on every seed: ``{name: [curve per seed]}``."""
    cfg = cfg or config()
    variants = variants or VARIANTS
    return {name: [train_dqn(cfg, s, replay=r, target_network=t, progress=progress, desc=f"{name}, seed {s}")
                   for s in cfg.seeds]
            for name, (r, t) in variants.items()}
