"""The measurements the noise fit (core/run/noise_level.py) is made of, per 2 x 2 block of pixels:
Haar details, the block's level, how structured its surroundings are, how noisy its neighbours
are, and its region (numpy only). The method is described in noise_level's docstring."""

from __future__ import annotations

import math

import numpy as np

#: MAD of a standard normal variable: median(|N(0, 1)|) (here, not in noise.py, whose estimate reads the fit).
MAD_NORMAL = 0.6744897501960817
STRUCT_R = 2                      # the structure and quiet tests read 5 x 5 blocks
TILE = 16                         # the bootstrap's regions: 16 x 16 blocks (32 x 32 pixels)
KNOWN_R = 3                       # a block's level reads 7 x 7 blocks around it: all of them must be known
QUIET_COUNT = 18                  # unclipped neighbours (of 24) the quiet test needs


def _edge(a: np.ndarray, r: int) -> np.ndarray:
    """``np.pad(a, r, mode="edge")`` over the last two axes (the same array, without np.pad's generic
    machinery: it was a fifth of the blocks' time)."""
    H, W = a.shape[-2:]
    p = np.empty(a.shape[:-2] + (H + 2 * r, W + 2 * r), a.dtype)
    p[..., r:r + H, r:r + W] = a
    p[..., r:r + H, :r] = a[..., :, :1]
    p[..., r:r + H, r + W:] = a[..., :, -1:]
    p[..., :r, :] = p[..., r:r + 1, :]
    p[..., r + H:, :] = p[..., r + H - 1:r + H, :]
    return p


def _box(a: np.ndarray, r: int) -> np.ndarray:
    """The mean over the (2r + 1)^2 neighbourhood (edges replicated), over the last two axes (maps
    stacked on the first are each their own: the same sums, in the same order)."""
    p = _edge(a, r)
    c = np.zeros(p.shape[:-2] + (p.shape[-2] + 1, p.shape[-1] + 1))
    np.cumsum(np.cumsum(p, -2), -1, out=c[..., 1:, 1:])
    k = 2 * r + 1
    s = c[..., k:, k:] - c[..., :-k, k:] - c[..., k:, :-k] + c[..., :-k, :-k]
    return s / (k * k)


def _min_filter(a: np.ndarray, r: int) -> np.ndarray:
    """The least value over the (2r + 1)^2 neighbourhood (edges replicated), separably."""
    p = _edge(a, r)
    k = 2 * r + 1
    rows = p[0:a.shape[0], :]
    for i in range(1, k):
        rows = np.minimum(rows, p[i:i + a.shape[0], :])
    out = rows[:, 0:a.shape[1]]
    for j in range(1, k):
        out = np.minimum(out, rows[:, j:j + a.shape[1]])
    return out


_SG7 = np.array([-2.0, 3.0, 6.0, 7.0, 6.0, 3.0, -2.0]) / 21    # the quadratic fit's value at the centre of 7 points
_OWN = float(_SG7[3] ** 2)        # the weight of a block's own mean in its level (1/9)


def _quadratic_mean(a: np.ndarray) -> np.ndarray:
    """The value at each point of the quadratic fitted to its 7 x 7 neighbourhood (separable
    Savitzky-Golay; edges replicated): a plane or a paraboloid comes back exactly, and white
    noise with 1/9 of its variance (as the 3 x 3 box mean's)."""
    w = _SG7
    r = len(w) // 2
    p = _edge(a, r)
    return _weighted_sum(_weighted_sum(p, w, 1, a.shape[1]), w, 0, a.shape[0])


def _weighted_sum(p: np.ndarray, w, axis: int, n: int) -> np.ndarray:
    """``sum(wk * p[k:k + n] for k, wk in enumerate(w))`` along ``axis``: the same sums (from 0, in
    that order) in place, without a new array per term."""
    def at(k):
        return p[:, k:k + n] if axis else p[k:k + n, :]
    out, term = np.zeros(at(0).shape), np.empty(at(0).shape)
    for k, wk in enumerate(w):
        out += np.multiply(wk, at(k), out=term)
    return out


def _blocks(z: np.ndarray, tile0: int = 0, known: np.ndarray | None = None):
    """Haar coefficients of 2 x 2 blocks: (level, hh, structure energy, unclipped, region) maps;
    region numbers the TILE x TILE squares of blocks, from ``tile0``. ``known`` (the pixels' map,
    True = measured): a block is used only when every pixel its level and structure read is known
    (within KNOWN_R blocks), so a hole's content never enters the fit."""
    H2, W2 = z.shape[0] - z.shape[0] % 2, z.shape[1] - z.shape[1] % 2
    z = np.asarray(z[:H2, :W2], dtype=np.float64)
    p00, p01, p10, p11 = z[0::2, 0::2], z[0::2, 1::2], z[1::2, 0::2], z[1::2, 1::2]
    d01, s01 = p00 - p01, p00 + p01             # each sum below in its own order, these shared
    hh = (d01 - p10 + p11) / 2
    hl = (s01 - p10 - p11) / 2
    lh = (d01 + p10 - p11) / 2
    mean = (s01 + p10 + p11) / 4
    # all four pixels in (0, 1) (a NaN, as before, is not)
    unclipped = (np.minimum(np.minimum(p00, p01), np.minimum(p10, p11)) > 0) & \
        (np.maximum(np.maximum(p00, p01), np.maximum(p10, p11)) < 1)
    if known is not None:
        k = np.asarray(known[:H2, :W2], dtype=np.float64)
        k = k[0::2, 0::2] * k[0::2, 1::2] * k[1::2, 0::2] * k[1::2, 1::2]
        unclipped &= _box(k, KNOWN_R) > 1 - 1e-9
    # The level: the block's own mean read through its 7 x 7 neighbourhood by a quadratic
    # (Savitzky-Golay) smoother, exact on a ramp and on a bend. The 3 x 3 box mean used before
    # read a dark dip brighter than it is and a bright crest darker, so the dark bins (made of
    # the picture's local minima) got a variance below the law at their level and the bright
    # ones above it: b 15-50 % low, a 2-10 % high on smooth bumps without any texture
    # (tests/core/test_noise_level.py; docs/camera-noise.md).
    level = _quadratic_mean(mean)                # noise std s / 6, as the box's
    # The mean square of 50 coefficients: s^2 under noise; an edge within 2 blocks (the
    # structure's own 5 x 5 window) or texture adds to it, a gentle ramp of slope g
    # per pixel adds g^2 / 2 (and nothing to hh).
    # The neighbours' diagonal details join the test (not the block's own: under noise they
    # are independent of it), so texture with diagonal energy is caught too.
    k2 = (2 * STRUCT_R + 1) ** 2
    hh2 = hh * hh
    mp = _edge(mean, 1)
    # Coarser texture: second differences of the block means (ramps give none; under noise
    # each is independent of every block's hh and, scaled by 2 / sqrt(6), of variance s^2).
    # Natural texture has more energy at the coarser scale, noise the same.
    dxx = (mp[1:-1, :-2] - 2 * mean + mp[1:-1, 2:]) * (2 / math.sqrt(6))
    dyy = (mp[:-2, 1:-1] - 2 * mean + mp[2:, 1:-1]) * (2 / math.sqrt(6))
    # The noise around the block: its neighbours' mean hh^2 (5 x 5 blocks, its own left out: under
    # noise independent of its own hh). Far below the fit there, the block sits in a region with
    # next to no noise (an inpainting's fill, a pasted or denoised patch): no evidence of low noise.
    # The least of that over the 5 x 5 blocks around: a block at a quiet patch's edge has a
    # neighbourhood half noisy and its own detail quiet.
    u = unclipped.astype(np.float64)             # clipped neighbours' details are censored, not quiet
    # the four 5 x 5 box means in one call (each map's sums as its own call's)
    boxes = _box(np.stack([hl * hl + lh * lh + hh2, dxx * dxx + dyy * dyy, u, hh2 * u]), STRUCT_R)
    structure = (boxes[0] * k2 - hh2) / (3 * k2 - 1)
    coarse = boxes[1] / 2
    structure = np.maximum(structure, coarse)
    nr, nc = hh.shape
    tile = tile0 + (np.arange(nr) // TILE)[:, None] * (-(-nc // TILE)) + (np.arange(nc) // TILE)[None, :]
    count = boxes[2] * k2 - u
    with np.errstate(invalid="ignore", divide="ignore"):
        neigh = (boxes[3] * k2 - hh2 * u) / count
    neigh = _min_filter(np.where(count >= QUIET_COUNT, neigh, np.inf), STRUCT_R)
    return level.ravel(), hh.ravel(), structure.ravel(), unclipped.ravel(), tile.ravel(), neigh.ravel()


def _median(v: np.ndarray) -> float:
    """``np.median(v)`` (``v`` 1-d, not empty, without NaN), the same value by one partition without its
    generic machinery: the first pass reads one a bin."""
    h = len(v) // 2
    if len(v) % 2:
        return float(np.partition(v, h)[h])
    p = np.partition(v, (h - 1, h))
    return (float(p[h - 1]) + float(p[h])) / 2


def _quantile(v: np.ndarray, q: float) -> float:
    """``np.quantile(v, q)`` (its default, linear method; ``v`` 1-d, not empty, without NaN), the same value
    by one partition and numpy's own interpolation (``_lerp``)."""
    vi = (len(v) - 1) * q
    lo = min(math.floor(vi), len(v) - 1)
    hi = min(lo + 1, len(v) - 1)
    p = np.partition(v, (lo, hi))
    a, b, t = float(p[lo]), float(p[hi]), vi - lo
    return b - (b - a) * (1 - t) if t >= 0.5 else a + (b - a) * t


def _windows(z: np.ndarray, max_pixels: int, size: int = 256):
    """``z`` itself, or beyond ``max_pixels`` a regular grid of ``size`` windows over all of it
    (the fit sees the whole picture at a bounded cost)."""
    H, W = z.shape[:2]
    if H * W <= max_pixels or H < size or W < size:
        return [z]
    k = max(1, max_pixels // (size * size))
    rows = max(1, min(H // size, round(math.sqrt(k * H / W))))
    cols = max(1, min(W // size, k // rows))
    tops = np.linspace(0, H - size, rows).astype(int)
    lefts = np.linspace(0, W - size, cols).astype(int)
    return [z[t:t + size, l:l + size] for t in tops for l in lefts]
