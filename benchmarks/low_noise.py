"""The one-sigma estimate on clean and lightly noisy 8-bit photos, and what the default denoise does with it.

    python benchmarks/low_noise.py [--sigmas 0 1 2 3 5] [--photos N] [--psnr] [--truth] [--grey]
        [--jpeg 75 85 95] [--sets mate wallpaper] [--names NAME ...] [--mate DIR] [--wallpapers DIR]
        [--before jpeg22] [--changed]
    python benchmarks/low_noise.py --time-search [--repeats 5]
    python benchmarks/low_noise.py --auto-jpeg [--psnr] [--photos N]

Photos that are neither test images nor training data: Debian's mate-backgrounds nature photos (read as
benchmarks/checkpoint_compare.py reads them: a quarter size, the centre 256 x 256, colour) and the
wallpapers' files as they are (the centre 256 x 256 of the full-size JPEG or PNG, its compression
artefacts kept). Each at sigma 0 (the file itself) and 1, 2, 3, 5 / 255: the clean image plus N(0,
sigma^2), rounded to 8 bits and clipped (seed 9000 + 100 i + sigma); ``--grey``: the photos made grey (PIL's L)
first; ``--jpeg Q ...``: that file saved as a JPEG at each quality (Pillow, its default 4:2:0 chroma) and read
back, as users' camera and phone files are (the truth is still the sigma added before the JPEG; 0: the PNG).

Per case: the truth (the sigma added; ``std(y - x)``, the noise the file holds against the clean
image, is sqrt(sigma^2 + 1/12) for sigma >= 1: the rounding of the noisy file), the estimates: the plain
median (``median_noise_sigma``), b6aca55's (``fit_noise_sigma`` below LOW_NOISE) and now
(``estimate_noise_sigma``), what ``--noise auto`` decides (the fit's kind), and with ``--psnr`` the PSNR
against the clean image of doing nothing and of the default denoise (``api.denoise(y)``: auto, which
on a constant verdict is the one-sigma request with the estimate) told b6aca55's estimate and now
(photos-rgb, one torch thread; ``--truth``: and told the sigma added). A zero estimate is no measurable noise:
the file comes back as it is, so its PSNR is the identity's. Prints markdown, then per set, quality and sigma the
errors (median / rms / worst, / 255) and the mean PSNRs.

``--time-search``: CPU seconds (one torch thread, interleaved, medians) of ``estimate_noise_sigma`` on a 12 MP 8-bit
PNG-like image (the first wallpaper at 4000 x 3000 and at 4003 x 3001, sigma 5) with the search for a JPEG's grid
(``jpeg=None``, an array's) and without (``jpeg=False``: the decoder named the file no JPEG), and the search alone.

``--auto-jpeg``: ``--noise auto`` on JPEGs (issue 22, item 3): each mate photo and every third wallpaper, colour, under
constant noise 5 and 15 and Poisson-Gaussian (a, b) = (0.001, 1e-4), (0.004, 4e-4), (0.01, 1e-3), 8-bit, saved at
quality 85 and 95: the fit's verdict, a / a_se, the JPEG reading; with ``--psnr``, where the fit says
signal-dependent, the default denoise with the fitted law (as before issue 22) against constant noise at
``estimate_noise_sigma`` (as now where the JPEG is read).

``--before jpeg22``: the "b6aca55" column is instead jpeg22's estimate (430fe54..d4be80f: the JPEG reading without
issue 22's ZEROED, TEXTURE_NEAR and FEW, core/run/noise_jpeg.py); ``--changed``: with --psnr, only the cases whose
estimate moved by more than 0.01 / 255 are denoised (the others' PSNRs are the same either way).
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

from dpm_studio.core.run.noise import LOW_NOISE, estimate_noise_sigma, fit_noise_sigma, median_noise_sigma  # noqa: E402
from dpm_studio.core.run.noise_level import fit_noise_level  # noqa: E402

SIZE = 256


def _centre(x):
    t, left = (x.shape[0] - SIZE) // 16 * 8, (x.shape[1] - SIZE) // 16 * 8   # on the 8 x 8 grid of a JPEG
    return x[t:t + SIZE, left:left + SIZE]


def photos(mate: str, wallpapers: str, mode: str = "RGB"):
    """(set, name, clean 256 x 256 colour (or grey, mode "L") in [0, 1] on the 8-bit lattice)."""
    from PIL import Image

    for f in sorted(glob.glob(os.path.join(mate, "usr/share/backgrounds/mate/nature/*.jpg"))):
        im = Image.open(f).convert("RGB")
        w, h = im.size
        x = np.asarray(im.resize((w // 4, h // 4), Image.BOX).convert(mode), np.float32) / 255
        yield "mate", Path(f).stem, _centre(x)
    for f in sorted(glob.glob(os.path.join(wallpapers, "*.jpg")) + glob.glob(os.path.join(wallpapers, "*.png"))):
        x = np.asarray(Image.open(f).convert("RGB").convert(mode), np.float32) / 255
        yield "wallpaper", Path(f).stem[:24], _centre(x)


def jpeg(y, quality):
    """``y`` saved as a JPEG at ``quality`` (Pillow's defaults) and read back; 0: ``y``."""
    if not quality:
        return y
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.round(np.squeeze(y) * 255).astype(np.uint8)).save(buf, "JPEG", quality=int(quality))
    return (np.asarray(Image.open(io.BytesIO(buf.getvalue())), np.float32) / 255).reshape(y.shape)


def noisy(x, s, seed):
    if s == 0:
        return x
    rng = np.random.default_rng(seed)
    return (np.clip(np.round((x + s / 255 * rng.standard_normal(x.shape)) * 255), 0, 255) / 255).astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sigmas", type=float, nargs="+", default=[0, 1, 2, 3, 5])
    ap.add_argument("--photos", type=int, default=None, help="the first N photos of each set only")
    ap.add_argument("--sets", nargs="+", default=["mate", "wallpaper"])
    ap.add_argument("--names", nargs="+", default=None, help="only these photos (their names as printed)")
    ap.add_argument("--jpeg", type=int, nargs="+", default=[0], help="JPEG qualities (0: the PNG)")
    ap.add_argument("--grey", action="store_true", help="the photos made grey")
    ap.add_argument("--psnr", action="store_true", help="denoise them (slow: 5 s a denoise, one thread)")
    ap.add_argument("--truth", action="store_true", help="with --psnr: the denoise told the sigma added too")
    ap.add_argument("--before", choices=["b6aca55", "jpeg22"], default="b6aca55", help="the estimate compared")
    ap.add_argument("--changed", action="store_true", help="with --psnr: denoise only the cases whose estimate moved")
    ap.add_argument("--time-search", action="store_true", help="time the JPEG grid search at 12 MP instead")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--auto-jpeg", action="store_true", help="--noise auto's verdict on JPEGs instead")
    ap.add_argument("--mate", default=os.environ.get("MATE_DIR", "/tmp/grey22/eval/x"))
    ap.add_argument("--wallpapers", default=os.environ.get("DPM_STUDIO_WALLPAPERS", "/work/data/wallpapers"))
    args = ap.parse_args()
    import torch

    from restoration import psnr

    from dpm_studio import api

    torch.set_num_threads(1)
    if args.time_search:
        return time_search(args.wallpapers, args.repeats)
    if args.auto_jpeg:
        return auto_jpeg(args)
    done = {}

    def default(y, x, sigma, kind):
        if kind != "constant":
            return psnr(api.denoise(y), x)
        if not sigma > 0:
            return psnr(y, x)   # no measurable noise: the file as it is
        key = round(float(sigma), 9)
        if key not in done:
            done[key] = psnr(api.denoise(y, float(sigma), noise="constant"), x)
        return done[key]

    print("| set | photo | JPEG | sigma | std(y - x) | plain | b6aca55 | now | auto | PSNR identity | b6aca55 | now "
          "| told the truth |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    count = {}
    rows = []
    for i, (kind_set, name, x) in enumerate(photos(args.mate, args.wallpapers, "L" if args.grey else "RGB")):
        count[kind_set] = count.get(kind_set, 0) + 1
        if kind_set not in args.sets or args.photos is not None and count[kind_set] > args.photos \
                or args.names is not None and name not in args.names:
            continue
        for q in args.jpeg:
            for s in args.sigmas:
                y = jpeg(noisy(x, s, 9000 + 100 * i + int(s)), q)
                held = float(np.std((y - x) * 255.0))
                e0 = median_noise_sigma(y)
                e1 = fit_noise_sigma(y, e0) if 0 < e0 < LOW_NOISE else e0
                if args.before == "jpeg22":
                    e1 = jpeg22(y)
                e2 = estimate_noise_sigma(y)
                fit = fit_noise_level(y)
                kind = "constant" if fit is None else fit.kind
                p = ["", "", "", ""]
                ps = [np.nan] * 4
                if args.psnr and not (args.changed and abs(e1 - e2) * 255 <= 0.01):
                    done.clear()
                    ident = psnr(y, x)
                    ps = [ident, default(y, x, e1, kind), default(y, x, e2, kind),
                          default(y, x, s / 255, kind) if args.truth and s > 0 else np.nan]
                    p = [f"{v:.2f}" for v in ps]
                rows.append((kind_set, q, s, e0 * 255 - s, e1 * 255 - s, e2 * 255 - s, *ps))
                print(f"| {kind_set} | {name} | {q or 'PNG'} | {s:g} | {held:.2f} | {e0 * 255:.2f} | {e1 * 255:.2f} | "
                      f"{e2 * 255:.2f} | {kind} | " + " | ".join(p) + " |", flush=True)
    summary(rows)


#: --auto-jpeg's noise: (name, its seed's part, constant sigma, Poisson-Gaussian a, b)
LAWS = (("constant 15", 3, 15, None), ("constant 5", 2, 5, None), ("pg 0.001", 3, 0, (0.001, 1e-4)),
        ("pg 0.004", 3, 0, (0.004, 4e-4)), ("pg 0.01", 4, 0, (0.01, 1e-3)))


def auto_jpeg(args) -> None:
    from restoration import psnr

    from dpm_studio import api
    from dpm_studio.core.run import noise_law
    from dpm_studio.core.run.noise_jpeg import jpeg_noise_sigma

    print("| photo | JPEG | noise | fit | a / a_se | JPEG reading | estimate | PSNR fitted law | constant | gain |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    gains = {True: [], False: []}
    count = {}
    for i, (kind_set, name, x) in enumerate(photos(args.mate, args.wallpapers)):
        count[kind_set] = count.get(kind_set, 0) + 1
        if kind_set == "wallpaper" and i % 3 or args.photos is not None and count[kind_set] > args.photos:
            continue
        for q in (85, 95):
            for law, part, s, ab in LAWS:
                rng = np.random.default_rng(7000 + 100 * i + part)
                y = (x + s / 255 * rng.standard_normal(x.shape)) if ab is None else \
                    (x + np.sqrt(ab[0] * x + ab[1]) * rng.standard_normal(x.shape))
                y = jpeg((np.clip(np.round(y * 255), 0, 255) / 255).astype(np.float32), q)
                fit = fit_noise_level(y)
                j = jpeg_noise_sigma(y)
                est = estimate_noise_sigma(y)
                row = [name, q, law, "too small" if fit is None else fit.kind,
                       "" if fit is None else f"{fit.a / fit.a_se:.1f}", "" if j is None else f"{j * 255:.2f}",
                       f"{est * 255:.2f}", "", "", ""]
                if args.psnr and fit is not None and fit.kind != "constant":
                    kept = noise_law.jpeg_noise_sigma
                    noise_law.jpeg_noise_sigma = lambda a: None   # the fit's verdict, as before issue 22
                    try:
                        fitted = psnr(api.denoise(y), x)
                    finally:
                        noise_law.jpeg_noise_sigma = kept
                    const = psnr(api.denoise(y, est, noise="constant"), x) if est > 0 else psnr(y, x)
                    gains[j is not None].append(const - fitted)
                    row[7:] = [f"{fitted:.2f}", f"{const:.2f}", f"{const - fitted:+.2f}"]
                print("| " + " | ".join(str(v) for v in row) + " |", flush=True)
    for read, g in gains.items():
        if g:
            print(f"\nJPEG {'read' if read else 'not read'}: {len(g)} signal-dependent fits, constant - fitted law "
                  f"min {min(g):+.2f}, median {np.median(g):+.2f}, max {max(g):+.2f} dB")


def time_search(wallpapers: str, repeats: int) -> None:
    import time

    from PIL import Image

    from dpm_studio.core.run.noise_jpeg import jpeg_noise_sigma

    f = sorted(glob.glob(os.path.join(wallpapers, "*.jpg")))[0]
    for size in ((4000, 3000), (4003, 3001)):
        x = np.asarray(Image.open(f).convert("RGB").resize(size, Image.BICUBIC), np.float32) / 255
        y = noisy(x, 5, 9000)
        runs = {"estimate, searched (jpeg=None)": lambda: estimate_noise_sigma(y),
                "estimate, not searched (jpeg=False)": lambda: estimate_noise_sigma(y, jpeg=False),
                "the search alone": lambda: jpeg_noise_sigma(y)}
        cpu = {k: [] for k in runs}
        for _ in range(repeats):
            for k, run in runs.items():
                t = time.process_time()
                run()
                cpu[k].append(time.process_time() - t)
        for k, v in cpu.items():
            print(f"{Path(f).stem} {size[0]} x {size[1]}: {k}: {np.median(v):.3f} s CPU (median of {repeats})", flush=True)


def jpeg22(y) -> float:
    """``estimate_noise_sigma`` as jpeg22 left it (issue 22's three guards of core/run/noise_jpeg.py off)."""
    from dpm_studio.core.run import noise_jpeg

    off = {"ZEROED": -1.0, "TEXTURE_NEAR": float("inf"), "FEW": 0}
    kept = {k: getattr(noise_jpeg, k) for k in off}
    try:
        for k, v in off.items():
            setattr(noise_jpeg, k, v)
        return estimate_noise_sigma(y)
    finally:
        for k, v in kept.items():
            setattr(noise_jpeg, k, v)


def summary(rows) -> None:
    """Per set, JPEG quality and sigma: each estimate's error against the sigma added (median / rms / worst,
    / 255) and the mean PSNRs (inf, a clean PNG's identity, left out)."""
    print("\n| set | JPEG | sigma | photos | plain | b6aca55 | now | PSNR identity | b6aca55 | now | now - b6aca55 "
          "| worst | told the truth |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")

    def err(e):
        return f"{np.median(e):+.2f} / {np.sqrt(np.mean(e ** 2)):.2f} / {e[np.argmax(np.abs(e))]:+.2f}"

    def mean(c):
        c = c[np.isfinite(c)]
        return f"{np.mean(c):.2f}" if c.size else ""

    for key in dict.fromkeys(r[:3] for r in rows):
        r = np.array([v[3:] for v in rows if v[:3] == key], np.float64)
        d = r[:, 5] - r[:, 4]
        d = d[np.isfinite(d)]
        gain = [f"{np.mean(d):+.2f}", f"{np.min(d):+.2f}"] if d.size else ["", ""]
        print(f"| {key[0]} | {key[1] or 'PNG'} | {key[2]:g} | {len(r)} | {err(r[:, 0])} | {err(r[:, 1])} | "
              f"{err(r[:, 2])} | {mean(r[:, 3])} | {mean(r[:, 4])} | {mean(r[:, 5])} | {' | '.join(gain)} | "
              f"{mean(r[:, 6])} |", flush=True)


if __name__ == "__main__":
    main()
