"""Estimating the noise level of an image (numpy only)."""

from __future__ import annotations

import math

import numpy as np

#: MAD of a standard normal variable: median(|N(0, 1)|).
MAD_NORMAL = 0.6744897501960817
#: At most this many 2x2 blocks enter the estimate (a 2048 x 2048 image's worth). A larger
#: image is read on a regular grid of blocks spread over all of it, so the estimate sees the
#: whole picture (not a centre that may be flat sky) at a bounded cost (a 12 MP photo: 0.5 s,
#: about what its centre 2048 x 2048 cost). The app, the command line and the API all measure this way.
MAX_BLOCKS = 1024 * 1024
_BAND = 1 << 15  # blocks per band of the computation (about 1 MB of float64 per temporary)


def estimate_noise_sigma(image: np.ndarray) -> float:
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
