"""The undo history keeps its steps packed (gui/model/history.py): an 8-bit photo's accepted results as uint8,
a 16-bit one's as uint16, a float image's as float32, each given back to the bit, so the memory limit that held
one step of a 12 MP photo holds several (benchmarks/undo_memory.py measures it)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from dpm_studio.gui.model import history
from dpm_studio.gui.model.history import History, pack, unpack_into
from dpm_studio.gui.model.session import Session


def _back(p, shape):
    out = np.empty(shape, np.float32)
    unpack_into(out, p)
    return out


@pytest.mark.parametrize("top,kind", [(255, np.uint8), (65535, np.uint16)])
def test_a_files_steps_pack_as_its_integers_and_come_back_to_the_bit(top, kind):
    rng = np.random.default_rng(top)
    x = rng.integers(0, top + 1, (150, 9, 3)).astype(np.float32) / np.float32(top)
    p = pack(x)
    assert p.dtype == kind
    back = _back(p, x.shape)
    assert back.tobytes() == x.tobytes()


def test_what_is_no_files_step_stays_float():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (150, 9)).astype(np.float32) / np.float32(255)
    for bad in (0.5 / 255, np.nan, 1.5, -2 / 255):
        y = x.copy()
        y[140, 3] = bad   # past the first band: the type was chosen, the last band refuses it
        p = pack(y)
        assert p is y
        assert np.array_equal(_back(p, y.shape), y, equal_nan=True)
    r = rng.random((20, 20, 3)).astype(np.float32)
    assert pack(r) is r


def _photo(h, w, seed):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3)).astype(np.float32) / np.float32(255)


@pytest.mark.parametrize("settle", [True, False])
def test_an_8bit_photo_keeps_four_accepts_where_one_fitted(settle):
    """The limit at 12 MB and a 600 x 800 8-bit photo (5.8 MB as float32): a step kept as float32 (before and
    after, 11.5 MB) left one Accept undoable; packed as uint8 (2.9 MB) four are, each undone and redone to the bit.
    ``settle``: the packing threads done before undoing, or undone while they may still pack."""
    s = Session()
    s.history = History(max_bytes=12 * 2 ** 20)
    states = [_photo(600, 800, 0)]
    s.open(states[0].copy())
    for k in range(1, 6):
        states.append(_photo(600, 800, k))
        s.accept(states[-1], {"task": "denoise", "seed": k})
    if settle:
        s.history.settle()
        assert all(e.before.dtype == np.uint8 for e in s.history._undo)
    assert s.history.nbytes() <= 12 * 2 ** 20
    for k in range(5, 1, -1):
        assert s.undo() is not None
        assert s.doc.pixels.tobytes() == states[k - 1].tobytes()
    assert s.undo() is None, "four steps kept"
    for k in range(2, 6):
        assert s.redo() is not None
        assert s.doc.pixels.tobytes() == states[k].tobytes()
    s.history.settle()
    assert s.history.nbytes() <= 12 * 2 ** 20


def test_a_mask_edit_and_a_float_image_keep_their_values(monkeypatch):
    monkeypatch.setattr(history, "PACK_NOW_BYTES", 16)   # packed in a thread even when small
    s = Session()
    img = np.random.default_rng(2).random((40, 30, 3)).astype(np.float32)   # no file's steps: kept float32
    s.open(img.copy(), bit_depth=32)
    res = np.random.default_rng(3).random((40, 30, 3)).astype(np.float32)
    s.accept(res, {"task": "denoise"})
    s.invert_mask()
    s.history.settle()
    mask_edit, image_edit = s.history._undo[-1], s.history._undo[-2]
    assert mask_edit.before.dtype == np.uint8 and mask_edit.after.dtype == np.uint8
    assert image_edit.before.dtype == np.float32
    s.undo()
    assert not s.mask.any()
    s.undo()
    assert s.doc.pixels.tobytes() == img.tobytes()
    s.redo()
    s.redo()
    assert s.mask.all() and s.doc.pixels.tobytes() == res.tobytes()


def test_accept_copies_what_the_review_measured_and_undo_measures_nothing(monkeypatch):
    """An Accept's rounding to the file's steps, noise level and uint8 picture are made in a thread while the
    result is under review (an Accept of an ordinary photo spent most of its GUI-thread time on them): the
    Accept copies them in (the same pixels, level and run record's digest as made on the spot), and undo and redo take the level
    each state had from the step instead of measuring it again."""
    import threading
    from types import SimpleNamespace

    from dpm_studio.core.run.noise import estimate_noise_sigma
    from dpm_studio.gui.model import session as session_module

    gui = []
    real = session_module.estimate_noise_sigma

    def measured(a, **kw):
        gui.append(threading.current_thread() is threading.main_thread())
        return real(a, **kw)

    monkeypatch.setattr(session_module, "estimate_noise_sigma", measured)
    from dpm_studio.core.run.jobs import Source
    digest = Source.digest   # the run record's result_sha256: 0.3-0.5 s of a 12 MP Accept's GUI thread (1c82aa0)

    def digested(self, unit):   # a review thread of a variant chosen away may still digest: only the GUI's count
        if threading.current_thread() is threading.main_thread():
            gui.append(True)
        return digest(self, unit)

    monkeypatch.setattr(Source, "digest", digested)
    rng = np.random.default_rng(5)
    img = _photo(64, 48, 5)
    draws = [np.clip(img + rng.normal(0, 0.03, img.shape), 0, 1).astype(np.float32) for _ in range(2)]
    s = Session()
    s.open(img.copy(), bit_depth=8)
    opened = s.doc.noise_sigma
    pixels_events = []
    s.events.pixels.connect(pixels_events.append)
    s.start_run({"task": "denoise", "seed": 1})
    s.finish_run(SimpleNamespace(image=np.mean(draws, 0), samples=draws, elapsed=0.1, trajectory=[0]))
    s.choose_variant(2)
    gui.clear()
    assert s.accept_result() == "accepted"
    assert True not in gui, "measured and digested in the review's thread, none on Accept"
    held = np.floor(np.clip(draws[1], 0, 1) * np.float32(255) + np.float32(0.5)) / np.float32(255)
    assert s.doc.runs[-1]["result_sha256"] == digest(Source(8), held.astype(np.float32))
    assert s.doc.pixels.tobytes() == held.astype(np.float32).tobytes()
    assert s.doc.noise_sigma == real(held.astype(np.float32)) != opened
    assert np.array_equal(pixels_events[-1].u8, np.rint(held * 255).astype(np.uint8))
    gui.clear()
    s.undo()
    assert s.doc.noise_sigma == opened and s.doc.pixels.tobytes() == img.tobytes()
    s.redo()
    assert s.doc.noise_sigma == estimate_noise_sigma(s.doc.pixels)
    assert gui == [], "undo and redo measure nothing"
    assert pixels_events[-1].u8 is None and np.array_equal(pixels_events[-1].patch, np.rint(held * 255)), "codes"


@pytest.mark.parametrize("whole", [True, False])
def test_undo_and_redo_show_the_steps_8bit_codes_without_making_the_picture(win, monkeypatch, whole):
    """Undo and redo of an Accept into an 8-bit photo show the uint8 codes the step keeps (history.pack) as the
    picture, to the bit what to_uint8 makes of the pixels: on a 12 MP photo to_uint8 was 70-190 ms of each undo's
    GUI thread (docs/undo.md; benchmarks/undo_time.py). ``whole``: the Accept changed every pixel, else a box
    (a region's denoise), put over the picture shown before."""
    from dpm_studio.gui import canvas as canvas_module
    from dpm_studio.imageio import to_uint8

    img = _photo(90, 120, 7)
    win.files.set_image(img)
    res = img.copy()
    if whole:
        res = _photo(90, 120, 8)
    else:
        res[20:50, 30:70] = _photo(30, 40, 8)
    win.session.accept(res, {"task": "denoise", "seed": 1})
    win.session.history.settle()
    made = []
    monkeypatch.setattr(canvas_module, "to_uint8", lambda a: made.append(a.shape) or to_uint8(a))
    for step in ("undo", "redo", "undo", "redo"):
        assert getattr(win.canvas, step)()
        win.session.history.settle()
        assert made == [], f"{step} made the picture anew"
        assert win.canvas.base_u8().tobytes() == to_uint8(win.session.doc.pixels).tobytes()
        assert win.canvas._shown is win.canvas.base_u8()


def _reviewed_with_slow_packing(win, monkeypatch, whole: bool):
    """An 8-bit photo in the window and a run's result under review (``whole``: every pixel changed, else a box), the
    undo history's packing threads held back until the gate returned is set, as for a photo's step; the canvas's
    to_uint8 counted in the list returned: (session, photo, result, gate, made)."""
    from types import SimpleNamespace

    from dpm_studio.gui import canvas as canvas_module
    from dpm_studio.imageio import to_uint8

    gate = threading.Event()
    real = history._pack_sides
    monkeypatch.setattr(history, "_pack_sides", lambda e, sides: gate.wait(10) and real(e, sides))   # slow packing
    monkeypatch.setattr(history, "PACK_NOW_BYTES", 16)   # a thread packs, as for a photo
    img = _photo(90, 120, 7)
    win.files.set_image(img)
    res = _photo(90, 120, 8) if whole else img.copy()
    res[20:50, 30:70] = _photo(30, 40, 9)
    s = win.session
    s.start_run({"task": "denoise", "seed": 1})
    s.finish_run(SimpleNamespace(image=res, samples=None, elapsed=0.1, trajectory=[0]))
    made = []
    monkeypatch.setattr(canvas_module, "to_uint8", lambda a: made.append(a.shape) or to_uint8(a))
    return s, img, res, gate, made


@pytest.mark.parametrize("whole", [True, False])
def test_a_quick_redo_shows_the_steps_codes_too(win, monkeypatch, whole):
    """A redo within a second of its undo made the whole picture anew (to_uint8 of a 12 MP photo on the GUI
    thread): the undo copied the accepted pixels out of the document as float32 and packed them in a thread, and
    until that was done the step had no codes to show. The review's thread made those codes already (the uint8
    picture the Accept showed, measures.Measured): the step keeps them from the Accept on, so the undo copies
    and packs nothing, and the redo shows them at once."""
    from dpm_studio.imageio import to_uint8

    s, img, res, gate, made = _reviewed_with_slow_packing(win, monkeypatch, whole)
    assert s.accept_result() == "accepted"
    gate.set()   # the step's before packed (an undo a second after the Accept)
    s.history.settle()
    gate.clear()
    made.clear()
    try:
        for step in ("undo", "redo", "undo", "redo"):   # each at once after the one before: nothing left to pack
            assert getattr(win.canvas, step)()
            assert made == [], f"{step} made the picture anew"
            assert win.canvas.base_u8().tobytes() == to_uint8(s.doc.pixels).tobytes()
    finally:
        gate.set()
    assert s.doc.pixels.tobytes() == (np.floor(res * np.float32(255) + np.float32(0.5)) / np.float32(255)).tobytes()


@pytest.mark.parametrize("whole", [True, False])
def test_an_undo_at_once_after_its_accept_shows_the_steps_codes_too(win, monkeypatch, whole):
    """An undo within a second of its Accept made the whole picture anew (to_uint8 of a 12 MP photo on the GUI
    thread): the step's before side, the document's old float32 array, was still being packed in a thread, and until
    that was done the step had no codes to show. The document is packed in a thread from the run's start (it does
    not change until its Accept), so the step keeps codes on both sides from the Accept on: the undo shows them at
    once, nothing is packed after the Accept, and the pixels come back to the bit."""
    from dpm_studio.imageio import to_uint8

    s, img, res, gate, made = _reviewed_with_slow_packing(win, monkeypatch, whole)
    s.review.before.thread.join()   # the run took its time (the document packed since it started)
    assert s.accept_result() == "accepted"
    made.clear()
    try:
        for step in ("undo", "redo", "undo"):   # at once after the Accept: its packing would still run
            assert getattr(win.canvas, step)()
            assert made == [], f"{step} made the picture anew"
            assert win.canvas.base_u8().tobytes() == to_uint8(s.doc.pixels).tobytes()
        assert s.doc.pixels.tobytes() == img.tobytes()
        step = s.history._redo[-1]
        assert step.before.dtype == np.uint8 and step.after.dtype == np.uint8
        assert not [t for t in s.history._packing if t.is_alive()], "nothing left to pack"
    finally:
        gate.set()
    assert s.redo() is not None
    assert s.doc.pixels.tobytes() == (np.floor(res * np.float32(255) + np.float32(0.5)) / np.float32(255)).tobytes()


def test_an_accept_does_not_wait_for_the_documents_packing(monkeypatch):
    """An Accept before the document is packed (a run quicker than the packing) does not wait for it: the step
    packs its before side after the Accept, as before, and gives it back to the bit."""
    from types import SimpleNamespace

    from dpm_studio.gui.model import measures

    gate = threading.Event()
    real = measures.Packed._work
    monkeypatch.setattr(measures.Packed, "_work", lambda self: gate.wait(10) and real(self))
    img = _photo(60, 80, 3)
    s = Session()
    s.open(img.copy())
    s.start_run({"task": "denoise", "seed": 1})
    res = _photo(60, 80, 4)
    s.finish_run(SimpleNamespace(image=res, samples=None, elapsed=0.1, trajectory=[0]))
    s.review.measured.thread.join()
    packing = s.review.before.thread
    try:
        assert s.accept_result() == "accepted" and packing.is_alive(), "the Accept waited"
    finally:
        gate.set()
    packing.join()
    s.history.settle()
    assert s.history.last().before.dtype == np.uint8
    s.undo()
    assert s.doc.pixels.tobytes() == img.tobytes()
