"""Denoising thin strips of held-out photos: tiles as images against packed strips; docs/large-image.md.

    python benchmarks/thin_strips.py [--heights 1 2 3 4] [--caps 0 4 8]
    python benchmarks/thin_strips.py --time

``--time``: 1 x 20,000, 3 x 8,000 and 3 x 50,000 strips of benchmarks/large_image.py's photo (its rows end to end,
sigma 25, 8 bits), denoised with the defaults as tiles and as strips, interleaved in one process on one
thread: seconds, network passes and the pixels they saw (padded).

Six mate-backgrounds photos ($DPM_STUDIO_HELD_OUT or /tmp/grey22/eval/x; never training data)
downscaled to 1024 px wide, Gaussian noise of std 25 / 255 rounded to 8 bits and clipped; from each,
strips of h rows x 1024 at rows 60, 250 and 440, denoised with the defaults (photos-rgb-v2, one-step
MMSE). Per h: the mean PSNR of the strips run as before (tiling.THIN = 0: tiles of h x 256 padded to
the network's multiple) and as packed strips (core/run/tiling.py's Strips) with each segment's band
capped at each of ``caps`` rows (tiling.BAND; 0: no copies, the segments packed edge to edge; 8:
the default), with the worst strip's difference from the tiles' run.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

PHOTOS = ("Garden", "Dune", "Aqua", "Wood", "GreenMeadow", "RainDrops")
ROWS = (60, 250, 440)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--heights", type=int, nargs="+", default=[1, 2, 3, 4])
    p.add_argument("--caps", type=int, nargs="+", default=[0, 4, 8])
    p.add_argument("--time", action="store_true", help="time tiles against strips instead")
    args = p.parse_args(argv)
    import torch

    from dpm_studio.core.files.checkpoint import load, resolve
    from dpm_studio.core.run import tiling
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.core.run.tasks import run_task
    from dpm_studio.paths import default_checkpoint

    torch.set_num_threads(1)
    loaded = load(resolve(default_checkpoint("denoise")))
    root = Path(os.environ.get("DPM_STUDIO_HELD_OUT", "/tmp/grey22/eval/x")) / "usr/share/backgrounds/mate/nature"

    def denoised(img):
        rec = None
        for rec in run_task(loaded, DenoiseRequest(sigma=25 / 255), img.astype(np.float32)):
            pass
        return rec.image

    def psnr(a, b):
        return 10 * np.log10(1 / np.mean((a - b) ** 2))

    if args.time:
        return timing(loaded, tiling)
    pairs = []
    for name in PHOTOS:
        im = Image.open(root / f"{name}.jpg").convert("RGB")
        s = 1024 / max(im.size)
        im = im.resize((round(im.width * s), round(im.height * s)), Image.BOX)
        clean = np.asarray(im).astype(np.float64) / 255
        rng = np.random.default_rng(0)
        pairs.append((clean, np.clip(np.round((clean + 25 / 255 * rng.standard_normal(clean.shape)) * 255), 0, 255) / 255))
    print("| h | tiles as images (before) | " + " | ".join(f"strips, band cap {c}" for c in args.caps) +
          " |\n|---:|---:|" + "---:|" * len(args.caps))
    thin, band = tiling.THIN, tiling.BAND
    for h in args.heights:
        res = {}
        for clean, noisy in pairs:
            for r in ROWS:
                tiling.THIN = 0
                res.setdefault("old", []).append(psnr(denoised(noisy[r:r + h]), clean[r:r + h]))
                tiling.THIN = max(thin, h)
                for c in args.caps:
                    tiling.BAND = c
                    res.setdefault(c, []).append(psnr(denoised(noisy[r:r + h]), clean[r:r + h]))
                tiling.THIN, tiling.BAND = thin, band
        old = np.array(res["old"])
        print(f"| {h} | {old.mean():.2f} | " + " | ".join(
            f"{np.mean(res[c]):.2f} (worst {np.min(np.array(res[c]) - old):+.2f})" for c in args.caps) + " |", flush=True)


def timing(loaded, tiling) -> None:
    import time

    from large_image import source_photo

    from dpm_studio.core.math import nets_image
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.core.run.tasks import run_task

    seen, real = [], nets_image.pad_to_multiple

    def count(x, multiple):
        out = real(x, multiple)
        seen.append(out.shape[0] * out.shape[-2] * out.shape[-1])
        return out

    nets_image.pad_to_multiple = count
    flat = source_photo()[0].reshape(-1, 3)
    thin = tiling.THIN
    print("| image | run | seconds | network passes | pixels they saw |\n|---|---|---:|---:|---:|")
    for h, w in ((1, 20_000), (3, 8_000), (3, 50_000)):
        clean = flat[:h * w].reshape(h, w, 3).astype(np.float32) / 255
        rng = np.random.default_rng(0)
        noisy = (np.clip(np.round((clean + 25 / 255 * rng.standard_normal(clean.shape)) * 255), 0, 255) / 255)
        for rep in range(2):
            for name, t in (("tiles", 0), ("strips", thin)):
                tiling.THIN, seen[:] = t, []
                t0 = time.perf_counter()
                for _ in run_task(loaded, DenoiseRequest(sigma=25 / 255), noisy.astype(np.float32)):
                    pass
                print(f"| {h} x {w} | {name} | {time.perf_counter() - t0:.1f} | {len(seen)} | {sum(seen):,} |", flush=True)
    tiling.THIN = thin


if __name__ == "__main__":
    main()
