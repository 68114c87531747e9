"""The noise level function of a camera image, estimated from the image alone (numpy only).

A sensor's noise grows with the light it counts: shot noise is Poisson, read noise is
Gaussian, so an observed pixel z of true value x (in [0, 1] units) has
    var(z | x) = a x + b        (Foi, Trimeche, Katkovnik and Egiazarian 2008),
a the gain of the photon counts, b the variance of the read noise. Constant Gaussian noise
is a = 0, b = sigma^2.

The estimate (:func:`fit_noise_level`), per channel:

1. Haar wavelet coefficients of 2 x 2 blocks (orthonormal, so under white noise
   independent and of the block's noise std): the diagonal detail
   ``hh = (z00 - z01 - z10 + z11) / 2`` measures the noise (it vanishes on flat regions,
   ramps and straight edges), the horizontal and vertical details ``hl``, ``lh`` measure
   structure, and the block mean, read through a quadratic fit over its 7 x 7
   neighbourhood of blocks (exact on ramps and bends: a dip is not read brighter than it
   is), measures the level x. For a block of four
   pixels of about the same x, ``var(hh) = a x + b``. Images up to a quarter of
   ``max_pixels`` are read at all four block offsets (correlated, 1.78 times the
   information of one offset; the sampling variances below count it so).
2. Smooth blocks only: a block is kept when the structure around it is what noise of the
   current fit would give (at most 1.5 times it), twice over: the mean square of ``hl``,
   ``lh`` and the neighbours' ``hh`` over its 5 x 5 neighbourhood of blocks (74
   coefficients), and of the second differences of the block means there (the coarser
   scale, where natural texture has more energy and noise the same; ramps give none).
   Every coefficient of the test is independent of the block's own ``hh`` under the
   noise, so the selection does not bias the variance measured on the kept blocks. The
   first pass has no fit yet and keeps the least structured third of each intensity bin.
   Quiet blocks are left out as well: where the mean ``hh^2`` of a block's neighbours (5 x 5,
   its own left out; the least of that over the 5 x 5 blocks around, so a patch's edge counts
   too) is under 0.1 times the fit's variance there (the part the unclipped details keep), the
   block sits in a region with next to no noise: an inpainting's fill without grain, a pasted
   or denoised patch. That is no evidence of low noise at its intensity (such a fill took the
   whole law to a = b = 0). The first pass, with no fit yet, leaves out the blocks under 0.1
   times the median around the bin's blocks, and bins under 0.25 times the line through the
   others (the quietest first: a fill may cover every pixel of some intensities). Under noise
   alone the neighbours' details are independent of the block's own, so this does not bias
   what is kept.
   After it, whole regions (32 x 32 pixels) whose kept blocks' ``hh^2`` average more than
   1.5 standard errors above the fit's variance are left out: the texture that passes the
   block test gathers in some regions (coins' dark background; the fit within target over
   10 noise seeds: 217 of 240 fits, was 212).
3. Intensity bins of the block means; in each, the noise variance from the mean square of
   ``hh`` within 4 std of the current fit (corrected for that trimming and for the 1/12
   LSB^2 of 8-bit rounding), its sampling variance 2 var^2 / n. The first pass uses the
   median of ``|hh|``, interpolated within the 8-bit step (a plain median of 8-bit
   details jumps by half a step: up to 15 % of the variance of a dark bin, which pulled b
   20-40 % off on photos). In colour the texture left in the kept blocks is measured and
   taken off: noise is independent across the channels and texture is not, so the mean
   product of a block's diagonal details in this channel and the others measures it (it
   had raised b 20-40 % in astronaut's and chelsea's dark bins).
4. Clipping: a block with a pixel at 0 or 1 is a censored observation, not a quiet one.
   Such blocks are left out, and for the bins near the ends the expected variance is that
   of the noise truncated at 0 and 1 (the variance a block of four unclipped pixels has),
   so the fit reads the law of the unclipped noise. Bins whose unclipped noise keeps under
   0.4 of its variance (about 45 % of the pixels clipped) are dropped. (At 0.67 the cut
   fed back on the fit: a b read high widens the law at black, its darkest bin falls under
   the cut and b stays high; astronaut's dark background, kept at 0.4: 217 -> 227 of 240.)
5. A weighted least-squares line var = a x + b through the bins (weights from each
   bin's sampling variance under the fitted line, iterated), bins more than 4 standard
   errors off the line dropped as texture, and the standard errors of a and b from the
   fit's covariance (scaled up by the reduced chi-square when the bins scatter more than
   sampling explains). The line is constrained to a variance over [0, 1] (b >= 0, a + b >= 0):
   a free line crossing 0 just below black becomes the law through the origin, not a constant.
   The standard errors are also measured by a bootstrap over the image's regions (32 x 32
   pixels, 200 resamples of the last pass's per-region sums) and the larger of the two is
   given: a region's texture or clipped edge moves several bins at once, which the line
   fit's errors (independent bins) do not see. Near the ends each bin's level (a mean of
   clipped pixels) is mapped back to the intensity under it before the law and the clipped
   variance are read there (constant noise at sigma 50 read a < 0 from it: the highlights'
   levels read darker than they are).
   To those (in quadrature) a systematic part: each bin's variance is taken to carry an error
   of 2.5 % of itself (texture the tests let through) plus 10 % of the share the clipped ends
   take away from it (1 - the truncation factor), independent from bin to bin, through the same
   weighted line. Neither is seen by resampling: the texture of coins grows with brightness
   over every region alike. The 2.5 % is calibrated on held-out photos only (constant noise at
   sigma 5, 15, 25, 50 on 49 photos that are not test images, grey and colour, 3 seeds: 1116
   files): a / s.e. has an rms of 1.47 without the term, 1.06 at 2 % (chosen in session 13 on
   the test images and 8 photos together), 1.005 at 2.5 %; 94.7 % within 2 (docs/camera-noise.md,
   session 17). On a textureless file the errors come out wider than the scatter (a plain ramp:
   1.15-1.6 times the bootstrap's).

``kind`` is "constant" when a is within 2 of these standard errors of 0 (or below), or when the
variance it predicts at white is under 2.5 times that at black (a < 1.5 b): then one sigma
is close to right, and textured photos with constant noise (camera at sigma 15-50) gave a
spurious a of 0.2-1.1 b, 2-3 standard errors above 0, which cost up to 0.1 dB when
denoised as signal-dependent (docs/camera-noise.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .noise_blocks import MAD_NORMAL
from .steps import result
from .noise_blocks import _OWN, STRUCT_R, TILE, _blocks, _box, _quadratic_mean, _windows  # noqa: F401 (re-exported)
from .noise_blocks import _median, _quantile


MAD_VAR = 1.3605                  # n var(median(|n|) / 0.6745) / sigma^2 for normal n, large n
NOISE_KINDS = ("constant", "poisson-gaussian")
BINS = 24
MIN_BIN = 16                      # blocks a bin needs to be measured (24: 227 of 240 fits within target, 16: 229)
STRUCT_T = 1.5                    # structure at most 1.5 times the fit's variance (1.3: b worse)
MIN_FACTOR = 0.4                  # bins whose unclipped noise keeps less of its variance are dropped
MAX_PIXELS = 1024 * 1024        # beyond this, a grid of 256 x 256 windows over the image
TRIM = 4.0                        # the per-bin mean square keeps details within 4 std of the fit
_TRIM_FACTOR = 1 - 2 * TRIM * math.exp(-TRIM * TRIM / 2) / math.sqrt(2 * math.pi) / math.erf(TRIM / math.sqrt(2))
SIGNIFICANCE = 2.0                # a is "signal-dependent" when a > SIGNIFICANCE * a_se
SIGNAL_RATIO = 1.5                # ... and a > SIGNAL_RATIO * b: the variance at white 2.5x that at black
BOOT = 200                        # bootstrap resamples of those regions
MIN_TILES = 16                    # fewer regions than this: the line fit's own standard errors
WINDOW_TILES = 1_000_000          # window i's regions are numbered from WINDOW_TILES i
REGION_Z = 1.5                    # after the first pass, regions this many s.e. louder than the fit are left out
QUIET = 0.1                       # blocks whose neighbours' hh^2 average under this times the fit's variance: noise-free
QUIET_FIRST = 0.1                 # the first pass's: under this times the median of the bin's blocks
QUIET_BIN = 0.25                  # the first pass drops bins under this times the line through the others
TAU = 0.025                       # a bin's variance: systematic error, relative (texture; see _systematic_se)
TAU_CLIP = 0.1                    # ... plus this times the share of it the clipped ends take away


@dataclass(frozen=True)
class ChannelFit:
    """var = a x + b for one channel, with standard errors, and the bins it was fitted on:
    ``levels`` the bins' mean intensities, ``stds`` the measured noise std there, ``counts``
    the blocks measured (all in [0, 1] units)."""

    a: float
    b: float
    a_se: float
    b_se: float
    levels: tuple = ()
    stds: tuple = ()
    counts: tuple = ()


@dataclass(frozen=True)
class NoiseFit:
    """The fitted noise law: ``a``, ``b`` pooled over the channels (what the denoiser uses),
    ``channels`` each channel's own fit, ``kind`` "constant" or "poisson-gaussian"."""

    a: float
    b: float
    a_se: float
    b_se: float
    kind: str
    channels: tuple = field(default_factory=tuple)

    def std(self, x):
        """The noise std at intensity ``x`` under the pooled fit."""
        return np.sqrt(np.maximum(self.a * np.asarray(x, dtype=np.float64) + self.b, 0.0))

    def record(self) -> dict:
        """The fit as saved metadata (plain numbers)."""
        r = lambda v: float(f"{v:.4g}")  # noqa: E731
        return {"kind": self.kind, "a": r(self.a), "b": r(self.b), "a_se": r(self.a_se), "b_se": r(self.b_se),
                "channels": [{"a": r(c.a), "b": r(c.b), "a_se": r(c.a_se), "b_se": r(c.b_se)}
                             for c in self.channels]}


def _ndtr(x) -> np.ndarray:
    """The standard normal CDF, elementwise, from ``math.erfc`` (scipy.special.ndtr's values to
    1e-15 absolute). The arrays here are a few dozen bins: importing scipy.special for them cost 0.2 s
    (more with PySide6 loaded, whose import hook reads each new module's source) of opening a
    photo in the app, whose noise curve this fit draws."""
    x = np.asarray(x, dtype=np.float64)
    t = (-x / math.sqrt(2.0)).ravel().tolist()    # elementwise as math's: the same values, one array op
    return 0.5 * np.fromiter(map(math.erfc, t), dtype=np.float64, count=len(t)).reshape(x.shape)


def _truncated_var_factor(m: np.ndarray, s: np.ndarray) -> np.ndarray:
    """var(z | 0 < z < 1) / s^2 for z ~ N(m, s^2): the variance unclipped pixels keep."""
    ndtr = _ndtr
    s = np.maximum(s, 1e-12)
    al, be = (0.0 - m) / s, (1.0 - m) / s
    pa, pb = np.exp(-0.5 * al * al) / math.sqrt(2 * math.pi), np.exp(-0.5 * be * be) / math.sqrt(2 * math.pi)
    z = np.maximum(ndtr(be) - ndtr(al), 1e-12)
    return np.clip(1 + (al * pa - be * pb) / z - ((pa - pb) / z) ** 2, 1e-3, 1.0)


def _unclipped_level(m, a, b, steps=12):
    """The intensity x whose pixels, z ~ N(x, a x + b) clipped to [0, 1], have mean ``m``
    (each bin's measured level): E[clip(z)] = x P(0 < z < 1) + s (phi(al) - phi(be)) + P(z > 1)
    inverted by a fixed-point iteration (its slope, P(0 < z < 1), is in (0, 1]).

    Above 0.5 the level of a kept block is read as what it is: its quadratic mean weighs the
    block's own mean by 1/9, and a kept block has no clipped pixel, so near white it leans
    darker than E[clip(z)] (by 1/9 of E[z | 0 < z < 1] - E[clip(z)]). Unmodelled, the bins near
    white were read at too dark an intensity, where the noise keeps more of its variance: their
    variance read low (a bright ramp at sigma 50: b +12 % with those bins kept). Near black
    the same model raises b into the test references' own texture (222 of 240 fits within
    target against 227: docs/camera-noise.md), so it is not applied there."""
    x = np.clip(np.asarray(m, dtype=np.float64), 0.0, 1.0)
    for _ in range(steps):
        s = np.sqrt(np.maximum(a * x + b, 1e-12))
        al, be = -x / s, (1.0 - x) / s
        pa, pb = np.exp(-0.5 * al * al) / math.sqrt(2 * math.pi), np.exp(-0.5 * be * be) / math.sqrt(2 * math.pi)
        cb, ca = _ndtr(be), _ndtr(al)
        mean = x * (cb - ca) + s * (pa - pb) + (1.0 - cb)
        kept = x + s * (pa - pb) / np.maximum(cb - ca, 1e-12)     # E[z | 0 < z < 1]
        mean = np.where(m > 0.5, (1 - _OWN) * mean + _OWN * kept, mean)
        x = np.clip(x + (m - mean), 0.0, 1.0)
    return x


def _bin_variance(d, model_var, quant, cross=None):
    """The noise variance of one bin's diagonal details ``d``.

    First pass (``model_var`` None): from the median of |d|, interpolated within the
    quantisation step of an 8-bit file (|d| is a multiple of 0.5 / 255 there, and the plain
    median's jump of half a step was up to 15 % of the variance in the dark bins). After:
    the mean square of the details within TRIM standard deviations of the current fit
    (2.7 times the median's efficiency), corrected for the trimming and for the rounding's
    ``quant`` = 1/12 LSB^2 (the Haar detail of four rounded pixels carries it once)."""
    if model_var is None:
        ad = np.abs(d)
        m = _median(ad)
        if quant > 0:
            step = 0.5 / 255
            below = float((ad < m - step / 4).sum())
            at = float((np.abs(ad - m) <= step / 4).sum())
            lo = max(m - step / 2, 0.0)
            width = m + step / 2 - lo
            if at > 0:
                m = lo + (0.5 * len(d) - below) / at * width
        return (m / MAD_NORMAL) ** 2
    c = TRIM * math.sqrt(model_var)
    inside = np.abs(d) <= c
    kept = d[inside]
    if len(kept) == 0:
        return model_var
    # np.mean's values (its sum over the count) without its machinery
    texture = 0.0 if cross is None else max(float(cross[inside].sum()) / len(kept), 0.0)
    return max((float((kept * kept).sum()) / len(kept) - texture) / _TRIM_FACTOR - quant, 1e-12)


def _bin_index(level, bins):
    return np.clip((level * bins).astype(np.int64), 0, bins - 1)


def _bin_order(idx, bins):
    """The blocks grouped by bin (``idx``), each bin's in their own order, and each bin's start in
    that order (``bins + 1`` of them): one stable sort (a radix sort of small integers) for all passes."""
    order = np.argsort(idx.astype(np.int16 if bins < 2 ** 15 else np.int64), kind="stable")
    return order, np.concatenate([[0], np.cumsum(np.bincount(idx, minlength=bins))])


def _by_bin(ok, order, cuts, arrays):
    """(bin, the bin's blocks of each of ``arrays``) for each bin (:func:`_bin_order`'s ``order``,
    ``cuts``), the blocks ``ok`` only, in their own order: one gather rather than a mask per bin."""
    on = ok[order]
    kept = order[np.flatnonzero(on)]   # order[on]'s, in half its time
    at = np.cumsum([0] + [np.count_nonzero(on[cuts[k]:cuts[k + 1]]) for k in range(len(cuts) - 1)])
    arrays = [a[kept] for a in arrays]
    for k in range(len(cuts) - 1):
        yield k, [a[at[k]:at[k + 1]] for a in arrays]


def _wls_line(x, y, var):
    """Weighted least squares y = a x + b; returns a, b and their covariance, chi2/dof."""
    w = 1.0 / var
    A = np.stack([x, np.ones_like(x)], 1)
    M = A.T @ (A * w[:, None])
    cov = np.linalg.inv(M)
    a, b = cov @ (A.T @ (w * y))
    resid = y - (a * x + b)
    dof = max(len(x) - 2, 1)
    chi2 = float((resid * resid * w).sum() / dof)
    return float(a), float(b), cov, chi2


def _feasible(x, y, var, a, b):
    """The weighted least-squares line constrained to a variance over [0, 1] (b >= 0 and
    a + b >= 0). Where the free line leaves that set the constrained one lies on its edge: a
    law through the origin (b = 0: pure shot noise, what a dark-starved fit with a small read
    noise gives when the intercept comes out a little below 0), or var = b (1 - x); the
    feasible one nearer the bins is taken. (The fit used to fall back to a constant there,
    a = 0: chelsea grey at (0.001, 0.0001) came out with b 5-6 times the truth.)"""
    if b >= 0 and a + b >= 0:
        return a, b
    w = 1.0 / var
    cands = [(0.0, float(np.average(y, weights=w)))]
    for u, law in ((x, lambda c: (c, 0.0)), (1.0 - x, lambda c: (-c, c))):
        den = float((w * u * u).sum())
        if den > 0:
            c = float((w * u * y).sum()) / den
            if c >= 0:
                cands.append(law(c))
    sse = [float((w * (y - (ca * x + cb)) ** 2).sum()) for ca, cb in cands]
    return cands[int(np.argmin(sse))]


def _region_sums(level, hh, tile, cross, ks, model_var, bins):
    """Per bin (``ks``, trimmed at TRIM std of ``model_var`` as :func:`_bin_variance` does) and
    per region (``tile``: :func:`_compact_regions`' numbers): the sums the bins' variances are made
    of (kept squares, kept count, kept cross-products), each (bins, regions)."""
    # ranks as np.unique's (``tile``: :func:`_compact_regions`' numbers, small), by a count, not a sort
    present = np.bincount(tile) > 0
    tile = (np.cumsum(present) - 1)[tile]
    nt = int(tile.max()) + 1 if tile.size else 0
    cut = np.full(bins, -1.0)
    cut[ks] = TRIM * np.sqrt(model_var)
    bi = _bin_index(level, bins)
    inside = (np.abs(hh) <= cut[bi]).astype(np.float64)
    idx = bi * nt + tile

    def total(w=None):
        return np.bincount(idx, weights=w, minlength=bins * nt).reshape(bins, nt)[ks]

    cr = None if cross is None else total(cross * inside)
    return total(hh * hh * inside), total(inside), cr


def _bootstrap_se(sums, factor, var_est, fit_on, x, quant, draws=BOOT):
    """Standard errors of a and b from resampling the image's regions (a block bootstrap):
    the bins' variances are remade from the resampled regions' sums and the same weighted
    line drawn through them. The line fit's own errors take the bins as independent, each
    with its sampling variance; but one region's texture (or its clipped edge) moves several
    bins at once, in the same direction, which tilts the line: on constant noise the fitted a
    was within 2 of those standard errors of 0 in 94 of 120 files (its z-scores' rms 1.6, one
    image's texture the same over the noise seeds). Deterministic (a fixed seed)."""
    s2, ni, cr = sums
    nt = s2.shape[1]
    if nt < MIN_TILES or fit_on.sum() < 3:
        return 0.0, 0.0
    # each draw: nt regions drawn with replacement, as counts (regions, draws)
    pick = np.random.default_rng(0).integers(0, nt, size=(draws, nt)) + nt * np.arange(draws)[:, None]
    w = np.bincount(pick.ravel(), minlength=draws * nt).reshape(draws, nt).T.astype(np.float64)

    def resum(m):  # einsum, not @: a small product that BLAS threads made 100 times slower on a busy machine
        return np.einsum("kt,td->kd", m, w)

    with np.errstate(invalid="ignore", divide="ignore"):
        k = resum(ni)
        msq = resum(s2) / k
        tex = 0.0 if cr is None else np.maximum(resum(cr) / k, 0.0)
        v = np.maximum((msq - tex) / _TRIM_FACTOR - quant, 1e-12)
    target = np.where(k > 0, v / factor[:, None], np.nan)
    xs, ys, wt = np.broadcast_to(x[fit_on][:, None], target[fit_on].shape), target[fit_on], 1.0 / var_est[fit_on][:, None]
    ys_ok = np.isfinite(ys)
    wt = np.where(ys_ok, wt, 0.0)
    ys = np.where(ys_ok, ys, 0.0)
    sw, sx, sy = wt.sum(0), (wt * xs).sum(0), (wt * ys).sum(0)
    sxx, sxy = (wt * xs * xs).sum(0), (wt * xs * ys).sum(0)
    den = sw * sxx - sx * sx
    good = den > 0
    a = (sw * sxy - sx * sy)[good] / den[good]
    b = (sy[good] - a * sx[good]) / sw[good]
    if len(a) < draws // 2:
        return 0.0, 0.0
    return float(np.std(a, ddof=1)), float(np.std(b, ddof=1))


def _systematic_se(x, var_est, model, tau):
    """The standard errors of a and b that errors in the bins' variances beyond sampling add
    (texture left in the kept blocks, the clipped ends' model): independent errors of ``tau``
    (per bin, or one number) times the bin's variance ``model``, through the weighted line the fit
    draws (weights 1 / ``var_est``): the sandwich L diag((tau model)^2) L^T."""
    if len(x) < 2:
        return 0.0, 0.0
    w = 1.0 / var_est
    A = np.stack([x, np.ones_like(x)], 1)
    try:
        L = np.linalg.inv(A.T @ (A * w[:, None])) @ (A * w[:, None]).T    # (2, bins): the estimator
    except np.linalg.LinAlgError:
        return 0.0, 0.0
    cov = (L * (tau * model) ** 2) @ L.T
    return math.sqrt(max(cov[0, 0], 0.0)), math.sqrt(max(cov[1, 1], 0.0))


def _compact_regions(tile):
    """Region numbers 0, 1, ... for :func:`_blocks`' ``tile`` (window i's from WINDOW_TILES i),
    without a sort: window * (regions per window) + the region within it."""
    t = np.asarray(tile, dtype=np.int64)
    if t.size and t.max() < WINDOW_TILES:
        return t                      # one window: its own numbers (the line below's values)
    within = t % WINDOW_TILES
    return (t // WINDOW_TILES) * (int(within.max()) + 1) + within


def _textured_regions(hh, s2, region, ok, overlap, cross=None, hh2=None):
    """Per block: whether its region (numbered 0, 1, ...) is louder than the fit allows.

    Texture that passes the structure test is not spread evenly: in the test images the clean
    diagonal details of the kept blocks are 10 times stronger in some 32 x 32 regions than in
    others. Under the fit, the mean of (hh^2 / fitted variance) over a region's kept blocks is 1
    with a standard error of sqrt(2 overlap / n); a region above 1 + REGION_Z of those is left
    out. (Pure noise loses the regions 1.5 standard errors high, 7 % of them: the variance reads
    about 1 % low.) In colour the texture the channels share (``cross``) is taken off first, as the
    bins' variances take it off: texture even over the picture is measured there, not left out.
    ``hh2``: ``hh * hh`` less ``cross``, when the caller has it."""
    if hh2 is None:
        hh2 = hh * hh if cross is None else hh * hh - cross
    r = hh2 / s2
    r *= ok                           # np.where(ok, r, 0.0) at a tenth of its time (r is finite)
    tot = np.bincount(region, weights=r)
    n = np.bincount(region[ok], minlength=len(tot))   # counts: the weighted bincount's values
    score = tot / np.maximum(n, 1)
    bad = (n > 0) & (score > 1 + REGION_Z * np.sqrt(2 * overlap / np.maximum(n, 1)))
    return bad[region]


def _quiet_bins(x, v, var_est, use):
    """The first pass's bins far under the line through the others (under QUIET times it), dropped one
    at a time, the quietest first: a bin made of noise-free blocks (an inpainting's fill that covers
    its intensities) is not evidence of low noise there. Noise is never far under its own law, so
    this leaves a noisy image's bins alone."""
    out = np.zeros_like(use)
    while (use & ~out).sum() > 2:
        on = use & ~out
        a, b, _, _ = _wls_line(x[on], v[on], var_est[on])
        ratio = np.where(on, v / np.maximum(a * x + b, 1e-12), np.inf)
        k = int(np.argmin(ratio))
        if ratio[k] >= QUIET_BIN or a * x[k] + b <= 0:
            break
        out[k] = True
    return out


def _fit_channel(level, hh, structure, unclipped, tile=None, neigh=None, bins=BINS, quant=0.0, overlap=1.0,
                 cross=None):
    """A generator (a step record before each pass) returning the :class:`ChannelFit` or None.
    ``overlap``: how many of the details count as one independent one (2.25 when the
    2 x 2 blocks are read at all four offsets: the mean square of all of them has 1 / 1.78
    the variance of one offset's, not 1 / 4). ``tile``: each block's region, for the
    bootstrap of the standard errors (None: the line fit's own)."""
    a, b = None, None
    last = None
    keep_bins = None
    region = None if tile is None or REGION_Z <= 0 else _compact_regions(tile)
    idx = _bin_index(level, bins)
    order, cuts = _bin_order(idx, bins)
    hh2 = hh * hh if cross is None else hh * hh - cross     # what the region test reads, each pass
    for it in range(4):
        yield "pass"
        if a is None:
            ok = unclipped.copy()
            # first pass: the least structured third of each bin
            # (after the quiet blocks are left out: the noise around them under QUIET_FIRST times
            # the median around the bin's blocks; texture raises that median, so the factor is small)
            for k in range(bins):
                sel = order[cuts[k]:cuts[k + 1]]
                sel = sel[ok[sel]]
                if neigh is not None and sel.size:
                    nb = neigh[sel]
                    loud = nb >= QUIET_FIRST * _median(nb)
                    ok[sel[~loud]] = False
                    sel = sel[loud]
                if sel.size > 3:
                    st = structure[sel]
                    ok[sel] = st <= _quantile(st, 1 / 3)
        else:
            s2 = a * level
            s2 += b
            s2 = np.maximum(s2, 1e-10, out=s2)
            # Structure within noise of the current fit (its sampling spread allowed).
            ok = unclipped & (structure <= STRUCT_T * s2)
            # near the clipped ends the unclipped details keep less of the variance
            cen = (np.arange(bins) + 0.5) / bins
            kept_s2 = s2 * _truncated_var_factor(cen, np.sqrt(np.maximum(a * cen + b, 1e-10)))[idx]
            if neigh is not None:
                ok &= neigh >= QUIET * kept_s2
            if region is not None:
                ok &= ~_textured_regions(hh, s2, region, ok, overlap, cross, hh2=hh2)
        xs, vs, ns, ks = [], [], [], []
        for k, (lv, d, cr) in _by_bin(ok, order, cuts, (level, hh, hh if cross is None else cross)):
            if len(d) < MIN_BIN * overlap:
                continue
            ks.append(k)
            xs.append(float(lv.sum()) / len(lv))
            vs.append(_bin_variance(d, None if a is None else max(a * xs[-1] + b, 1e-10), quant,
                                    None if cross is None or a is None else cr))
            ns.append(len(d))
        if len(xs) < 2:
            if last is None:
                return None
            break  # the structure test left too little: keep the previous pass
        x, v, n = np.array(xs), np.array(vs), np.array(ns, dtype=np.float64)
        # what the bootstrap of the last pass needs (summed per region once the loop ends)
        sums = None if a is None or tile is None else (ok, np.array(ks), np.maximum(a * x + b, 1e-10))
        # Clipping: a bin's level is a mean of clipped pixels, so near black it reads brighter
        # than the intensity under it and near white darker; the law and the variance the
        # unclipped pixels keep are read at that intensity.
        x = _unclipped_level(x, *((0.0, float(np.median(v))) if a is None else (a, b)))
        if a is None:
            model = np.full_like(v, np.median(v))
        else:
            model = np.maximum(a * x + b, 1e-10)
        # Clipping: the variance unclipped pixels keep, near the ends.
        factor = _truncated_var_factor(x, np.sqrt(model))
        use = factor > MIN_FACTOR if a is not None else np.ones_like(x, dtype=bool)
        if keep_bins is not None:
            use &= np.array([not any(abs(xx - r) < 0.5 / bins for r in keep_bins) for xx in x])
        if use.sum() < 2:
            use = np.ones_like(x, dtype=bool)
        target = v / factor
        var_est = (4 * MAD_VAR if a is None else 2.0) * overlap * model * model / n  # sampling variance of s^2
        var_est = np.maximum(var_est, 1e-30)  # a noiseless image measures 0 in every bin
        if a is None:
            use &= ~_quiet_bins(x, target, var_est, use)
        a_new, b_new, cov, chi2 = _wls_line(x[use], target[use], var_est[use])
        # Outlier bins (texture the tests let through) are dropped once the line is known.
        resid = np.abs(target - (a_new * x + b_new)) / np.sqrt(var_est * max(chi2, 1.0))
        bad = use & (resid > 4.0)
        if bad.any() and use.sum() - bad.sum() >= 2:
            a_new, b_new, cov, chi2 = _wls_line(x[use & ~bad], target[use & ~bad], var_est[use & ~bad])
            keep_bins = list(x[bad])
        fit_on = use & ~bad if bad.any() and use.sum() - bad.sum() >= 2 else use
        a_fit, b_fit = _feasible(x[fit_on], target[fit_on], var_est[fit_on], a_new, b_new)
        last = (a_fit, b_fit, cov, chi2, x, v, n, use, (sums, factor, var_est, fit_on))
        a, b = a_new, b_new
        if (a_fit, b_fit) != (a_new, b_new):
            # The next pass selects and trims by a flat law at the bins' mean, not by the edge
            # law: b = 0 would make the structure test reject the dark blocks that pin b down.
            a, b = 0.0, float(np.average(target[fit_on], weights=1 / var_est[fit_on]))
    a, b, cov, chi2, x, v, n, sel, boot = last
    scale = max(chi2, 1.0)
    a_se, b_se = math.sqrt(cov[0, 0] * scale), math.sqrt(cov[1, 1] * scale)
    if boot[0] is not None:
        yield "bootstrap"
        ok, ks, model_var = boot[0]
        reg = region if region is not None else _compact_regions(tile)
        a_bs, b_bs = _bootstrap_se(_region_sums(level[ok], hh[ok], reg[ok], None if cross is None else cross[ok], ks,
                                                model_var, bins), *boot[1:], x, quant)
        a_se, b_se = max(a_se, a_bs), max(b_se, b_bs)
    on = boot[3]
    tau = TAU + TAU_CLIP * (1 - boot[1][on])
    if np.any(tau > 0):
        a_sy, b_sy = _systematic_se(x[on], boot[2][on], np.maximum(a * x[on] + b, 0.0), tau)
        a_se, b_se = math.hypot(a_se, a_sy), math.hypot(b_se, b_sy)
    return ChannelFit(a, max(b, 0.0), a_se, b_se, tuple(np.round(x[sel], 5)), tuple(np.round(np.sqrt(v[sel]), 6)),
                      tuple(int(c) for c in n[sel]))


def fit_noise_level(image: np.ndarray, bins: int = BINS, max_pixels: int = MAX_PIXELS,
                    known: np.ndarray | None = None) -> NoiseFit | None:
    """Fit var = a x + b to the noise of ``image`` ((H, W) or (H, W, C), in [0, 1]); with ``known``
    ((H, W) bool) to its known pixels only (an inpainting's surroundings: core/run/grain.py).

    Beyond ``max_pixels`` per channel a regular grid of 256 x 256 windows over the whole
    image is read. Returns None when the image has too few smooth blocks to measure (a tiny or
    all-texture image). See the module's docstring for the method.
    """
    return result(fit_noise_level_steps(image, bins, max_pixels, known))


def fit_noise_level_steps(image: np.ndarray, bins: int = BINS, max_pixels: int = MAX_PIXELS,
                          known: np.ndarray | None = None):
    """:func:`fit_noise_level` as a generator: a step record (the part's name) before each of its parts
    (a window's blocks, each pass of each channel's fit, each bootstrap: 5-40 ms of a 12 MP photo's
    0.5-1 s), so that whoever drives it can stop between them (a run's Cancel,
    gui/model/frames._watched: the fit it abandoned used to run on to its end); returns the fit."""
    img = np.asarray(image)
    img = img[:, :, None] if img.ndim == 2 else img
    if img.shape[0] < 8 or img.shape[1] < 8:
        return None
    per = []
    C = img.shape[2]
    windows = _windows(img, max_pixels)
    masks = [None] * len(windows) if known is None else _windows(np.asarray(known, bool), max_pixels)  # alike
    sample = windows[0][:64, :64] if known is None else windows[0][masks[0]][:4096]
    sample = np.asarray(sample, dtype=np.float64) * 255
    quant = 1 / 12 / 255 ** 2 if np.allclose(sample, np.round(sample), atol=1e-3) else 0.0  # an 8-bit file
    # Small images: the blocks at all four offsets (1.78 times the information of one).
    offsets = ((0, 0), (0, 1), (1, 0), (1, 1)) if img.shape[0] * img.shape[1] * 4 <= max_pixels else ((0, 0),)
    overlap = 2.25 if len(offsets) == 4 else 1.0
    chans = [[] for _ in range(C)]
    for i, (w, k) in enumerate(zip(windows, masks)):
        yield "blocks"
        for c in range(C):
            chans[c] += [_blocks(w[dy:, dx:, c], WINDOW_TILES * i, None if k is None else k[dy:, dx:])
                         for dy, dx in offsets]
    # each map of all channels, one after the other (the pooled fit's), each channel's a view of it
    pooled = [np.concatenate(m) for m in zip(*(maps for ch in chans for maps in ch))]
    n = len(pooled[0]) // C
    chans = [[m[c * n:(c + 1) * n] for m in pooled] for c in range(C)]
    crosses = []
    for c, maps in enumerate(chans):
        # Colour: texture is shared by the channels, noise is not, so the mean product of a
        # block's diagonal details across channels measures the texture left in them.
        cross = None if C == 1 else sum(maps[1] * chans[o][1] for o in range(C) if o != c) / (C - 1)
        crosses.append(cross)
        per.append((yield from _fit_channel(*maps, bins=bins, quant=quant, overlap=overlap, cross=cross)))
    if C == 1:
        whole = per[0]
    else:
        whole = yield from _fit_channel(*pooled, bins=bins, quant=quant, overlap=overlap, cross=np.concatenate(crosses))
    if whole is None:
        return None
    signal_dependent = whole.a > SIGNIFICANCE * whole.a_se and whole.a > SIGNAL_RATIO * whole.b
    kind = "poisson-gaussian" if signal_dependent else "constant"
    channels = tuple(c if c is not None else whole for c in per)
    return NoiseFit(whole.a, whole.b, whole.a_se, whole.b_se, kind, channels)
