"""What an image decoder says on its own while it reads a damaged file, kept off the terminal.

A damaged TIFF made Pillow warn through Python's ``warnings`` ("UserWarning: Tag data larger than
file. Skipping tag 258", with a line of Pillow's source under it) and made libtiff, the C library
Pillow decodes compressed TIFFs with, write straight to the process's standard error ("tempfile.tif:
Using code not yet in table.", "TIFFFetchNormalTag: Incompatible type for \"RowsPerStrip\"."): lines
above the command line's one error line, or above a result that came out of a damaged file without
a word of ours. The core never prints: :func:`heard` collects both kinds while a file is decoded, and
the decoder turns them into one note on the image it returns (or drops them when it refuses the
file, whose error says it already).
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import warnings
from contextlib import contextmanager

#: Most bytes of a C library's messages kept (a damaged file can make libtiff say one per strip).
MAX_BYTES = 16 * 1024


def _from_decoder(w: warnings.WarningMessage) -> bool:
    where = str(w.filename).replace("\\", "/")
    return "/PIL/" in where or "/tifffile/" in where


class _Kept(logging.Handler):
    """tifffile's warnings (its logger, quiet otherwise: core/files/formats.py), kept as texts."""

    def __init__(self, into: list[str]):
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record):
        self.into.append(record.getMessage().splitlines()[0] if record.getMessage() else "")


@contextmanager
def heard(into: list[str], c_stderr: bool = False):
    """Collect the decoders' Python warnings (Pillow's, tifffile's) and tifffile's logged warnings
    into ``into``, one text each;
    other warnings go on as they would have. With ``c_stderr``, also what C code writes to file
    descriptor 2 meanwhile (libtiff's messages; nothing else of this process is expected to write
    there while one file is decoded). A closed descriptor 2 (``2>&-``) is left alone."""
    saved = sink = None
    log = _Kept(into)
    logging.getLogger("tifffile").addHandler(log)
    if c_stderr:
        try:
            if sys.stderr is not None:
                sys.stderr.flush()
            sink = tempfile.TemporaryFile()
            saved = os.dup(2)
            os.dup2(sink.fileno(), 2)
        except (OSError, ValueError):
            if sink is not None:
                sink.close()
            saved = sink = None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield into
            finally:
                for w in caught:
                    if _from_decoder(w):
                        into.append(str(w.message))
                    else:
                        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    finally:
        logging.getLogger("tifffile").removeHandler(log)
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read(MAX_BYTES).decode("utf-8", "replace")
            sink.close()
            # Pillow hands libtiff its file as "tempfile.tif": a name the user never gave
            into.extend(line.strip().removeprefix("tempfile.tif: ") for line in text.splitlines() if line.strip())


def said(messages: list[str], limit: int = 3) -> str:
    """"its decoder said: A; B; C (and N more)": the messages once each, in one line."""
    unique = list(dict.fromkeys(m.rstrip(".") for m in messages))
    more = f" (and {len(unique) - limit} more)" if len(unique) > limit else ""
    return f"its decoder said: {'; '.join(unique[:limit])}{more}"


def note(name: str, messages: list[str]) -> str | None:
    """One note for the messages a decoder gave while it still read ``name``: the file is damaged
    somewhere (a wrong tag, a cut strip), so the picture may be partly wrong."""
    if not messages:
        return None
    return f"{name} looks damaged, and what could be read of it is used: check the picture ({said(messages)})"
