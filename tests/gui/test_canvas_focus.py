"""Where the keyboard focus is, seen: the canvas, where the focus goes back when the window is active again
(after Alt+Esc under openbox lowered and unfocused it, after a dialog closes, after Run), drew no sign of it,
so a keyboard user saw no focus anywhere (seen under Xvfb). It draws a frame in the highlight colour while it
has the focus."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication


def _edge(canvas):
    img = canvas.viewport().grab().toImage()
    return img.pixelColor(0, img.height() // 2), img.pixelColor(img.width() // 2, 0)


def test_the_canvas_shows_that_it_has_the_focus(qtbot, win):
    from gui_helpers import gradient_image

    win.files.set_image(gradient_image(32, 32))
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    highlight = win.canvas.palette().color(QPalette.Highlight)
    win.canvas.setFocus()
    qtbot.waitUntil(win.canvas.hasFocus)
    assert all(c == highlight for c in _edge(win.canvas)), [c.name() for c in _edge(win.canvas)]
    win.task_panel.run_button.setFocus()   # Tab away: the frame goes
    qtbot.waitUntil(lambda: not win.canvas.hasFocus())
    assert all(c != highlight for c in _edge(win.canvas))
    win.canvas.setFocus()   # and comes back with the focus
    qtbot.waitUntil(win.canvas.hasFocus)
    assert all(c == highlight for c in _edge(win.canvas))
    assert not np.array_equal(highlight.getRgb(), win.canvas.backgroundBrush().color().getRgb())
