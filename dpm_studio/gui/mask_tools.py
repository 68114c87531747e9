"""The canvas's mask tools: mouse and key handling, brush / eraser / rectangle / lasso
gestures and the brush cursor. A mixin of :class:`~dpm_studio.gui.canvas.ImageCanvas`; the
painting itself is numpy (:mod:`.maskops`)."""

from __future__ import annotations

import enum

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QCursor, QPainterPath

from . import maskops

__all__ = ["MaskToolsMixin", "Tool", "PAINT_TOOLS"]


class Tool(str, enum.Enum):
    BRUSH = "brush"
    ERASER = "eraser"
    RECT = "rect"
    LASSO = "lasso"
    PAN = "pan"


PAINT_TOOLS = (Tool.BRUSH, Tool.ERASER, Tool.RECT, Tool.LASSO)


class MaskToolsMixin:
    """Gestures on the canvas (see the module docstring)."""

    # -- mouse ---------------------------------------------------------------------------------------
    def _pan_button(self, ev) -> bool:
        b = ev.button()
        return (b in (Qt.MiddleButton, Qt.RightButton)
                or (b == Qt.LeftButton and (self.space_held or self._tool == Tool.PAN or not self._can_paint())))

    def mousePressEvent(self, ev):
        pos = ev.position()
        if self._stroke is not None or self._pan_last is not None:  # one gesture at a time
            ev.accept()
            return
        if ev.button() == Qt.LeftButton and self._near_split_line(pos) and not self._can_paint():
            super().mousePressEvent(ev)  # pyqtgraph drags the divider
            return
        if self._pan_button(ev) and not (ev.button() == Qt.LeftButton and self._polygon):
            self._pan_last = pos
            self.viewport().setCursor(Qt.ClosedHandCursor)
            ev.accept()
            return
        if ev.button() == Qt.LeftButton and self._can_paint():
            self._begin_gesture(self.viewport_to_image(pos), pos, ev.modifiers())
            ev.accept()
            return
        super().mousePressEvent(ev)

    def _near_split_line(self, pos: QPointF, tolerance: float = 6.0) -> bool:
        if not self.split_line.isVisible():
            return False
        x = self.image_to_viewport(self.split_line.value(), 0).x()
        return abs(pos.x() - x) <= tolerance

    def mouseMoveEvent(self, ev):
        pos = ev.position()
        p = self.viewport_to_image(pos)
        self._last_hover, self._pointer_inside = p, True
        self._update_brush_cursor(p)
        self.hovered.emit((p.x(), p.y()))
        if self._pan_last is not None:
            a = self.vb.mapSceneToView(self.mapToScene(self._pan_last.toPoint()))
            b = self.vb.mapSceneToView(self.mapToScene(pos.toPoint()))
            self._pan_last = pos
            self.vb.translateBy(x=a.x() - b.x(), y=a.y() - b.y())
            ev.accept()
            return
        if self._stroke is not None:
            self._continue_gesture(p, pos)
            ev.accept()
            return
        if self._polygon:
            self._draw_polygon_preview(p)
        super().mouseMoveEvent(ev)

    def mouseReleaseEvent(self, ev):
        if self._pan_last is not None:
            self._pan_last = None
            self._update_cursor_shape()
            ev.accept()
            return
        if self._stroke is not None and ev.button() == Qt.LeftButton:
            self._end_gesture(self.viewport_to_image(ev.position()), ev.position())
            ev.accept()
            return
        if self._polygon or (ev.button() == Qt.LeftButton and self._can_paint()):
            ev.accept()  # the release of a polygon click
            return
        super().mouseReleaseEvent(ev)

    def mouseDoubleClickEvent(self, ev):
        if self._polygon and ev.button() == Qt.LeftButton:
            # The first click of the double-click normally added this vertex already.
            last = QPointF(self.image_to_viewport(*self._polygon[-1]))
            if (last - ev.position()).manhattanLength() > 3:
                p = self.viewport_to_image(ev.position())
                self._polygon.append((p.x(), p.y()))
            self._close_polygon()
            ev.accept()
            return
        if self._can_paint() and ev.button() == Qt.LeftButton and self._tool != Tool.LASSO:
            self.mousePressEvent(ev)  # a quick second click paints like any click
            return
        super().mouseDoubleClickEvent(ev)

    def leaveEvent(self, ev):
        # Forget where the pointer was: a later redraw (undo, a brush size, a zoom) must not bring
        # the ring back where the pointer left.
        self._pointer_inside, self._last_hover = False, None
        self.cursor_item.setVisible(False)
        self._cursor_shadow.setVisible(False)
        self.hovered.emit(None)
        super().leaveEvent(ev)

    def keyPressEvent(self, ev):
        k = ev.key()
        if self._polygon and k in (Qt.Key_Return, Qt.Key_Enter):
            self._close_polygon()
            return
        if self._polygon and k == Qt.Key_Backspace:
            self._polygon.pop()
            if not self._polygon:
                self._cancel_gesture()
            else:
                self._draw_polygon_preview(self._last_hover)
            return
        if (self._polygon or self._stroke) and k == Qt.Key_Escape:
            self._cancel_gesture()
            return
        if k in (Qt.Key_Backslash, Qt.Key_Space):
            ev.ignore()  # held keys: the window handles press and release
            return
        super().keyPressEvent(ev)

    def keyReleaseEvent(self, ev):
        if ev.key() in (Qt.Key_Backslash, Qt.Key_Space):
            ev.ignore()
            return
        super().keyReleaseEvent(ev)

    # -- gestures ------------------------------------------------------------------------------------
    def _begin_gesture(self, p: QPointF, screen: QPointF, mods):
        tool = self._tool
        # Subtract: the mode button (S), or Ctrl held; Alt too, where the window manager leaves it
        # (openbox, GNOME and Xfce take Alt+drag to move the window).
        minus = self._subtract or bool(mods & (Qt.ControlModifier | Qt.AltModifier))
        value = 0.0 if (tool == Tool.ERASER or minus) else 1.0
        if tool == Tool.LASSO and self._polygon:
            first = self.image_to_viewport(*self._polygon[0])
            if (QPointF(first) - screen).manhattanLength() <= 8 and len(self._polygon) >= 3:
                self._close_polygon()
                return
            self._polygon.append((p.x(), p.y()))
            self._draw_polygon_preview(p)
            return
        self._stroke = {"tool": tool, "start": (p.x(), p.y()), "screen": QPointF(screen), "value": value,
                        "before": self._mask.copy(), "points": [(p.x(), p.y())], "moved": False}
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

    def _continue_gesture(self, p: QPointF, screen: QPointF):
        s = self._stroke
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

    def _end_gesture(self, p: QPointF, screen: QPointF):
        s, self._stroke = self._stroke, None
        if (screen - s["screen"]).manhattanLength() >= 3:
            s["moved"] = True
        tool = s["tool"]
        label = {Tool.BRUSH: "brush stroke", Tool.ERASER: "eraser stroke", Tool.RECT: "rectangle",
                 Tool.LASSO: "lasso"}[tool]
        if tool in (Tool.BRUSH, Tool.ERASER):
            last = s["points"][-1]
            self.session.paint(maskops.paint_segment, last, (p.x(), p.y()), self._brush / 2, s["value"])
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
                self._polygon_before = s["before"]
                self._draw_polygon_preview(p)
                return
        self.session.end_gesture(s["before"], label)

    def _close_polygon(self):
        pts, self._polygon = self._polygon, None
        self.path_item.setVisible(False)
        if not pts or len(pts) < 3:
            return
        before = self._mask.copy()
        self.session.paint(maskops.paint_polygon, pts, getattr(self, "_polygon_value", 1.0))
        self.session.end_gesture(before, "polygon")

    def in_gesture(self) -> bool:
        return self._stroke is not None or bool(self._polygon)

    def _cancel_gesture(self):
        """Abandon a gesture in progress, restoring the mask as it was before it."""
        if self._stroke is not None:
            before = self._stroke["before"]
            self._stroke = None
            self.session.restore_mask(before)
        self._polygon = None
        self._pan_last = None
        self._clear_gesture_items()

    def _clear_gesture_items(self):
        self.rect_item.setVisible(False)
        self.path_item.setVisible(False)

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

    def _draw_polygon_preview(self, p):
        if self._polygon:
            self._draw_path(self._polygon, closed=False, extra=p)

    # -- cursor ---------------------------------------------------------------------------------------
    def _update_cursor_shape(self):
        if not self._editable or self._tool == Tool.PAN or self.space_held:
            self.viewport().setCursor(Qt.OpenHandCursor)
        elif self._tool in (Tool.BRUSH, Tool.ERASER):
            self.viewport().setCursor(Qt.BlankCursor if self.underMouse() else Qt.CrossCursor)
        else:
            self.viewport().setCursor(Qt.CrossCursor)
        self._update_brush_cursor()

    def set_space_held(self, on: bool):
        if on != self.space_held:
            self.space_held = on
            self._update_cursor_shape()

    def closeEvent(self, ev):
        self._feather_timer.stop()
        super().closeEvent(ev)

    def enterEvent(self, ev):
        self._pointer_inside = True
        super().enterEvent(ev)
        self._update_cursor_shape()

    def _update_brush_cursor(self, p: QPointF | None = None):
        if p is None:
            p = self._last_hover
            if not self._pointer_inside:
                self.cursor_item.setVisible(False)
                self._cursor_shadow.setVisible(False)
                return
            if p is None:
                local = self.viewport().mapFromGlobal(QCursor.pos())
                if not self.viewport().rect().contains(local):
                    self.cursor_item.setVisible(False)
                    self._cursor_shadow.setVisible(False)
                    return
                p = self.viewport_to_image(QPointF(local))
        show = (self._editable and self._mask is not None and self._tool in (Tool.BRUSH, Tool.ERASER)
                and not self.space_held)
        r = self._brush / 2
        rect = QRectF(p.x() - r, p.y() - r, 2 * r, 2 * r)
        for it in (self.cursor_item, self._cursor_shadow):
            it.setRect(rect)
            it.setVisible(show)
