"""Round seven of benchmarks/hostile_inputs.py: kinds of file a user has (not damaged ones), through the
command line, the API's reader and the app's File > Open; and output places that fail (a full or read-only
folder, the input itself under another name). See docs/hostile-inputs.md.

Each file kind is a (name, bytes or a maker) pair made here in memory; the checks beyond "one line or a
result" are the kind's own: an EXIF-turned photo comes out upright with no turning tag left, an animation's
or multi-page file's note says which frame is used, a bomb is refused before it is decoded, a long thin
image is done within a time limit.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(w: int, h: int) -> bytes:
    """A PNG whose header declares w x h 8-bit RGB pixels and whose data is a few hundred bytes of one
    compressed row repeated (each row a filter byte and zeros: deflate makes millions of rows tiny)."""
    head = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    comp = zlib.compressobj(9)
    row = b"\0" * (1 + 3 * w)
    data = b"".join(comp.compress(row) for _ in range(min(h, 64))) + comp.flush(zlib.Z_SYNC_FLUSH)
    return head + _png_chunk(b"IDAT", data[:4096]) + _png_chunk(b"IEND", b"")


def bomb_jpeg(w: int, h: int) -> bytes:
    """A real 16 x 16 JPEG whose frame header (SOF0) is set to w x h."""
    b = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 120, 150)).save(b, "JPEG")
    data = bytearray(b.getvalue())
    sof = data.find(b"\xff\xc0")
    data[sof + 5: sof + 9] = struct.pack(">HH", h, w)
    return bytes(data)


def bomb_gif(w: int, h: int) -> bytes:
    b = io.BytesIO()
    Image.new("P", (16, 16), 3).save(b, "GIF")
    data = bytearray(b.getvalue())
    data[6:10] = struct.pack("<HH", w, h)            # the logical screen
    img = data.find(b"\x2c")                          # the image descriptor
    data[img + 5: img + 9] = struct.pack("<HH", w, h)
    return bytes(data)


def bomb_tiff(w: int, h: int) -> bytes:
    import tifffile

    b = io.BytesIO()
    tifffile.imwrite(b, np.zeros((16, 16), np.uint8), compression="zlib")
    data = bytearray(b.getvalue())
    for tag, value in ((256, w), (257, h)):  # ImageWidth, ImageLength: SHORT or LONG entries of the first IFD
        ifd = struct.unpack("<I", data[4:8])[0]
        n = struct.unpack("<H", data[ifd: ifd + 2])[0]
        for k in range(n):
            e = ifd + 2 + 12 * k
            t, typ = struct.unpack("<HH", data[e: e + 4])
            if t == tag:
                data[e + 2: e + 4] = struct.pack("<H", 4)
                data[e + 8: e + 12] = struct.pack("<I", value)
    return bytes(data)


def _save(im: Image.Image, fmt: str, **kw) -> bytes:
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()


def _tiff(a: np.ndarray, **kw) -> bytes:
    import tifffile

    b = io.BytesIO()
    tifffile.imwrite(b, a, **kw)
    return b.getvalue()


def rgb(h: int = 24, w: int = 33, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def oriented_jpeg(orientation: int) -> bytes:
    """A 24 x 33 JPEG (24 rows) whose EXIF says to turn it (6: 90 degrees clockwise, shown 33 x 24)."""
    ex = Image.Exif()
    ex[0x0112] = orientation
    return _save(Image.fromarray(rgb()), "JPEG", exif=ex.tobytes(), quality=95)


def srgb_icc() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def kinds() -> dict[str, bytes]:
    """name -> bytes of each kind of file (the name's suffix is its format)."""
    a = rgb()
    im = Image.fromarray(a)
    grey = Image.fromarray(a[..., 0])
    frames = [Image.fromarray(np.roll(a, k, 0)) for k in range(3)]
    out = {
        "bomb-png.png": bomb_png(100_000, 100_000),
        "bomb-png-warning.png": bomb_png(11_000, 11_000),    # between Pillow's limit and twice it: a warning there
        "bomb-jpeg.jpg": bomb_jpeg(65_000, 65_000),
        "bomb-gif.gif": bomb_gif(65_535, 65_535),
        "bomb-tiff.tif": bomb_tiff(60_000, 60_000),
        "cmyk.jpg": _save(im.convert("CMYK"), "JPEG"),
        "cmyk.tif": _save(im.convert("CMYK"), "TIFF"),
        "lab.tif": _save(im.convert("LAB"), "TIFF"),
        "ycbcr.tif": _save(im, "TIFF", compression="jpeg"),
        "ycbcr-jpeg.jpg": _save(im, "JPEG", subsampling=2),
        "grey16.tif": _tiff((a[..., 0].astype(np.uint16) * 257)),
        "rgb16.tif": _tiff(a.astype(np.uint16) * 257, photometric="rgb"),
        "float.tif": _tiff(a.astype(np.float32) / 255, photometric="rgb"),
        "float-grey.tif": _tiff(a[..., 0].astype(np.float32) / 255),
        "palette-trns.png": _save(im.convert("P"), "PNG", transparency=0),
        "grey-trns.png": _save(grey, "PNG", transparency=int(a[0, 0, 0])),
        "rgb-trns.png": _save(im, "PNG", transparency=tuple(int(v) for v in a[0, 0])),
        "palette-alpha.png": _save(Image.fromarray(np.dstack([a, a[..., :1]])).convert("PA") if False else
                                   im.convert("P", palette=Image.ADAPTIVE), "PNG"),
        "oriented6.jpg": oriented_jpeg(6),
        "oriented8.jpg": oriented_jpeg(8),
        "icc.jpg": _save(im, "JPEG", icc_profile=srgb_icc()),
        "icc.png": _save(im, "PNG", icc_profile=srgb_icc()),
        "anim.gif": b"",
        "apng.png": b"",
        "pages.tif": b"",
        "pages-lzw.tif": b"",
        "empty.png": b"",
    }
    for name, fmt, kw in (("anim.gif", "GIF", {}), ("apng.png", "PNG", {}), ("pages.tif", "TIFF", {}),
                          ("pages-lzw.tif", "TIFF", {"compression": "tiff_lzw"})):
        b = io.BytesIO()
        frames[0].save(b, fmt, save_all=True, append_images=frames[1:], **kw)
        out[name] = b.getvalue()
    return out


#: Kinds whose reading says which frame or page it used, and the words that say it.
FRAME_NOTES = {"anim.gif": "first frame", "apng.png": "first frame", "pages.tif": "first", "pages-lzw.tif": "first"}
