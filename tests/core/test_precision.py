"""The network's arithmetic: fp32, bf16, and auto (bf16 only where the CPU has it natively)."""

import numpy as np
import pytest

from dpm_studio.core.machine import devices
from dpm_studio.core.files.checkpoint import load, resolve
from dpm_studio.core.run.requests import DenoiseRequest
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
