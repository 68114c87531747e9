"""The GUI thread's longest stall when a task switch shows a model not loaded yet; prints a table.

    QT_QPA_PLATFORM=offscreen python benchmarks/switch_stall.py [--size 1000x1500] [--rounds 3] [--tree DIR]

A shown window with the shipped models (each task its own: photos-rgb inpaints, photos-rgb-v2 denoises), a photo
(a wallpaper resized to ``--size``, 8-bit) with a mask over a ninth of it, the plots dock hidden (as the app starts).
Each round empties the model caches (the core's checkpoint cache, the plots' curves, the window's note of what it
loaded) and switches to Denoise, waits until its model is shown and ready, empties them again and switches back
to Inpaint: each switch is a first one, as the first switch to Denoise after the app starts. A 5 ms timer on the
GUI thread notes each tick from before the switch until 100 ms after the model is ready; the longest gap between
two ticks is the longest stall (what the user sees frozen: no repaint, no input). Columns, medians over the rounds
(least and most in brackets): the longest stall, the GUI thread's own CPU within it (time.thread_time: the rest is
waiting, for the GIL a loading thread holds or for a core of a loaded machine), the switch call's own wall time and
CPU, and the time until the model is ready. ``--tree``: import dpm_studio from another checkout (an export of main, to compare before and after the
model loads in a thread: gui/checkpoints.py). One torch thread; report the load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from task_switch import photo_window   # noqa: E402  (the same window; dpm_studio imported in it, from --tree)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1000x1500")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--tree", default=str(ROOT), help="the checkout whose dpm_studio is measured")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(args.tree).resolve()))
    from PySide6.QtCore import QEventLoop, QTimer

    app, win = photo_window(args.size)
    import dpm_studio
    from dpm_studio.core.files import checkpoint
    from dpm_studio.gui import plots

    h, w = (int(v) for v in args.size.split("x"))
    tp, ck = win.task_panel, win.checkpoints

    def ready() -> bool:
        card = tp.current_card()
        loading = ck.loading() if callable(getattr(ck, "loading", None)) else ""
        return not loading and ck.loaded is not None and card is not None and \
            Path(ck.loaded.path).resolve() == Path(card["path"]).resolve()

    def forget():
        checkpoint.clear_cache()
        plots._CURVES.clear()

    def switch(task: str) -> tuple[float, float, float]:
        """(longest stall, the GUI thread's CPU in it, the set_task call, its CPU, until ready) in ms."""
        ticks, marks, loop = [], {}, QEventLoop()
        timer = QTimer()
        timer.setInterval(5)

        def tick():
            now = time.perf_counter()
            ticks.append((now, time.thread_time()))
            if "call" in marks and "ready" not in marks and ready():
                marks["ready"] = now
            if "ready" in marks and now - marks["ready"] > 0.1:
                loop.quit()
            if "call" in marks and now - marks["call"][0] > 60:
                loop.quit()

        def go():
            t0, c0 = time.perf_counter(), time.thread_time()
            tp.set_task(task)
            marks["call"] = (t0, time.perf_counter(), time.thread_time() - c0)
            if ready():
                marks["ready"] = marks["call"][1]

        timer.timeout.connect(tick)
        timer.start()
        QTimer.singleShot(50, go)
        loop.exec()
        timer.stop()
        t0, t1, cpu = marks["call"]
        around = [t for t in ticks if t[0] >= t0 - 0.01]
        wall, own = max((b[0] - a[0], b[1] - a[1]) for a, b in zip(around, around[1:]))
        return wall * 1e3, own * 1e3, (t1 - t0) * 1e3, cpu * 1e3, (marks.get("ready", float("nan")) - t0) * 1e3

    tp.set_task("inpaint")
    ck.wait_loaded(120) if hasattr(ck, "wait_loaded") else None
    rows = {t: [] for t in ("denoise", "inpaint")}
    for _ in range(args.rounds):
        for task in ("denoise", "inpaint"):
            forget()
            rows[task].append(switch(task))
    tree = Path(dpm_studio.__file__).resolve().parents[1]
    print(f"dpm_studio from {tree}; {h}x{w} photo, a mask over a ninth, plots dock hidden, {args.rounds} rounds, "
          f"each switch a model's first load; load {os.getloadavg()[0]:.1f}")
    print(f"{'switch to':10}" + "".join(f"{h:>20}" for h in ("longest stall ms", "its GUI CPU ms", "set_task ms",
                                                           "set_task CPU ms", "ready after ms")))
    for task, r in rows.items():
        cols = []
        for c in zip(*r):
            cols.append(f"{statistics.median(c):.0f} ({min(c):.0f}-{max(c):.0f})")
        print(f"{task:10}" + "".join(f"{c:>20}" for c in cols))
    win.runner.shutdown(5000)


if __name__ == "__main__":
    main()
