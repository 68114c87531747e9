"""The window's status bar: a message too long for the room left of the permanent labels (the pixel
readout, the image's size, the zoom) ends in an ellipsis, with the whole text in its tooltip.

QStatusBar cuts such a message mid-word with no sign that more was said: a denoise's "Note: estimated
noise: poisson-gaussian, var = 0.00985 x + 0.00036 (std 4.8 at black, 2" (seen under Xvfb, a 1312 px
window). ``currentMessage`` stays the whole text, as shown to the user on hover.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStatusBar

__all__ = ["StatusBar"]

MARGIN = 12   # px between the message and the first permanent label, and at the left edge


class StatusBar(QStatusBar):
    """A QStatusBar that elides a message that does not fit (see the module docstring)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._full = ""
        self._permanent = []

    def addPermanentWidget(self, widget, stretch: int = 0):
        self._permanent.append(widget)
        super().addPermanentWidget(widget, stretch)

    def room(self) -> int:
        """The width (px) the message has: up to the first visible permanent label, as Qt lays it out.
        Before the layout has run, the labels' size hints stand for their widths."""
        taken = sum(max(w.width() if w.isVisible() else 0, w.minimumWidth(), w.sizeHint().width())
                    for w in self._permanent if not w.isHidden())
        return self.width() - taken - MARGIN * (2 + len(self._permanent))

    def showMessage(self, text: str, timeout: int = 0):
        self._full = text or ""
        room = self.room()
        shown = self.fontMetrics().elidedText(self._full, Qt.ElideRight, room) if room > 0 else self._full
        self.setToolTip(self._full if shown != self._full else "")
        super().showMessage(shown, timeout)

    def clearMessage(self):
        self._full = ""
        self.setToolTip("")
        super().clearMessage()

    def currentMessage(self) -> str:
        """The whole message on show ('' once cleared or timed out), not its elided form."""
        return self._full if super().currentMessage() else ""
