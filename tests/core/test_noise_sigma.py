"""The one-sigma estimate (core/run/noise.py) on nearly clean 8-bit files (the plain median read 0.74 for 1, 2.22
for 2, 2.97 for 2 beside texture), and the plain median itself at higher noise."""

import numpy as np
import pytest

from dpm_studio.core.run.noise import estimate_noise_sigma, median_noise_sigma


def _file(clean, sigma255, seed):
    rng = np.random.default_rng(seed)
    return np.clip(np.round((clean + sigma255 / 255 * rng.standard_normal(clean.shape)) * 255), 0, 255) / 255


def _ramp(h=192, w=192):
    return np.tile(np.linspace(0.2, 0.8, w), (h, 1))[:, :, None].repeat(3, 2)


@pytest.mark.parametrize("sigma", [0, 1, 2, 3])
def test_light_noise_on_an_8_bit_file_reads_its_level(sigma):
    # the plain median of 8-bit details sits on a lattice of half steps: it read 0 or 0.74 at sigma 0-1,
    # 2.22 at sigma 2 (half a step / 0.6745 apart), whatever the noise
    est = estimate_noise_sigma(_file(_ramp(), sigma, 5 + sigma)) * 255
    assert abs(est - sigma) < 0.15, est


def test_texture_beside_a_smooth_part_is_not_read_as_noise():
    # a clean file half fine texture (+-6 steps, its own), half a smooth ramp; then sigma 2 on all of it:
    # the median of all blocks read the texture (2.97), the smooth blocks read the noise
    rng = np.random.default_rng(1)
    clean = _ramp(192, 256)
    clean[:, :128] += rng.uniform(-6, 6, (192, 128, 3)) / 255
    clean = np.round(clean * 255) / 255
    assert estimate_noise_sigma(clean) * 255 < 0.3
    est = estimate_noise_sigma(_file(clean, 2, 2)) * 255
    assert abs(est - 2) < 0.2, est


@pytest.mark.parametrize("sigma", [15, 25, 50])
def test_constant_noise_reads_as_before_to_the_bit(sigma):
    # the denoiser's constant-noise rows (docs/benchmarks.md) were measured with the plain median
    y = _file(_ramp(), sigma, sigma)
    assert estimate_noise_sigma(y) == median_noise_sigma(y)
    assert abs(estimate_noise_sigma(y) * 255 - sigma) < 0.1 * sigma
