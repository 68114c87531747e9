"""Result > Accept does not hold the GUI thread for the result's measure (gui/model/measures.Measured: its rounding,
noise level, picture and digest, made in a thread while the user looks): an Accept soon after a 12 MP result went
under review waited for it, about 4 s under load (benchmarks/accept_time.py --review 0). The Accept returns at once,
the result stays on show, and it is done on the GUI thread when the measure is made (a slot), or first by what needs
it (a save): the document and its saved record are those of an Accept that waited."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest

from dpm_studio.core.files.decode import load_image
from dpm_studio.gui.model import measures
from dpm_studio.gui.model.session import Session


def _photo(h, w, seed):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3)).astype(np.float32) / np.float32(255)


def _under_review(s, img, res, gate, monkeypatch):
    """``res`` under review over ``img`` in session ``s``, its measure held back until ``gate`` is set."""
    real = measures.estimate_noise_sigma
    monkeypatch.setattr(measures, "estimate_noise_sigma", lambda x, **k: gate.wait(10) and real(x, **k))   # slow
    monkeypatch.setattr(s, "LATER_PIXELS", 0, raising=False)   # as a 12 MP result's
    s.start_run({"task": "denoise", "seed": 1})
    s.finish_run(SimpleNamespace(image=res, samples=None, elapsed=0.1, trajectory=[0]))


def _waited(img, res, monkeypatch) -> Session:
    """The same Accept in a session that waits for the measure (accept_result): what the document should be."""
    s = Session()
    s.open(img.copy())
    gate = threading.Event()
    gate.set()
    _under_review(s, img, res.copy(), gate, monkeypatch)
    assert s.accept_result() == "accepted"
    return s


def _same_record(a: dict, b: dict):
    assert {k: v for k, v in a.items() if k != "time"} == {k: v for k, v in b.items() if k != "time"}


def test_accept_returns_without_waiting_for_the_measure(win, qtbot, monkeypatch):
    img, res = _photo(90, 120, 1), _photo(90, 120, 2)
    want = _waited(img, res, monkeypatch)
    s, gate = win.session, threading.Event()
    win.files.set_image(img.copy())
    _under_review(s, img, res, gate, monkeypatch)
    try:
        t0 = time.perf_counter()
        assert win.runs.accept_result()
        took = time.perf_counter() - t0
        assert took < 5.0 and not gate.is_set(), f"the Accept waited {took:.1f} s for the measure"
        assert s.accepting()
        # Accept again meanwhile: it is being done. It asked session.has_unsaved first, which did it there and then
        # (waiting for the measure on the GUI thread), and read the review that had dropped: AttributeError (rev18)
        assert win.runs.accept_result() and s.accepting() and not gate.is_set()
        assert s.state == "review" and s.result_image() is not None, "the result stays on show meanwhile"
        assert s.doc.pixels.tobytes() == img.tobytes() and not s.doc.runs
        s.choose_variant(0)   # nothing the user does meanwhile changes what is accepted
        assert not win.runs.discard_result()
    finally:
        gate.set()
    qtbot.waitUntil(lambda: not s.accepting(), timeout=20000)
    assert s.state == "edit" and s.review is None
    assert s.doc.pixels.tobytes() == want.doc.pixels.tobytes()
    assert len(s.doc.runs) == 1
    _same_record(s.doc.runs[-1], want.doc.runs[-1])
    assert s.doc.noise_sigma == want.doc.noise_sigma
    assert win.canvas.base_u8().tobytes() == want.doc.pixels.__mul__(255).round().astype(np.uint8).tobytes()
    assert s.undo() is not None and s.doc.pixels.tobytes() == img.tobytes()


@pytest.mark.parametrize("then", ["save", "undo", "run inputs"])
def test_what_needs_the_accept_finishes_it_first(win, tmp_path, monkeypatch, then):
    """A save, an undo or a run's inputs right after the Accept wait for the measure (only then) and see the Accept
    done: the saved file's record is the one an Accept that waited writes."""
    img, res = _photo(90, 120, 3), _photo(90, 120, 4)
    want = _waited(img, res, monkeypatch)
    s, gate = win.session, threading.Event()
    win.files.set_image(img.copy())
    _under_review(s, img, res, gate, monkeypatch)
    assert win.runs.accept_result() and s.accepting()
    threading.Timer(0.3, gate.set).start()   # the measure is made while the save waits for it
    try:
        if then == "save":
            path = tmp_path / "out.png"
            assert win.files.save_image(path)
            saved = load_image(path)
            assert saved.pixels.tobytes() == want.doc.pixels.tobytes()
            runs = saved.metadata["runs"]
            assert len(runs) == 1
            _same_record(runs[-1], want.doc.runs[-1])
            assert not s.has_unsaved()
        elif then == "undo":
            assert s.undo() is not None
            assert s.doc.pixels.tobytes() == img.tobytes() and not s.doc.runs
            assert s.redo() is not None and s.doc.pixels.tobytes() == want.doc.pixels.tobytes()
        else:
            from dpm_studio.core.run.requests import DenoiseRequest

            inputs = s.job_inputs(DenoiseRequest())
            assert inputs.image.tobytes() == want.doc.pixels.tobytes()
    finally:
        gate.set()
    assert not s.accepting() and s.state == "edit"
    _same_record(s.doc.runs[-1] if s.doc.runs else want.doc.runs[-1], want.doc.runs[-1])


def test_an_accept_being_done_leaves_nothing_to_accept_or_discard_and_closing_asks_about_the_image(win, monkeypatch):
    """While an Accept waits for its measure, Accept and Discard (menu and result bar) are greyed, saying why, and
    closing the window (or opening another image) first finishes it: the question is then about the image's unsaved
    change, not "the result of the last run", whose Discard would have dropped what the user accepted."""
    img, res = _photo(90, 120, 5), _photo(90, 120, 6)
    s, gate = win.session, threading.Event()
    win.files.set_image(img.copy())
    _under_review(s, img, res, gate, monkeypatch)
    asked = []
    monkeypatch.setattr(win.dialogs, "ask_unsaved", lambda text, **k: asked.append((text, s.state)) or "cancel")
    try:
        assert win.runs.accept_result() and s.accepting()
        for name in ("accept", "discard"):
            act = win.actions[name]
            assert not act.isEnabled(), f"{name} stays enabled while the Accept is being done"
            assert "being accepted" in act.toolTip()
        rb = win.result_bar
        assert not rb.accept_button.isEnabled() and not rb.discard_button.isEnabled()
        for b in (rb.accept_button, rb.discard_button):   # greyed with their usual tooltips before (Xvfb, app18)
            assert b.toolTip().startswith("Greyed out: the result is being accepted."), b.toolTip()
        assert not rb.variant.isEnabled(), "the draw the Accept takes is kept: the list no longer changes it"
        threading.Timer(0.3, gate.set).start()   # the measure is made while the question waits for it
        assert not win.files.confirm_replace("Closing the window")   # the user cancels: everything kept
    finally:
        gate.set()
    assert not s.accepting() and s.state == "edit" and len(s.doc.runs) == 1, "the Accept was done first"
    assert len(asked) == 1
    text, state = asked[0]
    assert state == "edit" and "result of the last run" not in text
