"""A photo restorer's defects of the app (helper appfix, session 10). Each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QTreeView, QWidget

from dpm_studio.gui.dialogs import IMAGE_FILTER, file_dialog

LONG_NAMES = ["grandmother-wedding-1957-scan-600dpi-restored-final.png", "b.tif", "c-noisy.jpg"]


def _file_view(qtbot, dlg, rows: int) -> QTreeView:
    views = [v for v in dlg.findChildren(QTreeView) if v.isVisible()]
    assert len(views) == 1, "Qt's own dialog shows one detail view"
    view = views[0]
    root = view.rootIndex()
    qtbot.waitUntil(lambda: view.model().rowCount(root) >= rows, timeout=10_000)   # the folder loads in a thread
    QApplication.processEvents()
    return view


def test_the_file_dialog_shows_whole_names_sizes_and_types(qtbot, win, tmp_path):
    """Qt's own file dialog (no native one on a bare X server) opened at 630 x 430 px with fixed columns:
    a long name, the size ("58....KiB") and the type ("PN...ge") were cut short."""
    for name in LONG_NAMES:
        (tmp_path / name).write_bytes(b"x" * 60_000)
    for mode, path in (("open", str(tmp_path)), ("save", str(tmp_path / "result.png"))):
        dlg = file_dialog(win, "Open Image", path, IMAGE_FILTER if mode == "open" else "PNG (*.png)", mode)
        qtbot.addWidget(dlg)
        dlg.show()
        qtbot.waitExposed(dlg)
        view = _file_view(qtbot, dlg, 1 if mode == "save" else len(LONG_NAMES))
        header = view.header()
        for col in range(header.count()):
            if header.isSectionHidden(col):
                continue
            need = max(view.sizeHintForColumn(col), header.sectionSizeHint(col))
            assert header.sectionSize(col) >= need, \
                f"{mode}: column {col} ({view.model().headerData(col, Qt.Horizontal)}) is {header.sectionSize(col)} px, " \
                f"its text needs {need}"
        avail = dlg.screen().availableGeometry()   # the dialog opens large, within the screen
        assert min(1000, 0.8 * avail.width()) <= dlg.width() <= avail.width(), (dlg.width(), avail.width())
        assert min(600, 0.8 * avail.height()) <= dlg.height() <= avail.height(), (dlg.height(), avail.height())
        dlg.close()


def test_the_save_dialog_starts_in_the_folder_with_the_name_given(qtbot, win, tmp_path):
    dlg = file_dialog(win, "Save Image As", str(tmp_path / "photo-restored.png"), "PNG (*.png)", "save")
    qtbot.addWidget(dlg)
    assert Path(dlg.directory().absolutePath()) == tmp_path
    assert [Path(p).name for p in dlg.selectedFiles()] == ["photo-restored.png"]


# -- 2. each task its own model; nothing greyed without a reason ----------------------------------------------
def _pick(win, name):
    """Pick ``name`` in the model list as the user does (the combo's row)."""
    combo = win.task_panel.checkpoint
    i = next(i for i in range(combo.count()) if str(combo.itemData(i)).endswith(f"/{name}.json"))
    assert combo.model().item(i).isEnabled(), f"{name} is greyed on {win.task_panel.task()}"
    combo.setCurrentIndex(i)


def _greyed_without_a_reason(panel) -> list[str]:
    """The panel's visible controls that are greyed out and whose tooltip (their own, else their row's)
    does not say why."""
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit

    bad = []
    kinds = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit)
    for w in [w for w in panel.findChildren(QWidget) if isinstance(w, kinds)]:
        if not w.isVisibleTo(panel) or w.isEnabled() or (isinstance(w, QLineEdit) and
                                                         isinstance(w.parent(), (QAbstractSpinBox, QComboBox))):
            continue
        tip, p = w.toolTip(), w.parentWidget()
        while not tip and p is not None and p is not panel:
            tip, p = p.toolTip(), p.parentWidget()
        if not tip.startswith(("Greyed out: ", "<p>Greyed out: ")):
            bad.append(f"{type(w).__name__} {w.text() if hasattr(w, 'text') else ''!r}: {tip[:60]!r}")
    return bad


def test_a_black_and_white_model_on_inpaint_leaves_denoise_with_its_own_model(make_window):
    """Picking the black-and-white digits model on the Inpaint page greyed the Denoise button ("Denoising
    needs a Gaussian model"), though Denoise runs a model of its own."""
    from dpm_studio import paths

    win = make_window(checkpoint=None)
    tp = win.task_panel
    tp.set_task("inpaint")
    _pick(win, "digits-binary")
    assert tp.current_card()["name"] == "digits-binary"
    assert tp.task_buttons["denoise"].isEnabled(), tp.task_buttons["denoise"].toolTip()
    tp.task_buttons["denoise"].click()
    assert tp.task() == "denoise" and tp.current_card()["name"] == paths.default_checkpoint("denoise")
    combo = tp.checkpoint
    row = next(i for i in range(combo.count()) if str(combo.itemData(i)).endswith("/digits-binary.json"))
    assert not combo.model().item(row).isEnabled(), "on Denoise a black-and-white model cannot be picked"
    tip = combo.itemData(row, Qt.ToolTipRole)
    assert tip.startswith("<p><b>Greyed out on Denoise:</b> ") and QtGui.Qt.mightBeRichText(tip), "one rich text"
    tp.set_task("inpaint")
    assert tp.current_card()["name"] == "digits-binary", "inpainting keeps its choice"
    assert combo.model().item(row).isEnabled()
    tp.set_task("sample")
    assert combo.model().item(row).isEnabled()


def test_every_greyed_control_says_why_on_every_page_and_model(qtbot, make_window):
    from gui_helpers import gradient_image

    win = make_window(checkpoint=None)
    tp = win.task_panel
    tp.more.setChecked(True)    # "More settings" open: its controls too
    seen = set()
    for image in (False, True):
        if image:
            win.files.set_image(gradient_image())
        for model in ("photos-rgb", "digits-binary", "textures-gray"):
            for task in ("inpaint", "denoise", "sample"):
                tp.set_task(task)
                if model == "digits-binary" and task == "denoise":
                    continue
                _pick(win, model)
                pages = {"inpaint": [("mode", i) for i in range(tp.mode.count())] + [("smc", True)],
                         "denoise": [("method", i) for i in range(tp.method.count())] + [("steps_all", True)],
                         "sample": [("steps_all", True)]}[task]
                for name, value in [(None, None)] + pages:
                    if name in ("mode", "method"):
                        getattr(tp, name).setCurrentIndex(value)
                    elif name:
                        getattr(tp, name).setChecked(value)
                    QApplication.processEvents()
                    bad = _greyed_without_a_reason(tp)
                    assert not bad, f"{task}, {model}, {name}={value}, image {image}: {bad}"
                    seen |= {w for w in (tp.steps, tp.smc, tp.start, tp.variance, tp.estimate)
                             if not w.isEnabled()}   # Seed is greyed in none of these: every run draws from it
                for name in ("smc", "steps_all"):
                    getattr(tp, name).setChecked(False)
                tp.mode.setCurrentIndex(0)
                tp.method.setCurrentIndex(0)
    assert len(seen) == 5, "each of them was seen greyed (the walk reaches the states that grey them)"
    tp.set_running(True)
    assert not _greyed_without_a_reason(tp)
    tp.set_running(False)
    assert tp.steps.isEnabled() and not tp.steps.toolTip().startswith("Greyed out")


# -- 3. an accepted result is what its file holds -------------------------------------------------------------
def test_an_accepted_result_is_rounded_as_its_file_holds_it_and_a_no_change_run_is_recorded():
    import numpy as np

    from dpm_studio import imageio
    from dpm_studio.gui.model.session import Session

    s = Session()
    img = np.random.default_rng(1).integers(0, 256, (8, 10, 3)).astype(np.uint8)
    doc = s.open(imageio.from_uint8(img), name="p.png", dirty=False)
    res = imageio.from_uint8(img) + np.float32(0.3 / 255)   # a run that moved every pixel by under half a step
    s.accept(res, {"task": "denoise", "seed": 0, "time": "1"})
    np.testing.assert_array_equal(doc.pixels, imageio.from_uint8(img))   # rounded back: the file's pixels
    assert [r["task"] for r in doc.runs] == ["denoise"], "the run is in the record, as the command line's"
    s.accept(res, {"task": "denoise", "seed": 0, "time": "2"})   # the same run again: nothing new
    assert len(doc.runs) == 1
    assert s.undo().kind == "image" and doc.runs == [] and s.redo() is not None and len(doc.runs) == 1


# -- 4. the walk: open, paint, inpaint, undo/redo, denoise -----------------------------------------------------
def test_denoise_says_before_run_that_a_mask_left_from_inpainting_limits_it(qtbot, win):
    """After an inpainting the mask stays; Denoise then worked on the masked region only, and nothing said so
    until the run had started (a status line that "Done" replaced)."""
    import numpy as np

    from gui_helpers import gradient_image

    win.files.set_image(gradient_image())
    tp = win.task_panel
    tp.set_task("denoise")
    assert tp.hint.text() == "", "no mask: the whole image, nothing to say"
    mask = np.zeros((32, 32), np.float32)
    mask[8:16, 8:16] = 1
    win.canvas.set_mask(mask)
    assert tp.hint.text().startswith("Denoises the masked region only (6.2%)"), tp.hint.text()
    QApplication.processEvents()
    assert tp.hint.heightForWidth(tp.hint.width()) <= tp.hint.height(), "the whole note shows (it was cut)"
    assert "red" not in tp.hint.styleSheet() and "#c0392b" not in tp.hint.styleSheet(), "a note, not an error"
    tp.set_task("inpaint")
    assert "masked region" not in tp.hint.text()
    tp.set_task("denoise")
    assert "masked region" in tp.hint.text()
    assert win.canvas.clear_mask()
    assert tp.hint.text() == ""


def test_undo_and_redo_of_a_result_say_what_they_did(qtbot, win):
    """Ctrl+Z after an Accept cleared the status line and said nothing: on a denoised photo the change can be
    too subtle to see, so the user could not tell whether the result was taken back."""
    import numpy as np

    from gui_helpers import gradient_image

    win.files.set_image(gradient_image())
    mask = np.zeros((32, 32), np.float32)
    mask[8:16, 8:16] = 1
    win.canvas.set_mask(mask)
    win.task_panel.steps.setValue(3)
    with qtbot.waitSignal(win.runner.finished, timeout=60_000):
        assert win.runs.run()
    assert win.runs.accept_result()
    assert win.canvas.undo()
    assert win.statusBar().currentMessage().startswith("Undid accept inpaint"), win.statusBar().currentMessage()
    assert win.canvas.redo()
    assert win.statusBar().currentMessage().startswith("Redid accept inpaint"), win.statusBar().currentMessage()


def test_every_greyed_command_says_why(qtbot, win):
    """The tools and menu commands greyed during a review (Brush, Eraser, Clear, Undo, ...) showed their
    usual tooltip ("Paint the region to fill (B)"), nothing about why they could not be used."""
    import numpy as np

    from gui_helpers import gradient_image

    def unexplained():
        win.update_actions()
        return [f"{name}: {a.toolTip()[:50]!r}" for name, a in win.actions.items()
                if not a.isEnabled() and not (a.toolTip().startswith("Greyed out: ")
                                              and not a.toolTip().startswith("Greyed out: ."))]

    seen = set()
    assert not unexplained(), "no image"
    seen |= {n for n, a in win.actions.items() if not a.isEnabled()}
    win.files.set_image(gradient_image())
    mask = np.zeros((32, 32), np.float32)
    mask[8:16, 8:16] = 1
    win.canvas.set_mask(mask)
    assert not unexplained(), "an image"
    win.task_panel.steps.setValue(3)
    win.task_panel.samples.setValue(2)
    with qtbot.waitSignal(win.runner.finished, timeout=60_000):
        assert win.runs.run()
    assert not unexplained(), "a result under review"
    seen |= {n for n, a in win.actions.items() if not a.isEnabled()}
    assert win.actions["brush"].toolTip().startswith("Greyed out: a result waits under the canvas")
    win.result_bar.variant.setCurrentIndex(win.result_bar.variant.count() - 1)   # the samples' spread
    assert not unexplained(), "the spread shown"
    assert "spread is a map" in win.actions["accept"].toolTip()
    assert {"brush", "clear", "undo", "open"} - {"open"} <= seen
    win.result_bar.variant.setCurrentIndex(0)
    assert win.runs.accept_result()
    assert not unexplained() and win.actions["brush"].isEnabled()
    assert win.actions["brush"].toolTip() == "Paint the region to fill (B)", "its own tooltip again"


def test_another_task_page_does_not_show_the_last_runs_progress_as_its_own(qtbot, win):
    """After an inpainting, the Denoise page read "done: step 19 / 19 in 12.4 s" under its Run button, as if
    the photo had been denoised."""
    import numpy as np

    from gui_helpers import gradient_image

    win.files.set_image(gradient_image())
    mask = np.zeros((32, 32), np.float32)
    mask[8:16, 8:16] = 1
    win.canvas.set_mask(mask)
    tp = win.task_panel
    tp.steps.setValue(3)
    with qtbot.waitSignal(win.runner.finished, timeout=60_000):
        assert win.runs.run()
    assert tp.progress.format().startswith("done")
    tp.set_task("denoise")   # under review: the result is the inpainting's, and the bar says so
    assert tp.progress.format().startswith("done")
    assert win.runs.accept_result()
    tp.set_task("inpaint")
    assert tp.progress.format().startswith("done"), "its own page still tells the last run"
    tp.set_task("denoise")
    assert tp.progress.format() == "idle", tp.progress.format()


def test_an_accepted_fill_is_not_hidden_under_the_mask(qtbot, win):
    """After Accept the mask overlay came back over the fill just accepted: the user saw the pink mask where
    the ladybird had been, not the result (under Xvfb, helper look2). The overlay stays hidden, and says so,
    until the mask is edited, the accept undone, or M pressed."""
    import numpy as np

    from gui_helpers import drag, gradient_image

    win.files.set_image(gradient_image())
    mask = np.zeros((32, 32), np.float32)
    mask[8:16, 8:16] = 1
    win.canvas.set_mask(mask)
    win.task_panel.steps.setValue(3)
    assert win.canvas.overlay_visible()
    with qtbot.waitSignal(win.runner.finished, timeout=60_000):
        assert win.runs.run()
    assert win.runs.accept_result()
    assert not win.canvas.overlay_visible()
    assert not win.act_overlay.isChecked() and not win.mask_panel.show_overlay.isChecked()
    assert "mask is hidden" in win.statusBar().currentMessage()
    assert (win.session.mask > 0).sum() == 64   # kept, for another run
    assert win.canvas.undo()                    # the accept undone: the mask is what the user works on again
    assert win.canvas.overlay_visible() and win.act_overlay.isChecked()
    assert win.canvas.redo()
    win.set_overlay_pref(False)                 # the user's own choice stays until they change it
    drag(win.canvas, [(20, 20), (24, 24)])
    assert not win.canvas.overlay_visible()
    win.set_overlay_pref(True)
    with qtbot.waitSignal(win.runner.finished, timeout=60_000):
        assert win.runs.run()
    assert win.runs.accept_result() and not win.canvas.overlay_visible()
    drag(win.canvas, [(2, 2), (6, 6)])          # a new stroke shows the mask again
    assert win.canvas.overlay_visible() and win.mask_panel.show_overlay.isChecked()
