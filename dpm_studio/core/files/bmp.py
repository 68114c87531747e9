"""The alpha channel of a 32-bit BMP, read and written (Pillow drops it both ways).

Pillow reads a 32-bit ``BI_RGB`` BMP as BGRX, ignoring the fourth byte, and writes RGBA that
way too; Windows, browsers (Chromium's and Firefox's decoders) and image editors take that
byte as alpha unless it is zero everywhere, which marks an opaque image from a writer that
left it unset. :func:`bi_rgb_alpha` reads it by that rule. :func:`write_rgba` writes RGBA as
a ``BITMAPV4HEADER`` BMP with ``BI_BITFIELDS`` masks naming the alpha byte, the form every
reader (Pillow, Qt, GIMP, Windows) takes as alpha.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

_BI_RGB = 0


def bi_rgb_alpha(path: Path, width: int, height: int) -> np.ndarray | None:
    """The fourth bytes of a 32-bit ``BI_RGB`` BMP of ``width`` x ``height`` as float32 (H, W) in
    [0, 1]; None for any other BMP, or where they are all 0 (unset: an opaque image)."""
    try:
        with open(path, "rb") as fp:
            head = fp.read(34)
            if len(head) < 34 or head[:2] != b"BM":
                return None
            offset = struct.unpack_from("<I", head, 10)[0]
            dib, w, h, _planes, bpp, compression = struct.unpack_from("<IiiHHI", head, 14)
            if dib < 40 or bpp != 32 or compression != _BI_RGB or abs(w) != width or abs(h) != height:
                return None
            fp.seek(offset)
            data = fp.read(width * height * 4)
    except OSError:
        return None
    if len(data) < width * height * 4:
        return None  # truncated: Pillow has already said so, or padded the rest with black
    a = np.frombuffer(data, np.uint8).reshape(height, width, 4)[:, :, 3]
    if h > 0:  # rows stored bottom-up
        a = a[::-1]
    if not a.any():
        return None
    return np.divide(a, np.float32(255.0), dtype=np.float32)


def write_rgba(fp, rgba: np.ndarray) -> None:
    """Write uint8 (H, W, 4) RGBA as a top-down 32-bit BMP with a V4 header and alpha mask."""
    h, w = rgba.shape[:2]
    header_size = 14 + 108
    image_size = w * h * 4
    fp.write(b"BM" + struct.pack("<IHHI", header_size + image_size, 0, 0, header_size))
    fp.write(struct.pack("<IiiHHIIiiII", 108, w, -h, 1, 32, 3, image_size, 3780, 3780, 0, 0))
    fp.write(struct.pack("<IIII", 0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000))  # R, G, B, A masks
    fp.write(struct.pack("<I", 0x73524742) + bytes(48))  # LCS_sRGB; endpoints and gamma unused with it
    bgra = np.ascontiguousarray(rgba[:, :, [2, 1, 0, 3]], dtype=np.uint8)
    fp.write(bgra.tobytes())
