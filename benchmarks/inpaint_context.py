"""Hole PSNR against the inpainting crop's context (issue 26's 64 x 64 hole row: a smaller crop is fewer pixels
per network pass; does it cost quality?).

    python benchmarks/inpaint_context.py [--contexts 48,40,32] [--seeds 6]

The five test images (benchmarks/restoration.py's crops, 64 x 64 centre hole and brush strokes), photos-rgb with
the app's inpainting defaults (tasks.INPAINT_DEFAULTS), one sample per seed, the mean hole PSNR over the seeds;
each context against the first. One thread. Prints a table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import restoration as R  # noqa: E402
from dpm_studio.core.files.checkpoint import load, resolve  # noqa: E402
from dpm_studio.core.run.tasks import INPAINT_DEFAULTS as D  # noqa: E402
from dpm_studio.core.run.tasks import run_task  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--contexts", default="48,40,32")
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--checkpoint", default="photos-rgb")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    model = load(resolve(args.checkpoint))
    ctxs = [int(c) for c in args.contexts.split(",")]
    rows, secs = {c: [] for c in ctxs}, {c: 0.0 for c in ctxs}
    for name, mask_name, clean, damaged, mask in R.inpaint_cases():
        for c in ctxs:
            vals = []
            for seed in range(args.seeds):
                t = time.perf_counter()
                out = R.last(run_task(model, "inpaint", damaged, mask=mask, seed=seed, context=c, **D))
                secs[c] += time.perf_counter() - t
                vals.append(R.psnr(np.squeeze(out).reshape(clean.shape), clean, mask))
            rows[c].append((name, mask_name, float(np.mean(vals))))
    print("| image | mask | " + " | ".join(f"context {c}" for c in ctxs) + " |")
    print("|---|---|" + "---|" * len(ctxs))
    for i, (name, mask_name, _) in enumerate(rows[ctxs[0]]):
        print(f"| {name} | {mask_name} | " + " | ".join(f"{rows[c][i][2]:.3f}" for c in ctxs) + " |")
    base = np.array([r[2] for r in rows[ctxs[0]]])
    for c in ctxs:
        d = np.array([r[2] for r in rows[c]]) - base
        print(f"context {c}: mean {np.mean(base + d):.3f} dB, against {ctxs[0]}: mean {d.mean():+.3f}, "
              f"worst row {d.min():+.3f}; {secs[c]:.1f} s for all runs")


if __name__ == "__main__":
    main()
