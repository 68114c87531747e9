"""The denoising strength (``noise_scale``, the app's Strength): telling the model more or less noise.

    python benchmarks/noise_strength.py [--quick] [--scales 1.5 2 3] [--out docs/camera-noise.md]

Noisy 8-bit files as users have them (rounded, clipped at 0 and 255), 256 x 256 centre crops:
constant Gaussian noise at sigma 15 and 25 on camera and coins (grey) and astronaut and coffee
(colour), and a camera's noise var = a x + b with (a, b) = (0.004, 0.0004) on camera and
astronaut. Each is denoised with the defaults (--noise auto, seed 0) at noise_scale 0.5, 0.75,
1, 1.5, 2, 3. Printed: the RMSE (0-255) and PSNR against the clean image, and the total
variation (mean |horizontal| + |vertical| difference, 0-255) of the result: above 1 the result
must be smoother as the scale grows and never further from the clean image than the noisy input.
``--out`` writes the tables into that file between this script's markers (above
benchmarks/camera_noise.py's, which rewrites everything below its own).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from restoration import test_image  # noqa: E402

from dpm_studio import api  # noqa: E402

SCALES = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
BEGIN = "<!-- the strength tables below are written by benchmarks/noise_strength.py -->"
END = "<!-- end of the strength tables -->"
CAMERA_MARKER = "<!-- the tables below are written by benchmarks/camera_noise.py -->"


def cases(quick: bool):
    from skimage.color import rgb2gray

    grey = lambda n: (rgb2gray(test_image(n)) if test_image(n).ndim == 3 else test_image(n))  # noqa: E731
    images = [("camera", "grey", grey("camera")), ("astronaut", "colour", test_image("astronaut"))]
    if not quick:
        images[1:1] = [("coins", "grey", grey("coins"))]
        images.append(("coffee", "colour", test_image("coffee")))
    for sigma in ((25,) if quick else (15, 25)):
        for name, mode, x in images:
            yield f"{name} ({mode}), sigma {sigma}", x, lambda x, r, s=sigma: x + s / 255 * r.standard_normal(x.shape)
    for name, mode, x in (c for c in images if c[0] in ("camera", "astronaut")):
        yield f"{name} ({mode}), var = 0.004 x + 0.0004", x, \
            lambda x, r: x + np.sqrt(0.004 * x + 0.0004) * r.standard_normal(x.shape)


def file_of(x, noise, seed=0):
    return np.clip(np.round(noise(x.astype(np.float64), np.random.default_rng(seed)) * 255), 0, 255).astype(np.uint8)


def rmse(a, x):
    return float(np.sqrt(np.mean((np.asarray(a, np.float64) - x.astype(np.float64) * 255) ** 2)))


def tv(a):
    a = np.asarray(a, np.float64)
    return float(np.abs(np.diff(a, axis=0)).mean() + np.abs(np.diff(a, axis=1)).mean())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--scales", type=float, nargs="+", default=SCALES, help="noise scales (default: %(default)s)")
    args = ap.parse_args(argv)
    head = ["case", "input"] + [f"x{k:g}" for k in args.scales]
    err, smooth, bad = [head], [head], []
    t0 = time.time()
    for label, x, noise in cases(args.quick):
        y = file_of(x, noise)
        e, v = [label, f"{rmse(y, x):.2f}"], [label, f"{tv(y):.2f}"]
        for k in args.scales:
            out = api.denoise(y, seed=0, noise_scale=k)
            r = rmse(out, x)
            e.append(f"{r:.2f} ({20 * np.log10(255 / r):.1f})")
            v.append(f"{tv(out):.2f}")
            if k > 1 and r > rmse(y, x):
                bad.append(f"{label} at x{k:g}")
        err.append(e)
        smooth.append(v)
        print(" | ".join(e), "||", " | ".join(v[1:]), flush=True)
    md = lambda rows: "\n".join(["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]  # noqa: E731
                                + ["| " + " | ".join(r) + " |" for r in rows[1:]])
    text = (f"{BEGIN}\n\nRMSE in 0-255 against the clean image (PSNR in dB), `input`: the noisy file's\n"
            f"(`python benchmarks/noise_strength.py{' --quick' if args.quick else ''}"
            f"{'' if tuple(args.scales) == SCALES else ' --scales ' + ' '.join(f'{k:g}' for k in args.scales)}`, "
            f"{time.time() - t0:.0f} s on the CPU):\n\n{md(err)}\n\nTotal variation of the result "
            f"(mean absolute difference of neighbouring pixels, 0-255; `input`: the noisy file's):\n\n"
            f"{md(smooth)}\n\nAbove 1, worse than the input: {', '.join(bad) or 'none'}.\n\n{END}")
    print(text)
    if args.out:
        doc = args.out.read_text() if args.out.exists() else ""
        if BEGIN in doc and END in doc:
            doc = doc.split(BEGIN)[0] + text + doc.split(END, 1)[1]
        elif CAMERA_MARKER in doc:
            doc = doc.replace(CAMERA_MARKER, text + "\n\n" + CAMERA_MARKER)
        else:
            doc += "\n" + text + "\n"
        args.out.write_text(doc)


if __name__ == "__main__":
    main()
