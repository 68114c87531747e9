"""Binomial diffusion against enumeration (no Qt, seeded)."""

import itertools
import math

import pytest
import torch

from dpm_studio.core import BinomialDiffusion, Schedule
from dpm_studio.core.math.binomial import BernoulliDist, bernoulli_kl
from dpm_studio.core.math.conditioning import binary_product


@pytest.fixture
def diffusion():
    return BinomialDiffusion(Schedule("paper", 30), "x0", base_rate=0.2)


def test_bernoulli_kl_nonnegative_and_zero_for_equal():
    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(500, generator=g), torch.rand(500, generator=g)
    assert (bernoulli_kl(BernoulliDist(a), BernoulliDist(b)) >= -1e-6).all()
    assert bernoulli_kl(BernoulliDist(a), BernoulliDist(a)).abs().max() < 1e-5


def _kernel(d, s, t):
    """2x2 transition matrix q(x_t | x_s) from the jump rate."""
    beta = float(d.beta_between(torch.tensor([float(s)]), torch.tensor([float(t)])))
    p = d.base_rate
    p1 = [p * beta, 1 - beta + p * beta]  # P(x_t = 1 | x_s = 0), P(x_t = 1 | x_s = 1)
    return lambda xs, xt: p1[xs] if xt == 1 else 1 - p1[xs]


@pytest.mark.parametrize("t,s", [(5, 4), (12, 3)])
def test_posterior_matches_bayes_rule_by_enumeration(diffusion, t, s):
    d = diffusion
    k_ts = _kernel(d, s, t)
    k_0s = _kernel(d, 0, s)
    for x0, xt in itertools.product((0, 1), (0, 1)):
        joint = [k_0s(x0, xs) * k_ts(xs, xt) for xs in (0, 1)]
        want = joint[1] / sum(joint)
        got = d.q_posterior(torch.tensor([[float(x0)]]), torch.tensor([[float(xt)]]), float(t), float(s)).prob
        assert float(got) == pytest.approx(want, rel=1e-6, abs=1e-9)


def test_composing_forward_kernels_matches_the_closed_form_marginal(diffusion):
    d, n = diffusion, 200_000
    g = torch.Generator().manual_seed(3)
    x0 = torch.ones(n, 1)
    x = x0
    for t in range(1, d.T + 1):
        x = d.q_step_sample(x, float(t), g)
        if t in (1, 7, 20):
            want = float(d.q_prob(x0[:1], float(t)))
            assert abs(float(x.mean()) - want) < 4 * math.sqrt(want * (1 - want) / n) + 1e-6


def test_marginal_reaches_the_prior_rate(diffusion):
    assert float(diffusion.q_prob(torch.ones(1, 1), float(diffusion.T))) == pytest.approx(0.2, abs=1e-4)


def test_binary_product_is_bayes_rule():
    c = torch.tensor([0.3, 0.3, 0.9, 0.5])
    dd = torch.tensor([0.5, 1.0, 0.2, 0.0])
    got = binary_product(BernoulliDist(c), dd).prob
    want = c * dd / (c * dd + (1 - c) * (1 - dd))
    assert torch.allclose(got, want)
    assert float(got[1]) == 1.0 and float(got[3]) == 0.0  # a hard observation decides the bit


def test_fixed_first_step_expectation_matches_enumeration():
    d = BinomialDiffusion(Schedule("paper", 10), "direct", first_step="fixed", base_rate=0.2)
    b1 = float(d.step_beta(torch.ones(1, dtype=torch.float64)))
    for x0 in (0.0, 1.0):
        got = float(d.fixed_first_step_expected_log_prob(torch.tensor([[x0]])))
        q1 = x0 * (1 - b1) + 0.2 * b1  # P(x_1 = 1 | x_0)
        want = 0.0
        for x1, w in ((1, q1), (0, 1 - q1)):
            p = x1 * (1 - b1) + 0.2 * b1
            want += w * math.log(p if x0 == 1 else 1 - p)
        assert got == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize("par", ["direct", "x0"])
def test_untrained_heads_start_at_the_prior(par):
    """With a zero network output the model is the prior's own reverse process: K = L_null."""
    from dpm_studio.core.math.bound import evaluate_bound, run

    d = BinomialDiffusion(Schedule("paper", 40), par, first_step="fixed", base_rate=0.2)
    x0 = torch.bernoulli(torch.full((400, 8), 0.2), generator=torch.Generator().manual_seed(1))
    res = run(evaluate_bound(d, lambda x, t: torch.zeros_like(x), x0, n_mc=4,
                             generator=torch.Generator().manual_seed(2)))
    assert res.K == pytest.approx(res.L_null, abs=0.1)
