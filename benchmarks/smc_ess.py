"""How far the sequential Monte Carlo weights spread on a real image (issue 25, item 4).

    python benchmarks/smc_ess.py [--checkpoint photos-rgb] [--particles 1,4,8] [--image camera]

A 64 x 64 crop of a test image (evaluation only), a 24 x 24 hole in its middle, the app's
default model and 20 steps, through ``run_task`` as the app and the command line run it. For
each SMC route (a feathered hole with the soft pixels weighed; the exact mode, which weighs
every known pixel) and each particle count K: the smallest ESS over the steps, the ESS at the
end (of K), how many steps resampled, and the hole PSNR of the particles' mean.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from restoration import psnr  # noqa: E402

from dpm_studio.core.files.checkpoint import load, resolve  # noqa: E402
from dpm_studio.core.run.tasks import run_task  # noqa: E402

ROUTES = {
    "feathered hole (4 px), forward-approx + SMC": dict(mode="forward-approx", smc=True, feather=4.0, start="noise"),
    "exact mode (every known pixel weighed)": dict(mode="exact"),
}


def crop64(name: str) -> np.ndarray:
    from skimage import data

    a = getattr(data, name)().astype(np.float32) / 255.0
    h, w = a.shape[:2]
    return a[(h - 64) // 2:(h + 64) // 2, (w - 64) // 2:(w + 64) // 2]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="photos-rgb")
    ap.add_argument("--image", default="camera")
    ap.add_argument("--particles", default="1,4,8")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    model = load(resolve(args.checkpoint))
    img = crop64(args.image)
    mask = np.zeros((64, 64), np.float32)
    mask[20:44, 20:44] = 1
    print(f"{args.image}, 64 x 64 crop, 24 x 24 hole, {args.checkpoint}, {args.steps} steps, seed {args.seed}\n")
    print("| route | particles | min ESS | final ESS | steps resampled | hole PSNR of the mean (dB) | seconds |")
    print("|---|---|---|---|---|---|---|")
    for label, kw in ROUTES.items():
        for k in map(int, args.particles.split(",")):
            t0 = time.time()
            recs = list(run_task(model, "inpaint", img, mask=mask, steps=args.steps, samples=k, seed=args.seed, **kw))
            ess = [r.ess for r in recs if r.ess is not None]
            resampled = sum(e < 0.5 * k for e in ess[:-1])  # a record's ESS is what the resampling test sees
            out = recs[-1].image
            out = out[..., 0] if out.ndim == 3 and img.ndim == 2 and out.shape[2] == 1 else out
            truth = img if out.ndim == img.ndim else np.repeat(img[..., None], out.shape[2], 2)
            print(f"| {label} | {k} | {min(ess):.2f} | {ess[-1]:.2f} | {resampled} | "
                  f"{psnr(out, truth, mask):.2f} | {time.time() - t0:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
