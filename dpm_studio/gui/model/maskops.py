"""Mask editing in numpy: brush strokes, rectangles, polygons (the undo history: gui/model/history.py).

No Qt here. A mask is a float32 (H, W) array in [0, 1]: 1 = fill this pixel, 0 = keep
it, values in between = a soft (feathered) edge. The editing tools paint hard values
(1 with the brush, 0 with the eraser); the run feathers it by the request's ``feather``
(:mod:`dpm_studio.core.run.masks`, one rule for the app, the command line and the API).

Pixel (i, j) (row i, column j) covers the square [j, j+1) x [i, i+1) in image
coordinates, so its centre is (j + 0.5, i + 0.5). Tools take points in those
coordinates (x to the right, y down).
"""

from __future__ import annotations

import numpy as np

__all__ = ["covered", "paint_segment", "paint_rect", "paint_polygon"]

COUNT_ROWS = 256   # rows compared at a time by covered: its temporary stays in the cache


def covered(mask: np.ndarray | None) -> int | None:
    """How many pixels of ``mask`` a run takes as masked (> 0), in one pass over it, a band of rows at a time
    (None without a mask). A task switch read a 12 MP mask three times ((m > 0).any(), count_nonzero(m), then
    (m > 0).sum() for the mask panel: 20-40 ms); the window counts once and hands the count to both."""
    if mask is None:
        return None
    return sum(int(np.count_nonzero(mask[r:r + COUNT_ROWS] > 0)) for r in range(0, mask.shape[0], COUNT_ROWS))


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
