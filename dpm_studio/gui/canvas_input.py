"""Where the canvas's mouse and keys go: which gesture a button starts (a pan of the view, a
drag of the compare divider, or a mask tool's), the pointer's shape, and the brush ring.

:class:`PointerInput` is composed into the canvas (``canvas.input``); the canvas's Qt event
handlers hand it each event and fall back to the view's own handling when it returns False.
It moves the view and calls the mask tools (``canvas.tools``) in image coordinates; it edits
nothing itself."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QCursor

from .mask_tools import Tool

__all__ = ["PointerInput"]

HELD_KEYS = (Qt.Key_Backslash, Qt.Key_Space)   # the window handles their press and release


class PointerInput:
    """The pointer's state over ``view`` (an :class:`~.canvas.ImageCanvas`) and its routing."""

    def __init__(self, view, tools):
        self.view, self.tools = view, tools
        self.space_held = False
        self._pan_last: QPointF | None = None   # the viewport position of a pan in progress
        self._hover: QPointF | None = None      # the image point under the pointer, last seen
        self._hover_vp: QPointF | None = None   # where the pointer is on the viewport (a zoom moves the image under it)
        self._inside = False                    # the ring is drawn only while the pointer is over the canvas

    def can_paint(self) -> bool:
        return self.view.editable() and self.tools.paints()

    def _pans(self, ev) -> bool:
        b = ev.button()
        return (b in (Qt.MiddleButton, Qt.RightButton)
                or (b == Qt.LeftButton and (self.space_held or self.tools.tool() == Tool.PAN or not self.can_paint())))

    def _near_divider(self, pos: QPointF, tolerance: float = 6.0) -> bool:
        line = self.view.split_line
        return line.isVisible() and abs(pos.x() - self.view.image_to_viewport(line.value(), 0).x()) <= tolerance

    # -- mouse (True: handled here; False: the view handles it) ------------------------------------------
    def press(self, ev) -> bool:
        pos = ev.position()
        if self.tools.dragging() or self._pan_last is not None:  # one gesture at a time
            ev.accept()
            return True
        if ev.button() == Qt.LeftButton and self._near_divider(pos) and not self.can_paint():
            return False  # pyqtgraph drags the divider
        if self._pans(ev) and not (ev.button() == Qt.LeftButton and self.tools.polygon_open()):
            self._pan_last = pos
            self.view.viewport().setCursor(Qt.ClosedHandCursor)
            ev.accept()
            return True
        if ev.button() == Qt.LeftButton and self.can_paint():
            self.tools.press(self.view.viewport_to_image(pos), pos, ev.modifiers())
            ev.accept()
            return True
        return False

    def move(self, ev) -> bool:
        pos = ev.position()
        p = self.view.viewport_to_image(pos)
        self._hover, self._hover_vp, self._inside = p, QPointF(pos), True
        self.update_ring(p)
        self.view.hovered.emit((p.x(), p.y()))
        if self._pan_last is not None:
            v = self.view
            a = v.vb.mapSceneToView(v.mapToScene(self._pan_last.toPoint()))
            b = v.vb.mapSceneToView(v.mapToScene(pos.toPoint()))
            self._pan_last = pos
            v.vb.translateBy(x=a.x() - b.x(), y=a.y() - b.y())
            ev.accept()
            return True
        dragging = self.tools.dragging()
        self.tools.move(p, pos)
        if dragging:
            ev.accept()
        return dragging

    def release(self, ev) -> bool:
        if self._pan_last is not None:
            self._pan_last = None
            self.update_cursor()
            ev.accept()
            return True
        if self.tools.dragging() and ev.button() == Qt.LeftButton:
            self.tools.release(self.view.viewport_to_image(ev.position()), ev.position())
            ev.accept()
            return True
        if self.tools.polygon_open() or (ev.button() == Qt.LeftButton and self.can_paint()):
            ev.accept()  # the release of a polygon click
            return True
        return False

    def double_click(self, ev) -> bool:
        if ev.button() == Qt.LeftButton and self.tools.double_click(self.view.viewport_to_image(ev.position()),
                                                                     ev.position()):
            ev.accept()
            return True
        if self.can_paint() and ev.button() == Qt.LeftButton and self.tools.tool() != Tool.LASSO:
            return self.press(ev)  # a quick second click paints like any click
        return False

    def view_moved(self):
        """A zoom or pan (wheel, keys, Fit, a drag, a resize): a still pointer is over another image point."""
        if self._inside and self._hover_vp is not None:
            self._hover = self.view.viewport_to_image(self._hover_vp)
        self.update_ring()

    def hover_point(self):
        """The image point under the pointer while it is over the canvas, else None."""
        return self._hover if self._inside else None

    def leave(self):
        # Forget where the pointer was: a later redraw (undo, a brush size, a zoom) must not bring
        # the ring back where the pointer left.
        self._inside, self._hover, self._hover_vp = False, None, None
        self.tools.place_ring(None)
        self.view.hovered.emit(None)

    def enter(self):
        self._inside = True

    # -- keys (True: handled, or left to the window) --------------------------------------------------------
    def key_press(self, ev) -> bool:
        if self.tools.key(ev.key(), self._hover):
            return True
        if ev.key() in HELD_KEYS:
            ev.ignore()
            return True
        return False

    def key_release(self, ev) -> bool:
        if ev.key() in HELD_KEYS:
            ev.ignore()
            return True
        return False

    def set_space_held(self, on: bool):
        if on != self.space_held:
            self.space_held = on
            self.update_cursor()

    def stop(self):
        """Drop a pan in progress (the tool changed, or the canvas was locked)."""
        self._pan_last = None

    # -- the pointer's look -----------------------------------------------------------------------------------
    def update_cursor(self):
        vp = self.view.viewport()
        if not self.view.editable() or self.tools.tool() == Tool.PAN or self.space_held:
            vp.setCursor(Qt.OpenHandCursor)
        elif self.tools.brushy():
            vp.setCursor(Qt.BlankCursor if self.view.underMouse() else Qt.CrossCursor)
        else:
            vp.setCursor(Qt.CrossCursor)
        self.update_ring()

    def update_ring(self, p: QPointF | None = None):
        """The brush ring under the pointer (at ``p``, or where the pointer was last seen; none
        once the pointer left the canvas)."""
        if p is None and self._inside:
            p = self._hover
            if p is None:
                vp = self.view.viewport()
                local = vp.mapFromGlobal(QCursor.pos())
                p = self.view.viewport_to_image(QPointF(local)) if vp.rect().contains(local) else None
        self.tools.place_ring(p, self.view.editable() and not self.space_held)
