"""A demanding user's hostile inputs, round four: what rounds one to three (test_hostile_*.py,
faulty_files.py) left open. Every case: one clear line and a non-zero exit, or a right result;
never a traceback; the user's files unchanged."""

from __future__ import annotations

import numpy as np
from PIL import Image
from test_hostile_sweep import _error, _hashes  # noqa: F401

from dpm_studio import imageio
from dpm_studio.cli.main import main


def _rgba(h=20, w=30, seed=0) -> np.ndarray:
    a = np.random.default_rng(seed).integers(0, 256, (h, w, 4), dtype=np.uint8)
    a[:, :, 3] = np.linspace(0, 255, w).round().astype(np.uint8)[None, :]  # every row: clear to opaque
    return a


# -- 1. a 32-bit BMP keeps its alpha ------------------------------------------------------------------
def test_a_32_bit_bmp_keeps_its_alpha_through_a_run_and_save(tmp_path, tiny):
    """Pillow writes RGBA as a BI_RGB 32-bit BMP and reads it back as BGRX, dropping the alpha; the
    alpha must come through loading, a run and the saved BMP, as it does for PNG, TIFF and WebP."""
    want = _rgba()
    src = tmp_path / "layer.bmp"
    Image.fromarray(want, "RGBA").save(src)
    got = imageio.load_image(src)
    assert got.alpha is not None
    np.testing.assert_array_equal(np.round(got.alpha * 255), want[:, :, 3])
    np.testing.assert_array_equal(np.round(got.pixels * 255), want[:, :, :3])
    out = tmp_path / "out.bmp"
    assert main(["denoise", str(src), "-o", str(out), "--checkpoint", tiny, "--sigma", "20", "--ensemble", "1"]) == 0
    with Image.open(out) as im:  # written with an alpha mask, so any reader (Pillow, Qt, GIMP) sees it
        assert im.mode == "RGBA"
        np.testing.assert_array_equal(np.asarray(im)[:, :, 3], want[:, :, 3])
    np.testing.assert_array_equal(np.round(imageio.load_image(out).alpha * 255), want[:, :, 3])


def test_a_32_bit_bmp_whose_fourth_byte_is_unset_is_opaque_not_transparent(tmp_path):
    """Writers that leave the fourth byte 0 mean an opaque picture (the browsers' rule), not an invisible one."""
    want = _rgba()
    want[:, :, 3] = 0
    src = tmp_path / "unset.bmp"
    Image.fromarray(want, "RGBA").save(src)
    got = imageio.load_image(src)
    assert got.alpha is None
    np.testing.assert_array_equal(np.round(got.pixels * 255), want[:, :, :3])


def test_a_bottom_up_and_a_top_down_bmp_give_the_same_alpha(tmp_path):
    want = np.random.default_rng(3).integers(1, 256, (7, 5, 4), dtype=np.uint8)  # rows differ: a flip shows
    imageio.save_image(tmp_path / "down.bmp", want[:, :, :3] / 255.0, want[:, :, 3] / 255.0)  # V4, top-down
    Image.fromarray(want, "RGBA").save(tmp_path / "up.bmp")  # BI_RGB, bottom-up
    for name in ("down.bmp", "up.bmp"):
        np.testing.assert_array_equal(np.round(imageio.load_image(tmp_path / name).alpha * 255), want[:, :, 3])
