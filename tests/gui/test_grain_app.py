"""The Inpaint page's Grain control (gui/task_pages.py): in the run's request and record, and part of undo."""

import numpy as np
from PIL import Image

from dpm_studio.core.run.requests import InpaintRequest
from dpm_studio.core.run.settings import spec_of

A, B = 0.004, 0.0004


def _noisy_photo(path, size=96):
    """A smooth colour picture with camera-like noise (var = a x + b), as an 8-bit file holds it."""
    r, c = np.mgrid[0:size, 0:size] / size
    x = np.stack([0.25 + 0.5 * r, 0.35 + 0.3 * c, 0.5 + 0.2 * np.sin(3 * r + 2 * c)], 2)
    y = x + np.sqrt(A * x + B) * np.random.default_rng(0).standard_normal(x.shape)
    Image.fromarray(np.clip(np.round(y * 255), 0, 255).astype(np.uint8)).save(path)


def _hole(size=96):
    m = np.zeros((size, size), np.float32)
    m[32:64, 32:64] = 1
    return m


def test_the_grain_control_is_the_requests_and_only_inpaintings(win):
    tp = win.task_panel
    assert tp.grain.isChecked() and InpaintRequest().grain == "match"   # the request's default
    assert spec_of(InpaintRequest, "grain").choices == ("match", "none")   # a check box's two states
    assert "leave the fill clean" in tp.grain.toolTip()
    assert tp.settings().request().grain == "match"
    tp.grain.setChecked(False)
    assert tp.settings().request().grain == "none"
    tp.set_task("denoise")
    assert not tp.grain.isEnabled() and "inpainting setting" in tp.grain.toolTip()
    tp.set_task("inpaint")
    assert tp.grain.isEnabled()


def test_the_runs_grain_is_recorded_and_undo_and_redo_bring_it_back(qtbot, win, tmp_path):
    """A run with Grain none leaves the fill clean and records none; one with Match gives the fill the
    photo's noise (the tiny model's fills differ by 8-16 /255 of it) and records the law; redoing an accepted
    result puts the Grain its run was made with back on the page."""
    from test_workflow import run_to_end

    path = tmp_path / "noisy.png"
    _noisy_photo(path)
    assert win.files.open_image(path)
    win.session.set_mask(_hole())
    tp = win.task_panel
    tp.steps_all.setChecked(False)
    tp.steps.setValue(3)
    tp.jump_length.setValue(0)
    tp.grain.setChecked(False)
    run_to_end(qtbot, win)
    none = win.session.result_image().copy()
    assert win.runs.accept_result()
    first = win.session.doc.runs[-1]
    assert first["grain"] == "none" and first["known_noise"] == "law"   # the law is recorded for the known pixels
    tp.grain.setChecked(True)
    assert win.canvas.undo() and win.canvas.redo()
    assert not tp.grain.isChecked()   # back to the redone run's none
    assert win.canvas.undo()
    tp.grain.setChecked(True)
    win.session.set_mask(_hole())
    run_to_end(qtbot, win)
    match = win.session.result_image().copy()
    assert win.runs.accept_result()
    second = win.session.doc.runs[-1]
    assert second["grain"] == "match" and second["grain_law"]["kind"] == "poisson-gaussian"
    hole = _hole() > 0
    assert np.array_equal(match[~hole], none[~hole])
    assert 8 < np.std((match - none)[hole]) * 255 < 16
    # the app's grained fill is the API's (one request, one job: the same law, the same draws)
    from dpm_studio import api
    from dpm_studio.core.files.checkpoint import load, resolve

    px = np.asarray(Image.open(path))
    by_api = api.inpaint(px, _hole(), checkpoint=load(resolve("tiny-rgb")), steps=3, jump_length=0,
                         jump_n_sample=2, seed=int(tp.seed.value()))
    assert np.array_equal(by_api, np.round(match * 255).astype(np.uint8))
    tp.grain.setChecked(False)   # the user looks elsewhere, then undoes and redoes
    assert win.canvas.undo()
    assert not tp.grain.isChecked()   # the image as opened: the controls as they are
    assert win.canvas.redo()
    assert tp.grain.isChecked()   # match
