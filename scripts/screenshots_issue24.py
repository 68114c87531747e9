"""Screenshots of issue 24's fixes under a real X server (Xvfb + openbox), into docs/screenshots.

    Xvfb :57 -screen 0 1280x800x24 & DISPLAY=:57 openbox &
    DISPLAY=:57 python scripts/screenshots_issue24.py docs/screenshots

The window is 1280 x 700 with fresh settings (the plot dock closed, as a new user sees it).
The trajectory export is slowed to 0.15 s a frame so that its progress window is on screen
when the picture is taken.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main(out: Path):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QFileDialog, QToolTip

    from dpm_studio.gui.app import create_app

    app = create_app()
    from dpm_studio import imageio
    from dpm_studio.gui.model import frames
    from dpm_studio.gui.main_window import MainWindow

    tmp = Path(tempfile.mkdtemp())
    win = MainWindow(settings=QSettings(str(tmp / "s.ini"), QSettings.IniFormat))
    win.resize(1280, 700)
    win.move(0, 0)
    win.show()
    out.mkdir(parents=True, exist_ok=True)

    def spin(seconds):
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.01)

    def until(cond, timeout=600):
        end = time.perf_counter() + timeout
        while not cond():
            if time.perf_counter() > end:
                raise TimeoutError
            app.processEvents()
            time.sleep(0.02)

    def shot(name):
        spin(0.6)
        subprocess.run(["import", "-window", "root", str(out / name)], check=True)
        print("wrote", out / name, flush=True)

    def run():
        done = []
        win.runner.finished.connect(lambda f: done.append(f))
        assert win.run(), win.task_panel.hint.text()
        until(lambda: done)

    samples = Path(__file__).resolve().parents[1] / "resources" / "samples"
    rocket = samples / "rocket.jpg"
    spin(1.0)
    # 1: three samples, sample 3 chosen, its own path half way
    win.task_panel.set_task("sample")
    win.task_panel.width_spin.setValue(64)
    win.task_panel.height_spin.setValue(64)
    win.task_panel.steps_all.setChecked(False)
    win.task_panel.steps.setValue(20)
    win.task_panel.samples.setValue(3)
    run()
    win.result_bar.variant.setCurrentIndex(3)
    win.result_bar.slider.setValue(len(win._trajectory) * 4 // 5)
    shot("issue24-item1-sample3-own-trajectory.png")
    win.discard_result()
    # region denoise: a noisy photo, a masked region denoised, in review
    px = imageio.load_image(rocket).pixels
    rng = np.random.default_rng(0)
    noisy = np.clip(np.round((px + rng.normal(0, 25 / 255, px.shape)) * 255) / 255, 0, 1).astype(np.float32)
    win.task_panel.samples.setValue(1)
    win.set_image(noisy, name="rocket-noisy.png")
    m = np.zeros(noisy.shape[:2], np.float32)
    m[90:250, 170:370] = 1
    win.canvas.set_mask(m)
    win.mask_panel.feather.setValue(8)
    win.task_panel.set_task("denoise")
    run()
    shot("issue24-region-denoise.png")
    # 2: the trajectory export, off the GUI thread, with progress and Cancel
    win.discard_result()
    win.task_panel.set_task("inpaint")
    win.canvas.set_mask(np.zeros_like(m))
    m2 = np.zeros_like(m)
    m2[140:200, 230:300] = 1
    win.canvas.set_mask(m2)
    win.task_panel.steps.setValue(20)
    run()
    frame = frames.Trajectory.frame
    frames.Trajectory.frame = lambda self, *a, **k: (time.sleep(0.15), frame(self, *a, **k))[1]
    win.export_trajectory_gif(tmp / "t.gif")
    spin(1.5)
    shot("issue24-item2-export-progress.png")
    until(lambda: not win.exporter.is_running())
    frames.Trajectory.frame = frame
    win.accept_result()
    subprocess.run(["xdotool", "mousemove", "5", "790"], check=True)   # the pointer off the canvas
    # 5: a file dialog over the canvas
    def dialog_shot():
        shot("issue24-item5-file-dialog.png")
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QFileDialog) and w.isVisible():
                w.reject()
    from PySide6.QtCore import QTimer

    QTimer.singleShot(1500, dialog_shot)
    win.dialogs.open_image(str(samples))
    # 4: the model tooltip
    cb = win.task_panel.checkpoint
    cb.setToolTip(cb.itemData(cb.currentIndex(), 0x03))  # the tooltip the list shows for this model
    c = cb.mapToGlobal(cb.rect().center())
    subprocess.run(["xdotool", "mousemove", str(c.x()), str(c.y())], check=True)
    spin(2.5)
    shot("issue24-item4-model-tooltip.png")
    QToolTip.hideText()
    subprocess.run(["xdotool", "mousemove", "5", "790"], check=True)
    # 8: More settings open, Inpaint and Sample: the Run button stays put
    win.task_panel.more.setChecked(True)
    win.task_panel.set_task("inpaint")
    spin(0.5)
    y_inpaint = win.task_panel.run_button.mapTo(win, win.task_panel.run_button.rect().topLeft()).y()
    shot("issue24-item8-inpaint-more-settings.png")
    win.task_panel.set_task("sample")
    spin(0.5)
    y_sample = win.task_panel.run_button.mapTo(win, win.task_panel.run_button.rect().topLeft()).y()
    shot("issue24-item8-sample-more-settings.png")
    print(f"Run button y: inpaint {y_inpaint}, sample {y_sample}", flush=True)
    win.session.doc.dirty = False
    win.session.doc.runs.clear()
    win.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
