"""Two inpainting choices checked on held-out photographs, not only on the test images.

    DPM_STUDIO_WALLPAPERS=/path/to/wallpapers python benchmarks/inpaint_variants.py
        [--checkpoint photos-rgb] [--held-out 10] [--part fill,variance]

A 64 x 64 centre hole, the app's defaults otherwise (INPAINT_DEFAULTS), seed 1, one thread.
Images: ``--held-out`` crops of 192 x 192 from the photos recipe's held-out split (the
wallpaper photographs the checkpoint never trained on; seed 5), then the five 256 x 256
test crops of benchmarks/restoration.py. A choice is made on the held-out crops; the test
images only report it.

``fill``: which smooth fill the trajectory starts from (forward-noised to std
``start_sigma``): our harmonic fill, or OpenCV's Navier-Stokes or Telea inpainting (the
best classic methods on most test images). Hole PSNR of the fill alone and of the
posterior mean of 4 samples started from it.

``variance``: the reverse kernels' variance, the model's learned one or the large fixed
one (1 - ab_t / ab_s): one sample's hole PSNR and detail ratio.
Prints markdown tables (docs/conditioning.md holds the last run).
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

from restoration import TEST_IMAGES, detail_ratio, psnr, telea, test_image  # noqa: E402

import dpm_studio.core.math.conditioning as conditioning  # noqa: E402
from dpm_studio.core.files.checkpoint import load, resolve  # noqa: E402
from dpm_studio.core.run.tasks import INPAINT_DEFAULTS as D  # noqa: E402
from dpm_studio.core.run.tasks import _scale, run_task  # noqa: E402


def images(n_held_out: int):
    from dpm_studio.core.train.presets import _recipe

    r = _recipe("photos-rgb")
    crops = r.held_out(n_held_out, 192, seed=5) if n_held_out else []
    out = [(f"held-out {i}", np.clip(r.unscale(x).permute(1, 2, 0).numpy(), 0, 1).astype(np.float32))
           for i, x in enumerate(crops)]
    for name in TEST_IMAGES:
        a = test_image(name)
        out.append((name, np.repeat(a[:, :, None], 3, axis=2) if a.ndim == 2 else a))
    return out


def centre_hole(shape):
    hole = np.zeros(shape[:2], np.float32)
    c = shape[0] // 2 - 32
    hole[c:c + 64, c:c + 64] = 1
    return hole


def opencv_fill(flag, mean, std):
    """A stand-in for ``conditioning.harmonic_fill`` (model space in and out): OpenCV's fill via ``telea``."""
    import torch

    def fill(y, known):
        x = (y * std + mean).clamp(0, 1).permute(0, 2, 3, 1).numpy()
        holes = (known[:, 0] < 0.5).numpy()
        outs = [telea(x[b], holes[min(b, len(holes) - 1)], flag).reshape(x[b].shape) for b in range(len(x))]
        z = ((torch.from_numpy(np.stack(outs)).permute(0, 3, 1, 2) - mean) / std).to(y.dtype)
        return torch.where(known > 0.5, y, z)
    return fill


def run(model, damaged, hole, samples=1, **kw):
    t0 = time.perf_counter()
    for rec in run_task(model, "inpaint", damaged, mask=hole, seed=1, samples=samples, **{**D, **kw}):
        pass
    return np.asarray(rec.image).reshape(damaged.shape), time.perf_counter() - t0


def part_fill(model, data):
    import torch

    mean, std = _scale(model.card)
    fills = {"harmonic (ours)": conditioning.harmonic_fill, "Navier-Stokes (OpenCV)": opencv_fill("ns", mean, std),
             "Telea (OpenCV)": opencv_fill("telea", mean, std)}
    print("| image | start fill | fill alone: hole PSNR (dB) | mean of 4 from it: hole PSNR (dB) |")
    print("|---|---|---|---|")
    sums = {}
    try:
        for name, clean in data:
            hole = centre_hole(clean.shape)
            damaged = clean.copy()
            damaged[hole > 0] = 0.5
            for label, fill in fills.items():
                conditioning.harmonic_fill = fill  # Inpaint(start="harmonic") looks it up at run time
                y = torch.from_numpy((damaged - mean) / std).permute(2, 0, 1)[None].float()
                alone = fill(y, torch.from_numpy(1 - hole)[None, None])[0].permute(1, 2, 0).numpy() * std + mean
                out, _ = run(model, damaged, hole, samples=4)
                a, b = psnr(np.clip(alone, 0, 1), clean, hole), psnr(out, clean, hole)
                if name.startswith("held-out"):
                    sums.setdefault(label, []).append((a, b))
                print(f"| {name} | {label} | {a:.2f} | {b:.2f} |", flush=True)
    finally:
        conditioning.harmonic_fill = fills["harmonic (ours)"]
    for label, v in sums.items():
        v = np.array(v)
        print(f"| held-out mean | {label} | {v[:, 0].mean():.2f} | {v[:, 1].mean():.2f} |")


def part_variance(model, data):
    print("| image | reverse variance | hole PSNR (dB) | detail ratio | seconds |")
    print("|---|---|---|---|---|")
    sums = {}
    for name, clean in data:
        hole = centre_hole(clean.shape)
        damaged = clean.copy()
        damaged[hole > 0] = 0.5
        for variance in ("learned", "large"):
            out, sec = run(model, damaged, hole, variance=variance)
            p, d = psnr(out, clean, hole), detail_ratio(out, clean, hole)
            if name.startswith("held-out"):
                sums.setdefault(variance, []).append((p, d))
            print(f"| {name} | {variance} | {p:.2f} | {d:.2f} | {sec:.1f} |", flush=True)
    for variance, v in sums.items():
        v = np.array(v)
        print(f"| held-out mean | {variance} | {v[:, 0].mean():.2f} | {v[:, 1].mean():.2f} | |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="photos-rgb")
    ap.add_argument("--held-out", type=int, default=10)
    ap.add_argument("--part", default="fill,variance")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    model = load(resolve(args.checkpoint))
    data = images(args.held_out)
    print(f"{args.checkpoint}: {model.card.get('training', {}).get('steps')} training steps\n")
    for part in args.part.split(","):
        {"fill": part_fill, "variance": part_variance}[part](model, data)
        print()


if __name__ == "__main__":
    main()
