"""The reverse trajectory generator: records, seeds, respacing, jumps."""

import torch

from dpm_studio.core import Denoise, GaussianDiffusion, Schedule, reverse_trajectory, sample
from dpm_studio.core.math.reference import GaussianDataOracle
from dpm_studio.core.math.sampling import time_grid, transitions


def _model():
    d = GaussianDiffusion(Schedule("code", 50), "eps")
    return d, GaussianDataOracle(d, 0.1, 0.7)


def test_records_stream_every_step_and_end_at_zero():
    d, net = _model()
    recs = list(reverse_trajectory(d, net, (2, 1, 4, 4), seed=0))
    assert len(recs) == 50 and recs[0].total == 50
    assert [r.t for r in recs] == [float(t) for t in range(50, 0, -1)]
    assert recs[-1].s == 0 and recs[-1].done
    assert all(r.x.shape == (2, 1, 4, 4) and r.x0.shape == (2, 1, 4, 4) for r in recs)


def test_seed_gives_bit_identical_results():
    d, net = _model()
    a = sample(d, net, (3, 1, 5, 5), seed=11, steps=10)
    b = sample(d, net, (3, 1, 5, 5), seed=11, steps=10)
    c = sample(d, net, (3, 1, 5, 5), seed=12, steps=10)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_respaced_grid_has_the_asked_number_of_steps_and_ends_1_0():
    assert time_grid(50, 1) == [50.0, 0.0]  # one transition: straight from T to 0
    for steps in (2, 5, 20, 49, 50, 80):
        g = time_grid(50, steps)
        assert g[0] == 50 and g[-2:] == [1.0, 0.0]
        assert len(g) - 1 == min(steps, 50)
        assert all(a > b for a, b in zip(g, g[1:]))
    g = time_grid(50, 10, t_start=17.3)
    assert g[0] == 17.3 and g[-2:] == [1.0, 0.0] and len(g) - 1 == 10
    assert time_grid(50, 1, t_start=17.3) == [17.3, 0.0]


def test_a_respaced_grid_from_a_fractional_start_spends_no_pass_on_the_fraction():
    # Inpainting's smooth-fill start is t = 496.05 on the 1000-step photos model; its first transition
    # went to 496 (a network pass that changed nothing) before the trajectory's 19 real steps of ~27.
    for T, steps, start in ((1000, 19, 496.0497901715613), (1000, 20, 496.05), (50, 10, 17.3), (50, 3, 7.9)):
        g = time_grid(T, steps, start)
        assert g[0] == start and len(g) - 1 == steps and g[-2:] == [1.0, 0.0]
        gaps = [a - b for a, b in zip(g, g[1:])]
        assert min(gaps) >= 1 and max(gaps[:-1]) <= 2 * min(gaps[:-1]) + 1, g


def test_matched_denoising_starts_below_T():
    d, net = _model()
    recs = list(reverse_trajectory(d, net, (1, 1, 3, 3), condition=Denoise(torch.zeros(1, 1, 3, 3), 0.3)))
    assert recs[0].t < 50
    ab = float(d.alpha_bar(torch.tensor([recs[0].t])))
    assert abs((1 - ab) / ab - 0.09) < 1e-6


def test_resampling_jumps_go_back_up_and_down():
    pairs = transitions(10, jump_length=2, jump_n_sample=3)
    down = sum(1 for i, j in pairs if j > i)
    up = sum(1 for i, j in pairs if j < i)
    assert down - up == 10 and up == 2 * 2 * 4  # jump points at 2, 4, 6, 8; two repeats of 2 steps
    i = 0
    for a, b in pairs:
        assert a == i and abs(b - a) == 1
        i = b
    assert i == 10
    d, net = _model()
    recs = list(reverse_trajectory(d, net, (1, 1, 3, 3), steps=10, jump_length=2, jump_n_sample=3, seed=1))
    assert sum(r.forward for r in recs) == 16 and recs[-1].s == 0


def test_generators_do_not_leak_grad_mode_to_their_consumer():
    """The consumer (a GUI thread, a training loop) runs between yields."""
    from dpm_studio.core.math.bound import evaluate_bound, log_likelihood_is

    d, net = _model()
    x0 = torch.randn(4, 1)
    for gen in (reverse_trajectory(d, net, (1, 1, 2, 2)), evaluate_bound(d, net, x0, max_batch=8),
                log_likelihood_is(d, net, x0, 2)):
        for _ in gen:
            assert torch.is_grad_enabled()


def test_clipping_the_x0_estimate_keeps_an_eps_model_on_the_data_range():
    """Near t = T an eps model's x_0 estimate divides by sqrt(ab_T) ~ 0; clipping it (sampling
    only) keeps the trajectory in range, which the unclipped one is not."""
    d = GaussianDiffusion(Schedule("cosine", 50), "eps")
    net = lambda x, t: torch.cat([torch.full_like(x, 0.3), torch.zeros_like(x)], 1)  # noqa: E731
    wild = sample(d, net, (4, 1, 4, 4), seed=0, steps=10)
    tame = sample(d, net, (4, 1, 4, 4), seed=0, steps=10, clip_x0=(-2.0, 2.0))
    assert float(wild.abs().max()) > 10
    assert float(tame.abs().max()) <= 2.0 + 1e-5


def test_large_variance_is_the_forward_rate_between_the_two_times():
    d = GaussianDiffusion(Schedule("code", 100), "eps")
    x = torch.randn(2, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    for unit_data, (t, s) in [(True, (60.0, 40.0)), (True, (30.0, 29.0)), (False, (90.0, 10.0))]:
        net = GaussianDataOracle(d, 0.0, 1.0 if unit_data else 0.25)
        learned, x0_l = d.p_dist(net, x, t, s)
        large, x0_b = d.p_dist(net, x, t, s, variance="large")
        rate = 1 - float(d.alpha_bar(torch.tensor([t], dtype=torch.float64)) /
                         d.alpha_bar(torch.tensor([s], dtype=torch.float64)))
        assert torch.allclose(large.var, torch.full_like(large.var, rate), rtol=1e-5)
        assert torch.equal(large.mean, learned.mean) and torch.equal(x0_b, x0_l)
        if unit_data:  # for N(0, 1) data the exact reverse kernel has variance 1 - ab_t / ab_s
            assert torch.allclose(learned.var, large.var, rtol=1e-4)
        else:  # for narrower data the exact (learned) kernel is narrower than the forward rate
            assert (learned.var < 0.9 * large.var).all()
    try:
        d.p_dist(net, x, 50.0, 40.0, variance="huge")
    except ValueError as e:
        assert "variance" in str(e)
    else:
        raise AssertionError("an unknown variance was accepted")


def test_large_variance_widens_a_respaced_trajectory_and_only_gaussian_models_take_it():
    d = GaussianDiffusion(Schedule("code", 100), "eps")
    net = GaussianDataOracle(d, 0.0, 0.25)
    shape = (1, 20000)  # one batch element, 20,000 independent dimensions
    ends = {v: sample(d, net, shape, steps=10, seed=3, denoise_last=False, variance=v) for v in ("learned", "large")}
    se = 0.25 * (2 / shape[1]) ** 0.5
    assert abs(float(ends["learned"].var()) - 0.25) < 5 * se  # the exact kernels end on the data's law
    assert float(ends["large"].var()) > 0.25 + 8 * se
    from dpm_studio.core import BinomialDiffusion

    b = BinomialDiffusion(Schedule("paper", 10), "x0")
    try:
        next(reverse_trajectory(b, lambda x, t: torch.zeros_like(x), (1, 4), variance="large"))
    except ValueError as e:
        assert "Gaussian" in str(e)
    else:
        raise AssertionError("a binomial model accepted a reverse variance")


def test_the_quiet_last_jump_draws_only_the_posterior_noise_into_t_1():
    """A respaced draw landing on t = 1 with ``quiet_last_jump`` carries the posterior's variance, not the
    learned kernel's ab_1 v of x_0 uncertainty, which the one step left keeps as white grain (a bokeh
    fill 1.88 / 255 against the photo's 1.05; docs/inpaint-grain.md); the steps before are unchanged."""
    d = GaussianDiffusion(Schedule("cosine", 200), "eps")
    net = GaussianDataOracle(d, 0.0, 1.0)
    shape = (1, 20000)
    runs = {q: list(reverse_trajectory(d, net, shape, steps=10, seed=5, quiet_last_jump=q)) for q in (False, True)}
    k = next(i for i, r in enumerate(runs[False]) if r.s == 1)
    t = runs[False][k].t
    assert t > 2  # a jump of more than one step lands on t = 1
    for a, b in zip(runs[False][:k], runs[True][:k]):
        assert torch.equal(a.x, b.x)
    x_t = runs[False][k - 1].x
    dist, _ = d.p_dist(net, x_t, torch.tensor([t], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64))
    post = float(d.posterior_coefficients(torch.tensor([t], dtype=torch.float64), torch.tensor([1.0], dtype=torch.float64))[2])
    assert float(dist.var.mean()) > 10 * post   # the learned kernel's x_0 share dominates here
    for q, want in ((False, float(dist.var.mean())), (True, post)):
        got = float((runs[q][k].x - dist.mean).var())
        assert abs(got / want - 1) < 0.05, (q, got, want)
