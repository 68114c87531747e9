"""Mask painting, feathering and undo in numpy; the noise estimate; trajectory bookkeeping."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dpm_studio.gui import maskops
from dpm_studio.gui.analysis import estimate_noise_sigma, frame_indices, rms_change


def test_segment_paints_pixels_within_the_radius():
    m = np.zeros((20, 20), np.float32)
    maskops.paint_segment(m, (5.5, 10.5), (14.5, 10.5), radius=2.0)
    ys, xs = np.mgrid[0:20, 0:20] + 0.5
    u = np.clip((xs - 5.5) / 9.0, 0, 1)
    d = np.hypot(xs - (5.5 + 9 * u), ys - 10.5)
    np.testing.assert_array_equal(m > 0, d <= 2.0)


def test_tiny_brush_paints_the_pixel_under_the_point():
    m = np.zeros((5, 5), np.float32)
    maskops.paint_segment(m, (2.1, 3.9), (2.1, 3.9), radius=0.3)
    assert m.sum() == 1 and m[3, 2] == 1


def test_rect_and_polygon():
    m = np.zeros((10, 10), np.float32)
    maskops.paint_rect(m, (7, 6), (2, 1))
    assert m[1:6, 2:7].all() and m.sum() == 25
    p = np.zeros((20, 20), np.float32)
    maskops.paint_polygon(p, [(2, 2), (18, 2), (18, 18), (2, 18)])
    assert p[2:18, 2:18].all() and p.sum() == 256
    t = np.zeros((20, 20), np.float32)
    maskops.paint_polygon(t, [(0, 0), (20, 0), (0, 20)])
    assert t[0, 0] == 1 and t[19, 19] == 0 and abs(t.sum() - 200) < 25


def test_out_of_bounds_strokes_are_clipped():
    m = np.zeros((8, 8), np.float32)
    assert maskops.paint_segment(m, (-50, -50), (-40, -40), 3) is None
    maskops.paint_segment(m, (-5, 4), (20, 4), 1)
    assert m[4].all()


@settings(max_examples=25, deadline=None)
@given(st.floats(0, 12), st.integers(0, 3))
def test_feather_stays_a_mask(amount, seed):
    rng = np.random.default_rng(seed)
    m = (rng.random((24, 31)) > 0.7).astype(np.float32)
    f = maskops.feather(m, amount)
    assert f.dtype == np.float32 and f.shape == m.shape
    assert f.min() >= 0 and f.max() <= 1


def test_feather_softens_the_edge_and_keeps_far_pixels():
    m = np.zeros((64, 64), np.float32)
    m[16:48, 16:48] = 1
    f = maskops.feather(m, 3.0)
    assert f[32, 32] == 1.0 and f[0, 0] == 0.0 and f[32, 2] == 0.0
    edge = f[32, 4:22]
    assert (np.diff(edge) >= 0).all() and 0.3 < f[32, 15] < 1 and f[32, 16] == 1
    np.testing.assert_array_equal(maskops.feather(m, 0), m)


@settings(max_examples=25, deadline=None)
@given(st.floats(1.5, 12), st.integers(0, 3))
def test_feather_reaches_only_outward(amount, seed):
    """Issue 15, defect 3: every painted pixel is fully replaced; the blend lies outside the stroke."""
    rng = np.random.default_rng(seed)
    m = (rng.random((40, 33)) > 0.8).astype(np.float32)
    f = maskops.feather(m, amount)
    assert (f[m > 0] == 1).all()
    assert (f[m == 0] < 1).any() or (m > 0).all()
    assert f[m == 0].max() > 0 or not m.any()


def test_gaussian_blur_matches_the_requested_sigma():
    a = np.zeros((101, 101), np.float32)
    a[50, 50] = 1
    for sigma in (1.5, 4.0):
        b = maskops.gaussian_blur(a, sigma)
        assert abs(b.sum() - 1) < 1e-4
        x = np.arange(101) - 50
        var = (b.sum(0) * x ** 2).sum()
        assert abs(np.sqrt(var) - sigma) / sigma < 0.1


def test_history_undo_redo_and_limits():
    h = maskops.MaskHistory(max_steps=3)
    m = np.zeros((6, 6), np.float32)
    states = [m.copy()]
    for k in range(5):
        before = m.copy()
        maskops.paint_rect(m, (k, 0), (k + 1, 6))
        assert h.record(before, m)
        states.append(m.copy())
    assert not h.record(m.copy(), m)  # no change, no entry
    for k in range(3):
        assert h.undo(m) is not None
        np.testing.assert_array_equal(m, states[4 - k])
    assert h.undo(m) is None, "only three steps are kept"
    assert h.redo(m) is not None
    np.testing.assert_array_equal(m, states[3])
    before = m.copy()
    m[0, 0] = 0.5
    h.record(before, m)
    assert not h.can_redo(), "a new edit clears the redo stack"


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


def test_frame_indices_and_rms():
    assert frame_indices(10) == set(range(10))
    idx = frame_indices(1000, 200)
    assert len(idx) == 200 and 0 in idx and 999 in idx
    assert frame_indices(0) == set()
    a = np.zeros((4, 4, 3), np.float32)
    assert rms_change(a, a + 0.5) == pytest.approx(0.5)
    assert np.isnan(rms_change(None, a))
