"""The app's boxes for the settings a restorer reaches for (More settings: precision, start noise, views, clipping,
a typed noise law; the mask's Soft) and what happens to the settings it keeps on the command line only (tiles,
batches, draws, levels, context): a command line's record brought into the app (Run > Use Settings of a Saved
Result…) runs again to the same pixels and the same record, carrying what has no box; undo and redo give the
boxes back; the app's saved settings keep them; the plots dock draws a typed law (docs/one-way.md)."""

from __future__ import annotations

import numpy as np
import pytest

from gui_helpers import noisy_picture_and_mask

from dpm_studio import imageio
from dpm_studio.cli.main import main

RUN_MS = 120_000
H = W = 32


@pytest.fixture
def inputs(tmp_path):
    """A noisy 8-bit colour picture with clipped pixels, and a mask with a grey edge."""
    return noisy_picture_and_mask(tmp_path, H, W, seed=1, noise=20, green=0.7, blue=0.5, edge=100)[:2]


def _record(path) -> dict:
    runs = imageio.load_image(path).metadata["runs"]
    return {k: v for k, v in runs[-1].items() if k not in ("time", "seconds")}


def _u8(path) -> np.ndarray:
    return (imageio.load_image(path).pixels * 255 + 0.5).astype(np.uint8)


def _run_and_accept(qtbot, win):
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run(), win.task_panel.hint.text()
    assert win.runs.accept_result()


# (task, command-line options): boxes and settings without one, each different from its default
RECORDS = [
    ("denoise", ["--sigma", "14", "--ensemble", "3", "--precision", "fp32", "--tile", "24", "--overlap", "4",
                 "--tile-batch", "2", "--clip-steps", "1", "--levels", "1023"]),
    ("denoise", ["--noise", "poisson-gaussian", "--noise-a", "0.003", "--noise-b", "0.0004", "--clipping",
                 "ignore", "--noise-scale", "1.25"]),
    ("inpaint", ["--steps", "3", "--seed", "4", "--start-sigma", "0.7", "--context", "6", "--soft-mask",
                 "--feather", "1.5", "--precision", "fp32", "--jump-length", "0"]),
]


@pytest.mark.parametrize("task, options", RECORDS, ids=["denoise-carried", "denoise-typed-law", "inpaint-carried"])
def test_a_command_line_record_is_made_again_in_the_app(qtbot, make_window, tmp_path, inputs, task, options):
    """The command line's result, its settings brought in by Run > Use Settings of a Saved Result…, run by the app
    on the same input: the same pixels and the same record, the settings without a box included (before, the app
    ran them at the request's defaults: another record, other pixels)."""
    src, mask = inputs
    cli = tmp_path / "cli.png"
    assert main([task, str(src), *(["--mask", str(mask)] if task == "inpaint" else []), "-o", str(cli),
                 "--checkpoint", "tiny-rgb", *options]) == 0
    win = make_window()
    assert win.files.open_image(src)
    if task == "inpaint":
        assert win.files.load_mask(mask)
    win.dialogs.paths["open_file"] = str(cli)
    win.act_use_record.trigger()
    assert win.dialogs.asked[-1] == "open_file", "its own dialog, not File > Open's"
    assert "settings of the last run of cli.png" in win.statusBar().currentMessage()
    _run_and_accept(qtbot, win)
    app = tmp_path / "app.png"
    assert win.files.save_image(app)
    assert _record(app) == _record(cli)
    np.testing.assert_array_equal(_u8(app), _u8(cli))


def test_settings_without_a_box_are_shown_carried_and_cleared(qtbot, make_window, tmp_path, inputs):
    src = inputs[0]
    cli = tmp_path / "cli.png"
    assert main(["denoise", str(src), "-o", str(cli), "--checkpoint", "tiny-rgb", "--tile", "64",
                 "--grey-draws", "3"]) == 0
    win = make_window()
    assert win.files.open_image(src)
    from dpm_studio.gui.record_settings import use_saved_result

    assert use_saved_result(win, cli)
    ms = win.task_panel.more_settings
    win.task_panel.more.setChecked(True)
    assert ms.carried == {"tile": 64, "grey_draws": 3}, "only what differs from what the app would run"
    assert ms.carried_row.isVisible() and ms.carried_label.text() == "tile 64, grey draws 3"
    req = win.task_panel.settings().request()
    assert (req.tile, req.grey_draws) == (64, 3)
    win.task_panel.set_task("inpaint")   # another task's settings: none of these
    assert not {"tile", "grey_draws"} & set(win.task_panel.settings().more)
    ms.carried_clear.click()
    win.task_panel.set_task("denoise")
    req = win.task_panel.settings().request()
    assert (req.tile, req.grey_draws) == (256, 1) and not ms.carried_row.isVisible()


def test_undo_and_redo_give_back_the_boxes_a_result_was_made_with(qtbot, win, inputs):
    """Undo or redo of an accepted result puts the More settings of the run that made the image shown back in the boxes."""
    src = inputs[0]
    tp, ms = win.task_panel, win.task_panel.more_settings
    assert win.files.open_image(src)
    tp.set_task("denoise")
    first = {"precision": "fp32", "clipping": "ignore", "ensemble": 2, "noise_a": 0.002, "noise_b": 0.0003}
    second = {"precision": "bf16", "clipping": "censored", "ensemble": 5, "noise_a": 0.004, "noise_b": 0.0001}

    def choose(values):
        tp.noise_controls.set_noise("poisson-gaussian")
        for name in ("precision", "clipping"):
            box = getattr(ms, name)
            box.setCurrentIndex(box.findData(values[name]))
        for name in ("ensemble", "noise_a", "noise_b"):
            getattr(ms, name).setValue(values[name])

    def shown():
        return {"precision": ms.precision.currentData(), "clipping": ms.clipping.currentData(),
                "ensemble": ms.ensemble.value(), "noise_a": round(ms.noise_a.value(), 6),
                "noise_b": round(ms.noise_b.value(), 6)}

    choose(first)
    _run_and_accept(qtbot, win)
    choose(second)
    _run_and_accept(qtbot, win)
    choose({"precision": "auto", "clipping": "ignore", "ensemble": 8, "noise_a": 0.01, "noise_b": 0.01})
    tp.noise_controls.set_noise("auto")
    # undone: the settings of the run that made the image now shown (the first); to the image as opened: as
    # they are; redone: the redone run's (record_settings.show_step)
    win.canvas.undo()
    assert shown() == first and tp.noise_controls.noise() == "poisson-gaussian"
    win.canvas.undo()
    assert shown() == first
    win.canvas.redo()
    assert shown() == first
    win.canvas.redo()
    assert shown() == second


def test_the_mask_soft_box_keeps_a_loaded_masks_grey_edge(win, inputs):
    src, mask = inputs
    assert win.files.open_image(src)
    assert win.files.load_mask(mask)
    assert set(np.unique(win.session.mask)) == {0.0, 1.0}, "hard by default, as the command line's"
    win.mask_panel.soft.setChecked(True)
    assert 0.3 < win.session.mask[9, 10] < 0.5, "the loaded grey edge, back"
    win.task_panel.set_task("inpaint")
    assert win.session.soft_mask
    win.mask_panel.soft.setChecked(False)
    assert win.session.mask[9, 10] == 1.0, "the mask shown is the mask run: hard"


def test_the_boxes_are_kept_with_the_apps_settings(make_window):
    win = make_window("boxes.ini")
    ms = win.task_panel.more_settings
    ms.precision.setCurrentIndex(ms.precision.findData("fp32"))
    ms.clipping.setCurrentIndex(ms.clipping.findData("ignore"))
    ms.start_sigma.setValue(0.4)
    ms.noise_a.setValue(0.0025)
    ms.noise_b.setValue(0.0002)
    win.mask_panel.soft.setChecked(True)
    win.save_settings()
    again = make_window("boxes.ini").task_panel.more_settings
    assert (again.precision.currentData(), again.clipping.currentData(), again.start_sigma.value(),
            again.noise_a.value(), again.noise_b.value()) == ("fp32", "ignore", 0.4, 0.0025, 0.0002)
    assert again.parent().window().findChild(type(win.mask_panel)).soft.isChecked()


def test_the_plots_dock_draws_the_law_typed_and_starts_it_from_the_fit(qtbot, win, inputs):
    """Typed a, b: the boxes start from the fitted law (to edit), and the plot's bold curve is the law typed."""
    tp, ms = win.task_panel, win.task_panel.more_settings
    win.act_plots.setChecked(True)
    win.plots.show()
    assert win.files.open_image(inputs[0])
    tp.set_task("denoise")
    qtbot.waitUntil(lambda: win.noise.fit is not None, timeout=10_000)
    tp.noise_controls.set_noise("poisson-gaussian")
    assert ms.noise_a.value() + ms.noise_b.value() > 0, "started from the fit"
    ms.noise_a.setValue(0.004)
    ms.noise_b.setValue(0.0001)
    plot = win.plots.noise
    assert plot.title == "Typed a, b: var = a x + b" and plot.title.startswith(tp.noise_controls.model.currentText())
    x = plot.curves["x"] / 255
    np.testing.assert_allclose(plot.curves["typed"], np.sqrt(0.004 * x + 0.0001) * 255)
    drawn = [it.yData for it in plot._items if hasattr(it, "yData") and it.yData is not None]
    assert any(np.allclose(y, plot.curves["typed"]) for y in drawn), "the typed law is drawn"


def test_a_result_without_a_usable_record_changes_nothing(win, tmp_path, inputs, msgbox):
    """A file with no record, a record whose settings cannot run (edited), a file that is no image: one line
    (a dialog for the unreadable file), and the controls stay as they were."""
    from dpm_studio.gui.record_settings import use_saved_result

    tp = win.task_panel
    tp.set_task("inpaint")
    tp.seed.setValue(5)
    before = tp.settings()
    assert not use_saved_result(win, inputs[0])
    assert "carries no run record" in win.statusBar().currentMessage()
    edited = tmp_path / "edited.png"
    imageio.save_image(edited, np.zeros((8, 8, 3)), metadata={"runs": [{"task": "denoise", "steps": 0, "seed": 9}]})
    assert not use_saved_result(win, edited)
    assert "its settings cannot run" in win.statusBar().currentMessage()
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a picture")
    assert not use_saved_result(win, junk)
    assert msgbox and "Cannot read the result" in str(msgbox[-1])
    assert tp.settings() == before and tp.task() == "inpaint"


def test_choosing_the_typed_law_opens_more_settings_on_its_boxes(win):
    tp = win.task_panel
    tp.set_task("denoise")
    tp.more.setChecked(False)
    tp.noise_controls.set_noise("poisson-gaussian")
    assert tp.more.isChecked() and tp.more_settings.noise_a.isVisible() and tp.more_settings.noise_a.isEnabled()


def test_the_typed_law_starts_from_the_fit_when_it_comes(qtbot, win, inputs):
    """Typed a, b chosen before the curve is fitted (the plots closed: it is fitted in a thread then): the boxes
    are filled from the fit once it comes, not left at 0 (a run would be refused: a or b must be above 0)."""
    tp, ms = win.task_panel, win.task_panel.more_settings
    win.plots.hide()
    assert win.files.open_image(inputs[0])
    tp.set_task("denoise")
    assert win.noise.fit is None
    tp.noise_controls.set_noise("poisson-gaussian")
    qtbot.waitUntil(lambda: ms.noise_a.value() + ms.noise_b.value() > 0, timeout=10_000)
