"""Strange and broken image and mask files: the loader gives the right pixels or one clear
message, and the app shows a dialog (through the Dialogs seam) and keeps running."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from dpm_studio import imageio
from dpm_studio.imageio import ImageIOError

import faulty_files
from faulty_files import CASES, ERROR_CASES, OK_CASES, H, W


# -- the loader ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ERROR_CASES)
def test_bad_files_raise_one_clear_line(tmp_path, case):
    path = faulty_files.make(case, tmp_path)
    with pytest.raises(ImageIOError) as info:
        imageio.load_image(path)
    msg = str(info.value)
    assert re.search(CASES[case][1][1], msg), msg
    assert "\n" not in msg and "Traceback" not in msg


@pytest.mark.parametrize("case", OK_CASES)
def test_awkward_files_load_correctly(tmp_path, case):
    path = faulty_files.make(case, tmp_path)
    d = imageio.load_image(path)
    _, shape, extra = CASES[case][1]
    assert d.pixels.shape == shape and d.pixels.dtype == np.float32
    assert 0.0 <= d.pixels.min() and d.pixels.max() <= 1.0
    if "alpha" in extra:
        assert (d.alpha is not None) == extra["alpha"]
    if "note" in extra:
        assert any(re.search(extra["note"], n) for n in d.notes), d.notes
    else:
        assert d.notes == []


def test_bomb_message_names_size_and_limit(tmp_path):
    msg = str(pytest.raises(ImageIOError, imageio.load_image, faulty_files.make("bomb", tmp_path)).value)
    assert f"{imageio.pixel_limit():,}" in msg and "decompression bomb" in msg


def test_sixteen_bit_grey_keeps_its_precision(tmp_path):
    a16 = np.arange(H * W, dtype=np.uint16).reshape(H, W) * 97
    d = imageio.load_image(faulty_files.make("i16", tmp_path))
    assert d.bit_depth == 16
    np.testing.assert_allclose(d.pixels[:, :, 0], a16 / 65535.0, rtol=0, atol=1e-7)
    assert len(np.unique(d.pixels)) == len(np.unique(a16)), "no two 16-bit levels collapse"


def test_cmyk_becomes_rgb_like_pillow_converts_it(tmp_path):
    d = imageio.load_image(faulty_files.make("cmyk-tiff", tmp_path))
    with Image.open(tmp_path / "cmyk.tif") as im:
        ref = np.asarray(im.convert("RGB"))
    np.testing.assert_array_equal(imageio.to_uint8(d.pixels), ref)


def test_palette_transparency_becomes_alpha(tmp_path):
    d = imageio.load_image(faulty_files.make("palette-transparent", tmp_path))
    with Image.open(tmp_path / "palette.png") as im:
        index = np.asarray(im)
    np.testing.assert_array_equal(d.alpha == 0, index == 0)


def test_animation_gives_its_first_frame(tmp_path):
    d = imageio.load_image(faulty_files.make("animated-gif", tmp_path))
    assert np.all(imageio.to_uint8(d.pixels) == 10)


def test_la_keeps_grey_and_alpha(tmp_path):
    d = imageio.load_image(faulty_files.make("la", tmp_path))
    a = faulty_files.rgb_u8()
    np.testing.assert_array_equal(imageio.to_uint8(d.pixels[:, :, 0]), a[:, :, 0])
    np.testing.assert_array_equal(imageio.to_uint8(d.alpha), a[:, :, 1])


# -- the app ----------------------------------------------------------------------------------------------------
def _critical(msgbox):
    return [c for c in msgbox if c[0] == "critical"]


@pytest.mark.parametrize("case", ERROR_CASES)
def test_app_shows_one_error_and_keeps_running(win, msgbox, tmp_path, image_file, case):
    path = faulty_files.make(case, tmp_path)
    good, img = image_file
    assert win.files.open_image(good)
    assert not win.files.open_image(path)
    crit = _critical(msgbox)
    assert len(crit) == 1 and crit[0][1] == "Cannot open image"
    assert re.search(CASES[case][1][1], crit[0][2]) and "\n" not in crit[0][2]
    np.testing.assert_array_equal(win.canvas.image(), img)  # the open image is untouched
    assert win.files.open_image(faulty_files.make("one-pixel", tmp_path))  # and the app still opens files


@pytest.mark.parametrize("case", OK_CASES)
def test_app_opens_awkward_files(win, msgbox, tmp_path, case):
    path = faulty_files.make(case, tmp_path)
    assert win.files.open_image(path)
    assert win.canvas.image_shape() == CASES[case][1][1][:2]
    assert not _critical(msgbox)
    note = CASES[case][1][2].get("note")
    if note:
        assert re.search(note, win.statusBar().currentMessage())


# -- masks --------------------------------------------------------------------------------------------------
def _save(folder, name, array, mode=None):
    p = folder / name
    Image.fromarray(array, mode).save(p)
    return p


def _region():
    r = np.zeros((H, W), bool)
    r[5:10, 5:15] = True
    return r


@pytest.mark.parametrize("kind", ["L", "RGB-blue-only", "RGBA-alpha", "RGBA-colour-on-clear-white", "LA-alpha",
                                  "I16-value-1", "1-bit", "P"])
def test_mask_modes_follow_one_rule(tmp_path, kind):
    """Any mode: a pixel is filled where any channel is nonzero (grey: value, colour: luminance),
    and a transparent pixel is never filled."""
    r = _region()
    if kind == "L":
        a = np.where(r, 255, 0).astype(np.uint8)
        p = _save(tmp_path, "m.png", a)
    elif kind == "RGB-blue-only":
        a = np.zeros((H, W, 3), np.uint8)
        a[r, 2] = 255
        p = _save(tmp_path, "m.png", a)
    elif kind == "RGBA-alpha":  # a flat colour: the alpha alone decides
        a = np.zeros((H, W, 4), np.uint8)
        a[r, 3] = 255
        p = _save(tmp_path, "m.png", a)
    elif kind == "RGBA-colour-on-clear-white":  # red strokes on a transparent white layer
        a = np.full((H, W, 4), 255, np.uint8)
        a[:, :, 3] = 0
        a[r] = (255, 0, 0, 255)
        p = _save(tmp_path, "m.png", a)
    elif kind == "LA-alpha":
        a = np.zeros((H, W, 2), np.uint8)
        a[:, :, 0] = 255
        a[r, 1] = 255
        p = _save(tmp_path, "m.png", a, "LA")
    elif kind == "I16-value-1":
        a = np.zeros((H, W), np.uint16)
        a[r] = 1
        p = _save(tmp_path, "m.png", a)
    elif kind == "1-bit":
        p = tmp_path / "m.png"
        Image.fromarray(np.where(r, 255, 0).astype(np.uint8)).convert("1").save(p)
    else:
        p = tmp_path / "m.png"
        Image.fromarray(np.where(r, 255, 0).astype(np.uint8)).convert("P").save(p)
    m = imageio.load_mask(p, (H, W))
    assert m.shape == (H, W) and m.dtype == np.float32 and 0 <= m.min() and m.max() <= 1
    np.testing.assert_array_equal(m > 0, r)


def test_mask_of_the_wrong_size_is_refused_in_the_app(win, msgbox, tmp_path, image_file):
    path, _ = image_file
    assert win.files.open_image(path)
    p = _save(tmp_path, "small.png", np.full((5, 7), 255, np.uint8))
    assert not win.files.load_mask(p)
    crit = _critical(msgbox)
    assert crit and "7\u00d75 but the image is 32\u00d732" in crit[-1][2]
    assert win.canvas.mask().sum() == 0


def test_empty_mask_says_there_is_nothing_to_do(win, msgbox, tmp_path, image_file):
    path, _ = image_file
    assert win.files.open_image(path)
    assert win.files.load_mask(_save(tmp_path, "empty.png", np.zeros((32, 32), np.uint8)))
    assert "empty" in win.statusBar().currentMessage()
    assert not win.runs.run()
    assert "Paint over the region" in win.task_panel.hint.text() and not win.runner.is_running()
    assert not _critical(msgbox)


def test_full_mask_inpaints_as_sampling_with_a_note(qtbot, win, msgbox, tmp_path, image_file):
    path, img = image_file
    assert win.files.open_image(path)
    assert win.files.load_mask(_save(tmp_path, "full.png", np.full((32, 32), 255, np.uint8)))
    win.task_panel.steps.setValue(4)
    with qtbot.waitSignal(win.runner.finished, timeout=30_000) as b:
        with qtbot.waitSignal(win.runner.stage, timeout=30_000, check_params_cb=lambda s: s.job is not None):
            assert win.runs.run()   # the job is resolved in the run's thread: its notes come from there
        assert "unconditional sampling" in win.statusBar().currentMessage()
    res = b.args[0].image
    assert res.shape == img.shape and 0 <= res.min() and res.max() <= 1
    assert not _critical(msgbox)


def test_a_photograph_picked_as_the_mask_is_refused_saying_what_it_would_mark(win, msgbox, tmp_path, image_file):
    from skimage import data

    path, _ = image_file
    assert win.files.open_image(path)
    photo = _save(tmp_path, "holiday.png", np.ascontiguousarray(data.camera()[100:132, 200:232]))
    assert not win.files.load_mask(photo)
    crit = _critical(msgbox)
    assert crit and crit[-1][1] == "Cannot load mask"
    assert "holiday.png: the mask looks like a photograph" in crit[-1][2] and "would mark 100.0%" in crit[-1][2]
    assert win.canvas.mask().sum() == 0  # the mask is unchanged
    from dpm_studio.core.run.masks import feather

    soft = np.zeros((32, 32), np.float32)
    soft[10:20, 8:24] = 1
    assert win.files.load_mask(imageio.save_mask(tmp_path / "soft.png", feather(soft, 3)))  # a soft edge loads
    assert win.canvas.mask().max() == 1 and len(_critical(msgbox)) == 1


def test_a_file_that_does_not_open_still_sets_the_folder_of_the_next_open(win, msgbox, tmp_path):
    """Opening a 0-byte PNG from a folder, then Ctrl+O again, started back in the home folder (seen on
    an X server): the user had to find the folder again to pick the next file."""
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "empty.png").write_bytes(b"")
    assert not win.files.open_image(folder / "empty.png")
    assert "empty.png is an empty file (0 bytes), not an image" in _critical(msgbox)[-1][2]
    assert win.files.last_folder() == str(folder)
    asked = []
    win.dialogs.open_image = lambda start: asked.append(start) or None
    win.files.open_dialog()
    assert asked == [str(folder)]
