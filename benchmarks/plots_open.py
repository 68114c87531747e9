"""The window while the plots dock is opened on a 12 MP photo (its noise curve not fitted yet); prints a table.

    QT_QPA_PLATFORM=offscreen python benchmarks/plots_open.py [--repeat 3] [--size 3000x4000] [--tree DIR]

The dock starts closed and the curve is fitted when it is opened (gui/noise_readout.py). A 10 ms QTimer ticks
in the GUI thread while a timer opens the dock: the worst gap between the ticks from 50 ms before the opening
until the curve is drawn (how long the window stalled, ms), the opening's own time (``show()``, ms) and the
time until the curve is drawn (ms). ``--tree``: the dpm_studio of another checkout (an older commit's
worktree), run by this same script, to compare old and new code turn about. One torch thread, as the tests;
report the machine's load beside the numbers.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from accept_time import window_and_args   # the same command line and window (benchmarks/ is the script's folder)


def one_open(app, win, pixels, fitted=False):
    """(worst gap, the opening's own time, until drawn), ms. ``fitted``: the dock reopened on the same
    document, its curve fitted already (the machine's own gaps: nothing to fit)."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer

    win.plots.hide()
    if not fitted:
        win.files.set_image(pixels)   # a new document: its curve not fitted
    app.processEvents()
    gaps, clock, probe, loop, at = [], QElapsedTimer(), QTimer(), QEventLoop(), {}
    probe.setInterval(10)
    probe.setTimerType(Qt.PreciseTimer)
    probe.timeout.connect(lambda: gaps.append((time.perf_counter(), clock.restart())))

    def _open():
        at["open"] = time.perf_counter()
        win.plots.show()
        at["shown"] = time.perf_counter()

    def _check():
        if "open" in at and win.noise.fit is not None and "drawn" not in at:
            at["drawn"] = time.perf_counter() if not fitted else at["open"] + 0.3   # reopened: 300 ms watched
            QTimer.singleShot(50 if not fitted else 350, loop.quit)

    poll = QTimer()
    poll.setInterval(1)
    poll.timeout.connect(_check)
    clock.start()
    probe.start()
    poll.start()
    QTimer.singleShot(200, _open)
    QTimer.singleShot(10_000, loop.quit)
    loop.exec()
    probe.stop()
    poll.stop()
    start, end = at["open"] - 0.05, at.get("drawn", time.perf_counter())
    worst = max(g for t, g in gaps if t >= start and t - g / 1e3 <= end)   # the gaps overlapping that time
    return worst, (at["shown"] - at["open"]) * 1e3, (end - at["open"]) * 1e3


def main():
    args, app, win, h, w = window_and_args()
    import numpy as np

    import dpm_studio

    rng = np.random.default_rng(0)
    base = np.linspace(0, 1, w, dtype=np.float32)[None, :, None] * np.ones((h, 1, 3), np.float32)
    pixels = np.round(np.clip(base + rng.normal(0, 0.05, base.shape).astype(np.float32), 0, 1) * 255) / np.float32(255)
    rows, idle = [], []
    for _ in range(args.repeat):
        rows.append(one_open(app, win, pixels))
        idle.append(one_open(app, win, pixels, fitted=True)[0])
    print(f"{h}x{w} RGB, plots dock opened, load {os.getloadavg()[0]:.1f}, {Path(dpm_studio.__file__).parents[1]}")
    widths = (16, 12, 15, 22)
    print(f"{'':8}{'worst gap ms':>16}{'show() ms':>12}{'until drawn ms':>15}{'reopened: worst gap':>22}")
    for i, r in enumerate(rows):
        print(f"{i + 1:<8}" + "".join(f"{v:>{n}.0f}" for v, n in zip(r + (idle[i],), widths)))
    cols = list(zip(*rows)) + [idle]
    print(f"{'median':<8}" + "".join(f"{statistics.median(c):>{n}.0f}" for c, n in zip(cols, widths)))
    win.runner.shutdown(5000)


if __name__ == "__main__":
    main()
