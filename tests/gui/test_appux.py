"""Defects a demanding new user found by driving the window under a real X server (Xvfb +
openbox, xdotool, screenshots), each held by a test that failed before its fix."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from gui_helpers import gradient_image


def _settle(qtbot):
    QApplication.processEvents()
    qtbot.wait(20)
    QApplication.processEvents()


def _fits(widget, text=None) -> bool:
    text = widget.text() if text is None else text
    return widget.fontMetrics().horizontalAdvance(text) <= widget.width()


@pytest.mark.parametrize("size", [(1100, 760), (1400, 900), (1920, 1080)])
def test_the_denoise_page_shows_the_whole_sigma_and_its_note(qtbot, win, size):
    """At 1400 px the std box read "10.4 / 25" and the note "estimated 10.4 for this imag"."""
    win.resize(*size)
    win.files.set_image(gradient_image())
    win.task_panel.set_task("denoise")
    page = win.task_panel.pages["denoise"]
    page.show_estimate(10.4)
    _settle(qtbot)
    edit = page.sigma.lineEdit()
    assert page.sigma.text() == "10.4 / 255"
    assert _fits(edit, "255.0 / 255"), (edit.width(), size)
    assert page.noise_note.text() == "estimated 10.4 for this image"
    assert _fits(page.noise_note), (page.noise_note.width(), size)
    for w in (page.estimate, page.noise_controls.model):
        assert w.width() >= w.minimumSizeHint().width(), (w, size)
