"""A demanding user's hostile inputs, round four: what rounds one to three (test_hostile_*.py,
faulty_files.py) left open. Every case: one clear line and a non-zero exit, or a right result;
never a traceback; the user's files unchanged."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
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


# -- 2. a photograph given as the mask -----------------------------------------------------------------
def _photo(h=64, w=64) -> np.ndarray:
    """A real photograph's grey levels (scikit-image's camera, a test image), cut to h x w."""
    from skimage import data

    return np.ascontiguousarray(data.camera()[100:100 + h, 200:200 + w])


def _feathered(h=64, w=64, amount=6.0) -> np.ndarray:
    from dpm_studio.core.run.masks import feather

    m = np.zeros((h, w), np.float32)
    m[24:40, 20:44] = 1
    return feather(m, amount)


def test_a_photograph_given_as_the_mask_is_refused_saying_what_it_would_mark(tmp_path, tiny, capsys, img):
    src, _ = img
    photo = tmp_path / "holiday.jpg"
    Image.fromarray(_photo(32, 32)).save(photo, quality=95)
    before = _hashes(tmp_path)
    assert main(["inpaint", str(src), "--mask", str(photo), "-o", str(tmp_path / "out.png"), "--checkpoint",
                 tiny]) == 2
    err = _error(capsys)
    assert "--mask holiday.jpg: the mask looks like a photograph" in err and "--soft-mask" in err
    assert "it would mark 100.0% of the image to be filled" in err
    assert _hashes(tmp_path) == before  # nothing written


def test_a_photograph_as_a_soft_mask_runs_with_a_note_saying_what_it_replaces(tmp_path, tiny, capsys, img):
    src, _ = img
    photo = tmp_path / "holiday.png"
    Image.fromarray(_photo(32, 32)).save(photo)
    assert main(["inpaint", str(src), "--mask", str(photo), "-o", str(tmp_path / "out.png"), "--checkpoint", tiny,
                 "--soft-mask", "--steps", "1", "--jump-length", "0"]) == 0
    err = capsys.readouterr().err
    assert "note: the mask looks like a photograph" in err and "of the image on average" in err


@pytest.mark.parametrize("kind", ["feathered-16-bit", "feathered-8-bit", "jpeg-compressed", "vignette-soft"])
def test_real_masks_are_not_taken_for_photographs(tmp_path, tiny, capsys, kind):
    """Black and white, soft edges (the app's Export Mask writes them at 16 bits), a JPEG's ringing,
    and a soft vignette, mid-grey over most of the image (a photograph's histogram), all run."""
    src = tmp_path / "in.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(src)
    extra = ["--soft-mask"] if kind != "jpeg-compressed" else []
    if kind == "feathered-16-bit":
        mask = imageio.save_mask(tmp_path / "m.png", _feathered())
    elif kind == "feathered-8-bit":
        mask = imageio.save_mask(tmp_path / "m.bmp", _feathered())
    elif kind == "jpeg-compressed":
        mask = tmp_path / "m.jpg"
        Image.fromarray(np.round(_feathered(amount=0) * 255).astype(np.uint8)).save(mask, quality=40)
    else:
        yy, xx = np.mgrid[0:64, 0:64]
        mask = imageio.save_mask(tmp_path / "m.png", np.clip(1 - np.hypot(yy - 32, xx - 32) / 40, 0, 1))  # a vignette
        from dpm_studio.core.run.masks import photo_like
        assert photo_like(imageio.load_mask(mask)) is not None  # a photograph's histogram, asked for as soft
    assert main(["inpaint", str(src), "--mask", str(mask), "-o", str(tmp_path / "out.png"), "--checkpoint", tiny,
                 "--steps", "1", "--jump-length", "0", *extra]) == 0, capsys.readouterr().err
    assert (tmp_path / "out.png").exists()


@pytest.mark.parametrize("scale", ["uint8", "unit-float", "255-float"])
def test_the_api_refuses_a_photographs_array_as_the_mask(tiny, scale):
    from dpm_studio import api

    photo = _photo()
    mask = {"uint8": photo, "unit-float": photo / 255.0, "255-float": photo.astype(np.float64)}[scale]
    image = np.random.default_rng(0).random((64, 64, 3))
    with pytest.raises(ValueError, match=r"looks like a photograph.*would mark 100\.0% .*soft_mask=True"):
        api.inpaint(image, mask, checkpoint=tiny, steps=1, jump_length=0)
    out = api.inpaint(image, _feathered(), soft_mask=True, checkpoint=tiny, steps=1, jump_length=0)
    assert out.shape == image.shape
    if scale == "255-float":   # session 19: a soft mask's floats are [0, 1] (it ran clipped to 1, while the note
        with pytest.raises(ValueError, match=r"a soft mask of floats must hold values in \[0, 1\]"):  # said /255)
            api.inpaint(image, mask, soft_mask=True, checkpoint=tiny, steps=1, jump_length=0)
        return
    with pytest.warns(UserWarning, match=r"the mask looks like a photograph .* replaces \d+% of the image"):
        api.inpaint(image, mask, soft_mask=True, checkpoint=tiny, steps=1, jump_length=0)  # asked for: a warning


# -- 4. the sweep: what it found ---------------------------------------------------------------------
def test_nan_and_infinite_samples_in_a_float_tiff_are_said_not_silently_black(tmp_path, tiny, capsys):
    """A float TIFF's NaN or inf (no-data markers in scientific images) were read as black without a
    word; one of nothing but NaN ran as a black picture."""
    import tifffile

    a = np.random.default_rng(0).random((20, 30)).astype(np.float32)
    a[5:8, 5:8], a[0, 0] = np.nan, np.inf
    tifffile.imwrite(tmp_path / "nodata.tif", a)
    assert main(["denoise", str(tmp_path / "nodata.tif"), "-o", str(tmp_path / "o.tif"), "--checkpoint", tiny,
                 "--sigma", "20", "--ensemble", "1"]) == 0
    assert "note: nodata.tif: 10 of its samples are NaN or infinite" in capsys.readouterr().err
    tifffile.imwrite(tmp_path / "empty.tif", np.full((20, 30), np.nan, np.float32))
    before = _hashes(tmp_path)
    assert main(["denoise", str(tmp_path / "empty.tif"), "-o", str(tmp_path / "o2.tif"), "--checkpoint", tiny,
                 "--sigma", "20"]) == 2
    assert "empty.tif: it holds no finite values: all 600 of its samples are NaN or infinite" in _error(capsys)
    assert _hashes(tmp_path) == before


def test_a_folder_batch_says_what_it_leaves_out(tmp_path, tiny, capsys, img):
    """Subfolders are not entered: that was silent, so a subfolder of 500 scans came out as a clean
    'all written'. (A file not named as an image, notes.txt, is named in the summary: test_batch.py.)"""
    src, _ = img
    folder = tmp_path / "scans"
    (folder / "2019").mkdir(parents=True)
    Image.open(src).save(folder / "a.png")
    Image.open(src).save(folder / "2019" / "b.png")
    (folder / "notes.txt").write_text("which scans are done")
    assert main(["denoise", str(folder), "-o", str(tmp_path / "out"), "--checkpoint", tiny, "--sigma", "20",
                 "--ensemble", "1"]) == 0
    err = capsys.readouterr().err
    assert f"note: {folder}: left out 1 subfolder (2019): folders are not entered; name them too to run them" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png"]
    (folder / "a.png").unlink()
    assert main(["denoise", str(folder), "-o", str(tmp_path / "out2"), "--checkpoint", tiny, "--sigma", "20"]) == 2
    assert "its subfolders are not entered: name them to run them" in _error(capsys)


def test_a_checkpoint_name_with_a_dot_is_its_own_checkpoint_not_a_replacement(tmp_path, tiny, make_tiny):
    """paths_for used with_suffix: saving 'tiny-rgb.v2' wrote tiny-rgb.json/.safetensors over the
    checkpoint 'tiny-rgb' (train --overwrite -o tiny-rgb.v2 replaced it), and 'tiny-rgb.v2.json' loaded
    the other one."""
    folder = tmp_path / "ckpt"
    before = _hashes(folder)
    make_tiny(folder, "tiny-rgb.v2", 1)  # a grey one, so which was loaded shows
    assert {k: v for k, v in _hashes(folder).items() if k in before} == before  # tiny-rgb untouched
    assert {"tiny-rgb.v2.json", "tiny-rgb.v2.safetensors"} <= set(_hashes(folder))
    from dpm_studio.core.files import checkpoint

    for given in ("tiny-rgb.v2", str(folder / "tiny-rgb.v2.json"), str(folder / "tiny-rgb.v2")):
        loaded = checkpoint.load(checkpoint.resolve(given))
        assert loaded.card["name"] == "tiny-rgb.v2" and loaded.channels == 1


@pytest.mark.parametrize("given", ["folder", "photo"])
def test_a_folder_or_a_photo_given_as_the_checkpoint_is_named_as_such(tmp_path, tiny, capsys, img, given):
    """--checkpoint ~/models (a folder) said 'no checkpoint card at ~/models.json'."""
    src, _ = img
    ck = {"folder": tmp_path / "ckpt", "photo": src}[given]
    assert main(["denoise", str(src), "-o", str(tmp_path / "o.png"), "--checkpoint", str(ck), "--sigma", "20"]) == 2
    what = "a folder" if given == "folder" else "a .png file"
    assert f"{ck} is {what}, not a checkpoint: give a checkpoint's name, or its card" in _error(capsys)


def test_a_mask_drawn_on_the_unturned_photo_says_so(tmp_path, tiny, capsys):
    """A photo turned upright by its EXIF orientation, and a mask drawn where a viewer ignored it: the
    sizes are swapped, and the message said only that they differ."""
    a = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(a).save(tmp_path / "photo.jpg", exif=exif.tobytes(), quality=95)  # shown 20 wide, 30 high
    m = np.zeros((20, 30), np.uint8)
    m[5:10, 5:10] = 255
    Image.fromarray(m).save(tmp_path / "mask.png")  # drawn on the stored, unturned 30 x 20 picture
    assert main(["inpaint", str(tmp_path / "photo.jpg"), "--mask", str(tmp_path / "mask.png"), "-o",
                 str(tmp_path / "o.png"), "--checkpoint", tiny]) == 2
    err = _error(capsys)
    assert "mask.png is 30\u00d720 but the image is 20\u00d730" in err and "EXIF orientation" in err


CMYK_ICC = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")  # Debian's ghostscript ships it


@pytest.mark.skipif(not CMYK_ICC.is_file(), reason="no CMYK ICC profile on this machine")
def test_a_cmyk_jpeg_with_its_profile_gives_rgb_with_an_rgb_profile(tmp_path, tiny, capsys):
    """A print shop's CMYK JPEG: its CMYK profile went into the RGB result, which colour-managed viewers
    cannot use (or misread), and the colours came from Pillow's formula, not from the profile."""
    from PIL import ImageCms

    a = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    Image.fromarray(a).convert("CMYK").save(tmp_path / "print.jpg", icc_profile=CMYK_ICC.read_bytes(), quality=95)
    assert main(["denoise", str(tmp_path / "print.jpg"), "-o", str(tmp_path / "o.jpg"), "--checkpoint", tiny,
                 "--sigma", "20", "--ensemble", "1"]) == 0
    assert "print.jpg is CMYK: converted to RGB through its colour profile" in capsys.readouterr().err
    with Image.open(tmp_path / "o.jpg") as im:
        icc = im.info.get("icc_profile")
        assert im.mode == "RGB" and icc
        assert ImageCms.ImageCmsProfile(io.BytesIO(icc)).profile.xcolor_space.strip() == "RGB"
    with Image.open(tmp_path / "print.jpg") as im:
        want = ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(str(CMYK_ICC)), ImageCms.createProfile("sRGB"),
                                         outputMode="RGB")
    np.testing.assert_array_equal(np.round(imageio.load_image(tmp_path / "print.jpg").pixels * 255), np.asarray(want))


def test_a_profile_for_other_pixels_is_left_out_with_a_note(tmp_path):
    """A grey PNG carrying an RGB profile: carried into the result, it made a file viewers reject."""
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(np.arange(600, dtype=np.uint8).reshape(20, 30)).save(tmp_path / "grey.png", icc_profile=srgb)
    got = imageio.load_image(tmp_path / "grey.png")
    assert got.icc_profile is None and any("its colour profile is for RGB, not the GRAY pixels" in n for n in got.notes)
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "rgb.png", icc_profile=srgb)
    assert imageio.load_image(tmp_path / "rgb.png").icc_profile == srgb  # a matching one is kept


def test_one_photograph_as_the_mask_of_a_batch_is_refused_once_before_anything_runs(tmp_path, tiny, capsys, img):
    src, _ = img
    folder = tmp_path / "scans"
    folder.mkdir()
    for name in "abc":
        Image.open(src).save(folder / f"{name}.png")
    Image.fromarray(_photo(32, 32)).save(tmp_path / "holiday.png")
    assert main(["inpaint", str(folder), "--mask", str(tmp_path / "holiday.png"), "-o", str(tmp_path / "out"),
                 "--checkpoint", tiny]) == 2
    err = _error(capsys)  # one line, not one failure per image
    assert "--mask holiday.png: the mask looks like a photograph" in err and "--soft-mask" in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
