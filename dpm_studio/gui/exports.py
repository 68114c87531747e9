"""Trajectory exports off the GUI thread, with progress and Cancel.

A 50-frame export of a large image took 10-20 s on the GUI thread: the window froze with
the closed file dialog still painted over it, and nothing said how far it was. Here the
frames are composited and written one by one in a worker thread (the run's
:class:`~dpm_studio.gui.runner.GeneratorWorker`), a progress dialog counts them, and its
Cancel stops after the current frame (a GIF is written only at the end, so a cancelled
GIF leaves no file; cancelled PNG frames leave those already written, and say how many).
"""

from __future__ import annotations

from PySide6.QtCore import QThread, Qt, Signal, Slot
from PySide6.QtWidgets import QProgressDialog

from .runner import GeneratorWorker, WorkerHost

__all__ = ["Exporter"]


class Exporter(WorkerHost):
    """One export at a time. ``start(steps, total, label)``: ``steps`` is a generator yielding once per
    frame done. Signals (GUI thread): ``progressed(done, total)``, ``finished(done)``, ``aborted(done)``,
    ``errored(ErrorInfo)``; each end signal comes after the thread has ended."""

    progressed = Signal(int, int)
    finished = Signal(int)
    aborted = Signal(int)
    errored = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._thread = self._worker = None
        self._outcome = None
        self.done = self.total = 0
        self.dialog: QProgressDialog | None = None

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, steps, total: int, label: str, parent_widget=None):
        if self._thread is not None:
            raise RuntimeError("an export is already in progress")
        self.done, self.total, self._outcome = 0, int(total), None
        thread = QThread()
        thread.setObjectName("dpm-studio-export")
        worker = GeneratorWorker(lambda: steps)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.yielded.connect(self._on_yielded)   # queued: @Slots of this GUI-thread object
        worker.finished.connect(self._on_finished)
        worker.aborted.connect(self._on_aborted)
        worker.errored.connect(self._on_errored)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        dlg = QProgressDialog(label, "Cancel", 0, max(1, self.total), parent_widget)
        dlg.setWindowTitle("Exporting")
        dlg.setWindowModality(Qt.WindowModal)
        dlg.setMinimumDuration(0)
        dlg.setAutoClose(False)
        dlg.setAutoReset(False)
        dlg.canceled.connect(self.cancel)
        dlg.setValue(0)
        dlg.show()
        self.dialog = dlg
        thread.start()

    @Slot()
    def cancel(self):
        if self._worker is not None:
            self._worker.quit()
            if self.dialog is not None:
                self.dialog.setLabelText("Stopping after the current frame\u2026")

    @Slot(object)
    def _on_yielded(self, _item):
        if self._stale():
            return
        self.done += 1
        if self.dialog is not None:
            self.dialog.setValue(min(self.done, self.dialog.maximum()))
        self.progressed.emit(self.done, self.total)

    @Slot(object)
    def _on_finished(self, _last):
        if not self._stale():
            self._outcome = ("finished", self.done)
            self._thread.quit()

    @Slot()
    def _on_aborted(self):
        if not self._stale():
            self._outcome = ("aborted", self.done)
            self._thread.quit()

    @Slot(object)
    def _on_errored(self, info):
        if not self._stale():
            self._outcome = ("errored", info)
            self._thread.quit()

    @Slot()
    def _on_thread_finished(self):
        if self._thread is None or self.sender() is not self._thread:
            return
        self._thread.wait(1000)
        kind, payload = self._outcome or ("aborted", self.done)
        self._cleanup()
        getattr(self, kind).emit(payload)

    def _cleanup(self):
        if self.dialog is not None:
            self.dialog.canceled.disconnect(self.cancel)
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        self._worker = self._thread = None
