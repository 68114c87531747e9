"""The mask a run fills (hard, soft, feathered) and the noise estimate: one rule for every front end."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dpm_studio.core.run import masks
from dpm_studio.core.run.noise import estimate_noise_sigma


@settings(max_examples=25, deadline=None)
@given(st.floats(0, 12), st.integers(0, 3))
def test_feather_stays_a_mask(amount, seed):
    rng = np.random.default_rng(seed)
    m = (rng.random((24, 31)) > 0.7).astype(np.float32)
    f = masks.feather(m, amount)
    assert f.dtype == np.float32 and f.shape == m.shape
    assert f.min() >= 0 and f.max() <= 1


def test_feather_softens_the_edge_and_keeps_far_pixels():
    m = np.zeros((64, 64), np.float32)
    m[16:48, 16:48] = 1
    f = masks.feather(m, 3.0)
    assert f[32, 32] == 1.0 and f[0, 0] == 0.0 and f[32, 2] == 0.0
    edge = f[32, 4:22]
    assert (np.diff(edge) >= 0).all() and 0.3 < f[32, 15] < 1 and f[32, 16] == 1
    np.testing.assert_array_equal(masks.feather(m, 0), m)


@settings(max_examples=25, deadline=None)
@given(st.floats(1.5, 12), st.integers(0, 3))
def test_feather_reaches_only_outward(amount, seed):
    """Issue 15, defect 3: every painted pixel is fully replaced; the blend lies outside the stroke."""
    rng = np.random.default_rng(seed)
    m = (rng.random((40, 33)) > 0.8).astype(np.float32)
    f = masks.feather(m, amount)
    assert (f[m > 0] == 1).all()
    assert (f[m == 0] < 1).any() or (m > 0).all()
    assert f[m == 0].max() > 0 or not m.any()


def test_gaussian_blur_matches_the_requested_sigma():
    a = np.zeros((101, 101), np.float32)
    a[50, 50] = 1
    for sigma in (1.5, 4.0):
        b = masks.gaussian_blur(a, sigma)
        assert abs(b.sum() - 1) < 1e-4
        x = np.arange(101) - 50
        var = (b.sum(0) * x ** 2).sum()
        assert abs(np.sqrt(var) - sigma) / sigma < 0.1


@pytest.mark.parametrize("sigma255", [5, 15, 25, 50])
def test_noise_estimate(sigma255):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:128, 0:128] / 128
    clean = np.stack([xx, yy, 0.5 + 0.25 * np.sin(8 * xx)], 2)
    clean[40:90, 30:100] = 0.8  # an object with sharp edges
    noisy = clean + sigma255 / 255 * rng.standard_normal(clean.shape)
    est = estimate_noise_sigma(noisy) * 255
    assert abs(est - sigma255) < 0.12 * sigma255 + 0.5
    assert estimate_noise_sigma(clean) * 255 < 1.0


def test_noise_estimate_of_a_large_image_reads_all_of_it():
    """One rule for every front end: beyond MAX_BLOCKS blocks, a grid over the whole image.
    The app once measured only the central 2048 x 2048: here that is a clipped white sky
    (no noise to see), and the noise is in the border around it."""
    from dpm_studio.core.run import noise

    rng = np.random.default_rng(1)
    side = 2 * int(np.sqrt(noise.MAX_BLOCKS)) + 300  # more blocks than MAX_BLOCKS
    img = np.clip(0.5 + 20 / 255 * rng.standard_normal((side, side)), 0, 1)
    c = side // 2
    img[c - 1024:c + 1024, c - 1024:c + 1024] = 1.0
    assert abs(estimate_noise_sigma(img) * 255 - 20) < 1.5
    assert estimate_noise_sigma(img[c - 1024:c + 1024, c - 1024:c + 1024]) == 0.0


def test_noise_estimate_beyond_max_blocks_reads_a_regular_grid(monkeypatch):
    """Beyond MAX_BLOCKS blocks only every step-th block row and column is read (a 12 MP photo in
    0.09 s, not 1.3 s): with 4 x MAX_BLOCKS blocks the step is 2, so noise in the odd block rows
    alone is not seen, and noise everywhere still is."""
    from dpm_studio.core.run import noise

    monkeypatch.setattr(noise, "MAX_BLOCKS", 32 * 32)
    rng = np.random.default_rng(2)
    everywhere = np.clip(0.5 + 20 / 255 * rng.standard_normal((128, 128)), 0, 1)
    assert abs(estimate_noise_sigma(everywhere) * 255 - 20) < 3
    odd_rows = np.full((128, 128), 0.5)
    for r in range(1, 64, 2):  # block row r is pixel rows 2r, 2r + 1
        odd_rows[2 * r:2 * r + 2] = everywhere[2 * r:2 * r + 2]
    assert estimate_noise_sigma(odd_rows) == 0.0
