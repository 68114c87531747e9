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


def _starts(n: int, tile: int, overlap: int) -> list[int]:
    """Where the tiles of one side of ``n`` pixels start: ``tile`` long, sharing ``overlap``."""
    if n <= tile:
        return [0]
    step = tile - overlap
    s = list(range(0, n - tile, step)) + [n - tile]
    return sorted(set(s))


def tile_boxes(H: int, W: int, tile: int = 256, overlap: int = 32) -> list[tuple[int, int, int, int]]:
    """Overlapping tiles covering an H x W image; each at most ``tile`` on a side."""
    th, tw = min(tile, H), min(tile, W)
    return [(y, x, y + th, x + tw) for y in _starts(H, tile, overlap) for x in _starts(W, tile, overlap)]


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


#: An image whose short side is at most this many pixels is worked as strips (:class:`Strips`).
THIN = 4
#: The most rows a strip's segment takes in the packed block (its own and copies of its edges).
BAND = 8


class Strips:
    """A thin image (short side ``h`` at most :data:`THIN`) cut along its long side into segments of one
    tile's length sharing ``overlap`` pixels, each with copies of its edge rows (``band`` rows in all),
    stacked into one block of (segments x band) x tile pixels: the block is denoised as an ordinary
    image and the segments blended back along the long side as tiles are. A 1 x 100,000 strip tiled as
    an image ran 447 passes of 1 x 256, each padded to the network's multiple of rows (8 for
    photos-rgb-v2): 9x its pixels in small passes; as strips, 447 segments of 4 rows in 7 passes of
    256 x 256 (docs/large-image.md). An image taller than wide is worked transposed."""

    def __init__(self, H: int, W: int, tile: int, overlap: int, band: int | None = None):
        self.transposed = H > W
        self.h, n = (W, H) if self.transposed else (H, W)
        self.length, self.overlap = min(tile, n), overlap
        self.starts = _starts(n, tile, overlap)
        # Rows per segment: its own h and copies of its edge rows, half above and half below, so that
        # its neighbours in the block are its own rows before another segment's: h + 2 copies, at most
        # as many rows as photos-rgb-v2's tile had once padded to its multiple (8).
        self.band = max(self.h, min(2 * self.h + 2, BAND) if band is None else band)
        self.lead = (self.band - self.h) // 2

    @classmethod
    def of(cls, H: int, W: int, tile: int, overlap: int) -> "Strips | None":
        """The strips of an H x W image that is thin and longer than a tile; None for any other."""
        return cls(H, W, tile, overlap) if min(H, W) <= THIN and max(H, W) > tile else None

    @property
    def shape(self) -> tuple[int, int]:
        """The packed block's (rows, columns)."""
        return len(self.starts) * self.band, self.length

    def boxes(self, tile: int) -> list[tuple[int, int, int, int]]:
        """The block's tiles: whole segments, ``tile`` rows at most, not overlapping (a segment's
        copies of its own rows stand between it and the next; overlapping tiles, 256 x 256 sharing 32
        rows, ran 3 x 8000's 36 segments of 8 rows as 2 x 256 rows, twice its tiles' pixels)."""
        rows, L = self.shape
        step = max(1, tile // self.band) * self.band
        return [(top, 0, min(top + step, rows), L) for top in range(0, rows, step)]

    def pack(self, img: np.ndarray) -> np.ndarray:
        """The (H, W, C) image as the packed block."""
        a = img.transpose(1, 0, 2) if self.transposed else img
        pad = ((self.lead, self.band - self.h - self.lead), (0, 0), (0, 0))
        return np.ascontiguousarray(np.concatenate([np.pad(a[:, s:s + self.length], pad, mode="edge")
                                                    for s in self.starts], axis=0))

    def unpack(self, block: np.ndarray, first: int = 0, last: int | None = None):
        """Segments ``first``..``last`` - 1 of a packed block blended into the image: (pixels, box)."""
        last = len(self.starts) if last is None else last
        h, L = self.h, self.length
        c0, c1 = self.starts[first], self.starts[last - 1] + L
        out = TileBlender(h, c1 - c0, block.shape[2], self.overlap)
        for j in range(first, last):
            s = self.starts[j] - c0
            top = j * self.band + self.lead
            out.add((0, s, h, s + L), block[top:top + h])
        v = out.result()
        if self.transposed:
            return np.ascontiguousarray(v.transpose(1, 0, 2)), (c0, 0, c1, h)
        return v, (0, c0, h, c1)

    def place(self, records, block: np.ndarray):
        """The packed ``block``'s run's ``records`` as records of the image: a tile's preview (and its
        x_0 estimate) shows the segments it holds, over ``block``'s pixels where the run has not been
        yet; the last record (and each sample) is the whole image; the per-draw previews are left out."""
        preview, estimate = np.array(block, dtype=np.float32), np.array(block, dtype=np.float32)
        for rec in records:
            if rec.done:
                rec.image = self.unpack(rec.image)[0]
                if getattr(rec, "samples", None):
                    rec.samples = [self.unpack(v)[0] for v in rec.samples]
                rec.x0, rec.box = None, None
            else:
                top, left, bottom, right = rec.box
                first, last = top // self.band, -(-bottom // self.band)
                preview[top:bottom, left:right] = rec.image
                rec.image, box = self.unpack(preview, first, last)
                if rec.x0 is not None:
                    estimate[top:bottom, left:right] = rec.x0
                    rec.x0 = self.unpack(estimate, first, last)[0]
                rec.box, rec.draws, rec.draws_x0 = box, None, None
            yield rec
