"""Defects found by using the app on a real X server as a demanding user would (issue: appwalk).

Each test failed on the app before its fix."""

from __future__ import annotations

import numpy as np

from gui_helpers import gradient_image

RUN_MS = 60_000


def _masked(win, size=64):
    win.files.set_image(gradient_image(size, size))
    mask = np.zeros((size, size), np.float32)
    mask[20:40, 20:40] = 1
    win.canvas.set_mask(mask)


def _run(qtbot, win, steps=6):
    win.task_panel.steps.setValue(steps)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()


def test_the_result_bar_forgets_the_run_once_editing_again(qtbot, win):
    """After Cancel the bar under the canvas still read "step 68 / 1000  t = 466" with its slider part-way,
    over the untouched image; after Accept or Discard it still read "result"."""
    rb = win.result_bar
    _masked(win)
    win.task_panel.steps_all.setChecked(True)
    with qtbot.waitSignal(win.runner.frame, timeout=RUN_MS):
        assert win.runs.run()
    qtbot.waitUntil(lambda: rb.step_label.text() != "", timeout=RUN_MS)
    with qtbot.waitSignal(win.runner.aborted, timeout=RUN_MS):
        win.runs.cancel()
    assert win.state() == "edit"
    assert rb.step_label.text() == "" and rb.slider.value() == 0, (rb.step_label.text(), rb.slider.value())
    marks = (win.plots.step_line, win.plots.t_line)   # the plots' marks of the step on show go too
    assert not any(m.isVisible() for m in marks)
    win.task_panel.steps_all.setChecked(False)
    for leave in (win.runs.accept_result, win.runs.discard_result):
        _run(qtbot, win)
        assert rb.step_label.text() == "result"
        rb.slider.setValue(1)
        assert all(m.isVisible() for m in marks)
        assert leave()
        assert win.state() == "edit"
        assert rb.step_label.text() == "" and rb.slider.value() == 0, (leave.__name__, rb.step_label.text())
        assert not any(m.isVisible() for m in marks), leave.__name__


def test_closing_counts_the_runs_since_the_last_save(qtbot, win, tmp_path):
    """Denoise, accept, save, then inpaint and accept: closing asked about "changes from 2 runs that are
    not saved", though the first was in the saved file."""
    _masked(win)
    for n in (1, 2):   # each save holds all the runs so far
        win.task_panel.seed.setValue(n)
        _run(qtbot, win)
        assert win.runs.accept_result()
        assert "from 1 run that" in win.unsaved_text(), (n, win.unsaved_text())
        win.dialogs.paths["save_image"] = str(tmp_path / "out.png")
        assert win.files.save_dialog()
        assert not win.has_unsaved()
    win.task_panel.seed.setValue(3)
    _run(qtbot, win)
    assert win.runs.accept_result()
    assert win.unsaved_text() == "out.png has changes from 1 run that are not saved.", win.unsaved_text()
    _run(qtbot, win)   # the same run again gives the same result: accepting it changes nothing
    assert win.runs.accept_result()
    assert win.unsaved_text() == "out.png has changes from 1 run that are not saved.", win.unsaved_text()
    win.canvas.undo()   # the run is taken back, and so is the one before: the file holds two
    win.canvas.undo()
    assert win.has_unsaved() and win.unsaved_text() == "out.png has changes that are not saved."


def test_predicted_x0_is_shown_on_every_frame_of_a_resampled_inpaint(qtbot, win):
    """The default inpainting jumps back up the trajectory (RePaint); those steps make no new x_0
    estimate, and on their frames "predicted x0" showed x_t, the same picture as the x_t button (at
    "step 16 / 20  t = 221" of a 20-step run), and flickered to x_t and back while a run streamed."""
    _masked(win)
    live = []
    win.runner.frame.connect(lambda f: f.done or live.append(f.x0 is not None))   # the steps, not the result
    _run(qtbot, win, steps=20)
    tr = win.session.trajectory
    assert win.session.run.get("jump_length", 5) > 0 and len(tr) > 3
    win.result_bar.x0_button.setChecked(True)
    same = []
    for k in range(len(tr) - 1):
        win.result_bar.slider.setValue(k)
        x0_view = win.canvas.shown().copy()
        assert np.array_equal(x0_view, tr.frame(k, True))
        if np.array_equal(x0_view, tr.frame(k, False)):
            same.append(tr.labels[k] or k)
    assert not same, f"predicted x0 showed x_t at {same}"
    first = live.index(True)   # from the first estimate on (a run may begin by jumping up)
    assert all(live[first:]), f"{live[first:].count(False)} of {len(live)} streamed frames had no x_0 estimate"


def test_closing_asks_before_stopping_an_export_and_a_cancelled_close_lets_it_finish(qtbot, win, tmp_path,
                                                                                     monkeypatch):
    """Closing stopped a trajectory export at once, before asking anything: answering Cancel to "unsaved
    changes" kept the window open with the GIF quietly cancelled, and with nothing unsaved the export was
    dropped without a word."""
    import time

    from dpm_studio.gui.model.frames import Trajectory

    _masked(win)
    _run(qtbot, win)
    assert win.runs.accept_result()   # unsaved work
    frame = Trajectory.frame
    monkeypatch.setattr(Trajectory, "frame", lambda self, *a, **k: (time.sleep(0.05), frame(self, *a, **k))[1])
    gif = tmp_path / "t.gif"
    for answers in ({"confirm": False}, {"confirm": True, "unsaved": "cancel"}):
        win.dialogs.answers.update(answers)
        assert win.exports.gif(gif)
        assert win.exporter.is_running()
        assert not win.close(), answers
        assert win.exporter.is_running(), f"the export was stopped though the window stays ({answers})"
        with qtbot.waitSignal(win.exporter.finished, timeout=RUN_MS):
            pass
        assert gif.exists()
        gif.unlink()
    assert "confirm" in win.dialogs.asked
