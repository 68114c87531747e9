"""Run loads its model onto the run's device in the run's thread (gui/model/frames.RunJob.device), on every device.

Since d5948ea the shown model loads on the CPU off the GUI thread, but Run then took the model from the core's cache
on the chosen device on the GUI thread: with a CUDA device that was a whole load (read, checked, moved; 1-3 s for a
photo model) with the window frozen, and on the CPU a checkpoint whose files changed since was loaded there again too.
No GPU here: the device list is faked and the core's load is recorded (where it ran, onto what)."""

from __future__ import annotations

import os
import threading

import pytest

from dpm_studio.core.files import checkpoint
from gui_helpers import image_with_mask


@pytest.fixture
def loads(monkeypatch):
    """Every checkpoint load from now on is recorded as (device, on the GUI thread?); ``gate`` holds each (5 s at most)
    and ``fail`` makes it raise a CheckpointError with that text."""
    gate, seen, fail = threading.Event(), [], []
    gate.set()
    real = checkpoint.load

    def load(path, device="cpu"):
        seen.append((str(device), threading.current_thread() is threading.main_thread()))
        gate.wait(5)
        if fail:
            raise checkpoint.CheckpointError(fail[0])
        return real(path, device=device)

    monkeypatch.setattr(checkpoint, "load", load)
    yield gate, seen, fail
    gate.set()


def _choose_device(win, device):
    tp = win.task_panel
    tp.set_devices([("CPU", "cpu"), ("CUDA 0: a test's", "cuda:0")])
    tp.device.setCurrentIndex(tp.device.findData(device))
    assert tp.settings().device == device


def test_a_run_on_a_gpu_loads_its_model_in_the_run_thread(qtbot, win, loads, msgbox):
    gate, seen, fail = loads
    image_with_mask(win, 24, 6)
    _choose_device(win, "cuda:0")
    gate.clear()
    fail.append("CUDA 0 is a test's: no such device")
    seen.clear()
    assert win.runs.run(), "Run returns at once: the load is the run thread's"
    assert win.session.state == "running"
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen == [("cuda:0", False)], "loaded onto the run's device off the GUI thread"
    qtbot.waitUntil(lambda: "loading the model onto cuda:0" in win.task_panel.run_bar.progress.format(), timeout=5000)
    gate.set()
    qtbot.waitUntil(lambda: win.session.state == "edit", timeout=10_000)
    assert ("critical", "Cannot load checkpoint", "CUDA 0 is a test's: no such device.") in msgbox
    assert win.session.result_image() is None and not win.runner.is_running()


def test_a_cpu_run_whose_checkpoint_changed_reloads_it_in_the_run_thread(qtbot, win, loads):
    gate, seen, fail = loads
    image_with_mask(win, 24, 6)
    _choose_device(win, "cpu")
    weights = checkpoint.paths_for(checkpoint.resolve(win.task_panel.settings().checkpoint))[0]
    st = os.stat(weights)
    seen.clear()
    try:
        os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))   # saved again since it was loaded
        assert win.runs.run()
        qtbot.waitUntil(lambda: win.session.state == "review", timeout=30_000)
    finally:
        os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert seen == [("cpu", False)], "the changed files were loaded off the GUI thread"
