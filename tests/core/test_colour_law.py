"""--noise auto tells a colour image a flatter law than its fit (core/run/noise_law.COLOUR_KEEP): the transform's
tone curve, applied per channel, warps thin structures on a colour photo (issue 22: lomiri16-Bridge at the lowest
level lost 0.8-1.0 dB to one sigma with the full law; docs/camera-noise.md, "The colour path"). Grey is told as
before."""

from __future__ import annotations

import numpy as np
import pytest

from dpm_studio.core.run import noise_law
from dpm_studio.core.run.noise_law import B_UNSURE, COLOUR_KEEP, FIT_A_SHRINK, flattened, resolve_noise
from dpm_studio.core.run.noise_level import NoiseFit
from dpm_studio.core.run.requests import DenoiseRequest

from test_file_likelihood import _file


def _told(monkeypatch, fit, y):
    def steps(img, *a, **k):
        return fit
        yield

    monkeypatch.setattr(noise_law, "fit_noise_level_steps", steps)
    return resolve_noise(DenoiseRequest(), y)[0]


@pytest.mark.parametrize("b, b_se", [(2e-4, 5e-5), (8.5e-6, 7.6e-5)])
def test_colour_is_told_the_law_flattened_about_its_mean_and_grey_the_law(monkeypatch, b, b_se):
    fit = NoiseFit(1.2e-3, b, 1.5e-4, b_se, "poisson-gaussian")
    a = fit.a - FIT_A_SHRINK * fit.a_se
    assert 0 < COLOUR_KEEP < 1
    for colour in (False, True):
        y = _file(2.5, 3, colour=colour)
        m = float(np.mean(y, dtype=np.float64))
        req = _told(monkeypatch, fit, y)
        law_b = b + (FIT_A_SHRINK * fit.a_se * m if b < B_UNSURE * b_se else 0.0)   # the law before flattening
        assert req.noise == "poisson-gaussian" and req.noise_fit["a"] == fit.a   # the fit recorded as fitted
        if not colour:
            assert (req.noise_a, req.noise_b) == pytest.approx((a, law_b), rel=1e-12)
            continue
        assert req.noise_a == pytest.approx(COLOUR_KEEP * a, rel=1e-12)
        # the same variance at the image's mean (what the one sigma reads), less of it in the shadows
        assert req.noise_a * m + req.noise_b == pytest.approx(a * m + law_b, rel=1e-12)
        assert req.noise_b > law_b


def test_flattened_keeps_the_variance_at_the_mean():
    assert flattened(0.004, 0.0004, 0.4, 1.0) == (0.004, 0.0004)
    a, b = flattened(0.004, 0.0004, 0.4, 0.25)
    assert a == pytest.approx(0.001) and a * 0.4 + b == pytest.approx(0.004 * 0.4 + 0.0004)
    assert flattened(0.004, 0.0004, 0.4, 0.0) == pytest.approx((0.0, 0.004 * 0.4 + 0.0004))


def test_colour_above_the_low_noise_is_told_the_law(monkeypatch):
    """Where the law's std at the mean is LOW_NOISE or more the full law won on held-out photos: it is told as fitted."""
    from dpm_studio.core.run.noise import LOW_NOISE

    y = _file(2.5, 3, colour=True)
    m = float(np.mean(y, dtype=np.float64))
    fit = NoiseFit(0.01, 1e-3, 2e-4, 1e-4, "poisson-gaussian")
    assert fit.a * m + fit.b > LOW_NOISE ** 2
    req = _told(monkeypatch, fit, y)
    assert (req.noise_a, req.noise_b) == (fit.a - FIT_A_SHRINK * fit.a_se, fit.b)
