"""fp32 passes on a CPU: NNPACK's Winograd convolutions (core/run/precision._Fp32Net) against oneDNN's
channels-last ones, the default ``dpm-studio denoise`` (and the app's inpainting) in-process, interleaved.

    python benchmarks/fp32_nnpack.py [--threads 1] [--reps 5] [--rows denoise256,denoise1mp,inpaint]
    python benchmarks/fp32_nnpack.py --psnr

Each row runs the command line's default request (DenoiseRequest(): photos-rgb-v2, noise fitted; the
hole: InpaintRequest(), photos-rgb, seed 0) A B A B ... with NNPACK off (A: the run before this change)
and on (B; NNPACK serves only with torch on one thread, nets_image.nnpack_fits: with --threads 2
both are the oneDNN pass), after one warm-up each; it prints the medians of wall and CPU seconds (the process's, so
also the other threads'), and the two results' largest difference and PSNR against the clean picture.
The images are scikit-image's (never trained on): astronaut's 256 x 256 crop, coffee upscaled to
1224 x 816 (1 MP), noise sigma 25 added, clipped and rounded to 8 bits (as users' files are).

``--psnr``: benchmarks/restoration.py's 15 denoising cases (camera, astronaut, coffee, chelsea, coins;
sigma 15, 25, 50; 8-bit files), the command line's default request with the true sigma
(``dpm-studio denoise --sigma S``), NNPACK off and on: each PSNR and their difference.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dpm_studio.cli  # noqa: E402,F401  (first, as the command line: it sets the process's thread waiting)


def noisy(clean: np.ndarray, sigma: float = 25, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.round(clean * 255 + rng.normal(0, sigma, clean.shape)), 0, 255).astype(np.float32) / 255


def cases(rows):
    from PIL import Image
    from skimage import data

    out = {}
    if "denoise256" in rows:
        clean = data.astronaut()[128:384, 128:384].astype(np.float32) / 255
        out["denoise256"] = ("denoise", clean, noisy(clean), None)
    if "denoise1mp" in rows:
        big = np.asarray(Image.fromarray(data.coffee()).resize((1224, 816), Image.BICUBIC)).astype(np.float32) / 255
        out["denoise1mp"] = ("denoise", big, noisy(big), None)
    if "inpaint" in rows:
        from speed import hole_case  # noqa: E402 (benchmarks/speed.py's issue 26 hole)

        img, mask = hole_case()
        out["inpaint"] = ("inpaint", img, img, mask)
    return out


def psnr(a, b) -> float:
    return float(-10 * np.log10(np.mean((np.asarray(a, np.float64) - b) ** 2)))


def quality(ready: bool) -> None:
    from restoration import TEST_IMAGES, noisy_file, test_image

    from dpm_studio import api
    from dpm_studio.core.math import nets_image
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.core.run.tasks import run_task

    loaded, gaps = api.load_checkpoint(task="denoise"), []
    for name in TEST_IMAGES:
        clean = test_image(name)
        for s in (15, 25, 50):
            img = noisy_file(clean, s, 1000 * s + TEST_IMAGES.index(name))
            got = {}
            for mode in ("off", "on"):
                nets_image._NNPACK_READY[:] = [ready and mode == "on"]
                *_, rec = run_task(loaded, DenoiseRequest(sigma=s / 255), img)
                got[mode] = psnr(np.squeeze(rec.image), clean)
            gaps.append(got["on"] - got["off"])
            print(f"{name} sigma {s}: PSNR off {got['off']:.4f} on {got['on']:.4f} dB ({gaps[-1]:+.4f})", flush=True)
    nets_image._NNPACK_READY[:] = [ready]
    print(f"on - off: mean {np.mean(gaps):+.5f} dB, largest |difference| {np.abs(gaps).max():.5f} dB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--rows", default="denoise256,denoise1mp,inpaint")
    ap.add_argument("--psnr", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import torch

    from dpm_studio import api
    from dpm_studio.core.math import nets_image
    from dpm_studio.core.run.requests import DenoiseRequest, InpaintRequest
    from dpm_studio.core.run.tasks import run_task

    torch.set_num_threads(args.threads)
    ready = nets_image.nnpack_ready()
    print(f"torch {torch.__version__}, {args.threads} thread(s), NNPACK available: {ready}")
    if args.psnr:
        quality(ready)
        return
    for name, (task, clean, img, mask) in cases(args.rows.split(",")).items():
        loaded = api.load_checkpoint(task=task)
        req = DenoiseRequest() if task == "denoise" else InpaintRequest(seed=0)
        times, outs = {"off": [], "on": []}, {}
        for r in range(args.reps + 1):
            for mode in ("off", "on"):
                nets_image._NNPACK_READY[:] = [ready and mode == "on"]
                w, c = time.perf_counter(), time.process_time()
                *_, rec = run_task(loaded, req, img, mask=mask)
                if r:
                    times[mode].append((time.perf_counter() - w, time.process_time() - c))
                outs[mode] = rec.image
        nets_image._NNPACK_READY[:] = [ready]
        diff = float(np.abs(outs["on"] - outs["off"]).max())
        levels = int((np.round(outs["on"] * 255) != np.round(outs["off"] * 255)).sum())
        line = [f"{name}:"]
        for mode, v in times.items():
            line.append(f"NNPACK {mode} wall {statistics.median(a for a, _ in v):.3f} s CPU "
                        f"{statistics.median(b for _, b in v):.3f} s, PSNR {psnr(outs[mode], clean):.4f} dB;")
        line.append(f"largest difference {diff:.2e}, 8-bit values that differ {levels} of {outs['on'].size}")
        print(" ".join(line), flush=True)


if __name__ == "__main__":
    main()
