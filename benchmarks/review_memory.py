"""What a result under review holds on a large photo, and what is left once it is accepted or rejected; prints tables.

    QT_QPA_PLATFORM=offscreen python benchmarks/review_memory.py [--size 3000x4000] [--reject] [--tree DIR]
        [--photo /work/data/wallpapers/X.jpg]

The photo (a wallpaper, resized to ``--size``) is opened as an 8-bit picture in a shown window with a tiny untrained
model, Denoise is run through the window (Run, its thread, its frames) to its review, and the review's thread that
makes the result as Accept will hold it (gui/model/session._Measured) is waited for. Memory is what tracemalloc sees
allocated since just before Run (numpy's arrays report to it; torch's do not, and the run's are freed by then), with
where each large block was made (the two innermost dpm_studio lines; at least 1 % of the image's float32 size), then the
same after Result > Accept (or Reject with ``--reject``) and a collection. RSS (VmRSS, and VmHWM, the peak) from
/proc. ``--tree``: the dpm_studio of another checkout (an older commit's files), to compare before and after.
A 12 MP run with the tiny model took over 30 min at load 9 on 2 shared cores; 1500x2000 3-4 min (what is held
scales with the pixels).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]


def _sites(snap, base, least: float, top: int = 12):
    """(MB, blocks, where) of the largest blocks made since ``base``, by their two innermost dpm_studio lines."""
    rows = []
    for st in snap.compare_to(base, "traceback"):
        if st.size_diff < least:
            continue
        ours = [f for f in st.traceback if "dpm_studio" in f.filename]
        ours = (ours or [st.traceback[-1]])[-2:]   # the traceback runs from the oldest frame to the newest
        where = " < ".join(f"{f.filename.split('dpm_studio/')[-1]}:{f.lineno}" for f in reversed(ours))
        rows.append((st.size_diff / 2 ** 20, st.count_diff, where))
    return rows[:top]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="3000x4000")
    ap.add_argument("--reject", action="store_true", help="Result > Reject instead of Accept")
    ap.add_argument("--tree", default=None, help="import dpm_studio from this checkout instead")
    ap.add_argument("--photo", default=None)
    args = ap.parse_args()
    tree = Path(args.tree).resolve() if args.tree else ROOT
    sys.path[:0] = [str(tree), str(ROOT / "tests" / "gui"), str(ROOT / "benchmarks")]
    from accept_time import window
    from gui_helpers import proc_status
    from undo_memory import PHOTO, photo

    sys.path.insert(0, str(tree))   # ahead of the checkout accept_time put first

    import dpm_studio
    from dpm_studio.imageio import from_uint8

    h, w = (int(v) for v in args.size.split("x"))
    app, win = window()
    assert win.checkpoints.select("tiny-rgb", tasks=("denoise",))
    win.files.set_image(from_uint8(photo(args.photo or PHOTO, h, w)))
    win.task_panel.set_task("denoise")
    app.processEvents()
    gc.collect()
    tracemalloc.start(12)
    base = tracemalloc.take_snapshot()
    rss0 = proc_status("VmRSS")
    t0 = time.perf_counter()
    ended = []   # what ended the run, as words: a frame kept here would be held after the review
    for signal in (win.runner.finished, win.runner.errored, win.runner.aborted):
        signal.connect(lambda x: ended.append(str(getattr(x, "message", type(x).__name__))))
    assert win.runs.run()
    while not ended:
        app.processEvents()
        time.sleep(0.02)
    if win.session.state != "review":
        raise SystemExit(f"the run ended without a result: {ended[0]}")
    took = time.perf_counter() - t0
    for _ in range(25):
        app.processEvents()
        time.sleep(0.02)
    if win.session.review is not None and win.session.review.measured is not None:
        win.session.review.measured.thread.join()
    gc.collect()
    image_mb = h * w * 3 * 4 / 2 ** 20
    review = tracemalloc.get_traced_memory()[0]
    snap = tracemalloc.take_snapshot()
    rss_review = proc_status("VmRSS")
    print(f"{h}x{w} 8-bit, tiny-rgb denoise {took:.0f} s, load {os.getloadavg()[0]:.1f}, "
          f"{Path(dpm_studio.__file__).parents[1]}; the image as float32 is {image_mb:.0f} MB")
    print(f"under review, made since Run (MB, blocks, where):")
    for mb, n, where in _sites(snap, base, 0.01 * image_mb * 2 ** 20):
        print(f"{mb:10.1f}{n:7d}  {where}")
    (win.runs.discard_result if args.reject else win.runs.accept_result)()
    for _ in range(25):
        app.processEvents()
        time.sleep(0.02)
    win.session.history.settle()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    snap2 = tracemalloc.take_snapshot()
    how = "Reject" if args.reject else "Accept"
    print(f"after {how}, made since Run and still held (MB, blocks, where):")
    for mb, n, where in _sites(snap2, base, 0.01 * image_mb * 2 ** 20):
        print(f"{mb:10.1f}{n:7d}  {where}")
    print(f"{'':16}{'traced MB':>10}{'RSS MB':>8}")
    print(f"{'before Run':16}{0:>10.0f}{rss0 / 1024:>8.0f}")
    print(f"{'under review':16}{review / 2 ** 20 - base_mb(base):>10.0f}{rss_review / 1024:>8.0f}")
    print(f"{'after ' + how:16}{after / 2 ** 20 - base_mb(base):>10.0f}{proc_status('VmRSS') / 1024:>8.0f}")
    print(f"peak RSS (VmHWM) {proc_status('VmHWM') / 1024:.0f} MB")
    win.runner.shutdown(5000)


def base_mb(snap) -> float:
    return sum(st.size for st in snap.statistics("filename")) / 2 ** 20


if __name__ == "__main__":
    main()
