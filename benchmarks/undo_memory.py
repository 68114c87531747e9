"""Undo memory of a 12 MP photo: what one accepted result's undo step keeps, and how many steps the history's
limit (512 MB) holds, with the steps packed (gui/model/history.py: an 8-bit photo's as uint8, a 16-bit one's as
uint16) and kept as float32 (the history before the packing: ``pack_type`` forced to float32); prints a table.

    python benchmarks/undo_memory.py [--size 3000x4000] [--accepts 8] [--photo /work/data/wallpapers/X.jpg]

The photo (a wallpaper by default) is resized to ``--size`` and opened as an 8-bit file, and as a 16-bit one;
each Accept is the photo plus a little noise (Source.held rounds it to the file's steps, as the app does).
Columns: bytes a step keeps once undone (before and after, MB), steps the 512 MB limit keeps of ``--accepts``,
the Accept call's median ms and CPU ms (the packing thread's CPU included: it runs beside), an undo's median ms.
One torch thread; report the machine's load beside the numbers (2 cores shared: wall times are noisy).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


PHOTO = str(Path(os.environ.get("DPM_STUDIO_WALLPAPERS", "/work/data/wallpapers")) / "BytheWater.jpg")


def photo(path, h, w) -> np.ndarray:
    from PIL import Image

    im = Image.open(path).convert("RGB").resize((w, h), Image.BICUBIC)
    return np.asarray(im)


def run(u8, depth: int, packed: bool, accepts: int) -> tuple:
    from dpm_studio.gui.model import history
    from dpm_studio.gui.model.session import Session

    real = history.pack_type
    if not packed:
        history.pack_type = lambda a: np.float32
    try:
        s = Session()
        top = 65535 if depth == 16 else 255
        px = (u8.astype(np.float32) * (top / 255)).round() / np.float32(top)
        s.open(px, bit_depth=depth)
        del px
        rng = np.random.default_rng(0)
        t_acc, c_acc, t_undo = [], [], []
        for k in range(accepts):
            res = s.doc.pixels + rng.normal(0, 2 / 255, (1, s.doc.pixels.shape[1], 3)).astype(np.float32)
            t0, c0 = time.perf_counter(), time.process_time()
            s.accept(res, {"task": "denoise", "seed": k})
            t1 = time.perf_counter()
            s.history.settle()   # the packing thread's CPU counted with the Accept's
            t_acc.append((t1 - t0) * 1e3)
            c_acc.append((time.process_time() - c0) * 1e3)
            del res
        kept = len(s.history._undo)
        while s.history.can_undo():
            t0 = time.perf_counter()
            s.undo()
            t_undo.append((time.perf_counter() - t0) * 1e3)
        s.history.settle()
        per_step = s.history.nbytes() / max(1, kept)
        return per_step / 2 ** 20, kept, statistics.median(t_acc), statistics.median(c_acc), \
            statistics.median(t_undo)
    finally:
        history.pack_type = real


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="3000x4000")
    ap.add_argument("--accepts", type=int, default=8)
    ap.add_argument("--photo", default=PHOTO)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    h, w = (int(v) for v in args.size.split("x"))
    u8 = photo(args.photo, h, w)
    print(f"{Path(args.photo).name} at {h}x{w} RGB, {args.accepts} Accepts, limit 512 MB, "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"{'file':8}{'steps kept as':>15}{'MB a step':>11}{'steps kept':>12}{'Accept ms':>11}{'CPU ms':>9}"
          f"{'undo ms':>9}")
    for depth in (8, 16):
        for packed in (False, True):
            mb, kept, acc, cpu, und = run(u8, depth, packed, args.accepts)
            kind = ("uint8" if depth == 8 else "uint16") if packed else "float32"
            print(f"{f'{depth}-bit':8}{kind:>15}{mb:>11.0f}{kept:>12}{acc:>11.0f}{cpu:>9.0f}{und:>9.0f}")


if __name__ == "__main__":
    main()
