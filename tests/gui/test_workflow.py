"""End-to-end flows through the main window: open, paint, run, review, save, cancel, errors."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from dpm_studio import imageio
from dpm_studio.gui.canvas import Tool

from gui_helpers import drag, gradient_image

RUN_TIMEOUT_MS = 30_000


def paint_square(win, x0=8, y0=8, x1=20, y1=20):
    """A filled rectangle painted with the rectangle tool (real mouse events)."""
    win.canvas.set_tool(Tool.RECT)
    drag(win.canvas, [(x0, y0), (x1, y1)])
    m = np.zeros(win.canvas.image_shape(), bool)
    m[y0:y1, x0:x1] = True
    return m


def run_to_end(qtbot, win):
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_TIMEOUT_MS) as blocker:
        assert win.runs.run()
    return blocker.args[0]


def test_open_paint_inpaint_accept_save_reload(qtbot, win, image_file, tmp_path, msgbox):
    path, img = image_file
    assert win.files.open_image(path)
    assert win.canvas.image().shape == (32, 32, 3)
    np.testing.assert_array_equal(win.canvas.image(), img)

    # paint a brush stroke with real mouse events, then a rectangle
    win.canvas.set_tool(Tool.BRUSH)
    win.canvas.set_brush_size(3)
    drag(win.canvas, [(4.5, 26.5), (14.5, 26.5)])
    m = win.canvas.mask().copy()
    assert m[25:28, 4:15].all(), "the stroke (3 px wide) covers the pixels along its path"
    assert m[:24].sum() == 0 and m[29:].sum() == 0 and m[:, :3].sum() == 0 and m[:, 16:].sum() == 0
    assert win.canvas.history.can_undo()
    hole = paint_square(win)
    mask = win.canvas.mask().copy()
    assert mask[hole].all()
    assert mask.sum() == hole.sum() + m.sum()  # the two regions do not overlap

    win.task_panel.set_task("inpaint")
    win.task_panel.steps_all.setChecked(True)  # T = 50 steps
    win.task_panel.jump_length.setValue(0)     # and no resampling jumps: 50 records
    p = win.task_panel.start                   # from pure noise at T (the smooth-fill start begins lower)
    p.setCurrentIndex(p.findData("noise"))
    shown = []  # frames the runner delivered to the window (GUI-thread signal)
    win.runner.frame.connect(lambda f: shown.append((f.index, f.done, win.canvas.frames_shown)))
    frames_before = win.canvas.frames_shown
    done = run_to_end(qtbot, win)
    assert done.done and done.total == 50
    assert win.state() == "review"
    intermediate = [i for i, d, _ in shown if not d]
    assert len(intermediate) >= 2, f"intermediate frames reached the canvas: {shown}"
    assert intermediate == sorted(intermediate) and intermediate[-1] < 49
    assert win.canvas.frames_shown - frames_before >= len(shown)
    assert len(shown) <= 1 + 30 * done.elapsed + 2, "at most ~30 frames per second"
    res = win.runs.result_image()
    keep = mask <= 0
    np.testing.assert_array_equal(res[keep], img[keep])
    assert np.abs(res[mask > 0] - img[mask > 0]).mean() > 0.02, "masked pixels were filled anew"
    # the user's image is untouched until Accept
    np.testing.assert_array_equal(win.canvas.image(), img)
    assert win.has_unsaved()

    # trajectory: bounded, scrubbable
    tr = win.session.trajectory
    assert 2 <= len(tr) <= 201 and tr.indices[-1] == 49
    win.result_bar.slider.setValue(0)
    assert win.canvas.shown().shape == (32, 32, 3)
    win.result_bar.slider.setValue(len(tr) - 1)

    assert win.runs.accept_result()
    assert win.state() == "edit"
    np.testing.assert_array_equal(win.canvas.image(), win.session.doc.source.held(res))   # as the file holds it
    out = tmp_path / "out.png"
    assert win.files.save_image(out)
    assert not win.has_unsaved()
    back = imageio.load_image(out)
    assert np.abs(back.pixels - res).max() <= 0.5 / 255 + 1e-6
    assert back.metadata["runs"][0]["task"] == "inpaint"
    assert back.metadata["runs"][0]["steps"] == 50
    assert back.metadata["runs"][0]["start"] == "noise"
    assert not [c for c in msgbox if c[0] == "critical"]


def test_cancel_mid_run_leaves_image_and_mask(qtbot, win, tmp_path):
    img = gradient_image(64, 64)
    win.files.set_image(img)
    paint_square(win, 10, 10, 40, 40)
    mask = win.canvas.mask().copy()
    win.task_panel.steps_all.setChecked(True)  # 50 steps
    with qtbot.waitSignal(win.runner.frame, timeout=RUN_TIMEOUT_MS):
        assert win.runs.run()
    assert win.state() == "running"
    assert not win.canvas.editable()
    with qtbot.waitSignal(win.runner.aborted, timeout=RUN_TIMEOUT_MS) as blocker:
        win.runs.cancel()
    last = blocker.args[0]
    assert last is None or last.index < last.total - 1, "stopped before the end"
    assert not win.runner.is_running()
    assert win.state() == "edit"
    np.testing.assert_array_equal(win.canvas.image(), img)
    np.testing.assert_array_equal(win.canvas.mask(), mask)
    np.testing.assert_array_equal(win.canvas.shown(), imageio.to_uint8(img))
    assert "cancelled" in win.task_panel.progress.format()
    assert win.canvas.editable()
    # and the app still works: run again to the end
    win.task_panel.steps_all.setChecked(False)
    win.task_panel.steps.setValue(5)
    run_to_end(qtbot, win)
    assert win.state() == "review"


def test_close_during_run_stops_the_thread_cleanly(qtbot, win, qtlog):
    win.files.set_image(gradient_image(64, 64))
    paint_square(win, 8, 8, 56, 56)
    win.task_panel.steps_all.setChecked(True)
    with qtbot.waitSignal(win.runner.frame, timeout=RUN_TIMEOUT_MS):
        win.runs.run()
    thread = win.runner._thread
    assert thread is not None and thread.isRunning()
    assert win.close()
    assert not win.isVisible()
    assert not win.runner.is_running()
    assert thread.isFinished()
    qtbot.wait(50)
    assert not [r for r in qtlog.records if "Destroyed while thread" in r.message]


def test_close_during_run_can_be_refused(qtbot, win):
    win.files.set_image(gradient_image(64, 64))
    paint_square(win, 8, 8, 56, 56)
    win.task_panel.steps_all.setChecked(True)
    win.dialogs.answers["confirm"] = False
    with qtbot.waitSignal(win.runner.frame, timeout=RUN_TIMEOUT_MS):
        win.runs.run()
    assert not win.close()
    assert win.isVisible() and win.runner.is_running()
    with qtbot.waitSignal(win.runner.aborted, timeout=RUN_TIMEOUT_MS):
        win.runs.cancel()


def test_error_in_worker_becomes_a_dialog(qtbot, win, msgbox, monkeypatch):
    from dpm_studio.core.run import tasks

    def broken(*a, **k):
        yield from ()
        raise RuntimeError("the model exploded")

    monkeypatch.setattr(tasks, "run_task", broken)
    img = gradient_image()
    win.files.set_image(img)
    paint_square(win)
    mask = win.canvas.mask().copy()
    with qtbot.waitSignal(win.runner.errored, timeout=RUN_TIMEOUT_MS):
        win.runs.run()
    crit = [c for c in msgbox if c[0] == "critical"]
    assert crit and "the model exploded" in crit[0][2]
    assert win.state() == "edit" and not win.runner.is_running()
    np.testing.assert_array_equal(win.canvas.image(), img)
    np.testing.assert_array_equal(win.canvas.mask(), mask)
    monkeypatch.undo()
    win.task_panel.steps.setValue(4)
    run_to_end(qtbot, win)  # still usable


def test_corrupt_image_gives_an_error_dialog(win, tmp_path, msgbox, image_file):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)
    assert not win.files.open_image(bad)
    assert msgbox and msgbox[-1][0] == "critical" and "broken.png" in msgbox[-1][2]
    assert not win.canvas.has_image()
    # a truncated real PNG as well
    path, _ = image_file
    data = path.read_bytes()
    trunc = tmp_path / "truncated.png"
    trunc.write_bytes(data[: len(data) // 2])
    assert not win.files.open_image(trunc)
    assert msgbox[-1][0] == "critical"
    assert win.files.open_image(path)  # the app is still usable


def test_open_through_the_menu_action(win, image_file):
    path, img = image_file
    win.dialogs.paths["open_image"] = str(path)
    win.act_open.trigger()
    assert win.canvas.has_image()
    assert str(path.resolve()) == win.files.recent_files()[0]
    assert win.settings.value("paths/last_folder") == str(path.parent.resolve())


def test_denoise_with_estimated_noise_level(qtbot, win):
    rng = np.random.default_rng(1)
    clean = gradient_image(32, 32)
    noisy = np.clip(clean + 20 / 255 * rng.standard_normal(clean.shape), 0, 1).astype(np.float32)
    win.files.set_image(noisy)
    win.task_panel.set_task("denoise")
    qtbot.waitUntil(win.session.doc.noise_measured)   # measured in a thread as it opened: Estimate shows it
    s = win.noise.estimate()
    assert 12 < s < 30
    assert abs(win.task_panel.sigma.value() - round(s, 1)) < 0.11
    done = run_to_end(qtbot, win)
    assert done.image.shape == noisy.shape
    assert win.state() == "review"


def test_denoise_with_the_one_step_posterior_mean(qtbot, win):
    from dpm_studio.core.run.tasks import run_task

    rng = np.random.default_rng(2)
    noisy = np.clip(gradient_image(32, 32) + 20 / 255 * rng.standard_normal((32, 32, 3)), 0, 1).astype(np.float32)
    win.files.set_image(noisy)
    win.task_panel.set_task("denoise")
    win.task_panel.sigma.setValue(20)
    win.task_panel.method.setCurrentIndex(win.task_panel.method.findData("mmse"))
    assert win.task_panel.settings().method == "mmse"
    done = run_to_end(qtbot, win)
    assert win.state() == "review" and win.session.run["method"] == "mmse"
    # the same result the core gives for the same call: the 8-view one-step estimate
    expect = list(run_task(win.checkpoints.loaded, "denoise", noisy, sigma=20 / 255, method="mmse", ensemble=8))[-1].image
    np.testing.assert_allclose(done.image.astype(np.float32) / (255 if done.image.dtype == np.uint8 else 1),
                               expect, atol=1.5 / 255)


def test_sample_without_an_image_then_accept(qtbot, win):
    win.task_panel.set_task("sample")
    win.task_panel.width_spin.setValue(24)
    win.task_panel.height_spin.setValue(16)
    win.task_panel.steps.setValue(5)
    done = run_to_end(qtbot, win)
    assert done.image.shape == (16, 24, 3)
    assert win.runs.accept_result()
    assert win.canvas.image().shape == (16, 24, 3)
    assert win.canvas.mask().shape == (16, 24)


def test_inpaint_needs_a_mask(win):
    win.files.set_image(gradient_image())
    assert not win.runs.run()
    assert "Paint" in win.task_panel.hint.text()
    assert not win.runner.is_running()


def test_discard_and_compare(qtbot, win):
    img = gradient_image()
    win.files.set_image(img)
    paint_square(win)
    win.task_panel.steps.setValue(5)
    run_to_end(qtbot, win)
    result_u8 = win.canvas.shown().copy()
    # hold backslash: the original is shown, release: the result again
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.keyPress(win.canvas, Qt.Key_Backslash)
    assert win.canvas.showing_original()
    np.testing.assert_array_equal(win.canvas.image_item.image, imageio.to_uint8(img))
    QTest.keyRelease(win.canvas, Qt.Key_Backslash)
    assert not win.canvas.showing_original()
    np.testing.assert_array_equal(win.canvas.image_item.image, result_u8)
    win.act_split.setChecked(True)
    assert win.canvas.split() and win.canvas.original_item.isVisible()
    assert win.runs.discard_result()
    assert win.state() == "edit" and not win.canvas.split()
    np.testing.assert_array_equal(win.canvas.image(), img)
    np.testing.assert_array_equal(win.canvas.shown(), imageio.to_uint8(img))
    assert not win.has_unsaved()


def test_exports_mask_and_trajectory(qtbot, win, tmp_path):
    win.files.set_image(gradient_image())
    hole = paint_square(win)
    win.task_panel.steps.setValue(6)
    run_to_end(qtbot, win)
    assert win.files.export_mask(tmp_path / "mask.png")
    m = imageio.load_mask(tmp_path / "mask.png", (32, 32))
    np.testing.assert_array_equal(m > 0.5, hole)
    with qtbot.waitSignal(win.exporter.finished, timeout=60_000):  # written off the GUI thread
        assert win.exports.gif(tmp_path / "traj.gif")
    from PIL import Image

    with Image.open(tmp_path / "traj.gif") as g:
        assert g.n_frames >= 3
    with qtbot.waitSignal(win.exporter.finished, timeout=60_000):
        assert win.exports.frames(tmp_path / "frames")
    assert len(list((tmp_path / "frames").glob("frame_*.png"))) == len(win.session.trajectory)
    # load the mask back into a fresh image
    win.runs.discard_result()
    win.canvas.clear_mask()
    assert win.files.load_mask(tmp_path / "mask.png")
    np.testing.assert_array_equal(win.canvas.mask() > 0.5, hole)
    win.canvas.undo()
    assert win.canvas.mask().sum() == 0


def test_close_with_unsaved_result_asks(qtbot, win):
    win.files.set_image(gradient_image())
    paint_square(win)
    win.task_panel.steps.setValue(3)
    run_to_end(qtbot, win)
    win.dialogs.answers["unsaved"] = "cancel"
    assert not win.close()
    assert "unsaved" in win.dialogs.asked
    win.dialogs.answers["unsaved"] = "discard"
    assert win.close()


def test_settings_persist(make_window, qtbot):
    w1 = make_window("persist.ini")
    w1.task_panel.steps.setValue(17)
    w1.task_panel.seed.setValue(1234)
    w1.task_panel.set_task("denoise")
    w1.task_panel.variance.setCurrentIndex(w1.task_panel.variance.findData("large"))
    assert w1.checkpoints.select("tiny-grey")
    assert w1.close()
    w2 = make_window("persist.ini", checkpoint=None)
    assert w2.task_panel.steps.value() == 17
    assert w2.task_panel.seed.value() == 1234
    assert w2.task_panel.task() == "denoise"
    assert w2.task_panel.current_card()["name"] == "tiny-grey"
    assert w2.task_panel.variance.currentData() == "large"


def test_large_step_variance_run(qtbot, win):
    img = gradient_image()
    win.files.set_image(img)
    hole = paint_square(win)
    tp = win.task_panel
    tp.steps.setValue(4)
    tp.variance.setFocus()
    qtbot.keyClick(tp.variance, Qt.Key_Down)  # Learned -> Large, as a user would pick it
    assert tp.settings().variance == "large"
    run_to_end(qtbot, win)
    assert win.session.run["variance"] == "large"
    res = win.runs.result_image()
    np.testing.assert_array_equal(res[~hole], img[~hole])
    assert np.abs(res[hole] - img[hole]).mean() > 0.02


def test_grey_model_on_colour_image(qtbot, win):
    """A grey picture stored as RGB (a colour photo is refused: test_defects_restorer item 12)."""
    assert win.checkpoints.select("tiny-grey") and win.checkpoints.wait_loaded()
    img = np.repeat(gradient_image()[:, :, :1], 3, axis=2)
    win.files.set_image(img)
    hole = paint_square(win)
    win.task_panel.steps.setValue(4)
    run_to_end(qtbot, win)
    res = win.runs.result_image()
    assert res.shape == img.shape
    np.testing.assert_array_equal(res[~hole], img[~hole])


def test_paste_and_drop(qtbot, win, image_file):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    from dpm_studio.gui.dialogs import array_to_qimage

    img = gradient_image(20, 30)
    QApplication.clipboard().setImage(array_to_qimage(imageio.to_uint8(img)))
    assert win.files.paste()
    assert win.canvas.image().shape == (20, 30, 3)
    np.testing.assert_array_equal(imageio.to_uint8(win.canvas.image()), imageio.to_uint8(img))

    path, ref = image_file
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(path))])
    ev = QDropEvent(QPointF(50, 50), Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier)
    win.dropEvent(ev)
    qtbot.waitUntil(lambda: win.canvas.image_shape() == (32, 32), timeout=2000)
    np.testing.assert_array_equal(win.canvas.image(), ref)


def test_run_app_entry_point_exists():
    import inspect

    from dpm_studio.gui.app import run_app

    assert list(inspect.signature(run_app).parameters) == ["image_path"]
