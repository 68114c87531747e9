"""The grain of an inpainting's fill in a noisy photo (``--grain none`` against ``match``); docs/inpaint-grain.md.

    python benchmarks/inpaint_grain.py [--checkpoint NAME] [--png DIR] [--stopped] [--feather F]

The five test images (256 x 256 centre crops) with camera-like noise, var = 0.004 x + 0.0004
([0, 1] units), as an 8-bit file holds it (rounded, clipped at 0 and 255), and the 64 x 64 centre
hole (its pixels set to 0.5, as benchmarks/restoration.py's cases). Each is inpainted with the
command line's defaults (seed 0) and the result rounded to 8 bits, as it is saved.

The noise std (0-255 units) is read by one estimator everywhere: Donoho's, the median absolute
Haar diagonal detail of 2 x 2 blocks / 0.6745 (core/run/noise.py; the median interpolated within the
8-bit half step), which ignores smooth shading and straight edges. Columns: the fill's, with grain none and match; the noisy photo's own pixels in the
hole (the grain the fill stands in for); the surroundings' (the 32 px frame around the hole); the
std the true law gives at the fill's intensities (rms over its pixels). On the clean images: the law
the fit finds there and the mean |match - none| over the hole, in 8-bit steps (target: under 1).

--stopped adds the alternative not taken: the reverse trajectory (grain none) stopped at the last
recorded step whose noise, sqrt(1 - alpha-bar_t) in image units, is nearest the photo's (the fitted law
at the known pixels' mean intensity), its x_t put in the hole: the fill's std against the law at the
finished fill's intensities, and its mean's shift from the finished fill (0-255 units).

--feather F prints instead the edge's table: a smooth ramp (192 x 192, colour) with the same noise, its 64 x 64 centre hole
feathered by F px (the request's ``feather``), seeds 1 and 2; the std of (result - clean) / the law's std
by mask weight w, with grain none and match (1 everywhere is the photo's own noise; inside the hole the
fill's own error adds to it).

--png DIR writes before/after crops (the 128 x 128 around the hole, twice enlarged: the noisy photo,
the fill with none, the fill with match).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from camera_noise import camera_file  # noqa: E402
from restoration import SIZE, TEST_IMAGES, test_image  # noqa: E402

from dpm_studio.core.files.checkpoint import load, resolve  # noqa: E402
from dpm_studio.core.run.noise import MAD_NORMAL  # noqa: E402
from dpm_studio.core.run.requests import InpaintRequest  # noqa: E402
from dpm_studio.core.run.tasks import run_task  # noqa: E402
from dpm_studio.paths import default_checkpoint  # noqa: E402

A, B = 0.004, 0.0004
TOP, BOTTOM = 96, 160          # the 64 x 64 centre hole
FRAME = 32


def hh_sigma(*patches) -> float:
    """Donoho's noise std over the patches' 2 x 2 blocks, pooled (0-255 units)."""
    d = []
    for p in patches:
        p = np.asarray(p, np.float64)
        p = p[:p.shape[0] // 2 * 2, :p.shape[1] // 2 * 2]
        d.append(((p[0::2, 0::2] - p[0::2, 1::2] - p[1::2, 0::2] + p[1::2, 1::2]) / 2).ravel())
    ad = np.abs(np.concatenate(d)) * 255
    # 8-bit pixels give details in half steps, so the plain median jumps by 0.74 in std: interpolated within
    # the step (the median of a continuous variable spread evenly over it), as core/run/noise_level.py does
    step, m = 0.5, float(np.median(ad))
    below, at = float((ad < m - step / 4).sum()), float((np.abs(ad - m) <= step / 4).sum())
    lo = max(m - step / 2, 0.0)
    if at > 0:
        m = lo + (0.5 * len(ad) - below) / at * (m + step / 2 - lo)
    return m / MAD_NORMAL


def frame(img):
    lo, hi = TOP - FRAME, BOTTOM + FRAME
    return (img[lo:TOP, lo:hi], img[BOTTOM:hi, lo:hi], img[TOP:BOTTOM, lo:TOP], img[TOP:BOTTOM, BOTTOM:hi])


def holed(img, mask):
    """``img`` with the masked pixels set to 0.5, as restoration.inpaint_cases damages its cases."""
    d = img.copy()
    d[mask > 0] = 0.5
    return d


def inpaint(model, damaged, mask, grain):
    rec = None
    for rec in run_task(model, InpaintRequest(grain=grain, seed=0), damaged, mask=mask):
        pass
    return np.round(np.clip(rec.image, 0, 1) * 255) / 255, rec


def crop(img):
    c = img[TOP - 32:BOTTOM + 32, TOP - 32:BOTTOM + 32]
    c = np.repeat(np.repeat(c, 2, 0), 2, 1)
    return np.repeat(c, 3, 2) if c.shape[2] == 1 else c


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", default=default_checkpoint("inpaint"))
    p.add_argument("--png", type=Path, default=None)
    p.add_argument("--stopped", action="store_true", help="also the trajectory stopped where its noise matches")
    p.add_argument("--feather", type=float, default=None, help="instead: the grain under an edge feathered by F px")
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)
    model = load(resolve(args.checkpoint))
    if args.feather:
        return feathered(model, args.feather)
    mask = np.zeros((SIZE, SIZE), np.float32)
    mask[TOP:BOTTOM, TOP:BOTTOM] = 1
    hole = (slice(TOP, BOTTOM), slice(TOP, BOTTOM))
    print(f"checkpoint {args.checkpoint}; noise var = {A} x + {B}, 8-bit; 64 x 64 centre hole; std in 0-255 units\n")
    print("| image | fill, none | fill, match | photo in the hole | surroundings | law at the fill | "
          "match / law | clean: law found | clean: mean abs(match - none) |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|")
    for i, name in enumerate(TEST_IMAGES):
        x = test_image(name)
        x = x[:, :, None] if x.ndim == 2 else x
        y = camera_file(x, A, B, seed=i + 1)
        row, crops = [], [crop(y)]
        for grain in ("none", "match"):
            out, _ = inpaint(model, holed(y, mask), mask, grain)
            row.append(hh_sigma(*(out[hole][:, :, c] for c in range(out.shape[2]))))
            crops.append(crop(out))
        law = float(np.sqrt(np.mean(A * out[hole] + B)) * 255)
        truth = hh_sigma(*(y[hole][:, :, c] for c in range(y.shape[2])))
        around = hh_sigma(*(f[:, :, c] for f in frame(y) for c in range(y.shape[2])))
        clean = np.round(x * 255) / 255
        d = holed(clean, mask)
        a, _ = inpaint(model, d, mask, "none")
        b, rec = inpaint(model, d, mask, "match")
        from dpm_studio.core.run.grain import grain_law

        kind = grain_law(d, mask == 0)["kind"]
        delta = float(np.abs(b[hole] - a[hole]).mean() * 255)
        print(f"| {name} | {row[0]:.2f} | {row[1]:.2f} | {truth:.2f} | {around:.2f} | {law:.2f} | "
              f"{row[1] / law:.2f} | {kind} | {delta:.2f} |", flush=True)
        if args.png:
            from PIL import Image

            args.png.mkdir(parents=True, exist_ok=True)
            strip = np.concatenate([np.pad(c, ((0, 0), (0, 8), (0, 0)), constant_values=1) for c in crops], 1)
            Image.fromarray((strip * 255 + 0.5).astype(np.uint8)).save(args.png / f"grain-{name}.png")
    if args.stopped:
        stopped(model, mask, hole, args.png)


def feathered(model, amount: float):
    """The grain under a feathered edge (see the module's docstring)."""
    from dpm_studio.core.run.masks import prepare_mask

    n = 192
    yy, xx = np.mgrid[0:n, 0:n] / n
    clean = np.stack([0.3 + 0.4 * xx, 0.35 + 0.3 * yy, 0.5 + 0.1 * (xx - yy)], -1).astype(np.float32)
    mask = np.zeros((n, n), np.float32)
    mask[64:128, 64:128] = 1
    w = prepare_mask(mask, (n, n), soft=False, amount=amount)
    bands = ((0.0, 0.0), (0.01, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 0.99), (0.99, 1.0))
    sel = [(w == 0) if hi == 0 else (w > lo) & (w <= hi) for lo, hi in bands]
    z = {"none": [[] for _ in bands], "match": [[] for _ in bands]}
    for seed in (1, 2):
        y = camera_file(clean, A, B, seed=seed)
        for grain in z:
            rec = None
            for rec in run_task(model, InpaintRequest(grain=grain, seed=seed, feather=amount), holed(y, mask), mask=mask):
                pass
            r = (np.round(np.clip(rec.image, 0, 1) * 255) / 255 - clean) / np.sqrt(A * clean + B)
            for k, s in enumerate(sel):
                z[grain][k].append(r[s])
    print(f"\nfeather {amount:g} px: std of (result - clean) / the law's std, by mask weight w\n")
    print("| w | pixels | grain none | grain match |\n|---|---:|---:|---:|")
    for k, (lo, hi) in enumerate(bands):
        print(f"| {lo:g}-{hi:g} | {int(sel[k].sum())} | {np.concatenate(z['none'][k]).std():.3f} | "
              f"{np.concatenate(z['match'][k]).std():.3f} |", flush=True)


def stopped(model, mask, hole, png=None):
    """The trajectory stopped where its noise matches the photo's (see the module's docstring)."""
    import torch

    from dpm_studio.core.run.grain import grain_law

    std = float(model.card["data"].get("scale", {}).get("std", 1.0))
    print("\n| image | stopped at t | x_t noise | photo's noise | fill, stopped | law at the fill | stopped / law | "
          "mean shift |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for i, name in enumerate(TEST_IMAGES):
        x = test_image(name)
        x = x[:, :, None] if x.ndim == 2 else x
        y = camera_file(x, A, B, seed=i + 1)
        d = holed(y, mask)
        law = grain_law(d, mask == 0)
        xbar = float(d[mask == 0].mean())
        target = float(np.sqrt(np.mean([c["a"] * xbar + c["b"] for c in law["channels"]])))
        recs, final = [], None
        for rec in run_task(model, InpaintRequest(grain="none", seed=0), d, mask=mask):
            if rec.done:
                final = np.round(np.clip(rec.image, 0, 1) * 255) / 255
            else:
                ab = float(model.diffusion.alpha_bar(torch.tensor([float(rec.t)]))[0])
                recs.append((float(rec.t), np.sqrt(1 - ab) * std, rec.image.copy(), rec.box))
        t, s, img, (top, left, _, _) = min(reversed(recs), key=lambda r: abs(r[1] - target))   # the last nearest
        out = y.copy()
        out[hole] = np.round(np.clip(img[TOP - top:BOTTOM - top, TOP - left:BOTTOM - left], 0, 1) * 255) / 255
        fill = hh_sigma(*(out[hole][:, :, c] for c in range(out.shape[2])))
        at = float(np.sqrt(np.mean(A * final[hole] + B)) * 255)
        shift = float((out[hole].mean() - final[hole].mean()) * 255)
        print(f"| {name} | {t:.0f} | {s * 255:.1f} | {target * 255:.1f} | {fill:.2f} | {at:.2f} | {fill / at:.2f} | "
              f"{shift:+.2f} |", flush=True)
        if png:
            from PIL import Image

            strip = np.concatenate([np.pad(c, ((0, 0), (0, 8), (0, 0)), constant_values=1)
                                    for c in (crop(final), crop(out))], 1)
            Image.fromarray((strip * 255 + 0.5).astype(np.uint8)).save(png / f"stopped-{name}.png")


if __name__ == "__main__":
    main()
