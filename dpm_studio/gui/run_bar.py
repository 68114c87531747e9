"""The task panel's run bar: Run / Cancel, the progress bar (the time left in its text) and the
hint line that says why a run cannot start."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from . import icons
from .theme import contrast, readable

__all__ = ["RunBar", "contrast", "hint_red"]


HINT_RED = "#c0392b"   # on a light window (239): 4.7 to 1; on a dark one (53) 2.3 to 1, hence hint_red
READABLE = 4.5         # WCAG's least contrast ratio for normal text


def hint_red(palette: QPalette) -> str:
    """The error hint's red for text on ``palette``'s window: HINT_RED where it reads (a light window), else the
    same hue made READABLE against it (:func:`.theme.readable`)."""
    return readable(QColor(HINT_RED), palette.color(QPalette.Window), READABLE).name()


CANCEL_TIP = "Stop the run after the current step (Esc)"


class RunBar(QWidget):
    """``run_button``, ``cancel_button``, ``progress``, ``eta`` (not shown: the bar's tooltip)
    and ``hint``."""

    def __init__(self, parent=None):
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        run_row = QHBoxLayout()
        self.run_button = QPushButton(icons.icon("run"), "Run")
        self.run_button.setToolTip("Run the task (Ctrl+Return)")
        self.run_button.setMinimumHeight(34)
        self.run_button.setDefault(True)
        f = self.run_button.font()
        f.setBold(True)
        self.run_button.setFont(f)
        self.cancel_button = QPushButton(icons.icon("stop"), "Cancel")
        self.cancel_button.setMinimumHeight(34)
        self._waiting = ""   # why Run waits (set_waiting), '' when it need not
        self.set_running(False)
        run_row.addWidget(self.run_button, 2)
        run_row.addWidget(self.cancel_button, 1)
        outer.addLayout(run_row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("idle")
        outer.addWidget(self.progress)
        self.eta = QLabel("")   # the time left, also in the bar's text (no line that comes and goes)
        self.eta.setVisible(False)
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        self._error = True   # the hint is an error (red), not a note (the text's colour)
        self._style_hint()
        self.hint.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        # Room for two lines whether or not there is a hint: the controls below never move.
        self.hint.setFixedHeight(2 * self.hint.fontMetrics().lineSpacing() + 4)
        outer.addWidget(self.hint)

    def set_running(self, running: bool):
        self._running = running
        self._show_run()
        self.cancel_button.setEnabled(running)
        self.cancel_button.setToolTip(CANCEL_TIP if running else "Greyed out: no run is going.\n\n" + CANCEL_TIP)

    def set_waiting(self, why: str):
        """Run greyed, saying ``why`` (the model is loading: gui/checkpoints.py), until it is called with ''."""
        self._waiting = why
        self._show_run()

    def _show_run(self):
        running, why = self._running, self._waiting
        self.run_button.setEnabled(not running and not why)
        self.run_button.setToolTip("Greyed out: a run is going (Cancel stops it)." if running else
                                   f"Greyed out: {why}.\n\nRun the task (Ctrl+Return)" if why else
                                   "Run the task (Ctrl+Return)")

    def stopping(self):
        """Cancel was pressed: the run stops after its current step."""
        self.cancel_button.setEnabled(False)
        self.cancel_button.setToolTip("Greyed out: the run is stopping after its current step.")

    def set_progress(self, index: int, total: int, elapsed: float | None = None, eta: float | None = None,
                     text: str | None = None):
        """The bar at ``index`` of ``total``; ``text`` says it in the user's units (default: the count)."""
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(index)
        text = text or f"step {index} / {total}"
        if elapsed is not None:
            e = f"{elapsed:.1f} s elapsed"
            if eta is not None and eta == eta and index < total:
                e += f", about {fmt_seconds(eta)} left"
                text += f"  ·  {fmt_seconds(eta)} left"
            elif 0 < index < total:   # too few steady steps yet to tell (Frame.eta)
                e += ", estimating the time left"
                text += "  ·  estimating\u2026"
            self.eta.setText(e)
        self.progress.setFormat(text)
        self.progress.setToolTip(self.eta.text())

    def reset_progress(self, text: str = "idle"):
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat(text)
        self.progress.setToolTip("")
        self.eta.setText("")

    def set_hint(self, text: str, note: bool = False):
        """``text`` under Run: why it cannot run (red), or with ``note`` what it will do (the text colour)."""
        self.hint.setText(text)
        self.hint.setToolTip(text)
        self._error = not note
        self._style_hint()

    def _style_hint(self):
        self.hint.setStyleSheet(f"color: {hint_red(self.palette())};" if self._error else "")

    def changeEvent(self, event):
        """A palette change (the desktop's theme switched light/dark): the error red is chosen again."""
        if event.type() == QEvent.PaletteChange:
            self._style_hint()
        super().changeEvent(event)


def fmt_seconds(s: float) -> str:
    """A duration as the run bar says it: "42 s", "10 min", "1 h 11 min"."""
    if s < 1:
        return "<1 s"
    if s < 90:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{s / 60:.0f} min"
    m = int(round(s / 60))   # a 12 MP photo's denoise on a busy CPU: "71 min" read as a typo of 7
    return f"{m // 60} h {m % 60:02d} min"
