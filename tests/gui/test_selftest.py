"""``dpm-studio self-test``, File > Open Sample and the application icon."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from gui_helpers import gradient_image

from dpm_studio import imageio
from dpm_studio.paths import ICON_SIZES, sample_images

ROOT = Path(__file__).resolve().parents[2]


def _failed(summary):
    return [c for c in summary["checks"] if not c["pass"]]


def test_selftest_in_process_passes(qapp, tmp_path):
    from dpm_studio.gui.selftest import run_selftest

    summary = run_selftest(timeout_s=240, output_dir=tmp_path / "out")
    assert summary["ok"], _failed(summary)
    names = {c["name"] for c in summary["checks"]}
    assert {"sample_opened", "mask_painted", "inpaint_finished", "inpaint_known_pixels_kept",
            "inpaint_masked_pixels_changed", "inpaint_exported", "denoise_finished", "denoise_changed",
            "denoise_exported", "no_uncaught_exceptions", "task_defaults_shipped"} <= names
    assert summary["failed"] == 0 and summary["passed"] == len(summary["checks"])
    assert summary["paths"]["checkpoint"] == str(ROOT / "checkpoints" / "photos-rgb.json")
    out = Path(summary["paths"]["output_dir"])
    for name in ("inpaint.png", "denoise.png", "mask.png"):
        assert imageio.load_image(out / name).pixels.shape[:2] == (128, 128)
    json.dumps(summary)  # one JSON line


def test_selftest_fails_when_a_tasks_default_model_is_not_shipped(qapp, tmp_path, monkeypatch):
    from dpm_studio import paths
    from dpm_studio.gui.selftest import run_selftest

    monkeypatch.setitem(paths.DEFAULT_CHECKPOINTS, "denoise", "no-such-model")
    summary = run_selftest(timeout_s=0.001, output_dir=tmp_path / "out")
    failed = {c["name"]: c["detail"] for c in _failed(summary)}
    assert "task_defaults_shipped" in failed and "denoise: no-such-model" in failed["task_defaults_shipped"]


def test_selftest_reports_a_timeout_as_a_failed_check(qapp, tmp_path):
    from dpm_studio.gui.selftest import run_selftest

    summary = run_selftest(timeout_s=0.001, output_dir=tmp_path / "out")
    assert not summary["ok"]
    failed = {c["name"]: c["detail"] for c in _failed(summary)}
    assert "inpaint_finished" in failed and failed["inpaint_finished"].startswith("timeout")


def test_selftest_command_prints_one_json_line_and_exits_0(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    r = subprocess.run([sys.executable, "-m", "dpm_studio", "self-test", "--output-dir", str(tmp_path / "o")],
                       capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300)
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1, r.stdout + r.stderr
    summary = json.loads(lines[0])
    assert r.returncode == 0 and summary["ok"], (_failed(summary), r.stderr[-2000:])
    assert summary["qt_platform"] == "offscreen", "no display: forced offscreen before the QApplication"
    assert summary["versions"]["frozen"] is False
    assert set(summary["timings_s"]) >= {"inpaint", "denoise", "total"}


def test_open_sample_menu_lists_and_opens_the_samples(win):
    samples = sample_images()
    assert len(samples) >= 3
    actions = [a for a in win.sample_menu.actions() if a.data()]
    assert [a.text() for a in actions] == [p.name for p in samples]
    file_menu = win.menuBar().actions()[0].menu()
    assert win.sample_menu.menuAction() in file_menu.actions()
    win.settings.setValue("paths/last_folder", "/somewhere")
    recent = win.files.recent_files()
    brick = next(a for a in actions if a.text() == "brick-texture.png")
    brick.trigger()
    ref = imageio.load_image(brick.data())
    assert win.canvas.image_shape() == ref.pixels.shape[:2]
    np.testing.assert_array_equal(win.canvas.image(), ref.pixels)
    assert win.canvas.image().shape[2] == 1, "the brick texture is grey"
    assert "brick-texture.png" in win.windowTitle()
    assert win.files.last_folder() == "/somewhere" and win.files.recent_files() == recent, "the samples live inside the app"
    assert win.files.open_sample("flower-small.png")
    assert win.canvas.image_shape() == (128, 128)
    assert not win.files.open_sample("no-such-sample.png")


def test_open_sample_asks_about_an_unsaved_result(qtbot, win):
    img = gradient_image(32, 32)
    win.files.set_image(img)
    m = np.zeros((32, 32), np.float32)
    m[8:20, 8:20] = 1
    win.canvas.set_mask(m)
    win.task_panel.steps_all.setChecked(False)
    win.task_panel.steps.setValue(3)
    with qtbot.waitSignal(win.runner.finished, timeout=30_000):
        assert win.runs.run()
    assert win.state() == "review" and win.has_unsaved()
    win.dialogs.answers["unsaved"] = "cancel"
    assert not win.files.open_sample("flower-small.png")
    assert "unsaved" in win.dialogs.asked
    assert win.state() == "review" and win.canvas.image_shape() == (32, 32)
    win.dialogs.answers["unsaved"] = "discard"
    assert win.files.open_sample("flower-small.png")
    assert win.state() == "edit" and win.canvas.image_shape() == (128, 128)


def test_window_and_application_icon(win, qapp):
    from dpm_studio.gui.app import create_app
    from dpm_studio.gui.icons import app_icon
    from dpm_studio.paths import APP_ID

    icon = app_icon()
    assert not icon.isNull()
    assert sorted(s.width() for s in icon.availableSizes()) == sorted(ICON_SIZES)
    assert not win.windowIcon().isNull()
    app = create_app()
    assert not app.windowIcon().isNull()
    assert app.desktopFileName() == APP_ID
