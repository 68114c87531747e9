"""Working on large images piece by piece, with bounded memory.

- Inpainting runs on a crop around each masked region with enough context, never on the
  whole photo: :func:`inpaint_boxes` finds the masked regions (connected components of
  the dilated mask), grows each box by ``context`` pixels, merges boxes that overlap and
  rounds sizes up so the networks' downsampling fits.
- Denoising runs in overlapping tiles (:func:`tile_boxes`) blended with a raised-cosine
  window (:func:`blend_weights`) so the tiles' borders leave no seam: every pixel's
  output is the weighted mean of the tiles that cover it, and the window is positive
  everywhere, so a pixel covered by one tile gets exactly that tile's value.

Boxes are (top, left, bottom, right), half-open, in pixels.
"""

from __future__ import annotations

import numpy as np


def _round_up(v: int, m: int) -> int:
    return -(-v // m) * m


def _grow(box, H, W, context, multiple):
    top, left, bottom, right = box
    top, left = max(0, top - context), max(0, left - context)
    bottom, right = min(H, bottom + context), min(W, right + context)
    # Round the size up to a multiple, extending away from the image border.
    h, w = _round_up(bottom - top, multiple), _round_up(right - left, multiple)
    h, w = min(h, H), min(w, W)
    top = max(0, min(top, H - h))
    left = max(0, min(left, W - w))
    return top, left, top + h, left + w


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _union(a, b):
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def inpaint_boxes(mask: np.ndarray, context: int = 48, multiple: int = 8) -> list[tuple[int, int, int, int]]:
    """Crops that together cover every masked pixel with ``context`` pixels around it."""
    from scipy import ndimage  # here, not at the top: denoising never needs it (0.2-0.4 s of start-up)

    m = np.asarray(mask) > 0
    H, W = m.shape
    if not m.any():
        return []
    labels, n = ndimage.label(m)
    boxes = []
    for sl in ndimage.find_objects(labels):
        if sl is None:
            continue
        boxes.append(_grow((sl[0].start, sl[1].start, sl[0].stop, sl[1].stop), H, W, context, multiple))
    merged = True
    while merged:  # merge overlapping crops until none overlap
        merged = False
        out = []
        for b in boxes:
            for i, o in enumerate(out):
                if _overlap(b, o):
                    out[i] = _grow(_union(b, o), H, W, 0, multiple)
                    merged = True
                    break
            else:
                out.append(b)
        boxes = out
    return sorted(boxes)


def tile_boxes(H: int, W: int, tile: int = 256, overlap: int = 32) -> list[tuple[int, int, int, int]]:
    """Overlapping tiles covering an H x W image; each at most ``tile`` on a side."""
    def starts(n):
        if n <= tile:
            return [0]
        step = tile - overlap
        s = list(range(0, n - tile, step)) + [n - tile]
        return sorted(set(s))

    th, tw = min(tile, H), min(tile, W)
    return [(y, x, y + th, x + tw) for y in starts(H) for x in starts(W)]


def blend_weights(h: int, w: int, overlap: int) -> np.ndarray:
    """A positive (h, w) window: raised cosine over ``overlap`` pixels at each edge, 1 inside."""
    def ramp(n):
        r = np.ones(n, dtype=np.float64)
        k = min(overlap, n // 2)
        if k > 0:
            x = (np.arange(k) + 0.5) / k
            r[:k] = 0.5 - 0.5 * np.cos(np.pi * x)
            r[n - k:] = r[:k][::-1]
        return np.maximum(r, 1e-3)

    return np.outer(ramp(h), ramp(w))


class TileBlender:
    """Accumulates tile outputs into a weighted mean over an (H, W, C) image."""

    def __init__(self, H: int, W: int, C: int, overlap: int):
        self.acc = np.zeros((H, W, C), dtype=np.float64)
        self.wsum = np.zeros((H, W, 1), dtype=np.float64)
        self.overlap = overlap

    def add(self, box, values: np.ndarray):
        top, left, bottom, right = box
        w = blend_weights(bottom - top, right - left, self.overlap)[:, :, None]
        self.acc[top:bottom, left:right] += w * values
        self.wsum[top:bottom, left:right] += w

    def result(self) -> np.ndarray:
        return (self.acc / np.maximum(self.wsum, 1e-12)).astype(np.float32)
