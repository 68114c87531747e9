"""Tool icons drawn with QPainter, so the app needs no icon theme; and the application icon (from resources/)."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

from .theme import is_dark

SIZE = 64
DISABLED_OPACITY = 0.3   # a disabled button's icon: this much of its normal ink
_cache: dict[str, QIcon] = {}


def _pen(color, width=4.0, style=Qt.SolidLine):
    p = QPen(QColor(color), width, style)
    p.setCapStyle(Qt.RoundCap)
    p.setJoinStyle(Qt.RoundJoin)
    return p


def _draw(name: str, p: QPainter, fg: QColor):
    accent = QColor(232, 64, 120)
    if name == "brush":
        p.setPen(Qt.NoPen)
        p.setBrush(accent)
        p.drawEllipse(QPointF(32, 32), 20, 20)
    elif name == "eraser":
        p.setPen(_pen(fg, 4))
        p.setBrush(Qt.NoBrush)
        p.drawEllipse(QPointF(32, 32), 20, 20)
        p.drawLine(QPointF(18, 46), QPointF(46, 18))
    elif name == "rect":
        p.setPen(_pen(fg, 4, Qt.DashLine))
        p.setBrush(QColor(accent.red(), accent.green(), accent.blue(), 110))
        p.drawRect(QRectF(12, 16, 40, 32))
    elif name == "lasso":
        path = QPainterPath(QPointF(14, 34))
        path.cubicTo(QPointF(8, 10), QPointF(54, 6), QPointF(52, 30))
        path.cubicTo(QPointF(50, 48), QPointF(22, 52), QPointF(20, 40))
        path.lineTo(QPointF(28, 58))
        p.setPen(_pen(fg, 4))
        p.setBrush(QColor(accent.red(), accent.green(), accent.blue(), 90))
        p.drawPath(path)
    elif name == "pan":
        p.setPen(_pen(fg, 4))
        p.drawLine(QPointF(32, 8), QPointF(32, 56))
        p.drawLine(QPointF(8, 32), QPointF(56, 32))
        p.setBrush(fg)
        for ang in (0, 90, 180, 270):
            a = math.radians(ang)
            tip = QPointF(32 + 24 * math.cos(a), 32 + 24 * math.sin(a))
            l = QPointF(32 + 16 * math.cos(a) - 7 * math.sin(a), 32 + 16 * math.sin(a) + 7 * math.cos(a))
            r = QPointF(32 + 16 * math.cos(a) + 7 * math.sin(a), 32 + 16 * math.sin(a) - 7 * math.cos(a))
            p.drawPolygon(QPolygonF([tip, l, r]))
    elif name == "invert":
        p.setPen(_pen(fg, 3))
        p.setBrush(accent)
        p.drawRect(QRectF(10, 10, 44, 44))
        p.setBrush(QColor(40, 40, 40))
        p.drawEllipse(QPointF(32, 32), 13, 13)
    elif name == "clear":
        p.setPen(_pen(fg, 3, Qt.DashLine))
        p.setBrush(Qt.NoBrush)
        p.drawRect(QRectF(10, 10, 44, 44))
        p.setPen(_pen(accent, 5))
        p.drawLine(QPointF(20, 20), QPointF(44, 44))
        p.drawLine(QPointF(44, 20), QPointF(20, 44))
    elif name in ("undo", "redo"):
        path = QPainterPath()
        if name == "undo":
            path.moveTo(QPointF(50, 48))
            path.cubicTo(QPointF(52, 22), QPointF(30, 18), QPointF(16, 26))
            tip, a, b = QPointF(12, 28), QPointF(24, 16), QPointF(26, 36)
        else:
            path.moveTo(QPointF(14, 48))
            path.cubicTo(QPointF(12, 22), QPointF(34, 18), QPointF(48, 26))
            tip, a, b = QPointF(52, 28), QPointF(40, 16), QPointF(38, 36)
        p.setPen(_pen(fg, 4))
        p.setBrush(Qt.NoBrush)
        p.drawPath(path)
        p.setBrush(fg)
        p.drawPolygon(QPolygonF([tip, a, b]))
    elif name == "run":
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(60, 170, 90))
        p.drawPolygon(QPolygonF([QPointF(18, 10), QPointF(54, 32), QPointF(18, 54)]))
    elif name == "subtract":
        p.setPen(_pen(fg, 4, Qt.DashLine))
        p.setBrush(Qt.NoBrush)
        p.drawRect(QRectF(10, 14, 44, 36))
        p.setPen(_pen(accent, 6))
        p.drawLine(QPointF(22, 32), QPointF(42, 32))
    elif name == "stop":
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(210, 70, 60))
        p.drawRoundedRect(QRectF(14, 14, 36, 36), 4, 4)
    elif name == "fit":
        p.setPen(_pen(fg, 4))
        for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
            cx, cy = 32 + sx * 20, 32 + sy * 20
            p.drawLine(QPointF(cx, cy), QPointF(cx - sx * 12, cy))
            p.drawLine(QPointF(cx, cy), QPointF(cx, cy - sy * 12))


def icon(name: str, dark: bool | None = None) -> QIcon:
    """A painted icon by name (brush, eraser, rect, lasso, pan, invert, clear, undo, redo, run, stop, fit),
    its lines light when ``dark`` (None: when the application's palette is dark, gui/theme.py)."""
    dark = is_dark() if dark is None else bool(dark)
    key = f"{name}:{dark}"
    if key not in _cache:
        pm = QPixmap(SIZE, SIZE)
        pm.fill(Qt.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.Antialiasing)
        _draw(name, p, QColor(230, 230, 230) if dark else QColor(60, 60, 60))
        p.end()
        ic = QIcon(pm)
        ic.addPixmap(_faded(pm), QIcon.Disabled)
        _cache[key] = ic
    return _cache[key]


def _faded(pm: QPixmap) -> QPixmap:
    """The greyed look of a disabled button's icon, ours in every style: the style's own (QCommonStyle's
    generatedIconPixmap) maps a dark grey icon through the palette's window colour, so an Undo greyed by
    a run still looked dark and active (under Fusion 60% of its contrast; under a dark palette 2.9 times it)."""
    out = QPixmap(pm.size())
    out.fill(Qt.transparent)
    p = QPainter(out)
    p.setOpacity(DISABLED_OPACITY)
    p.drawPixmap(0, 0, pm)
    p.end()
    return out


def app_icon() -> QIcon:
    """The application icon (``resources/icons``): the PNGs rendered from the SVG, one per size,
    so no SVG icon-engine plugin is needed; empty if the resources are missing."""
    if "app" not in _cache:
        from ..paths import ICON_SIZES, icon_file

        ic = QIcon()
        for n in ICON_SIZES:
            p = icon_file(n)
            if p.is_file():
                ic.addFile(str(p), QSize(n, n))
        _cache["app"] = ic
    return _cache["app"]
