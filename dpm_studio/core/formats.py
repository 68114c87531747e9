"""Deep formats Pillow cannot hold: 16-bit colour PNG, and TIFF of 8/16-bit integers or floats.

Pillow keeps 16 bits only for single-channel images (mode I;16) and floats only for
single-channel ones (mode F), so a 16-bit RGB PNG would be read (and written) at 8 bits
and a float RGB TIFF not read at all. This module reads and writes those with numpy:
PNG with :mod:`zlib` (chunks, filters and all, :func:`read_png16` / :func:`write_png`),
TIFF with ``tifffile`` (:func:`read_tiff` / :func:`write_tiff`). An uncompressed TIFF is
memory-mapped and converted to float a band of rows at a time, so the only full-size
array in memory is the float32 result.

A decoded image is :class:`Decoded`: ``samples`` (H, W, S) with S = 1-4 in its stored
type (uint8, uint16 or float32; the caller scales it), the ICC profile and EXIF bytes if
the file has them. Anything this module cannot decode (an interlaced PNG, a palette or
JPEG-compressed TIFF) raises :class:`Unsupported` and the caller falls back to Pillow.
No Qt, no Pillow here.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Decoded", "Deep", "decode", "Unsupported", "png_header", "read_png16", "write_png", "read_tiff", "write_tiff",
           "is_tiff", "to_unit", "ROWS_PER_BAND"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Rows converted per band when scaling a memory-mapped image to float.
ROWS_PER_BAND = 256


class Unsupported(Exception):
    """This file is fine but not for this decoder; let Pillow read it.

    ``note``: what Pillow's reading will lose (or why it may fail), for the user; None if nothing."""

    def __init__(self, message: str = "", note: str | None = None):
        super().__init__(message)
        self.note = note


@dataclass
class Decoded:
    samples: np.ndarray           # (H, W, S), uint8 / uint16 / float32, possibly a read-only memmap
    icc_profile: bytes | None = None
    exif: bytes | None = None
    text: dict | None = None      # PNG text chunks / TIFF description under "description"
    orientation: int = 1          # TIFF Orientation tag (already applied to samples)
    notes: list | None = None     # one-line remarks for the user (a multi-page TIFF's other pages)


# -- PNG ----------------------------------------------------------------------------------------
def _chunks(data: bytes):
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise ValueError("the file is truncated")
        yield kind, body
        pos += 12 + length
        if kind == b"IEND":
            return
    raise ValueError("the file is truncated (no IEND chunk)")


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


def unfilter(filtered: np.ndarray, bpp: int) -> np.ndarray:
    """Undo PNG's per-row filters: ``filtered`` (H, 1 + W * bpp) uint8 -> (H, W, bpp) uint8.

    Rows filtered with None, Sub or Up are undone a row at a time (Sub is a running sum
    along the row, Up a sum with the row above; uint8 arithmetic wraps modulo 256 as PNG
    wants). Average and Paeth make each byte depend on its left neighbour (a), the one
    above (b) and above-left (c), so an image with such rows is rebuilt along
    anti-diagonals instead: the pixels of r + x = d depend only on earlier diagonals, and
    stored skewed (diagonal d as one row) each step is a few slices, H + W - 1 steps in all.
    """
    H = filtered.shape[0]
    kinds = filtered[:, 0]
    if np.any(kinds > 4):
        raise ValueError("it has an unknown PNG filter type")
    f = filtered[:, 1:].reshape(H, -1, bpp)
    W = f.shape[1]
    if not np.any(kinds >= 3):
        out = np.empty_like(f)
        prev = np.zeros((W, bpp), np.uint8)
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
    """A 16-bit PNG of any colour type but palette: samples as (H, W, S) uint16."""
    data = Path(path).read_bytes()
    if data[:8] != PNG_SIGNATURE:
        raise Unsupported("not a PNG")
    ihdr, idat, icc, exif, text = None, [], None, None, {}
    for kind, body in _chunks(data):
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body[:13])
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"iCCP":
            name_end = body.index(b"\0")
            icc = zlib.decompress(body[name_end + 2:])
        elif kind == b"eXIf":
            exif = bytes(body)
        elif kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            text[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            flag, method, rest = rest[0], rest[1], rest[2:]
            _lang, _, rest = rest.partition(b"\0")
            _tkey, _, value = rest.partition(b"\0")
            text[key.decode("latin-1")] = (zlib.decompress(value) if flag else value).decode("utf-8", "replace")
    if ihdr is None:
        raise ValueError("it has no IHDR chunk")
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 16 or ctype not in _PNG_CHANNELS or interlace:
        raise Unsupported("not a non-interlaced 16-bit PNG")
    s = _PNG_CHANNELS[ctype]
    raw = zlib.decompress(b"".join(idat))
    stride = 1 + w * s * 2
    if len(raw) < stride * h:
        raise ValueError("its pixel data is truncated")
    rows = np.frombuffer(raw, dtype=np.uint8, count=stride * h).reshape(h, stride)
    px = unfilter(rows, s * 2).reshape(h, w, s, 2)
    samples = (px[..., 0].astype(np.uint16) << 8) | px[..., 1]
    return Decoded(samples, icc, exif, text)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def write_png(fp, samples: np.ndarray, *, icc_profile: bytes | None = None, exif: bytes | None = None,
              text: dict | None = None) -> None:
    """(H, W, S) uint16 (S = 1-4: grey, grey + alpha, RGB, RGBA) -> a 16-bit PNG on ``fp``.

    Rows use the Up filter (vectorised, and smooth photographs compress well with it).
    """
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
    try:
        with open(path, "rb") as fp:
            head = fp.read(4)
    except OSError:
        return False
    return head in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")


def _orient(a: np.ndarray, orientation: int) -> np.ndarray:
    """Apply a TIFF/EXIF Orientation (1-8) to (H, W, S) as a view (no copy)."""
    ops = {1: lambda v: v, 2: lambda v: v[:, ::-1], 3: lambda v: v[::-1, ::-1], 4: lambda v: v[::-1],
           5: lambda v: v.transpose(1, 0, 2), 6: lambda v: v.transpose(1, 0, 2)[:, ::-1],
           7: lambda v: v.transpose(1, 0, 2)[::-1, ::-1], 8: lambda v: v.transpose(1, 0, 2)[::-1]}
    return ops.get(orientation, ops[1])(a)


def read_tiff(path, max_pixels: int | None = None) -> Decoded:
    """The first page of a grey or RGB TIFF (+ extra samples) of uint8, uint16 or floats.

    Uncompressed contiguous data is memory-mapped, not read. ``max_pixels``: refuse
    larger images with :class:`OverflowError` carrying (width, height) before decoding.
    """
    import tifffile

    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        photometric = int(page.photometric)
        if photometric not in (0, 1, 2) or page.dtype is None or page.dtype.kind not in "uf" \
                or page.dtype.itemsize > 8 or (page.dtype.kind == "u" and page.dtype.itemsize > 2):
            raise Unsupported("not a grey/RGB TIFF of 8/16-bit integers or floats")
        h, w = int(page.imagelength), int(page.imagewidth)
        if max_pixels and h * w > max_pixels:
            raise OverflowError(w, h)
        tags = page.tags
        icc = tags["InterColorProfile"].value if "InterColorProfile" in tags else None
        orientation = int(tags["Orientation"].value) if "Orientation" in tags else 1
        text = {"description": page.description} if page.description else {}
        if page.is_memmappable and page.dtype.kind in "uf":
            samples = tifffile.memmap(path, page=0, mode="r")
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
        spp = int(page.samplesperpixel)
        pages = len(tif.pages)
    if samples.ndim == 2:
        samples = samples[:, :, None]
    elif samples.ndim == 3 and samples.shape[0] == spp and samples.shape[2] != spp:
        samples = samples.transpose(1, 2, 0)  # planar: (S, H, W)
    if samples.ndim != 3 or samples.shape[2] > 4 or samples.shape[:2] != (h, w):
        raise Unsupported(f"an image of shape {samples.shape}")
    if photometric == 0:  # min-is-white
        hi = np.iinfo(samples.dtype).max if samples.dtype.kind == "u" else 1.0
        samples = hi - samples
    if samples.dtype == np.float16 or samples.dtype == np.float64:
        samples = samples.astype(np.float32)
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
    (zlib, struct, tifffile, ValueError) for a broken file.
    """
    path = Path(path)
    if not path.is_file():
        return None
    head = png_header(path)
    deep_png = head is not None and head[2] == 16 and head[3] in (2, 4, 6) and not head[4]
    if not deep_png and not is_tiff(path):
        return None
    if deep_png and max_pixels and head[0] * head[1] > max_pixels:
        raise OverflowError(head[0], head[1])
    try:
        dec = read_png16(path) if deep_png else read_tiff(path, max_pixels=max_pixels)
    except Unsupported as e:
        if e.note:
            raise
        return None
    s = dec.samples
    colour, alpha = (s, None) if s.shape[2] in (1, 3) else (s[:, :, :-1], s[:, :, -1:])
    scale, offset = float_range(colour) if s.dtype.kind == "f" else (1.0, 0.0)
    pixels = to_unit(colour, scale, offset)
    if alpha is not None:
        alpha = to_unit(alpha)[:, :, 0]
        alpha = None if float(alpha.min()) >= 1.0 else alpha
    depth = {1: 8, 2: 16}[s.dtype.itemsize] if s.dtype.kind == "u" else 32
    return Deep(pixels, alpha, depth, str(s.dtype), scale, offset, dec.icc_profile, dec.exif, dec.text, dec.notes)


# -- scaling ------------------------------------------------------------------------------------
def float_range(samples: np.ndarray) -> tuple[float, float]:
    """(scale, offset) with samples = unit * scale + offset mapping the finite values into [0, 1].

    Data already in [0, 1] keeps scale 1; nonnegative data is divided by the power of two
    at or above its maximum (exact in floating point, so a round trip is lossless); data
    with negative values is mapped from [min, max] (exact up to float rounding).
    """
    lo, hi = np.inf, -np.inf
    for r in range(0, samples.shape[0], ROWS_PER_BAND):
        band = np.asarray(samples[r:r + ROWS_PER_BAND], dtype=np.float32)
        finite = band[np.isfinite(band)]
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
    if not np.isfinite(lo) or (lo >= 0.0 and hi <= 1.0):
        return 1.0, 0.0
    if lo >= 0.0:
        return float(2.0 ** np.ceil(np.log2(hi))), 0.0
    return (hi - lo) or 1.0, lo


def to_unit(samples: np.ndarray, scale: float = 1.0, offset: float = 0.0) -> np.ndarray:
    """Samples -> float32 in [0, 1] (integers by their type's maximum).

    Converted a band of rows at a time straight into the result, so a memory-mapped
    source is never copied whole: the float32 result is the only full-size array.
    """
    h, w, s = samples.shape
    out = np.empty((h, w, s), dtype=np.float32)
    if samples.dtype.kind == "u":
        scale, offset = float(np.iinfo(samples.dtype).max), 0.0
    for r in range(0, h, ROWS_PER_BAND):
        o = out[r:r + ROWS_PER_BAND]
        np.copyto(o, samples[r:r + ROWS_PER_BAND], casting="unsafe")
        if offset:
            o -= np.float32(offset)
        if scale != 1.0:
            o /= np.float32(scale)
        if samples.dtype.kind == "f":  # integers are in range already
            np.nan_to_num(o, copy=False, nan=0.0, posinf=1.0, neginf=0.0)
            np.clip(o, 0.0, 1.0, out=o)
    return out


def from_unit(unit: np.ndarray, bit_depth: int, scale: float = 1.0, offset: float = 0.0) -> np.ndarray:
    """float [0, 1] (H, W, S) -> uint8 (8), uint16 (16) or float32 (32, mapped back by scale/offset)."""
    u = np.clip(np.nan_to_num(np.asarray(unit, dtype=np.float32), nan=0.0), 0.0, 1.0)
    if bit_depth == 32:
        if scale == 1.0 and offset == 0.0:
            return u
        return (u.astype(np.float64) * scale + offset).astype(np.float32)
    hi = 65535.0 if bit_depth == 16 else 255.0
    return (u * hi + 0.5).astype(np.uint16 if bit_depth == 16 else np.uint8)
