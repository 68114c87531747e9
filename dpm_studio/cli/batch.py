"""Batch runs of ``dpm-studio inpaint|denoise``: several files or a folder in, a folder out.

``dpm-studio inpaint DIR --mask MASKS -o OUT`` (as IOPaint's ``run --image DIR --mask
DIR|FILE --output DIR``): every image of DIR (or every file named) runs through the
single-image command with the checkpoint loaded once. ``--mask`` is one mask for all
images, or a folder whose masks are matched to the images by file name stem
(``a.jpg`` takes ``MASKS/a.png``). Results go to ``OUT/<input name>`` (a format that
cannot be written, such as GIF, becomes PNG). An image whose output exists is skipped
unless ``--overwrite``, so an interrupted batch resumes where it stopped (outputs are
written atomically: a half-written file never exists). A file that fails is reported
on one line and skipped; a summary ends the run; the exit status is 1 when any image
failed (2, as for one image, when the options themselves are wrong). The summary names each
failure with its kind (not an image, unreadable, too large, no mask, not saved), and the files of a folder
left out because their names are not images' (``notes.txt``; hidden files aside): those are
counted and named, not run, and do not change the exit status (as subfolders, which are not
entered). :func:`summary` is that line's record, :func:`summary_line` the line.

Progress on stderr: one line per image with that image's bar and the whole batch's bar.
"""

from __future__ import annotations

import argparse
import errno
import os
import stat
import sys
from pathlib import Path

from ..imageio import READ_EXTENSIONS, WRITE_FORMATS
from ..errorlog import sentence
from .common import Progress

__all__ = ["is_batch", "run", "collect_inputs", "output_path", "find_mask", "BatchProgress", "summary",
           "summary_line", "failure_kind"]

FAILED_STATUS = 1


def _names_folder(output) -> bool:
    """``-o out/``: a name ending in a separator is a folder (made if missing), never a file."""
    text = str(output)
    return text.endswith("/") or text.endswith(os.sep)


def is_batch(args) -> bool:
    """True for several inputs, a folder, or one file with ``-o`` an existing folder or a name ending
    in ``/`` (a folder to make); for a single file to a file, leaves ``args.input`` that file's path.
    A batch's own per-image calls pass one path (not a list), so they are never batches themselves."""
    if not isinstance(args.input, (list, tuple)):
        return False
    inputs = args.input
    if len(inputs) == 1 and not Path(inputs[0]).is_dir() and not Path(args.output).is_dir() \
            and not _names_folder(args.output):
        args.input = inputs[0]
        return False
    return True


def _note(text: str) -> None:
    print(f"dpm-studio: {text}", file=sys.stderr)


def _is_folder(p: Path) -> bool:
    try:
        return stat.S_ISDIR(os.stat(p).st_mode)
    except OSError:
        return False


def _images_in(folder: Path, report: bool = False, left_out: list | None = None) -> list[Path]:
    """The image files of ``folder`` by extension (hidden files and folders left out). A symbolic
    link loop is skipped with a line (``report``), never an error for the whole folder. ``left_out``
    gets ``(name, why)`` for each file left out: a name that is not an image's, a loop."""
    found = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        if p.suffix.lower() not in READ_EXTENSIONS:
            if left_out is not None and not _is_folder(p):
                left_out.append((p.name, NOT_AN_IMAGE))
            continue
        try:
            if stat.S_ISDIR(os.stat(p).st_mode):
                continue
        except OSError as e:
            if e.errno == errno.ELOOP:
                if report:
                    _note(f"skipped: {p.name}: a loop of symbolic links, not an image")
                if left_out is not None:
                    left_out.append((p.name, UNREADABLE))
                continue
            # a missing link target or no permission: reported when its turn comes
        found.append(p)
    return found


#: The kinds of file a batch does not run, named in its summary.
NOT_AN_IMAGE, UNREADABLE, TOO_LARGE, NO_MASK, OTHER = "not an image", "unreadable", "too large", "no mask", "error"
BAD_MASK = "bad mask"  # the image is fine; its mask is not a mask that can be read
NOT_SAVED = "not saved"  # read and run, but its output could not be written (a full disk, a refused name)

_KINDS = ((NOT_SAVED, ("cannot save", "refusing to write", "refusing to overwrite")),
          (BAD_MASK, ("--mask ",)),
          (TOO_LARGE, ("too large", "safety limit", "of memory and", "larger than is safe")),
          (NO_MASK, ("no mask for",)),
          (UNREADABLE, ("permission denied", "truncated or corrupt", "cannot be read", "cannot be decoded",
                        "no such file", "missing file", "loop of symbolic links")),
          (NOT_AN_IMAGE, ("not an image", "no pixels", "empty file", "not a file", "is a device", "named pipe",
                          "a socket", "document named", "not read", "holds no finite values")))


def failure_kind(message: str) -> str:
    """What a failed image's one-line message says went wrong: one of the kinds above."""
    text = message.lower()
    for kind, words in _KINDS:
        if any(w in text for w in words):
            return kind
    return OTHER


def _names(items, shown: int = 5) -> str:
    listed = [f"{name} ({why})" for name, why in items[:shown]]
    return ", ".join(listed) + (f" and {len(items) - shown} more" if len(items) > shown else "")


def summary(task: str, written: int, exists: int, failed: list, left_out: list) -> dict:
    """A batch's outcome as a record: ``failed`` and ``left_out`` are lists of
    ``{"name", "why"[, "message"]}``; ``status`` is the exit status (1 if any image failed; a file
    left out by its name does not count)."""
    return {"task": task, "written": written, "exists": exists,
            "failed": [{"name": n, "why": failure_kind(m) if m != "not run" else "not run", "message": m}
                       for n, m in failed],
            "left_out": [{"name": n, "why": w} for n, w in left_out],
            "status": FAILED_STATUS if failed else 0}


def summary_line(record: dict) -> str:
    """``batch denoise: 3 written, 0 skipped (output exists), 1 failed: b.png (unreadable);
    2 left out: notes.txt (not an image), ...``: every file of the batch is accounted for."""
    line = (f"dpm-studio: batch {record['task']}: {record['written']} written, {record['exists']} skipped "
            f"(output exists), {len(record['failed'])} failed")
    if record["failed"]:
        line += ": " + _names([(f["name"], f["why"]) for f in record["failed"]], shown=10)
    if record["left_out"]:
        line += f"; {len(record['left_out'])} left out: " + _names([(f["name"], f["why"]) for f in record["left_out"]])
    return line


def _subfolders(folder: Path) -> list[str]:
    return sorted(q.name for q in folder.iterdir() if not q.name.startswith(".") and q.is_dir())


def collect_inputs(inputs, notes: list | None = None, left_out: list | None = None) -> list[Path]:
    """The files to run: each named file, and every image file (by extension) in each folder named.
    Subfolders are not entered: ``notes`` gets a line naming them (a subfolder of images left out
    without a word came out as a clean 'all written'); ``left_out`` gets ``(name, why)`` for each
    file of a folder that is not run (a README, a sidecar: left out without a word before)."""
    from .common import UserError

    files: list[Path] = []
    for name in inputs:
        p = Path(name)
        if p.is_dir():
            found, subs = _images_in(p, report=True, left_out=left_out), _subfolders(p)
            if not found:
                raise UserError(f"{p} holds no images ({', '.join(e.lstrip('.') for e in READ_EXTENSIONS)})"
                                + ("; its subfolders are not entered: name them to run them" if subs else ""))
            if subs and notes is not None:
                shown = ", ".join(subs[:3]) + (", ..." if len(subs) > 3 else "")
                notes.append(f"note: {p}: left out {len(subs)} subfolder{'s' * (len(subs) > 1)} ({shown}): folders "
                             "are not entered; name them too to run them")
            files.extend(found)
        else:
            files.append(p)  # a missing or broken file is reported when its turn comes
    seen, unique = set(), []
    for f in files:
        key = os.path.realpath(f)  # never raises on a loop (Path.resolve does)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def output_path(folder: Path, image: Path) -> Path:
    """``folder/<image name>``, with .png where the input's format cannot be written."""
    return folder / (image.name if image.suffix.lower() in WRITE_FORMATS else image.stem + ".png")


def find_mask(masks: Path, image: Path) -> Path:
    """The mask for ``image``: ``masks`` itself when it is a file, else the one image of that stem in
    it (two, such as ``a.png`` and ``a.jpg``, are an error naming both: never one by sort order)."""
    from .common import UserError

    if not masks.is_dir():
        return masks
    found = [p for p in _images_in(masks) if p.stem == image.stem]
    if not found:
        raise UserError(f"no mask for {image.name}: nothing named {image.stem}.* in {masks}")
    if len(found) > 1:
        raise UserError(f"two masks for {image.name} in {masks}: {found[0].name} and {found[1].name}; "
                        "keep one (masks are matched by file name stem)")
    return found[0]


class BatchProgress(Progress):
    """The single-image Progress interface (``total``, ``update``, ``close``) drawing both bars."""

    def __init__(self, n: int, stream=None):
        super().__init__("", None, stream)
        self.n, self.k, self.name = n, 0, ""

    def start(self, k: int, name: str):
        self.k, self.name, self.total, self.last = k, name, None, 0.0

    @staticmethod
    def _bar(frac: float, width: int = 16) -> str:
        return "[" + ("#" * int(width * min(1.0, frac))).ljust(width) + "]"

    def update(self, done: int, extra: str = "", force: bool = False):
        el = self._due(force)
        if el is None:
            return
        frac = done / self.total if self.total else 0.0
        overall = (self.k + frac) / self.n
        eta = f"eta {el / overall - el:4.0f}s" if overall > 0 else ""
        self._draw(f"[{self.k + 1}/{self.n}] {self.name[:28]} {self._bar(frac)} {done}/{self.total or '?'}  "
                   f"all {self._bar(overall)} {100 * overall:3.0f}% {el:5.0f}s {eta}", width=110)

    def line(self, text: str):
        """A report line (skip, failure) between the bars."""
        self.stream.write(("\r" if self.tty else "") + text + "\n")
        self.stream.flush()


def _folders_read(args, files: list[Path]) -> list[tuple[str, Path]]:
    """The folders a batch reads from: each input folder (or a named file's folder) and the mask folder."""
    folders = [("input folder", Path(name)) for name in args.input if Path(name).is_dir()]
    folders += [("input folder", f.parent if str(f.parent) else Path(".")) for f in files]
    mask = getattr(args, "mask", None)
    if mask is not None and Path(mask).is_dir():
        folders.append(("mask folder", Path(mask)))
    return folders


def _check_batch_args(args, files: list[Path]) -> Path:
    from .common import UserError
    from ..core.files.safefiles import same_file
    from ..imageio import format_for_path

    out = Path(args.output)
    if out.suffix.lower() in WRITE_FORMATS and not out.is_dir() and not _names_folder(args.output):
        raise UserError(f"a batch (a folder or several inputs) writes into a folder: -o {out.name} names an image")
    if out.exists() and not out.is_dir():
        raise UserError(f"-o {out} is a file; a batch (a folder or several inputs) writes into a folder")
    mask = getattr(args, "mask", None)
    if mask is not None and not Path(mask).exists() and not Path(mask).is_symlink():  # a loop: _check_one_mask says
        raise UserError(f"--mask {mask}: no such file or folder")
    for role, folder in _folders_read(args, files):
        if same_file(out, folder):
            raise UserError(f"-o {out} is the {role}: a batch writes into a folder of its own (an output there "
                            "would replace an image or a mask); choose another folder")
    if mask is not None and Path(mask).is_dir():
        for name in args.input:
            if Path(name).is_dir() and same_file(name, mask):
                raise UserError(f"--mask {mask} is the input folder: each image would be its own mask; "
                                "keep the masks in a folder of their own")
        for f in files:
            try:
                find_mask(Path(mask), f)
            except UserError as e:
                if str(e).startswith("two masks"):  # ambiguous: refused before anything runs
                    raise
    read = {}  # every file the batch reads, by what it finally names: an output never replaces one of them
    for f in [*files, *_mask_files(mask)]:
        key = _identity(f)
        if key is not None:
            read.setdefault(key, f)
    taken: dict = {}
    for f in files:
        format_for_path(output_path(out, f))
        other = taken.setdefault(output_path(out, f).name, f)
        if other != f:
            raise UserError(f"{other.name} and {f.name} would both be saved as {output_path(out, f).name}; "
                            "rename one or run them separately")
        hit = read.get(_identity(output_path(out, f)))
        if hit is not None and not (args.overwrite and same_file(hit, f)):
            what = "the input" if any(same_file(hit, g) for g in files) else "the mask"
            hint = "choose another folder or pass --overwrite" if same_file(hit, f) else "choose another folder"
            raise UserError(f"-o {out} would write {output_path(out, f).name} over {what} {hit.name}; {hint}")
    return out


def _check_one_mask(mask: Path, soft: bool) -> None:
    """Refuse, before anything runs, one mask for all images that cannot be read (a FIFO, a truncated
    file: each image was said to fail, "p0.png (not an image)", where the images were fine) or, as a
    hard mask, is a photograph (core/run/masks.py)."""
    from .common import UserError
    from .restore import photo_mask_error
    from ..core.run.masks import NotAMask, check_mask
    from ..imageio import ImageIOError, load_mask

    try:
        m = load_mask(mask)
    except ImageIOError as e:
        raise UserError(f"the mask for every image cannot be read: {e}") from None
    try:
        if not soft:
            check_mask(m)
    except NotAMask as e:
        raise photo_mask_error(mask, e) from None


def _identity(p: Path):
    """(device, inode) of the file ``p`` finally names, or None if there is none."""
    try:
        st = os.stat(p)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _mask_files(mask) -> list[Path]:
    if mask is None:
        return []
    return _images_in(Path(mask)) if Path(mask).is_dir() else [Path(mask)]


def _without_mask(args, files: list[Path]) -> list[Path]:
    """The inputs less the one mask file, when it lies among them (a mask is never inpainted itself)."""
    from ..core.files.safefiles import same_file

    mask = getattr(args, "mask", None)
    if mask is None or Path(mask).is_dir():
        return files
    return [f for f in files if not same_file(f, mask)]


#: Save errors after which no later image of a batch can be saved: a full disk, a quota, a read-only one.
_DISK_GONE = {errno.ENOSPC, errno.EROFS, getattr(errno, "EDQUOT", errno.ENOSPC)}


def run(args, task: str) -> int:
    """Run ``task`` ("inpaint" or "denoise") over every input; returns the exit status."""
    from . import common, restore

    command = {"inpaint": restore.cmd_inpaint, "denoise": restore.cmd_denoise}[task]
    req = {"inpaint": restore._inpaint_request, "denoise": restore._denoise_request}[task](args)  # bad options: exit 2 now
    notes: list[str] = []
    left_out: list[tuple[str, str]] = []
    found = collect_inputs(args.input, notes, left_out)
    files = _without_mask(args, found)
    if not files:
        raise common.UserError("no images to run: the only one named is the mask")
    out = _check_batch_args(args, files)
    if args.mask is not None and not Path(args.mask).is_dir():  # one mask for every image: refused once, not per image
        _check_one_mask(Path(args.mask), getattr(args, "soft_mask", False))
    for note in notes:  # after the checks: a refused batch is one line
        _note(note)
    restore.say_unused(args, req)   # once for every image (each image's copy of args carries that it was said)
    if left_out:
        _note(f"note: left out {len(left_out)} file{'s' * (len(left_out) > 1)} that will not run: {_names(left_out)}")
    if len(files) < len(found):
        done_to = {"inpaint": "inpainted", "denoise": "denoised"}[task]
        _note(f"note: {Path(args.mask).name} is the mask: it is not itself {done_to}")
    made = _missing_folders(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        why = "a symbolic link to a missing folder" if out.is_symlink() else e.strerror or e  # said "File exists"
        raise common.UserError(f"cannot create the output folder {out}: {why}") from None
    try:
        return _run(args, task, command, files, out, left_out)
    finally:  # a batch that wrote nothing (a full disk, every image refused) leaves no empty folder of its own
        for folder in made:
            try:
                folder.rmdir()
            except OSError:  # not empty (something was written), or gone: left as it is
                break


def _missing_folders(out: Path) -> list[Path]:
    """The folders of ``out``'s path that do not exist yet, deepest first (those the batch makes)."""
    missing = []
    for folder in (out, *out.parents):
        if os.path.lexists(folder):
            break
        missing.append(folder)
    return missing


def _run(args, task, command, files, out: Path, left_out) -> int:
    """The batch once its output folder ``out`` exists: each image of ``files`` through ``command``."""
    from . import common, restore
    from ..core.files.checkpoint import CheckpointError
    from ..imageio import ImageIOError, check_savable

    try:  # a read-only or forbidden folder: one line now, not one failure per image
        check_savable(out / "probe.png", None)
    except ImageIOError as e:
        raise common.UserError(f"-o {out}: {str(e).split(': ', 1)[-1]}") from None
    # The one rule for an output that exists (restore.existing_output, as for one image): never replaced
    # without --overwrite; here the image is skipped, so rerunning an interrupted batch resumes it.
    todo = [f for f in files if restore.existing_output(output_path(out, f), args.overwrite) is None]
    skipped = len(files) - len(todo)
    if skipped:
        print(f"dpm-studio: {skipped} of {len(files)} images already have an output in {out}: skipped, "
              "not replaced (--overwrite redoes them).", file=sys.stderr)
    prog = BatchProgress(len(todo))
    loaded = common._load(args.checkpoint, common._device(args.device)) if todo else None
    failed: list[tuple[str, str]] = []
    done = 0
    for k, f in enumerate(todo):
        one = argparse.Namespace(**vars(args))
        one.input, one.output = str(f), str(output_path(out, f))
        prog.start(k, f.name)
        try:
            if args.mask is not None:   # inpaint's, or a masked denoise's
                one.mask = str(find_mask(Path(args.mask), f))
            command(one, loaded=loaded, progress=prog)
            done += 1
        except (common.UserError, ImageIOError, CheckpointError, OSError) as e:
            msg = str(e) if not isinstance(e, OSError) else f"{e.filename or f}: {e.strerror or e}"
            if msg == restore.existing_output(Path(one.output), args.overwrite):  # written meanwhile by another run
                skipped += 1
                prog.line(f"dpm-studio: skipped: {msg}")
                continue
            failed.append((f.name, msg))
            prog.line(f"dpm-studio: failed: {f.name}: {sentence(msg)}")
            if getattr(e, "errno", None) in _DISK_GONE and k + 1 < len(todo):  # the rest would fail the same way
                left = len(todo) - k - 1
                prog.line(f"dpm-studio: the batch stops: {left} image{'s' * (left > 1)} not run; free some space or "
                          "choose another folder, then run it again (what was written is skipped)")
                failed += [(g.name, "not run") for g in todo[k + 1:]]
                break
    record = summary(task, done, skipped, failed, left_out)
    print(summary_line(record), file=sys.stderr)
    return record["status"]
