"""Export Mask then Load Mask gives the same mask (and the same feather): the exported feathered
edge loaded back as painted, so each round trip grew the mask by the feather's reach."""

from __future__ import annotations

import numpy as np
import pytest

from dpm_studio import imageio


def _painted():
    """Two strokes with a one-pixel gap and a concave corner: there the feathered edge reaches 1."""
    m = np.zeros((32, 32), np.float32)
    m[8:20, 6:14] = 1
    m[8:20, 15:22] = 1   # column 14 is the gap
    m[16:26, 6:10] = 1   # an L: a concave corner
    return m


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_export_then_load_gives_the_same_mask_and_feather(win, image_file, tmp_path, suffix):
    path, _ = image_file
    assert win.files.open_image(path)
    painted = _painted()
    assert win.session.set_mask(painted, "paint")
    win.mask_panel.feather.setValue(3.0)
    before = win.session.effective_mask()
    assert before[10:18, 14].min() == 1.0, "the gap is filled whole by the feather: the case that grew"
    first = tmp_path / f"m1{suffix}"
    assert win.files.export_mask(first)

    win.session.clear_mask()
    win.mask_panel.feather.setValue(0.0)
    assert win.files.load_mask(first)
    np.testing.assert_array_equal(win.session.mask, painted)
    assert win.session.feather == 3.0 and win.mask_panel.feather.value() == 3.0
    np.testing.assert_array_equal(win.session.effective_mask(), before)
    assert "with its feather, 3 px" in win.statusBar().currentMessage()

    second = tmp_path / f"m2{suffix}"  # and again: the round trip is a fixed point, byte for byte
    assert win.files.export_mask(second)
    assert second.read_bytes() == first.read_bytes()
    # the file is the mask the run gets, within the 16-bit steps (the gap's 1 is one step below)
    assert np.abs(imageio.load_mask(first) - before).max() <= 1.5 / 65535


def test_a_mask_from_elsewhere_keeps_the_nonzero_rule_and_the_feather(win, image_file, tmp_path):
    """A soft mask without the app's record (an editor's) is hard as before: every nonzero pixel."""
    from dpm_studio.core.run.masks import feather

    path, _ = image_file
    assert win.files.open_image(path)
    win.mask_panel.feather.setValue(2.0)
    other = imageio.save_mask(tmp_path / "gimp.png", feather(_painted(), 3))
    assert win.files.load_mask(other)
    np.testing.assert_array_equal(win.session.mask, (feather(_painted(), 3) > 0).astype(np.float32))
    assert win.session.feather == 2.0
