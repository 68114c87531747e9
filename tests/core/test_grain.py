"""The grain of an inpainting's fill (core/run/grain.py): the known pixels' noise law, given to the fill."""

import numpy as np
import pytest

from dpm_studio.core.run.grain import FLOOR, add_grain, grain_law, grain_std
from dpm_studio.core.run.jobs import resolve
from dpm_studio.core.run.requests import InpaintRequest, request_of_record
from dpm_studio.core.run.tasks import run_task

from test_tasks import _loaded

A, B = 0.004, 0.0004   # a camera-like law, var = a x + b ([0, 1] units)


def _scene(size=160, seed=0):
    """A smooth colour picture (x), its 8-bit noisy file (y) under var = A x + B, and a centre hole."""
    r, c = np.mgrid[0:size, 0:size] / size
    x = np.stack([0.2 + 0.6 * r, 0.3 + 0.4 * c, 0.5 + 0.3 * np.sin(3 * r + 2 * c)], 2).astype(np.float32)
    n = np.random.default_rng(seed).standard_normal(x.shape)
    y = (np.clip(np.round((x + np.sqrt(A * x + B) * n) * 255), 0, 255) / 255).astype(np.float32)
    mask = np.zeros((size, size), np.float32)
    q = size // 4
    mask[q + q // 2:size - q - q // 2, q + q // 2:size - q - q // 2] = 1   # size / 2 a side
    return x, y, mask


def test_the_law_is_the_known_pixels_and_the_hole_does_not_enter_it():
    x, y, mask = _scene()
    y[mask > 0] = 0.5    # what a damaged hole holds: flat, noiseless
    law = grain_law(y, mask == 0)
    assert law["kind"] == "poisson-gaussian" and len(law["channels"]) == 3
    known = x[mask == 0]   # the std each channel's law gives over the picture's intensities: within 4 % on
    err = np.abs(grain_std(law, known) / np.sqrt(A * known + B) - 1)   # average, 15 % at worst
    assert err.mean() < 0.04 and err.max() < 0.15
    # whatever the hole holds, the law is the same: no block reads a pixel of it
    y[mask > 0] = np.random.default_rng(9).random((int(mask.sum()), 3))
    assert grain_law(y, mask == 0) == law
    assert grain_law(y, np.ones_like(mask, bool)) != law   # (read as known, it moves the fit)


def test_the_fills_grain_has_the_surroundings_std_at_its_own_intensity():
    """A clean fill (the truth) given the law fitted to the known pixels: its grain (the result minus
    the clean fill) has, per pixel, the std the true law gives at that intensity, within 8 % (the fit's
    error: a and b within 10-25 % on 19,200 known pixels; the draw's error is under 1 % of 9,600
    values); without grain it has none. Known pixels come back unchanged, the result in 8-bit steps."""
    x, y, mask = _scene()
    law = grain_law(y, mask == 0)
    filled = np.where(mask[:, :, None] > 0, x, y)
    (out,) = add_grain([filled], mask, law, seed=3, levels=255)
    hole = mask > 0
    z = (out[hole] - x[hole]) / np.sqrt(A * x[hole] + B)
    assert np.std(z) == pytest.approx(1.0, abs=0.08) and abs(np.mean(z)) < 0.05
    np.testing.assert_array_equal(out[~hole], y[~hole])
    np.testing.assert_allclose(out[hole] * 255, np.round(out[hole] * 255), atol=1e-3)
    # reproducible from the seed, another seed another grain
    assert np.array_equal(add_grain([filled], mask, law, 3, 255)[0], out)
    assert not np.array_equal(add_grain([filled], mask, law, 4, 255)[0], out)
    assert add_grain([filled], mask, {"kind": "none", "channels": []}, 3, 255)[0] is filled


@pytest.mark.parametrize("w", [0.25, 0.5, 0.75])
def test_under_a_soft_edge_the_blend_and_the_grain_carry_the_whole_law(w):
    """At mask weight w the result holds (1 - w) of the photo's own noise at most (a blend of the known
    pixel and the fill); the grain adds the rest, so the edge's noise std is the law's, within 5 %
    (w of it alone left sqrt(w^2 + (1 - w)^2): 0.71 of the law at w = 0.5)."""
    x, y, _ = _scene(seed=2)
    law = {"kind": "poisson-gaussian", "channels": [{"a": A, "b": B}] * 3}
    mask = np.full(x.shape[:2], w, np.float32)
    blend = ((1 - w) * y + w * x).astype(np.float32)
    (out,) = add_grain([blend], mask, law, seed=5, levels=255)
    z = (out - x) / np.sqrt(A * x + B)
    assert np.std(z) == pytest.approx(1.0, abs=0.05)


def test_a_clean_photo_gets_no_grain():
    x, _, mask = _scene()
    clean = (np.round(x * 255) / 255).astype(np.float32)
    assert grain_law(clean, mask == 0) == {"kind": "none", "channels": []}
    assert grain_law(clean[:12, :12], mask[:12, :12] == 0)["kind"] == "none"   # too small to fit: none
    quiet = np.clip(clean + np.random.default_rng(1).normal(0, 0.5 / 255, clean.shape), 0, 1)  # under FLOOR
    assert grain_law(np.round(quiet * 255) / 255, mask == 0)["kind"] == "none" and FLOOR == 1 / 255


def test_constant_noise_gives_a_constant_law_per_channel():
    x, _, mask = _scene()
    y = np.round(np.clip(x + np.random.default_rng(2).normal(0, 10 / 255, x.shape), 0, 1) * 255) / 255
    law = grain_law(y, mask == 0)
    assert law["kind"] == "constant" and all(c["a"] == 0 for c in law["channels"])
    np.testing.assert_allclose(grain_std(law, np.full((1, 3), 0.5)) * 255, 10, rtol=0.15)


def test_a_run_gives_its_fill_the_grain_and_its_record_replays_the_same_pixels():
    """End to end through the job resolver and run_task (a tiny net): the same seed with grain none and
    match runs the same trajectory, so their difference in the hole is the grain: std as the fitted law
    at the fill's intensity (within 10 %); the record carries the law, and the request read back from
    it makes the same pixels; match is the default."""
    _, y, mask = _scene(128)
    loaded = _loaded(3)
    req = InpaintRequest(steps=4, jump_length=0, seed=5, context=16)
    assert req.grain == "match"
    job = resolve(req, y, mask, model=loaded)
    law = job.request.grain_law
    assert law["kind"] == "poisson-gaussian"
    match = list(run_task(loaded, job))[-1].image
    none = list(run_task(loaded, req.replace(grain="none"), y, mask=mask))[-1].image
    stds = grain_std(law, none.reshape(-1, 3)).reshape(none.shape)
    inside = (mask[:, :, None] > 0) & (none > 0.1) & (none < 0.9)   # away from clipping
    assert inside.sum() > 2000
    z = (match - none)[inside] / stds[inside]
    assert np.std(z) == pytest.approx(1.0, abs=0.1)
    np.testing.assert_array_equal(match[mask == 0], none[mask == 0])
    record = job.metadata(loaded)
    assert record["grain"] == "match" and record["grain_law"] == law
    again = list(run_task(loaded, request_of_record(record), y, mask=mask))[-1].image
    np.testing.assert_array_equal(again, match)
    assert "grain_law" not in req.replace(grain="none").metadata(loaded)


def test_a_record_from_before_grain_replays_without_it():
    old = InpaintRequest(steps=4).metadata("t")
    old.pop("grain")
    assert request_of_record(old).grain == "none"


@pytest.mark.parametrize("bad, msg", [
    ({"grain": "heavy"}, "grain must be one of match, none"),
    ({"grain_law": {"kind": "loud", "channels": []}}, "grain's noise law"),
    ({"grain_law": {"kind": "constant", "channels": [{"a": 0, "b": float("nan")}]}}, "grain's noise law"),
])
def test_bad_grain_settings_are_refused_with_one_line(bad, msg):
    with pytest.raises(ValueError, match=msg):
        InpaintRequest(**bad).validate()
