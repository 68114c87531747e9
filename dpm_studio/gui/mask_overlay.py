"""The mask as the canvas shows it: a translucent colour layer over the picture, feathered by
the session's amount (the mask panel sets it; the same rule a run applies,
:func:`dpm_studio.core.run.masks.feather`, through :meth:`Session.effective_mask`).

:class:`MaskOverlay` reads the session's mask and feather and never writes the mask; the canvas
tells it when the mask changed (:meth:`MaskOverlay.changed`)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QTimer

from .mask_tools import MASK_COLOR
__all__ = ["MaskOverlay"]


class MaskOverlay(QObject):
    """The overlay layer (``item``); the feather amount and the feathered mask a run gets are the session's."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.item = pg.ImageItem(axisOrder="row-major")
        self.item.setZValue(5)
        self._rgba: np.ndarray | None = None       # the layer's pixels (colour + alpha = mask)
        self._visible = True
        self._opacity = 0.5
        # Feathering a large mask takes a moment: redraw once the amount stops changing.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.refresh)
        session.events.feather.connect(self._on_feather)

    # -- feather ---------------------------------------------------------------------------------------
    def feather(self) -> float:
        return self.session.feather

    def set_feather(self, amount: float):
        self.session.set_feather(amount)

    def _on_feather(self, _event):
        self._timer.start()

    def effective(self) -> np.ndarray | None:
        """The mask a run gets: the hard mask feathered by the session's amount (a new array)."""
        return self.session.effective_mask()

    def value_at(self, i: int, j: int) -> float:
        """The mask at row i, column j as the overlay shows it (feathered when the feather is on)."""
        if self.session.feather > 0:
            return float(self.session.effective_mask(copy=False)[i, j])
        return float(self.session.mask[i, j])

    # -- drawing -----------------------------------------------------------------------------------------
    def changed(self, live: bool = False, box=None):
        """The mask changed; ``live``: during a stroke, redraw the hard mask in ``box`` only (the
        feather follows on release)."""
        self.refresh(hard=live, box=box if live else None)

    def forget(self):
        """No image: nothing to draw."""
        self._rgba = None
        self.item.clear()

    def stop(self):
        self._timer.stop()

    def set_visible(self, on: bool):
        self._visible = bool(on)
        self.item.setVisible(self._visible)

    def visible(self) -> bool:
        return self._visible

    def set_opacity(self, opacity: float):
        self._opacity = float(np.clip(opacity, 0.0, 1.0))
        self.refresh()

    def refresh(self, hard: bool = False, box=None):
        mask = self.session.mask
        if mask is None:
            self._rgba = None
            self.item.clear()
            return
        m = mask if hard or self.session.feather <= 0 else self.session.effective_mask(copy=False)
        if box is None and not m.any():
            # Nothing to draw (every image opens with an empty mask): a transparent layer the size of
            # a 12 MP photo took 0.2-0.4 s of File > Open (docs/speed.md). The next stroke draws it whole.
            self._rgba = None
            self.item.clear()
            self.item.setVisible(self._visible)
            return
        H, W = m.shape
        rgba = self._rgba
        if rgba is None or rgba.shape[:2] != (H, W):
            rgba = self._rgba = np.empty((H, W, 4), dtype=np.uint8)
            rgba[:, :, :3] = MASK_COLOR
            box = None
        x0, y0, x1, y1 = box if box is not None else (0, 0, W, H)
        alpha = m[y0:y1, x0:x1] * np.float32(255.0 * self._opacity)
        alpha += 0.5
        rgba[y0:y1, x0:x1, 3] = alpha.astype(np.uint8)
        self.item.setImage(rgba, autoLevels=False, levels=None)
        self.item.setVisible(self._visible)
