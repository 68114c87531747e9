"""--noise auto against the one-sigma default at issue 22's lowest camera level on held-out photos (issue 22's
rule: auto never below one estimated sigma by more than 0.05 dB on a row), and the low-noise rule's variants.

    python benchmarks/auto_low_noise.py [--level 0] [--limit N] [--variants bfloor,centre] [--out FILE.jsonl]
    python benchmarks/auto_low_noise.py --seeds 2 --seed-from 1 --uncertain --variants centre   # more unsure fits
    python benchmarks/auto_low_noise.py --modes colour --crop top-left --max-spread 0.2   # other crops, flat laws
    python benchmarks/auto_low_noise.py --level 0 --modes colour --paths flat100,flat50,flat25   # other colour paths

Held-out photos only (never the test images): Debian's mate-backgrounds nature photos ($MATE_DIR, default
/tmp/grey22/eval/x) and the wallpapers ($DPM_STUDIO_WALLPAPERS, default /work/data/wallpapers), each a quarter
size (box filter), its centre 256 x 256, rounded to 8 bits: in colour and in grey. Noise as
benchmarks/camera_noise.py makes it (var = a x + b, 8-bit, clipped; seed 7000 + 10 i + level, wallpapers 8000 +).
Per case: the fit (a, b and their standard errors), the one-sigma estimate, PSNR of the one-sigma request and of
--noise auto as shipped; with ``--variants``, where the fit says signal-dependent with b under 2 of its standard
errors, the told law's alternatives too: "const" (the one sigma), "bfloor" (b raised to its standard error),
"centre" (b raised by what the shrink of a took off at the image's mean: the law through the one sigma there).
Each row also records ``told`` (the noise model --noise auto resolves to) and ``spread`` (how much the fitted
law's std varies over the image: :func:`law_spread`); a colour row told a law, the colour flattening's inputs:
``std_spread`` and ``std_mean`` (noise_law.std_spread, the std at the image's mean; 0-255 units, of the law before
the flattening: :func:`full_law`) and ``keep`` (noise_law.colour_keep). ``--names``, ``--crop`` and
``--max-spread`` pick cases.
One torch thread, the default denoising checkpoint. Prints a line per case (JSON with ``--out``).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import numpy as np  # noqa: E402
import torch  # noqa: E402

from camera_noise import LEVELS, camera_file  # noqa: E402
from held_out_crops import photos  # noqa: E402
from restoration import psnr  # noqa: E402
from dpm_studio.core.run import noise_law  # noqa: E402
from dpm_studio.core.run.noise import estimate_noise_sigma  # noqa: E402
from dpm_studio.core.run.noise_law import FIT_A_SHRINK, resolve_noise  # noqa: E402
from dpm_studio.core.run.noise_level import fit_noise_level  # noqa: E402
from dpm_studio.core.run.requests import DenoiseRequest  # noqa: E402
from dpm_studio.core.run.tasks import run_task  # noqa: E402


def law_spread(a: float, b: float, pixels) -> float:
    """How much the law var = a x + b varies over an image: the standard deviation, over its pixels (every
    channel, clipped to [0, 1]), of log sqrt(a x + b). 0 for constant noise; 0.13 for a photo whose std at
    its darker pixels is a third below that at its brighter ones."""
    x = np.clip(np.asarray(pixels, dtype=np.float64), 0.0, 1.0)
    return float(np.std(0.5 * np.log(np.maximum(a * x + b, 1e-12))))


def full_law(y):
    """The law --noise auto tells ``y`` before the colour path's flattening (noise_law.COLOUR_SPREAD 0: every law
    keeps its slope): what ``--paths`` are told, so that flat100 is the full law at every level."""
    spread = noise_law.COLOUR_SPREAD
    noise_law.COLOUR_SPREAD = 0.0
    try:
        req, _ = resolve_noise(DenoiseRequest(), y)
    finally:
        noise_law.COLOUR_SPREAD = spread
    return req.noise_a, req.noise_b


def main():
    from skimage.color import rgb2gray
    from dpm_studio.core.files.checkpoint import load, resolve
    from dpm_studio.paths import default_checkpoint
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--level", type=int, default=0)
    ap.add_argument("--limit", type=int, default=0, help="at most this many photos")
    ap.add_argument("--variants", default="", help="comma-separated: bfloor, centre (see above)")
    ap.add_argument("--modes", default="colour,grey")
    ap.add_argument("--seeds", type=int, default=1, help="noise seeds per photo (seed s adds 100000 s)")
    ap.add_argument("--seed-from", type=int, default=0, help="the first noise seed")
    ap.add_argument("--uncertain", action="store_true",
                    help="only the cases whose fit is signal-dependent with b under 2 of its standard errors")
    ap.add_argument("--names", default="", help="comma-separated: only the photos whose (16-character) names "
                    "start so")
    ap.add_argument("--crop", default="centre", choices=("centre", "top-left", "bottom-right"),
                    help="which 256 x 256 of each photo (a quarter size); the noise seeds stay each photo's")
    ap.add_argument("--max-spread", type=float, default=0.0,
                    help="only the cases whose fitted law's spread (law_spread above) is under this")
    ap.add_argument("--paths", default="", help="comma-separated colour paths, on the colour rows auto tells "
                    "signal-dependent, each told auto's law before the colour flattening (full_law): "
                    "benchmarks/transform_loss.py's PATHS (shared8: one gain about the photo blurred 8 px; flatN: the "
                    "law flattened to N %% of its slope about the mean, flat100 the law itself)")
    ap.add_argument("--out")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = load(resolve(default_checkpoint("denoise")))
    a0, b0 = LEVELS[args.level]

    def ours(y, **kw):
        rec = None
        for rec in run_task(model, DenoiseRequest(**kw), y):
            pass
        return np.squeeze(rec.image)

    out = open(args.out, "a") if args.out else None
    for k, (name, seed, x) in enumerate(photos(args.crop)):
        if args.limit and k >= args.limit:
            break
        if args.names and not any(name.startswith(n) for n in args.names.split(",")):
            continue
        seeds = range(args.seed_from, args.seed_from + args.seeds)
        for mode, s_ in ((m, s_) for s_ in seeds for m in args.modes.split(",")):
            xm = x if mode == "colour" else (np.round(rgb2gray(x) * 255) / 255).astype(np.float32)
            y = camera_file(xm, a0, b0, seed + args.level + (mode == "grey") * 5 + 100000 * s_)
            fit = fit_noise_level(y)
            if fit is None:
                continue
            uncertain = fit is not None and fit.kind != "constant" and fit.b < 2 * fit.b_se
            if args.uncertain and not uncertain:
                continue
            if args.max_spread and not (fit.kind != "constant" and law_spread(fit.a, fit.b, y) < args.max_spread):
                continue
            s = estimate_noise_sigma(y)
            m = float(np.mean(y))
            req, _ = resolve_noise(DenoiseRequest(), y)
            row = {"name": name, "photo": k, "mode": mode, "seed": s_, "level": args.level, "a": fit.a,
                   "a_se": fit.a_se, "b": fit.b, "b_se": fit.b_se, "kind": fit.kind, "told": req.noise,
                   "spread": law_spread(fit.a, fit.b, y), "crop": args.crop, "one_sigma": s * 255, "mean": m}
            if mode == "colour" and req.noise == "poisson-gaussian":   # the colour flattening's inputs
                a_full, b_full = full_law(y)
                row["std_spread"] = noise_law.std_spread(a_full, b_full, y) * 255
                row["std_mean"] = (a_full * m + b_full) ** 0.5 * 255
                row["keep"] = noise_law.colour_keep(a_full, b_full, y)
            row["one"] = psnr(ours(y, sigma=s), xm)
            row["auto"] = row["one"] if req.noise == "constant" else psnr(ours(y, noise="auto"), xm)
            if args.paths and mode == "colour" and req.noise == "poisson-gaussian":
                from transform_loss import run_path
                row["full_a"], row["full_b"] = a_full, b_full
                for p in args.paths.split(","):
                    row[p] = psnr(run_path(model, p, y, a_full, b_full), xm)
            if args.variants and uncertain:
                a = fit.a - FIT_A_SHRINK * fit.a_se
                told = {"bfloor": max(fit.b, fit.b_se), "centre": fit.b + FIT_A_SHRINK * fit.a_se * m}
                for v in args.variants.split(","):
                    row[v] = psnr(ours(y, noise="poisson-gaussian", noise_a=a, noise_b=told[v]), xm)
            print(json.dumps(row), flush=True)
            if out:
                out.write(json.dumps(row) + "\n")
                out.flush()


if __name__ == "__main__":
    main()
