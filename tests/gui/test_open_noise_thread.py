"""Opening an image measures its noise level off the GUI thread (gui/model/measures.Level): up to four fits of the
noise law at low noise, about 1 s of a 12 MP photo, ran on the GUI thread in Session.open_data."""

import threading

import numpy as np

import dpm_studio.gui.model.measures as measures_module
import dpm_studio.gui.model.session as session_module
from dpm_studio.core.run.noise import estimate_noise_sigma
from dpm_studio.gui.model.session import Session


def _spy(monkeypatch, gate=None):
    threads, real = [], session_module.estimate_noise_sigma

    def measured(px, **kw):   # kw: jpeg, what the file's decoder said
        threads.append(threading.current_thread())
        if gate is not None:
            gate.wait(10)
        return real(px, **kw)

    monkeypatch.setattr(session_module, "estimate_noise_sigma", measured)
    monkeypatch.setattr(measures_module, "estimate_noise_sigma", measured)   # the threads (measures.Level, Measured)
    return threads


def _noisy(sigma255=2.0, shape=(96, 96, 3)):
    rng = np.random.default_rng(3)
    x = np.tile(np.linspace(0.1, 0.9, shape[1], dtype=np.float32), (shape[0], 1))[:, :, None].repeat(shape[2], 2)
    return (np.clip(np.round((x + sigma255 / 255 * rng.standard_normal(x.shape)) * 255), 0, 255) / 255).astype(np.float32)


def test_opening_measures_the_noise_level_in_a_thread(monkeypatch):
    threads = _spy(monkeypatch)
    s = Session()
    y = _noisy()
    doc = s.open(y)
    assert doc.noise_sigma == estimate_noise_sigma(y)   # read: waited for, the same number
    assert threads and threading.main_thread() not in threads


def test_an_accept_waits_for_the_opened_images_level_before_writing_its_pixels(monkeypatch):
    gate = threading.Event()
    _spy(monkeypatch, gate)
    s = Session()
    y = _noisy()
    doc = s.open(y)
    assert not doc.noise_measured()
    threading.Timer(0.2, gate.set).start()
    s.accept(np.full(y.shape, 0.5, np.float32), {"task": "denoise"})   # in place into the array it reads
    assert s.doc.noise_sigma == 0.0
    s.undo()
    assert s.doc.noise_sigma == estimate_noise_sigma(y)   # the opened image's, of its pixels before the Accept


def test_the_window_shows_the_level_once_measured(qtbot, win, tmp_path, monkeypatch):
    from PIL import Image

    gate = threading.Event()
    threads = _spy(monkeypatch, gate)
    y = _noisy()
    Image.fromarray(np.round(y * 255).astype(np.uint8)).save(tmp_path / "low.png")
    assert win.files.open_image(tmp_path / "low.png")   # returns while the level is still measured
    page = win.task_panel.pages["denoise"]
    assert "measuring" in page.noise_note.text() and page.sigma255() is None   # a run meanwhile measures itself
    gate.set()
    qtbot.waitUntil(lambda: "estimated" in page.noise_note.text(), timeout=5000)
    assert abs(page.sigma.value() - round(estimate_noise_sigma(y) * 255, 1)) < 1e-6
    assert threads and threading.main_thread() not in threads


def test_a_sigma_typed_while_the_level_is_measured_is_kept(qtbot, win, tmp_path, monkeypatch):
    from PIL import Image

    gate = threading.Event()
    _spy(monkeypatch, gate)
    Image.fromarray(np.round(_noisy() * 255).astype(np.uint8)).save(tmp_path / "low.png")
    assert win.files.open_image(tmp_path / "low.png")
    page = win.task_panel.pages["denoise"]
    page.sigma.setValue(20.0)   # typed
    gate.set()
    qtbot.waitUntil(lambda: win.session.doc.noise_measured() and not win.noise._level_poll.isActive(), timeout=5000)
    assert page.sigma255() == 20.0
