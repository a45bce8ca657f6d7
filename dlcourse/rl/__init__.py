"""Reinforcement learning of Chapter 8: a small pixel game, the replay buffer and the Q-learning target
(book: Chapter 8, "Deep Q-learning"). Nothing is downloaded: the package implements its environments itself."""
from .catch import Catch
from .q_learning import epsilon_greedy, linear_schedule, q_learning_target
from .replay_buffer import ReplayBuffer, Transition

__all__ = ["Catch", "ReplayBuffer", "Transition", "q_learning_target", "epsilon_greedy", "linear_schedule"]
