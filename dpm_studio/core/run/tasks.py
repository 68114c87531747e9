"""Image-level tasks (inpaint, denoise, sample) as generators of step records.

This is the layer the GUI runner and the CLI share: images go in as float arrays in
[0, 1] of shape (H, W, C), the model works in its own unit-variance space (the card's
``data.scale``), and every record carries the current state and the model's x_0
estimate back in image space, ready to show. The last record (``done``) carries the
whole result: a single sample, or the mean of ``samples`` samples (the posterior mean).

Large images are worked on piece by piece (:mod:`.tiling`): inpainting on a crop around
each masked region, denoising in overlapping blended tiles. A record's ``box`` says which
part of the image its ``image``/``x0`` show; ``None`` means the whole image.

Channel mismatches are handled, not refused: a grey model restores each colour channel
of an RGB image as its own grey image; a colour model restores a grey image as RGB with
equal channels and returns their mean. For denoising, copying a noisy grey image into
three channels would give noise that is identical in R, G and B, which a colour model
never saw; :func:`grey_as_colour_noise` adds independent noise in the two colour-difference
directions so the noise becomes i.i.d. with std sqrt(3) s per channel (the luminance
direction keeps exactly its signal-to-noise ratio). A last alpha channel (grey + alpha,
RGBA) is kept aside and comes back unchanged; other channel counts are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch

from ..math.conditioning import Condition, Denoise, Inpaint, censored_mean
from .censoring import prefilled
from .grain import known_variance, with_grain
from .noise_law import noise_law
from .jobs import Job, Source, as_hwc, check_model, resolve
from .precision import MIN_BF16_SIDE, _Bf16Net, _channels_last, _with_precision  # noqa: F401 (named here before)
from ..machine.memory import check_run
from ..math.rng import make_generator
from .requests import CLIP_STEPS, InpaintRequest, _Request  # CLIP_STEPS: the default a card may change
from ..math.sampling import mmse_estimate, reverse_trajectory
from .tiling import TileBlender

TASKS = ("inpaint", "denoise", "sample")
#: Every task's respaced trajectory draws only the posterior's variance into t = 1
#: (core/math/sampling.reverse_trajectory's ``quiet_last_jump``; docs/inpaint-grain.md measures it per task):
#: without it a 19-step fill held 1.8x the fine grain of the photo's bokeh around it, a drawn sample's grain moves
#: towards the every-step trajectory's (20 steps: 8.51 -> 7.72 / 255, every step 2.94), a sampled denoising in
#: 5 steps gains 0.3-2.0 dB (benchmarks/last_jump_grain.py, which turns it off to measure it).
QUIET_LAST_JUMP = True
TOP_UP_SEED = 1_000_003  # added to a tile's seed for its top-up noise (a noise told stronger than the file's)
GREY_MMSE_DRAWS = 4  # the keyword form's grey draws; a DenoiseRequest's default is 1 (core/run/requests.py)
# The defaults the app and the command line run with, and the measurements behind them,
# are the requests' in core/run/requests.py; this dict is read from there (for the benchmarks).
INPAINT_DEFAULTS = {k: getattr(InpaintRequest(), k)
                    for k in ("mode", "start", "start_sigma", "steps", "jump_length", "jump_n_sample")}


@dataclass
class TaskStep:
    index: int
    total: int
    t: float
    image: np.ndarray        # the current state x_t, (h, w, C) in [0, 1]
    x0: np.ndarray | None    # the model's estimate of x_0, same layout
    done: bool = False
    box: tuple | None = None  # (top, left, bottom, right) of the image this shows; None = all
    samples: list | None = None  # the last record of a run with samples > 1: each draw (image is their mean)
    draws: list | None = None    # the other records of a run with samples > 1: each draw's x_t (image is the first's)
    draws_x0: list | None = None  # and each draw's x_0 estimate
    ess: float | None = None  # sequential Monte Carlo: the effective sample size of this step's particles


def _scale(card):
    sc = card["data"].get("scale", {"mean": 0.0, "std": 1.0})
    return float(sc.get("mean", 0.0)), float(sc.get("std", 1.0))


def _to_batch(img: np.ndarray, channels: int) -> tuple[torch.Tensor, str]:
    """(H, W, C) -> (B, channels, H, W) plus how to undo it."""
    c = img.shape[2]
    t = torch.from_numpy(np.ascontiguousarray(img, dtype=np.float32)).permute(2, 0, 1)[None]
    if c == channels:
        return t, "same"
    if channels == 1:
        return t.permute(1, 0, 2, 3), "split"     # each image channel a grey sample
    if c == 1 and channels == 3:
        return t.expand(1, 3, *t.shape[2:]).clone(), "mean"
    raise ValueError(f"this checkpoint takes {channels}-channel images and a {c}-channel image cannot be "
                     "converted (grey and RGB images, with or without alpha, can)")


def grey_as_colour_noise(y: torch.Tensor, sigma: float, generator: torch.Generator | None = None):
    """``y``: (B, 3, H, W) with equal channels, each the same grey observation x + sigma n.

    Returns (y', sigma') where y' = y + c, c independent Gaussian noise of std sigma' =
    sqrt(3) sigma projected onto the colour-difference plane (orthogonal to (1, 1, 1)).
    Along (1, 1, 1)/sqrt(3), y has noise of std sqrt(3) sigma; across it, c adds the same
    std; so y' is the grey image plus i.i.d. noise of std sigma' in every channel, which
    is what a colour model denoises. The mean of y' over channels is still y.
    """
    s = math.sqrt(3.0) * float(sigma)
    z = torch.randn(y.shape, generator=generator, dtype=torch.float32, device=y.device).to(y.dtype) * s
    return y + (z - z.mean(1, keepdim=True)), s


# The eight symmetries of the square, identity and horizontal flip first (the photos
# model was trained with horizontal flips, so the first two are fully in distribution).
DIHEDRAL = ((0, False), (0, True), (2, False), (2, True), (1, False), (1, True), (3, False), (3, True))


def ensemble_mmse(diffusion, net, y: torch.Tensor, sigma: float, n: int = 1,
                  first: torch.Tensor | None = None, top_up: torch.Tensor | None = None) -> torch.Tensor:
    """One-step MMSE estimates of ``y`` seen under ``n`` symmetries of the square, undone and averaged.

    Each view is an equally valid observation to the network, so averaging them removes
    part of the network's own error (measured on 256 x 256 test crops at sigma 25 with the
    photos model: +0.16 to +0.33 dB for n = 8; docs/benchmarks.md). ``first``: the first
    (identity) view's estimate where the caller has one already; only the other n - 1 run.
    ``top_up``: (n, *y.shape) noise the views add to ``y`` (view i sees y + top_up[i]; a noise
    told stronger than the file's, :func:`_top_up`), so the average also averages it out.
    """
    if not 1 <= n <= len(DIHEDRAL):
        raise ValueError(f"the ensemble size must be between 1 and {len(DIHEDRAL)}")
    acc = first
    for i, (rot, flip) in enumerate(DIHEDRAL[:n]):
        if i == 0 and first is not None:
            continue
        v = torch.rot90(y if top_up is None else y + top_up[i], rot, (2, 3))
        v = v.flip(3) if flip else v
        x = mmse_estimate(diffusion, net, v, sigma)
        x = x.flip(3) if flip else x
        x = torch.rot90(x, -rot, (2, 3))
        acc = x if acc is None else acc + x
    return acc / n


def _clip01(x) -> np.ndarray:
    return np.clip(np.asarray(x, dtype=np.float32), 0.0, 1.0)


def _from_batch(x: torch.Tensor, how: str) -> np.ndarray:
    if how == "split":
        x = x.permute(1, 0, 2, 3)
    elif how == "mean":
        x = x.mean(1, keepdim=True)
    return x[0].permute(1, 2, 0).cpu().numpy()


class _Piece:
    """One model run over an image piece: conversions in and out of model space."""

    def __init__(self, loaded, img: np.ndarray | None, samples: int, device, law=None):
        """``law``: a noise law (core/run/anscombe.py) whose ``forward`` maps ``img`` to the
        space the model denoises and whose ``inverse`` maps the model's images back."""
        self.d, self.net, card = loaded.diffusion, loaded.net, loaded.card
        self.law = law
        if law is not None and img is not None:
            img = np.asarray(law.forward(img), dtype=np.float32)
        self.channels = int(card["data"].get("channels", 1))
        self.mean, self.std = _scale(card)
        self.binary = self.d.family == "binomial"
        self.samples, self.device = samples, device
        if img is not None:
            x, self.how = _to_batch(img, self.channels)
            self.B = x.shape[0]
            y = (x > 0.5).float() if self.binary else (x - self.mean) / self.std
            self.y = y.repeat(samples, 1, 1, 1).to(device)
        else:
            self.how, self.B, self.y = "same", 1, None

    def to_image(self, x, average=False):
        if x is None:
            return None
        if average and self.samples > 1:
            x = x.reshape(self.samples, -1, *x.shape[1:]).float().mean(0)
        v = x[:self.B] if self.binary else x[:self.B] * self.std + self.mean
        out = _from_batch(v, self.how)
        return np.clip(out, 0.0, 1.0) if self.law is None else _clip01(self.law.inverse(out))

    def each(self, x):
        """Each of the ``samples`` draws in a batch as an image (None for a single draw)."""
        if x is None or self.samples <= 1:
            return None
        return [self.to_image(v) for v in x.reshape(self.samples, -1, *x.shape[1:])]

    def run(self, cond, shape, steps, seed, jump_length=0, jump_n_sample=1, variance="learned", smc=False):
        """Yield (record, preview image, x0 image); the last record's image is the result. ``smc``:
        the ``samples`` draws are weighted particles (one population per image in the batch); the last
        respaced jump is quiet (``QUIET_LAST_JUMP``)."""
        clip = None if self.binary else ((0.0 - self.mean) / self.std, (1.0 - self.mean) / self.std)
        for rec in reverse_trajectory(self.d, self.net, shape, condition=cond, steps=steps, seed=seed,
                                      device=self.device, jump_length=jump_length, jump_n_sample=jump_n_sample,
                                      clip_x0=clip, variance=variance, smc=smc, groups=self.B,
                                      quiet_last_jump=QUIET_LAST_JUMP):
            yield rec, self.to_image(rec.x, average=rec.done), self.to_image(rec.x0)


# The keyword form of run_task (a task name and its settings as keywords, the older form) runs a
# request (core/run/requests.py), whose defaults are the app's and the command line's and are
# written there only. Where this form always ran otherwise, its departures are listed per task, each
# one a value the request's default is not (tests/core/test_requests.py checks it): every step of
# an inpainting without resampling jumps, its known pixels exact, a mask's grey values as its soft edge, a sampled
# denoising trajectory of one view and four grey draws with clipped pixels taken as values, and
# fp32 arithmetic. What a departure implies follows the request's own rules (no jumps: one pass).
KEYWORD_FORM = {
    "inpaint": {"steps": None, "jump_length": 0, "soft_mask": True, "precision": "fp32", "grain": "none",
                "known_noise": "none"},
    "denoise": {"method": "sample", "ensemble": 1, "grey_draws": GREY_MMSE_DRAWS, "clipping": "ignore",
                "soft_mask": True, "precision": "fp32"},
    "sample": {"precision": "fp32"},
}


def _request_from_keywords(task, settings):
    from dataclasses import fields

    from .requests import REQUESTS

    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}")
    cls = REQUESTS[task]
    names = {f.name for f in fields(cls)} - {"noise_fit"}   # a fit is what a run records, not a setting
    keywords = {f.name for r in REQUESTS.values() for f in fields(r)} - {"noise_fit"}  # another task's: ignored
    unknown = sorted(set(settings) - keywords)
    if unknown:
        raise TypeError(f"run_task() got unexpected keyword arguments {', '.join(unknown)}")
    merged = {**KEYWORD_FORM[task], **settings}
    return cls(**{k: v for k, v in merged.items() if k in names})



#: The tasks whose bf16 passes run a frozen TorchScript trace per shape (core/run/frozen.py). Inpainting and
#: sampling run many passes of one shape, where the trace pays (issue 26's hole row, one thread: 1.359 ->
#: 1.236 s). Off from c1bab4a to the fix of its crash: a segmentation fault in the app while its run thread
#: traced. The trace's ~3,500 new objects set CPython's cyclic collector off in that thread, where it freed
#: earlier windows' Qt objects; the GUI thread's event loop then touched freed memory. The app now collects
#: only in the GUI thread while a worker thread runs (gui/collector.py; docs/speed.md).
FROZEN_TASKS: tuple = ("inpaint", "sample")

def run_task(loaded, task, image: np.ndarray | None = None, *, mask: np.ndarray | None = None,
             source: Source | None = None, **settings):
    """Run a job with a loaded checkpoint; yields :class:`TaskStep` records.

    ``task``: a :class:`~dpm_studio.core.run.jobs.Job` (what :func:`~dpm_studio.core.run.jobs.resolve`
    made), or an :class:`~dpm_studio.core.run.requests.InpaintRequest`, ``DenoiseRequest`` or
    ``SampleRequest`` (the settings, their defaults and their meaning are documented
    there) resolved here with ``image``, ``mask`` and ``source``, or a task name with the
    settings as keywords (the older form; it departs from a request's defaults where
    ``KEYWORD_FORM`` says). ``image``: (H, W) or (H, W, C) floats in [0, 1]. ``mask``:
    (H, W), nonzero = fill this pixel (the request says hard, soft or feathered).
    ``samples`` > 1 averages that many samples (the posterior mean); previews show the
    first, every other record's ``draws`` (and ``draws_x0``) holds each draw's own state,
    and the last record's ``samples`` each draw.
    """
    if isinstance(task, Job):
        if settings or image is not None or mask is not None:
            raise TypeError("a job carries its request, pixels and mask")
        job = task
        # A job resolved without the model takes its defaults now, recorded in the job (a record read
        # after the run says them; the app's, read before, resolves with the model).
        job.request = job.request.for_model(loaded)
    elif isinstance(task, _Request):
        if settings:
            raise TypeError("give the settings in the request, not as keywords")
        job = resolve(task, image, mask, source, loaded)
    else:
        job = resolve(_request_from_keywords(task, settings), image, mask, source, loaded)
    req = job.request.validate(loaded)
    check_model(loaded, job)  # a grey model is refused on a colour image to inpaint
    if job.unchanged:   # told no more noise than a clean file's: the image as it is, no network (jobs.UNCHANGED)
        yield from unchanged_steps(job)
        return
    check_run(loaded, job)  # refuse what will not fit, first
    loaded = _with_precision(loaded, req.precision, req.device, frozen=req.task in FROZEN_TASKS)
    if req.task == "sample":
        piece = _Piece(loaded, None, req.samples, req.device)
        shape = (req.samples, piece.channels, int(req.size[0]), int(req.size[1]))
        for rec, img, x0 in _finite(piece.run(Condition(), shape, req.steps, req.seed, variance=req.variance), req):
            yield TaskStep(rec.index, rec.total, rec.t, img, x0, rec.done,
                           samples=piece.each(rec.x) if rec.done else None,
                           draws=None if rec.done else piece.each(rec.x),
                           draws_x0=None if rec.done else piece.each(rec.x0))
        return
    gen = _finite(with_grain(_inpaint(loaded, job), job) if req.task == "inpaint" else _denoise_strips(loaded, job),
                  req)
    if job.region is not None:  # a region's crop, placed back into the whole image
        gen = job.region.place(gen)
    alpha = job.alpha
    if alpha is None:
        yield from gen
        return
    for rec in gen:
        a = alpha if rec.box is None else alpha[rec.box[0]:rec.box[2], rec.box[1]:rec.box[3]]
        rec.image = np.concatenate([rec.image, a], axis=2)
        if rec.x0 is not None:
            rec.x0 = np.concatenate([rec.x0, a], axis=2)
        for name in ("samples", "draws", "draws_x0"):
            if getattr(rec, name):
                setattr(rec, name, [np.concatenate([v, a], axis=2) for v in getattr(rec, name)])
        yield rec


def unchanged_steps(job: Job):
    """The run of a job whose image comes back as it is (``job.unchanged``, core/run/jobs.UNCHANGED): one step
    record, done, holding the whole image (its alpha after its colour, as a run's records hold it; each draw the
    same where it asked for several), so a front end's progress completes as for any run."""
    img = job.region.image if job.region is not None else job.image
    if job.alpha is not None:
        img = np.concatenate([img, job.alpha], axis=2)
    req = job.request
    n = int(getattr(req, "samples", 1) or 1) if getattr(req, "method", "") == "sample" else 1
    yield TaskStep(0, 1, 0.0, img, img, True, None, [img] * n if n > 1 else None)


class NonFiniteResult(ValueError):
    """A run whose result holds NaN or infinity: an error in every front end, never a saved image."""


def _finite(gen, req):
    """``gen``'s records, refusing a final one (``done``) whose image is not finite."""
    for item in gen:
        rec = item[0] if isinstance(item, tuple) else item
        image = item[1] if isinstance(item, tuple) else rec.image
        if rec.done and not np.isfinite(image).all():
            raise NonFiniteResult(f"the model produced NaN or infinite values for this {req.task} run: nothing was "
                                  "saved (with precision fp32 too, the checkpoint's weights or card are broken)")
        yield item


def smc_proposal(piece, smc: bool) -> str:
    """The per-step product a run's kernels use: with sequential Monte Carlo, a Gaussian model's
    proposal carries r to x_s ("noised"; where r^(1/2) per step let the weights collapse, ESS 1-3
    of 300 on strong soft evidence); bits keep r^(1/2) ("balanced"), since evidence carried to
    x_s ignores the data's prior and then never proposes the rarer bit (B(0.9) bits with d = 0.99:
    no zero in 16,000 where p r has 18; docs/conditioning.md)."""
    return "noised" if smc and not piece.binary else "balanced"


def _inpaint(loaded, job: Job):
    req, img, mask, boxes = job.request, job.image, job.mask, job.plan
    samples, device, seed = int(req.samples), req.device, req.seed
    result = img.copy()
    each = [img.copy() for _ in range(samples)] if samples > 1 else None  # every draw, composited alike
    offset, per_box = 0, None
    for k, (top, left, bottom, right) in enumerate(boxes):
        crop, m = img[top:bottom, left:right], mask[top:bottom, left:right]
        piece = _Piece(loaded, crop, samples, device)
        known = 1.0 - torch.from_numpy(m)[None, None].to(device)
        kv = known_variance(req.grain_law, crop) if req.known_noise == "law" else None  # noisy known pixels
        cond = Inpaint(piece.y, known.expand(piece.y.shape[0], 1, *m.shape).expand_as(piece.y), mode=req.mode,
                       start=req.start, start_sigma=req.start_sigma, product=smc_proposal(piece, req.smc),
                       known_var=None if kv is None else (_to_batch(kv, piece.channels)[0] / piece.std ** 2)
                       .repeat(samples, 1, 1, 1).to(device))
        for rec, prev, x0 in piece.run(cond, tuple(piece.y.shape), req.steps, None if seed is None else seed + k,
                                       req.jump_length, req.jump_n_sample, req.variance, req.smc):
            per_box = rec.total
            total = per_box * len(boxes)
            if rec.done:
                # Fill only the masked pixels; known pixels come back exactly as they went in.
                w = m[:, :, None]
                region = result[top:bottom, left:right]
                result[top:bottom, left:right] = np.where(w > 0, w * prev + (1 - w) * crop, region)
                for out, v in zip(each or (), piece.each(rec.x) or ()):
                    out[top:bottom, left:right] = np.where(w > 0, w * v + (1 - w) * crop, out[top:bottom, left:right])
                if k == len(boxes) - 1:
                    yield TaskStep(offset + rec.index, total, rec.t, result, None, True, None, each, ess=rec.ess)
                    return
            else:
                yield TaskStep(offset + rec.index, total, rec.t, prev, x0, False, (top, left, bottom, right),
                               draws=piece.each(rec.x), draws_x0=piece.each(rec.x0), ess=rec.ess)
        offset += per_box


def tile_batches(boxes, size: int) -> list[list[int]]:
    """Indices of ``boxes`` in runs of consecutive tiles of one shape, at most ``size`` per run."""
    groups: list[list[int]] = []
    shape = lambda b: (b[2] - b[0], b[3] - b[1])  # noqa: E731
    for k, box in enumerate(boxes):
        if groups and len(groups[-1]) < size and shape(boxes[groups[-1][0]]) == shape(box):
            groups[-1].append(k)
        else:
            groups.append([k])
    return groups


def _mmse_input(piece, seed, grey_draws):
    """The network input for one-step denoising of ``piece``, and its noise std in model units
    (the file's: :func:`_top_up` adds what a stronger told noise asks for).

    A grey image on a colour model gets its noise made i.i.d. across channels, in
    ``grey_draws`` draws of the added colour noise whose estimates :func:`_mmse_output`
    averages."""
    s = float(piece.law.file.sigma_u) / piece.std
    if piece.how != "mean":
        return piece.y[:piece.B], s
    gen = make_generator(piece.y.device, 0 if seed is None else seed)
    return grey_as_colour_noise(piece.y[:1].repeat(grey_draws, 1, 1, 1), s, gen)


def _top_up(law, y: torch.Tensor, s: float, seed, draws: int = 1):
    """Noise that tops ``y``'s (std ``s``, model units) up to the level ``law`` tells the model,
    (draws, *y.shape), fresh for each draw (an ensemble's views, a trajectory's samples), and
    that told level; (None, s) where the law is the file's own (nothing added: today's run, bit
    for bit). Seeded from the tile's ``seed`` (None: 0, as the grey draws), apart from the draws
    of grey noise and of the trajectory made from the same seed."""
    if not law.top_up > 0:
        return None, s
    k = law.scale  # a ToldNoise: the only law with a top-up
    gen = make_generator(y.device, TOP_UP_SEED + (0 if seed is None else int(seed)))
    z = torch.randn((draws, *y.shape), generator=gen, dtype=torch.float32, device=y.device).to(y.dtype)
    return z * (s * math.sqrt(k * k - 1.0)), s * k


def _mmse_output(piece, x0) -> np.ndarray:
    return piece.to_image(x0.mean(0, keepdim=True) if piece.how == "mean" else x0)


def _uncensor(loaded, crop: np.ndarray, law, levels: int | None, seed, device, grey_draws,
              steps: int = CLIP_STEPS) -> np.ndarray:
    """``crop`` with its clipped pixels replaced by the expected values they stand for
    (:func:`censored_mean`): ``steps`` expectation steps for a file clipped at 0 and 1,
    each under the one-view estimate from the previous one, with the noise std ``law``
    gives at that estimate (signal-dependent noise: sqrt(a x + b)). Unchanged when
    nothing is clipped or ``levels`` is None."""
    return _uncensor_estimate(loaded, crop, law, levels, seed, device, grey_draws, steps)[0]


def _uncensor_estimate(loaded, crop, law, levels, seed, device, grey_draws, steps: int = CLIP_STEPS):
    """:func:`_uncensor`, and its last one-view estimate in model units (None when nothing was
    clipped). The one-step posterior mean takes that estimate as its identity view: it was made
    from the previous expectation step's pixels, which differ from the final ones only where
    clipped, by that step's refinement. One pass of 8 fewer per clipped tile (the 6-view default:
    -12 % of the work); on benchmarks/restoration.py's 15 denoising rows -0.006 dB on average,
    at worst -0.037 (coffee, sigma 50), -0.009 at sigma 25 (docs/speed.md). With one view it is
    the second view, away from the clipped pixels (:func:`_one_view_with_censoring`)."""
    if levels is None or not _clipped(crop).any():
        return crop, None
    y_file, x0 = torch.from_numpy(crop), None
    floor = 0.5 / levels  # a std of 0 (b = 0 at x = 0) would make the truncated mean 0 / 0
    y_now = prefilled(y_file, law, levels, floor)
    for _ in range(steps):
        piece = _Piece(loaded, y_now, 1, device, law)
        y, s = _mmse_input(piece, seed, grey_draws)
        x0 = ensemble_mmse(loaded.diffusion, loaded.net, y, s, 1)
        x_hat = _mmse_output(piece, x0)
        std = torch.as_tensor(np.maximum(law.std(x_hat), floor), dtype=torch.float64)
        y_now = censored_mean(y_file, torch.from_numpy(x_hat), std, levels).numpy()
    return y_now, x0


def _clipped(crop: np.ndarray) -> np.ndarray:
    """Where a pixel of the file (H, W, C in [0, 1]) is stored at 0 or 1 in any channel: (H, W) bool."""
    return ((crop == 0) | (crop == 1)).any(2)


#: Pixels within this many of a clipped one take a one-view run's final estimate alone (below): 0, the clipped
#: pixels themselves, since the censoring pass sees them pre-filled (3 before; docs/camera-noise.md).
CENSOR_REACH = 0
#: A grey image on the colour model, one view after a censoring pass: the final pass sees the tile
#: turned by 180 degrees with a fresh draw of the colour-difference noise (this added to the tile's
#: seed), not mirrored with the censoring pass's draw, so the two estimates' errors are less alike.
GREY_SECOND_DRAW = 7_919


def _second_view(y, grey: bool, seed, s: float):
    """The final pass's input for a tile whose censoring pass gave the first view, and how to undo
    it: mirrored (colour), or turned by 180 degrees with fresh colour-difference noise (grey on the
    colour model: ``y``'s channel mean is the grey observation, the added noise having mean 0)."""
    if not grey:
        return y.flip(3), lambda x: x.flip(3)
    m = y.mean(1, keepdim=True).expand_as(y).contiguous()
    gen = make_generator(y.device, GREY_SECOND_DRAW + (0 if seed is None else int(seed)))
    return torch.rot90(grey_as_colour_noise(m, s / math.sqrt(3.0), gen)[0], 2, (2, 3)), \
        lambda x: torch.rot90(x, -2, (2, 3))


def _one_view_with_censoring(loaded, ys, firsts, crops, s, greys=None, seeds=None) -> torch.Tensor:
    """One view of each tile (``ys``, batched), for tiles whose censoring left an estimate (``firsts``)
    a second view (:func:`_second_view`; ``greys``: which tiles are grey on the colour model, ``seeds``
    their seeds), averaged with that estimate except within ``CENSOR_REACH`` px of a clipped pixel
    of the file (``crops``), where the censoring's estimate saw the clipped values and the final one
    alone is kept: a second view at no extra network pass. On 256 x 256 8-bit files with
    var = a x + b (photos-rgb-v2's 1 view after 1 censoring step): +0.02 dB on the five test images in
    grey, +0.03 in colour, +0.03 on 12 held-out wallpaper photos in grey; the grey view turned with a
    fresh draw rather than mirrored with the same: +0.006 / +0.015 more; the clipped pixels pre-filled
    (:func:`.censoring.prefilled`) and the reach 0: +0.008 grey, +0.030 colour, +0.010 held-out (docs/camera-noise.md)."""
    views = [_second_view(y, g, sd, s) if f is not None else (y, None)
             for y, f, g, sd in zip(ys, firsts, greys or [False] * len(ys), seeds or [None] * len(ys))]
    x = mmse_estimate(loaded.diffusion, loaded.net, torch.cat([v for v, _ in views]), s)
    out = []
    for xk, f, (_, undo), crop in zip(torch.split(x, [y.shape[0] for y in ys]), firsts, views, crops):
        if f is None:
            out.append(xk)
            continue
        clipped = torch.from_numpy(np.ascontiguousarray(_clipped(crop), dtype=np.float32))
        near = torch.nn.functional.max_pool2d(clipped[None, None], 2 * CENSOR_REACH + 1, 1, CENSOR_REACH) > 0
        w = torch.where(near, 1.0, 0.5).to(xk)
        out.append(w * undo(xk) + (1 - w) * f)
    return torch.cat(out)


def _denoise_mmse(loaded, job: Job, blender):
    """The one-step posterior mean, ``tile_batch`` equal-sized tiles per network call."""
    req, img, boxes, levels = job.request, job.image, job.plan, job.levels
    law, seed, device, grey_draws = noise_law(req), req.seed, req.device, req.grey_draws
    views = int(req.ensemble)
    for group in tile_batches(boxes, int(req.tile_batch)):
        parts, ys, firsts, tops, s, greys, seeds = [], [], [], [], None, [], []
        for k in group:
            top, left, bottom, right = boxes[k]
            tile_seed = None if seed is None else seed + k
            # Clipped pixels are read under the file's noise; a stronger told noise is added after.
            crop, first = _uncensor_estimate(loaded, img[top:bottom, left:right], law.file, levels, tile_seed,
                                             device, grey_draws, int(req.clip_steps))
            piece = _Piece(loaded, crop, 1, device, law)
            y, s_file = _mmse_input(piece, tile_seed, grey_draws)
            z, s = _top_up(law, y, s_file, tile_seed, views)
            parts.append((k, piece, y.shape[0]))
            ys.append(y)
            firsts.append(first if z is None else None)  # a topped-up identity view is made anew
            tops.append(z)
            greys.append(piece.how == "mean")
            seeds.append(tile_seed)
        first = None
        if views > 1 and any(f is not None for f in firsts):
            # The identity view: the censoring's last estimate, or made now for a tile without clipping.
            first = torch.cat([f if f is not None else ensemble_mmse(loaded.diffusion, loaded.net, yk, s, 1)
                               for f, yk in zip(firsts, ys)])
        z = None if tops[0] is None else torch.cat(tops, dim=1)
        if views == 1 and any(f is not None for f in firsts):
            x0_all = _one_view_with_censoring(loaded, ys, firsts, [img[boxes[k][0]:boxes[k][2], boxes[k][1]:boxes[k][3]]
                                                                  for k in group], s, greys, seeds)
        else:
            x0_all = ensemble_mmse(loaded.diffusion, loaded.net, torch.cat(ys), s, views, first, z)
        for (k, piece, n), x0 in zip(parts, torch.split(x0_all, [p[2] for p in parts])):
            out = _mmse_output(piece, x0)
            blender.add(boxes[k], out)
            last = k == len(boxes) - 1
            yield TaskStep(k, len(boxes), 0.0, blender.result() if last else out, out, last,
                           None if last else boxes[k])


def _denoise_strips(loaded, job: Job):
    """:func:`_denoise`; a thin image's through its packed block (core/run/tiling.py's Strips)."""
    if job.strips is None:
        return _denoise(loaded, job)
    block = job.strips.pack(job.image)
    return job.strips.place(_denoise(loaded, replace(job, image=block)), block)


def _denoise(loaded, job: Job):
    """The noise law (core/run/noise_law.py): constant, or var = a x + b through the generalized
    Anscombe transform; the model denoises in its space at ``law.sigma_u``."""
    req, img, boxes, levels = job.request, job.image, job.plan, job.levels
    law, seed, samples, device = noise_law(req), req.seed, int(req.samples), req.device
    H, W = img.shape[:2]
    blender = TileBlender(H, W, img.shape[2], req.overlap)
    each = [TileBlender(H, W, img.shape[2], req.overlap) for _ in range(samples)] \
        if samples > 1 and req.method == "sample" else []  # every draw, blended alike
    if req.method == "mmse":
        yield from _denoise_mmse(loaded, job, blender)
        return
    offset = 0
    for k, box in enumerate(boxes):
        top, left, bottom, right = box
        tile_seed = None if seed is None else seed + k
        crop = _uncensor(loaded, img[top:bottom, left:right], law.file, levels, tile_seed, device, req.grey_draws,
                         int(req.clip_steps))
        piece = _Piece(loaded, crop, samples, device, law)
        s = float(law.file.sigma_u) / piece.std
        # With sequential Monte Carlo every particle of an image must see the same y.
        y = piece.y[:piece.B] if req.smc else piece.y
        if piece.how == "mean":
            # A grey image on a colour model: make its noise i.i.d. across channels.
            gen = make_generator(piece.y.device, 0 if seed is None else seed + k)
            y, s = grey_as_colour_noise(y, s, gen)
        z, s = _top_up(law, y, s, tile_seed)  # a noise told stronger than the file's: fresh per draw
        y = y if z is None else y + z[0]
        piece.y = y.repeat(samples, 1, 1, 1) if req.smc else y
        cond = Denoise(piece.y, s, product=smc_proposal(piece, req.smc))
        for rec, prev, x0 in piece.run(cond, tuple(piece.y.shape), req.steps, None if seed is None else seed + k,
                                       variance=req.variance, smc=req.smc):
            total = rec.total * len(boxes)
            if rec.done:
                blender.add(box, prev)
                for b, v in zip(each, piece.each(rec.x) or ()):
                    b.add(box, v)
                if k == len(boxes) - 1:
                    yield TaskStep(offset + rec.index, total, rec.t, blender.result(), None, True, None,
                                   [b.result() for b in each] or None, ess=rec.ess)
                    return
            else:
                yield TaskStep(offset + rec.index, total, rec.t, prev, x0, False, box,
                               draws=piece.each(rec.x), draws_x0=piece.each(rec.x0), ess=rec.ess)
        offset += rec.total
