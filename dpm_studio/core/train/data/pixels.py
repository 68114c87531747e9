"""8-bit image conversions shared by the data recipes and the exclusion checks."""

from __future__ import annotations

import numpy as np


def _as_hwc(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    return a[:, :, None] if a.ndim == 2 else a


def _convert(a: np.ndarray, mode: str) -> np.ndarray:
    """uint8 (H, W[, C]) -> (H, W, 1) grey or (H, W, 3) RGB, via PIL's conversions."""
    from PIL import Image

    if mode not in ("gray", "rgb"):
        raise ValueError(f"mode must be 'gray' or 'rgb', not {mode!r}")
    a = np.asarray(a)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    if a.dtype != np.uint8:
        raise ValueError(f"expected 8-bit data, got {a.dtype}")
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    im = Image.fromarray(a)
    if im.mode not in ("L", "RGB"):
        im = im.convert("RGB")
    im = im.convert("L" if mode == "gray" else "RGB")
    return _as_hwc(np.asarray(im))


def _limit_side(a: np.ndarray, max_side: int | None) -> np.ndarray:
    """Area-average downscale (PIL BOX) so that the longer side is <= max_side."""
    if max_side is None or max(a.shape[:2]) <= max_side:
        return a
    from PIL import Image

    h, w = a.shape[:2]
    s = max_side / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    im = Image.fromarray(a[:, :, 0] if a.shape[2] == 1 else a)
    return _as_hwc(np.asarray(im.resize(size, Image.Resampling.BOX)))
