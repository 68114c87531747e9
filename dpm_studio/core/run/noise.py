"""Estimating the noise level of an image (numpy only)."""

from __future__ import annotations

import math

import numpy as np

from .noise_blocks import MAD_NORMAL, STRUCT_R, _blocks, _box, _windows
from .noise_jpeg import jpeg_noise_sigma
from .noise_level import MAX_PIXELS, STRUCT_T, fit_noise_level

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
#: 8-bit files: the Haar detail of four 8-bit pixels is a multiple of half a step (0.5 / 255).
LSB = 1 / 255
#: Below LOW_NOISE on an 8-bit file, the lattice-aware median of the smooth blocks (branch sigest-estimator,
#: :func:`_smooth_sigma`) where it reads below this; the fit at the image's mean above.
LATTICE_BELOW = 2.5 / 255
SMOOTH_PASSES = 6
#: A file with no measurable noise (the estimate 0) is told this level, and a run told no more than it gives the
#: image back as it is without the network (core/run/tasks.unchanged_steps, with jobs.UNCHANGED's words): at 0.1 /
#: 255 the network moved no 8-bit pixel of 44 of 48 held-out crops and only away from the truth at 16 bits
#: (docs/one-way.md, benchmarks/no_noise.py), where it was refused before.
NO_NOISE = 0.1 / 255
NOT_FITTED = object()   # estimate_noise_sigma's fit not given: made here where needed
NOT_READ = object()     # estimate_noise_sigma's JPEG reading not given: read here where needed
#: A JPEG (core/run/noise_jpeg.py) is read from its DCT coefficients; below this that reading is no more than
#: the other estimate's: a clean JPEG's quantised detail can read as noise of 1-2.7 / 255 (held-out wallpaper
#: BytheWater saved again at quality 75: 2.61, and the denoiser told that lost 9.9 dB against the file itself).
JPEG_LOW = 3 / 255


def estimate_noise_sigma(image: np.ndarray, fit=NOT_FITTED, jpeg: bool | None = None, jpeg_sigma=NOT_READ) -> float:
    """The std of the image's noise, taken as constant. A JPEG on its own grid: the noise it held before it was
    saved, read from its DCT coefficients (:func:`~.noise_jpeg.jpeg_noise_sigma`; below ``JPEG_LOW`` no more than
    the reading below). Other files: :func:`median_noise_sigma`; where that reads below
    ``LOW_NOISE`` on an 8-bit file, the lattice-aware median of the smooth blocks (:func:`_smooth_sigma`)
    where it reads below ``LATTICE_BELOW``; else below ``LOW_NOISE`` (but not 0: nothing measurable) the fitted
    noise law at the image's mean (:func:`fit_noise_sigma`). ``image``: (H, W) or (H, W, C) in [0, 1]; the answer
    is in the same units (multiply by 255 for 8-bit units). 0: no measurable noise. ``fit``:
    ``fit_noise_level(image)`` where the caller has made it already (``--noise auto``'s, None included), so it is
    not made twice. ``jpeg``: False where the caller knows the pixels never were a JPEG: no JPEG grid is
    looked for (0.04-0.15 s CPU of 12 MP); None (not known: an array, a PNG) or True: looked for. The app, the command
    line and the API never pass False (a PNG or TIFF may be a JPEG saved again: jobs.Source.of gives True or None);
    jobs.resolve passes a ``Source`` built with ``jpeg=False`` on (benchmarks/png_of_jpeg.py: the PNG reading before
    jpeg22), and benchmarks/low_noise.py --time-search times the estimate without the search. ``jpeg_sigma``:
    ``jpeg_noise_sigma(image)`` where the caller has read it already (``--noise auto``'s
    JPEG verdict, core/run/noise_law.resolve_noise_steps), so it is not read twice."""
    a = _hwc(image)
    if jpeg_sigma is NOT_READ:
        jpeg_sigma = None if jpeg is False else jpeg_noise_sigma(a)
    if jpeg_sigma is not None and jpeg_sigma >= JPEG_LOW:
        return jpeg_sigma
    other = _file_sigma(a, fit)
    return other if jpeg_sigma is None else min(jpeg_sigma, other)


def _file_sigma(a: np.ndarray, fit) -> float:
    """:func:`estimate_noise_sigma` of a file that is no JPEG (``a``: (H, W, C))."""
    ad = _abs_details(a)
    if not ad.size:
        return 0.0
    m = float(np.median(ad))
    sigma = m / MAD_NORMAL
    if not 0 < sigma < LOW_NOISE:
        return sigma
    if _on_lattice(ad):
        lat = _smooth_sigma(a, _lattice_sigma(ad, m))
        if lat < LATTICE_BELOW:
            return lat
    return fit_noise_sigma(a, sigma, fit)


def fit_noise_sigma(image: np.ndarray, sigma: float, fit=NOT_FITTED) -> float:
    """The fitted noise law (:func:`~.noise_level.fit_noise_level`) read at the image's mean intensity (b6aca55's
    reading below ``LOW_NOISE``), unless the channels share their noise (``SHARED``: the colour fit against the
    median of each channel's own): then ``sigma`` (the plain median), as where the image is too small to fit.
    ``fit``: as :func:`estimate_noise_sigma`'s."""
    a = _hwc(image)
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


def _hwc(image) -> np.ndarray:
    a = np.asarray(image)
    return a[:, :, None] if a.ndim == 2 else a


def median_noise_sigma(image: np.ndarray) -> float:
    """Robust estimate of the std of additive white Gaussian noise in an image.

    Donoho's estimator: sigma = median(|d|) / 0.6745 over the finest diagonal wavelet
    details d. Here d are orthonormal Haar HH coefficients of non-overlapping 2x2 blocks,
    (a - b - c + e) / 2, which for white noise of std sigma have std sigma and which
    vanish on flat regions and straight horizontal or vertical edges, so the median
    ignores most of the image content. ``image``: (H, W) or (H, W, C) in [0, 1]; the
    answer is in the same units (multiply by 255 for 8-bit units). Channels are pooled.
    """
    ad = _abs_details(_hwc(image))
    return float(np.median(ad) / MAD_NORMAL) if ad.size else 0.0


def _abs_details(a: np.ndarray) -> np.ndarray:
    """|HH| of :func:`median_noise_sigma` (1-d; empty for an image under 2 x 2): the unclipped blocks'
    while enough remain, on a grid beyond ``MAX_BLOCKS``."""
    H, W = a.shape[:2]
    H2, W2 = H - H % 2, W - W % 2
    if H2 < 2 or W2 < 2:
        return np.zeros(0)
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
    return np.abs(hh).ravel()
def _smooth_sigma(a: np.ndarray, s: float) -> float:
    """The lattice-aware sigma of the smooth blocks only: those whose surroundings hold no more structure
    than noise of std ``s`` gives (at most STRUCT_T times its variance, the rounding's included; the
    noise fit's test, core/run/noise_blocks.py, read on the fit's windows), ``s`` re-read on them
    until it settles. At low noise the median of all blocks reads texture and JPEG artefacts: a clean
    photo of foliage read 2-5 / 255. Under noise alone the test reads only the neighbours and the
    block's other details, independent of its own diagonal detail, so keeping a block does not bias it.
    Blocks with a clipped pixel within the test's window are left out, and at least the least structured
    1 % are kept (an image that is texture all over is read on its smoothest part)."""
    hh, structure, unclipped = [], [], []
    for w in _windows(a, MAX_PIXELS):
        for c in range(a.shape[2]):
            _, d, st, u, _, _ = _blocks(w[:, :, c])
            # no clipped pixel within the structure's window either: near a clipped region the noise
            # is truncated, its structure low, and its blocks would be kept first
            u2 = u.reshape(w.shape[0] // 2, w.shape[1] // 2).astype(np.float64)
            hh.append(d)
            structure.append(st)
            unclipped.append(_box(u2, STRUCT_R).ravel() > 1 - 1e-9)
    hh, structure, unclipped = (np.concatenate(v) for v in (hh, structure, unclipped))
    hh, structure = hh[unclipped], structure[unclipped]
    least = max(64, hh.size // 100)
    if hh.size <= least:
        return s
    # at least the least structured 1 % (an image all texture: its smoothest part)
    floor = float(np.partition(structure, least)[least])
    for _ in range(SMOOTH_PASSES):
        ad = np.abs(hh[structure <= max(STRUCT_T * (s * s + LSB * LSB / 12), floor)])
        new = _lattice_sigma(ad, float(np.median(ad)))
        done = abs(new - s) <= 0.01 * LSB
        s = new
        if done:
            break
    return s


def _on_lattice(ad: np.ndarray) -> bool:
    """The details are multiples of half an 8-bit step (an 8-bit file), read on their first 4096."""
    v = ad[:4096] / (0.5 * LSB)
    return bool(v.size) and bool(np.all(np.abs(v - np.round(v)) < 1e-3))


def _lattice_sigma(ad: np.ndarray, m: float) -> float:
    """sigma from |HH| on the lattice of half steps, its plain median ``m``: each lattice point stands
    for the details rounded to it (a cell half a step wide, [0, a quarter step] at 0), the median is
    read within its cell as if they spread evenly over it, and the rounding's variance (Sheppard's
    1/12 step^2: the detail of four rounded pixels carries it once) is taken off."""
    half = 0.5 * LSB
    below = int(np.count_nonzero(ad < m - half / 4))
    at = int(np.count_nonzero(np.abs(ad - m) <= half / 4))
    if at:  # the median sits on a lattice point (else between two: the plain value)
        lo = max(m - half / 2, 0.0)
        m = lo + (0.5 * ad.size - below) / at * (m + half / 2 - lo)
    return math.sqrt(max((m / MAD_NORMAL) ** 2 - LSB * LSB / 12, 0.0))
