"""The Qt-free session: one document, one mask, one history for mask edits and accepted results."""

import subprocess
import sys

import numpy as np
import pytest

from dpm_studio.gui.model.session import Session


def test_mask_edits_and_accepted_results_share_one_history():
    s = Session()
    img = np.random.default_rng(0).integers(0, 256, (16, 20, 3)).astype(np.float32) / np.float32(255)
    doc = s.open(img, name="p.png", dirty=False)   # an 8-bit picture
    assert doc.runs == [] and s.mask.shape == (16, 20) and not s.history.can_undo()
    before = s.mask.copy()
    after = before.copy()
    after[4:8, 4:8] = 1
    assert s.edit_mask(before, after, "stroke")
    res = img.copy()
    res[4:8, 4:8] = 0.5
    s.accept(res, {"task": "inpaint"})
    res[4:8, 4:8] = np.float32(128) / np.float32(255)   # the result as its 8-bit file holds it
    from dpm_studio import __version__
    from dpm_studio.core.run.jobs import Source

    ran = {"task": "inpaint", "result_sha256": Source(8).digest(res), "software": f"dpm-studio {__version__}"}
    assert doc.dirty and doc.runs == [ran] and s.has_unsaved()   # stamped with what it made (a replay compares)
    np.testing.assert_array_equal(doc.pixels, res)
    assert s.undo().kind == "image"
    np.testing.assert_array_equal(doc.pixels, img)
    assert doc.runs == [] and s.mask[5, 5] == 1  # the stroke stays
    assert s.undo().kind == "mask" and s.mask.max() == 0
    assert s.redo().kind == "mask" and s.redo().kind == "image"
    np.testing.assert_array_equal(doc.pixels, res)
    assert doc.runs == [ran]
    with pytest.raises(ValueError, match="new document"):
        s.accept(np.zeros((4, 4, 3), np.float32), {"task": "sample"})
    s.state = "review"
    with pytest.raises(ValueError):
        s.state = "thinking"


def test_each_document_has_its_own_noise_level():
    rng = np.random.default_rng(1)
    s = Session()
    noisy = s.open(np.clip(0.5 + rng.normal(0, 0.08, (64, 64)), 0, 1))
    clean = s.open(np.full((64, 64, 3), 0.5, np.float32))
    assert abs(noisy.noise_sigma - 0.08) < 0.01 and clean.noise_sigma == 0
    s.open(np.clip(0.5 + rng.normal(0, 0.08, (64, 64, 3)), 0, 1))
    s.accept(np.full((64, 64, 3), 0.5, np.float32), {"task": "denoise"})
    assert s.doc.noise_sigma == 0, "a denoised result is measured anew"
    s.undo()
    assert abs(s.doc.noise_sigma - 0.08) < 0.01


def test_the_model_side_of_the_app_loads_no_qt():
    code = ("import sys, dpm_studio.gui.model.session, dpm_studio.gui.model.events, dpm_studio.gui.model.predicates, "
            "dpm_studio.gui.model.frames, "
            "dpm_studio.gui.model.maskops, dpm_studio.gui.model.models;"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph')];"
            "print(','.join(bad)); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def _recorder(s):
    """Every session event as (type, fields) in the order they came."""
    seen = []
    for emitter in s.events:
        emitter.connect(lambda e, seen=seen: seen.append((e.type, {k: v for k, v in vars(e).items()
                                                                    if k not in ("type", "source")})))
    return seen


def test_every_change_through_the_session_reaches_a_subscriber():
    from dpm_studio.gui.model import maskops

    s = Session()
    seen = _recorder(s)
    img = np.full((12, 12, 3), 0.25, np.float32)
    doc = s.open(img, name="a.png")
    assert [t for t, _ in seen][:2] == ["document", "history"] and seen[0][1]["document"] is doc
    seen.clear()
    before = s.mask.copy()
    box = s.paint(maskops.paint_rect, (2, 2), (6, 6), 1.0)
    assert seen == [("mask", {"live": True, "box": box, "edit": None})] and s.mask[3, 3] == 1
    assert s.end_gesture(before, "rectangle") and [t for t, _ in seen[1:]] == ["history", "mask"]
    assert seen[-1][1]["live"] is False and s.history.undo_label() == "rectangle"
    seen.clear()
    s.accept(np.full((12, 12, 3), 0.75, np.float32), {"task": "inpaint"})
    assert [t for t, _ in seen] == ["pixels", "history"]
    seen.clear()
    assert s.undo().kind == "image" and [t for t, _ in seen] == ["pixels", "history"]
    seen.clear()
    assert s.undo().kind == "mask" and [t for t, _ in seen] == ["history", "mask"] and s.mask.max() == 0
    assert seen[-1][1]["edit"].label == "rectangle"   # an undo says which edit it took back
    seen.clear()
    assert s.clear_mask() is False and [t for t, _ in seen] == ["mask"]   # nothing to record, still said
    s.invert_mask()
    assert s.mask.min() == 1 and ("history", {}) in seen
    seen.clear()
    s.restore_mask(np.zeros((12, 12), np.float32))
    assert s.mask.max() == 0 and seen == [("mask", {"live": False, "box": None, "edit": None})]
    seen.clear()
    s.saved("/tmp/b.png")
    assert doc.name == "b.png" and doc.where.name == "b.png" and doc.path is None and [t for t, _ in seen] == ["saved"]


def test_a_run_lives_in_the_session_from_start_to_accept():
    from types import SimpleNamespace

    s = Session()
    seen = _recorder(s)
    img = np.zeros((8, 8, 3), np.float32)
    s.open(img, name="p.png", dirty=False)
    s.start_run({"task": "denoise"})
    assert s.state == "running" and s.review is None
    draws = [np.full((8, 8, 3), v, np.float32) for v in (0.2, 0.4, 0.6)]
    frame = SimpleNamespace(image=np.full((8, 8, 3), 0.4, np.float32), samples=draws, elapsed=1.234,
                            trajectory=[1, 2, 3])
    seen.clear()
    s.finish_run(frame)
    assert s.state == "review" and s.trajectory == [1, 2, 3] and s.run["seconds"] == 1.23
    assert ("state", {"state": "review"}) in seen and seen[-1][0] == "result"
    assert s.review.variant == 0 and s.chain() == 0 and np.allclose(s.result_image(), 0.4)
    s.choose_variant(4)
    assert s.review.showing_spread() and s.review.picture()[0].dtype == np.uint8 and s.accept_result() == ""
    s.choose_variant(2)
    assert s.chain() == 2 and not s.review.opens_new()
    seen.clear()
    assert s.accept_result() == "accepted" and s.state == "edit" and s.review is None
    assert np.allclose(s.doc.pixels, 0.4) and s.doc.runs[-1]["choice"] == "sample 2 of 3"
    assert [t for t, _ in seen] == ["state", "result", "pixels", "history"]
    assert s.trajectory == [1, 2, 3], "the trajectory stays exportable after Accept"
    # a sample opens as a new document, with its record
    s.start_run({"task": "sample"})
    s.finish_run(SimpleNamespace(image=np.ones((4, 6, 3), np.float32), samples=None, elapsed=0.5, trajectory=[9]))
    assert s.review.opens_new() and s.accept_result() == "opened"
    assert s.doc.name == "sample.png" and s.doc.shape == (4, 6) and s.doc.runs[0]["task"] == "sample"
    assert s.doc.dirty and s.has_unsaved() and s.trajectory == [9]


def test_the_document_is_the_decoded_file(tmp_path):
    """One record: what the decoder read (depth, value range, ICC, the file's runs) stays on the document."""
    from dpm_studio.core.files.decode import ImageData

    data = ImageData(np.zeros((4, 4, 3), np.float32), None, tmp_path / "f.tif", "float32", 32,
                     {"runs": [{"task": "denoise"}]}, ["note"], b"icc", b"exif", 4.0, 0.0)
    doc = Session().open_data(data)
    assert isinstance(doc, ImageData) and doc.name == "f.tif" and not doc.dirty
    assert (doc.bit_depth, doc.value_scale, doc.icc_profile, doc.exif) == (32, 4.0, b"icc", b"exif")
    assert doc.source.bit_depth == 32 and doc.metadata["runs"] == [{"task": "denoise"}] and doc.notes == ["note"]
    assert doc.describe() == "4\u00d74 RGB, 32-bit float"


def test_emitters_hold_bound_methods_weakly_and_names_are_fixed():
    import gc

    from dpm_studio.gui.model.events import EmitterGroup

    class Listener:
        def __init__(self):
            self.n = 0

        def on(self, _e):
            self.n += 1

    g = EmitterGroup(None, ("changed",))
    a, b = Listener(), Listener()
    g.changed.connect(a.on)
    g.changed.connect(b.on)
    g.changed.connect(a.on)   # once only
    g.changed()
    assert (a.n, b.n) == (1, 1)
    del b
    gc.collect()
    assert len(g.changed.callbacks()) == 1
    g.changed.disconnect(a.on)
    g.changed()
    assert a.n == 1
    with pytest.raises(AttributeError):
        g.chnaged.connect(a.on)


def test_the_actions_predicates_are_named_tests_over_the_session():
    from types import SimpleNamespace

    from dpm_studio.gui.model import predicates as P

    s = Session()
    assert not P.HAS_IMAGE(s) and P.EDIT(s) and (~P.RUNNING)(s) and not P.CAN_UNDO(s)
    assert (P.EDIT & P.HAS_IMAGE).name == "edit and has_image" and (~P.RUNNING).name == "not running"
    s.open(np.zeros((8, 8, 3), np.float32))
    s.set_mask(np.ones((8, 8), np.float32))
    assert (P.EDIT & P.HAS_IMAGE)(s) and P.CAN_UNDO(s) and not P.HAS_TRAJECTORY(s)
    s.start_run({"task": "sample"})
    assert P.RUNNING(s) and not (~P.RUNNING & P.HAS_PICTURE)(s) and not P.EDIT(s)
    draws = [np.zeros((8, 8, 3), np.float32)] * 2
    s.finish_run(SimpleNamespace(image=draws[0], samples=draws, elapsed=0.1, trajectory=[0]))
    assert P.REVIEW(s) and P.RESULT(s) and P.HAS_TRAJECTORY(s)
    s.choose_variant(3)   # the spread: nothing to accept
    assert P.REVIEW(s) and not P.RESULT(s)
    with pytest.raises(AttributeError):
        P.HAS_IMGE


def test_the_feather_is_the_sessions_and_the_feathered_mask_follows_every_change():
    from dpm_studio.core.run import masks
    from dpm_studio.gui.model import maskops

    s = Session()
    seen = _recorder(s)
    s.open(np.zeros((24, 24, 3), np.float32))
    before = s.mask.copy()
    s.paint(maskops.paint_rect, (6, 6), (18, 18), 1.0)
    s.end_gesture(before, "rectangle")
    np.testing.assert_array_equal(s.effective_mask(), s.mask)   # no feather: the hard mask
    seen.clear()
    s.set_feather(4)
    s.set_feather(4)   # no change, no event
    assert seen == [("feather", {"feather": 4.0})] and s.feather == 4.0
    np.testing.assert_array_equal(s.effective_mask(), masks.feather(s.mask, 4.0))
    assert 0 < s.effective_mask()[4, 12] < 1 and s.mask[4, 12] == 0, "a soft band outside the edge"
    s.clear_mask()
    assert s.effective_mask().max() == 0, "a cleared mask is not served from the cache"
    s.undo()
    np.testing.assert_array_equal(s.effective_mask(), masks.feather(s.mask, 4.0))
    s.effective_mask()[...] = 0   # a copy: the session's mask is untouched
    assert s.mask.max() == 1


def test_an_accept_rounds_in_place_and_hands_its_one_copy_to_the_undo(monkeypatch):
    """An Accept of a 12 MP photo held the GUI thread ~1 s: the undo copied the whole image twice (before and
    after) on top of the session's own copy, and the rounding to the file's steps made five full-size
    temporaries (docs/speed.md, benchmarks/accept_time.py). Now the rounding writes into the document's
    pixels (the file's values to the bit), the undo keeps the session's copy as it is and copies the after
    only when it is undone; undo and redo give the same pixels as before."""
    from dpm_studio.core.files.formats import from_unit, to_unit
    from dpm_studio.gui.model import history

    monkeypatch.setattr(history, "BOX_ROWS", 5)   # the box found across several bands of rows
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (23, 17, 3)).astype(np.float32) / np.float32(255)
    s = Session()
    doc = s.open(img.copy(), name="p.png", dirty=False)
    pixels = doc.pixels
    res = np.clip(img + rng.normal(0, 0.05, img.shape).astype(np.float32), 0, 1)
    s.accept(res, {"task": "denoise"})
    held = to_unit(from_unit(res, 8))   # what its 8-bit file holds
    assert doc.pixels is pixels   # rounded into the document's own array
    np.testing.assert_array_equal(doc.pixels, held)
    e = s.history._undo[-1]
    assert e.box == (0, 0, 17, 23) and e.after is None   # no copy made for the undo: the session's, packed
    assert e.before.dtype == np.uint8   # the 8-bit file's steps as its integers (gui/model/history.pack)
    np.testing.assert_array_equal(e.before, np.rint(img * 255))
    s.undo()
    np.testing.assert_array_equal(doc.pixels, img)
    s.redo()
    np.testing.assert_array_equal(doc.pixels, held)
    # a change within a box: that box is kept (copied out of the session's copy), the rest dropped
    part = held.copy()
    part[7:13, 2:5] = 0.25
    s.accept(part, {"task": "inpaint"})
    e = s.history._undo[-1]
    assert e.box == (2, 7, 5, 13) and e.before.shape == (6, 3, 3)
    s.undo()
    np.testing.assert_array_equal(doc.pixels, held)
    s.redo()
    np.testing.assert_array_equal(doc.pixels, to_unit(from_unit(part, 8)))
    s.undo()
    s.undo()
    np.testing.assert_array_equal(doc.pixels, img)


@pytest.mark.parametrize("depth,scale,offset", [(8, 1.0, 0.0), (16, 1.0, 0.0), (32, 1.0, 0.0), (32, 2.0, -1.0)])
def test_held_is_the_files_values_to_the_bit(depth, scale, offset):
    """Source.held rounds in float32 a band at a time; the values are those of saving the file and reading
    it back, NaN, infinities, values outside [0, 1] and exact half steps included."""
    from dpm_studio.core.files.formats import from_unit, to_unit
    from dpm_studio.core.run.jobs import Source

    rng = np.random.default_rng(depth)
    x = rng.normal(0.5, 0.6, (300, 41, 3)).astype(np.float32)
    x.flat[::7] = (rng.integers(0, 65536, x.size)[::7] + 0.5) / 65535
    x.flat[::11] = (rng.integers(0, 256, x.size)[::11] + 0.5) / 255
    x.flat[::97], x.flat[::101], x.flat[::103] = np.nan, np.inf, -np.inf
    src = Source(depth, scale, offset)
    want = to_unit(from_unit(x, depth, scale, offset), scale, offset)
    np.testing.assert_array_equal(src.held(x), want)
    out = x.copy()
    assert src.held(out, out=out) is out
    np.testing.assert_array_equal(out, want)
