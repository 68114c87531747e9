"""Defects found by using the app on a real X server as a demanding user would (issue: appwalk).

Each test failed on the app before its fix."""

from __future__ import annotations

import numpy as np

from gui_helpers import gradient_image

RUN_MS = 60_000


def _masked(win, size=64):
    win.files.set_image(gradient_image(size, size))
    mask = np.zeros((size, size), np.float32)
    mask[20:40, 20:40] = 1
    win.canvas.set_mask(mask)


def _run(qtbot, win, steps=6):
    win.task_panel.steps.setValue(steps)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()


def test_the_result_bar_forgets_the_run_once_editing_again(qtbot, win):
    """After Cancel the bar under the canvas still read "step 68 / 1000  t = 466" with its slider part-way,
    over the untouched image; after Accept or Discard it still read "result"."""
    rb = win.result_bar
    _masked(win)
    win.task_panel.steps_all.setChecked(True)
    with qtbot.waitSignal(win.runner.frame, timeout=RUN_MS):
        assert win.runs.run()
    qtbot.waitUntil(lambda: rb.step_label.text() != "", timeout=RUN_MS)
    with qtbot.waitSignal(win.runner.aborted, timeout=RUN_MS):
        win.runs.cancel()
    assert win.state() == "edit"
    assert rb.step_label.text() == "" and rb.slider.value() == 0, (rb.step_label.text(), rb.slider.value())
    win.task_panel.steps_all.setChecked(False)
    for leave in (win.runs.accept_result, win.runs.discard_result):
        _run(qtbot, win)
        assert rb.step_label.text() == "result"
        assert leave()
        assert win.state() == "edit"
        assert rb.step_label.text() == "" and rb.slider.value() == 0, (leave.__name__, rb.step_label.text())


def test_closing_counts_the_runs_since_the_last_save(qtbot, win, tmp_path):
    """Denoise, accept, save, then inpaint and accept: closing asked about "changes from 2 runs that are
    not saved", though the first was in the saved file."""
    _masked(win)
    for n in (1, 2):   # each save holds all the runs so far
        win.task_panel.seed.setValue(n)
        _run(qtbot, win)
        assert win.runs.accept_result()
        assert "from 1 run that" in win.unsaved_text(), (n, win.unsaved_text())
        win.dialogs.paths["save_image"] = str(tmp_path / "out.png")
        assert win.files.save_dialog()
        assert not win.has_unsaved()
    win.task_panel.seed.setValue(3)
    _run(qtbot, win)
    assert win.runs.accept_result()
    assert win.unsaved_text() == "out.png has changes from 1 run that are not saved.", win.unsaved_text()
    _run(qtbot, win)   # the same run again gives the same result: accepting it changes nothing
    assert win.runs.accept_result()
    assert win.unsaved_text() == "out.png has changes from 1 run that are not saved.", win.unsaved_text()
    win.canvas.undo()   # the run is taken back, and so is the one before: the file holds two
    win.canvas.undo()
    assert win.has_unsaved() and win.unsaved_text() == "out.png has changes that are not saved."
