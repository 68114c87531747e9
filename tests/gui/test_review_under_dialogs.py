"""Reported twice, not reproduced (app18 item 4): during an inpainting's review, under a modal dialog, the canvas
showed the image without its fill. Every question and file dialog the window can open while the result is under
review, asked through the dialogs seam: at each, the canvas paints the result (its picture layer, no crop or
original over it), and after it is answered No / cancelled the result is still under review and on show. Session 19
(app19) added Run > Use Settings of a Saved Result (an inpainting's record, and a denoise's: the task and model switch
under the review, the model loading in its thread), Help > About and Keyboard Shortcuts, and the error boxes of a
file that fails (Open, Use Settings, Export Mask, Open and Import Checkpoint); not reproduced under Xvfb :92 + openbox
either (screenshots of the real file dialog, About, an error box, the shortcuts sheet and the closing question over
an 800x600 inpainting's review: the fill on show beside each)."""

from __future__ import annotations

import numpy as np
import pytest

from dpm_studio import imageio
from dpm_studio.core.files import checkpoint
from gui_helpers import image_with_mask

RUN_MS = 60_000


def _record_file(path, request, model="tiny-grey"):
    """``path``: a picture carrying ``request``'s run record (as a saved result does), made with ``model``."""
    imageio.save_image(path, np.full((8, 8, 3), 0.5), metadata={"runs": [request.metadata(checkpoint.load_cached(model))]})


def _painted(win) -> np.ndarray:
    """What the canvas paints: its picture layer (and a run's crop, where one is shown)."""
    c = win.canvas
    pic = np.asarray(c.image_item.image)
    assert not c.showing_original()
    return c.crop.over(pic) if c.crop.item.isVisible() else pic


# Each case: an action, and what its dialogs answer ("error": a path that makes it fail, an error box)
CASES = ["run", "open", "save_as", "export_mask", "export_gif", "export_frames", "open_ckpt", "import_ckpt",
         "use_record:inpaint", "use_record:denoise", "use_record:error", "open:error",
         "export_mask:error", "open_ckpt:error", "import_ckpt:error", "about", "shortcuts"]


@pytest.mark.parametrize("case", CASES)
def test_the_canvas_shows_the_result_under_every_dialog_of_a_review(qtbot, win, case, tmp_path, msgbox, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from dpm_studio.core.run.requests import DenoiseRequest, InpaintRequest

    act, _, how = case.partition(":")
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
    if act == "use_record":   # a result whose record is an inpainting's or a denoise's (another task, model)
        d.paths["open_file"] = str(tmp_path / "result.png")
        _record_file(tmp_path / "result.png", InpaintRequest(steps=4, seed=3, feather=2.0, soft_mask=True)
                     if how == "inpaint" else DenoiseRequest(sigma=0.1, seed=4, method="sample", steps=5))
    if how == "error":   # each fails on its file: an error box
        junk = tmp_path / "junk.png"
        junk.write_bytes(b"not a picture")
        d.paths.update(open_image=str(junk), open_file=str(junk), save_file=str(tmp_path / "no" / "mask.png"),
                       save_image=str(tmp_path / "no" / "saved.png"))
        d.answers.update(unsaved="discard")   # File > Open: the result may go, once the file is read

    def watch(name, owner=d):
        real = getattr(owner, name)

        def f(*a, **k):
            seen.append((name, win.session.state, _painted(win).copy()))
            return real(*a, **k)
        monkeypatch.setattr(owner, name, f)

    for name in ("open_image", "save_image", "open_file", "save_file", "folder", "confirm", "ask_unsaved", "quality",
                 "error"):
        watch(name)
    watch("about", QMessageBox)   # Help > About: a message box of its own
    if act == "use_record":   # its model not loaded yet: it loads in a thread (gui/checkpoints.py), ending in the review
        checkpoint.clear_cache()
    win.actions[act].trigger()
    qtbot.wait(20)
    assert win.checkpoints.wait_loaded(30)
    qtbot.wait(20)
    if act == "shortcuts":   # not modal: the sheet stays open beside the window
        seen.append(("sheet", win.session.state, _painted(win).copy()))
    assert seen, f"{case} asked nothing"
    if act == "open" and not how:
        assert [n for n, *_ in seen] == ["open_image", "ask_unsaved"]
    if how == "error":
        assert seen[-1][0] == "error", seen[-1][0]
    for name, state, painted in seen:
        assert state == "review", (case, name)
        np.testing.assert_array_equal(painted, result, err_msg=f"{case}: {name}")
    assert win.session.state == "review"
    np.testing.assert_array_equal(_painted(win), result)
