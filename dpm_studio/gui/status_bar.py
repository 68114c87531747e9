"""The window's status bar: a message too long for the room left of the permanent labels (the pixel
readout, the image's size, the zoom) ends in an ellipsis, with the whole text in its tooltip.

QStatusBar cuts such a message mid-word with no sign that more was said: a denoise's "Note: estimated
noise: poisson-gaussian, var = 0.00985 x + 0.00036 (std 4.8 at black, 2" (seen under Xvfb, a 1312 px
window). ``currentMessage`` stays the whole text, as shown to the user on hover.

The message is elided again whenever its room changes (the window resized, the pixel readout shown or
grown), for the time it has left: elided once when shown, a message shown in a wide window was cut
mid-word after the window was narrowed ("Save it with File › Save As (", seen under Xvfb at 890 px),
and one shorter than a narrow window stayed elided after it was widened.

A menu item's status tip (Qt shows it itself when the pointer is on the item) replaced the message for
good: after a look in the View menu "Done in 6.6 s ... Accept (Ctrl+Shift+Return) keeps the result" was
gone. When the tip is taken away, the message comes back for the time it has left.

A message naming a file (``showMessage(text, timeout, path=...)``: "Saved /home/.../x-dpm.png") is elided in
the path's middle, its folders first, the file name last: elided at its right end, "Saved
/tmp/pytest-of-ro…" at 760 px said nothing of where the file went (only the tooltip did). What follows the
path (a note) gives way before it.

The pixel readout (``set_readout``) gives way to a message that times out and does not fit beside it, until
the message's time is up: at 760 px, with the pointer on the image (where Ctrl+Z and Ctrl+S are pressed), its
300 px cut "Undid accept denoise: the image is a…" and "Result accepted (Ctrl+Z undoes it). S…" (Xvfb). A
message that stays (a run's) leaves it in place.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QStatusBar

__all__ = ["StatusBar", "elide_message"]

MARGIN = 12   # px between the message and the first permanent label, and at the left edge


def elide_message(text: str, path: str | None, width, room: int, elided) -> str:
    """``text`` fitted in ``room`` px (``width(s)``: a string's width; ``elided(s, mode, px)``: Qt's
    QFontMetrics.elidedText). Where ``path`` is in ``text`` what goes first is the end of the words after the
    path (a note), then the middle of its folders ("/home/…/restored/"), then the middle of the file name
    (its extension stays); the words before it stay. Else the text's right end goes."""
    if width(text) <= room:
        return text
    budget = room
    for _ in range(4):   # the pieces' widths need not add up (kerning): a px or two over is taken off again
        shown = _elide_path(text, path, width, budget, elided)
        if width(shown) <= room:
            return shown
        budget -= width(shown) - room
    return elided(text, Qt.ElideRight, room)


def _elide_path(text: str, path: str | None, width, room: int, elided) -> str:
    at = text.find(path) if path else -1
    if at < 0:
        return elided(text, Qt.ElideRight, room)
    head, tail = text[:at], text[at + len(path):]
    cut = max(path.rfind("/"), path.rfind("\\")) + 1
    folder, name = path[:cut], path[cut:]
    least = "\u2026" + folder[-1:]   # "…/": the folders all gone, their last separator kept
    left = room - width(head)
    if left - width(least) < width(name):   # the file name's middle goes, and the note
        return head + least + elided(name, Qt.ElideMiddle, left - width(least)) if left > width(least) * 3 \
            else elided(text, Qt.ElideRight, room)
    ends = width(" \u2026") if tail else 0   # the note, cut, says so
    fit = min(width(folder), left - width(name) - ends)
    shown = folder if fit >= width(folder) else elided(folder, Qt.ElideMiddle, fit) if fit > width(least) else least
    if not shown.strip("\u2026"):
        shown = least
    rest = left - width(shown + name)
    return head + shown + name + (tail if width(tail) <= rest else elided(tail, Qt.ElideRight, max(rest, 0)))


class StatusBar(QStatusBar):
    """A QStatusBar that elides a message that does not fit (see the module docstring)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._full = ""
        self._path: str | None = None   # a file's path in the message: elided in its middle, its name kept
        self._until = None   # when the message on show times out (time.monotonic()), None: never
        self._shown = ""     # the message as elided and shown (Qt's own messages, a menu's tips, are not ours)
        self._permanent = []
        self._readout = None        # a permanent label that gives way to a timed message (set_readout)
        self._readout_on = False    # it has something to show (show_readout)
        self._yielded = False       # it gives way to the message on show
        self.messageChanged.connect(self._on_message_changed)
        if parent is not None:   # the window gets the status tips (QStatusTipEvent) of its menus and widgets
            parent.installEventFilter(self)

    def addPermanentWidget(self, widget, stretch: int = 0):
        self._permanent.append(widget)
        widget.installEventFilter(self)   # a label shown, hidden or resized changes the message's room
        super().addPermanentWidget(widget, stretch)

    def set_readout(self, widget):
        """``widget`` (a permanent one) is shown only while it has something to show (:meth:`show_readout`), and
        gives way to a message that times out and does not fit beside it."""
        self._readout = widget
        widget.hide()

    def show_readout(self, on: bool):
        self._readout_on = bool(on)
        self._place_readout()

    def _place_readout(self):
        """The readout shown where it has something to show, unless a timed message on show does not fit beside
        it. Never called from the readout's own Show or Hide event (a hide inside the show left it drawn)."""
        r = self._readout
        if r is None:
            return
        left = self._left()
        if self._readout_on and left is not None and left >= 100:   # a timed message with time left
            beside = self.room() - (max(r.minimumWidth(), r.sizeHint().width()) if r.isHidden() else 0)
            self._yielded = self.fontMetrics().horizontalAdvance(self._full) > beside
        else:
            self._yielded = False
        want = self._readout_on and not self._yielded
        if want == r.isHidden():
            r.setVisible(want)

    def _on_message_changed(self, text: str):
        """The message's time is up, or it was cleared: the readout is back. An empty status tip (the pointer
        leaving a widget that has one; Qt clears the bar itself) is not the end of the message."""
        if not text and self._yielded:
            self._place_readout()

    def room(self) -> int:
        """The width (px) the message has: up to the first visible permanent label, as Qt lays it out.
        Before the layout has run, the labels' size hints stand for their widths."""
        taken = sum(max(w.width() if w.isVisible() else 0, w.minimumWidth(), w.sizeHint().width())
                    for w in self._permanent if not w.isHidden())
        return self.width() - taken - MARGIN * (2 + len(self._permanent))

    def showMessage(self, text: str, timeout: int = 0, path=None):
        """``path``: a file (or folder) named in ``text``, elided in its middle, its name kept."""
        self._full = text or ""
        self._path = None if path is None else str(path)
        self._until = time.monotonic() + timeout / 1000 if timeout > 0 else None
        self._place_readout()   # the readout gives way to it, or comes back (its Show or Hide refits the message)
        self._show(timeout)

    def _show(self, timeout: int):
        fm = self.fontMetrics()
        room = self.room()
        shown = elide_message(self._full, self._path, fm.horizontalAdvance, room, fm.elidedText) if room > 0 \
            else self._full
        self.setToolTip(self._full if shown != self._full else "")
        self._shown = shown
        super().showMessage(shown, timeout)

    def _left(self) -> int | None:
        """How long (ms) the message has left: 0 for no timeout, None when it has timed out or there is none."""
        if not self._full:
            return None
        if self._until is None:
            return 0
        left = int(round((self._until - time.monotonic()) * 1000))
        return left if left > 0 else None

    def _refit(self):
        """The room changed: elide the message on show anew, for the time it has left."""
        left = self._left()
        if left is not None and super().currentMessage() == self._shown:   # not a menu's tip Qt showed itself
            self._show(left)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._place_readout()
        self._refit()

    def eventFilter(self, obj, event):
        kind = event.type()
        if kind == QEvent.StatusTip:
            left = self._left()
            if event.tip() or left is None:
                return False   # Qt shows the tip (or clears the bar) itself
            self._show(left)   # the tip is gone: the message it covered is back
            return True
        if kind in (QEvent.Resize, QEvent.Show, QEvent.Hide) and obj is not self.parent():
            self._refit()
        return False

    def clearMessage(self):
        self._full = ""
        self.setToolTip("")
        super().clearMessage()
        self._place_readout()

    def currentMessage(self) -> str:
        """The whole message on show ('' once cleared or timed out), not its elided form."""
        return self._full if super().currentMessage() else ""
