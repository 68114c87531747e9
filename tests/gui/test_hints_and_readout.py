"""The hint under Run, the pixel readout, the unsaved-result dialog: defects seen on Xvfb, each
held by a test that failed before its fix."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from gui_helpers import gradient_image


def test_the_next_step_under_run_is_a_hint_not_an_error(qtbot, win):
    """"Paint over the region to fill first..." showed in red as soon as an image opened."""
    from dpm_studio.gui.run_bar import HINT_RED

    tp = win.task_panel
    tp.set_task("inpaint")
    win.files.set_image(gradient_image())
    win.runs.update_hint()
    assert tp.hint.text().startswith("Paint over the region"), tp.hint.text()
    assert HINT_RED not in tp.hint.styleSheet(), tp.hint.styleSheet()
    win.checkpoints.model_error = "this model cannot inpaint"   # what is wrong: red
    win.runs.update_hint()
    assert tp.hint.text() == "this model cannot inpaint"
    assert HINT_RED in tp.hint.styleSheet()
