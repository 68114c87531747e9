"""The GUI thread's time of Edit > Undo and Edit > Redo of an Accept into a 12 MP 8-bit photo; prints a table.

    QT_QPA_PLATFORM=offscreen python benchmarks/undo_time.py [--size 3000x4000] [--rounds 6]
        [--photo /work/data/wallpapers/X.jpg]

The photo (a wallpaper, resized to ``--size``) is opened as an 8-bit picture in a shown window with a tiny model,
one result (the photo plus a little noise, rounded to the file's steps as Accept does) is accepted and its step
packed (gui/model/history.py: uint8 codes); then undo and redo are triggered through their actions, events
processed, in turn with the step's codes shown as the picture (History.picture, since mem15) and with the picture
made anew from the pixels (History.picture answering None: what undo did before), A B A B, one round each
after a warm-up round (the first redo switches the task panel to the run's task). Columns: wall ms and the GUI
thread's own CPU ms (time.thread_time, which a loaded machine moves least), medians over the rounds; each
picture shown is checked against to_uint8 of the pixels, to the bit. One torch thread; report the load.

``--quick``: each round accepts a new result through a review, as Result > Accept does (its codes made in the
review's thread), waits for the step's packing, then undoes and at once redoes it (a redo within a second of its
undo, while the undo's own packing would still run). Run it from two checkouts in turn to compare them.

``--at-once``: each round a run of ``--run`` seconds (start_run, events processed, finish_run with a new result),
its result under review for ``--review`` seconds, Result > Accept, then at once Edit > Undo (an undo within a second
of its Accept, while the step's before side would still be packed), with the document packed for the step in a
thread from the run's start (measures.Packed, since app17) and without (Packed answering None: the old array packed
after the Accept, as before), A B A B. Columns: Accept (the call, which returns before its measure is made), Accept
done (from the call until the Accept is done and Undo can be used: the undo is triggered then) and undo, wall and GUI CPU
ms, medians; each undo is checked to have undone the Accept and shown its picture to the bit.
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "gui"))
from accept_time import window   # noqa: E402  (the same window; benchmarks/ is the script's folder)
from undo_memory import PHOTO, photo   # noqa: E402


def photo_window(rounds: int, *more):
    """The command line (--size, --rounds, --photo, and ``more``: (flag, add_argument's keywords) pairs) and a shown
    window with the photo open as an 8-bit picture: (args, app, window, height, width). Also
    benchmarks/estimate_time.py's."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="3000x4000")
    ap.add_argument("--rounds", type=int, default=rounds)
    ap.add_argument("--photo", default=PHOTO)
    for flag, kwargs in more:
        ap.add_argument(flag, **kwargs)
    args = ap.parse_args()
    from dpm_studio.imageio import from_uint8

    h, w = (int(v) for v in args.size.split("x"))
    app, win = window()
    win.files.set_image(from_uint8(photo(args.photo, h, w)))
    app.processEvents()
    return args, app, win, h, w


def main():
    args, app, win, h, w = photo_window(6, ("--quick", {"action": "store_true",
                                                       "help": "a new Accept each round, the redo at once after the undo"}),
                                        ("--at-once", {"action": "store_true",
                                                       "help": "a new Accept each round, the undo at once after it"}),
                                        ("--review", {"type": float, "default": 2.0,
                                                      "help": "--at-once: seconds each result is under review"}),
                                        ("--run", {"type": float, "default": 2.0,
                                                   "help": "--at-once: seconds each run takes"}))
    if args.at_once:
        return undo_at_once(args, app, win, w)
    import numpy as np

    from dpm_studio.gui.model.history import History
    from dpm_studio.imageio import to_uint8

    s = win.session
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 2 / 255, (1, w, 3)).astype(np.float32)
    if not args.quick:
        s.accept(s.doc.pixels + noise, {"task": "denoise", "seed": 1})
    s.history.settle()
    app.processEvents()
    real = History.picture
    ways = {"made anew": lambda self, edit: None, "step's codes": real}
    times = {(way, act): [] for way in ways for act in ("undo", "redo")}
    for r in range(args.rounds + 1):
        for way, picture in ways.items():
            History.picture = picture
            if args.quick:   # a new result accepted through its review; its step packed, as a second later
                review_and_accept(app, win, s.doc.pixels + rng.normal(0, 2 / 255, (1, w, 3)).astype(np.float32), r)
            for name, act in (("undo", win.act_undo), ("redo", win.act_redo)):
                t0, g0 = time.perf_counter(), time.thread_time()
                act.trigger()
                app.processEvents()
                t1, g1 = time.perf_counter(), time.thread_time()
                if not args.quick:
                    s.history.settle()   # the step's other side packed (it is, a second after an undo)
                if not args.quick or name == "redo":   # quick: nothing between the undo and the redo
                    assert win.canvas.base_u8().tobytes() == to_uint8(s.doc.pixels).tobytes()
                if r:
                    times[way, name].append(((t1 - t0) * 1e3, (g1 - g0) * 1e3))
    History.picture = real
    print(f"{Path(args.photo).name} at {h}x{w}, 8-bit, {args.rounds} rounds, load {os.getloadavg()[0]:.1f}")
    medians_table("picture", ways, ("undo", "redo"), times)
    win.runner.shutdown(5000)


def undo_at_once(args, app, win, w):
    """--at-once: Accept after a run and a review, then Edit > Undo at once; the before side packed from the run's
    start and after the Accept, in turn."""
    import numpy as np
    from types import SimpleNamespace

    from dpm_studio.gui.model import measures
    from dpm_studio.imageio import to_uint8

    s, rng = win.session, np.random.default_rng(0)
    real = measures.Packed.codes
    ways = {"after Accept": lambda self, pixels: None, "from the run": real}
    acts = ("Accept", "Accept done", "undo")
    times = {(way, act): [] for way in ways for act in acts}
    for r in range(args.rounds + 1):
        for way, codes in ways.items():
            measures.Packed.codes = codes
            s.start_run({"task": "denoise", "seed": r})
            wait(app, args.run)   # the run
            s.finish_run(SimpleNamespace(image=s.doc.pixels + rng.normal(0, 2 / 255, (1, w, 3)).astype(np.float32),
                                         samples=None, elapsed=0.1, trajectory=[0]))
            wait(app, args.review)   # the user looks at the result
            for name, act in (("Accept", win.runs.accept_result), ("undo", win.act_undo.trigger)):
                t0, g0 = time.perf_counter(), time.thread_time()
                act()
                app.processEvents()
                t1, g1 = time.perf_counter(), time.thread_time()
                if r:
                    times[way, name].append(((t1 - t0) * 1e3, (g1 - g0) * 1e3))
                while s.accepting():   # since 9a1789c an Accept waits for its measure after it returns (Undo is greyed)
                    app.processEvents()
                    time.sleep(0.001)
                if r and name == "Accept":   # from the Accept until it is done and Undo can be used
                    done = ((time.perf_counter() - t0) * 1e3, (time.thread_time() - g0) * 1e3)
                    times[way, "Accept done"].append(done)
            assert s.history.can_redo(), "the undo did nothing"
            assert win.canvas.base_u8().tobytes() == to_uint8(s.doc.pixels).tobytes()
            s.history.settle()
    measures.Packed.codes = real
    print(f"{Path(args.photo).name} at {args.size}, 8-bit, {args.rounds} rounds, run {args.run} s, review {args.review} s, "
          f"load {os.getloadavg()[0]:.1f}")
    medians_table("packed", ways, acts, times)
    win.runner.shutdown(5000)


def wait(app, seconds: float):
    """``seconds`` pass, events processed."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.02)


def review_and_accept(app, win, result, seed: int):
    """``result`` (float32) under review as a run's, then Result > Accept; events processed, the step packed."""
    from types import SimpleNamespace

    s = win.session
    s.start_run({"task": "denoise", "seed": seed})
    s.finish_run(SimpleNamespace(image=result, samples=None, elapsed=0.1, trajectory=[0]))
    app.processEvents()
    assert win.runs.accept_result()
    app.processEvents()
    while s.accepting():   # since 9a1789c an Accept waits for its measure after it returns (Undo is greyed)
        app.processEvents()
        time.sleep(0.001)
    s.history.settle()


def medians_table(first: str, ways, acts, times):
    """One row per way: the medians of each act's (wall ms, GUI CPU ms) in ``times[way, act]``. Also
    benchmarks/task_switch.py's."""
    print(f"{first:15}" + "".join(f"{a + ' ms':>14}{a + ' GUI CPU ms':>22}" for a in acts))
    for way in ways:
        med = [statistics.median(c) for a in acts for c in zip(*times[way, a])]
        print(f"{way:15}" + "".join(f"{v:>{n}.0f}" for v, n in zip(med, (14, 22) * len(acts))))


if __name__ == "__main__":
    main()
