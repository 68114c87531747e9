"""A mask's values the API read without a word, now refused in one line before any work (core/run/masks.
check_mask_values, called by prepare_mask, which every front end's mask goes through, and by the API before the
model loads): NaN (read as 0, kept: a mask of NaN only was "the mask is empty", NaN inside a mask's hole dropped
those pixels from the fill), infinity (+inf filled, NaN beside it kept), negative values (filled by a hard mask as
nonzero, kept by a soft one), a soft mask of floats over 1 (clipped to 1: a 0-255 mask of floats became almost
hard) and a soft mask of integers reaching at most 1/255 of its type's maximum (a 0/1 uint8 mask filled 1/255, an
int64 0-255 one 3e-17). Each of them ran before, or (NaN marking the whole hole) was "the mask is empty"; 26 of
these tests fail on main 9d1928d (the 12 masks that are meant pass there). "Before any work" is shown by a
checkpoint that does not exist: the mask's error comes first (without api._check_mask, "no checkpoint named
'not-there'" comes first). A float image's NaN, infinity and values out of range are said by how many and where,
as an inpainting's known pixels were. The masks a user means keep working: 0/1 and 0/255 of any integer type,
bool, 0/1 floats, a soft edge in [0, 1]."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from dpm_studio import api
from dpm_studio.core.run.masks import prepare_mask

U8 = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
M = np.zeros((16, 16), np.float32)
M[6:10, 6:10] = 1


def _with(a, where, value):
    a = a.copy()
    a[where] = value
    return a


# (label, mask, soft, the error's words)
REFUSED = [
    ("a NaN in the hole", _with(M, (7, 8), np.nan), False,
     "the mask has 1 NaN value (the first at row 7, column 8); a mask is 0 where the image is kept and more than 0 "
     "where it changes: replace them (np.nan_to_num(mask) reads NaN as 0, kept)"),
    ("NaN marking the hole", np.where(M > 0, np.nan, 0.0), False, "the mask has 16 NaN values (the first at row 6"),
    ("infinity and NaN", np.where(M > 0, np.inf, np.nan), True,
     "the mask has 240 NaN and 16 infinite values (the first at row 0"),
    ("negative floats", -M, False, "the mask has 16 negative values (the first at row 6, column 6)"),
    ("negative int8", -M.astype(np.int8), True, "the mask has 16 negative values"),
    ("a soft mask of 0-255 floats", M * 255, True,
     "a soft mask of floats must hold values in [0, 1] (1 = changed), but its values reach 255: divide it by 255"),
    ("a soft 0/1 uint8 mask", M.astype(np.uint8), True,
     "a soft mask of uint8 is read as its values / 255 (its type's maximum), so its largest value, 1, changes at "
     "most 0.0039 of a pixel: give floats in [0, 1] (mask.astype(np.float32))"),
    ("a soft 0-255 int64 mask", (M * 255).astype(np.int64), True, "a soft mask of int64 is read as its values / 9,"),
]


def _calls(form):
    return (api.denoise, api.inpaint) if form == "plain" else (api.denoise_result, api.inpaint_result)


@pytest.mark.parametrize("form", ["plain", "result"])
@pytest.mark.parametrize("label, mask, soft, words", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_mask_value_no_rule_reads_as_meant_is_refused_before_any_work(tmp_path, monkeypatch, form, label, mask,
                                                                        soft, words):
    monkeypatch.setenv("DPM_STUDIO_CHECKPOINTS", str(tmp_path))   # no checkpoint at all: loading one would fail
    d, i = _calls(form)
    for call in (lambda: i(U8, mask, soft_mask=soft, checkpoint="not-there", steps=2),
                 lambda: d(U8, 10, mask=mask, soft_mask=soft, checkpoint="not-there")):
        with pytest.raises(ValueError, match=re.escape(words)) as e:
            call()
        assert "\n" not in str(e.value) and "not-there" not in str(e.value)


@pytest.mark.parametrize("label, mask, soft, words", REFUSED, ids=[c[0] for c in REFUSED])
def test_each_refused_mask_is_refused_where_every_front_end_reads_a_mask(label, mask, soft, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        prepare_mask(mask, (16, 16), soft=soft)


MEANT = [("bool", M > 0, False, 1), ("bool soft", M > 0, True, 1), ("uint8 0/1", M.astype(np.uint8), False, 1),
         ("uint8 0/255 soft", (M * 255).astype(np.uint8), True, 1),
         ("uint16 soft", (M * 65535).astype(np.uint16), True, 1), ("int64 0/255", (M * 255).astype(np.int64), False, 1),
         ("floats 0/1", M, False, 1), ("floats 0/1 soft", M, True, 1), ("floats 0/255", M * 255, False, 1),
         ("floats 0.5 soft", M * 0.5, True, 0.5), ("minus zero", -0.0 * M, False, 0)]


@pytest.mark.parametrize("label, mask, soft, fill", MEANT, ids=[c[0] for c in MEANT])
def test_the_masks_a_user_means_still_read_as_before(label, mask, soft, fill):
    np.testing.assert_array_equal(prepare_mask(mask, (16, 16), soft=soft), M * np.float32(fill))


def test_a_masked_run_still_runs_with_each_mask_of_the_kinds_meant(tiny):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for mask in (M > 0, (M * 255).astype(np.uint8), M):
            out = api.inpaint(U8, mask, checkpoint=tiny, steps=2)
            assert (out[M == 0] == U8[M == 0]).all()
        out = api.denoise(U8, 10, mask=(M * 255).astype(np.uint8), soft_mask=True, checkpoint=tiny)
        assert (out[M == 0] == U8[M == 0]).all()


@pytest.mark.parametrize("form", ["plain", "result"])
def test_a_float_image_s_bad_values_are_said_by_how_many_and_where(tiny, form):
    d, _ = _calls(form)
    f = (U8 / 255).astype(np.float32)
    bad = _with(_with(_with(f, (2, 3, 1), np.inf), (4, 5, 0), np.nan), (9, 9, 2), 1.5)
    words = ("a float image must hold finite values in [0, 1]: 1 NaN, 1 infinite, 1 out of range (the first at row 2, "
             "column 3)")
    with pytest.raises(ValueError, match=re.escape(words)):
        d(bad, 0.1, checkpoint=tiny)
