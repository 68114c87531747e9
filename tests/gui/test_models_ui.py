"""Models in the app (issue 16 item 5) and the actions declared once (issue 15 item 8)."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtGui import QKeySequence

from dpm_studio.gui import actions
from gui_helpers import make_checkpoint


def test_import_checkpoint_validates_copies_and_selects(win, tmp_path, msgbox, monkeypatch):
    user = tmp_path / "user-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(user))
    src = tmp_path / "mine"
    src.mkdir()
    card = make_checkpoint(src, "my-bark", 1)
    data = json.loads(Path(card).read_text())
    data["purpose"] = "Bark (grey)"
    Path(card).write_text(json.dumps(data))
    win.dialogs.paths["open_file"] = str(src / "my-bark.safetensors")
    win.act_import_ckpt.trigger()
    folder = user / "dpm-studio" / "checkpoints"
    assert (folder / "my-bark.safetensors").read_bytes() == (src / "my-bark.safetensors").read_bytes()
    assert json.loads((folder / "my-bark.json").read_text()) == data
    assert not msgbox
    assert win.task_panel.current_card()["name"] == "my-bark"
    assert win.task_panel.checkpoint.currentText() == "Bark (grey)"
    assert "your models folder" in win.task_panel.checkpoint.itemData(win.task_panel.checkpoint.currentIndex(), 3)


def test_a_bad_checkpoint_is_refused_and_nothing_is_copied(win, tmp_path, msgbox, monkeypatch):
    user = tmp_path / "user-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(user))
    bad = tmp_path / "bad"
    bad.mkdir()
    make_checkpoint(bad, "broken", 3)
    (bad / "broken.safetensors").write_bytes(b"not a safetensors file at all")
    assert not win.checkpoints.import_checkpoint(bad / "broken.json")
    assert msgbox and msgbox[-1][1] == "Cannot import checkpoint"
    folder = user / "dpm-studio" / "checkpoints"
    assert not folder.exists() or not any(folder.iterdir())
    good = tmp_path / "good"
    good.mkdir()
    make_checkpoint(good, "tiny-rgb", 3)  # the name is already taken by another model in the folder? not yet
    assert win.checkpoints.import_checkpoint(good / "tiny-rgb.json")
    again = tmp_path / "again"
    again.mkdir()
    make_checkpoint(again, "tiny-rgb", 1)
    assert not win.checkpoints.import_checkpoint(again / "tiny-rgb.json"), "a name already in the models folder"
    assert "already holds" in msgbox[-1][2]


def test_help_opens_the_models_folder(win, tmp_path, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "d"))
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    win.act_models_folder.trigger()
    assert opened == [str(tmp_path / "d" / "dpm-studio" / "checkpoints")] and Path(opened[0]).is_dir()
    assert win.act_models_folder in win.menus["Help"].actions()


def test_every_shortcut_is_in_the_help_sheet_and_every_action_in_a_menu(win):
    sheet = {k for _, items in actions.shortcut_rows() for keys, _ in items for k in keys.split(" / ")}
    in_menus = {a for m in win.menus.values() for a in m.actions()}
    for a in win.actions.values():
        for seq in a.shortcuts():
            text = seq.toString(QKeySequence.PortableText)
            assert text in sheet or any(QKeySequence(k) == seq for k in sheet), f"{text} is not on the F1 sheet"
        assert a in in_menus
    bound = {seq.toString() for a in win.findChildren(type(win.act_run)) for seq in a.shortcuts()}
    declared = {QKeySequence(k).toString() for a in actions.ACTIONS for k in a.keys}
    assert bound <= declared, bound - declared  # no shortcut bound outside the table
