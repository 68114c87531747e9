"""The app against issue 27's round-two cases: a NaN result is an error, never a shown or saved
image (item 6); Save keeps the source's float value range, ICC profile and EXIF as the command
line does (item 7). Files are hashed before and after."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image, ImageCms

from dpm_studio import imageio

from gui_helpers import image_with_mask

RUN_MS = 60_000
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_a_nan_result_is_an_error_dialog_not_a_result(qtbot, win, msgbox, monkeypatch, tmp_path):
    import torch

    from dpm_studio.core.math.nets_image import UNet

    real = UNet.forward
    monkeypatch.setattr(UNet, "forward", lambda self, x, t, *a, **k: real(self, x, t, *a, **k) * float("nan"))
    img, _ = image_with_mask(win)
    win.task_panel.steps.setValue(3)
    with qtbot.waitSignal(win.runner.errored, timeout=RUN_MS):  # it showed and saved a black image as success
        assert win.runs.run()
    crit = [c for c in msgbox if c[0] == "critical"]
    assert len(crit) == 1 and "NaN or infinite" in crit[0][2]
    assert win.state() == "edit" and win.session.review is None
    np.testing.assert_array_equal(win.canvas.image(), img)
    assert torch.isfinite(torch.as_tensor(win.canvas.image())).all()


def test_save_keeps_the_float_range_icc_and_exif(win, tmp_path):
    rng = np.random.default_rng(0)
    f = (rng.random((16, 20, 3)) * 1000).astype(np.float32)  # values 0-1000 were saved as 0.001-0.97
    src = tmp_path / "range.tif"
    tifffile.imwrite(src, f, photometric="rgb", iccprofile=SRGB)
    before = sha(src)
    assert win.files.open_image(src)
    out = tmp_path / "saved.tif"
    assert win.files.save_image(out)
    back = tifffile.imread(out)
    assert back.dtype == np.float32 and np.allclose(back, f, rtol=1e-6, atol=1e-3), (back.min(), back.max())
    assert imageio.load_image(out).icc_profile == SRGB and sha(src) == before

    exif = Image.Exif()
    exif[0x010F] = "TestMaker"
    jpg = tmp_path / "photo.jpg"
    Image.fromarray(rng.integers(0, 256, (16, 20, 3), dtype=np.uint8)).save(jpg, icc_profile=SRGB, exif=exif.tobytes())
    before = sha(jpg)
    assert win.files.open_image(jpg)
    assert win.files.save_image(tmp_path / "saved.jpg")
    data = imageio.load_image(tmp_path / "saved.jpg")
    assert data.icc_profile == SRGB and data.exif is not None and b"TestMaker" in data.exif
    assert sha(jpg) == before
