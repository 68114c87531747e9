"""Issue 21's time rule, "in at most BM3D's time per 256 x 256 image": the command line's default
denoise against BM3D on benchmarks/restoration.py's files, in one process, interleaved.

    python benchmarks/bm3d_time.py [--sigma 25] [--reps 3] [--threads 1]

For each of the five test images (restoration.py's 256 x 256 crops and seeds, the 8-bit clipped
file read back): one warm-up of each, then ``--reps`` rounds of ours (``DenoiseRequest(sigma=s)``,
the shipped default model, as ``dpm-studio denoise --sigma S`` runs it after the model is loaded)
and BM3D (restoration.bm3d_denoise, the true sigma), alternating. Prints the medians of wall and
CPU seconds (the process's, so every thread's) per image and method, their ratio, and the
PSNRs. Torch runs on ``--threads`` threads; set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS to the
same for BM3D's libraries. On a shared machine only the ratios of one run compare.
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
sys.path.insert(0, str(ROOT / "benchmarks"))

import dpm_studio.cli  # noqa: E402,F401  (first, as the command line: it sets the process's thread waiting)

from restoration import TEST_IMAGES, bm3d_denoise, last, noisy_file, psnr, test_image  # noqa: E402


def main(argv=None):
    import torch

    from dpm_studio.core.files.checkpoint import load, resolve
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.core.run.tasks import run_task
    from dpm_studio.paths import default_checkpoint

    ap = argparse.ArgumentParser()
    ap.add_argument("--sigma", type=int, default=25)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load(resolve(default_checkpoint("denoise")))
    sig = args.sigma / 255.0
    print(f"model {model.name}, sigma {args.sigma}, torch threads {torch.get_num_threads()}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, load {os.getloadavg()[0]:.1f}", flush=True)
    print("| image | ours wall s | BM3D wall s | ours / BM3D (wall) | ours CPU s | BM3D CPU s | ours / BM3D (CPU) "
          "| ours PSNR | BM3D PSNR |")
    print("|---|---|---|---|---|---|---|---|---|")
    ratios_wall, ratios_cpu = [], []
    for name in TEST_IMAGES:
        clean = test_image(name)
        noisy = noisy_file(clean, args.sigma, 1000 * args.sigma + TEST_IMAGES.index(name))
        fns = {"ours": lambda: last(run_task(model, DenoiseRequest(sigma=sig), noisy)),
               "BM3D": lambda: bm3d_denoise(noisy, sig)}
        times = {k: [] for k in fns}
        outs = {k: fn() for k, fn in fns.items()}  # warm-up
        for _ in range(args.reps):
            for k, fn in fns.items():
                t0, c0 = time.perf_counter(), time.process_time()
                fn()
                times[k].append((time.perf_counter() - t0, time.process_time() - c0))
        (ow, oc), (bw, bc) = (tuple(statistics.median(t[i] for t in times[k]) for i in (0, 1)) for k in fns)
        ratios_wall.append(ow / bw)
        ratios_cpu.append(oc / bc)
        p = {k: psnr(np.squeeze(v).reshape(clean.shape), clean) for k, v in outs.items()}
        print(f"| {name} | {ow:.2f} | {bw:.2f} | {ow / bw:.2f} | {oc:.2f} | {bc:.2f} | {oc / bc:.2f} "
              f"| {p['ours']:.2f} | {p['BM3D']:.2f} |", flush=True)
    print(f"mean ratio ours / BM3D: wall {np.mean(ratios_wall):.2f}, CPU {np.mean(ratios_cpu):.2f}; "
          f"worst: wall {max(ratios_wall):.2f}, CPU {max(ratios_cpu):.2f}; load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
