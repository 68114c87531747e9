"""What the command line's commands share: the user-error type, the progress line on stderr,
loading a checkpoint and checking a device name.

Kept apart from :mod:`.cli` (which assembles the parser and funnels errors) so that the
command modules :mod:`.train` and :mod:`.restore` can import it without a cycle.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import time


class UserError(Exception):
    """Something the user can fix; printed as one line, exit status 2."""


# -- the garbage collector over the process's start-up and end ------------------------------
# Importing torch leaves ~165,000 objects that live as long as the process, and CPython's cyclic
# collector walks all of them in each full collection: three while a denoise imports, and more
# at the interpreter's exit, finding nothing to free: 0.3-0.4 s CPU of a 2.3 s one-photo
# denoise (docs/speed.md, third pass). So the process's own command line (``main()`` without
# arguments) pauses the collector over its imports, and once the model is loaded freezes what
# is alive (``gc.freeze``: left out of every later collection, as CPython's documentation
# advises after a start-up) and collects as usual from there; at its end it freezes again,
# so the exit's collections walk nothing.
_paused = False


def pause_collector() -> None:
    """Pause the cyclic garbage collector for the start-up (if it runs at all)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def startup_done() -> None:
    """What is alive now lives until the process ends: out of the collector's sight; collecting
    as usual from here. Nothing happens unless :func:`pause_collector` paused the collector."""
    global _paused
    if _paused:
        gc.freeze()
        gc.enable()
        _paused = False


def process_ends() -> None:
    """The command is over: no collection at the exit walks what it leaves behind."""
    startup_done()
    gc.freeze()


# -- freed memory kept for the next allocation ---------------------------------------------
# glibc gives a freed block over its threshold (128 KB, rising after frees to 32 MB at most)
# back to the kernel at once, and trims more than 128 KB free at the heap's top: a network pass
# then asks the kernel again for the activations (6-20 MB each) the last one freed, zero-filled
# page by page (glibc raises its own thresholds as it goes, but not in time for a process's first
# passes, and it trims again between a folder's photos). The restoration commands' own process
# keeps what it frees under these sizes for its next allocation instead: the two passes of
# photos-rgb-v2 on a 256 x 256 photo took 29,000-53,000 page faults, now 15,000-30,000 (the second
# pass 0-7,700), 0.03 s of their 0.3 s wall; a folder of 10 photos 250,000-290,000, now 73,000-
# 76,000, 10 % of its time (docs/speed.md, issue 26). The pixels are the same; the peak memory of a
# 1500 x 1000 denoise too.
MMAP_THRESHOLD = 64 << 20   # blocks at least this large still come from (and go back to) the kernel
TRIM_THRESHOLD = 256 << 20  # free memory kept at the heap's top, at most


def keep_freed_memory() -> bool:
    """Tell glibc's allocator to keep what this process frees for its next allocation (above);
    False where the C library has no ``mallopt`` or refuses (macOS, Windows): nothing changes there."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h>
    return mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1


def exit_process(code) -> None:
    """End this process with ``code`` once a command has returned, without tearing down the interpreter.

    The interpreter's own exit frees every module and object one by one (torch's ~165,000):
    0.07 s of a 1.3 s one-photo denoise (docs/speed.md, third pass), for nothing the process
    needs. What an exit must do is done here: the atexit handlers (logging's flush, temporary
    folders' clean-up, anything a library registered), then stdout and stderr flushed, then
    ``os._exit``. Only where nothing else could still be working: no thread but this one,
    and no Qt loaded (the app tears its windows down through the interpreter's exit); elsewhere
    the usual ``sys.exit``."""
    import atexit
    import os
    import threading

    code = code if isinstance(code, int) else (0 if code is None else 1)
    if threading.active_count() > 1 or "PySide6" in sys.modules:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # a closed pipe or stream: nothing more to say there
            pass
    os._exit(code)


# -- nothing a terminal acts on ----------------------------------------------------------
class _Printable:
    """A command's stderr, through which no character of a name reaches the terminal as a control:
    each write's text is written with every character a terminal acts on (a newline or an escape
    sequence in a file's name: a batch's ``z\x1b[2Jw.png`` cleared the screen in its failure line,
    summary and progress; ``a\nb.png`` split them) as its escape (``cardschema.printable``),
    except a carriage return that starts it and a newline that ends it: the line breaks and
    redraws of the messages themselves."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        from ..core.files.cardschema import printable

        head = "\r" if text.startswith("\r") else ""
        tail = "\n" if text.endswith("\n") and len(text) > len(head) else ""
        return self._stream.write(head + printable(text[len(head):len(text) - len(tail)]) + tail)

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def printable_stderr(on: bool = True):
    """sys.stderr as :class:`_Printable` while a command runs (``on``), as it was after."""
    before = sys.stderr
    if on and before is not None and not isinstance(before, _Printable):
        sys.stderr = _Printable(before)
    try:
        yield
    finally:
        if sys.stderr is not before and isinstance(sys.stderr, _Printable):
            sys.stderr = before


# -- progress on stderr ------------------------------------------------------------------
class Progress:
    """One progress line on stderr: redrawn in place on a terminal (at most 5 a second), a line
    every 5 s into a file or pipe. :class:`~.batch.BatchProgress` draws its two bars through it."""

    def __init__(self, label: str, total: int | None, stream=None, enabled: bool = True):
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.t0 = time.perf_counter()
        self.last = 0.0
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def _due(self, force: bool) -> float | None:
        """The seconds since the start when a line is due now (None: not yet, or disabled)."""
        now = time.perf_counter()
        if not self.enabled or (not force and now - self.last < (0.2 if self.tty else 5.0)):
            return None
        self.last = now
        return now - self.t0

    def _draw(self, text: str, width: int = 0):
        self.stream.write(("\r" + text[:150].ljust(width)) if self.tty else text + "\n")
        self.stream.flush()

    def update(self, done: int, extra: str = "", force: bool = False):
        el = self._due(force)
        if el is None:
            return
        if self.total:
            frac = min(1.0, done / self.total)
            eta = el / frac - el if frac > 0 else float("nan")
            bar = "#" * int(24 * frac)
            text = f"{self.label} [{bar:<24}] {done}/{self.total} {el:5.0f}s eta {eta:4.0f}s {extra}"
        else:
            text = f"{self.label} {done} {el:5.0f}s {extra}"
        self._draw(text)

    def close(self):
        if self.tty and self.enabled:
            self.stream.write("\n")
            self.stream.flush()



# -- checkpoints ---------------------------------------------------------------------------
def _load(name_or_path, device="cpu"):
    from ..core.files.checkpoint import load, resolve
    from ..core.files.locations import shipped_checkpoints_dir

    loaded = load(resolve(name_or_path), device=device)
    startup_done()  # the imports and the model: what a run keeps to its end
    for note in loaded.notes:  # e.g. a card without weights_sha256
        print(f"dpm-studio: warning: {note}", file=sys.stderr)
    shipped = shipped_checkpoints_dir() / f"{loaded.name}.json"
    if shipped.is_file() and loaded.path.resolve() != shipped.resolve():
        print(f"dpm-studio: note: using {loaded.path}, which hides the shipped checkpoint {loaded.name}",
              file=sys.stderr)
    return loaded



def _device(name: str) -> str:
    from ..core.machine.devices import check_device

    try:
        return check_device(name)
    except ValueError as e:
        raise UserError(str(e)) from None

