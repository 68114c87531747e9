"""``dpm-studio replay RESULT``: run again, or print, the command a saved result's record stands for.

Every result the app or the command line saves carries the run records that made it
(core/run/requests.saved_metadata). A record's settings become the request again
(core/run/requests.request_of_record) and that request the ``inpaint``, ``denoise`` or ``sample``
command line, each setting by its one declared option (cli/args.add_request_options), so the
command printed (``--print``) and the command run are the same words. The record holds the
resolved settings (the noise law and level that ran, the tile batch, the arithmetic), so the
same input (and mask) gives the same pixels; the mask and the model are checked by their
digests (``mask_sha256``, ``checkpoint_sha256``) before anything runs. After it runs, the pixels it made are
checked against the record's digest of the run's (``result_sha256``, core/run/jobs.stamped): "reproduced
exactly", or by how much they differ and which versions made them (:func:`verdict`); ``--strict`` makes
anything but "reproduced exactly" exit status 1 (the result is saved either way).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import sys
from dataclasses import fields
from pathlib import Path

from . import args as A
from .common import UserError

__all__ = ["add_parser", "cmd_replay", "record_argv"]

PLACEHOLDER_OUT, PLACEHOLDER_MASK = "OUT.png", "MASK.png"   # what --print names where none is given


def _names(task: str) -> tuple:
    from . import restore

    return {"inpaint": restore.INPAINT, "denoise": restore.DENOISE, "sample": restore.SAMPLE}[task]


def _option(cls, name: str, value) -> list[str]:
    """``value`` of setting ``name`` as its command-line option (flag and shown units), or [] where the
    option's absence means it."""
    from ..core.run.settings import specs

    s = specs(cls)[name]
    flag = s.flag or "--" + name.replace("_", "-")
    if isinstance(value, bool):
        return [flag] if value else []
    if isinstance(value, (tuple, list)):
        return [flag, ",".join(str(int(v)) for v in value)]
    shown = value * s.scale if s.scale != 1 else value
    return [flag, shown if isinstance(shown, str) else repr(shown)]  # repr: a float's every digit


def record_argv(record: dict, image=None, mask=None, output=PLACEHOLDER_OUT, checkpoint=None) -> list[str]:
    """The command line (without ``dpm-studio``) of a saved run ``record`` on ``image`` (and ``mask``),
    saving to ``output``, with the record's checkpoint or ``checkpoint``. A setting the command line
    cannot give is refused (ValueError, one line)."""
    from ..core.run.requests import REQUESTS, choice_text, default_variant, request_of_record

    try:  # a record is anyone's text: its settings are checked as a run's are (steps=0, "many", [[1]], NaN)
        req = request_of_record(record).validate()
    except (TypeError, ValueError) as e:
        raise ValueError(f"its settings cannot run: {e}") from None
    cls, task = type(req), req.task
    names = _names(task)
    argv = [task] + ([] if task == "sample" else [str(image)])
    argv += ["--mask", str(mask)] if mask is not None else []
    argv += ["-o", str(output)]
    if checkpoint or record.get("checkpoint"):
        argv += ["--checkpoint", str(checkpoint or record["checkpoint"])]
    if req.device != "cpu":
        argv += ["--device", req.device]
    if task == "sample":
        h, w = (int(v) for v in req.size)
        argv += ["--size", f"{w}x{h}"]
    defaults = {f.name: f.default for f in fields(REQUESTS[task])}
    for f in fields(cls):
        name, value = f.name, getattr(req, f.name)
        if name in ("device", "size", "noise_fit", "grain_law") or value is None or value == defaults[name]:
            continue   # the device and size above; the noise's fit is what the noise law says; the grain's law
            # is fitted again to the same input's known pixels (deterministic: the same law, the same pixels)
        if name not in names:
            raise ValueError(f"the run's {name} = {value!r} has no command-line option: replay it with the Python "
                             "API (dpm_studio.api)")
        argv += _option(cls, name, value)
    choice = record.get("choice")
    if isinstance(choice, str) and choice.startswith("sample "):   # "sample 2 of 4": the draw the app kept
        try:
            k, n = (int(v) for v in choice.split()[1::2])
        except ValueError:
            raise ValueError(f"its choice {choice[:40]!r} is not 'sample K of N'") from None
        if choice != choice_text(n, default_variant(task, n)):
            argv += ["--keep-sample", str(k)]
    elif isinstance(choice, str) and choice.startswith("mean of ") and default_variant(task, req.samples):
        argv += ["--keep-sample", "0"]
    return argv


def _record(path: Path, run: int | None) -> tuple[dict, int, dict]:
    """(the chosen run's record, its number from 1, the file's metadata)."""
    from ..imageio import load_image

    data = load_image(path)
    meta = data.metadata
    runs = meta.get("runs") if isinstance(meta, dict) else None
    if data.unreadable_record:   # a record is anyone's text: why this one is not read, in one line
        raise UserError(f"{path.name} holds a dpm-studio record that cannot be read, so it cannot be replayed: "
                        f"{data.unreadable_record}")
    if isinstance(runs, list) and not runs:
        raise UserError(f"{path.name} holds a dpm-studio record of no runs (saved before any run): nothing to replay")
    if meta and "runs" in meta and not (isinstance(runs, list) and all(isinstance(r, dict) for r in runs)):
        from ..core.files.cardschema import short_repr

        raise UserError(f"{path.name} holds a dpm-studio record whose runs are {short_repr(runs)}, not a list of run "
                        "records (an edited record?), so it cannot be replayed")
    if not isinstance(runs, list):
        raise UserError(f"{path.name} carries no dpm-studio run record: only a result the app or the command line "
                        f"saved as PNG, TIFF, JPEG or WebP can be replayed{_NO_RECORD.get(data.file_format, '')}")
    k = len(runs) if run is None else run
    if not 1 <= k <= len(runs):
        raise UserError(f"--run {run}: {path.name} holds {len(runs)} run{'s' * (len(runs) > 1)}; give 1 to {len(runs)}")
    return runs[k - 1], k, meta


#: Why a file of a format that holds no record has none (a result saved as BMP is told so when it is saved:
#: imageio.save_losses).
_NO_RECORD = {"BMP": " (a BMP holds no text: save a result as one of those to replay it)"}


# What a record holds besides its settings (core/run/requests.py, core/run/jobs.py, the app's session).
RECORD_ENTRIES = {"task", "checkpoint", "checkpoint_sha256", "checkpoint_weights_checked", "time", "seconds",
                  "choice", "sigma_255", "mask_sha256", "region_box", "result_sha256", "software", "unchanged"}


def _unknown_entries(record: dict) -> list[str]:
    """The record's entries that are neither settings of its task nor what a record says besides them:
    a newer version's settings, which this one would leave out."""
    from ..core.run.requests import REQUESTS

    cls = REQUESTS.get(record.get("task"))
    names = {f.name for f in fields(cls)} if cls else set()
    return sorted(k for k in record if k not in names and k not in RECORD_ENTRIES)


def _needs_mask(record: dict) -> bool:
    """An inpainting always had a mask; a denoise with a mask's digest and no rectangle was limited to a mask."""
    return record.get("task") == "inpaint" or (record.get("task") == "denoise" and "mask_sha256" in record
                                               and "region" not in record)


def _source(result: Path, meta: dict) -> tuple[Path | None, str | None]:
    """(the file beside ``result`` that its record names as its source, or None; the refusal of a source that
    is not a file name, or None). A record dpm-studio writes names its source by the file's name alone
    (core/run/requests.saved_metadata), looked for beside the result: a record's text is anyone's, and
    ``../x.png``, ``/home/x.png`` or ``sub/x.png`` would read a file outside the result's folder, so such a
    source is never read; the input is then given with --input."""
    from ..core.files.cardschema import printable
    from ..core.files.safefiles import same_file

    source = meta.get("source")
    if not isinstance(source, str) or not source:
        return None, None
    if source in (".", "..") or any(c in source for c in "/\\\0"):
        return None, (f"{result.name} names its source {printable(source)[:80]!r}, which is not a file name beside "
                      "it (a result dpm-studio saves records the name alone), so it is not read: give the input "
                      "with --input.")
    beside = result.parent / source
    if not os.path.isfile(beside):   # os.path: a name too long is no file, not an error
        return None, None
    if same_file(beside, result):   # saved under its input's name in another folder (a batch's): not the input
        return None, (f"{result.name} is the result, not the image it was made from (saved under its source's "
                      "name, in another folder or over it): give the input with --input.")
    return beside, None


def _input(args, record: dict, k: int, meta: dict) -> Path | None:
    """The image the run read: --input, or the one run of a file's record on the file named as its source
    (looked for beside the result: :func:`_source`)."""
    from ..core.files.cardschema import printable

    if record.get("task") == "sample":
        return None
    if args.input is not None:
        return Path(args.input)
    one = len(meta["runs"]) == 1
    beside, refused = _source(Path(args.result), meta)
    if one and beside is not None:
        return beside
    if args.print:   # the command printed names where the input goes
        return Path(meta["source"] if one and isinstance(meta.get("source"), str) and meta["source"]
                    and not refused else "INPUT.png")
    if refused:
        raise UserError(refused)
    which = f"the image before run {k}" if not one else printable(meta.get("source") or "the image it was made from")
    raise UserError(f"give the input with --input: {which} (not found beside {Path(args.result).name})")


def _masks(args) -> list:
    return list(args.mask or [])


def cmd_replay(args, build_parser, commands) -> int:
    """``args``: replay's options; ``build_parser`` and ``commands``: the command line's parser and its
    commands (cli/main.py hands them in), which run the command the record stands for."""
    result = Path(args.result)
    if args.all_runs:
        return _replay_all(args, build_parser, commands)
    record, k, meta = _record(result, args.run)
    if len(_masks(args)) > 1:
        raise UserError("give one --mask for one run (several only with --all-runs)")
    mask = (_masks(args) or [None])[0]
    image, argv = _argv(args, record, k, meta, mask, args.output)
    if args.print:
        print(shlex.join(["dpm-studio", *argv]))
        return 0
    if args.output is None:
        raise UserError("give the output with -o (or --print the command)")
    return _run(args, argv, record, k, build_parser, commands)


def _argv(args, record: dict, k: int, meta: dict, mask, output, image=None) -> tuple:
    """(the input, the command line) of run ``k`` (``record``) of the file, on ``image`` (None: --input,
    else the source beside the result) with ``mask``, saving to ``output``."""
    result = Path(args.result)
    task = record.get("task")
    if task not in ("inpaint", "denoise", "sample"):
        raise UserError(f"run {k} of {result.name} is a {task!r} run: only inpaint, denoise and sample replay")
    for key in ("checkpoint_sha256", "mask_sha256"):  # compared and quoted later: a number there was exit 70
        digest = record.get(key)
        if key in record and not (isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)):
            from ..core.files.cardschema import short_repr

            raise UserError(f"run {k} of {result.name}: its {key} is {short_repr(digest)}, not a SHA-256 digest (an "
                            "edited record?), so what the run used cannot be checked")
    unknown = _unknown_entries(record)
    if unknown:
        from ..core.files.cardschema import printable

        print(f"dpm-studio: note: run {k} of {result.name} holds {printable(', '.join(unknown))}, which this version does not "
              "know: left out, so the result may differ", file=sys.stderr)
    image = image if image is not None or task == "sample" else _input(args, record, k, meta)
    if mask is None and _needs_mask(record) and args.print:
        mask = PLACEHOLDER_MASK   # the command printed names where the mask goes
    elif mask is None and _needs_mask(record):
        raise UserError(f"run {k} of {result.name} used a mask: give it with --mask (the app's File > Export Mask)")
    try:
        return image, record_argv(record, image, mask, output or PLACEHOLDER_OUT, args.checkpoint)
    except ValueError as e:
        raise UserError(f"run {k} of {result.name}: {e}") from None


def _run(args, argv: list, record: dict, k: int, build_parser, commands) -> int:
    if args.overwrite:
        argv.append("--overwrite")
    refused = io.StringIO()
    try:  # what the record says that the parser still refuses (a device not here): one line, not SystemExit
        with contextlib.redirect_stderr(refused):
            sub = build_parser().parse_args(argv)
    except SystemExit:
        why = refused.getvalue().strip().removeprefix("dpm-studio: error: ")
        raise UserError(f"run {k} of {Path(args.result).name} cannot be run here: {why}") from None
    sub.expect_mask_sha256 = record.get("mask_sha256") if record.get("task") != "sample" else None
    sub.expect_checkpoint_sha256 = record.get("checkpoint_sha256")   # a --checkpoint too: the same weights
    sub.saved_run = None   # the record and pixels the command saves (cli/restore._save), for the verdict
    rc = commands[record["task"]](sub)
    if rc or getattr(sub, "saved_run", None) is None:
        return rc
    said, same = verdict(record, k, Path(args.result), *sub.saved_run)
    print(f"dpm-studio: {said}", file=sys.stderr)
    return 1 if args.strict and not same else 0


def verdict(record: dict, k: int, result: Path, made: dict, pixels) -> tuple[str, bool]:
    """Did the replay of run ``k`` (``record``) of the file ``result`` make the pixels the run made? ``made``:
    the replay's own record (core/run/jobs.stamped), ``pixels``: what it kept ([0, 1]). Returns (the sentence,
    reproduced). A record's ``result_sha256`` says it to the bit; where the file's pixels are that run's (its
    last run, saved losslessly: their digest is the record's) the difference is measured on them. A record made
    before results had a digest is compared with the file's pixels where they are its (its last run, a PNG,
    TIFF or BMP), else it cannot be checked (reproduced False: --strict fails it)."""
    from ..core.files.cardschema import printable
    from ..core.run.jobs import Source
    from ..imageio import load_image

    name, want, got = result.name, record.get("result_sha256"), made["result_sha256"]
    was = record.get("software")
    by = f"recorded by {printable(was)[:60] if isinstance(was, str) else 'a version before records said it'}, " \
         f"now {made['software']}"
    digest = isinstance(want, str) and re.fullmatch(r"[0-9a-f]{64}", want) is not None
    if digest and want == got:
        return f"run {k} of {name} reproduced exactly: the same pixels, to the bit (sha256 {got[:12]}...)", True
    data = load_image(result)
    runs = data.metadata.get("runs") if isinstance(data.metadata, dict) else None
    last = isinstance(runs, list) and k == len(runs)
    source, recorded = Source.of(data), None
    if last and _colour(data.pixels).shape == _colour(pixels).shape:   # the file's pixels: are they the run's?
        if digest and source.digest(_colour(data.pixels)) == want or \
                not digest and result.suffix.lower() in (".png", ".tif", ".tiff", ".bmp"):
            recorded = _colour(data.pixels)
    differ = None if recorded is None else _difference(source, recorded, _colour(pixels))
    if digest:
        if recorded is not None:
            return f"run {k} of {name} differs from the recorded result: {differ or 'another digest'} ({by})", False
        where = "holds a later run's pixels" if not last else "does not hold the run's pixels to the bit"
        return f"run {k} of {name} differs from the recorded result: its pixels' sha256 is not the record's (the " \
               f"file {where}, so by how much is not known; {by})", False
    why = "its result_sha256 is not a SHA-256 digest (an edited record?)" if "result_sha256" in record else \
        "it was recorded without a digest of its pixels"
    if recorded is None:
        where = "a later run's pixels" if not last else "pixels that may not be the run's to the bit"
        return f"run {k} of {name}: whether the replay reproduced it cannot be checked: {why}, and the file " \
               f"holds {where} ({by})", False
    if differ is None:
        return f"run {k} of {name}: {why}; the replay made the file's own pixels, to the bit ({by})", True
    return f"run {k} of {name} differs from the file's pixels: {differ} ({why}; {by})", False


def _colour(pixels):
    """(H, W, C) colour pixels: a grey image's channel axis added, an alpha after the colour left out."""
    import numpy as np

    a = np.asarray(pixels)
    a = a[:, :, None] if a.ndim == 2 else a
    return a[:, :, :-1] if a.shape[2] in (2, 4) else a


def _difference(source, recorded, replayed) -> str | None:
    """How ``replayed`` differs from ``recorded`` at the source's depth ("max |diff| = 3/255 on 12 of 4096
    pixels"), or None where they are the same file's pixels."""
    import numpy as np

    a, b = source.held(recorded), source.held(replayed)
    d = np.abs(a.astype(np.float64) - b.astype(np.float64)).max(axis=2)
    n = int((d > 0).sum())
    if not n:
        return None
    depth = int(source.bit_depth)
    if depth == 32:
        top = f"{d.max() * 255:.3g}/255"
    else:
        levels = 65535 if depth == 16 else 255
        top = f"{int(round(d.max() * levels))}/{levels}"
    return f"max |diff| = {top} on {n} of {d.size} pixels"


def _replay_all(args, build_parser, commands) -> int:
    """Every run of the file in turn, each on the result of the one before, from the image before the first
    (--input, else the source beside the result). The app holds an accepted result as its file would (rounded
    to the file's depth), so each result between is saved losslessly at that depth (PNG, or TIFF for a TIFF)
    and the last is the app's, pixel for pixel. Runs the input already carries (its own record's, at the
    start of the result's) are not run again. One --mask serves every run that used one; several are taken
    in turn."""
    import tempfile

    from ..imageio import load_image

    result = Path(args.result)
    _, n, meta = _record(result, None)
    runs = meta["runs"]
    if args.run is not None:
        raise UserError("--run picks one run: leave it out with --all-runs")
    first = Path(args.input) if args.input else None
    beside, refused = _source(result, meta)
    if first is None and beside is not None:
        first = beside
    if first is None and runs[0].get("task") != "sample":
        if refused and not args.print:
            raise UserError(refused)
        if not args.print:
            raise UserError(f"give the input with --input: the image before run 1 (not found beside {result.name})")
        first = Path("INPUT.png")
    done = []
    if first is not None and first.is_file():
        own = load_image(first).metadata
        own = own.get("runs") if isinstance(own, dict) else None
        done = own if isinstance(own, list) and own == runs[:len(own)] else []
    todo = list(range(len(done) + 1, n + 1))
    if not todo:
        raise UserError(f"{first.name} already holds every run of {result.name}: nothing to replay")
    if any(runs[k - 1].get("task") == "sample" for k in todo[1:]):
        raise UserError(f"{result.name} draws a sample after its first run: replay its runs one by one (--run N)")
    masks, needs = _masks(args), [k for k in todo if _needs_mask(runs[k - 1])]
    if len(masks) > 1 and len(masks) != len(needs):
        raise UserError(f"give one --mask for all {len(needs)} masked runs, or one for each (in order): "
                        f"{len(masks)} given")
    if args.output is None and not args.print:
        raise UserError("give the output with -o (or --print the commands)")
    suffix = first.suffix.lower() if first is not None and first.suffix.lower() in (".png", ".tif", ".tiff") \
        else ".png"
    failed = 0   # --strict: 1 where a run did not make its recorded pixels (each run is still replayed and said)
    with tempfile.TemporaryDirectory(prefix="dpm-replay-") as tmp:
        image = first
        for k in todo:
            record = runs[k - 1]
            mask = None
            if _needs_mask(record) and masks:
                mask = masks[0] if len(masks) == 1 else masks[needs.index(k)]
            last = k == todo[-1]
            out = args.output if last else (f"run{k}{suffix}" if args.print else str(Path(tmp) / f"run{k}{suffix}"))
            _, argv = _argv(args, record, k, meta, mask, out, image=image if record.get("task") != "sample" else None)
            if args.print:
                print(shlex.join(["dpm-studio", *argv]))
            else:
                rc = _run(args, argv, record, k, build_parser, commands)
                if rc and not (args.strict and rc == 1):
                    return rc
                failed = failed or rc
            image = None if last else Path(out)
    return failed


def add_parser(sub) -> None:
    r = sub.add_parser("replay", help="run again (or --print) the command a saved result's record stands for: "
                       "the same input, mask and seed give the same pixels")
    r.add_argument("result", help="an image the app or the command line saved (its metadata holds the runs)")
    r.add_argument("-o", "--output", default=None, help="where to save the replayed result")
    r.add_argument("--input", default=None, help="the image the run read (default: the file its record names as "
                   "its source, beside the result, when it holds one run)")
    r.add_argument("--mask", default=None, action="append", help="the mask the run used (checked against the "
                   "record's digest); with --all-runs one for every masked run, or one each in turn")
    r.add_argument("--run", type=A.int_in(1, 10_000), default=None, metavar="N",
                   help="which of the file's runs, from 1 (default: the last)")
    r.add_argument("--checkpoint", default=None, help="where the record's checkpoint is, a name or a path, when its "
                   "name is not found here (its weights must be the record's: checked by their sha256)")
    r.add_argument("--all-runs", action="store_true", help="replay every run of the file in turn from the image "
                   "before the first (--input, or the source beside it), each on the one before's result, as "
                   "the app ran them")
    r.add_argument("--strict", action="store_true", help="exit with status 1 unless the replay made the run's "
                   "pixels exactly (the record's sha256 of them; a record from before it held one is compared with "
                   "the file's pixels where they are that run's, else it fails). Without it the verdict is said "
                   "(reproduced exactly, or by how much it differs) and the exit status is 0")
    r.add_argument("--print", action="store_true", help="print the equivalent command instead of running it")
    r.add_argument("--overwrite", action="store_true", help="replace the output if it exists (without it an "
                   "existing output is refused, as by inpaint, denoise and sample)")
