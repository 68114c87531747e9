"""The network's arithmetic: fp32, bf16, and auto (bf16 only where the CPU has it natively)."""

import numpy as np
import pytest

from dpm_studio.core.machine import devices
from dpm_studio.core.files.checkpoint import load, resolve
from dpm_studio.core.run.requests import DenoiseRequest
from dpm_studio.core.run import tasks
from dpm_studio.core.run.tasks import _Bf16Net, _with_precision, run_task


@pytest.fixture(scope="module")
def photos():
    return load(resolve("photos-rgb"))


def test_auto_takes_bf16_only_on_a_cpu_with_native_bf16(photos, monkeypatch):
    monkeypatch.setattr(devices, "_cpu_flags", lambda: frozenset({"avx2", "fma"}))
    assert _with_precision(photos, "auto", "cpu").net is photos.net
    monkeypatch.setattr(devices, "_cpu_flags", lambda: frozenset({"avx512f", "amx_bf16"}))
    assert isinstance(_with_precision(photos, "auto", "cpu").net, _Bf16Net)
    assert not devices.native_bf16("cuda")
    assert _with_precision(photos, "fp32", "cpu").net is photos.net
    assert isinstance(_with_precision(photos, "bf16", "cpu").net, _Bf16Net)


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
