"""Training: the generator lowers the loss, resumes exactly, and reproduces the heartbeat toy in small."""

import pytest
import torch

from dpm_studio.core import BinomialDiffusion, GaussianDiffusion, Schedule
from dpm_studio.core.math.bound import evaluate_bound, run
from dpm_studio.core.train.data.toys import heartbeat_batch, heartbeat_sequences, swiss_roll
from dpm_studio.core.math.nets import HeartbeatMLP, PointMLP
from dpm_studio.core.math.diffusion import Model
from dpm_studio.core.train.training import TrainState, train


def _roll_state(seed=0):
    torch.manual_seed(seed)
    d = GaussianDiffusion(Schedule("code", 20), "paper", first_step="fixed")
    return TrainState(Model(d, PointMLP(20, hidden=32, layers=2)), lr=3e-3)


def test_training_lowers_the_loss_on_a_fixed_batch():
    state = _roll_state()
    x0 = swiss_roll(256, torch.Generator().manual_seed(1))
    from dpm_studio.core.math.bound import training_objective

    def loss_now():
        g = torch.Generator().manual_seed(5)
        with torch.no_grad():
            return float(torch.stack([training_objective(state.model.diffusion, state.model.net, x0, g)["loss"].mean()
                                      for _ in range(20)]).mean())

    before = loss_now()
    for _ in train(state, lambda g: x0, steps=150, warmup=10):
        pass
    assert loss_now() < before - 0.05


def test_training_in_pieces_is_the_uninterrupted_run(tmp_path):
    """10 steps, saved, restored into a fresh state (other initial weights), 10 more: bit for bit the
    20-step run, weights, EMA and optimiser moments (the generators' states are in the saved state;
    reseeding at seed + step, as before, differed by up to 0.011 after 20 steps)."""
    from dpm_studio.core.train.training import load_state, save_state

    batches = lambda g: swiss_roll(64, g)  # noqa: E731
    whole = _roll_state()
    for _ in train(whole, batches, steps=20, warmup=5, total_steps=20):
        pass
    a = _roll_state()
    for _ in train(a, batches, steps=10, warmup=5, total_steps=20):
        pass
    save_state(tmp_path / "run.train", a)
    b = _roll_state(seed=99)  # different init, then restored
    b.restore(*load_state(tmp_path / "run.train"))
    for _ in train(b, batches, steps=10, warmup=5, total_steps=20):
        pass
    for pa, pb in zip(whole.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)
    for pa, pb in zip(whole.ema.parameters(), b.ema.parameters()):
        assert torch.equal(pa, pb)
    ta, tb = whole.tensors(), b.tensors()
    assert ta.keys() == tb.keys() and all(torch.equal(ta[k], tb[k]) for k in ta)


def test_time_budget_stops_training(monkeypatch):
    """On a clock that advances 0.1 s per reading (not the machine's, so load cannot change the
    outcome), a 1.2 s budget stops the run once the budget is spent, after a few steps."""
    import types

    from dpm_studio.core.train import training

    now = [0.0]

    def tick():
        now[0] += 0.1
        return now[0]

    monkeypatch.setattr(training, "time", types.SimpleNamespace(perf_counter=tick))
    state = _roll_state()
    recs = list(train(state, lambda g: swiss_roll(32, g), minutes=0.02, steps=50))  # 50: a cap, if the budget broke
    assert 1 <= len(recs) <= 6, len(recs)  # about 4 clock readings per step
    assert recs[-1].elapsed_s >= 1.2 - 1e-9  # measured: 3 steps, 1.2 s


def test_reduced_heartbeat_reproduction_climbs_above_L_null():
    """A T = 100 heartbeat trained for 600 steps (~10 s): K must beat the prior alone by
    9 bits/seq (L_null = -14.44; the exact answer is -2.32, so K - L_null <= 12.1)."""
    torch.manual_seed(0)
    T = 100
    d = BinomialDiffusion(Schedule("paper", T), "x0", first_step="fixed", base_rate=0.2)
    state = TrainState(Model(d, HeartbeatMLP(T, readout="both", activation="tanh")), lr=3e-3)
    for _ in train(state, lambda g: heartbeat_batch(128, g), steps=600, warmup=50):
        pass
    res = run(evaluate_bound(state.ema.diffusion, state.ema.net, heartbeat_sequences(), n_mc=200,
                             generator=torch.Generator().manual_seed(3)))
    assert res.L_null < -14.4
    assert res.K_minus_L_null > 9.0, res.as_dict()


def test_hybrid_objective_estimates_the_same_K_as_the_bound():
    """Both objectives report an unbiased one-sample estimate of K; on the same model they agree."""
    from dpm_studio.core.math.bound import training_objective
    from dpm_studio.core.math.reference import GaussianDataOracle
    from dpm_studio.core.train.training import hybrid_objective

    d = GaussianDiffusion(Schedule("code", 20), "eps", first_step="learned")
    net = GaussianDataOracle(d, 0.0, 0.5)
    x0 = torch.randn(64, 2, generator=torch.Generator().manual_seed(1)) * 0.5 ** 0.5
    g = torch.Generator().manual_seed(2)
    xs = x0.repeat(400, 1)   # 400 draws per example in one call: t and the noise are drawn per row
    with torch.no_grad():
        a = hybrid_objective(d, net, xs, g)["K"].mean()
        b = training_objective(d, net, xs, g)["K"].mean()
    assert abs(float(a - b)) < 0.1 * abs(float(b)) + 0.05


def test_focused_law_for_t_keeps_K_unbiased_and_trains_the_band_more():
    """Drawing t from focus_probs moves mass onto the band; the importance weight keeps the
    mean of the hybrid objective's K equal to the uniform law's."""
    from dpm_studio.core.math.reference import GaussianDataOracle
    from dpm_studio.core.train.training import focus_probs, hybrid_objective

    d = GaussianDiffusion(Schedule("code", 20), "eps", first_step="learned")
    q = focus_probs(d, 0.3, 1.0, 0.7)
    ab = d.alpha_bar(torch.arange(1, 21, dtype=torch.float64)).double()
    band = ((1 - ab) / ab).sqrt().ge(0.3) & ((1 - ab) / ab).sqrt().le(1.0)
    assert 0 < int(band.sum()) < 20
    assert abs(float(q.sum()) - 1) < 1e-12 and float(q[band].sum()) > 0.7
    assert torch.allclose(q[~band], torch.full_like(q[~band], 0.3 / 20))
    net = GaussianDataOracle(d, 0.0, 0.5)
    x0 = torch.randn(64, 2, generator=torch.Generator().manual_seed(1)) * 0.5 ** 0.5
    g = torch.Generator().manual_seed(3)
    xs = x0.repeat(400, 1)   # 400 draws per example in one call: t and the noise are drawn per row
    with torch.no_grad():
        runs = hybrid_objective(d, net, xs, g, t_probs=q)
        uni = hybrid_objective(d, net, xs, g)["K"].mean()
    focused = runs["K"].mean()
    assert abs(float(focused - uni)) < 0.1 * abs(float(uni)) + 0.05
    drawn = runs["t"].long() - 1
    assert abs(float(band[drawn].double().mean()) - float(q[band].sum())) < 0.02
    with pytest.raises(ValueError):
        focus_probs(d, 1.0, 0.3, 0.5)


def test_image_presets_build_and_draw_batches():
    import json

    from dpm_studio.core.train.presets import PRESETS

    for name in ("photos-rgb", "textures-gray", "dead-leaves", "digits-binary"):
        p = PRESETS[name]
        d, net = p.build()
        x = p.batch(2, torch.Generator().manual_seed(0))
        ch = p.card_data()["channels"]
        assert x.shape[:2] == (2, ch) and x.shape[2] == x.shape[3]
        with torch.no_grad():
            out = net(x, torch.full((2,), 3.0))
        assert out.shape[1] == d.out_channels(ch)
        json.dumps(p.card_data())


@pytest.fixture
def gloo_group(tmp_path):
    """A torch.distributed group of one process (the path torchrun takes, on one CPU)."""
    import torch.distributed as dist

    if not dist.is_available():
        pytest.skip("torch.distributed is not available")
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'rendezvous'}", rank=0, world_size=1)
    try:
        yield dist
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize("objective", ["hybrid", "bound"])
def test_ddp_path_in_a_group_of_one_matches_plain_training(gloo_group, objective):
    """DistributedDataParallel (hybrid) or hand-averaged gradients (bound) on one process
    give the same steps as plain training; a learned schedule is averaged too."""
    from dpm_studio.core.math.schedules import LearnedSchedule
    from dpm_studio.core.train.training import distributed_context

    def state():
        torch.manual_seed(0)
        par = "eps" if objective == "hybrid" else "paper"
        d = GaussianDiffusion(LearnedSchedule(20, init="geometric", b1=1e-4, start=1e-4), par, first_step="learned")
        return TrainState(Model(d, PointMLP(20, hidden=32, layers=2)), lr=3e-3)

    assert distributed_context() == (0, 1)
    batches = lambda g: swiss_roll(64, g)  # noqa: E731
    a, b = state(), state()
    plain = list(train(a, batches, steps=8, warmup=2, objective=objective))
    ddp = list(train(b, batches, steps=8, warmup=2, objective=objective, ddp=True))
    assert [r.loss for r in plain] == pytest.approx([r.loss for r in ddp], rel=1e-5, abs=1e-7)
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.allclose(pa, pb, atol=1e-6)
    assert any(not torch.equal(p, q) for p, q in zip(a.model.diffusion.parameters(), state().model.diffusion.parameters()))


def test_ddp_without_a_group_is_a_clear_error():
    with pytest.raises(RuntimeError, match="torchrun"):
        next(train(_roll_state(), lambda g: swiss_roll(8, g), steps=1, ddp=True))


def test_resume_under_a_changed_fixed_schedule_takes_the_new_schedule():
    """The image presets' cap on b_t changed under saved training states: resuming must not bring the old rates back."""
    torch.manual_seed(0)
    old = TrainState(Model(GaussianDiffusion(Schedule("cosine", 20), "eps"), PointMLP(20, hidden=16, layers=2)),
                     lr=1e-3)
    new_d = GaussianDiffusion(Schedule("cosine", 20, max_beta=0.5), "eps")
    new = TrainState(Model(new_d, PointMLP(20, hidden=16, layers=2)), lr=1e-3)
    assert float(old.model.diffusion.betas()[-1]) == pytest.approx(0.999)
    new.restore(old.tensors(), old.meta())
    assert float(new.model.diffusion.betas()[-1]) == 0.5
    assert float(new.ema.diffusion.betas()[-1]) == 0.5
    for a, b in zip(old.model.net.parameters(), new.model.net.parameters()):
        assert torch.equal(a, b)


def test_image_presets_last_reverse_step_does_not_amplify_the_eps_error():
    """KL gain of an eps model's step t is b_t / (1 - b_t); the presets keep it at most 1 (docs/checkpoints.md)."""
    from dpm_studio.core.train.presets import PRESETS

    for name in ("photos-rgb", "textures-gray", "dead-leaves"):
        b = PRESETS[name].build_diffusion().betas()
        assert float((b / (1 - b)).max()) <= 1.0 + 1e-12, name
