"""Typed, range-checked command-line values and the command line's last-resort error handler.

Every numeric option goes through one of these types, so argparse itself refuses ``--tile 0``,
``--sigma inf``, ``--lr nan``, ``--batch 1000000000`` or ``--jump-n 1e9`` with its usual
one-line usage error (exit 2) before anything is read, loaded or allocated.
"""

from __future__ import annotations

import argparse
import math
import sys

from . import limits as L
from .errorlog import error_line, log_error, log_path  # noqa: F401  (log_path: where last_resort writes)


class Parser(argparse.ArgumentParser):
    """argparse with its refusals as one line, like every other error (the usage is in --help)."""

    def error(self, message):
        self.exit(2, f"dpm-studio: error: {message} (see {self.prog} --help)\n")


def int_in(lo: int, hi: int, name: str = "a whole number"):
    """An argparse type: an integer in [lo, hi]."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {name}") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{v} is out of range: give {lo} to {hi:,}")
        return v
    parse.__name__ = "integer"
    return parse


def float_in(lo: float, hi: float, *, open_lo: bool = False):
    """An argparse type: a finite number in [lo, hi] (or (lo, hi] with ``open_lo``)."""
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number")
        if v < lo or v > hi or (open_lo and v == lo):
            lo_text = f"more than {lo:g}" if open_lo else f"{lo:g}"
            raise argparse.ArgumentTypeError(f"{v:g} is out of range: give {lo_text} to {hi:g}")
        return v
    parse.__name__ = "number"
    return parse


# The ranges, in one place (the docs' reliability table quotes them); the run settings' ranges
# are dpm_studio.limits', which the Python API checks too.
STEPS = int_in(*L.WHOLE["steps"])
SEED = int_in(*L.WHOLE["seed"])
SAMPLES = int_in(*L.WHOLE["samples"])
TILE = int_in(*L.WHOLE["tile"])     # under twice the 32 px overlap a tile is all border: a black result
TILE_BATCH = int_in(*L.WHOLE["tile_batch"])
JUMP_LENGTH = int_in(*L.WHOLE["jump_length"])
JUMP_N = int_in(*L.WHOLE["jump_n_sample"])
QUALITY = int_in(1, 100)
SIGMA_255 = float_in(*L.SIGMA_255, open_lo=True)
NOISE_AB = float_in(*L.NOISE_AB)
START_SIGMA = float_in(*L.START_SIGMA, open_lo=True)
FEATHER = float_in(0, 32)
MC = int_in(1, 10_000)
IMPORTANCE = int_in(0, 100_000)
BATCH = int_in(1, 65_536)
LR = float_in(0, 10, open_lo=True)
THREADS = int_in(1, 1024)
MINUTES = float_in(0, 60 * 24 * 365, open_lo=True)
TIMEOUT = float_in(0, 86_400, open_lo=True)
SYNC_EVERY = int_in(1, 1_000_000)
MAX_SIDE = 4096


def parse_size(text: str) -> tuple[int, int]:
    """``WxH`` -> (w, h), each 1..MAX_SIDE."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must look like 64x64, not {text!r}") from None
    if not (1 <= w <= MAX_SIDE and 1 <= h <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"{w}x{h} is out of range: each side 1 to {MAX_SIDE:,}")
    return w, h


def last_resort(e: BaseException, argv) -> int:
    """An error nobody anticipated: its traceback to the log, one line to stderr, exit 70 (EX_SOFTWARE)."""
    note = log_error(e, argv)
    print(f"dpm-studio: internal error: {error_line(e)} ({note}; please report it)", file=sys.stderr)
    return 70
