"""The app's open and export paths fed hostile files and targets (round five; the files of
tests/faulty_files.py are opened by test_bad_input.py): special files opened as the image or the
mask, and each writer (Save, Export Mask, the trajectory's GIF and frames) aimed at a place it cannot
or must not write. Each: one error dialog or a result, never a traceback on stderr, a hang or a
lost file; the open image untouched and the app still working."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dpm_studio import imageio
from faulty_files import folder_state


def _special(folder: Path, kind: str) -> Path:
    p = folder / f"{kind}.png"
    if kind == "folder":
        p.mkdir()
    elif kind == "fifo":
        os.mkfifo(p)
    elif kind == "loop":
        os.symlink(folder / "loop2.png", p)
        os.symlink(p, folder / "loop2.png")
    elif kind == "dangling":
        os.symlink(folder / "nothing.png", p)
    elif kind == "text":
        p.write_text("not a picture\n")
    elif kind == "name-too-long":
        p = folder / ("x" * 300 + ".png")
    return p


def _critical(msgbox):
    """The error dialogs shown; each says its one sentence ended as every error is (errorlog.sentence)."""
    crit = [c for c in msgbox if c[0] == "critical"]
    assert all(text.endswith(".") for _, _, text in crit), crit
    return crit


SPECIAL = ["folder", "fifo", "loop", "dangling", "text", "missing", "name-too-long"]


@pytest.mark.parametrize("kind", SPECIAL)
@pytest.mark.parametrize("what", ["image", "mask"])
def test_a_special_file_opened_is_one_dialog(win, msgbox, tmp_path, image_file, capfd, no_hang, kind, what):
    good, img = image_file
    assert win.files.open_image(good)
    files = tmp_path / "files"
    files.mkdir()
    path = _special(files, kind)
    before = folder_state(files)
    assert not (win.files.open_image(path) if what == "image" else win.files.load_mask(path))
    crit = _critical(msgbox)
    assert len(crit) == 1 and "\n" not in crit[0][2], crit
    assert "Traceback" not in capfd.readouterr().err
    np.testing.assert_array_equal(win.canvas.image(), img)
    assert win.canvas.mask().sum() == 0
    assert folder_state(files) == before


def test_a_100000_by_1_image_and_a_non_utf8_name_open(win, msgbox, tmp_path, capfd):
    wide = tmp_path / os.fsdecode(b"caf\xe9-\xff.png")
    Image.new("RGB", (100_000, 1), (40, 90, 200)).save(wide)
    assert win.files.open_image(wide)
    assert win.canvas.image_shape() == (1, 100_000)
    assert not _critical(msgbox) and "Traceback" not in capfd.readouterr().err
    out = tmp_path / os.fsdecode(b"out-\xe9.png")
    assert win.files.save_image(out)
    assert imageio.load_image(out).pixels.shape == (1, 100_000, 3)


def _target(folder: Path, kind: str, opened: Path) -> Path:
    """Where a writer is aimed: each a place it cannot or must not write."""
    if kind == "under-a-file":
        return opened / "x.png"
    if kind == "a-folder":
        (folder / "dir.png").mkdir()
        return folder / "dir.png"
    if kind == "a-fifo":
        os.mkfifo(folder / "pipe.png")
        return folder / "pipe.png"
    if kind == "dangling-link":
        os.symlink(folder / "nowhere" / "x.png", folder / "dangling.png")
        return folder / "dangling.png"
    if kind == "name-too-long":
        return folder / ("x" * 300 + ".png")
    if kind == "unknown-extension":
        return folder / "result.xyz"
    raise ValueError(kind)


TARGETS = ["under-a-file", "a-folder", "a-fifo", "dangling-link", "name-too-long", "unknown-extension"]


@pytest.mark.parametrize("kind", TARGETS)
@pytest.mark.parametrize("writer", ["save", "mask"])
def test_a_write_aimed_where_it_cannot_go_is_one_dialog(win, msgbox, tmp_path, image_file, capfd, no_hang, kind,
                                                         writer):
    good, img = image_file
    assert win.files.open_image(good)
    win.canvas.set_mask(np.pad(np.ones((8, 8), np.float32), 12))  # something to export
    target = _target(tmp_path, kind, good)
    before = folder_state(tmp_path)
    ok = win.files.save_image(target) if writer == "save" else win.files.export_mask(target)
    crit = _critical(msgbox)
    assert not ok and len(crit) == 1 and "\n" not in crit[0][2], (ok, crit)
    assert "Traceback" not in capfd.readouterr().err
    assert folder_state(tmp_path) == before  # nothing replaced, nothing left behind
    np.testing.assert_array_equal(win.canvas.image(), img)


def test_remembered_names_too_long_do_not_break_the_menus_or_dialogs(make_window, tmp_path, capfd):
    """A settings file (edited, or from another file system) naming a recent file or the last folder with a
    name over 255 bytes: Path.exists()/is_dir() raise ENAMETOOLONG where os.path's answer False."""
    from PySide6.QtCore import QSettings

    from dpm_studio.gui.dialogs import file_dialog

    long_file, long_folder = str(tmp_path / ("x" * 300 + ".png")), str(tmp_path / ("y" * 300))
    s = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    s.setValue("paths/recent", [long_file])
    s.setValue("paths/last_folder", long_folder)
    s.sync()
    win = make_window()
    win.files._fill_recent_menu()
    recent = [a for a in win.recent_menu.actions() if a.data() == long_file]
    assert len(recent) == 1 and not recent[0].isEnabled()
    dlg = file_dialog(win, "Open", win.files.last_folder())
    dlg.deleteLater()
    assert "Traceback" not in capfd.readouterr().err


@pytest.fixture
def ran(qtbot, win):
    """A window with a finished inpainting run: a trajectory to export."""
    from gui_helpers import image_with_mask

    image_with_mask(win)
    win.task_panel.steps.setValue(3)
    with qtbot.waitSignal(win.runner.finished, timeout=60_000):
        assert win.runs.run()
    return win


@pytest.mark.parametrize("kind", ["under-a-file", "a-folder", "a-fifo", "dangling-link", "name-too-long"])
@pytest.mark.parametrize("what", ["gif", "frames"])
def test_a_trajectory_export_aimed_where_it_cannot_go_is_one_dialog(qtbot, ran, msgbox, tmp_path, capfd, no_hang,
                                                                    kind, what):
    win = ran
    opened = tmp_path / "opened.png"
    opened.write_bytes(b"the user's own file")
    target = _target(tmp_path, kind, opened)
    if what == "gif" and kind == "a-folder":
        target = tmp_path / "dir.gif"
        target.mkdir()
    if what == "frames" and kind == "a-folder":
        target = opened  # frames go into a folder: here one that is a file
    before = folder_state(tmp_path)
    started = win.exports.gif(target) if what == "gif" else win.exports.frames(target)
    if started:
        with qtbot.waitSignal(win.exporter.errored, timeout=30_000):
            pass
    crit = _critical(msgbox)
    assert len(crit) == 1 and "\n" not in crit[0][2], (started, crit)
    assert "Traceback" not in capfd.readouterr().err
    assert folder_state(tmp_path) == before


def _checkpoint_file(folder: Path, kind: str) -> Path:
    import pickle

    p = folder / "mine.json"
    if kind in ("folder", "fifo", "loop", "dangling", "name-too-long"):
        return _special(folder, kind).rename(p) if kind in ("folder", "fifo") else _special(folder, kind)
    if kind == "text":
        p.write_text("hello")
    elif kind == "empty":
        p.write_text("")
    else:  # a pickle, named as our weights or as PyTorch's
        p = folder / ("mine.safetensors" if kind == "pickle-as-safetensors" else "mine.pt")
        p.write_bytes(pickle.dumps({"weights": 1}))
    return p


@pytest.mark.parametrize("kind", ["folder", "fifo", "loop", "dangling", "name-too-long", "text", "empty", "pickle",
                                  "pickle-as-safetensors"])
@pytest.mark.parametrize("how", ["open", "import"])
def test_a_hostile_checkpoint_opened_or_imported_is_one_dialog(win, msgbox, tmp_path, capfd, no_hang, kind, how):
    """Open Checkpoint and Import Checkpoint with a name over 255 bytes raised ENAMETOOLONG (Path.is_dir in
    checkpoint.resolve); the rest held: one dialog, nothing unpickled, nothing copied into the models folder."""
    from dpm_studio.core.files.locations import user_checkpoints_dir

    path = _checkpoint_file(tmp_path, kind)
    ok = win.checkpoints.open(path) if how == "open" else win.checkpoints.import_checkpoint(path)
    crit = _critical(msgbox)
    assert not ok and len(crit) == 1 and "\n" not in crit[0][2], (ok, crit)
    assert "Traceback" not in capfd.readouterr().err
    models = user_checkpoints_dir()
    assert not models.exists() or not any(models.iterdir())


def test_saving_a_transparent_picture_as_jpeg_says_the_alpha_is_left_out(win, msgbox, tmp_path):
    a = np.zeros((16, 16, 4), np.uint8)
    a[:, :, 3] = 128
    Image.fromarray(a, "RGBA").save(tmp_path / "layer.png")
    assert win.files.open_image(tmp_path / "layer.png")
    assert win.files.save_image(tmp_path / "flat.jpg")
    assert "alpha channel is left out" in win.statusBar().currentMessage()
    assert win.files.save_image(tmp_path / "kept.png")
    assert "Note" not in win.statusBar().currentMessage()
