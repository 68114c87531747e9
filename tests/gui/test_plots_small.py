"""The plots before a run, after a one-frame run, and in a narrow window (seen on Xvfb); each test
failed before its fix."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from gui_helpers import gradient_image


def _settle(qtbot):
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(20)


def drawn_ticks(axis) -> list[str]:
    """The tick labels the axis draws (its own layout of them, custom ticks included)."""
    img = QImage(10, 10, QImage.Format_ARGB32)
    p = QPainter(img)
    try:
        specs = axis.generateDrawSpecs(p)
    finally:
        p.end()
    return [] if specs is None or not axis.style["showValues"] else [t[2] for t in specs[2]]


def test_the_trace_before_any_run_has_no_numbers_but_a_note(qtbot, win):
    d = win.plots
    d.show()
    _settle(qtbot)
    assert drawn_ticks(d.trace.getAxis("left")) == [] and drawn_ticks(d.trace.getAxis("bottom")) == []
    assert d.no_run.isVisible() and d.no_run.toPlainText() == "no run yet"
    d.start_run(4)
    d.update_run(SimpleNamespace(rms=[0.02, 0.01], index=1, t=3, done=False, ess=None), now=True)
    _settle(qtbot)
    assert not d.no_run.isVisible()
    assert drawn_ticks(d.trace.getAxis("left")) and drawn_ticks(d.trace.getAxis("bottom"))
    d.clear_run()   # another image opened: no run on it yet
    assert d.no_run.isVisible() and drawn_ticks(d.trace.getAxis("left")) == []


def test_a_one_frame_run_shows_its_point_on_a_readable_axis(qtbot, win):
    """One frame of RMS 4.2e-5 drew a lone dot at the right edge under a '5e-05' tick."""
    d = win.plots
    d.show()
    d.start_run(1)
    d.update_run(SimpleNamespace(rms=[4.2e-5], index=0, t=1, done=True, ess=None), now=True)
    d.end_run()
    _settle(qtbot)
    labels = drawn_ticks(d.trace.getAxis("left"))
    assert labels and not any("e" in t for t in labels), labels
    assert all(float(t) >= 0 for t in labels)
    (x0, x1), (y0, y1) = d.trace.viewRange()
    assert x0 < 1 - 0.2 and x1 > 1 + 0.2, (x0, x1)   # the point inside the plot, not on its edge
    assert y0 <= 4.2e-5 <= y1
    assert d.trace_curve.opts["symbol"] is not None, "a single point drawn as a dot"
    assert drawn_ticks(d.trace.getAxis("bottom")) == ["1"]


@pytest.mark.parametrize("size", [(760, 600), (889, 650)])
def test_the_three_plots_fit_a_narrow_window(qtbot, win, size):
    """At the window's least width the noise curve was off the dock's right edge (a sideways scroll)."""
    win.resize(*size)
    win.plots.show()
    win.files.set_image(gradient_image(64, 64))
    _settle(qtbot)
    _settle(qtbot)
    d = win.plots
    assert d.scroll.horizontalScrollBar().maximum() == 0, "no sideways scroll"
    right = d.scroll.viewport().width()
    for p, view in d.plot_views():
        d.reveal(view)   # in tabs, the tab that holds it
        _settle(qtbot)
        r = p.sceneBoundingRect()
        assert r.left() >= 0 and r.right() <= view.viewport().width() + 1, (p.titleLabel.text, r)
        assert view.geometry().right() <= right + 1, (view.geometry(), right)
        assert p.titleLabel.item.boundingRect().width() <= r.width() + 1, p.titleLabel.text
        label = p.getAxis("bottom").label
        assert label.boundingRect().width() <= p.vb.width() + 1, label.toPlainText()
        assert view.height() >= 140, view.height()


def test_the_trace_labels_both_ends_of_its_axis_in_a_short_dock(qtbot, win):
    """In the 760 x 600 window the trace's axis read "12.5" alone: its 0 and 25 sat on the plot's edges."""
    win.resize(760, 600)
    d = win.plots
    d.show()
    _settle(qtbot)
    d.start_run(6)
    d.update_run(SimpleNamespace(rms=np.full(6, 0.07), index=5, t=1, done=True, ess=None), now=True)
    _settle(qtbot)
    assert drawn_ticks(d.trace.getAxis("left")) == ["0", "12.5", "25"], drawn_ticks(d.trace.getAxis("left"))
