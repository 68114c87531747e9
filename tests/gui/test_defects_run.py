"""Issue 15's defects around a run: exports, the view during a run, progress, run state.

Each test failed on the app before the fix (the defect's number in its name)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from dpm_studio import imageio
from gui_helpers import gradient_image, image_with_mask

RUN_MS = 60_000


def _small_hole(win, size=160, margin=72):
    img, mask = image_with_mask(win, size, margin)
    win.task_panel.steps.setValue(6)
    win.task_panel.jump_length.setValue(0)
    return img, mask


def test_defect1_trajectory_exports_are_what_the_canvas_showed(qtbot, win, tmp_path):
    img, mask = _small_hole(win)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    tr = win.session.trajectory
    assert tr.boxes[0] is not None, "the run worked on a crop (the case that broke the exports)"
    shown = []
    for k in range(len(tr)):
        win.result_bar.slider.setValue(k)
        shown.append(win.canvas.shown().copy())
    with qtbot.waitSignal(win.exporter.finished, timeout=RUN_MS):  # written off the GUI thread
        assert win.exports.frames(tmp_path / "frames")
    files = sorted((tmp_path / "frames").glob("*.png"))
    assert len(files) == len(tr)
    for f, s in zip(files, shown):
        back = np.asarray(Image.open(f).convert("RGB"))
        assert back.shape == img.shape, "every frame is the whole image"
        np.testing.assert_array_equal(back, s)
    top, left, bottom, right = tr.boxes[0]
    outside = np.ones(mask.shape, bool)
    outside[top:bottom, left:right] = False
    assert outside.any()
    np.testing.assert_array_equal(shown[0][outside], imageio.to_uint8(img)[outside])
    gif = tmp_path / "t.gif"
    with qtbot.waitSignal(win.exporter.finished, timeout=RUN_MS):
        assert win.exports.gif(gif)
    im = Image.open(gif)
    assert im.n_frames == len(tr)
    for k in range(im.n_frames):
        im.seek(k)
        back = np.asarray(im.convert("RGB")).astype(int)
        assert back.shape == img.shape
        assert np.abs(back - shown[k]).mean() < 12, "a GIF frame is the shown frame up to its palette"
        assert len(np.unique(back.reshape(-1, 3), axis=0)) > 64


def test_defect5_the_view_stays_and_the_crop_is_shown_in_place(qtbot, win):
    img, mask = _small_hole(win)
    win.canvas.set_zoom(1.0)
    before = [list(r) for r in win.canvas.vb.viewRange()]
    seen = []

    def look(frame):
        if not frame.done:
            seen.append((win.canvas.shown().shape, [list(r) for r in win.canvas.vb.viewRange()],
                         win.canvas.shown()[0, 0].copy(), frame.box))

    win.runner.frame.connect(look)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    assert seen
    for shape, rng, corner, box in seen:
        assert box is not None and shape == img.shape
        np.testing.assert_allclose(rng, before, atol=1e-6)
        np.testing.assert_array_equal(corner, imageio.to_uint8(img)[0, 0])
    np.testing.assert_allclose([list(r) for r in win.canvas.vb.viewRange()], before, atol=1e-6)


def test_defect6_progress_counts_the_steps_the_user_set(qtbot, win):
    img, mask = _small_hole(win)
    win.task_panel.steps.setValue(10)
    win.task_panel.jump_length.setValue(5)  # resampling: more records than steps
    texts = []
    win.runner.frame.connect(lambda f: texts.append(win.task_panel.progress.format()))
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS) as b:
        assert win.runs.run()
    assert b.args[0].total > 10
    live = [t for t in texts if t.startswith("step")]
    assert live and all(t.split("/")[1].split()[0] == "10" for t in live), live
    assert "/ 10" in win.task_panel.progress.format() and "done" in win.task_panel.progress.format()


def test_defect6_opening_another_image_clears_the_last_run(qtbot, win, image_file):
    _small_hole(win, size=32, margin=8)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    assert win.runs.accept_result()
    assert "done" in win.task_panel.progress.format()
    assert win.files.open_image(image_file[0])
    assert win.task_panel.progress.format() == "idle"
    assert win.task_panel.eta.text() == ""
    assert win.session.trajectory is None and not win.act_export_gif.isEnabled()
    assert win.plots.run_is_empty()


def test_defect11_exporting_a_samples_trajectory_in_a_fresh_window(qtbot, win, tmp_path, msgbox):
    win.task_panel.set_task("sample")
    win.task_panel.width_spin.setValue(16)
    win.task_panel.height_spin.setValue(16)
    win.task_panel.steps.setValue(4)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    out = tmp_path / "sample-trajectory.gif"
    win.dialogs.paths["save_file"] = str(out)
    with qtbot.waitSignal(win.exporter.finished, timeout=RUN_MS):  # written off the GUI thread
        win.exports.gif_dialog()
    assert not msgbox
    im = Image.open(out)
    from dpm_studio.gui.exports import GIF_MAX_FRAMES

    assert im.size == (16, 16) and im.n_frames == min(GIF_MAX_FRAMES, len(win.session.trajectory))


def test_defect8_samples_are_offered_as_choices_with_their_spread(qtbot, win):
    img, mask = _small_hole(win, size=32, margin=10)
    win.task_panel.samples.setValue(3)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS) as b:
        assert win.runs.run()
    samples = b.args[0].samples
    assert len(samples) == 3
    rb = win.result_bar
    assert rb.variant.isVisible() and rb.variant.count() == 5
    np.testing.assert_array_equal(win.canvas.shown(), imageio.to_uint8(b.args[0].image))  # the mean first
    rb.variant.setCurrentIndex(4)  # the spread: zero where the samples agree (the known pixels)
    spread = win.canvas.shown()
    assert spread[mask == 0].max() == 0 and spread[mask > 0].max() == 255
    assert not rb.accept_button.isEnabled() and not win.act_accept.isEnabled()
    assert not win.runs.accept_result(), "a map of the spread is not a result"
    rb.variant.setCurrentIndex(2)  # sample 2
    np.testing.assert_array_equal(win.canvas.shown(), imageio.to_uint8(samples[1]))
    assert rb.accept_button.isEnabled()
    assert win.runs.accept_result()
    np.testing.assert_array_equal(win.canvas.image(), win.session.doc.source.held(samples[1]))
    assert win.session.doc.runs[-1]["choice"] == "sample 2 of 3" and win.session.doc.runs[-1]["samples"] == 3
    assert not rb.variant.isVisible()


def test_defect5_a_finished_region_stays_on_show_while_the_next_one_runs(qtbot, win):
    img = gradient_image(96, 320)
    win.files.set_image(img)
    mask = np.zeros((96, 320), np.float32)
    mask[40:56, 20:36] = 1     # two holes far apart: two crops, one after the other
    mask[40:56, 280:296] = 1
    win.canvas.set_mask(mask)
    # 12 steps a region, not 4: the runner drops frames the GUI has not drawn yet, and under
    # load (13 on 2 cores) all four of the second region's live frames could be dropped.
    win.task_panel.steps.setValue(12)
    win.task_panel.jump_length.setValue(0)
    seen = []

    def look(frame):
        if not frame.done and frame.box is not None and frame.box[1] > 100:  # the second region
            seen.append(win.canvas.shown()[40:56, 20:36].copy())

    win.runner.frame.connect(look)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    assert seen, "frames of the second region reached the canvas"
    hole1 = imageio.to_uint8(img)[40:56, 20:36]
    assert all(np.abs(s.astype(int) - hole1).mean() > 3 for s in seen), "the first region kept its fill"
    tr = win.session.trajectory
    k = max(i for i, b in enumerate(tr.boxes) if b is not None and b[1] > 100)
    assert np.abs(tr.frame(k)[40:56, 20:36].astype(int) - hole1).mean() > 3


def test_defect5_a_frame_redraws_the_crop_not_the_whole_image(qtbot, win, monkeypatch):
    _small_hole(win)
    win.task_panel.steps.setValue(12)  # 6 steps: under load every live frame was dropped once (a CI-time flake)
    full = []
    real = win.canvas._draw_picture
    monkeypatch.setattr(win.canvas, "_draw_picture", lambda u8: (full.append(u8.shape), real(u8)))
    before = win.canvas.frames_shown
    live = []
    win.runner.frame.connect(lambda f: live.append(f.done))
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    # The runner drops a frame the GUI has not drawn yet (a stale report), so how many live
    # frames arrive depends on the machine's load (2 of 6 under load 13): one is enough to see
    # that a live frame of a region redraws only its crop.
    assert live.count(False) >= 1 and win.canvas.frames_shown - before >= 1
    assert len(full) <= 2, f"the whole picture was redrawn {len(full)} times for one region"  # start + result
