"""The held-out photos' 256 x 256 crops of issue 22's lowest-level measurements (benchmarks/auto_low_noise.py and
benchmarks/transform_loss.py): mate-backgrounds' nature photos (``MATE_DIR``, unpacked) and the wallpapers
(``DPM_STUDIO_WALLPAPERS``), each at least 1024 px, box-downscaled 4x, cropped, rounded to 8 bits."""
from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np


def photos(crop="centre"):
    """(name, seed base, crop) for each held-out photo; ``crop``: centre, top-left or bottom-right."""
    from PIL import Image
    mate = sorted(glob.glob(os.path.join(os.environ.get("MATE_DIR", "/tmp/grey22/eval/x"),
                                         "usr/share/backgrounds/mate/nature/*.jpg")))
    walls = sorted(glob.glob(os.path.join(os.environ.get("DPM_STUDIO_WALLPAPERS", "/work/data/wallpapers"), "*.*g")))
    for base, files in ((7000, mate), (8000, walls)):
        for i, f in enumerate(files):
            im = Image.open(f).convert("RGB")
            w, h = im.size
            if min(w, h) < 1024:
                continue
            im = im.resize((w // 4, h // 4), Image.BOX)
            x = np.asarray(im, np.float32) / 255
            t, l = {"centre": ((x.shape[0] - 256) // 2, (x.shape[1] - 256) // 2), "top-left": (0, 0),
                    "bottom-right": (x.shape[0] - 256, x.shape[1] - 256)}[crop]
            yield Path(f).stem[:16], base + 10 * i, (np.round(x[t:t + 256, l:l + 256] * 255) / 255).astype(np.float32)
