"""The job resolver: a run request plus its raw inputs become one job, by one set of rules.

The command line, the API and the app each hand :func:`resolve` what the user gave: the
request (:mod:`.requests`), the pixels, the mask, and what is known of the source file
(:class:`Source`: its bit depth and value range). What comes back, a :class:`Job`, is all
a run needs, decided once for every front end:

- the noise model (:func:`~.noise_law.resolve_noise`): without ``sigma`` or with
  ``noise="auto"``, var = a x + b fitted to the image, constant where a is not significant;
- the noise level when a constant model leaves it unset (``sigma`` None): measured by
  :func:`~.noise.estimate_noise_sigma` on the colour channels of the whole image (a grid
  over all of it beyond 2048 x 2048 blocks' worth), the one region every front end uses;
- the quantisation levels for censored clipping from the source's bit depth (255 for an
  8-bit file, 65535 for 16-bit, 2^32 - 1 for floats), unless the request names them;
- an inpainting's grain (``grain="match"``): the noise law of the known pixels
  (:func:`~.grain.grain_law`), recorded in the request for the run to give the fill;
- the mask a run fills (:func:`~.masks.prepare_mask`: hard, or soft with ``soft_mask``,
  then feathered by ``feather`` px), and the verdicts on it: empty is refused, whole or
  nearly whole gets a note, a photograph's histogram (:func:`~.masks.check_mask`) is refused
  for a hard mask and noted for a soft one;
- a region denoise (:mod:`.regions`): the request's rectangle or a mask given with a denoise
  (read by the inpainting mask's rules and verdicts: hard or soft, feathered, empty or a
  photograph refused) limits the run to the crop around it, with the whole image's noise,
  blended back through its weights (``Job.region``);
- the tiles per network call (1 on a CPU, 8 on a GPU) unless the request names them, and the
  network's arithmetic for ``precision="auto"`` (bf16 on a CPU with native bf16, else fp32);
- with the model: the settings whose default is the checkpoint's card's (a denoise's views and
  censoring steps; a job resolved without it gets them when it runs);
- the plan: the pieces the core works on one after the other (a crop around each masked
  region, the denoising tiles, or the one sample), which the memory check, the progress
  and the loop all read.

The resolved request (sigma, levels and tile batch filled in) is what the saved record
carries, so a file says what was actually run.

Measuring a large photo takes time (a 12 MP photo's noise fit about 1 s, its grain's and mask's
0.4-0.8 s): :func:`resolve_steps` is the same resolver as a generator, yielding a :class:`Measuring`
record before each long measurement and returning the job, so a front end can do it off its
window's thread and stop between two measurements (the app: gui/model/frames.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..machine.devices import native_bf16
from .grain import grain_law_steps
from .masks import check_mask, mask_digest, prepare_mask
from .noise import NO_NOISE, estimate_noise_sigma
from .noise_law import noise_model, resolve_noise_steps
from .regions import MARGIN, ONE_TILE, Region, region_box, region_weights
from .requests import _Request
from .steps import relabel, result
from .tiling import Strips, inpaint_boxes, tile_boxes

__all__ = ["Job", "Source", "Measuring", "resolve", "resolve_steps", "as_hwc", "default_tile_batch", "check_model",
           "colour_noise", "model_refusal", "has_colour", "estimate_words", "stamped",
           "kept_result", "result_record"]

Box = tuple  # (top, left, bottom, right), half-open pixels
NEARLY_WHOLE = 0.95  # a mask over more than this fraction of the image gets a note
#: Why a denoise gives the file back without running the network (tasks.unchanged_steps): it is told no more
#: constant noise than NO_NOISE, the level a file with no measurable noise gets. Told that, the network left 44 of
#: 48 8-bit held-out crops as they were and moved 9-33 of 196,608 samples by one step in the other 4 (a clipped
#: edge; a file read at 0.14 / 255), and moved a clean 16-bit file away from its truth (RMSE 0.001 -> 0.009-0.017
#: / 255): never noise taken out. The file itself is what the note promises, to the bit, without a 1 MP file's
#: network pass (python benchmarks/no_noise.py; docs/one-way.md).
UNCHANGED = "the image comes back as it is"


#: The decoder's names (Pillow's ``Image.format``) of files that hold a JPEG's 8 x 8 blocks.
JPEG_FORMATS = ("JPEG", "MPO")


@dataclass(frozen=True)
class Source:
    """What is known of where the pixels came from. ``bit_depth``: 8, 16 or 32 (floats);
    ``value_scale``/``value_offset``: a float file's values are ``pixels * value_scale +
    value_offset`` (kept for the saved result; the run itself works in [0, 1]). ``jpeg``: True for a JPEG file; None
    where its pixels may still hold a JPEG's grid (an array's; a PNG or TIFF's too: a JPEG saved again as PNG is one,
    and the API given its pixels looks); False, a caller that knows they never were a JPEG, spares the noise estimate
    its search for the grid (0.04 s CPU of 12 MP)."""

    bit_depth: int = 8
    value_scale: float = 1.0
    value_offset: float = 0.0
    jpeg: bool | None = None

    @classmethod
    def of(cls, data) -> "Source":
        """The source of a decoded file (:class:`~.decode.ImageData`); the 8-bit default for None. A file the decoder
        names no JPEG is not known never to have been one (``jpeg`` None, as an array's): told False, the command
        line and the app read a JPEG saved again as PNG without its grid (1.5-2.5 / 255 where the API, given the same
        pixels, read 7.5-16), and the three made different pixels of one request (scripts/one_way_table.py --measure
        --kind jpeg-png; held-out, benchmarks/png_of_jpeg.py: the grid's reading +2.8 dB on average)."""
        if data is None:
            return cls()
        fmt = getattr(data, "file_format", None)
        return cls(int(data.bit_depth), float(getattr(data, "value_scale", 1.0)),
                   float(getattr(data, "value_offset", 0.0)), True if fmt in JPEG_FORMATS else None)

    @classmethod
    def of_dtype(cls, dtype) -> "Source":
        """The source of an array: uint8 8-bit, uint16 16-bit, floats 32."""
        dtype = np.dtype(dtype)
        return cls(8 * dtype.itemsize if dtype.kind == "u" else 32)

    @property
    def levels(self) -> int:
        """Quantisation steps of the file between 0 and its top value."""
        return 2 ** int(self.bit_depth) - 1

    def held(self, unit: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``unit`` (float [0, 1] pixels) as a file of this source holds them: saved at its depth and value
        range and read back (8 and 16 bits rounded to their steps; floats as float32). The app keeps an
        accepted result so, so that the next run reads what the command line reads from the saved result.
        ``out``: a float32 array of the same shape to write them into (it may be ``unit`` itself); returned.

        Rounded in float32, a band of rows at a time, into ``out`` (the values of saving and reading the file
        back, to the bit: NaN as 0, clipped to [0, 1], floor(u * top + 0.5) / top): through the file's
        integers a 12 MP photo made five full-size temporaries, 0.75-1.7 s of an Accept (docs/speed.md)."""
        from ..files.formats import ROWS_PER_BAND, from_unit, to_unit

        x = np.asarray(unit, dtype=np.float32)
        x = x[:, :, None] if x.ndim == 2 else x
        out = np.empty(x.shape, np.float32) if out is None else out
        out3 = out[:, :, None] if out.ndim == 2 else out
        if out3.shape != x.shape or out3.dtype != np.float32:
            raise ValueError(f"held: out is {out.dtype} {out.shape}, the pixels {x.shape}")
        depth = int(self.bit_depth)
        if depth == 32 and (self.value_scale, self.value_offset) != (1.0, 0.0):   # a float file's own range
            out3[...] = to_unit(from_unit(x, depth, self.value_scale, self.value_offset),
                                self.value_scale, self.value_offset)
            return out
        top = np.float32(65535.0 if depth == 16 else 255.0)
        for r in range(0, x.shape[0], ROWS_PER_BAND):
            o = out3[r:r + ROWS_PER_BAND]
            np.fmax(x[r:r + ROWS_PER_BAND], np.float32(0), out=o)   # NaN -> 0 (fmax/fmin pass the number)
            np.fmin(o, np.float32(1), out=o)
            if depth != 32:
                o *= top
                o += np.float32(0.5)
                np.floor(o, out=o)
                o /= top
        return out

    def digest(self, unit: np.ndarray) -> str:
        """The SHA-256 of ``unit`` (float [0, 1] colour pixels, (H, W) or (H, W, C)) as a file of this source
        holds them: its samples at its depth (uint8, uint16 or float32 in its value range, little-endian, row
        by row) after the shape, so the same result saved at the same depth has the same digest whatever the
        format (a JPEG's is of the pixels it was encoded from). A run record's ``result_sha256``
        (:func:`stamped`). A band of rows at a time: a 12 MP photo's whole-image temporaries took 2 s."""
        import hashlib

        from ..files.formats import ROWS_PER_BAND, from_unit

        x = np.asarray(unit, dtype=np.float32)
        x = x[:, :, None] if x.ndim == 2 else x
        depth = int(self.bit_depth)
        kind = {8: "<u1", 16: "<u2"}.get(depth, "<f4")
        h = hashlib.sha256(f"{x.shape[0]}x{x.shape[1]}x{x.shape[2]}:{kind}:".encode())
        top = np.float32(65535.0 if depth == 16 else 255.0)
        buf = np.empty((min(ROWS_PER_BAND, x.shape[0]), *x.shape[1:]), np.float32)
        for r in range(0, x.shape[0], ROWS_PER_BAND):
            band = x[r:r + ROWS_PER_BAND]
            if depth == 32:
                codes = from_unit(band, depth, self.value_scale, self.value_offset)
            else:   # the saver's integers (decode.to_uint8, formats.from_unit), to the bit: NaN 0, clipped, rounded
                o = buf[:band.shape[0]]
                np.fmax(band, np.float32(0), out=o)
                np.fmin(o, np.float32(1), out=o)
                o *= top
                o += np.float32(0.5)
                codes = o.astype(kind)
            h.update(np.ascontiguousarray(codes, dtype=kind).data)
        return h.hexdigest()


@dataclass
class Job:
    """One run, resolved: see the module's docstring."""

    request: _Request
    image: np.ndarray | None = None     # (H, W, C) float32 in [0, 1], the colour channels
    alpha: np.ndarray | None = None     # (H, W, 1), carried through unchanged
    mask: np.ndarray | None = None      # (H, W) float32 in [0, 1]: the mask the run fills
    plan: list = field(default_factory=list)   # the boxes worked one after the other
    source: Source = Source()
    sigma_estimated: bool = False
    notes: tuple = ()                   # one-line remarks for the user (a status bar, stderr)
    region: Region | None = None        # a region denoise: image is its crop, placed back through it
    strips: Strips | None = None        # a thin image's denoise: the plan tiles its packed block
    unchanged: str | None = None        # why the run gives the image back as it is, without the network

    @property
    def task(self) -> str:
        return self.request.task

    @property
    def levels(self) -> int | None:
        """The quantisation levels for censored clipping; None when clipping is ignored."""
        req = self.request
        return int(req.levels) if getattr(req, "clipping", "ignore") == "censored" else None

    def run_mask(self) -> np.ndarray | None:
        """The whole image's mask the run used: what it filled (inpainting), or the weights a region
        denoise was blended back through; None for a whole-image run."""
        if self.mask is not None:
            return self.mask
        if self.region is None:
            return None
        top, left, bottom, right = self.region.box
        weights = np.zeros(self.region.image.shape[:2], np.float32)
        weights[top:bottom, left:right] = self.region.weights
        return weights

    def metadata(self, loaded=None, **extra) -> dict:
        """The request's record (:meth:`~.requests._Request.metadata`) and what the job adds, the same
        from every front end: the digest of the mask the run used (``mask_sha256``,
        :func:`~.masks.mask_digest`) and, for a region denoise, the crop it ran on (``region_box``:
        top, left, bottom, right in pixels; ``region`` stays the request's x, y, width, height)."""
        out = self.request.metadata(loaded, **extra)
        m = self.run_mask()
        if m is not None:
            out["mask_sha256"] = mask_digest(m)
        if self.region is not None:
            out["region_box"] = [int(v) for v in self.region.box]
        if self.unchanged:
            out["unchanged"] = self.unchanged
        return out


def as_hwc(image) -> np.ndarray:
    img = np.asarray(image, dtype=np.float32)
    img = img[:, :, None] if img.ndim == 2 else img
    if img.ndim != 3 or 0 in img.shape:
        raise ValueError(f"an image must be a non-empty (H, W) or (H, W, C) array, not shape {img.shape}")
    return img


def default_tile_batch(device) -> int:
    """Tiles per network call: 1 on a CPU, where larger batches ran slower per tile
    (0.32 s at 1, 0.34 s at 2, 0.38 s at 4 for 256 x 256 with photos-rgb on 2 cores:
    the activations of one tile already fill the caches), 8 on a GPU, which needs the
    parallel work."""
    import torch  # here, not with the module: the app's window imports this one (docs/speed.md)

    return 1 if torch.device(device).type == "cpu" else 8


def _mask_notes(mask: np.ndarray) -> tuple:
    covered = float((mask > 0).mean())
    if mask.min() > 0:
        return ("the mask covers the whole image: inpainting becomes unconditional sampling",)
    if covered > NEARLY_WHOLE:
        return (f"the mask covers {100 * covered:.1f}% of the image: the little left to condition on makes "
                "this close to unconditional sampling",)
    return ()


@dataclass(frozen=True)
class Measuring:
    """A step record of :func:`resolve_steps`: what the resolver measures on the image next ("fitting the
    noise", ...)."""

    what: str


def resolve(request: _Request, image=None, mask=None, source: Source | None = None, model=None) -> Job:
    """The job of ``request`` on ``image`` (and ``mask``), from a file described by ``source``
    (None: 8-bit), for ``model`` (a loaded checkpoint or its card: the settings whose default is the
    model's, :meth:`~.requests._Request.for_model`; None: the run fills them in). Raises ValueError
    with one line a user can act on."""
    return result(resolve_steps(request, image, mask, source, model))


def resolve_steps(request: _Request, image=None, mask=None, source: Source | None = None, model=None):
    """:func:`resolve` as a generator: a :class:`Measuring` record before each long measurement; returns
    the job (``job = yield from resolve_steps(...)``)."""
    req = request.validate() if model is None else request.for_model(model).validate()
    if req.precision == "auto":  # the record says the arithmetic that ran: "auto" replayed elsewhere may not be it
        req = replace(req, precision="bf16" if native_bf16(req.device) else "fp32")
    source = source or Source()
    if req.task == "sample":
        h, w = (int(v) for v in req.size)
        return Job(req, plan=[(0, 0, h, w)], source=source)
    if image is None:
        raise ValueError(f"{req.task} needs an image")
    img = as_hwc(image)
    alpha = None
    if img.shape[2] in (2, 4):  # grey + alpha or RGBA: restore the colour, carry the alpha through unchanged
        img, alpha = np.ascontiguousarray(img[:, :, :-1]), img[:, :, -1:]
    H, W = img.shape[:2]
    if req.task == "inpaint":
        if mask is None:
            raise ValueError("inpainting needs a mask")
        yield Measuring("reading the mask")
        m = prepare_mask(mask, (H, W), soft=bool(req.soft_mask), amount=float(req.feather))
        plan = inpaint_boxes(m > 0, context=int(req.context))
        if not plan:
            raise ValueError("the mask is empty: there is nothing to inpaint")
        photo = check_mask(mask, soft=bool(req.soft_mask))  # a photograph given as the mask: refused when hard
        if (req.grain == "match" or req.known_noise == "law") and req.grain_law is None:  # the known pixels' noise
            yield Measuring("measuring the grain")
            law = yield from relabel(grain_law_steps(img, m == 0), Measuring("measuring the grain"))
            req = replace(req, grain_law=law)
        return Job(req, img, alpha, m, plan, source, notes=(photo,) if photo else _mask_notes(m))
    # a region denoise (None: the whole image): the mask read by inpainting's rules, a photograph refused
    if mask is not None:
        yield Measuring("reading the mask")
    weights = region_weights(req.region, mask, (H, W), soft=bool(req.soft_mask), feather=float(req.feather))
    photo = None if mask is None else check_mask(mask, soft=bool(req.soft_mask), done="denoised")
    if noise_model(req) == "auto":
        yield Measuring("fitting the noise")
    # the noise law and level are the whole image's; the fit's steps are its own (a front end can stop between)
    req, noise_note, fit, read = yield from relabel(resolve_noise_steps(req, img, source.jpeg),
                                                    Measuring("fitting the noise"))
    changes, estimated, clean = {}, req.sigma is None and req.noise == "constant", False
    if estimated:
        yield Measuring("measuring the noise level")
        # auto's fit and JPEG reading, where it made them, are not made again; a file known to be no JPEG is not
        # searched for one's grid
        sigma = float(estimate_noise_sigma(img, fit=fit, jpeg=source.jpeg, jpeg_sigma=read))
        clean = not sigma > 0   # no measurable noise: the image back as it is (NO_NOISE), with a note
        changes["sigma"] = NO_NOISE if clean else min(sigma, 1.0)
    region = None
    if weights is not None:
        top, left, bottom, right = box = region_box(weights, MARGIN)
        region = Region(box, weights[top:bottom, left:right], img)
        img = np.ascontiguousarray(img[top:bottom, left:right])
        H, W = img.shape[:2]
        side = max(H, W)
        if side <= ONE_TILE and side > int(req.tile):
            changes["tile"] = side  # one tile over the crop
    if req.levels is None:
        changes["levels"] = source.levels
    if req.tile_batch is None:
        changes["tile_batch"] = default_tile_batch(req.device)
    req = replace(req, **changes).validate() if changes else req
    unchanged = _unchanged(req, 0.0 if clean else req.sigma if estimated else None)
    notes = (unchanged,) if unchanged else (estimate_words(req.sigma),) if estimated else ()
    notes += (noise_note,) if noise_note else ()
    notes += (photo,) if photo else ()
    if region is not None:
        top, left, bottom, right = region.box
        notes += (f"only the region ({right - left} x {bottom - top} px with its context) is denoised",)
    strips = Strips.of(H, W, int(req.tile), int(req.overlap))
    plan = strips.boxes(int(req.tile)) if strips else tile_boxes(H, W, int(req.tile), int(req.overlap))
    return Job(req, img, alpha, None, plan, source, estimated, notes, region, strips, unchanged)


def estimate_words(sigma: float) -> str:
    """The one wording of a noise estimate (``sigma`` in [0, 1] units, :func:`~.noise.estimate_noise_sigma`'s):
    "no measurable noise" for 0, else "estimated noise std 14.8 / 255" (0-255 units, a 16-bit file's too;
    two digits below 1: "0.34").
    The command line's note, the API's warning and the app's readout all say it so (one fact, one message:
    the app said "no measurable noise" below 0.5 / 255 where the command line said 0.3 and ran at it)."""
    if not sigma > 0:
        return "no measurable noise"
    v = float(sigma) * 255
    return f"estimated noise std {v:.1f} / 255" if v >= 1 else f"estimated noise std {v:.2g} / 255"


def _unchanged(req, estimate: float | None) -> str | None:
    """Why a denoise of ``req`` gives the image back as it is (:data:`UNCHANGED`), or None: it is told constant
    noise of NO_NOISE or less (a file with no measurable noise is told NO_NOISE). ``estimate``: the estimate the
    level came from ([0, 1] units), None where it was given. Decided from the resolved request alone, so its
    record replays to the same pixels."""
    if req.task != "denoise" or req.noise != "constant" or req.sigma is None:
        return None
    if float(req.sigma) * float(req.noise_scale) > NO_NOISE * (1 + 1e-6):
        return None
    if estimate is not None:
        return f"{estimate_words(estimate)}: {UNCHANGED}"
    return f"told noise std {float(req.sigma) * float(req.noise_scale) * 255:.2g} / 255, no more than a file " \
           f"with no measurable noise is: {UNCHANGED}"


def stamped(record: dict, pixels, source: Source, version: str | None = None, digest: str | None = None) -> dict:
    """A run ``record`` with what its result was: the SHA-256 of the pixels kept (:func:`result_digest` of
    ``pixels``, or ``digest`` where it was taken already, e.g. in the app's review thread) and the software that
    made them, so a replay can say whether it made the same pixels. The app stamps a result when it is accepted,
    the command line when it saves it. ``version``: the package's by default."""
    if version is None:
        from ... import __version__ as version
    digest = result_digest(pixels, source) if digest is None else digest
    return {**record, "result_sha256": digest, "software": f"dpm-studio {version}"}


def kept_result(job: Job, last, keep_sample: int | None = None) -> tuple[np.ndarray, dict]:
    """(the pixels a run keeps, the record's ``choice`` entry: {} for one draw) of ``job``'s last step record
    ``last``: of several samples the one the app shows first (requests.default_variant: the mean, a drawn
    sample's first draw) or ``keep_sample`` (0: the mean, k: the k-th draw; checked before the run by
    requests.kept_variant), as the command line saves it, the API returns it and the app's Accept keeps it."""
    from .requests import choice_text, default_variant

    samples = getattr(last, "samples", None) or []
    if not samples:
        return last.image, {}
    v = default_variant(job.task, len(samples)) if keep_sample is None else int(keep_sample)
    return (samples[v - 1] if v else last.image), {"choice": choice_text(len(samples), v)}


def result_record(job: Job, last, loaded=None, keep_sample: int | None = None,
                  version: str | None = None) -> tuple[np.ndarray, dict]:
    """(the pixels kept, their run record): :func:`kept_result`, and the job's record (:meth:`Job.metadata`: the
    request as it ran, the model by name and digest, the mask's digest, ...) with its choice, stamped with the
    digest of those pixels and the software (:func:`stamped`). The one builder of a saved result's record for
    the command line (cli/restore._save) and the API (api.Result), so the two records agree but for the time."""
    kept, choice = kept_result(job, last, keep_sample)
    return kept, stamped(job.metadata(loaded, **choice), kept, job.source, version)


def result_digest(pixels, source: Source) -> str:
    """A run's ``result_sha256``: :meth:`Source.digest` of its ``pixels`` ([0, 1]), an alpha after the colour
    left out (the run carries it through). 0.3-0.5 s for a 12 MP photo (docs/one-way.md)."""
    px = np.asarray(pixels)
    px = px[:, :, None] if px.ndim == 2 else px
    if px.shape[2] in (2, 4):
        px = px[:, :, :-1]
    return source.digest(px)


COLOUR_STEP = 4  # colour is read on every 4th pixel each way: a 10 MP photo in milliseconds


def has_colour(image) -> bool:
    """The image's channels differ (by more than 2/255 somewhere on a grid of every 4th pixel): a
    grey picture stored as RGB has none."""
    img = np.asarray(image)
    if img.ndim != 3 or img.shape[2] < 3:
        return False
    v = img[::COLOUR_STEP, ::COLOUR_STEP, :3].astype(np.float32)
    return bool(np.abs(v - v[:, :, :1]).max() > 2 / 255)


def model_refusal(loaded, task: str, image) -> str | None:
    """Why the model ``loaded`` cannot run ``task`` on ``image`` ((H, W, C) in [0, 1], or None), in the one
    sentence every front end says (the app's hint before Run, the command line's error, the API's ValueError);
    None when it can. A grey model asked to inpaint a colour image: each channel filled on its own is colour noise."""
    if task != "inpaint" or not _grey_on_colour(loaded, image):
        return None
    name = getattr(loaded, "name", None)   # "checkpoint NAME": a sentence's first word, capitalised by the app
    return (f"{f'checkpoint {name}' if name else 'the checkpoint'} is a grey model and the image has colour: it "
            "would fill the hole with colour noise; choose a colour model (photos-rgb)")


def colour_noise(loaded, image) -> bool:
    """A grey image (one channel, with or without alpha) run on a colour model: the run makes the colour-difference
    noise of its channels from the seed (tasks.grey_as_colour_noise), the one-step posterior mean's too
    (requests.DenoiseRequest.draws_from_seed). A grey picture stored as RGB runs as colour: no such noise."""
    shape = np.shape(image)
    c = 1 if len(shape) == 2 else int(shape[2])
    return (c - 1 if c in (2, 4) else c) == 1 and int(getattr(loaded, "channels", 0) or 0) == 3


def _grey_on_colour(loaded, image) -> bool:
    return int(getattr(loaded, "channels", 0) or 0) == 1 and image is not None and has_colour(image)


def check_model(loaded, job: Job) -> tuple:
    """What the model says to the job, for every front end: :func:`model_refusal` raised as a ValueError
    (one line); a grey model on a colour image to denoise gets a note (each channel denoised as its own grey
    image). Returns the notes."""
    why = model_refusal(loaded, job.task, job.image)
    if why:
        raise ValueError(why)
    if not _grey_on_colour(loaded, job.image):
        return ()
    name = getattr(loaded, "name", "this checkpoint")
    return (f"{name} is a grey model: each colour channel is denoised as its own grey image (a colour model, "
            "e.g. photos-rgb, uses the channels together)",)
