"""Undo and redo of an accepted result give the controls the settings of the run that made the image now shown
(gui/record_settings.show_step): after an undo the run before the undone one, after a redo the redone one; the
image as opened (no run made it) leaves them as they are."""

from __future__ import annotations

import numpy as np

from dpm_studio.gui.model.session import Session


def _hole(n=32):
    m = np.zeros((n, n), np.float32)
    m[8:20, 8:20] = 1
    return m


def test_the_shown_run_is_the_last_accepted_one_the_document_holds():
    s = Session()
    s.open(np.random.default_rng(0).random((16, 16, 3)))
    assert s.shown_run() is None
    a, b = {"task": "inpaint", "seed": 1}, {"task": "inpaint", "seed": 2}
    s.accept(np.full((16, 16, 3), 0.25), a)
    s.accept(np.full((16, 16, 3), 0.75), b)
    assert s.shown_run() is b
    s.undo()
    assert s.shown_run() is a, "after an undo: the run before the undone one"
    s.undo()
    assert s.shown_run() is None, "the image as opened"
    s.redo()
    assert s.shown_run() is a
    s.redo()
    assert s.shown_run() is b, "after a redo: the redone run"


def _panel(tp):
    return (tp.task(), tp.steps.value(), tp.seed.value(), tp.mode.currentData(), tp.grain.isChecked())


def _noise(tp):
    st = tp.settings()
    return st.noise, st.noise_scale, st.sigma255


def test_undo_and_redo_give_back_the_settings_of_the_run_that_made_the_image(qtbot, win, image_file):
    """Run A (steps, seed, mode, grain: X) accepted, the settings changed, run B accepted, the settings changed
    again: Undo shows A's settings beside A's image (they stayed at B's, or at whatever was typed since: only the
    undone run's noise choice, grain and More settings came back, and those were B's); Redo shows B's; an undo
    back to the image as opened leaves the controls as they are. A denoise's noise choice and strength likewise."""
    from test_workflow import run_to_end

    path, _ = image_file
    assert win.files.open_image(path)
    tp = win.task_panel
    tp.set_task("inpaint")
    tp.steps_all.setChecked(False)
    tp.jump_length.setValue(0)

    def run(steps, seed, mode, grain):
        win.session.set_mask(_hole())
        tp.steps.setValue(steps)
        tp.seed.setValue(seed)
        tp.mode.setCurrentIndex(tp.mode.findData(mode))
        tp.grain.setChecked(grain)
        run_to_end(qtbot, win)
        assert win.runs.accept_result()

    a, b = ("inpaint", 3, 11, "clamp-approx", False), ("inpaint", 4, 22, "forward-approx", True)
    run(*a[1:])
    run(*b[1:])
    tp.steps.setValue(6)
    tp.seed.setValue(33)
    tp.grain.setChecked(False)
    assert win.canvas.undo()
    assert _panel(tp) == a
    said = win.statusBar().currentMessage()
    assert said.startswith("Undid accept inpaint") and said.endswith("the settings of the run that made it."), said
    assert win.canvas.redo()
    assert _panel(tp) == b
    assert win.statusBar().currentMessage().endswith("the settings of the run that made it.")
    assert win.canvas.undo() and win.canvas.undo()
    assert _panel(tp) == a, "back to the image as opened: the controls as they were"
    said = win.statusBar().currentMessage()
    assert said.endswith("(Ctrl+Shift+Z redoes it)."), "the status line says nothing of them"

    # a denoise after the inpaintings: its noise choice and strength, and the task, come and go with it
    assert win.canvas.redo()
    tp.set_task("denoise")
    nc = tp.noise_controls
    tp.sigma.setValue(12.0)            # Constant, a typed std
    nc.strength.setValue(1.5)
    run_to_end(qtbot, win)
    assert win.runs.accept_result()
    nc.set_noise("auto")
    nc.strength.setValue(0.8)
    assert win.canvas.undo()
    assert _panel(tp) == a, "the inpainting before the undone denoise: its task and settings"
    assert win.canvas.redo()
    assert tp.task() == "denoise" and _noise(tp) == ("constant", 1.5, 12.0)
