"""Reported twice, not reproduced (app18 item 4): during an inpainting's review, under a modal dialog, the canvas
showed the image without its fill. Every question and file dialog the window can open while the result is under
review, asked through the dialogs seam: at each, the canvas paints the result (its picture layer, no crop or
original over it), and after it is answered No / cancelled the result is still under review and on show."""

from __future__ import annotations

import numpy as np
import pytest

from dpm_studio import imageio
from gui_helpers import image_with_mask

RUN_MS = 60_000


def _painted(win) -> np.ndarray:
    """What the canvas paints: its picture layer (and a run's crop, where one is shown)."""
    c = win.canvas
    pic = np.asarray(c.image_item.image)
    assert not c.showing_original()
    return c.crop.over(pic) if c.crop.item.isVisible() else pic


@pytest.mark.parametrize("act", ["run", "open", "save_as", "export_mask", "export_gif", "export_frames",
                                 "open_ckpt", "import_ckpt"])
def test_the_canvas_shows_the_result_under_every_dialog_of_a_review(qtbot, win, act, tmp_path):
    img, mask = image_with_mask(win, 24, 6, task="inpaint")
    tp = win.task_panel
    tp.steps_all.setChecked(False)
    tp.steps.setValue(3)
    assert win.runs.run(), tp.hint.text()
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        pass
    win.session.run["seconds"] = 45.0   # a result long to make: Run asks before it discards it
    result = _painted(win).copy()
    assert not np.array_equal(result[mask > 0], np.asarray(win.canvas.base_u8())[mask > 0]), "filled"
    d, seen = win.dialogs, []
    d.answers.update(confirm=False, unsaved="cancel")
    d.paths["save_image"] = str(tmp_path / "saved.png")   # then "Accept the result?", answered No
    imageio.save_image(tmp_path / "other.png", img)
    d.paths["open_image"] = str(tmp_path / "other.png")   # then what to do with the result, answered Cancel

    def watch(name):
        real = getattr(d, name)

        def f(*a, **k):
            seen.append((name, win.session.state, _painted(win).copy()))
            return real(*a, **k)
        setattr(d, name, f)

    for name in ("open_image", "save_image", "open_file", "save_file", "folder", "confirm", "ask_unsaved", "quality"):
        watch(name)
    win.actions[act].trigger()
    qtbot.wait(20)
    assert seen, f"{act} asked nothing"
    if act == "open":
        assert [n for n, *_ in seen] == ["open_image", "ask_unsaved"]
    for name, state, painted in seen:
        assert state == "review", (act, name)
        np.testing.assert_array_equal(painted, result, err_msg=f"{act}: {name}")
    assert win.session.state == "review"
    np.testing.assert_array_equal(_painted(win), result)
