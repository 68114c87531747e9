"""The task panel's parts on their own: the model picker, the per-task pages (their ranges and
tooltips from the settings' one declaration), the run bar; and the panel built from them."""

from __future__ import annotations

from dpm_studio.core.run.requests import DenoiseRequest, InpaintRequest, SampleRequest
from dpm_studio.core.run.settings import default_of, spec_of
from dpm_studio.gui.model_picker import ModelPicker
from dpm_studio.gui.run_bar import RunBar
from dpm_studio.gui.task_pages import DenoisePage, InpaintPage, SamplePage
from dpm_studio.gui.task_panel import TaskPanel


def _card(name, T=100, net="unet"):
    return {"name": name, "path": f"/x/{name}.json", "network": {"type": net},
            "diffusion": {"schedule": {"T": T}}}


def _tooltip(cls, name):
    text = spec_of(cls, name).describe(default_of(cls, name))
    return text[:1].upper() + text[1:]


def test_the_picker_lists_image_models_first_and_says_which_is_chosen(qtbot):
    p = ModelPicker()
    qtbot.addWidget(p)
    chosen = []
    p.cardChanged.connect(chosen.append)
    toy = {"name": "spiral", "path": "/x/spiral.json", "network": {"type": "mlp"}}
    p.set_cards([toy, _card("a", 300), _card("b", 500)])
    assert [c["name"] for c in p.cards()] == ["a", "b", "spiral"]
    assert not p.checkpoint.model().item(2).isEnabled()
    assert chosen[-1]["name"] == "a" and "T = 300" in p.model_info.text()
    assert p.select("b") and chosen[-1]["name"] == "b" and p.current_card()["name"] == "b"
    assert not p.select("spiral") and p.current_card()["name"] == "b", "a toy model cannot be chosen"
    p.set_cards([toy])
    assert chosen[-1] is None and p.current_card() is None
    assert "None of the 1 checkpoints" in p.model_info.text()


def test_the_pages_take_their_ranges_and_tooltips_from_the_declarations(qtbot):
    ip, dp, sp = InpaintPage(), DenoisePage(), SamplePage()
    for w in (ip, dp, sp):
        qtbot.addWidget(w)
    for spin, cls, name in ((ip.jump_length, InpaintRequest, "jump_length"),
                            (ip.jump_n, InpaintRequest, "jump_n_sample"),
                            (sp.width_spin, SampleRequest, "size"), (sp.height_spin, SampleRequest, "size")):
        s = spec_of(cls, name)
        assert (spin.minimum(), spin.maximum()) == (s.lo, s.hi), name
        assert spin.toolTip() == _tooltip(cls, name)
    s = spec_of(DenoiseRequest, "sigma")
    assert dp.sigma.maximum() == s.hi and dp.sigma.toolTip() == _tooltip(DenoiseRequest, "sigma")
    assert ip.mode.currentData() == InpaintRequest().mode and ip.start.currentData() == InpaintRequest().start
    assert dp.method.currentData() == DenoiseRequest().method
    assert sp.hw() == tuple(SampleRequest().size)
    sp.width_spin.setValue(96)
    assert sp.hw() == (SampleRequest().size[0], 96)


def test_the_denoise_page_uses_the_estimate_until_sigma_is_typed(qtbot):
    dp = DenoisePage()
    qtbot.addWidget(dp)
    asked = []
    dp.estimateRequested.connect(lambda: asked.append(1))
    dp.estimate.click()
    assert asked == [1]
    dp.show_estimate(12.34)
    assert dp.sigma.value() == 12.3 and dp.sigma255() is None, "the run measures the estimate itself"
    assert dp.noise_note.text() == "estimated noise std 12.3 / 255"   # the command line's words (jobs.estimate_words)
    assert dp.noise_controls.noise() == "auto"
    dp.sigma.setValue(20)
    assert dp.sigma255() == 20.0 and dp.noise_controls.noise() == "constant"
    dp.show_estimate(0.1)   # what the command line says of it, not "no measurable noise" below 0.5
    assert dp.sigma255() is None and dp.noise_note.text() == "estimated noise std 0.1 / 255"
    dp.show_estimate(0.0)
    assert dp.sigma255() is None and dp.noise_note.text() == "no measurable noise"


def test_the_run_bar(qtbot):
    bar = RunBar()
    qtbot.addWidget(bar)
    assert bar.run_button.isEnabled() and not bar.cancel_button.isEnabled()
    bar.set_running(True)
    assert not bar.run_button.isEnabled() and bar.cancel_button.isEnabled()
    bar.set_progress(3, 10, elapsed=2.0, eta=125.0, text="piece 3 / 10")
    assert bar.progress.value() == 3 and bar.progress.maximum() == 10
    assert bar.progress.format() == "piece 3 / 10  ·  2 min left"
    assert bar.progress.toolTip() == "2.0 s elapsed, about 2 min left"
    bar.reset_progress()
    assert bar.progress.format() == "idle" and bar.progress.toolTip() == ""
    bar.set_hint("Paint the region to fill")
    assert bar.hint.text() == bar.hint.toolTip() == "Paint the region to fill"


def test_the_panel_is_made_of_its_parts_and_builds_valid_requests(qtbot):
    tp = TaskPanel()
    qtbot.addWidget(tp)
    assert tp.sigma is tp.pages["denoise"].sigma and tp.checkpoint is tp.picker.checkpoint
    assert tp.run_button is tp.run_bar.run_button
    changed = []
    tp.checkpointChanged.connect(changed.append)
    tp.set_cards([_card("a", 250)])
    assert changed[-1] == "/x/a.json" and tp.steps.maximum() == 250 and tp.steps_all.text() == "all 250"
    for task in ("inpaint", "denoise", "sample"):
        tp.set_task(task)
        assert tp.task_stack.currentWidget() is tp.pages[task]
        req = tp.settings().request()
        req.validate()
        assert req.task == task
    tp.set_task("inpaint")
    tp.mode.setCurrentIndex(tp.mode.findData("exact"))
    s = tp.settings()
    r = s.request()
    assert r.smc and r.start == "noise" and r.jump_length == 0, "the exact mode: SMC, from pure noise, no jumps"
    assert s.jump_length is None and s.jump_n_sample is None, "greyed jump boxes: the request's rule decides"
    assert not tp.smc.isEnabled() and not tp.start.isEnabled()
    tp.mode.setCurrentIndex(tp.mode.findData("forward-approx"))
    assert tp.start.isEnabled() and tp._jump_row.isEnabled() and tp.settings().jump_length > 0
    tp.set_task("denoise")
    tp.pages["denoise"].show_estimate(9.0)
    assert tp.settings().sigma255 is None
    tp.method.setCurrentIndex(tp.method.findData("sample"))
    tp.smc.setChecked(True)
    assert tp.settings().request().smc and tp.samples.isEnabled()
    tp.method.setCurrentIndex(tp.method.findData("mmse"))
    assert not tp.smc.isEnabled() and not tp.samples.isEnabled() and tp.settings().samples == 1
    with qtbot.waitSignal(tp.runRequested, timeout=500):
        tp.run_button.click()
    tp.set_progress(1, 4)
    assert tp.progress.format() == "step 1 / 4"
    tp.set_running(True)
    assert not tp.picker.checkpoint.isEnabled() and tp.cancel_button.isEnabled()


def test_the_chosen_task_stands_out(qtbot):
    """Under a dark palette the three task buttons looked the same, the chosen one only pressed in Fusion's
    faint way (Xvfb, helper look2): the chosen task is in bold, the others not."""
    from PySide6.QtCore import Qt

    panel = TaskPanel()
    qtbot.addWidget(panel)
    bold = lambda: [k for k, b in panel.task_buttons.items() if b.font().bold()]   # noqa: E731
    assert bold() == ["inpaint"]
    qtbot.mouseClick(panel.task_buttons["denoise"], Qt.LeftButton)
    assert panel.task() == "denoise" and bold() == ["denoise"]
    panel.set_task("sample")
    assert bold() == ["sample"]


def test_a_one_frame_result_has_its_handle_at_the_end(qtbot):
    """A one-step denoise of a region records one frame: the slider's handle sat at its start beside the
    word "result", as if nothing had run (Xvfb, helper look2). A result's handle is at the end, one frame or
    many; with no run it is at the start."""
    from PySide6.QtWidgets import QStyle, QStyleOptionSlider

    from dpm_studio.gui.panels import ResultBar

    bar = ResultBar()
    qtbot.addWidget(bar)
    bar.resize(700, 40)
    bar.show()
    qtbot.waitExposed(bar)

    def handle_x() -> float:
        s = bar.slider
        opt = QStyleOptionSlider()
        s.initStyleOption(opt)
        r = s.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle, s)
        return r.center().x() / s.width()

    for frames in (1, 5):
        bar.set_review(True, frames)
        assert handle_x() > 0.8, frames
    bar.set_review(False)
    bar.clear()
    assert handle_x() < 0.2


def test_the_mask_coverage_is_not_read_as_part_of_a_box_label(qtbot):
    """Beside the Show and Soft boxes the coverage read as one phrase with the last: "Soft mask covers 2.1%
    (251,442 px)" (Xvfb, helper look2). A rule stands between them."""
    from dpm_studio.gui.panels import MaskPanel

    panel = MaskPanel()
    qtbot.addWidget(panel)
    panel.resize(320, 200)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_coverage(0.021, 251442)
    assert panel.coverage.text().startswith("mask covers"), panel.coverage.text()
    rule = getattr(panel, "coverage_rule", None)
    assert rule is not None and rule.isVisible()
    soft, cov, r = panel.soft.geometry(), panel.coverage.geometry(), rule.geometry()
    assert soft.right() < r.left() and r.right() < cov.left(), (soft, r, cov)
    assert r.top() < cov.center().y() < r.bottom()


def test_the_mask_coverage_wraps_with_its_count_and_unit_together(qtbot):
    """A 12 MP photo's line, "mask covers 1.6% (187,500 px)", wrapped in the Controls at 1280 px with "px)" alone on
    its second line (Xvfb, helper app18): the count and its unit stay together, the wrap comes before the bracket."""
    from PySide6.QtGui import QFontMetrics, QTextLayout, QTextOption

    from dpm_studio.gui.panels import MaskPanel

    panel = MaskPanel()
    qtbot.addWidget(panel)
    panel.set_coverage(0.016, 187_500)
    text, font = panel.coverage.text(), panel.coverage.font()
    width = QFontMetrics(font).horizontalAdvance("mask covers 1.6% (187,500") + 2   # all but " px)" fits
    layout = QTextLayout(text, font)
    opt = QTextOption()
    opt.setWrapMode(QTextOption.WordWrap)
    layout.setTextOption(opt)
    layout.beginLayout()
    lines = []
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        lines.append(text[line.textStart():line.textStart() + line.textLength()].strip())
    layout.endLayout()
    assert lines == ["mask covers 1.6%", "(187,500\u00a0px)"], lines
