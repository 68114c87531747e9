"""Colours drawn by the app itself (painted icons, plot axes and lines), taken from the palette.

Fixed dark greys were drawn on whatever the window colour was: under a dark desktop palette the
Eraser, Pan and Fit icons (60, 60, 60 on 53, 53, 53), the plots' axis text and the noise plot's
bold dashed line (the law a run uses) all but vanished (seen under Xvfb with a dark Fusion palette).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

__all__ = ["is_dark", "ink"]


def _palette() -> QPalette:
    app = QGuiApplication.instance()
    return app.palette() if app is not None else QPalette()


def is_dark(palette: QPalette | None = None) -> bool:
    """The window colour is dark (a dark desktop theme): lines drawn on it must be light."""
    return (palette or _palette()).color(QPalette.Window).lightness() < 128


def ink(strength: float = 1.0, palette: QPalette | None = None) -> QColor:
    """The window text colour, faded toward the window colour: ``strength`` 1 is the text itself, 0 the
    window. Under the default light palette 0.62 gives the axis grey used so far (about 90, 90, 90)."""
    pal = palette or _palette()
    t, w = pal.color(QPalette.WindowText), pal.color(QPalette.Window)
    s = min(max(float(strength), 0.0), 1.0)
    mix = [round(s * a + (1 - s) * b) for a, b in zip(t.getRgb()[:3], w.getRgb()[:3])]
    return QColor(*mix)
