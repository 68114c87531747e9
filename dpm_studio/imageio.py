"""Reading and writing images, masks and trajectories, with Pillow, numpy and tifffile.

Reading is the core's one decoder (:mod:`.core.files.decode`, shared with the training data
recipes); this module re-exports it and writes. 16-bit colour PNG and every TIFF Pillow
cannot hold at full depth (16-bit colour, float) go through :mod:`.core.files.formats`; the rest
through Pillow.

Images travel as float32 arrays of shape (H, W, C) in [0, 1] with C = 1 (grey) or 3 (RGB).
An alpha channel is kept aside in :class:`ImageData` and put back on export, so a
transparent PNG comes back transparent. Every write goes to a temporary file in the target
folder first and is moved into place with :func:`os.replace`, so a failed save never
leaves a half-written file behind.

Errors a user can cause (a missing, unreadable or corrupt file, an unknown extension)
raise :class:`ImageIOError` with a one-line message meant for a dialog.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from .core.files import bmp, formats
from .core.files.atomic import OutputExists, atomic_write, probe_folder
from .core.files.decode import (MAX_PIXELS, METADATA_KEY, ImageData, ImageIOError, from_uint8,  # noqa: F401
                          load_image, pixel_budget, pixel_limit, pil_to_image_data, record_xmp, to_uint8)
from .core.files.safefiles import IMAGE_FORMATS, PHOTO_FORMATS

__all__ = [
    "ImageIOError", "ImageData", "READ_EXTENSIONS", "WRITE_FORMATS", "load_image", "save_image",
    "load_mask", "load_mask_record", "save_mask", "save_gif", "save_frames", "save_gif_steps", "save_frames_steps", "to_uint8",
    "from_uint8", "format_for_path", "METADATA_KEY", "export_options", "check_savable",
    "save_result",
]

#: Extensions the app opens (lower case, with the dot).
READ_EXTENSIONS = tuple(IMAGE_FORMATS)
#: Pillow format name per extension the app writes.
WRITE_FORMATS = PHOTO_FORMATS
#: JPEG and WebP quality: the range, and the default of the command line's --quality and the app's Save As
#: (the app proposed 92 where the command line wrote 95: the same result, another file).
QUALITY = (1, 100)
DEFAULT_QUALITY = 95


def export_options(data: ImageData | None) -> dict:
    """Keyword arguments for :func:`save_image` that keep the source's depth, range, ICC and EXIF."""
    if data is None:
        return {}
    return {"bit_depth": data.bit_depth, "icc_profile": data.icc_profile, "exif": data.exif,
            "value_scale": data.value_scale, "value_offset": data.value_offset}


# -- conversions --------------------------------------------------------------------------------
def _as_hwc(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float32)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4):
        raise ValueError(f"expected an (H, W), (H, W, 1) or (H, W, 3) array, got shape {a.shape}")
    return a


def format_for_path(path) -> str:
    ext = Path(path).suffix.lower()
    if ext not in WRITE_FORMATS:
        known = ", ".join(sorted({e.lstrip('.') for e in WRITE_FORMATS}))
        raise ImageIOError(f"cannot save as {ext or 'a file without extension'!r}: use one of {known}")
    return WRITE_FORMATS[ext]


# -- writing -----------------------------------------------------------------------------------------
#: Largest EXIF block a JPEG holds (one APP1 segment; Pillow refuses more when saving).
JPEG_MAX_EXIF = 65533


def check_savable(path, data: ImageData | None) -> None:
    """Refuse, before any work, a save that would fail only at the end: a folder where no file can be
    made (a read-only file system, no permission: a file is made there and removed, which holds for
    root too), or a JPEG that cannot hold the source's EXIF block (over 64 KB)."""
    path = Path(path)
    fmt = format_for_path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if folder.is_dir():
        _atomic_save(path, None)
    exif = data.exif if data is not None else None
    if fmt == "JPEG" and exif and len(exif) > JPEG_MAX_EXIF:
        raise ImageIOError(f"cannot save {path.name}: the input's EXIF block is {len(exif):,} bytes, more than a "
                           f"JPEG holds ({JPEG_MAX_EXIF:,}); save as PNG or TIFF, or remove the EXIF from the input")


def save_losses(path, data: ImageData | None, alpha=None) -> list[str]:
    """What saving ``data`` (the source, for its depth and range; ``alpha``: the alpha to save, default
    the source's) as ``path`` leaves out, each as a note: transparency in a JPEG, 16-bit or float values
    in an 8-bit format, a float range outside a TIFF, the run record in a BMP (unless ``data`` has ``runs`` and
    they are none: the app's document before any run). Empty when the format keeps all of it."""
    fmt, name = format_for_path(path), Path(path).name
    alpha = getattr(data, "alpha", None) if alpha is None else alpha
    out = []
    if alpha is not None and fmt == "JPEG":
        out.append(f"{name}: a JPEG holds no transparency, so the alpha channel is left out (PNG, TIFF or WebP "
                   "keep it)")
    depth = getattr(data, "bit_depth", 8) or 8
    if depth > 8 and fmt not in ("PNG", "TIFF"):
        out.append(f"{name}: {dict(WEBP='WebP').get(fmt, fmt)} holds 8 bits per channel, so the input's "
                   f"{depth}-bit values are rounded to 8 bits (PNG or TIFF keep them)")
    elif depth == 32 and fmt == "PNG" and (getattr(data, "value_scale", 1.0) != 1.0
                                           or getattr(data, "value_offset", 0.0) != 0.0):
        out.append(f"{name}: the input's float values outside [0, 1] are scaled into 16-bit PNG levels, "
                   "not kept (a TIFF keeps them)")
    runs = getattr(data, "runs", None)   # the app's document: its runs; a source's ImageData: the new result's
    if fmt == "BMP" and (runs is None or runs):
        out.append(f"{name}: a BMP holds no text, so the run record is not saved and dpm-studio replay cannot run "
                   "it again (PNG, TIFF, JPEG or WebP keep it)")
    return out


_WRITE_ERRORS = {
    errno.ENOSPC: "the disk is full; free some space or choose another folder",
    errno.EROFS: "{folder} is on a read-only file system; choose another folder",
    errno.EACCES: "no permission to write in {folder}; choose another folder",
    errno.EPERM: "no permission to write in {folder}; choose another folder",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.EFBIG: ("it would be larger than this system lets a program write (a file size limit: ulimit -f, or the "
                  "file system's largest file); choose another folder or a smaller format"),
}
if hasattr(errno, "EDQUOT"):  # not on Windows
    _WRITE_ERRORS[errno.EDQUOT] = "the disk quota is exceeded; free some space or choose another folder"


def _atomic_save(path: Path, write, replace: bool = True) -> Path:
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ImageIOError(f"cannot save {path.name}: the folder {folder} does not exist")
    try:
        return atomic_write(path, write, replace=replace) if write is not None else probe_folder(folder)
    except OutputExists:
        raise   # replace=False and a file is there: the caller words it (cli/restore.existing_output)
    except PermissionError:
        raise ImageIOError(f"cannot save {path.name}: no permission to write in {folder}; "
                           "choose another folder") from None
    except OSError as e:
        hint = _WRITE_ERRORS.get(e.errno)
        err = ImageIOError(f"cannot save {path.name}: {hint.format(folder=folder) if hint else e.strerror or e}")
        err.errno = e.errno  # a batch stops at a full or read-only disk (cli/batch.py)
        raise err from None
    except (ValueError, KeyError) as e:
        raise ImageIOError(f"cannot save {path.name}: {e}") from None


def _to_pil(pixels: np.ndarray, alpha: np.ndarray | None, fmt: str, bit_depth: int = 8) -> Image.Image:
    """An 8-bit Pillow image (deeper files are written by :mod:`.formats`)."""
    px = _as_hwc(pixels)
    if px.shape[2] == 4:
        px, alpha = px[:, :, :3], px[:, :, 3]
    grey = px.shape[2] == 1
    keep_alpha = alpha is not None and fmt in ("PNG", "TIFF", "WEBP", "BMP")
    u8 = to_uint8(px)
    if grey:
        im = Image.fromarray(u8[:, :, 0])  # mode L
        if keep_alpha:
            im = Image.merge("LA", (im, Image.fromarray(to_uint8(alpha))))
            if fmt == "WEBP":
                im = im.convert("RGBA")
        return im
    im = Image.fromarray(u8)  # mode RGB
    if keep_alpha:
        im.putalpha(Image.fromarray(to_uint8(alpha)))
    return im


def _deep_samples(pixels: np.ndarray, alpha: np.ndarray | None, bit_depth: int, scale: float,
                  offset: float) -> np.ndarray:
    """(H, W, S) uint16 or float32 samples with the alpha as a last sample."""
    px = _as_hwc(pixels)
    if px.shape[2] == 4:
        px, alpha = px[:, :, :3], px[:, :, 3]
    out = formats.from_unit(px, bit_depth, scale, offset)
    if alpha is not None:
        a = formats.from_unit(np.asarray(alpha, dtype=np.float32)[:, :, None], bit_depth)
        out = np.concatenate([out, a], axis=2)
    return out


def save_image(path, pixels: np.ndarray, alpha: np.ndarray | None = None, *, quality: int = DEFAULT_QUALITY,
               metadata: dict | None = None, bit_depth: int = 8, icc_profile: bytes | None = None,
               exif: bytes | None = None, value_scale: float = 1.0, value_offset: float = 0.0,
               replace: bool = True) -> Path:
    """Write an (H, W, C) [0, 1] image; the format follows the extension.

    ``alpha`` is written where the format has one (PNG, TIFF, WebP, BMP: 32-bit with an
    alpha mask) and dropped for JPEG. ``quality`` (1-100) applies to JPEG and WebP. ``metadata`` (JSON-able) goes
    into a PNG text chunk under :data:`METADATA_KEY`, the TIFF image description, a JPEG's comment (COM) or a
    WebP's XMP (:func:`~.core.files.decode.record_xmp`); a BMP holds none (:func:`save_losses` says so).
    ``bit_depth`` 16 writes 16-bit PNG and TIFF (grey or colour, with alpha); 32 writes a
    float32 TIFF of ``pixels * value_scale + value_offset`` (a 16-bit PNG: PNG has no
    floats); JPEG, WebP and BMP are 8-bit. ``icc_profile`` and ``exif`` (bytes, as
    :class:`ImageData` holds them) are embedded in PNG, JPEG, WebP and TIFF (EXIF in a
    16/32-bit TIFF is not written: ``tifffile`` cannot write an EXIF directory). WebP at
    quality 100 is written lossless. With ``replace`` False a file at ``path``, even one written while
    this image was encoded, is not replaced: :class:`~.core.files.atomic.OutputExists` is raised.
    """
    path = Path(path)
    fmt = format_for_path(path)
    if alpha is not None and alpha.shape != np.asarray(pixels).shape[:2]:
        alpha = None  # the image changed size (e.g. a new sample): the old alpha no longer fits
    text = json.dumps(metadata, sort_keys=True, default=str) if metadata else None
    if bit_depth > 8 and fmt == "PNG":
        samples = _deep_samples(pixels, alpha, 16, 1.0, 0.0)
        return _atomic_save(path, replace=replace, write=lambda tmp: _write_with(
            tmp, formats.write_png, samples, icc_profile=icc_profile, exif=exif,
            text={METADATA_KEY: text} if text else None))
    if bit_depth > 8 and fmt == "TIFF":
        samples = _deep_samples(pixels, alpha, 32 if bit_depth == 32 else 16, value_scale, value_offset)
        return _atomic_save(path, replace=replace, write=lambda tmp: _write_with(
            tmp, formats.write_tiff, samples, icc_profile=icc_profile, description=text))
    im = _to_pil(pixels, alpha, fmt, bit_depth)
    kwargs: dict = {}
    if icc_profile and fmt in ("PNG", "JPEG", "WEBP", "TIFF"):
        kwargs["icc_profile"] = icc_profile
    if exif and fmt in ("PNG", "JPEG", "WEBP", "TIFF"):
        kwargs["exif"] = exif
    if fmt == "PNG":
        if text:
            info = PngInfo()
            info.add_text(METADATA_KEY, text)
            kwargs["pnginfo"] = info
    elif fmt == "JPEG":
        if im.mode in ("LA", "RGBA"):
            im = im.convert(im.mode[:-1])
        kwargs.update(quality=int(np.clip(quality, *QUALITY)), optimize=True)
        if text:
            kwargs["comment"] = text.encode("utf-8")
    elif fmt == "WEBP":
        kwargs.update(quality=int(np.clip(quality, *QUALITY)), lossless=quality >= QUALITY[1])
        if text:   # in an XMP packet of its own: the EXIF is the source's
            kwargs["xmp"] = record_xmp(text)
        if im.mode == "L":
            im = im.convert("RGB")
    elif fmt == "TIFF":
        kwargs["compression"] = "tiff_deflate"
        if text:
            kwargs["tiffinfo"] = {270: text}
    elif fmt == "BMP" and im.mode in ("LA", "RGBA"):  # Pillow would drop the alpha: a V4 BMP keeps it
        rgba = np.asarray(im.convert("RGBA"))
        return _atomic_save(path, replace=replace, write=lambda tmp: _write_with(tmp, bmp.write_rgba, rgba))
    return _atomic_save(path, replace=replace, write=lambda tmp: im.save(tmp, format=fmt, **kwargs))


def save_result(path, pixels: np.ndarray, record: dict, data: ImageData | None = None, *,
                quality: int = DEFAULT_QUALITY, replace: bool = True, version: str | None = None) -> Path:
    """Write a run's result as the command line saves it (and the API's ``Result.save``): ``pixels`` ([0, 1],
    (H, W, C); a last alpha channel of C = 2 or 4 is the alpha) at the depth, value range, ICC and EXIF of
    ``data``, the decoded source (None: 8 bits, none), its alpha where ``pixels`` carry none, and ``record`` (the
    run's: core/run/jobs.result_record) after the source's own runs, with the source's file name
    (core/run/requests.saved_metadata). ``replace``, ``quality``: :func:`save_image`'s."""
    from .core.run.requests import saved_metadata

    if version is None:
        from . import __version__ as version
    px = np.asarray(pixels)
    alpha = getattr(data, "alpha", None)
    if px.ndim == 3 and px.shape[2] in (2, 4):
        px, alpha = px[:, :, :-1], px[:, :, -1]
    return save_image(path, px, alpha, quality=quality, metadata=saved_metadata([record], version, data),
                      replace=replace, **export_options(data))


def _write_with(tmp, writer, samples, **kwargs):
    with open(tmp, "wb") as fp:
        writer(fp, samples, **kwargs)


# -- masks -------------------------------------------------------------------------------------------
def load_mask(path, shape: tuple[int, int] | None = None) -> np.ndarray:
    """A mask image -> float32 (H, W) in [0, 1] (white = fill).

    The rule, for any mode: grey masks (1, L, I;16, I, F) are used as they are (16-bit
    values scaled by 1/65535, so any nonzero value marks a pixel); colour masks are
    reduced to their luminance, which is nonzero exactly where any channel is. An alpha
    channel that is not fully opaque (LA, RGBA, PA, a transparent palette colour) decides
    on its own where the colour is flat (a painted layer exported from an editor), and
    otherwise multiplies: a fully transparent pixel is never filled. ``shape`` (H, W), if
    given, must match.
    """
    return _mask_of(load_image(path), path, shape)


def load_mask_record(path, shape: tuple[int, int] | None = None) -> tuple[np.ndarray, float | None]:
    """(mask, feather): for a file the app's Export Mask wrote (:func:`save_mask` with ``painted``),
    the painted mask (its white pixels, exactly) and the feather it was exported with, so Export then
    Load gives the same mask; for any other file, :func:`load_mask`'s mask and None."""
    data = load_image(path)
    m = _mask_of(data, path, shape)
    record = data.metadata.get(MASK_RECORD) if isinstance(data.metadata, dict) else None
    f = record.get("feather") if isinstance(record, dict) else None
    if isinstance(f, (int, float)) and not isinstance(f, bool) and np.isfinite(f) and 0 <= f <= MAX_FEATHER_RECORD:
        return (m >= 1.0).astype(np.float32), float(f)
    return m, None


#: Key of an exported mask's record in the file; the largest feather read back from one (px).
MASK_RECORD, MAX_FEATHER_RECORD = "mask", 1000.0


def _mask_of(data, path, shape) -> np.ndarray:
    # a float or signed file's NaN were read as 0 (kept) without a word, and negative values from the minimum (a
    # hole marked -1 on 0 read inverted: every other pixel filled); refused, as the API refuses such arrays
    import re

    bad = next((m[0] for m in (re.search(r"[\d,]+ of its samples are NaN or infinite", n) for n in data.notes)
                if m), None)   # formats._checked_range's note
    if bad or data.value_offset < 0:
        what = bad or f"its values reach {data.value_offset:g}, below 0"
        raise ImageIOError(f"{Path(path).name} cannot be a mask: {what}; a mask is 0 where the image is kept and more "
                           "than 0 where it changes")
    px = data.pixels
    m = px[:, :, 0] if px.shape[2] == 1 else px @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if data.alpha is not None:
        m = data.alpha if float(np.ptp(m)) < 1e-6 else m * data.alpha
    if shape is not None and tuple(m.shape) != tuple(shape[:2]):
        turned = tuple(m.shape) == (shape[1], shape[0])  # e.g. drawn on a photo a viewer did not turn upright
        raise ImageIOError(f"{Path(path).name} is {m.shape[1]}\u00d7{m.shape[0]} but the image is "
                           f"{shape[1]}\u00d7{shape[0]}: a mask must have the image's size"
                           + ("; it is the image turned a quarter: was one of them drawn or saved without its EXIF "
                              "orientation (the image is shown upright)? Turn the mask to match" if turned else ""))
    return np.clip(m, 0.0, 1.0).astype(np.float32)


def save_mask(path, mask: np.ndarray, *, painted: np.ndarray | None = None, feather: float = 0.0) -> Path:
    """Write a mask as a grey PNG/TIFF/BMP (white = fill; 16-bit PNG keeps soft edges exact).

    ``painted`` (the app's Export Mask): ``mask`` is ``painted`` feathered by ``feather`` px, the
    mask a run gets. The file holds it, with every pixel outside ``painted`` kept below white (at
    most 65534 of 65535, 254 of 255: a feathered edge reaches 1 in the gaps between strokes), and
    a PNG or TIFF records ``{"mask": {"feather": f}}``: :func:`load_mask_record` gives back the
    painted mask and the feather exactly. Without the record (a BMP, an editor's file) a mask is
    read by :func:`load_mask`'s rule, and the app's hard masks fill every nonzero pixel: the
    feathered edge then loaded as painted, a mask larger by the feather's reach."""
    path = Path(path)
    fmt = format_for_path(path)
    m = np.clip(np.asarray(mask, dtype=np.float32), 0, 1)
    top = 65535 if fmt in ("PNG", "TIFF") else 255
    q = (m * np.float32(top) + np.float32(0.5)).astype(np.uint16) if top == 65535 else to_uint8(m)
    kwargs: dict = {}
    if painted is not None:
        outside = np.asarray(painted) < 1.0
        q[outside] = np.minimum(q[outside], top - 1)
        text = json.dumps({MASK_RECORD: {"feather": float(feather)}})
        if fmt == "PNG":
            kwargs["pnginfo"] = PngInfo()
            kwargs["pnginfo"].add_text(METADATA_KEY, text)
        elif fmt == "TIFF":
            kwargs["tiffinfo"] = {270: text}
    im = Image.fromarray(q)
    return _atomic_save(path, lambda tmp: im.save(tmp, format=fmt, **kwargs))


# -- trajectories --------------------------------------------------------------------------------------
def _frame_u8(f: np.ndarray) -> np.ndarray:
    f = _as_hwc(f)
    u8 = to_uint8(f)
    return np.repeat(u8, 3, axis=2) if u8.shape[2] == 1 else u8


#: A trajectory GIF is a preview to share: its longest side at most this (PNG frames keep the
#: full size), each frame an octree palette of this many colours. Early frames are mostly
#: noise, which LZW cannot compress: a 512 x 512, 50-frame GIF with per-frame 256-colour
#: median-cut palettes was 8.7 MB and took 10-20 s to quantise. Measured on a synthetic
#: 40-frame 384 x 384 noise-to-photo sequence: median cut 6.9 MB in 30 s (loaded machine),
#: fast octree 5.6 MB in 0.2 s (0.6 s mapped to the nearest colours); its mean error on a colour
#: gradient 8.2 / 255 (median cut 7.1).
GIF_MAX_SIDE = 384
GIF_COLOURS = 256


def _gif_frame(f, max_side: int, colours: int | None):
    u8 = _frame_u8(f)
    u8 = np.repeat(u8[:, :, :1], 3, axis=2) if u8.shape[2] == 2 else u8[:, :, :3]  # GIF has no alpha
    im = Image.fromarray(np.ascontiguousarray(u8))
    if max(im.size) > max_side:
        k = max_side / max(im.size)
        im = im.resize((max(1, round(im.width * k)), max(1, round(im.height * k))), Image.LANCZOS)
    if colours is None:  # the result, held at the end: the best 256-colour palette
        return im.convert("P", palette=Image.ADAPTIVE, colors=256)
    # The octree's own mapping sends a pixel to its tree leaf, not to the nearest palette colour:
    # mapped again to the nearest, a colour gradient's mean error fell from 11.2 to 8.2 / 255.
    palette = im.quantize(colours, method=Image.Quantize.FASTOCTREE)
    return im.quantize(palette=palette, dither=Image.Dither.NONE)


def save_gif_steps(path, frames, duration_ms: int = 60, last_ms: int = 1500, loop: int = 0,
                   max_side: int = GIF_MAX_SIDE, colours: int = GIF_COLOURS):
    """Write an animated GIF of ``frames`` (an iterable of (H, W, C) [0, 1] arrays), the last one held
    longer; yields the number of frames converted so far, one by one, so a caller can show progress
    and stop (nothing is written unless the generator runs to its end).

    Each frame is scaled to at most ``max_side`` and gets its own fast-octree palette of
    ``colours`` (over 100x faster than Pillow's adaptive palette, a fifth smaller); the last
    frame, the result, keeps the adaptive palette (closer colours). With 384 px and at most
    40 frames (the app's), a 512 x 512, 50-frame trajectory's GIF is about a third the size."""
    ims, prev = [], None
    for f in frames:  # each frame is converted once the next is known, so the last one is known
        if prev is not None:
            ims.append(_gif_frame(prev, int(max_side), int(colours)))
            yield len(ims)
        prev = f
    if prev is not None:
        ims.append(_gif_frame(prev, int(max_side), None))
        yield len(ims)
    if not ims:
        raise ImageIOError("there are no frames to export")
    durations = [int(duration_ms)] * (len(ims) - 1) + [int(last_ms)]
    _atomic_save(Path(path), lambda tmp: ims[0].save(
        tmp, format="GIF", save_all=True, append_images=ims[1:], duration=durations, loop=loop,
        optimize=False, disposal=1))


def save_gif(path, frames, duration_ms: int = 60, last_ms: int = 1500, loop: int = 0, **kw) -> Path:
    """An animated GIF of the frames ((H, W, C) [0, 1] arrays), the last one held longer."""
    for _ in save_gif_steps(path, frames, duration_ms, last_ms, loop, **kw):
        pass
    return Path(path)


def frame_paths(folder, n: int, stem: str = "frame") -> list[Path]:
    """The files :func:`save_frames_steps` writes for ``n`` frames: stem_0000.png, ... (the app asks
    before replacing those of an earlier export)."""
    digits = max(4, len(str(n)))
    return [Path(folder) / f"{stem}_{i:0{digits}d}.png" for i in range(n)]


def save_frames_steps(folder, frames, n: int | None = None, stem: str = "frame"):
    """One PNG per frame in ``folder`` (created if needed): stem_0000.png, ...; yields each path
    written. ``n``: how many frames there are, for the width of the numbers (frames may be lazy)."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ImageIOError(f"cannot create {folder}: {e.strerror or e}") from None
    if n is None:
        frames = list(frames)
        n = len(frames)
    written = 0
    for (i, f), p in zip(enumerate(frames), frame_paths(folder, n, stem)):
        im = Image.fromarray(_frame_u8(f))
        yield _atomic_save(p, lambda tmp, im=im: im.save(tmp, format="PNG"))
        written += 1
    if not written:
        raise ImageIOError("there are no frames to export")


def save_frames(folder, frames, stem: str = "frame") -> list[Path]:
    """One PNG per frame in ``folder`` (created if needed): stem_0000.png, stem_0001.png, ..."""
    return list(save_frames_steps(folder, frames, stem=stem))
