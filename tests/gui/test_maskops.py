"""Mask painting and undo in numpy; trajectory bookkeeping."""

from __future__ import annotations

import numpy as np
import pytest

from dpm_studio.gui.model import maskops
from dpm_studio.gui.model.history import History
from dpm_studio.gui.model.analysis import frame_indices, rms_change


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


def test_history_undo_redo_and_limits():
    h = History(max_steps=3)
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


def test_frame_indices_and_rms():
    assert frame_indices(10) == set(range(10))
    idx = frame_indices(1000, 200)
    assert len(idx) == 200 and 0 in idx and 999 in idx
    assert frame_indices(0) == set()
    a = np.zeros((4, 4, 3), np.float32)
    assert rms_change(a, a + 0.5) == pytest.approx(0.5)
    assert np.isnan(rms_change(None, a))
