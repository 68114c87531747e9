"""Opening files a user (or anyone who can write to a folder we read) hands us, safely.

Three rules shared by cards, weights, images and their metadata:

- only regular files are opened: a FIFO, a device or a socket would block or never end,
  so the type is checked with :func:`os.stat` (which does not open anything) first;
- JSON is parsed with a size and a nesting-depth limit (deep nesting is a RecursionError
  in the parser, not a ValueError);
- images are decoded only by the Pillow plugins of the formats the app offers, chosen by
  the file's name *and* its content, so an EPS renamed ``.png`` never reaches Ghostscript.

Every refusal is a :class:`UnsafeFile` (a ValueError) with a one-line message.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

from .atomic import _kind

#: Image extensions the app both reads and writes, and the Pillow format of each: what the
#: app and the command line save, the sample pictures and the training photos. The one list.
#: ``.jfif`` and ``.jpe`` are JPEG under the names Windows and old cameras give it (a browser's
#: "Save image as" writes .jfif).
PHOTO_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".jfif": "JPEG", ".jpe": "JPEG",
                 ".tif": "TIFF", ".tiff": "TIFF", ".bmp": "BMP", ".webp": "WEBP"}
#: Image extensions the app reads, and the Pillow formats allowed to decode them.
IMAGE_FORMATS = {**PHOTO_FORMATS, ".gif": "GIF", ".ppm": "PPM", ".pgm": "PPM", ".pbm": "PPM"}
#: Deepest JSON nesting accepted anywhere (cards are about 6 levels deep).
MAX_JSON_DEPTH = 32


class UnsafeFile(ValueError):
    """A file that is not opened or not parsed; the message is one line for the user."""


def regular_file(path, what: str = "file") -> os.stat_result:
    """``os.stat`` of ``path`` if it is a regular file (symlinks followed); else UnsafeFile."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise UnsafeFile(f"{path.name}: the {what} is a symbolic link to a missing file") from None
        raise UnsafeFile(f"{path.name}: no such file") from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise UnsafeFile(f"{path.name}: a loop of symbolic links, not a file") from None
        if e.errno in (errno.EACCES, errno.EPERM):
            raise UnsafeFile(f"{path.name}: permission denied") from None
        if e.errno == errno.ENAMETOOLONG:
            raise UnsafeFile(f"{path.name[:40]}...: the file name is too long") from None
        raise UnsafeFile(f"{path.name}: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        article = "an" if what[:1] in "aeiou" else "a"
        raise UnsafeFile(f"{path.name} is {_kind(st.st_mode)}, not {article} {what}")
    return st


def same_file(a, b) -> bool:
    """True when ``a`` and ``b`` name the same file: the same resolved path (links followed), or
    the same inode on the same device (a hard link, a bind mount). Spelling does not matter."""
    try:
        if os.path.realpath(a) == os.path.realpath(b):
            return True
        sa, sb = os.stat(a), os.stat(b)
    except (OSError, ValueError):
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def read_bytes(path, max_bytes: int, what: str = "file") -> bytes:
    """The content of a regular file of at most ``max_bytes`` bytes."""
    st = regular_file(path, what)
    if st.st_size > max_bytes:
        raise UnsafeFile(f"{Path(path).name} is {st.st_size:,} bytes, more than a {what} may be "
                         f"({max_bytes:,} bytes)")
    with open(path, "rb") as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:  # it grew while we read it
        raise UnsafeFile(f"{Path(path).name} is more than {max_bytes:,} bytes, too large for a {what}")
    return data


def json_depth(obj) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), without recursion."""
    depth, stack = 0, [(obj, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            v = list(v.values())
        if isinstance(v, list):
            depth = max(depth, d)
            stack.extend((x, d + 1) for x in v)
    return depth


def loads_json(text, max_bytes: int, max_depth: int = MAX_JSON_DEPTH, what: str = "JSON"):
    """``json.loads`` with limits; raises UnsafeFile (ValueError) for anything wrong."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise UnsafeFile(f"the {what} is not JSON text (it is not UTF-8)") from None
    if not isinstance(text, str):
        raise UnsafeFile(f"the {what} is not text")
    if len(text) > max_bytes:
        raise UnsafeFile(f"the {what} is {len(text):,} characters, more than the {max_bytes:,} allowed")
    try:
        value = json.loads(text)
    except RecursionError:
        raise UnsafeFile(f"the {what} is nested too deeply") from None
    except json.JSONDecodeError as e:
        raise UnsafeFile(f"the {what} is not valid JSON ({e.msg} at line {e.lineno})") from None
    except (ValueError, OverflowError, MemoryError) as e:
        raise UnsafeFile(f"the {what} cannot be parsed ({type(e).__name__})") from None
    if json_depth(value) > max_depth:
        raise UnsafeFile(f"the {what} is nested more than {max_depth} levels deep")
    return value


def open_image(path, formats: dict | None = None):
    """A Pillow image of a regular file whose name and content are both formats the app offers.

    The extension picks nothing by itself: the content is identified only among the allowed
    formats' decoders, so any other format (EPS, PDF, PSD, ...) is never handed to its plugin.
    The caller loads and closes the image.
    """
    from PIL import Image, UnidentifiedImageError

    formats = IMAGE_FORMATS if formats is None else formats
    path = Path(path)
    regular_file(path, "image")
    ext = path.suffix.lower()
    if ext not in formats:
        known = ", ".join(sorted({e.lstrip(".") for e in formats}))
        raise UnsafeFile(f"{path.name}: {ext or 'a name without extension'!r} is not an image format "
                         f"DPM Studio opens ({known})")
    # The extension's own decoder first: Pillow then finds it among the plugins it has loaded
    # for that extension, where a list led by another format made it import all ~50 plugins
    # (0.1-0.2 s of every command's start; docs/speed.md). Still identified by content only.
    allowed = [formats[ext]] + sorted(set(formats.values()) - {formats[ext]})
    try:
        return Image.open(path, formats=allowed)
    except UnidentifiedImageError:
        # Identified by content among the allowed decoders only: say what it is if we can.
        with open(path, "rb") as f:
            head = f.read(16)
        if head[:4] in (b"%!PS", b"\xc5\xd0\xd3\xc6") or head[:5] == b"%PDF-":
            raise UnsafeFile(f"{path.name} is a PostScript or PDF document named {ext}, not an image; "
                             "it is not opened") from None
        raise
