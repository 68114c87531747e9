"""Hostile inputs to the Python API: each is one ValueError or TypeError saying what to change, raised by
dpm_studio's own checks before any work (no frame of torch or numpy's internals last in its traceback), for the
plain functions and the ``*_result`` ones alike, and for ``Result.save``.

Fail without session 18's checks: a file name or None as the image ("not shape ()"), rows of uneven length
(numpy's "inhomogeneous shape"), a mask given as sigma (the whole array printed), a progress that is not a
function (found at the run's first step: "'int' object is not callable"), a save path that is no file name
(pathlib's "expected str, bytes or os.PathLike object"), or a folder ("exists already"). The rest held already and
are kept here, one line each (benchmarks/hostile_inputs.py's api section tries many more)."""

from __future__ import annotations

import re
import traceback
import warnings

import numpy as np
import pytest

from dpm_studio import api

U8 = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
M = np.zeros((16, 16), np.uint8)
M[6:10, 6:10] = 1
F = (U8 / 255).astype(np.float32)


def _with(a, where, value):
    a = a.copy()
    a[where] = value
    return a


# (label, call(fn for denoise or denoise_result, fn for inpaint..., tiny), the error, words)
CASES = [
    # wrong kinds of image
    ("a file name as the image", lambda d, i, t: d("photo.png", checkpoint=t), TypeError,
     "the image must be a numpy array (H, W) or (H, W, C), not str: read a file's array with np.asarray"),
    ("None as the image", lambda d, i, t: i(None, M, checkpoint=t), TypeError,
     "the image must be a numpy array (H, W) or (H, W, C), not NoneType"),
    ("rows of uneven length", lambda d, i, t: d([[0, 1], [2]], checkpoint=t), ValueError,
     "the image must be a rectangular array of numbers: its rows are not all the same length"),
    # wrong dtypes
    ("int16 pixels", lambda d, i, t: d(U8.astype(np.int16), 10, checkpoint=t), ValueError,
     "the image must be uint8, uint16 or floats in [0, 1], not int16"),
    ("complex pixels", lambda d, i, t: i(F.astype(np.complex64), M, checkpoint=t), ValueError,
     "the image must be uint8, uint16 or floats in [0, 1], not complex64"),
    ("bool pixels", lambda d, i, t: d(U8 > 9, checkpoint=t), ValueError, "not bool"),
    # NaN / infinity / out of range
    ("NaN in a float image", lambda d, i, t: d(_with(F, (0, 0, 0), np.nan), checkpoint=t), ValueError,
     "a float image must hold finite values in [0, 1]"),
    ("infinity in a float image", lambda d, i, t: d(_with(F, (3, 4, 1), np.inf), 0.1, checkpoint=t), ValueError,
     "a float image must hold finite values in [0, 1]"),
    ("floats over 1", lambda d, i, t: d(F * 2, 0.1, checkpoint=t), ValueError, "finite values in [0, 1]"),
    ("NaN among the known pixels of an inpainting", lambda d, i, t: i(_with(F, (0, 0, 0), np.nan), M, checkpoint=t),
     ValueError, "outside the hole: 1 known pixels are NaN, infinite or out of range (the first at row 0, column 0)"),
    # 0-size arrays and wrong channel counts
    ("0 rows", lambda d, i, t: d(U8[:0], 10, checkpoint=t), ValueError, "not shape (0, 16, 3)"),
    ("0 columns", lambda d, i, t: i(U8[:, :0], M[:, :0], checkpoint=t), ValueError, "not shape (16, 0, 3)"),
    ("0 channels", lambda d, i, t: d(U8[:, :, :0], 10, checkpoint=t), ValueError, "not shape (16, 16, 0)"),
    ("5 channels", lambda d, i, t: d(np.zeros((8, 8, 5), np.uint8), 10, checkpoint=t), ValueError,
     "an image must be an (H, W) or (H, W, C) array with C in 1-4, not shape (8, 8, 5)"),
    ("a 1-d array", lambda d, i, t: d(U8[0, :, 0], 10, checkpoint=t), ValueError, "not shape (16,)"),
    # masks of the wrong shape or kind
    ("a mask of another size", lambda d, i, t: i(U8, M[:5], checkpoint=t), ValueError,
     "the mask is 16x5 but the image is 16x16: a mask must have the image's height and width"),
    ("a transposed mask", lambda d, i, t: i(U8[:, :12], M[:12, :], checkpoint=t), ValueError,
     "the mask is 16x12 but the image is 12x16"),
    ("a colour mask", lambda d, i, t: i(U8, np.dstack([M] * 3), checkpoint=t), ValueError,
     "the mask must hold one value per pixel, an (H, W) array of 16 x 16, not an array of shape (16, 16, 3)"),
    ("a denoise's mask of another size", lambda d, i, t: d(U8, 10, mask=M[:, :3], checkpoint=t), ValueError,
     "the mask is 3x16 but the image is 16x16"),
    ("a file name as the mask", lambda d, i, t: i(U8, "mask.png", checkpoint=t), ValueError,
     "the mask must be an array of booleans or numbers, not <U8 (str)"),
    ("no mask to inpaint", lambda d, i, t: i(U8, None, checkpoint=t), ValueError, "inpainting needs a mask"),
    ("an empty mask", lambda d, i, t: i(U8, M * 0, checkpoint=t), ValueError, "the mask is empty"),
    # out-of-range and wrongly typed options
    ("a mask given as sigma", lambda d, i, t: d(U8, M, checkpoint=t), ValueError,
     "sigma must be a number in the image's units, not an array of shape (16, 16) (a mask is given as mask=...)"),
    ("sigma NaN", lambda d, i, t: d(U8, float("nan"), checkpoint=t), ValueError,
     "sigma is in the array's own units: more than 0 and at most 255 for a uint8 image, not nan"),
    ("sigma 10 on floats", lambda d, i, t: d(F, 10, checkpoint=t), ValueError, "at most 1 for a float32 image"),
    ("steps 0", lambda d, i, t: i(U8, M, steps=0, checkpoint=t), ValueError, "the number of steps must be 1 to 100,000"),
    ("a negative seed", lambda d, i, t: d(U8, 10, seed=-1, checkpoint=t), ValueError, "the seed must be 0 to"),
    ("feather NaN", lambda d, i, t: i(U8, M, feather=float("nan"), checkpoint=t), ValueError,
     "the feather must be 0 to 32 pixels"),
    ("an unknown mode", lambda d, i, t: i(U8, M, mode="fast", checkpoint=t), ValueError,
     "the inpainting mode must be one of forward-approx, clamp-approx, exact"),
    ("noise_scale 10", lambda d, i, t: d(U8, 10, noise_scale=10, checkpoint=t), ValueError,
     "the noise scale must be 0.25 to 4 times"),
    ("a region outside", lambda d, i, t: d(U8, 10, region=(20, 20, 4, 4), checkpoint=t), ValueError,
     "does not lie inside the 16x16 image"),
    ("keep_sample 1.5", lambda d, i, t: i(U8, M, keep_sample=1.5, checkpoint=t), ValueError,
     "keep_sample must be a whole number from 0 (the mean) to 256, not 1.5"),
    ("an unknown setting", lambda d, i, t: d(U8, 10, colour="red", checkpoint=t), ValueError,
     "denoise has no setting colour"),
    ("a device that is a number", lambda d, i, t: d(U8, 10, device=5, checkpoint=t), ValueError,
     "device must be a text, not 5"),
    ("a progress that is no function", lambda d, i, t: i(U8, M, progress=5, checkpoint=t), TypeError,
     "progress must be a function progress(done, total), not int"),
]


@pytest.mark.parametrize("form", ["plain", "result"])
@pytest.mark.parametrize("label, call, kind, words", CASES, ids=[c[0] for c in CASES])
def test_a_hostile_input_is_one_clear_error_from_our_own_checks(tiny, form, label, call, kind, words):
    d, i = (api.denoise, api.inpaint) if form == "plain" else (api.denoise_result, api.inpaint_result)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(kind, match=re.escape(words)) as e:
            call(d, i, tiny)
    last = traceback.extract_tb(e.value.__traceback__)[-1].filename
    assert "dpm_studio" in last and "torch" not in last, last
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("size, words", [((0, 4), "the size must be 1 to 4,096 pixels a side"),
                                         ((8.5, 8), "size must be 2 whole numbers, not (8.5, 8)"),
                                         ("8x8", "the size must be two numbers, height and width")])
@pytest.mark.parametrize("form", ["plain", "result"])
def test_a_hostile_sample_size_is_one_value_error(tiny, size, words, form):
    fn = api.sample if form == "plain" else api.sample_result
    with pytest.raises(ValueError, match=re.escape(words)):
        fn(size, checkpoint=tiny, steps=2)
    with pytest.raises(TypeError, match=re.escape("progress must be a function")):
        fn((4, 4), checkpoint=tiny, steps=2, progress="yes")


def test_a_save_path_or_source_that_is_no_file_name_is_one_error(tiny, tmp_path):
    r = api.denoise_result(U8, 10, checkpoint=tiny, ensemble=1)
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    (tmp_path / "folder.png").mkdir()
    for path, kind, words in [(None, TypeError, "path must be a file name (a str or a pathlib.Path), not NoneType"),
                              (b"x.png", TypeError, "not bytes"), ("", TypeError, "not an empty name"),
                              (tmp_path / "folder.png", ValueError, "folder.png is a folder; give a file name"),
                              (tmp_path / "nope" / "x.png", ValueError, "the folder"),
                              (tmp_path / ("x" * 300 + ".png"), ValueError, "cannot save")]:
        with pytest.raises(kind, match=re.escape(words)):
            r.save(path)
    with pytest.raises(TypeError, match=re.escape("source must be a file name (a str or a pathlib.Path), not ndarray")):
        r.save(tmp_path / "a.png", source=U8)
    with pytest.raises(ValueError, match="no such file"):
        r.save(tmp_path / "a.png", source=tmp_path / "missing.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.png"]
