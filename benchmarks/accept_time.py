"""The time an Accept holds the GUI thread on a 12 MP photo with the plots dock open; prints a table.

    QT_QPA_PLATFORM=offscreen python benchmarks/accept_time.py [--repeat 3] [--size 3000x4000] [--tree DIR]
        [--review SECONDS]

An Accept (``session.accept``, what Result > Accept calls) replaces the document's pixels; with the
plots dock open the noise readout re-fits the noise curve (core/run/noise_level.fit_noise_level on
a quarter-megapixel grid). Columns: the Accept call itself (everything it runs on the GUI thread
before it returns, ms, the CPU time of this process over it, which a loaded machine moves less, its threads'
included, and the GUI thread's own CPU time, which a loaded machine moves least); until
the new curve is fitted and drawn (events processed, ms); the fit alone (ms). One torch thread, as the
tests; report the machine's load beside the numbers. ``--tree``: the dpm_studio of another checkout (an
older commit's worktree), run by this same script, to compare old and new code turn about. ``--review S``: each
result is first under review for S seconds, as after a run, and Result > Accept is timed (since appundo the
review makes the Accept's rounding, noise level and picture in a thread: docs/undo.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "gui"))


def window_and_args():
    """The command line (--repeat, --size, --tree) and a shown window with a tiny model (made here), one torch
    thread: (args, app, window, height, width). Also benchmarks/plots_open.py's."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--size", default="3000x4000")
    ap.add_argument("--tree", default=None, help="import dpm_studio from this checkout instead")
    ap.add_argument("--review", type=float, default=None,
                    help="put each result under review for this many seconds (events processed) and time Result > "
                         "Accept (win.runs.accept_result), as a user does; default: session.accept on its own")
    args = ap.parse_args()
    if args.tree:
        sys.path.insert(0, str(Path(args.tree).resolve()))
    h, w = (int(v) for v in args.size.split("x"))
    app, win = window()
    return args, app, win, h, w


def window():
    """A shown window (1100 x 760) with a tiny model made here, one torch thread: (app, window). Also
    benchmarks/undo_time.py's."""
    import torch
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui_helpers import make_checkpoint

    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication([])
    tmp = Path(tempfile.mkdtemp())
    make_checkpoint(tmp, "tiny-rgb", 3)
    os.environ["DPM_STUDIO_CHECKPOINTS"] = str(tmp)
    from dpm_studio.gui.main_window import MainWindow

    win = MainWindow(settings=QSettings(str(tmp / "s.ini"), QSettings.IniFormat))
    win.resize(1100, 760)
    win.show()
    return app, win


def main():
    args, app, win, h, w = window_and_args()
    import numpy as np

    from dpm_studio.core.run.noise_level import fit_noise_level

    win.plots.show()
    rng = np.random.default_rng(0)
    base = np.clip(np.linspace(0, 1, w, dtype=np.float32)[None, :, None] * np.ones((h, 1, 3), np.float32)
                   + rng.normal(0, 0.08, (h, w, 3)).astype(np.float32), 0, 1)
    win.files.set_image(base)
    app.processEvents()
    rows = []
    for i in range(args.repeat):
        res = np.clip(base + rng.normal(0, 0.02, base.shape).astype(np.float32), 0, 1)
        if args.review is not None:   # the result under review first, as after a run (the frame it ends with)
            from types import SimpleNamespace

            win.session.start_run({"task": "denoise", "seed": i})
            win.session.finish_run(SimpleNamespace(image=res, samples=None, elapsed=0.1, trajectory=None))
            end = time.perf_counter() + args.review
            while time.perf_counter() < end:
                app.processEvents()
                time.sleep(0.005)
        t0, c0, g0 = time.perf_counter(), time.process_time(), time.thread_time()
        if args.review is not None:
            assert win.runs.accept_result()
        else:
            win.session.accept(res, {"task": "denoise"})
        t1, c1, g1 = time.perf_counter(), time.process_time(), time.thread_time()
        accepting = getattr(win.session, "accepting", None)   # since acc17 the Accept is done once measured
        while accepting is not None and accepting():
            app.processEvents()
            time.sleep(0.001)
        timer = getattr(win.noise, "fit_timer", None)   # since appfix3 the fit waits for the event loop,
        fitting = getattr(win.noise, "fitting", None)    # since appfix4 it runs in a thread
        while (fitting() if fitting is not None else timer is not None and timer.isActive()):
            app.processEvents()
            time.sleep(0.001)   # not spinning: the fit's thread needs the interpreter too
        assert win.noise.fit is not None
        t2 = time.perf_counter()
        f0 = time.perf_counter()
        fit_noise_level(win.session.doc.pixels[:, :, :3], max_pixels=256 * 256 * 4)
        rows.append(((t1 - t0) * 1e3, (c1 - c0) * 1e3, (g1 - g0) * 1e3, (t2 - t0) * 1e3, (time.perf_counter() - f0) * 1e3))
    import dpm_studio
    how = "session.accept" if args.review is None else f"Result > Accept after {args.review:g} s of review"
    print(f"{how}: {h}x{w} RGB, plots dock open, load {os.getloadavg()[0]:.1f}, {Path(dpm_studio.__file__).parents[1]}")
    widths = (16, 10, 14, 17, 14)
    print(f"{'':8}{'Accept call ms':>16}{'CPU ms':>10}{'GUI CPU ms':>14}{'until fitted ms':>17}{'fit alone ms':>14}")
    for i, r in enumerate(rows):
        print(f"{i + 1:<8}" + "".join(f"{v:>{n}.0f}" for v, n in zip(r, widths)))
    print(f"{'median':<8}" + "".join(f"{statistics.median(c):>{n}.0f}" for c, n in zip(zip(*rows), widths)))
    win.runner.shutdown(5000)


if __name__ == "__main__":
    main()
