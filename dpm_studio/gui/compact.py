"""The window on a small screen (760 x 600: a 800 px laptop, half of a 1366 px screen tiled side by
side): the tools toolbar drops the words under its icons (each keeps its tooltip) when they would
not all fit its height, or when the window is narrower than ``NARROW`` px, so the canvas keeps its
room and Fit never falls off the bottom. The result bar under the canvas wraps to two rows by
itself (panels.ResultBar)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QToolBar

__all__ = ["CompactToolbar", "NARROW"]

NARROW = 960   # px: below this the toolbar's words go (44 px of canvas back)


class CompactToolbar(QObject):
    """Watches the window's size; picks the toolbar's style to fit it."""

    def __init__(self, window, toolbar: QToolBar):
        super().__init__(window)
        self.window, self.toolbar = window, toolbar
        toolbar.setToolButtonStyle(Qt.ToolButtonTextUnderIcon)
        self._full_height = toolbar.sizeHint().height()   # every tool with its words
        window.installEventFilter(self)

    def eventFilter(self, obj, event):
        if obj is self.window and event.type() == QEvent.Resize:
            self.fit(event.size().width(), event.size().height())
        return False

    def fit(self, width: int, height: int):
        tb, w = self.toolbar, self.window
        room = height - w.menuBar().sizeHint().height() - w.statusBar().sizeHint().height()
        words = width >= NARROW and room >= self._full_height
        style = Qt.ToolButtonTextUnderIcon if words else Qt.ToolButtonIconOnly
        if tb.toolButtonStyle() != style:
            tb.setToolButtonStyle(style)
