"""Does torch's first network pass in a process hold the interpreter (the GIL)? Prints a table.

    python benchmarks/first_pass_gil.py [--size 128] [--batch 8]

A Python thread ticks every 5 ms (as the GUI thread's timers would, needing the GIL) while the main
thread runs the tiny untrained model's passes (tests/gui/gui_helpers.make_checkpoint), three of each: the
eager fp32 pass, the app's bf16 pass (core/run/precision._Bf16Net) and its frozen TorchScript pass (a trace
per shape, core/run/frozen.py). A first pass that held the GIL would show as a worst tick gap near its own
time. Report the machine's load beside the numbers (docs/speed.md, "The first run's stall").
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")   # as the app's entry point (dpm_studio.cli) does
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "gui"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--batch", type=int, default=8)
    args = ap.parse_args()
    import torch

    from dpm_studio.core.files import checkpoint
    from dpm_studio.core.run.precision import _Bf16Net
    from gui_helpers import make_checkpoint

    loaded = checkpoint.load_cached(str(make_checkpoint(Path(tempfile.mkdtemp()), "tiny-rgb", 3)), "cpu")
    gaps, stop = [], threading.Event()

    def tick():
        last = time.perf_counter()
        while not stop.is_set():
            time.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    time.sleep(0.1)
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}, torch threads {torch.get_num_threads()}")
    print("| pass | 1st, ms | 2nd, ms | 3rd, ms | worst 5 ms-tick gap during the 1st, ms |")
    print("|---|---|---|---|---|")
    x = torch.rand(args.batch, 3, args.size, args.size)
    t = torch.full((args.batch,), 10.0)
    for name, net in (("eager fp32", loaded.net), ("bf16", _Bf16Net(loaded.net)), ("bf16 frozen", _Bf16Net(loaded.net, frozen=True))):
        times, first_gap = [], 0.0
        for k in range(3):
            gaps.clear()
            t0 = time.perf_counter()
            with torch.no_grad():
                net(x, t)
            times.append((time.perf_counter() - t0) * 1000)
            if k == 0:
                first_gap = max(gaps or [0]) * 1000
        print(f"| {name} | {times[0]:.0f} | {times[1]:.0f} | {times[2]:.0f} | {first_gap:.0f} |")
    stop.set()
    ticker.join()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
