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
failed (2, as for one image, when the options themselves are wrong).

Progress on stderr: one line per image with that image's bar and the whole batch's bar.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .imageio import READ_EXTENSIONS, WRITE_FORMATS

__all__ = ["is_batch", "run", "collect_inputs", "output_path", "find_mask", "BatchProgress"]

FAILED_STATUS = 1


def is_batch(args) -> bool:
    """True for several inputs, a folder, or one file with ``-o`` an existing folder; for a single
    file to a file, leaves ``args.input`` that file's path. A batch's own per-image calls pass one
    path (not a list), so they are never batches themselves."""
    if not isinstance(args.input, (list, tuple)):
        return False
    inputs = args.input
    if len(inputs) == 1 and not Path(inputs[0]).is_dir() and not Path(args.output).is_dir():
        args.input = inputs[0]
        return False
    return True


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.suffix.lower() in READ_EXTENSIONS and not p.name.startswith(".") and not p.is_dir())


def collect_inputs(inputs) -> list[Path]:
    """The files to run: each named file, and every image file (by extension) in each folder named."""
    from .cli import UserError

    files: list[Path] = []
    for name in inputs:
        p = Path(name)
        if p.is_dir():
            found = _images_in(p)
            if not found:
                raise UserError(f"{p} holds no images ({', '.join(e.lstrip('.') for e in READ_EXTENSIONS)})")
            files.extend(found)
        else:
            files.append(p)  # a missing or broken file is reported when its turn comes
    seen, unique = set(), []
    for f in files:
        if f.resolve() not in seen:
            seen.add(f.resolve())
            unique.append(f)
    return unique


def output_path(folder: Path, image: Path) -> Path:
    """``folder/<image name>``, with .png where the input's format cannot be written."""
    return folder / (image.name if image.suffix.lower() in WRITE_FORMATS else image.stem + ".png")


def find_mask(masks: Path, image: Path) -> Path:
    """The mask for ``image``: ``masks`` itself when it is a file, else the image of that stem in it."""
    from .cli import UserError

    if not masks.is_dir():
        return masks
    found = [p for p in _images_in(masks) if p.stem == image.stem]
    if not found:
        raise UserError(f"no mask for {image.name}: nothing named {image.stem}.* in {masks}")
    return found[0]


class BatchProgress:
    """The single-image Progress interface (``total``, ``update``, ``close``) drawing both bars."""

    def __init__(self, n: int, stream=None):
        self.n, self.stream = n, stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.t0 = time.perf_counter()
        self.k, self.name, self.total, self.last = 0, "", None, 0.0

    def start(self, k: int, name: str):
        self.k, self.name, self.total, self.last = k, name, None, 0.0

    @staticmethod
    def _bar(frac: float, width: int = 16) -> str:
        return "[" + ("#" * int(width * min(1.0, frac))).ljust(width) + "]"

    def update(self, done: int, extra: str = "", force: bool = False):
        now = time.perf_counter()
        if not force and now - self.last < (0.2 if self.tty else 5.0):
            return
        self.last = now
        frac = done / self.total if self.total else 0.0
        overall = (self.k + frac) / self.n
        el = now - self.t0
        eta = f"eta {el / overall - el:4.0f}s" if overall > 0 else ""
        text = (f"[{self.k + 1}/{self.n}] {self.name[:28]} {self._bar(frac)} {done}/{self.total or '?'}  "
                f"all {self._bar(overall)} {100 * overall:3.0f}% {el:5.0f}s {eta}")
        self.stream.write(("\r" + text[:150].ljust(110)) if self.tty else text + "\n")
        self.stream.flush()

    def close(self):
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def line(self, text: str):
        """A report line (skip, failure) between the bars."""
        self.stream.write(("\r" if self.tty else "") + text + "\n")
        self.stream.flush()


def _check_batch_args(args, files: list[Path]) -> Path:
    from .cli import UserError
    from .imageio import format_for_path

    out = Path(args.output)
    if out.suffix.lower() in WRITE_FORMATS and not out.is_dir():
        raise UserError(f"a batch (a folder or several inputs) writes into a folder: -o {out.name} names an image")
    if out.exists() and not out.is_dir():
        raise UserError(f"-o {out} is a file; a batch (a folder or several inputs) writes into a folder")
    taken: dict = {}
    for f in files:
        format_for_path(output_path(out, f))
        other = taken.setdefault(output_path(out, f).name, f)
        if other != f:
            raise UserError(f"{other.name} and {f.name} would both be saved as {output_path(out, f).name}; "
                            "rename one or run them separately")
        if not args.overwrite and output_path(out, f).resolve() == f.resolve():
            raise UserError(f"-o {out} would write over the input {f.name}; choose another folder or pass --overwrite")
    mask = getattr(args, "mask", None)
    if mask is not None and not Path(mask).exists():
        raise UserError(f"--mask {mask}: no such file or folder")
    return out


def run(args, task: str) -> int:
    """Run ``task`` ("inpaint" or "denoise") over every input; returns the exit status."""
    from . import cli
    from .core.checkpoint import CheckpointError
    from .imageio import ImageIOError

    command = {"inpaint": cli.cmd_inpaint, "denoise": cli.cmd_denoise}[task]
    {"inpaint": cli._inpaint_request, "denoise": cli._denoise_settings}[task](args)  # bad options: exit 2 now
    files = collect_inputs(args.input)
    out = _check_batch_args(args, files)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise cli.UserError(f"cannot create the output folder {out}: {e.strerror or e}") from None
    todo = [f for f in files if args.overwrite or not output_path(out, f).exists()]
    skipped = len(files) - len(todo)
    if skipped:
        print(f"dpm-studio: {skipped} of {len(files)} images already have an output in {out}: skipped "
              "(--overwrite redoes them)", file=sys.stderr)
    prog = BatchProgress(len(todo))
    loaded = cli._load(args.checkpoint, cli._device(args.device)) if todo else None
    failed: list[tuple[str, str]] = []
    done = 0
    for k, f in enumerate(todo):
        one = argparse.Namespace(**vars(args))
        one.input, one.output = str(f), str(output_path(out, f))
        prog.start(k, f.name)
        try:
            if task == "inpaint":
                one.mask = str(find_mask(Path(args.mask), f))
            command(one, loaded=loaded, progress=prog)
            done += 1
        except (cli.UserError, ImageIOError, CheckpointError, OSError) as e:
            msg = str(e) if not isinstance(e, OSError) else f"{e.filename or f}: {e.strerror or e}"
            failed.append((f.name, msg))
            prog.line(f"dpm-studio: failed: {f.name}: {msg}")
    summary = f"dpm-studio: batch {task}: {done} written, {skipped} skipped (output exists), {len(failed)} failed"
    if failed:
        summary += ": " + ", ".join(name for name, _ in failed)
    print(summary, file=sys.stderr)
    return FAILED_STATUS if failed else 0
