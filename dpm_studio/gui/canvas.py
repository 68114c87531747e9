"""The image canvas: a pyqtgraph view with the picture, the mask overlay and the mask tools.

:class:`ImageCanvas` is a ``pg.GraphicsView`` holding one ``pg.ViewBox`` (aspect locked,
y down) with three image layers: the picture, the original for the split compare, and
the mask as a translucent colour overlay. The wheel zooms about the cursor (the
ViewBox's own zoom); the middle or right button, the space bar with the left button, or
the Pan tool drag the view. The left button paints with the current tool.

Image coordinates: x to the right, y down, pixel (row i, column j) covers
[j, j+1) x [i, i+1); the ImageItem sits at the origin with one unit per pixel, so item
coordinates are image coordinates.

The canvas holds the user's image (``image()``), the hard mask (``mask()``, edited by the
tools, float in [0, 1]) and the feather amount; ``effective_mask()`` is what a run gets.
While a run is going or its result is under review the canvas is locked
(``set_editable(False)``) and shows frames with :meth:`show_frame`; :meth:`show_base`
goes back to the image.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsPathItem, QGraphicsRectItem

from .frames import composite
from .mask_tools import PAINT_TOOLS, MaskToolsMixin, Tool  # noqa: F401  (Tool is imported from here)
from .session import Document, Session
from ..core import masks
from ..imageio import to_uint8

__all__ = ["Tool", "ImageCanvas"]

MASK_COLOR = (236, 52, 118)


def _cosmetic_pen(color, width=1.5, style=Qt.SolidLine) -> QPen:
    pen = QPen(QColor(*color) if isinstance(color, tuple) else QColor(color), width, style)
    pen.setCosmetic(True)
    return pen


class ImageCanvas(MaskToolsMixin, pg.GraphicsView):
    """Picture + mask overlay + mask tools. See the module docstring."""

    maskChanged = Signal()          # the mask changed (an edit, undo, redo, load, clear ...)
    historyChanged = Signal()       # undo/redo availability changed
    hovered = Signal(object)        # (x, y) image coordinates under the cursor, or None
    zoomChanged = Signal(float)     # screen pixels per image pixel
    brushSizeChanged = Signal(float)
    toolChanged = Signal(object)
    imageEdited = Signal()          # undo / redo changed the document's pixels

    # The document's pixels and the mask live in the session (gui/session.py), their only
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
        ev.history.connect(self._on_history)
        self.setMouseTracking(True)
        self.viewport().setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.vb = pg.ViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.vb.setMouseEnabled(True, True)
        self.vb.setBackgroundColor(None)
        self.setCentralItem(self.vb)

        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.original_item = pg.ImageItem(axisOrder="row-major")
        self.overlay_item = pg.ImageItem(axisOrder="row-major")
        self.original_item.setZValue(1)
        self.overlay_item.setZValue(5)
        # A run's current crop, drawn over the picture at its box: a frame of a large image costs
        # the crop, not a redraw of the whole image.
        self.crop_item = pg.ImageItem(axisOrder="row-major")
        self.crop_item.setZValue(0.5)
        self.crop_item.setVisible(False)
        self._crop = None              # (uint8 crop, box) while crop_item shows one
        self._run_base = None          # the picture under the crops: the image with the finished pieces
        self._run_patches = 0
        self.vb.addItem(self.crop_item)
        for it in (self.image_item, self.original_item, self.overlay_item):
            self.vb.addItem(it)
        self.original_item.setVisible(False)

        self.split_line = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen((255, 255, 255), width=2),
                                          hoverPen=pg.mkPen((255, 200, 80), width=3))
        self.split_line.setZValue(20)
        self.split_line.setVisible(False)
        self.split_line.sigPositionChanged.connect(self._update_split)
        self.vb.addItem(self.split_line, ignoreBounds=True)
        self._split_labels = [pg.TextItem("before", color=(255, 255, 255), fill=(0, 0, 0, 150), anchor=(1, 0)),
                              pg.TextItem("after", color=(255, 255, 255), fill=(0, 0, 0, 150), anchor=(0, 0))]
        for lab in self._split_labels:
            lab.setZValue(21)
            lab.setVisible(False)
            self.vb.addItem(lab, ignoreBounds=True)

        self.cursor_item = QGraphicsEllipseItem()
        self.cursor_item.setPen(_cosmetic_pen((255, 255, 255), 1.5))
        self.cursor_item.setZValue(30)
        self.cursor_item.setVisible(False)
        self._cursor_shadow = QGraphicsEllipseItem()
        self._cursor_shadow.setPen(_cosmetic_pen((0, 0, 0), 3.0))
        self._cursor_shadow.setZValue(29)
        self._cursor_shadow.setVisible(False)
        self.rect_item = QGraphicsRectItem()
        self.rect_item.setPen(_cosmetic_pen((255, 255, 255), 1.5, Qt.DashLine))
        self.rect_item.setBrush(QColor(*MASK_COLOR, 70))
        self.rect_item.setZValue(30)
        self.rect_item.setVisible(False)
        self.path_item = QGraphicsPathItem()
        self.path_item.setPen(_cosmetic_pen((255, 255, 255), 1.5, Qt.DashLine))
        self.path_item.setBrush(QColor(*MASK_COLOR, 60))
        self.path_item.setZValue(30)
        self.path_item.setVisible(False)
        for it in (self._cursor_shadow, self.cursor_item, self.rect_item, self.path_item):
            self.vb.addItem(it, ignoreBounds=True)

        self._base_u8: np.ndarray | None = None    # ... as uint8 (cache)
        self._shown: np.ndarray | None = None      # what the picture layer shows, uint8
        self._original: np.ndarray | None = None   # the image before a run, uint8 (compare)
        self._effective: np.ndarray | None = None  # cache of the feathered mask
        self._rgba: np.ndarray | None = None       # the overlay's pixels (colour + alpha = mask)
        self._feather = 0.0
        self._brush = 16.0
        self._tool = Tool.BRUSH
        self._editable = True
        self._overlay_visible = True
        self._overlay_opacity = 0.5
        self._showing_original = False
        self._split = False
        self.space_held = False
        self.frames_shown = 0

        self._stroke = None          # dict while a tool gesture is in progress
        self._polygon: list | None = None   # vertices of a click-by-click polygon
        self._pan_last: QPointF | None = None
        self._last_brush_point = None
        self._last_hover = None
        self._pointer_inside = False
        self._subtract = False         # rectangle, lasso and brush take pixels out of the mask   # the ring is drawn only while the pointer is over the canvas
        self._feather_timer = QTimer(self)
        self._feather_timer.setSingleShot(True)
        self._feather_timer.setInterval(120)
        self._feather_timer.timeout.connect(self._refresh_overlay)
        self.vb.sigRangeChanged.connect(self._on_range_changed)
        self._update_cursor_shape()

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
        self._effective = None
        self._stroke = None
        self._polygon = None
        self._clear_gesture_items()
        if event.document is None:
            self.clear_image()
            return
        self.show_base()
        self._refresh_overlay()
        self.fit()

    def _on_pixels(self, _event):
        """The session changed the document's pixels in place (Accept, or undo or redo of one)."""
        self._base_u8 = None
        self.show_base()
        self.imageEdited.emit()

    def _on_mask(self, event):
        self._mask_edited(live=event.live, box=event.box)

    def _on_history(self, _event):
        self.historyChanged.emit()

    def clear_image(self):
        """Show nothing (no document, and no result under review)."""
        self._hide_crop()
        self._shown = self._original = self._effective = self._rgba = None
        self.image_item.clear()
        self.overlay_item.clear()
        self.original_item.clear()

    def _set_picture(self, u8: np.ndarray):
        self._shown = u8
        self._update_split()
        if self._showing_original and self._original is not None:
            return
        self._draw_picture(u8)

    def _draw_picture(self, u8):
        a = u8[:, :, 0] if u8.ndim == 3 and u8.shape[2] == 1 else u8
        self.image_item.setImage(a, autoLevels=False, levels=(0, 255))

    def base_u8(self) -> np.ndarray | None:
        """The user's image as shown (uint8), computed once per image."""
        if self._base is not None and (self._base_u8 is None or self._base_u8.shape != self._base.shape):
            self._base_u8 = to_uint8(self._base)
        return self._base_u8 if self._base is not None else None

    def _hide_crop(self):
        self._crop = None
        self._run_base, self._run_patches = None, 0
        self.crop_item.setVisible(False)

    def show_base(self):
        """Show the user's image (after a run was discarded, cancelled or accepted)."""
        self._hide_crop()
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
        self._hide_crop()
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
        if len(patches) < self._run_patches or self._run_base is None:  # a new run
            self._run_base, self._run_patches = self.base_u8(), 0
        if len(patches) > self._run_patches:  # a piece finished: it joins the picture (a rare full redraw)
            self._run_base = composite(self._run_base, patches[-1][1], patches[-1][0], patches[self._run_patches:-1])
            self._run_patches = len(patches)
        if self._shown is not self._run_base:
            self._set_picture(self._run_base)
        top, left, bottom, right = box
        self._crop = (u8, box)
        a = u8[:, :, 0] if u8.shape[2] == 1 else u8
        self.crop_item.setImage(np.ascontiguousarray(a), autoLevels=False, levels=(0, 255))
        self.crop_item.setRect(QRectF(left, top, right - left, bottom - top))
        self.crop_item.setVisible(not self._showing_original)

    def shown(self) -> np.ndarray | None:
        """What the canvas shows (uint8): the picture layer with a run's current crop on it."""
        if self._crop is not None and self._shown is not None:
            return composite(self._shown, self._crop[0], self._crop[1])
        return self._shown

    # -- compare --------------------------------------------------------------------------------
    def set_original(self, image: np.ndarray | None):
        """The 'before' image for the compare functions (None turns them off)."""
        if image is None:
            self._original = None
            self.original_item.setVisible(False)
            self.set_showing_original(False)
            return
        self._original = image if image.dtype == np.uint8 else to_uint8(image)
        self._update_split()

    def set_showing_original(self, on: bool):
        """Show the 'before' image in place of the current one (while a key is held)."""
        on = bool(on) and self._original is not None
        if on == self._showing_original:
            return
        self._showing_original = on
        self.crop_item.setVisible(not on and self._crop is not None)
        if on:
            self._draw_picture(self._original)
            self.original_item.setVisible(False)
        elif self._shown is not None:
            self._draw_picture(self._shown)
            self._update_split()

    def showing_original(self) -> bool:
        return self._showing_original

    def set_split(self, on: bool):
        """Split view: the original left of a draggable line, the current picture right of it."""
        self._split = bool(on)
        if on and self._shown is not None:
            W = self._shown.shape[1]
            x = self.split_line.value()
            if not (0 < x < W):
                self.split_line.setValue(W / 2)
        self._update_split()

    def split(self) -> bool:
        return self._split

    def _update_split(self, *_):
        ok = (self._split and self._original is not None and self._shown is not None
              and self._original.shape[:2] == self._shown.shape[:2] and not self._showing_original)
        self.split_line.setVisible(ok)
        for lab in self._split_labels:
            lab.setVisible(ok)
        if not ok:
            self.original_item.setVisible(False)
            return
        H, W = self._original.shape[:2]
        x = int(np.clip(round(self.split_line.value()), 0, W))
        left = self._original[:, :x]
        a = left[:, :, 0] if left.ndim == 3 and left.shape[2] == 1 else left
        if x > 0:
            self.original_item.setImage(np.ascontiguousarray(a), autoLevels=False, levels=(0, 255))
            self.original_item.setRect(QRectF(0, 0, x, H))
            self.original_item.setVisible(True)
        else:
            self.original_item.setVisible(False)
        self._split_labels[0].setPos(x, 0)
        self._split_labels[1].setPos(x, 0)

    # -- mask -------------------------------------------------------------------------------------
    def mask(self) -> np.ndarray | None:
        """The hard mask as painted (float32 (H, W)); not a copy, do not modify."""
        return self._mask

    def feather(self) -> float:
        return self._feather

    def set_feather(self, amount: float):
        amount = max(0.0, float(amount))
        if amount != self._feather:
            self._feather = amount
            self._effective = None
            self._feather_timer.start()

    def effective_mask(self) -> np.ndarray | None:
        """The mask a run gets: the hard mask feathered by the current amount (a new array)."""
        if self._mask is None:
            return None
        if self._effective is None:
            self._effective = masks.feather(self._mask, self._feather)
        return self._effective.copy()

    def set_mask(self, mask: np.ndarray, label: str = "load mask"):
        """Replace the mask (undoable, through the session)."""
        self.session.set_mask(mask, label)

    def invert_mask(self):
        self.session.invert_mask()

    def clear_mask(self):
        self.session.clear_mask()

    def undo(self) -> bool:
        """Undo the last mask edit or accepted result (the session's one history)."""
        return self._step_history(self.session.undo)

    def redo(self) -> bool:
        return self._step_history(self.session.redo)

    def _step_history(self, step) -> bool:
        if self._mask is None or self._stroke is not None:
            return False
        return step() is not None

    def _mask_edited(self, live: bool = False, box=None):
        self._effective = None
        if live:  # during a stroke: update the hard mask where it changed; feather after release
            self._refresh_overlay(hard=True, box=box)
            return
        self._refresh_overlay()
        self.maskChanged.emit()

    def set_overlay_visible(self, on: bool):
        self._overlay_visible = bool(on)
        self.overlay_item.setVisible(self._overlay_visible)

    def overlay_visible(self) -> bool:
        return self._overlay_visible

    def set_overlay_opacity(self, opacity: float):
        self._overlay_opacity = float(np.clip(opacity, 0.0, 1.0))
        self._refresh_overlay()

    def _refresh_overlay(self, hard: bool = False, box=None):
        if self._mask is None:
            self._rgba = None
            self.overlay_item.clear()
            return
        if hard or self._feather <= 0:
            m = self._mask
        else:
            if self._effective is None:
                self._effective = masks.feather(self._mask, self._feather)
            m = self._effective
        H, W = m.shape
        rgba = self._rgba
        if rgba is None or rgba.shape[:2] != (H, W):
            rgba = self._rgba = np.empty((H, W, 4), dtype=np.uint8)
            rgba[:, :, :3] = MASK_COLOR
            box = None
        x0, y0, x1, y1 = box if box is not None else (0, 0, W, H)
        alpha = m[y0:y1, x0:x1] * np.float32(255.0 * self._overlay_opacity)
        alpha += 0.5
        rgba[y0:y1, x0:x1, 3] = alpha.astype(np.uint8)
        self.overlay_item.setImage(rgba, autoLevels=False, levels=(0, 255))
        self.overlay_item.setVisible(self._overlay_visible)

    # -- tools --------------------------------------------------------------------------------------
    def tool(self) -> Tool:
        return self._tool

    def set_tool(self, tool):
        tool = Tool(tool)
        if tool != self._tool:
            self._cancel_gesture()
            self._tool = tool
            self._update_cursor_shape()
            self.toolChanged.emit(tool)

    def set_subtract(self, on: bool):
        """Subtract mode: the mask tools take pixels out of the mask (as Ctrl held does)."""
        self._subtract = bool(on)

    def subtracting(self) -> bool:
        return self._subtract

    def brush_size(self) -> float:
        """Brush diameter in image pixels."""
        return self._brush

    def set_brush_size(self, size: float):
        size = float(np.clip(size, 1, 500))
        if size != self._brush:
            self._brush = size
            self._update_brush_cursor()
            self.brushSizeChanged.emit(size)

    def grow_brush(self, factor: float):
        step = max(1.0, round(self._brush * abs(factor - 1.0)))
        self.set_brush_size(self._brush + step if factor > 1 else self._brush - step)

    def set_editable(self, on: bool):
        self._editable = bool(on)
        if not on:
            self._cancel_gesture()
        self._update_cursor_shape()

    def editable(self) -> bool:
        return self._editable

    def _can_paint(self) -> bool:
        return self._editable and self._mask is not None and self._tool in PAINT_TOOLS

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
        self._update_brush_cursor()
        self.zoomChanged.emit(self.zoom())

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
            info["mask"] = float(self._mask[i, j])
            if self._feather > 0 and self._effective is not None:
                info["mask"] = float(self._effective[i, j])
        return info
