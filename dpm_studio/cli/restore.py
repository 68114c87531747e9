"""The command line's restoration commands: ``inpaint``, ``denoise`` and ``sample``, one image
each (several inputs or a folder go through :mod:`.batch`), and their options."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .. import __version__
from . import args as A
from .common import Progress, UserError, _device, _load
from ..paths import default_checkpoint


def _run_to_end(gen, label: str, progress=None):
    prog = progress or Progress(label, None)
    rec, min_ess = None, None
    try:
        for rec in gen:
            prog.total = rec.total
            if rec.ess is not None:
                min_ess = rec.ess if min_ess is None else min(min_ess, rec.ess)
            prog.update(rec.index + 1, "" if rec.ess is None else f"ESS {rec.ess:.1f}", force=rec.done)
    except ValueError as e:  # the tasks' refusals are meant for the user
        raise UserError(str(e)) from None
    except (MemoryError, RuntimeError) as e:
        from ..core.machine.memory import is_allocation_failure

        if not is_allocation_failure(e):  # "can't allocate memory", "out of memory", MemoryError, ...
            raise
        raise UserError("ran out of memory; try a smaller image, fewer --samples or a smaller --tile") from None
    finally:
        prog.close()
    if min_ess is not None:  # sequential Monte Carlo: how far the weights spread
        print(f"dpm-studio: sequential Monte Carlo: effective sample size {rec.ess:.1f} at the end, "
              f"{min_ess:.1f} at the lowest", file=sys.stderr)
    import numpy as np

    if rec is not None and not np.isfinite(rec.image).all():
        raise UserError("the model produced NaN or infinite values (broken weights or a bad card): nothing was saved")
    return rec


def _card(name_or_path):
    """The card path a ``--checkpoint`` value names, found once per command: finding a name walks
    the cards in the checkpoint folders and checks that name's (core/files/checkpoint.resolve),
    paid for each image of a batch before. A value that does not resolve comes back as it is: loading it says why."""
    from ..core.files.checkpoint import CheckpointError, resolve

    if not name_or_path:
        return name_or_path
    try:
        return resolve(name_or_path)
    except (CheckpointError, OSError, ValueError):
        return name_or_path


def _checkpoint_files(name_or_path) -> list[tuple[str, Path]]:
    """The card and weights files a ``--checkpoint`` value resolves to (none if it does not resolve:
    loading it says why)."""
    from ..core.files.checkpoint import CheckpointError, paths_for, resolve

    if not name_or_path:
        return []
    try:
        weights, card = paths_for(resolve(name_or_path))
    except (CheckpointError, OSError, ValueError):
        return []
    return [("checkpoint card", card), ("checkpoint weights", weights)]


def protected_files(args, data, checkpoint=None) -> list[tuple[str, Path, bool]]:
    """(role, path, may --overwrite replace it) for every file a run reads: the input, the mask,
    the checkpoint's card and weights (``checkpoint``: its card, where the caller has found it;
    else ``args.checkpoint``). Only the input may be written over, and only with --overwrite."""
    files = [("input", data.path if data is not None else None, True), ("mask", getattr(args, "mask", None), False)]
    checkpoint = checkpoint if checkpoint is not None else getattr(args, "checkpoint", None)
    files += [(role, p, False) for role, p in _checkpoint_files(checkpoint)]
    return [(role, Path(p), ok) for role, p, ok in files if p]


#: The start of the one line refusing an output that exists (:func:`existing_output`); a batch counts
#: an image so refused as skipped (output exists), not failed.
EXISTS = "exists already"


def existing_output(out: Path, overwrite: bool) -> str | None:
    """The one rule for an output file that already exists, for every command that writes an image
    (inpaint, denoise, sample, one image or a batch's each, and replay, which runs them): it is never
    replaced without ``--overwrite`` (nothing the user has is lost). Returns the one-line refusal, or
    None when the output may be written (it does not exist, or --overwrite). A single run raises it
    (exit 2, before any work); a batch skips that image with the same words, so rerunning an
    interrupted batch resumes it. The app asks instead (its Save dialog's 'Replace?')."""
    if overwrite or not os.path.lexists(out):
        return None
    return f"{out.name} {EXISTS}: pass --overwrite to replace it, or choose another -o."


def check_output_path(out: Path, protected, overwrite: bool) -> None:
    """Refuse an output that is, or resolves to, a device/FIFO/socket, a dangling link, or any file the
    run reads, compared by the file it finally names (resolved path, device and inode), not by spelling;
    then one that exists, without --overwrite (:func:`existing_output`)."""
    from ..core.files.atomic import NotWritable, writable_target
    from ..core.files.safefiles import same_file

    try:
        writable_target(out)
    except NotWritable as e:
        raise UserError(f"refusing to write {out.name}: {e}") from None
    for role, given, may in protected:
        if not same_file(out, given):
            continue
        if may and overwrite:
            continue
        via = "" if out.name == given.name else f" ({out.name} leads to {given.name})"
        hint = "choose another -o or pass --overwrite" if may else "choose another -o (--overwrite applies only to the input)"
        raise UserError(f"refusing to overwrite the {role} {given.name}{via}; {hint}")
    refused = existing_output(out, overwrite)
    if refused:
        raise UserError(refused)


def _check_output(args, data, checkpoint=None):
    """Refuse a bad output before any work is done: unknown format, something not a regular file,
    or any file the run reads (input, mask, checkpoint: ``checkpoint`` as :func:`protected_files`)."""
    from ..imageio import ImageIOError, check_savable, format_for_path

    out = Path(args.output)
    format_for_path(out)
    check_output_path(out, protected_files(args, data, checkpoint), args.overwrite)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise UserError(f"cannot save {out.name}: the folder {folder} {what}")
    if out.is_dir():
        raise UserError(f"cannot save {out.name}: {out} is a folder; give a file name with -o")
    if data is not None:
        try:
            check_savable(out, data)
        except ImageIOError as e:
            raise UserError(str(e)) from None


def _save(args, rec, data, loaded, job):
    """Write the result (the last record ``rec`` of ``job``) with the one metadata schema: the runs
    that made it, this one last, recorded as the app records it (the job's record; of several samples,
    the one the app shows first: core/run/requests.default_variant)."""
    from ..core.run.jobs import result_record
    from ..core.files.atomic import OutputExists
    from ..imageio import save_losses, save_result

    out = Path(args.output)
    # of several samples the mean, a sample's first draw or --keep-sample's; its record stamped with their digest,
    # for a replay to compare (the API's Result is built by the same call)
    kept, record = result_record(job, rec, loaded, getattr(args, "keep_sample", None), __version__)
    if hasattr(args, "saved_run"):   # a replay's: its verdict compares them with the record (cli/replay.py)
        args.saved_run = (record, kept)
    refused = existing_output(out, args.overwrite)   # written by someone else while this run ran: still not replaced
    if refused:
        raise UserError(refused)
    for note in save_losses(out, data):  # the format asked for is kept; what it cannot hold is said, not lost in silence
        print(f"dpm-studio: note: {note}", file=sys.stderr)
    def put(replace: bool):
        save_result(out, kept, record, data, quality=args.quality, replace=replace)
    try:   # without --overwrite the file is put there only if nothing is, in one step (no window after the check above)
        put(bool(args.overwrite))
    except OutputExists:   # one appeared after the check: the same rule decides
        refused = existing_output(out, args.overwrite)
        if refused:
            raise UserError(refused) from None
        put(True)
    print(str(out))


def _request(cls, args=None, **settings):
    """A validated run request from the options given (None: the request's default), and ``args``'
    --keep-sample checked against it."""
    try:
        req = cls(**{k: v for k, v in settings.items() if v is not None}).validate()
    except ValueError as e:
        raise UserError(str(e)) from None
    from ..core.run.requests import kept_variant

    try:   # the API's check of keep_sample, in the option's name
        kept_variant(req, getattr(args, "keep_sample", None), name="--keep-sample")
    except ValueError as e:
        raise UserError(str(e)) from None
    return req


def _read(path):
    from ..imageio import load_image

    data = load_image(path)
    for note in data.notes:  # e.g. an animation: only its first frame is used
        print(f"dpm-studio: note: {note}", file=sys.stderr)
    return data


# The run settings each command offers; their options are made from the requests' declarations.
COMMON = ("steps", "seed", "variance", "precision")
INPAINT = (*COMMON, "samples", "mode", "jump_length", "jump_n_sample", "start", "start_sigma", "soft_mask",
           "feather", "smc", "context", "grain", "known_noise")
SAMPLE = (*COMMON, "samples")  # the app draws several too (the first is saved, as the app shows it first)
DENOISE = (*COMMON, "noise", "sigma", "noise_a", "noise_b", "noise_scale", "samples", "method", "ensemble", "clipping",
           "clip_steps", "smc", "tile", "tile_batch", "region", "soft_mask", "feather", "overlap", "grey_draws", "levels")


def _inpaint_request(args):
    from ..core.run.requests import InpaintRequest

    return _request(InpaintRequest, args, device=args.device, **A.request_settings(InpaintRequest, args, INPAINT))


def photo_mask_error(mask_path: Path | None, e: Exception) -> UserError:
    """The one line for a photograph given as the mask (core/run/masks.NotAMask)."""
    return UserError(f"--mask {mask_path.name if mask_path else ''}: {e}; if its grey levels are a soft edge on "
                     "purpose, add --soft-mask")


def _mask_of(args, data) -> tuple:
    """(the mask's values, its path) of ``--mask`` (inpaint's, or denoise's: only there), read by one
    rule (imageio.load_mask: the image's size, or one line naming both sizes); (None, None) without one.
    A mask the app exported holds the painted mask and its feather (imageio.load_mask_record): read as a
    hard mask it is the painted one, as the app's Load Mask reads it (its feathered edge, taken as painted,
    grew it by the feather's reach), and a --feather other than the file's is said."""
    from ..imageio import ImageIOError, load_mask_record

    if getattr(args, "mask", None) is None:
        return None, None
    try:
        m, feather = load_mask_record(args.mask, shape=data.pixels.shape[:2])
    except ImageIOError as e:  # "p1.png is a named pipe": the image's or the mask's? (a batch's share a name)
        raise e if "mask" in str(e) else ImageIOError(f"--mask {e}") from None
    if feather is not None and getattr(args, "soft_mask", False):   # its grey values asked for: the file's mask
        from ..imageio import load_mask

        m = load_mask(args.mask, shape=data.pixels.shape[:2])
    elif feather is not None and feather != float(getattr(args, "feather", 0.0) or 0.0):
        print(f"dpm-studio: note: {Path(args.mask).name} was exported feathered by {feather:g} px; this run feathers "
              f"the painted mask by {float(args.feather or 0):g} (--feather {feather:g} gives the app's mask)",
              file=sys.stderr)
    return m, Path(args.mask)


def _resolve(req, data, mask=None, mask_path: Path | None = None):
    """The job (core/run/jobs.py): the same rules as the app's and the API's; its notes to stderr."""
    from ..core.run.jobs import Source, resolve
    from ..core.run.masks import NotAMask

    try:
        job = resolve(req, None if data is None else data.pixels, mask, Source.of(data))
    except NotAMask as e:  # a photograph given as the mask: which file, and the option for grey on purpose
        raise photo_mask_error(mask_path, e) from None
    except ValueError as e:
        raise UserError(str(e)) from None
    for note in job.notes:
        print(f"dpm-studio: note: {note}", file=sys.stderr)
    return job


def _same_mask(args, job) -> None:
    """A replay (:mod:`.replay`) names the digest of the mask its record was made with: a --mask that
    gives another mask is refused before the run, not found out from the pixels."""
    from ..core.run.masks import mask_digest

    want = getattr(args, "expect_mask_sha256", None)
    m = job.run_mask()
    if want and (m is None or mask_digest(m) != want):
        given = f"--mask {Path(args.mask).name}" if args.mask else "no --mask"
        raise UserError(f"{given}: not the mask the run used (the record's mask_sha256 differs): give the mask "
                        "it was made with (the app's File > Export Mask)")


def _same_model(args, loaded) -> None:
    """A replay names the digest of the weights its record was made with: another model of that name
    (a user's card hiding the shipped one, a retrained file) is refused, not run to other pixels."""
    want = getattr(args, "expect_checkpoint_sha256", None)
    if want and getattr(loaded, "sha256", None) and loaded.sha256 != want:
        raise UserError(f"the checkpoint {loaded.name} found here is not the one the run used (its weights' sha256 "
                        f"is {loaded.sha256[:12]}..., the record's {want[:12]}...): give that one with --checkpoint")


def _model_notes(loaded, job):
    """The model's verdict on the job (core/run/jobs.check_model, as the app and the API have it): a grey
    model on a colour image to inpaint is refused; on one to denoise it gets a note."""
    from ..core.run.jobs import check_model

    try:
        notes = check_model(loaded, job)
    except ValueError as e:
        raise UserError(str(e)) from None
    for note in notes:
        print(f"dpm-studio: note: {note}", file=sys.stderr)


def _restore_one(args, req, loaded, progress) -> int:
    """One image of inpaint or denoise, the request ``req`` made from the options: read it, check the output,
    resolve the job (the mask by one rule), load the model (a batch, :mod:`.batch`, passes it loaded, with its
    progress display), the model's checks, then the run and the save. One body for both tasks: they differed
    only in which checks they ran (inpaint's model refusals came from inside the run, after its notes)."""
    from ..core.run.tasks import run_task

    data = _read(args.input)
    card = loaded.path if loaded is not None else _card(args.checkpoint)
    _check_output(args, data, card)
    job = _resolve(req, data, *_mask_of(args, data))
    _same_mask(args, job)
    loaded = loaded or _load(card, _device(args.device))
    _same_model(args, loaded)
    _model_notes(loaded, job)
    try:   # what the model refuses (not an image model) is the one line, before the note below
        req.validate(loaded)
    except ValueError as e:
        raise UserError(str(e)) from None
    say_unused(args, req, loaded, job.image)
    _save(args, _run_to_end(run_task(loaded, job), req.task, progress), data, loaded, job)
    return 0


def cmd_inpaint(args, loaded=None, progress=None) -> int:
    """One image (:func:`_restore_one`)."""
    return _restore_one(args, _inpaint_request(args), loaded, progress)


def _denoise_request(args):
    """The denoising request, checked before any image is read (sigma None: estimated from it)."""
    from ..core.run.requests import DenoiseRequest

    return _request(DenoiseRequest, args, device=args.device, **A.request_settings(DenoiseRequest, args, DENOISE))


def say_unused(args, req, loaded=None, image=None) -> None:
    """Say once (a batch: once for all its images) which settings given the run's method does not use
    (DenoiseRequest.unused): after the checks, so a refused run is still one line. With the model and the image
    known (``loaded``, ``image``), a seed the run draws nothing from too (said at the first such image)."""
    if not getattr(req, "unused", None):
        return
    from ..core.run.jobs import colour_noise

    said = getattr(args, "unused_said", None)
    if said is None:   # one set for a batch: its images' copies of args share it
        said = args.unused_said = set()
    names = [n for n in req.unused(None if loaded is None or image is None else colour_noise(loaded, image))
             if n not in said]
    if names:
        said.update(names)
        print(f"dpm-studio: note: {req.unused_note(names)}", file=sys.stderr)


def cmd_denoise(args, loaded=None, progress=None) -> int:
    """One image (:func:`_restore_one`)."""
    return _restore_one(args, _denoise_request(args), loaded, progress)


def cmd_sample(args) -> int:
    from ..core.run.requests import SampleRequest
    from ..core.run.tasks import run_task

    size = None if args.size is None else args.size[::-1]  # WxH, parsed and range-checked by argparse (args.parse_size)
    req = _request(SampleRequest, args, size=size, device=args.device,
                   **A.request_settings(SampleRequest, args, SAMPLE))
    card = _card(args.checkpoint)
    _check_output(args, None, card)
    loaded = _load(card, _device(args.device))
    _same_model(args, loaded)
    job = _resolve(req, None)
    _save(args, _run_to_end(run_task(loaded, job), "sample"), None, loaded, job)
    return 0


#: How each command names its task in --help's note on the default model.
_TASK_WORDS = {"inpaint": "inpainting", "denoise": "denoising", "sample": "sampling"}


def _restore_args(p, cls, names):
    p.add_argument("-o", "--output", required=True, help="output image (PNG, JPEG, TIFF, BMP, WebP); with several "
                   "inputs or a folder, the output folder (each result keeps its input's name)")
    task = cls.task   # each task has its own default model (paths.DEFAULT_CHECKPOINTS), read when the parser is made
    p.add_argument("--checkpoint", default=default_checkpoint(task),
                   help=f"a shipped checkpoint's name or a path (default: {default_checkpoint(task)}, the "
                   f"{_TASK_WORDS[task]} default; the saved result records the one used)")
    p.add_argument("--device", default="cpu", type=A.device, help=A.DEVICE_HELP)
    from ..imageio import DEFAULT_QUALITY, QUALITY  # the app's Save As proposes the same

    p.add_argument("--quality", type=A.int_in(*QUALITY), default=DEFAULT_QUALITY,
                   help=f"JPEG/WebP quality ({QUALITY[0]} to {QUALITY[1]}; default {DEFAULT_QUALITY})")
    p.add_argument("--overwrite", action="store_true", help="replace an output file that exists (the input too, "
                   "if -o names it); without it a run whose output exists is refused, and a batch skips the images "
                   "whose output exists, so an interrupted batch resumes")
    from ..core.run.requests import variant_range

    p.add_argument("--keep-sample", type=A.int_in(*variant_range(cls)), default=None, metavar="K",
                   help="of several --samples, save draw K (1 to the number of samples) or 0, their mean, as the "
                   "app's Accept keeps the one shown (default: the mean; for sample, the first draw)")
    A.add_request_options(p, cls, names)


#: The examples each command's --help ends with: (the command, what it does). tests/cli/test_help_examples.py
#: runs every one of them as written (but for a test model), so none can stop working unseen.
EXAMPLES = {
    "inpaint": [
        ("dpm-studio inpaint photo.png --mask mask.png -o filled.png", "fill the mask's nonzero pixels"),
        ("dpm-studio inpaint photo.png --mask mask.png -o filled.png --samples 4 --seed 7",
         "the mean of 4 draws; --keep-sample K keeps one"),
        ("dpm-studio inpaint photo.png --mask mask.png -o filled.png --grain none", "a clean fill, no grain"),
        ("dpm-studio inpaint scans/ --mask masks/ -o filled/", "a folder; masks matched by file name stem"),
    ],
    "denoise": [
        ("dpm-studio denoise noisy.png -o clean.png", "the noise law fitted from the image (--noise auto)"),
        ("dpm-studio denoise noisy.png -o clean.png --sigma 25", "one noise std, in 0-255 units"),
        ("dpm-studio denoise noisy.png -o clean.png --noise poisson-gaussian --noise-a 0.004 --noise-b 0.0004",
         "var = a x + b, in [0, 1] image units"),
        ("dpm-studio denoise noisy.png -o clean.png --mask face.png --feather 4", "only inside the mask"),
        ("dpm-studio denoise noisy.png -o clean.png --region 8,8,32,24", "only the rectangle X,Y,W,H (pixels)"),
        ("dpm-studio denoise photos/ -o clean/", "every image of a folder"),
    ],
    "sample": [
        ("dpm-studio sample -o drawn.png --size 96x64 --seed 3", "a new 96 x 64 image"),
        ("dpm-studio sample -o drawn.png --size 64x64 --samples 4 --keep-sample 2", "the second of 4 draws"),
    ],
}


def _epilog(task: str) -> str:
    return "examples:\n" + "\n".join(f"  {cmd}\n      {what}" for cmd, what in EXAMPLES[task])


def add_parsers(sub) -> None:
    """The ``inpaint``, ``denoise`` and ``sample`` subcommands' options."""
    import argparse

    from ..core.run.requests import DenoiseRequest, InpaintRequest, SampleRequest

    def parser(task, help):
        return sub.add_parser(task, help=help, epilog=_epilog(task), formatter_class=argparse.RawDescriptionHelpFormatter)

    i = parser("inpaint", help="fill the masked pixels of an image")
    i.add_argument("input", nargs="+", help="the image; or several, or a folder of images (a batch)")
    i.add_argument("--mask", required=True, help="mask image: nonzero pixels are filled; in a batch, one mask for "
                   "all images or a folder of masks matched to the images by file name stem")
    _restore_args(i, InpaintRequest, INPAINT)

    dn = parser("denoise", help="remove noise from an image (its noise law fitted from it, or the --sigma "
                        "given)")
    dn.add_argument("input", nargs="+", help="the noisy image; or several, or a folder of images (a batch)")
    dn.add_argument("--mask", default=None, help="denoise only where this mask image is nonzero (the app's "
                    "painted mask; read as inpaint reads it: --soft-mask, --feather), blended back, every "
                    "pixel outside kept; in a batch, one mask or a folder of masks matched by file name stem")
    _restore_args(dn, DenoiseRequest, DENOISE)

    sm = parser("sample", help="draw an image from a model")
    _restore_args(sm, SampleRequest, SAMPLE)
    from ..core.run.settings import spec_of   # the request's size is (H, W); typed WxH, as the record says it

    sm.add_argument("--size", type=A.parse_size, metavar="WxH", default=None,
                    help=f"width x height: {spec_of(SampleRequest, 'size').describe()}")
