"""Issue 15's defects around the document: undoable Accept, samples as new documents, feather
that reaches only outward, the noise level of each opened image. Each failed before the fix."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from dpm_studio import imageio
from gui_helpers import gradient_image, image_with_mask

RUN_MS = 60_000


def _run(qtbot, win):
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()


def test_defect2_ctrl_z_after_accept_restores_the_pixels(qtbot, win):
    img, mask = image_with_mask(win)
    win.task_panel.steps.setValue(4)
    _run(qtbot, win)
    res = win.session.doc.source.held(win.runs.result_image())   # as the file holds it (Session.accept)
    assert win.runs.accept_result()
    np.testing.assert_array_equal(win.canvas.image(), res)
    assert win.session.doc.runs and win.act_undo.isEnabled() and "accept" in win.act_undo.text()
    win.canvas.setFocus()
    QTest.keyClick(win, Qt.Key_Z, Qt.ControlModifier)
    np.testing.assert_array_equal(win.canvas.image(), img)
    np.testing.assert_array_equal(win.canvas.shown(), imageio.to_uint8(img))
    np.testing.assert_array_equal(win.canvas.mask(), mask)  # the stroke is still there
    assert win.session.doc.runs == []
    QTest.keyClick(win, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    np.testing.assert_array_equal(win.canvas.image(), res)
    assert len(win.session.doc.runs) == 1
    assert win.canvas.undo() and win.canvas.undo()  # the accept, then the mask
    np.testing.assert_array_equal(win.canvas.mask(), 0)


def test_defect2_a_sample_opens_as_a_new_document(qtbot, win, image_file):
    path, img = image_file
    assert win.files.open_image(path)
    win.task_panel.set_task("sample")
    win.task_panel.width_spin.setValue(16)
    win.task_panel.height_spin.setValue(16)
    win.task_panel.steps.setValue(3)
    _run(qtbot, win)
    assert win.runs.accept_result()
    assert win.session.doc.name == "sample.png" and win.session.doc.where is None and win.canvas.image_shape() == (16, 16)
    assert len(win.session.doc.runs) == 1 and win.session.doc.runs[0]["task"] == "sample"
    np.testing.assert_array_equal(imageio.load_image(path).pixels, img)  # the photo is untouched
    assert win.has_unsaved() and "picture" not in win.windowTitle()


def test_defect3_a_feathered_stroke_replaces_every_painted_pixel(qtbot, make_window):
    win = make_window()
    img, mask = image_with_mask(win, size=32, margin=10)
    win.mask_panel.feather.setValue(6.0)
    eff = win.canvas.effective_mask()
    assert (eff[mask > 0] == 1).all(), "every painted pixel is fully replaced"
    assert eff[mask == 0].max() > 0.5, "the blend band lies outside the stroke"
    win.task_panel.steps.setValue(3)
    _run(qtbot, win)
    assert win.session.run["feather"] == 6.0
    win.close()
    again = make_window(settings_file="settings.ini")
    assert again.mask_panel.feather.value() == 0, "feather does not come back at the next launch"


def test_defect4_each_image_gets_its_own_noise_level(qtbot, make_window, tmp_path):
    win = make_window()
    rng = np.random.default_rng(1)
    clean = np.tile(np.linspace(0, 1, 64, dtype=np.float32)[None, :, None], (64, 1, 3))
    noisy = np.clip(clean * 0.6 + 0.2 + rng.normal(0, 20 / 255, clean.shape), 0, 1).astype(np.float32)
    imageio.save_image(tmp_path / "noisy.png", noisy)
    imageio.save_image(tmp_path / "clean.png", clean)
    assert win.files.open_image(tmp_path / "noisy.png")
    qtbot.waitUntil(lambda: "measuring" not in win.task_panel.noise_note.text())   # measured in a thread
    assert abs(win.task_panel.sigma.value() - 20) < 3
    assert "estimated" in win.task_panel.noise_note.text()
    assert win.files.open_image(tmp_path / "clean.png")
    qtbot.waitUntil(lambda: "measuring" not in win.task_panel.noise_note.text())
    assert win.task_panel.sigma.value() < 2, "the last image's level is not carried over"
    assert "no measurable noise" in win.task_panel.noise_note.text()
    win.task_panel.sigma.setValue(22.2)
    win.close()
    again = make_window(settings_file="settings.ini")
    assert again.task_panel.sigma.value() != 22.2, "nor to the next launch"
