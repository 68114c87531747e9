"""Under a dark desktop palette what the app paints itself must stand out from the window (helper look2,
seen under Xvfb with a dark Fusion palette): the Eraser, Pan and Fit icons were drawn dark grey (60, 60,
60) on a 53, 53, 53 window, the plots' axis text (90, 90, 90) faded into it, and the noise plot's bold
dashed line, the law the next run uses, was drawn 40, 40, 40: invisible."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QCheckBox

from dpm_studio.gui.noise_view import noise_curves
from gui_helpers import pixmap_grey_alpha

DARK = {QPalette.Window: (53, 53, 53), QPalette.WindowText: (220, 220, 220), QPalette.Base: (35, 35, 35),
        QPalette.Text: (220, 220, 220), QPalette.Button: (53, 53, 53), QPalette.ButtonText: (220, 220, 220)}


@pytest.fixture(params=["light", "dark"])
def palette(request):
    app = QApplication.instance()
    old = app.palette()
    if request.param == "dark":
        pal = QPalette(old)
        for group in (QPalette.Active, QPalette.Inactive):
            for role, rgb in DARK.items():
                pal.setColor(group, role, QColor(*rgb))
        app.setPalette(pal)
    yield request.param
    app.setPalette(old)


def _ink_contrast(pm, bg: QColor) -> float:
    """How far the icon's ink is from ``bg`` in grey level (0-1), weighted by its opacity."""
    grey, alpha = pixmap_grey_alpha(pm)
    return float((alpha * np.abs(grey - bg.lightnessF())).sum() / max(alpha.sum(), 1e-9))


def _distance(c: QColor, bg: QColor) -> float:
    return abs(c.lightnessF() - bg.lightnessF())


def test_line_icons_stand_out_from_the_window(make_window, palette):
    win = make_window()
    tb = win.tools_toolbar
    for name in ("eraser", "pan", "fit"):
        act = getattr(win, f"act_{name}")
        bg = tb.widgetForAction(act).palette().color(QPalette.Window)
        c = _ink_contrast(act.icon().pixmap(QSize(tb.iconSize()), QIcon.Normal), bg)
        assert c > 0.5, (name, palette, round(c, 3))


def test_plot_axes_and_the_noise_line_stand_out(make_window, palette):
    win = make_window()
    bg = win.plots.palette().color(QPalette.Window)
    for p in (win.plots.sched, win.plots.trace, win.plots.noise.plot):
        for ax in ("left", "bottom"):
            c = p.getAxis(ax).textPen().color()
            assert _distance(c, bg) > 0.3, (palette, ax, c.getRgb())
    x = np.linspace(0, 1, 5)

    class Fit:   # a flat fit: Curve runs one constant std, drawn as the bold dashed line
        kind, channels, a, b = "constant", None, 0.0, (5 / 255) ** 2
        levels, stds, counts = x, np.full(5, 5 / 255), np.ones(5)

    win.plots.noise.show(noise_curves(Fit(), 5 / 255), "auto")
    lines = [it for it in win.plots.noise._items if type(it).__name__ == "InfiniteLine"]
    assert len(lines) == 1
    assert _distance(lines[0].pen.color(), bg) > 0.5, (palette, lines[0].pen.color().getRgb())


def test_a_grey_image_noise_curve_stands_out(make_window, palette):
    """A grey image's measured stds and fitted curve were drawn (90, 90, 90): on a dark window they were
    barely there (the storm photo under Xvfb)."""
    win = make_window()
    bg = win.plots.palette().color(QPalette.Window)
    x = np.linspace(0, 1, 5)

    class Fit:   # one channel, a sloped fit: the curve runs, drawn bold
        kind, channels, a, b = "poisson-gaussian", None, 1e-3, 1e-4
        levels, stds, counts = x, np.sqrt(1e-3 * x + 1e-4), np.ones(5)

    win.plots.noise.show(noise_curves(Fit(), 0.02), "auto")
    drawn = [it for it in win.plots.noise._items if type(it).__name__ in ("ScatterPlotItem", "PlotDataItem")]
    assert len(drawn) == 2
    for it in drawn:
        c = it.opts["pen"].color() if type(it).__name__ == "PlotDataItem" else it.opts["brush"].color()
        assert _distance(c, bg) > 0.3, (palette, type(it).__name__, c.getRgb())


def test_the_icons_and_plots_follow_a_palette_switched_while_the_app_runs(make_window):
    """A desktop theme switched to dark while the app ran left the icons and axes drawn for the light one:
    dark grey on dark (helper look2). They follow the palette."""
    app = QApplication.instance()
    old = app.palette()
    win = make_window()
    try:
        pal = QPalette(old)
        for group in (QPalette.Active, QPalette.Inactive):
            for role, rgb in DARK.items():
                pal.setColor(group, role, QColor(*rgb))
        app.setPalette(pal)
        QApplication.processEvents()
        tb = win.tools_toolbar
        bg = win.palette().color(QPalette.Window)
        assert bg.lightness() < 80
        for name in ("eraser", "pan", "fit"):
            act = getattr(win, f"act_{name}")
            c = _ink_contrast(act.icon().pixmap(QSize(tb.iconSize()), QIcon.Normal), bg)
            assert c > 0.5, (name, round(c, 3))
        for p in (win.plots.sched, win.plots.trace, win.plots.noise.plot):
            assert _distance(p.getAxis("bottom").textPen().color(), bg) > 0.3
    finally:
        app.setPalette(old)


def test_a_typed_noise_law_stands_out(make_window, palette):
    """The noise law typed by hand (More settings: a, b), the one that runs, was drawn (20, 20, 20)."""
    win = make_window()
    bg = win.plots.palette().color(QPalette.Window)
    win.plots.noise.show(noise_curves(None, 0.02, typed=(1e-3, 1e-4)), "poisson-gaussian")
    drawn = [it for it in win.plots.noise._items if type(it).__name__ == "PlotDataItem"]
    assert drawn, "the typed law is drawn"
    for it in drawn:
        assert _distance(it.opts["pen"].color(), bg) > 0.5, (palette, it.opts["pen"].color().getRgb())


def test_check_box_and_radio_button_indicators_stand_out_from_the_window(make_window, palette):
    """Fusion draws an indicator's edge darker than the window and fills it with the base colour: on the dark
    window (53) an unchecked check box and radio button were 1.3:1 against it, 1.65:1 on the light one (walk15, Xvfb). Their edge reads
    at 3:1 (WCAG 2.1 non-text contrast) now, light or dark."""
    from PySide6.QtWidgets import QRadioButton

    from dpm_studio.gui.theme import contrast

    win = make_window()
    boxes = [b for b in win.findChildren(QCheckBox) if b.isVisible() and b.isEnabled() and not b.isChecked()][:1]
    radio = QRadioButton("off", win.centralWidget())
    radio.show()
    for b in boxes + [radio]:
        img = b.grab().toImage()
        bg = b.palette().color(QPalette.Window)
        seen = max(contrast(QColor(img.pixel(x, y)), bg) for x in range(min(20, img.width()))
                   for y in range(img.height()))
        assert seen >= 3.0, (palette, b.text(), round(seen, 2))
