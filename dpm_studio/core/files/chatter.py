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
import re
import sys
import tempfile
import threading
import warnings
from contextlib import contextmanager

#: Most bytes of a C library's messages kept (a damaged file can make libtiff say one per strip).
MAX_BYTES = 16 * 1024
#: What libtiff's default handlers write: "MODULE: message." (a warning: "MODULE: Warning, message."), MODULE
#: a libtiff function ("TIFFFetchNormalTag"), a codec's ("LZWDecode", "ZIPDecode", "horAcc8") or the name
#: Pillow opens its file under ("tempfile.tif"). Only such lines are taken as the file's: whatever else
#: reaches descriptor 2 meanwhile (another thread's line, a warning) is passed on to the real stderr.
_LIBTIFF_LINE = re.compile(r"(tempfile\.tif|_?TIFF\w*|\w*(Decode|Encode|Setup|Predictor|LZW|ZIP|JPEG|Fax3|Fax4"
                           r"|PackBits|PixarLog|LogLuv|LERC|ZSTD|WebP|LZMA|NeXT|ThunderScan|horAcc|fpAcc|DumpMode)\w*)"
                           r": \S.*")
#: Descriptor 2 is the process's, not a thread's: one decode at a time points it at its own file (two at
#: once each restored the other's, so a decoder's lines went to the terminal or to the other file's note).
_FD2 = threading.RLock()


def _from_decoder(w: warnings.WarningMessage) -> bool:
    where = str(w.filename).replace("\\", "/")
    return "/PIL/" in where or "/tifffile/" in where


#: The decoders' loggers: tifffile's (quiet otherwise: core/files/formats.py) and Pillow's, whose TIFF reader
#: logs an error ("More samples per pixel than can be decoded: 771") that logging's last resort wrote to stderr.
_LOGGERS = ("tifffile", "PIL")


class _Kept(logging.Handler):
    """The decoders' logged warnings and errors, kept as texts."""

    def __init__(self, into: list[str]):
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record):
        self.into.append(record.getMessage().splitlines()[0] if record.getMessage() else "")


@contextmanager
def heard(into: list[str], c_stderr: bool = False):
    """Collect the decoders' Python warnings and logged warnings and errors (Pillow's, tifffile's) into
    ``into``, one text each;
    other warnings go on as they would have. With ``c_stderr``, also libtiff's messages, which it writes
    to file descriptor 2 itself: the descriptor points at a file of its own meanwhile, one decode at a
    time (:data:`_FD2`), and of what reached it only libtiff's lines (:data:`_LIBTIFF_LINE`) are the
    file's; the rest (another thread's) goes on to the real descriptor 2 when the decode ends. A closed
    descriptor 2 (``2>&-``) is left alone."""
    log = _Kept(into)
    with (_FD2 if c_stderr else _nothing()):
        saved, sink = _divert_fd2() if c_stderr else (None, None)
        for name in _LOGGERS:
            logging.getLogger(name).addHandler(log)
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
            for name in _LOGGERS:
                logging.getLogger(name).removeHandler(log)
            if saved is not None:
                _restore_fd2(saved, sink, into)


@contextmanager
def _nothing():
    yield


def _divert_fd2():
    """(a copy of descriptor 2, the file it points at now); (None, None) where it cannot be diverted."""
    sink = None
    try:
        if sys.stderr is not None:
            sys.stderr.flush()
        sink = tempfile.TemporaryFile()
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        return saved, sink
    except (OSError, ValueError):
        if sink is not None:
            sink.close()
        return None, None


def _restore_fd2(saved: int, sink, into: list[str]) -> None:
    """Descriptor 2 back; libtiff's lines from ``sink`` into ``into`` (at most :data:`MAX_BYTES`), every other
    byte written to the real descriptor 2 as it came."""
    try:
        if sys.stderr is not None:
            sys.stderr.flush()  # a line another thread left in Python's buffer goes to the sink, then on
    except (OSError, ValueError):
        pass
    os.dup2(saved, 2)
    os.close(saved)
    kept = 0
    try:
        sink.seek(0)
        for raw in sink:
            line = raw.decode("utf-8", "replace").strip()
            if line and _LIBTIFF_LINE.fullmatch(line):
                if kept < MAX_BYTES:
                    # Pillow hands libtiff its file as "tempfile.tif": a name the user never gave
                    into.append(line.removeprefix("tempfile.tif: "))
                    kept += len(raw)
            elif raw:
                _write_all(2, raw)
    finally:
        sink.close()


def _write_all(fd: int, data: bytes) -> None:
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:  # a closed or full stderr: what another thread wrote is lost there as it would have been
        pass


# -- in our words -------------------------------------------------------------------------------------
#: What a decoder's message means for the file, in the order a reason is looked for: (kind, pattern). The
#: decoders' words ("<TiffTag.fromfile> raised TiffFileError('<tifffile.TiffTag 258 @8> invalid value
#: offset 0')", "Using code not yet in table", "broken data stream when reading image file") tell a user
#: nothing they can act on; the kinds below say what is wrong with the file.
_KINDS = [
    ("end", r"truncated|Truncated File Read|Reached EOF|not enough image data|no IEND chunk|unpack requires a buffer"
            r"|Not enough data|ends before its last pixels|Premature end|cut short"),
    ("tags", r"Tag data larger than file|invalid value offset|invalid data type|Incorrect count|Incompatible type"
             r"|samples per pixel"
             r"|TIFFFetchNormalTag|Unknown field with tag|ASCII value for tag|Sanity check on|Bogus \w+ tag"),
    ("where", r"missing (data )?(ByteCounts|offset)|StripOffsets|StripByteCounts|TileOffsets|TileByteCounts"),
    ("pages", r"invalid page offset|IFD|tag list|number of tags|TIFFReadDirectory|TIFFAdvanceDirectory"),
    ("pixels", r"Using code not yet in table|Decode\w*:|decoder error|broken data stream|while decompressing data"
               r"|PNG filter type|could not create decoder object|unrecognized data stream|codec configuration error"
               r"|failed to read next frame|Corrupt JPEG|Bogus|Huffman|DHT|SOS|marker"),
    ("header", r"index -?\d+ out of range|not supported between instances|int\(\) argument|invalid literal for int"
               r"|Unsupported BMP|cannot load this image|cannot identify|Not a TIFF|unknown (pixel|raw) mode"),
]
_KINDS = [(k, re.compile(p)) for k, p in _KINDS]
_WORDS = {
    "end": "its data stops before the picture is complete, as after a download or copy that did not finish",
    "tags": "some of its tags, the entries that describe the picture, are damaged",
    "where": "it does not say where all of its pixel data lies",
    "pages": "its table of pages, which says where each picture in it lies, is damaged",
    "pixels": "its compressed pixel data is damaged",
    "header": "its header, the part that describes the picture, is damaged",
}
#: What the user can do about a file refused for one of these kinds.
_WHAT_TO_DO = "copy it again from where it came from"


def _kind(message: str) -> str | None:
    return next((k for k, pattern in _KINDS if pattern.search(message)), None)


def _tag_names(messages: list[str]) -> list[str]:
    """The TIFF tags the messages name ("RowsPerStrip" in libtiff's quotes, "tag 258" in Pillow's, "TiffTag
    258" in tifffile's), by name: the one detail of a decoder's that tells an expert which entry is broken."""
    from PIL import TiffTags

    names = []
    for m in messages:
        names += re.findall(r'"([A-Za-z]\w{2,40})"', m) + ["SamplesPerPixel"] * ("samples per pixel" in m.lower())
        for code in re.findall(r"(?:TiffTag |tag )(\d{1,5})\b", m):
            names.append(TiffTags.lookup(int(code)).name)
    return [n for n in dict.fromkeys(names) if n != "unknown"][:3]


def problems(messages: list[str]) -> str | None:
    """What the messages say is wrong with the file, in our words ("its compressed pixel data is damaged and
    some of its tags, the entries that describe the picture, are damaged (RowsPerStrip)"); None when none is
    a kind we know (the caller then keeps the decoder's own words, the only detail there is)."""
    kinds = list(dict.fromkeys(k for k in map(_kind, messages) if k))
    if not kinds:
        return None
    words = [_WORDS[k] for k in kinds]
    if "tags" in kinds:
        names = _tag_names(messages)
        if names:
            words[kinds.index("tags")] += f" ({', '.join(names)})"
    return " and ".join(words)


def refusal(messages: list[str]) -> str:
    """Why a file cannot be read, after "NAME cannot be read: ": what is wrong and what to do in our words
    when a message is of a kind we know; else the decoder's first message (the one detail there is)."""
    ours = problems(messages)
    if ours is None:
        first = next((m.rstrip(".") for m in messages if m.strip()), "")
        return f"it looks truncated or corrupt ({first})" if first else "it looks truncated or corrupt"
    return f"{ours}; {_WHAT_TO_DO}"


def note(name: str, messages: list[str]) -> str | None:
    """One note for the messages a decoder gave while it still read ``name``: the file is damaged
    somewhere (a wrong tag, a cut strip), so the picture may be partly wrong."""
    if not messages:
        return None
    ours = problems(messages) or "its decoder met something it did not expect"
    return (f"{name} is damaged: {ours}; what could be read of it is used, so check the picture, and if parts of "
            "it look wrong, copy the file again from where it came from")
