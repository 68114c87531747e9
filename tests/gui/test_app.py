"""The real entry point in a child process: start, open an image, run, close mid-run, exit cleanly."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from dpm_studio.gui.app import create_app, run_app

    app = create_app()
    state = {}

    class Answers:
        def __init__(self, win): self.win = win
        def confirm(self, title, text): return True
        def ask_unsaved(self, text, **_): return "discard"
        def error(self, title, text): print("ERROR DIALOG", text); sys.stdout.flush()

    def start():
        win = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "main-window")
        if win.checkpoints.listing or win.checkpoints.loading():  # listed once the window is shown, then loaded
            QTimer.singleShot(100, start)
            return
        win.dialogs = Answers(win)
        assert win.canvas.image_shape() == (48, 48), win.canvas.image_shape()
        m = np.zeros((48, 48), np.float32); m[10:30, 10:30] = 1
        win.canvas.set_mask(m)
        win.task_panel.steps_all.setChecked(True)
        win.runner.frame.connect(lambda f: win.close())  # close at the first frame (GUI-thread signal)
        assert win.runs.run(), win.task_panel.hint.text()
        state["thread"] = win.runner._thread
        print("RUNNING"); sys.stdout.flush()

    QTimer.singleShot(300, start)
    QTimer.singleShot(60000, app.quit)  # a safety net
    code = run_app(sys.argv[1])
    t = state.get("thread")
    print("EXIT", code, "thread finished:", t is None or t.isFinished())
""")


def test_run_app_opens_runs_and_closes_cleanly(tmp_path, ckpt_dir):
    from dpm_studio import imageio

    img = np.random.default_rng(0).random((48, 48, 3)).astype(np.float32)
    imageio.save_image(tmp_path / "in.png", img)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DPM_STUDIO_CHECKPOINTS=str(ckpt_dir),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "in.png")], capture_output=True, text=True,
                       env=env, cwd=str(ROOT), timeout=120)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "RUNNING" in r.stdout and "EXIT 0 thread finished: True" in r.stdout, out
    assert "Destroyed while thread" not in out
    assert "ERROR DIALOG" not in out
    assert "Traceback" not in out, out

