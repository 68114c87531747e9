"""Image, mask and trajectory files (Pillow only, no Qt)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from dpm_studio import imageio
from dpm_studio.imageio import ImageIOError


def rgb(h=12, w=17, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3)).astype(np.float32) / 255


@pytest.mark.parametrize("ext", [".png", ".tif", ".bmp", ".webp"])
def test_lossless_round_trip(tmp_path, ext):
    img = rgb()
    p = imageio.save_image(tmp_path / f"a{ext}", img, quality=100)
    back = imageio.load_image(p)
    np.testing.assert_array_equal(back.pixels, img)  # WebP at quality 100 is lossless
    assert back.pixels.dtype == np.float32 and back.pixels.shape == img.shape


def test_jpeg_quality_changes_size_and_is_close(tmp_path):
    yy, xx = np.mgrid[0:64, 0:64] / 64
    img = np.stack([xx, yy, (xx + yy) / 2], 2).astype(np.float32)
    small = imageio.save_image(tmp_path / "q10.jpg", img, quality=10)
    big = imageio.save_image(tmp_path / "q95.jpg", img, quality=95)
    assert small.stat().st_size < big.stat().st_size
    assert np.abs(imageio.load_image(big).pixels - img).mean() < 0.02


def test_rgba_alpha_is_kept_aside_and_restored(tmp_path):
    img = rgb()
    alpha = np.linspace(0, 1, img.shape[0] * img.shape[1]).reshape(img.shape[:2]).astype(np.float32)
    alpha = np.round(alpha * 255) / 255
    p = imageio.save_image(tmp_path / "a.png", img, alpha)
    back = imageio.load_image(p)
    assert back.channels == 3
    np.testing.assert_array_equal(back.alpha, alpha)
    np.testing.assert_array_equal(back.pixels, img)
    # JPEG has no alpha: dropped, colours kept
    j = imageio.save_image(tmp_path / "a.jpg", img, alpha)
    assert imageio.load_image(j).alpha is None


def test_grey_16bit_and_palette(tmp_path):
    a16 = (np.arange(200 * 3).reshape(20, 30) * 97 % 65536).astype(np.uint16)
    Image.fromarray(a16).save(tmp_path / "g16.png")
    d = imageio.load_image(tmp_path / "g16.png")
    assert d.channels == 1 and d.bit_depth == 16
    np.testing.assert_allclose(d.pixels[:, :, 0], a16 / 65535.0, atol=1e-6)
    out = imageio.save_image(tmp_path / "g16-out.png", d.pixels, bit_depth=16)
    np.testing.assert_array_equal(np.asarray(Image.open(out)), a16)

    pal = Image.fromarray((rgb() * 255).astype(np.uint8)).convert("P", palette=Image.ADAPTIVE, colors=8)
    pal.save(tmp_path / "pal.png")
    d = imageio.load_image(tmp_path / "pal.png")
    assert d.channels == 3
    np.testing.assert_array_equal(imageio.to_uint8(d.pixels), np.asarray(pal.convert("RGB")))

    grey = Image.fromarray((np.arange(64).reshape(8, 8) * 4).astype(np.uint8))
    grey.save(tmp_path / "g.bmp")
    assert imageio.load_image(tmp_path / "g.bmp").channels == 1


def test_exif_orientation_is_applied(tmp_path):
    a = np.zeros((10, 20, 3), np.uint8)
    a[:, :5] = 255  # a white band on the left of a landscape picture
    im = Image.fromarray(a)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    im.save(tmp_path / "rot.jpg", exif=exif.tobytes(), quality=95)
    d = imageio.load_image(tmp_path / "rot.jpg")
    assert d.pixels.shape[:2] == (20, 10)
    assert d.pixels[:4].mean() > 0.8 and d.pixels[-4:].mean() < 0.2  # the band is now on top


def test_metadata_round_trip(tmp_path):
    meta = {"runs": [{"task": "inpaint", "seed": 3}]}
    for ext in (".png", ".tif"):
        p = imageio.save_image(tmp_path / f"m{ext}", rgb(), metadata=meta)
        assert imageio.load_image(p).metadata == meta


def test_errors_are_one_line_messages(tmp_path):
    with pytest.raises(ImageIOError, match="no such file"):
        imageio.load_image(tmp_path / "missing.png")
    (tmp_path / "junk.png").write_bytes(b"not an image at all")
    with pytest.raises(ImageIOError, match="junk.png"):
        imageio.load_image(tmp_path / "junk.png")
    with pytest.raises(ImageIOError, match="folder"):
        imageio.load_image(tmp_path)
    with pytest.raises(ImageIOError, match="cannot save"):
        imageio.save_image(tmp_path / "x.xyz", rgb())
    with pytest.raises(ImageIOError, match="does not exist"):
        imageio.save_image(tmp_path / "no" / "dir.png", rgb())


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path, monkeypatch):
    p = imageio.save_image(tmp_path / "keep.png", rgb(seed=1))
    before = p.read_bytes()

    def boom(self, fp, *a, **k):
        with open(fp, "wb") as f:
            f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", boom)
    with pytest.raises(ImageIOError, match="disk full"):
        imageio.save_image(p, rgb(seed=2))
    assert p.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir() if f.is_file()] == ["keep.png"], "no temporary file left behind"


def test_mask_round_trip_keeps_soft_values(tmp_path):
    m = np.linspace(0, 1, 12 * 9, dtype=np.float32).reshape(12, 9)
    imageio.save_mask(tmp_path / "m.png", m)
    back = imageio.load_mask(tmp_path / "m.png", (12, 9))
    np.testing.assert_allclose(back, m, atol=1 / 65535)
    with pytest.raises(ImageIOError, match="size"):
        imageio.load_mask(tmp_path / "m.png", (10, 10))


def test_gif_and_frames(tmp_path):
    frames = [np.full((8, 10, 3), v, np.float32) for v in (0.0, 0.5, 1.0)]
    imageio.save_gif(tmp_path / "t.gif", frames)
    with Image.open(tmp_path / "t.gif") as g:
        assert g.n_frames == 3
    paths = imageio.save_frames(tmp_path / "fr", frames + [np.zeros((8, 10, 1), np.uint8)])
    assert [p.name for p in paths] == ["frame_0000.png", "frame_0001.png", "frame_0002.png", "frame_0003.png"]


def test_qt_free_modules_import_no_qt():
    code = ("import sys; import dpm_studio.imageio, dpm_studio.gui.model.maskops, dpm_studio.gui.model.analysis;"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')];"
            "print(bad); sys.exit(1 if bad else 0)")
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    assert r.returncode == 0, r.stdout + r.stderr
