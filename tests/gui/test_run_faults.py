"""Runs that are cancelled, closed under, repeated or broken: the app stays up, nothing leaks,
and Qt reports nothing about threads or timers."""

from __future__ import annotations

import gc
import re
import threading

import numpy as np
import pytest
from PySide6.QtCore import QtMsgType, qInstallMessageHandler

from dpm_studio.gui.runner import RunJob, TaskRunner, task_frames

from gui_helpers import gradient_image, image_with_mask, live_qthreads, proc_status

RUN_TIMEOUT_MS = 30_000
#: Qt messages that would mean a thread or timer was mishandled.
BAD_QT = re.compile(r"thread|timer|destroyed|deleted|QObject", re.I)


@pytest.fixture
def qt_messages():
    """Every Qt message (warnings included) emitted during the test, as (type, text)."""
    seen = []

    def handler(kind, context, text):
        seen.append((kind, text))

    previous = qInstallMessageHandler(handler)
    yield seen
    qInstallMessageHandler(previous)


def _bad(messages):
    return [t for k, t in messages if k != QtMsgType.QtDebugMsg and BAD_QT.search(t)]


@pytest.fixture
def tiny_model(ckpt_dir):
    from dpm_studio.core.files import checkpoint

    return checkpoint.load(ckpt_dir / "tiny-rgb.json")


def _job(model, steps=12, size=24):
    img = gradient_image(size, size)
    mask = np.zeros((size, size), np.float32)
    mask[4:size - 4, 4:size - 4] = 1
    from dpm_studio.core.run.jobs import resolve
    from dpm_studio.core.run.requests import InpaintRequest

    req = InpaintRequest(steps=steps, seed=0, jump_length=0, precision="fp32")
    return RunJob(model, resolve(req, img, mask))


# -- cancel at any step ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("at", ["before-start", 0, 1, 6, "last"])
def test_cancel_at_any_step_stops_there(qtbot, tiny_model, at, qt_messages):
    runner = TaskRunner()
    job = _job(tiny_model)
    computed = []

    def frames(job):
        for f in task_frames(job):
            computed.append(f.index)
            if f.index == (f.total - 1 if at == "last" else at):
                runner.cancel()  # from the worker thread: quit() is thread-safe
            yield f

    with qtbot.waitSignal(runner.aborted, timeout=RUN_TIMEOUT_MS) as b:
        runner.start(job, frames)
        if at == "before-start":
            runner.cancel()
    last = b.args[0]
    assert not runner.is_running()
    if at == "before-start":
        assert computed == [] and last is None
    else:
        k = 11 if at == "last" else at
        assert computed[-1] == k, "no step is computed after the one that saw the cancel"
        assert last is None or last.index < k
    runner.cancel()  # cancelling when nothing runs is harmless
    with qtbot.waitSignal(runner.finished, timeout=RUN_TIMEOUT_MS) as b:
        runner.start(_job(tiny_model, steps=3))
    assert b.args[0].done
    assert not _bad(qt_messages)


def test_cancel_straight_after_run_in_the_window(qtbot, win, qt_messages):
    img, mask = image_with_mask(win)
    with qtbot.waitSignal(win.runner.aborted, timeout=RUN_TIMEOUT_MS):
        assert win.runs.run()
        win.runs.cancel()
    assert win.state() == "edit" and not win.runner.is_running()
    np.testing.assert_array_equal(win.canvas.image(), img)
    np.testing.assert_array_equal(win.canvas.mask(), mask)
    assert not _bad(qt_messages)


# -- closing the window during a run ----------------------------------------------------------------------------
def _start_long_run(qtbot, win):
    image_with_mask(win, 64)
    win.task_panel.steps_all.setChecked(True)
    with qtbot.waitSignal(win.runner.frame, timeout=RUN_TIMEOUT_MS):
        assert win.runs.run()


def test_close_during_run_leaves_no_thread_and_no_qt_warning(qtbot, make_window, qt_messages):
    before = live_qthreads()
    win = make_window()
    _start_long_run(qtbot, win)
    thread = win.runner._thread
    assert live_qthreads() == before + 1, "the count sees the run's thread"
    assert win.close()
    assert thread.isFinished() and not win.runner.is_running()
    del thread
    qtbot.wait(100)
    assert live_qthreads() <= before
    assert not _bad(qt_messages), _bad(qt_messages)


def test_close_during_a_long_step_closes_when_the_step_ends(qtbot, win, msgbox, monkeypatch, qt_messages):
    """A step that outlasts the bounded wait: the window stays until the step ends, then closes."""
    from dpm_studio.core.run import tasks
    from dpm_studio.core.run.tasks import TaskStep

    release, entered = threading.Event(), threading.Event()

    def slow(loaded, job):
        image = job.image
        yield TaskStep(0, 3, 1.0, image, None)
        entered.set()
        release.wait(30)  # the long step
        yield TaskStep(1, 3, 0.5, image, None)
        yield TaskStep(2, 3, 0.0, image, None, True)

    monkeypatch.setattr(tasks, "run_task", slow)
    monkeypatch.setattr(win.runner, "shutdown", lambda timeout_ms=5000, real=win.runner.shutdown: real(50))
    win.files.set_image(gradient_image())
    win.canvas.set_mask(np.ones((32, 32), np.float32))
    assert win.runs.run()
    qtbot.waitUntil(entered.is_set, timeout=RUN_TIMEOUT_MS)
    assert not win.close(), "the step is still computing: the close waits for it"
    assert win.isVisible() and "Waiting for the current step" in win.statusBar().currentMessage()
    release.set()
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=RUN_TIMEOUT_MS)
    assert not win.runner.is_running() and not [c for c in msgbox if c[0] == "critical"]
    assert not _bad(qt_messages), _bad(qt_messages)


# -- many runs ---------------------------------------------------------------------------------------------------
def start_cancel_cycles(qtbot, win, n):
    for _ in range(n):
        with qtbot.waitSignal(win.runner.frame, timeout=RUN_TIMEOUT_MS):
            assert win.runs.run()
        with qtbot.waitSignal(win.runner.aborted, timeout=RUN_TIMEOUT_MS):
            win.runs.cancel()
        assert win.state() == "edit"


def test_fifty_start_cancel_cycles_keep_memory_and_threads_flat(qtbot, win, qt_messages):
    import tracemalloc

    img, _ = image_with_mask(win, 48)
    win.task_panel.steps_all.setChecked(True)
    start_cancel_cycles(qtbot, win, 5)  # warm-up: torch's thread pool, caches, first plots
    gc.collect()
    rss0, threads0, qthreads0 = proc_status("VmRSS"), proc_status("Threads"), live_qthreads()
    tracemalloc.start()
    snap0 = tracemalloc.take_snapshot()
    start_cancel_cycles(qtbot, win, 50)
    gc.collect()
    qtbot.wait(50)
    snap1 = tracemalloc.take_snapshot()
    tracemalloc.stop()
    py_growth = sum(s.size_diff for s in snap1.compare_to(snap0, "filename"))
    rss_growth_mb = (proc_status("VmRSS") - rss0) / 1024
    assert rss_growth_mb < 50, f"RSS grew {rss_growth_mb:.1f} MB over 50 cycles"
    assert py_growth < 5 * 2 ** 20, f"Python objects grew {py_growth / 2 ** 20:.1f} MB"
    assert proc_status("Threads") <= threads0, "OS threads back to the baseline"
    assert live_qthreads() <= qthreads0 and win.runner._thread is None
    np.testing.assert_array_equal(win.canvas.image(), img)
    assert not _bad(qt_messages)


# -- a worker that fails ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("error", [RuntimeError("the model exploded"), MemoryError("no room"),
                                   ValueError("a refusal meant for the user")])
def test_exception_mid_run_becomes_a_dialog_and_the_app_stays_usable(qtbot, win, msgbox, monkeypatch, error):
    from dpm_studio.core.run import tasks

    real = tasks.run_task

    def breaks_at_step_3(*a, **k):
        for rec in real(*a, **k):
            if rec.index == 3:
                raise error
            yield rec

    monkeypatch.setattr(tasks, "run_task", breaks_at_step_3)
    img, _ = image_with_mask(win)
    win.task_panel.steps.setValue(8)
    with qtbot.waitSignal(win.runner.errored, timeout=RUN_TIMEOUT_MS):
        assert win.runs.run()
    crit = [c for c in msgbox if c[0] == "critical"]
    assert len(crit) == 1 and str(error) in crit[0][2]
    assert win.state() == "edit" and not win.runner.is_running()
    np.testing.assert_array_equal(win.canvas.image(), img)
    monkeypatch.setattr(tasks, "run_task", real)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_TIMEOUT_MS):
        assert win.runs.run()
    assert win.state() == "review"
