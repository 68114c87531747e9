"""From a denoising request to the noise law the denoiser runs under (numpy only).

A request's ``noise`` (core/run/requests.py): "constant" (std ``sigma``), "poisson-gaussian"
(var = ``noise_a`` x + ``noise_b``), "auto", or None ("constant" when ``sigma`` is given,
"auto" otherwise). "auto" fits var = a x + b to the image (:mod:`.noise_level`); where a
is not significantly above 0 the noise is taken as constant, with sigma left for the
single-sigma estimate the denoiser always used (core/run/jobs.py), so constant noise is
denoised exactly as before. "poisson-gaussian" runs the model on the generalized Anscombe
transform of the image and maps back with the exact unbiased inverse (:mod:`.anscombe`;
the choice against a per-pixel noise level is measured in docs/camera-noise.md).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from .anscombe import ConstantNoise, GeneralizedAnscombe
from .noise import NOT_FITTED, NOT_READ
from .noise_jpeg import jpeg_noise_sigma
from .noise_level import fit_noise_level_steps
from .settings import specs
from .steps import result

NOISES = ("auto", "constant", "poisson-gaussian")

#: A fitted shot-noise gain is told to the denoiser this many of its standard errors lower. Telling the
#: model more shot noise than the file holds costs more than telling it less (grey, true a, b: a +5 %
#: -0.034 dB on the test images and -0.020 on held-out photos, a -5 % +0.015 and -0.005), so with an
#: uncertain fit the lower side is the cheaper mistake. 0.3 was chosen on the held-out photos (two noise
#: seeds: 0.2 / 0.3 / 0.5 / 0.7 gave +0.004 / +0.004 / -0.001 / -0.014 dB); test grey +0.009 dB, colour
#: -0.003 (docs/camera-noise.md, "Grey: the fit's share"). The fit itself is recorded unchanged.
FIT_A_SHRINK = 0.3
#: ... but where the fitted b is within this many of its standard errors of 0 (the law's foot at black is not known:
#: the darkest bins scatter or are few), what the shrink takes off at the image's mean is given back to b: the told
#: law passes through the fitted variance at the mean, which is what the one-sigma estimate reads there at low noise
#: (core/run/noise.py), so auto is not told less noise at the mean than the one sigma. Issue 22's lowest level: colour
#: chelsea (b = 8.5e-6 +- 7.6e-5) 38.49 -> 38.56 dB against one sigma's 38.59 (was -0.10, the rule's -0.05 broken).
#: Held-out (benchmarks/auto_low_noise.py: 47 photos, grey and colour; seeds 1-2 too where b < 2 s.e.): of 16 such
#: fits 10 better, 5 worse (median +0.04 dB, mean -0.01: a fit of 9 times the true a lost 0.67), rows under one sigma
#: by more than 0.05 dB 3 -> 1.
#: Fits with b from 1 to 2 standard errors gained nothing (mean -0.00 over 32), so they keep the fitted b.
B_UNSURE = 1.0
#: In colour, where the told law's std moves over the image by less than this (:func:`std_spread`: the std over the
#: pixels of the law's std at each, 0-1 units), the law is told flattened about the image's mean (:func:`flattened`)
#: to that fraction of its slope (:func:`colour_keep`). The transform's tone curve, applied to each channel, changes
#: the channels' contrast against each other and against their surroundings (thin dark cables on a bright sky:
#: held-out lomiri16-Bridge lost 0.8 dB to one sigma with the full law at issue 22's lowest two levels, 0.4 at the
#: highest); what the transform gains is the noise equalised where its std varies, so where it varies little the
#: warp is what it costs. Chosen on held-out photos over issue 22's three levels (docs/camera-noise.md, session 18:
#: benchmarks/auto_low_noise.py --modes colour --paths flat75,flat50 at each level; 47, 47 and 45 colour photos told
#: a law), against session 17's keep 0.5 below noise.LOW_NOISE (10 / 255) at the mean and the full law above: rows
#: more than 0.05 dB under one sigma 3 -> 0, mean over one sigma +0.004 / +0.020 / +0.009 dB at the three levels
#: (2.25 / 255: 0 rows, -0.004 at the lowest; 1.75: 2 rows). Grey is told the law (the warp is a colour one).
COLOUR_SPREAD = 2.0 / 255
#: ... but at least this share of the slope (the least measured: Bridge at the lowest level -0.02 dB under one sigma).
COLOUR_KEEP_MIN = 0.25


def check_noise(req) -> None:
    """Refuse a bad noise model with one line (ValueError): what ties the noise settings. Each one's
    kind, range and choices are its declaration's (core/run/requests.py), checked before this."""
    noise = req.noise   # its choices, and a's and b's kind and range, are checked with the other settings
    a, b = req.noise_a, req.noise_b
    if noise == "poisson-gaussian":
        for name, v in (("a", a), ("b", b)):
            if v is None:
                span = specs(type(req))[f"noise_{name}"].range_text()
                raise ValueError(f"a Poisson-Gaussian noise model needs {name} from {span} (var = a x + b, "
                                 "[0, 1] image units)")
        if not float(a) + float(b) > 0:
            raise ValueError("a Poisson-Gaussian noise model needs a or b above 0")
        if req.sigma is not None:
            raise ValueError("sigma is a constant noise level: a Poisson-Gaussian model takes a and b")
    elif a is not None or b is not None:
        raise ValueError("the noise's a and b need the Poisson-Gaussian noise model")
    elif noise == "auto" and req.sigma is not None:
        raise ValueError("a given sigma is a constant noise level: choose the constant noise model")


def noise_model(req) -> str:
    """The noise model a denoising request asks for: its ``noise``, or when unset "constant" with a
    ``sigma`` and "auto" without (one rule for every front end)."""
    return req.noise or ("constant" if req.sigma is not None else "auto")


def resolve_noise(req, pixels):
    """``req`` with its noise model decided: None becomes "constant" or "auto", and "auto"
    becomes what the image's fit says, recorded in ``noise_fit`` ("constant" leaves sigma
    to the usual estimate; a signal-dependent fit's a is told ``FIT_A_SHRINK`` standard errors
    lower, and where its b is within ``B_UNSURE`` standard errors of 0, b higher by what that took off at the
    image's mean; in colour :func:`flattened` to :func:`colour_keep` of its slope). Returns (request, note for the user
    or None)."""
    return result(resolve_noise_steps(req, pixels))[:2]


def resolve_noise_steps(req, pixels, jpeg: bool | None = None):
    """:func:`resolve_noise` as a step generator (the fit's steps: core/run/noise_level.fit_noise_level_steps);
    returns (request, note, fit, jpeg_sigma): the fit made (None where the image is too small to fit),
    ``noise.NOT_FITTED`` where none was made, and the JPEG reading made (``jpeg_noise_sigma``'s, None included),
    ``noise.NOT_READ`` where none was, for the one-sigma estimate of a constant verdict (``estimate_noise_sigma``'s
    ``fit`` and ``jpeg_sigma``: neither is made twice). A JPEG's signal-dependent verdict becomes constant (with the
    fit's record, ``verdict`` saying why); ``jpeg`` False: the file is known to be no JPEG."""
    noise = noise_model(req)
    if noise != "auto":
        return (req if req.noise == noise else replace(req, noise=noise)), None, NOT_FITTED, NOT_READ
    fit = yield from fit_noise_level_steps(pixels)
    record = fit.record() if fit is not None else None
    if fit is None or fit.kind == "constant":
        return replace(req, noise="constant", noise_fit=record), None, fit, NOT_READ
    # A JPEG that core/run/noise_jpeg.py reads: the fit reads the fine detail the quantisation took away, so its law is
    # far below the noise; held-out photos (docs/camera-noise.md, "--noise auto on a JPEG"): constant noise at the
    # JPEG reading was better on every such fit, the surest (a 8-13 standard errors above 0) included.
    read = NOT_READ if jpeg is False else jpeg_noise_sigma(pixels)
    if read is not NOT_READ and read is not None:
        why = (f"constant: the file is a JPEG, whose quantisation took away the fine detail the fit reads (its "
               f"signal-dependent law, a = {fit.a:.3g} +- {fit.a_se:.2g}, is not used)")
        return (replace(req, noise="constant", noise_fit=dict(record, verdict=why)), f"estimated noise: {why}", fit,
                read)
    note = (f"estimated noise: poisson-gaussian, var = {fit.a:.3g} x + {fit.b:.3g} (std {fit.b ** 0.5 * 255:.1f} "
            f"at black, {(fit.a + fit.b) ** 0.5 * 255:.1f} at white, 0-255 units)")
    a, b = fit.a - FIT_A_SHRINK * fit.a_se, fit.b   # signal-dependent means a > 2 a_se: still well above 0
    mean = float(np.mean(pixels, dtype=np.float64))
    if b < B_UNSURE * fit.b_se:
        b += FIT_A_SHRINK * fit.a_se * mean
    if np.ndim(pixels) == 3 and np.shape(pixels)[2] == 3:
        a, b = flattened(a, b, mean, colour_keep(a, b, pixels))
    return (replace(req, noise="poisson-gaussian", noise_a=float(a), noise_b=float(b), noise_fit=record), note, fit,
            read)


def colour_keep(a: float, b: float, pixels) -> float:
    """The share of its slope the law var = a x + b keeps in a colour image (``COLOUR_SPREAD``): 1 where its std moves
    over the image by ``COLOUR_SPREAD`` or more, else in proportion, at least ``COLOUR_KEEP_MIN``."""
    spread = std_spread(a, b, pixels)
    return 1.0 if spread >= COLOUR_SPREAD else max(COLOUR_KEEP_MIN, spread / COLOUR_SPREAD)


def std_spread(a: float, b: float, pixels) -> float:
    """How far the std of the law var = a x + b moves over an image (0-1 units): the standard deviation, over its
    pixels, of the std at each pixel (the mean over its channels of sqrt(a x + b), x clipped to [0, 1]). Large
    images are read on a lattice of at most about 2^20 pixels."""
    h, w = np.shape(pixels)[:2]
    step = max(1, int((h * w / 2 ** 20) ** 0.5))
    x = np.clip(np.asarray(pixels)[::step, ::step], 0.0, 1.0).astype(np.float64)
    std = np.sqrt(np.maximum(a * x + b, 0.0))
    return float(np.std(std.mean(axis=-1) if std.ndim == 3 else std))


def flattened(a: float, b: float, mean: float, keep: float) -> tuple[float, float]:
    """The law var = a x + b flattened about the image's ``mean``: ``keep`` of its slope, the same variance at the
    mean (keep 1: the law itself; 0: constant noise of its std at the mean)."""
    return keep * a, b + (1.0 - keep) * a * mean


#: A shot-noise gain ``a`` at most this fraction of ``b`` is no shot noise: the law var = a x + b is then
#: b to within a millionth, and the Anscombe transform's f(1) - f(0), a difference of two numbers of
#: order sqrt(b) / a, rounds away (``--noise-a 1e-20 --noise-b 0.001`` divided by zero: exit 70).
NEGLIGIBLE_SHOT = 1e-6


@lru_cache(maxsize=8)
def _anscombe(a: float, b: float) -> GeneralizedAnscombe:
    return GeneralizedAnscombe(a, b)


class ToldNoise:
    """The file's noise law ``file`` told to the model ``scale`` (> 1) times stronger.

    Telling the model more noise than the image holds made the result worse, not smoother: the
    network starts at the step whose noise matches the told level and removes that much noise,
    which is not there (256 px astronaut, sigma 20: RMSE 6.4 at scale 1, 15.7 at 2, 27.2 at 3
    against 18.8 for the noisy input; docs/camera-noise.md). So the image's noise is topped up
    to the told level first: in ``forward``'s space the file's noise has std ``file.sigma_u``
    (constant, or stabilised by the Anscombe transform: there the top-up is per pixel,
    var = (scale^2 - 1)(a x + b)), and fresh noise of std ``top_up`` = sqrt(scale^2 - 1)
    ``file.sigma_u`` makes it ``sigma_u`` = scale ``file.sigma_u``. The model then gives the
    posterior mean under the told level: smoother as the scale grows. The top-up has mean 0, so
    ``inverse`` is the file law's (core/run/tasks.py adds it, fresh per view and draw);
    clipped pixels are read as censored under the file's law (``file.std``)."""

    def __init__(self, file, scale: float):
        if not scale > 1:
            raise ValueError("a told noise law is stronger than the file's (scale above 1)")
        self.file, self.scale = file, float(scale)
        self.sigma_u = self.scale * file.sigma_u
        self.top_up = (self.scale ** 2 - 1.0) ** 0.5 * file.sigma_u
        self.forward, self.inverse = file.forward, file.inverse

    def std(self, x):
        return self.scale * self.file.std(x)


def noise_law(req):
    """The law object (``forward``, ``inverse``, ``sigma_u``, ``std``, ``file``, ``top_up``) of a
    resolved request, its std scaled by ``noise_scale``: below 1 the model is told less noise
    than there is (it keeps grain); above 1 the image's noise is topped up to the told level
    (:class:`ToldNoise`)."""
    noise = noise_model(req)
    if noise == "auto":
        raise ValueError("resolve an automatic noise model against the image first (core/run/jobs.py)")
    k = float(getattr(req, "noise_scale", 1.0))
    if k > 1:
        return ToldNoise(noise_law(replace(req, noise=noise, noise_scale=1.0)), k)
    if noise == "poisson-gaussian":
        a, b = float(req.noise_a) * k * k, float(req.noise_b) * k * k
        if a <= NEGLIGIBLE_SHOT * b:  # var = b (1 + x a/b): constant to float32's precision
            return ConstantNoise(b ** 0.5)
        return _anscombe(a, b)
    return ConstantNoise(float(req.sigma) * k)
