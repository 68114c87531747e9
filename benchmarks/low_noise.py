"""The one-sigma estimate on clean and lightly noisy 8-bit photos, and what the default denoise does with it.

    python benchmarks/low_noise.py [--sigmas 0 1 2 3 5] [--photos N] [--psnr] [--mate DIR] [--wallpapers DIR]

Photos that are neither test images nor training data: Debian's mate-backgrounds nature photos (read as
benchmarks/checkpoint_compare.py reads them: a quarter size, the centre 256 x 256, colour) and the
wallpapers' files as they are (the centre 256 x 256 of the full-size JPEG or PNG, its compression
artefacts kept). Each at sigma 0 (the file itself) and 1, 2, 3, 5 / 255: the clean image plus N(0,
sigma^2), rounded to 8 bits and clipped (seed 9000 + 100 i + sigma).

Per case: the truth (the sigma added; ``std(y - x)``, the noise the file holds against the clean
image, is sqrt(sigma^2 + 1/12) for sigma >= 1: the rounding of the noisy file), the estimate
(``median_noise_sigma``, the plain median) and now (``estimate_noise_sigma``), what ``--noise
auto`` decides (the fit's kind), and with ``--psnr`` the PSNR
against the clean image of doing nothing and of the default denoise (``api.denoise(y)``: auto, which
on a constant verdict is the one-sigma request with the estimate) told the estimate before and now
(photos-rgb, one torch thread). A zero estimate is refused by the default ("the image shows no
measurable noise"): the user keeps the file, so its PSNR is the identity's. Prints markdown.
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from dpm_studio.core.run.noise import estimate_noise_sigma, median_noise_sigma  # noqa: E402
from dpm_studio.core.run.noise_level import fit_noise_level  # noqa: E402

SIZE = 256


def _centre(x):
    t, left = (x.shape[0] - SIZE) // 2, (x.shape[1] - SIZE) // 2
    return x[t:t + SIZE, left:left + SIZE]


def photos(mate: str, wallpapers: str):
    """(set, name, clean 256 x 256 colour in [0, 1] on the 8-bit lattice)."""
    from PIL import Image

    for f in sorted(glob.glob(os.path.join(mate, "usr/share/backgrounds/mate/nature/*.jpg"))):
        im = Image.open(f).convert("RGB")
        w, h = im.size
        x = np.asarray(im.resize((w // 4, h // 4), Image.BOX), np.float32) / 255
        yield "mate", Path(f).stem, _centre(x)
    for f in sorted(glob.glob(os.path.join(wallpapers, "*.jpg")) + glob.glob(os.path.join(wallpapers, "*.png"))):
        x = np.asarray(Image.open(f).convert("RGB"), np.float32) / 255
        yield "wallpaper", Path(f).stem[:24], _centre(x)


def noisy(x, s, seed):
    if s == 0:
        return x
    rng = np.random.default_rng(seed)
    return (np.clip(np.round((x + s / 255 * rng.standard_normal(x.shape)) * 255), 0, 255) / 255).astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sigmas", type=float, nargs="+", default=[0, 1, 2, 3, 5])
    ap.add_argument("--photos", type=int, default=None, help="the first N photos of each set only")
    ap.add_argument("--psnr", action="store_true", help="denoise them (slow: 5 s a denoise, one thread)")
    ap.add_argument("--mate", default=os.environ.get("MATE_DIR", "/tmp/grey22/eval/x"))
    ap.add_argument("--wallpapers", default=os.environ.get("DPM_STUDIO_WALLPAPERS", "/work/data/wallpapers"))
    args = ap.parse_args()
    import torch

    from restoration import psnr

    from dpm_studio import api

    torch.set_num_threads(1)

    def default(y, sigma, kind):
        if kind != "constant":
            return psnr(api.denoise(y), x)
        if not sigma > 0:
            return float("nan")   # refused: the identity's
        return psnr(api.denoise(y, sigma, noise="constant"), x)

    print("| set | photo | sigma | std(y - x) | estimate before | now | auto | PSNR identity | default before | now |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    count = {}
    rows = []
    for i, (kind_set, name, x) in enumerate(photos(args.mate, args.wallpapers)):
        count[kind_set] = count.get(kind_set, 0) + 1
        if args.photos is not None and count[kind_set] > args.photos:
            continue
        for s in args.sigmas:
            y = noisy(x, s, 9000 + 100 * i + int(s))
            held = float(np.std((y - x) * 255.0))
            e0, e1 = median_noise_sigma(y), estimate_noise_sigma(y)
            fit = fit_noise_level(y)
            kind = "constant" if fit is None else fit.kind
            p = ["", "", ""]
            if args.psnr:
                ident = psnr(y, x) if s > 0 else float("inf")
                p0, p1 = default(y, e0, kind), default(y, e1, kind)
                p0, p1 = (ident if np.isnan(v) else v for v in (p0, p1))
                p = [f"{ident:.2f}", f"{p0:.2f}", f"{p1:.2f}"]
                rows.append((kind_set, s, ident, p0, p1))
            print(f"| {kind_set} | {name} | {s:g} | {held:.2f} | {e0 * 255:.2f} | {e1 * 255:.2f} | {kind} | "
                  + " | ".join(p) + " |", flush=True)
    if rows:
        summary(rows)


def summary(rows) -> None:
    """Per set and sigma: the mean PSNRs (over the noisy files; a clean file's identity is exact, so there
    the mean of the denoised and how many were left as they are, the estimate 0)."""
    print("\n| set | sigma | photos | PSNR identity | default before | now | now - before | left as is: before, now |")
    print("|---|---|---|---|---|---|---|---|")
    for kind_set in dict.fromkeys(r[0] for r in rows):
        for s in dict.fromkeys(r[1] for r in rows):
            r = np.array([v[2:] for v in rows if v[0] == kind_set and v[1] == s])
            if not len(r):
                continue
            both = np.isfinite(r[:, 1]) & np.isfinite(r[:, 2])
            mean = [f"{np.mean(c[np.isfinite(c)]):.2f}" if np.isfinite(c).any() else "exact" for c in r.T]
            diff = f"{np.mean(r[both, 2] - r[both, 1]):+.3f}" if both.any() else ""
            print(f"| {kind_set} | {s:g} | {len(r)} | {' | '.join(mean)} | {diff} | "
                  f"{int(np.sum(~np.isfinite(r[:, 1])))}, {int(np.sum(~np.isfinite(r[:, 2])))} |", flush=True)


if __name__ == "__main__":
    main()
