"""Running a task off the GUI thread.

Two layers:

- :class:`GeneratorWorker`, a superqt-style generator worker: a QObject moved to a
  QThread that iterates a generator and reports through the signals ``started``,
  ``yielded(object)``, ``finished(object)`` (the last value), ``errored(object)`` (an
  :class:`ErrorInfo`) and ``aborted()``. :meth:`GeneratorWorker.quit` may be called from any
  thread; the worker checks the flag between two items, and a :class:`RunJob` also before each
  network pass (:class:`~dpm_studio.gui.model.frames.RunCancelled`), so a run stops within one pass.
- :class:`TaskRunner`, a QObject living in the GUI thread that owns the thread and the
  worker for one run at a time, coalesces frames (only the latest pending one is kept, at
  most ``fps`` per second reach the display) and re-emits everything as GUI-thread
  signals.

PySide6 trap: a worker signal connected to a lambda, a ``functools.partial`` or a static
function runs that slot in the *worker* thread. Worker signals here are connected only to
``@Slot`` methods of QObjects that live in the GUI thread, so the connection is queued
and the slot runs in the GUI thread.

:func:`~dpm_studio.gui.model.frames.task_frames` (no Qt, in :mod:`.frames`) wraps the core's
``run_task`` and does the per-step bookkeeping in the worker thread.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from . import collector
from .model.frames import Frame, JobRefused, ModelNotLoaded, RunCancelled, RunJob, Stage, Trajectory, measuring, task_frames
from .qtfix import protect_singletons

__all__ = ["ErrorInfo", "Frame", "Trajectory", "RunJob", "JobRefused", "ModelNotLoaded", "Stage", "GeneratorWorker", "WorkerHost", "TaskRunner",
           "task_frames"]


# -- the Qt part -----------------------------------------------------------------------------------------
@dataclass
class ErrorInfo:
    exception: BaseException
    traceback: str

    @property
    def message(self) -> str:
        text = str(self.exception) or type(self.exception).__name__
        return text if isinstance(self.exception, ValueError) else f"{type(self.exception).__name__}: {text}"


class GeneratorWorker(QObject):
    """Iterates ``func(*args, **kwargs)`` (a generator) in whatever thread it lives in."""

    started = Signal()
    yielded = Signal(object)
    finished = Signal(object)
    errored = Signal(object)
    aborted = Signal()

    def __init__(self, func, *args, **kwargs):
        super().__init__()
        self._func, self._args, self._kwargs = func, args, kwargs
        self._abort = threading.Event()

    def quit(self):
        """Ask the worker to stop after the current item (thread-safe)."""
        self._abort.set()

    @property
    def abort_requested(self) -> bool:
        return self._abort.is_set()

    @Slot()
    def run(self):
        self.started.emit()
        gen = None
        last = None
        try:
            if self._abort.is_set():
                self.aborted.emit()
                return
            gen = self._func(*self._args, **self._kwargs)
            for item in gen:
                if self._abort.is_set():
                    break
                last = item
                self.yielded.emit(item)
                if self._abort.is_set():
                    break
            else:
                self.finished.emit(last)
                return
            gen.close()
            self.aborted.emit()
        except RunCancelled:  # the job saw the flag inside a step (between two network passes)
            self.aborted.emit()
        except BaseException as e:  # noqa: BLE001 - everything becomes a report, never a crash
            if gen is not None:
                try:
                    gen.close()
                except Exception:
                    pass
            self.errored.emit(ErrorInfo(e, traceback.format_exc()))


class WorkerHost(QObject):
    """A GUI-thread object owning one worker thread at a time (``_thread``, ``_worker``); a
    subclass's ``_cleanup`` drops them once the thread has ended."""

    _thread: QThread | None = None
    _worker: GeneratorWorker | None = None

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop the work and wait (bounded) for its thread; True when no thread is left running."""
        if self._thread is None:
            return True
        self._worker.quit()
        self._thread.quit()
        if not self._thread.wait(int(timeout_ms)):
            return False
        self._cleanup()
        return True

    def _stale(self) -> bool:
        """A report from work that was shut down (queued before its thread ended): ignore it,
        or it would end the next run (a run started after ``shutdown`` reported 'aborted')."""
        return self._worker is None or self.sender() is not self._worker

    def _cleanup(self):
        raise NotImplementedError

    _holds_collector = False

    def _start_thread(self, thread: QThread) -> None:
        """Start the work's thread. Until it has ended no garbage collection runs outside the GUI thread
        (gui/collector.py: one in this thread freed earlier windows' Qt objects, a segmentation fault)."""
        if not self._holds_collector:
            collector.hold()
            self._holds_collector = True
        thread.start()

    def _thread_ended(self) -> None:
        """The work's thread has ended and is dropped (each ``_cleanup`` ends with this)."""
        if self._holds_collector:
            self._holds_collector = False
            collector.release()


class TaskRunner(WorkerHost):
    """One run at a time in a QThread; GUI-thread signals with throttled frames.

    Signals: ``stage(Stage)`` (each of the run's measurements before its first network pass,
    and the job they resolved: every one delivered, in order, before the frames), ``frame(Frame)``
    (at most ``fps`` per second, always the latest; the last frame of a finished run is always delivered), ``finished(Frame)`` (the done frame,
    carrying the trajectory), ``aborted(object)`` (the last frame seen, or None),
    ``errored(ErrorInfo)``, ``runningChanged(bool)``. The final signal is emitted after
    the thread has ended, so a slot may start the next run straight away.
    """

    stage = Signal(object)
    frame = Signal(object)
    finished = Signal(object)
    aborted = Signal(object)
    errored = Signal(object)
    runningChanged = Signal(bool)

    def __init__(self, parent=None, fps: float = 30.0):
        protect_singletons()  # every emit and setter leaks a reference on PySide6 6.12 / Python 3.11
        super().__init__(parent)
        self.min_interval = 1.0 / float(fps)
        self._thread: QThread | None = None
        self._worker: GeneratorWorker | None = None
        self._pending: Frame | None = None
        self._last_seen: Frame | None = None
        self._last_emit = 0.0
        self._outcome = None
        self.frames_received = 0
        self.frames_emitted = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._flush)
        # A measurement a Cancel abandoned runs on after the run's thread (frames._watched): the collector
        # stays held until it ends, or a collection in its thread could free GUI-thread Qt objects.
        self._abandoned = QTimer(self)
        self._abandoned.setInterval(50)
        self._abandoned.timeout.connect(self._abandoned_check)

    # -- control (GUI thread) -----------------------------------------------------------------
    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, job: RunJob, func=task_frames):
        if self._thread is not None:
            raise RuntimeError("a run is already in progress")
        self._pending = self._last_seen = None
        self._outcome = None
        self.frames_received = self.frames_emitted = 0
        self._last_emit = 0.0
        thread = QThread()
        thread.setObjectName("dpm-studio-run")
        worker = GeneratorWorker(func, job)
        if isinstance(job, RunJob):
            job.stop = worker._abort   # read inside the job's steps too, not only between them
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # Queued into the GUI thread: every receiver below is a @Slot of this GUI-thread object.
        worker.yielded.connect(self._on_yielded)
        worker.finished.connect(self._on_finished)
        worker.errored.connect(self._on_errored)
        worker.aborted.connect(self._on_aborted)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        self._start_thread(thread)
        self.runningChanged.emit(True)

    def cancel(self):
        """Ask the run to stop after the current step; ``aborted`` follows."""
        if self._worker is not None:
            self._worker.quit()

    # -- worker reports (queued into the GUI thread) ------------------------------------------
    @Slot(object)
    def _on_yielded(self, item):
        if self._stale() or self._worker.abort_requested:
            return
        if isinstance(item, Stage):   # few, and each says something: never coalesced away
            self.stage.emit(item)
            return
        self.frames_received += 1
        self._pending = item
        self._last_seen = item
        if not self._timer.isActive():
            wait = self.min_interval - (time.perf_counter() - self._last_emit)
            self._timer.start(max(0, int(wait * 1000)))

    @Slot()
    def _flush(self):
        item, self._pending = self._pending, None
        if item is None:
            return
        self._last_emit = time.perf_counter()
        self.frames_emitted += 1
        self.frame.emit(item)

    @Slot(object)
    def _on_finished(self, last):
        if self._stale():
            return
        self._timer.stop()
        if self._pending is not None:  # the last frame always reaches the display
            self._pending = last if last is not None else self._pending
            self._flush()
        self._outcome = ("finished", last)
        self._thread.quit()

    @Slot(object)
    def _on_errored(self, info):
        if self._stale():
            return
        self._timer.stop()
        self._pending = None
        self._outcome = ("errored", info)
        self._thread.quit()

    @Slot()
    def _on_aborted(self):
        if self._stale():
            return
        self._timer.stop()
        self._pending = None
        self._outcome = ("aborted", self._last_seen)
        self._thread.quit()

    @Slot()
    def _on_thread_finished(self):
        if self._thread is None or self.sender() is not self._thread:  # a shut-down run's thread
            return
        self._thread.wait(1000)  # the thread has finished; this returns at once
        outcome = self._outcome or ("aborted", self._last_seen)
        self._outcome = self._last_seen = None   # held till the next run, the last frame kept a 12 MP result's 180 MB
        self._cleanup()
        kind, payload = outcome
        getattr(self, kind).emit(payload)

    def _cleanup(self):
        self._timer.stop()
        self._pending = None
        # The thread has ended (callers waited for it): dropping the last references
        # deletes the QThread and the worker safely.
        self._worker = self._thread = None
        if measuring() and not self._abandoned.isActive():
            collector.hold()
            self._abandoned.start()
        self._thread_ended()
        self.runningChanged.emit(False)

    @Slot()
    def _abandoned_check(self):
        if not measuring():
            self._abandoned.stop()
            collector.release()
