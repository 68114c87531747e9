"""The mask tools: brush, eraser, rectangle and lasso (freehand or click-by-click polygon),
and what they draw while they work (the brush ring, the dashed rectangle and path).

:class:`MaskTools` is composed into the canvas (``canvas.tools``); the canvas forwards input
to it in image coordinates: :meth:`~MaskTools.press`, :meth:`~MaskTools.move`,
:meth:`~MaskTools.release`, :meth:`~MaskTools.double_click`, :meth:`~MaskTools.key`. The tools
know the session (gui/model/session.py) and nothing of the canvas: a gesture paints through
``session.paint``, ends with ``session.end_gesture`` (one undoable edit) or is abandoned with
``session.restore_mask``; the session, the mask's only writer, says what changed and the canvas
redraws. The painting itself is numpy (:mod:`.maskops`).
"""

from __future__ import annotations

import enum
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPathItem, QGraphicsRectItem

from .model import maskops

__all__ = ["MaskTools", "Tool", "PAINT_TOOLS", "MASK_COLOR"]

MASK_COLOR = (236, 52, 118)


class Tool(str, enum.Enum):
    BRUSH = "brush"
    ERASER = "eraser"
    RECT = "rect"
    LASSO = "lasso"
    PAN = "pan"


PAINT_TOOLS = (Tool.BRUSH, Tool.ERASER, Tool.RECT, Tool.LASSO)
_LABELS = {Tool.BRUSH: "brush stroke", Tool.ERASER: "eraser stroke", Tool.RECT: "rectangle", Tool.LASSO: "lasso"}


def cosmetic_pen(color, width=1.5, style=Qt.SolidLine) -> QPen:
    pen = QPen(QColor(*color) if isinstance(color, tuple) else QColor(color), width, style)
    pen.setCosmetic(True)
    return pen


class MaskTools(QObject):
    """The tools that edit the session's mask (see the module docstring).

    ``to_screen(x, y)`` maps an image point to the viewport (a polygon closes on a click within
    8 screen pixels of its first vertex, whatever the zoom)."""

    toolChanged = Signal(object)
    brushSizeChanged = Signal(float)

    def __init__(self, session, to_screen: Callable[[float, float], QPointF], parent=None):
        super().__init__(parent)
        self.session = session
        self._to_screen = to_screen
        self._tool = Tool.BRUSH
        self._brush = 16.0
        self._subtract = False         # rectangle, lasso and brush take pixels out of the mask
        self._stroke = None            # dict while a drag is in progress
        self._polygon: list | None = None   # vertices of a click-by-click polygon
        self._polygon_value = 1.0
        self._last_brush_point = None  # shift-click draws a line from here

        self.ring = QGraphicsEllipseItem()           # the brush's outline under the pointer
        self.ring.setPen(cosmetic_pen((255, 255, 255), 1.5))
        self.ring.setZValue(30)
        self._ring_shadow = QGraphicsEllipseItem()
        self._ring_shadow.setPen(cosmetic_pen((0, 0, 0), 3.0))
        self._ring_shadow.setZValue(29)
        self.rect_item = QGraphicsRectItem()
        self.rect_item.setPen(cosmetic_pen((255, 255, 255), 1.5, Qt.DashLine))
        self.rect_item.setBrush(QColor(*MASK_COLOR, 70))
        self.rect_item.setZValue(30)
        self.path_item = QGraphicsPathItem()
        self.path_item.setPen(cosmetic_pen((255, 255, 255), 1.5, Qt.DashLine))
        self.path_item.setBrush(QColor(*MASK_COLOR, 60))
        self.path_item.setZValue(30)
        for it in self.items():
            it.setVisible(False)

    def items(self) -> tuple:
        """The graphics items the tools draw (the canvas adds them to its view)."""
        return self._ring_shadow, self.ring, self.rect_item, self.path_item

    def _mask(self) -> np.ndarray | None:
        return self.session.mask

    # -- settings ---------------------------------------------------------------------------------------
    def tool(self) -> Tool:
        return self._tool

    def set_tool(self, tool):
        tool = Tool(tool)
        if tool != self._tool:
            self.cancel()
            self._tool = tool
            self.toolChanged.emit(tool)

    def paints(self) -> bool:
        """The current tool paints (all but Pan) and there is a mask to paint."""
        return self._tool in PAINT_TOOLS and self._mask() is not None

    def set_subtract(self, on: bool):
        """Subtract mode: the mask tools take pixels out of the mask (as Ctrl held does)."""
        self._subtract = bool(on)

    def subtracting(self) -> bool:
        return self._subtract

    def brush_size(self) -> float:
        """Brush diameter in image pixels."""
        return self._brush

    def set_brush_size(self, size: float) -> bool:
        size = float(np.clip(size, 1, 500))
        if size == self._brush:
            return False
        self._brush = size
        self.brushSizeChanged.emit(size)
        return True

    def grow_brush(self, factor: float):
        step = max(1.0, round(self._brush * abs(factor - 1.0)))
        self.set_brush_size(self._brush + step if factor > 1 else self._brush - step)

    # -- gestures (image coordinates p, viewport positions screen) --------------------------------------
    def in_gesture(self) -> bool:
        return self._stroke is not None or bool(self._polygon)

    def dragging(self) -> bool:
        """A drag is in progress (a polygon waiting for its next click is not one)."""
        return self._stroke is not None

    def polygon_open(self) -> bool:
        return bool(self._polygon)

    def press(self, p: QPointF, screen: QPointF, mods):
        tool = self._tool
        # Subtract: the mode button (S), or Ctrl held; Alt too, where the window manager leaves it
        # (openbox, GNOME and Xfce take Alt+drag to move the window).
        minus = self._subtract or bool(mods & (Qt.ControlModifier | Qt.AltModifier))
        value = 0.0 if (tool == Tool.ERASER or minus) else 1.0
        if tool == Tool.LASSO and self._polygon:
            first = self._to_screen(*self._polygon[0])
            if (QPointF(first) - screen).manhattanLength() <= 8 and len(self._polygon) >= 3:
                self._close_polygon()
                return
            self._polygon.append((p.x(), p.y()))
            self.preview(p)
            return
        self._stroke = {"tool": tool, "start": (p.x(), p.y()), "screen": QPointF(screen), "value": value,
                        "before": self._mask().copy(), "points": [(p.x(), p.y())], "moved": False}
        if tool in (Tool.BRUSH, Tool.ERASER):
            start = (p.x(), p.y())
            if (mods & Qt.ShiftModifier) and self._last_brush_point is not None:
                start = self._last_brush_point  # shift-click: a straight line from the last point
            self.session.paint(maskops.paint_segment, start, (p.x(), p.y()), self._brush / 2, value)
            self._last_brush_point = (p.x(), p.y())
        elif tool == Tool.RECT:
            self.rect_item.setRect(QRectF(p, p))
            self.rect_item.setVisible(True)
        elif tool == Tool.LASSO:
            self._draw_path(self._stroke["points"], closed=False)

    def move(self, p: QPointF, screen: QPointF):
        """The pointer moved to ``p``: continue a drag, or follow it with an open polygon's edge."""
        s = self._stroke
        if s is None:
            self.preview(p)
            return
        if (screen - s["screen"]).manhattanLength() >= 3:
            s["moved"] = True
        tool = s["tool"]
        if tool in (Tool.BRUSH, Tool.ERASER):
            last = s["points"][-1]
            self.session.paint(maskops.paint_segment, last, (p.x(), p.y()), self._brush / 2, s["value"])
            s["points"].append((p.x(), p.y()))
            self._last_brush_point = (p.x(), p.y())
        elif tool == Tool.RECT:
            self.rect_item.setRect(QRectF(QPointF(*s["start"]), p).normalized())
        elif tool == Tool.LASSO:
            lx, ly = s["points"][-1]
            if abs(p.x() - lx) + abs(p.y() - ly) >= 0.5:
                s["points"].append((p.x(), p.y()))
                self._draw_path(s["points"], closed=False)

    def release(self, p: QPointF, screen: QPointF):
        s, self._stroke = self._stroke, None
        if s is None:
            return
        if (screen - s["screen"]).manhattanLength() >= 3:
            s["moved"] = True
        tool = s["tool"]
        if tool in (Tool.BRUSH, Tool.ERASER):
            self.session.paint(maskops.paint_segment, s["points"][-1], (p.x(), p.y()), self._brush / 2, s["value"])
        elif tool == Tool.RECT:
            self.rect_item.setVisible(False)
            if s["moved"]:
                self.session.paint(maskops.paint_rect, s["start"], (p.x(), p.y()), s["value"])
        elif tool == Tool.LASSO:
            pts = s["points"] + [(p.x(), p.y())]
            if s["moved"] and len(pts) >= 3:
                self.path_item.setVisible(False)
                self.session.paint(maskops.paint_polygon, pts, s["value"])
            else:  # a click: start (or continue) a polygon, closed by double-click or Enter
                self._polygon = [s["start"]]
                self._polygon_value = s["value"]
                self.preview(p)
                return
        self.session.end_gesture(s["before"], _LABELS[tool])

    def double_click(self, p: QPointF, screen: QPointF) -> bool:
        """Close an open polygon at ``p`` (True), or do nothing (False)."""
        if not self._polygon:
            return False
        # The first click of the double-click normally added this vertex already.
        last = QPointF(self._to_screen(*self._polygon[-1]))
        if (last - screen).manhattanLength() > 3:
            self._polygon.append((p.x(), p.y()))
        self._close_polygon()
        return True

    def key(self, key, hover: QPointF | None = None) -> bool:
        """Enter closes an open polygon, Backspace takes its last vertex back, Escape drops the
        gesture in progress; True when the key was the tools'."""
        if self._polygon and key in (Qt.Key_Return, Qt.Key_Enter):
            self._close_polygon()
            return True
        if self._polygon and key == Qt.Key_Backspace:
            self._polygon.pop()
            if not self._polygon:
                self.cancel()
            else:
                self.preview(hover)
            return True
        if (self._polygon or self._stroke) and key == Qt.Key_Escape:
            self.cancel()
            return True
        return False

    def _close_polygon(self):
        pts, self._polygon = self._polygon, None
        self.path_item.setVisible(False)
        if not pts or len(pts) < 3:
            return
        before = self._mask().copy()
        self.session.paint(maskops.paint_polygon, pts, self._polygon_value)
        self.session.end_gesture(before, "polygon")

    def cancel(self):
        """Abandon a gesture in progress, restoring the mask as it was before it."""
        if self._stroke is not None:
            before = self._stroke["before"]
            self._stroke = None
            self.session.restore_mask(before)
        self._polygon = None
        self.rect_item.setVisible(False)
        self.path_item.setVisible(False)

    def forget(self):
        """Another image: no gesture in progress (nothing to restore), nothing drawn."""
        self._stroke = self._polygon = None
        self.rect_item.setVisible(False)
        self.path_item.setVisible(False)

    # -- what the tools draw ------------------------------------------------------------------------------
    def _draw_path(self, pts, closed: bool, extra=None):
        path = QPainterPath(QPointF(*pts[0]))
        for x, y in pts[1:]:
            path.lineTo(QPointF(x, y))
        if extra is not None:
            path.lineTo(extra)
        if closed:
            path.closeSubpath()
        self.path_item.setPath(path)
        self.path_item.setVisible(True)

    def preview(self, p):
        """An open polygon's outline, with its next edge to ``p``."""
        if self._polygon:
            self._draw_path(self._polygon, closed=False, extra=p)

    def brushy(self) -> bool:
        """The tool is drawn as a ring the size of the brush (brush and eraser)."""
        return self._tool in (Tool.BRUSH, Tool.ERASER)

    def place_ring(self, p: QPointF | None, show: bool = True):
        """The brush ring at image point ``p``; hidden when ``p`` is None, ``show`` is False, the
        tool is not a brush, or there is no mask."""
        if p is None:
            show = False
        else:
            r = self._brush / 2
            rect = QRectF(p.x() - r, p.y() - r, 2 * r, 2 * r)
            self.ring.setRect(rect)
            self._ring_shadow.setRect(rect)
        show = show and self.brushy() and self._mask() is not None
        self.ring.setVisible(show)
        self._ring_shadow.setVisible(show)
