"""Clipped pixels read as censored vs as observations, on held-out photographs; writes docs/clipping.md.

    DPM_STUDIO_WALLPAPERS=DIR python benchmarks/clipping.py [--sigmas 15,25,50] [--ensemble 1]

A real 8-bit file stores round(255 (x + s n)) clipped to [0, 255]. A pixel stored as 0
says x + s n < 0.5/255, not x + s n = 0 (conditioning.censored_mean). This compares the
two readings on data the model never trained on and that chose nothing here: 192 x 192
centre crops of the held-out part (each photograph's rightmost fifth) of the wallpapers
photos-rgb's card lists (scripts/fetch_wallpapers.sh --packages plasma), so the default
was not picked on the test images. One view per tile (``--ensemble``) keeps it quick;
the clipped-pixel step costs one more view on tiles that have clipped pixels.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from restoration import last, psnr  # noqa: E402

from dpm_studio.core.files.checkpoint import load, resolve  # noqa: E402
from dpm_studio.core.train.presets import preset_for_card  # noqa: E402
from dpm_studio.core.run.requests import DenoiseRequest  # noqa: E402
from dpm_studio.core.run.tasks import run_task  # noqa: E402
from dpm_studio.paths import default_checkpoint  # noqa: E402

SIDE = 192


def held_out_crops(model) -> list[np.ndarray]:
    recipe = preset_for_card(model.card).recipe()
    crops = []
    for i in range(len(recipe._images)):
        a = recipe.region(i, held=True)
        h, w = a.shape[:2]
        s = min(h, w, SIDE)
        crops.append(a[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s].astype(np.float32) / 255)
    return crops


def eight_bit(clean: np.ndarray, sigma255: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (np.clip(np.round((clean + sigma255 / 255 * rng.standard_normal(clean.shape)) * 255), 0, 255)
            / 255).astype(np.float32)



def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=default_checkpoint("denoise"),
                    help="default: the command line's denoising default (dpm_studio.paths.DEFAULT_CHECKPOINTS)")
    ap.add_argument("--sigmas", default="15,25,50")
    ap.add_argument("--ensemble", type=int, default=1)
    ap.add_argument("--out", default=str(ROOT / "docs" / "clipping.md"))
    args = ap.parse_args(argv)
    if not os.environ.get("DPM_STUDIO_WALLPAPERS"):
        sys.exit("set DPM_STUDIO_WALLPAPERS to a folder made by scripts/fetch_wallpapers.sh")
    model = load(resolve(args.checkpoint))
    crops = held_out_crops(model)
    rows = []
    for s in (int(v) for v in args.sigmas.split(",")):
        for k, clean in enumerate(crops):
            noisy = eight_bit(clean, s, 1000 * s + k)
            frac = float(((noisy == 0) | (noisy == 1)).mean())
            req = DenoiseRequest(sigma=s / 255, ensemble=args.ensemble)
            ign = psnr(last(run_task(model, req.replace(clipping="ignore"), noisy)).reshape(clean.shape), clean)
            cen = psnr(last(run_task(model, req, noisy)).reshape(clean.shape), clean)
            rows.append((s, k, frac, ign, cen))
            print(f"sigma {s} crop {k}: clipped {100 * frac:.1f} %  ignore {ign:.2f}  censored {cen:.2f}", flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    lines = ["# Clipped pixels: censored or observed", "",
             f"Made by `DPM_STUDIO_WALLPAPERS=DIR python benchmarks/clipping.py {' '.join(argv or sys.argv[1:])}` "
             f"at commit {commit} with `{model.name}`: {len(crops)} held-out {SIDE} x {SIDE} crops, 8-bit noisy "
             f"files (rounded, clipped at 0 and 255), the one-step posterior mean with {args.ensemble} view(s). "
             "`ignore` reads a stored 0 or 255 as an observation of 0 or 1 (`--clipping ignore`); `censored` "
             "(the default) replaces it by the mean of the unclipped value under a first estimate (two such steps) "
             "(`conditioning.censored_mean`), then denoises.", "",
             "| sigma | crops | mean clipped | PSNR ignore (dB) | PSNR censored (dB) | gain mean | gain min | gain max "
             "| gain on the 5 most clipped |", "|---|---|---|---|---|---|---|---|---|"]
    for s in dict.fromkeys(r[0] for r in rows):
        r = [x for x in rows if x[0] == s]
        gain = np.array([x[4] - x[3] for x in r])
        most = np.argsort([-x[2] for x in r])[:5]
        lines.append(f"| {s} | {len(r)} | {100 * np.mean([x[2] for x in r]):.1f} % | {np.mean([x[3] for x in r]):.2f} "
                     f"| {np.mean([x[4] for x in r]):.2f} | {gain.mean():+.2f} | {gain.min():+.2f} | {gain.max():+.2f} "
                     f"| {gain[most].mean():+.2f} |")
    lines += ["", "Per crop:", "", "| sigma | crop | clipped | ignore (dB) | censored (dB) |", "|---|---|---|---|---|"]
    lines += [f"| {s} | {k} | {100 * f:.1f} % | {a:.2f} | {b:.2f} |" for s, k, f, a, b in rows]
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
