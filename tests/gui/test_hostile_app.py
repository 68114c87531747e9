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
