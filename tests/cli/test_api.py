"""dpm_studio.api: numpy in, numpy out, with the command line's defaults (compared pixel for pixel)."""

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dpm_studio import api
from dpm_studio.cli.main import main

README = Path(__file__).resolve().parents[2] / "README.md"
H, W = 24, 32


def _photo(seed=0, channels=3):
    return np.random.default_rng(seed).integers(0, 256, (H, W, channels), dtype=np.uint8)


def _hole():
    m = np.zeros((H, W), bool)
    m[6:14, 8:22] = True
    return m


def test_inpaint_matches_the_cli_with_its_defaults(tmp_path, tiny):
    img, hole = _photo(), _hole()
    Image.fromarray(img).save(tmp_path / "in.png")
    Image.fromarray(hole.astype(np.uint8) * 255).save(tmp_path / "m.png")
    assert main(["inpaint", str(tmp_path / "in.png"), "--mask", str(tmp_path / "m.png"), "-o",
                 str(tmp_path / "out.png"), "--checkpoint", tiny, "--steps", "3"]) == 0
    cli = np.asarray(Image.open(tmp_path / "out.png"))
    out = api.inpaint(img, hole, checkpoint=tiny, steps=3)
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert np.array_equal(out, cli)
    assert np.array_equal(out[~hole], img[~hole]) and not np.array_equal(out[hole], img[hole])


def test_denoise_matches_the_cli_with_estimated_sigma(tmp_path, tiny):
    img = _photo(1)
    Image.fromarray(img).save(tmp_path / "in.png")
    assert main(["denoise", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"), "--checkpoint", tiny]) == 0
    cli = np.asarray(Image.open(tmp_path / "out.png"))
    out = api.denoise(img, checkpoint=tiny)
    assert np.array_equal(out, cli) and not np.array_equal(out, img)


def test_sigma_is_in_the_arrays_units_and_types_come_back(tiny):
    img8 = _photo(2)
    f = img8.astype(np.float64) / 255
    u16 = (img8.astype(np.uint16) * 257)
    # clipping ignored: a uint16 image is quantised to 65535 steps, a float one read as 8-bit, so their
    # clipped pixels would differ in the threshold they stand for (tests/core/test_clipping.py)
    out8 = api.denoise(img8, sigma=20, checkpoint=tiny, ensemble=1, clipping="ignore")
    outf = api.denoise(f, sigma=20 / 255, checkpoint=tiny, ensemble=1, clipping="ignore")
    out16 = api.denoise(u16, sigma=20 * 257, checkpoint=tiny, ensemble=1, clipping="ignore")
    assert outf.dtype == np.float64 and out16.dtype == np.uint16 and out8.dtype == np.uint8
    assert 0 <= outf.min() and outf.max() <= 1
    assert np.abs(outf * 255 - out8).max() <= 0.5 + 1e-6  # the same run, rounded
    assert np.abs(out16 / 257.0 - outf * 255).max() < 0.01
    grey = api.denoise(img8[:, :, 0], sigma=20, checkpoint=tiny, ensemble=1)
    assert grey.shape == (H, W) and grey.dtype == np.uint8


def test_soft_mask_and_float64_known_pixels_exact(tiny):
    img = np.random.default_rng(3).random((H, W, 3))  # float64
    soft = np.zeros((H, W), np.float32)
    soft[6:14, 8:22] = 0.5
    out = api.inpaint(img, soft, soft_mask=True, checkpoint=tiny, steps=2)
    known = soft == 0
    assert out.dtype == np.float64 and np.array_equal(out[known], img[known])
    hard = api.inpaint(img, soft, checkpoint=tiny, steps=2)  # without soft_mask: nonzero = fill
    assert not np.allclose(hard[~known], out[~known])


@pytest.mark.parametrize("call,message", [
    (lambda t: api.inpaint(_photo(), np.zeros((H, W)), checkpoint=t), "mask is empty"),
    (lambda t: api.inpaint(_photo(), np.ones((3, 3)), checkpoint=t), "mask is"),
    (lambda t: api.denoise(_photo().astype(float) * 2, sigma=0.1, checkpoint=t), "[0, 1]"),
    (lambda t: api.denoise(_photo(), sigma=10, checkpoint=t, ensemble=9), "ensemble"),
    (lambda t: api.denoise(_photo(), sigma=10, checkpoint=t, colour="red"), "no setting colour"),
    (lambda t: api.denoise(_photo(), sigma=10, checkpoint="no-such-model"), "no checkpoint named"),
])
def test_bad_values_raise_value_error(tiny, call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call(tiny)


def test_readme_example_runs():
    """The README's API example, as written there, runs (with the shipped photos-rgb)."""
    text = README.read_text()
    m = re.search(r"<!-- api-example -->\s*```python\n(.*?)```", text, re.S)
    assert m, "the README lost its API example"
    exec(compile(m.group(1), "README.md[api-example]", "exec"), {})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels", [None, 1, 3])
def test_nan_inside_the_hole_is_unknown_and_accepted(tiny, dtype, channels):
    """The hole's pixels are unknown by definition: NaN there was refused ('a float image must hold
    finite values'). It now runs, gives the same fill as any other value there, and NaN nowhere."""
    shape = (H, W) if channels is None else (H, W, channels)
    img = np.random.default_rng(0).random(shape).astype(dtype)
    hole = np.zeros((H, W), bool)
    hole[5:15, 6:20] = True
    with_nan = img.copy()
    with_nan[hole] = np.nan
    got = api.inpaint(with_nan, hole, checkpoint=tiny, steps=3, seed=1)
    assert got.dtype == dtype and got.shape == shape and np.isfinite(got).all()
    assert np.array_equal(got, api.inpaint(img, hole, checkpoint=tiny, steps=3, seed=1))
    assert np.array_equal(got[~hole], img[~hole])
    with_nan[hole] = np.inf  # any value there is unknown: infinity, out of range
    assert np.array_equal(got, api.inpaint(with_nan, hole, checkpoint=tiny, steps=3, seed=1))


def test_nan_among_the_known_pixels_is_still_refused(tiny):
    img = np.random.default_rng(0).random((H, W, 3)).astype(np.float32)
    hole = np.zeros((H, W), bool)
    hole[5:15, 6:20] = True
    img[hole] = np.nan
    img[2, 3, 1] = np.nan  # a known pixel
    with pytest.raises(ValueError, match=r"outside the hole: 1 known pixels are NaN, infinite or out of range "
                                         r"\(the first at row 2, column 3\)"):
        api.inpaint(img, hole, checkpoint=tiny, steps=3)
    img[2, 3, 1] = 0.5
    soft = hole.astype(np.float32)
    soft[5, 6:20] = 0.5  # partly known under a soft edge: its value is mixed in, so it must be finite
    with pytest.raises(ValueError, match="known or partly known"):
        api.inpaint(img, soft, soft_mask=True, checkpoint=tiny, steps=3)
    rgba = np.concatenate([np.nan_to_num(img), np.ones((H, W, 1), np.float32)], axis=2)
    rgba[hole, 3] = np.nan  # the alpha is carried through, never filled
    with pytest.raises(ValueError, match="alpha channel"):
        api.inpaint(rgba, hole, checkpoint=tiny, steps=3)
    with pytest.raises(ValueError, match="finite values in"):  # a denoise has no hole: NaN anywhere is refused
        api.denoise(img, 0.1, checkpoint=tiny)
