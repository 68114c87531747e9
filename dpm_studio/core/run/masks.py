"""The mask a run fills, made from what the user gave: hard, soft or feathered.

A mask is a float32 (H, W) array in [0, 1]: 1 = fill this pixel, 0 = keep it, values in
between = a soft edge (the filled value and the known one are mixed by it). The app's
editing tools paint hard values; the command line and the API read a mask file or an
array. :func:`prepare_mask` turns any of them into the mask a run uses, by one rule for
every front end: nonzero = fill (or the grey values kept as a soft edge with
``soft``), then :func:`feather` by the request's ``feather`` (px).

A mask is black and white, or a soft edge: mid-grey in a band along its edges. A file whose
histogram is a photograph's (mid-grey over most of the image, in many levels) is almost
certainly the wrong file: as a hard mask it marks nearly every pixel, and the run becomes
unconditional sampling. :func:`check_mask` refuses it (:class:`NotAMask`) for a hard mask
and notes it for a soft one (whose grey values were asked for), saying what it would mark.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["NotAMask", "check_mask", "check_mask_values", "feather", "gaussian_blur", "mask_digest", "photo_like",
           "prepare_mask"]

#: Mid-grey: more than 5% away from black and from white (13 to 242 of 255).
MID_GREY = (0.05, 0.95)
#: A photograph's histogram: mid-grey over more than this fraction of the image ...
PHOTO_MID = 0.5
#: ... in at least this many of the 256 levels (a deliberate grey map has few).
PHOTO_LEVELS = 64
_PHOTO_SAMPLES = 1 << 20  # pixels the histogram is read from (a grid over a larger mask)


class NotAMask(ValueError):
    """A hard mask whose histogram is a photograph's: the message says what it would mark (each front
    end adds how to ask for a soft mask there)."""


def _unit(m: np.ndarray) -> np.ndarray:
    """Mask values as float32 in [0, 1]: integers by their type's maximum, floats above 1 as 8 or
    16-bit values (an image's array given as the mask), NaN as 0."""
    if m.dtype.kind == "b":
        return m.astype(np.float32)
    if m.dtype.kind in "ui":
        return m.astype(np.float32) / float(np.iinfo(m.dtype).max)
    m = np.nan_to_num(m.astype(np.float32), posinf=1.0, neginf=0.0)
    top = float(m.max(initial=0.0))
    if top > 1.0:
        m = m / (255.0 if top <= 255.0 else 65535.0)
    return np.clip(m, 0.0, 1.0)


def photo_like(mask) -> tuple[float, int] | None:
    """(fraction of mid-grey pixels, how many of the 256 levels they take) when the mask's histogram
    is a photograph's (:data:`PHOTO_MID`, :data:`PHOTO_LEVELS`); None for a mask's."""
    m = np.asarray(mask)
    if m.ndim == 3 and m.shape[2] == 1:
        m = m[:, :, 0]
    if m.ndim != 2 or m.size == 0 or m.dtype.kind not in "biuf":
        return None
    step = max(1, int(np.ceil(np.sqrt(m.size / _PHOTO_SAMPLES))))
    v = np.round(_unit(m[::step, ::step]) * 255.0).astype(np.int16)
    mid = (v >= round(MID_GREY[0] * 255)) & (v <= round(MID_GREY[1] * 255))
    frac = float(mid.mean())
    if frac <= PHOTO_MID:
        return None
    levels = int(np.count_nonzero(np.bincount(v[mid], minlength=256)))
    return (frac, levels) if levels >= PHOTO_LEVELS else None


def check_mask(mask, soft: bool = False, done: str = "filled") -> str | None:
    """Refuse a hard mask whose histogram is a photograph's (:class:`NotAMask`, naming the fraction
    of the image it would mark to be ``done``: filled, or denoised); for a soft mask, a note saying
    the same. None for a mask's."""
    found = photo_like(mask)
    if found is None:
        return None
    frac, levels = found
    m = np.asarray(mask)
    m = _unit(m[:, :, 0] if m.ndim == 3 else m)
    what = (f"{100 * frac:.0f}% of its pixels are mid-grey, in {levels} levels: a photograph's histogram, "
            "not a mask's black and white")
    if soft:
        return (f"the mask looks like a photograph ({what}); as a soft mask it replaces {100 * float(m.mean()):.0f}% "
                f"of the image on average and touches {100 * float((m > 0).mean()):.1f}% of it: check it is the "
                "mask you meant")
    raise NotAMask(f"the mask looks like a photograph, not a mask ({what}): it would mark "
                   f"{100 * float((m > 0).mean()):.1f}% of the image to be {done}; a mask is white where the "
                   "image is to change and black where to keep it")


def prepare_mask(mask, shape: tuple[int, int], soft: bool = False, amount: float = 0.0) -> np.ndarray:
    """The mask a run fills: float32 (H, W) in [0, 1].

    ``mask``: (H, W) or (H, W, 1) bool, integers or floats. Hard (default): any nonzero
    pixel is 1. ``soft``: the values are the edge (integers scaled by their type's
    maximum, floats in [0, 1]). NaN, infinity, negative values and a soft mask's values that
    cannot be an edge are refused (:func:`check_mask_values`). ``amount`` > 0 then feathers it
    (:func:`feather`).
    ``shape``: the image's (H, W), which the mask must have."""
    m = np.asarray(mask)
    if m.dtype.kind not in "biuf":  # strings: "0" read as 0 or as nonzero depending on the path
        raise ValueError(f"the mask must be an array of booleans or numbers, not {m.dtype} ({type(mask).__name__})")
    if m.ndim == 3 and m.shape[2] == 1:
        m = m[:, :, 0]
    if m.ndim != 2:  # a colour mask (8, 8, 3) was told "the mask is 8x8 but the image is 8x8"
        raise ValueError(f"the mask must hold one value per pixel, an (H, W) array of {shape[0]} x {shape[1]}, "
                         f"not an array of shape {m.shape}")
    if m.shape != tuple(shape):
        raise ValueError(f"the mask is {m.shape[1] if m.ndim > 1 else '?'}x{m.shape[0]} but the image is "
                         f"{shape[1]}x{shape[0]}: a mask must have the image's height and width")
    check_mask_values(m, soft)
    if soft:
        if m.dtype.kind in "ui":
            m = m.astype(np.float32) / float(np.iinfo(m.dtype).max)
        m = np.clip(m.astype(np.float32), 0.0, 1.0)
    else:
        m = (m != 0).astype(np.float32)
    return feather(m, float(amount)) if amount > 0 else m


def check_mask_values(m: np.ndarray, soft: bool = False) -> None:
    """Refuse, in one line saying how many and where, mask values no rule reads as meant: NaN or
    infinity (NaN was read as 0, kept, and +inf as 1, without a word), negative values (a hard mask
    filled them as nonzero, a soft one kept them), a soft mask of floats over 1 (clipped to 1: a
    0-255 mask became nearly hard), and a soft mask of integers whose largest value is at most 1/255
    of its type's maximum (a 0/1 uint8 mask, or 0-255 in int64: a fill of 1/255 or less). ``m``: a 2-D
    array of booleans or numbers (the files' masks, in [0, 1] already, always pass)."""
    if m.dtype.kind == "b" or (m.dtype.kind == "u" and not soft):
        return
    with np.errstate(invalid="ignore"):
        kinds = [(np.isnan(m), "NaN"), (np.isinf(m), "infinite")] if m.dtype.kind == "f" else []
        kinds = [(b, name) for b, name in kinds if b.any()] or [(m < 0, "negative")]
    bad = kinds[0][0] if len(kinds) == 1 else kinds[0][0] | kinds[1][0]
    if bad.any():
        n = int(bad.sum())
        r, c = (int(v) for v in np.argwhere(bad)[0])
        fix = ": replace them (np.nan_to_num(mask) reads NaN as 0, kept)" if kinds[0][1] != "negative" else ""
        raise ValueError(f"the mask has {' and '.join(f'{int(b.sum()):,} {name}' for b, name in kinds)} "
                         f"value{'s' if n > 1 else ''} (the first at row {r}, column {c}); a mask is 0 where the "
                         f"image is kept and more than 0 where it changes{fix}")
    if not soft:
        return
    top = float(m.max(initial=0))
    off = "or leave the soft mask off to change every pixel that is not 0"
    if m.dtype.kind == "f" and top > 1.0:
        bits = 8 if top <= 255 else 16
        raise ValueError(f"a soft mask of floats must hold values in [0, 1] (1 = changed), but its values reach "
                         f"{top:g}: divide it by {2 ** bits - 1} if they are {bits}-bit values, {off}")
    full = np.iinfo(m.dtype).max if m.dtype.kind in "ui" else 0
    if 0 < top <= full / 255:
        fix = "mask.astype(np.float32)" if top == 1 else f"mask / {top:g}"
        raise ValueError(f"a soft mask of {m.dtype} is read as its values / {full:,} (its type's maximum), so its "
                         f"largest value, {top:g}, changes at most {top / full:.2g} of a pixel: give floats in "
                         f"[0, 1] ({fix}), {off}")


# -- feathering ----------------------------------------------------------------------------------------
def _box_blur_axis(a: np.ndarray, r: int, axis: int) -> np.ndarray:
    """Mean over a window of 2r+1 along ``axis``, edges extended (cumulative sums, O(N))."""
    if r <= 0:
        return a
    pad = [(0, 0)] * a.ndim
    pad[axis] = (r + 1, r)
    c = np.cumsum(np.pad(a, pad, mode="edge"), axis=axis, dtype=np.float64)
    n = a.shape[axis]
    hi = [slice(None)] * a.ndim
    lo = [slice(None)] * a.ndim
    hi[axis] = slice(2 * r + 1, 2 * r + 1 + n)
    lo[axis] = slice(0, n)
    return ((c[tuple(hi)] - c[tuple(lo)]) * (1.0 / (2 * r + 1))).astype(np.float32)


def _box_radii(sigma: float, n: int = 3) -> list[int]:
    w_ideal = np.sqrt(12.0 * sigma * sigma / n + 1.0)
    wl = int(np.floor(w_ideal))
    if wl % 2 == 0:
        wl -= 1
    wu = wl + 2
    m = round((12 * sigma * sigma - n * wl * wl - 4 * n * wl - 3 * n) / (-4 * wl - 4))
    return [(wl - 1) // 2 if i < m else (wu - 1) // 2 for i in range(n)]


def gaussian_blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Approximate Gaussian blur of a 2-D array: three box blurs per axis, edges extended.

    Box radii follow the standard construction (Wells 1986; Kovesi 2010) so that three
    passes have variance close to sigma^2. The cost does not grow with sigma.
    """
    a = np.asarray(a, dtype=np.float32)
    if sigma <= 0.2:
        return a.copy()
    out = a
    for r in _box_radii(float(sigma)):
        out = _box_blur_axis(out, r, 0)
        out = _box_blur_axis(out, r, 1)
    return out


def _bbox(b: np.ndarray):
    rows = np.flatnonzero(b.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(b.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def feather(mask: np.ndarray, amount: float) -> np.ndarray:
    """The soft mask a run uses: the hard mask with a soft band of about ``3 amount`` px
    *outside* it. Every painted pixel stays exactly 1 (fully replaced); outside, the band
    is twice a Gaussian blur (std ``amount``) of the mask, capped at 1, which is about
    0.8 next to a straight edge and falls to 0 three stds out. (Blurring the mask itself,
    centred on the edge, left the painted rim half-kept: a painted-over object came back.)
    The result stays a float32 mask in [0, 1]; values below 1/512 are set to 0 so pixels
    away from the edge stay exactly known. Only the neighbourhood of the edge is computed,
    so a small mask on a large image is cheap.
    """
    m = np.clip(np.asarray(mask, dtype=np.float32), 0.0, 1.0)
    if amount <= 0:
        return m.copy()
    # Blur is linear and edges are extended: blur(m) = 1 - blur(1 - m). Work on the side
    # whose support is smaller, inside its bounding box plus the reach of the kernel.
    inverted = False
    box = _bbox(m > 0)
    if box is None:
        return m.copy()
    box_inv = _bbox(m < 1)
    if box_inv is None:
        return m.copy()
    if (box_inv[1] - box_inv[0]) * (box_inv[3] - box_inv[2]) < (box[1] - box[0]) * (box[3] - box[2]):
        m, box, inverted = 1.0 - m, box_inv, True
    reach = int(sum(_box_radii(float(amount)))) + 2
    H, W = m.shape
    y0, y1 = max(0, box[0] - reach), min(H, box[1] + reach)
    x0, x1 = max(0, box[2] - reach), min(W, box[3] + reach)
    out = np.zeros_like(m)
    out[y0:y1, x0:x1] = gaussian_blur(m[y0:y1, x0:x1], float(amount))
    if inverted:
        out, m = 1.0 - out, 1.0 - m
    out = np.maximum(m, np.minimum(2.0 * out, 1.0))
    out[out < 1.0 / 512] = 0.0
    return out.astype(np.float32, copy=False)


def mask_digest(mask: np.ndarray) -> str:
    """The SHA-256 (hex) of the mask a run used: its height and width ("HxW"), then its values as
    little-endian float32, row by row. A saved run records it (``mask_sha256``), so the mask file
    that made a result can be told apart: ``prepare_mask`` of that file with the record's
    ``soft_mask`` and ``feather`` gives the same digest."""
    m = np.ascontiguousarray(mask, dtype="<f4")
    h = hashlib.sha256(f"{m.shape[0]}x{m.shape[1]}".encode())
    h.update(m.tobytes())
    return h.hexdigest()
