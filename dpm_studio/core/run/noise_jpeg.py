"""The noise a JPEG file held before it was compressed, read from its 8 x 8 DCT coefficients (numpy only).

A JPEG keeps each 8 x 8 block's DCT coefficients of the luma as multiples of a step per frequency (its
quantisation table: 1-12 at quality 95, up to 60 at 75): the noise of the finest details, where the Haar
median (core/run/noise.py) reads it, is mostly quantised away (held-out photos, sigma 15 added then quality
75: the median read 4.5), while at the coarser frequencies whose steps are small it survives. Here the
decoded pixels' luma is transformed again on the file's grid (the block at (0, 0)); each frequency's step
is found from the coefficients themselves (they sit on multiples of it, up to the decoder's rounding), so a
file needs no tables told and an image that never was a JPEG finds none (:func:`jpeg_steps`); and the
noise's std is the one whose Gaussian, quantised with those steps, best explains the coefficients of the
smooth blocks (:func:`jpeg_noise_sigma`). A colour file's luma noise is read as noise independent in R, G and
B (``LUMA_NOISE``): the sigma per channel the file had before it was saved, which is what the denoiser is told.
Measured on held-out photos in docs/camera-noise.md ("The one sigma of a JPEG file").
"""

from __future__ import annotations

import math

import numpy as np

N = 8
#: The DCT-II matrix of 8 points, orthonormal (JPEG's transform: its coefficients have the pixels' noise std).
_D = np.array([[math.sqrt((1 if k == 0 else 2) / N) * math.cos(math.pi * (2 * n + 1) * k / (2 * N))
                for n in range(N)] for k in range(N)])
#: At most this many blocks are read (a 1024 x 1024 image's), on a regular grid over all of it.
MAX_JPEG_BLOCKS = 1 << 14
#: A frequency's step is the largest Q (3..MAX_STEP) on whose multiples its coefficients away from 0 sit:
#: mean cos(2 pi c / Q) at least STEP_SCORE over at least STEP_COUNT of them (the decoder's rounding moves a
#: coefficient by about 0.4: 0.7 at Q = 3, 0.9 at Q = 6; continuous coefficients give about 0).
MAX_STEP, STEP_SCORE, STEP_COUNT = 128, 0.6, 24
#: A frequency without a found step whose coefficients are beyond 1.5 in fewer than this fraction of the blocks was
#: quantised to 0 with a step too large to find (held-out Aqua, sigma 15 then quality 75: 2-5 % of them, from clipped
#: blocks and the decoder's rounding; a frequency of step 1-2 on a noisy file at quality 95: 30-100 %). Read as
#: rounding alone, such frequencies read 0.3-3 and pulled the quantile down (Aqua: 12.7 for 15; held-out crops at
#: quality 75, sigma 15: rms error 4.44 -> 3.65 / 255). They pulled a clean file's reading down too (clean crops
#: reading 3 or more: 17 -> 21 of 144 without the two tests below).
ZEROED = 0.1
#: The frequencies read before giving up on finding a step (the coarsest: at quality 75-95 their steps are 3-20).
QUICK = 20
#: The image is a JPEG where at least this many of the 63 AC frequencies found a step.
JPEG_FREQUENCIES = 6
#: Luma's share of noise that is independent in R, G and B: sqrt(0.299^2 + 0.587^2 + 0.114^2).
LUMA_NOISE = math.sqrt(0.299 ** 2 + 0.587 ** 2 + 0.114 ** 2)
#: Smooth blocks: the mean energy of the 8 blocks around at most this many times its 10 % quantile.
SMOOTH_FACTOR = 3.0
#: The std a coefficient without a found step carries from the decoder's rounding (0-255 units).
ROUNDING = 0.4
#: Multiples of the step counted one by one; larger ones together (texture or an edge).
KMAX = 24
#: A frequency tells the noise where fewer than this fraction of its coefficients are 0 (at more, its step
#: is far above the noise: the noise was quantised away there).
INFORMATIVE = 0.97
#: The frequencies' readings, each the maximum-likelihood std of its quantised Gaussian, combine as this
#: quantile: texture only adds (the coarser frequencies read it most).
QUANTILE = 0.3
#: The median reading of the informative frequencies at u + v = 2-3 at most this many times that at 5-6: else the
#: image is read as texture, not noise, and the JPEG reading is not used (held-out photos under noise 5-15:
#: 0.95-1.6; a clean photo of fur, 2.2).
TEXTURE = 1.5
#: ... and where no frequency at u + v = 5-6 tells (a clean file at quality 75-85: its finer steps quantised the
#: detail away), the median at 2-3 at most this many times that at 4. Held-out crops (issue 22; 48 photos x 3
#: qualities, colour): clean JPEGs read 3 or more 21 -> 15 of 144 with it (1.5: 18, 1.2: 15); the errors under noise
#: 5 and 15 unchanged (median, rms).
TEXTURE_NEAR = 1.3
#: Fewer told frequencies than this: texture cannot be told from noise (a clean file at quality 75 has 0-12, one under
#: noise 5 at 12 or more, at 15 over 40): no JPEG reading. With it clean JPEGs read 3 or more 15 -> 9 of 144 (6: 14, 10:
#: 8); the errors under noise 5 and 15 unchanged; at 2 the estimate before more often (rms 2.09 -> 2.15 / 255 at 75).
FEW = 8
_GRID = np.exp(np.linspace(math.log(0.05), math.log(80.0), 241))   # sigma candidates (0-255 units)
_Z = np.linspace(0.0, 50.0, 50001)
_IN = np.array([math.erf(z / math.sqrt(2.0)) for z in _Z])


def luma(image: np.ndarray, top: int = 0, left: int = 0) -> tuple[np.ndarray, bool]:
    """JPEG's luma (0-255 units) of an (H, W) or (H, W, C) image in [0, 1] from (``top``, ``left``) on, whole 8 x 8
    blocks only, beyond ``MAX_JPEG_BLOCKS`` blocks every step-th block row and column (rows, 8, cols, 8); and
    whether it has colour (a grey picture, stored as RGB or not, is its own luma)."""
    a = np.asarray(image)
    a = a[:, :, None] if a.ndim == 2 else a
    H, W = (a.shape[0] - top) // N, (a.shape[1] - left) // N
    step = max(1, math.ceil(math.sqrt(H * W / MAX_JPEG_BLOCKS)))
    b = a[top:top + H * N, left:left + W * N].reshape(H, N, W, N, a.shape[2])[::step, :, ::step]
    colour = a.shape[2] >= 3 and not (np.array_equal(a[::7, ::7, 0], a[::7, ::7, 1])
                                      and np.array_equal(a[::7, ::7, 0], a[::7, ::7, 2]))
    if colour:
        b = b.astype(np.float64)
        return 255.0 * (0.299 * b[..., 0] + 0.587 * b[..., 1] + 0.114 * b[..., 2]), True
    return 255.0 * b[..., 0].astype(np.float64), False


def coefficients(y: np.ndarray) -> np.ndarray:
    """The 8 x 8 DCT of the blocks of ``y`` (rows, 8, cols, 8): (rows, cols, 8, 8)."""
    return _D @ (y.transpose(0, 2, 1, 3) - 128.0) @ _D.T


def jpeg_steps(c: np.ndarray) -> np.ndarray:
    """The quantisation step of each frequency found in the coefficients ``c`` (..., 8, 8): (8, 8), 0 where
    none is (the coefficients not on multiples of a step of 3 or more: a step of 1-2 is within the rounding),
    -1 where next to all of them are 0 (a step too large for the picture and its noise)."""
    flat = c.reshape(-1, N, N)
    q = np.zeros((N, N))
    cand = np.arange(MAX_STEP, 2, -1, dtype=np.float64)
    for i, (u, v) in enumerate(sorted(((u, v) for u in range(N) for v in range(N) if u or v), key=sum)):
        if i == QUICK and not np.any(q > 0):
            break   # no step among the coarsest frequencies: no JPEG (a PNG's estimate pays for these only)
        away = np.abs(flat[:, u, v]) > 1.5
        x = flat[:, u, v][away][:512]
        if x.size < STEP_COUNT:   # next to none away from 0: a step too large to find, nothing to read
            q[u, v] = -1
            continue
        r = x[None, :] / cand[:, None]
        on = np.round(r) != 0
        # A step scores at most the share of the coefficients at a nonzero multiple of it (each cosine is at most 1,
        # and the sum of numbers at most 1 rounds to no more than their count): the cosines of the others are not
        # taken (on a 256 x 256 file that is no JPEG the search's 25 -> 7 ms; the same steps, to the bit).
        may = np.nonzero(np.count_nonzero(on, axis=1) / x.size >= STEP_SCORE)[0]
        score = np.where(on[may], np.cos(2 * np.pi * r[may]), 0.0).mean(axis=1)
        ok = may[score >= STEP_SCORE]
        if ok.size:
            q[u, v] = cand[ok[0]]
        elif np.mean(away) < ZEROED:
            q[u, v] = -1   # all but a few quantised to 0 (the rest: clipped blocks, the decoder's rounding)
    return q


def jpeg_noise_sigma(image: np.ndarray) -> float | None:
    """The std (in the image's [0, 1] units, per channel) of white noise that, added before the file was saved
    as a JPEG, best explains its luma's DCT coefficients on the smooth blocks; None where the image is no
    JPEG (fewer than ``JPEG_FREQUENCIES`` frequencies with a step) on its grid or too small (under 2 x 2 blocks).
    The grid is the image's own (its block at (0, 0)), or that of the file turned or flipped (EXIF orientation):
    the partial blocks' sizes from the top or left."""
    shape = np.shape(image)
    for top in dict.fromkeys((0, shape[0] % N)):
        for left in dict.fromkeys((0, shape[1] % N)):
            y, colour = luma(image, top, left)
            if y.shape[0] < 2 or y.shape[2] < 2:
                return None
            c = coefficients(y)
            q = jpeg_steps(c)
            if np.count_nonzero(q > 0) >= JPEG_FREQUENCIES:
                sigma_y = _read(c, q)
                return None if sigma_y is None else (sigma_y / LUMA_NOISE if colour else sigma_y) / 255.0
    return None


def _read(c: np.ndarray, q: np.ndarray) -> float | None:
    """The luma's noise std (0-255 units) from the coefficients ``c`` (rows, cols, 8, 8) and the steps ``q``;
    None where the frequencies' readings fall as texture's do."""
    u, v = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    use = ((u + v) >= 2) & (q >= 0)
    steps, found = np.where(q > 0, q, 1.0)[use], (q > 0)[use]
    x = c[:, :, use]                                  # (rows, cols, F)
    k = np.round(x / steps)                           # the coefficients' multiples of their steps
    # Smooth blocks: the energy of the 8 blocks around (not the block's own: under noise independent of it)
    # within a small factor of the least.
    e = np.sum((k * steps) ** 2, axis=2)
    p = np.pad(e, 1, mode="edge")
    around = (sum(p[i:i + e.shape[0], j:j + e.shape[1]] for i in range(3) for j in range(3)) - e) / 8
    keep = around <= SMOOTH_FACTOR * max(np.quantile(around, 0.1), 1e-9)
    k = k[keep]                                       # (blocks, F)
    sig, zero = [], []
    for f in range(k.shape[1]):
        a = np.minimum(np.abs(k[:, f]), KMAX).astype(int)
        n = np.bincount(a, minlength=KMAX + 1)
        s = np.sqrt(_GRID ** 2 + (0.0 if found[f] else ROUNDING ** 2))[:, None]
        inside = _within(((np.arange(KMAX) + 0.5) * steps[f])[None, :] / s)    # P(|n| < each bin's top)
        prob = np.diff(np.concatenate([np.zeros((s.size, 1)), inside, np.ones((s.size, 1))], axis=1), axis=1)
        sig.append(float(_GRID[int(np.argmax(np.log(np.maximum(prob, 1e-300)) @ n))]))
        zero.append(n[0] / max(n.sum(), 1))
    sig, zero = np.array(sig), np.array(zero)
    told = zero < INFORMATIVE
    if np.count_nonzero(told) < FEW:
        return None   # too few frequencies tell the noise to tell it from texture
    # Noise is white: its readings are one level at every frequency; texture's fall from the coarse frequencies
    # to the fine (a clean photo of fur at quality 75 read 23 at u + v = 2, 8 at 6). The coarse readings (u + v
    # 2-3) above the finer (5-6) by more than TEXTURE: texture, not noise (None: the other estimate).
    level = (u + v)[use][told]
    coarse, finer, most = sig[told][level <= 3], sig[told][(level >= 5) & (level <= 6)], TEXTURE
    if not finer.size:   # none told at 5-6 (a clean file at quality 75-85): the finest told, at 4
        finer, most = sig[told][level == 4], TEXTURE_NEAR
    if coarse.size and finer.size and np.median(coarse) > most * np.median(finer):
        return None
    sigma_y = float(np.quantile(sig[told], QUANTILE)) if told.any() else float(np.median(sig))
    return 0.0 if sigma_y <= _GRID[0] else sigma_y


def _within(z):
    """P(|N(0, 1)| < z), from a table (numpy has no erf)."""
    return np.interp(z, _Z, _IN)
