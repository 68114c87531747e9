"""Every field of the noise fit on a fixed set of images, saved and compared: a speed-up of the fit
(core/run/noise_level.py, noise_blocks.py) that claims to compute the same thing is checked bit for bit.

    python benchmarks/noise_fit_identity.py save FILE     # the fits of the code as it is
    python benchmarks/noise_fit_identity.py check FILE    # the same fits again, each field compared

The set (223 fits with the mate photos): the five test images in grey and the three colour ones at the three camera levels of
benchmarks/camera_noise.py, three noise seeds (72); constant noise sigma 5, 15, 25, 50 on them (32);
float (unrounded) input at the middle level (8); noise_fit_check.py's held-out images' 256 x 256 centres
(the 12 mate photos when unpacked at MATE_DIR, default /tmp/grey22/eval/x) grey and colour at the three
levels; a known-pixels
mask (grey and colour astronaut, 2); a 12 MP colour photo (skimage's rocket resized to 4000 x 3000, 1).
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from dataclasses import astuple
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import numpy as np  # noqa: E402

from camera_noise import LEVELS, camera_file  # noqa: E402
from noise_fit_check import heldout_images  # noqa: E402
from restoration import TEST_IMAGES, test_image  # noqa: E402
from dpm_studio.core.run.noise_level import fit_noise_level  # noqa: E402


def inputs():
    from skimage.color import rgb2gray
    imgs = []
    for name in TEST_IMAGES:
        x = test_image(name)
        imgs.append((name + "c", x) if x.ndim == 3 else None)
        imgs.append((name + "g", rgb2gray(x).astype(np.float32) if x.ndim == 3 else x))
    imgs = [i for i in imgs if i is not None]
    for k, (name, x) in enumerate(imgs):
        for j, (a, b) in enumerate(LEVELS):
            for seed in range(3):
                yield f"{name} {j} s{seed}", camera_file(x, a, b, 1000 * seed + 10 * k + j), None
        for sig in (5, 15, 25, 50):
            rng = np.random.default_rng(500 + 10 * k + sig)
            y = np.clip(np.round((x + sig / 255 * rng.standard_normal(x.shape)) * 255), 0, 255) / 255
            yield f"{name} sigma{sig}", y.astype(np.float32), None
        a, b = LEVELS[1]
        rng = np.random.default_rng(900 + k)
        y = np.clip(x + np.sqrt(a * x + b) * rng.standard_normal(x.shape), 0, 1).astype(np.float32)
        yield f"{name} float", y, None
    for i, (name, x) in enumerate(heldout_images(os.environ.get("MATE_DIR", "/tmp/grey22/eval/x"))):
        for mode, xx in (("c", x), ("g", rgb2gray(x).astype(np.float32))) if x.ndim == 3 else (("g", x),):
            for j, (a, b) in enumerate(LEVELS):
                yield f"{name}{mode} {j}", camera_file(xx, a, b, 7000 + 10 * i + j), None
    x = test_image("astronaut")
    known = np.ones(x.shape[:2], bool)
    known[100:180, 60:200] = False
    for mode, xx in (("c", x), ("g", rgb2gray(x).astype(np.float32))):
        yield f"astronaut{mode} known", camera_file(xx, *LEVELS[1], 4242), known
    from PIL import Image
    from skimage import data
    big = np.asarray(Image.fromarray(data.rocket()).resize((4000, 3000), Image.BICUBIC), np.float32) / 255
    yield "rocket 12MP", camera_file(big, *LEVELS[1], 4343), None


def fields(fit):
    return None if fit is None else astuple(fit)


def main():
    mode, path = sys.argv[1], sys.argv[2]
    t0, fits = time.perf_counter(), {}
    for name, y, known in inputs():
        fits[name] = fields(fit_noise_level(y, known=known))
    if mode == "save":
        with open(path, "wb") as f:
            pickle.dump(fits, f)
        print(f"{len(fits)} fits saved to {path} ({time.perf_counter() - t0:.0f} s)")
        return
    with open(path, "rb") as f:
        ref = pickle.load(f)
    bad = [k for k in ref if fits.get(k) != ref[k]]
    print(f"{len(ref)} fits: {len(ref) - len(bad)} identical in every field, {len(bad)} differ"
          + "".join(f"\n  {k}: {ref[k]} -> {fits.get(k)}" for k in bad[:10]))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
