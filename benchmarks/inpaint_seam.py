"""The seam and the fine grain of an inpainting's fill in a smooth (out-of-focus) background; docs/inpaint-grain.md.

    python benchmarks/inpaint_seam.py PHOTO MASK [--ref R,C]... ['{"setting": value}' ...]

PHOTO: an 8-bit RGB photo; MASK: its hole (nonzero pixels). Each JSON argument is one run of
``api.inpaint`` (the command line's defaults plus those settings; ``{}`` the defaults), the result
rounded to 8 bits as it is saved. Printed, all in 0-255 units:

- top / bottom / left / right: the seam, the mean |fill pixel - its known neighbour| over the hole's
  boundary pixels on that side; beside it the same statistic of the untouched photo across the
  mask's boundary moved to the ``--ref`` boxes (row, column offsets of the mask's top left, in the
  smooth background: what a seamless continuation jumps);
- grain: the rms of the Haar diagonal detail of 2 x 2 blocks inside the hole (eroded 2 px), which
  reads white noise of std s as s and ignores shading and straight edges (8-bit rounding alone
  about 0.3); lap: the std of the 4-neighbour Laplacian there. The photo's are read in the ref boxes.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from PIL import Image
from scipy import ndimage as nd

SIDES = {"top": (-1, 0), "bottom": (1, 0), "left": (0, -1), "right": (0, 1)}


def seams(img: np.ndarray, mask: np.ndarray) -> dict:
    """Per side, the mean |pixel in the mask - its neighbour outside it| (all channels)."""
    o = img.astype(float)
    out = {}
    for name, (dr, dc) in SIDES.items():
        nb = np.zeros_like(mask)  # nb[r, c] = mask[r + dr, c + dc], False past the border
        src = mask[max(dr, 0):mask.shape[0] + min(dr, 0), max(dc, 0):mask.shape[1] + min(dc, 0)]
        nb[max(-dr, 0):mask.shape[0] + min(-dr, 0), max(-dc, 0):mask.shape[1] + min(-dc, 0)] = src
        r, c = np.nonzero(mask & ~nb)
        keep = (r + dr >= 0) & (r + dr < mask.shape[0]) & (c + dc >= 0) & (c + dc < mask.shape[1])
        r, c = r[keep], c[keep]
        out[name] = float(np.abs(o[r, c] - o[r + dr, c + dc]).mean())
    return out


def grain(img: np.ndarray, region: np.ndarray) -> float:
    """The rms Haar diagonal detail of 2 x 2 blocks wholly in ``region``."""
    o = img.astype(float)
    d = (o[:-1:2, :-1:2] - o[1::2, :-1:2] - o[:-1:2, 1::2] + o[1::2, 1::2]) / 2
    r = region[:-1:2, :-1:2] & region[1::2, 1::2]
    return float(np.sqrt((d[r] ** 2).mean()))


def lap(img: np.ndarray, region: np.ndarray) -> float:
    o = img.astype(float)
    return float(np.stack([nd.laplace(o[..., k]) for k in range(o.shape[2])], -1)[region].std())


def row(name: str, img: np.ndarray, mask: np.ndarray) -> str:
    s = seams(img, mask)
    inner = nd.binary_erosion(mask, iterations=2)
    return f"| {name} | " + " | ".join(f"{s[k]:.2f}" for k in SIDES) + f" | {grain(img, inner):.2f} | {lap(img, inner):.2f} |"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("photo")
    p.add_argument("mask")
    p.add_argument("--ref", action="append", default=[], help="R,C: the mask's top left moved there (smooth "
                   "background); repeat for several")
    p.add_argument("runs", nargs="*", help="JSON settings of one run each ({} for the defaults)")
    a = p.parse_intermixed_args()
    import torch

    from dpm_studio import api

    torch.set_num_threads(1)
    img = np.asarray(Image.open(a.photo).convert("RGB"))
    mask = np.asarray(Image.open(a.mask).convert("L")) > 0
    r0, c0 = (int(v.min()) for v in np.nonzero(mask))
    print("| run | top | bottom | left | right | grain | lap |\n|---|---:|---:|---:|---:|---:|---:|")
    for ref in a.ref:
        r, c = (int(v) for v in ref.split(","))
        print(row(f"photo at {r},{c} (no hole)", img, np.roll(mask, (r - r0, c - c0), (0, 1))))
    for run in a.runs:
        out = api.inpaint(img, mask, **json.loads(run))
        print(row(run, np.asarray(out), mask), flush=True)


if __name__ == "__main__":
    main()
