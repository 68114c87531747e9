"""Denoising a part of an image, one way for the command line, the API and the app.

A denoise request may name a rectangle (``region``: x, y, width, height in pixels, as
``--region X,Y,W,H`` and ``api.denoise(region=...)`` give it), and a denoise job may be given a
mask (the app's painted mask or selection, feathered): either limits the run to the crop
around it plus :data:`MARGIN` px of context, and the result goes back through the crop's
weights (the mask's values: its feathered seam; 1 inside a rectangle), so every pixel outside
stays exactly as it was. The noise (law or level), when the request leaves it unset, is the
whole image's, not the crop's. A crop up to :data:`ONE_TILE` px a side runs as one tile.

:class:`Region` is what the job carries; :func:`dpm_studio.core.run.tasks.run_task` places the
crop's records back into the whole image through it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Region", "region_box", "region_weights", "MARGIN", "ONE_TILE"]

MARGIN = 32     # px of the image around the region that its denoise sees (a tile's overlap)
ONE_TILE = 512  # a region's crop up to this side runs as one tile (a 306 px crop in 256 px tiles was 4)


@dataclass
class Region:
    """Restoring a part of an image: the job runs on the crop ``box`` (top, left, bottom, right) of
    ``image`` (the whole image, (H, W, C) floats), and its result goes back through ``weights`` (the
    crop's weights, (h, w) in [0, 1]): the pixels outside the mask exactly as they were."""

    box: tuple
    weights: np.ndarray
    image: np.ndarray

    def blend(self, crop: np.ndarray) -> np.ndarray:
        top, left, bottom, right = self.box
        c = crop.shape[2]
        w = self.weights[:, :, None]
        out = self.image[:, :, :c].copy()
        out[top:bottom, left:right] = w * crop + (1 - w) * out[top:bottom, left:right]
        return out

    def place(self, records):
        """``records`` of the crop's run, as records of the whole image: boxes moved into it, the
        last one's result (and each sample) blended into the image."""
        top, left, bottom, right = self.box
        for rec in records:
            if rec.done:
                rec.image = self.blend(rec.image)
                if getattr(rec, "samples", None):
                    rec.samples = [self.blend(v) for v in rec.samples]
                rec.box = None
            else:
                b = rec.box or (0, 0, bottom - top, right - left)
                rec.box = (b[0] + top, b[1] + left, b[2] + top, b[3] + left)
            yield rec


def region_box(mask: np.ndarray, margin: int = MARGIN) -> tuple | None:
    """The box around the nonzero pixels of ``mask`` grown by ``margin`` px (the context the network
    sees around them), inside the image; None for an empty mask."""
    ys, xs = np.nonzero(mask > 0)
    if not ys.size:
        return None
    H, W = mask.shape
    return (max(0, int(ys.min()) - margin), max(0, int(xs.min()) - margin),
            min(H, int(ys.max()) + 1 + margin), min(W, int(xs.max()) + 1 + margin))


def region_weights(region, mask, shape: tuple[int, int], soft: bool = False, feather: float = 0.0) -> np.ndarray | None:
    """The whole image's weights of a region denoise: the request's rectangle ``region`` (x, y, w, h),
    the ``mask`` (read as inpainting reads it: hard, or soft with ``soft``, then feathered by ``feather``
    px: :func:`~.masks.prepare_mask`), both (their product), or None for neither. A rectangle that
    leaves the image, a mask of another size or an empty mask is refused (ValueError, one line)."""
    from .masks import prepare_mask

    H, W = shape
    weights = None if mask is None else prepare_mask(mask, (H, W), soft=soft, amount=feather)
    if weights is not None and not (weights > 0).any():
        raise ValueError("the mask is empty (all black): there is nothing in it to denoise; leave the mask out to "
                         "denoise the whole image")
    if region is not None:
        x, y, w, h = (int(v) for v in region)
        if w < 1 or h < 1 or x < 0 or y < 0 or x + w > W or y + h > H:
            raise ValueError(f"the region {x},{y},{w},{h} (x,y,width,height) does not lie inside the {W}x{H} "
                             f"image: give x + width <= {W} and y + height <= {H}")
        rect = np.zeros((H, W), np.float32)
        rect[y:y + h, x:x + w] = 1.0
        weights = rect if weights is None else weights * rect
    if weights is not None and not (weights > 0).any():
        raise ValueError("the region to denoise is empty: paint or give a region, or denoise the whole image")
    return weights
