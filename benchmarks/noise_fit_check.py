"""Where the noise fit (core/run/noise_level.py) misses, and why: the checks behind docs/camera-noise.md's
section "The fit: why the misses miss".

    python benchmarks/noise_fit_check.py --seeds 10                        # per case, the issue's measure
    python benchmarks/noise_fit_check.py --seeds 10 --references blurred   # the same scenes, grain and texture gone
    python benchmarks/noise_fit_check.py --texture --seeds 5               # the references' own texture, per miss
    python benchmarks/noise_fit_check.py --heldout --seeds 3 [--mate DIR]  # images outside the test list
    python benchmarks/noise_fit_check.py --zscores --seeds 5 [--heldout]   # constant noise: is a / s.e. N(0, 1)?

The cases and seeds are benchmarks/camera_noise.py's (--fit-only): the five test images' 256 x 256 centre
crops, grey and colour, at the three levels, seed s adding 10000 s. ``--references blurred`` blurs each
reference (Gaussian, 1.5 pixels) before the noise is added: the fit judged against the truth on references
without grain or fine texture of their own. ``--texture``: for each grey case and seed, the clean reference's
diagonal details on the blocks the noisy file's fit kept (its last pass), per bin, put through the fit's
weighted line: the a and b the reference itself adds. ``--heldout``: scikit-image photos that are not test
images, and with ``--mate DIR`` (Debian's mate-backgrounds, `apt-get download mate-backgrounds`, unpacked;
evaluation only) its nature photos, each 4 x 4 area-downscaled and rounded to 8 bits; constant noise too.
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

from camera_noise import LEVELS, SIGMAS, camera_file, variants  # noqa: E402
from restoration import TEST_IMAGES  # noqa: E402

from dpm_studio.core.run import noise_level as nl  # noqa: E402

HELDOUT = ("rocket", "moon", "clock", "brick", "immunohistochemistry", "retina", "hubble_deep_field", "cell")


def within(fit, a, b):
    return fit is not None and abs(fit.b - b) <= (0.2 * b if a > 0.001 else 0.0002) and \
        (a <= 0.001 or abs(fit.a - a) <= 0.2 * a)


def constant_file(x, sig, seed):
    rng = np.random.default_rng(seed)
    return (np.clip(np.round((x + sig / 255 * rng.standard_normal(x.shape)) * 255), 0, 255) / 255).astype(np.float32)


def test_cases(blurred):
    from scipy.ndimage import gaussian_filter

    order = {n: i for i, n in enumerate(TEST_IMAGES)}
    for name, mode, x in variants(False):
        if blurred:
            x = gaussian_filter(x, (1.5, 1.5) + ((0,) if x.ndim == 3 else ())).astype(np.float32)
        yield name, mode, x, 2 * order[name] + (mode == "colour")


def per_case(args):
    print("| image | mode | a, b | within target | mean a off | mean b off | b off, seed by seed |")
    print("|---|---|---|---|---|---|---|")
    hit = tot = c_hit = c_tot = 0
    for k, (name, mode, x, kk) in enumerate(test_cases(args.references == "blurred")):
        for j, (a, b) in enumerate(LEVELS):
            fits = [nl.fit_noise_level(camera_file(x, a, b, 100 * kk + j + 10000 * s)) for s in range(args.seeds)]
            n = sum(within(f, a, b) for f in fits)
            hit, tot = hit + n, tot + len(fits)
            da, db = [f.a / a - 1 for f in fits], [f.b / b - 1 for f in fits]
            print(f"| {name} | {mode} | {a:g}, {b:g} | {n}/{len(fits)} | {np.mean(da):+.0%} | {np.mean(db):+.0%} | "
                  + " ".join(f"{v:+.0%}" for v in db) + " |", flush=True)
        for sig in SIGMAS:
            for s in range(args.seeds):
                f = nl.fit_noise_level(constant_file(x, sig, 1000 + 10 * k + sig + 10000 * s))
                c_hit, c_tot = c_hit + (abs(f.a) <= 2 * f.a_se), c_tot + 1
    print(f"\nWithin target: {hit} of {tot}; constant noise, a within 2 standard errors of 0: {c_hit} of {c_tot}.")


def texture(args):
    """The reference's own texture on the blocks the fit kept: what it adds to a and b."""
    kept = []
    fit_channel = nl._fit_channel

    def spy(level, hh, structure, unclipped, tile=None, neigh=None, **kw):  # the last pass's blocks, as the fit has them
        out = fit_channel(level, hh, structure, unclipped, tile, neigh, **kw)
        kept.append((level, hh, structure, unclipped & (neigh >= nl.QUIET * np.maximum(out.a * level + out.b, 1e-10)),
                     tile, out))
        return out

    nl._fit_channel = spy
    offsets = ((0, 0), (0, 1), (1, 0), (1, 1))
    print("| image | a, b | seed | fitted a | fitted b | b of the clean reference's own fit | texture adds to a | "
          "to b | b less the texture | within | within, texture taken off |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, mode, x, kk in test_cases(False):
        if mode != "grey":
            continue
        ref = nl.fit_noise_level((np.round(x * 255) / 255).astype(np.float32))
        clean = np.concatenate([nl._blocks(x[dy:, dx:])[1] for dy, dx in offsets])
        for j, (a, b) in enumerate(LEVELS):
            for s in range(args.seeds):
                kept.clear()
                y = camera_file(x, a, b, 100 * kk + j + 10000 * s)
                fit = nl.fit_noise_level(y)
                level, hh, structure, unclipped, tile, ch = kept[-1]
                s2 = np.maximum(fit.a * level + fit.b, 1e-10)
                ok = unclipped & (structure <= nl.STRUCT_T * s2)
                ok &= ~nl._textured_regions(hh, s2, nl._compact_regions(tile), ok, 2.25)
                x_bins = np.asarray(ch.levels)
                bi = nl._bin_index(level, nl.BINS)
                t = np.array([np.mean(clean[ok & (bi == int(v * nl.BINS))] ** 2) for v in x_bins])
                w = np.asarray(ch.counts, dtype=np.float64) / np.maximum(fit.a * x_bins + fit.b, 1e-10) ** 2
                A = np.stack([x_bins, np.ones_like(x_bins)], 1)
                ta, tb = np.linalg.solve(A.T @ (A * w[:, None]), A.T @ (w * t))
                tb_fit = type("F", (), {"a": fit.a - ta, "b": fit.b - tb})
                print(f"| {name} | {a:g}, {b:g} | {s} | {fit.a:.4g} ({fit.a / a - 1:+.0%}) | {fit.b:.3g} ({fit.b / b - 1:+.0%}) "
                      f"| {ref.b:.2g} | {ta / a:+.0%} | {tb / b:+.0%} | {(fit.b - tb) / b - 1:+.0%} "
                      f"| {'yes' if within(fit, a, b) else 'no'} | {'yes' if within(tb_fit, a, b) else 'no'} |", flush=True)
    nl._fit_channel = fit_channel


def heldout_images(mate):
    from skimage import data, io
    from skimage.transform import downscale_local_mean

    def crop(a):
        h, w = a.shape[:2]
        t, l = (h - 256) // 2, (w - 256) // 2
        return a[t:t + 256, l:l + 256]

    for n in HELDOUT:
        yield n, crop(getattr(data, n)().astype(np.float32) / 255)
    for p in sorted(glob.glob(os.path.join(mate or "/nonexistent", "usr/share/backgrounds/mate/nature/*.jpg"))):
        a = downscale_local_mean(io.imread(p).astype(np.float32) / 255, (4, 4, 1))
        yield "mate-" + Path(p).stem, crop(np.round(a * 255) / 255).astype(np.float32)


def heldout(args):
    from skimage.color import rgb2gray

    hit = tot = c_hit = c_tot = 0
    for i, (n, x) in enumerate(heldout_images(args.mate)):
        grey = rgb2gray(x).astype(np.float32) if x.ndim == 3 else x
        for mode, xx in [("grey", grey)] + ([("colour", x)] if x.ndim == 3 else []):
            for j, (a, b) in enumerate(LEVELS):
                for s in range(args.seeds):
                    rng = np.random.default_rng(7000 + 100 * i + 10 * j + s + (mode == "colour") * 50)
                    y = (np.clip(np.round((xx + np.sqrt(a * xx + b) * rng.standard_normal(xx.shape)) * 255), 0, 255)
                         / 255).astype(np.float32)
                    hit, tot = hit + within(nl.fit_noise_level(y), a, b), tot + 1
            for sig in SIGMAS:
                for s in range(args.seeds):
                    f = nl.fit_noise_level(constant_file(xx, sig, 9000 + 100 * i + sig + s))
                    c_hit, c_tot = c_hit + (f is not None and abs(f.a) <= 2 * f.a_se), c_tot + 1
        print(f"{n}: {hit} of {tot} so far", flush=True)
    print(f"\nHeld-out images: {hit} of {tot} fits within target; constant noise, a within 2 standard errors of 0: "
          f"{c_hit} of {c_tot}.")


def zscores(args):
    """Constant Gaussian noise (a = 0): is a / its standard error a standard normal? Per image and
    sigma the mean and spread of the z-scores over the seeds; over all, their rms and the share
    within 2 (0.95 for honest errors), on the test images and (--heldout) the 8 other photos."""
    from skimage.color import rgb2gray

    if args.heldout:
        cases = []
        for n, x in heldout_images(args.mate):
            cases.append((n, "grey", rgb2gray(x).astype(np.float32) if x.ndim == 3 else x))
            if x.ndim == 3:
                cases.append((n, "colour", x))
    else:
        cases = [(name, mode, x) for name, mode, x, _ in test_cases(False)]
    sigmas = (5, 15, 25, 50)
    print("| image | mode | " + " | ".join(f"sigma {s}: mean z, sd" for s in sigmas) + " |")
    print("|---|---|" + "---|" * len(sigmas))
    every, pg = [], 0
    for k, (name, mode, x) in enumerate(cases):
        cells = []
        for sig in sigmas:
            fits = [nl.fit_noise_level(constant_file(x, sig, 1000 + 10 * k + sig + 10000 * s)) for s in range(args.seeds)]
            z = np.array([f.a / f.a_se if f.a_se > 0 else 0.0 for f in fits])
            pg += sum(f.kind != "constant" for f in fits)
            every += list(z)
            cells.append(f"{z.mean():+.1f}, {z.std():.1f}")
        print(f"| {name} | {mode} | " + " | ".join(cells) + " |", flush=True)
    z = np.array(every)
    print(f"\n{len(z)} files: rms of a / s.e. {np.sqrt(np.mean(z * z)):.2f}, within 2 s.e. {np.sum(np.abs(z) <= 2)} "
          f"({np.mean(np.abs(z) <= 2):.0%}), mean {z.mean():+.2f}; called signal-dependent: {pg}.")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--references", choices=("test", "blurred"), default="test")
    ap.add_argument("--texture", action="store_true")
    ap.add_argument("--heldout", action="store_true")
    ap.add_argument("--zscores", action="store_true", help="constant noise (sigma 5, 15, 25, 50): a / s.e. per case")
    ap.add_argument("--mate", default=None, help="an unpacked mate-backgrounds .deb (its root)")
    args = ap.parse_args()
    (zscores if args.zscores else texture if args.texture else heldout if args.heldout else per_case)(args)


if __name__ == "__main__":
    main()
