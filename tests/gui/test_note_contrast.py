"""The notes' grey (the model's line, the mask's coverage, the noise estimate, the sample's size note) was a fixed
#8a8a8a: 3.0:1 on the light window (239) and 3.6:1 on a dark one (53), under WCAG AA's 4.5:1 for body text
(helper app15). It is the grey made readable on the window now, and follows a switch of theme. The test failed
before the fix."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


def _dark() -> QPalette:
    pal = QPalette(QColor(53, 53, 53))   # what a theme that sets only its colours gives (tests/gui/test_dark_notes.py)
    for group in (QPalette.Active, QPalette.Inactive):
        for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
            pal.setColor(group, role, QColor(220, 220, 220))
    return pal


def _notes(win):
    tp = win.task_panel
    return {"coverage": win.mask_panel.coverage, "model": tp.model_info, "noise": tp.noise_note,
            "sample": tp.pages["sample"].note}


def test_notes_read_at_4_5_to_1_on_light_and_dark_windows(qtbot, make_window):
    from dpm_studio.gui.theme import contrast

    app = QApplication.instance()
    light = app.palette()
    try:
        win = make_window()
        for theme in ("light", "dark", "light again"):   # switched while the window is open, as a desktop does
            app.setPalette(_dark() if theme == "dark" else light)
            qtbot.wait(10)
            bg = win.palette().color(QPalette.Window)
            for name, label in _notes(win).items():
                label.ensurePolished()
                fg = label.palette().color(QPalette.WindowText)
                assert contrast(fg, bg) >= 4.5, (theme, name, fg.getRgb(), bg.getRgb(), contrast(fg, bg))
    finally:
        app.setPalette(light)


def test_the_plots_titles_and_axis_text_read_at_4_5_to_1(qtbot, make_window):
    """pyqtgraph's title grey (150, 150, 150) was 2.6:1 on the light window ("RMS change of x", the noise curve's
    "Curve (flat): σ = 5.9", seen under Xvfb); the axis text, ink(0.62), 4.45:1 on a dark one."""
    import pyqtgraph as pg

    from dpm_studio.gui.theme import contrast

    app = QApplication.instance()
    light = app.palette()
    try:
        win = make_window()
        win.plots.show()
        for theme in ("light", "dark"):
            app.setPalette(_dark() if theme == "dark" else light)
            qtbot.wait(10)
            bg = win.palette().color(QPalette.Window)
            for p in (win.plots.sched, win.plots.trace, win.plots.noise.plot):
                title = pg.mkColor(p.titleLabel.opts["color"] or pg.getConfigOption("foreground"))
                axis = p.getAxis("bottom").textPen().color()
                for what, c in (("title", title), ("axis", axis)):
                    assert contrast(c, bg) >= 4.5, (theme, p.titleLabel.text, what, c.getRgb(), contrast(c, bg))
    finally:
        app.setPalette(light)
