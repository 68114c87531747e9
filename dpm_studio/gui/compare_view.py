"""Before | after on the canvas: the image before a run left of a draggable divider, the
picture the canvas shows right of it, each side labelled.

:class:`SplitCompare` owns the 'before' image and its layer; the canvas tells it what it shows
(:meth:`SplitCompare.follow`) and shows the 'before' image whole itself while a key is held."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from ..imageio import to_uint8

__all__ = ["SplitCompare"]


class SplitCompare:
    """The 'before' layer (``item``), the divider (``line``) and the two labels, in view ``vb``."""

    def __init__(self, vb: pg.ViewBox):
        self.item = pg.ImageItem(axisOrder="row-major")
        self.item.setZValue(1)
        self.item.setVisible(False)
        vb.addItem(self.item)
        self.line = pg.InfiniteLine(angle=90, movable=True, pen=pg.mkPen((255, 255, 255), width=2),
                                    hoverPen=pg.mkPen((255, 200, 80), width=3))
        self.line.setZValue(20)
        self.line.setVisible(False)
        vb.addItem(self.line, ignoreBounds=True)
        self._labels = [pg.TextItem("before", color=(255, 255, 255), fill=(0, 0, 0, 150), anchor=(1, 0)),
                        pg.TextItem("after", color=(255, 255, 255), fill=(0, 0, 0, 150), anchor=(0, 0))]
        for lab in self._labels:
            lab.setZValue(21)
            lab.setVisible(False)
            vb.addItem(lab, ignoreBounds=True)
        self._original: np.ndarray | None = None   # the image before a run, uint8
        self._on = False
        self._shown: np.ndarray | None = None      # the picture right of the divider
        self._covered = False                      # the 'before' image is shown whole: no divider
        self.line.sigPositionChanged.connect(self._redraw)

    def original(self) -> np.ndarray | None:
        return self._original

    def set_original(self, image: np.ndarray | None):
        """The 'before' image (float in [0, 1] or uint8); None: nothing to compare."""
        self._original = None if image is None else image if image.dtype == np.uint8 else to_uint8(image)
        if image is None:
            self.item.setVisible(False)
        else:
            self._redraw()

    def clear(self):
        """No image: nothing before, nothing after."""
        self._original = self._shown = None
        self.item.clear()

    def set_on(self, on: bool):
        """The split view on or off; turned on, a divider outside the picture moves to its middle."""
        self._on = bool(on)
        if on and self._shown is not None:
            W = self._shown.shape[1]
            if not (0 < self.line.value() < W):
                self.line.setValue(W / 2)
        self._redraw()

    def on(self) -> bool:
        return self._on

    def follow(self, shown: np.ndarray | None, covered: bool):
        """The canvas shows ``shown`` (uint8), or the 'before' image whole (``covered``)."""
        self._shown, self._covered = shown, covered
        self._redraw()

    def cover(self):
        """The canvas shows the 'before' image whole: the left part's layer hides."""
        self._covered = True
        self.item.setVisible(False)

    def _redraw(self, *_):
        ok = (self._on and self._original is not None and self._shown is not None
              and self._original.shape[:2] == self._shown.shape[:2] and not self._covered)
        self.line.setVisible(ok)
        for lab in self._labels:
            lab.setVisible(ok)
        if not ok:
            self.item.setVisible(False)
            return
        H, W = self._original.shape[:2]
        x = int(np.clip(round(self.line.value()), 0, W))
        left = self._original[:, :x]
        a = left[:, :, 0] if left.ndim == 3 and left.shape[2] == 1 else left
        if x > 0:
            self.item.setImage(np.ascontiguousarray(a), autoLevels=False, levels=None)
            self.item.setRect(QRectF(0, 0, x, H))
            self.item.setVisible(True)
        else:
            self.item.setVisible(False)
        for lab in self._labels:
            lab.setPos(x, 0)
