"""Awkward and broken image files, made with Pillow (or by hand) in a test's folder.

``CASES`` maps a case name to (builder, expectation). A builder writes the file into a
folder and returns its path; the expectation is either ``("error", regex)`` (one clear
message, matched against the ImageIOError text) or ``("ok", (h, w, c), extra)`` where
``extra`` may hold ``alpha`` (True/False) and ``note`` (a regex one of the notes matches).
:func:`disk_fault` makes the next write fail as a full, read-only or forbidden disk would.
Shared by the loader, app and command-line tests.
"""

from __future__ import annotations

import errno
import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

H, W = 20, 30


def rgb_u8(h=H, w=W, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (8-bit grey) and that holds no pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b""))
            + _chunk(b"IEND", b""))


def _write(name, data: bytes):
    def build(folder: Path) -> Path:
        p = folder / name
        p.write_bytes(data)
        return p
    return build


def _truncated(name, fmt):
    def build(folder: Path) -> Path:
        full = folder / f"full-{name}"
        Image.fromarray(rgb_u8()).save(full, fmt)
        data = full.read_bytes()
        full.unlink()
        p = folder / name
        p.write_bytes(data[: len(data) // 2])
        return p
    return build


def _pillow(name, make, **save):
    def build(folder: Path) -> Path:
        p = folder / name
        make().save(p, **save)
        return p
    return build


def _cmyk():
    return Image.fromarray(rgb_u8()).convert("CMYK")


def _la():
    a = rgb_u8()
    return Image.fromarray(np.stack([a[:, :, 0], a[:, :, 1]], axis=2), "LA")


def _i16():
    return Image.fromarray(np.arange(H * W, dtype=np.uint16).reshape(H, W) * 97)


def _palette_transparent():
    return Image.fromarray(rgb_u8()).convert("P", palette=Image.ADAPTIVE, colors=8)


def _animated(folder: Path) -> Path:
    frames = [Image.fromarray(np.full((H, W, 3), v, np.uint8)) for v in (10, 128, 250)]
    p = folder / "animated.gif"
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=50)
    return p


def _exif_rotated(folder: Path) -> Path:
    a = np.zeros((10, 20, 3), np.uint8)
    a[:, :5] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    p = folder / "rotated.jpg"
    Image.fromarray(a).save(p, exif=exif.tobytes(), quality=95)
    return p


def _bomb_jpeg(folder: Path) -> Path:
    """A 8 x 8 JPEG whose frame header claims 60000 x 60000."""
    import io

    buf = io.BytesIO()
    Image.fromarray(rgb_u8(8, 8)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    p = folder / "bomb.jpg"
    p.write_bytes(bytes(data))
    return p


def _bomb_tiff(folder: Path) -> Path:
    """An 8 x 8 TIFF whose header claims 60000 x 60000 (tifffile also logs its strip counts as wrong)."""
    import tifffile

    p = folder / "bomb.tif"
    tifffile.imwrite(p, rgb_u8(8, 8), photometric="rgb")
    data = bytearray(p.read_bytes())
    ifd = struct.unpack("<I", data[4:8])[0]
    for i in range(struct.unpack("<H", data[ifd:ifd + 2])[0]):
        e = ifd + 2 + 12 * i
        tag, kind = struct.unpack("<HH", data[e:e + 4])
        if tag in (256, 257):  # ImageWidth, ImageLength
            data[e + 8:e + 12] = struct.pack("<HH", 60000, 0) if kind == 3 else struct.pack("<I", 60000)
    p.write_bytes(bytes(data))
    return p


def grey16_alpha() -> np.ndarray:
    """(H, W, 2) uint16: grey and a half-transparent alpha, every value off the 8-bit grid."""
    g = (np.arange(H * W, dtype=np.uint32).reshape(H, W) * 97 % 65536).astype(np.uint16) | 1
    return np.stack([g, np.full((H, W), 30001, np.uint16)], axis=2)


def _grey16_alpha(folder: Path) -> Path:
    """A 16-bit grey + alpha PNG (colour type 4; Pillow reads it as 8-bit RGBA)."""
    raw = b"".join(b"\0" + row.astype(">u2").tobytes() for row in grey16_alpha())
    return _png16(folder / "grey16a.png", 4, 0, raw)


def _png16(path: Path, colour_type: int, interlace: int, raw: bytes) -> Path:
    """A 16-bit H x W PNG of ``raw`` (filtered rows, as stored)."""
    ihdr = struct.pack(">IIBBBBB", W, H, 16, colour_type, 0, 0, interlace)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw))
                     + _chunk(b"IEND", b""))
    return path


def _interlaced16(folder: Path) -> Path:
    """A 16-bit RGB PNG stored interlaced (Adam7: seven passes, each row filter 0)."""
    a = (rgb_u8().astype(np.uint16) * 257) | 1
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = b""
    for xs, ys, dx, dy in passes:
        sub = a[ys::dy, xs::dx]
        if sub.size:
            raw += b"".join(b"\0" + row.astype(">u2").tobytes() for row in sub)
    return _png16(folder / "interlaced16.png", 2, 1, raw)


def _ppm16(folder: Path) -> Path:
    p = folder / "deep.ppm"
    p.write_bytes(b"P6\n# 16-bit colour\n%d %d\n65535\n" % (W, H) + deep_rgb().astype(">u2").tobytes())
    return p


def deep_rgb() -> np.ndarray:
    """(H, W, 3) uint16 with every value off the 8-bit grid."""
    return (rgb_u8().astype(np.uint16) * 257) ^ 0x0101 | 2


def _multipage(folder: Path) -> Path:
    frames = [Image.fromarray(rgb_u8(seed=s)) for s in range(3)]
    p = folder / "pages.tif"
    frames[0].save(p, save_all=True, append_images=frames[1:])
    return p


CASES = {
    "truncated-png": (_truncated("truncated.png", "PNG"), ("error", r"truncated\.png cannot be read: its data stops")),
    "truncated-jpeg": (_truncated("truncated.jpg", "JPEG"), ("error", r"truncated\.jpg cannot be read: its data stops")),
    "truncated-tiff": (_truncated("truncated.tif", "TIFF"), ("error", r"truncated\.tif cannot be read: its data stops")),
    "empty-jpeg": (_write("empty.jpg", b""), ("error", r"empty\.jpg is an empty file")),
    "empty-tiff": (_write("empty.tif", b""), ("error", r"empty\.tif is an empty file")),
    "bomb-tiff": (_bomb_tiff, ("error", r"bomb\.tif is 60000\u00d760000 .*over the safety limit")),
    "bomb-jpeg": (_bomb_jpeg, ("error", r"bomb\.jpg is 60000\u00d760000 .*over the safety limit")),
    "corrupt-png": (_write("corrupt.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20), ("error", r"corrupt\.png")),
    "not-an-image": (_write("notes.png", b"these are my notes, not a picture\n"),
                     ("error", r"notes\.png is not an image file")),
    "empty-file": (_write("empty.png", b""), ("error", r"empty\.png is an empty file")),
    "zero-size": (_write("zero.png", png_header_only(0, 10)), ("error", r"zero\.png has no pixels \(0\u00d710\)")),
    "bomb": (_write("bomb.png", png_header_only(60000, 60000)),
             ("error", r"bomb\.png is 60000\u00d760000 \(3,600,000,000 pixels\), over the safety limit of "
                       r"[\d,]+ pixels")),
    "bomb-warning-zone": (_write("big.png", png_header_only(10000, 9000)),  # between Pillow's warning and error
                          ("error", r"big\.png is 10000\u00d79000 .*over the safety limit")),
    "one-pixel": (_pillow("one.png", lambda: Image.new("RGB", (1, 1), (10, 20, 30))), ("ok", (1, 1, 3), {})),
    "long-strip": (_pillow("strip.png", lambda: Image.new("L", (4000, 1), 200)), ("ok", (1, 4000, 1), {})),
    "cmyk-jpeg": (_pillow("cmyk.jpg", _cmyk, quality=95), ("ok", (H, W, 3), {"alpha": False})),
    "cmyk-tiff": (_pillow("cmyk.tif", _cmyk), ("ok", (H, W, 3), {"alpha": False})),
    "la": (_pillow("la.png", _la), ("ok", (H, W, 1), {"alpha": True})),
    "i16": (_pillow("grey16.png", _i16), ("ok", (H, W, 1), {"alpha": False})),
    "palette-transparent": (_pillow("palette.png", _palette_transparent, transparency=0),
                            ("ok", (H, W, 3), {"alpha": True})),
    "animated-gif": (_animated, ("ok", (H, W, 3), {"note": r"animation of 3 frames: only the first frame"})),
    "exif-rotated": (_exif_rotated, ("ok", (20, 10, 3), {})),
    "one-column": (_pillow("column.png", lambda: Image.fromarray(rgb_u8(300, 1))), ("ok", (300, 1, 3), {})),
    "grey16-alpha": (_grey16_alpha, ("ok", (H, W, 1), {"alpha": True})),
    "interlaced-png16": (_interlaced16, ("ok", (H, W, 3), {"note": r"interlaced 16-bit PNG, read at 8 bits"})),
    "ppm16": (_ppm16, ("ok", (H, W, 3), {})),
    "multipage-tiff": (_multipage, ("ok", (H, W, 3), {"note": r"3 pages: only the first is used"})),
}

ERROR_CASES = [k for k, (_, e) in CASES.items() if e[0] == "error"]
OK_CASES = [k for k, (_, e) in CASES.items() if e[0] == "ok"]


#: Ways a write can fail: a full disk half-way through, a refused rename, a refused new file, a read-only disk.
DISK_FAULTS = ["ENOSPC-mid-write", "EACCES-rename", "EACCES-create", "EROFS"]


def disk_fault(monkeypatch, kind):
    """Make the next image write fail like a real disk would; returns the message to expect."""
    import dpm_studio.core.files.atomic as atomic

    if kind == "ENOSPC-mid-write":
        def full(self, fp, *a, **k):
            with open(fp, "wb") as f:
                f.write(b"the first half of an image")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        monkeypatch.setattr(Image.Image, "save", full)
        return "the disk is full"
    if kind == "EACCES-rename":
        def denied(src, dst):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dst))
        monkeypatch.setattr(atomic.os, "replace", denied)
        monkeypatch.setattr(atomic.os, "link", denied)   # a new output is put in place by a hard link
        return "no permission to write in"
    if kind == "EACCES-create":
        def denied(*a, **k):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        monkeypatch.setattr(atomic.tempfile, "mkstemp", denied)
        return "no permission to write in"
    if kind == "EROFS":
        def read_only(*a, **k):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        monkeypatch.setattr(atomic.tempfile, "mkstemp", read_only)
        return "read-only file system"
    raise ValueError(kind)


def make(case: str, folder) -> Path:
    return CASES[case][0](Path(folder))


def folder_state(folder) -> dict:
    """Every entry of ``folder`` (links not followed): a file's SHA-256, or what it is: to check that
    nothing the user had was changed, replaced or left behind."""
    import hashlib

    out = {}
    for p in sorted(Path(folder).iterdir()):
        if p.is_symlink():
            out[p.name] = ("link", os.readlink(p))
        elif p.is_file():
            out[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[p.name] = "fifo" if p.is_fifo() else "folder"
    return out


# -- damaged TIFFs whose decoders speak for themselves (benchmarks/hostile_inputs.py) ----------------
def lzw_tiff_with_bad_codes(path):
    """An LZW TIFF whose strip holds codes libtiff has not seen: libtiff writes "Using code not yet
    in table" to file descriptor 2 itself, then the decode fails."""
    b = io.BytesIO()
    Image.fromarray(rgb_u8(24, 33)).save(b, format="TIFF", compression="tiff_lzw")
    data = bytearray(b.getvalue())
    im = Image.open(io.BytesIO(bytes(data)))
    off, n = im.tag_v2[273][0], im.tag_v2[279][0]
    data[off + 8: off + n] = b"\xff" * (n - 8)
    path.write_bytes(bytes(data))
    return path


def tiff_with_a_tag_past_its_end(path):
    """A TIFF whose Software tag claims a million bytes: Pillow warns "Tag data larger than file"."""
    from PIL import TiffImagePlugin

    b = io.BytesIO()
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[305] = "x" * 40
    Image.fromarray(rgb_u8(24, 33)).save(b, format="TIFF", tiffinfo=info, compression="tiff_lzw")  # LZW: Pillow's decoder
    data = bytearray(b.getvalue())
    entry = data.find(bytes([0x31, 0x01, 0x02, 0x00]))  # tag 305, type ASCII, little-endian
    data[entry + 4: entry + 8] = (10 ** 6).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return path
