"""The app's window comes before torch (issue 26: first window <= 2 s; docs/speed.md).

Importing torch is 0.8-1.1 s CPU; the window's modules do not import it, and ``run_app`` lists the
models (which imports it) in a thread once the window is shown. These tests fail when a module the
window imports brings torch back, or when the start-up lists the models before the window again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _child(code: str, tmp_path, ckpt_dir, timeout=120) -> str:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DPM_STUDIO_CHECKPOINTS=str(ckpt_dir),
               HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                       cwd=str(ROOT), timeout=timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_the_window_modules_do_not_import_torch(tmp_path, ckpt_dir):
    out = _child("""
        import sys
        from dpm_studio.gui import main_window, app  # noqa: F401
        from dpm_studio import imageio  # noqa: F401  (what File > Open reads with)
        from dpm_studio.core.run import jobs, requests, noise  # noqa: F401
        from dpm_studio.core.files import cardschema, decode  # noqa: F401
        print("TORCH", "torch" in sys.modules)
    """, tmp_path, ckpt_dir)
    assert "TORCH False" in out, out


def test_the_core_package_still_offers_its_names_and_builds_image_networks(tmp_path, ckpt_dir):
    """The core's names are imported on first use; a card's U-Net is found without importing nets_image first."""
    out = _child("""
        from dpm_studio.core.math.nets import build_net
        net = build_net({"type": "unet", "kwargs": {"channels": 3, "base": 8, "channel_mults": [1, 2], "T": 10}})
        from dpm_studio.core import GaussianDiffusion, make_schedule
        import dpm_studio.core as core
        print("BUILT", type(net).__name__, GaussianDiffusion.__name__, "make_schedule" in dir(core))
    """, tmp_path, ckpt_dir)
    assert "BUILT UNet GaussianDiffusion True" in out, out


def test_run_app_shows_the_window_before_torch_then_lists_the_models(tmp_path, ckpt_dir):
    out = _child("""
        import sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        from dpm_studio.gui import main_window
        from dpm_studio.gui.app import create_app, run_app

        app = create_app()
        shown = main_window.MainWindow.show

        def show(self):
            print("TORCH AT SHOW", "torch" in sys.modules, flush=True)
            print("HINT AT SHOW", self.task_panel.hint.text(), flush=True)
            shown(self)
            QTimer.singleShot(0, lambda: wait(self, 0))

        def wait(win, n):
            if (win.checkpoints.listing or win.checkpoints.loading()) and n < 600:   # listed, then loaded in a thread
                QTimer.singleShot(100, lambda: wait(win, n + 1))
                return
            print("LISTED", [c["name"] for c in win.task_panel.cards()], flush=True)
            print("LOADED", win.checkpoints.loaded is not None and win.checkpoints.loaded.name, flush=True)
            print("DEVICE", win.task_panel.device.currentData(), win.task_panel.devices_known, flush=True)
            print("HINT", win.task_panel.hint.text(), flush=True)
            import numpy as np   # File > Open's 144 MB arrays in small pages (gui/app.small_pages_for_arrays)
            print("HUGE PAGES", np._core.multiarray._get_madvise_hugepage(), flush=True)
            app.quit()

        main_window.MainWindow.show = show
        sys.exit(run_app())
    """, tmp_path, ckpt_dir)
    assert "TORCH AT SHOW False" in out, out
    assert "HINT AT SHOW Loading the models" in out, out
    listed = next(line for line in out.splitlines() if line.startswith("LISTED"))
    assert "'tiny-rgb'" in listed and "'tiny-grey'" in listed, out
    assert "LOADED False" not in out and "LOADED " in out, out
    assert "DEVICE cpu True" in out, out
    assert "Loading the models" not in out.split("HINT ", 2)[-1], out
    assert "HUGE PAGES False" in out, out


def test_a_saved_device_waits_for_the_devices_and_falls_back_to_the_cpu(qtbot):
    from dpm_studio.gui.task_panel import TaskPanel

    p = TaskPanel(devices=[])
    qtbot.addWidget(p)
    assert not p.devices_known and p.device.count() == 1
    p.expect_device("cuda:1")   # the saved choice, offered until the devices are known
    p.device.setCurrentIndex(p.device.findData("cuda:1"))
    assert p.settings().device == "cuda:1"
    note = p.set_devices([("CPU", "cpu"), ("CUDA 0: card", "cuda:0")])
    assert p.devices_known and p.settings().device == "cpu" and "cuda:1" in note
    p.device.setCurrentIndex(p.device.findData("cuda:0"))
    assert p.set_devices([("CPU", "cpu"), ("CUDA 0: card", "cuda:0")]) == "" and p.settings().device == "cuda:0"
    p.expect_device("cuda:3")   # known devices: nothing is added
    assert p.device.findData("cuda:3") < 0
