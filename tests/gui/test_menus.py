"""Menus, dialogs (scripted), the checkpoint picker, settings and help."""

from __future__ import annotations

import numpy as np
from gui_helpers import drag, gradient_image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from dpm_studio import imageio
from dpm_studio.gui import actions
from dpm_studio.gui.canvas import Tool
from dpm_studio.gui.model.models import card_label, card_tooltip
from dpm_studio.gui.task_panel import TaskPanel


def test_checkpoint_picker_lists_cards_with_details(qtbot):
    cards = [
        {"name": "bark", "path": "/x/bark.json", "family": "gaussian", "network": {"type": "multiscale"},
         "diffusion": {"schedule": {"T": 500}}, "description": "bark textures",
         "data": {"channels": 1, "provenance": "Lazebnik et al. textures"},
         "bound": {"K": -0.55, "units": "bits/pixel"}},
        {"name": "heartbeat", "path": "/x/hb.json", "family": "binomial", "network": {"type": "heartbeat-mlp"},
         "diffusion": {"schedule": {"T": 2000}}, "data": {"channels": 1}},
        {"name": "binary-img", "path": "/x/bi.json", "family": "binomial", "network": {"type": "unet"},
         "diffusion": {"schedule": {"T": 100}}, "data": {"channels": 1}},
    ]
    assert card_label(cards[0]) == "bark (grey)"  # what it is for; the bound is in the details
    tip = card_tooltip(cards[0])
    assert "bark textures" in tip and "Lazebnik" in tip and "T = 500" in tip and "at least -0.55" in tip
    p = TaskPanel()
    qtbot.addWidget(p)
    p.set_cards(cards)
    assert p.checkpoint.count() == 3
    assert [c["name"] for c in p.cards()] == ["bark", "binary-img", "heartbeat"], "image models first"
    assert p.checkpoint.itemData(0, Qt.ToolTipRole) == tip
    assert not p.checkpoint.model().item(2).isEnabled(), "a non-image model cannot be picked"
    assert p.current_card()["name"] == "bark"
    assert p.steps.maximum() == 500
    p.set_task("denoise")
    assert not p.checkpoint.model().item(1).isEnabled(), "binomial models cannot denoise: greyed on Denoise"
    p.set_task("inpaint")
    assert p.select("binary-img")
    assert p.current_card()["name"] == "binary-img"
    assert p.task_buttons["denoise"].isEnabled(), "Denoise runs a model of its own"
    s = p.settings()
    assert s.checkpoint == "/x/bi.json" and s.task == "inpaint"
    assert s.start == "harmonic" and s.mode == "forward-approx" and s.steps == 19, "the inpainting defaults"
    p.start.setCurrentIndex(p.start.findData("noise"))
    assert p.settings().start == "noise"
    p.variance.setCurrentIndex(p.variance.findData("large"))
    assert not p.variance.isEnabled() and p.settings().variance == "learned", "a binary model has no step variance"
    assert p.select("bark")
    assert p.variance.isEnabled() and p.settings().variance == "large"
    p.set_task("denoise")
    p.method.setCurrentIndex(p.method.findData("mmse"))
    assert not p.variance.isEnabled() and p.settings().variance == "learned", "the one-step mean samples nothing"
    p.method.setCurrentIndex(p.method.findData("sample"))
    assert p.variance.isEnabled() and p.settings().variance == "large"
    p.set_task("inpaint")
    p.set_running(True)  # nothing that shapes the run can change under it
    for w in (p.checkpoint, p.task_stack, p.steps, p.seed, p.samples, p.variance, p.device, *p.task_buttons.values()):
        assert not w.isEnabled(), w
    p.set_running(False)
    assert p.variance.isEnabled() and p.steps.isEnabled()
    assert not p.select("heartbeat")
    p.set_cards([cards[1]])
    assert p.current_card() is None and p.checkpoint.currentText() == "no image model found"
    assert "None of the 1 checkpoints" in p.model_info.text()
    p.set_cards([])
    assert p.current_card() is None


def test_settings_from_the_panel(win):
    tp = win.task_panel
    tp.set_task("denoise")
    tp.sigma.setValue(30)
    tp.steps_all.setChecked(True)
    tp.samples.setValue(3)
    tp.mode.setCurrentIndex(tp.mode.findData("forward-approx"))
    tp.jump_length.setValue(5)
    tp.jump_n.setValue(2)
    assert tp.settings().samples == 1, "the one-step posterior mean (the default) draws no samples"
    tp.method.setCurrentIndex(tp.method.findData("sample"))
    s = tp.settings()
    assert s.task == "denoise" and abs(s.sigma - 30 / 255) < 1e-9 and s.steps is None and s.samples == 3
    assert s.mode == "forward-approx" and s.jump_length == 5 and s.jump_n_sample == 2
    assert s.device == "cpu"



def test_the_exact_mode_in_the_panel_weighs_from_noise(win):
    """Known pixels › Exact: the request it makes has SMC on, starts from noise and has no jumps, and the
    SMC box and the start are greyed (the mode implies them)."""
    tp = win.task_panel
    tp.set_task("inpaint")
    tp.samples.setValue(4)
    tp.mode.setCurrentIndex(tp.mode.findData("exact"))
    s = tp.settings()
    assert (s.mode, s.smc, s.start) == ("exact", True, "noise")
    req = s.request()
    assert req.mode == "exact" and req.smc and req.start == "noise" and req.validate() is req
    assert (req.jump_length, req.jump_n_sample) == (0, 1)
    assert not tp.smc.isEnabled() and not tp.start.isEnabled()
    tp.mode.setCurrentIndex(tp.mode.findData("forward-approx"))
    assert tp.smc.isEnabled() and tp.start.isEnabled() and not tp.settings().smc
    assert "approximation" in tp.mode.toolTip() and "approximate" in tp.mode.itemText(0)



def test_an_old_saved_mode_name_opens_as_its_new_one(make_window, tmp_path):
    """Settings saved before the rename hold run/mode = "clamp": the panel opens on clamp-approx."""
    from PySide6.QtCore import QSettings

    old = QSettings(str(tmp_path / "old.ini"), QSettings.IniFormat)
    old.setValue("run/mode", "clamp")
    old.sync()
    assert make_window("old.ini").task_panel.mode.currentData() == "clamp-approx"


def test_save_as_dialog_with_jpeg_quality(win, tmp_path):
    win.files.set_image(gradient_image())
    win.dialogs.paths["save_image"] = str(tmp_path / "out.jpg")
    win.dialogs.answers["quality"] = 40
    win.act_save_as.trigger()
    assert "quality" in win.dialogs.asked
    assert (tmp_path / "out.jpg").exists()
    assert win.settings.value("save/quality") in (40, "40")
    assert abs(imageio.load_image(tmp_path / "out.jpg").pixels - gradient_image()).mean() < 0.05


def test_undo_redo_through_actions_and_brush_keys(win):
    win.files.set_image(gradient_image())
    win.canvas.set_tool(Tool.RECT)
    drag(win.canvas, [(4, 4), (12, 12)])
    assert win.act_undo.isEnabled() and "rectangle" in win.act_undo.text()
    win.act_undo.trigger()
    assert win.canvas.mask().sum() == 0 and win.act_redo.isEnabled()
    win.act_redo.trigger()
    assert win.canvas.mask().sum() == 64
    win.act_invert.trigger()
    assert win.canvas.mask().sum() == 32 * 32 - 64
    win.act_clear.trigger()
    assert win.canvas.mask().sum() == 0
    size = win.canvas.brush_size()
    win.act_larger.trigger()
    assert win.canvas.brush_size() > size and win.mask_panel.brush.value() == round(win.canvas.brush_size())
    win.act_smaller.trigger()
    win.act_smaller.trigger()
    assert win.canvas.brush_size() < size
    win.tool_actions[Tool.LASSO].trigger()
    assert win.canvas.tool() == Tool.LASSO
    win.mask_panel.feather.setValue(3.0)
    assert win.canvas.feather() == 3.0


def test_recent_files_menu(win, tmp_path):
    paths = []
    for k in range(3):
        p = tmp_path / f"img{k}.png"
        imageio.save_image(p, gradient_image(seed=k))
        assert win.files.open_image(p)
        paths.append(str(p.resolve()))
    assert win.files.recent_files() == paths[::-1]
    win.files._fill_recent_menu()
    acts = [a for a in win.recent_menu.actions() if a.data()]
    assert [a.data() for a in acts] == paths[::-1]
    acts[-1].trigger()  # the oldest one
    np.testing.assert_array_equal(win.canvas.image(), gradient_image(seed=0))


def test_help_dialogs(win, msgbox, qtbot):
    win.act_about.trigger()
    kind, title, text = msgbox[-1]
    assert kind == "about" and "torch" in text and "PySide6" in text and "pyqtgraph" in text
    dlg = actions.show_shortcuts(win)
    assert dlg.isVisible()
    dlg.close()


def test_show_x0_switch_and_scrubbing(qtbot, win):
    win.files.set_image(gradient_image())
    win.canvas.set_tool(Tool.RECT)
    drag(win.canvas, [(8, 8), (24, 24)])
    win.task_panel.steps.setValue(8)
    win.task_panel.jump_length.setValue(0)  # no resampling jumps: one record per step
    with qtbot.waitSignal(win.runner.finished, timeout=30_000):
        win.runs.run()
    tr = win.session.trajectory
    win.result_bar.slider.setValue(2)
    np.testing.assert_array_equal(win.canvas.shown(), tr.x[2])
    win.act_x0.setChecked(True)
    assert win.result_bar.x0_button.isChecked()
    np.testing.assert_array_equal(win.canvas.shown(), tr.x0[2])
    assert "step 3 / 8" in win.result_bar.step_label.text()


def test_space_key_pans_instead_of_painting(win):
    win.files.set_image(gradient_image())
    QTest.keyPress(win.canvas, Qt.Key_Space)
    assert win.canvas.space_held
    r0 = win.canvas.vb.viewRect()
    drag(win.canvas, [(16, 16), (6, 16)])
    QTest.keyRelease(win.canvas, Qt.Key_Space)
    assert not win.canvas.space_held
    assert win.canvas.mask().sum() == 0 and win.canvas.vb.viewRect().x() > r0.x() + 3


def test_open_checkpoint_file_outside_the_folders(win, tmp_path, msgbox):
    from gui_helpers import make_checkpoint

    card = make_checkpoint(tmp_path, "elsewhere", 3, T=20)
    assert win.checkpoints.open(card) and win.checkpoints.wait_loaded()
    assert win.task_panel.current_card()["name"] == "elsewhere"
    assert win.plots.curves is not None and len(win.plots.curves["beta"]) == 20
    (tmp_path / "broken.json").write_text("{not json")
    assert not win.checkpoints.open(tmp_path / "broken.json")
    assert msgbox[-1][0] == "critical" and "JSON" in msgbox[-1][2]


def test_split_divider_drags_with_the_mouse(qtbot, win):
    win.files.set_image(gradient_image())
    win.canvas.set_tool(Tool.RECT)
    drag(win.canvas, [(8, 8), (24, 24)])
    win.task_panel.steps.setValue(3)
    with qtbot.waitSignal(win.runner.finished, timeout=30_000):
        win.runs.run()
    win.result_bar.split_button.click()
    c = win.canvas
    assert c.split() and c.split_line.isVisible()
    x0 = c.split_line.value()
    r0 = c.vb.viewRect()
    drag(c, [(x0, 16), (x0 - 10, 16)])
    assert abs(c.split_line.value() - (x0 - 10)) < 1.0, "the divider follows the mouse"
    assert c.vb.viewRect() == r0, "and the view did not pan"
    assert c.original_item.isVisible()
    win.result_bar.split_button.click()
    assert not c.split()


def test_photos_model_is_preselected_when_nothing_was_chosen(tmp_path, monkeypatch, make_window):
    from gui_helpers import make_checkpoint

    make_checkpoint(tmp_path, "dead-leaves", channels=1)
    make_checkpoint(tmp_path, "photos-rgb", channels=3)
    monkeypatch.setenv("DPM_STUDIO_CHECKPOINTS", str(tmp_path))
    w = make_window(checkpoint=None)
    assert w.task_panel.current_card()["name"] == "photos-rgb"
