"""--noise auto tells a colour image a flatter law than its fit where the law's std moves little over the image
(core/run/noise_law.COLOUR_SPREAD): the transform's tone curve, applied per channel, warps thin structures on a colour
photo (issue 22: lomiri16-Bridge lost 0.4-0.8 dB to one sigma with the full law at all three levels), and where the
noise's std hardly varies there is little for the transform to gain. Grey is told as before (docs/camera-noise.md,
"The colour path")."""

from __future__ import annotations

import numpy as np
import pytest

from dpm_studio.core.run import noise_law
from dpm_studio.core.run.noise import LOW_NOISE
from dpm_studio.core.run.noise_law import (B_UNSURE, COLOUR_KEEP_MIN, COLOUR_SPREAD, FIT_A_SHRINK, colour_keep,
                                           flattened, resolve_noise, std_spread)
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
    for colour in (False, True):
        y = _file(2.5, 3, colour=colour)
        m = float(np.mean(y, dtype=np.float64))
        req = _told(monkeypatch, fit, y)
        law_b = b + (FIT_A_SHRINK * fit.a_se * m if b < B_UNSURE * b_se else 0.0)   # the law before flattening
        assert req.noise == "poisson-gaussian" and req.noise_fit["a"] == fit.a   # the fit recorded as fitted
        if not colour:
            assert (req.noise_a, req.noise_b) == pytest.approx((a, law_b), rel=1e-12)
            continue
        keep = colour_keep(a, law_b, y)
        # this ramp's channels (x, 0.9 x, 1 - x) move against each other: the std of their mean hardly moves
        assert keep == max(COLOUR_KEEP_MIN, std_spread(a, law_b, y) / COLOUR_SPREAD) and keep < 1
        assert req.noise_a == pytest.approx(keep * a, rel=1e-12)
        # the same variance at the image's mean (what the one sigma reads), less of it in the shadows
        assert req.noise_a * m + req.noise_b == pytest.approx(a * m + law_b, rel=1e-12)
        assert req.noise_b > law_b


def test_flattened_keeps_the_variance_at_the_mean():
    assert flattened(0.004, 0.0004, 0.4, 1.0) == (0.004, 0.0004)
    a, b = flattened(0.004, 0.0004, 0.4, 0.25)
    assert a == pytest.approx(0.001) and a * 0.4 + b == pytest.approx(0.004 * 0.4 + 0.0004)
    assert flattened(0.004, 0.0004, 0.4, 0.0) == pytest.approx((0.0, 0.004 * 0.4 + 0.0004))


def _sky_with_a_cable(n=128):
    """A bright blue sky, a little graded, crossed by a thin dark line: the law's std moves little over it."""
    yy = np.mgrid[0:n, 0:n][0] / n
    clean = np.stack([0.55 + 0.1 * yy, 0.7 + 0.1 * yy, 0.9 + 0.05 * yy], 2)
    clean[60:62] = (0.15, 0.15, 0.18)
    return clean.astype(np.float32)


def test_colour_above_the_low_noise_is_flattened_where_its_std_moves_little(monkeypatch):
    """Issue 22's middle level on a Bridge-like colour image (std 14 / 255 at the mean, above LOW_NOISE): session 17
    told it the full law (-0.78 dB under one sigma on held-out Bridge); its std moves by less than COLOUR_SPREAD, so
    it is flattened, as far as COLOUR_KEEP_MIN."""
    y = _sky_with_a_cable()
    m = float(np.mean(y, dtype=np.float64))
    fit = NoiseFit(0.004, 4e-4, 1e-4, 3e-5, "poisson-gaussian")
    a = fit.a - FIT_A_SHRINK * fit.a_se
    assert a * m + fit.b > LOW_NOISE ** 2 and std_spread(a, fit.b, y) < COLOUR_SPREAD
    req = _told(monkeypatch, fit, y)
    assert req.noise_a == pytest.approx(colour_keep(a, fit.b, y) * a, rel=1e-12) and req.noise_a < 0.75 * a
    assert req.noise_a * m + req.noise_b == pytest.approx(a * m + fit.b, rel=1e-12)


def test_colour_at_low_noise_is_told_the_law_where_its_std_moves_much(monkeypatch):
    """A colour image from black to white at low noise (std under LOW_NOISE at the mean): session 17 flattened it
    halfway; its std moves by COLOUR_SPREAD or more, where the full law won on held-out photos."""
    xx = np.mgrid[0:128, 0:128][1] / 128
    y = np.stack([xx, 0.9 * xx, 0.8 * xx], 2).astype(np.float32)
    fit = NoiseFit(0.002, 1e-4, 1e-4, 3e-5, "poisson-gaussian")
    a = fit.a - FIT_A_SHRINK * fit.a_se
    assert a * float(np.mean(y)) + fit.b < LOW_NOISE ** 2 and std_spread(a, fit.b, y) >= COLOUR_SPREAD
    req = _told(monkeypatch, fit, y)
    assert (req.noise_a, req.noise_b) == (a, fit.b)


def test_std_spread():
    """0 for constant noise; grey and colour alike; a large image read on a lattice reads as the whole does."""
    rng = np.random.default_rng(0)
    y = rng.random((300, 200, 3)).astype(np.float32)
    assert std_spread(0.0, 1e-3, y) == pytest.approx(0.0, abs=1e-15)
    grey = y[..., 0]
    # the std of sqrt(a x + b) over uniform x
    x = np.clip(grey, 0, 1).astype(np.float64)
    assert std_spread(0.01, 1e-3, grey) == pytest.approx(float(np.std(np.sqrt(0.01 * x + 1e-3))), rel=1e-9)
    big = np.repeat(np.repeat(y, 6, 0), 6, 1)   # 1800 x 1200: read every other pixel
    assert std_spread(0.01, 1e-3, big) == pytest.approx(std_spread(0.01, 1e-3, y), rel=0.02)
    assert colour_keep(0.0, 1e-3, y) == COLOUR_KEEP_MIN and colour_keep(0.01, 1e-3, y) == 1.0
