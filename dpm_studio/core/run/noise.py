"""Estimating the noise level of an image (numpy only)."""

from __future__ import annotations

import math

import numpy as np

from .noise_blocks import MAD_NORMAL
from .noise_level import fit_noise_level

#: At most this many 2x2 blocks enter the estimate (a 2048 x 2048 image's worth). A larger
#: image is read on a regular grid of blocks spread over all of it, so the estimate sees the
#: whole picture (not a centre that may be flat sky) at a bounded cost (a 12 MP photo: 0.5 s,
#: about what its centre 2048 x 2048 cost). The app, the command line and the API all measure this way.
MAX_BLOCKS = 1024 * 1024
_BAND = 1 << 15  # blocks per band of the computation (about 1 MB of float64 per temporary)
#: Below this (0-1 units) the median of the Haar details reads the file's steps and the picture's texture more
#: than its noise: on 8-bit files it moves in steps of 0.74 / 255 of sigma and read 2.2-3.7 for a true 1, 3.7-4.5
#: for 2 (the test images; a denoiser told that lost 1-7 dB). There the noise law fitted per intensity bin
#: (core/run/noise_level.py: smooth blocks only, the rounding's 1/12 step^2 taken off) is read at the image's
#: mean instead (a grey picture stored as RGB, whose channels are one, read as grey). Measured on the test images
#: and held-out photos in docs/file-likelihood.md; 10 / 255 keeps every file at sigma 15 and above as before (the
#: median read 14.8-17.1 at sigma 15 on the test files).
LOW_NOISE = 10 / 255
#: ... but not in a colour image whose colour fit (which takes what the channels share for texture) reads below
#: this fraction of the median of the channels' own fits: its noise is shared by the channels, as a JPEG's is
#: (0.07-0.2 on the test images' JPEGs at quality 85-95 and sigma 1-5; 8-bit PNGs 0.6-1.0), and was partly
#: quantised away with the fine detail both read it from: there the median stays (it read nearer the noise the
#: file has, and a denoiser told the fits' numbers lost 1.3 dB on a held-out photo).
SHARED = 0.5
NOT_FITTED = object()   # estimate_noise_sigma's fit not given: made here where needed


def estimate_noise_sigma(image: np.ndarray, fit=NOT_FITTED) -> float:
    """The std of the image's noise, taken as constant: :func:`median_noise_sigma`, or where that reads below
    ``LOW_NOISE`` (but not 0: nothing measurable), the fitted noise law (:func:`~.noise_level.fit_noise_level`)
    at the image's mean intensity, unless the channels share their noise (``SHARED``: the colour fit against the
    median of each channel's own); the median where the image is too small to fit. ``image``: (H, W) or (H, W, C) in
    [0, 1]; the answer is in the same units (multiply by 255 for 8-bit units). ``fit``: ``fit_noise_level(image)``
    where the caller has made it already (``--noise auto``'s, None included), so it is not made twice."""
    sigma = median_noise_sigma(image)
    if not 0 < sigma < LOW_NOISE:
        return sigma
    a = np.asarray(image)
    a = a[:, :, None] if a.ndim == 2 else a
    if a.shape[2] > 1 and all(np.array_equal(a[:, :, 0], a[:, :, c]) for c in range(1, a.shape[2])):
        a, fit = a[:, :, :1], NOT_FITTED   # a grey picture stored as colour (a fit given was of three channels)
    whole = fit
    var = []
    for c in range(a.shape[2]):
        fit = whole if a.shape[2] == 1 and whole is not NOT_FITTED else fit_noise_level(a[:, :, c])
        if fit is None:
            return sigma
        var.append(fit.a * float(np.mean(a[:, :, c], dtype=np.float64)) + fit.b)
    level = math.sqrt(max(float(np.median(var)), 0.0))   # one channel's fit can read its texture (6.8 for 1)
    if a.shape[2] > 1:
        # Colour: the colour fit takes the detail the channels share for texture (the channels alone read 1.7 for
        # 1, it 1.06); far below the channels' own fits, the noise itself is shared (a JPEG's: chroma subsampled)
        # and the fine detail it was read from partly quantised away: the median stays.
        fit = fit_noise_level(a) if whole is NOT_FITTED else whole
        pooled = -1.0 if fit is None else fit.a * float(np.mean(a, dtype=np.float64)) + fit.b
        if pooled < (SHARED * level) ** 2:
            return sigma
        level = math.sqrt(pooled)
    return level if level > 0 else sigma


def median_noise_sigma(image: np.ndarray) -> float:
    """Robust estimate of the std of additive white Gaussian noise in an image.

    Donoho's estimator: sigma = median(|d|) / 0.6745 over the finest diagonal wavelet
    details d. Here d are orthonormal Haar HH coefficients of non-overlapping 2x2 blocks,
    (a - b - c + e) / 2, which for white noise of std sigma have std sigma and which
    vanish on flat regions and straight horizontal or vertical edges, so the median
    ignores most of the image content. ``image``: (H, W) or (H, W, C) in [0, 1]; the
    answer is in the same units (multiply by 255 for 8-bit units). Channels are pooled.
    """
    a = np.asarray(image)
    if a.ndim == 2:
        a = a[:, :, None]
    H, W = a.shape[:2]
    H2, W2 = H - H % 2, W - W % 2
    if H2 < 2 or W2 < 2:
        return 0.0
    # (block row, 2, block column, 2, C); beyond MAX_BLOCKS blocks every step-th block row and
    # column, a regular grid over the whole image.
    blocks = a[:H2, :W2].reshape(H2 // 2, 2, W2 // 2, 2, a.shape[2])
    step = max(1, math.ceil(math.sqrt(blocks.shape[0] * blocks.shape[2] / MAX_BLOCKS)))
    grid = blocks[::step, :, ::step]
    hh = np.empty((grid.shape[0], grid.shape[2], grid.shape[4]), np.float64)
    unclipped = np.ones(hh.shape, bool)
    # In bands of block rows: the float64 temporaries stay small (a 12 MP photo's whole grid
    # in float64 was 72 MB, allocated and paged in on every File > Open; docs/speed.md).
    rows = max(1, _BAND // max(1, hh[0].size))
    for r in range(0, hh.shape[0], rows):
        b = grid[r:r + rows].astype(np.float64)
        p00, p01, p10, p11 = b[:, 0, :, 0], b[:, 0, :, 1], b[:, 1, :, 0], b[:, 1, :, 1]
        hh[r:r + rows] = (p00 - p01 - p10 + p11) / 2.0
        # A block with a pixel clipped at 0 or 1 holds less noise than sigma (the clipped part
        # is flat), so it would pull the median down: leave such blocks out while enough remain.
        for p in (p00, p01, p10, p11):
            unclipped[r:r + rows] &= (p != 0) & (p != 1)
    if unclipped.sum() >= max(16, unclipped.size // 10):
        hh = hh[unclipped]
    return float(np.median(np.abs(hh)) / MAD_NORMAL)
