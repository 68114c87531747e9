"""A painted mask is not dropped without a question (issue: maskkeep).

Opening, dropping or pasting another image, or closing the window, cleared the mask and its history
without asking, so no undo brought a painted mask back. Now the session knows whether the mask holds
edits nothing has used or saved (``mask_has_unused_edits``: painted or erased since a run last started
from it, since it was exported or loaded, or since the image was opened), and only then the one
unsaved-changes question also names the mask and offers Save Mask... The real Dialogs ask here, with
QMessageBox.exec answering as the test says (nothing blocks)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent, QGuiApplication
from PySide6.QtWidgets import QMessageBox

from dpm_studio import imageio
from dpm_studio.gui.dialogs import Dialogs, array_to_qimage
from dpm_studio.gui.model.maskops import paint_rect
from dpm_studio.gui.model.session import Session
from gui_helpers import drag, gradient_image

RUN_MS = 60_000


@pytest.fixture
def answer(monkeypatch, win):
    """The window asks through the real Dialogs; ``answer.click = "Cancel"`` picks the button so named
    (by its text without '&'); each question is kept as (title, text, [button texts])."""
    win.dialogs = Dialogs(win)

    class Answer:
        click = "Cancel"
        asked: list = []

    def exec_(box):
        names = [b.text().replace("&", "") for b in box.buttons()]
        Answer.asked.append((box.windowTitle(), box.text(), names))
        for b in box.buttons():
            if b.text().replace("&", "") == Answer.click:
                b.click()
        return 0

    Answer.asked = []
    monkeypatch.setattr(QMessageBox, "exec", exec_)
    return Answer


def _paint(qtbot, win):
    """A real brush stroke on the canvas."""
    before = win.session.mask.copy()
    drag(win.canvas, [(8.5, 8.5), (20.5, 8.5), (20.5, 20.5)])
    assert (win.session.mask != before).any(), "the stroke painted nothing"
    return win.session.mask.copy()


def _run(qtbot, win, steps=4):
    win.task_panel.set_task("inpaint")
    win.task_panel.steps.setValue(steps)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run(), win.task_panel.hint.text()


def test_the_session_knows_when_the_mask_holds_unused_edits():
    s = Session()
    s.open(gradient_image(24, 24))
    assert not s.mask_has_unused_edits()   # a new image's empty mask has nothing to lose
    before = s.mask.copy()
    s.paint(paint_rect, (2, 2), (10, 10))
    s.end_gesture(before, "rectangle")
    assert s.mask_has_unused_edits()
    from dpm_studio.core.run.requests import InpaintRequest, SampleRequest
    s.start_run({"task": "sample"}, s.job(SampleRequest(size=(8, 8))))   # a sample does not use the mask
    s.end_run()
    assert s.mask_has_unused_edits()
    s.start_run({"task": "inpaint"}, s.job(InpaintRequest()))
    s.end_run()   # even cancelled: the run started from it, and the mask stays as it was
    assert not s.mask_has_unused_edits()
    before = s.mask.copy()
    s.paint(paint_rect, (12, 12), (16, 16))   # painting more after the run is an edit again
    s.end_gesture(before, "rectangle")
    assert s.mask_has_unused_edits()
    s.undo()   # back to the mask the run used
    assert not s.mask_has_unused_edits()
    s.clear_mask()   # an empty mask: nothing to lose
    assert not s.mask_has_unused_edits()
    s.undo()
    s.undo()   # before the run's mask: the empty mask of the opened image
    s.redo()
    s.invert_mask()
    assert s.mask_has_unused_edits()
    s.mark_mask_kept()   # exported or loaded from a file
    assert not s.mask_has_unused_edits()
    s.open(gradient_image(24, 24))
    assert not s.mask_has_unused_edits()


def test_painting_then_opening_another_image_asks_and_cancel_keeps_the_mask_and_the_image(
        qtbot, win, answer, image_file):
    path, _ = image_file
    win.files.set_image(gradient_image(32, 32, seed=3), name="first.png")
    doc = win.session.doc
    mask = _paint(qtbot, win)
    answer.click = "Cancel"
    assert not win.files.open_image(path)
    assert len(answer.asked) == 1, answer.asked
    title, text, buttons = answer.asked[0]
    assert "painted mask" in text, text
    assert "Save Mask\u2026" in buttons and "Discard" in buttons and "Cancel" in buttons, buttons
    assert "Save Image\u2026" not in buttons, buttons   # the image itself has nothing unsaved
    assert win.session.doc is doc and np.array_equal(win.session.mask, mask)
    assert win.session.history.can_undo()   # the stroke can still be taken back
    other = array_to_qimage(imageio.to_uint8(gradient_image(16, 16)))
    QGuiApplication.clipboard().setImage(other)
    md = QMimeData()
    md.setImageData(other)
    for replace in (win.files.paste, lambda: win.dropEvent(QDropEvent(QPointF(5, 5), Qt.CopyAction, md,
                                                                      Qt.LeftButton, Qt.NoModifier))):
        answer.asked.clear()
        replace()   # a pasted or dropped image asks the same question first
        assert len(answer.asked) == 1 and win.session.doc is doc, answer.asked
        assert np.array_equal(win.session.mask, mask)
    answer.click = "Discard"
    assert win.files.open_image(path)
    assert win.session.doc is not doc and not win.session.mask.any()


def test_save_mask_from_the_question_exports_it_then_opens(qtbot, win, answer, image_file, tmp_path):
    path, _ = image_file
    win.files.set_image(gradient_image(32, 32, seed=3), name="first.png")
    mask = _paint(qtbot, win)
    out = tmp_path / "kept-mask.png"
    win.dialogs.save_file = lambda *a: str(out)
    answer.click = "Save Mask\u2026"
    assert win.files.open_image(path)
    assert len(answer.asked) == 1, answer.asked   # once saved, nothing else is asked
    assert np.array_equal(imageio.load_mask(out, mask.shape) > 0, mask > 0)


def test_after_a_run_from_the_mask_opening_does_not_ask_about_it(qtbot, win, answer, image_file):
    path, _ = image_file
    win.files.set_image(gradient_image(32, 32, seed=3), name="first.png")
    _paint(qtbot, win)
    _run(qtbot, win)
    assert win.runs.discard_result()
    drag(win.canvas, [(26.5, 26.5), (28.5, 28.5)])   # a stroke after the run is not used by it
    assert not win.files.open_image(path) and len(answer.asked) == 1, answer.asked
    win.canvas.undo()   # the mask is the run's again
    answer.asked.clear()
    assert win.files.open_image(path)
    assert answer.asked == [], answer.asked


def test_after_an_accepted_run_the_question_is_the_images_alone(qtbot, win, answer, msgbox):
    win.files.set_image(gradient_image(32, 32, seed=3), name="first.png")
    _paint(qtbot, win)
    _run(qtbot, win)
    assert win.runs.accept_result()   # the mask is kept after Accept: no question about it
    answer.click = "Discard"
    assert win.files.confirm_replace()
    assert len(answer.asked) == 1 and msgbox == [], (answer.asked, msgbox)
    title, text, buttons = answer.asked[0]
    assert title == "Unsaved changes" and "painted mask" not in text and sorted(buttons) == ["Cancel", "Discard", "Save"]
    drag(win.canvas, [(26.5, 26.5), (28.5, 28.5)])   # now both: one question names both
    answer.click = "Cancel"
    assert not win.files.confirm_replace()
    title, text, buttons = answer.asked[-1]
    assert text == "The painted mask and the changes to first.png from 1 run are not saved.", text
    assert sorted(buttons) == sorted(["Save Image\u2026", "Save Mask\u2026", "Discard", "Cancel"]), buttons
    assert win.session.doc.name == "first.png" and win.session.history.can_undo()


def test_closing_with_a_painted_unused_mask_asks(qtbot, win, answer, tmp_path):
    win.files.set_image(gradient_image(32, 32, seed=3), name="first.png")
    mask = _paint(qtbot, win)
    answer.click = "Cancel"
    assert not win.close()
    assert win.isVisible() and len(answer.asked) == 1 and "painted mask" in answer.asked[0][1], answer.asked
    assert np.array_equal(win.session.mask, mask)
    out = tmp_path / "closing-mask.png"
    win.dialogs.save_file = lambda *a: str(out)
    answer.click = "Save Mask\u2026"
    assert win.close()
    assert out.exists() and np.array_equal(imageio.load_mask(out, mask.shape) > 0, mask > 0)


def test_accepting_a_sample_in_place_of_a_painted_mask_asks_first(qtbot, win):
    """A sample opens as a new image: the mask and its history went with the old one, unasked."""
    win.files.set_image(gradient_image(32, 32, seed=3), name="first.png")
    doc, mask = win.session.doc, _paint(qtbot, win)
    win.task_panel.set_task("sample")
    win.task_panel.width_spin.setValue(16)
    win.task_panel.height_spin.setValue(16)
    win.task_panel.steps.setValue(3)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run(), win.task_panel.hint.text()
    win.dialogs.answers["confirm"] = False
    assert not win.runs.accept_result()
    assert win.dialogs.asked[-1] == "confirm", win.dialogs.asked
    assert win.session.doc is doc and np.array_equal(win.session.mask, mask) and win.state() == "review"
    win.dialogs.answers["confirm"] = True
    assert win.runs.accept_result()
    assert win.session.doc is not doc and win.session.doc.shape == (16, 16)


def _starred(win) -> bool:
    return "*" in win.windowTitle().split(" \u2014 ")[0]


def test_the_title_marks_a_painted_unused_mask_as_unsaved_work(qtbot, win, answer, tmp_path):
    """The title's * ignored the mask: a painted mask that closing asks about showed a clean title. Now
    it follows ``mask_has_unused_edits`` through every change: paint, export, undo, a run, clear."""
    win.files.set_image(gradient_image(32, 32, seed=3), name="first.png")
    win.session.saved(tmp_path / "first.png")   # the image itself clean
    assert not _starred(win), win.windowTitle()
    _paint(qtbot, win)
    assert _starred(win), "a painted mask nothing keeps is unsaved work"
    assert win.files.export_mask(tmp_path / "m.png")
    assert not _starred(win), "exported: kept"
    win.canvas.undo()   # the stroke taken back: the mask differs from the exported one
    assert _starred(win) is win.session.mask_has_unused_edits() is False   # empty: nothing to lose
    win.canvas.redo()
    assert not _starred(win), "the exported mask again"
    drag(win.canvas, [(26.5, 26.5), (28.5, 28.5)])
    assert _starred(win)
    answer.click = "Cancel"
    assert not win.close() and len(answer.asked) == 1, answer.asked   # closing asks, as the mark says
    _run(qtbot, win)
    assert win.runs.discard_result()
    assert not _starred(win), "a run used it"
    drag(win.canvas, [(2.5, 26.5), (4.5, 28.5)])
    assert _starred(win)
    win.session.clear_mask()
    assert not _starred(win), "an empty mask has nothing to lose"
