"""Under a dark palette derived from a dark button colour (``QPalette(QColor(53, 53, 53))``, what a theme that
sets only its colours gives; helper appux, on Xvfb): the model's line and the mask's coverage, drawn in
palette(mid) (35 on 53), and the greyed Steps, Seed and Samples boxes (disabled text 26 on a 35 field) were
unreadable. Both tests failed before the fix."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

TEXT = (220, 220, 220)


@pytest.fixture
def derived_dark():
    app = QApplication.instance()
    old = app.palette()
    pal = QPalette(QColor(53, 53, 53))
    for group in (QPalette.Active, QPalette.Inactive):
        for role, rgb in ((QPalette.WindowText, TEXT), (QPalette.Text, TEXT), (QPalette.ButtonText, TEXT),
                          (QPalette.Base, (35, 35, 35))):
            pal.setColor(group, role, QColor(*rgb))
    pal.setColor(QPalette.Disabled, QPalette.Base, QColor(35, 35, 35))
    app.setPalette(pal)
    yield pal
    app.setPalette(old)


def _lightness_gap(a: QColor, b: QColor) -> float:
    return abs(a.lightnessF() - b.lightnessF())


def test_notes_read_on_a_dark_window(make_window, derived_dark):
    win = make_window()
    for label in (win.mask_panel.coverage, win.task_panel.model_info):
        label.ensurePolished()
        fg = label.palette().color(QPalette.WindowText)
        bg = win.palette().color(QPalette.Window)
        assert _lightness_gap(fg, bg) > 0.25, (label.text(), fg.getRgb(), bg.getRgb())


def test_greyed_boxes_show_their_numbers_on_a_dark_palette(make_window, derived_dark):
    win = make_window()
    steps = win.task_panel.steps
    win.task_panel.steps_all.setChecked(True)   # the Steps box greyed: all of the model's steps
    assert not steps.isEnabled()
    pal = steps.palette()
    gap = _lightness_gap(pal.color(QPalette.Disabled, QPalette.Text), pal.color(QPalette.Disabled, QPalette.Base))
    assert gap >= 0.2, gap


def test_a_light_palette_and_a_readable_dark_one_are_left_alone(qtbot):
    from dpm_studio.gui.theme import mend_disabled

    app = QApplication.instance()
    old = app.palette()
    try:
        assert not mend_disabled(app)   # the tests' light palette
        pal = QPalette(old)
        for group in (QPalette.Active, QPalette.Inactive, QPalette.Disabled):
            for role, rgb in ((QPalette.Window, (53, 53, 53)), (QPalette.Base, (35, 35, 35)),
                              (QPalette.Button, (53, 53, 53))):
                pal.setColor(group, role, QColor(*rgb))
        for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
            pal.setColor(QPalette.Disabled, role, QColor(130, 130, 130))
        app.setPalette(pal)
        assert not mend_disabled(app)
    finally:
        app.setPalette(old)
