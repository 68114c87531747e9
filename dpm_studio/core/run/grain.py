"""The grain of an inpainting's fill: the photo's own noise given to the pixels the model made (numpy only).

The model fills a hole with its estimate of the clean picture, so in a noisy photo (a scan, a
high-ISO shot) the fill is a smooth patch among grainy surroundings. With ``grain="match"``
(core/run/requests.py's InpaintRequest) the job resolver measures the noise law of the known
pixels with the one fit the denoiser uses (:func:`~.noise_level.fit_noise_level`, var = a x + b
per channel, censored at clipping, restricted to the known pixels) and records it in the request
(``grain_law``); the run then gives each filled pixel noise of that law at its own intensity,
clipped to [0, 1] and rounded to the file's steps, as the camera's pixels are. The noise is drawn
from the request's seed, so a replayed record (which carries the law) makes the same pixels.

Why added noise and not the trajectory stopped where its noise matches the photo's (the paper's
x_t at that step is the fill plus Gaussian noise of one std in the model's space): that noise is
the same at every intensity and in every channel, while a camera's grows with the light (the
test photos' var = 0.004 x + 0.0004 is twice as strong in the highlights as in the shadows), and
x_t is also the fill shrunk by sqrt(alpha-bar_t). Noise of the fitted law at the fill's own
intensity is what the surroundings carry; the fill itself is the trajectory's finished x_0.

A law the fit cannot tell from zero, or under one 8-bit step (std 1/255) at the known pixels'
mean intensity, adds nothing (kind "none"): a clean photo's fit finds 0.4-1.1 / 255 of texture
and rounding, which added to a fill would change it by about its own size and show nothing.
"""

from __future__ import annotations

import numpy as np

from .noise_level import fit_noise_level_steps
from .steps import result

GRAINS = ("match", "none")
KNOWN_NOISES = ("none", "law")  # InpaintRequest.known_noise: the known pixels exact, or noisy by the fitted law
FLOOR = 1.0 / 255      # the least noise std, at the known pixels' mean intensity, worth adding
SIGNIFICANCE = 2.0     # ... and the variance there at least this many standard errors above 0
GRAIN_SEED = 7_000_003  # added to the request's seed: the grain's draws apart from the trajectory's
# The fit reads at most a quarter megapixel (a grid of 256 x 256 windows over a larger image), as the app's
# noise curve does: a 12 MP photo's fit at the denoiser's megapixel took 3.4 s (load 9), at Run, before
# anything showed; the law it gives is within the fit's error bars of the full one's.
FIT_PIXELS = 512 * 512

__all__ = ["GRAINS", "KNOWN_NOISES", "grain_law", "add_grain", "grain_std", "check_grain_law", "with_grain",
           "known_variance"]


def _round(v: float) -> float:
    return float(f"{v:.4g}")


def grain_law(image: np.ndarray, known: np.ndarray) -> dict:
    """The noise law of ``image``'s ``known`` pixels ((H, W, C) in [0, 1], (H, W) bool), as the record
    carries it: ``{"kind": "poisson-gaussian" | "constant" | "none", "channels": [{"a", "b"}, ...]}``
    (var = a x + b per channel, [0, 1] units; "constant" has a = 0; "none" adds nothing)."""
    return result(grain_law_steps(image, known))


def grain_law_steps(image: np.ndarray, known: np.ndarray):
    """:func:`grain_law` as a step generator (the fit's steps: core/run/noise_level.fit_noise_level_steps)."""
    img = np.asarray(image)
    img = img[:, :, None] if img.ndim == 2 else img
    known = np.asarray(known, bool)
    none = {"kind": "none", "channels": []}
    # Nothing to measure on (a whole mask: its own note says so) or too little smooth surroundings (a
    # small or flat picture): no grain, said by the record's kind, not by a note on every such run (a
    # 16 x 16 grey square's note came before the refusal of a toy model: two lines where one was due).
    fit = (yield from fit_noise_level_steps(img, known=known, max_pixels=FIT_PIXELS)) if known.any() else None
    if fit is None:
        return none
    step = max(1, int(np.sqrt(known.size / FIT_PIXELS)))   # the mean intensity on a grid, as the fit reads
    means = [float(img[::step, ::step, c][known[::step, ::step]].mean()) if known[::step, ::step].any()
             else float(img[:, :, c][known].mean()) for c in range(img.shape[2])]
    # The variance at the known pixels' mean intensity, pooled over the channels, and its standard error.
    xbar = float(np.mean(means))
    var = fit.a * xbar + fit.b
    se = float(np.hypot(xbar * fit.a_se, fit.b_se))
    if not (var >= FLOOR ** 2 and var > SIGNIFICANCE * se):
        return none
    if fit.kind == "constant":  # one std per channel: its variance at that channel's mean intensity
        chans = [{"a": 0.0, "b": _round(max(c.a * m + c.b, 0.0))} for c, m in zip(fit.channels, means)]
    else:
        chans = [{"a": _round(c.a), "b": _round(c.b)} for c in fit.channels]
    return {"kind": fit.kind, "channels": chans}


def check_grain_law(law) -> None:
    """Refuse a malformed recorded law with one line (ValueError); None (not resolved yet) passes."""
    if law is None:
        return
    kinds = ("none", "constant", "poisson-gaussian")
    chans = law.get("channels") if isinstance(law, dict) else None
    if not isinstance(chans, list) or law.get("kind") not in kinds or not all(
            isinstance(c, dict) and all(isinstance(c.get(k), (int, float)) and not isinstance(c.get(k), bool)
                                        and np.isfinite(c.get(k)) for k in "ab") for c in chans):
        raise ValueError("the grain's noise law must be {'kind': one of " + ", ".join(kinds) + ", 'channels': "
                         "[{'a': number, 'b': number} per channel]}")


def grain_std(law: dict, x: np.ndarray) -> np.ndarray:
    """The law's noise std at intensities ``x`` (..., C), per channel."""
    chans = law.get("channels") or []
    if len(chans) != x.shape[-1]:
        raise ValueError(f"the grain's noise law has {len(chans)} channels and the image {x.shape[-1]}")
    a = np.array([float(c["a"]) for c in chans])
    b = np.array([float(c["b"]) for c in chans])
    return np.sqrt(np.maximum(a * x + b, 0.0))


def known_variance(law: dict | None, image: np.ndarray) -> np.ndarray | None:
    """The noise variance ([0, 1] units squared) of each pixel of ``image`` ((H, W, C) in [0, 1]) under
    ``law``, at its own (noisy) intensity, whose mean over the noise is a x + b for var = a x + b: what
    ``known_noise="law"`` tells the inpainting's known pixels. None for no law or one of kind "none"."""
    if not law or law.get("kind") == "none":
        return None
    x = np.clip(np.asarray(image, np.float32), 0.0, 1.0)
    return grain_std(law, x).astype(np.float32) ** 2


def add_grain(images: list, mask: np.ndarray, law: dict | None, seed: int | None, levels: int) -> list:
    """``images`` ((H, W, C) in [0, 1]: a result and its draws) with grain of ``law`` in the masked
    pixels: the pixel at mask weight w gains sqrt(1 - (1 - w)^2) std(x) n, n one standard normal per pixel and channel
    drawn from ``seed`` (the same n for every image, so each draw and their mean carry one grain),
    then is clipped to [0, 1] and rounded to ``levels`` steps. Known pixels (w = 0) come back as
    they went in. ``law`` None or of kind "none": the images unchanged."""
    if not law or law.get("kind") == "none":
        return images
    where = np.asarray(mask) > 0
    w = np.asarray(mask, np.float32)[where][:, None]
    # Under a soft or feathered edge the photo's own noise passes into the result with weight (1 - w) at
    # most, so the grain's weight is sqrt(1 - (1 - w)^2): the two variances sum to the law's (w alone left
    # the edge's noise at w^2 + (1 - w)^2 of it, half at w = 0.5; docs/inpaint-grain.md).
    w = np.sqrt(w * (2.0 - w))
    rng = np.random.default_rng(None if seed is None else GRAIN_SEED + int(seed))
    n = rng.standard_normal((int(where.sum()), images[0].shape[2]), dtype=np.float32)
    out = []
    for img in images:
        x = img[where]
        v = np.clip(x + w * n * grain_std(law, x).astype(np.float32), 0.0, 1.0)
        g = img.copy()
        g[where] = np.round(v * levels) / levels if levels <= 65535 else v  # a float file: no steps
        out.append(g)
    return out


def with_grain(gen, job):
    """The inpainting records of ``gen`` with the last one's result (and each draw) given the grain of
    ``job.request.grain_law``; the other records (previews of the trajectory) pass unchanged."""
    req = job.request
    law = req.grain_law if req.grain == "match" else None
    for rec in gen:
        if rec.done and law and law.get("kind") != "none":
            imgs = add_grain([rec.image, *(rec.samples or [])], job.mask, law, req.seed, job.source.levels)
            rec.image = imgs[0]
            rec.samples = imgs[1:] or rec.samples
        yield rec
