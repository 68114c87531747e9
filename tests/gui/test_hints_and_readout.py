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


def test_the_pixel_readout_follows_a_keyboard_zoom_under_a_still_pointer(qtbot, win):
    """After Ctrl++ the readout still named the pixel under the pointer before the zoom."""
    import re

    win.files.set_image(gradient_image(64, 64))
    for _ in range(3):
        QApplication.processEvents()
    c = win.canvas
    a = c.image_to_viewport(10.5, 10.5)
    qtbot.mouseMove(c.viewport(), a)
    assert re.match(r"x\s+10\s+y\s+10\b", win.pixel_label.text()), win.pixel_label.text()
    for _ in range(3):
        win.act_zoom_in.trigger()   # about the view's centre: the pointer is over another pixel now
    QApplication.processEvents()
    p = c.viewport_to_image(a)
    want = f"x {int(p.x()):4d}  y {int(p.y()):4d}"
    assert (int(p.x()), int(p.y())) != (10, 10)
    assert win.pixel_label.text().startswith(want), (win.pixel_label.text(), want)
    win.actions["fit"].trigger()
    QApplication.processEvents()
    p = c.viewport_to_image(a)
    assert win.pixel_label.text().startswith(f"x {int(p.x()):4d}  y {int(p.y()):4d}"), win.pixel_label.text()


def test_the_unsaved_question_says_what_happens_and_what_each_button_does(qtbot, win, monkeypatch):
    """Opening a file over an accepted, unsaved result asked under the title "Unsaved result" with
    "first.png has changes from 1 run that are not saved." and nothing about what Open would do
    or what Save, Discard and Cancel mean; the same question about the mask was titled "Unsaved changes"."""
    from PySide6.QtWidgets import QMessageBox

    from dpm_studio.gui.dialogs import Dialogs, unsaved_box

    asked = []

    def exec_(box):
        asked.append((box.windowTitle(), box.text(), box.informativeText()))
        for b in box.buttons():
            if box.buttonRole(b) == QMessageBox.RejectRole:
                b.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    win.dialogs = Dialogs(win)
    win.files.set_image(gradient_image(), name="first.png")
    win.session.doc.unsaved_runs = lambda: 1
    monkeypatch.setattr(win, "has_unsaved", lambda: True)
    assert not win.files.confirm_replace()
    title, text, more = asked[-1]
    assert title == "Unsaved changes", title
    assert text == "first.png has changes from 1 run that are not saved.", text
    assert more.startswith("Opening another image without saving loses the changes."), more
    for words in ("Save saves the image first", "Discard goes on without saving", "Cancel goes back, nothing lost"):
        assert words in more, (words, more)
    titles = {unsaved_box(None, "t", image, mask)[0].windowTitle() for image, mask in ((True, False), (True, True))}
    assert titles == {"Unsaved changes"}, titles
    box = unsaved_box(None, "t", False, True, "Closing the window")[0]
    assert box.windowTitle() == "Unsaved mask"
    assert box.informativeText().startswith("Closing the window without saving loses the mask's edits.")
    assert "Save Mask\u2026 saves the mask first" in box.informativeText()
