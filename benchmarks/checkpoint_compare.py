"""Two denoising checkpoints side by side, case by case (issue 21's ship rule: better on average, no row
worse by more than 0.1 dB).

    python benchmarks/checkpoint_compare.py OLD.json NEW.json [--set test|heldout] [--mate DIR]

test: the five test images (256 x 256 centre crops) at sigma 15/25/50. heldout: Debian's
mate-backgrounds nature photos (evaluation only, never training; `apt-get download mate-backgrounds &&
dpkg-deb -x mate-backgrounds_*.deb DIR`), each a quarter size, its centre 256 x 256, in colour and in grey,
at sigma 15/25/50. Each case: the noisy image as an 8-bit PNG (rounded, clipped), the CLI default with the
sigma told (`api.denoise(y, sigma, noise="constant", checkpoint=...)`), one torch thread. Prints one row per
case and the change's mean, worst and best (per kind on the held-out set).
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from restoration import TEST_IMAGES, noisy_file, psnr, test_image  # noqa: E402

SIGMAS = (15, 25, 50)


def cases(which: str, mate: str):
    if which == "test":
        for name in TEST_IMAGES:
            x = test_image(name)
            for s in SIGMAS:
                yield name, "colour" if x.ndim == 3 else "grey", s, x, 1000 + s
        return
    from PIL import Image
    from skimage.color import rgb2gray

    files = sorted(glob.glob(os.path.join(mate, "usr/share/backgrounds/mate/nature/*.jpg")))
    if not files:
        raise SystemExit(f"no mate-backgrounds nature photos under {mate}: unpack the package there (see --help)")
    for i, f in enumerate(files):
        im = Image.open(f).convert("RGB")
        w, h = im.size
        x = np.asarray(im.resize((w // 4, h // 4), Image.BOX), np.float32) / 255
        t, left = (x.shape[0] - 256) // 2, (x.shape[1] - 256) // 2
        x = x[t:t + 256, left:left + 256]
        for kind in ("colour", "grey"):
            xx = x if kind == "colour" else (np.round(rgb2gray(x) * 255) / 255).astype(np.float32)
            for s in SIGMAS:
                yield Path(f).stem, kind, s, xx, 5000 + 10 * i + s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--set", choices=("test", "heldout"), default="test")
    ap.add_argument("--mate", default=os.environ.get("MATE_DIR", "/tmp/grey22/eval/x"),
                    help="an unpacked mate-backgrounds .deb (its root)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    from dpm_studio import api

    rows = []
    print(f"| image | kind | sigma | {Path(args.old).stem} | {Path(args.new).stem} | change |")
    print("|---|---|---|---|---|---|")
    for name, kind, s, x, seed in cases(args.set, args.mate):
        y = noisy_file(x, s, seed=seed)
        p = [psnr(api.denoise(y, s / 255, noise="constant", checkpoint=c), x) for c in (args.old, args.new)]
        rows.append((kind, p[1] - p[0]))
        print(f"| {name} | {kind} | {s} | {p[0]:.3f} | {p[1]:.3f} | {p[1] - p[0]:+.3f} |", flush=True)
    for kind in sorted({k for k, _ in rows}) + ["all"]:
        d = np.array([c for k, c in rows if kind in ("all", k)])
        print(f"{kind}: {len(d)} cases, change mean {d.mean():+.3f}, worst {d.min():+.3f}, best {d.max():+.3f}")


if __name__ == "__main__":
    main()
