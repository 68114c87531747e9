"""Gaussian diffusion against closed forms and numerical Bayes (no Qt, seeded)."""

import math

import pytest
import torch

from dpm_studio.core import GaussianDiffusion, LearnedSchedule, Schedule
from dpm_studio.core.math.bound import training_objective
from dpm_studio.core.math.gaussian import GaussianDist, normal_kl
from dpm_studio.core.math.schedules import code_betas, cosine_betas, paper_betas


def test_kl_nonnegative_and_zero_for_equal():
    g = torch.Generator().manual_seed(0)
    q = GaussianDist(torch.randn(1000, generator=g), torch.rand(1000, generator=g) + 0.01)
    p = GaussianDist(torch.randn(1000, generator=g), torch.rand(1000, generator=g) + 0.01)
    assert (normal_kl(q, p) >= -1e-6).all()
    assert normal_kl(q, q).abs().max() < 1e-6


def test_paper_schedule_keeps_a_linearly_falling_fraction():
    T = 100
    ab = torch.cumprod(1 - paper_betas(T), 0)
    t = torch.arange(1, T, dtype=torch.float64)
    # The squash into [1e-6, 1 - 1e-5] moves it by less than 1e-4.
    assert torch.allclose(ab[:-1], (T - t) / T, atol=1e-4)


def test_code_schedule_matches_the_authors_numbers():
    b = code_betas(1000)
    assert abs(float(b[0]) - 0.002) < 1e-4 and abs(float(b[-1]) - 0.5) < 1e-3
    assert 5e-4 < float(torch.prod(1 - b)) < 2e-3


def test_cosine_schedule_alpha_bar_is_cosine_squared():
    T, s = 50, 0.008
    ab = torch.cumprod(1 - cosine_betas(T), 0)
    t = torch.arange(1, T, dtype=torch.float64) / T
    want = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2 / math.cos(s / (1 + s) * math.pi / 2) ** 2
    assert torch.allclose(ab[:-1], want, rtol=1e-6)


@pytest.mark.parametrize("t,s", [(7.0, 6.0), (7.0, 3.0), (6.4, 2.0)])
def test_posterior_matches_bayes_rule_on_a_grid(t, s):
    """q(x_s | x_t, x_0) against q(x_t | x_s) q(x_s | x_0), normalised numerically."""
    d = GaussianDiffusion(Schedule("linear", 20))
    x0, xt = torch.tensor([[0.7]]), torch.tensor([[-0.4]])
    grid = torch.linspace(-6, 6, 200001, dtype=torch.float64)
    ab_s = float(d.alpha_bar(torch.tensor([s])))
    beta = float(d.beta_between(torch.tensor([s]), torch.tensor([t])))
    log_prior = -0.5 * (grid - math.sqrt(ab_s) * 0.7) ** 2 / (1 - ab_s)
    log_lik = -0.5 * (-0.4 - math.sqrt(1 - beta) * grid) ** 2 / beta
    w = torch.softmax(log_prior + log_lik, 0)
    mean = float((w * grid).sum())
    var = float((w * (grid - mean) ** 2).sum())
    post = d.q_posterior(x0, xt, t, s)
    assert abs(float(post.mean) - mean) < 1e-6
    assert abs(float(post.var) - var) < 1e-6


def test_composing_forward_kernels_matches_the_closed_form_marginal():
    """T steps of q(x_t | x_{t-1}) from a fixed x_0: mean and variance within 4 standard errors."""
    T, n = 30, 200_000
    d = GaussianDiffusion(Schedule("code", T))
    g = torch.Generator().manual_seed(1)
    x0 = torch.full((n, 1), 1.3)
    x = x0
    for t in range(1, T + 1):
        x = d.q_step_sample(x, float(t), g)
        if t in (1, 10, T):
            q = d.q_mean_variance(x0[:1], float(t))
            m, v = float(q.mean), float(q.var)
            assert abs(float(x.mean()) - m) < 4 * math.sqrt(v / n)
            assert abs(float(x.var()) - v) < 4 * v * math.sqrt(2 / n)


def test_paper_heads_are_equations_64_and_65():
    """Sigma = sigmoid(z_Sigma + logit b_t), mu = (x - z_mu)(1 - Sigma) + z_mu at the model's own step."""
    d = GaussianDiffusion(Schedule("code", 50), "paper")
    g = torch.Generator().manual_seed(2)
    x = torch.randn(4, 3, generator=g)
    out = torch.randn(4, 6, generator=g)
    t = torch.tensor([2.0, 10.0, 33.0, 50.0], dtype=torch.float64)
    dist, _ = d.p_dist(None, x, t, out=out)
    b = d.step_beta(t).float()[:, None]
    sigma = torch.sigmoid(out[:, 3:] + torch.log(b / (1 - b)))
    mu = (x - out[:, :3]) * (1 - sigma) + out[:, :3]
    assert torch.allclose(dist.var, sigma, rtol=1e-4, atol=1e-7)
    assert torch.allclose(dist.mean, mu, rtol=1e-4, atol=1e-5)


def test_code_heads_are_the_authors_mean():
    d = GaussianDiffusion(Schedule("code", 50), "code")
    x, out = torch.randn(2, 1), torch.randn(2, 2)
    t = torch.tensor([5.0, 40.0], dtype=torch.float64)
    dist, _ = d.p_dist(None, x, t, out=out)
    b = d.step_beta(t).float()[:, None]
    assert torch.allclose(dist.mean, x * torch.sqrt(1 - b) + out[:, :1] * torch.sqrt(b), atol=1e-5)


def test_learned_schedule_keeps_b1_and_trains_the_rest_through_K():
    s = LearnedSchedule(20, init="code", b1=1e-3)
    assert float(s.betas()[0].detach()) == pytest.approx(1e-3)
    assert torch.allclose(s.betas().detach()[1:], code_betas(20)[1:], rtol=1e-4)
    d = GaussianDiffusion(s, "paper", first_step="fixed")
    net = torch.nn.Linear(1, 1)
    x0 = torch.randn(64, 1)
    loss = training_objective(d, lambda x, t: torch.cat([net(x), net(x)], 1), x0)["loss"].mean()
    loss.backward()
    assert s.theta.grad is not None and s.theta.grad.abs().sum() > 0
