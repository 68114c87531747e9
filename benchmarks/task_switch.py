"""The GUI thread's time of a task switch (Inpaint <-> Denoise) with a 12 MP photo open; prints a table.

    QT_QPA_PLATFORM=offscreen python benchmarks/task_switch.py [--size 3000x4000] [--rounds 4] [--plots]

The shipped models (each task its own: photos-rgb inpaints, photos-rgb-v2 denoises), the photo (a wallpaper resized
to ``--size``, 8-bit) with a mask painted over a ninth of it, the plots dock hidden (as the app starts) or shown
(``--plots``). Each round switches to Denoise and back to Inpaint (task_panel.set_task, events processed), once with
the schedule curves of each model kept (gui/plots.schedule_curves, since mem15) and once made again at each switch
(the cache emptied first: what a switch did before), in turn. Columns: wall ms and the GUI thread's own CPU ms
(time.thread_time), medians over the rounds, after a first round that loads both models. One torch thread; report
the load beside the numbers.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from undo_memory import PHOTO, photo   # noqa: E402
from undo_time import medians_table   # noqa: E402


def photo_window(size: str, plots: bool = False):
    """(app, window): a shown window with the shipped models (torch on one thread) and a photo of ``size`` ("HxW",
    a wallpaper, 8-bit) with a mask over a ninth of it; the plots dock shown with ``plots``. Also
    benchmarks/switch_stall.py's."""
    import numpy as np
    import torch
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    torch.set_num_threads(1)
    os.environ.pop("DPM_STUDIO_CHECKPOINTS", None)   # the shipped models
    app = QApplication.instance() or QApplication([])
    from dpm_studio.gui.main_window import MainWindow
    from dpm_studio.imageio import from_uint8

    win = MainWindow(settings=QSettings(str(Path(tempfile.mkdtemp()) / "s.ini"), QSettings.IniFormat))
    win.resize(1100, 760)
    win.show()
    h, w = (int(v) for v in size.split("x"))
    win.files.set_image(from_uint8(photo(PHOTO, h, w)))
    mask = np.zeros((h, w), np.float32)
    mask[h // 3:2 * h // 3, w // 3:2 * w // 3] = 1
    win.canvas.set_mask(mask)
    if plots:
        win.plots.show()
    app.processEvents()
    return app, win


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="3000x4000")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--plots", action="store_true", help="the plots dock shown")
    args = ap.parse_args()
    app, win = photo_window(args.size, args.plots)
    from dpm_studio.gui import plots

    h, w = (int(v) for v in args.size.split("x"))
    tp = win.task_panel
    models = {}
    ways = {"made again": True, "kept": False}
    times = {(way, task): [] for way in ways for task in ("denoise", "inpaint")}
    for r in range(args.rounds + 1):
        for way, clear in ways.items():
            for loaded in () if clear or not r else models.values():   # each model's curves made, as after a switch
                plots.schedule_curves(loaded)
            for task in ("denoise", "inpaint"):
                if clear:
                    plots._CURVES.clear()
                t0, g0 = time.perf_counter(), time.thread_time()
                tp.set_task(task)
                app.processEvents()
                t1, g1 = time.perf_counter(), time.thread_time()
                win.checkpoints.wait_loaded(120)   # the first round's: in a thread (gui/checkpoints.py)
                models[task] = win.checkpoints.loaded
                if r:
                    times[way, task].append(((t1 - t0) * 1e3, (g1 - g0) * 1e3))
    dock = "shown" if args.plots else "hidden"
    names = {t: m.card.get("name") for t, m in models.items()}
    print(f"{h}x{w} 8-bit photo, a mask over a ninth, plots dock {dock}, models {names}, {args.rounds} rounds, "
          f"load {os.getloadavg()[0]:.1f}")
    medians_table("curves", ways, ("denoise", "inpaint"), times)
    win.runner.shutdown(5000)


if __name__ == "__main__":
    main()
