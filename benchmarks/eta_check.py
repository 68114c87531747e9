"""The time left a run says on a 12 MP photo, record by record, against the time the run then took; prints a table.

    python benchmarks/eta_check.py [--photo /work/data/wallpapers/X.jpg] [--size 3000x4000] [--records 12]
        [--task denoise] [--threads 1]

The photo is resized to ``--size`` (a wallpaper upsampled to 12 MP by default) and run as the app runs it
(gui/model/frames.task_frames on the session's JobInputs: the noise measured in the run's thread, then the tiles),
with the task's default model and request, for its first ``--records`` records. Columns: the record (a tile of
the posterior-mean denoise), seconds since Run, the seconds the record took, the time left it says (Frame.eta;
"-" while it says "estimating"), and the time left at the pace of the records measured up to the end of the table
(the truth as far as the table goes: each later record at the median pace of records 2 onward).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--photo", default=str(Path(os.environ.get("DPM_STUDIO_WALLPAPERS", "/work/data/wallpapers"))
                                           / "BytheWater.jpg"))
    ap.add_argument("--size", default="3000x4000")
    ap.add_argument("--records", type=int, default=12)
    ap.add_argument("--task", default="denoise", choices=("denoise",))
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    import torch
    from PIL import Image

    from dpm_studio.core.files.checkpoint import load, resolve
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.gui.model.frames import RunJob, Stage, task_frames
    from dpm_studio.gui.model.session import Session
    from dpm_studio.paths import default_checkpoint

    torch.set_num_threads(args.threads)
    h, w = (int(v) for v in args.size.split("x"))
    px = np.asarray(Image.open(args.photo).convert("RGB").resize((w, h), Image.BICUBIC), np.float32) / 255
    s = Session()
    s.open(px)
    del px
    loaded = load(resolve(default_checkpoint(args.task)))
    req = DenoiseRequest().validate(loaded)
    t0 = time.perf_counter()
    rows, stages = [], []
    for f in task_frames(RunJob(loaded, s.job_inputs(req, None, loaded))):
        now = time.perf_counter() - t0
        if isinstance(f, Stage):
            stages.append((now, f.text or "resolved"))
            continue
        rows.append((f.index, f.total, f.elapsed, f.eta, f.progress[2]))
        if len(rows) >= args.records:
            break
    print(f"{Path(args.photo).name} at {h}x{w}, {args.task} with {loaded.card.get('name')}, "
          f"{args.threads} torch thread(s), load {os.getloadavg()[0]:.1f}")
    for t, what in stages:
        print(f"  {t:7.1f} s  {what}")
    took = [b[2] - a[2] for a, b in zip(rows, rows[1:])]
    pace = statistics.median(took[1:] or took or [0.0])
    total = rows[0][1]
    print(f"{'record':>14}{'since Run s':>13}{'took s':>8}{'says left s':>13}{'at the pace s':>15}")
    for k, (i, n, el, eta, text) in enumerate(rows):
        dt = el - rows[k - 1][2] if k else el
        print(f"{text:>14}{el:>13.1f}{dt:>8.1f}{'-' if eta is None else f'{eta:.0f}':>13}"
              f"{pace * (n - i - 1):>15.0f}")
    print(f"{total} records; the median record after the first took {pace:.2f} s")


if __name__ == "__main__":
    main()
