"""Deep formats Pillow cannot hold: 16-bit colour PNG, and TIFF of 8/16-bit integers or floats.

Pillow keeps 16 bits only for single-channel images (mode I;16) and floats only for
single-channel ones (mode F), so a 16-bit RGB PNG would be read (and written) at 8 bits
and a float RGB TIFF not read at all. This module reads and writes those with numpy:
PNG with :mod:`zlib` (chunks, filters and all, :func:`read_png16` / :func:`write_png`),
TIFF with ``tifffile`` (:func:`read_tiff` / :func:`write_tiff`). An uncompressed TIFF is
read and converted to float a band of rows at a time (never memory-mapped: a file cut short
while mapped kills the process with SIGBUS), so the only full-size array in memory is the
float32 result. Every integer (8-64 bits, signed or not) and float (16-64 bits) sample type
is read; what float32 pixels cannot hold is :class:`Refused` in one line naming the type.

A decoded image is :class:`Decoded`: ``samples`` (H, W, S) with S = 1-4 in its stored type (the
caller scales it), the ICC profile and EXIF bytes if the file has them. Anything this module cannot
decode (an interlaced PNG, a palette or JPEG-compressed TIFF) raises :class:`Unsupported` and the
caller falls back to Pillow. NaN and infinite float samples get a note (none finite: refused).
No Qt, no Pillow here."""

from __future__ import annotations

import logging
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# tifffile's warnings on a hostile file went to stderr through logging's last resort, above our
# one error line; the core never prints (an application that sets up logging still gets them).
logging.getLogger("tifffile").addHandler(logging.NullHandler())

__all__ = ["Decoded", "Deep", "decode", "Unsupported", "Refused", "png_header", "read_png16", "write_png", "read_tiff",
           "write_tiff", "is_tiff", "to_unit", "ROWS_PER_BAND"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Rows read and converted per band when scaling an image to float.
ROWS_PER_BAND = 256


class Unsupported(Exception):
    """This file is fine but not for this decoder; let Pillow read it.

    ``note``: what Pillow's reading will lose (or why it may fail), for the user; None if nothing."""

    def __init__(self, message: str = "", note: str | None = None):
        super().__init__(message)
        self.note = note


@dataclass
class Decoded:
    samples: np.ndarray           # (H, W, S) in the stored type; an uncompressed TIFF's is a _Rows reader
    icc_profile: bytes | None = None
    exif: bytes | None = None
    text: dict | None = None      # PNG text chunks / TIFF description under "description"
    orientation: int = 1          # TIFF Orientation tag (already applied to samples)
    notes: list | None = None     # one-line remarks for the user (a multi-page TIFF's other pages)


# -- PNG ----------------------------------------------------------------------------------------
#: Largest decompressed ICC profile or text chunk kept (Pillow's PNG reader refuses more, so an
#: output carrying a larger one would not load); a larger one is dropped, never inflated whole.
MAX_INFLATED_META = 1024 * 1024
#: Zero-length chunks in a row that end the reading (a sparse file of zeros is a flood of them).
MAX_EMPTY_CHUNKS = 1000
#: Chunks in a file at most (legit files have a few thousand IDATs at the very most).
MAX_CHUNKS = 1_000_000


class Refused(ValueError):
    """A file this module reads but whose content it refuses; the message is one line (no file name)."""


def _chunks(fp):
    """(kind, body) of each chunk, read from ``fp`` one at a time (never the whole file); bodies of
    chunks we ignore are skipped, not read. Stops at IEND; a flood of empty or invalid chunks is an error."""
    empty = count = 0
    while True:
        head = fp.read(8)
        if len(head) < 8:
            raise ValueError("the file is truncated (no IEND chunk)")
        length, kind = struct.unpack(">I4s", head)
        count += 1
        if not kind.isalpha():
            raise ValueError(f"chunk {count} has an invalid type {kind!r}")
        empty = empty + 1 if length == 0 else 0
        if empty > MAX_EMPTY_CHUNKS or count > MAX_CHUNKS:
            raise ValueError(f"it holds {'a flood of empty' if empty > MAX_EMPTY_CHUNKS else 'over a million'} chunks")
        if kind in (b"IHDR", b"IDAT", b"iCCP", b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"IEND"):
            body = fp.read(length)
            if len(body) != length:
                raise ValueError("the file is truncated")
            yield kind, body
        else:
            fp.seek(length, 1)
        fp.seek(4, 1)  # the CRC
        if kind == b"IEND":
            return


def _inflate_meta(data: bytes) -> bytes | None:
    """A zlib-compressed ICC profile or text, or None when it inflates beyond MAX_INFLATED_META."""
    d = zlib.decompressobj()
    out = d.decompress(data, MAX_INFLATED_META + 1)
    return None if len(out) > MAX_INFLATED_META else out


def png_header(path) -> tuple[int, int, int, int, int] | None:
    """(width, height, bit depth, colour type, interlace) from a PNG's IHDR; None if not a PNG."""
    try:
        with open(path, "rb") as fp:
            head = fp.read(29)
    except OSError:
        return None
    if len(head) < 29 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        return None
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", head[16:29])
    return w, h, depth, ctype, interlace


_PNG_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel (3, palette, is Pillow's)


def unfilter(filtered: np.ndarray, bpp: int, prev: np.ndarray | None = None) -> np.ndarray:
    """Undo PNG's per-row filters: ``filtered`` (H, 1 + W * bpp) uint8 -> (H, W, bpp) uint8.

    ``prev`` (W, bpp): the un-filtered row above the first (a band of a larger image); zeros if None.

    Rows filtered with None, Sub or Up are undone a row at a time (Sub is a running sum
    along the row, Up a sum with the row above; uint8 arithmetic wraps modulo 256 as PNG
    wants). Average and Paeth make each byte depend on its left neighbour (a), the one
    above (b) and above-left (c), so an image with such rows is rebuilt along
    anti-diagonals instead: the pixels of r + x = d depend only on earlier diagonals, and
    stored skewed (diagonal d as one row) each step is a few slices, H + W - 1 steps in all."""
    H = filtered.shape[0]
    kinds = filtered[:, 0]
    if np.any(kinds > 4):
        raise ValueError("it has an unknown PNG filter type")
    f = filtered[:, 1:].reshape(H, -1, bpp)
    W = f.shape[1]
    if not np.any(kinds >= 3):
        out = np.empty_like(f)
        prev = np.zeros((W, bpp), np.uint8) if prev is None else prev
        for r in range(H):
            if kinds[r] == 0:
                out[r] = f[r]
            elif kinds[r] == 1:
                np.cumsum(f[r], axis=0, dtype=np.uint8, out=out[r])
            else:
                np.add(f[r], prev, out=out[r])
            prev = out[r]
        return out
    # S[d + 2, r + 1] holds pixel (r, x = d - r); row -1 and column -1 stay zero. F: the filtered
    # bytes in the same layout. Skewing and unskewing are a slice per image row.
    S = np.zeros((H + W + 1, H + 1, bpp), np.uint8)
    if prev is not None:
        S[1:1 + W, 0] = prev  # the row above: pixel (-1, x) sits at S[x + 1, 0]
    F = np.zeros_like(S)
    for r in range(H):
        F[r + 2:r + 2 + W, r + 1] = f[r]
    is1, is2, is3, is4 = ((kinds == n)[:, None] for n in (1, 2, 3, 4))
    for d in range(H + W - 1):
        r0, r1 = max(0, d - W + 1), min(H - 1, d) + 1
        a = S[d + 1, r0 + 1:r1 + 1].astype(np.int16)
        b = S[d + 1, r0:r1].astype(np.int16)
        c = S[d, r0:r1].astype(np.int16)
        pred = np.where(is1[r0:r1], a, np.where(is2[r0:r1], b, np.where(is3[r0:r1], (a + b) >> 1, 0)))
        paeth = is4[r0:r1]
        if paeth.any():
            pa, pb, pc = np.abs(b - c), np.abs(a - c), np.abs(a + b - 2 * c)  # |p - a|, |p - b|, |p - c|
            pred = np.where(paeth, np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c)), pred)
        S[d + 2, r0 + 1:r1 + 1] = F[d + 2, r0 + 1:r1 + 1] + pred.astype(np.uint8)
    out = np.empty_like(f)
    for r in range(H):
        out[r] = S[r + 2:r + 2 + W, r + 1]
    return out


def read_png16(path) -> Decoded:
    """A 16-bit PNG of any colour type but palette: samples as (H, W, S) uint16.

    Read chunk by chunk; the pixel data is inflated with a bound from the header (a stream that
    inflates further is an error, never gigabytes of memory) and un-filtered a band of rows at a
    time. An ICC profile or text inflating beyond :data:`MAX_INFLATED_META` is dropped with a note.
    """
    ihdr, inflater, raw, icc, exif, text, notes = None, None, bytearray(), None, None, {}, []
    with open(path, "rb") as fp:
        if fp.read(8) != PNG_SIGNATURE:
            raise Unsupported("not a PNG")
        for kind, body in _chunks(fp):
            if kind == b"IHDR":
                ihdr = struct.unpack(">IIBBBBB", body[:13])
                w, h, depth, ctype, _, _, interlace = ihdr
                if depth != 16 or ctype not in _PNG_CHANNELS or interlace:
                    raise Unsupported("not a non-interlaced 16-bit PNG")
                s = _PNG_CHANNELS[ctype]
                stride = 1 + w * s * 2
                expected = stride * h
                inflater = zlib.decompressobj()
            elif kind == b"IDAT":
                if inflater is None:
                    raise ValueError("its pixel data comes before its header")
                if len(raw) < expected:  # never more than the header declares (max_length 0 means no bound)
                    raw += inflater.decompress(body, expected - len(raw))
            elif kind == b"iCCP":
                name_end = body.find(b"\0")
                icc = _inflate_meta(body[name_end + 2:]) if name_end >= 0 else None
                if icc is None:
                    notes.append(f"its ICC profile inflates beyond {MAX_INFLATED_META // 1024:,} KB: it is ignored")
            elif kind == b"eXIf":
                exif = bytes(body)
            elif kind == b"tEXt":
                key, _, value = body.partition(b"\0")
                text[key.decode("latin-1")] = value.decode("latin-1")
            elif kind in (b"iTXt", b"zTXt"):
                key, _, rest = body.partition(b"\0")
                if kind == b"zTXt":
                    flag, value = 1, rest[1:]
                else:
                    flag, rest = (rest[0], rest[2:]) if len(rest) >= 2 else (0, b"")
                    _lang, _, rest = rest.partition(b"\0")
                    _tkey, _, value = rest.partition(b"\0")
                value = _inflate_meta(value) if flag else value
                if value is not None:  # a text inflating beyond the bound is dropped, never inflated whole
                    text[key.decode("latin-1")] = value.decode("utf-8", "replace")
    if ihdr is None:
        raise ValueError("it has no IHDR chunk")
    if len(raw) < expected:
        raise ValueError("its pixel data is truncated")
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(h, stride)
    samples = np.empty((h, w, s), np.uint16)
    prev = np.zeros((w, s * 2), np.uint8)
    for r in range(0, h, _band_rows(w, s * 2)):
        px = unfilter(rows[r:r + _band_rows(w, s * 2)], s * 2, prev)
        prev = px[-1]
        px = px.reshape(px.shape[0], w, s, 2)
        samples[r:r + px.shape[0]] = (px[..., 0].astype(np.uint16) << 8) | px[..., 1]
    return Decoded(samples, icc, exif, text, notes=notes or None)


def _band_rows(w: int, bpp: int) -> int:
    """Rows un-filtered together: the diagonal layout of a band takes (rows + w) x rows x bpp bytes."""
    rows = 256
    while rows > 1 and (rows + w + 1) * (rows + 1) * bpp > 64 * 1024 * 1024:
        rows //= 2
    return rows


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def write_png(fp, samples: np.ndarray, *, icc_profile: bytes | None = None, exif: bytes | None = None,
              text: dict | None = None) -> None:
    """(H, W, S) uint16 (S = 1-4: grey, grey + alpha, RGB, RGBA) -> a 16-bit PNG on ``fp``.

    Rows use the Up filter (vectorised, and smooth photographs compress well with it)."""
    h, w, s = samples.shape
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[s]
    be = np.ascontiguousarray(samples, dtype=">u2").view(np.uint8).reshape(h, w * s * 2)
    up = be.copy()
    up[1:] = be[1:] - be[:-1]  # uint8 arithmetic wraps modulo 256, as the filter wants
    rows = np.concatenate([np.full((h, 1), 2, np.uint8), up], axis=1)
    out = [PNG_SIGNATURE, _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, ctype, 0, 0, 0))]
    if icc_profile:
        out.append(_chunk(b"iCCP", b"ICC profile\0\0" + zlib.compress(icc_profile)))
    if exif:
        out.append(_chunk(b"eXIf", exif[6:] if exif.startswith(b"Exif\0\0") else exif))
    for key, value in (text or {}).items():
        out.append(_chunk(b"iTXt", key.encode("latin-1") + b"\0\0\0\0\0" + value.encode("utf-8")))
    out.append(_chunk(b"IDAT", zlib.compress(rows.tobytes(), 3)))  # level 6 took 1.5x as long for the same size (12 MP photo)
    out.append(_chunk(b"IEND", b""))
    for part in out:
        fp.write(part)


# -- TIFF ---------------------------------------------------------------------------------------
def is_tiff(path) -> bool:
    try:  # a regular file only: opening a named pipe blocks until something writes to it
        if Path(path).is_file():
            with open(path, "rb") as fp:
                return fp.read(4) in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")
    except OSError:
        pass
    return False


def _orient(a: np.ndarray, orientation: int) -> np.ndarray:
    """Apply a TIFF/EXIF Orientation (1-8) to (H, W, S) as a view (no copy)."""
    ops = {1: lambda v: v, 2: lambda v: v[:, ::-1], 3: lambda v: v[::-1, ::-1], 4: lambda v: v[::-1],
           5: lambda v: v.transpose(1, 0, 2), 6: lambda v: v.transpose(1, 0, 2)[:, ::-1],
           7: lambda v: v.transpose(1, 0, 2)[::-1, ::-1], 8: lambda v: v.transpose(1, 0, 2)[::-1]}
    return ops.get(orientation, ops[1])(a)


class _Rows:
    """An uncompressed TIFF's samples, read a band of rows at a time with ordinary reads.

    Stands in for a memory map (which gave SIGBUS, killing the process without a word, when the
    file was truncated while being read): a short read is a ValueError. Supports what the
    decoder does with it: ``shape``, ``dtype``, ``[r0:r1]`` (rows, an ndarray) and ``[:, :, c]``.
    """

    ndim = 3

    def __init__(self, path, offset: int, shape: tuple, dtype: np.dtype, chan=slice(None)):
        self.path, self.offset, self.full, self.file_dtype, self.chan = path, offset, shape, dtype, chan
        self.dtype = dtype.newbyteorder("=")
        h, w, n = shape
        self.shape = (h, w, len(range(n)[chan]))

    def __getitem__(self, key):
        h, w, n = self.full
        if isinstance(key, tuple):  # [:, :, c]: a channel selection, still read lazily
            assert key[0] == slice(None) and key[1] == slice(None) and self.chan == slice(None)
            return _Rows(self.path, self.offset, self.full, self.file_dtype, key[2])
        start, stop, _ = key.indices(h)
        rows = max(0, stop - start)
        row_bytes = w * n * self.file_dtype.itemsize
        with open(self.path, "rb") as fp:
            fp.seek(self.offset + start * row_bytes)
            buf = fp.read(rows * row_bytes)
        if len(buf) < rows * row_bytes:
            raise ValueError("the file is truncated (or it was cut short while being read)")
        a = np.frombuffer(buf, dtype=self.file_dtype).reshape(rows, w, n)[:, :, self.chan]
        return a.astype(self.dtype, copy=False)


def read_tiff(path, max_pixels: int | None = None) -> Decoded:
    """The first page of a grey or RGB TIFF (+ extra samples) of integers (8-64 bits, signed or not)
    or floats (16-64 bits).

    Uncompressed contiguous data is read a band of rows at a time when converted (:class:`_Rows`),
    never memory-mapped. ``max_pixels``: refuse larger images with :class:`OverflowError`
    carrying (width, height) before decoding. Other sample types (complex) are :class:`Refused`.
    """
    import tifffile

    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        photometric = int(page.photometric)
        dt = page.dtype
        if photometric not in (0, 1, 2) or dt is None or dt.kind not in "uifc":
            raise Unsupported("not a grey/RGB TIFF of integers or floats")  # bilevel, palette, CMYK: Pillow's
        if dt.kind == "c" or dt.itemsize > 8 or (dt.kind == "f" and dt.itemsize < 2):
            raise Refused(f"its samples are {dt.name}, a type DPM Studio does not read (it reads 8-64-bit "
                          "integers and 16-64-bit floats)")
        h, w = int(page.imagelength), int(page.imagewidth)
        if max_pixels and h * w > max_pixels:
            raise OverflowError(w, h)
        tags = page.tags
        icc = tags["InterColorProfile"].value if "InterColorProfile" in tags else None
        orientation = int(tags["Orientation"].value) if "Orientation" in tags else 1
        text = {"description": page.description} if page.description else {}
        spp = int(page.samplesperpixel)
        if page.is_memmappable and (spp == 1 or int(page.planarconfig) == 1) and orientation == 1 \
                and photometric != 0 and spp <= 4:
            samples = _Rows(path, int(page.dataoffsets[0]), (h, w, spp), np.dtype(dt).newbyteorder(tif.byteorder))
        else:
            try:
                samples = page.asarray()
            except (ValueError, NotImplementedError, KeyError) as e:  # a codec tifffile lacks here
                note = None
                if "imagecodecs" in str(e) and (page.dtype.itemsize > 1 or page.dtype.kind == "f"):
                    codec = getattr(page.compression, "name", str(page.compression))
                    note = (f"its {page.dtype.itemsize * 8}-bit {codec} data needs the optional imagecodecs "
                            "package to be read at full depth (pip install imagecodecs)")
                raise Unsupported(str(e), note) from None
        pages = len(tif.pages)
    if samples.ndim == 2:
        samples = samples[:, :, None]
    elif samples.ndim == 3 and samples.shape[0] == spp and samples.shape[2] != spp:
        samples = samples.transpose(1, 2, 0)  # planar: (S, H, W)
    if samples.ndim != 3 or samples.shape[2] > 4 or samples.shape[:2] != (h, w):
        raise Unsupported(f"an image of shape {samples.shape}")
    if photometric == 0:  # min-is-white
        if samples.dtype.kind in "iu":  # max - x unsigned, -1 - x signed: the type's range mirrored
            info = np.iinfo(samples.dtype)
            samples = (int(info.max) + int(info.min)) - samples
        else:
            samples = 1.0 - samples
    notes = [f"it has {pages} pages: only the first is used"] if pages > 1 else []
    return Decoded(_orient(samples, orientation), icc, None, text, orientation, notes)


def write_tiff(fp, samples: np.ndarray, *, icc_profile: bytes | None = None, description: str | None = None):
    """(H, W, S) uint8, uint16 or float32 -> a deflate-compressed TIFF (S = 2 or 4: an alpha sample)."""
    import tifffile

    s = samples.shape[2]
    photometric = "minisblack" if s <= 2 else "rgb"
    extra = ["unassalpha"] if s in (2, 4) else None
    data = samples[:, :, 0] if s == 1 else samples
    tifffile.imwrite(fp, data, photometric=photometric, planarconfig="contig" if s > 1 else None,
                     extrasamples=extra, compression="zlib", iccprofile=icc_profile,
                     description=description, metadata=None)


# -- to the app's float pixels ---------------------------------------------------------------------
@dataclass
class Deep:
    """A deep file decoded to the app's layout: float32 (H, W, C) in [0, 1] plus alpha (H, W)."""
    pixels: np.ndarray
    alpha: np.ndarray | None
    bit_depth: int                # 8, 16 or 32 (floats)
    dtype: str                    # the stored sample type
    value_scale: float = 1.0      # stored = pixels * value_scale + value_offset (floats)
    value_offset: float = 0.0
    icc_profile: bytes | None = None
    exif: bytes | None = None
    text: dict | None = None
    notes: list | None = None


def decode(path, max_pixels: int | None = None) -> Deep | None:
    """A 16-bit colour PNG or a TIFF this module reads; None for everything else (Pillow's).

    Raises OverflowError(width, height) beyond ``max_pixels``, :class:`Unsupported` with a
    ``note`` when Pillow, reading it instead, would lose depth, and the decoders' own errors
    (zlib, struct, tifffile, ValueError) for a broken file."""
    path = Path(path)
    if not path.is_file():
        return None
    head = png_header(path)
    deep_png = head is not None and head[2] == 16 and head[3] in (2, 4, 6) and not head[4]
    if head is not None and head[2] == 16 and head[3] in (2, 4, 6) and head[4]:  # Pillow reads it at 8 bits
        raise Unsupported("interlaced", "it is an interlaced 16-bit PNG, read at 8 bits: save it without interlacing "
                          "to keep its 16 bits")
    tiff = not deep_png and is_tiff(path)
    if not deep_png and not tiff:
        from .pnm import read_deep_ppm  # a 16-bit colour PPM, which Pillow narrows to 8 bits

        ppm = read_deep_ppm(path, max_pixels)
        if ppm is None:
            return None
        dec = Decoded(ppm[0], notes=ppm[1])
    if deep_png and max_pixels and head[0] * head[1] > max_pixels:
        raise OverflowError(head[0], head[1])
    try:
        if deep_png or tiff:
            dec = read_png16(path) if deep_png else read_tiff(path, max_pixels=max_pixels)
    except Unsupported as e:
        if e.note:
            raise
        return None
    s = dec.samples
    colour, alpha = (s, None) if s.shape[2] in (1, 3) else (s[:, :, :-1], s[:, :, -1:])
    narrow = s.dtype.kind == "u" and s.dtype.itemsize <= 2  # uint8 / uint16: scaled by the type's maximum
    notes = list(dec.notes or [])
    scale, offset = (1.0, 0.0) if narrow else _checked_range(colour, notes)
    if not narrow and not (s.dtype.kind == "f" and s.dtype.itemsize == 4):
        notes.append(f"its {s.dtype.name} samples are held as 32-bit floats (a TIFF result is saved as float32)")
    pixels = to_unit(colour, scale, offset)
    if alpha is not None:
        top = float(np.iinfo(s.dtype).max) if s.dtype.kind in "iu" else 1.0
        alpha = to_unit(alpha, top)[:, :, 0]
        alpha = None if float(alpha.min()) >= 1.0 else alpha
    depth = {1: 8, 2: 16}[s.dtype.itemsize] if narrow else 32
    return Deep(pixels, alpha, depth, str(s.dtype), scale, offset, dec.icc_profile, dec.exif, dec.text, notes or None)


#: The middle 98% of a float image spanning less than this fraction of its whole range is flattened
#: by a few extreme values (float32 keeps 24 bits): such a file is refused, not read as a flat image.
MIN_SPREAD_FRACTION = 2.0 ** -20
F32_MAX = float(np.finfo(np.float32).max)


#: Bits a float32 sample holds exactly: integers beyond 2^24 of their span would lose low bits.
F32_BITS = 24


def _checked_range(samples, notes: list | None = None) -> tuple[float, float]:
    """:func:`float_range`, refusing (:class:`Refused`) what float32 pixels cannot hold: float64
    values beyond float32's range, a few extreme values that would flatten the rest, integers
    whose span needs more than 24 bits (their low bits would be lost: refused, not rounded). A
    float file whose values are finer than 2^-24 of the span gets a note in ``notes`` saying how
    finely they are held (the round trip is exact for values on that grid)."""
    lo, hi, some, bad = _finite_range(samples)
    scale, offset = _range_of(lo, hi, samples.dtype)
    name = samples.dtype.name
    if bad and not np.isfinite(lo):
        raise Refused(f"it holds no finite values: all {bad:,} of its samples are NaN or infinite")
    if bad and notes is not None:  # no-data values: not silently black
        notes.append(f"{bad:,} of its samples are NaN or infinite: read, and saved, as the bottom of its range "
                     "(NaN, -inf) or the top (+inf)")
    if samples.dtype.kind in "iu" and hi - offset > 2 ** F32_BITS and not _on_grid(samples, scale, offset):
        bits = int(np.ceil(np.log2(hi - offset + 1)))
        raise Refused(f"its {name} values span {lo:,.0f} to {hi:,.0f}, which needs {bits} bits, and DPM Studio "
                      f"computes and saves in float32, exact to {F32_BITS} bits: the low {bits - F32_BITS} bits "
                      f"would be lost; divide the data by 2^{bits - F32_BITS} (or clip it) first")
    if samples.dtype.kind == "f" and (scale, offset) != (1.0, 0.0) and some.size and notes is not None:
        back = np.asarray(some, np.float64)
        held = ((back - offset) / scale).astype(np.float32).astype(np.float64) * scale + offset
        if not np.array_equal(held.astype(samples.dtype), back.astype(samples.dtype)):
            notes.append(f"its {name} values ({lo:.6g} to {hi:.6g}) are held to {scale * 2.0 ** -F32_BITS:.3g} "
                         f"(2^-{F32_BITS} of {scale:.6g}): finer differences are rounded to that step")
    if samples.dtype.kind == "f" and np.isfinite(lo) and max(abs(lo), abs(hi)) > F32_MAX:
        raise Refused(f"its {name} values reach {max(abs(lo), abs(hi)):.3g}, beyond the float32 range "
                      f"(±{F32_MAX:.3g}) that DPM Studio computes and saves in; scale the data down first")
    if samples.dtype.kind == "f" and some.size:
        p1, p99 = np.percentile(some, [1, 99], method="nearest")
        spread = float(p99) - float(p1)
        if 0 < spread < scale * MIN_SPREAD_FRACTION:
            raise Refused(f"its {name} values span {lo:.3g} to {hi:.3g} but 98% of them lie within {spread:.3g}: "
                          "a few extreme values (a no-data marker?) would flatten the image; replace or clip them first")
    return scale, offset


def _on_grid(samples, scale: float, offset: float) -> bool:
    """Every sample's ``(x - offset) / scale`` is exact in float32 (read a band of rows at a time)."""
    for r in range(0, samples.shape[0], ROWS_PER_BAND):
        x = np.asarray(samples[r:r + ROWS_PER_BAND], dtype=np.float64) - offset
        if not np.array_equal((x / scale).astype(np.float32).astype(np.float64) * scale, x):
            return False
    return True


# -- scaling ------------------------------------------------------------------------------------
def _finite_range(samples) -> tuple[float, float, np.ndarray, int]:
    """(min, max) of the finite values (inf, -inf if none), up to about a million of them evenly spread,
    and how many are not finite; read a band of rows at a time in float64 (exact up to 2^53)."""
    lo, hi, some, bad = np.inf, -np.inf, [], 0
    h = samples.shape[0]
    step = max(1, (h * samples.shape[1] * samples.shape[2]) // 1_000_000)
    for r in range(0, h, ROWS_PER_BAND):
        band = np.asarray(samples[r:r + ROWS_PER_BAND], dtype=np.float64)
        finite = band[np.isfinite(band)]
        bad += band.size - finite.size
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
            some.append(finite[::step])
    return lo, hi, (np.concatenate(some) if some else np.empty(0)), bad


def _range_of(lo: float, hi: float, dtype) -> tuple[float, float]:
    if not np.isfinite(lo) or (lo >= 0.0 and hi <= 1.0):
        return 1.0, 0.0
    if np.dtype(dtype).kind in "iu":  # offset the minimum (an integer) and divide by a power of two: exact
        offset = min(lo, 0.0)
        return float(2.0 ** np.ceil(np.log2(hi - offset))) if hi - offset > 1 else 1.0, offset
    if lo >= 0.0:
        return float(2.0 ** np.ceil(np.log2(hi))), 0.0
    # Signed floats: from the minimum by the power of two at or above the span, so a value on the
    # span's 2^-24 grid round-trips exactly (dividing by the span itself rounded every one).
    return float(2.0 ** np.ceil(np.log2(hi - lo))) if hi > lo else 1.0, lo


def float_range(samples) -> tuple[float, float]:
    """(scale, offset) with samples = unit * scale + offset mapping the finite values into [0, 1].

    Data already in [0, 1] keeps scale 1; nonnegative data is divided by the power of two
    at or above its maximum (exact in floating point, so a round trip is lossless); float data
    with negative values from its minimum by the power of two at or above its span (exact for
    values on the span's 2^-24 grid); integers from their minimum by a power of two (exact up
    to 2^24; a wider span that needs its low bits is refused by :func:`_checked_range`). Computed in float64, so a scale of
    2^128 (float32 data near 3.4e38) does not overflow."""
    lo, hi, _, _ = _finite_range(samples)
    return _range_of(lo, hi, samples.dtype)


def to_unit(samples, scale: float = 1.0, offset: float = 0.0) -> np.ndarray:
    """Samples -> float32 in [0, 1] (uint8/uint16 by their type's maximum, the rest by ``scale``
    and ``offset``, in float64).

    Converted a band of rows at a time straight into the result, so a large source is never
    copied whole: the float32 result is the only full-size array.
    """
    h, w, s = samples.shape
    out = np.empty((h, w, s), dtype=np.float32)
    narrow = samples.dtype.kind == "u" and samples.dtype.itemsize <= 2
    if narrow:
        scale, offset = float(np.iinfo(samples.dtype).max), 0.0
    for r in range(0, h, ROWS_PER_BAND):
        o = out[r:r + ROWS_PER_BAND]
        if narrow:  # integers in range already
            np.copyto(o, samples[r:r + ROWS_PER_BAND], casting="unsafe")
            o /= np.float32(scale)
            continue
        x = np.array(samples[r:r + ROWS_PER_BAND], dtype=np.float64)
        if offset:
            x -= offset
        if scale != 1.0:
            x /= scale
        np.nan_to_num(x, copy=False, nan=0.0, posinf=1.0, neginf=0.0)
        np.clip(x, 0.0, 1.0, out=x)
        o[...] = x
    return out


def from_unit(unit: np.ndarray, bit_depth: int, scale: float = 1.0, offset: float = 0.0) -> np.ndarray:
    """float [0, 1] (H, W, S) -> uint8 (8), uint16 (16) or float32 (32, mapped back by scale/offset)."""
    u = np.clip(np.nan_to_num(np.asarray(unit, dtype=np.float32), nan=0.0), 0.0, 1.0)
    if bit_depth == 32:
        if scale == 1.0 and offset == 0.0:
            return u
        x = u.astype(np.float64) * scale + offset  # a scale of 2^128 takes 1.0 past float32's largest value
        return np.clip(x, -F32_MAX, F32_MAX).astype(np.float32)
    hi = 65535.0 if bit_depth == 16 else 255.0
    return (u * hi + 0.5).astype(np.uint16 if bit_depth == 16 else np.uint8)
