"""What sets an inpainting's detail ratio (issue 21: one sample's in [0.7, 1.3]); docs/inpaint-grain.md.

    python benchmarks/inpaint_detail.py LABEL=JSON [LABEL=JSON ...] [--held-out N] [--seeds 1,2]
        [--masks hole,strokes]

Each configuration is the app's inpainting request (``InpaintRequest()``) with the JSON's settings
(``{"steps": 50, "jump_length": 0, "variance": "large", "checkpoint": "photos-rgb-v2"}``; checkpoint
default: the inpainting task's). Keys of the sampler that no request holds, set for the run only:

- ``"_tau"``: every reverse kernel's variance times this (a temperature; 1 = the sampler's own);
- ``"_draw_last"``: true draws the last step (t = 1 -> 0) instead of taking its mean;
- ``"_loud_last"``: true turns the quiet last jump off (core/math/sampling.py's ``quiet_last_jump``).

Cases: settings_sweep.py's held-out photos (mate-backgrounds and the wallpapers' held-out columns, never
trained on; 256 x 256) with restoration.py's two masks (the 64 x 64 centre hole, the strokes), one sample
per seed, the configurations interleaved case by case (a change of load falls on all alike), one thread.
Printed per configuration and mask: the mean hole PSNR, the median and range of the detail ratio
(restoration.py's: the std of the fill's Laplacian over the truth's, inside the mask eroded by 2 px),
the median of the same at half size (2 x 2 block means: texture of 2-4 px rather than pixel grain) and
of the grain ratio (the rms Haar diagonal detail of 2 x 2 blocks, the fill's over the truth's, the
finest scale), the network passes and the median CPU seconds of a case.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from inpaint_seam import grain  # noqa: E402
from restoration import detail_ratio, inpaint_cases, psnr  # noqa: E402
from settings_sweep import held_out_images, model  # noqa: E402

from dpm_studio.core.math import gaussian  # noqa: E402
from dpm_studio.core.math.sampling import transitions  # noqa: E402
from dpm_studio.core.run import tasks  # noqa: E402
from dpm_studio.core.run.requests import InpaintRequest  # noqa: E402
from dpm_studio.paths import default_checkpoint  # noqa: E402


def coarse(a):
    """2 x 2 block means (a mask: blocks wholly inside)."""
    a = a[:a.shape[0] // 2 * 2, :a.shape[1] // 2 * 2]
    b = a.reshape(a.shape[0] // 2, 2, a.shape[1] // 2, 2, *a.shape[2:])
    return b.min((1, 3)) if a.dtype == bool else b.mean((1, 3))


def measures(out, clean, mask):
    """Hole PSNR, the detail ratio, the same at half resolution (texture of 2-4 px, not pixel grain) and
    the grain ratio (the rms Haar diagonal detail of 2 x 2 blocks, the fill's over the truth's)."""
    inner = ndimage.binary_erosion(mask > 0, iterations=2)
    return (psnr(out, clean, mask), detail_ratio(out, clean, mask),
            detail_ratio(coarse(out), coarse(clean), coarse(mask > 0)),
            grain(out, inner) / max(grain(clean, inner), 1e-12))


@contextmanager
def sampler(tau=1.0, draw_last=False, loud_last=False):
    """The sampler with its variance scaled by ``tau`` and its last step drawn / last jump loud."""
    p_dist, trajectory = gaussian.GaussianDiffusion.p_dist, tasks.reverse_trajectory

    def scaled(self, *a, **k):
        dist, x0 = p_dist(self, *a, **k)
        return type(dist)(dist.mean, dist.var * tau), x0

    def run(*a, **k):
        if draw_last:
            k["denoise_last"] = False
        if loud_last:
            k["quiet_last_jump"] = False
        return trajectory(*a, **k)

    if tau != 1.0:
        gaussian.GaussianDiffusion.p_dist = scaled
    tasks.reverse_trajectory = run
    try:
        yield
    finally:
        gaussian.GaussianDiffusion.p_dist, tasks.reverse_trajectory = p_dist, trajectory


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("configs", nargs="+", help="LABEL=JSON, see above")
    ap.add_argument("--held-out", type=int, default=6, metavar="N")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--masks", default="hole,strokes")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    configs = []
    for c in args.configs:
        label, _, js = c.partition("=")
        s = json.loads(js or "{}")
        extra = {k[1:]: s.pop(k) for k in list(s) if k.startswith("_")}
        configs.append((label, s.pop("checkpoint", default_checkpoint("inpaint")), s, extra))
    images = dict(held_out_images(args.held_out))
    masks = args.masks.split(",")
    cases = [c for c in inpaint_cases(list(images), hole_name="hole", image=images.get) if c[1] in masks]
    seeds = [int(s) for s in args.seeds.split(",")]
    res = {label: {} for label, *_ in configs}
    for image, mask_name, clean, damaged, mask in cases:
        for seed in seeds:
            for label, ckpt, settings, extra in configs:
                req = InpaintRequest(seed=seed, **settings)
                with sampler(**extra):
                    c0 = time.process_time()
                    for rec in tasks.run_task(model(ckpt), req, damaged, mask=mask):
                        pass
                    cpu = time.process_time() - c0
                out = np.squeeze(rec.image).reshape(clean.shape)
                # the grid's steps (fewer than asked where the start leaves fewer) from the transitions run
                n = next(n for n in range(1, rec.total + 1)
                         if len(transitions(n, req.jump_length, req.jump_n_sample)) == rec.total)
                passes = sum(j > i for i, j in transitions(n, req.jump_length, req.jump_n_sample))
                res[label].setdefault(mask_name, []).append((image, seed, *measures(out, clean, mask), cpu, passes))
            print(f"# {image} {mask_name} seed {seed}: " + ", ".join(
                f"{label} {res[label][mask_name][-1][2]:.2f} dB / {res[label][mask_name][-1][3]:.2f}"
                for label, *_ in configs), flush=True)
    print("| configuration | mask | hole PSNR (dB) | detail ratio, median (range) | at half size | grain ratio | "
          "passes | CPU s |")
    print("|---|---|---:|---|---:|---:|---:|---:|")
    for label, *_ in configs:
        for m in masks:
            rows = res[label][m]
            d = [r[3] for r in rows]
            print(f"| {label} | {m} | {np.mean([r[2] for r in rows]):.3f} | {statistics.median(d):.2f} "
                  f"({min(d):.2f}-{max(d):.2f}) | {statistics.median(r[4] for r in rows):.2f} | "
                  f"{statistics.median(r[5] for r in rows):.2f} | {statistics.median(r[7] for r in rows):.0f} | "
                  f"{statistics.median(r[6] for r in rows):.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
