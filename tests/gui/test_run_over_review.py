"""Run while a result waits under review discards that result. A slipped Ctrl+Return (Accept is Ctrl+Shift+Return)
threw away a 12 MP denoise of half an hour, saying nothing, with nothing to undo (Xvfb, helper app17): a result
that took LONG_RESULT_S or more is not discarded without a question; a quicker one is, as before."""

from __future__ import annotations

from gui_helpers import image_with_mask

RUN_MS = 60_000


def _reviewed(qtbot, win):
    image_with_mask(win, 32, 10, task="inpaint")
    win.task_panel.steps.setValue(3)
    win.task_panel.jump_length.setValue(0)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    assert win.session.state == "review"


def test_run_asks_before_it_discards_a_result_that_took_long(qtbot, win):
    from dpm_studio.gui.run_control import LONG_RESULT_S

    _reviewed(qtbot, win)
    review = win.session.review
    win.session.run["seconds"] = LONG_RESULT_S + 1500   # as a 12 MP denoise's
    win.dialogs.answers["confirm"] = False
    assert not win.runs.run(), "No keeps the result"
    assert win.dialogs.asked == ["confirm"] and win.session.state == "review" and win.session.review is review
    assert win.act_accept.isEnabled()
    win.dialogs.answers["confirm"] = True
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run(), "Yes runs again"
    assert win.dialogs.asked == ["confirm", "confirm"] and win.session.review is not review


def test_run_discards_a_quick_result_without_a_question(qtbot, win):
    from dpm_studio.gui.run_control import LONG_RESULT_S

    _reviewed(qtbot, win)
    win.session.run["seconds"] = LONG_RESULT_S - 1
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    assert win.dialogs.asked == []
