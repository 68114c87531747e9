"""What sets an inpainting's detail ratio (issue 21: one sample's in [0.7, 1.3]); docs/inpaint-grain.md.

    python benchmarks/inpaint_detail.py LABEL=JSON [LABEL=JSON ...] [--held-out N] [--seeds 1,2]
        [--masks hole,strokes]

Each configuration is the app's inpainting request (``InpaintRequest()``) with the JSON's settings
(``{"steps": 50, "jump_length": 0, "variance": "large", "checkpoint": "photos-rgb-v2"}``; checkpoint
default: the inpainting task's). Keys of the sampler that no request holds, set for the run only:

- ``"_tau"``: every reverse kernel's variance times this (a temperature; 1 = the sampler's own);
- ``"_draw_last"``: true draws the last step (t = 1 -> 0) instead of taking its mean;
- ``"_loud_last"``: true turns the quiet last jump off (core/math/sampling.py's ``quiet_last_jump``);
- ``"_ring": [TAU_MAX, E0]``: a temperature per pixel from the known surroundings' detail (session 18):
  E, the rms Laplacian (0-255 units, of the channel mean) of the known pixels at least 2 px from the hole,
  a Gaussian-weighted average of width ``RING_SIGMA`` px about each pixel (normalised over the known
  pixels, so it reaches into the hole); tau = 1 + (TAU_MAX - 1) E^2 / (E^2 + E0^2): about 1 where the
  surroundings are smooth, TAU_MAX where they are textured;
- ``"_match": [TAU_MAX, GAMMA]``: a temperature per step and sample from the model's own estimate: the rms
  Laplacian of x_0's estimate on the known ring (within ``RING_WIDTH`` px of the hole) over that in the
  hole, to the power GAMMA, clamped to [1, TAU_MAX], applied in the hole: hotter while the fill is
  smoother than its surroundings at the same step.

- ``"_luma": true``: the temperature's extra variance, (tau - 1) times the kernel's (its channel mean), drawn as
  one normal per pixel shared by the channels (grey texture) added to the kernel's mean, the kernel's own
  variance unchanged; none on the draws into t = 1 and t = 0 (which the quiet last jump and the last step's
  mean leave at the kernel's own, as they do a scaled variance).

``--skip K``: leave out the first K held-out photos (choose a setting on photos K+1..N, report on 1..K).
``--png DIR``: each case's 96 x 96 around the hole (the truth, then each configuration's fill) as a PNG,
twice enlarged.

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
import torch.nn.functional as F
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


RING_SIGMA = 16.0  # px: the width of the surroundings' detail average (the 64 x 64 hole's centre is 32 px in)
RING_WIDTH = 16   # px: the known ring whose estimate ``_match`` compares with the hole's


def laplace(x):
    """The Laplacian of the channel mean, (B, 1, H, W); edges replicated."""
    g = x.mean(1, keepdim=True)
    k = torch.tensor([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=g.dtype, device=g.device)
    return F.conv2d(F.pad(g, (1, 1, 1, 1), mode="replicate"), k[None, None])


def erode(m, r):
    """A (B, 1, H, W) 0/1 mask eroded by ``r`` px (square)."""
    return 1 - F.max_pool2d(1 - m, 2 * r + 1, stride=1, padding=r)


def blur(x, sigma):
    """Separable Gaussian of std ``sigma`` px, zero outside."""
    r = int(3 * sigma)
    k = torch.exp(-0.5 * (torch.arange(-r, r + 1, dtype=x.dtype, device=x.device) / sigma) ** 2)
    k = (k / k.sum())
    x = F.conv2d(F.pad(x, (r, r, 0, 0)), k[None, None, None, :])
    return F.conv2d(F.pad(x, (0, 0, r, r)), k[None, None, :, None])


def surroundings_detail(y, known, std):
    """E: the known pixels' rms Laplacian (0-255) about each pixel (see the module docstring)."""
    valid = erode((known[:, :1] >= 1).to(y.dtype), 2)
    num, den = blur(laplace(y) ** 2 * valid, RING_SIGMA), blur(valid, RING_SIGMA)
    return torch.sqrt(num / den.clamp_min(1e-6)) * std * 255


_ctx: dict = {}


def ring_tau(tau_max, e0):
    e = surroundings_detail(_ctx["y"], _ctx["known"], _ctx["std"])
    return 1 + (tau_max - 1) * e ** 2 / (e ** 2 + e0 ** 2)


def match_tau(x0, tau_max, gamma):
    hole = (_ctx["known"][:, :1] < 1).to(x0.dtype)
    inner = erode(hole, 2)
    ring = erode(1 - hole, 2) * (F.max_pool2d(hole, 2 * RING_WIDTH + 1, stride=1, padding=RING_WIDTH) > 0)
    lap2 = laplace(x0.float()) ** 2
    rms = [torch.sqrt((lap2 * m).sum((1, 2, 3)) / m.sum((1, 2, 3)).clamp_min(1)) for m in (ring, inner)]
    tau = ((rms[0] / rms[1].clamp_min(1e-9)) ** gamma).clamp(1, tau_max)
    return 1 + (tau[:, None, None, None] - 1) * hole


@contextmanager
def sampler(tau=1.0, draw_last=False, loud_last=False, ring=None, match=None, luma=False, std=1.0):
    """The sampler with its variance scaled by ``tau`` (or per pixel: ``ring``, ``match``) and its last
    step drawn / last jump loud."""
    p_dist, trajectory, inpaint = gaussian.GaussianDiffusion.p_dist, tasks.reverse_trajectory, tasks.Inpaint

    def scaled(self, *a, **k):
        dist, x0 = p_dist(self, *a, **k)
        if ring is not None and "map" not in _ctx:
            _ctx["map"] = ring_tau(*ring)
        t = _ctx["map"] if ring is not None else match_tau(x0, *match) if match is not None else tau
        if not luma:
            return type(dist)(dist.mean, dist.var * t), x0
        s = a[3] if len(a) > 3 else k.get("s")
        if s is not None and float(torch.as_tensor(s).min()) <= 1:
            return dist, x0
        extra = ((t - 1) * dist.var).mean(1, keepdim=True)
        n = torch.randn(extra.shape, generator=_ctx["gen"], dtype=extra.dtype)
        return type(dist)(dist.mean + extra.sqrt() * n, dist.var), x0

    def condition(y, known, **k):
        _ctx.clear()
        _ctx.update(y=y, known=known, std=std, gen=torch.Generator().manual_seed(18))
        return inpaint(y, known, **k)

    def run(*a, **k):
        if draw_last:
            k["denoise_last"] = False
        if loud_last:
            k["quiet_last_jump"] = False
        return trajectory(*a, **k)

    if tau != 1.0 or ring is not None or match is not None or luma:
        gaussian.GaussianDiffusion.p_dist = scaled
    tasks.reverse_trajectory, tasks.Inpaint = run, condition
    try:
        yield
    finally:
        gaussian.GaussianDiffusion.p_dist, tasks.reverse_trajectory, tasks.Inpaint = p_dist, trajectory, inpaint


def save_crops(path, images, mask, side=96):
    """The ``side`` x ``side`` about the mask's centre of each image, side by side, twice enlarged."""
    from PIL import Image

    rows, cols = np.nonzero(mask > 0)
    top = int(np.clip((rows.min() + rows.max()) // 2 - side // 2, 0, mask.shape[0] - side))
    left = int(np.clip((cols.min() + cols.max()) // 2 - side // 2, 0, mask.shape[1] - side))
    strip = np.concatenate([np.clip(im[top:top + side, left:left + side], 0, 1) for im in images], axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.round(strip * 255).astype(np.uint8)).resize((strip.shape[1] * 2, side * 2),
                                                                   Image.NEAREST).save(path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("configs", nargs="+", help="LABEL=JSON, see above")
    ap.add_argument("--held-out", type=int, default=6, metavar="N")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--masks", default="hole,strokes")
    ap.add_argument("--skip", type=int, default=0, metavar="K", help="leave out the first K held-out photos")
    ap.add_argument("--png", type=Path, metavar="DIR", help="save each case's crops around the hole here")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    configs = []
    for c in args.configs:
        label, _, js = c.partition("=")
        s = json.loads(js or "{}")
        extra = {k[1:]: s.pop(k) for k in list(s) if k.startswith("_")}
        configs.append((label, s.pop("checkpoint", default_checkpoint("inpaint")), s, extra))
    images = dict(list(held_out_images(args.held_out))[args.skip:])
    masks = args.masks.split(",")
    cases = [c for c in inpaint_cases(list(images), hole_name="hole", image=images.get) if c[1] in masks]
    seeds = [int(s) for s in args.seeds.split(",")]
    res = {label: {} for label, *_ in configs}
    for image, mask_name, clean, damaged, mask in cases:
        for seed in seeds:
            outs = [clean]
            for label, ckpt, settings, extra in configs:
                req = InpaintRequest(seed=seed, **settings)
                with sampler(**extra, std=tasks._scale(model(ckpt).card)[1]):
                    c0 = time.process_time()
                    for rec in tasks.run_task(model(ckpt), req, damaged, mask=mask):
                        pass
                    cpu = time.process_time() - c0
                out = np.squeeze(rec.image).reshape(clean.shape)
                outs.append(out)
                # the grid's steps (fewer than asked where the start leaves fewer) from the transitions run
                n = next(n for n in range(1, rec.total + 1)
                         if len(transitions(n, req.jump_length, req.jump_n_sample)) == rec.total)
                passes = sum(j > i for i, j in transitions(n, req.jump_length, req.jump_n_sample))
                res[label].setdefault(mask_name, []).append((image, seed, *measures(out, clean, mask), cpu, passes))
            if args.png:
                save_crops(args.png / f"{image}-{mask_name}-{seed}.png", outs, mask)
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
