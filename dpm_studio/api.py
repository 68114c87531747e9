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
line saying what to change (the command line's sentence). Every setting's range, unit and default on each
surface: docs/one-way.md.

``DEFAULT_CHECKPOINT`` stays importable for older scripts; it is deprecated: it names the
inpainting (and sampling) default only. ``default_checkpoint("denoise")`` is the denoising one.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .paths import DEFAULT_CHECKPOINT, default_checkpoint

__all__ = ["denoise", "inpaint", "sample", "load_checkpoint", "default_checkpoint", "DEFAULT_CHECKPOINT"]


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


def _to_unit(image) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray], float]:
    """(H, W, C) float32 in [0, 1], the function giving a result back in the input's type
    and shape, and the input's unit (255, 65535 or 1)."""
    a = np.asarray(image)
    if a.ndim not in (2, 3) or 0 in a.shape or (a.ndim == 3 and a.shape[2] not in (1, 2, 3, 4)):
        raise ValueError(f"an image must be an (H, W) or (H, W, C) array with C in 1-4, not shape {a.shape}")
    if a.dtype.kind == "u" and a.dtype.itemsize <= 2:
        unit = float(np.iinfo(a.dtype).max)
    elif a.dtype.kind == "f":
        unit = 1.0
        if not np.isfinite(a).all() or a.min() < 0.0 or a.max() > 1.0:
            raise ValueError("a float image must hold finite values in [0, 1]")
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
    a = np.asarray(image)
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
    from the array's type) and run it: (the result, as the command line saves it, and the job).
    ``keep_sample``: of several samples, draw k (0: their mean), as --keep-sample and the app's Accept."""
    from .core.run.jobs import Source, resolve
    from .core.run.requests import default_variant, kept_variant
    from .core.run.tasks import run_task

    from .core.run.jobs import colour_noise

    kept_variant(request, keep_sample)   # refused before the run, in the command line's words
    unused = request.unused(colour_noise(loaded, pixels)) if getattr(request, "unused", None) else []
    if unused:   # steps=5 with the one-step posterior mean: said, after the checks, as the command line says it
        import warnings

        warnings.warn(request.unused_note(unused), UserWarning, stacklevel=3)

    job = resolve(request, pixels, mask, Source() if image is None else Source.of_dtype(np.asarray(image).dtype),
                  loaded)
    rec = None
    for rec in run_task(loaded, job):
        if progress is not None:
            progress(rec.index + 1, rec.total)
    samples = rec.samples or []
    v = default_variant(job.task, len(samples)) if keep_sample is None or not samples else int(keep_sample)
    return (samples[v - 1] if v else rec.image), job


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
    from .core.run.settings import is_real

    pixels, back, unit = _to_unit(image)
    if sigma is not None and not is_real(sigma):
        raise ValueError(f"sigma must be a number in the image's units, not {sigma!r}")
    if sigma is not None and not 0 < float(sigma) <= unit:  # said in the array's units, not the request's 0-255
        raise ValueError(f"sigma is in the array's own units: more than 0 and at most {unit:g} for a "
                         f"{np.asarray(image).dtype} image, not {sigma!r}")
    request = _request("denoise", sigma=None if sigma is None else float(sigma) / unit, device=device, **settings)
    return back(_run(_loaded(checkpoint, device, "denoise"), request, image, pixels, mask=mask,
                     progress=progress, keep_sample=keep_sample)[0])


def inpaint(image, mask, *, soft_mask: bool | None = None, checkpoint=None, device: str = "cpu",
            progress: Callable[[int, int], None] | None = None, keep_sample: int | None = None,
            **settings) -> np.ndarray:
    """``image`` with the pixels where ``mask`` is nonzero filled in.

    ``mask``: (H, W) bool, integers or floats. Any nonzero pixel is filled; with
    ``soft_mask`` the values (integers scaled by their type's maximum) are a feathered edge;
    ``feather`` (px) softens the edge outward, as the app's Feather and ``--feather`` do.
    Known pixels come back exactly as they went in. The pixels of a float image inside the hole
    (where the mask fills every pixel) are unknown: NaN there is accepted and never read; NaN
    among the known pixels is refused.
    """
    from .core.run.masks import NotAMask
    given = {} if soft_mask is None else {"soft_mask": soft_mask}   # None: the request's default (hard)
    request = _request("inpaint", device=device, **given, **settings)
    known_only = _hole_unknown(image, mask, request)  # NaN in the hole: unknown, as the hole is
    pixels, back, _ = _to_unit(known_only)
    try:
        result, job = _run(_loaded(checkpoint, device, "inpaint"), request, known_only, pixels, mask=mask,
                           progress=progress, keep_sample=keep_sample)
    except NotAMask as e:  # a photograph's array given as the mask: say how to mean its grey levels
        raise NotAMask(f"{e}; if its grey levels are a soft edge on purpose, pass soft_mask=True") from None
    import warnings

    for note in job.notes:  # the mask's verdicts (a photograph as a soft mask, a whole mask), as the CLI says them
        warnings.warn(note, UserWarning, stacklevel=2)
    out = back(result)
    known = job.mask == 0  # the mask the run filled (hard or soft, feathered: the job's one rule)
    out[known] = np.asarray(image)[known]  # exactly as given, whatever the float type
    return out


def sample(size: tuple[int, int] | None = None, *, checkpoint=None, device: str = "cpu",
           progress: Callable[[int, int], None] | None = None, keep_sample: int | None = None,
           **settings) -> np.ndarray:
    """A new image drawn from the model, of ``size`` (height, width; None: the request's default, as the
    command line's without --size and the app's first): float32 (H, W, C) in [0, 1], C the model's channels. The settings are :class:`~dpm_studio.core.run.requests.SampleRequest`'s
    (``steps``, ``seed``, ``samples``, ...); of several samples, the first draw (their mean is a blur
    of unrelated images), as ``dpm-studio sample`` saves it and the app shows it first."""
    given = {} if size is None else {"size": tuple(size) if hasattr(size, "__len__") else size}
    request = _request("sample", device=device, **given, **settings)
    result, _ = _run(_loaded(checkpoint, device, "sample"), request, None, None, progress=progress,
                     keep_sample=keep_sample)
    return np.clip(result, 0.0, 1.0).astype(np.float32)
