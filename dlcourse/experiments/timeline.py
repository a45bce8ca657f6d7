"""Milestones of deep learning, 1943-2020, kept as data (book: Chapter 1, "A timeline").

Each :class:`Milestone` names its primary source by its key in ``book/references.bib`` and the chapter of the
course that rebuilds it (``None`` when no chapter does). The year is the year the idea appeared (a preprint or
a talk); the cited publication may be a year later. :data:`AI_WINTERS` holds the two periods when funding and
interest collapsed, as ``(start, end)`` year spans. :func:`plot_timeline` draws both.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Milestone", "MILESTONES", "AI_WINTERS", "NEURAL_NETWORK_SLUMP", "CHAPTER_TITLES", "milestones_for_chapter",
           "plot_timeline"]


@dataclass(frozen=True)
class Milestone:
    """One milestone.

    Attributes:
        year: year the idea appeared.
        name: short name, e.g. ``"Perceptron"``.
        people: who, e.g. ``"Rosenblatt"``.
        bibkey: key of the primary source in ``book/references.bib``.
        chapter: the course chapter (1-8) that rebuilds it, or ``None``.
    """

    year: int
    name: str
    people: str
    bibkey: str
    chapter: int | None = None


CHAPTER_TITLES = {
    1: "Why deep learning took off",
    2: "The perceptron and the AI winter",
    3: "Backpropagation",
    4: "Convolutional networks",
    5: "Recurrent networks and LSTM",
    6: "Training deep networks",
    7: "Attention and Transformers",
    8: "More milestones",
}

MILESTONES: tuple[Milestone, ...] = (
    Milestone(1943, "Threshold logic neuron", "McCulloch, Pitts", "mcculloch1943logical", 2),
    Milestone(1958, "Perceptron", "Rosenblatt", "rosenblatt1958perceptron", 2),
    Milestone(1960, "ADALINE and the delta rule", "Widrow, Hoff", "widrow1960adaptive", 2),
    Milestone(1965, "Deep polynomial networks (GMDH)", "Ivakhnenko, Lapa", "ivakhnenko1965cybernetic", 2),
    Milestone(1969, "Perceptrons: the limits of one layer", "Minsky, Papert", "minsky1969perceptrons", 2),
    Milestone(1970, "Reverse-mode automatic differentiation", "Linnainmaa", "linnainmaa1970representation", 3),
    Milestone(1973, "Lighthill report", "Lighthill", "lighthill1973artificial", 2),
    Milestone(1980, "Neocognitron", "Fukushima", "fukushima1980neocognitron", 4),
    Milestone(1982, "Backpropagation applied to neural networks", "Werbos", "werbos1982applications", 3),
    Milestone(1986, "Backpropagation popularised", "Rumelhart, Hinton, Williams", "rumelhart1986learning", 3),
    Milestone(1989, "ConvNet trained by backpropagation", "LeCun et al.", "lecun1989backpropagation", 4),
    Milestone(1991, "Vanishing gradient analysed", "Hochreiter", "hochreiter1991untersuchungen", 5),
    Milestone(1992, "History compression (unsupervised pre-training)", "Schmidhuber", "schmidhuber1992learning",
              None),
    Milestone(1995, "Support vector machine", "Cortes, Vapnik", "cortes1995support", 2),
    Milestone(1997, "LSTM", "Hochreiter, Schmidhuber", "hochreiter1997long", 5),
    Milestone(1998, "LeNet-5", "LeCun, Bottou, Bengio, Haffner", "lecun1998gradient", 4),
    Milestone(2006, "Deep belief nets, layer-wise pre-training", "Hinton, Osindero, Teh", "hinton2006fast", 3),
    Milestone(2007, "CUDA", "NVIDIA (Nickolls et al.)", "nickolls2008scalable", 1),
    Milestone(2009, "ImageNet", "Deng et al.", "deng2009imagenet", 1),
    Milestone(2010, "Deep, big, simple nets on GPUs", "Ciresan et al.", "ciresan2010deep", 1),
    Milestone(2010, "Rectified linear units", "Nair, Hinton", "nair2010rectified", 6),
    Milestone(2012, "AlexNet wins ImageNet", "Krizhevsky, Sutskever, Hinton", "krizhevsky2012imagenet", 4),
    Milestone(2012, "Dropout", "Hinton et al.", "hinton2012improving", 6),
    Milestone(2013, "Deep Q-network (DQN)", "Mnih et al.", "mnih2013playing", 8),
    Milestone(2014, "Generative adversarial nets", "Goodfellow et al.", "goodfellow2014generative", 8),
    Milestone(2014, "Attention for translation", "Bahdanau, Cho, Bengio", "bahdanau2015neural", 7),
    Milestone(2014, "Adam optimiser", "Kingma, Ba", "kingma2015adam", 6),
    Milestone(2015, "Batch normalization", "Ioffe, Szegedy", "ioffe2015batch", 6),
    Milestone(2015, "Residual networks (ResNet)", "He, Zhang, Ren, Sun", "he2016deep", 6),
    Milestone(2017, "Transformer", "Vaswani et al.", "vaswani2017attention", 7),
    Milestone(2018, "BERT", "Devlin, Chang, Lee, Toutanova", "devlin2019bert", 7),
    Milestone(2020, "GPT-3", "Brown et al.", "brown2020language", 7),
    Milestone(2020, "SimCLR", "Chen, Kornblith, Norouzi, Hinton", "chen2020simple", 8),
)

#: The AI winters as (first year, last year) spans: after the Lighthill report and the end of the perceptron
#: era, and after the collapse of the expert-system market.
AI_WINTERS: tuple[tuple[int, int], ...] = ((1974, 1980), (1987, 1993))

#: The slump of *neural networks* (not of AI as a whole), as (first year, last year): from the mid-1990s, when
#: support vector machines (Cortes and Vapnik 1995) won the benchmarks and neural networks were largely abandoned
#: (LeCun, Bengio and Hinton 2015), to the layer-wise pre-training of 2006 (Hinton et al. 2006).
NEURAL_NETWORK_SLUMP: tuple[int, int] = (1995, 2006)


def milestones_for_chapter(chapter: int) -> list[Milestone]:
    """The milestones the given chapter (1-8) rebuilds, in time order."""
    if chapter not in CHAPTER_TITLES:
        raise ValueError(f"chapter must be one of {sorted(CHAPTER_TITLES)}, got {chapter!r}")
    return [m for m in MILESTONES if m.chapter == chapter]


def plot_timeline(ax=None, milestones: tuple[Milestone, ...] = MILESTONES,
                  winters: tuple[tuple[int, int], ...] = AI_WINTERS,
                  slump: tuple[int, int] | None = NEURAL_NETWORK_SLUMP):
    """Draw the milestones on a time axis, one row each (earliest at the top), with the AI winters shaded and the
    neural-network slump hatched.

    Args:
        ax: matplotlib axes (a new wide figure when ``None``).
        milestones: what to draw (default: :data:`MILESTONES`).
        winters: year spans to shade (default: :data:`AI_WINTERS`).
        slump: the neural-network slump to hatch (default: :data:`NEURAL_NETWORK_SLUMP`; ``None``: not drawn).

    Returns:
        The axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(12, 8.5))
    palette = plt.get_cmap("tab10").colors
    colors = dict(zip(range(1, 9), (palette[i] for i in (0, 1, 2, 3, 4, 5, 6, 9))))  # no gray: that is "none"
    ordered = sorted(milestones, key=lambda m: m.year)
    n = len(ordered)
    for start, end in winters:
        ax.axvspan(start, end, color="lightsteelblue", alpha=0.5, lw=0)
        ax.text((start + end) / 2, n - 0.3, "AI winter", ha="center", va="bottom", fontsize=8, color="steelblue")
    if slump is not None:
        ax.axvspan(*slump, facecolor="none", edgecolor="darkkhaki", hatch="//", alpha=0.6, lw=0)
        ax.text(sum(slump) / 2, n - 0.3, "neural-network slump", ha="center", va="bottom", fontsize=8,
                color="olive")
    for row, m in enumerate(ordered):
        y = n - 1 - row                      # earliest at the top
        color = colors.get(m.chapter, "gray") if m.chapter else "gray"
        ax.plot([ordered[0].year - 2, m.year], [y, y], color="lightgray", lw=0.5, zorder=0)
        ax.plot(m.year, y, "o", color=color, ms=5)
        label = f"{m.year}  {m.name} ({m.people})" + (f"  [Ch. {m.chapter}]" if m.chapter else "")
        right = m.year < 1992                # labels grow rightwards early on, leftwards later
        ax.text(m.year + (1 if right else -1), y, label, fontsize=7.5, va="center",
                ha="left" if right else "right", color="black")
    years = [m.year for m in ordered]
    ax.set_xlim(min(years) - 2, max(years) + 2)
    ax.set_ylim(-1, n + 0.8)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("year")
    ax.set_title("Milestones of deep learning (colour: the chapter that rebuilds it; shaded: AI winters; "
                 "hatched: the neural-network slump)")
    return ax
