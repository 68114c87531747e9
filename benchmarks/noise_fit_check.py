"""Where the noise fit (core/run/noise_level.py) misses, and why: the checks behind docs/camera-noise.md's
section "The fit: why the misses miss".

    python benchmarks/noise_fit_check.py --seeds 10                        # per case, the issue's measure
    python benchmarks/noise_fit_check.py --seeds 10 --references blurred   # the same scenes, grain and texture gone
    python benchmarks/noise_fit_check.py --texture --seeds 5               # the references' own texture, per miss
    python benchmarks/noise_fit_check.py --bins chelsea:1 --seeds 10       # one case's bins: noise, texture, cross
    python benchmarks/noise_fit_check.py --lines chelsea:2,coins:2 --seeds 10   # censoring, range or one bin?
    python benchmarks/noise_fit_check.py --constant-bins coins --seeds 10  # constant noise's bins against the texture
    python benchmarks/noise_fit_check.py --estimators coins:s25,chelsea:2 --seeds 10  # medians of local variances
    python benchmarks/noise_fit_check.py --heldout --seeds 3 [--mate DIR] [--wallpapers DIR]  # images outside the test list
    python benchmarks/noise_fit_check.py --zscores --seeds 5 [--heldout] [--levels]  # is a / s.e. N(0, 1)? (and a, b's)

The cases and seeds are benchmarks/camera_noise.py's (--fit-only): the five test images' 256 x 256 centre
crops, grey and colour, at the three levels, seed s adding 10000 s. ``--references blurred`` blurs each
reference (Gaussian, 1.5 pixels) before the noise is added: the fit judged against the truth on references
without grain or fine texture of their own. ``--texture``: for each grey case and seed, the clean reference's
diagonal details on the blocks the noisy file's fit kept (its last pass), per bin, put through the fit's
weighted line: the a and b the reference itself adds. ``--heldout``: scikit-image photos that are not test
images, and with ``--mate DIR`` (Debian's mate-backgrounds, `apt-get download mate-backgrounds`, unpacked;
evaluation only) its nature photos, each 4 x 4 area-downscaled and rounded to 8 bits, and with ``--wallpapers DIR``
(/work/data/wallpapers: 29 photos) each photo area-downscaled to about 512 pixels on its short side and rounded to
8 bits; the 256 x 256 centre crop of each, grey and colour; constant noise too. The per-case run lists the constant
files whose a is more than 2 standard errors from 0.
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
    c_miss = []
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
                if abs(f.a) > 2 * f.a_se:
                    c_miss.append(f"{name} {mode} sigma {sig} seed {s}: a / s.e. {f.a / f.a_se:+.1f}")
    print("\nConstant noise, a more than 2 standard errors from 0: " + ("; ".join(c_miss) or "none") + ".")
    print(f"\nWithin target: {hit} of {tot}; constant noise, a within 2 standard errors of 0: {c_hit} of {c_tot}.")


OFFSETS = ((0, 0), (0, 1), (1, 0), (1, 1))


def last_pass(y, line=False):
    """Fit ``y`` (grey) and return (the fit, the blocks' levels and diagonal details, the blocks its last
    pass measured: the mask that pass handed to its bins); with ``line`` also the last weighted line's
    bins: their levels as the fit reads them, variances (the clipped ends' factor taken off), sampling variances."""
    kept, masks, lines = [], [], []
    fit_channel, by_bin, wls_line = nl._fit_channel, nl._by_bin, nl._wls_line

    def spy(level, hh, *args, **kw):
        out = yield from fit_channel(level, hh, *args, **kw)   # a generator, as the fit's
        kept.append((level, hh, masks[-1]))
        return out

    def spy_bins(ok, *args):
        masks.append(ok.copy())
        return by_bin(ok, *args)

    def spy_line(x, t, var):
        lines.append((x.copy(), t.copy(), var.copy()))
        return wls_line(x, t, var)

    nl._fit_channel, nl._by_bin, nl._wls_line = spy, spy_bins, spy_line
    try:
        fit = nl.fit_noise_level(y)
    finally:
        nl._fit_channel, nl._by_bin, nl._wls_line = fit_channel, by_bin, wls_line
    level, hh, ok = kept[-1]
    return (fit, level, hh, ok) + ((lines[-1],) if line else ())


def fitted_bins(fit, level, ok):
    """The bins the fit's line went through, from its last pass's blocks ``ok``: each block's bin, the bins'
    numbers, their mean levels, those levels as the fit reads them (the clipped ends' mapped back), the blocks."""
    bi = nl._bin_index(level, nl.BINS)
    ks = [k for k in range(nl.BINS) if np.count_nonzero(ok & (bi == k)) >= nl.MIN_BIN * 2.25]
    raw = np.array([level[ok & (bi == k)].mean() for k in ks])
    x_bins = nl._unclipped_level(raw, fit.a, fit.b)
    on = nl._truncated_var_factor(x_bins, np.sqrt(np.maximum(fit.a * x_bins + fit.b, 1e-10))) > nl.MIN_FACTOR
    ks = [k for k, o in zip(ks, on) if o]
    return bi, ks, raw[on], x_bins[on], np.array([np.count_nonzero(ok & (bi == k)) for k in ks], dtype=np.float64)


def clean_details(x):
    """The clean reference's diagonal details and levels, block for block as the fit reads a 256 x 256 file."""
    maps = [nl._blocks(x[dy:, dx:]) for dy, dx in OFFSETS]
    return np.concatenate([m[1] for m in maps]), np.concatenate([m[0] for m in maps])


def wls_through(x_bins, t, w):
    """The fit's weighted line through the bins' values ``t``: (a, b)."""
    A = np.stack([x_bins, np.ones_like(x_bins)], 1)
    return np.linalg.solve(A.T @ (A * w[:, None]), A.T @ (w * t))


def texture(args):
    """The reference's own texture on the blocks the fit kept: what it adds to a and b."""
    print("| image | a, b | seed | fitted a | fitted b | b of the clean reference's own fit | texture adds to a | "
          "to b | b less the texture | within | within, texture taken off |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, mode, x, kk in test_cases(False):
        if mode != "grey":
            continue
        ref = nl.fit_noise_level((np.round(x * 255) / 255).astype(np.float32))
        clean = clean_details(x)[0]
        for j, (a, b) in enumerate(LEVELS):
            for s in range(args.seeds):
                fit, level, hh, ok = last_pass(camera_file(x, a, b, 100 * kk + j + 10000 * s))
                bi, ks, _, x_bins, counts = fitted_bins(fit, level, ok)
                t = np.array([np.mean(clean[ok & (bi == k)] ** 2) for k in ks])
                w = counts / np.maximum(fit.a * x_bins + fit.b, 1e-10) ** 2
                ta, tb = wls_through(x_bins, t, w)
                tb_fit = type("F", (), {"a": fit.a - ta, "b": fit.b - tb})
                print(f"| {name} | {a:g}, {b:g} | {s} | {fit.a:.4g} ({fit.a / a - 1:+.0%}) | {fit.b:.3g} ({fit.b / b - 1:+.0%}) "
                      f"| {ref.b:.2g} | {ta / a:+.0%} | {tb / b:+.0%} | {(fit.b - tb) / b - 1:+.0%} "
                      f"| {'yes' if within(fit, a, b) else 'no'} | {'yes' if within(tb_fit, a, b) else 'no'} |", flush=True)


def bins(args):
    """One grey case (``--bins IMAGE:LEVEL``, LEVEL 0-2), bin by bin: the variance each bin measured on the
    blocks the fit kept, taken apart with the clean reference (the kept details are the noise's plus the
    reference's own: hh^2 = noise^2 + texture^2 + 2 texture noise, each within the fit's trimming), each
    against the true law at the bin's level, and the b the fit's weighted line draws through each part."""
    name, j = args.bins.split(":")
    a, b = LEVELS[int(j)]
    x, kk = next((x, kk) for n, mode, x, kk in test_cases(False) if n == name and mode == "grey")
    clean, clean_level = clean_details(x)
    print(f"{name} grey at a, b = {a:g}, {b:g}: b of the fit's weighted line through each part of the bins' variances, "
          "in units of the true b (the last column: through the true law at the kept blocks' clean levels)\n")
    print("| seed | fitted a | fitted b (s.e.) | lowest bin | b: the noise part | the texture adds | "
          "texture x noise adds | the true law on those blocks |")
    print("|---|---|---|---|---|---|---|---|")
    first = None
    for s in range(args.seeds):
        fit, level, hh, ok = last_pass(camera_file(x, a, b, 100 * kk + int(j) + 10000 * s))
        bi, ks, raw, x_bins, counts = fitted_bins(fit, level, ok)
        noise = hh - clean
        rows = []
        for k, r, v in zip(ks, raw, x_bins):
            m = ok & (bi == k)
            inside = np.abs(hh[m]) <= nl.TRIM * np.sqrt(max(fit.a * r + fit.b, 1e-10))
            c, e = clean[m][inside], noise[m][inside]
            factor = nl._truncated_var_factor(np.array([v]), np.sqrt(np.array([a * v + b])))[0]
            rows.append([(np.mean(e * e) / nl._TRIM_FACTOR - 1 / 12 / 255 ** 2) / factor,
                         np.mean(c * c) / nl._TRIM_FACTOR / factor, 2 * np.mean(c * e) / nl._TRIM_FACTOR / factor,
                         a * np.mean(clean_level[m]) + b])
        parts = np.array(rows)
        w = counts / np.maximum(fit.a * x_bins + fit.b, 1e-10) ** 2
        nb, tb, cb, lb = (wls_through(x_bins, parts[:, i], w)[1] for i in range(4))
        print(f"| {s} | {fit.a / a - 1:+.0%} | {fit.b / b - 1:+.0%} ({fit.b_se / b:.0%}) | {x_bins[0]:.3f} | "
              f"{nb / b - 1:+.0%} | {tb / b:+.0%} | {cb / b:+.0%} | {lb / b - 1:+.0%} |", flush=True)
        if first is None:
            first = (s, x_bins, counts, parts, a * x_bins + b)
    s, x_bins, counts, parts, law = first
    print(f"\nSeed {s}, bin by bin (each part over the true law at the bin's level, after the clipped ends' factor):\n")
    print("| level | blocks | measured | the noise | the texture | texture x noise |")
    print("|---|---|---|---|---|---|")
    for v, n, p, L in zip(x_bins, counts, parts, law):
        print(f"| {v:.3f} | {int(n)} | {(p[0] + p[1] + p[2]) / L:.3f} | {p[0] / L:.3f} | {p[1] / L:+.3f} | {p[2] / L:+.3f} |")


def grey_case(name):
    """(reference, kk, k) of a test image's grey case: the seeds' offsets of the per-case run."""
    return next((x, kk, k) for k, (n, mode, x, kk) in enumerate(test_cases(False)) if n == name and mode == "grey")


def line_bins(fit, level, ok, xb):
    """Each of the last line's bins (levels ``xb``, as the fit reads them) as its bin number: the bin of kept
    blocks whose mean level, mapped back as the fit maps it, is nearest."""
    bi = nl._bin_index(level, nl.BINS)
    ks = [k for k in range(nl.BINS) if np.count_nonzero(ok & (bi == k)) >= nl.MIN_BIN * 2.25]
    mapped = nl._unclipped_level(np.array([level[ok & (bi == k)].mean() for k in ks]), fit.a, fit.b)
    return bi, [ks[int(np.argmin(np.abs(mapped - v)))] for v in xb]


def lines(args):
    """Where b goes wrong on the grey cases ``--lines IMAGE:LEVEL,...``: per seed, the fit's last line redrawn
    without the bins the clipped ends touch (the factor under 0.95), and with that factor read at the true law
    rather than the fitted one (is it the censoring?); the range of levels the bins cover, the darkest bin's
    blocks, and the bin whose removal moves b most (is it the range, or one bin?)."""
    for case in args.lines.split(","):
        name, j = case.split(":")
        a, b = LEVELS[int(j)]
        x, kk, _ = grey_case(name)
        print(f"\n{name} grey at a, b = {a:g}, {b:g}\n")
        print("| seed | within | a off | b off | b, clipped-end bins out | b, factor at the true law | bins from | to "
              "| darkest bin's blocks | most influential bin | b without it |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for s in range(args.seeds):
            fit, level, _, ok, (xb, t, ve) = last_pass(camera_file(x, a, b, 100 * kk + int(j) + 10000 * s), line=True)
            sd = np.sqrt(np.maximum(fit.a * xb + fit.b, 1e-10))
            f_fit, f_true = nl._truncated_var_factor(xb, sd), nl._truncated_var_factor(xb, np.sqrt(a * xb + b))
            w = 1 / ve
            inner = f_fit > 0.95
            b_in = wls_through(xb[inner], t[inner], w[inner])[1] / b - 1 if inner.sum() > 2 else float("nan")
            b_true = wls_through(xb, t * f_fit / f_true, w)[1] / b - 1
            loo = [wls_through(np.delete(xb, i), np.delete(t, i), np.delete(w, i))[1] for i in range(len(xb))]
            i = int(np.argmax(np.abs(np.array(loo) - fit.b)))
            bi, kb = line_bins(fit, level, ok, xb)
            n0 = np.count_nonzero(ok & (bi == kb[int(np.argmin(xb))]))
            print(f"| {s} | {'yes' if within(fit, a, b) else 'no'} | {fit.a / a - 1:+.0%} | {fit.b / b - 1:+.0%} | "
                  f"{b_in:+.0%} | {b_true:+.0%} | {xb.min():.3f} | {xb.max():.3f} | {n0:.0f} | {xb[i]:.3f} | "
                  f"{loo[i] / b - 1:+.0%} |", flush=True)


def constant_bins(args):
    """Constant noise on one grey test image (``--constant-bins IMAGE``): a / s.e. seed by seed, and the last
    line's bins, over the seeds: measured over sigma^2 (its spread over the seeds, its stated sampling s.e.) and
    the clean reference's own diagonal details on the very blocks the fit kept, over sigma^2 (the texture)."""
    x, _, k = grey_case(args.constant_bins)
    clean = clean_details(x)[0]
    for sig in SIGMAS:
        var = (sig / 255) ** 2
        rows, zs = {}, []
        for s in range(args.seeds):
            y = constant_file(x, sig, 1000 + 10 * k + sig + 10000 * s)
            fit, level, hh, ok, (xb, t, ve) = last_pass(y, line=True)
            zs.append(fit.a / fit.a_se)
            bi, kb = line_bins(fit, level, ok, xb)
            for xx, tv, v, kb_ in zip(xb, t, ve, kb):
                m = ok & (bi == kb_)
                rows.setdefault(kb_, []).append(
                    (xx, tv / var, np.mean(clean[m] ** 2) / var if m.any() else np.nan, np.sqrt(v) / var))
        print(f"\n{args.constant_bins} grey, sigma {sig}: a / s.e. seed by seed " + " ".join(f"{z:+.1f}" for z in zs)
              + "\n\n| level | seeds | measured / sigma^2 | spread over seeds | sampling s.e. | clean texture / sigma^2 |"
              "\n|---|---|---|---|---|---|")
        for kb in sorted(rows):
            r = np.array(rows[kb])
            print(f"| {r[:, 0].mean():.3f} | {len(r)} | {r[:, 1].mean():.3f} | {r[:, 1].std():.3f} "
                  f"| {r[:, 3].mean():.3f} "
                  f"| {np.nanmean(r[:, 2]):+.3f} |", flush=True)


def local_squares(y, r):
    """Each block's (2 r + 1)^2 box mean of hh^2 in its own offset's map, in the fit's order of the blocks."""
    from scipy.ndimage import uniform_filter

    return np.concatenate([uniform_filter(nl._blocks(y[dy:, dx:])[1].reshape(((y.shape[0] - dy) // 2, -1)) ** 2,
                                          2 * r + 1, mode="reflect").ravel() for dy, dx in OFFSETS])


def estimators(args):
    """Texture-robust per-bin estimators (``--estimators IMAGE:LEVEL or IMAGE:sSIGMA,...``, grey) on the blocks the
    fit kept, each bin's in place of its mean square (the fit's own corrections carried as a ratio), the same
    weighted line: the median of hh^2, and the median of the local mean squares of hh (3 x 3 and 5 x 5 blocks),
    each scaled to the mean square by its ratio on pure 8-bit noise (a flat grey at 0.5, sigma 0.05)."""
    rng = np.random.default_rng(1)
    flat = (np.clip(np.round((0.5 + 0.05 * rng.standard_normal((512, 512))) * 255), 0, 255) / 255)
    hf = np.concatenate([nl._blocks(flat[dy:, dx:])[1] for dy, dx in OFFSETS]) ** 2
    scale = {"median": np.median(hf) / hf.mean(), "local 3x3": np.median(local_squares(flat, 1)) / hf.mean(),
             "local 5x5": np.median(local_squares(flat, 2)) / hf.mean()}
    names = ("mean square (the fit's)",) + tuple(scale)
    print("| case | " + " | ".join(names) + " |\n|---|" + "---|" * len(names))
    for case in args.estimators.split(","):
        name, lv = case.split(":")
        x, kk, k = grey_case(name)
        out = {n: [] for n in names}
        for s in range(args.seeds):
            if lv.startswith("s"):
                sig = int(lv[1:])
                y = constant_file(x, sig, 1000 + 10 * k + sig + 10000 * s)
            else:
                a0, b0 = LEVELS[int(lv)]
                y = camera_file(x, a0, b0, 100 * kk + int(lv) + 10000 * s)
            fit, level, hh, ok, (xb, t, ve) = last_pass(y, line=True)
            bi, kb = line_bins(fit, level, ok, xb)
            loc = {"local 3x3": local_squares(y, 1), "local 5x5": local_squares(y, 2)}
            vals = {n: [] for n in names}
            for kb_, tv in zip(kb, t):
                m = ok & (bi == kb_)
                ms = np.mean(hh[m] ** 2)
                vals[names[0]].append(tv)
                vals["median"].append(tv * np.median(hh[m] ** 2) / scale["median"] / ms)
                for n, lm in loc.items():
                    vals[n].append(tv * np.median(lm[m]) / scale[n] / ms)
            for n in names:
                ea, eb = wls_through(xb, np.array(vals[n]), 1 / ve)
                out[n].append(ea / fit.a_se if lv.startswith("s") else (ea, eb))
        cells = []
        for n in names:
            if lv.startswith("s"):
                z = np.array(out[n])
                cells.append(f"a / s.e. mean {z.mean():+.2f}, within 2: {np.sum(np.abs(z) <= 2)}/{len(z)}")
            else:
                a0, b0 = LEVELS[int(lv)]
                hit = sum(within(type("F", (), {"a": ea, "b": eb}), a0, b0) for ea, eb in out[n])
                db = np.array([eb / b0 - 1 for _, eb in out[n]])
                cells.append(f"{hit}/{len(db)}, b off {db.mean():+.0%} (sd {db.std():.0%})")
        print(f"| {case} | " + " | ".join(cells) + " |", flush=True)


def heldout_images(mate, wallpapers=None):
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
    for p in sorted(glob.glob(os.path.join(wallpapers or "/nonexistent", "*.jpg"))):
        a = io.imread(p).astype(np.float32) / 255
        a = a[:, :, :3] if a.ndim == 3 else a        # Grey.jpg is one channel
        k = max(1, min(a.shape[:2]) // 512)          # about 512 pixels on the short side, then the centre crop
        a = downscale_local_mean(a, (k, k) + (1,) * (a.ndim - 2)) if k > 1 else a
        yield "wall-" + Path(p).stem[:24], crop(np.round(a * 255) / 255).astype(np.float32)


def heldout(args):
    from skimage.color import rgb2gray

    hit = tot = c_hit = c_tot = 0
    for i, (n, x) in enumerate(heldout_images(args.mate, args.wallpapers)):
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
    within 2 (0.95 for honest errors), on the test images and (--heldout) the 8 other photos.
    With ``--levels`` also the three (a, b) levels: (a - a0) / s.e. and (b - b0) / s.e., the coverage of
    the stated 2-s.e. intervals of the signal-dependent fits."""
    from skimage.color import rgb2gray

    if args.heldout:
        cases = []
        for n, x in heldout_images(args.mate, args.wallpapers):
            cases.append((n, "grey", rgb2gray(x).astype(np.float32) if x.ndim == 3 else x))
            if x.ndim == 3:
                cases.append((n, "colour", x))
    else:
        cases = [(name, mode, x) for name, mode, x, _ in test_cases(False)]
    sigmas = (5, 15, 25, 50)
    print("| image | mode | " + " | ".join(f"sigma {s}: mean z, sd" for s in sigmas) + " |")
    print("|---|---|" + "---|" * len(sigmas))
    every, pg = [], 0
    by = {s: [] for s in sigmas}
    lv = {(j, m, w): [] for j in range(len(LEVELS)) for m in ("grey", "colour") for w in "ab"}
    for k, (name, mode, x) in enumerate(cases):
        cells = []
        for sig in sigmas:
            fits = [nl.fit_noise_level(constant_file(x, sig, 1000 + 10 * k + sig + 10000 * s)) for s in range(args.seeds)]
            z = np.array([f.a / f.a_se if f.a_se > 0 else 0.0 for f in fits])
            pg += sum(f.kind != "constant" for f in fits)
            every += list(z)
            by[sig] += list(z)
            cells.append(f"{z.mean():+.1f}, {z.std():.1f}")
        if args.levels:
            for j, (a, b) in enumerate(LEVELS):
                for s in range(args.seeds):
                    rng = np.random.default_rng(5000 + 100 * k + 10 * j + s)
                    y = (np.clip(np.round((x + np.sqrt(a * x + b) * rng.standard_normal(x.shape)) * 255), 0, 255)
                         / 255).astype(np.float32)
                    f = nl.fit_noise_level(y)
                    if f is not None and f.a_se > 0 and f.b_se > 0:
                        lv[(j, mode, "a")].append((f.a - a) / f.a_se)
                        lv[(j, mode, "b")].append((f.b - b) / f.b_se)
        print(f"| {name} | {mode} | " + " | ".join(cells) + " |", flush=True)

    def summary(z):
        z = np.array(z)
        return f"rms {np.sqrt(np.mean(z * z)):.2f}, within 2 {np.sum(np.abs(z) <= 2)} of {len(z)} " \
               f"({np.mean(np.abs(z) <= 2):.0%}), mean {z.mean():+.2f}" if len(z) else "none"

    z = np.array(every)
    print(f"\n{len(z)} files: rms of a / s.e. {np.sqrt(np.mean(z * z)):.2f}, within 2 s.e. {np.sum(np.abs(z) <= 2)} "
          f"({np.mean(np.abs(z) <= 2):.0%}), mean {z.mean():+.2f}; called signal-dependent: {pg}.")
    for sig in sigmas:
        print(f"constant sigma {sig}: a / s.e. {summary(by[sig])}")
    if args.levels:
        for (j, mode, w), zz in lv.items():
            if zz:
                print(f"level {LEVELS[j]} {mode}: ({w} - {w}0) / s.e. {summary(zz)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--references", choices=("test", "blurred"), default="test")
    ap.add_argument("--texture", action="store_true")
    ap.add_argument("--bins", default=None, help="IMAGE:LEVEL (grey, LEVEL 0-2): one case's bins taken apart")
    ap.add_argument("--lines", default=None, help="IMAGE:LEVEL,... (grey): the last line's bins, seed by seed")
    ap.add_argument("--constant-bins", default=None, help="IMAGE (grey): constant noise's bins against the texture")
    ap.add_argument("--estimators", default=None, help="IMAGE:LEVEL or IMAGE:sSIGMA,... (grey): robust estimators")
    ap.add_argument("--heldout", action="store_true")
    ap.add_argument("--zscores", action="store_true", help="constant noise (sigma 5, 15, 25, 50): a / s.e. per case")
    ap.add_argument("--levels", action="store_true", help="with --zscores: the three (a, b) levels' coverage too")
    ap.add_argument("--mate", default=None, help="an unpacked mate-backgrounds .deb (its root)")
    ap.add_argument("--wallpapers", default=None, help="a folder of .jpg photos (DPM_STUDIO_WALLPAPERS), held out too")
    args = ap.parse_args()
    (zscores if args.zscores else texture if args.texture else bins if args.bins else lines if args.lines
     else constant_bins if args.constant_bins else estimators if args.estimators else heldout if args.heldout
     else per_case)(args)


if __name__ == "__main__":
    main()
