"""During a run the toolbar's Undo and Redo (and every other action the run greys) must look greyed,
not only be disabled (helper appfix3). Their painted icons had no disabled pixmap of their own, and
the style's generated one kept a dark grey icon dark: under Fusion 60% of its contrast, under a
dark palette 2.9 times it, so a greyed Undo looked active during a run."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from gui_helpers import image_with_mask, pixmap_grey_alpha


def _contrast(pm, bg: QColor) -> float:
    """How much the icon stands out from ``bg``: the alpha-weighted grey-level difference, summed."""
    grey, alpha = pixmap_grey_alpha(pm)
    return float((alpha * np.abs(grey - QColor(bg).lightnessF())).sum())


@pytest.fixture(params=["default", "dark"])
def palette(request):
    app = QApplication.instance()
    old = app.palette()
    if request.param == "dark":   # a dark desktop theme
        pal = QPalette(old)
        for group in (QPalette.Active, QPalette.Inactive, QPalette.Disabled):
            pal.setColor(group, QPalette.Window, QColor(43, 43, 43))
            pal.setColor(group, QPalette.Button, QColor(53, 53, 53))
        app.setPalette(pal)
    yield request.param
    app.setPalette(old)


def test_the_buttons_a_run_greys_look_greyed(qtbot, make_window, palette):
    win = make_window()
    image_with_mask(win, 32)
    assert win.act_undo.isEnabled()          # the mask can be undone before the run
    assert win.runs.run() and win.session.state == "running"
    try:
        tb = win.tools_toolbar
        for name in ("undo", "redo", "brush", "invert"):
            act = getattr(win, f"act_{name}")
            button = tb.widgetForAction(act)
            assert not act.isEnabled() and not button.isEnabled(), name
            size = QSize(tb.iconSize())
            bg = button.palette().color(QPalette.Disabled, QPalette.Window)
            normal = _contrast(act.icon().pixmap(size, QIcon.Normal), bg)
            greyed = _contrast(act.icon().pixmap(size, QIcon.Disabled), bg)
            assert greyed <= 0.5 * normal, (name, palette, greyed / normal)
    finally:
        qtbot.waitUntil(lambda: not win.runner.is_running(), timeout=20000)
