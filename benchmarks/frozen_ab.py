"""Issue 26's inpainting row with the frozen passes on and off, interleaved in one process: the 64 x 64
hole with the app's defaults, the network called as the command line calls it and as the app's run thread
does (inside gui/model/frames._StoppableNet, its Cancel check: the wrapper the frozen passes had failed to
trace until the fix of docs/speed.md's "The frozen passes' crash"). Medians of wall and CPU seconds.

    python benchmarks/frozen_ab.py [--reps 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dpm_studio.cli  # noqa: E402,F401  (the process's OpenMP settings, before torch)
from speed import hole_case  # noqa: E402  (issue 26's inpainting case, one definition)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    import torch

    from dpm_studio.core.files.checkpoint import load, resolve
    from dpm_studio.core.run import tasks
    from dpm_studio.core.run.requests import InpaintRequest
    from dpm_studio.gui.model.frames import _StoppableNet
    from dpm_studio.paths import default_checkpoint

    torch.set_num_threads(args.threads)
    plain = load(resolve(default_checkpoint("inpaint")))
    wrapped = replace(plain, net=_StoppableNet(plain.net, threading.Event()))
    a, mask = hole_case()
    on = tasks.FROZEN_TASKS or ("inpaint", "sample")

    def run(case):
        how, frozen = case
        tasks.FROZEN_TASKS = on if frozen else ()
        w, c = time.perf_counter(), time.process_time()
        for _ in tasks.run_task(plain if how == "cli" else wrapped, InpaintRequest(seed=1), a, mask=mask):
            pass
        return time.perf_counter() - w, time.process_time() - c

    cases = [(how, frozen) for how in ("cli", "app") for frozen in (False, True)]
    print(f"threads={args.threads} reps={args.reps}", flush=True)
    for case in cases:
        print(f"warm-up {case}: {run(case)[0]:.3f} s", flush=True)  # the first frozen run pays the trace
    res = {case: [] for case in cases}
    for _ in range(args.reps):
        for case in cases:
            res[case].append(run(case))
    print("| network called as | frozen passes | wall (median) | CPU (median) |\n|---|---|---|---|")
    for (how, frozen), v in res.items():
        print(f"| {'command line / API' if how == 'cli' else 'app run thread (Cancel wrapper)'} | "
              f"{'on' if frozen else 'off'} | {statistics.median(x[0] for x in v):.3f} s | "
              f"{statistics.median(x[1] for x in v):.3f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
