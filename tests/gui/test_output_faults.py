"""Saving when the disk says no, and never losing work: atomic writes leave no partial or
temporary file, the opened file is only replaced after a question, and an unsaved result
is only dropped after Save / Discard / Cancel (Cancel keeps everything)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from dpm_studio import imageio
from dpm_studio.imageio import ImageIOError

from faulty_files import DISK_FAULTS as FAULTS, disk_fault
from gui_helpers import gradient_image

RUN_TIMEOUT_MS = 30_000


def _files(folder):
    return sorted(p.name for p in folder.iterdir() if p.is_file())




@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("writer", ["image", "mask", "gif", "frames"])
def test_failed_writes_leave_nothing_behind(tmp_path, monkeypatch, fault, writer):
    old = imageio.save_image(tmp_path / "old.png", gradient_image(8, 8))
    before = old.read_bytes()
    expected = disk_fault(monkeypatch, fault)
    frames = [gradient_image(8, 8, seed=s) for s in range(3)]
    with pytest.raises(ImageIOError) as info:
        if writer == "image":
            imageio.save_image(old, gradient_image(8, 8, seed=1))  # over an existing file
        elif writer == "mask":
            imageio.save_mask(tmp_path / "mask.png", np.ones((8, 8), np.float32))
        elif writer == "gif":
            imageio.save_gif(tmp_path / "t.gif", frames)
        else:
            imageio.save_frames(tmp_path, frames)
    msg = str(info.value)
    assert expected in msg and "\n" not in msg
    assert old.read_bytes() == before, "the previous version is untouched"
    assert _files(tmp_path) == ["old.png"], "no partial or temporary file"


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(ImageIOError, match="no permission to write in"):
            imageio.save_image(ro / "x.png", gradient_image(4, 4))
        assert _files(ro) == []
    finally:
        ro.chmod(0o755)


# -- the app ------------------------------------------------------------------------------------------------------
def _run(qtbot, win, steps=3):
    m = np.zeros(win.canvas.image_shape(), np.float32)
    m[8:20, 8:20] = 1
    win.canvas.set_mask(m)
    win.task_panel.steps.setValue(steps)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_TIMEOUT_MS) as b:
        assert win.runs.run()
    return b.args[0].image


@pytest.mark.parametrize("fault", FAULTS)
def test_app_save_failure_is_a_dialog_and_the_work_stays_unsaved(qtbot, win, msgbox, tmp_path, monkeypatch, fault):
    win.files.set_image(gradient_image())
    res = _run(qtbot, win)
    assert win.runs.accept_result()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    expected = disk_fault(monkeypatch, fault)
    assert not win.files.save_image(out_dir / "result.png")
    crit = [c for c in msgbox if c[0] == "critical"]
    assert len(crit) == 1 and crit[0][1] == "Cannot save image" and expected in crit[0][2]
    assert _files(out_dir) == []
    assert win.has_unsaved() and win.windowTitle().startswith("untitled*")
    np.testing.assert_array_equal(win.canvas.image(), win.session.doc.source.held(res))   # as its file holds it
    monkeypatch.undo()
    assert win.files.save_image(out_dir / "result.png") and not win.has_unsaved()


@pytest.mark.parametrize("answer", [False, True])
def test_saving_over_the_opened_file_asks_first(qtbot, win, image_file, answer):
    path, img = image_file
    before = path.read_bytes()
    assert win.files.open_image(path)
    res = _run(qtbot, win)
    assert win.runs.accept_result()
    win.dialogs.answers["confirm"] = answer
    assert win.files.save_image(path) is answer
    assert "confirm" in win.dialogs.asked
    if answer:
        np.testing.assert_allclose(imageio.load_image(path).pixels, res, atol=0.5 / 255 + 1e-6)
        assert not win.has_unsaved()
    else:
        assert path.read_bytes() == before and win.has_unsaved()


def test_saving_elsewhere_does_not_ask(qtbot, win, image_file, tmp_path):
    path, _ = image_file
    assert win.files.open_image(path)
    _run(qtbot, win)
    assert win.runs.accept_result()  # (Save As under review asks to accept first: test_defects_restorer item 13)
    assert win.files.save_image(tmp_path / "copy.png")
    assert "confirm" not in win.dialogs.asked


# -- unsaved work -------------------------------------------------------------------------------------------------
def _other_image(tmp_path):
    p = tmp_path / "other.png"
    imageio.save_image(p, gradient_image(16, 24, seed=5))
    return p


def _replace(win, how, tmp_path):
    """Try to replace the current image in one of the ways a user can."""
    if how == "open":
        return win.files.open_image(_other_image(tmp_path))
    if how == "paste":
        from PySide6.QtWidgets import QApplication

        from dpm_studio.gui.dialogs import array_to_qimage

        QApplication.clipboard().setImage(array_to_qimage(imageio.to_uint8(gradient_image(16, 24))))
        return win.files.paste()
    if how == "drop":
        from PySide6.QtCore import QMimeData, QPointF, Qt
        from PySide6.QtGui import QDropEvent

        from dpm_studio.gui.dialogs import array_to_qimage

        md = QMimeData()
        md.setImageData(array_to_qimage(imageio.to_uint8(gradient_image(16, 24))))
        win.dropEvent(QDropEvent(QPointF(50, 50), Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier))
        return win.canvas.image_shape() == (16, 24)
    if how == "quit":
        win.act_quit.trigger()
        return not win.isVisible()
    raise ValueError(how)


@pytest.mark.parametrize("how", ["open", "paste", "drop", "quit"])
@pytest.mark.parametrize("stage", ["under-review", "accepted"])
def test_unsaved_result_is_never_dropped_without_asking(qtbot, win, tmp_path, how, stage):
    img = gradient_image()
    win.files.set_image(img)
    res = _run(qtbot, win)
    if stage == "accepted":
        assert win.runs.accept_result()
    state = win.state()

    win.dialogs.answers["unsaved"] = "cancel"
    assert not _replace(win, how, tmp_path)
    assert win.dialogs.asked.count("unsaved") == 1
    assert win.isVisible() and win.state() == state and win.has_unsaved()
    np.testing.assert_array_equal(win.canvas.image(), win.session.doc.source.held(res) if stage == "accepted"
                                  else img)   # an accepted result as its file holds it
    if stage == "under-review":
        np.testing.assert_array_equal(win.runs.result_image(), res)

    win.dialogs.answers["unsaved"] = "save"  # ... but the save dialog is cancelled: still nothing lost
    win.dialogs.paths["save_image"] = None
    assert not _replace(win, how, tmp_path)
    assert win.isVisible() and win.has_unsaved()

    win.dialogs.answers["unsaved"] = "save"  # saved, then replaced
    win.dialogs.paths["save_image"] = str(tmp_path / "kept.png")
    assert _replace(win, how, tmp_path)
    np.testing.assert_allclose(imageio.load_image(tmp_path / "kept.png").pixels, res, atol=0.5 / 255 + 1e-6)


def test_discard_replaces_without_saving(qtbot, win, tmp_path):
    win.files.set_image(gradient_image())
    _run(qtbot, win)
    win.dialogs.answers["unsaved"] = "discard"
    assert win.files.open_image(_other_image(tmp_path))
    assert win.canvas.image_shape() == (16, 24) and not win.has_unsaved()
    assert not (tmp_path / "kept.png").exists()


@pytest.mark.parametrize("answer", [False, True])
def test_accepting_a_sample_over_unsaved_edits_asks(qtbot, win, answer):
    win.files.set_image(gradient_image())
    edited = _run(qtbot, win)
    assert win.runs.accept_result()
    win.task_panel.set_task("sample")
    win.task_panel.width_spin.setValue(24)
    win.task_panel.height_spin.setValue(16)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_TIMEOUT_MS):
        assert win.runs.run()
    win.dialogs.answers["confirm"] = answer
    assert win.runs.accept_result() is answer
    assert "confirm" in win.dialogs.asked
    if answer:
        assert win.canvas.image_shape() == (16, 24)
    else:
        assert win.state() == "review"  # the sample is still there to discard
        assert win.runs.discard_result()
        np.testing.assert_array_equal(win.canvas.image(), win.session.doc.source.held(edited))
        assert win.has_unsaved()


def test_app_save_over_a_file_size_limit_is_a_dialog_and_keeps_the_old_file(qtbot, win, msgbox, tmp_path):
    """A real write failure that binds root too (RLIMIT_FSIZE; Python ignores SIGXFSZ, so the write
    fails with EFBIG half-way): one dialog naming the cause, the old file byte for byte, no temporary."""
    import resource

    win.files.set_image(gradient_image(96, 96))
    old = imageio.save_image(tmp_path / "result.png", gradient_image(8, 8, seed=3))
    before = old.read_bytes()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (len(before) + 100, hard))
    try:
        saved = win.files.save_image(old)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert not saved
    crit = [c for c in msgbox if c[0] == "critical"]
    assert len(crit) == 1 and crit[0][1] == "Cannot save image"
    assert "larger than this system lets a program write" in crit[0][2] and "\n" not in crit[0][2]
    assert old.read_bytes() == before and _files(tmp_path) == ["result.png"]
