"""Denoising a region of a 10 MP photo the way the app does (issue 24): the crop around the mask
plus 32 px of context is denoised with the app's defaults and blended back through the feathered
mask. Prints one row per region size: seconds, the crop, and the whole image's estimate.

    python benchmarks/region_denoise.py [--sizes 200 400] [--checkpoint NAME]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dpm_studio.paths import default_checkpoint


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 400])
    ap.add_argument("--checkpoint", default=default_checkpoint("denoise"),
                    help="default: the command line's denoising default (dpm_studio.paths.DEFAULT_CHECKPOINTS)")
    ap.add_argument("--sigma", type=float, default=15.0)
    a = ap.parse_args(argv)
    import torch

    from dpm_studio.core.files import checkpoint

    from dpm_studio.core.run import masks
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.gui.model.frames import RunJob, task_frames
    from dpm_studio.gui.model.session import Session

    torch.set_num_threads(max(1, torch.get_num_threads()))
    H, W = 2592, 3872  # 10 MP
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    clean = np.stack([0.5 + 0.3 * np.sin(xx / 97), 0.5 + 0.3 * np.cos(yy / 61), 0.4 + 0.2 * np.sin((xx + yy) / 41)], 2)
    noisy = np.clip(np.round((clean + rng.normal(0, a.sigma / 255, clean.shape)) * 255) / 255, 0, 1).astype(np.float32)
    s = Session()
    s.open(noisy)
    loaded = checkpoint.load(checkpoint.resolve(a.checkpoint))
    req = DenoiseRequest()
    print(f"| region (px) | crop (px) | seconds | CPU seconds | network tiles | whole image ({H}x{W}) tiles |")
    print("|---|---|---|---|---|---|")
    whole = len(s.job(DenoiseRequest(sigma=a.sigma / 255)).plan)
    for n in a.sizes:
        m = np.zeros((H, W), np.float32)
        m[1000:1000 + n, 1500:1500 + n] = 1
        m = masks.feather(m, 8)
        t0, c0 = time.perf_counter(), time.process_time()
        job = s.job(req.validate(loaded), m)  # the mask limits the denoise to its region (core/run/regions.py)
        t, l, b, r = job.region.box
        for f in task_frames(RunJob(loaded, job)):
            pass
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert f.done and f.image.shape == noisy.shape
        print(f"| {n} x {n} | {r - l} x {b - t} | {dt:.1f} | {cpu:.1f} | {len(job.plan)} | {whole} |")


if __name__ == "__main__":
    main()
