"""Generated images of two shapes with a one-sentence caption (book: Chapter 5, "Image captioning").

Each RGB image (3, size, size), values in [0, 1], shows two different coloured shapes on a black background, side
by side or one above the other; the caption names them in reading order::

    "a red circle left of a blue square"        "a green triangle above a red circle"

The caption vocabulary is :data:`CAPTION_VOCAB` (word level, with ``<pad>``, ``<unk>``, ``<bos>``, ``<eos>``).
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from .text import Vocab

__all__ = ["COLOURS", "SHAPES", "CAPTION_VOCAB", "ShapeCaptions", "draw_shape", "make_shapes"]

COLOURS = {"red": (1.0, 0.15, 0.1), "green": (0.1, 0.85, 0.2), "blue": (0.2, 0.4, 1.0)}
SHAPES = ("circle", "square", "triangle")
CAPTION_VOCAB = Vocab(["a", *COLOURS, *SHAPES, "left", "of", "above"])


def draw_shape(image: torch.Tensor, shape: str, colour: str, cy: float, cx: float, r: float) -> None:
    """Paint ``shape`` of half-size ``r`` centred at (cy, cx) into ``image`` (3, H, W), in place."""
    H, W = image.shape[1:]
    y = torch.arange(H, dtype=torch.float32)[:, None] - cy
    x = torch.arange(W, dtype=torch.float32)[None, :] - cx
    if shape == "circle":
        mask = y ** 2 + x ** 2 <= r ** 2
    elif shape == "square":
        mask = (y.abs() <= r * 0.85) & (x.abs() <= r * 0.85)
    elif shape == "triangle":                                  # apex up: |x| grows linearly from the top
        mask = (y >= -r) & (y <= r) & (x.abs() <= (y + r) / 2)
    else:
        raise ValueError(f"unknown shape {shape!r}; expected one of {SHAPES}")
    image[:, mask] = torch.tensor(COLOURS[colour])[:, None]


@dataclass(frozen=True)
class ShapeCaptions:
    """images (N, 3, S, S) float32; captions (strings); tokens (N, 9 or 10) int64: ``<bos>``, the 7 or 8 words,
    ``<eos>``, right-padded with ``<pad>``."""

    images: torch.Tensor
    captions: tuple[str, ...]
    tokens: torch.Tensor
    vocab: Vocab

    def __len__(self) -> int:
        return len(self.captions)


def make_shapes(n: int, size: int = 32, seed: int = 0) -> ShapeCaptions:
    """``n`` random two-shape images with their captions (deterministic for a ``seed``)."""
    if n < 1 or size < 16:
        raise ValueError(f"need n >= 1 and size >= 16, got n={n}, size={size}")
    rng = random.Random(seed)
    images = torch.zeros(n, 3, size, size)
    captions = []
    objects = [(c, s) for c in COLOURS for s in SHAPES]
    for i in range(n):
        (c1, s1), (c2, s2) = rng.sample(objects, 2)
        r = size * rng.uniform(0.13, 0.18)
        along, across = rng.uniform(0.22, 0.3) * size, rng.uniform(0.35, 0.65) * size
        first, second = along, size - rng.uniform(0.22, 0.3) * size
        if rng.random() < 0.5:                                 # side by side: first is on the left
            draw_shape(images[i], s1, c1, across, first, r)
            draw_shape(images[i], s2, c2, across + rng.uniform(-2, 2), second, r)
            relation = "left of"
        else:                                                  # stacked: first is on top
            draw_shape(images[i], s1, c1, first, across, r)
            draw_shape(images[i], s2, c2, second, across + rng.uniform(-2, 2), r)
            relation = "above"
        captions.append(f"a {c1} {s1} {relation} a {c2} {s2}")
    tokens, _ = CAPTION_VOCAB.encode_batch([c.split() for c in captions], bos=True, eos=True)
    return ShapeCaptions(images, tuple(captions), tokens, CAPTION_VOCAB)
