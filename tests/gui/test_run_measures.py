"""What a run measures on the image before its first network pass (a denoise's noise fit, an inpainting's
grain) happens in the run's thread: done on Run, it froze the window for a second on a 12 MP photo
(benchmarks/run_press.py: 1.4-1.7 s). The window stays live meanwhile, says what is measured, and Cancel
stops the run there at once (not when the measurement ends); the time left is estimated from the steady steps, not from the warm-up."""

from __future__ import annotations

import gc
import threading
import time

import numpy as np
import pytest

from dpm_studio.core.run import grain, noise_law
from dpm_studio.gui import collector
from dpm_studio.gui.model.frames import Frame, task_frames

RUN_MS = 60_000


def _noisy(size=48, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    base = np.stack([xx, 0.3 + 0.5 * yy, 0.5 + 0.2 * np.sin(7 * xx)], axis=2)
    return np.round(np.clip(base + 0.06 * rng.standard_normal(base.shape), 0, 1) * 255).astype(np.float32) / 255


def _held(monkeypatch, module):
    """``module``'s noise fit (a step generator) held at its first step until the returned event is set; the
    list says, per call, whether it ran in the GUI thread."""
    gate, in_gui, real = threading.Event(), [], module.fit_noise_level_steps

    def held(*a, **k):
        in_gui.append(threading.current_thread() is threading.main_thread())
        gate.wait(10)   # on the GUI thread this would hold Run (and the test) 10 s, then fail below
        return (yield from real(*a, **k))

    monkeypatch.setattr(module, "fit_noise_level_steps", held)
    return gate, in_gui


@pytest.mark.parametrize("task", ["denoise", "inpaint"])
def test_the_fit_runs_in_the_run_thread_the_window_says_so_and_cancel_stops_it(qtbot, win, monkeypatch, task):
    gate, in_gui = _held(monkeypatch, noise_law if task == "denoise" else grain)
    image = _noisy()
    win.files.set_image(image)
    win.task_panel.set_task(task)
    if task == "inpaint":
        mask = np.zeros(image.shape[:2], np.float32)
        mask[16:32, 12:36] = 1
        win.canvas.set_mask(mask)
        win.task_panel.grain.setChecked(True)
    else:
        win.task_panel.noise_controls.set_noise("auto")
    try:
        assert win.runs.run(), win.task_panel.hint.text()
        what = "fitting the noise" if task == "denoise" else "measuring the grain"
        # the event loop runs while the fit is held: the stage reaches the status bar and the progress bar
        qtbot.waitUntil(lambda: what in win.statusBar().currentMessage(), timeout=5000)
        assert in_gui == [False], "the fit ran in the GUI thread"
        assert what in win.task_panel.progress.format()
        # Cancel ends the run while the fit is still held: it does not wait for the measurement
        with qtbot.waitSignal(win.runner.aborted, timeout=3000):
            win.runs.cancel()
        assert not gate.is_set()
        # the abandoned fit runs on: no automatic collection outside the GUI thread until it ends
        assert collector.holding() > 0 and not gc.isenabled()
    finally:
        gate.set()
    qtbot.waitUntil(lambda: collector.holding() == 0, timeout=15_000)
    assert win.runner.frames_received == 0, "no network pass after Cancel"
    assert win.session.state == "edit" and "Cancelled" in win.statusBar().currentMessage()
    np.testing.assert_array_equal(win.session.doc.pixels, image)


@pytest.mark.parametrize("task", ["denoise", "inpaint"])
def test_a_fit_abandoned_by_cancel_stops_at_its_next_step(monkeypatch, task):
    """After Cancel the fit under way ran on to its end in its helper thread (~1 s CPU of a 12 MP photo's,
    benchmarks/cancel_measure.py); it is a step generator now and the run never asks it for the next step:
    what runs after Cancel is the step under way. Here the Cancel comes as the fit starts: no channel of the
    fit is reached (its last part, each channel's bootstrap, ran 3 + 1 times before)."""
    from types import SimpleNamespace

    from dpm_studio.core.run import noise_level
    from dpm_studio.core.run.requests import DenoiseRequest, InpaintRequest
    from dpm_studio.gui.model.frames import JobInputs, RunCancelled, Stage, _resolved, measuring

    bootstraps, real = [], noise_level._bootstrap_se
    monkeypatch.setattr(noise_level, "_bootstrap_se", lambda *a, **k: bootstraps.append(1) or real(*a, **k))
    image = _noisy(256)
    if task == "denoise":
        inputs, what = JobInputs(DenoiseRequest(noise="auto"), image), "fitting the noise"
    else:
        mask = np.zeros(image.shape[:2], np.float32)
        mask[96:160, 96:160] = 1
        inputs, what = JobInputs(InpaintRequest(grain="match"), image, mask), "measuring the grain"
    job = SimpleNamespace(job=inputs, stop=threading.Event(), loaded=None)
    stages = _resolved(job)
    while (stage := next(stages)).text != what:
        assert isinstance(stage, Stage) and stage.job is None
    job.stop.set()                     # Cancel, as the fit starts
    with pytest.raises(RunCancelled):
        next(stages)
    deadline = time.monotonic() + 30
    while measuring() and time.monotonic() < deadline:   # the step under way ends in its helper thread
        time.sleep(0.01)
    assert not measuring()
    time.sleep(0.2)
    assert bootstraps == [], "the abandoned fit ran on"
    # the same fit, not cancelled, reaches every channel (the counter counts)
    list(_resolved(SimpleNamespace(job=inputs, stop=threading.Event(), loaded=None)))
    assert len(bootstraps) == 4


def test_a_run_measured_in_its_thread_records_the_fitted_noise(qtbot, win):
    """The record the app saves is the resolved job's (the fitted law), sent from the run's thread."""
    win.files.set_image(_noisy(seed=1))
    win.task_panel.set_task("denoise")
    win.task_panel.noise_controls.set_noise("auto")
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
        assert "noise_fit" not in win.session.run, "not measured yet when Run returns"
    run = win.session.run
    assert run["noise"] in ("constant", "poisson-gaussian") and "noise_fit" in run and run["sigma"] is not None


def test_the_time_left_comes_from_the_steady_steps():
    """The first record carries the warm-up: 5 s, then 0.1 s a step. From elapsed / n the estimate at
    the third record was 5.2 / 3 * 7 = 12 s for 0.7 s of work left."""
    f = Frame(0, 10, 0.0, None, None, False, 5.0, np.zeros(1), warm=5.0)
    assert f.eta is None, "one record: nothing steady to go by"
    f = Frame(2, 10, 0.0, None, None, False, 5.2, np.zeros(3), warm=5.0)
    assert f.eta == pytest.approx(0.1 * 7)


def test_long_records_say_the_time_left_from_the_first_on():
    """A 12 MP photo's denoise: 11 s measuring its noise, then 252 tiles of about 17 s each on a busy CPU. It said
    "estimating" through the first two tiles (45 s); now the first tile, timed from the job's resolving (the noise
    fit left out), says 17 x 251 s, and the steady pace takes over from the third record on."""
    f = Frame(0, 252, 0.0, None, None, False, 28.0, np.zeros(1), warm=28.0, begun=11.0)
    assert f.eta == pytest.approx(17.0 * 251)
    f = Frame(1, 252, 0.0, None, None, False, 44.0, np.zeros(2), warm=28.0, begun=11.0)
    assert f.eta == pytest.approx(16.5 * 250)
    f = Frame(2, 252, 0.0, None, None, False, 60.0, np.zeros(3), warm=28.0, begun=11.0)
    assert f.eta == pytest.approx(16.0 * 249), "steady: the first record's warm-up left out"
    f = Frame(0, 10, 0.0, None, None, False, 5.0, np.zeros(1), warm=5.0, begun=4.5)
    assert f.eta is None, "short records (0.5 s): the first one's warm-up could be most of it: estimating"


def test_the_time_left_over_an_hour_says_hours():
    from dpm_studio.gui.run_bar import fmt_seconds

    assert [fmt_seconds(s) for s in (0.5, 42, 600, 4266, 7300)] == ["<1 s", "42 s", "10 min", "1 h 11 min",
                                                                     "2 h 02 min"]


def test_the_run_bar_says_it_is_estimating_until_it_can(qtbot):
    from dpm_studio.gui.run_bar import RunBar

    bar = RunBar()
    qtbot.addWidget(bar)
    bar.set_progress(1, 10, elapsed=4.0, eta=None, text="step 1 / 10")
    assert bar.progress.format() == "step 1 / 10  \u00b7  estimating\u2026"
    assert bar.eta.text() == "4.0 s elapsed, estimating the time left"
    bar.set_progress(0, 1, elapsed=0.5, eta=None, text="fitting the noise\u2026")   # a stage: no steps yet
    assert bar.progress.format() == "fitting the noise\u2026"


def test_task_frames_time_their_warm_up(ckpt_dir):
    """Each frame of a run knows when its first record came (its warm-up), measured from the run's start."""
    from dpm_studio.core.files.checkpoint import load_cached
    from dpm_studio.core.run.requests import InpaintRequest
    from dpm_studio.gui.model.frames import JobInputs, RunJob, Stage

    image = _noisy(24)
    mask = np.zeros((24, 24), np.float32)
    mask[8:16, 8:16] = 1
    loaded = load_cached(ckpt_dir / "tiny-rgb", "cpu")
    items = list(task_frames(RunJob(loaded, JobInputs(InpaintRequest(steps=4, seed=1), image, mask))))
    stages = [i for i in items if isinstance(i, Stage)]
    frames = [i for i in items if isinstance(i, Frame)]
    assert [s.text for s in stages] == ["reading the mask", "measuring the grain", ""] and stages[-1].job is not None
    assert items[:len(stages)] == stages, "every stage before the first frame"
    assert frames[0].warm == frames[0].elapsed and all(f.warm == frames[0].warm for f in frames)
    assert frames[0].eta is None and frames[-1].done
    assert 0 < frames[0].begun <= frames[0].warm and all(f.begun == frames[0].begun for f in frames)
