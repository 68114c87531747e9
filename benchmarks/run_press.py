"""The window while a run on a large photo starts: what pressing Run costs the event loop, and Cancel's latency
during the run's first measurements (a denoise's noise fit, an inpainting's grain fit). Prints a table.

    QT_QPA_PLATFORM=offscreen python benchmarks/run_press.py [--runs 3] [--height 3000 --width 4000]
        [--cancel-after 300]

For each task (a denoise with the default noise model, auto: the fitted noise law; an inpainting of a
300 x 200 hole with grain matched, the app's defaults), a 10 ms QTimer ticks in the GUI thread while a
timer presses Run (``runs.run``, the Run button's action) on a noisy 8-bit photo of --height x --width px
(12 MP by default). Measured:

1. the worst gap between the ticks from 50 ms before Run is pressed until the run's first network frame
   reaches the window (or 8 s): how long the window froze (ms);
2. Run pressed again, then Cancel (``runs.cancel``) --cancel-after ms later, while the run still measures
   the photo: the time from the intended Cancel until the run has ended and said so (``aborted``), ms,
   and the worst gap meanwhile.

Uses a tiny untrained model (made here): only the start of a run is measured. Report the machine's load
beside the numbers (docs/speed.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from responsiveness import _window  # noqa: E402  (the same window and tiny model)


def _photo(h, w):
    import numpy as np

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([xx / w, 0.3 + 0.5 * yy / h, 0.5 + 0.3 * np.sin(xx / 97 + yy / 131)], axis=2)
    noisy = base * 255 + rng.normal(0, 12, base.shape).astype(np.float32) * np.sqrt(0.2 + base)
    return np.clip(np.round(noisy), 0, 255).astype(np.uint8)


def _prepare(win, task, photo):
    import numpy as np

    win.files.set_image(photo.astype(np.float32) / 255)
    win.task_panel.set_task(task)
    if task == "inpaint":
        h, w = photo.shape[:2]
        mask = np.zeros((h, w), np.float32)
        mask[h // 2:h // 2 + 200, w // 2:w // 2 + 300] = 1
        win.canvas.set_mask(mask)
        win.task_panel.grain.setChecked(True)
    else:
        win.canvas.clear_mask()
        win.task_panel.noise_controls.set_noise("auto")


def one_press(win, task, photo, cancel_after_ms=None):
    """(worst gap, ms; cancel latency, ms, or None; Run's own time, ms)."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    _prepare(win, task, photo)
    gaps, clock, probe, loop, at = [], QElapsedTimer(), QTimer(), QEventLoop(), {}
    probe.setInterval(10)
    probe.setTimerType(Qt.PreciseTimer)
    probe.timeout.connect(lambda: gaps.append(clock.restart()))

    def _press():
        at["run"] = time.perf_counter()
        if not win.runs.run():
            raise SystemExit(f"the window refused the {task} run: {win.task_panel.hint.text()}")
        at["returned"] = time.perf_counter()
        if cancel_after_ms is not None:
            QTimer.singleShot(max(0, int(cancel_after_ms - (time.perf_counter() - at["run"]) * 1000)), _cancel)

    def _cancel():
        at["cancel"] = time.perf_counter()
        win.runs.cancel()

    def _frame(_f):
        if cancel_after_ms is None and "frame" not in at:
            at["frame"] = time.perf_counter()
            win.runs.cancel()

    def _end(*_a):
        at["end"] = time.perf_counter()
        loop.quit()

    win.runner.frame.connect(_frame)
    for sig in (win.runner.finished, win.runner.aborted, win.runner.errored):
        sig.connect(_end)
    stop = QTimer()
    stop.setSingleShot(True)
    stop.timeout.connect(lambda: win.runs.cancel())
    stop.start(8000 + (0 if cancel_after_ms is None else cancel_after_ms))
    clock.start()
    probe.start()
    QTimer.singleShot(50, _press)
    loop.exec()
    probe.stop()
    for sig in (win.runner.frame, win.runner.finished, win.runner.aborted, win.runner.errored):
        sig.disconnect()
    latency = None
    if cancel_after_ms is not None:
        latency = (at["end"] - (at["run"] + cancel_after_ms / 1000)) * 1000
    if win.session.state == "review":
        win.runs.discard_result()
    return max(gaps[1:] or [0]), latency, (at["returned"] - at["run"]) * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--height", type=int, default=3000)
    ap.add_argument("--width", type=int, default=4000)
    ap.add_argument("--cancel-after", type=int, default=300)
    args = ap.parse_args()
    app, win = _window("tiny-rgb")
    photo = _photo(args.height, args.width)
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}, {os.cpu_count()} CPUs, "
          f"{args.width} x {args.height} px ({args.width * args.height / 1e6:.0f} MP)")
    print("| task | runs | Run's own time, ms | worst event-loop gap until the first frame, ms | "
          f"Cancel {args.cancel_after} ms after Run until stopped, ms | worst gap meanwhile, ms |")
    print("|---|---|---|---|---|---|")
    for task in ("denoise", "inpaint"):
        press = [one_press(win, task, photo) for _ in range(args.runs)]
        canc = [one_press(win, task, photo, args.cancel_after) for _ in range(args.runs)]
        med = statistics.median
        print(f"| {task} | {args.runs} | {med(p[2] for p in press):.0f} | {max(p[0] for p in press):.0f} "
              f"(per run: {', '.join(f'{p[0]:.0f}' for p in press)}) | {med(c[1] for c in canc):.0f} "
              f"(worst {max(c[1] for c in canc):.0f}) | {max(c[0] for c in canc):.0f} |")
    win.runner.shutdown(5000)
    win.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
