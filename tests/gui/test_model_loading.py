"""A model not loaded yet loads off the GUI thread (gui/checkpoints.py): a switch to Denoise loaded photos-rgb-v2 on
the GUI thread, the window frozen about 1 s (benchmarks/switch_stall.py). Meanwhile the status and the hint say it
loads, Run is greyed saying so, and what the user does is safe: a switch back, opening an image, Run pressed at once,
another model picked."""

from __future__ import annotations

import threading

import pytest

from dpm_studio.core.files import checkpoint
from gui_helpers import gradient_image, image_with_mask


@pytest.fixture
def held_loads(monkeypatch):
    """Every model load from now on waits for ``gate`` (at most 5 s); ``threads`` names the thread of each load."""
    gate, threads = threading.Event(), []
    real = checkpoint.load

    def load(path, device="cpu"):
        threads.append((str(path), threading.current_thread() is threading.main_thread()))
        gate.wait(5)
        return real(path, device=device)

    checkpoint.clear_cache()   # loaded by earlier tests: load them again
    monkeypatch.setattr(checkpoint, "load", load)
    yield gate, threads
    gate.set()
    checkpoint.clear_cache()


def _denoise_model_picked(win):
    """Denoise runs tiny-grey, inpaint tiny-rgb (both loaded now)."""
    win.task_panel.set_task("denoise")
    assert win.checkpoints.select("tiny-grey")
    assert win.checkpoints.wait_loaded(30)
    win.task_panel.set_task("inpaint")
    assert win.checkpoints.wait_loaded(30)


def _forget(win):
    """As a model never loaded: the core's cache emptied."""
    checkpoint.clear_cache()


def test_a_switch_to_a_model_not_loaded_yet_loads_it_off_the_gui_thread(qtbot, win, held_loads):
    gate, threads = held_loads
    gate.set()
    _denoise_model_picked(win)
    image_with_mask(win, 24, 6)
    _forget(win)
    gate.clear()
    threads.clear()
    tp = win.task_panel
    tp.set_task("denoise")   # returns at once: the load waits for the gate
    qtbot.waitUntil(lambda: bool(threads), timeout=5000)
    assert threads[0][0].endswith("tiny-grey.json") and threads[0][1] is False, "loaded off the GUI thread"
    assert win.checkpoints.loading().endswith("tiny-grey.json")
    assert win.checkpoints.loaded is None
    assert not tp.run_bar.run_button.isEnabled()
    assert "Greyed out: the model tiny-grey is loading" in tp.run_bar.run_button.toolTip()
    assert not win.act_run.isEnabled() and "the model tiny-grey is loading" in win.act_run.toolTip()
    assert tp.hint.text() == "Loading the model tiny-grey\u2026"
    assert not win.runs.run(), "Run pressed at once: refused, saying why"
    assert win.session.state == "edit" and not win.runner.is_running()
    gate.set()
    qtbot.waitUntil(lambda: not win.checkpoints.loading(), timeout=30_000)
    assert win.checkpoints.loaded is not None and win.checkpoints.loaded.card["name"] == "tiny-grey"
    assert not win.checkpoints.loading() and tp.run_bar.run_button.isEnabled() and win.act_run.isEnabled()
    assert win.plots.curves is not None, "the plots show the model loaded"


def test_what_the_user_does_during_a_load_is_safe(qtbot, win, held_loads):
    gate, threads = held_loads
    gate.set()
    _denoise_model_picked(win)
    image_with_mask(win, 24, 6)
    rgb = win.checkpoints.loaded
    checkpoint.clear_cache()
    checkpoint.load_cached(rgb.path)   # inpaint's model stays loaded, denoise's is forgotten
    gate.clear()
    threads.clear()
    tp = win.task_panel
    tp.set_task("denoise")
    qtbot.waitUntil(lambda: bool(threads), timeout=5000)
    # back to Inpaint while tiny-grey loads: its own model at once, Run ready
    tp.set_task("inpaint")
    assert not win.checkpoints.loading() and win.checkpoints.loaded.card["name"] == "tiny-rgb"
    assert tp.run_bar.run_button.isEnabled() and win.act_run.isEnabled()
    # another image opened meanwhile
    win.files.set_image(gradient_image(20, 28))
    assert win.session.doc.shape == (20, 28)
    gate.set()
    qtbot.waitUntil(lambda: not win.checkpoints._thread_path, timeout=30_000)
    qtbot.wait(50)
    assert win.checkpoints.loaded.card["name"] == "tiny-rgb", "the load that ended did not take the shown task's place"
    assert tp.task() == "inpaint" and tp.current_card()["name"] == "tiny-rgb"
    tp.set_task("denoise")   # loaded in the background meanwhile: at once
    assert not win.checkpoints.loading() and win.checkpoints.loaded.card["name"] == "tiny-grey"
    assert len(threads) == 1


def test_a_model_picked_during_a_load_loads_after_it(qtbot, win, held_loads):
    gate, threads = held_loads
    gate.set()
    _denoise_model_picked(win)
    win.files.set_image(gradient_image(24, 24))
    _forget(win)
    gate.clear()
    threads.clear()
    tp = win.task_panel
    tp.set_task("denoise")   # tiny-grey loads
    qtbot.waitUntil(lambda: bool(threads), timeout=5000)
    assert win.checkpoints.select("tiny-rgb")   # picked while it loads: waits its turn
    assert win.checkpoints.loading().endswith("tiny-rgb.json") and not tp.run_bar.run_button.isEnabled()
    gate.set()
    qtbot.waitUntil(lambda: not win.checkpoints.loading(), timeout=30_000)
    assert [p.rsplit("/", 1)[-1] for p, _ in threads] == ["tiny-grey.json", "tiny-rgb.json"]
    assert not any(main for _, main in threads)
    assert win.checkpoints.loaded.card["name"] == "tiny-rgb" and tp.run_bar.run_button.isEnabled()


def test_a_model_that_cannot_load_says_why_after_its_thread(qtbot, win, held_loads, tmp_path, monkeypatch):
    gate, threads = held_loads
    gate.set()
    _denoise_model_picked(win)
    win.files.set_image(gradient_image(24, 24))
    _forget(win)

    def broken(path, device="cpu"):
        raise checkpoint.CheckpointError("the weights are not readable")

    monkeypatch.setattr(checkpoint, "load", broken)
    win.task_panel.set_task("denoise")
    assert win.checkpoints.loading()
    qtbot.waitUntil(lambda: not win.checkpoints.loading(), timeout=30_000)
    assert win.checkpoints.model_error == "the weights are not readable" and win.checkpoints.loaded is None
    assert win.task_panel.hint.text() == "the weights are not readable"
    assert not win.checkpoints.loading()


def test_a_model_the_cache_let_go_loads_off_the_gui_thread(qtbot, win, held_loads, monkeypatch):
    """The core's cache keeps the models used last (four; the Python API shares it): a model this window loaded
    once and the cache has let go since loads in the thread again. A note of the window's own loads (before
    this test) took it for loaded and loaded it on the GUI thread."""
    gate, threads = held_loads
    gate.set()
    monkeypatch.setattr(checkpoint, "_CACHE_SIZE", 1)   # as four other models used since
    tp = win.task_panel
    tp.set_task("denoise")
    assert win.checkpoints.select("tiny-grey") and win.checkpoints.wait_loaded(30)
    tp.set_task("inpaint")   # tiny-rgb loads: the cache lets tiny-grey go
    assert win.checkpoints.wait_loaded(30) and win.checkpoints.loaded.card["name"] == "tiny-rgb"
    assert checkpoint.cached(win.checkpoints.loaded.path) is not None
    gate.clear()
    threads.clear()
    tp.set_task("denoise")
    qtbot.waitUntil(lambda: bool(threads), timeout=5000)
    assert threads[0][0].endswith("tiny-grey.json") and threads[0][1] is False, "loaded off the GUI thread"
    assert win.checkpoints.loading().endswith("tiny-grey.json") and not tp.run_bar.run_button.isEnabled()
    gate.set()
    qtbot.waitUntil(lambda: not win.checkpoints.loading(), timeout=30_000)
    assert win.checkpoints.loaded.card["name"] == "tiny-grey" and tp.run_bar.run_button.isEnabled()
