"""Inpainting a grainy photo with its known pixels as noisy observations (core/math/conditioning.py's
Inpaint ``known_var``, InpaintRequest's ``known_noise``; docs/conditioning.md, session 19, measures it:
benchmarks/inpaint_noisy_known.py)."""

import numpy as np
import pytest
import torch

from dpm_studio.core import GaussianDiffusion, Schedule
from dpm_studio.core.math.conditioning import Inpaint, matched_time
from dpm_studio.core.run.grain import known_variance
from dpm_studio.core.run.jobs import resolve
from dpm_studio.core.run.requests import InpaintRequest, request_of_record
from dpm_studio.core.run.tasks import run_task

from test_grain import _scene
from test_tasks import _loaded


def _pair(n=200_000, v=0.3, seed=0):
    """N(0, 1) pixels (prior-like data) x0, their noisy observations y = x0 + sqrt(v) e, and an Inpaint with
    every pixel known (today's rule without ``known_var``)."""
    g = torch.Generator().manual_seed(seed)
    x0 = torch.randn(1, 1, 1, n, generator=g)
    y = x0 + v ** 0.5 * torch.randn(1, 1, 1, n, generator=g)
    return x0, y, torch.ones_like(y)


def test_a_noisy_known_pixel_is_forward_noised_to_the_law_of_x_s_given_its_clean_value():
    """Above the matched step, y = x0 + sqrt(v) e merged with only the difference of variances has exactly the
    law of q(x_s | x0): x_s - sqrt(ab_s) x0 of variance 1 - ab_s (z within 4 standard errors), where today's rule
    (y taken as clean) leaves 1 - ab_s + ab_s v; below the matched step the model's x_s is left as it is."""
    d = GaussianDiffusion(Schedule("cosine", 100), "eps")
    v = 0.3
    x0, y, known = _pair(v=v)
    t_star = matched_time(d, v)
    for s in (t_star + 10, 90.0):
        ab = float(d.alpha_bar(torch.tensor([s], dtype=torch.float64)))
        for known_var, want in ((v, 1 - ab), (None, 1 - ab + ab * v)):
            cond = Inpaint(y, known, mode="forward-approx", known_var=known_var)
            x_s = cond.merge(torch.zeros_like(y), s, d, torch.Generator().manual_seed(1))
            r = (x_s - ab ** 0.5 * x0).double()
            se = want * (2 / r.numel()) ** 0.5
            assert abs(float(r.var()) - want) < 4 * se, (s, known_var)
    below = torch.full_like(y, 7.0)
    cond = Inpaint(y, known, mode="forward-approx", known_var=v)
    assert torch.equal(cond.merge(below, t_star - 5, d, torch.Generator().manual_seed(1)), below)
    assert torch.equal(cond.merge(below, 0.0, d), y)   # x_0: the known pixels as they went in, as today


def test_known_variance_zero_is_todays_merge_to_the_bit():
    d = GaussianDiffusion(Schedule("cosine", 100), "eps")
    _, y, known = _pair(n=64)
    known[..., :16] = 0
    for s in (3.0, 50.0, 99.5):
        a = Inpaint(y, known, mode="forward-approx").merge(torch.zeros_like(y), s, d, torch.Generator().manual_seed(2))
        b = Inpaint(y, known, mode="forward-approx", known_var=0.0).merge(torch.zeros_like(y), s, d,
                                                                          torch.Generator().manual_seed(2))
        assert torch.equal(a, b)


def test_a_start_below_the_matched_step_holds_the_known_pixels_at_sqrt_ab_y():
    d = GaussianDiffusion(Schedule("cosine", 100), "eps")
    _, y, known = _pair(n=64, v=4.0)
    cond = Inpaint(y, known, mode="forward-approx", known_var=4.0)
    t = matched_time(d, 4.0) - 5
    ab = float(d.alpha_bar(torch.tensor([t], dtype=torch.float64)))
    torch.testing.assert_close(cond.prepare(torch.zeros_like(y), t, d), ab ** 0.5 * y)


@pytest.mark.parametrize("kw, msg", [
    ({"mode": "clamp-approx", "known_var": 0.1}, "forward-approx"),
    ({"mode": "forward-approx", "known_var": -0.1}, "not negative"),
    ({"mode": "forward-approx", "known_var": float("nan")}, "finite"),
])
def test_the_condition_refuses_what_it_cannot_honour(kw, msg):
    _, y, known = _pair(n=8)
    with pytest.raises(ValueError, match=msg):
        Inpaint(y, known, **kw)


@pytest.mark.parametrize("bad, msg", [
    ({"known_noise": "loud"}, "known pixels' noise must be one of none, law"),
    ({"known_noise": "law", "mode": "clamp-approx"}, "forward-approx"),
    ({"known_noise": "law", "mode": "exact", "start": "noise"}, "forward-approx"),
])
def test_bad_known_noise_settings_are_refused_with_one_line(bad, msg):
    with pytest.raises(ValueError, match=msg):
        InpaintRequest(**bad).validate()


def test_the_default_is_the_law_with_forward_approx_and_none_with_the_other_modes():
    assert InpaintRequest().known_noise == "law"
    assert InpaintRequest(mode="clamp-approx").known_noise == "none"
    assert InpaintRequest(mode="exact").validate().known_noise == "none"
    old = InpaintRequest(steps=4).metadata("t")
    old.pop("known_noise")   # a record from before the setting: exact known pixels, as it ran
    assert request_of_record(old).known_noise == "none"


def test_a_run_with_noisy_known_pixels_records_its_law_and_replays():
    """End to end (a tiny net): known_noise "law" fits the known pixels' law even with grain none, records it
    and the setting, changes the fill (not the known pixels) and replays to the same pixels; on a clean photo
    (a law of kind "none") it makes the pixels "none" makes."""
    x, y, mask = _scene(96)
    loaded = _loaded(3)
    base = InpaintRequest(steps=6, jump_length=0, seed=5, context=16, grain="none", known_noise="none")
    job = resolve(base.replace(known_noise="law"), y, mask, model=loaded)
    assert job.request.grain_law["kind"] == "poisson-gaussian"
    law_out = list(run_task(loaded, job))[-1].image
    none_out = list(run_task(loaded, base, y, mask=mask))[-1].image
    assert not np.array_equal(law_out, none_out)
    np.testing.assert_array_equal(law_out[mask == 0], y[mask == 0])
    record = job.metadata(loaded)
    assert record["known_noise"] == "law" and record["grain_law"] == job.request.grain_law
    again = list(run_task(loaded, request_of_record(record), y, mask=mask))[-1].image
    np.testing.assert_array_equal(again, law_out)
    assert "grain_law" not in base.metadata(loaded)
    clean = (np.round(x * 255) / 255).astype(np.float32)
    np.testing.assert_array_equal(list(run_task(loaded, base.replace(known_noise="law"), clean, mask=mask))[-1].image,
                                  list(run_task(loaded, base, clean, mask=mask))[-1].image)


def test_the_known_variance_is_the_law_at_each_pixel():
    law = {"kind": "poisson-gaussian", "channels": [{"a": 0.004, "b": 0.0004}] * 3}
    img = np.array([[[0.0, 0.5, 1.2]]], np.float32)
    np.testing.assert_allclose(known_variance(law, img), [[[0.0004, 0.0024, 0.0044]]], rtol=1e-5)
    assert known_variance({"kind": "none", "channels": []}, img) is None and known_variance(None, img) is None
