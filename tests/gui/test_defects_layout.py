"""Issue 15's defects of layout, defaults and the model list. Each failed before the fix."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from dpm_studio import imageio
from dpm_studio.core.run.requests import DenoiseRequest
from gui_helpers import gradient_image

RUN_MS = 60_000


def _settle(qtbot):
    QApplication.processEvents()
    qtbot.wait(20)
    QApplication.processEvents()


def test_defect7_the_mask_controls_stay_put_when_a_hint_comes_and_goes(qtbot, win):
    win.files.set_image(gradient_image())
    win.runs.update_hint()
    _settle(qtbot)
    assert win.task_panel.hint.text(), "no mask yet: the panel says what to do"
    where = win.mask_panel.mapTo(win, QPoint(0, 0))
    mask = np.zeros((32, 32), np.float32)
    mask[8:24, 8:24] = 1
    win.canvas.set_mask(mask)
    _settle(qtbot)
    assert not win.task_panel.hint.text()
    assert win.mask_panel.mapTo(win, QPoint(0, 0)) == where
    win.task_panel.set_progress(3, 10, 1.0, 2.0, "step 3 / 10")  # a run's time left: no extra line either
    _settle(qtbot)
    assert win.mask_panel.mapTo(win, QPoint(0, 0)) == where


def test_defect9_the_app_denoises_as_the_command_line_does_and_saves_its_schema(qtbot, win, tmp_path):
    win.files.set_image(gradient_image())
    win.task_panel.set_task("denoise")
    req = win.task_panel.settings().request()
    assert req.method == "mmse" and req.ensemble == DenoiseRequest().ensemble is None   # the checkpoint's
    assert req.sigma is None  # the estimate, measured by the job as the command line does
    job = win.session.job(req)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    assert win.runs.accept_result()
    out = tmp_path / "d.png"
    assert win.files.save_image(out)
    run = imageio.load_image(out).metadata["runs"][0]
    expect = job.metadata(win.checkpoints.model(win.task_panel.settings().checkpoint))
    assert set(expect) <= set(run) and set(run) - set(expect) <= {"seconds", "result_sha256", "software"}, \
        "the app adds only what it measured, and what it made (core/run/jobs.stamped)"
    assert run["method"] == "mmse" and run["sigma_255"] == expect["sigma_255"] and run["ensemble"] == 6
    assert run["clip_steps"] == 2   # photos-rgb's card names none: the defaults the shipped model always ran


def test_defect10_a_grey_photo_on_the_colour_model_costs_what_colour_does(qtbot, win):
    loaded = win.checkpoints.model(win.task_panel.settings().checkpoint)
    calls = []
    real = loaded.net.forward

    def counting(x, *a, **k):
        calls.append(int(x.shape[0]))
        return real(x, *a, **k)

    loaded.net.forward = counting
    try:
        counts = []
        for img in (gradient_image(32, 32, channels=1), gradient_image(32, 32, channels=3)):
            win.files.set_image(img)
            win.task_panel.set_task("denoise")
            calls.clear()
            with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
                assert win.runs.run()
            counts.append(sum(calls))
            win.runs.discard_result()
    finally:
        loaded.net.forward = real
    assert counts[0] == counts[1], counts  # the 8 views of one tile, for grey as for colour (grey was 4x)


def test_defect12_models_are_listed_by_purpose_and_the_controls_fit_1280x700(qtbot, win):
    combo = win.task_panel.checkpoint
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert not any("K =" in t or "bits" in t for t in texts), texts
    i = next(i for i in range(combo.count()) if str(combo.itemData(i)).endswith("photos-rgb.json"))
    assert combo.itemText(i) == "Photos (colour)"
    tip = combo.itemData(i, 3)  # Qt.ToolTipRole
    assert "log-likelihood of at least" in tip and "comes with the app" in tip
    assert any(t.startswith("Textures (grey)") for t in texts)
    win.resize(1280, 700)
    _settle(qtbot)
    scroll = win.side_dock.widget()
    for task in ("inpaint", "denoise", "sample"):
        win.task_panel.set_task(task)
        _settle(qtbot)
        assert scroll.verticalScrollBar().maximum() == 0, f"{task}: the controls need scrolling at 1280x700"


def _content_bottom(page) -> int:
    """The lowest edge of the page's visible widgets, in the page's coordinates."""
    from PySide6.QtWidgets import QWidget

    return max(w.mapTo(page, QPoint(0, w.height())).y() for w in page.findChildren(QWidget) if w.isVisible())


def test_every_task_page_fills_the_task_group_and_the_run_button_stays_put(qtbot, win):
    """The Task group is as tall as its tallest page (so the Run button below it stays put), and
    the Inpaint and Sample pages had one row each over a blank the height of Denoise's four (about
    60 px of dead space, on an X server: /tmp/defects/before-*.png). Each page now fills it."""
    tp = win.task_panel
    assert tp.noise_note.text() == "estimated on the image you open", "no blank row before an image is open"
    win.files.set_image(gradient_image(40, 56))
    runs = set()
    for task in ("inpaint", "denoise", "sample"):
        tp.set_task(task)
        _settle(qtbot)
        page = tp.pages[task]
        blank = tp.task_stack.height() - _content_bottom(page)
        assert blank <= 12, f"{task}: {blank} px of blank space under the page's settings"
        runs.add(tp.run_button.mapTo(win, QPoint(0, 0)).y())
    assert len(runs) == 1, runs
    assert tp.mode.isVisible() is False and tp.jump_length.isVisible() is False  # on the Inpaint page
    sp = tp.pages["sample"]
    assert sp.image_size.isEnabled()
    sp.image_size.click()
    assert sp.hw() == (40, 56)
    assert not sp.patch_size.isEnabled(), "the test model's card says no patch size"
    sp.set_patch(64)
    sp.patch_size.click()
    assert sp.hw() == (64, 64) and sp.note.text() == "the model saw 64 \u00d7 64 crops"


def test_the_pixel_readout_follows_a_stroke_and_undo_under_a_still_pointer(qtbot, win):
    """After a brush stroke the readout under the pointer said "mask 0.00" on the painted pixel (seen
    on an X server): it was made on the last mouse move, before the stroke was committed."""
    from PySide6.QtCore import Qt

    win.files.set_image(gradient_image(64, 64))
    _settle(qtbot)
    c = win.canvas
    a = c.image_to_viewport(20.5, 20.5)   # the brush (the default tool): a dot under the pointer
    qtbot.mouseMove(c.viewport(), a)
    assert win.pixel_label.text().endswith("mask 0.00"), win.pixel_label.text()
    qtbot.mousePress(c.viewport(), Qt.LeftButton, Qt.NoModifier, a)
    qtbot.mouseRelease(c.viewport(), Qt.LeftButton, Qt.NoModifier, a)
    _settle(qtbot)
    assert c.mask()[20, 20] == 1
    assert win.pixel_label.text().endswith("mask 1.00"), win.pixel_label.text()
    assert c.undo()
    _settle(qtbot)
    assert win.pixel_label.text().endswith("mask 0.00"), win.pixel_label.text()
