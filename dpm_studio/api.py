"""Denoise and inpaint numpy arrays from a script or a notebook, with the command line's defaults.

>>> from dpm_studio import api
>>> clean = api.denoise(noisy)                  # noisy: (H, W) or (H, W, 3) uint8 -> uint8
>>> face = api.denoise(noisy, mask=m)           # only where m is nonzero, as the app's painted mask
>>> filled = api.inpaint(photo, mask, seed=1)   # mask: (H, W), nonzero = fill
>>> drawn = api.sample((64, 96), checkpoint="photos-rgb", seed=2)   # (H, W, 3) floats in [0, 1]

Arrays: (H, W) grey or (H, W, C) with C = 1, 3 (or 2, 4: the last channel is alpha, carried
through unchanged). uint8 and uint16 come back in their own type (rounded), floats in
[0, 1] as floats of their own type; the shape comes back as it went in. ``sigma`` is in
the array's own units (0-255 for uint8, 0-65535 for uint16, 0-1 for floats), as
``skimage.restoration.estimate_sigma`` gives it. Without ``sigma`` the noise model is
fitted (``noise="auto"``, the command line's default: var = a x + b, constant where a is
not significant); ``noise="constant"`` takes ``sigma`` or estimates one, and
``noise="poisson-gaussian"`` takes ``noise_a`` and ``noise_b`` in the [0, 1] units of the
image whatever the array's type.

Every other keyword is a setting of :class:`~dpm_studio.core.run.requests.InpaintRequest` or
:class:`~dpm_studio.core.run.requests.DenoiseRequest` (``steps``, ``seed``, ``samples``,
``method``, ``ensemble``, ``mode``, ``jump_length``, ``region=(x, y, w, h)`` to denoise only that
rectangle, ...), with the same defaults the
command line and the app use, since all three build the same request. ``checkpoint``: a
shipped checkpoint's name, a path, or what :func:`load_checkpoint` returned; loaded
checkpoints are kept for the next call; None (the default) is the task's own default model,
:func:`dpm_studio.paths.default_checkpoint` (``DEFAULT_CHECKPOINTS``: the command line's and the
app's too), read at each call. The result's model is the one a saved record names.
``progress(done, total)`` is called as the run goes. Of several ``samples`` the result is their mean (a
restoration) or the first draw (``sample``); ``keep_sample=k`` keeps draw k (0: the mean), as
``--keep-sample`` and the app's Accept. A bad value raises ``ValueError`` with one
line saying what to change (the command line's sentence); an argument of the wrong kind (a file name
as the image, a progress that is no function, a save path that is no file name) ``TypeError``. Every setting's range, unit and default on each
surface: docs/one-way.md.

A result to keep, with what made it: ``denoise_result``, ``inpaint_result`` and ``sample_result`` take the
same arguments and return a :class:`Result`: its ``pixels`` (what ``denoise`` and the others return), the
``request`` as it ran and its run ``record`` (the command line's: the request resolved, the noise model and
level, seed, model by name and weights' SHA-256, mask digest, result digest, software version), and
``save(path)`` writes it as the command line does, the record in the PNG, TIFF, JPEG or WebP file, so
``dpm-studio replay`` runs it again:

>>> r = api.denoise_result(noisy)
>>> r.save("clean.png", source="noisy.png")   # source: the file noisy was read from, named in the record
>>> # $ dpm-studio replay clean.png --strict -o again.png     (an inpainting's: --mask MASK too)

``denoise`` and the others stay as they were, pixels only, and take no digest of them.

``DEFAULT_CHECKPOINT`` stays importable for older scripts; it is deprecated: it names the
inpainting (and sampling) default only. ``default_checkpoint("denoise")`` is the denoising one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from .paths import DEFAULT_CHECKPOINT, default_checkpoint

__all__ = ["denoise", "inpaint", "sample", "denoise_result", "inpaint_result", "sample_result", "Result",
           "load_checkpoint", "default_checkpoint", "DEFAULT_CHECKPOINT"]


def load_checkpoint(name_or_path=None, device: str = "cpu", *, task: str = "inpaint"):
    """A loaded checkpoint, kept for the next call with the same files (unchanged since) and device;
    ``name_or_path`` None: ``task``'s default model (:func:`default_checkpoint`)."""
    import warnings

    from .core.files.checkpoint import load_cached
    from .core.machine.devices import check_device

    if name_or_path is None:
        name_or_path = default_checkpoint(task)
    loaded = load_cached(name_or_path, check_device(device))
    for note in loaded.notes:  # e.g. a card without weights_sha256: loaded, never silently
        warnings.warn(note, UserWarning, stacklevel=2)
    return loaded


def _loaded(checkpoint, device, task: str):
    """``checkpoint`` loaded (None: ``task``'s default model, read now, not when the module was imported)."""
    return checkpoint if hasattr(checkpoint, "diffusion") else load_checkpoint(checkpoint, device, task=task)


def _array(image) -> np.ndarray:
    """``image`` as an array: a file's name, None or a nested list of uneven rows is refused in one line (they
    were "not shape ()", or numpy's "inhomogeneous shape after 1 dimensions")."""
    import os

    if image is None or isinstance(image, (str, bytes, os.PathLike)):
        hint = ": read a file's array with np.asarray(PIL.Image.open(name)), or give the file to the command line" \
            if image is not None else ""
        raise TypeError(f"the image must be a numpy array (H, W) or (H, W, C), not {type(image).__name__}{hint}")
    try:
        return np.asarray(image)
    except ValueError:   # rows of different lengths
        raise ValueError("the image must be a rectangular array of numbers: its rows are not all the same length") \
            from None


def _how_many(a: np.ndarray, bad: np.ndarray) -> str:
    """How many of ``a``'s values ``bad`` marks are NaN, infinite and out of range, and where the first is."""
    with np.errstate(invalid="ignore"):
        kinds = ((np.isnan(a), "NaN"), (np.isinf(a), "infinite"), (np.isfinite(a) & bad, "out of range"))
    said = ", ".join(f"{int(k.sum()):,} {name}" for k, name in kinds if k.any())
    first = np.argwhere(bad)[0]
    return f"{said} (the first at row {int(first[0])}, column {int(first[1])})"


def _check_mask(mask, shape, request) -> None:
    """``mask`` refused now, before the model loads, for what the run would refuse it for (core/run/masks.prepare_mask:
    its kind, its size, NaN, infinity, negative values, a soft mask that cannot be an edge): a denoise's mask was
    read only once the checkpoint was loaded and the job resolving."""
    if mask is not None:
        from .core.run.masks import prepare_mask

        prepare_mask(mask, shape[:2], soft=bool(request.soft_mask))


def _check_progress(progress) -> None:
    """A ``progress`` that cannot be called was found at the run's first step ("'int' object is not callable")."""
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a function progress(done, total), not {type(progress).__name__}")


def _to_unit(image) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray], float]:
    """(H, W, C) float32 in [0, 1], the function giving a result back in the input's type
    and shape, and the input's unit (255, 65535 or 1)."""
    a = _array(image)
    if a.ndim not in (2, 3) or 0 in a.shape or (a.ndim == 3 and a.shape[2] not in (1, 2, 3, 4)):
        raise ValueError(f"an image must be an (H, W) or (H, W, C) array with C in 1-4, not shape {a.shape}")
    if a.dtype.kind == "u" and a.dtype.itemsize <= 2:
        unit = float(np.iinfo(a.dtype).max)
    elif a.dtype.kind == "f":
        unit = 1.0
        with np.errstate(invalid="ignore"):
            bad = ~((a >= 0.0) & (a <= 1.0))   # NaN compares false: bad, as infinity and values out of range
        if bad.any():
            raise ValueError(f"a float image must hold finite values in [0, 1]: {_how_many(a, bad)}")
    else:
        raise ValueError(f"the image must be uint8, uint16 or floats in [0, 1], not {a.dtype}")
    from .core.machine.memory import check_fits

    check_fits(a.size * 4, f"the image ({a.shape[1]:,} x {a.shape[0]:,}) as float32", "give a smaller image or a "
               "region of it")  # before allocating: a 50,000 x 50,000 array raised a bare MemoryError
    try:
        x = a.astype(np.float32) / np.float32(unit) if unit != 1.0 else a.astype(np.float32)
    except MemoryError:  # a 50,000 x 50,000 array: one line, as the command line says it
        gib = a.size * 4 / 2 ** 30
        raise ValueError(f"the image ({a.shape[1]:,} x {a.shape[0]:,}) needs {gib:.1f} GiB as float32 and this "
                         "machine cannot give that much memory: give a smaller image or a region of it") from None
    hwc = x[:, :, None] if a.ndim == 2 else x

    def back(result: np.ndarray) -> np.ndarray:
        r = np.clip(result, 0.0, 1.0).reshape(a.shape)
        if unit != 1.0:
            return (r * unit + 0.5).astype(a.dtype)
        return r.astype(a.dtype)

    return hwc, back, unit


def _hole_unknown(image, mask, request):
    """``image`` with the pixels the run fills whole (the mask at 1) set to 0 where they are not
    finite values in [0, 1]: they are unknown by definition (NaN is the usual mark), and the run
    never reads them. NaN, infinity or a value out of range among the known pixels (or partly
    known ones, under a soft or feathered edge), or in an alpha channel (carried through, not
    filled), is refused with one line saying how many and where."""
    a = _array(image)
    if a.dtype.kind != "f" or a.ndim not in (2, 3) or 0 in a.shape or (a.ndim == 3 and a.shape[2] not in (1, 2, 3, 4)):
        return image  # _to_unit says what is wrong with it
    with np.errstate(invalid="ignore"):
        bad = ~((a >= 0.0) & (a <= 1.0))  # NaN compares false: bad, as infinity and values out of range
    if not bad.any():
        return image
    hwc = bad[:, :, None] if a.ndim == 2 else bad
    alpha = a.ndim == 3 and a.shape[2] in (2, 4)
    if alpha and hwc[:, :, -1].any():
        raise ValueError("a float image must hold finite values in [0, 1] in its alpha channel, which is carried "
                         "through unchanged, inside the hole as well")
    from .core.run.masks import prepare_mask

    hole = prepare_mask(mask, a.shape[:2], soft=bool(request.soft_mask), amount=float(request.feather)) >= 1.0
    known_bad = hwc[:, :, :-1].any(axis=2) if alpha else hwc.any(axis=2)
    known_bad &= ~hole
    if known_bad.any():
        r, c = (int(v) for v in np.argwhere(known_bad)[0])
        edge = " or partly known (under the soft or feathered edge)" if request.soft_mask or request.feather else ""
        raise ValueError(f"a float image must hold finite values in [0, 1] outside the hole: {int(known_bad.sum()):,} "
                         f"known{edge} pixels are NaN, infinite or out of range (the first at row {r}, column {c}); "
                         "NaN is accepted only inside the hole, where every pixel is filled")
    out = a.copy()
    px = out[:, :, None] if a.ndim == 2 else out  # a view: writing it writes out
    n = px.shape[2] - 1 if alpha else px.shape[2]
    px[:, :, :n][hole[:, :, None] & hwc[:, :, :n]] = 0.0
    return out


def _request(task: str, **settings):
    """The validated request: each setting's kind and range are the command line's, since both
    read the one declaration on the request's field (core/run/settings.py). A 33 px tile on 64 x 64
    ran 1,024 tiles, steps=2.7 and seed=2**64 failed deep inside."""
    from .core.machine.devices import check_device
    from .core.run.requests import request_for

    if isinstance(settings.get("device"), str):  # " CPU " as the command line reads it (was a RuntimeError in torch)
        settings["device"] = check_device(settings["device"])
    return request_for(task, **settings).validate()


def _run(loaded, request, image, pixels, mask=None, progress=None, keep_sample=None):
    """Resolve the job as the command line and the app do (core/run/jobs.py; the source's bit depth
    from the array's type) and run it: (the result, as the command line saves it, the job and its last
    step record). ``keep_sample``: of several samples, draw k (0: their mean), as --keep-sample and the
    app's Accept (core/run/jobs.kept_result, the command line's rule)."""
    from .core.run.jobs import Source, kept_result, resolve
    from .core.run.requests import kept_variant
    from .core.run.tasks import run_task

    from .core.run.jobs import colour_noise

    kept_variant(request, keep_sample)   # refused before the run, in the command line's words
    unused = request.unused(colour_noise(loaded, pixels)) if getattr(request, "unused", None) else []
    if unused:   # steps=5 with the one-step posterior mean: said, after the checks, as the command line says it
        import warnings

        warnings.warn(request.unused_note(unused), UserWarning, stacklevel=_CALLER)

    job = resolve(request, pixels, mask, Source() if image is None else Source.of_dtype(np.asarray(image).dtype),
                  loaded)
    rec = None
    for rec in run_task(loaded, job):
        if progress is not None:
            progress(rec.index + 1, rec.total)
    return kept_result(job, rec, keep_sample)[0], job, rec


#: How far up a warning of :func:`_run` points: the caller of ``denoise``/``denoise_result`` and the others
#: (_run <- _denoise <- denoise <- the caller).
_CALLER = 4


@dataclass(frozen=True, eq=False)
class Result:
    """A run's result and what made it, as the command line saves it: ``pixels``, what :func:`denoise`,
    :func:`inpaint` and :func:`sample` return (the input's type and shape); ``request``, the request as it ran
    (the noise level estimated, the noise law fitted, the model's defaults filled in); ``record``, the run record
    a saved result carries (core/run/jobs.result_record, the command line's one builder: the request, the model
    by name and weights' SHA-256, the mask's digest, ``result_sha256`` of the pixels kept and the software);
    ``notes``, what the run said (also given as warnings). ``np.asarray(result)`` is its pixels.
    :meth:`save` writes it with its record, for ``dpm-studio replay``."""

    pixels: np.ndarray
    request: object
    record: dict
    notes: tuple = ()
    _kept: np.ndarray = field(default=None, repr=False)         # [0, 1] as the run kept it (an alpha last)
    _source: object = field(default=None, repr=False)           # core/run/jobs.Source: the array's depth
    _input_sha256: str | None = field(default=None, repr=False)  # the pixels it ran on, at that depth

    def __array__(self, dtype=None, copy=None):
        return np.array(self.pixels, dtype=dtype, copy=True) if copy else np.asarray(self.pixels, dtype=dtype)

    def save(self, path, *, source=None, quality: int | None = None, overwrite: bool = False) -> Path:
        """Write the result to ``path`` (PNG, TIFF, JPEG, WebP or BMP, by its extension) as ``dpm-studio
        denoise/inpaint/sample -o path`` writes it: the same samples at the input's depth (uint8: 8 bits; uint16:
        16 bits in PNG and TIFF; floats: float32 TIFF, 16-bit PNG), an alpha channel kept, and the record in the
        file (a PNG's text, a TIFF's description, a JPEG's comment, a WebP's XMP); a BMP holds none, which is
        said as a warning, as are the format's other losses. Returns the path.

        ``source``: the file the input array was read from (a denoise's or an inpainting's), recorded by its
        name as the command line records its input, with the file's ICC profile, EXIF and earlier dpm-studio
        runs, so that ``dpm-studio replay path --strict`` beside it runs the same request on it and reproduces
        the pixels to the bit (an inpainting's, or a masked denoise's, with ``--mask`` the mask's file). Its
        pixels must be the ones the run read (ValueError otherwise: a replay would run on others). Without it,
        replay takes the input with ``--input``. ``quality``: JPEG and WebP, 1 to 100 (default 95, the command
        line's). ``overwrite``: an existing file is replaced only when True (FileExistsError otherwise), never
        the source."""
        import os
        import warnings

        from .core.files.atomic import OutputExists
        from .imageio import DEFAULT_QUALITY, check_savable, format_for_path, save_losses, save_result

        path = _file_name(path, "path")
        format_for_path(path)   # an unknown extension: ImageIOError (a ValueError), one line
        quality = DEFAULT_QUALITY if quality is None else _quality(quality)
        data = self._source_data(path, None if source is None else _file_name(source, "source"))
        if os.path.isdir(path):
            raise ValueError(f"cannot save {path.name}: {path} is a folder; give a file name")
        if not overwrite and os.path.lexists(path):   # os.path: a name too long is no file, not an OSError
            raise FileExistsError(f"{path.name} exists already: pass overwrite=True to replace it")
        check_savable(path, data)
        alpha = self._kept[:, :, -1] if self._kept.ndim == 3 and self._kept.shape[2] in (2, 4) else None
        for note in save_losses(path, data, alpha):   # what the format cannot hold, said as the command line says it
            warnings.warn(note, UserWarning, stacklevel=2)
        try:
            return save_result(path, self._kept, self.record, data, quality=quality, replace=overwrite)
        except OutputExists:   # written by someone else meanwhile
            raise FileExistsError(f"{path.name} exists already: pass overwrite=True to replace it") from None

    def _source_data(self, path: Path, source):
        """The decoded ``source`` file, checked to hold the pixels the run read; without one, what the array
        was (its depth), as the command line's save reads it off its input."""
        from .core.files.decode import ImageData
        from .core.run.jobs import Source

        if source is None:   # no file: only the array's depth and value range (export_options, save_losses read them)
            s = self._source
            return ImageData(pixels=np.zeros((0, 0, 1), np.float32), bit_depth=int(s.bit_depth),
                             value_scale=float(s.value_scale), value_offset=float(s.value_offset))
        if self.record.get("task") == "sample":
            raise ValueError("source: a drawn sample was made from no image")
        from .core.files.safefiles import same_file
        from .imageio import load_image

        src = Path(source)
        if same_file(path, src):
            raise ValueError(f"refusing to save over the source {src.name}: a replay reads it")
        data = load_image(src)
        here = Source.of(data)
        if int(here.bit_depth) != int(self._source.bit_depth):
            raise ValueError(f"source: {src.name} is {here.bit_depth}-bit and the array the run read was "
                             f"{self._source.bit_depth}-bit, so a replay of it would run on other pixels")
        if self._input_sha256 is not None and self._source.digest(data.pixels) != self._input_sha256:
            raise ValueError(f"source: {src.name} does not hold the pixels the run read (another image, a crop or "
                             "edited pixels), so a replay of it would run on other pixels")
        return data


def _file_name(p, name: str) -> Path:
    """``p`` (a str or os.PathLike naming a file) as a Path; anything else a TypeError naming ``name``."""
    import os

    if isinstance(p, os.PathLike):
        p = os.fspath(p)
    if not isinstance(p, str) or not p:
        what = "an empty name" if isinstance(p, str) else type(p).__name__
        raise TypeError(f"{name} must be a file name (a str or a pathlib.Path), not {what}")
    return Path(p)


def _quality(q) -> int:
    from .core.run.settings import is_whole
    from .imageio import QUALITY

    if isinstance(q, bool) or not is_whole(q) or not QUALITY[0] <= int(q) <= QUALITY[1]:
        raise ValueError(f"quality must be a whole number from {QUALITY[0]} to {QUALITY[1]}, not {q!r}")
    return int(q)


def _result(pixels, job, last, loaded, keep_sample, ran_on) -> Result:
    """A :class:`Result` of ``job`` (its last step record ``last``) returned as ``pixels``; ``ran_on``: the
    [0, 1] pixels the run read (None: a sample), whose digest ties a save's ``source`` to them."""
    from .core.run.jobs import result_record

    kept, record = result_record(job, last, loaded, keep_sample)
    colour = None if ran_on is None else (ran_on[:, :, :-1] if ran_on.shape[2] in (2, 4) else ran_on)
    return Result(pixels, job.request, record, tuple(job.notes), np.asarray(kept), job.source,
                  None if colour is None else job.source.digest(colour))


def _denoise(image, sigma, mask, checkpoint, device, progress, keep_sample, settings, record: bool):
    """:func:`denoise`'s run: its pixels, or with ``record`` a :class:`Result`."""
    from .core.run.settings import is_real

    pixels, back, unit = _to_unit(image)
    if sigma is not None and not is_real(sigma):   # an array (a mask given second) said by its shape, not printed
        shown = f"an array of shape {sigma.shape} (a mask is given as mask=...)" if getattr(sigma, "ndim", 0) and \
            hasattr(sigma, "shape") else f"{sigma!r:.60}"
        raise ValueError(f"sigma must be a number in the image's units, not {shown}")
    if sigma is not None and not 0 < float(sigma) <= unit:  # said in the array's units, not the request's 0-255
        raise ValueError(f"sigma is in the array's own units: more than 0 and at most {unit:g} for a "
                         f"{np.asarray(image).dtype} image, not {sigma!r}")
    _check_progress(progress)
    request = _request("denoise", sigma=None if sigma is None else float(sigma) / unit, device=device, **settings)
    _check_mask(mask, pixels.shape, request)
    loaded = _loaded(checkpoint, device, "denoise")
    result, job, last = _run(loaded, request, image, pixels, mask=mask, progress=progress, keep_sample=keep_sample)
    out = back(result)
    return _result(out, job, last, loaded, keep_sample, pixels) if record else out


def denoise(image, sigma: float | None = None, *, mask=None, checkpoint=None, device: str = "cpu",
            progress: Callable[[int, int], None] | None = None, keep_sample: int | None = None,
            **settings) -> np.ndarray:
    """``image`` without its noise: of std ``sigma`` (the array's units), or as ``noise``
    says ("auto", the default without ``sigma``; "constant"; "poisson-gaussian" with
    ``noise_a``, ``noise_b`` in [0, 1] units).

    ``mask``: (H, W) as :func:`inpaint`'s (``soft_mask``, ``feather`` read it the same way): denoise
    only where it is nonzero and blend that back, every pixel outside kept, as the app denoises
    inside its painted mask and ``dpm-studio denoise --mask`` does; None (the default): the whole image
    (or ``region``)."""
    return _denoise(image, sigma, mask, checkpoint, device, progress, keep_sample, settings, False)


def denoise_result(image, sigma: float | None = None, *, mask=None, checkpoint=None, device: str = "cpu",
                   progress: Callable[[int, int], None] | None = None, keep_sample: int | None = None,
                   **settings) -> Result:
    """:func:`denoise` (the same arguments, the same pixels) as a :class:`Result`: with its request and run
    record, and :meth:`Result.save` to write it as the command line does, for ``dpm-studio replay``."""
    return _denoise(image, sigma, mask, checkpoint, device, progress, keep_sample, settings, True)


def _inpaint(image, mask, soft_mask, checkpoint, device, progress, keep_sample, settings, record: bool):
    """:func:`inpaint`'s run: its pixels, or with ``record`` a :class:`Result`."""
    from .core.run.masks import NotAMask

    given = {} if soft_mask is None else {"soft_mask": soft_mask}   # None: the request's default (hard)
    request = _request("inpaint", device=device, **given, **settings)
    _check_progress(progress)
    if mask is None:   # said before any work (it was, once the model had loaded)
        raise ValueError("inpainting needs a mask")
    known_only = _hole_unknown(image, mask, request)  # NaN in the hole: unknown, as the hole is
    pixels, back, _ = _to_unit(known_only)
    _check_mask(mask, pixels.shape, request)
    try:
        loaded = _loaded(checkpoint, device, "inpaint")
        result, job, last = _run(loaded, request, known_only, pixels, mask=mask, progress=progress,
                                 keep_sample=keep_sample)
    except NotAMask as e:  # a photograph's array given as the mask: say how to mean its grey levels
        raise NotAMask(f"{e}; if its grey levels are a soft edge on purpose, pass soft_mask=True") from None
    import warnings

    for note in job.notes:  # the mask's verdicts (a photograph as a soft mask, a whole mask), as the CLI says them
        warnings.warn(note, UserWarning, stacklevel=_CALLER - 1)
    out = back(result)
    known = job.mask == 0  # the mask the run filled (hard or soft, feathered: the job's one rule)
    out[known] = np.asarray(image)[known]  # exactly as given, whatever the float type
    return _result(out, job, last, loaded, keep_sample, pixels) if record else out


def inpaint(image, mask, *, soft_mask: bool | None = None, checkpoint=None, device: str = "cpu",
            progress: Callable[[int, int], None] | None = None, keep_sample: int | None = None,
            **settings) -> np.ndarray:
    """``image`` with the pixels where ``mask`` is nonzero filled in.

    ``mask``: (H, W) bool, integers or floats. Any nonzero pixel is filled; with
    ``soft_mask`` the values (integers scaled by their type's maximum) are a feathered edge;
    ``feather`` (px) softens the edge outward, as the app's Feather and ``--feather`` do.
    NaN, infinity and negative values are refused (ValueError, before any work), as is a soft mask that
    cannot be an edge: floats over 1, or integers that reach at most 1/255 of their type's maximum (a 0/1
    uint8 mask: give it as floats or leave ``soft_mask`` off).
    Known pixels come back exactly as they went in. The pixels of a float image inside the hole
    (where the mask fills every pixel) are unknown: NaN there is accepted and never read; NaN
    among the known pixels is refused.
    """
    return _inpaint(image, mask, soft_mask, checkpoint, device, progress, keep_sample, settings, False)


def inpaint_result(image, mask, *, soft_mask: bool | None = None, checkpoint=None, device: str = "cpu",
                   progress: Callable[[int, int], None] | None = None, keep_sample: int | None = None,
                   **settings) -> Result:
    """:func:`inpaint` (the same arguments, the same pixels) as a :class:`Result`: with its request and run
    record, and :meth:`Result.save` to write it as the command line does, for ``dpm-studio replay``."""
    return _inpaint(image, mask, soft_mask, checkpoint, device, progress, keep_sample, settings, True)


def sample(size: tuple[int, int] | None = None, *, checkpoint=None, device: str = "cpu",
           progress: Callable[[int, int], None] | None = None, keep_sample: int | None = None,
           **settings) -> np.ndarray:
    """A new image drawn from the model, of ``size`` (height, width; None: the request's default, as the
    command line's without --size and the app's first): float32 (H, W, C) in [0, 1], C the model's channels. The settings are :class:`~dpm_studio.core.run.requests.SampleRequest`'s
    (``steps``, ``seed``, ``samples``, ...); of several samples, the first draw (their mean is a blur
    of unrelated images), as ``dpm-studio sample`` saves it and the app shows it first."""
    return _sample(size, checkpoint, device, progress, keep_sample, settings, False)


def sample_result(size: tuple[int, int] | None = None, *, checkpoint=None, device: str = "cpu",
                  progress: Callable[[int, int], None] | None = None, keep_sample: int | None = None,
                  **settings) -> Result:
    """:func:`sample` (the same arguments, the same pixels) as a :class:`Result`, whose :meth:`Result.save`
    writes it as ``dpm-studio sample`` does (8 bits), for ``dpm-studio replay``."""
    return _sample(size, checkpoint, device, progress, keep_sample, settings, True)


def _sample(size, checkpoint, device, progress, keep_sample, settings, record: bool):
    """:func:`sample`'s run: its pixels, or with ``record`` a :class:`Result`."""
    given = {} if size is None else {"size": tuple(size) if hasattr(size, "__len__") else size}
    request = _request("sample", device=device, **given, **settings)
    _check_progress(progress)
    loaded = _loaded(checkpoint, device, "sample")
    result, job, last = _run(loaded, request, None, None, progress=progress, keep_sample=keep_sample)
    out = np.clip(result, 0.0, 1.0).astype(np.float32)
    return _result(out, job, last, loaded, keep_sample, None) if record else out
