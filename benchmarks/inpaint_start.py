"""Where an inpainting trajectory starts: pure noise at t = T, or a noised smooth fill.

    python benchmarks/inpaint_start.py [--checkpoint photos-rgb] [--images camera,astronaut,coffee]

A 64 x 64 centre hole in the 256 x 256 test crops (as in benchmarks/restoration.py), one
sample per row with seed 1, everything else at the app's defaults (INPAINT_DEFAULTS). Prints
a markdown table: hole PSNR, detail ratio, transitions (steps down and jumps up) and seconds. The numbers in
docs/conditioning.md were made with it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from restoration import detail_ratio, psnr, telea, test_image  # noqa: E402

from dpm_studio.core.files.checkpoint import load, resolve  # noqa: E402
from dpm_studio.core.run.tasks import INPAINT_DEFAULTS as D  # noqa: E402
from dpm_studio.core.run.tasks import run_task  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="photos-rgb")
    ap.add_argument("--images", default="camera,astronaut,coffee")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    model = load(resolve(args.checkpoint))
    configs = [("noise at T, 30 steps, jumps 5 x 2", dict(start="noise", steps=30)),
               *[(f"smooth fill noised to sigma {s:g}, {D['steps']} steps, jumps 5 x 2",
                  dict(start="harmonic", start_sigma=s)) for s in (0.5, 1.0, 2.0, 5.0)]]
    print("| image | start | hole PSNR (dB) | detail ratio | transitions | seconds |")
    print("|---|---|---|---|---|---|")
    for name in args.images.split(","):
        clean = test_image(name)
        if clean.ndim == 2:
            clean = np.repeat(clean[:, :, None], 3, axis=2)
        hole = np.zeros(clean.shape[:2], np.float32)
        hole[96:160, 96:160] = 1
        damaged = clean.copy()
        damaged[hole > 0] = 0.5
        ns = telea(damaged, hole, "ns")
        print(f"| {name} | Navier-Stokes (OpenCV) | {psnr(ns, clean, hole):.2f} | "
              f"{detail_ratio(ns, clean, hole):.2f} | - | - |", flush=True)
        for label, kw in configs:
            opts = {**D, **kw}
            t0 = time.perf_counter()
            transitions = 0
            for rec in run_task(model, "inpaint", damaged, mask=hole, seed=1, **opts):
                transitions += 1
            sec = time.perf_counter() - t0
            out = np.asarray(rec.image).reshape(clean.shape)
            print(f"| {name} | {label} | {psnr(out, clean, hole):.2f} | {detail_ratio(out, clean, hole):.2f} "
                  f"| {transitions} | {sec:.1f} |", flush=True)


if __name__ == "__main__":
    main()
