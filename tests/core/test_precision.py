"""The network's arithmetic: fp32, bf16, and auto (bf16 only where the CPU has it natively)."""

import numpy as np
import pytest

from dpm_studio.core.machine import devices
from dpm_studio.core.files.checkpoint import load, resolve
from dpm_studio.core.run.requests import DenoiseRequest
from dpm_studio.core.run import tasks
from dpm_studio.core.math import nets_image
from dpm_studio.core.run.precision import _Fp32Net
from dpm_studio.core.run.tasks import _Bf16Net, _with_precision, run_task


@pytest.fixture(scope="module")
def photos():
    return load(resolve("photos-rgb"))


def _fp32(net):
    """The network a fp32 run calls: itself, or inside _Fp32Net (NNPACK's convolutions, where it serves)."""
    return net.net if isinstance(net, _Fp32Net) else net


def test_auto_takes_bf16_only_on_a_cpu_with_native_bf16(photos, monkeypatch):
    monkeypatch.setattr(devices, "_cpu_flags", lambda: frozenset({"avx2", "fma"}))
    assert _fp32(_with_precision(photos, "auto", "cpu").net) is photos.net
    monkeypatch.setattr(devices, "_cpu_flags", lambda: frozenset({"avx512f", "amx_bf16"}))
    assert isinstance(_with_precision(photos, "auto", "cpu").net, _Bf16Net)
    assert not devices.native_bf16("cuda")
    assert _fp32(_with_precision(photos, "fp32", "cpu").net) is photos.net
    assert isinstance(_with_precision(photos, "bf16", "cpu").net, _Bf16Net)


needs_nnpack = pytest.mark.skipif(not nets_image.nnpack_ready(), reason="torch built without NNPACK")


@needs_nnpack
def test_fp32_passes_on_a_cpu_take_nnpack_and_equal_the_plain_pass(photos):
    """A fp32 run on the CPU, torch on one thread, calls the U-Net through _Fp32Net: NCHW weights and
    inputs, its 3 x 3 convolutions (the upsampling ones too) through NNPACK's Winograd algorithm; the
    outputs equal the plain pass's to 1e-4 but are not the same bits (NNPACK ran). bf16 keeps
    channels-last weights; so does fp32 on two threads, the plain pass (NNPACK's pool spun there)."""
    import torch

    net = _with_precision(photos, "fp32", "cpu").net
    assert isinstance(net, _Fp32Net) and net.net is photos.net
    assert all(p.is_contiguous() for p in photos.net.parameters())
    x = torch.randn(2, 3, 40, 48).contiguous(memory_format=torch.channels_last)  # as a run's pieces come
    t = torch.full((2,), 300.0)
    with torch.no_grad():
        ref, out = photos.net(x, t), net(x, t)
        assert torch.allclose(out, ref, atol=1e-4, rtol=1e-4) and not torch.equal(out, ref)
        assert torch.allclose(net(x, t, outputs=3), ref[:, :3], atol=1e-4, rtol=1e-4)
    with torch.no_grad():  # the network called without the wrapper: the plain pass, bit for bit
        assert torch.equal(photos.net(x, t), ref)
    _with_precision(photos, "bf16", "cpu")
    assert photos.net.conv_in.weight.is_contiguous(memory_format=torch.channels_last)
    torch.set_num_threads(2)  # NNPACK's pool spins beside OpenMP's: with two threads, oneDNN's channels-last pass
    try:
        assert _with_precision(photos, "fp32", "cpu").net is photos.net
        assert photos.net.conv_in.weight.is_contiguous(memory_format=torch.channels_last)
    finally:
        torch.set_num_threads(1)


@needs_nnpack
def test_nnpack_convolutions_only_within_the_context_at_inference_in_fp32_nchw():
    """conv3x3 and upsample_conv are the module's own pass outside nnpack_convs(), with gradients,
    in bf16, on a channels-last input or with torch on two threads; inside, at inference, on one
    thread, NNPACK's, equal to 1e-4."""
    import torch
    from torch.nn import functional as F

    torch.manual_seed(0)
    conv = torch.nn.Conv2d(16, 24, 3, padding=1)
    up = torch.nn.Conv2d(16, 16, 3, padding=1)
    h = torch.randn(1, 16, 20, 12)
    with torch.no_grad():
        plain, plain_up = conv(h), up(F.interpolate(h, scale_factor=2, mode="nearest"))
        assert torch.equal(nets_image.conv3x3(conv, h), plain)
        with nets_image.nnpack_convs():
            fast = nets_image.conv3x3(conv, h)
            assert torch.allclose(fast, plain, atol=1e-4) and not torch.equal(fast, plain)
            assert torch.allclose(nets_image.upsample_conv(up, h), plain_up, atol=1e-4)
            cl = h.contiguous(memory_format=torch.channels_last)
            assert torch.equal(nets_image.conv3x3(conv, cl), conv(cl))
            with torch.autocast("cpu", dtype=torch.bfloat16):
                assert nets_image.conv3x3(conv, h).dtype == torch.bfloat16
    with nets_image.nnpack_convs():
        assert torch.equal(nets_image.conv3x3(conv, h), conv(h))  # gradients: the module's pass
    torch.set_num_threads(2)
    try:
        with torch.no_grad(), nets_image.nnpack_convs():  # several threads: the module's pass
            assert torch.equal(nets_image.conv3x3(conv, h), plain)
    finally:
        torch.set_num_threads(1)


@needs_nnpack
def test_an_fp32_denoise_with_nnpack_gives_the_plain_pixels_within_a_level(photos, monkeypatch):
    """The default denoise in fp32, NNPACK's convolutions on (they ran) and off: the same picture to 1e-4."""
    import torch

    calls, nnpack = [], torch._nnpack_spatial_convolution
    monkeypatch.setattr(torch, "_nnpack_spatial_convolution", lambda *a, **k: calls.append(1) or nnpack(*a, **k))
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64] / 64
    clean = np.stack([0.3 + 0.4 * xx, 0.5 + 0.2 * np.sin(6 * yy), 0.4 + 0.3 * xx * yy], 2).astype(np.float32)
    noisy = np.clip(clean + 25 / 255 * rng.standard_normal(clean.shape), 0, 1).astype(np.float32)
    req = DenoiseRequest(sigma=25 / 255, precision="fp32")
    on = list(run_task(photos, req, noisy))[-1].image
    assert len(calls) >= 6 * 19  # each of the 6 views' passes: photos-rgb's 19 3 x 3 convolutions (2 upsampling)
    monkeypatch.setattr(nets_image, "_NNPACK_READY", [False])
    off = list(run_task(photos, req, noisy))[-1].image
    assert np.abs(on - off).max() < 1e-4 and not np.array_equal(on, off)


def test_bf16_runs_in_bf16_and_denoises_as_well(photos):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:64] / 64
    clean = np.stack([0.3 + 0.4 * xx, 0.5 + 0.2 * np.sin(6 * yy), 0.4 + 0.3 * xx * yy], 2).astype(np.float32)
    noisy = np.clip(clean + 25 / 255 * rng.standard_normal(clean.shape), 0, 1).astype(np.float32)
    out = {}
    for p in ("fp32", "bf16"):
        *_, rec = run_task(photos, DenoiseRequest(sigma=25 / 255, ensemble=1, precision=p), noisy)
        out[p] = rec.image
    assert not np.array_equal(out["fp32"], out["bf16"])  # bf16 really ran
    assert np.abs(out["fp32"] - out["bf16"]).max() < 0.03
    psnr = {p: -10 * np.log10(np.mean((o - clean) ** 2)) for p, o in out.items()}
    assert abs(psnr["fp32"] - psnr["bf16"]) < 0.05


def test_an_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="precision"):
        DenoiseRequest(sigma=0.1, precision="fp8").validate()


def test_frozen_passes_match_the_autocast_pass_and_an_inpainting_repeats_to_the_bit(photos, monkeypatch):
    """Inpainting's bf16 passes run a frozen TorchScript trace per shape (core/run/frozen.py): its
    output must equal the eager autocast pass within a bf16 step, the trace must be made once per
    shape and be used (a run must not trace again, nor fall back), a second run with the same seed
    must give the same pixels, and gradients, several times per batch and fp32 must keep the eager pass."""
    import torch

    from dpm_studio.core.run import frozen
    from dpm_studio.core.run.requests import InpaintRequest

    net = photos.net
    frozen.forget(net)
    x = torch.randn(1, 3, 40, 48)
    t = torch.full((1,), 300.0)
    eager, fast = _Bf16Net(net), _Bf16Net(net, frozen=True)
    with torch.no_grad():
        ref, out = eager(x, t), fast(x, t)
        assert len(frozen._FROZEN[net]) == 1 and None not in frozen._FROZEN[net].values()
        assert not list(next(iter(frozen._FROZEN[net].values())).parameters())  # frozen: weights are constants
        assert torch.allclose(out, ref, atol=0.07, rtol=0.02) and not torch.equal(out, ref)  # the trace ran
        mean_head = fast(x, t, outputs=3)
        assert mean_head.shape == (1, 3, 40, 48) and torch.allclose(mean_head, ref[:, :3], atol=0.07, rtol=0.02)
        assert frozen.frozen_pass(net, x, torch.tensor([300.0, 20.0])) is None  # two times: not the trace's function
        for k in range(frozen.MAX_SHAPES):  # more shapes than are kept: the least recently used is dropped, not refused
            assert fast(torch.randn(1, 3, 16, 16 + 4 * k), t).shape == (1, 6, 16, 16 + 4 * k)
        passes = frozen._FROZEN[net]
        assert len(passes) == frozen.MAX_SHAPES and None not in passes.values()
        assert ((1, 3, 40, 48), None) not in {k[:2] for k in passes} and ((1, 3, 16, 28), None) in {k[:2] for k in passes}
        frozen.forget(net)
    x2 = x.clone().requires_grad_(True)
    assert frozen.frozen_pass(net, x2.to(torch.bfloat16), t) is None  # gradients: the eager pass
    frozen.forget(net)

    img = np.random.default_rng(1).random((72, 72, 3)).astype(np.float32)
    mask = np.zeros((72, 72), np.float32)
    mask[30:42, 30:42] = 1
    monkeypatch.setattr(tasks, "FROZEN_TASKS", ("inpaint", "sample"))   # the default (tasks.FROZEN_TASKS), kept here
    # bf16 named (the frozen passes are bf16 passes): "auto" is fp32 on a CPU without native bf16 (AMD EPYC, seen here)
    runs = [list(run_task(photos, InpaintRequest(seed=3, steps=4, precision="bf16"), img, mask=mask))[-1].image
            for _ in range(2)]
    passes = frozen._FROZEN[net]
    assert len(passes) == 1 and None not in passes.values()  # one shape, traced once, used twice
    assert np.array_equal(runs[0], runs[1])
    fp32 = list(run_task(photos, InpaintRequest(seed=3, steps=4, precision="fp32"), img, mask=mask))[-1].image
    assert np.abs(fp32 - runs[0]).max() < 0.05
    frozen.forget(net)


def test_frozen_passes_trace_the_network_inside_a_cancel_wrapper_and_still_check_it(photos):
    """The app runs the network inside a wrapper that checks Cancel before each pass (gui/model/frames,
    no Qt): the trace is of the network inside (the wrapper's own Event failed the deepcopy, so the
    app never ran a frozen pass), and the check still comes before each frozen pass. Any other wrapper: eager."""
    import threading

    import torch

    from dpm_studio.core.run import frozen
    from dpm_studio.gui.model.frames import RunCancelled, _StoppableNet  # no Qt

    class Other:  # a wrapper that may change the function: never unwrapped
        def __init__(self, net, stop):
            self.net = net

        def __call__(self, *a, **k):
            return self.net(*a, **k)

        def __getattr__(self, name):
            return getattr(self.net, name)

    net, stop = photos.net, threading.Event()
    frozen.forget(net)
    x, t = torch.randn(1, 3, 24, 24), torch.full((1,), 300.0)
    with torch.no_grad():
        assert frozen.network_of(Other(net, stop)) is None
        _Bf16Net(Other(net, stop), frozen=True)(x, t)
        assert net not in frozen._FROZEN  # eager
        _Bf16Net(_StoppableNet(net, stop), frozen=True)(x, t)
        assert len(frozen._FROZEN[net]) == 1 and None not in frozen._FROZEN[net].values()  # traced, inside
        stop.set()
        with pytest.raises(RunCancelled):
            _Bf16Net(_StoppableNet(net, stop), frozen=True)(x, t)
    frozen.forget(net)
