"""The bound K, its terms, and the importance-sampled log p(x_0)."""

import math

import pytest
import torch

from dpm_studio.core import GaussianDiffusion, Schedule
from dpm_studio.core.math.bound import LN2, evaluate_bound, log_likelihood_is, run, training_objective
from dpm_studio.core.math.reference import GaussianDataOracle


def test_analytic_entropy_terms_are_the_papers():
    d = GaussianDiffusion(Schedule("code", 50), "paper", first_step="fixed")
    x0 = torch.randn(3, 2)
    h_T, h_1, h_p = d.entropy_terms(x0)
    b = d.betas()
    c = 0.5 * (1 + math.log(2 * math.pi))
    assert float(h_1[0, 0]) == pytest.approx(c + 0.5 * math.log(float(b[0])), rel=1e-5)
    assert float(h_T[0, 0]) == pytest.approx(c + 0.5 * math.log(1 - float(torch.prod(1 - b))), rel=1e-5)
    assert float(h_p[0, 0]) == pytest.approx(c)


def test_optimal_model_of_unit_gaussian_data_is_exact():
    """For N(0, 1) data the oracle with the fixed first step IS the forward process reversed:
    every importance weight equals p(x_0) = N(x_0; 0, 1), and K = L_null in expectation."""
    d = GaussianDiffusion(Schedule("code", 60), "paper", first_step="fixed")
    oracle = GaussianDataOracle(d)
    x0 = torch.randn(16, 3, generator=torch.Generator().manual_seed(0))
    res = run(log_likelihood_is(d, oracle, x0, n_traj=4, generator=torch.Generator().manual_seed(1)))
    true = (-0.5 * (math.log(2 * math.pi) + x0 ** 2)).sum(1).double()
    assert torch.allclose(res["log_w"], true.expand(4, -1), atol=2e-3)
    x0 = torch.randn(4000, 3, generator=torch.Generator().manual_seed(2))
    b = run(evaluate_bound(d, oracle, x0, n_mc=1, generator=torch.Generator().manual_seed(3)))
    assert abs(b.K - b.L_null) < 4 * b.K_stderr + 0.01
    assert abs(b.elbo - b.L_null) < 4 * b.K_stderr + 0.01


class _Miscalibrated(torch.nn.Module):
    """The oracle of the wrong data (variance 0.3 instead of 1): a model with a real gap."""

    def __init__(self, d):
        super().__init__()
        self.inner = GaussianDataOracle(d, 0.2, 0.3)

    def forward(self, x, t):
        return self.inner(x, t)


def test_importance_sampling_climbs_from_the_elbo_above_K():
    d = GaussianDiffusion(Schedule("code", 40), "paper", first_step="fixed")
    net = _Miscalibrated(d)
    x0 = torch.randn(200, 2, generator=torch.Generator().manual_seed(4))
    b = run(evaluate_bound(d, net, x0, n_mc=8, generator=torch.Generator().manual_seed(5)))
    one = run(log_likelihood_is(d, net, x0, 1, generator=torch.Generator().manual_seed(6)))["log_p"]
    many = run(log_likelihood_is(d, net, x0, 64, generator=torch.Generator().manual_seed(7)))["log_p"]
    one_bits, many_bits = float(one.mean()) / LN2, float(many.mean()) / LN2
    # N = 1 is an unbiased estimate of the exact ELBO ...
    assert abs(one_bits - b.elbo) < 4 * float(one.std()) / LN2 / math.sqrt(200) + 0.05
    # ... and more trajectories can only raise the estimate (Jensen), here clearly above K.
    assert many_bits > one_bits + 0.1
    assert many_bits > b.K + 0.1


def test_stochastic_training_estimate_is_unbiased_for_the_full_sum():
    d = GaussianDiffusion(Schedule("code", 30), "paper", first_step="fixed")
    net = _Miscalibrated(d)
    x0 = torch.randn(64, 2, generator=torch.Generator().manual_seed(8))
    full = run(evaluate_bound(d, net, x0, n_mc=16, generator=torch.Generator().manual_seed(9)))
    g = torch.Generator().manual_seed(10)
    # 300 estimates of each example's K in one call (row r of the view: the r-th copy of x0): t and the noise are
    # drawn per row, as in 300 calls
    est = training_objective(d, net, x0.repeat(300, 1), g)["K"].view(300, x0.shape[0])
    est_bits = est / LN2
    se = float(est_bits.mean(1).std()) / math.sqrt(300)
    assert abs(float(est_bits.mean()) - full.K) < 5 * se + 0.02


@pytest.mark.parametrize("spacing", ["log", "uniform"])
def test_stratified_estimate_is_unbiased_for_the_full_sum_within_its_measured_noise(spacing):
    """On one fixed data set the difference between the stratified estimate and the full sum is
    Monte Carlo noise only (the data's spread, which K_stderr includes, is common to both), so
    the tolerance is that noise, measured here from repeated runs of each: 40 stratified
    estimates (n_t = 8) and 5 full sums (n_mc = 4); their means must agree to 4 of their joint
    standard errors (about 0.12 bits, where the data's K_stderr is 0.28)."""
    from dpm_studio.core.math.bound import estimate_bound

    d = GaussianDiffusion(Schedule("code", 50), "paper", first_step="fixed")
    net = _Miscalibrated(d)
    x0 = torch.randn(400, 2, generator=torch.Generator().manual_seed(11))
    fulls = torch.tensor([run(evaluate_bound(d, net, x0, n_mc=4, generator=torch.Generator().manual_seed(12 + s))).K
                          for s in range(5)], dtype=torch.float64)
    ests = [run(estimate_bound(d, net, x0, n_t=8, generator=torch.Generator().manual_seed(100 + s), spacing=spacing))
            for s in range(40)]
    K = torch.tensor([e.K for e in ests], dtype=torch.float64)
    tol = 4 * math.sqrt(float(K.var()) / len(K) + float(fulls.var()) / len(fulls))
    assert abs(float(K.mean() - fulls.mean())) < tol, (float(K.mean()), float(fulls.mean()), tol)
    # The reported standard error (data and steps together) covers the run-to-run noise, and the
    # stratified estimate pays for its speed in precision.
    assert float(K.std()) < ests[0].K_stderr
    full = run(evaluate_bound(d, net, x0, n_mc=4, generator=torch.Generator().manual_seed(12)))
    assert ests[0].K_stderr > full.K_stderr


@pytest.mark.parametrize("T, n_t", [(1000, 8), (1000, 32), (50, 8), (40, 100), (2000, 16)])
@pytest.mark.parametrize("spacing", ["log", "uniform"])
def test_step_strata_cover_every_step_once(T, n_t, spacing):
    from dpm_studio.core.math.bound import t_strata

    lo, width = t_strata(T, n_t, spacing)
    steps = torch.cat([torch.arange(int(a), int(a + w)) for a, w in zip(lo, width)])
    assert torch.equal(steps, torch.arange(2, T + 1)) and len(lo) <= n_t and float(width.min()) >= 1
    if spacing == "log" and n_t < T // 4:
        assert float(width[-1]) > 4 * float(width[0])  # narrow where the KL terms are large


@pytest.mark.parametrize("channels", [1, 3])
def test_standard_units_give_the_8bit_nll_of_the_discrete_pixels(channels):
    """8-bit values v dequantised and scaled as the image recipes do, z = ((v + u)/256 - mean)/std,
    and a model density N(0, 1) per z dimension: K (bits per pixel, channels summed) converted by
    standard_units must equal -E log2 P(v) per dimension, with P(v) the model's exact mass on v's
    bin, up to the small dequantisation (Jensen) gap, never below it."""
    from dpm_studio.core.math.bound import DEQUANTISED_8BIT, standard_units

    g = torch.Generator().manual_seed(20)
    v = torch.distributions.Binomial(255, torch.tensor(0.4)).sample((200_000,)).double()
    mean = (float(v.mean()) + 0.5) / 256
    std = math.sqrt(float(v.var()) + 1 / 12) / 256
    z = ((v + torch.rand(v.shape, generator=g, dtype=torch.float64)) / 256 - mean) / std
    K = channels * float((-0.5 * (math.log(2 * math.pi) + z ** 2)).mean()) / LN2  # bits per pixel
    normal = torch.distributions.Normal(0.0, 1.0)
    lo, hi = (v / 256 - mean) / std, ((v + 1) / 256 - mean) / std
    exact = -float(torch.log2(normal.cdf(hi) - normal.cdf(lo)).mean())
    data = {"channels": channels, "scale": {"mean": mean, "std": std},
            "provenance": {"augmentation": {"dequantisation": DEQUANTISED_8BIT}}}
    got = standard_units(K, data, "gaussian", "bits/pixel")["nll_bits_per_dim"]
    # The gap measured 0.0007-0.0012 over five seeds; a bin of 1/255 or 1/257 would move it by 0.0056.
    assert exact < got < exact + 0.003, (got, exact)


def test_standard_units_of_binary_and_continuous_data():
    from dpm_studio.core.math.bound import standard_units

    assert standard_units(-0.25, {"channels": 1}, "binomial", "bits/pixel")["nll_bits_per_dim"] == 0.25
    assert standard_units(-2.4, {"shape": [20]}, "binomial", "bits/seq")["nll_bits_per_dim"] == pytest.approx(0.12)
    cont = standard_units(2.3, {"channels": 1, "provenance": {"augmentation": {"dequantisation": "none"}}},
                          "gaussian", "bits/pixel")
    assert cont["nll_bits_per_dim"] is None and "no 8-bit equivalent" in cont["meaning"]
