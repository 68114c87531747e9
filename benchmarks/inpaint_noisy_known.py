"""Inpainting a grainy photo: the known pixels as exact (today) or as noisy observations (docs/conditioning.md,
session 19).

    python benchmarks/inpaint_noisy_known.py [--held-out 4] [--sigmas 0,10,25] [--seeds 1,2] [--methods a,b,c,d,e]

Held-out photos only (settings_sweep.py's ``held_out_images``: mate-backgrounds' nature photos and the
wallpapers' held-out columns, 256 x 256), restoration.py's two masks (the 64 x 64 centre hole, the strokes),
Gaussian noise of std sigma (0-255) added to the clean photo, clipped and saved as 8 bits (restoration.py's
``noisy_file``; sigma 0: the clean photo as 8 bits), the masked pixels then set to 0.5. photos-rgb with the
app's inpainting defaults, one sample per seed, grain "none" (the fill's clean estimate is what is scored).
Methods:

- a: the inpainting before session 19, ``known_noise="none"`` (the known pixels a delta, forward-noised to each
  step as if clean);
- b: denoise (``DenoiseRequest(sigma=true sigma)``, the app's default mmse) then inpaint the denoised image;
- c: inpaint (a's result), then denoise the whole result at the true sigma;
- d: BM3D at the true sigma, then scikit-image's biharmonic inpainting;
- e: noisy-known conditioning, ``known_noise="law"`` (the default since session 19; core/math/conditioning.py's
  ``Inpaint(known_var=...)``): the known pixels' noise law fitted to them (core/run/grain.py, the fit
  ``grain="match"`` makes), each known pixel forward-noised only by the difference of variances above its
  matched step and left to the model below it.

Scores against the CLEAN photo: PSNR in the hole, and in the band of known pixels within 4 px of it (there
a and e return the noisy file's pixels, as the inpainting does). Prints one row per method and sigma (mean
over photos, masks and seeds; the worst photo's mean against a) and every case's numbers. One thread; the
methods interleaved case by case.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from restoration import bm3d_denoise, biharmonic, inpaint_cases, last, noisy_file, psnr  # noqa: E402
from settings_sweep import held_out_images  # noqa: E402

from dpm_studio.core.files.checkpoint import load, resolve  # noqa: E402
from dpm_studio.core.math.conditioning import harmonic_fill  # noqa: E402
from dpm_studio.core.run.grain import grain_law, grain_std  # noqa: E402
from dpm_studio.core.run.requests import DenoiseRequest, InpaintRequest  # noqa: E402
from dpm_studio.core.run.tasks import run_task  # noqa: E402

METHODS = {"a": "inpaint, known pixels exact", "b": "denoise, then inpaint", "c": "inpaint, then denoise",
           "d": "BM3D, then biharmonic", "e": "inpaint, known pixels noisy (law)"}
BAND = 4


def band_of(mask: np.ndarray, width: int = BAND) -> np.ndarray:
    from scipy import ndimage

    hole = mask > 0
    return (ndimage.binary_dilation(hole, iterations=width) & ~hole).astype(np.float32)


def smooth_fill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``image`` with its masked pixels replaced by the harmonic fill of the rest (the inpainting's smooth start)."""
    y = torch.from_numpy(np.ascontiguousarray(image, np.float32)).permute(2, 0, 1)[None]
    known = torch.from_numpy((mask == 0).astype(np.float32))[None, None]
    return harmonic_fill(y, known)[0].permute(1, 2, 0).numpy()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--held-out", type=int, default=4)
    ap.add_argument("--sigmas", default="0,10,25")
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--methods", default="a,b,c,d,e")
    ap.add_argument("--checkpoint", default="photos-rgb")
    ap.add_argument("--d-masks", default="hole,strokes", help="the masks method d runs on (BM3D is the slowest)")
    ap.add_argument("--laws-only", action="store_true", help="only fit and print each case's law (no runs): on clean "
                    "photos (sigma 0) a law of kind none leaves e's run a's, to the bit")
    ap.add_argument("--resume", metavar="LOG", help="take the cases a previous run printed (its '# ' lines) from LOG")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    model = load(resolve(args.checkpoint))
    methods = args.methods.split(",")
    sigmas = [float(s) for s in args.sigmas.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    images = dict(held_out_images(args.held_out))
    cases = list(inpaint_cases(list(images), hole_name="hole", image=images.get))
    if args.laws_only:
        for k, (photo, mask_name, clean, _, mask) in enumerate(cases):
            for s in sigmas:
                for seed in seeds:
                    noisy = noisy_file(clean, s, 1000 * int(s) + 10 * k + seed) if s > 0 else noisy_file(clean, 0, 0)
                    noisy[mask > 0] = 0.5
                    law = grain_law(noisy, mask == 0)
                    std = grain_std(law, noisy[mask == 0]).mean() * 255 if law["kind"] != "none" else 0.0
                    print(f"{photo} {mask_name} sigma {s:g} seed {seed}: law {law['kind']}, mean std {std:.1f} / 255")
        return 0
    rows, laws = [], []   # (sigma, method, photo, mask, seed, hole, band, seconds); the fitted laws' kinds
    done = {}
    for line in open(args.resume).read().splitlines() if args.resume else ():
        m = re.match(r"# (\S+) (\S+) seed (\d+) sigma (\S+) (\w): hole (\S+) band (\S+) \((\S+) s\)$", line)
        if m:
            done[m[1], m[2], int(m[3]), float(m[4]), m[5]] = (float(m[6]), float(m[7]), float(m[8]))
    t_start = time.perf_counter()
    for k, (photo, mask_name, clean, _, mask) in enumerate(cases):
        band = band_of(mask)
        for seed in seeds:
            for s in sigmas:
                ms = [m for m in methods if m != "d" or mask_name in args.d_masks.split(",")]
                if all((photo, mask_name, seed, s, m) in done for m in ms):
                    for m in ms:
                        rows.append((s, m, photo, mask_name, seed, *done[photo, mask_name, seed, s, m]))
                        print(f"# {photo} {mask_name} seed {seed} sigma {s:g} {m}: hole {rows[-1][5]:.2f} band "
                              f"{rows[-1][6]:.2f} ({rows[-1][7]:.1f} s)", flush=True)
                    laws.append("(resumed)")
                    continue
                noisy = noisy_file(clean, s, 1000 * int(s) + 10 * k + seed) if s > 0 else noisy_file(clean, 0, 0)
                damaged = noisy.copy()
                damaged[mask > 0] = 0.5
                # b and d denoise first: the hole pre-filled smoothly, so that its grey does not bleed into
                # the known pixels the fill then continues (with the grey, b lost 2.5 dB on Garden's strokes)
                prefilled = smooth_fill(damaged, mask)
                law = grain_law(damaged, mask == 0)
                laws.append(law["kind"])
                inp = InpaintRequest(seed=seed, grain="none", known_noise="none")
                den = DenoiseRequest(sigma=max(s, 0.5) / 255)
                out, took = {}, {}

                def timed(m, fn):
                    c0 = time.process_time()
                    out[m] = np.asarray(fn(), np.float32).reshape(clean.shape)
                    took[m] = time.process_time() - c0

                if "a" in methods or "c" in methods:
                    timed("a", lambda: last(run_task(model, inp, damaged, mask=mask)))
                if "b" in methods:
                    timed("b", lambda: last(run_task(model, inp, last(run_task(model, den, prefilled)), mask=mask))
                          if s > 0 else out["a"])
                if "c" in methods:
                    timed("c", lambda: last(run_task(model, den, out["a"])) if s > 0 else out["a"])
                    took["c"] += took["a"]
                if "d" in ms:
                    timed("d", lambda: biharmonic(bm3d_denoise(prefilled, s / 255) if s > 0 else damaged, mask))
                if "e" in methods:  # a law of kind "none" tells the known pixels nothing: a's run, to the bit
                    timed("e", lambda: last(run_task(model, inp.replace(known_noise="law"), damaged, mask=mask))
                          if law["kind"] != "none" else out["a"])
                for m in ms:
                    rows.append((s, m, photo, mask_name, seed, psnr(out[m], clean, mask), psnr(out[m], clean, band),
                                 took[m]))
                    print(f"# {photo} {mask_name} seed {seed} sigma {s:g} {m}: hole {rows[-1][5]:.2f} band "
                          f"{rows[-1][6]:.2f} ({took[m]:.1f} s)", flush=True)
    print("\nfitted laws' kinds by sigma: " + "; ".join(
        f"{s:g}: " + ", ".join(f"{kk} {laws[i::len(sigmas)].count(kk)}" for kk in sorted(set(laws[i::len(sigmas)])))
        for i, s in enumerate(sigmas)))
    print(f"\n({time.perf_counter() - t_start:.0f} s; {len(images)} held-out photos: {', '.join(images)}; masks "
          f"hole and strokes; seeds {args.seeds}; {args.checkpoint}; band: known pixels within {BAND} px)\n")
    print("| sigma | mask | method | filled PSNR, mean (dB) | vs a (dB) | worst photo vs a (dB) | "
          "band PSNR, mean (dB) | CPU s per case |")
    print("|---:|---|---|---:|---:|---|---:|---:|")
    for s in sigmas:
        base = {(r[2], r[3], r[4]): r[5] for r in rows if r[0] == s and r[1] == "a"}
        for mk in ("hole", "strokes", "both"):
            for m in methods:
                sel = [r for r in rows if r[0] == s and r[1] == m and mk in (r[3], "both")]
                if not sel or (mk == "both" and m == "d" and set(args.d_masks.split(",")) != {"hole", "strokes"}):
                    continue
                per_photo = {}
                for r in sel:
                    per_photo.setdefault(r[2], []).append(r[5] - base.get((r[2], r[3], r[4]), np.nan))
                worst = min(per_photo.items(), key=lambda kv: np.mean(kv[1]))
                print(f"| {s:g} | {mk} | {m}: {METHODS[m]} | {np.mean([r[5] for r in sel]):.2f} | "
                      f"{np.mean([d for v in per_photo.values() for d in v]):+.2f} | {worst[0]} {np.mean(worst[1]):+.2f} | "
                      f"{np.mean([r[6] for r in sel]):.2f} | {np.median([r[7] for r in sel]):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
