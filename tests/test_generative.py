"""Chapter 8, GANs and VAEs: the GAN losses against references written with torch's binary cross-entropy, the
networks' shapes, the VAE's loss against a hand-written ELBO, the sample judges, and a short GAN run."""
import dataclasses

import pytest
import torch
import torch.nn.functional as F

from dlcourse.data.digits import load_digits
from dlcourse.experiments import gan, vae
from dlcourse.experiments.sample_quality import diversity, frechet_distance, grey_fraction, sample_quality
from dlcourse.models import VAE, Discriminator, Generator
from dlcourse.models.gan import discriminator_loss, generator_loss
from dlcourse.models.vae import vae_loss
from dlcourse.testing import assert_matches_torch

D64 = torch.float64


def _logits(n=7, seed=0, scale=3.0):
    return scale * torch.randn(n, dtype=D64, generator=torch.Generator().manual_seed(seed))


def test_discriminator_loss_is_bce_with_real_one_fake_zero():
    real, fake = _logits(seed=1), _logits(seed=2)

    def reference(r, f):
        p_r, p_f = torch.sigmoid(r), torch.sigmoid(f)
        return F.binary_cross_entropy(p_r, torch.ones_like(p_r)) + F.binary_cross_entropy(p_f, torch.zeros_like(p_f))

    assert_matches_torch(discriminator_loss, reference, real, fake, rtol=1e-6, atol=1e-9)
    assert_matches_torch(discriminator_loss, lambda r, f: F.binary_cross_entropy_with_logits(
        r, torch.ones_like(r)) + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f)), real, fake)


def test_generator_losses_and_why_the_saturating_one_stalls():
    fake = _logits(seed=3)
    assert_matches_torch(generator_loss, lambda f: -torch.log(torch.sigmoid(f)).mean(), fake, rtol=1e-6)
    assert_matches_torch(lambda f: generator_loss(f, saturating=True),
                         lambda f: torch.log(1 - torch.sigmoid(f)).mean(), fake, rtol=1e-6)
    # D confidently rejects the samples (logit -8): the saturating gradient almost vanishes, the other does not
    f = torch.full((4,), -8.0, dtype=D64, requires_grad=True)
    (g_sat,) = torch.autograd.grad(generator_loss(f, saturating=True), f)
    (g_non,) = torch.autograd.grad(generator_loss(f), f)
    assert g_sat.abs().max() < 1e-3 and g_non.abs().min() > 0.2
    with pytest.raises(ValueError, match=r"1-D floating tensor of logits \(B,\)"):
        generator_loss(torch.zeros(4, 1))
    with pytest.raises(ValueError, match="real_logits"):
        discriminator_loss(torch.zeros(4, dtype=torch.int64), torch.zeros(4))


def test_gan_networks_shapes_and_errors():
    G, D = Generator(latent_dim=5, channels=4), Discriminator(channels=4)
    x = G(torch.randn(3, 5))
    assert x.shape == (3, 1, 8, 8) and x.min() >= 0 and x.max() <= 1
    assert D(x).shape == (3,)
    with pytest.raises(ValueError, match=r"\(B, 5\)"):
        G(torch.randn(3, 4))
    with pytest.raises(ValueError, match=r"\(B, 1, 8, 8\)"):
        D(torch.rand(3, 1, 7, 7))


def test_vae_loss_is_negative_elbo():
    torch.manual_seed(0)
    model = VAE(latent_dim=3, hidden=10).double()
    x = torch.rand(5, 1, 8, 8, dtype=D64)
    logits, mu, log_var = model(x)
    p = torch.sigmoid(logits)
    recon = -(x * torch.log(p) + (1 - x) * torch.log(1 - p)).sum() / 5
    var = log_var.exp()
    kl = 0.5 * (var + mu ** 2 - 1 - torch.log(var)).sum() / 5          # KL(N(mu, var) || N(0, 1))
    torch.testing.assert_close(vae_loss((logits, mu, log_var), x), recon + kl)
    assert model.sample(4).shape == (4, 1, 8, 8)
    with pytest.raises(ValueError, match="differ in shape"):
        vae_loss((logits, mu, log_var), x[:, :, :4])


def test_frechet_distance_and_judges():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(4000, 3, generator=g, dtype=D64)
    b = torch.randn(4000, 3, generator=g, dtype=D64) * 2 + 1
    # closed form for Gaussians with covariances I and 4I: |m|^2 + tr(I + 4I - 2 * 2I) = 3 + 3
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-4)
    assert frechet_distance(a, b) == pytest.approx(6.0, rel=0.1)
    same = torch.ones(10, 1, 8, 8)
    assert grey_fraction(torch.tensor([0.0, 0.5, 0.9, 0.3])) == 0.5
    assert diversity(same) == 0 and diversity(torch.rand(10, 1, 8, 8, generator=g)) > 1

    class Fixed(torch.nn.Module):      # predicts class 3 with probability ~1 for every image
        def forward(self, x):
            return torch.nn.functional.one_hot(torch.full((len(x),), 3), 10).float() * 50

    q = sample_quality(Fixed(), same)
    assert q["coverage"] == 1 and q["confidence"] == pytest.approx(1.0) and q["histogram"][3] == 1.0


def test_short_gan_and_vae_runs():
    torch.set_num_threads(1)
    X = load_digits().X_train[:256]
    cfg = dataclasses.replace(gan.QUICK, steps=20, snapshot_every=10, collapse_steps=5)
    run = gan.train_gan(X, cfg, progress=False)
    assert sorted(run.snapshots) == [0, 10, 20] and len(run.d_loss) == 20
    assert run.sample(6).shape == (6, 1, 8, 8)
    with pytest.raises(ValueError, match="batch_size"):
        gan.train_gan(X[:5], cfg, progress=False)
    collapsed = gan.collapse(run, steps=3, progress=False)
    assert collapsed is not run.generator
    model, history = vae.train_vae(X, dataclasses.replace(vae.QUICK, epochs=3), progress=False)
    assert history["train_loss"][-1] < history["train_loss"][0]
