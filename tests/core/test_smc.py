"""Sequential Monte Carlo over the reverse trajectory reaches p r where the per-step products do not.

Each check runs R independent populations (groups) of P particles in one batch and compares
the mean of the population estimates with the closed form of p r, to 4.5 standard errors of
their spread (benchmarks/conditioning_exact.py runs every case of issue 25 the same way).
"""

import math

import torch

from dpm_studio.core import BinaryEvidence, BinomialDiffusion, Denoise, GaussianDiffusion, Inpaint, Schedule
from dpm_studio.core.math.reference import BinaryDataOracle, GaussianDataOracle, binomial_chain_marginal, gaussian_posterior
from dpm_studio.core.math.sampling import reverse_trajectory
from dpm_studio.core.math.smc import effective_sample_size, systematic_resample

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

    from dpm_studio.core.files.checkpoint import Loaded
    from dpm_studio.core.run.tasks import run_task

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
    # the exact mode weighs the known pixels too (SMC implied, from noise): they come back as they were
    hard = np.zeros((12, 12), np.float32)
    hard[3:9, 3:9] = 1
    exact = list(run_task(loaded, "inpaint", img, mask=hard, steps=10, samples=8, mode="exact"))
    assert all(r.ess is not None and 1 <= r.ess <= 8 + 1e-9 for r in exact)
    assert np.array_equal(exact[-1].image[..., 0][hard == 0], img[hard == 0])


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


def _correlated_cov(d, net, dim=2):
    """Cov of x_0 under the oracle's own diagonal-variance chain (zero mean), exactly."""
    C = torch.eye(dim, dtype=torch.float64)
    for t in range(d.T, 0, -1):
        dist, _ = d.p_dist(net, torch.eye(dim, dtype=torch.float64), torch.full((dim,), float(t), dtype=torch.float64))
        A = dist.mean.T
        C = A @ C @ A.T + torch.diag(dist.var[0])
    return C


def test_exact_mode_reaches_the_conditional_of_a_hard_pixel_where_the_rules_do_not():
    """N(0, [[1, .9], [.9, 1]]) with pixel 1 known (a delta r at 1.5): pixel 2's conditional mean under
    the model's own p is C21 / C11 * 1.5 = 1.35. The exact mode (SMC weighing the known pixel) reaches it;
    clamp (about 1.08) and forward (about 0.94) miss it by many standard errors. Pixel 1 ends exactly at y."""
    from dpm_studio.core.math.reference import CorrelatedGaussianOracle

    d = GaussianDiffusion(Schedule("code", 100), "eps")
    net = CorrelatedGaussianOracle(d, [[1.0, 0.9], [0.9, 1.0]])
    C = _correlated_cov(d, net)
    exact = float(C[1, 0] / C[0, 0] * 1.5)
    y, known = torch.tensor([[1.5, 0.0]]), torch.tensor([[1.0, 0.0]])
    recs, x = _populations(d, net, Inpaint(y, known, mode="exact", product="noised"), dim=2, seed=5)
    assert _z(x[..., 1].mean(0), exact) < 4.5
    assert bool((x[..., 0] == 1.5).all())
    assert all(r.ess is not None and 1 <= r.ess <= P + 1e-6 for r in recs)
    for rule in ("clamp-approx", "forward-approx"):
        _, plain = _populations(d, net, Inpaint(y, known, mode=rule), dim=2, smc=False, seed=6)
        assert _z(plain[..., 1].mean(0), exact) > 10, rule


def test_exact_mode_reaches_the_conditional_of_a_hard_bit_where_the_rules_do_not():
    """Bit pairs, x_1 ~ B(q), x_2 a copy of x_1 with probability 0.8 (else a fresh B(q) draw), with
    bit 1 known at its rarer value. Bit 2's conditional under the binomial chain's own (factorised)
    kernels, by its exact four-state recursion: 0.835 for q = 0.2, y = 1 and 0.186 for q = 0.9, y = 0.
    The exact mode (SMC weighing the known bit) reaches it; clamp and forward end near 0.54 and 0.61.
    The known bit ends at y, and with independent bits (rho = 0) the free bit keeps its own law."""
    from dpm_studio.core.math.reference import CopiedBitsOracle, binomial_chain_joint

    d = BinomialDiffusion(Schedule("paper", 100), "x0", base_rate=0.5)
    for q, yb, rho, seed in ((0.2, 1.0, 0.8, 7), (0.9, 0.0, 0.8, 8), (0.2, 1.0, 0.0, 9)):
        net = CopiedBitsOracle(d, q, rho)
        law = binomial_chain_joint(d, net, 2)
        exact = float(law[int(yb), 1] / law[int(yb)].sum())
        y, known = torch.tensor([[yb, 0.0]]), torch.tensor([[1.0, 0.0]])
        recs, x = _populations(d, net, Inpaint(y, known, mode="exact", product="noised"), dim=2, seed=seed)
        per_pop = x[..., 1].mean(0)
        se = max(float(per_pop.std()), math.sqrt(exact * (1 - exact) / P)) / math.sqrt(R)
        assert abs(float(per_pop.mean()) - exact) < 4.5 * se, (q, yb, rho)
        assert bool((x[..., 0] == yb).all())
        assert all(r.ess is not None and 1 <= r.ess <= P + 1e-6 for r in recs)
        if rho > 0:
            assert abs(exact - (0.835 if yb else 0.186)) < 0.01
            for rule in ("clamp-approx", "forward-approx"):
                _, plain = _populations(d, net, Inpaint(y, known, mode=rule), dim=2, smc=False, seed=seed)
                assert abs(float(plain[..., 1].mean()) - exact) > 0.2, rule


def test_the_final_weight_carries_r_itself():
    """The last transition multiplies each weight by r(x_0) / h_1(x_1), the twist's last factor. It
    matters where the last kernel is wide beside r: strong evidence N(0; x, 0.01) on N(2, 1) data from
    the prior start with 5 or 3 steps (p r = N(0.0198, 0.0099)). Without it the particles end where
    the proposal and the twist at x_1 put them (the variance 7-13 standard errors off; measured by
    deleting that line of sampling.reverse_trajectory)."""
    d = GaussianDiffusion(Schedule("code", 100), "eps")
    net = GaussianDataOracle(d, 2.0, 1.0)
    pm, pv = gaussian_posterior(2.0, 1.0, 0.0, 0.01)
    for product, steps in (("balanced", 5), ("noised", 3)):
        cond = Denoise(torch.tensor([[0.0]]), 0.1, start="prior-approx", product=product)
        _, x = _populations(d, net, cond, steps=steps, seed=7)
        assert _z(x[..., 0].mean(0), pm) < 4.5, product
        assert _z(((x[..., 0] - pm) ** 2).mean(0), pv) < 4.5, product


def test_a_point_mass_proposal_weighs_by_the_models_density():
    """A hard pixel's last step proposes the delta at y: the kernel ratio is then p(y | x_1) itself (a
    point mass counts as density 1), not dropped as a non-finite log ratio."""
    from dpm_studio.core.math.gaussian import GaussianDist, normal_log_prob
    from dpm_studio.core.math.smc import log_kernel_ratio

    d = GaussianDiffusion(Schedule("code", 10), "eps")
    p = GaussianDist(torch.tensor([[0.3, 0.0], [1.0, 0.0]]), torch.tensor([[0.2, 1.0], [0.5, 1.0]]))
    m = GaussianDist(torch.tensor([[1.5, 0.0], [1.5, 0.0]]), torch.tensor([[0.0, 1.0], [0.0, 1.0]]))
    x = torch.tensor([[1.5, 0.4], [1.5, -0.2]])
    got = log_kernel_ratio(d, p, m, x)
    want = normal_log_prob(GaussianDist(p.mean[:, :1], p.var[:, :1]), x[:, :1]).double().reshape(-1)
    assert torch.allclose(got, want, atol=1e-6)


class _OverconfidentOracle(torch.nn.Module):
    """The exact N(0, 1) model's mean head; on the first column its variance head claims a step
    variance below the posterior's (an implied Var[x_0 | x_t] < 0, clamped to 0), as a learned head
    does on part of a photograph's pixels."""

    def __init__(self, d):
        super().__init__()
        self.inner = GaussianDataOracle(d)

    def forward(self, x, t):
        z_mu, z_sigma = self.inner(x, t).chunk(2, dim=1)
        z_sigma = z_sigma.clone()
        z_sigma[..., 0] = -30.0
        return torch.cat([z_mu, z_sigma], 1)


def test_an_overconfident_variance_head_does_not_collapse_the_twist():
    """Known pixels twisted by N(y; x0_hat, Var[x_0 | x_t]) with a variance of 0 on a column collapsed
    every step to an ESS of 1.0 of 64; the variance floored at the example's mean keeps it above 8."""
    d = GaussianDiffusion(Schedule("code", 50), "eps")
    known = torch.ones(1, 1, 4, 4)
    known[..., 1:3, 1:3] = 0
    cond = Inpaint(torch.zeros(1, 1, 4, 4), known, mode="exact", product="noised")
    recs = list(reverse_trajectory(d, _OverconfidentOracle(d), (64, 1, 4, 4), condition=cond, seed=0, smc=True))
    assert min(r.ess for r in recs[:-1]) > 4


def test_exact_mode_proposes_known_pixels_from_their_likelihood_not_from_q():
    """The known pixels' proposal is the model's kernel times p(x_0 = y | x_s), optimal for
    N(0, 1) data. With q(x_s | y) in its place (no 1 / q(x_s)), the known pixels were pulled
    towards sqrt(ab_s) y and the weights fell to an ESS of 3.1 of 64 on this 4 x 4 case
    (y = 1.5 everywhere, a 2 x 2 hole, the exact N(0, 1) model); now 42."""
    d = GaussianDiffusion(Schedule("code", 50), "eps")
    known = torch.ones(1, 1, 4, 4)
    known[..., 1:3, 1:3] = 0
    cond = Inpaint(torch.full((1, 1, 4, 4), 1.5), known, mode="exact", product="noised")
    recs = list(reverse_trajectory(d, GaussianDataOracle(d), (64, 1, 4, 4), condition=cond, seed=0, smc=True))
    assert min(r.ess for r in recs[:-1]) > 20
    assert torch.equal(recs[-1].x[:, :, 0, :], torch.full((64, 1, 4), 1.5))
