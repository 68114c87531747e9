"""A narrow window's Controls and the error hint's colour on a dark palette (helper appux2, on Xvfb at
760 x 600 and 1280 x 800, light and dark). Each test failed before its fix."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QWidget

from gui_helpers import gradient_image
from test_dark_notes import derived_dark  # noqa: F401  (the dark palette, a fixture)


def _settle(qtbot, n=4):
    for _ in range(n):
        QApplication.processEvents()
        qtbot.wait(20)


def _clipped(side: QWidget) -> list:
    """The visible widgets of the Controls narrower than they can be drawn (a label or button cut off)."""
    out = []
    for w in side.findChildren(QWidget):
        if w.isVisible() and not w.objectName().startswith("qt_") and w.width() < w.minimumSizeHint().width():
            text = w.text() if isinstance(w, (QLabel, QAbstractButton)) else type(w).__name__
            out.append((text, w.width(), w.minimumSizeHint().width()))
    return out


def test_the_controls_go_narrow_in_a_narrow_window_and_clip_nothing(qtbot, win):
    """At 760 x 600 the Controls went no narrower than 312 px (rows of label and field side by side): the canvas
    was 379 px wide. Now the rows put their labels above their fields there and the dock is as narrow as that
    lets it be; every task, More settings folded and not, nothing is cut off and nothing scrolls sideways."""
    win.files.set_image(gradient_image(64, 64))
    win.resize(760, 600)
    _settle(qtbot)
    scroll = win.side_dock.widget()
    side = scroll.widget()
    assert win.canvas.width() >= 440, win.canvas.width()
    tp = win.task_panel
    for task in ("inpaint", "denoise", "sample"):
        tp.set_task(task)
        for more in (False, True):
            if tp.more.isChecked() != more:
                tp.more.click()
            _settle(qtbot, 2)
            assert side.width() <= scroll.viewport().width(), (task, more, "cut at the right edge")
            assert side.width() >= side.minimumSizeHint().width(), (task, more, side.minimumSizeHint())
            assert not _clipped(side), (task, more, _clipped(side))
    win.resize(1280, 800)   # wide again: the dock's own width, its rows side by side
    _settle(qtbot)
    assert win.side_dock.width() >= 320, win.side_dock.width()
    tp.set_task("inpaint")
    _settle(qtbot)
    page = tp.pages["inpaint"]
    assert page.start.geometry().top() < 4, ("label beside the field", page.width(), page.start.geometry())


def _hint_contrast(tp) -> float:
    from dpm_studio.gui.run_bar import contrast

    tp.hint.ensurePolished()
    fg = tp.hint.palette().color(QPalette.WindowText)
    return contrast(fg, tp.run_bar.palette().color(QPalette.Window))


def test_the_error_hint_reads_on_a_light_and_a_dark_window(qtbot, make_window, derived_dark):
    """#c0392b on the dark window (53, 53, 53) is 2.3 to 1 (WCAG asks 4.5 for text): the hint that says why Run
    cannot start was hard to read. Its red is chosen by the palette, also when the palette changes."""
    from dpm_studio.gui.run_bar import contrast

    tp = make_window().task_panel
    tp.set_hint("this model cannot inpaint")   # an error: red
    assert _hint_contrast(tp) >= 4.5, _hint_contrast(tp)
    assert tp.hint.palette().color(QPalette.WindowText).red() > 200, "still a red"
    QApplication.instance().setPalette(QPalette(QColor(239, 239, 239)))   # the desktop turns light
    _settle(qtbot, 1)
    assert _hint_contrast(tp) >= 4.5, _hint_contrast(tp)
    assert contrast(QColor("#c0392b"), QColor(53, 53, 53)) < 4.5 <= contrast(QColor("#c0392b"), QColor(239, 239, 239))


def test_a_narrow_window_shows_the_model_note_and_welcome_whole(qtbot, win):
    """At 760 x 600 (Xvfb): the denoising model's name was cut mid-word ("Photos (colour), denoising: sh"),
    the noise note beside an empty label read "estimated 14.8 for this i...", and the empty canvas's welcome
    was cut at both sides ("File > Open (Ctrl+O), drag and drop a file here, or paste (")."""
    win.resize(760, 600)
    _settle(qtbot)
    welcome = win.empty_label
    assert welcome.isVisible()
    assert welcome.size() == win.canvas.size(), (welcome.size(), win.canvas.size())   # centred on the canvas
    assert welcome.wordWrap() and welcome.heightForWidth(welcome.width()) <= welcome.height()
    tp = win.task_panel
    combo = tp.checkpoint
    combo.setItemText(combo.currentIndex(), "Photos (colour), denoising: sharper and longer still")
    tp.set_task("denoise")
    dp = tp.pages["denoise"]
    dp.show_estimate(14.8)
    _settle(qtbot)
    assert dp.noise_note.shown() == "estimated noise std 14.8 / 255", dp.noise_note.shown()
    shown = combo.shown()   # drawn with an ellipsis, not cut
    assert shown.endswith("\u2026") and shown != combo.currentText(), shown


@pytest.mark.parametrize("size", [(760, 600), (1280, 800)])
def test_the_mask_coverage_shows_whole(qtbot, win, size):
    """In the narrow dock the coverage ("empty: paint the region to fill") beside Show and Soft made the Controls
    306 px wide; it wraps there, on one line where it fits, and every line shows (wrapped beside its right
    alignment it was cut to "empty: the whole / ima" at 1280 x 800, seen on Xvfb)."""
    win.resize(*size)
    win.files.set_image(gradient_image(64, 64))
    for task in ("inpaint", "denoise"):
        win.task_panel.set_task(task)
        _settle(qtbot)
        c = win.mask_panel.coverage
        assert c.height() >= c.heightForWidth(c.width()), (task, c.text(), c.size(), c.heightForWidth(c.width()))
        if size[0] >= 1280:
            assert c.heightForWidth(c.width()) <= c.fontMetrics().lineSpacing() + 2, "one line where it fits"
