"""Quality and CPU time of a model's run settings, for choosing its card's defaults (docs/speed.md).

    python benchmarks/settings_sweep.py denoise MODEL:VIEWS:STEPS[:PRECISION],...
    python benchmarks/settings_sweep.py inpaint MODEL:STEPS:JUMP_LENGTH:JUMP_N,... [--seeds 1,2,3,4]

MODEL is a checkpoint's name or card path. ``denoise``: benchmarks/restoration.py's 15 denoising rows
(the five test images' 256 x 256 centre crops at sigma 15, 25 and 50, the same 8-bit clipped files
and seeds), each run as ``DenoiseRequest(sigma=s, ensemble=VIEWS, clip_steps=STEPS)`` (STEPS 0:
clipping ignored); prints the mean PSNR, every row's, and the median CPU seconds per photo.
``inpaint``: restoration.py's two masks (the 64 x 64 centre hole, the strokes) on the five images,
one sample each at every seed with the app's defaults but the steps and jumps given; prints each
mask's mean hole PSNR (per image: the mean over the seeds) and the median CPU seconds of a hole.
One thread (as docs/speed.md compares); the configurations run one after the other.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from restoration import TEST_IMAGES, inpaint_cases, last, noisy_file, psnr, test_image  # noqa: E402

from dpm_studio.core.files.checkpoint import load, resolve  # noqa: E402
from dpm_studio.core.run.requests import DenoiseRequest, InpaintRequest  # noqa: E402
from dpm_studio.core.run.tasks import run_task  # noqa: E402

_models: dict = {}


def model(name):
    if name not in _models:
        _models[name] = load(resolve(name))
    return _models[name]


def denoise(configs):
    cases = []
    for name in TEST_IMAGES:
        clean = test_image(name)
        for s in (15, 25, 50):
            cases.append((clean, s, noisy_file(clean, s, 1000 * s + TEST_IMAGES.index(name))))
    for c in configs:
        name, views, steps, *prec = c.split(":")
        m, steps = model(name), int(steps)
        clip = dict(clip_steps=steps) if steps else dict(clipping="ignore")
        rows, cpu = [], []
        for clean, s, noisy in cases:
            req = DenoiseRequest(sigma=s / 255, ensemble=int(views), precision=(prec or ["auto"])[0], **clip)
            c0 = time.process_time()
            out = np.squeeze(last(run_task(m, req, noisy))).reshape(clean.shape)
            cpu.append(time.process_time() - c0)
            rows.append(psnr(out, clean))
        print(f"{c}: mean {np.mean(rows):.3f} dB, CPU {statistics.median(cpu):.3f} s per photo; rows "
              + " ".join(f"{r:.2f}" for r in rows), flush=True)


def inpaint(configs, seeds):
    cases = list(inpaint_cases(hole_name="hole"))
    for c in configs:
        name, steps, jl, jn = c.split(":")
        m, per, cpu = model(name), {}, []
        for image, mask_name, clean, damaged, mask in cases:
            for seed in seeds:
                req = InpaintRequest(seed=seed, steps=int(steps), jump_length=int(jl), jump_n_sample=int(jn))
                c0 = time.process_time()
                out = np.squeeze(last(run_task(m, req, damaged, mask=mask))).reshape(clean.shape)
                if mask_name == "hole":
                    cpu.append(time.process_time() - c0)
                per.setdefault((image, mask_name), []).append(psnr(out, clean, mask))
        means = {k: float(np.mean(v)) for k, v in per.items()}
        by_mask = {k: np.mean([v for (_, mk), v in means.items() if mk == k]) for k in ("hole", "strokes")}
        print(f"{c}: hole {by_mask['hole']:.3f} dB, strokes {by_mask['strokes']:.3f} dB, CPU "
              f"{statistics.median(cpu):.3f} s per hole; " + " ".join(f"{i}/{k} {v:.2f}" for (i, k), v in means.items()),
              flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("task", choices=("denoise", "inpaint"))
    ap.add_argument("configs", help="comma-separated, see above")
    ap.add_argument("--seeds", default="1,2,3,4")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    configs = args.configs.split(",")
    if args.task == "denoise":
        denoise(configs)
    else:
        inpaint(configs, [int(s) for s in args.seeds.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
