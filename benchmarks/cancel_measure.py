"""The CPU a run's measurement spends after Cancel (the noise fit of a denoise, the grain of an inpainting);
prints a table.

    python benchmarks/cancel_measure.py [--repeat 3] [--size 3000x4000] [--after 0,150] [--tree DIR]

The app resolves a run's job in its run thread, each step of the resolver in a helper thread while the
run's stop flag is watched (gui/model/frames._resolved and _watched): Cancel ends the run at once and the
step under way finishes in its helper thread. This drives that code as the run thread does, on a noisy
8-bit RGB photo (--size, 12 MP by default): the stop flag is set --after ms into the measurement (a
timer), and the process's CPU time (the helper's; this thread sleeps) and the wall time from then until
the helper has ended are measured. ``--tree``: the dpm_studio of another checkout (an older commit's
worktree), run by this same script, to compare old and new code turn about. Report the machine's load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def one(inputs, what, after_ms):
    """(CPU s, wall s) from the stop flag set until the abandoned measurement has ended."""
    from dpm_studio.gui.model.frames import RunCancelled, _resolved, measuring

    job = SimpleNamespace(job=inputs, stop=threading.Event(), loaded=None)
    at = {}

    def cancel():
        at["cpu"], at["wall"] = time.process_time(), time.perf_counter()
        job.stop.set()

    stages = _resolved(job)
    try:
        while next(stages).text != what:
            pass
        timer = threading.Timer(after_ms / 1000, cancel)
        timer.start()
        while True:
            next(stages)
    except RunCancelled:
        pass
    timer.join()
    while measuring():
        time.sleep(0.002)
    return time.process_time() - at["cpu"], time.perf_counter() - at["wall"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--size", default="3000x4000")
    ap.add_argument("--after", default="0,150", help="ms into the measurement at which Cancel comes")
    ap.add_argument("--tree", default=None, help="import dpm_studio from this checkout instead")
    args = ap.parse_args()
    if args.tree:
        sys.path.insert(0, str(Path(args.tree).resolve()))
    import os

    import numpy as np

    import dpm_studio
    from dpm_studio.core.run.requests import DenoiseRequest, InpaintRequest
    from dpm_studio.gui.model.frames import JobInputs

    h, w = (int(v) for v in args.size.split("x"))
    rng = np.random.default_rng(0)
    img = np.linspace(0, 1, w, dtype=np.float32)[None, :, None] * np.ones((h, 1, 3), np.float32)
    img = np.round(np.clip(img + rng.normal(0, 0.05, img.shape).astype(np.float32), 0, 1) * 255) / np.float32(255)
    mask = np.zeros((h, w), np.float32)
    mask[h // 3:h // 2, w // 3:w // 2] = 1
    cases = {"denoise, noise auto": (JobInputs(DenoiseRequest(noise="auto"), img), "fitting the noise"),
             "inpaint, grain match": (JobInputs(InpaintRequest(grain="match"), img, mask), "measuring the grain")}
    print(f"{h}x{w} RGB 8-bit, load {os.getloadavg()[0]:.1f}, {Path(dpm_studio.__file__).parents[1]}")
    print(f"{'measurement':<22}{'Cancel at ms':>13}{'CPU after ms':>14}{'wall after ms':>15}  (median of {args.repeat})")
    for name, (inputs, what) in cases.items():
        for after in (float(v) for v in args.after.split(",")):
            runs = [one(inputs, what, after) for _ in range(args.repeat)]
            cpu, wall = (statistics.median(r[i] for r in runs) * 1e3 for i in (0, 1))
            print(f"{name:<22}{after:>13.0f}{cpu:>14.0f}{wall:>15.0f}")


if __name__ == "__main__":
    main()
