"""Make .gpu_data/wallpapers: the wallpaper photographs as the photos recipe trains on them,
small enough to travel to a GPU machine beside the repository.

    python scripts/make_gpu_data.py [SRC] [DEST]
    (defaults: $DPM_STUDIO_WALLPAPERS or /work/data/wallpapers, and .gpu_data/wallpapers)

A device call sends the working tree and the carried paths, 64 MiB in all; the repository
is about 40 MB and the 36 wallpapers 40 MB of JPEG at up to 2560 px. The recipe area-downscales
each to a longer side of 1024 (PHOTOS_MAX_SIDE) before training, so this script does that
with the recipe's own decoder and downscale and saves the result as lossless WebP (21 MB):
the same training pixels, which a checkpoint's card checks by their SHA-256 (a file of the
same stem in another format stands for the card's file). Sidecar metadata, SOURCES.txt and
the copyright file are copied alongside. Prints one line per image and a total.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dpm_studio.core.train.data import images as im  # noqa: E402


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    src = Path(argv[0] if argv else os.environ.get(im.WALLPAPERS_ENV) or "/work/data/wallpapers")
    dest = Path(argv[1] if len(argv) > 1 else ROOT / ".gpu_data" / "wallpapers")
    if not src.is_dir():
        print(f"make_gpu_data: no wallpaper folder at {src} (scripts/fetch_wallpapers.sh makes one)", file=sys.stderr)
        return 2
    dest.mkdir(parents=True, exist_ok=True)
    total = 0
    for path in sorted(src.iterdir()):
        if not path.is_file():
            continue
        if path.suffix.lower() not in im.IMAGE_EXTENSIONS:
            shutil.copy2(path, dest / path.name)  # metadata sidecars, SOURCES.txt, COPYRIGHT.debian
            continue
        px = np.ascontiguousarray(im._limit_side(im.load_image_file(path, "rgb"), im.PHOTOS_MAX_SIDE))
        out = dest / (path.stem + ".webp")
        Image.fromarray(px).save(out, format="WEBP", lossless=True, quality=100, method=6)
        if not np.array_equal(im.load_image_file(out, "rgb"), px):
            print(f"make_gpu_data: {out} does not read back as the same pixels", file=sys.stderr)
            return 1
        total += out.stat().st_size
        print(f"{path.name} {px.shape[1]}x{px.shape[0]} -> {out.name} {out.stat().st_size / 1e6:.2f} MB")
    print(f"make_gpu_data: {total / 1e6:.1f} MB of lossless WebP in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
