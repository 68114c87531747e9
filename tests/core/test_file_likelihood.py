"""The file's noise as the denoiser is told it: low noise on 8-bit files (docs/file-likelihood.md)."""

from __future__ import annotations

import numpy as np
import pytest

from dpm_studio.core.run.jobs import resolve
from dpm_studio.core.run.noise import LOW_NOISE, estimate_noise_sigma, median_noise_sigma
from dpm_studio.core.run.requests import DenoiseRequest


def _file(sigma255, seed, colour=False):
    """An 8-bit file of a ramp with a ripple and a square, noise of std ``sigma255`` (0-255 units)."""
    yy, xx = np.mgrid[0:128, 0:128] / 128
    clean = 0.2 + 0.6 * xx + 0.05 * np.sin(9 * yy)
    clean[40:90, 30:100] = 0.7
    if colour:
        clean = np.stack([clean, 0.9 * clean, 1 - clean], 2)
    rng = np.random.default_rng(seed)
    return (np.clip(np.round((clean + sigma255 / 255 * rng.standard_normal(clean.shape)) * 255), 0, 255)
            / 255).astype(np.float32)


@pytest.mark.parametrize("sigma255", [1.2, 2.5, 4.0])
def test_low_noise_on_an_8_bit_file_is_read_from_the_fit(sigma255):
    """The median of an 8-bit file's Haar details moves in steps of 0.5 / 255, 0.74 / 255 of sigma: 1.2 read
    1.48, 2.5 read 2.22 (a denoiser told 2.2-3.7 for 1 lost 1-4 dB, docs/file-likelihood.md). Below
    LOW_NOISE the fitted law is read instead."""
    for seed in range(3):
        y = _file(sigma255, seed)
        assert median_noise_sigma(y) < LOW_NOISE
        assert abs(estimate_noise_sigma(y) * 255 - sigma255) < 0.06 * sigma255 + 0.05


def test_the_default_denoise_runs_the_low_noise_level():
    """--noise auto whose fit says constant runs that level (the app's estimate shows the same number)."""
    y = _file(1.2, 0, colour=True)
    req = resolve(DenoiseRequest(), y).request
    assert req.noise == "constant" and req.sigma == estimate_noise_sigma(y)
    assert abs(req.sigma * 255 - 1.2) < 0.12


def test_above_low_noise_and_nothing_measurable_are_the_median():
    y = _file(15, 0)
    assert estimate_noise_sigma(y) == median_noise_sigma(y)
    flat = np.full((64, 64), 0.5, np.float32)
    assert estimate_noise_sigma(flat) == 0.0


def test_low_noise_shared_by_the_channels_is_not_read_as_texture():
    """A grey picture stored as RGB (or a JPEG's chroma-subsampled noise): the channels' noise is one. The colour
    fit takes what the channels share for texture and read 0.0003 / 255 here; each channel is fitted alone."""
    for sigma255 in (2.0, 4.0):
        grey = _file(sigma255, 1)
        y = np.repeat(grey[:, :, None], 3, 2)
        assert abs(estimate_noise_sigma(y) * 255 - sigma255) < 0.06 * sigma255 + 0.05


def test_a_colour_jpegs_noise_is_read_from_its_dct():
    """A colour JPEG (quality 95, chroma subsampled) of noise 5: its channels share their noise and the fine
    detail it is read from was partly quantised away: the colour fit reads 0.35, the channels' own fits 3.5, the
    median 3.7 (on a held-out photo a denoiser told the lower number lost 1.3 dB; docs/file-likelihood.md).
    The JPEG's own coefficients read the noise it held (core/run/noise_jpeg.py): 5.2."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.round(_file(5, 2, colour=True) * 255).astype(np.uint8)).save(buf, "JPEG", quality=95)
    y = np.asarray(Image.open(io.BytesIO(buf.getvalue())), np.float32) / 255
    assert 0 < median_noise_sigma(y) < LOW_NOISE
    assert abs(estimate_noise_sigma(y) * 255 - 5) < 0.5 < abs(median_noise_sigma(y) * 255 - 5)
