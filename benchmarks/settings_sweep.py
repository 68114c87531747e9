"""Quality and CPU time of a model's run settings, for choosing its card's defaults (docs/speed.md).

    python benchmarks/settings_sweep.py denoise MODEL:VIEWS:STEPS[:PRECISION],...
    python benchmarks/settings_sweep.py inpaint MODEL:STEPS:JUMP_LENGTH:JUMP_N,... [--seeds 1,2,3,4]
        [--held-out N] [--samples K]

MODEL is a checkpoint's name or card path. ``denoise``: benchmarks/restoration.py's 15 denoising rows
(the five test images' 256 x 256 centre crops at sigma 15, 25 and 50, the same 8-bit clipped files
and seeds), each run as ``DenoiseRequest(sigma=s, ensemble=VIEWS, clip_steps=STEPS)`` (STEPS 0:
clipping ignored); prints the mean PSNR, every row's, and the median CPU seconds per photo.
``inpaint``: restoration.py's two masks (the 64 x 64 centre hole, the strokes) on the five images,
one sample each at every seed with the app's defaults but the steps and jumps given; prints each
mask's mean hole PSNR (per image: the mean over the seeds), the median detail ratio (restoration.py's)
and the median CPU seconds of a hole. ``--held-out N``: instead of the test images, N held-out photos
(``held_out_images``: mate-backgrounds' nature photos, never trained on, and the wallpapers' held-out
rightmost 20 % of columns), the same two masks. ``--samples K``: each fill the mean of K samples (the
issue's "mean of 4"; the detail ratio is then the mean's). One thread (as docs/speed.md compares); the
configurations interleaved case by case, so a change of load falls on all of them alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from restoration import (  # noqa: E402
    SIZE, TEST_IMAGES, detail_ratio, inpaint_cases, last, noisy_file, psnr, test_image)

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


#: held-out photos: mate-backgrounds (never in any photos recipe) and the wallpapers' held-out columns
MATE = Path("/tmp/grey22/eval/x/usr/share/backgrounds/mate/nature")
WALLPAPERS = Path(os.environ.get("DPM_STUDIO_WALLPAPERS", "/work/data/wallpapers"))
HELD_OUT = ("mate:Garden.jpg", "wall:BytheWater.jpg", "mate:Storm.jpg", "wall:ColdRipple.jpg",
            "mate:Wood.jpg", "wall:EveningGlow.jpg", "mate:Dune.jpg", "wall:DarkestHour.jpg")


def held_out_images(n):
    """(name, 256 x 256 float image) for the first ``n`` of HELD_OUT: a wallpaper's rightmost 20 % of
    columns (the photos recipes' held-out split), a mate photo whole; scaled so the short side is 256
    (area), the centre square."""
    from PIL import Image

    for entry in HELD_OUT[:n]:
        kind, file = entry.split(":")
        im = Image.open((MATE if kind == "mate" else WALLPAPERS) / file).convert("RGB")
        if kind == "wall":
            im = im.crop((im.width - im.width // 5, 0, im.width, im.height))
        k = SIZE / min(im.size)
        im = im.resize((max(SIZE, round(im.width * k)), max(SIZE, round(im.height * k))), Image.BOX)
        left, top = (im.width - SIZE) // 2, (im.height - SIZE) // 2
        yield Path(file).stem, np.asarray(im.crop((left, top, left + SIZE, top + SIZE)), np.float32) / 255


def inpaint(configs, seeds, held_out=0, samples=1):
    images = dict(held_out_images(held_out)) if held_out else None
    cases = list(inpaint_cases(list(images), hole_name="hole", image=images.get) if images
                 else inpaint_cases(hole_name="hole"))
    per, detail, cpu = ({c: {} for c in configs} for _ in range(3))
    for image, mask_name, clean, damaged, mask in cases:
        for seed in seeds:
            for c in configs:
                name, steps, jl, jn = c.split(":")
                req = InpaintRequest(seed=seed, steps=int(steps), jump_length=int(jl), jump_n_sample=int(jn),
                                     samples=samples)
                c0 = time.process_time()
                out = np.squeeze(last(run_task(model(name), req, damaged, mask=mask))).reshape(clean.shape)
                if mask_name == "hole":
                    cpu[c].setdefault(image, []).append(time.process_time() - c0)
                per[c].setdefault((image, mask_name), []).append(psnr(out, clean, mask))
                detail[c].setdefault((image, mask_name), []).append(detail_ratio(out, clean, mask))
    for c in configs:
        means = {k: float(np.mean(v)) for k, v in per[c].items()}
        by_mask = {k: np.mean([v for (_, mk), v in means.items() if mk == k]) for k in ("hole", "strokes")}
        print(f"{c}: hole {by_mask['hole']:.3f} dB, strokes {by_mask['strokes']:.3f} dB, detail ratio median "
              f"{statistics.median(x for v in detail[c].values() for x in v):.2f}, CPU "
              f"{statistics.median(x for v in cpu[c].values() for x in v):.3f} s per hole; "
              + " ".join(f"{i}/{k} {v:.2f} (detail {np.mean(detail[c][i, k]):.2f})" for (i, k), v in means.items()),
              flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("task", choices=("denoise", "inpaint"))
    ap.add_argument("configs", help="comma-separated, see above")
    ap.add_argument("--seeds", default="1,2,3,4")
    ap.add_argument("--held-out", type=int, default=0, metavar="N", help="inpaint: N held-out photos, not the test images")
    ap.add_argument("--samples", type=int, default=1, help="inpaint: each fill the mean of this many samples")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    configs = args.configs.split(",")
    if args.task == "denoise":
        denoise(configs)
    else:
        inpaint(configs, [int(s) for s in args.seeds.split(",")], args.held_out, args.samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
