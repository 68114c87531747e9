"""The generalized Anscombe transform and its exact unbiased inverse (numpy only).

For Poisson-Gaussian noise, z = a p + g with p ~ Poisson(x / a) and g ~ N(0, b) (so
var(z | x) = a x + b, all in the image's [0, 1] units), the generalized Anscombe transform
    f(z) = (2 / a) sqrt(max(a z + 3/8 a^2 + b, 0))
makes the noise close to Gaussian with unit variance whatever x is (Murtagh, Starck and
Bijaoui 1995). A denoiser for constant Gaussian noise then estimates E[f(z) | x], not
f(x); inverting that with f's algebraic inverse biases the result (dark areas come out
too dark). The exact unbiased inverse (Makitalo and Foi 2011, 2013) inverts the map
x -> E[f(z) | x] itself, computed here on a grid of x by summing over the Poisson counts
and integrating the Gaussian with Gauss-Hermite quadrature; where the counts are large
(x / a > 1000) the Poisson is replaced by its normal approximation, which changes E[f]
by far less than the grid's interpolation error.

:class:`GeneralizedAnscombe` also maps f to [0, 1] over the image's range,
u = (f(z) - f(0)) / (f(1) - f(0)), so that the model sees an image of the usual range
with Gaussian noise of std ``sigma_u`` = 1 / (f(1) - f(0)).
"""

from __future__ import annotations

import math

import numpy as np

_GH_T, _GH_W = np.polynomial.hermite.hermgauss(40)
_GH_W = _GH_W / math.sqrt(math.pi)


def gat(z, a: float, b: float):
    """f(z) = (2 / a) sqrt(max(a z + 3/8 a^2 + b, 0)); for a = 0, z / sqrt(b)."""
    z = np.asarray(z, dtype=np.float64)
    if a <= 0:
        return z / math.sqrt(b)
    return (2.0 / a) * np.sqrt(np.maximum(a * z + 0.375 * a * a + b, 0.0))


def gat_algebraic_inverse(d, a: float, b: float):
    """The inverse of f itself (biased as an inverse of E[f(z) | x]; used above the grid)."""
    d = np.asarray(d, dtype=np.float64)
    if a <= 0:
        return d * math.sqrt(b)
    return ((a * d / 2.0) ** 2 - 0.375 * a * a - b) / a


_LOG_FACTORIAL = np.zeros(1)  # log(k!) for k = 0, 1, ...: grown on demand


def _log_factorial(lo: int, hi: int) -> np.ndarray:
    """log(k!) for k = lo..hi, each math.lgamma(k + 1) (exact to rounding), from a table kept between
    calls: scipy.special.gammaln gave the same numbers, but importing scipy.special for it cost 0.1-0.2 s
    of every --noise auto run's start (a tenth of a 256 x 256 photo's whole denoise)."""
    global _LOG_FACTORIAL
    if hi >= len(_LOG_FACTORIAL):
        _LOG_FACTORIAL = np.array([math.lgamma(j + 1.0) for j in range(max(hi + 1, 2 * len(_LOG_FACTORIAL)))])
    return _LOG_FACTORIAL[lo:hi + 1]


def expected_gat(x, a: float, b: float, poisson_limit: float = 1000.0):
    """E[f(z) | x] for z = a Poisson(x / a) + N(0, b), at each x >= 0.

    E[f(a k + g)] over the Gaussian g depends on the count k alone: one row per count, made once for
    every x (each the product it was when made per x: the same numbers, a fifth of the time)."""
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    out = np.empty_like(x)
    sb = math.sqrt(max(b, 0.0))
    lams = np.maximum(x, 0.0) / a
    counted = lams[lams <= poisson_limit]
    top = int((counted + 10 * np.sqrt(counted) + 12).max()) if counted.size else -1
    rows = gat(a * np.arange(top + 1, dtype=np.float64)[:, None] + math.sqrt(2) * sb * _GH_T[None, :], a, b) @ _GH_W
    for i, xi in enumerate(x):
        lam = max(xi, 0.0) / a
        if lam > poisson_limit:
            s = math.sqrt(a * xi + b)
            out[i] = float((gat(xi + math.sqrt(2) * s * _GH_T, a, b) * _GH_W).sum())
            continue
        lo = max(0, int(lam - 10 * math.sqrt(lam) - 10))
        hi = int(lam + 10 * math.sqrt(lam) + 12)
        k = np.arange(lo, hi + 1, dtype=np.float64)
        pmf = np.exp(k * math.log(lam) - lam - _log_factorial(lo, hi)) if lam > 0 else (k == 0).astype(np.float64)
        out[i] = float((pmf * rows[lo:hi + 1]).sum())
    return out


class GeneralizedAnscombe:
    """The transform for one noise law var = a x + b (a > 0), to [0, 1] and back.

    ``forward(z)`` -> u with Gaussian noise of std about ``sigma_u``; ``inverse(u_hat)`` -> the
    exact unbiased inverse of a denoised u (no clipping: a posterior mean below E[f | 0]
    maps to 0). ``std(x)``: the noise std at x, for reading clipped pixels as censored.
    """

    def __init__(self, a: float, b: float, grid: int = 400, top: float = 1.5):
        if not a > 0 or not b >= 0:
            raise ValueError("the generalized Anscombe transform needs a > 0 and b >= 0")
        self.a, self.b = float(a), float(b)
        self.f0, self.f1 = float(gat(0.0, a, b)), float(gat(1.0, a, b))
        self.sigma_u = 1.0 / (self.f1 - self.f0)
        # Denser near 0, where E[f | x] bends away from f.
        self._x = top * (np.linspace(0.0, 1.0, grid) ** 2)
        self._e = expected_gat(self._x, a, b)
        self._e = np.maximum.accumulate(self._e)  # monotone (it is; this guards rounding)

    def forward(self, z):
        return (gat(z, self.a, self.b) - self.f0) / (self.f1 - self.f0)

    def inverse(self, u):
        d = np.asarray(u, dtype=np.float64) * (self.f1 - self.f0) + self.f0
        x = np.interp(d, self._e, self._x, left=0.0, right=np.nan)
        above = d > self._e[-1]
        if above.any():
            # Past the grid E[f | x] = f(x) to within 1e-4 of x: the algebraic inverse, shifted to join.
            shift = self._x[-1] - float(gat_algebraic_inverse(self._e[-1], self.a, self.b))
            x = np.where(above, gat_algebraic_inverse(d, self.a, self.b) + shift, x)
        return x

    def std(self, x):
        return np.sqrt(np.maximum(self.a * np.asarray(x, dtype=np.float64) + self.b, 0.0))

    # The law of the noise in the file, and the std of noise to add in ``forward``'s space before
    # the model sees it (core/run/noise_law.py's ToldNoise: a law told stronger than the file's).
    file = property(lambda self: self)
    top_up = 0.0


class ConstantNoise:
    """The identity "transform" for constant Gaussian noise of std ``sigma``: the same
    interface as :class:`GeneralizedAnscombe`, so the denoiser runs one path for both."""

    def __init__(self, sigma: float):
        if not sigma > 0:
            raise ValueError("the noise level must be positive")
        self.sigma_u = float(sigma)

    def forward(self, z):
        return z

    def inverse(self, u):
        return u

    def std(self, x):
        return self.sigma_u

    file = property(lambda self: self)
    top_up = 0.0
