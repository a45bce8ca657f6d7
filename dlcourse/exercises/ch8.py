"""Chapter 8 exercises: deep Q-learning, GANs, contrastive learning (book: ``book/ch8_milestones``)."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from dlcourse.models.gan import discriminator_loss, generator_loss
from dlcourse.nn.contrastive import nt_xent
from dlcourse.rl.q_learning import q_learning_target

from .spec import Case, Exercise, Mistake, Question

__all__ = ["EXERCISES"]

D = torch.float64


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------------------------- 8.1 Q target


def _q_cases() -> list[Case]:
    g = _gen(81)
    B = 6
    return [
        Case(args=(torch.tensor([0.0, 1.0, -1.0], dtype=D), torch.tensor([[0.2, 0.9, -0.1], [1.5, 0.3, 0.0],
                                                                         [0.4, 0.4, 2.0]], dtype=D),
                   torch.tensor([False, True, True]), 0.9), note="3 Catch transitions, the last two end the game"),
        Case(args=(torch.randn(B, dtype=D, generator=g), torch.randn(B, 4, dtype=D, generator=g),
                   torch.tensor([False, True, False, False, True, False]), 0.99), note="6 transitions, 4 actions"),
        Case(args=(torch.randn(5, dtype=D, generator=g), torch.randn(5, 2, dtype=D, generator=g),
                   torch.zeros(5, dtype=torch.bool), 0.5), note="no terminal state, gamma 0.5"),
    ]


def _q_no_mask(reward, next_q, done, gamma=0.99):
    return reward + gamma * next_q.max(dim=1).values


def _q_mask_inverted(reward, next_q, done, gamma=0.99):
    return reward + gamma * done.to(reward.dtype) * next_q.max(dim=1).values


def _q_mean(reward, next_q, done, gamma=0.99):
    return reward + gamma * (1 - done.to(reward.dtype)) * next_q.mean(dim=1)


# ------------------------------------------------------------------------------------------------- 8.2, 8.3 GAN


def _d_cases() -> list[Case]:
    g = _gen(82)
    return [
        Case(args=(torch.tensor([2.0, 0.5, -1.0], dtype=D), torch.tensor([-3.0, 0.0, 1.0], dtype=D)),
             note="3 real and 3 generated images"),
        Case(args=(3 * torch.randn(8, dtype=D, generator=g), 3 * torch.randn(5, dtype=D, generator=g)),
             note="8 real images, 5 generated ones"),
        Case(args=(torch.tensor([60.0, -60.0], dtype=D), torch.tensor([-1000.0, 1000.0], dtype=D)),
             note="saturated logits +-60 and +-1000 (the answer must stay finite)"),
    ]


def _d_swapped(real_logits, fake_logits):
    return F.softplus(real_logits).mean() + F.softplus(-fake_logits).mean()


def _d_no_fake(real_logits, fake_logits):
    return F.softplus(-real_logits).mean()


def _d_unstable(real_logits, fake_logits):
    return -torch.log(torch.sigmoid(real_logits)).mean() - torch.log(1 - torch.sigmoid(fake_logits)).mean()


def _g_cases() -> list[Case]:
    g = _gen(83)
    return [
        Case(args=(torch.tensor([-4.0, -1.0, 0.0, 2.0], dtype=D),), note="4 generated images"),
        Case(args=(3 * torch.randn(9, dtype=D, generator=g),), note="9 generated images"),
        Case(args=(torch.tensor([-1000.0, -60.0, 30.0], dtype=D),), note="D rejects two samples with certainty"),
    ]


def _g_saturating(fake_logits):
    return -F.softplus(fake_logits).mean()


def _g_fake_label(fake_logits):
    return F.softplus(fake_logits).mean()


def _g_unstable(fake_logits):
    return -torch.log(torch.sigmoid(fake_logits)).mean()


# ------------------------------------------------------------------------------------------------- 8.4 NT-Xent


def _ntx_cases() -> list[Case]:
    g = _gen(84)
    return [
        Case(args=(torch.eye(3, dtype=D), torch.eye(3, dtype=D) + 0.1), kwargs=dict(temperature=0.5),
             note="3 images, nearly identical views"),
        Case(args=(torch.randn(6, 4, dtype=D, generator=g), torch.randn(6, 4, dtype=D, generator=g)),
             kwargs=dict(temperature=0.1), note="6 images, d = 4, temperature 0.1"),
        Case(args=(5 * torch.randn(4, 8, dtype=D, generator=g), torch.randn(4, 8, dtype=D, generator=g)),
             kwargs=dict(temperature=0.2), note="4 images, d = 8, un-normalised projections, temperature 0.2"),
    ]


def _ntx_parts(z1, z2):
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    N = len(z1)
    partner = torch.cat([torch.arange(N, 2 * N), torch.arange(0, N)])
    return z, partner


def _ntx_temperature_twice(z1, z2, temperature=0.5):
    z, partner = _ntx_parts(z1, z2)
    logits = (z @ z.T / temperature / temperature).masked_fill(torch.eye(len(z), dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits, partner)


def _ntx_no_self_mask(z1, z2, temperature=0.5):
    z, partner = _ntx_parts(z1, z2)
    return F.cross_entropy(z @ z.T / temperature, partner)


def _ntx_not_normalised(z1, z2, temperature=0.5):
    z = torch.cat([z1, z2])
    N = len(z1)
    partner = torch.cat([torch.arange(N, 2 * N), torch.arange(0, N)])
    logits = (z @ z.T / temperature).masked_fill(torch.eye(2 * N, dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits, partner)


def _ntx_one_direction(z1, z2, temperature=0.5):
    z, partner = _ntx_parts(z1, z2)
    N = len(z1)
    logits = (z @ z.T / temperature).masked_fill(torch.eye(2 * N, dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits[:N], partner[:N])


EXERCISES = [
    Exercise(
        id="8.1",
        title="The Q-learning target",
        entry="q_learning_target",
        reference=q_learning_target,
        cases=_q_cases,
        statement=(
            "Write `q_learning_target(reward, next_q, done, gamma=0.99)` for a batch of transitions "
            "$(s, a, r, s')$: `reward` $(B,)$, `next_q` $(B, A)$ the target network's values $Q(s', a')$ of every "
            "action in the next state, and `done` $(B,)$ (bool) true where $s'$ ends the episode. Return the "
            "$(B,)$ targets $y = r + \\gamma \\max_{a'} Q(s', a')$, except that nothing follows a terminal state: "
            "there $y = r$."),
        stub=("import torch\n\n"
              "def q_learning_target(reward, next_q, done, gamma=0.99):\n"
              "    raise NotImplementedError\n"),
        section="ch8-q-learning",
        forbidden=("dlcourse.rl",),
        mistakes=(
            Mistake("no terminal masking", _q_no_mask,
                    "You bootstrapped from the state after the game ended. When done is true nothing more can be "
                    "earned: the target is the reward alone. Multiply the bootstrap term by (1 - done)."),
            Mistake("mask inverted", _q_mask_inverted,
                    "Your mask is the wrong way round: bootstrap where done is FALSE, not where it is true."),
            Mistake("mean instead of max", _q_mean,
                    "Q-learning assumes the best action is taken next: use the max over a', not the average."),
        ),
    ),
    Exercise(
        id="8.2",
        title="The discriminator's loss",
        entry="discriminator_loss",
        reference=discriminator_loss,
        cases=_d_cases,
        statement=(
            "The discriminator outputs a logit $l$; $D = \\sigma(l)$ is its probability that the image is real. "
            "Write `discriminator_loss(real_logits, fake_logits)` (1-D tensors, possibly of different lengths) "
            "returning the scalar $-\\operatorname{mean}\\log D(x) - \\operatorname{mean}\\log(1 - D(G(z)))$: "
            "binary cross-entropy with label 1 for real images and 0 for generated ones. It must stay finite for "
            "logits as large as $\\pm 1000$ (hint: $-\\log \\sigma(l) = \\operatorname{softplus}(-l)$). "
            "`torch.nn.functional.softplus` is allowed; `dlcourse.models.gan` is not."),
        stub=("import torch\n\n"
              "def discriminator_loss(real_logits, fake_logits):\n"
              "    raise NotImplementedError\n"),
        section="ch8-gan-losses",
        forbidden=("dlcourse.models",),
        mistakes=(
            Mistake("labels swapped", _d_swapped,
                    "You trained D to call generated images real and real ones fake: real images get label 1 "
                    "(loss softplus(-l)), generated ones label 0 (loss softplus(l))."),
            Mistake("generated term missing", _d_no_fake,
                    "Your loss only rewards D for accepting real images; without the term for generated ones it "
                    "can say 'real' to everything."),
            Mistake("log of sigmoid", _d_unstable,
                    "log(sigmoid(l)) underflows: sigmoid(1000) is exactly 1.0 in floating point, so log(1 - D) is "
                    "-inf. Write -log(sigmoid(l)) as softplus(-l) and -log(1 - sigmoid(l)) as softplus(l)."),
        ),
    ),
    Exercise(
        id="8.3",
        title="The generator's non-saturating loss",
        entry="generator_loss",
        reference=generator_loss,
        cases=_g_cases,
        statement=(
            "Write `generator_loss(fake_logits)` returning the generator's *non-saturating* loss "
            "$-\\operatorname{mean}\\log D(G(z))$ from the discriminator's logits on generated images (1-D). "
            "Not the minimax form $\\operatorname{mean}\\log(1 - D(G(z)))$: that one's gradient vanishes exactly "
            "when D rejects the samples, early in training. Stay finite for logits as large as $\\pm 1000$. "
            "`dlcourse.models.gan` is not allowed."),
        stub=("import torch\n\n"
              "def generator_loss(fake_logits):\n"
              "    raise NotImplementedError\n"),
        section="ch8-gan-losses",
        forbidden=("dlcourse.models",),
        mistakes=(
            Mistake("saturating loss", _g_saturating,
                    "That is the saturating (minimax) loss log(1 - D(G(z))) = -softplus(l). It has the same fixed "
                    "point but almost no gradient when D confidently rejects the samples. Minimise -log D(G(z)) "
                    "= softplus(-l) instead."),
            Mistake("discriminator's label", _g_fake_label,
                    "You used label 0 (softplus(l)): that trains G to make images D rejects. G wants its images "
                    "called real: label 1, softplus(-l)."),
            Mistake("log of sigmoid", _g_unstable,
                    "log(sigmoid(-1000)) is log(0) = -inf in floating point: write -log(sigmoid(l)) as "
                    "softplus(-l)."),
        ),
    ),
    Exercise(
        id="8.4",
        title="NT-Xent, the contrastive loss",
        entry="nt_xent",
        reference=nt_xent,
        cases=_ntx_cases,
        statement=(
            "Write `nt_xent(z1, z2, temperature=0.5)` for two $(N, d)$ tensors whose row $i$ holds the projections "
            "of two views of image $i$. Stack them into $2N$ rows, normalise each row to unit length, and for "
            "each view $i$ with partner $j(i)$ compute "
            "$\\ell_i = -\\log \\frac{\\exp(s_{i,j(i)}/\\tau)}{\\sum_{k \\ne i} \\exp(s_{ik}/\\tau)}$ with "
            "$s_{ik}$ the cosine similarity and $\\tau$ the temperature; return the mean over all $2N$ views. "
            "`torch.nn.functional.cross_entropy` and `normalize` are allowed; `dlcourse.nn` is not."),
        stub=("import torch\n\n"
              "def nt_xent(z1, z2, temperature=0.5):\n"
              "    raise NotImplementedError\n"),
        section="ch8-nt-xent",
        forbidden=("dlcourse.nn",),
        mistakes=(
            Mistake("temperature twice", _ntx_temperature_twice,
                    "You divided the similarities by the temperature twice (by tau squared): divide once."),
            Mistake("self-similarity kept", _ntx_no_self_mask,
                    "A view is not a candidate for itself: its similarity with itself (1 / tau, the largest) must "
                    "be left out of the denominator (set those logits to -inf)."),
            Mistake("not normalised", _ntx_not_normalised,
                    "NT-Xent uses cosine similarity: normalise every row to unit length before the dot products."),
            Mistake("one direction only", _ntx_one_direction,
                    "You averaged over the N views of z1 only; the loss is symmetric: views of z2 look for their "
                    "partners in z1 too (2N terms)."),
        ),
    ),
    Question(
        id="8.5", title="How far back the reward reaches", section="ch8-q-learning", answer=0.9 ** 4, rtol=1e-3,
        statement=(
            "In Catch on a 6-row screen the ball lands after five moves and the last move earns +1 or -1; all other "
            "rewards are 0. A perfect agent catches every ball, and $\\gamma = 0.9$. What is "
            "$\\max_a Q(s_0, a)$ at the first frame $s_0$? (Give four decimals.)"),
        mistakes=(Mistake("one discount too many", 0.9 ** 5,
                          "The reward of the fifth move is discounted by gamma for each of the four moves between "
                          "the first one and it: gamma^4, not gamma^5."),
                  Mistake("no discount", 1.0, "Rewards t steps ahead are worth gamma^t of an immediate one."))),
    Question(
        id="8.6", title="NT-Xent of a network that has learned nothing", section="ch8-nt-xent",
        answer=math.log(63), rtol=1e-5,
        statement=(
            "A batch of $N = 32$ images gives 64 views. The encoder has learned nothing: every view gets the "
            "same projection $z$. What is the NT-Xent loss (natural logarithm; any temperature)?"),
        mistakes=(Mistake("self-similarity counted", math.log(64),
                          "The denominator leaves out the view itself: 2N - 1 = 63 candidates, not 64."),
                  Mistake("negatives only", math.log(62),
                          "The denominator holds the partner too: 2N - 1 = 63 terms, all equal here."),
                  Mistake("one view per image", math.log(32),
                          "Each view chooses among the other 2N - 1 views, not among N images."))),
    Question(
        id="8.7", title="The discriminator at equilibrium", section="ch8-gan-losses", answer=2 * math.log(2),
        rtol=1e-4,
        statement=(
            "At the GAN's equilibrium the generator reproduces the data and the discriminator outputs "
            "$D(x) = 1/2$ for every image. What is the discriminator's loss "
            "$-\\mathbb{E}\\log D(x) - \\mathbb{E}\\log(1 - D(G(z)))$ there (natural logarithm)?"),
        mistakes=(Mistake("one term", math.log(2),
                          "The loss has two terms, one for real images and one for generated ones: "
                          "log 2 each."),
                  Mistake("probabilities, not logs", 1.0, "Each term is minus the log of 1/2, i.e. log 2."))),
]
