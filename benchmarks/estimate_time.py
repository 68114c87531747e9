"""The GUI thread's time of Run > Estimate Noise Level on a 12 MP photo; prints a table.

    QT_QPA_PLATFORM=offscreen python benchmarks/estimate_time.py [--size 3000x4000] [--rounds 2]

The photo (a wallpaper resized to ``--size``, 8-bit) is opened in a shown window and its level measured (the open's
thread, gui/model/session._Level); then Estimate as it was (estimate_noise_sigma of the pixels on the GUI thread, then
shown: the body before app16) and as it is (gui/noise_readout.NoiseReadout.estimate: the document's level) in turn,
events processed. Columns: wall ms and the GUI thread's own CPU ms (time.thread_time), each round; report the load.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from undo_time import photo_window   # noqa: E402  (its window and photo; benchmarks/ is the script's folder)


def main():
    args, app, win, h, w = photo_window(2)
    from dpm_studio.core.run.noise import estimate_noise_sigma

    while not win.session.doc.noise_measured():
        app.processEvents()
        time.sleep(0.05)
    app.processEvents()

    def measured_here():
        s = estimate_noise_sigma(win.session.doc.pixels) * 255.0
        win.task_panel.show_estimate(s)
        return s

    ways = {"measured again": measured_here, "the document's": win.noise.estimate}
    print(f"{Path(args.photo).name} at {h}x{w}, 8-bit, load {os.getloadavg()[0]:.1f}")
    print(f"{'estimate':16}{'ms':>8}{'GUI CPU ms':>12}{'sigma /255':>12}")
    for _ in range(args.rounds):
        for way, estimate in ways.items():
            t0, g0 = time.perf_counter(), time.thread_time()
            s = estimate()
            app.processEvents()
            print(f"{way:16}{(time.perf_counter() - t0) * 1e3:>8.0f}{(time.thread_time() - g0) * 1e3:>12.0f}{s:>12.2f}")
    win.runner.shutdown(5000)


if __name__ == "__main__":
    main()
