"""A JPEG saved again as PNG: the command line and the app (the decoder says "PNG": Source.jpeg False, no JPEG grid
looked for) and the API (an array: Source.jpeg None, looked for) read its noise differently. Which reading denoises
it better, and what does the search cost?

    python benchmarks/png_of_jpeg.py --files 12 --side 256 --sigmas 5,15     # PSNR of the default denoise, both ways
    python benchmarks/png_of_jpeg.py --time --reps 3                          # the grid search on 12 MP, CPU s

The images are the held-out mate backgrounds (/tmp/grey22/eval/x, never trained or tuned on): the centre ``side``
px of each, colour, 8 bits; Gaussian noise of std ``sigma`` / 255 added, saved as a JPEG at quality 85 and read
back (the pixels a PNG of it holds). Each is denoised by the default request (--noise auto, the default model)
resolved with Source(jpeg=False) (the command line's and the app's on a PNG today) and Source(jpeg=None) (the
API's, on the same pixels); PSNR against the clean crop. Torch on one thread.
"""

from __future__ import annotations

import argparse
import glob
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HELD_OUT = "/tmp/grey22/eval/x/usr/share/backgrounds/mate/*/*.*g"


def _jpeg_again(clean: np.ndarray, sigma: float, seed: int, quality: int = 85) -> np.ndarray:
    from PIL import Image

    rng = np.random.default_rng(seed)
    noisy = np.clip(clean * 255 + rng.normal(0, sigma, clean.shape), 0, 255) + 0.5
    buf = io.BytesIO()
    Image.fromarray(noisy.astype(np.uint8)).save(buf, format="JPEG", quality=quality)
    return np.asarray(Image.open(buf).convert("RGB")).astype(np.float32) / np.float32(255)


def _denoised(loaded, img, jpeg):
    from dpm_studio.core.run.jobs import Source, resolve
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.core.run.tasks import run_task

    job = resolve(DenoiseRequest().validate(loaded), img, None, Source(8, jpeg=jpeg), loaded)
    rec = None
    for rec in run_task(loaded, job):
        pass
    return np.clip(rec.image, 0, 1), job.request


def _psnr(a, b) -> float:
    return float(10 * np.log10(1 / np.mean((np.asarray(a, np.float64) - b) ** 2)))


def quality(files: int, side: int, sigmas):
    import torch

    from dpm_studio import imageio
    from dpm_studio.core.files.checkpoint import load_cached
    from dpm_studio.paths import default_checkpoint

    torch.set_num_threads(1)
    loaded = load_cached(default_checkpoint("denoise"), "cpu")
    print("| file | sigma | estimate, PNG (jpeg False) | PSNR | estimate, array (jpeg None) | PSNR | gain |")
    print("|---|---|---|---|---|---|---|")
    gains = []
    for i, path in enumerate(sorted(glob.glob(HELD_OUT))[:files]):
        px = imageio.load_image(path).pixels
        top, left = (px.shape[0] - side) // 2, (px.shape[1] - side) // 2
        clean = px[top:top + side, left:left + side]
        if clean.shape[2] == 1:
            clean = np.repeat(clean, 3, axis=2)
        for sigma in sigmas:
            img = _jpeg_again(clean, sigma, seed=i)
            row = []
            for jpeg in (False, None):
                out, req = _denoised(loaded, img, jpeg)
                level = req.sigma * 255 if req.sigma is not None else float("nan")
                row += [f"{req.noise} {level:.2f}" if req.noise == "constant" else
                        f"{req.noise} a={req.noise_a:.2g} b={req.noise_b:.2g}", _psnr(out, clean)]
            gains.append(row[3] - row[1])
            print(f"| {Path(path).stem} | {sigma:g} | {row[0]} | {row[1]:.2f} | {row[2]} | {row[3]:.2f} | "
                  f"{row[3] - row[1]:+.2f} |", flush=True)
    print(f"\nmedian gain of the search {statistics.median(gains):+.2f} dB, min {min(gains):+.2f}, max {max(gains):+.2f} "
          f"({len(gains)} files x sigmas)")


def timing(reps: int):
    from dpm_studio import imageio
    from dpm_studio.core.run.noise_jpeg import jpeg_noise_sigma

    path = sorted(glob.glob(HELD_OUT.replace("*.*g", "*.png")))[0]
    px = imageio.load_image(path).pixels
    reps_y, reps_x = -(-3000 // px.shape[0]), -(-4000 // px.shape[1])
    big = np.ascontiguousarray(np.tile(px, (reps_y, reps_x, 1))[:3000, :4000])
    cpu = []
    for _ in range(reps):
        t = time.thread_time()
        jpeg_noise_sigma(big)
        cpu.append(time.thread_time() - t)
    print(f"jpeg_noise_sigma on {big.shape[1]} x {big.shape[0]} (a PNG's pixels, no grid): median "
          f"{statistics.median(cpu):.3f} s CPU of {reps}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=12)
    ap.add_argument("--side", type=int, default=256)
    ap.add_argument("--sigmas", default="5,15")
    ap.add_argument("--time", action="store_true")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    if a.time:
        timing(a.reps)
    else:
        quality(a.files, a.side, [float(s) for s in a.sigmas.split(",")])
