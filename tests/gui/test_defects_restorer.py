"""Issue 24: the defects a new user found using the app as a restorer would.

Each test failed on the app before its fix (the item's number in its name)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
from PIL import Image

from dpm_studio import imageio
from gui_helpers import gradient_image

RUN_MS = 60_000


def _sample_three(qtbot, win, steps=8):
    win.task_panel.set_task("sample")
    win.task_panel.width_spin.setValue(16)
    win.task_panel.height_spin.setValue(16)
    win.task_panel.steps.setValue(steps)
    win.task_panel.samples.setValue(3)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    assert len(win.session.review.samples()) == 3


def _mse(a, b):
    return float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))


def test_item1_each_sample_has_its_own_trajectory_and_the_export_ends_on_it(qtbot, win, tmp_path):
    _sample_three(qtbot, win)
    tr, n = win.session.trajectory, len(win.session.trajectory)
    assert n >= 3
    samples_u8 = [imageio.to_uint8(s) for s in win.session.review.samples()]
    paths = {}
    for v in (1, 3):
        win.result_bar.variant.setCurrentIndex(v)   # "Sample v"
        path = []
        for k in range(n):
            win.result_bar.slider.setValue(k)
            path.append(win.canvas.shown().copy())
        paths[v] = path
        # the chain leads to this sample: its step before the end is nearest to it of the three
        near = [_mse(path[-2], s) for s in samples_u8]
        assert int(np.argmin(near)) == v - 1, near
        np.testing.assert_array_equal(path[-1], samples_u8[v - 1])
        folder = tmp_path / f"frames{v}"
        with qtbot.waitSignal(win.exporter.finished, timeout=RUN_MS):  # written off the GUI thread
            assert win.exports.frames(folder)
        files = sorted(folder.glob("*.png"))
        assert len(files) == n
        back = [np.asarray(Image.open(f).convert("RGB")) for f in files]
        np.testing.assert_array_equal(back[-1], samples_u8[v - 1], "the export ends on the chosen sample")
        for b, s in zip(back, path):
            np.testing.assert_array_equal(b, s)
    assert any(_mse(a, b) > 1 for a, b in zip(paths[1][:-1], paths[3][:-1])), "sample 3 shows its own path"


def test_item15_sampling_shows_sample_1_not_the_blur_of_the_mean(qtbot, win):
    _sample_three(qtbot, win, steps=4)
    assert win.result_bar.variant.currentIndex() == 1
    assert win.result_bar.variant.currentText() == "Sample 1"
    np.testing.assert_array_equal(win.canvas.shown(), imageio.to_uint8(win.session.review.samples()[0]))
    assert win.runs.accept_result()
    np.testing.assert_allclose(win.canvas.image(), win.session.doc.pixels)


def test_item16_exports_name_the_model_by_its_hash_not_its_path(qtbot, win, tmp_path, ckpt_dir):
    img = gradient_image(48, 48)
    win.files.set_image(img)
    win.task_panel.set_task("denoise")
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    out = tmp_path / "out.png"
    assert win.files.save_image(out)
    with Image.open(out) as im:
        text = im.text["dpm-studio"]
    run = json.loads(text)["runs"][-1]
    assert str(ckpt_dir) not in text and "checkpoint_file" not in run
    weights = Path(os.environ["DPM_STUDIO_CHECKPOINTS"]) / "tiny-rgb.safetensors"
    assert run["checkpoint"] == "tiny-rgb"
    assert run["checkpoint_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()


def test_item7_a_tiled_denoise_cancels_within_half_a_second(qtbot, win):
    """A tile of the posterior mean is eight network passes (one per view): Cancel must not wait for them."""
    import time

    loaded = win.checkpoints.model(win.task_panel.settings().checkpoint)
    calls = []
    forward = loaded.net.forward

    def slow(*a, **k):  # a pass as slow as a 256 x 256 tile of photos-rgb on a loaded machine
        calls.append(time.perf_counter())
        time.sleep(0.15)
        return forward(*a, **k)

    loaded.net.forward = slow
    try:
        win.files.set_image(gradient_image(300, 300))
        win.task_panel.set_task("denoise")
        assert win.runs.run()
        qtbot.waitUntil(lambda: len(calls) >= 2, timeout=RUN_MS)  # inside the first tile's views
        t0 = time.perf_counter()
        with qtbot.waitSignal(win.runner.aborted, timeout=RUN_MS):
            win.runs.cancel()
    finally:
        del loaded.net.forward
    # Counted in network passes, not timed (a wall-clock bound failed at load 10-16 on 2 cores):
    # after Cancel at most the one pass whose stop check came first may start; so a cancel
    # waits for at most the pass in flight plus that one (2 x 0.15 s here, under 0.5 s), where
    # it waited for the rest of the tile's views before.
    started_after = sum(c > t0 for c in calls)
    assert started_after <= 1, f"{started_after} network passes started after Cancel"
    assert win.state() == "edit" and len(calls) < 8, "it stopped inside the tile"


def _hole_run(qtbot, win, size=64, steps=10):
    img = gradient_image(size, size)
    win.files.set_image(img)
    mask = np.zeros((size, size), np.float32)
    mask[20:40, 20:40] = 1
    win.canvas.set_mask(mask)
    win.task_panel.steps.setValue(steps)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    return img


def test_item2_trajectory_export_runs_off_the_gui_thread_with_progress_and_cancel(qtbot, win, tmp_path,
                                                                                monkeypatch):
    import time

    from PySide6.QtCore import QTimer

    from dpm_studio.gui.model.frames import Trajectory

    _hole_run(qtbot, win)
    n = len(win.session.trajectory)
    assert n >= 8
    frame = Trajectory.frame

    import threading

    gui_thread = threading.get_ident()
    made = []   # (thread, start, end) of each frame composited

    def slow(self, *a, **k):  # a large image's frame takes a while to composite and convert
        t = time.perf_counter()
        time.sleep(0.08)
        out = frame(self, *a, **k)
        made.append((threading.get_ident(), t, time.perf_counter()))
        return out

    monkeypatch.setattr(Trajectory, "frame", slow)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(10)
    t0 = time.perf_counter()
    assert win.exports.frames(tmp_path / "frames")
    returned = time.perf_counter() - t0
    dlg = win.exporter.dialog
    assert dlg is not None and dlg.isVisible() and dlg.windowTitle() == "Exporting"
    values = []
    win.exporter.progressed.connect(lambda k, total: values.append((k, total)))
    with qtbot.waitSignal(win.exporter.finished, timeout=RUN_MS) as done:
        pass
    timer.stop()
    # What keeps the window painting, measured so that a loaded machine cannot fail it (a wall-clock
    # limit on the gaps between timer ticks did, at 0.25 s): no frame is made on the GUI thread, and the
    # GUI thread's event loop ran while they were made. On the GUI thread, the command would return
    # after all n frames (0.08 s each) and no tick would fall between the first frame and the last.
    assert len(made) >= n and not any(th == gui_thread for th, _, _ in made), "frames made on the GUI thread"
    first, last = min(a for _, a, _ in made), max(b for _, _, b in made)
    assert t0 + returned < last, "the command returns before the frames are written"
    during = [t for t in ticks if first < t < last]
    assert len(during) >= 2, f"the window's event loop ran {len(during)} times while {n} frames were made"
    assert done.args == [n] and values[-1] == (n, n) and len(values) >= n - 2
    assert len(list((tmp_path / "frames").glob("*.png"))) == n
    assert win.exporter.dialog is None and "Exported" in win.statusBar().currentMessage()
    # Cancel: the GIF stops after the current frame and leaves no file
    gif = tmp_path / "t.gif"
    assert win.exports.gif(gif)
    qtbot.waitUntil(lambda: win.exporter.done >= 2, timeout=RUN_MS)
    from PySide6.QtWidgets import QPushButton

    button = win.exporter.dialog.findChild(QPushButton)
    assert button.text() == "Cancel"
    with qtbot.waitSignal(win.exporter.aborted, timeout=2000):
        button.click()
    assert not gif.exists() and "cancelled" in win.statusBar().currentMessage()


def test_item2_trajectory_gifs_are_kept_small(tmp_path):
    from dpm_studio import imageio as io

    rng = np.random.default_rng(0)
    img = gradient_image(512, 512)
    frames = [np.clip(img * a + rng.normal(0, 0.4 * (1 - a), img.shape), 0, 1) for a in np.linspace(0, 1, 40)]
    path = io.save_gif(tmp_path / "t.gif", frames)
    with Image.open(path) as im:
        assert max(im.size) <= 384 and im.n_frames == 40
        im.seek(39)
        last = np.asarray(im.convert("RGB")).astype(int)
    small = np.asarray(Image.fromarray(imageio.to_uint8(img)).resize(im.size, Image.LANCZOS)).astype(int)
    assert np.abs(last - small).mean() < 8, "the result, held at the end, keeps its colours"
    # before: 512 x 512 and 12.4 MB for these frames (44 s to quantise on the loaded 2-core machine)
    assert path.stat().st_size < 7e6, f"{path.stat().st_size / 1e6:.1f} MB"


def test_item12_a_grey_model_on_a_colour_photo_says_so(qtbot, win):
    img = gradient_image(48, 48)
    assert np.ptp(img, axis=2).max() > 0.1, "a colour picture"
    win.files.set_image(img)
    mask = np.zeros((48, 48), np.float32)
    mask[16:32, 16:32] = 1
    win.canvas.set_mask(mask)
    assert win.checkpoints.select("tiny-grey", tasks=("inpaint", "denoise"))   # each task has its own model
    assert win.checkpoints.wait_loaded()
    assert not win.runs.run(), "inpainting a colour photo with a grey model fills colour noise: refused"
    assert not win.runner.is_running()
    hint = win.task_panel.hint.text()
    assert "grey model" in hint and "colour" in hint and "photos-rgb" in hint
    from dpm_studio.core.run.jobs import model_refusal
    from dpm_studio.gui.run_control import app_wording

    # the command line's and the API's sentence (core/run/jobs.model_refusal), not the app's own copy of the rule
    assert hint == app_wording(model_refusal(win.checkpoints.loaded, "inpaint", img))
    win.task_panel.set_hint("")
    win.checkpoints.loaded = None   # the model shown not loaded yet when Run is pressed: the run's own check says it
    assert not win.runs.run() and not win.runner.is_running()
    assert win.task_panel.hint.text() == hint
    win.task_panel.set_task("denoise")
    with qtbot.waitSignal(win.runner.stage, timeout=RUN_MS, check_params_cb=lambda s: s.job is not None):
        assert win.runs.run()   # the job is resolved in the run's thread: its notes come from there
    assert "grey model" in win.statusBar().currentMessage()
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        pass
    # a grey picture stored as RGB is fine for a grey model
    win.runs.discard_result()
    win.files.set_image(np.repeat(img[:, :, :1], 3, axis=2))
    win.canvas.set_mask(mask)
    win.task_panel.set_task("inpaint")
    assert win.task_panel.hint.text() == "" or "grey model" not in win.task_panel.hint.text()
    assert win.runs.run()
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        pass


def test_item17_dpm_studio_photo_opens_the_photo_in_the_app(monkeypatch, image_file, tmp_path, capsys):
    from dpm_studio.cli.main import main

    image_file = image_file[0]
    from dpm_studio.gui import app

    opened = []
    monkeypatch.setattr(app, "run_app", lambda image=None: opened.append(image) or 0)
    monkeypatch.setattr("dpm_studio.display.display_problem", lambda: "")
    assert main([str(image_file)]) == 0
    assert main(["gui", str(image_file)]) == 0, "gui stays"
    assert main([str(tmp_path / "not-yet.jpg")]) == 0, "the app says what is wrong with a missing photo"
    assert opened == [str(image_file), str(image_file), str(tmp_path / "not-yet.jpg")]
    assert main(["denoize", "x"]) == 2, "a mistyped command is still refused"
    assert "invalid choice" in capsys.readouterr().err



def test_item3_discard_keeps_the_view(qtbot, win):
    _hole_run(qtbot, win, size=96, steps=3)
    win.runs.discard_result()
    win.canvas.set_zoom(1.89)
    before = [list(r) for r in win.canvas.vb.viewRange()]
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    assert win.runs.discard_result()
    assert win.state() == "edit"
    np.testing.assert_allclose([list(r) for r in win.canvas.vb.viewRange()], before, atol=1e-6)
    assert win.zoom_label.text() == "189%"


def test_the_plot_dock_is_closed_by_default_one_key_opens_it_and_it_is_remembered(qtbot, make_window):
    from PySide6.QtCore import Qt

    win = make_window("fresh.ini")
    win.resize(1280, 700)
    qtbot.wait(50)
    assert win.plots.isHidden() and not win.act_plots.isChecked()
    closed_h = win.canvas.height()
    win.canvas.setFocus()
    qtbot.keyClick(win.canvas, Qt.Key_P)
    qtbot.waitUntil(lambda: win.plots.isVisible(), timeout=2000)
    assert win.act_plots.isChecked() and win.canvas.height() < closed_h
    assert "P" in [s.toString() for s in win.act_plots.shortcuts()]
    win.close()
    again = make_window("fresh.ini")
    assert again.plots.isVisible() and again.act_plots.isChecked(), "remembered open"
    again.act_plots.trigger()
    assert again.plots.isHidden()
    again.close()
    third = make_window("fresh.ini")
    assert third.plots.isHidden() and not third.act_plots.isChecked(), "remembered closed"


def test_denoise_a_region_limits_the_run_to_the_mask_with_the_feathered_seam(qtbot, win):
    rng = np.random.default_rng(1)
    clean = gradient_image(200, 240)
    noisy = np.clip(np.round((clean + rng.normal(0, 25 / 255, clean.shape)) * 255) / 255, 0, 1).astype(np.float32)
    win.files.set_image(noisy)
    mask = np.zeros((200, 240), np.float32)
    mask[60:120, 80:160] = 1
    win.canvas.set_mask(mask)
    win.mask_panel.feather.setValue(6)
    win.task_panel.set_task("denoise")
    # the sampled trajectory: the tiny untrained model's one-step mean gives the input back
    win.task_panel.method.setCurrentIndex(win.task_panel.method.findData("sample"))
    seen = []
    win.runner.frame.connect(lambda f: seen.append(f.box))
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        with qtbot.waitSignal(win.runner.stage, timeout=RUN_MS, check_params_cb=lambda s: s.job is not None):
            assert win.runs.run()
        assert "only the masked region" in win.statusBar().currentMessage()
    res = win.runs.result_image()
    w = win.canvas.effective_mask()
    assert 0 < w[60, 74] < 1, "a feathered edge"
    out = w == 0
    np.testing.assert_array_equal(res[out], noisy[out])  # outside the mask: the pixels as they were
    inside = w == 1
    assert np.abs(res[inside] - noisy[inside]).mean() > 0.01, "inside: denoised"
    edge = (w > 0) & (w < 1)
    # the seam: the feathered edge is the blend of the crop's result and the original, by its weight
    top, left, bottom, right = win.session.run["region_box"]
    assert "region" not in win.session.run, "region is the request's x, y, width, height: a mask gave none"
    assert top <= 60 - 32 and left <= 80 - 32 and bottom >= 120 + 32 and right >= 160 + 32, "with context"
    assert bottom - top < 200 and right - left < 240, "a crop, not the image"
    between = np.abs(res[edge] - noisy[edge]).mean()
    assert 0 < between < np.abs(res[inside] - noisy[inside]).mean()
    assert all(b is None or (b[0] >= top and b[1] >= left and b[2] <= bottom and b[3] <= right) for b in seen)
    assert win.runs.accept_result()
    np.testing.assert_array_equal(win.session.doc.pixels[out], noisy[out])


def test_item13_save_as_asks_before_it_accepts_a_result_under_review(qtbot, win, tmp_path):
    img = _hole_run(qtbot, win, size=48, steps=3)
    out = tmp_path / "r.png"
    win.dialogs.answers["confirm"] = False
    assert not win.files.save_image(out)
    assert not out.exists() and win.state() == "review" and "under review" in win.statusBar().currentMessage()
    np.testing.assert_array_equal(win.session.doc.pixels, img)
    assert "confirm" in win.dialogs.asked
    win.dialogs.answers["confirm"] = True
    assert win.files.save_image(out)
    assert out.exists() and win.state() == "edit"
    assert win.statusBar().currentMessage().startswith("Accepted the result and saved")


def test_item10_no_stale_text(qtbot, win):
    img = _hole_run(qtbot, win, size=48, steps=3)
    assert win.result_bar.step_label.text()
    assert win.runs.accept_result()
    assert win.statusBar().currentMessage().startswith("Result accepted")
    assert win.canvas.undo()
    assert "accepted" not in win.statusBar().currentMessage(), "Ctrl+Z took the accepted result back"
    win.plots.show()
    mask = np.zeros((48, 48), np.float32)
    mask[20:40, 20:40] = 1
    win.canvas.set_mask(mask)
    # This run must still be going when Cancel comes: with the first run's 3 fast steps it
    # could finish first (then 'aborted' never came; seen in CI), so every step and slow passes.
    import time

    loaded = win.checkpoints.model(win.task_panel.settings().checkpoint)
    forward = loaded.net.forward
    loaded.net.forward = lambda *a, **k: (time.sleep(0.05), forward(*a, **k))[1]
    win.task_panel.steps.setValue(win.task_panel.steps.maximum())
    try:
        assert win.runs.run()
        assert win.task_panel.progress.format() != "idle", "a run that has started is not idle"
        qtbot.waitUntil(lambda: win.result_bar.step_label.text() != "", timeout=RUN_MS)
        with qtbot.waitSignal(win.runner.aborted, timeout=RUN_MS):
            win.runs.cancel()
    finally:
        del loaded.net.forward
    win.files.set_image(gradient_image(40, 40, seed=3))   # another image
    assert win.result_bar.step_label.text() == "" and win.result_bar.slider.maximum() == 0
    assert win.task_panel.progress.format() == "idle"
    assert win.plots.trace.viewRange()[0][1] < 2, "no axes left from the last image's run"
    # a sample under review shows its own size, not the document's
    win.task_panel.set_task("sample")
    win.task_panel.width_spin.setValue(16)
    win.task_panel.height_spin.setValue(16)
    win.task_panel.steps.setValue(3)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    assert win.info_label.text().startswith("16\u00d716 sample")
    win.runs.discard_result()
    assert win.info_label.text().startswith("40\u00d740")


def test_item11_settings_that_do_not_apply_are_disabled(qtbot, win):
    tp = win.task_panel
    tp.more.setChecked(True)
    img = gradient_image(48, 48)
    win.files.set_image(img)
    mask = np.zeros((48, 48), np.float32)
    mask[10:30, 10:30] = 1
    win.canvas.set_mask(mask)
    tp.steps.setValue(30)
    assert tp.mode.isEnabled() and tp.jump_length.isEnabled()
    assert win.runs.run()
    assert not tp.mode.isEnabled() and not tp.jump_length.isEnabled() and not tp.jump_n.isEnabled(), \
        "Known pixels and Resample jumps are locked during a run"
    with qtbot.waitSignal(win.runner.aborted, timeout=RUN_MS):
        win.runs.cancel()
    assert tp.mode.isEnabled() and tp.jump_length.isEnabled()
    tp.set_task("denoise")
    tp.method.setCurrentIndex(tp.method.findData("mmse"))
    assert not tp.steps.isEnabled() and not tp.steps_all.isEnabled(), "the one-step posterior mean has no steps"
    assert not tp.seed.isEnabled(), "at Strength 1 on a colour image it draws nothing (test_one_way_table)"
    tp.noise_controls.strength.setValue(2.0)
    assert tp.seed.isEnabled(), "it draws from the seed (the top-up of a noise scale above 1)"
    tp.method.setCurrentIndex(tp.method.findData("sample"))
    assert tp.seed.isEnabled() and tp.steps_all.isEnabled()


def test_item9_the_brush_ring_goes_when_the_pointer_leaves_and_stays_gone(qtbot, win):
    from PySide6.QtCore import QEvent, QPoint, Qt
    from PySide6.QtWidgets import QApplication

    win.files.set_image(gradient_image(64, 64))
    c = win.canvas
    p = c.image_to_viewport(32.5, 32.5)
    m = np.zeros((64, 64), np.float32)
    m[20:30, 20:30] = 1
    c.set_mask(m)   # an edit, to undo later
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QMouseEvent

    q = QPointF(p + QPoint(3, 0))
    QApplication.sendEvent(c.viewport(), QMouseEvent(QEvent.MouseMove, q, c.viewport().mapToGlobal(q),
                                                     Qt.NoButton, Qt.NoButton, Qt.NoModifier))
    assert c.tools.ring.isVisible(), "the ring follows the pointer over the canvas"
    QApplication.sendEvent(c, QEvent(QEvent.Leave))
    assert not c.tools.ring.isVisible()
    assert c.undo()
    c.set_brush_size(c.brush_size() + 4)
    c.set_zoom(c.zoom() * 1.25)
    assert not c.tools.ring.isVisible(), "undo, a new brush size or a zoom did not bring it back"


def test_item4_model_tooltips_say_in_words_what_a_model_is(qtbot, win, monkeypatch, tmp_path):
    import re
    from pathlib import Path

    from PySide6.QtWidgets import QLabel

    from dpm_studio.core.files import checkpoint
    from dpm_studio.gui.model.models import card_label, card_tooltip

    root = Path(__file__).resolve().parents[2] / "checkpoints"
    for name in ("photos-rgb", "textures-gray", "digits-binary", "heartbeat", "swiss-roll"):
        card = checkpoint.read_card(root / f"{name}.json")
        card["path"] = card.pop("_path")
        tip = card_tooltip(card)
        text = re.sub("<[^>]+>", " ", tip)
        assert "{" not in text and "sha256" not in text.lower() and "[" not in text, "no raw dict dumps"
        assert "Trained on" in text and "log-likelihood of at least" in text and "held-out" in text
        assert "provenance" in text and str(card["path"]) in text, "where the full provenance is"
        label = QLabel(tip)
        label.setWordWrap(True)
        label.setFixedWidth(480)
        assert label.heightForWidth(480) < 330, f"{name}: the tooltip fits on a screen"
        assert card_label(card) != name and not card_label(card).startswith(name), "said in words"
    card = checkpoint.read_card(root / "photos-rgb.json")
    assert "17 photographs" in re.sub("<[^>]+>", " ", card_tooltip(card))


def _drag(qtbot, c, a, b, mods=None):
    from PySide6.QtCore import Qt

    mods = mods if mods is not None else Qt.NoModifier
    pa, pb = c.image_to_viewport(*a), c.image_to_viewport(*b)
    qtbot.mousePress(c.viewport(), Qt.LeftButton, mods, pa)
    qtbot.mouseMove(c.viewport(), pb)
    qtbot.mouseRelease(c.viewport(), Qt.LeftButton, mods, pb)


def test_item6_subtract_has_a_mode_button_and_ctrl_not_only_alt(qtbot, win):
    from PySide6.QtCore import Qt

    win.files.set_image(gradient_image(64, 64))
    c = win.canvas
    full = np.ones((64, 64), np.float32)
    c.set_mask(full)
    win.act_rect.trigger()
    _drag(qtbot, c, (10, 10), (20, 20), Qt.ControlModifier)
    assert c.mask()[15, 15] == 0 and c.mask()[40, 40] == 1, "Ctrl+drag subtracts"
    assert win.act_subtract.isCheckable() and "S" in [k.toString() for k in win.act_subtract.shortcuts()]
    assert win.act_subtract in win.tools_toolbar.actions(), "a visible mode button"
    win.act_subtract.trigger()
    _drag(qtbot, c, (30, 30), (40, 40))
    assert c.mask()[35, 35] == 0, "the mode subtracts without a modifier"
    win.act_subtract.trigger()
    _drag(qtbot, c, (10, 10), (20, 20))
    assert c.mask()[15, 15] == 1, "and adds again when it is off"


def test_item8_the_run_button_stays_put_when_the_task_changes(qtbot, win):
    tp = win.task_panel
    tp.more.setChecked(True)
    ys = {}
    for task in ("inpaint", "sample", "denoise", "inpaint"):
        tp.set_task(task)
        qtbot.wait(30)
        ys.setdefault(task, []).append(tp.run_button.mapTo(win, tp.run_button.rect().topLeft()).y())
    assert len({y for v in ys.values() for y in v}) == 1, ys
    tp.set_task("sample")
    assert not tp.mode.isEnabled() and not tp.jump_length.isEnabled(), "greyed: they apply to inpainting"


def test_item14_words_fit_and_agree_in_number(qtbot, win):
    img = _hole_run(qtbot, win, size=48, steps=3)
    assert win.runs.accept_result()
    text = win.unsaved_text()
    assert "1 run " in text and "run(s)" not in text
    win.task_panel.samples.setValue(3)
    mask = np.zeros((48, 48), np.float32)
    mask[10:30, 10:30] = 1
    win.canvas.set_mask(mask)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    combo = win.result_bar.variant
    fm = combo.fontMetrics()
    for i in range(combo.count() - 1):   # the mean and each sample (the spread's entry is a phrase)
        assert fm.horizontalAdvance(combo.itemText(i)) + 30 <= combo.width(), combo.itemText(i)
    assert combo.itemText(0) == "Mean of 3" and "posterior mean" in combo.toolTip()


def test_item8_no_layout_jump_when_a_run_of_several_samples_ends(qtbot, win):
    img = gradient_image(48, 48)
    win.files.set_image(img)
    mask = np.zeros((48, 48), np.float32)
    mask[10:30, 10:30] = 1
    win.canvas.set_mask(mask)
    win.task_panel.steps.setValue(3)
    win.task_panel.samples.setValue(3)
    qtbot.wait(50)
    before = (win.canvas.height(), win.result_bar.geometry().top())
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    qtbot.wait(50)
    assert win.result_bar.variant.isVisible()
    assert (win.canvas.height(), win.result_bar.geometry().top()) == before


def test_item14_evaluation_ticks_are_whole_numbers(qtbot, win):
    win.plots.show()
    win.plots.start_run(4)
    qtbot.wait(50)
    ax = win.plots.trace.getAxis("bottom")
    lo, hi = win.plots.trace.viewRange()[0]
    if ax._tickLevels:
        values = [v for v, _ in ax._tickLevels[0]]
    else:
        values = [v for _, vs in ax.tickValues(lo, hi, ax.width()) for v in vs]
    assert values and all(float(v).is_integer() for v in values), values


def test_item14_the_log_scale_label_does_not_sit_on_the_ticks(qtbot, win):
    win.plots.show()
    qtbot.wait(50)
    sched = win.plots.sched
    assert sched.getAxis("left").labelText == "", "no rotated label beside the tick labels"
    assert "log scale" in sched.titleLabel.text
