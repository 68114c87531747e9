"""The image canvas: a pyqtgraph view that shows the picture, the mask and a run's frames,
and forwards the mouse and keys to the mask tools.

:class:`ImageCanvas` is a ``pg.GraphicsView`` holding one ``pg.ViewBox`` (aspect locked,
y down) with the layers: the picture (with a run's current crop on it), the original for
the split compare (:class:`~.compare_view.SplitCompare`), and the mask as a translucent
colour overlay (:class:`~.mask_overlay.MaskOverlay`). The wheel zooms about the cursor (the
ViewBox's own zoom); the middle or right button, the space bar with the left button, or
the Pan tool drag the view. The left button goes to the mask tools
(:class:`~.mask_tools.MaskTools`, ``canvas.tools``) through the pointer's router
(:class:`~.canvas_input.PointerInput`, ``canvas.input``); the tools edit the session's mask
and the canvas redraws the overlay when the session says it changed.

Image coordinates: x to the right, y down, pixel (row i, column j) covers
[j, j+1) x [i, i+1); the ImageItem sits at the origin with one unit per pixel, so item
coordinates are image coordinates.

The canvas shows the session's image (``image()``) and hard mask (``mask()``, float in
[0, 1]); it writes neither. The overlay holds the feather amount; ``effective_mask()`` is
what a run gets.
While a run is going or its result is under review the canvas is locked
(``set_editable(False)``) and shows frames with :meth:`show_frame`; :meth:`show_base`
goes back to the image.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPalette, QPen

from .canvas_input import PointerInput
from .checks import Checks
from .compare_view import SplitCompare
from .mask_overlay import MaskOverlay
from .mask_tools import MaskTools, Tool
from .run_crop import RunCrop
from .model.history import patched
from .model.session import Document, Session
from ..imageio import to_uint8

__all__ = ["Tool", "ImageCanvas"]


def _part(part: str, name: str) -> property:
    """The canvas's ``name`` is the method ``name`` of its part ``part`` (``canvas.tools``,
    ``canvas.overlay`` or ``canvas.session``), as a bound method: the canvas forwards, the part
    does the work."""
    return property(lambda self: getattr(getattr(self, part), name), doc=f"``{part}.{name}``")


class ImageCanvas(pg.GraphicsView):
    """Picture + mask overlay + mask tools. See the module docstring."""

    hovered = Signal(object)        # (x, y) image coordinates under the cursor, or None
    zoomChanged = Signal(float)     # screen pixels per image pixel
    brushSizeChanged = Signal(float)
    toolChanged = Signal(object)

    # The document's pixels and the mask live in the session (gui/model/session.py), their only
    # writer: the canvas reads them there and shows what its events say changed.
    @property
    def _base(self):
        return self.session.doc.pixels if self.session.doc is not None else None

    @property
    def _mask(self):
        return self.session.mask

    @property
    def history(self):
        return self.session.history

    def __init__(self, parent=None, session: Session | None = None):
        self.session = session if session is not None else Session()
        super().__init__(parent, background=QColor(38, 38, 40))
        ev = self.session.events
        ev.document.connect(self._on_document)
        ev.pixels.connect(self._on_pixels)
        ev.mask.connect(self._on_mask)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.vb = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.vb.setMouseEnabled(True, True)
        self.vb.setBackgroundColor(None)
        self.setCentralItem(self.vb)

        self.image_item = pg.ImageItem(axisOrder="row-major")
        self._checks = Checks()
        self.overlay = MaskOverlay(self.session, self)   # the mask, drawn (and feathered) over the picture
        self.overlay_item = self.overlay.item
        self.crop = RunCrop(self.vb)   # a run's current crop, over the picture at its box
        self.crop_item = self.crop.item
        for it in (self.image_item, self.overlay_item):
            self.vb.addItem(it)
        self.compare = SplitCompare(self.vb)    # before | after, with a draggable divider
        self.original_item, self.split_line = self.compare.item, self.compare.line
        # The mask tools edit the session's mask; the canvas shows what they draw and forwards input.
        self.tools = MaskTools(self.session, self.image_to_viewport, self)
        for it in self.tools.items():
            self.vb.addItem(it, ignoreBounds=True)
        self.tools.toolChanged.connect(self._on_tool_changed)
        self.tools.toolChanged.connect(self.toolChanged)
        self.tools.brushSizeChanged.connect(self._on_brush_size)
        self.tools.brushSizeChanged.connect(self.brushSizeChanged)

        self._base_u8: np.ndarray | None = None    # ... as uint8 (cache)
        self._shown: np.ndarray | None = None      # what the picture layer shows, uint8
        self._editable = True
        self._showing_original = False
        self.frames_shown = 0

        self.input = PointerInput(self, self.tools)   # which gesture the mouse starts; the pointer's look
        self.vb.sigRangeChanged.connect(self._on_range_changed)
        self.input.update_cursor()

    # -- image ----------------------------------------------------------------------------------
    def has_image(self) -> bool:
        return self._base is not None

    def image(self) -> np.ndarray | None:
        """The user's image (float32 (H, W, C) in [0, 1]); not a copy, do not modify."""
        return self._base

    def image_shape(self) -> tuple[int, int] | None:
        return None if self._base is None else tuple(self._base.shape[:2])

    def set_image(self, pixels: np.ndarray):
        """Open ``pixels`` as the session's document (a canvas used on its own); the canvas shows it
        when the session says so."""
        self.session.open(pixels)

    def _on_document(self, event):
        """Another document is open (or none): show it whole, with its empty mask."""
        self._base_u8 = None
        self.tools.forget()
        if event.document is None:
            self.clear_image()
            return
        self.show_base()
        self.overlay.refresh()
        self.fit()

    def _on_pixels(self, event):
        """The session changed the document's pixels (Accept, or undo or redo of one); their uint8 picture may come
        along (made during the review, or a step's codes), or its box's alone (``patch``: put over the one before)."""
        self._base_u8 = event.u8 if event.patch is None else \
            patched(self._base_u8, event.edit.box, event.patch, self._base.shape)
        self.show_base()

    def _on_mask(self, event):
        """The mask changed: the overlay follows (by the box while a gesture paints); the window
        hears of it from the session's own events."""
        self.overlay.changed(event.live, event.box)
        if not event.live:
            self.refresh_hover()

    def refresh_hover(self):
        """Say again what is under a still pointer: the readout kept the pixel and mask values from
        before a stroke, an undo or a run's frame until the mouse moved ("mask 0.00" on a painted pixel)."""
        p = self.input.hover_point()
        if p is not None:
            self.hovered.emit((p.x(), p.y()))

    def clear_image(self):
        """Show nothing (no document, and no result under review)."""
        self.crop.hide()
        self._shown = None
        self.image_item.clear()
        self.overlay.forget()
        self.compare.clear()

    def _set_picture(self, u8: np.ndarray):
        self._shown = u8
        self.refresh_hover()
        self.compare.follow(u8, self._showing_original)
        if self._showing_original and self.compare.original() is not None:
            return
        self._draw_picture(u8)

    def _draw_picture(self, u8):
        doc = self.session.doc   # transparent pixels over a checkerboard, on screen only (gui/checks.py)
        u8 = self._checks.over(u8, doc.alpha if doc is not None else None)
        a = u8[:, :, 0] if u8.ndim == 3 and u8.shape[2] == 1 else u8
        # uint8 drawn as it is (levels None): with levels (0, 255) pyqtgraph rescaled every pixel
        # to the same values before making its QImage, 0.07 s CPU of opening a 12 MP photo and of
        # each frame of a run (docs/speed.md); the overlay, the compare and the run's crop too.
        self.image_item.setImage(a, autoLevels=False, levels=None)

    def base_u8(self) -> np.ndarray | None:
        """The user's image as shown (uint8), computed once per image."""
        if self._base is not None and (self._base_u8 is None or self._base_u8.shape != self._base.shape):
            self._base_u8 = to_uint8(self._base)
        return self._base_u8 if self._base is not None else None

    def show_base(self):
        """Show the user's image (after a run was discarded, cancelled or accepted)."""
        self.crop.hide()
        if self._base is not None:
            self._set_picture(self.base_u8())

    def show_frame(self, frame: np.ndarray, box=None, patches=()):
        """Show a frame of a run ((h, w, C) float in [0, 1] or uint8). A frame with a ``box``
        (top, left, bottom, right) shows that part of the image: it is pasted into the image in
        place, over the ``patches`` the run has finished, and the view stays where the user put it.
        Counts ``frames_shown``."""
        u8 = frame if frame.dtype == np.uint8 else to_uint8(frame)
        if u8.ndim == 2:
            u8 = u8[:, :, None]
        if box is not None and self._base is not None:
            self._show_crop(u8, box, patches)
            self.frames_shown += 1
            return
        self.crop.hide()
        if self._base is None or u8.shape[:2] != self._base.shape[:2]:
            # a sample of a new size: frame the view around it
            first = self._shown is None or self._shown.shape[:2] != u8.shape[:2]
            self._set_picture(u8)
            if first:
                self.fit()
        else:
            self._set_picture(u8)
        self.frames_shown += 1

    def _show_crop(self, u8, box, patches):
        under = self.crop.under(self.base_u8(), patches)
        if self._shown is not under:
            self._set_picture(under)
        self.crop.show(u8, box, not self._showing_original)

    def shown(self) -> np.ndarray | None:
        """What the canvas shows (uint8): the picture layer with a run's current crop on it."""
        return self.crop.over(self._shown)

    # -- compare --------------------------------------------------------------------------------
    def set_original(self, image: np.ndarray | None):
        """The 'before' image for the compare functions (None turns them off)."""
        self.compare.set_original(image)
        if image is None:
            self.set_showing_original(False)

    def set_showing_original(self, on: bool):
        """Show the 'before' image in place of the current one (while a key is held)."""
        on = bool(on) and self.compare.original() is not None
        if on == self._showing_original:
            return
        self._showing_original = on
        self.crop.set_visible(not on)
        if on:
            self._draw_picture(self.compare.original())
            self.compare.cover()
        elif self._shown is not None:
            self._draw_picture(self._shown)
            self.compare.follow(self._shown, False)

    def showing_original(self) -> bool:
        return self._showing_original

    def set_split(self, on: bool):
        """Split view: the original left of a draggable line, the current picture right of it."""
        self.compare.set_on(on)

    def split(self) -> bool:
        return self.compare.on()

    # -- mask -------------------------------------------------------------------------------------
    def mask(self) -> np.ndarray | None:
        """The hard mask as painted (float32 (H, W)); not a copy, do not modify."""
        return self._mask

    # The overlay's, the mask tools' and the session's own methods, under the names the window calls
    # on the canvas.
    feather, set_feather = _part("overlay", "feather"), _part("overlay", "set_feather")
    effective_mask = _part("overlay", "effective")   # the mask a run gets: feathered, a new array
    set_overlay_visible, overlay_visible = _part("overlay", "set_visible"), _part("overlay", "visible")
    set_overlay_opacity = _part("overlay", "set_opacity")
    set_mask = _part("session", "set_mask")          # (mask, label="load mask"): undoable
    invert_mask, clear_mask = _part("session", "invert_mask"), _part("session", "clear_mask")
    tool, set_tool = _part("tools", "tool"), _part("tools", "set_tool")
    set_subtract, subtracting = _part("tools", "set_subtract"), _part("tools", "subtracting")
    brush_size, set_brush_size = _part("tools", "brush_size"), _part("tools", "set_brush_size")
    grow_brush, in_gesture = _part("tools", "grow_brush"), _part("tools", "in_gesture")

    def undo(self) -> bool:
        """Undo the last mask edit or accepted result (the session's one history)."""
        return self._step_history(self.session.undo)

    def redo(self) -> bool:
        return self._step_history(self.session.redo)

    def _step_history(self, step) -> bool:
        if self._mask is None or self.tools.dragging():
            return False
        return step() is not None

    # -- tools: the canvas locks them and follows their changes --------------------------------------
    def _on_tool_changed(self, _tool):
        self.input.stop()
        self.input.update_cursor()

    def _on_brush_size(self, _size):
        self.input.update_ring()

    def set_editable(self, on: bool):
        self._editable = bool(on)
        if not on:
            self.tools.cancel()
            self.input.stop()
        self.input.update_cursor()

    def editable(self) -> bool:
        return self._editable

    # -- input: handed to the pointer's router (gui/canvas_input.py) --------------------------------
    def mousePressEvent(self, ev):
        if not self.input.press(ev):
            super().mousePressEvent(ev)

    def mouseMoveEvent(self, ev):
        if not self.input.move(ev):
            super().mouseMoveEvent(ev)

    def mouseReleaseEvent(self, ev):
        if not self.input.release(ev):
            super().mouseReleaseEvent(ev)

    def mouseDoubleClickEvent(self, ev):
        if not self.input.double_click(ev):
            super().mouseDoubleClickEvent(ev)

    def leaveEvent(self, ev):
        self.input.leave()
        super().leaveEvent(ev)

    def enterEvent(self, ev):
        self.input.enter()
        super().enterEvent(ev)
        self.input.update_cursor()

    # -- keyboard focus, seen: a frame in the highlight colour while the canvas has it ----------------------
    # Without it a keyboard user saw no focus anywhere once the window was back (Alt+Esc under openbox
    # lowers and unfocuses it; Alt+Tab, or a dialog closing, gives the focus back to the canvas: seen under Xvfb).
    FOCUS_FRAME = 2   # px

    def paintEvent(self, ev):
        super().paintEvent(ev)
        if self.hasFocus():
            p = QPainter(self.viewport())
            p.setPen(QPen(self.palette().color(QPalette.Highlight), self.FOCUS_FRAME, Qt.SolidLine, Qt.SquareCap,
                          Qt.MiterJoin))
            half = self.FOCUS_FRAME // 2
            p.drawRect(self.viewport().rect().adjusted(half, half, -half, -half))
            p.end()

    def focusInEvent(self, ev):
        super().focusInEvent(ev)
        self.viewport().update()

    def focusOutEvent(self, ev):
        super().focusOutEvent(ev)
        self.viewport().update()

    def keyPressEvent(self, ev):
        if not self.input.key_press(ev):
            super().keyPressEvent(ev)

    def keyReleaseEvent(self, ev):
        if not self.input.key_release(ev):
            super().keyReleaseEvent(ev)

    def closeEvent(self, ev):
        self.overlay.stop()
        super().closeEvent(ev)

    def set_cover(self, widget) -> None:
        """Lay ``widget`` (the empty canvas's welcome) over the whole canvas and keep it at the canvas's size: the
        window resized it only when the window itself resized, so a narrower Controls dock (760 px window) left it
        340 px wide in a 459 px canvas, its text centred off the middle and cut."""
        self._cover = widget
        widget.setParent(self)
        widget.resize(self.size())

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        cover = getattr(self, "_cover", None)
        if cover is not None:
            cover.resize(self.size())

    @property
    def space_held(self) -> bool:
        return self.input.space_held

    def set_space_held(self, on: bool):
        self.input.set_space_held(on)

    # -- view ----------------------------------------------------------------------------------------
    def fit(self):
        """Fit the whole picture in the window (and keep it fitted on resize until the user zooms)."""
        src = self._shown if self._shown is not None else self._base
        if src is None:
            return
        # Auto-range follows resizes and new picture sizes; a zoom or pan turns it off.
        self.vb.enableAutoRange(pg.ViewBox.XYAxes, True)
        self.vb.updateAutoRange()

    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        w = self.vb.viewRect().width()
        return self.vb.width() / w if w > 0 else 1.0

    def set_zoom(self, z: float, center: QPointF | None = None):
        z = float(np.clip(z, 0.02, 64.0))
        rect = self.vb.viewRect()
        c = center if center is not None else rect.center()
        size = self.vb.size()
        w, h = size.width() / z, size.height() / z
        self.vb.setRange(QRectF(c.x() - w / 2, c.y() - h / 2, w, h), padding=0)

    def zoom_by(self, factor: float):
        self.set_zoom(self.zoom() * factor)

    def image_to_viewport(self, x: float, y: float) -> QPoint:
        """Viewport (widget) position of image point (x, y); used by tests to aim the mouse."""
        scene = self.image_item.mapToScene(QPointF(x, y))
        return self.mapFromScene(scene)

    def viewport_to_image(self, pos) -> QPointF:
        scene = self.mapToScene(QPoint(int(round(pos.x())), int(round(pos.y()))))
        return self.image_item.mapFromScene(scene)

    def _on_range_changed(self, *_):
        self.vb.updateMatrix()   # pyqtgraph maps the image lazily (at the next paint): map with the new range
        self.input.view_moved()
        self.zoomChanged.emit(self.zoom())
        self.refresh_hover()   # the readout: the pixel now under the pointer (it stayed stale after a key zoom)

    # -- pixel readout ------------------------------------------------------------------------------
    def pixel_info(self, x: float, y: float) -> dict | None:
        """What is under image point (x, y): column, row, the shown value(s) and the mask."""
        src = self._shown
        if src is None:
            return None
        j, i = int(np.floor(x)), int(np.floor(y))
        H, W = src.shape[:2]
        if not (0 <= i < H and 0 <= j < W):
            return None
        info = {"x": j, "y": i, "value": src[i, j].copy()}
        if self._mask is not None and self._mask.shape == (H, W):
            info["mask"] = self.overlay.value_at(i, j)
        return info
