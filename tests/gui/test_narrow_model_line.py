"""The line under the Model box in a narrow window: at 760 px it read "photos-rgb-v2, T = 1000 · $DPM_STUDIO_C"
(cut mid-word, seen under Xvfb), with nothing to say more was there. It ends in an ellipsis now and is whole
in its tooltip, above the model's card; it stays one line (two made the inpaint page scroll at 1280 x 700)."""

from __future__ import annotations

import html


def test_the_model_line_is_shortened_with_an_ellipsis_in_a_narrow_window(qtbot, win):
    win.resize(700, 480)
    info = win.task_panel.model_info
    qtbot.waitUntil(info.isVisible)
    qtbot.wait(50)
    full = info.text()
    assert full.startswith("tiny-rgb, T = ") and " \u00b7 " in full, full
    fm = info.fontMetrics()
    assert fm.horizontalAdvance(full) > info.width(), "the window is not narrow enough to test this"
    assert fm.horizontalAdvance(info.shown()) <= info.width(), (info.shown(), info.width())
    assert info.shown().endswith("\u2026") and full.startswith(info.shown()[:-1])
    assert info.toolTip().startswith(f"<p>{html.escape(full)}</p>") and "diffusion over T" in info.toolTip()
    assert info.sizeHint().height() <= fm.height() + 4, "one line"
    info.setText("tiny-rgb, T = 50")   # short enough: whole, under the card alone
    assert info.shown() == "tiny-rgb, T = 50" and info.toolTip().startswith("<p><b>tiny-rgb (colour)")


def test_with_no_model_the_line_is_a_message_read_whole(qtbot):
    from dpm_studio.gui.model_picker import ModelPicker

    p = ModelPicker()
    qtbot.addWidget(p)
    p.resize(200, 120)
    p.set_cards([])
    assert p.model_info.wordWrap() and p.model_info.shown() == p.model_info.text()
    assert p.model_info.text().startswith("No checkpoints found.") and p.model_info.font().italic()
