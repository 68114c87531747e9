"""Trajectory exports off the GUI thread, with progress and Cancel.

A 50-frame export of a large image took 10-20 s on the GUI thread: the window froze with
the closed file dialog still painted over it, and nothing said how far it was. Here the
frames are composited and written one by one in a worker thread (the run's
:class:`~dpm_studio.gui.runner.GeneratorWorker`), a progress dialog counts them, and its
Cancel stops after the current frame (a GIF is written only at the end, so a cancelled
GIF leaves no file; cancelled PNG frames leave those already written, and say how many).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Qt, Signal, Slot
from PySide6.QtWidgets import QProgressDialog

from .dialogs import may_replace
from .runner import GeneratorWorker, WorkerHost

__all__ = ["Exporter", "TrajectoryExports", "GIF_MAX_FRAMES"]


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
        self._start_thread(thread)

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
        self._thread_ended()


GIF_MAX_FRAMES = 40   # a trajectory GIF's frames, evenly spread; the PNG frames keep them all


class TrajectoryExports(QObject):
    """File > Export Trajectory (``window.exports``): the session's recorded trajectory, the chosen
    chain's, written by an :class:`Exporter` off the GUI thread; its end signals come to this
    QObject's slots in the GUI thread."""

    def __init__(self, window):
        super().__init__(window)
        self.w, self.session = window, window.session
        self.exporter = Exporter(window)
        self.exporter.finished.connect(self._on_export_finished)
        self.exporter.aborted.connect(self._on_export_aborted)
        self.exporter.errored.connect(self._on_export_errored)
        self._done = None

    def _status(self, text: str, ms: int = 0, path=None):
        self.w.statusBar().showMessage(text, ms, path=path)

    def _frames(self, indices=None):
        """The chosen chain's frames as whole images, composited one at a time (in the exporter's thread)."""
        from ..imageio import from_uint8

        tr, predicted, chain = self.session.trajectory, self.w.show_x0, self.session.chain()  # read now
        ks = list(range(len(tr)) if indices is None else indices)
        return (from_uint8(tr.frame(k, predicted, chain)) for k in ks)

    def _export(self, steps, n: int, what: str, done) -> bool:
        """Run ``steps(frames)`` (a generator, one item per frame) off the GUI thread; ``done(k)`` is the
        status text once k frames are written, and the path it names."""
        tr = self.session.trajectory
        if tr is None or not len(tr):
            self._status("Run a task first: there is no trajectory to export", 4000)
            return False
        if self.exporter.is_running():
            self._status("An export is in progress.", 4000)
            return False
        self._done = done
        self.exporter.start(steps, n, f"Exporting {what}\u2026", self.w)
        self._status(f"Exporting {what}\u2026 (Cancel in the progress window stops it)")
        return True

    @Slot(int)
    def _on_export_finished(self, n: int):
        text, where = self._done(n)
        self._status(text, 5000, where)

    @Slot(int)
    def _on_export_aborted(self, n: int):
        self._status(f"Export cancelled ({n} of {self.exporter.total} frames were done).", 6000)

    @Slot(object)
    def _on_export_errored(self, info):
        self._status("The export failed.", 5000)
        self.w.dialogs.error("Cannot export trajectory", info.message)

    def gif(self, path, duration_ms: int = 60) -> bool:
        """Start writing the chosen chain as a GIF (at most GIF_MAX_FRAMES frames, evenly spread, the last
        one included; at most imageio.GIF_MAX_SIDE px); the exporter reports the end."""
        from .. import imageio
        from .model.analysis import frame_indices

        tr = self.session.trajectory
        keep = sorted(frame_indices(len(tr) if tr is not None else 0, GIF_MAX_FRAMES))
        return self._export(imageio.save_gif_steps(path, self._frames(keep), duration_ms), len(keep),
                            "the trajectory as a GIF", lambda k: (f"Exported {k} frames to {path}", path))

    def frames(self, folder) -> bool:
        from .. import imageio

        tr = self.session.trajectory
        n = len(tr) if tr is not None else 0
        return self._export(imageio.save_frames_steps(folder, self._frames(), n), n,
                            "the trajectory's frames", lambda k: (f"Exported {k} PNG frames to {folder}", folder))

    def gif_dialog(self):
        files = self.w.files
        stem = Path(self.w.doc_name() or "untitled").stem
        p = self.w.dialogs.save_file("Export Trajectory as GIF",
                                     str(Path(files.last_folder()) / f"{stem}-trajectory.gif"), "GIF (*.gif)")
        if p:
            final = p if p.lower().endswith(".gif") else p + ".gif"
            if may_replace(self.w.dialogs, p, final):   # the dialog asked about the name without .gif
                self.gif(final)

    def frames_dialog(self):
        from .. import imageio

        p = self.w.dialogs.folder("Export Trajectory Frames to Folder", self.w.files.last_folder())
        if not p:
            return
        tr = self.session.trajectory
        there = [f for f in imageio.frame_paths(p, len(tr) if tr is not None else 0) if os.path.lexists(f)]
        if there and not self.w.dialogs.confirm(   # the folder's frames of an earlier export: asked, as a file
                "Replace the frames?", f"{Path(p).name} holds {len(there)} frame{'s' * (len(there) > 1)} already "
                f"({there[0].name}{', ...' if len(there) > 1 else ''}). Replace them? What they hold now cannot "
                "be recovered."):
            return
        self.frames(p)
