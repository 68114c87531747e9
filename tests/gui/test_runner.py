"""The generator worker and the task runner, with synthetic generators."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QThread

from dpm_studio.gui.runner import Frame, TaskRunner


def frames(n, delay=0.0, fail_at=None, thread_log=None):
    def gen(job):
        for i in range(n):
            if thread_log is not None:
                thread_log.append(threading.get_ident())
            if delay:
                time.sleep(delay)
            if fail_at == i:
                raise ValueError("synthetic failure")
            yield Frame(i, n, float(n - i), np.zeros((2, 2, 3), np.float32), None, i == n - 1, 0.0,
                        np.zeros(i + 1, np.float32))
    return gen


def test_frames_are_throttled_and_the_last_one_arrives(qtbot):
    r = TaskRunner(fps=20)
    seen = []
    r.frame.connect(seen.append)
    with qtbot.waitSignal(r.finished, timeout=10_000) as b:
        r.start(None, frames(400, delay=0.0005))
    assert b.args[0].index == 399
    assert seen and seen[-1].index == 399, "the final frame is always delivered"
    assert len(seen) < r.frames_received or r.frames_received < 400
    assert not r.is_running()


def test_generator_runs_off_the_gui_thread(qtbot):
    log = []
    r = TaskRunner()
    with qtbot.waitSignal(r.finished, timeout=10_000):
        r.start(None, frames(3, thread_log=log))
    assert log and threading.get_ident() not in set(log)


def test_cancel_stops_within_one_step(qtbot):
    log = []
    r = TaskRunner()
    with qtbot.waitSignal(r.frame, timeout=10_000):
        r.start(None, frames(1000, delay=0.01, thread_log=log))
    n_at_cancel = len(log)
    with qtbot.waitSignal(r.aborted, timeout=10_000) as b:
        r.cancel()
    assert len(log) <= n_at_cancel + 2
    assert b.args[0] is not None and b.args[0].index < 999


def test_error_is_reported_and_runner_can_restart(qtbot):
    r = TaskRunner()
    with qtbot.waitSignal(r.errored, timeout=10_000) as b:
        r.start(None, frames(10, fail_at=3))
    info = b.args[0]
    assert "synthetic failure" in info.message and "ValueError" in info.traceback
    assert not r.is_running()
    with qtbot.waitSignal(r.finished, timeout=10_000):
        r.start(None, frames(2))


def test_shutdown_is_bounded_and_clean(qtbot):
    r = TaskRunner()
    with qtbot.waitSignal(r.frame, timeout=10_000):
        r.start(None, frames(10_000, delay=0.005))
    t = r._thread
    with pytest.raises(RuntimeError, match="already in progress"):
        r.start(None, frames(1))  # a second run while one is under way is refused
    assert r.shutdown(5000)
    assert t.isFinished() and not r.is_running()
    ends = []
    for sig in ("finished", "aborted", "errored"):
        getattr(r, sig).connect(lambda *a, sig=sig: ends.append(sig))
    with qtbot.waitSignal(r.runningChanged, timeout=10_000, check_params_cb=lambda running: not running):
        r.start(None, frames(2))  # after the shutdown a new run starts, and the old run's reports don't end it
    assert ends == ["finished"]


def test_signals_reach_slots_in_the_gui_thread(qtbot):
    from PySide6.QtCore import QObject, Slot

    class Receiver(QObject):
        def __init__(self):
            super().__init__()
            self.threads = []

        @Slot(object)
        def on_frame(self, f):
            self.threads.append(QThread.currentThread())

    rec = Receiver()
    r = TaskRunner()
    r.frame.connect(rec.on_frame)
    with qtbot.waitSignal(r.finished, timeout=10_000):
        r.start(None, frames(5))
    assert rec.threads and all(t is rec.thread() for t in rec.threads)
