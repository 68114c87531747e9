"""The GPU-efficient training loop, exercised on the CPU: its data draws, its device-side step
skipping, its read-back windows, resuming, the sharded resume state and the 3.6 M U-Net."""

import math

import numpy as np
import pytest
import torch

from dpm_studio.core import GaussianDiffusion, Schedule
from dpm_studio.core.train.data import images as im
from dpm_studio.core.train.data.toys import swiss_roll
from dpm_studio.core.train.fasttrain import AutocastNet, DeviceCrops, Prefetch, train_fast
from dpm_studio.core.math.nets import PointMLP, build_net
from dpm_studio.core.train.presets import NET_VARIANTS, get_preset, with_net
from dpm_studio.core.math.diffusion import Model
from dpm_studio.core.train.training import TrainState, load_state, save_state, state_files


pytestmark = pytest.mark.usefixtures("one_thread")


def _recipe(flips="h", gray=0.3):
    rng = np.random.default_rng(0)
    sources = [im._Source(f"s{k}", rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
               for k, (h, w) in enumerate([(40, 60), (33, 90), (70, 45)])]
    return im.ImageRecipe("synthetic", sources, 3, flips=flips, gray_fraction=gray)


@pytest.mark.parametrize("flips,gray", [("h", 0.3), ("hv", 0.0), ("none", 1.0)])
def test_device_crops_draw_exactly_the_recipes_batches_for_a_seed(flips, gray):
    """On the CPU the batched draws use the generator in the recipe's order: same pixels."""
    r = _recipe(flips, gray)
    crops = DeviceCrops(r, 16, "cpu")
    for seed in (0, 1):
        a = crops(24, torch.Generator().manual_seed(seed))
        b = r.batch(24, 16, torch.Generator().manual_seed(seed))
        assert torch.equal(a, b)
    assert crops.nbytes() == 3 * 70 * 90 * 3


def _roll(seed=0):
    torch.manual_seed(seed)
    d = GaussianDiffusion(Schedule("code", 20), "paper", first_step="fixed")
    return TrainState(Model(d, PointMLP(20, hidden=32, layers=2)), lr=3e-3)


def test_fast_loop_yields_every_step_in_windows_and_lowers_the_loss():
    state = _roll()
    x0 = swiss_roll(256, torch.Generator().manual_seed(1))
    recs = list(train_fast(state, lambda g: x0, batch=256, steps=120, warmup=10, sync_every=7, device="cpu"))
    assert [r.step for r in recs] == list(range(1, 121))
    assert all(math.isfinite(r.loss) and math.isfinite(r.grad_norm) for r in recs)
    assert np.mean([r.loss for r in recs[-20:]]) < np.mean([r.loss for r in recs[:20]]) - 0.05
    assert state.opt.defaults.get("fused")  # device-side skipping of non-finite steps


def test_a_non_finite_gradient_skips_the_update_on_the_device():
    state = _roll()
    good = swiss_roll(64, torch.Generator().manual_seed(1))
    list(train_fast(state, lambda g: good, batch=64, steps=2, warmup=1, device="cpu"))
    before = [p.detach().clone() for p in state.model.parameters()]
    adam_steps = [float(s["step"]) for s in state.opt.state.values()]
    bad = good.clone()
    bad[0, 0] = float("nan")
    recs = list(train_fast(state, lambda g: bad, batch=64, steps=1, warmup=1, device="cpu"))
    assert not math.isfinite(recs[0].grad_norm)
    assert all(torch.equal(p, q) for p, q in zip(before, state.model.parameters()))
    assert [float(s["step"]) for s in state.opt.state.values()] == adam_steps
    assert state.step == 3


def test_fast_loop_in_pieces_is_the_uninterrupted_run_through_the_sharded_state(tmp_path):
    """10 steps, saved in shards, restored into a fresh state, 10 more: bit for bit the 20-step run."""
    batches = lambda g: swiss_roll(64, g)  # noqa: E731
    whole = _roll()
    list(train_fast(whole, batches, batch=64, steps=20, warmup=5, total_steps=20, device="cpu", sync_every=4))
    a = _roll()
    list(train_fast(a, batches, batch=64, steps=10, warmup=5, total_steps=20, device="cpu", sync_every=4))
    written = save_state(tmp_path / "run.train", a, max_bytes=20_000)  # forces several shards
    assert len(written) > 2 and written == state_files(tmp_path / "run.train")
    assert all(p.stat().st_size <= 20_000 + 4096 for p in written[1:])
    b = _roll(seed=99)
    b.restore(*load_state(tmp_path / "run.train"))
    list(train_fast(b, batches, batch=64, steps=10, warmup=5, total_steps=20, device="cpu", sync_every=4))
    ta, tb = whole.tensors(), b.tensors()
    assert ta.keys() == tb.keys()
    for k in ta:
        assert torch.equal(ta[k], tb[k]), k


def test_prefetch_reports_the_state_of_what_it_handed_out():
    """Drawn ahead, but its state is the one after the batches consumed: a resume continues there."""
    pf = Prefetch(lambda g: torch.rand(3, generator=g), seed=4, device="cpu", depth=3)
    try:
        first = pf()
        state = pf.get_state()
        g = torch.Generator().manual_seed(4)
        assert torch.equal(first, torch.rand(3, generator=g)) and torch.equal(state, g.get_state())
    finally:
        pf.close()
    resumed = Prefetch(lambda g: torch.rand(3, generator=g), seed=0, device="cpu", state=state)
    try:
        assert torch.equal(resumed(), torch.rand(3, generator=g))
    finally:
        resumed.close()


def test_a_single_file_state_of_an_older_run_still_loads(tmp_path):
    """Before sharding the state was one OUT.train.safetensors and a JSON without 'shards'."""
    import json

    from safetensors.torch import save_file

    a = _roll()
    list(train_fast(a, lambda g: swiss_roll(32, g), batch=32, steps=3, warmup=1, device="cpu"))
    save_file(a.tensors(), str(tmp_path / "old.train.safetensors"))
    (tmp_path / "old.train.json").write_text(json.dumps(a.meta()))
    b = _roll(seed=5)
    b.restore(*load_state(tmp_path / "old.train"))
    assert all(torch.equal(p, q) for p, q in zip(a.model.parameters(), b.model.parameters()))
    assert b.step == 3


def test_time_budget_stops_the_fast_loop():
    recs = list(train_fast(_roll(), lambda g: swiss_roll(32, g), batch=32, minutes=0.01, device="cpu"))
    assert recs and recs[-1].elapsed_s >= 0.6


def test_autocast_runs_the_network_in_bf16_and_returns_fp32():
    seen = {}
    net = build_net({"type": "unet", "kwargs": {"T": 10, "channels": 3, "outputs_per_channel": 2, "base": 8,
                                                "channel_mults": [1, 2]}})
    net.conv_in.register_forward_hook(lambda m, i, o: seen.update(dtype=o.dtype))
    out = AutocastNet(net, "cpu", amp=True, channels_last=True)(torch.randn(2, 3, 8, 8), torch.tensor([3.0, 5.0]))
    assert seen["dtype"] == torch.bfloat16 and out.dtype == torch.float32
    assert all(p.dtype == torch.float32 for p in net.parameters())


def test_prefetch_gives_the_batches_in_the_order_of_one_generator():
    pf = Prefetch(lambda g: torch.rand(3, generator=g), seed=4, device="cpu", depth=2)
    try:
        got = [pf() for _ in range(5)]
    finally:
        pf.close()
    g = torch.Generator().manual_seed(4)
    assert all(torch.equal(a, torch.rand(3, generator=g)) for a in got)


def test_time_embedding_unet_variant_has_3_6_m_parameters_and_small_weight_files(tmp_path):
    from dpm_studio.core.files import checkpoint

    p = with_net(get_preset("photos-rgb"), "unet-te")
    assert p.net_spec["kwargs"]["base"] == 48 and p.net_spec["kwargs"]["time"] == "embedding"
    diffusion, net = p.build()
    n = sum(q.numel() for q in net.parameters())
    assert 3.5e6 < n < 3.7e6
    checkpoint.save(tmp_path / "te", diffusion, net, {"name": "te", "network": p.net_spec, "data": {"channels": 3}})
    assert (tmp_path / "te.safetensors").stat().st_size < 16 * 2 ** 20
    assert with_net(get_preset("photos-rgb"), None) is get_preset("photos-rgb")
    with pytest.raises(ValueError, match="image presets"):
        with_net(get_preset("swiss-roll"), "unet-te")
    with pytest.raises(ValueError, match="unknown network"):
        with_net(get_preset("photos-rgb"), "resnet")
    assert set(NET_VARIANTS) == {"unet-te"}


@pytest.mark.parametrize("objective", ["hybrid", "bound"])
def test_fast_loop_under_ddp_in_a_group_of_one_matches_it_without(tmp_path, objective):
    import torch.distributed as dist

    from dpm_studio.core.math.schedules import LearnedSchedule

    def state():
        torch.manual_seed(0)
        par = "eps" if objective == "hybrid" else "paper"
        d = GaussianDiffusion(LearnedSchedule(20, init="geometric", b1=1e-4, start=1e-4), par, first_step="learned")
        return TrainState(Model(d, PointMLP(20, hidden=32, layers=2)), lr=3e-3)

    batches = lambda g: swiss_roll(64, g)  # noqa: E731
    a, b = state(), state()
    plain = list(train_fast(a, batches, batch=64, steps=6, warmup=2, objective=objective, device="cpu"))
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'rdv'}", rank=0, world_size=1)
    try:
        ddp = list(train_fast(b, batches, batch=64, steps=6, warmup=2, objective=objective, device="cpu", ddp=True))
    finally:
        dist.destroy_process_group()
    assert [r.loss for r in plain] == pytest.approx([r.loss for r in ddp], rel=1e-5, abs=1e-7)
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.allclose(pa, pb, atol=1e-6)


@pytest.mark.parametrize("channels_last", [True, False])
def test_channels_last_applies_to_the_image_network_and_its_batches(channels_last):
    torch.manual_seed(0)
    d = GaussianDiffusion(Schedule("cosine", 10, max_beta=0.5), "eps", first_step="learned")
    net = build_net({"type": "unet", "kwargs": {"T": 10, "channels": 3, "outputs_per_channel": 2, "base": 8,
                                                "channel_mults": [1, 2]}})
    state = TrainState(Model(d, net), lr=1e-3)
    crops = DeviceCrops(_recipe(), 16, "cpu", channels_last=channels_last)
    x = crops(2, torch.Generator().manual_seed(0))
    assert x.is_contiguous(memory_format=torch.channels_last) == channels_last
    recs = list(train_fast(state, crops, batch=2, steps=2, warmup=1, objective="hybrid", device="cpu",
                           channels_last=channels_last, amp=False))
    assert len(recs) == 2 and all(math.isfinite(r.loss) for r in recs)
    w = state.model.net.conv_in.weight
    assert w.is_contiguous(memory_format=torch.channels_last) == channels_last
    assert w.dtype == torch.float32


def test_channels_last_is_the_default_only_where_it_was_measured_faster(monkeypatch):
    """An H100 trained unet-te 1.25x faster contiguous (docs/gpu.md): CUDA defaults to it; a CPU
    with native bf16 keeps channels_last."""
    from dpm_studio.core.train import fasttrain

    assert fasttrain.channels_last_pays("cuda") is False
    assert fasttrain.channels_last_pays("cuda:1") is False
    for native in (True, False):
        monkeypatch.setattr(fasttrain, "native_bf16", lambda dev, native=native: native)
        assert fasttrain.channels_last_pays("cpu") is native
