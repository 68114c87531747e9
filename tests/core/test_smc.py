"""Sequential Monte Carlo over the reverse trajectory reaches p r where the per-step products do not.

Each check runs R independent populations (groups) of P particles in one batch and compares
the mean of the population estimates with the closed form of p r, to 4.5 standard errors of
their spread (benchmarks/conditioning_exact.py runs every case of issue 25 the same way).
"""

import math

import torch

from dpm_studio.core import BinaryEvidence, BinomialDiffusion, Denoise, GaussianDiffusion, Inpaint, Schedule
from dpm_studio.core.reference import BinaryDataOracle, GaussianDataOracle, binomial_chain_marginal, gaussian_posterior
from dpm_studio.core.sampling import reverse_trajectory
from dpm_studio.core.smc import effective_sample_size, systematic_resample

P, R = 400, 10


def _populations(d, net, cond, dim=1, smc=True, steps=None, seed=0):
    recs = list(reverse_trajectory(d, net, (P * R, dim), condition=cond, seed=seed, smc=smc, groups=R, steps=steps,
                                   denoise_last=False))
    return recs, recs[-1].x.double().reshape(P, R, dim)


def _z(per_pop, exact):
    se = float(per_pop.std()) / math.sqrt(R)
    return abs(float(per_pop.mean()) - exact) / se


def test_smc_denoising_reaches_the_posterior_where_the_prior_start_product_is_biased():
    """N(2, 1) data, y = 0, s^2 = 0.5 (issue 25's first row): p r = N(2/3, 1/3)."""
    d = GaussianDiffusion(Schedule("code", 100), "eps")
    net = GaussianDataOracle(d, 2.0, 1.0)
    y = torch.tensor([[0.0]])
    pm, pv = gaussian_posterior(2.0, 1.0, 0.0, 0.5)
    recs, x = _populations(d, net, Denoise(y, math.sqrt(0.5), start="prior-approx", product="noised"))
    assert _z(x[..., 0].mean(0), pm) < 4.5
    assert _z(((x[..., 0] - pm) ** 2).mean(0), pv) < 4.5
    assert all(r.ess is not None and 1 <= r.ess <= P + 1e-6 for r in recs)
    assert any(r.resampled for r in recs[:-1])
    _, plain = _populations(d, net, Denoise(y, math.sqrt(0.5), start="prior-approx"), smc=False)
    assert _z(plain[..., 0].mean(0), pm) > 10  # the balanced product alone ends near 1.0


def test_smc_weighs_per_pixel_noise_levels_from_the_matched_start():
    """Two pixels with noise variances 0.2 and 1: the matched start at the noisier, the rest weighed."""
    d = GaussianDiffusion(Schedule("code", 100), "eps")
    net = GaussianDataOracle(d, 2.0, 1.0)
    cond = Denoise(torch.zeros(1, 2), torch.tensor([[0.2, 1.0]]).sqrt(), product="noised")
    _, x = _populations(d, net, cond, dim=2)
    for j, s2 in enumerate((0.2, 1.0)):
        assert _z(x[..., j].mean(0), gaussian_posterior(2.0, 1.0, 0.0, s2)[0]) < 4.5
    assert not cond.exact and Denoise(torch.zeros(1, 2), 0.5).exact is False  # exact only after start()


def test_smc_binary_evidence_reaches_p_times_r():
    """B(0.2) bits with d = 0.99: p r = 0.961 (the balanced product: 0.938)."""
    d = BinomialDiffusion(Schedule("paper", 100), "x0", base_rate=0.5)
    net = BinaryDataOracle(d, 0.2)
    p1 = binomial_chain_marginal(d, net)
    exact = p1 * 0.99 / (p1 * 0.99 + (1 - p1) * 0.01)
    assert abs(exact - 0.961) < 0.002
    _, x = _populations(d, net, BinaryEvidence(torch.tensor([[0.99]])))
    per_pop = x[..., 0].mean(0)
    se = max(float(per_pop.std()), math.sqrt(exact * (1 - exact) / P)) / math.sqrt(R)
    assert abs(float(per_pop.mean()) - exact) < 4.5 * se
    _, plain = _populations(d, net, BinaryEvidence(torch.tensor([[0.99]])), smc=False)
    assert float(plain.mean()) < exact - 0.012  # the balanced product alone ends near 0.938


def test_resampling_keeps_groups_and_follows_the_weights():
    g = torch.Generator().manual_seed(0)
    log_w = torch.log(torch.tensor([[0.0, 1.0], [1.0, 1.0], [3.0, 1.0], [0.0, 1.0]], dtype=torch.float64) + 1e-300)
    idx = systematic_resample(log_w.reshape(-1), 2, g).reshape(4, 2)
    assert torch.equal(idx % 2, torch.tensor([[0, 1]] * 4))  # each population stays in its own column
    assert sorted((idx[:, 0] // 2).tolist()) == [1, 2, 2, 2]  # weights 1 : 3 -> one and three copies
    ess = effective_sample_size(log_w.reshape(-1), 2)
    assert float(ess[1]) == 4.0 and abs(float(ess[0]) - 16 / 10) < 1e-9


def test_forward_mode_soft_pixels_apply_a_fixed_r_whatever_the_step_count():
    """c = 0.2, kappa = 0.05, y = 1 on N(0, 1) data: r = N(1; x, 0.2), p r = N(0.833, 0.167), with every
    step and with 20 (the old per-step blend ended at 0.98 and at other values with fewer steps)."""
    d = GaussianDiffusion(Schedule("code", 100), "eps")
    net = GaussianDataOracle(d)
    pm, pv = gaussian_posterior(0.0, 1.0, 1.0, 0.2)
    for steps in (None, 20):
        cond = Inpaint(torch.tensor([[1.0]]), torch.tensor([[0.2]]), mode="forward", kappa=0.05, product="noised")
        _, x = _populations(d, net, cond, steps=steps, seed=3)
        assert _z(x[..., 0].mean(0), pm) < 4.5, steps
        assert _z(((x[..., 0] - pm) ** 2).mean(0), pv) < 4.5, steps


def test_a_task_with_smc_reports_the_ess_and_averages_the_particles():
    """run_task(..., smc=True) on the exact model of N(0.5, 0.25^2) pixels with a feathered mask:
    every record carries an ESS within 1..samples, and the result is a valid image."""
    import numpy as np

    from dpm_studio.core.checkpoint import Loaded
    from dpm_studio.core.tasks import run_task

    d = GaussianDiffusion(Schedule("cosine", 100), "eps")
    loaded = Loaded(d, GaussianDataOracle(d).eval(), {"name": "oracle", "data": {"channels": 1,
                                                                             "scale": {"mean": 0.5, "std": 0.25}}}, None)
    img = np.full((12, 12), 0.9, np.float32)
    mask = np.zeros((12, 12), np.float32)
    mask[3:9, 3:9] = 0.5
    recs = list(run_task(loaded, "inpaint", img, mask=mask, steps=10, samples=16, smc=True, start="noise"))
    assert all(r.ess is not None and 1 <= r.ess <= 16 + 1e-9 for r in recs)
    assert recs[-1].done and recs[-1].image.shape == (12, 12, 1)
    plain = list(run_task(loaded, "inpaint", img, mask=mask, steps=10, samples=2, start="noise"))
    assert all(r.ess is None for r in plain)


def test_smc_over_bits_proposes_the_rarer_bit():
    """B(0.9) bits with d = 0.99: p r puts 0.0011 on x = 0 (18 of 16,000). Evidence carried to x_s
    (product 'noised') ignores the data's prior and proposed no zero at all; the balanced proposal
    the tasks use for bits does, and the weights bring the count to p r."""
    d = BinomialDiffusion(Schedule("paper", 200), "x0", base_rate=0.5)
    net = BinaryDataOracle(d, 0.9)
    p1 = binomial_chain_marginal(d, net)
    p0 = 1 - p1 * 0.99 / (p1 * 0.99 + (1 - p1) * 0.01)
    recs = list(reverse_trajectory(d, net, (16000, 1), condition=BinaryEvidence(torch.tensor([[0.99]])), seed=1,
                                   smc=True, groups=1))
    zeros = int((recs[-1].x == 0).sum())
    assert abs(zeros - 16000 * p0) < 4.5 * math.sqrt(16000 * p0), (zeros, 16000 * p0)
