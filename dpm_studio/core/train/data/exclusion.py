"""What is never training data, and the checks that keep it out.

- The classic test images ``EXCLUDED_TEST_IMAGES`` (camera, astronaut, coffee, chelsea --
  also reachable as ``cat`` --, coins): kept for evaluation.  No loader hands them out by
  name, and every source is compared by content with them (:func:`excluded_match`: 32 x 32
  grey thumbnails of images with the same aspect ratio, which catches re-encoded and
  resized copies).
- The Debian packages ``EXCLUDED_PACKAGES`` (mate-backgrounds, mypaint-data-extras): kept
  for an independent evaluation on photographs the models never saw.
  ``scripts/fetch_wallpapers.sh`` never fetches them, and a folder image is refused
  (:func:`excluded_package`) when its ``<stem>.metadata.json`` names one of them as its
  ``package``, or when its path (symlinks resolved) runs through where they install their
  images or carries their name.  Their pictures are deliberately not kept here as content
  signatures: that would mean reading the evaluation set.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from .pixels import _convert

EXCLUDED_TEST_IMAGES = frozenset({"camera", "astronaut", "coffee", "chelsea", "cat", "coins"})
# the distinct pictures behind those names (cat is chelsea)
_EXCLUDED_PICTURES = ("camera", "astronaut", "coffee", "chelsea", "coins")

EXCLUDED_PACKAGES = frozenset({"mate-backgrounds", "mypaint-data-extras"})
# lower-case path pieces that mark a file of an excluded package: the package names, and
# where the packages install their pictures (/usr/share/backgrounds/mate/...,
# /usr/share/mate-background-properties, /usr/share/mypaint-data/.../backgrounds)
_EXCLUDED_PATH_PARTS = {
    "mate-backgrounds": ("mate-backgrounds", "/backgrounds/mate/", "mate-background-properties"),
    "mypaint-data-extras": ("mypaint-data-extras", "/mypaint-data/", "/mypaint/backgrounds/"),
}


def _thumb(a: np.ndarray) -> np.ndarray:
    from PIL import Image

    g = _convert(a, "gray")[:, :, 0]
    return np.asarray(Image.fromarray(g).resize((32, 32), Image.Resampling.BOX), dtype=np.float32)


@lru_cache(maxsize=1)
def _excluded_signatures() -> tuple:
    import skimage.data as skd

    sigs = []
    for name in _EXCLUDED_PICTURES:
        a = getattr(skd, name)()
        sigs.append((name, a.shape[0] / a.shape[1], _thumb(a)))
    return tuple(sigs)


def excluded_match(a: np.ndarray, tolerance: float = 8.0) -> str | None:
    """Name of the excluded test image that ``a`` (uint8 image) shows, or None.

    Compares 32 x 32 grey thumbnails (mean absolute difference < ``tolerance`` grey
    levels) of images whose aspect ratio agrees within 2 %.
    """
    a = np.asarray(a)
    aspect = a.shape[0] / a.shape[1]
    thumb = None
    for name, asp, sig in _excluded_signatures():
        if abs(aspect / asp - 1.0) > 0.02:
            continue
        if thumb is None:
            thumb = _thumb(a)
        if float(np.abs(thumb - sig).mean()) < tolerance:
            return name
    return None


def refuse_excluded(name: str) -> None:
    if name in EXCLUDED_TEST_IMAGES:
        raise ValueError(f"{name!r} is a test image (EXCLUDED_TEST_IMAGES) and is never training data")


def excluded_package(path: str | os.PathLike, info: dict | None = None) -> str | None:
    """The excluded package (``EXCLUDED_PACKAGES``) that the image file ``path`` comes from, or None.

    ``info``: the image's metadata (its ``package`` entry); otherwise the file's path, with
    symlinks resolved, is searched for the packages' names and install folders.
    """
    package = (info or {}).get("package")
    if package in EXCLUDED_PACKAGES:
        return package
    where = "/" + Path(path).resolve().as_posix().lower()
    for package, parts in _EXCLUDED_PATH_PARTS.items():
        if any(part in where for part in parts):
            return package
    return None
