"""One job, one way (issue 23): the app and the command line make the same file from the same
input and settings.

The app is driven as a user drives it (open, paint or load a mask, choose the task, Run,
Accept, Save, headless); the command line through ``main``. The two files must hold the
same samples bit for bit, the same bit depth and value range, the source's ICC profile and
EXIF, and the same run record (but its clock time and the app's measured seconds).
"""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms

from dpm_studio import imageio
from dpm_studio.cli.main import main

RUN_MS = 120_000
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "TestMaker"
    exif[0x0110] = "Model 9"
    return exif.tobytes()


def _noisy(h, w, c=3, sigma=12.0, seed=0) -> np.ndarray:
    """A smooth picture with Gaussian noise, in [0, 1] (clipped at both ends, as files are)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    base = np.stack([xx, yy, 0.5 + 0.3 * np.sin(9 * xx + 4 * yy)], axis=2)[:, :, :c]
    return np.clip(base + sigma / 255 * rng.standard_normal(base.shape), 0, 1)


def _record(data) -> list:
    return [{k: v for k, v in run.items() if k not in ("time", "seconds")} for run in data.metadata["runs"]]


def _same_file(app_out, cli_out):
    a, b = imageio.load_image(app_out), imageio.load_image(cli_out)
    assert a.pixels.dtype == b.pixels.dtype and np.array_equal(a.pixels, b.pixels), \
        f"the app's result differs from the command line's (max {np.abs(a.pixels - b.pixels).max():.3g})"
    assert (a.bit_depth, a.value_scale, a.value_offset) == (b.bit_depth, b.value_scale, b.value_offset)
    assert a.icc_profile == b.icc_profile and a.exif == b.exif
    assert _record(a) == _record(b)
    return a


def _app(win, qtbot, out, task, src=None, setup=None):
    if src is not None:
        assert win.files.open_image(src)
    win.task_panel.set_task(task)
    if setup is not None:
        setup(win)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run(), win.task_panel.hint.text()
    assert win.runs.accept_result()
    assert win.files.save_image(out)
    return out


def test_denoise_with_the_estimated_noise_of_a_wide_8bit_photo(qtbot, win, tmp_path):
    """Wider than 2048 px: the app once measured only the central 2048 columns (and ran with
    the estimate rounded to 0.1); ICC and EXIF were dropped by its Save."""
    src = tmp_path / "wide.png"
    noisy = _noisy(40, 2100, sigma=6)
    noisy[:, :26] = _noisy(40, 26, sigma=60, seed=3)  # a noisier strip outside the central 2048 columns
    px = (noisy * 255 + 0.5).astype(np.uint8)
    Image.fromarray(px).save(src, icc_profile=SRGB, exif=_exif())
    cli = tmp_path / "cli.png"
    assert main(["denoise", str(src), "-o", str(cli), "--checkpoint", "tiny-rgb"]) == 0
    app = _app(win, qtbot, tmp_path / "app.png", "denoise", src)
    data = _same_file(app, cli)
    assert data.icc_profile == SRGB and data.exif is not None and b"TestMaker" in data.exif
    assert data.metadata["runs"][-1]["sigma_255"] > 0 and data.metadata["source"] == "wide.png"


def test_denoise_a_16bit_png(qtbot, win, tmp_path):
    """The app never set the quantisation levels: a 16-bit file got 8-bit clipping thresholds."""
    src = tmp_path / "deep.png"
    u16 = (_noisy(48, 40, sigma=20, seed=1) * 65535 + 0.5).astype(np.uint16)
    imageio.save_image(src, u16.astype(np.float32) / 65535, bit_depth=16, icc_profile=SRGB, exif=_exif())
    cli = tmp_path / "cli.png"
    assert main(["denoise", str(src), "-o", str(cli), "--checkpoint", "tiny-rgb"]) == 0
    data = _same_file(_app(win, qtbot, tmp_path / "app.png", "denoise", src), cli)
    assert data.bit_depth == 16 and data.metadata["runs"][-1]["levels"] == 65535
    assert data.icc_profile == SRGB and b"TestMaker" in data.exif


def test_denoise_a_float_tiff_with_values_above_1(qtbot, win, tmp_path):
    """A float TIFF of values 0-3.9 came back from the app's Save as 0-1, without its ICC profile."""
    src = tmp_path / "hdr.tif"
    f = (_noisy(32, 40, sigma=15, seed=2) * 3.9).astype(np.float32)
    tifffile.imwrite(src, f, photometric="rgb", iccprofile=SRGB)
    cli = tmp_path / "cli.tif"
    assert main(["denoise", str(src), "-o", str(cli), "--checkpoint", "tiny-rgb"]) == 0
    app = _app(win, qtbot, tmp_path / "app.tif", "denoise", src)
    data = _same_file(app, cli)
    a, b = tifffile.imread(app), tifffile.imread(cli)
    assert a.dtype == np.float32 and np.array_equal(a, b) and a.max() > 1.5, "the value range is kept"
    assert data.bit_depth == 32 and data.icc_profile == SRGB


def test_inpaint_with_a_feathered_mask(qtbot, win, tmp_path):
    """Feather was the app's alone; the command line has --feather now, and both feather in the core."""
    src, mask = tmp_path / "photo.png", tmp_path / "mask.png"
    Image.fromarray((_noisy(40, 48, sigma=3, seed=4) * 255 + 0.5).astype(np.uint8)).save(src)
    m = np.zeros((40, 48), np.uint8)
    m[12:26, 15:30] = 255
    Image.fromarray(m).save(mask)
    cli = tmp_path / "cli.png"
    assert main(["inpaint", str(src), "--mask", str(mask), "-o", str(cli), "--checkpoint", "tiny-rgb",
                 "--feather", "3"]) == 0

    def feathered(win):
        assert win.files.load_mask(mask)
        win.mask_panel.feather.setValue(3.0)

    data = _same_file(_app(win, qtbot, tmp_path / "app.png", "inpaint", src, feathered), cli)
    assert data.metadata["runs"][-1]["feather"] == 3.0
    orig = imageio.load_image(src).pixels
    soft = (data.pixels != orig).any(2) & (m == 0)
    assert soft.any(), "the feathered band outside the painted mask is blended"


def test_sample_with_the_default_steps(qtbot, win, tmp_path):
    """A sample ran 20 steps in the app and all T on the command line."""
    cli = tmp_path / "cli.png"
    assert main(["sample", "--size", "24x16", "-o", str(cli), "--checkpoint", "tiny-rgb"]) == 0

    def size(win):
        win.task_panel.width_spin.setValue(24)
        win.task_panel.height_spin.setValue(16)

    data = _same_file(_app(win, qtbot, tmp_path / "app.png", "sample", setup=size), cli)
    assert data.metadata["runs"][-1]["steps"] == 50  # the tiny model's T


@pytest.mark.parametrize("task", ["inpaint", "denoise", "sample"])
def test_each_task_starts_at_its_requests_steps(win, task):
    from dpm_studio.core.run.requests import REQUESTS

    win.task_panel.set_task(task)
    assert win.task_panel.settings().steps == REQUESTS[task]().steps


def test_each_setting_has_one_range_in_the_app_the_command_line_and_the_api(win):
    """Issue 23, item 2: samples were 1-256 on the command line and 1-64 in the app; seed, size and
    the jumps likewise. Now the app's widgets, the command line's options and the requests' checks
    (the API's) all read the one declaration."""
    import argparse

    from dpm_studio.cli.main import build_parser
    from dpm_studio.core.run.requests import DenoiseRequest, InpaintRequest, SampleRequest
    from dpm_studio.core.run.settings import spec_of

    tp = win.task_panel
    widgets = [(tp.samples, InpaintRequest, "samples", "inpaint", "--samples"),
               (tp.jump_length, InpaintRequest, "jump_length", "inpaint", "--jump-length"),
               (tp.jump_n, InpaintRequest, "jump_n_sample", "inpaint", "--jump-n"),
               (tp.seed, InpaintRequest, "seed", "inpaint", "--seed"),
               (win.mask_panel.feather.spin, InpaintRequest, "feather", "inpaint", "--feather"),
               (tp.width_spin, SampleRequest, "size", None, None),
               (tp.sigma, DenoiseRequest, "sigma", "denoise", "--sigma"),
               # the strength: 0.25-4 was written in the app and in the noise law, and the CLI had no option
               (tp.noise_controls.strength, DenoiseRequest, "noise_scale", "denoise", "--noise-scale")]
    parser = build_parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    for widget, cls, name, command, flag in widgets:
        s = spec_of(cls, name)
        lo = s.lo + (0.1 if s.open_lo else 0)
        assert (widget.minimum(), widget.maximum()) == pytest.approx((lo, s.hi)), name   # the seed too: 2^63 - 1
        if command is None:
            continue
        option = next(a for a in subs[command]._actions if flag in a.option_strings)
        assert option.type(str(s.hi)) == s.hi, name
        with pytest.raises(argparse.ArgumentTypeError):
            option.type(str(s.hi + 1))
        with pytest.raises(ValueError, match=s.what):  # the API: the request's own check
            cls(**{name: (s.hi + 1) / s.scale if s.scale != 1 else s.hi + 1}).validate()
