"""16-bit colour PPM (P6 with a maxval over 255), which Pillow reads as 8-bit RGB without a word.

Pillow keeps a 16-bit grey PGM at 16 bits (mode I) but narrows a 16-bit colour PPM to 8 bits:
a camera's 12- or 16-bit export lost its depth silently. This reads the samples as they are
stored (big-endian, as Netpbm defines them) into uint16; a maxval other than 65535 is scaled to
16 bits (as Pillow scales a grey one), with a note. Everything else is left to Pillow (None).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["read_deep_ppm"]

_WHITESPACE = b" \t\r\n\v\f"


def _header(data: bytes):
    """(width, height, maxval, offset of the samples) of a P6 header, or None."""
    if data[:2] != b"P6":
        return None
    fields, i = [], 2
    while len(fields) < 3:
        while i < len(data) and (data[i:i + 1] in _WHITESPACE or data[i:i + 1] == b"#"):
            if data[i:i + 1] == b"#":  # a comment runs to the end of its line
                while i < len(data) and data[i:i + 1] not in b"\r\n":
                    i += 1
            else:
                i += 1
        start = i
        while i < len(data) and data[i:i + 1].isdigit():
            i += 1
        if start == i:
            return None
        fields.append(int(data[start:i]))
    if i >= len(data) or data[i:i + 1] not in _WHITESPACE:
        return None
    return fields[0], fields[1], fields[2], i + 1


def read_deep_ppm(path, max_pixels: int | None = None):
    """(samples, notes) of a P6 PPM with maxval 256-65535: (H, W, 3) uint16 and a list of one-line
    notes (or None); None for any other file. OverflowError(width, height) beyond ``max_pixels``;
    ValueError for a file shorter than its header says."""
    path = Path(path)
    try:
        with open(path, "rb") as fp:
            head = _header(fp.read(512))
    except OSError:
        return None
    if head is None or not 255 < head[2] <= 65535:
        return None
    w, h, maxval, offset = head
    if max_pixels and w * h > max_pixels:
        raise OverflowError(w, h)
    need = w * h * 3 * 2
    with open(path, "rb") as fp:
        fp.seek(offset)
        raw = fp.read(need)
    if len(raw) < need or w * h == 0:
        raise ValueError(f"the file is truncated (its header says {w}x{h} 16-bit samples)")
    samples = np.frombuffer(raw, dtype=">u2").reshape(h, w, 3).astype(np.uint16)
    notes = None
    if maxval != 65535:
        samples = np.round(np.minimum(samples, maxval) * (65535.0 / maxval)).astype(np.uint16)
        notes = [f"its samples run to {maxval}: they are scaled to 16 bits (0-65535)"]
    return samples, notes
