"""Sampling conditioned on r(x_0), checked against analytic Bayesian answers for Gaussian data."""

import math

import pytest
import torch

from dpm_studio.core import (BinaryEvidence, BinomialDiffusion, Denoise, GaussianDiffusion, Inpaint,
                             LogDensity, Schedule, sample)
from dpm_studio.core.math.conditioning import gaussian_product
from dpm_studio.core.math.gaussian import GaussianDist
from dpm_studio.core.math.reference import GaussianDataOracle, gaussian_posterior

N = 40_000  # samples; a mean is checked to 5 standard errors, a variance to 5 of its own


def _check_moments(x, mean, var):
    n = x.numel()
    assert abs(float(x.mean()) - mean) < 5 * math.sqrt(var / n), (float(x.mean()), mean)
    assert abs(float(x.var()) - var) < 5 * var * math.sqrt(2 / n), (float(x.var()), var)


@pytest.mark.parametrize("par", ["paper", "code", "eps"])
def test_unconditional_samples_have_the_data_distribution(par):
    d = GaussianDiffusion(Schedule("code", 100), par)
    x = sample(d, GaussianDataOracle(d, 0.3, 0.5), (N, 1), seed=1, denoise_last=False)
    _check_moments(x, 0.3, 0.5)


@pytest.mark.parametrize("steps", [None, 12])
@pytest.mark.parametrize("par", ["paper", "eps"])
def test_matched_denoising_reproduces_the_bayesian_posterior(par, steps):
    """Data N(0.3, 0.5), y = x + N(0, 0.6^2): samples must follow the analytic posterior."""
    d = GaussianDiffusion(Schedule("code", 100), par)
    y, s = torch.tensor([[1.2]]), 0.6
    x = sample(d, GaussianDataOracle(d, 0.3, 0.5), (N, 1), condition=Denoise(y, s, start="matched"),
               seed=2, steps=steps, denoise_last=False)
    mean, var = gaussian_posterior(0.3, 0.5, 1.2, s ** 2)
    _check_moments(x, mean, var)


def test_matched_denoising_mean_output_is_the_posterior_mean():
    """With the noise-free last step, the average over samples is still E[x_0 | y]."""
    d = GaussianDiffusion(Schedule("code", 100), "paper")
    y = torch.tensor([[-0.8]])
    x = sample(d, GaussianDataOracle(d), (N, 1), condition=Denoise(y, 1.0), seed=3)
    mean, var = gaussian_posterior(0.0, 1.0, -0.8, 1.0)
    assert abs(float(x.mean()) - mean) < 5 * math.sqrt(var / N)


def _product_recursion(d, y, s2, m, v, gamma):
    """Moments of the per-step product chain on unit-Gaussian data, propagated exactly: the
    optimal reverse kernel is N(sqrt(1-b) x_t, b) and each step multiplies it by r^gamma."""
    betas = d.betas().tolist()
    for t in range(d.T, 0, -1):
        b = betas[t - 1]
        w = b / (b + s2 / gamma)
        m, v = (1 - w) * math.sqrt(1 - b) * m + w * y, (1 - w) ** 2 * (1 - b) * v + (1 - w) * b
    return m, v


def test_paper_denoising_follows_its_linear_gaussian_recursion():
    """The paper's per-step product on unit-Gaussian data is a linear Gaussian chain whose moments
    we propagate exactly; samples must match them."""
    d = GaussianDiffusion(Schedule("code", 200), "paper")
    y, s2 = 1.5, 0.5
    x = sample(d, GaussianDataOracle(d), (N, 1), seed=4, denoise_last=False,
               condition=Denoise(torch.tensor([[y]]), math.sqrt(s2), start="prior-approx", product="paper"))
    _check_moments(x, *_product_recursion(d, y, s2, y / (1 + s2), s2 / (1 + s2), 1.0))


def test_prior_start_denoising_ends_at_the_posterior_under_r_once():
    """N(0, 1) data, r = N(y; x, s^2): the default (balanced) chain from x_T ~ pi r ends at the
    Bayesian posterior p r; the paper's product (r at every step) ends at the posterior under r^2."""
    d = GaussianDiffusion(Schedule("code", 200), "paper")
    y, s2 = 1.5, 0.5
    x = sample(d, GaussianDataOracle(d), (N // 2, 1), seed=4, denoise_last=False,
               condition=Denoise(torch.tensor([[y]]), math.sqrt(s2), start="prior-approx"))
    _check_moments(x, *gaussian_posterior(0.0, 1.0, y, s2))
    paper = sample(d, GaussianDataOracle(d), (N // 2, 1), seed=5, denoise_last=False,
                   condition=Denoise(torch.tensor([[y]]), math.sqrt(s2), start="prior-approx", product="paper"))
    m2, v2 = gaussian_posterior(0.0, 1.0, y, s2 / 2)  # the posterior under r^2: N(1.2, 0.2)
    assert abs(float(paper.mean()) - m2) < 0.03 and abs(float(paper.var()) - v2) < 0.02


@pytest.mark.parametrize("product, r_power", [("balanced", 1), ("paper", 2)])
def test_soft_confidence_clamped_inpainting_ends_at_p_times_r(product, r_power):
    """c = 0.5, kappa = 0.5 on N(0, 1) data: r = N(y; x, kappa (1-c)/c) = N(1; x, 0.5). From x_T ~ pi
    the balanced chain ends at p r = N(2/3, 1/3); the paper's product at p r^2 = N(0.8, 0.2)."""
    d = GaussianDiffusion(Schedule("code", 200), "paper")
    x = sample(d, GaussianDataOracle(d), (N // 4, 1), seed=11, denoise_last=False,
               condition=Inpaint(torch.tensor([[1.0]]), torch.tensor([[0.5]]), kappa=0.5, product=product))
    _check_moments(x, *gaussian_posterior(0.0, 1.0, 1.0, 0.5 / r_power))


@pytest.mark.parametrize("product", ["balanced", "paper"])
def test_log_density_shift_follows_its_recursion(product):
    """First-order shift for log r = a x on unit-Gaussian data: mean_{t-1} = sqrt(1-b) mean_t + gamma b a.
    Balanced (gamma = 1/2) ends near p r = N(a, 1); the paper's (gamma = 1) near N(2a, 1)."""
    T, a, gamma = 100, 0.4, 0.5 if product == "balanced" else 1.0
    d = GaussianDiffusion(Schedule("code", T), "paper")
    x = sample(d, GaussianDataOracle(d), (N, 1), condition=LogDensity(lambda z: a * z.sum(1), product=product),
               seed=5, denoise_last=False)
    m = 0.0
    for b in reversed(d.betas().tolist()):
        m = math.sqrt(1 - b) * m + gamma * b * a
    _check_moments(x, m, 1.0)


@pytest.mark.parametrize("mode", ["clamp", "forward"])
def test_inpainting_keeps_known_pixels_bit_identical(mode):
    d = GaussianDiffusion(Schedule("code", 50), "paper")
    g = torch.Generator().manual_seed(6)
    y = torch.randn(1, 1, 8, 8, generator=g)
    known = torch.ones(1, 1, 8, 8)
    known[..., 2:6, 2:6] = 0
    out = sample(d, GaussianDataOracle(d), (3, 1, 8, 8), condition=Inpaint(y, known, mode=mode), seed=7,
                 steps=20, jump_length=3 if mode == "forward" else 0, jump_n_sample=2)
    k = known.expand_as(out) > 0
    assert torch.equal(out[k], y.expand_as(out)[k])
    assert not torch.equal(out[~k], y.expand_as(out)[~k])


def test_clamped_inpainting_of_correlated_data_matches_the_conditional_mean():
    """Two perfectly correlated pixels (x, x): knowing one, the clamped sampler's hole tends to it."""
    d = GaussianDiffusion(Schedule("code", 100), "eps")

    class PairOracle(torch.nn.Module):
        """Oracle for x = (z, z), z ~ N(0, 1): E[x_0 | x_t] = mean of the two pixels' evidence."""
        def forward(self, x_t, t):
            la = d.log_alpha_bar(t.double())[:, None]
            ab, one_m = torch.exp(la), -torch.expm1(la)
            prec = 1 + 2 * ab / one_m
            z = (torch.sqrt(ab) * x_t.double().sum(1, keepdim=True) / one_m) / prec
            eps = (x_t.double() - torch.sqrt(ab) * z) / torch.sqrt(one_m)
            return torch.cat([eps, torch.full_like(eps, -30.0)], 1).float()

    y = torch.tensor([[0.9, 0.0]])
    known = torch.tensor([[1.0, 0.0]])
    x = sample(d, PairOracle(), (2000, 2), condition=Inpaint(y, known), seed=8)
    assert torch.equal(x[:, 0], torch.full((2000,), 0.9))
    assert abs(float(x[:, 1].mean()) - 0.9) < 0.05


def test_soft_confidence_blends_between_free_and_clamped():
    dist = GaussianDist(torch.zeros(3), torch.full((3,), 0.1))
    y = torch.ones(3)
    c = torch.tensor([0.0, 0.5, 1.0])
    inp = Inpaint(y[None], c[None])
    out = gaussian_product(dist, y, inp._noise_var()[0])
    assert float(out.mean[0]) == 0.0 and float(out.mean[2]) == 1.0
    assert 0.0 < float(out.mean[1]) < 1.0 and 0.0 < float(out.var[1]) < 0.1
    assert float(out.var[2]) == 0.0


def test_gaussian_product_is_the_exact_product():
    dist = GaussianDist(torch.tensor([0.5]), torch.tensor([0.2]))
    out = gaussian_product(dist, torch.tensor([2.0]), torch.tensor([0.3]))
    var = 1 / (1 / 0.2 + 1 / 0.3)
    assert float(out.var) == pytest.approx(var)
    assert float(out.mean) == pytest.approx(var * (0.5 / 0.2 + 2.0 / 0.3))


def test_binomial_inpainting_keeps_known_bits():
    d = BinomialDiffusion(Schedule("paper", 30), "x0", base_rate=0.5)
    zero = lambda x, t: torch.zeros_like(x)  # noqa: E731
    y = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    known = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    x = sample(d, zero, (2000, 4), condition=Inpaint(y, known), seed=9)
    assert torch.equal(x[:, :2], y[:, :2].expand(2000, 2))
    _check_moments(x[:, 2:], 0.5, 0.25)


NB = 10_000  # bits; P(x = 1) is checked to 4 standard errors (0.012 at p = 0.9)


@pytest.mark.parametrize("product, expected", [("balanced", 0.9), ("paper", 0.81 / 0.82)])
def test_binary_evidence_ends_at_p_times_r(product, expected):
    """B(0.5) bits (the x0 = 1/2 oracle) with evidence d = 0.9 / 0.1 / 0.5: the balanced chain ends at
    P(x = 1) = d, the closed form of p r; the paper's product at d^2 / (d^2 + (1-d)^2) = 0.988."""
    d = BinomialDiffusion(Schedule("paper", 200), "x0", base_rate=0.5)
    zero = lambda x, t: torch.zeros_like(x)  # noqa: E731
    x = sample(d, zero, (NB, 3), condition=BinaryEvidence(torch.tensor([[0.9, 0.1, 0.5]]), product=product), seed=10)
    m = x.mean(0)
    tol = 4 * math.sqrt(0.09 / NB)
    assert abs(float(m[0]) - expected) < tol and abs(float(m[1]) - (1 - expected)) < tol, m
    assert abs(float(m[2]) - 0.5) < 4 * math.sqrt(0.25 / NB)


def test_binary_soft_inpainting_ends_at_p_times_r():
    """Confidence c = 0.8 maps y = 1 / 0 to evidence d = 0.9 / 0.1, which the bits end at."""
    d = BinomialDiffusion(Schedule("paper", 200), "x0", base_rate=0.5)
    zero = lambda x, t: torch.zeros_like(x)  # noqa: E731
    x = sample(d, zero, (NB, 2), condition=Inpaint(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.8, 0.8]])), seed=12)
    m = x.mean(0)
    tol = 4 * math.sqrt(0.09 / NB)
    assert abs(float(m[0]) - 0.9) < tol and abs(float(m[1]) - 0.1) < tol, m


def test_the_per_step_product_is_checked():
    y = torch.zeros(1, 1)
    for make in (lambda: BinaryEvidence(y, product="twice"), lambda: Denoise(y, 1.0, product="twice"),
                 lambda: Inpaint(y, y, product="twice"), lambda: LogDensity(lambda z: z, product="twice")):
        with pytest.raises(ValueError, match="per-step product"):
            make()


def test_harmonic_fill_reproduces_harmonic_functions_and_keeps_known_pixels():
    """A plane and x^2 - y^2 solve Laplace's equation: the fill of a hole in them is the function itself."""
    from dpm_studio.core.math.conditioning import harmonic_fill

    # Equal grid spacing on both axes, so both are harmonic for the discrete 5-point Laplacian too.
    yy, xx = torch.meshgrid((torch.arange(48, dtype=torch.float64) - 24) / 24,
                            (torch.arange(40, dtype=torch.float64) - 20) / 24, indexing="ij")
    truth = torch.stack([0.3 * xx - 0.7 * yy + 0.1, xx ** 2 - yy ** 2])[None]
    known = torch.ones(1, 1, 48, 40, dtype=torch.float64)
    known[..., 10:38, 8:30] = 0  # a 28 x 22 hole
    y = torch.where(known > 0, truth, torch.full_like(truth, 5.0))
    from torch.overrides import TorchFunctionMode

    class Calls(TorchFunctionMode):
        names: set = set()

        def __torch_function__(self, func, types, args=(), kwargs=None):
            self.names.add(getattr(func, "__name__", str(func)))
            return func(*args, **(kwargs or {}))

    with Calls() as calls:
        out = harmonic_fill(y, known, iters=400)
    assert "conv2d" not in calls.names  # the sweeps are sums of shifted views: a convolution per sweep cost 7-9x
    k = known.expand_as(out) > 0
    assert torch.equal(out[k], y[k])
    assert float((out - truth).abs().max()) < 0.02
    # A constant image stays constant, and a hole with no known pixel at all gets zeros, not NaN.
    assert torch.allclose(harmonic_fill(torch.full((1, 3, 9, 9), 0.4), (known[..., :9, :9] > 2).float() + 1),
                          torch.full((1, 3, 9, 9), 0.4))
    assert torch.equal(harmonic_fill(torch.ones(1, 1, 9, 9), torch.zeros(1, 1, 9, 9)), torch.zeros(1, 1, 9, 9))


def test_harmonic_start_begins_at_the_step_matched_to_start_sigma():
    from dpm_studio.core.math.conditioning import matched_time

    d = GaussianDiffusion(Schedule("cosine", 200), "eps")
    y = torch.zeros(2, 1, 16, 16)
    known = torch.ones(2, 1, 16, 16)
    known[..., 4:12, 4:12] = 0
    assert Inpaint(y, known, mode="forward").start(d, tuple(y.shape)) is None  # the paper's start: x_T
    t0, x = Inpaint(y, known, mode="forward", start="harmonic", start_sigma=0.5).start(
        d, tuple(y.shape), torch.Generator().manual_seed(0))
    ab = float(d.alpha_bar(torch.tensor([t0], dtype=torch.float64)))
    assert (1 - ab) / ab == pytest.approx(0.25, rel=1e-6) and t0 == matched_time(d, 0.25)
    assert x.shape == y.shape and float(x.std()) == pytest.approx(math.sqrt(1 - ab), rel=0.1)
    with pytest.raises(ValueError, match="start"):
        Inpaint(y, known, start="middle")
    with pytest.raises(ValueError, match="positive"):
        Inpaint(y, known, start="harmonic", start_sigma=0)


def test_harmonic_start_inpainting_keeps_known_pixels():
    """The truncated trajectory from the noised fill, with jumps, leaves every known pixel bit-identical."""
    d = GaussianDiffusion(Schedule("cosine", 100), "eps")
    y = torch.full((1, 1, 12, 12), 0.8)
    known = torch.ones(1, 1, 12, 12)
    known[..., 3:9, 3:9] = 0
    out = sample(d, GaussianDataOracle(d), (4, 1, 12, 12), seed=3, steps=10, jump_length=2, jump_n_sample=2,
                 condition=Inpaint(y.expand(4, -1, -1, -1), known.expand(4, -1, -1, -1), mode="forward",
                                   start="harmonic", start_sigma=0.3))
    k = known.expand_as(out) > 0
    assert torch.equal(out[k], y.expand_as(out)[k])
    assert torch.isfinite(out).all()
