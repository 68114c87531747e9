"""One image decoder: the training recipes see the pixels the app and the command line read.

The recipes' 8-bit images must be exactly ``to_uint8`` of :func:`dpm_studio.imageio.load_image`
for the same file (8 and 16 bits, PNG, JPEG turned upright by its EXIF orientation, TIFF),
and the recipes must refuse what the app refuses (the decompression-bomb limit).
"""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image

from dpm_studio import imageio
from dpm_studio.core.train.data import images as im
from dpm_studio.core.train.data.pixels import _convert

torch.set_num_threads(1)


def _ramp16(h: int, w: int, c: int) -> np.ndarray:
    """16-bit values spread over the whole range, with low bytes a truncation to 8 bits gets wrong."""
    rng = np.random.default_rng(7)
    return rng.integers(0, 65536, (h, w, c), dtype=np.uint16)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("one_decoder")
    rng = np.random.default_rng(3)
    rgb8 = rng.integers(0, 256, (24, 36, 3), dtype=np.uint8)
    grey8 = rng.integers(0, 256, (24, 36), dtype=np.uint8)
    deep_rgb, deep_grey = _ramp16(24, 36, 3), _ramp16(24, 36, 1)[:, :, 0]
    Image.fromarray(rgb8).save(d / "rgb8.png")
    Image.fromarray(grey8).save(d / "grey8.png")
    Image.fromarray(deep_grey).save(d / "grey16.png")  # Pillow keeps 16 bits of grey (mode I;16)
    imageio.save_image(d / "rgb16.png", deep_rgb.astype(np.float32) / 65535, bit_depth=16)
    # stored 36 wide x 24 high, dark left half; EXIF orientation 6 = turn 90 degrees clockwise
    rot = np.full((24, 36, 3), 220, dtype=np.uint8)
    rot[:, :18] = 30
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(rot).save(d / "rotated.jpg", exif=exif.tobytes(), quality=95)
    Image.fromarray(rgb8).save(d / "plain.jpg", quality=90)
    tifffile.imwrite(d / "rgb8.tif", rgb8, photometric="rgb")
    tifffile.imwrite(d / "rgb16.tif", deep_rgb, photometric="rgb")
    tifffile.imwrite(d / "grey16.tif", deep_grey, photometric="minisblack")
    return d, {"rgb16": deep_rgb, "grey16": deep_grey}


NAMES = ["rgb8.png", "grey8.png", "grey16.png", "rgb16.png", "rotated.jpg", "plain.jpg", "rgb8.tif", "rgb16.tif",
         "grey16.tif"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("mode", ["rgb", "gray"])
def test_the_recipe_decodes_a_file_to_the_apps_pixels(files, name, mode):
    folder, _ = files
    app = imageio.load_image(folder / name)
    recipe = im.load_image_file(folder / name, mode)
    expected = _convert(imageio.to_uint8(app.pixels), mode)
    assert recipe.dtype == np.uint8 and recipe.shape == expected.shape
    assert np.array_equal(recipe, expected), f"{name} ({mode}): the recipe and the app decode it differently"


def test_sixteen_bit_files_are_rounded_not_truncated(files):
    """v / 65535 rounded to 8 bits, the same for a 16-bit colour PNG or TIFF and a 16-bit grey one."""
    folder, raw = files
    want_rgb = np.clip(np.rint(raw["rgb16"] / 257.0), 0, 255).astype(np.uint8)
    want_grey = np.clip(np.rint(raw["grey16"] / 257.0), 0, 255).astype(np.uint8)[:, :, None]
    assert imageio.load_image(folder / "rgb16.png").bit_depth == 16
    assert np.array_equal(im.load_image_file(folder / "rgb16.png", "rgb"), want_rgb)
    assert np.array_equal(im.load_image_file(folder / "rgb16.tif", "rgb"), want_rgb)
    assert np.array_equal(im.load_image_file(folder / "grey16.png", "gray"), want_grey)
    assert np.array_equal(im.load_image_file(folder / "grey16.tif", "gray"), want_grey)


def test_exif_orientation_is_applied_by_both(files):
    folder, _ = files
    app = imageio.load_image(folder / "rotated.jpg")
    recipe = im.load_image_file(folder / "rotated.jpg", "rgb")
    assert app.pixels.shape[:2] == recipe.shape[:2] == (36, 24)  # upright: 24 wide, 36 high
    assert recipe[:15].mean() < 60 and recipe[21:].mean() > 190  # the dark half now on top


def test_the_recipes_refuse_what_the_app_refuses(files, monkeypatch):
    """The decompression-bomb limit applies to training folders too: such an image is skipped."""
    folder, _ = files
    from dpm_studio.core.files import decode

    monkeypatch.setattr(decode, "MAX_PIXELS", 500)  # every test image (864 px) is now too large
    with pytest.raises(imageio.ImageIOError, match="decompression bomb"):
        imageio.load_image(folder / "rgb8.png")
    with pytest.raises(ValueError, match="no usable images"):
        im.folder_recipe(folder)
    monkeypatch.setattr(decode, "MAX_PIXELS", 100_000_000)
    r = im.folder_recipe(folder, mode="rgb")
    assert len(r.sources) == len(NAMES)


def test_uint8_conversions_round_trip_and_map_non_finite_values():
    """to_uint8 rounds and clips (NaN -> 0, +inf -> 255, -inf -> 0); from_uint8 is float32 v / 255."""
    from dpm_studio.core.files.decode import from_uint8, to_uint8

    v = np.arange(256, dtype=np.uint8)
    f = from_uint8(v)
    assert f.dtype == np.float32 and np.array_equal(f, v.astype(np.float32) / np.float32(255))
    assert np.array_equal(to_uint8(f), v)
    odd = np.array([np.nan, np.inf, -np.inf, -0.5, 0.0, 0.5, 1.0, 2.0, 0.5 / 255, 0.49 / 255])
    assert to_uint8(odd).tolist() == [0, 255, 0, 0, 0, 128, 255, 255, 1, 0]


def test_to_uint8_in_chunks_equals_the_whole_array_formula():
    """to_uint8 works in chunks through a small buffer (docs/speed.md): the same bytes as the
    whole-array float32 formula, over several chunks and a ragged end, for float32, float64,
    non-contiguous and non-finite input."""
    from dpm_studio.core.files import decode
    from dpm_studio.core.files.decode import to_uint8

    def whole(a):
        x = np.fmax(np.asarray(a, dtype=np.float32), np.float32(0.0))
        np.fmin(x, np.float32(1.0), out=x)
        return ((x * np.float32(255.0)) + np.float32(0.5)).astype(np.uint8)

    rng = np.random.default_rng(0)
    n = 7 * (3 * decode._U8_CHUNK // 7 + 13)  # three chunks and a ragged end
    a = rng.uniform(-0.2, 1.2, n)
    a[::97] = np.nan
    a[1::101], a[2::103] = np.inf, -np.inf
    a[3::5] = np.round(a[3::5] * 510) / 510  # exact halves of a level: the rounding edge
    for x in (a, a.astype(np.float32), a.astype(np.float32).reshape(-1, 7, 1)[:, ::2], a[:0]):
        got = to_uint8(x)
        assert got.shape == np.shape(x) and got.dtype == np.uint8
        assert np.array_equal(got, whole(x))
