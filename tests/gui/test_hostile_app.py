"""The app against hostile files in its own folders (issue 18, items 1 and 11): bad checkpoint
cards (and a FIFO) in the checkpoint path are skipped with a word in the status bar, never a
failed start; a pickle planted in the settings file is never unpickled, and untyped garbage
in it falls back to the defaults."""

from __future__ import annotations

import json
import os
import shutil
import signal

import pytest


@pytest.fixture
def hostile_ckpts(ckpt_dir, tmp_path, monkeypatch):
    folder = tmp_path / "hostile"
    folder.mkdir()
    for ext in (".json", ".safetensors"):
        shutil.copy(ckpt_dir / f"tiny-rgb{ext}", folder / f"tiny-rgb{ext}")
    good = json.loads((folder / "tiny-rgb.json").read_text())
    (folder / "nested.json").write_text("{\"a\": " * 100_000 + "1" + "}" * 100_000)
    (folder / "string-k.json").write_text(json.dumps({**good, "name": "string-k", "bound": {"K": "x"}}))
    (folder / "null-name.json").write_text(json.dumps({**good, "name": None}))
    (folder / "x-channels.json").write_text(json.dumps({**good, "name": "xc", "data": {**good["data"], "channels": "x"}}))
    os.mkfifo(folder / "pipe.json")
    monkeypatch.setenv("DPM_STUDIO_CHECKPOINTS", str(folder))
    old = signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("start-up blocked")))
    signal.alarm(30)
    yield folder
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def test_app_starts_with_bad_cards_in_the_checkpoint_path(make_window, hostile_ckpts):
    win = make_window()  # selects tiny-rgb, so it is listed
    tp = win.task_panel
    names = [tp.checkpoint.itemText(i) for i in range(tp.checkpoint.count())]
    assert any("tiny-rgb" in n for n in names), names
    assert not any(bad in n for n in names for bad in ("string-k", "xc", "nested", "pipe"))
    assert "checkpoint card(s) skipped" in win.statusBar().currentMessage()


def test_a_pickle_planted_in_the_settings_is_never_unpickled(make_window, tmp_path):
    from PySide6.QtCore import QSettings

    marker = tmp_path / "PWNED"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    planted = QSettings(str(tmp_path / "evil.ini"), QSettings.IniFormat)
    planted.setValue("run/steps", Evil())
    planted.setValue("run/seed", Evil())
    planted.setValue("mask/brush", "not a number")
    planted.setValue("run/sigma255", "nan")
    planted.sync()
    del planted
    assert "PyObjectWrapper" in (tmp_path / "evil.ini").read_text(errors="replace")
    win = make_window(settings_file="evil.ini")
    assert not marker.exists()
    assert win.mask_panel.brush.value() == 24
    assert "PyObjectWrapper" not in (tmp_path / "evil.ini").read_text(errors="replace")


def test_an_eps_named_png_is_refused_by_the_app_not_sent_to_ghostscript(win, msgbox, tmp_path, monkeypatch):
    from PIL import EpsImagePlugin

    called = []
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", lambda *a, **k: called.append(a))
    p = tmp_path / "photo.png"
    p.write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    assert not win.files.open_image(p)
    crit = [c for c in msgbox if c[0] == "critical"]
    assert len(crit) == 1 and "PostScript or PDF document" in crit[0][2] and called == []


def test_a_run_that_will_not_fit_is_refused_in_the_app(qtbot, win, msgbox, monkeypatch):
    """The estimate runs in the core (run_task), so the app refuses what will not fit, in a dialog."""
    from gui_helpers import image_with_mask

    from dpm_studio.core.machine import memory

    image_with_mask(win)
    monkeypatch.setattr(memory, "available_bytes", lambda: 1 << 10)
    with qtbot.waitSignal(win.runner.errored, timeout=60_000):
        assert win.runs.run()
    crit = [c for c in msgbox if c[0] == "critical"]
    assert len(crit) == 1 and "needs about" in crit[0][2] and "is available" in crit[0][2]
    assert win.state() == "edit"


def test_a_card_hiding_a_shipped_one_says_so_in_the_picker(make_window, ckpt_dir, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt

    folder = tmp_path / "mine"
    folder.mkdir()
    card = json.loads((ckpt_dir / "tiny-rgb.json").read_text())
    (folder / "impostor.json").write_text(json.dumps({**card, "name": "photos-rgb"}))
    shutil.copy(ckpt_dir / "tiny-rgb.safetensors", folder / "impostor.safetensors")
    monkeypatch.setenv("DPM_STUDIO_CHECKPOINTS", os.pathsep.join([str(folder), str(ckpt_dir)]))
    win = make_window(checkpoint=None)
    tp = win.task_panel
    tips = [tp.checkpoint.itemData(i, Qt.ToolTipRole) or "" for i in range(tp.checkpoint.count())]
    mine = [t for t in tips if "impostor.json" in t]
    assert len(mine) == 1 and "Hides" in mine[0] and "checkpoints/photos-rgb.json" in mine[0]


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, "fifo"])
def test_opening_a_hostile_card_in_the_app_is_one_dialog(win, msgbox, tmp_path, ckpt_dir, text):
    p = tmp_path / "bad.json"
    if text == "fifo":
        os.mkfifo(p)
    else:
        p.write_text(text)
    signal.alarm(20)  # a blocked open fails the test instead of hanging it
    try:
        assert not win.checkpoints.open(p)
    finally:
        signal.alarm(0)
    crit = [c for c in msgbox if c[0] == "critical"]
    assert len(crit) == 1 and crit[0][1] == "Cannot use checkpoint" and "\n" not in crit[0][2]
    assert ("named pipe" if text == "fifo" else "nested too deeply") in crit[0][2]


def test_an_unexpected_error_in_the_app_is_one_line_and_a_log_never_a_traceback(qtbot, monkeypatch, tmp_path, capsys):
    import sys

    from PySide6.QtWidgets import QMessageBox

    from dpm_studio.gui import app as app_module

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", staticmethod(lambda parent, title, text: shown.append(text)))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    app_module._install_excepthook(None)
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "boom in a slot" in err
    log = tmp_path / "dpm-studio" / "last-error.log"
    assert "Traceback" in log.read_text() and str(log) in shown[0]
