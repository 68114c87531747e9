"""--noise auto's fit is handed to the one-sigma estimate of a constant verdict: no fit is made twice, and the
level is bit for bit what the estimate makes on its own."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from dpm_studio.core.run import jobs, noise, noise_law
from dpm_studio.core.run.noise import LOW_NOISE, estimate_noise_sigma, median_noise_sigma
from dpm_studio.core.run.noise_level import fit_noise_level, fit_noise_level_steps
from dpm_studio.core.run.requests import DenoiseRequest

from test_file_likelihood import _file


def _spy(monkeypatch):
    """The images every fit was made of (a digest each), through both entries noise.py and noise_law.py use."""
    made = []

    def key(img):
        img = np.ascontiguousarray(img)
        return hashlib.sha1(img.tobytes()).hexdigest() + str(img.shape)

    def fit(img, *a, **k):
        made.append(key(img[:, :, None] if np.ndim(img) == 2 else img))
        return fit_noise_level(img, *a, **k)

    def steps(img, *a, **k):
        made.append(key(img[:, :, None] if np.ndim(img) == 2 else img))
        return (yield from fit_noise_level_steps(img, *a, **k))

    monkeypatch.setattr(noise, "fit_noise_level", fit)
    monkeypatch.setattr(noise_law, "fit_noise_level_steps", steps)
    return made


@pytest.mark.parametrize("colour", [False, True])
def test_a_constant_verdict_at_low_noise_fits_each_image_once(monkeypatch, colour):
    y = _file(2.5, 3, colour=colour)
    assert median_noise_sigma(y) < LOW_NOISE
    alone = estimate_noise_sigma(y)
    made = _spy(monkeypatch)
    req = jobs.resolve(DenoiseRequest(), y).request
    assert req.noise == "constant" and req.sigma == alone   # bit for bit
    assert made and len(made) == len(set(made)), made      # the whole image's fit: once (was twice)


def test_a_given_fit_gives_the_same_level():
    for colour in (False, True):
        for sigma255 in (1.2, 4.0):
            y = _file(sigma255, 5, colour=colour)
            assert estimate_noise_sigma(y, fit=fit_noise_level(y)) == estimate_noise_sigma(y)
    grey_as_rgb = np.repeat(_file(2.0, 1)[:, :, None], 3, 2)   # the fit of three channels is not the grey one's
    assert estimate_noise_sigma(grey_as_rgb, fit=fit_noise_level(grey_as_rgb)) == estimate_noise_sigma(grey_as_rgb)


def test_an_unsure_b_is_told_the_fitted_variance_at_the_mean(monkeypatch):
    """A signal-dependent fit whose b is within B_UNSURE standard errors of 0: the told law passes through the
    fitted variance at the image's mean (what the one-sigma estimate reads at low noise), not below it by the
    shrink of a (issue 22: colour chelsea at the lowest level, b = 8.5e-6 +- 7.6e-5, lost 0.10 dB to one sigma)."""
    from dpm_studio.core.run.noise_level import NoiseFit
    from dpm_studio.core.run.noise_law import B_UNSURE, FIT_A_SHRINK, resolve_noise

    y = _file(2.5, 3, colour=True)
    m = float(np.mean(y, dtype=np.float64))
    monkeypatch.setattr(noise_law, "COLOUR_SPREAD", 0.0)   # the colour law's flattening after it: test_colour_law.py
    for b, b_se in ((8.5e-6, 7.6e-5), (2e-4, 5e-5)):
        fit = NoiseFit(1.2e-3, b, 1.5e-4, b_se, "poisson-gaussian")

        def steps(img, *a, _fit=fit, **k):
            return _fit
            yield

        monkeypatch.setattr(noise_law, "fit_noise_level_steps", steps)
        req, _ = resolve_noise(DenoiseRequest(), y)
        assert req.noise_a == pytest.approx(fit.a - FIT_A_SHRINK * fit.a_se)
        told, fitted = req.noise_a * m + req.noise_b, fit.a * m + fit.b
        if b < B_UNSURE * b_se:
            assert told == pytest.approx(fitted, rel=1e-12)
        else:
            assert req.noise_b == b and told < fitted   # a known b: as before


def test_a_jpeg_verdict_reads_the_jpeg_once(monkeypatch):
    """A JPEG whose fit is signal-dependent is denoised as constant noise at its JPEG reading: the reading that decided
    it (noise_law) is the one the one-sigma estimate takes (noise), not read again (time17: 25 ms of a 256 x 256
    colour file's resolve, made twice), and the level is bit for bit what the estimate makes on its own."""
    from dpm_studio.core.run import noise_jpeg
    from dpm_studio.core.run.noise_level import NoiseFit

    from test_noise_sigma import _jpeg, _picture
    from test_noise_sigma import _file as _noisy

    def steps(img, *a, **k):
        return NoiseFit(1e-4, 1e-5, 1e-4 / 3, 1e-5, "poisson-gaussian")
        yield

    y = _jpeg(_noisy(_picture(True), 15, 3), 95)
    alone = estimate_noise_sigma(y)
    reads = []

    def read(img):
        reads.append(1)
        return noise_jpeg.jpeg_noise_sigma(img)

    monkeypatch.setattr(noise_law, "fit_noise_level_steps", steps)
    monkeypatch.setattr(noise_law, "jpeg_noise_sigma", read)
    monkeypatch.setattr(noise, "jpeg_noise_sigma", read)
    req = jobs.resolve(DenoiseRequest(), y).request
    assert req.noise == "constant" and "JPEG" in req.noise_fit["verdict"]
    assert req.sigma == alone and len(reads) == 1, (req.sigma, alone, reads)   # bit for bit; read once (was twice)
