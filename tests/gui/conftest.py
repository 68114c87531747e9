"""Fixtures for the desktop app tests: a tiny untrained checkpoint, scripted dialogs, a window.

No test may open a modal dialog: every QMessageBox entry point is replaced by a recorder
(``msgbox``), and the window gets :class:`ScriptedDialogs`, whose answers a test can set.
"""

from __future__ import annotations

import threading
import time

import pytest


from gui_helpers import make_checkpoint  # noqa: E402  (kept importable from one place)


@pytest.fixture(scope="session")
def ckpt_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("checkpoints")
    make_checkpoint(folder, "tiny-rgb", 3)
    make_checkpoint(folder, "tiny-grey", 1)
    return folder


def threads_left(before, timeout_s: float) -> list[threading.Thread]:
    """Wait (bounded, ``timeout_s`` in all) for every Python thread started since ``before`` (a set of threads)
    to end; the ones still running then. A QThread's stand-in (threading._DummyThread, made where Python asks
    which thread it runs in) says it is alive for ever and cannot be joined: the window's QThreads are its
    runner's and exporter's, which make_window shuts down and checks."""
    end = time.monotonic() + timeout_s
    new = [t for t in threading.enumerate() if t not in before and not isinstance(t, threading._DummyThread)]
    for t in new:
        t.join(max(0.0, end - time.monotonic()))
    return [t for t in new if t.is_alive()]


@pytest.fixture(autouse=True)
def _no_thread_outlives_its_test():
    """Every thread a test started (a window's Accept measure, undo packing, noise fit, model load, a test's
    own timer) has ended before the next test starts, or the test fails here: one still running moved into
    the next test and held the garbage collector there (tests/gui/test_run_collector.py, 9d1928d). Set up
    before the test's window (autouse), so this runs after make_window has shut the window's work down."""
    before = set(threading.enumerate())
    yield
    left = threads_left(before, 60.0)
    assert not left, f"threads still running 60 s after the test: {[t.name for t in left]}"


@pytest.fixture(autouse=True)
def _checkpoints_env(ckpt_dir, monkeypatch):
    monkeypatch.setenv("DPM_STUDIO_CHECKPOINTS", str(ckpt_dir))


@pytest.fixture
def msgbox(monkeypatch):
    """Every QMessageBox static call recorded as (kind, title, text) instead of shown."""
    from PySide6.QtWidgets import QMessageBox

    calls = []

    def recorder(kind, answer):
        def f(parent, title, text, *a, **k):
            calls.append((kind, title, text))
            return answer
        return f

    monkeypatch.setattr(QMessageBox, "critical", recorder("critical", QMessageBox.Ok))
    monkeypatch.setattr(QMessageBox, "warning", recorder("warning", QMessageBox.Discard))
    monkeypatch.setattr(QMessageBox, "information", recorder("information", QMessageBox.Ok))
    monkeypatch.setattr(QMessageBox, "question", recorder("question", QMessageBox.Yes))
    monkeypatch.setattr(QMessageBox, "about", recorder("about", None))

    def exec_(box):   # a QMessageBox built with its own buttons: Discard is clicked, as warning answers
        calls.append(("exec", box.windowTitle(), box.text()))
        for b in box.buttons():
            if box.buttonRole(b) == QMessageBox.DestructiveRole:
                b.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return calls


class ScriptedDialogs:
    """Stands in for main_window.Dialogs: answers from attributes, errors via QMessageBox."""

    def __init__(self, parent):
        self.parent = parent
        self.answers = {"unsaved": "discard", "confirm": True, "quality": 90}
        self.paths: dict[str, str | None] = {}
        self.asked: list[str] = []

    def open_image(self, folder):
        self.asked.append("open_image")
        return self.paths.get("open_image")

    def save_image(self, folder, suggested):
        self.asked.append("save_image")
        return self.paths.get("save_image")

    def quality(self, fmt, default):
        self.asked.append("quality")
        return self.answers["quality"]

    def open_file(self, title, folder, flt):
        self.asked.append("open_file")
        return self.paths.get("open_file")

    def save_file(self, title, path, flt):
        self.asked.append("save_file")
        return self.paths.get("save_file")

    def folder(self, title, folder):
        self.asked.append("folder")
        return self.paths.get("folder")

    def error(self, title, text):   # the app's own error dialog (its words as the user reads them)
        from dpm_studio.gui.dialogs import Dialogs

        Dialogs.error(self, title, text)

    def confirm(self, title, text):
        self.asked.append("confirm")
        return self.answers["confirm"]

    def ask_unsaved(self, text, image=True, mask=False, doing=""):
        self.asked.append("unsaved mask" if mask else "unsaved")
        return self.answers["unsaved"]


@pytest.fixture
def make_window(qtbot, tmp_path, msgbox):
    from PySide6.QtCore import QSettings

    from dpm_studio.gui.main_window import MainWindow

    made = []

    def make(settings_file="settings.ini", show=True, checkpoint="tiny-rgb"):
        settings = QSettings(str(tmp_path / settings_file), QSettings.IniFormat)
        win = MainWindow(settings=settings)
        win.dialogs = ScriptedDialogs(win)
        qtbot.addWidget(win)
        if show:
            win.resize(1100, 760)
            win.show()
            qtbot.waitExposed(win)
        made.append(win)
        if checkpoint:   # the model of every task (each has its own: session.models)
            assert win.checkpoints.select(checkpoint, tasks=("inpaint", "denoise", "sample"))
        assert win.checkpoints.wait_loaded(60), "a model not loaded yet loads in a thread (gui/checkpoints.py)"
        return win

    yield make
    for win in made:
        try:   # no run, export or model load outlives its test (the other threads: _no_thread_outlives_its_test)
            stopped = {"export": win.exporter.shutdown(5000), "model load": win.checkpoints.shutdown(60),
                       "run": win.runner.shutdown(5000)}
        except RuntimeError:  # already deleted
            continue
        assert all(stopped.values()), f"still running after the test: {[k for k, v in stopped.items() if not v]}"


@pytest.fixture
def win(make_window):
    return make_window()


@pytest.fixture
def image_file(tmp_path):
    from dpm_studio import imageio
    from gui_helpers import gradient_image

    img = gradient_image()
    path = tmp_path / "picture.png"
    imageio.save_image(path, img)
    return path, img
