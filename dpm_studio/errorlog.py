"""Where unexpected errors go: their traceback to a log file, one line to the user.

Shared by the command line's last-resort handler (``cli/args.last_resort``) and the app's
exception hook, so neither ever prints a traceback.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path


def log_path() -> Path:
    """Where the last unexpected error's details go: $XDG_STATE_HOME/dpm-studio/last-error.log."""
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return state / "dpm-studio" / "last-error.log"


def log_error(e: BaseException, argv=None) -> str:
    """Write ``e``'s traceback to :func:`log_path`; returns a note saying where it went."""
    where = log_path()
    try:
        where.parent.mkdir(parents=True, exist_ok=True)
        with open(where, "w", encoding="utf-8", errors="backslashreplace") as f:  # file names need not be UTF-8
            f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} dpm-studio {' '.join(map(str, argv or sys.argv[1:]))}\n")
            f.write("".join(traceback.format_exception(type(e), e, e.__traceback__)))
        return f"the details are in {where}"
    except OSError:
        return "the details could not be written to a log"


def error_line(e: BaseException) -> str:
    """``Type: first line of the message`` (at most 200 characters of it)."""
    text = str(e).splitlines()[0][:200] if str(e) else ""
    return f"{type(e).__name__}{': ' + text if text else ''}"


def sentence(text) -> str:
    """An error message in the one form every error takes, on the command line (after ``dpm-studio: error:``)
    and in the app's error dialogs: a sentence ending in a full stop (a '?' or '!' kept; a trailing ':', ';'
    or ',' becomes the full stop). The words are the raiser's own (one line on the command line, saying what
    went wrong and what to do); only the end is made the same here, in one place, so no message can miss it.
    A character a terminal acts on (a newline or an escape sequence in a file's name: ``a\nb.png`` split the
    one line in two, ``\x1b[31m`` turned the terminal red) is written as its escape, as listings write names."""
    from .core.files.cardschema import printable

    text = printable(str(text).rstrip())
    if not text or text[-1] in ".?!":
        return text
    return (text[:-1] if text[-1] in ":;," else text) + "."
