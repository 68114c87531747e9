"""Run > Estimate Noise Level measures nothing on the GUI thread: estimate_noise_sigma of a 12 MP photo held it up
to seconds. The level shown is the document's own, measured in a thread when its pixels came (opened:
gui/model/measures.Level, tests/gui/test_open_noise_thread.py; accepted: the review's thread); while the opened
image's is still measured it is shown once it comes, unless the image changed meanwhile (dropped: other pixels)."""

import threading

import numpy as np
import pytest
from PIL import Image

import dpm_studio.gui.model.measures as measures_module
import dpm_studio.gui.model.session as session_module
import dpm_studio.gui.noise_readout as readout_module
from dpm_studio.core.run.noise import estimate_noise_sigma


def _noisy(sigma255, shape, seed=3):
    rng = np.random.default_rng(seed)
    x = np.tile(np.linspace(0.1, 0.9, shape[1], dtype=np.float32), (shape[0], 1))[:, :, None].repeat(shape[2], 2)
    return (np.clip(np.round((x + sigma255 / 255 * rng.standard_normal(x.shape)) * 255), 0, 255) / 255).astype(np.float32)


@pytest.fixture
def measured(monkeypatch):
    """Every estimate_noise_sigma the window's modules call: (thread, shape); a picture whose shape is in
    ``held`` waits for ``gate``."""
    calls, real = [], estimate_noise_sigma
    spy = type("Spy", (), {"calls": calls, "gate": threading.Event(), "held": set()})

    def estimate(px, *a, **k):
        calls.append((threading.current_thread(), px.shape))
        if px.shape in spy.held:
            spy.gate.wait(10)
        return real(px, *a, **k)

    monkeypatch.setattr(session_module, "estimate_noise_sigma", estimate)
    monkeypatch.setattr(measures_module, "estimate_noise_sigma", estimate)   # the threads (measures.Level, Measured)
    monkeypatch.setattr(readout_module, "estimate_noise_sigma", estimate, raising=False)
    yield spy
    spy.gate.set()


def _save(tmp_path, name, y):
    Image.fromarray(np.round(y * 255).astype(np.uint8)).save(tmp_path / name)
    return tmp_path / name


def test_estimate_measures_nothing_on_the_gui_thread(qtbot, win, tmp_path, measured):
    y = _noisy(12.0, (80, 96, 3))
    measured.held.add(y.shape)
    assert win.files.open_image(_save(tmp_path, "a.png", y))
    page = win.task_panel.pages["denoise"]
    page.sigma.setValue(40.0)   # typed while the level is measured
    win.act_estimate.trigger()   # returns at once: the level is still measured
    assert page.sigma255() == 40.0
    measured.gate.set()
    qtbot.waitUntil(lambda: page.sigma255() is None, timeout=5000)   # Estimate's answer replaces the typed one
    assert page.sigma.value() == round(estimate_noise_sigma(y) * 255, 1)
    assert "Estimated noise std" in win.statusBar().currentMessage()
    page.sigma.setValue(40.0)
    n = len(measured.calls)
    assert win.noise.estimate() == win.session.doc.noise_sigma * 255   # known: shown at once, nothing measured
    assert page.sigma255() is None and len(measured.calls) == n
    assert measured.calls and all(t is not threading.main_thread() for t, _ in measured.calls)


def test_a_level_asked_of_pixels_changed_meanwhile_is_dropped(qtbot, win, tmp_path, measured):
    a, b = _noisy(20.0, (80, 96, 3)), _noisy(3.0, (64, 72, 3), seed=4)
    measured.held.add(a.shape)
    assert win.files.open_image(_save(tmp_path, "a.png", a))
    win.act_estimate.trigger()   # of a, still measured
    assert win.files.open_image(_save(tmp_path, "b.png", b))   # another image meanwhile
    page = win.task_panel.pages["denoise"]
    qtbot.waitUntil(lambda: win.session.doc.noise_measured() and not win.noise._level_poll.isActive(), timeout=5000)
    assert page.sigma.value() == round(estimate_noise_sigma(b) * 255, 1)
    measured.gate.set()   # a's level comes: for pixels no longer open
    qtbot.wait(100)
    assert page.sigma.value() == round(estimate_noise_sigma(b) * 255, 1)
    assert all(t is not threading.main_thread() for t, _ in measured.calls)
    assert "Estimated noise std: %.1f" % (estimate_noise_sigma(a) * 255) not in win.statusBar().currentMessage()
