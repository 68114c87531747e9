"""The window on a small screen (issue: the app would not go below 889 px wide, and at 889 x 650
the toolbar's Fit fell off its bottom). Each test failed before its fix."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from gui_helpers import gradient_image


def _settle(qtbot):
    for _ in range(3):
        QApplication.processEvents()
        qtbot.wait(20)


def _inside(widget, window) -> bool:
    r = widget.rect().translated(widget.mapTo(window, widget.rect().topLeft()))
    return widget.isVisible() and r.left() >= 0 and r.top() >= 0 and r.right() < window.width() \
        and r.bottom() < window.height()


@pytest.mark.parametrize("size", [(760, 600), (889, 650), (1400, 900)])
def test_the_window_fits_a_small_screen_with_every_tool_and_choice(qtbot, win, size):
    win.files.set_image(gradient_image(64, 64))
    win.result_bar.set_review(True, 5)
    win.resize(*size)
    _settle(qtbot)
    assert win.width() <= size[0] and win.height() <= size[1], (win.size(), size)
    assert _inside(win.side_dock, win), (win.side_dock.geometry(), size)
    tb = win.tools_toolbar
    for a in tb.actions():
        if a.isSeparator():
            continue
        b = tb.widgetForAction(a)
        assert b is not None and b.isVisible() and b.geometry().bottom() < tb.height(), (a.iconText(), size)
    bar = win.result_bar
    for w in (bar.slider, bar.x_button, bar.x0_button, bar.split_button, bar.discard_button, bar.accept_button):
        assert _inside(w, win), (w, size)
    for b in (bar.split_button, bar.discard_button, bar.accept_button):
        assert b.fontMetrics().horizontalAdvance(b.text()) + 12 <= b.width(), (b.text(), size)
    assert win.canvas.width() >= 300 and win.canvas.height() >= 300, (win.canvas.size(), size)


def test_the_toolbar_keeps_its_words_where_there_is_room(qtbot, win):
    from PySide6.QtCore import Qt

    win.resize(1400, 900)
    _settle(qtbot)
    assert win.tools_toolbar.toolButtonStyle() == Qt.ToolButtonTextUnderIcon
    assert not win.result_bar.two_rows()
    win.resize(760, 600)
    _settle(qtbot)
    assert win.tools_toolbar.toolButtonStyle() == Qt.ToolButtonIconOnly
    assert all(a.toolTip() for a in win.tools_toolbar.actions() if not a.isSeparator())


@pytest.mark.parametrize("controls", [True, False])
@pytest.mark.parametrize("width", [0, 551])   # 0: the window's least width
def test_the_review_bar_keeps_its_words_whole_down_to_the_windows_least_width(qtbot, win, controls, width):
    """At 551 px (the window's least width with the Controls shown, Xvfb) the review bar's scrub row was given
    18 px less than it needed (its margins were left out) and "predicted x₀" was cut to "predicted". Now every
    choice keeps the room its words need, "pred. x₀" where the row is short (the tooltip says it whole)."""
    win.files.set_image(gradient_image(64, 64))
    win.result_bar.set_review(True, 5)
    win.side_dock.setVisible(controls)
    for _ in range(2):   # the second once the Controls went as narrow as they go (compact.CompactControls)
        win.resize(width, 600)
        _settle(qtbot)
    assert win.width() == max(width, win.minimumSizeHint().width()), (win.width(), width)
    bar = win.result_bar
    for w in (bar.x_button, bar.x0_button, bar.split_button, bar.discard_button, bar.accept_button):
        assert _inside(w, win), (w, win.width())
        assert w.width() >= w.sizeHint().width() or w.width() >= w.minimumWidth() > 0, (w, w.width(), w.sizeHint())
    assert bar.x0_button.shown() in ("predicted x\u2080", "pred. x\u2080") and "Predicted x\u2080" in bar.x0_button.toolTip()
    win.resize(1100, 760)
    _settle(qtbot)
    assert bar.x0_button.shown() == "predicted x\u2080", "whole where there is room"
