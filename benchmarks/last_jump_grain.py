"""The last respaced jump's grain in drawn samples and sampled denoising; docs/inpaint-grain.md.

    python benchmarks/last_jump_grain.py [--part sample|denoise|both] [--seeds 0 1] [--full]

A respaced trajectory's draw into t = 1 can carry the learned kernel's share of the model's x_0
uncertainty as white noise that the last step (t = 1 -> 0) keeps (core/math/sampling.py's
``quiet_last_jump``). Each row runs ``run_task`` with tasks.QUIET_LAST_JUMP off and on (the
same seeds), results rounded to 8 bits as saved. Printed, in 0-255 units:

- sample (the sample task's default checkpoint, 64 x 64, 4 samples per seed): grain, the rms Haar
  diagonal detail of 2 x 2 blocks (white noise of std s reads s), and lap, the std of the
  4-neighbour Laplacian, mean over the samples; the same of held-out 64 x 64 patches of the model's
  own recipe (what samples should look like) and, with ``--full``, of every-step samples (the
  trajectory without respacing, which the switch does not touch);
- denoise (the denoise task's default checkpoint, method sample, learned variance): held-out
  photos (mate-backgrounds, $DPM_STUDIO_HELD_OUT or /tmp/grey22/eval/x) downscaled to 1024 px and
  centre-cropped to 96 x 96, Gaussian noise of each sigma rounded to 8 bits and clipped; PSNR
  against the clean crop, the result's grain against the clean crop's, and the grain of the error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from inpaint_seam import grain, lap  # noqa: E402

HELD_OUT = ("nature/Aqua.jpg", "nature/Garden.jpg", "nature/Dune.jpg", "nature/Wood.jpg")


def measures(imgs) -> tuple[float, float]:
    """Mean grain and lap (0-255) of 8-bit images given in [0, 1]."""
    g, l = [], []
    for im in imgs:
        v = np.round(np.clip(im, 0, 1) * 255.0)
        whole = np.ones(v.shape[:2], bool)
        g.append(grain(v, whole))
        l.append(lap(v, whole))
    return float(np.mean(g)), float(np.mean(l))


def run(loaded, request, image=None):
    from dpm_studio.core.run.tasks import run_task

    rec = None
    for rec in run_task(loaded, request, image):
        pass
    return rec


def part_sample(args) -> None:
    from dpm_studio.core.files.checkpoint import load, resolve
    from dpm_studio.core.run import tasks
    from dpm_studio.core.run.requests import SampleRequest
    from dpm_studio.core.train.presets import preset_for_card
    from dpm_studio.paths import default_checkpoint

    name = args.sample_checkpoint or default_checkpoint("sample")
    loaded = load(resolve(name))
    held = preset_for_card(loaded.card).recipe().held_out_pixels(64, 64, seed=0).astype(np.float64) / 255.0
    g, l = measures(held)
    print(f"\nsample: {name}, 64 x 64, 4 samples per seed, seeds {args.seeds}\n")
    print("| trajectory | quiet last jump | grain | lap | seconds |\n|---|---|---:|---:|---:|")
    print(f"| held-out patches (64) | | {g:.2f} | {l:.2f} | |", flush=True)
    rows = ([None] if args.full else []) + args.steps
    for steps in rows:
        for quiet in ((False,) if steps is None else (False, True)):
            tasks.QUIET_LAST_JUMP = quiet
            t0, outs = time.perf_counter(), []
            for seed in args.seeds:
                outs += run(loaded, SampleRequest(samples=4, size=(64, 64), steps=steps, seed=seed)).samples
            g, l = measures(outs)
            print(f"| {'every step' if steps is None else f'{steps} steps'} | {'' if steps is None else ('on' if quiet else 'off')} "
                  f"| {g:.2f} | {l:.2f} | {time.perf_counter() - t0:.0f} |", flush=True)


def held_out_crops(size: int = 96) -> list[tuple[str, np.ndarray]]:
    root = Path(os.environ.get("DPM_STUDIO_HELD_OUT", "/tmp/grey22/eval/x")) / "usr/share/backgrounds/mate"
    out = []
    for rel in HELD_OUT:
        im = Image.open(root / rel).convert("RGB")
        s = 1024 / max(im.size)
        im = im.resize((round(im.width * s), round(im.height * s)), Image.BOX)
        a = np.asarray(im).astype(np.float64) / 255.0
        t, l = (a.shape[0] - size) // 2, (a.shape[1] - size) // 2
        out.append((Path(rel).stem, a[t:t + size, l:l + size]))
    return out


def part_denoise(args) -> None:
    from dpm_studio.core.files.checkpoint import load, resolve
    from dpm_studio.core.run import tasks
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.paths import default_checkpoint

    name = args.denoise_checkpoint or default_checkpoint("denoise")
    loaded = load(resolve(name))
    crops = held_out_crops()
    print(f"\ndenoise: {name}, method sample, {len(crops)} held-out 96 x 96 crops x seeds {args.seeds}, "
          "8-bit clipped noise\n")
    print("| sigma | steps | quiet last jump | PSNR (dB) | grain / clean's | grain of the error | seconds |\n"
          "|---:|---|---|---:|---:|---:|---:|")
    for sigma in args.sigmas:
        noisy = {}
        for (nm, clean) in crops:
            for seed in args.seeds:
                rng = np.random.default_rng(1000 + seed)
                noisy[nm, seed] = np.clip(np.round((clean + sigma / 255.0 * rng.standard_normal(clean.shape)) * 255),
                                          0, 255) / 255.0
        rows = ([None] if args.full else []) + args.denoise_steps
        for steps in rows:
            for quiet in ((False,) if steps is None else (False, True)):
                tasks.QUIET_LAST_JUMP = quiet
                t0, ps, gr, ge = time.perf_counter(), [], [], []
                for (nm, clean) in crops:
                    for seed in args.seeds:
                        out = run(loaded, DenoiseRequest(sigma=sigma / 255.0, method="sample", steps=steps, seed=seed),
                                  noisy[nm, seed].astype(np.float32)).image[..., :3]
                        out = np.round(np.clip(out, 0, 1) * 255) / 255.0
                        ps.append(10 * np.log10(1 / np.mean((out - clean) ** 2)))
                        whole = np.ones(clean.shape[:2], bool)
                        gr.append(grain(out * 255, whole) / grain(clean * 255, whole))
                        ge.append(grain((out - clean) * 255, whole))
                print(f"| {sigma:g} | {'every step' if steps is None else steps} | "
                      f"{'' if steps is None else ('on' if quiet else 'off')} | {np.mean(ps):.2f} | {np.mean(gr):.2f} | "
                      f"{np.mean(ge):.2f} | {time.perf_counter() - t0:.0f} |", flush=True)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=("sample", "denoise", "both"), default="both")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--steps", type=int, nargs="+", default=[20, 50, 100], help="sample: respaced step counts")
    p.add_argument("--denoise-steps", type=int, nargs="*", default=[5, 10, 20])
    p.add_argument("--sigmas", type=float, nargs="+", default=[25, 50], help="denoise: noise std, 0-255")
    p.add_argument("--full", action="store_true", help="also every step (the trajectory without respacing)")
    p.add_argument("--sample-checkpoint")
    p.add_argument("--denoise-checkpoint")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    if args.part in ("sample", "both"):
        part_sample(args)
    if args.part in ("denoise", "both"):
        part_denoise(args)


if __name__ == "__main__":
    main()
