"""Mask editing in numpy: brush strokes, rectangles, polygons, undo history.

No Qt here. A mask is a float32 (H, W) array in [0, 1]: 1 = fill this pixel, 0 = keep
it, values in between = a soft (feathered) edge. The editing tools paint hard values
(1 with the brush, 0 with the eraser); the run feathers it by the request's ``feather``
(:mod:`dpm_studio.core.run.masks`, one rule for the app, the command line and the API).

Pixel (i, j) (row i, column j) covers the square [j, j+1) x [i, i+1) in image
coordinates, so its centre is (j + 0.5, i + 0.5). Tools take points in those
coordinates (x to the right, y down).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["paint_segment", "paint_rect", "paint_polygon", "History", "MaskHistory", "MaskEdit", "bbox_of"]


def _clip_box(x0, y0, x1, y1, shape):
    H, W = shape
    return max(0, int(np.floor(x0))), max(0, int(np.floor(y0))), min(W, int(np.ceil(x1))), min(H, int(np.ceil(y1)))


def paint_segment(mask: np.ndarray, p0, p1, radius: float, value: float = 1.0):
    """Paint a round-capped segment from p0 to p1 (image coordinates) of the given radius.

    A pixel is painted when its centre lies within ``radius`` of the segment; a radius
    below 0.5 still paints the pixel under the point. Returns the touched box
    (x0, y0, x1, y1) or None.
    """
    r = max(float(radius), 0.5)
    (ax, ay), (bx, by) = (float(p0[0]), float(p0[1])), (float(p1[0]), float(p1[1]))
    box = _clip_box(min(ax, bx) - r - 1, min(ay, by) - r - 1, max(ax, bx) + r + 1, max(ay, by) + r + 1, mask.shape)
    x0, y0, x1, y1 = box
    if x1 <= x0 or y1 <= y0:
        return None
    ys = np.arange(y0, y1, dtype=np.float64)[:, None] + 0.5
    xs = np.arange(x0, x1, dtype=np.float64)[None, :] + 0.5
    dx, dy = bx - ax, by - ay
    L2 = dx * dx + dy * dy
    if L2 < 1e-12:
        d2 = (xs - ax) ** 2 + (ys - ay) ** 2
    else:
        u = np.clip(((xs - ax) * dx + (ys - ay) * dy) / L2, 0.0, 1.0)
        d2 = (xs - (ax + u * dx)) ** 2 + (ys - (ay + u * dy)) ** 2
    hit = d2 <= r * r
    if r <= 0.5:  # a one-pixel brush always paints the pixel under the point(s)
        for px, py in ((ax, ay), (bx, by)):
            i, j = int(np.floor(py)) - y0, int(np.floor(px)) - x0
            if 0 <= i < hit.shape[0] and 0 <= j < hit.shape[1]:
                hit[i, j] = True
    if not hit.any():
        return None
    region = mask[y0:y1, x0:x1]
    region[hit] = value
    return box


def paint_rect(mask: np.ndarray, p0, p1, value: float = 1.0):
    """Fill the pixels whose centres lie inside the rectangle spanned by p0 and p1."""
    xa, xb = sorted((float(p0[0]), float(p1[0])))
    ya, yb = sorted((float(p0[1]), float(p1[1])))
    # centres c = k + 0.5 with xa <= c <= xb
    x0, x1 = int(np.ceil(xa - 0.5)), int(np.floor(xb - 0.5)) + 1
    y0, y1 = int(np.ceil(ya - 0.5)), int(np.floor(yb - 0.5)) + 1
    H, W = mask.shape
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
    if x1 <= x0 or y1 <= y0:
        return None
    mask[y0:y1, x0:x1] = value
    return x0, y0, x1, y1


def paint_polygon(mask: np.ndarray, points, value: float = 1.0):
    """Fill a closed polygon (a lasso): pixels whose centres are inside (even-odd rule) are painted."""
    pts = np.asarray([(float(x), float(y)) for x, y in points], dtype=np.float64)
    if len(pts) < 3:
        return None
    x0, y0, x1, y1 = _clip_box(pts[:, 0].min() - 1, pts[:, 1].min() - 1, pts[:, 0].max() + 1,
                               pts[:, 1].max() + 1, mask.shape)
    if x1 <= x0 or y1 <= y0:
        return None
    xa, ya = pts[:, 0], pts[:, 1]
    xb, yb = np.roll(xa, -1), np.roll(ya, -1)
    Y = (np.arange(y0, y1, dtype=np.float64) + 0.5)[:, None]
    # an edge crosses the scanline through the row's pixel centres (half-open in y)
    cross = ((ya <= Y) & (yb > Y)) | ((yb <= Y) & (ya > Y))
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = xa + (Y - ya) * (xb - xa) / (yb - ya)
    xs = np.where(cross, xs, np.inf)
    xs.sort(axis=1)
    counts = cross.sum(axis=1)
    cx = np.arange(x0, x1, dtype=np.float64) + 0.5
    hit = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    for r in np.flatnonzero(counts):
        hit[r] = np.searchsorted(xs[r, :counts[r]], cx, side="right") % 2 == 1
    if not hit.any():
        return None
    mask[y0:y1, x0:x1][hit] = value
    return x0, y0, x1, y1


BOX_ROWS = 256   # rows compared at a time by bbox_of: the comparison's temporaries stay small


def bbox_of(a: np.ndarray, b: np.ndarray):
    """Smallest box (x0, y0, x1, y1) holding every pixel where a and b ((H, W) or (H, W, C)) differ in any
    channel, or None. Compared a band of rows at a time: a 12 MP photo's whole comparison (36 MB of bools,
    then reduced over its channels, 0.4-0.8 s) was most of an Accept's undo record."""
    h, w = a.shape[:2]
    rows, cols = np.zeros(h, bool), np.zeros(w, bool)
    for r in range(0, h, BOX_ROWS):
        d = a[r:r + BOX_ROWS] != b[r:r + BOX_ROWS]
        rows[r:r + BOX_ROWS] = d.reshape(len(d), -1).any(axis=1)
        c = d.any(axis=0)   # over the band's rows first: the reduction numpy does fast
        cols |= c.any(axis=1) if c.ndim == 2 else c
    if not rows.any():
        return None
    rows, cols = np.flatnonzero(rows), np.flatnonzero(cols)
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


# -- undo history ----------------------------------------------------------------------------------------
@dataclass
class MaskEdit:
    """One undoable change: the box it touched and the pixels before and after it.

    ``kind`` says which array it changed ("mask", or "image" for an accepted result, which
    also carries the ``run`` record that made it). ``after`` None: not copied yet, the array holds it
    (History.record's ``owned``); the undo copies it out before it writes ``before`` back."""

    box: tuple[int, int, int, int]
    before: np.ndarray
    after: np.ndarray | None
    label: str = "stroke"
    kind: str = "mask"
    run: dict | None = None

    @property
    def nbytes(self) -> int:
        return self.before.nbytes + (self.before.nbytes if self.after is None else self.after.nbytes)


class History:
    """Undo/redo of edits to the mask and the image, stored as patches, bounded by count and by memory."""

    def __init__(self, max_steps: int = 100, max_bytes: int = 512 * 2 ** 20):
        self.max_steps, self.max_bytes = int(max_steps), int(max_bytes)
        self._undo: list[MaskEdit] = []
        self._redo: list[MaskEdit] = []

    def clear(self):
        self._undo.clear()
        self._redo.clear()

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo_label(self) -> str:
        return self._undo[-1].label if self._undo else ""

    def redo_label(self) -> str:
        return self._redo[-1].label if self._redo else ""

    def undone(self, edit: MaskEdit) -> bool:
        """``edit`` is the last one undone (the next redo)."""
        return bool(self._redo) and self._redo[-1] is edit

    def record(self, before: np.ndarray, after: np.ndarray, label: str = "stroke", kind: str = "mask",
               run: dict | None = None, keep: bool = False, owned: bool = False) -> bool:
        """Record the change from ``before`` to ``after`` (whole arrays); False if nothing changed, unless
        ``keep`` (a step that changed no pixel: one unchanged pixel stands for it).

        ``owned``: ``before`` is the caller's copy, handed over (kept as it is when the whole of it changed),
        and ``after`` is the edited array itself, which only this history's undo and redo write to from now
        on: its box is copied out at the undo (an Accept of a 12 MP photo copied 288 MB here: docs/speed.md)."""
        box = bbox_of(before, after)
        if box is None and not keep:
            return False
        box = box or (0, 0, 1, 1)
        x0, y0, x1, y1 = box
        whole = box == (0, 0, before.shape[1], before.shape[0])
        was = before if owned and whole else before[y0:y1, x0:x1].copy()
        now = None if owned else after[y0:y1, x0:x1].copy()
        self._undo.append(MaskEdit(box, was, now, label, kind, run))
        self._redo.clear()
        total = sum(e.nbytes for e in self._undo)
        while len(self._undo) > self.max_steps or (total > self.max_bytes and len(self._undo) > 1):
            total -= self._undo.pop(0).nbytes
        return True

    @staticmethod
    def _target(arrays, kind):
        return arrays(kind) if callable(arrays) else arrays

    def undo(self, arrays):
        """Apply the last edit backwards, in place, to ``arrays`` (the mask, or a function from an
        edit's kind to its array); returns the edit or None."""
        return self._move(self._undo, self._redo, arrays, "before")

    def redo(self, arrays):
        """Apply the last undone edit again; returns the edit or None."""
        return self._move(self._redo, self._undo, arrays, "after")

    def _move(self, src, dst, arrays, side):
        """Pop an edit from ``src``, write its ``side`` (before/after) into its box, push it on ``dst``."""
        if not src:
            return None
        e = src.pop()
        x0, y0, x1, y1 = e.box
        target = self._target(arrays, e.kind)
        if e.after is None:   # recorded ``owned``: the array holds the edit's after until this undo
            e.after = target[y0:y1, x0:x1].copy()
        target[y0:y1, x0:x1] = getattr(e, side)
        dst.append(e)
        return e


MaskHistory = History  # the name it had when it held mask edits only
