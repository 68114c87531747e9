"""A run's current crop on the canvas: drawn over the picture at its box, so a frame of a large
image costs the crop, not a redraw of the whole image; and the picture under the crops, the
image with the run's finished pieces pasted in (:func:`~.frames.composite`)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from .model.frames import composite

__all__ = ["RunCrop"]


class RunCrop:
    """The crop layer (``item``, just above the picture) in view ``vb``."""

    def __init__(self, vb: pg.ViewBox):
        self.item = pg.ImageItem(axisOrder="row-major")
        self.item.setZValue(0.5)
        self.item.setVisible(False)
        vb.addItem(self.item)
        self._crop = None          # (uint8 crop, box) while the layer shows one
        self._under = None         # the picture under the crops: the image with the finished pieces
        self._pieces = 0           # how many finished pieces _under holds

    def hide(self):
        """No run on the picture: forget the crop and the finished pieces."""
        self._crop = None
        self._under, self._pieces = None, 0
        self.item.setVisible(False)

    def under(self, base_u8: np.ndarray, patches) -> np.ndarray:
        """The picture under the crops, given the run's finished ``patches`` ((box, crop), ...) and
        the image they go into; a new run (fewer patches than before) starts from the image."""
        if len(patches) < self._pieces or self._under is None:
            self._under, self._pieces = base_u8, 0
        if len(patches) > self._pieces:  # a piece finished: it joins the picture (a rare full redraw)
            self._under = composite(self._under, patches[-1][1], patches[-1][0], patches[self._pieces:-1])
            self._pieces = len(patches)
        return self._under

    def show(self, u8: np.ndarray, box, visible: bool = True):
        """Draw crop ``u8`` (uint8 (h, w, C)) at ``box`` (top, left, bottom, right)."""
        top, left, bottom, right = box
        self._crop = (u8, box)
        a = u8[:, :, 0] if u8.shape[2] == 1 else u8
        self.item.setImage(np.ascontiguousarray(a), autoLevels=False, levels=None)
        self.item.setRect(QRectF(left, top, right - left, bottom - top))
        self.item.setVisible(visible)

    def set_visible(self, on: bool):
        """Show the crop again (if there is one), or hide it while the original is shown."""
        self.item.setVisible(on and self._crop is not None)

    def over(self, picture: np.ndarray | None) -> np.ndarray | None:
        """``picture`` with the current crop pasted in (a new array), or ``picture`` when none."""
        if self._crop is not None and picture is not None:
            return composite(picture, self._crop[0], self._crop[1])
        return picture
