"""Typed, range-checked command-line values and the command line's last-resort error handler.

Every numeric option goes through one of these types, so argparse itself refuses ``--tile 0``,
``--sigma inf``, ``--lr nan``, ``--batch 1000000000`` or ``--jump-n 1e9`` with its usual
one-line usage error (exit 2) before anything is read, loaded or allocated.
"""

from __future__ import annotations

import argparse
import math
import sys

from ..errorlog import error_line, log_error, log_path  # noqa: F401  (log_path: where last_resort writes)


class Parser(argparse.ArgumentParser):
    """argparse with its refusals as one line, like every other error (the usage is in --help)."""

    def error(self, message):
        self.exit(2, f"dpm-studio: error: {message} (see {self.prog} --help).\n")


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


# The ranges of the options that are not run settings (those are declared once, on the
# requests' fields: core/run/requests.py, and made into options by add_request_options).
STEPS = int_in(1, 100_000)
SEED = int_in(0, 2 ** 63 - 1)
MC = int_in(1, 10_000)
IMPORTANCE = int_in(0, 100_000)
BATCH = int_in(1, 65_536)
LR = float_in(0, 10, open_lo=True)
THREADS = int_in(1, 1024)
MINUTES = float_in(0, 60 * 24 * 365, open_lo=True)
#: train --minutes: at least 0.6 s, so the first step always starts inside the budget (the loop checks
#: the clock before each step); --minutes 1e-9 trained no step and saved an untrained checkpoint, exit 0.
TRAIN_MINUTES = float_in(0.01, 60 * 24 * 365)
TIMEOUT = float_in(0, 86_400, open_lo=True)
SYNC_EVERY = int_in(1, 1_000_000)


def card_name(text: str) -> str:
    """An argparse type: a checkpoint's name for its card (``train --name``). ``--checkpoint NAME``
    finds a checkpoint by it, so it cannot hold a folder separator (it would be read as a path)."""
    from ..core.files.cardschema import CardError, check_name

    if "/" in text or "\\" in text:
        raise argparse.ArgumentTypeError(f"{text[:60]!r} is a name, not a path: it cannot hold '/' or '\\' "
                                         "(--checkpoint NAME would read it as a path); give -o for where it goes")
    try:
        check_name(text)
    except CardError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def add_request_options(p, cls, names) -> None:
    """Add the options of request class ``cls``'s settings ``names``, each from its one
    declaration (core/run/settings.py): flag, type, range, choices, default and help."""
    from dataclasses import fields

    from ..core.run.settings import specs

    declared = specs(cls)
    types = {f.name: str(f.type) for f in fields(cls)}
    for name in names:
        s, default = declared[name], getattr(cls, "__dataclass_fields__")[name].default
        flag = s.flag or "--" + name.replace("_", "-")
        shown = default * s.scale if s.scale != 1 and isinstance(default, (int, float)) else default
        kw = dict(dest=name, default=shown, help=s.describe(default).replace("%", "%%"))
        if s.choices is not None:
            kw["choices"] = s.choices
            if s.aliases:  # an old name given on the command line becomes its choice before the check
                kw["type"] = s.canonical
        elif isinstance(default, bool):
            kw["action"] = "store_true"
        elif types[name].startswith("tuple"):  # a rectangle: --region X,Y,W,H
            kw["type"], kw["metavar"] = whole_numbers(4, int(s.lo), int(s.hi), "X,Y,W,H"), "X,Y,W,H"
        elif types[name].startswith("int"):
            kw["type"], kw["metavar"] = declared_number(s, whole=True), "N"
        else:
            kw["type"], kw["metavar"] = declared_number(s, whole=False), "X"
        p.add_argument(flag, **kw)


def declared_number(spec, whole: bool):
    """An argparse type for a declared setting's number: its range checked and refused in the request's own
    words (Spec.refusal: "the number of steps must be 1 to 100,000"), the sentence the API's ValueError and a
    replayed record's check say, after argparse's "argument --steps: "."""
    def parse(text: str):
        try:
            v = int(text) if whole else float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'a whole number' if whole else 'a number'}") from None
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number")
        why = spec.refusal(spec.held(v))
        if why:
            raise argparse.ArgumentTypeError(f"the {why}")
        return v
    parse.__name__ = "integer" if whole else "number"
    return parse


def request_settings(cls, args, names) -> dict:
    """The settings ``names`` given on the command line, in the request's units (None left out)."""
    from ..core.run.settings import specs

    declared = specs(cls)
    out = {}
    for name in names:
        v = getattr(args, name, None)
        if v is not None:
            out[name] = declared[name].held(v)
    return out


def whole_numbers(n: int, lo: int, hi: int, shape: str):
    """An argparse type: ``n`` comma-separated whole numbers, each in [lo, hi] (e.g. X,Y,W,H)."""
    def parse(text: str) -> tuple:
        parts = text.replace(" ", "").split(",")
        try:
            values = tuple(int(v) for v in parts)
        except ValueError:
            values = ()
        if len(values) != n:
            raise argparse.ArgumentTypeError(f"must be {n} whole numbers like {shape}, not {text!r}")
        bad = next((v for v in values if not lo <= v <= hi), None)
        if bad is not None:
            raise argparse.ArgumentTypeError(f"{bad} is out of range: give {lo} to {hi:,} each")
        return values
    parse.__name__ = "numbers"
    return parse


def parse_size(text: str) -> tuple[int, int]:
    """``WxH`` -> (w, h), each in the sample request's size range."""
    from ..core.run.requests import SampleRequest
    from ..core.run.settings import spec_of

    MAX_SIDE = int(spec_of(SampleRequest, "size").hi)
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must look like 64x64, not {text!r}") from None
    if not (1 <= w <= MAX_SIDE and 1 <= h <= MAX_SIDE):
        raise argparse.ArgumentTypeError(f"{w}x{h} is out of range: each side 1 to {MAX_SIDE:,}")
    return w, h


def empty_value(parser, args) -> str | None:
    """The refusal of an option or argument given as an empty text (``-o ""``, ``--mask ""``, ``""`` as the
    input: a script's unset variable), or None. An empty name is ``Path(".")``, the working folder:
    ``denoise "" -o out/`` denoised every image there (the mask too), ``-o ""`` wrote into it, and
    ``--checkpoint ""`` or ``train -o ""`` was an internal error."""
    sub = next((a.choices for a in parser._subparsers._group_actions), {}).get(args.cmd)
    for action in (sub or parser)._actions:
        v = getattr(args, action.dest, None)
        if v == "" or (isinstance(v, (list, tuple)) and "" in v):
            name = "/".join(action.option_strings) or action.dest
            return f"argument {name}: an empty name (an unset variable?) (see {(sub or parser).prog} --help)"
    return None


#: --device's help, the same words in every command that runs a model (train adds what torchrun does).
DEVICE_HELP = "where the model runs: cpu, cuda, or cuda:N for one of several cards (default cpu)"


def device(text: str) -> str:
    """An argparse type: a device a run can use here (cpu, cuda, cuda:N), checked before anything is
    read or loaded; ``--device ""`` was an internal error deep in a denoise."""
    name = text.strip().lower()
    if not name:
        raise argparse.ArgumentTypeError("an empty name (an unset variable?): give cpu or cuda")
    if name == "cpu":  # the default, without importing torch
        return name
    from ..core.machine.devices import check_device

    try:
        return check_device(name)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def last_resort(e: BaseException, argv) -> int:
    """An error nobody anticipated: its traceback to the log, one line to stderr, exit 70 (EX_SOFTWARE)."""
    note = log_error(e, argv)
    print(f"dpm-studio: internal error: {error_line(e)} ({note}; please report it).", file=sys.stderr)
    return 70
