"""Property tests (hypothesis): the image loader on every Pillow mode and size, and
inpainting / denoising on any image, size and mask with a tiny untrained net."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from dpm_studio import imageio
from dpm_studio.core import GaussianDiffusion, Schedule
from dpm_studio.core.files.checkpoint import Loaded
from dpm_studio.core.math.nets import build_net
from dpm_studio.core.files.formats import MIN_SPREAD_FRACTION, float_range
from dpm_studio.core.run.jobs import has_colour
from dpm_studio.core.run.tasks import run_task

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])

#: The documented rule: grey modes give one channel, everything else RGB; alpha kept aside.
GREY_MODES = ("1", "L", "LA", "I;16", "I", "F")
ALPHA_MODES = ("LA", "PA", "RGBA")
MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "I;16", "I", "F", "CMYK")
#: Where Pillow writes a mode: PNG when it can, TIFF otherwise.
TIFF_ONLY = ("PA", "I", "F", "CMYK")


@st.composite
def pillow_images(draw):
    mode = draw(st.sampled_from(MODES))
    h, w = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    if mode == "I;16":
        a = draw(hnp.arrays(np.uint16, (h, w)))
        return mode, a, Image.fromarray(a)
    if mode == "I":
        a = draw(hnp.arrays(np.int32, (h, w), elements=st.integers(-2 ** 31, 2 ** 31 - 1)))
        return mode, a, Image.fromarray(a, "I")
    if mode == "F":
        a = draw(hnp.arrays(np.float32, (h, w), elements=st.floats(width=32, allow_nan=True, allow_infinity=True)))
        return mode, a, Image.fromarray(a, "F")
    bands = {"1": 1, "L": 1, "P": 1, "LA": 2, "PA": 2, "RGB": 3, "RGBA": 4, "CMYK": 4}[mode]
    seed = draw(st.integers(0, 2 ** 32 - 1))
    a = np.random.default_rng(seed).integers(0, 256, (h, w, bands), dtype=np.uint8)
    if draw(st.booleans()):  # flat images and extreme values, not only noise
        a[:] = draw(st.sampled_from([0, 1, 254, 255]))
    if mode in ("1", "L", "P"):
        im = Image.fromarray(a[:, :, 0], "L").convert("1") if mode == "1" else Image.fromarray(a[:, :, 0], mode)
    elif mode == "PA":
        im = Image.fromarray(a, "LA").convert("PA")
    else:
        im = Image.fromarray(a, mode)
    return mode, a, im


def _flattened_float_image():
    """A float image refused by the spread rule: 99 values within 4.7e-30 beside one 1e30."""
    a = np.linspace(0, 4.7e-30, 100, dtype=np.float32).reshape(10, 10)
    a[0, 0] = 1e30
    return "F", a, Image.fromarray(a, "F")


@FAST
@given(case=pillow_images())
@example(case=_flattened_float_image())
def test_loader_gives_float32_in_unit_range_with_the_documented_channels(tmp_path, case):
    mode, a, im = case
    path = tmp_path / ("x.tif" if mode in TIFF_ONLY else "x.png")
    im.save(path)
    try:
        d = imageio.load_image(path)
    except imageio.ImageIOError as e:
        if mode == "I":  # integers whose span needs more than float32's 24 bits, off its grid
            span = float(a.max()) - min(float(a.min()), 0.0)
            assert "bits would be lost" in str(e) and span > 2 ** 24, str(e)
            return
        # The other refusal a Pillow image can meet: a float image whose middle 98% is flattened
        # by a few extreme values (formats.MIN_SPREAD_FRACTION), e.g. 0..4.7e-30 beside 1e30.
        finite = a[np.isfinite(a)].astype(np.float64)
        p1, p99 = np.percentile(finite, [1, 99], method="nearest")
        assert mode == "F" and "extreme values" in str(e), str(e)
        scale, _ = float_range(a[:, :, None])
        assert 0 < p99 - p1 < scale * MIN_SPREAD_FRACTION, str(e)
        return
    h, w = a.shape[:2]
    c = 1 if mode in GREY_MODES else 3
    assert d.pixels.shape == (h, w, c) and d.pixels.dtype == np.float32
    assert np.isfinite(d.pixels).all() and d.pixels.min() >= 0.0 and d.pixels.max() <= 1.0
    if d.alpha is not None:
        assert mode in ALPHA_MODES
        assert d.alpha.shape == (h, w) and d.alpha.dtype == np.float32
        assert d.alpha.min() >= 0.0 and d.alpha.max() <= 1.0 and d.alpha.min() < 1.0
    elif mode in ALPHA_MODES and mode != "PA":
        assert a[:, :, -1].min() == 255, "an alpha channel is dropped only when fully opaque"
    if mode == "L":
        np.testing.assert_array_equal(d.pixels[:, :, 0], a[:, :, 0] / np.float32(255))
    if mode == "I;16":
        np.testing.assert_allclose(d.pixels[:, :, 0], a / 65535.0, rtol=0, atol=1e-7)
    if mode == "RGB":
        np.testing.assert_array_equal(d.pixels, a / np.float32(255))


@functools.lru_cache(maxsize=None)
def tiny(channels: int) -> Loaded:
    torch.manual_seed(0)
    spec = {"type": "multiscale", "kwargs": {"T": 10, "channels": channels}}
    net = build_net(spec).eval()
    card = {"name": "t", "data": {"channels": channels, "scale": {"mean": 0.5, "std": 0.25}}}
    return Loaded(GaussianDiffusion(Schedule("cosine", 10), "eps"), net, card, None)


@st.composite
def inpaint_cases(draw):
    h, w = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    c = draw(st.sampled_from([1, 3]))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    img = rng.random((h, w, c)).astype(np.float32)
    kind = draw(st.sampled_from(["blobs", "pixels", "soft", "full", "empty"]))
    if kind == "blobs":
        mask = np.zeros((h, w), np.float32)
        for _ in range(draw(st.integers(1, 3))):
            t, l = rng.integers(0, h), rng.integers(0, w)
            mask[t:t + rng.integers(1, h + 1), l:l + rng.integers(1, w + 1)] = 1
    elif kind == "pixels":
        mask = (rng.random((h, w)) < draw(st.floats(0.01, 0.9))).astype(np.float32)
    elif kind == "soft":
        mask = rng.random((h, w)).astype(np.float32) * (rng.random((h, w)) < 0.5)
    else:
        mask = np.full((h, w), 1.0 if kind == "full" else 0.0, np.float32)
    model_c = draw(st.sampled_from([1, 3]))
    mode = draw(st.sampled_from(["clamp", "forward"]))
    return img, mask, model_c, mode, seed


@FAST
@given(case=inpaint_cases())
def test_inpainting_keeps_size_channels_range_and_the_known_pixels(case):
    img, mask, model_c, mode, seed = case
    run = run_task(tiny(model_c), "inpaint", img, mask=mask, steps=2, seed=seed % 1000, mode=mode)
    if model_c == 1 and img.shape[2] == 3 and (mask > 0).any() and has_colour(img):
        with pytest.raises(ValueError, match="grey model and the image has colour"):  # colour noise otherwise
            list(run)
        return
    if not (mask > 0).any():
        with pytest.raises(ValueError, match="the mask is empty"):
            list(run)
        return
    recs = list(run)
    out = recs[-1].image
    assert recs[-1].done and out.shape == img.shape and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0
    known = mask == 0
    np.testing.assert_array_equal(out[known], img[known])  # exactly, in both modes


@FAST
@given(h=st.integers(1, 40), w=st.integers(1, 40), c=st.sampled_from([1, 3]), model_c=st.sampled_from([1, 3]),
       sigma=st.floats(0.005, 0.5), seed=st.integers(0, 1000))
def test_denoising_keeps_size_channels_and_range(h, w, c, model_c, sigma, seed):
    img = np.random.default_rng(seed).random((h, w, c)).astype(np.float32)
    out = list(run_task(tiny(model_c), "denoise", img, sigma=sigma, method="mmse", seed=seed))[-1].image
    assert out.shape == img.shape and np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0
