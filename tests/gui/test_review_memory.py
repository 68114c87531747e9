"""What a result under review holds (docs/undo.md, "What a review holds"; benchmarks/review_memory.py): no float32
copy of the result beside it where the file's codes hold it, and nothing of the run once it is accepted or
rejected. Accept and Reject give what they gave before, to the bit."""

from __future__ import annotations

import gc
import weakref
from types import SimpleNamespace

import numpy as np
import pytest

from dpm_studio.gui.model.session import Session


def _reviewed(depth: int, seed: int = 0):
    """A session with an opened ``depth``-bit photo and a result under review, its review's thread done."""
    rng = np.random.default_rng(seed)
    top = np.float32(65535 if depth == 16 else 255)
    img = rng.integers(0, int(top) + 1, (60, 80, 3)).astype(np.float32) / top
    s = Session()
    s.open(img.copy(), bit_depth=depth)
    res = np.clip(img + rng.normal(0, 0.03, img.shape), 0, 1).astype(np.float32)
    s.start_run({"task": "denoise", "seed": seed})
    s.finish_run(SimpleNamespace(image=res, samples=None, elapsed=0.1, trajectory=None))
    s.review.measured.thread.join()
    return s, img, res


def _floats_held(s: Session, res: np.ndarray) -> list:
    """The full-size float arrays the review keeps beside the result itself."""
    return [k for k, v in s.review.measured.out.items()
            if isinstance(v, np.ndarray) and v.dtype == np.float32 and v.size == res.size and v is not res]


@pytest.mark.parametrize("depth,codes", [(8, np.uint8), (16, np.uint16)])
def test_a_review_keeps_the_files_codes_not_a_float_copy_and_accept_gives_the_same_pixels(depth, codes):
    """An 8-bit photo's review kept the result rounded to the file's steps as float32 (144 MB at 12 MP) and its
    picture (36 MB): now the codes, which are the picture (one array); a 16-bit one's as uint16. Accept writes them
    back into the result's own array, which becomes the document's: the pixels Source.held makes, to the bit."""
    s, img, res = _reviewed(depth)
    want = s.doc.source.held(res.copy())
    assert _floats_held(s, res) == [], "no float32 copy of the result held under review"
    out = s.review.measured.out
    assert out["held"].dtype == codes
    if depth == 8:
        assert out["u8"] is out["held"], "the codes are the picture"
    assert s.accept_result() == "accepted"
    assert s.doc.pixels is res and s.doc.pixels.tobytes() == want.tobytes()
    s.undo()
    assert s.doc.pixels.tobytes() == img.tobytes()
    s.redo()
    assert s.doc.pixels.tobytes() == want.tobytes()


def test_reject_leaves_the_result_as_the_run_made_it():
    s, img, res = _reviewed(8, seed=3)
    made = res.copy()
    s.leave_review()
    assert res.tobytes() == made.tobytes() and s.doc.pixels.tobytes() == img.tobytes()


@pytest.mark.parametrize("how", ["accept", "reject"])
def test_the_runs_last_frame_is_not_held_after_the_review(qtbot, win, how):
    """The runner kept the last frame of a run (its float result, its picture: 180 MB of a 12 MP photo) until the
    next run, after Accept or Reject had let it go."""
    from gui_helpers import gradient_image

    win.files.set_image(gradient_image(48, 64))
    win.task_panel.set_task("denoise")
    with qtbot.waitSignal(win.runner.finished, timeout=120_000) as blocker:
        assert win.runs.run()
    frame = weakref.ref(blocker.args[0])
    del blocker
    assert win.session.state == "review"
    assert (win.runs.accept_result if how == "accept" else win.runs.discard_result)()
    qtbot.wait(50)
    gc.collect()
    assert frame() is None, "the last frame is still held"


def test_a_posterior_means_tiles_keep_one_picture_for_x_and_its_estimate(ckpt_dir):
    """A tiled posterior-mean denoise's records carry each tile as x and as its x_0 estimate, the same array: the
    trajectory kept two uint8 pictures of it (47 MB of a 12 MP run, kept after the review for the exports)."""
    from dpm_studio.core.files.checkpoint import load
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.gui.model.frames import RunJob, task_frames

    loaded = load(ckpt_dir / "tiny-rgb")
    rng = np.random.default_rng(4)
    s = Session()
    s.open(rng.integers(0, 256, (70, 100, 3)).astype(np.float32) / np.float32(255), bit_depth=8)
    job = s.job(DenoiseRequest(sigma=20 / 255, tile=64), model=loaded)
    tr = list(task_frames(RunJob(loaded, job)))[-1].trajectory
    tiles = range(len(tr) - 1)   # the last record is the blended whole
    assert len(tiles) >= 2
    assert [k for k in tiles if tr.x0[k] is not tr.x[k]] == []
    for k in tiles:
        assert np.array_equal(tr.frame(k, predicted=True), tr.frame(k))
