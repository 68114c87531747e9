"""Decoding an image file: the one decoder of the app, the command line and the training data.

:func:`load_image` reads PNG, JPEG, TIFF, BMP, WebP (and the first frame of GIF/PPM) into
:class:`ImageData`: float32 pixels (H, W, C) in [0, 1], C = 1 (grey) or 3 (RGB), an alpha
channel kept aside, the source's bit depth, colour profile, EXIF block and run settings.
Every file goes through the same rules: only a regular file whose name *and* content are a
format the app offers (:func:`.safefiles.open_image`), EXIF orientation applied, a pixel
limit against decompression bombs lowered to what memory holds, 16-bit colour PNG and deep
or float TIFF at full depth through :mod:`.formats`. ``dpm_studio.imageio`` (the app and
the command line) and the data recipes (:mod:`.data.images`, whose 8-bit training images
are :func:`to_uint8` of these pixels) both call it, so a file gives the same pixels
everywhere.

Errors a user can cause (a missing, unreadable, corrupt or too large file) raise
:class:`ImageIOError` with a one-line message meant for a dialog.
"""

from __future__ import annotations

import os
import re
import struct
import warnings
from xml.sax.saxutils import escape as xml_escape
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from . import bmp, chatter, formats
from .safefiles import IMAGE_FORMATS, UnsafeFile, loads_json, open_image

#: Key of the PNG text chunk / TIFF description that holds the run settings (JSON).
METADATA_KEY = "dpm-studio"
#: Refuse images beyond this many pixels (Pillow's own bomb limit is about 179 Mpx).
MAX_PIXELS = 100_000_000


class ImageIOError(ValueError):
    """A file that cannot be read or written; the message is one line for the user."""


@dataclass
class ImageData:
    """An image as the app holds it.

    ``pixels``: float32 (H, W, C) in [0, 1], C in (1, 3). ``alpha``: float32 (H, W) or None.
    ``bit_depth``: 8, 16 or 32 (floats) of the source. ``mode``: the source's Pillow mode
    (or the sample type, e.g. ``float32``, for what :mod:`.formats` decoded).
    ``value_scale``, ``value_offset``: a float source's values are
    ``pixels * value_scale + value_offset`` (1 and 0 for data in [0, 1]; a power of two
    for larger nonnegative data, so the mapping is exact). ``icc_profile``, ``exif``: the
    source's colour profile and EXIF block (orientation reset to 1, since the pixels are
    already turned upright), written back on export by :func:`export_options`.
    ``metadata``: run settings found in the file (a dict), if it was written by the app.
    ``notes``: one-line remarks for the user about how the file was read (an animation
    of which only the first frame is used), for a status bar or stderr.
    ``file_format``: the decoder's name of the file's format ("JPEG", "PNG", "TIFF", ...; None: pixels that
    came from no file), so the noise estimate looks for a JPEG's 8 x 8 grid only where there may be one.
    ``unreadable_record``: why the dpm-studio record the file holds cannot be read ("the record is not valid JSON
    (...)", "the record is 300,000 characters, more than the 262,144 allowed"), for replay's refusal; None where
    the file holds none or it was read.
    """

    pixels: np.ndarray
    alpha: np.ndarray | None = None
    path: Path | None = None
    mode: str = "RGB"
    bit_depth: int = 8
    metadata: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    icc_profile: bytes | None = None
    exif: bytes | None = None
    value_scale: float = 1.0
    value_offset: float = 0.0
    file_format: str | None = None
    unreadable_record: str | None = None

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def channels(self) -> int:
        return int(self.pixels.shape[2])

    def describe(self) -> str:
        kind = "grey" if self.channels == 1 else "RGB"
        extra = " + alpha" if self.alpha is not None else ""
        depth = "32-bit float" if self.bit_depth == 32 else f"{self.bit_depth}-bit"
        return f"{self.width}\u00d7{self.height} {kind}{extra}, {depth}"


# -- conversions --------------------------------------------------------------------------------
_U8_CHUNK = 1 << 16  # values per step of to_uint8 (a 256 KB float32 buffer, which stays in cache)


def to_uint8(a: np.ndarray) -> np.ndarray:
    """[0, 1] floats -> uint8 with rounding (NaN becomes 0)."""
    # fmax/fmin ignore NaN (NaN -> 0) and clip; nan_to_num + clip took 0.8 s of the 1.9 s the
    # app spent opening a 12 MP photo. In chunks through one small float32 buffer: the whole
    # image as a float32 temporary (144 MB at 12 MP, paged in anew on each open) cost 0.05-0.4 s
    # where the chunks take 0.035 s, with the same values (float32 arithmetic either way).
    a = np.asarray(a)
    if not a.flags.c_contiguous:
        a = np.ascontiguousarray(a)
    out = np.empty(a.shape, np.uint8)
    src, dst = a.reshape(-1), out.reshape(-1)
    buf = np.empty(min(_U8_CHUNK, src.size), np.float32)
    for start in range(0, src.size, _U8_CHUNK):
        x = buf[:min(_U8_CHUNK, src.size - start)]
        x[...] = src[start:start + x.size]
        np.fmax(x, np.float32(0.0), out=x)
        np.fmin(x, np.float32(1.0), out=x)
        x *= np.float32(255.0)
        x += np.float32(0.5)
        dst[start:start + x.size] = x
    return out


def from_uint8(a: np.ndarray) -> np.ndarray:
    return np.divide(a, np.float32(255.0), dtype=np.float32)  # one pass, the same values as a float32 copy / 255


# -- reading ---------------------------------------------------------------------------------------
def _header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the file's header alone, without Pillow's bomb check; None if unknown."""
    try:
        Image.init()
        with open(path, "rb") as fp:
            prefix = fp.read(16)
            for fmt in Image.ID:
                factory, accept = Image.OPEN[fmt]
                if accept is not None and not accept(prefix):
                    continue
                fp.seek(0)
                try:
                    return tuple(factory(fp, str(path)).size)
                except Exception:  # noqa: BLE001 - not this format
                    continue
    except Exception:  # noqa: BLE001 - only a nicer message depends on this
        return None
    return None


def _png_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk (Pillow refuses a zero-size PNG as unidentified)."""
    head = formats.png_header(path)
    return None if head is None else head[:2]


#: Bytes a loaded pixel takes at the peak of loading (the decoded image, float32 copies,
#: conversions); the app holds a few more copies (canvas, undo): 48 covers both.
BYTES_PER_PIXEL = 48


def pixel_limit() -> int:
    """The most pixels an image may have: Pillow's bomb limit, or ours if that is lower."""
    lim = Image.MAX_IMAGE_PIXELS
    return min(int(lim), MAX_PIXELS) if lim else MAX_PIXELS


def pixel_budget() -> int:
    """The most pixels that can be opened now: :func:`pixel_limit`, lowered to what memory holds."""
    from ..machine.memory import available_bytes

    return max(1, min(pixel_limit(), available_bytes() // BYTES_PER_PIXEL))


def _too_large(path: Path, pixels: int | None = None) -> ImageIOError:
    limit = pixel_budget()
    if limit < pixel_limit():
        from ..machine.memory import available_bytes, gib

        return ImageIOError(f"{path.name} is over the {limit:,} pixels that the memory available "
                            f"({gib(available_bytes())}) can hold while it is opened; scale it down or free some memory")
    size = _header_size(path)
    if size is not None:
        what = f"{size[0]}\u00d7{size[1]} ({size[0] * size[1]:,} pixels)"
    elif pixels:
        what = f"{pixels:,} pixels"
    else:
        what = "larger than the limit"
    return ImageIOError(f"{path.name} is {what}, over the safety limit of {limit:,} pixels "
                        "(it could be a decompression bomb): scale it down in an image editor first")


class _Unreadable(ImageIOError):
    """A file its decoder failed on; ``reason``: the decoder's own words, which :func:`load_image` puts
    together with what the decoder said meanwhile (:mod:`.chatter`) into the one message."""

    def __init__(self, path: Path, e: Exception):
        self.name, self.reason = path.name, str(e)
        super().__init__(f"{path.name} cannot be read: {chatter.refusal([self.reason])}")


class _Unidentified(ImageIOError):
    """A file no decoder took: when its decoder said why meanwhile (a TIFF whose tags are damaged), that is
    the message (:func:`load_image`), not "not an image file"."""


def _open(path: Path) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice that: refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = open_image(path)  # a regular file, in a format the app offers by name and content
            try:
                n = im.width * im.height
                if n > pixel_limit():
                    raise _too_large(path)
                if n > pixel_budget():
                    from ..machine.memory import available_bytes, gib

                    raise ImageIOError(f"{path.name} is {im.width}\u00d7{im.height} ({n:,} pixels): opening it needs "
                                       f"about {gib(n * BYTES_PER_PIXEL)} of memory and {gib(available_bytes())} is "
                                       "available; scale it down or free some memory")
                im.load()
            except BaseException:  # a file refused or failing to decode is closed now, not when collected
                im.close()
                raise
    except ImageIOError:
        raise
    except UnsafeFile as e:
        raise ImageIOError(str(e)) from None
    except UnidentifiedImageError:
        size = _png_size(path)
        if size is not None and 0 in size:
            raise ImageIOError(f"{path.name} has no pixels ({size[0]}\u00d7{size[1]})") from None
        if path.stat().st_size == 0:
            raise ImageIOError(f"{path.name} is an empty file (0 bytes), not an image") from None
        raise _Unidentified(f"{path.name} is not an image file in a format DPM Studio reads "
                            f"({', '.join(sorted(set(IMAGE_FORMATS.values())))}), or it is corrupt") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        m = re.search(r"\((\d+) pixels\)", str(e))
        raise _too_large(path, int(m.group(1)) if m else None) from None
    except MemoryError:
        raise ImageIOError(f"{path.name} is too large to load into the memory available") from None
    except PermissionError:
        raise ImageIOError(f"{path.name}: permission denied") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as e:
        if "chunk is too large" in str(e) or "Decompressed data too large" in str(e):
            raise ImageIOError(f"{path.name} holds a metadata block (an ICC profile or text chunk) larger "
                               f"than is safe to read ({e})") from None
        raise _Unreadable(path, e) from None
    if im.width == 0 or im.height == 0:
        raise ImageIOError(f"{path.name} has no pixels ({im.width}\u00d7{im.height})")
    return im


#: Largest run-settings text read back from an image, and its deepest nesting.
MAX_METADATA_CHARS = 256 * 1024


def _metadata(im: Image.Image) -> tuple[dict, str | None]:
    """(the run settings a file holds, or {}; why a record it holds cannot be read, or None)."""
    text = None
    info = getattr(im, "text", None) or {}
    if METADATA_KEY in info:
        text = info[METADATA_KEY]
    elif im.format == "TIFF":
        desc = im.tag_v2.get(270) if hasattr(im, "tag_v2") else None
        if isinstance(desc, str) and desc.startswith("{"):
            text = desc
    elif im.format == "JPEG":   # imageio.save_image writes a JPEG's record as its COM segment
        comment = im.info.get("comment")
        if isinstance(comment, bytes) and comment.startswith(b"{"):
            text = comment
    elif im.format == "WEBP":   # and a WebP's in its XMP (record_xmp)
        text = xmp_record(im.info.get("xmp"))
    return _parse_metadata(text, required=METADATA_KEY in info)


#: A WebP result's record: the JSON text, XML-escaped, as the one element of an XMP packet of its own
#: (the file's EXIF stays the source's). Read back by :func:`xmp_record` from the element alone.
XMP_NS = "https://github.com/dpm-studio/ns/1.0/"
_XMP_RECORD = re.compile(rb"<dpm:record>([^<]*)</dpm:record>")


def record_xmp(text: str) -> bytes:
    """The XMP packet that holds a run record's JSON ``text`` (a WebP result's, :func:`xmp_record` reads it)."""
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
            f'xmlns:dpm="{XMP_NS}"><dpm:record>{xml_escape(text)}</dpm:record></rdf:Description></rdf:RDF>'
            '</x:xmpmeta><?xpacket end="w"?>').encode("utf-8")


def xmp_record(xmp) -> bytes | None:
    """The record's JSON bytes in an XMP packet :func:`record_xmp` wrote, or None (no XMP, or another's).
    A pattern, not an XML parser: a packet is anyone's text (entities, nesting), and this reads one element
    of plain escaped text (in time linear in the packet; one longer than a record may be is given back as it is,
    for :func:`_parse_metadata` to refuse by its length)."""
    if not isinstance(xmp, (bytes, bytearray)):
        return None
    found = _XMP_RECORD.search(bytes(xmp))
    if found is None:
        return None
    raw = found.group(1)
    if len(raw) > 4 * MAX_METADATA_CHARS:
        return raw
    for entity, char in ((b"&lt;", b"<"), (b"&gt;", b">"), (b"&quot;", b'"'), (b"&apos;", b"'"), (b"&amp;", b"&")):
        raw = raw.replace(entity, char)   # &amp; last: "&amp;lt;" is the text "&lt;"
    return raw


def _parse_metadata(text, required: bool = False) -> tuple[dict, str | None]:
    """(the settings in ``text``, or {}; why text that is a record (it begins with "{", or ``required``: under
    the record's own key) cannot be read, or None). Never raises: a file is anyone's."""
    if isinstance(text, (bytes, bytearray)) and bytes(text).startswith(b"{"):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            return {}, "the record is not UTF-8 text"
    if not text or not isinstance(text, str) or not text.startswith("{"):
        return {}, ("the record is not a JSON object" if required and text is not None else None)
    try:
        meta = loads_json(text, MAX_METADATA_CHARS, max_depth=8, what="record")
    except ValueError as e:  # settings we did not write (or cannot trust) are ignored, never fatal
        return {}, str(e)
    return (meta, None) if isinstance(meta, dict) else ({}, "the record is not a JSON object")


def _exif_orientation(im: Image.Image) -> int | None:
    """The EXIF orientation tag (1 = upright), None when there is none."""
    v = im.getexif().get(0x0112)
    return None if v is None else int(v)


def pil_to_image_data(im: Image.Image, path: Path | None = None) -> ImageData:
    """A Pillow image (any mode) -> :class:`ImageData`, honouring EXIF orientation.

    Channels: 1 (grey) for modes 1, L, LA, I;16, I and F; 3 (RGB) for everything else
    (P, PA, RGB, RGBA, CMYK, YCbCr, ...). An alpha channel (LA, PA, RGBA, P with a
    transparent colour) is kept aside unless it is fully opaque. 16-bit grey (I;16) is
    scaled by 1/65535; 32-bit integers (I) by 1/65535 when any value exceeds 255, else
    1/255; floats (F) by 1, 1/255 or 1/65535 after their maximum. Values end clipped to
    [0, 1] (NaN becomes 0). An animation contributes its first frame, with a note.
    """
    meta, unreadable = _metadata(im)
    src_mode, file_format = im.mode, im.format   # (a turned copy below has no format)
    notes = []
    n_frames = int(getattr(im, "n_frames", 1) or 1)
    if n_frames > 1:
        name = path.name if path is not None else "the image"
        notes.append(f"{name} has {n_frames} pages: only the first page is used" if im.format == "TIFF" else
                     f"{name} is an animation of {n_frames} frames: only the first frame is used")
    icc = _usable_icc(im.info.get("icc_profile") or None, path, notes)
    try:
        if _exif_orientation(im) not in (None, 1):  # (else a copy of the picture: 36 MB at 12 MP)
            im = ImageOps.exif_transpose(im)
    except Exception:  # a broken EXIF block must not make the picture unreadable
        pass
    exif = _upright_exif(im)
    bit_depth = 8
    alpha = None
    mode = im.mode
    if mode == "P" or mode == "PA":
        im = im.convert("RGBA" if ("transparency" in im.info or mode == "PA") else "RGB")
        mode = im.mode
    key = im.info.get("transparency") if mode in ("L", "RGB", "I;16", "I;16B", "I") else None
    if key is not None and mode in ("L", "RGB"):  # a PNG's tRNS colour: the pixels of that colour are transparent
        im = im.convert("LA" if mode == "L" else "RGBA")  # (they came out opaque, the colour shown)
        mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        a = np.asarray(im, dtype=np.float64)
        hi = 65535.0 if mode.startswith("I;16") or a.max(initial=0) > 255 else 255.0
        bit_depth = 16 if hi > 255 else 8
        pixels = (np.clip(a, 0, hi) / hi)[:, :, None]
        if isinstance(key, int):  # a 16-bit grey PNG's tRNS value
            alpha = (a != key).astype(np.float32)
    elif mode == "F":
        a = np.nan_to_num(np.asarray(im, dtype=np.float64), nan=0.0, posinf=65535.0, neginf=0.0)
        hi = 1.0 if a.max(initial=0) <= 1.0 else (255.0 if a.max() <= 255 else 65535.0)
        bit_depth = 16 if hi > 255 else 8
        pixels = (np.clip(a, 0, hi) / hi)[:, :, None]
    elif mode == "1" or mode == "L":
        pixels = from_uint8(np.asarray(im.convert("L")))[:, :, None]
    elif mode == "LA" or mode == "La":
        a = np.asarray(im.convert("LA"))
        pixels, alpha = from_uint8(a[:, :, :1]), from_uint8(a[:, :, 1])
    elif mode in ("RGBA", "RGBa"):
        a = np.asarray(im.convert("RGBA"))
        pixels, alpha = from_uint8(a[:, :, :3]), from_uint8(a[:, :, 3])
    elif mode == "CMYK" and icc:  # through its own profile: Pillow's formula ignores it
        rgb, icc = _cmyk_to_srgb(im, icc, path, notes)
        pixels = from_uint8(np.asarray(rgb))
    else:  # RGB, CMYK, YCbCr, LAB, HSV, I;16 variants Pillow maps to RGB ...
        pixels = from_uint8(np.asarray(im if mode == "RGB" else im.convert("RGB")))  # (convert copies RGB)
    if alpha is not None and float(alpha.min()) >= 1.0:
        alpha = None  # a fully opaque alpha channel carries nothing
    icc = _matching_icc(icc, pixels.shape[2], path, notes)
    return ImageData(np.ascontiguousarray(pixels, dtype=np.float32),
                     None if alpha is None else np.ascontiguousarray(alpha, dtype=np.float32),
                     path, src_mode, bit_depth, meta, notes, icc, exif, file_format=file_format,
                     unreadable_record=unreadable)


def _cmyk_to_srgb(im: Image.Image, icc: bytes, path: Path | None, notes: list) -> tuple[Image.Image, bytes | None]:
    """(RGB image, sRGB profile) of a CMYK image converted through its embedded profile; Pillow's plain
    formula and no profile when the profile does not convert (a note says so)."""
    import io

    from PIL import ImageCms

    name = path.name if path is not None else "the image"
    try:
        srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        rgb = ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(io.BytesIO(icc)), srgb, outputMode="RGB")
        notes.append(f"{name} is CMYK: converted to RGB through its colour profile (results are RGB, sRGB)")
        return rgb, srgb.tobytes()
    except Exception:  # noqa: BLE001 - a broken or unusual profile: the plain conversion, said
        notes.append(f"{name} is CMYK and its colour profile does not convert: converted to RGB by a plain "
                     "formula, without a profile (colours may shift)")
        return im.convert("RGB"), None


#: The ICC colour space each pixel layout needs (a CMYK profile on RGB pixels is wrong in any viewer).
_ICC_SPACES = {1: "GRAY", 3: "RGB"}


def _matching_icc(icc: bytes | None, channels: int, path: Path | None, notes: list) -> bytes | None:
    """The profile when it describes pixels of ``channels``; None (with a note) when it does not."""
    if not icc:
        return icc
    import io

    from PIL import ImageCms

    try:
        space = ImageCms.ImageCmsProfile(io.BytesIO(icc)).profile.xcolor_space.strip()
    except Exception:  # noqa: BLE001 - unreadable: kept as it came, as before
        return icc
    if space != _ICC_SPACES.get(channels, space):
        name = path.name if path is not None else "the image"
        notes.append(f"{name}: its colour profile is for {space}, not the {_ICC_SPACES[channels]} pixels it is "
                     "read as: it is left out of the results")
        return None
    return icc


def _usable_icc(icc: bytes | None, path: Path | None, notes: list) -> bytes | None:
    """The ICC profile, or None (with a note) when it is larger than a PNG reader accepts: carried
    into a result it made a file that does not open (a real RGB or grey profile is a few KB)."""
    if icc and len(icc) > formats.MAX_INFLATED_META:
        name = path.name if path is not None else "the image"
        notes.append(f"{name}: its ICC profile is {len(icc) / 2 ** 20:.1f} MB, more than DPM Studio keeps "
                     f"({formats.MAX_INFLATED_META // 2 ** 20} MB; a file carrying it would not open): it is ignored")
        return None
    return icc


def _exif_upright(exif: bytes | None) -> tuple[int, bytes | None]:
    """(Orientation, the EXIF block with Orientation 1) of a raw EXIF block (a PNG's eXIf chunk)."""
    if not exif:
        return 1, exif
    try:
        ex = Image.Exif()
        ex.load(exif if exif.startswith(b"Exif\0\0") else b"Exif\0\0" + exif)
        orientation = int(ex.get(0x0112, 1))
        if orientation != 1:
            ex[0x0112] = 1
            return (orientation if 1 <= orientation <= 8 else 1), ex.tobytes()
        return 1, exif
    except Exception:  # noqa: BLE001 - a broken EXIF block is dropped, not fatal
        return 1, None


def _upright_exif(im: Image.Image) -> bytes | None:
    """The image's EXIF block with Orientation 1 (the pixels are already upright); None if none."""
    try:
        exif = im.getexif()
        if not len(exif) and not exif.get_ifd(0x8769):
            return None
        if 0x0112 in exif:
            exif[0x0112] = 1
        return exif.tobytes()
    except Exception:  # noqa: BLE001 - a broken EXIF block is dropped, not fatal
        return None


def _load_deep(path: Path) -> ImageData | str | None:
    """A 16-bit colour PNG or a TIFF through :mod:`.formats`; None, or a note on what will be
    lost, when Pillow is to read it. Only for names of formats the app offers (the rest are
    refused by :func:`_open`, whose rules apply to every file)."""
    if path.suffix.lower() not in IMAGE_FORMATS or not os.path.isfile(path):  # a name too long: _open says so
        return None
    try:
        deep = formats.decode(path, pixel_budget())  # the bomb limit, lowered to what memory holds
    except formats.Unsupported as e:
        return e.note
    except formats.Refused as e:  # a sample type or range it will not guess at: one line naming it
        raise ImageIOError(f"{path.name}: {e}") from None
    except OverflowError:
        raise _too_large(path) from None
    except MemoryError:
        raise ImageIOError(f"{path.name} is too large to load into the memory available") from None
    except PermissionError:
        raise ImageIOError(f"{path.name}: permission denied") from None
    except Exception as e:  # noqa: BLE001 - zlib, struct, tifffile errors: all mean a broken file
        raise _Unreadable(path, e) from None
    if deep is None:
        return None
    if 0 in deep.pixels.shape[:2]:
        raise ImageIOError(f"{path.name} has no pixels ({deep.pixels.shape[1]}\u00d7{deep.pixels.shape[0]})")
    text = deep.text or {}
    meta, unreadable = _parse_metadata(text.get(METADATA_KEY) or text.get("description"), METADATA_KEY in text)
    notes = [f"{path.name}: {n}" for n in deep.notes or []]
    pixels, alpha = deep.pixels, deep.alpha
    if alpha is None and pixels.shape[2] == 3 and deep.bit_depth == 16:
        alpha = _key_alpha(path, pixels)
    orientation, exif = _exif_upright(deep.exif)  # a PNG's eXIf (TIFF orientation is applied when read)
    if orientation != 1:  # turned upright like 8-bit PNG, JPEG and TIFF are
        pixels = np.ascontiguousarray(formats._orient(pixels, orientation))
        if alpha is not None:
            alpha = np.ascontiguousarray(formats._orient(alpha[:, :, None], orientation)[:, :, 0])
    icc = _usable_icc(deep.icc_profile, path, notes)
    return ImageData(pixels, alpha, path, deep.dtype, deep.bit_depth, meta, notes, icc, exif, deep.value_scale,
                     deep.value_offset, "TIFF" if formats.is_tiff(path) else "PNG", unreadable)


def _key_alpha(path: Path, pixels: np.ndarray) -> np.ndarray | None:
    """A 16-bit colour PNG's tRNS colour as alpha (0 where a pixel is that colour; Pillow finds the chunk, read
    before the pixel data); None without one. ``pixels`` are the samples / 65535 in float32, so the colour's
    own float32 quotients match exactly."""
    try:
        with Image.open(path) as im:
            key = im.info.get("transparency") if im.format == "PNG" else None
    except Exception:  # noqa: BLE001 - the pixels were read: a tRNS chunk Pillow cannot parse is no key
        return None
    if not (isinstance(key, tuple) and len(key) == 3):
        return None
    hit = pixels[:, :, 0] == np.float32(key[0]) / np.float32(65535)
    for c in (1, 2):
        hit &= pixels[:, :, c] == np.float32(key[c]) / np.float32(65535)
    return (~hit).astype(np.float32) if hit.any() else None


def load_image(path) -> ImageData:
    """Read PNG, JPEG, TIFF, BMP, WebP (and GIF/PPM first frames) into :class:`ImageData`.

    16-bit PNG and TIFF keep their depth (``bit_depth`` 16), float and 32/64-bit or signed
    integer TIFF their values (``bit_depth`` 32, ``value_scale``/``value_offset``); an
    uncompressed TIFF is read a band of rows at a time, never memory-mapped.
    """
    path = Path(path)
    heard: list[str] = []
    try:
        with chatter.heard(heard, c_stderr=formats.is_tiff(path)):  # libtiff writes to fd 2 itself
            data = _load_image(path)
    except _Unidentified:
        if not heard or chatter.problems(heard) is None:
            raise
        raise ImageIOError(f"{path.name} cannot be read: {chatter.refusal(heard)}") from None
    except _Unreadable as e:
        if not heard:
            raise
        # what the decoder said first ("Using code not yet in table") says more than how it ended ("decoder error -2")
        raise ImageIOError(f"{e.name} cannot be read: {chatter.refusal(heard + [e.reason])}") from None
    said = chatter.note(path.name, heard)
    if said:
        data.notes.append(said)
    return data


def _load_image(path: Path) -> ImageData:
    deep = _load_deep(path)
    if isinstance(deep, ImageData):
        return deep
    try:
        im = _open(path)
    except ImageIOError:
        if deep:  # the note says what would have read it
            raise ImageIOError(f"{path.name} cannot be read: {deep}") from None
        raise
    try:
        data = pil_to_image_data(im, path)
        if im.format == "BMP" and im.mode == "RGB":  # Pillow drops a 32-bit BMP's alpha byte
            data.alpha = bmp.bi_rgb_alpha(path, im.width, im.height)
            if data.alpha is not None and float(data.alpha.min()) >= 1.0:
                data.alpha = None
        if deep and not data.mode.startswith("I;16"):  # Pillow keeps 16 bits of grey, not of colour or floats
            data.notes.append(f"{path.name} was read at 8 bits: {deep}")
        return data
    except MemoryError:
        raise ImageIOError(f"{path.name} is too large to convert in the memory available") from None
    except (OSError, ValueError) as e:
        raise ImageIOError(f"{path.name} cannot be decoded ({e})") from None
    finally:
        im.close()  # an animation keeps its file open otherwise
