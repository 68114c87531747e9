"""Issue 25 item 1: sequential Monte Carlo from the app, and its effective sample size in the plots.

The task panel's SMC box reaches the run's request (and so its saved record); the plots dock draws
the effective sample size of every record the core yielded, and forgets it when another run starts
or another image opens."""

from __future__ import annotations

import numpy as np

from dpm_studio.core.run import tasks
from dpm_studio.core.run.requests import InpaintRequest
from dpm_studio.core.run.settings import spec_of
from gui_helpers import gradient_image, image_with_mask

RUN_MS = 60_000


def _recording_run_task(monkeypatch):
    """run_task as it is, each record's ess noted on the way to the app (frames.py imports it per run)."""
    seen = []
    real = tasks.run_task

    def run_task(*args, **kwargs):
        for rec in real(*args, **kwargs):
            seen.append(rec.ess)
            yield rec

    monkeypatch.setattr(tasks, "run_task", run_task)
    return seen


def _inpaint_smc(qtbot, win, samples=4, steps=6):
    image_with_mask(win, 32, 10, task="inpaint")
    tp = win.task_panel
    tp.steps_all.setChecked(False)
    tp.steps.setValue(steps)
    tp.samples.setValue(samples)
    tp.more.setChecked(True)
    assert tp.smc.isEnabled()
    tp.smc.setChecked(True)
    assert win.runs.run(), tp.hint.text()
    assert not tp.smc.isEnabled(), "a setting, disabled during the run like the others"
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        pass


def test_smc_from_the_panel_reaches_the_request_and_the_plot_shows_each_records_ess(qtbot, win, monkeypatch):
    tp = win.task_panel
    help_text = spec_of(InpaintRequest, "smc").help
    assert help_text[1:] in tp.smc.toolTip(), "the tooltip is the setting's declared help"
    assert win.plots.ess_data()[1].size == 0
    seen = _recording_run_task(monkeypatch)
    _inpaint_smc(qtbot, win)
    req = tp.settings().request()
    assert req.smc is True and req.jump_length == 0, "SMC weighs no resampling jumps"
    assert win.session.run["smc"] is True, "the saved metadata records it"
    assert tp.smc.isEnabled()
    ess = np.array([np.nan if e is None else e for e in seen], float)
    assert len(seen) >= 6 and np.isfinite(ess).sum() >= 5, seen
    assert np.all(ess[np.isfinite(ess)] <= 4 + 1e-6) and np.all(ess[np.isfinite(ess)] >= 1 - 1e-6)
    x, y = win.plots.ess_data()
    ok = np.isfinite(ess)
    np.testing.assert_array_equal(x, np.arange(1, len(ess) + 1)[ok])
    np.testing.assert_allclose(y, ess[ok], rtol=1e-6)
    assert win.plots.trace.getAxis("right").labelText == "effective sample size"
    assert win.plots.trace.getAxis("right").isVisible() and win.plots.ess_curve.isVisible(), "on show"

    # another image: the last run's ESS goes with it
    win.runs.discard_result()
    win.files.set_image(gradient_image(24, 24))
    assert win.plots.ess_data()[1].size == 0
    assert not win.plots.trace.getAxis("right").isVisible() and not win.plots.ess_curve.isVisible()


def test_a_run_without_smc_shows_no_ess_and_clears_the_last(qtbot, win):
    _inpaint_smc(qtbot, win, samples=2, steps=3)
    assert win.plots.ess_data()[1].size > 0
    win.runs.discard_result()
    win.task_panel.smc.setChecked(False)
    assert win.task_panel.settings().request().smc is False
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    assert win.plots.ess_data()[1].size == 0, "a new run starts without the last run's ESS"
    assert win.session.run["smc"] is False
    # SMC weighs a conditioned trajectory: not offered for sampling or the one-step denoiser
    win.task_panel.set_task("sample")
    assert not win.task_panel.smc.isEnabled()
    win.task_panel.set_task("denoise")
    win.task_panel.method.setCurrentIndex(win.task_panel.method.findData("mmse"))
    assert not win.task_panel.smc.isEnabled()
    win.task_panel.method.setCurrentIndex(win.task_panel.method.findData("sample"))
    assert win.task_panel.smc.isEnabled()
