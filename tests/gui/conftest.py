"""Fixtures for the desktop app tests: a tiny untrained checkpoint, scripted dialogs, a window.

No test may open a modal dialog: every QMessageBox entry point is replaced by a recorder
(``msgbox``), and the window gets :class:`ScriptedDialogs`, whose answers a test can set.
"""

from __future__ import annotations

import pytest


from gui_helpers import make_checkpoint  # noqa: E402  (kept importable from one place)


@pytest.fixture(scope="session")
def ckpt_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("checkpoints")
    make_checkpoint(folder, "tiny-rgb", 3)
    make_checkpoint(folder, "tiny-grey", 1)
    return folder


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
        try:
            win.checkpoints.shutdown(60)   # no model's loading thread outlives its test
            win.runner.shutdown(5000)
        except RuntimeError:  # already deleted
            pass


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
