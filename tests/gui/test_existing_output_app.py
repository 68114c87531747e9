"""The app under the command line's one rule for an output that exists (cli/restore.existing_output):
never replaced without the user's word. A save dialog asks about the name it hands back; a name the app
changes after it (an extension added: ``scan`` becomes ``scan.png``) was replaced without a question, and
so were the frames of an earlier trajectory export in the folder chosen. Now each is asked (No: the file
as it was), as ``--overwrite`` is asked on the command line."""

from __future__ import annotations

import pytest
from PIL import Image

from dpm_studio import imageio
from dpm_studio.gui.dialogs import may_replace
from gui_helpers import image_with_mask

RUN_MS = 120_000
OLD = b"the user's own file"


@pytest.mark.parametrize("answer", [False, True])
def test_export_mask_asks_before_replacing_the_name_it_adds_png_to(win, tmp_path, answer):
    image_with_mask(win)
    (tmp_path / "scan.png").write_bytes(OLD)
    win.dialogs.paths["save_file"] = str(tmp_path / "scan")   # typed without an extension
    win.dialogs.answers["confirm"] = answer
    assert win.files.export_mask_dialog() is answer
    assert win.dialogs.asked == ["save_file", "confirm"]
    assert ((tmp_path / "scan.png").read_bytes() == OLD) is not answer


def test_export_mask_to_a_new_name_asks_nothing(win, tmp_path):
    image_with_mask(win)
    win.dialogs.paths["save_file"] = str(tmp_path / "fresh")
    assert win.files.export_mask_dialog()
    assert win.dialogs.asked == ["save_file"] and (tmp_path / "fresh.png").is_file()


def test_the_gif_and_the_frames_of_an_earlier_export_are_asked_about(qtbot, win, tmp_path):
    win.task_panel.set_task("sample")
    win.task_panel.width_spin.setValue(8)
    win.task_panel.height_spin.setValue(8)
    win.task_panel.steps.setValue(3)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    (tmp_path / "traj.gif").write_bytes(OLD)
    win.dialogs.paths["save_file"] = str(tmp_path / "traj")
    win.dialogs.answers["confirm"] = False
    win.exports.gif_dialog()
    assert win.dialogs.asked == ["save_file", "confirm"] and (tmp_path / "traj.gif").read_bytes() == OLD
    frames = tmp_path / "frames"
    frames.mkdir()
    first = imageio.frame_paths(frames, len(win.session.trajectory))[0]
    first.write_bytes(OLD)
    win.dialogs.paths["folder"] = str(frames)
    win.exports.frames_dialog()
    assert win.dialogs.asked[-2:] == ["folder", "confirm"] and first.read_bytes() == OLD
    assert sorted(p.name for p in frames.iterdir()) == [first.name]
    win.dialogs.answers["confirm"] = True
    with qtbot.waitSignal(win.exporter.finished, timeout=RUN_MS):
        win.exports.frames_dialog()
    assert first.read_bytes() != OLD and len(list(frames.iterdir())) == len(win.session.trajectory)
    with Image.open(first) as im:
        assert im.size == (8, 8)


def test_may_replace_asks_only_for_a_changed_name_that_exists(tmp_path):
    class Asked:
        def __init__(self):
            self.n = 0

        def confirm(self, title, text):
            self.n += 1
            return False

    d = Asked()
    (tmp_path / "a.png").write_bytes(OLD)
    assert may_replace(d, str(tmp_path / "a.png"), tmp_path / "a.png") and d.n == 0   # the dialog asked already
    assert may_replace(d, str(tmp_path / "b"), tmp_path / "b.png") and d.n == 0       # nothing there
    assert not may_replace(d, str(tmp_path / "a"), tmp_path / "a.png") and d.n == 1
