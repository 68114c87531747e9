"""Transparency as the canvas shows it: the picture over a grey checkerboard where its alpha is
below 1. Display only: the pixels, the readout, Copy and every run see the colour values as
they are (the alpha is carried through a run unchanged). An RGBA file's transparent hole showed
the colours hidden under it, which no other viewer shows, so nothing said the hole was there.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Checks", "CHECK"]

CHECK = 8                  # image pixels a square
LIGHT, DARK = 204, 153     # the two greys of the squares


class Checks:
    """:meth:`over` composites a uint8 (H, W, C) picture over the checkerboard by an (H, W) alpha;
    where the alpha is below 1 and the blend weights are kept for the alpha last seen, so each
    frame of a run costs the transparent pixels only."""

    def __init__(self):
        self._alpha = None
        self._where: tuple = (np.zeros(0, int), np.zeros(0, int))
        self._a = self._bg = None

    def _prepare(self, alpha: np.ndarray):
        a = np.asarray(alpha, np.float32).reshape(alpha.shape[:2])
        self._alpha, self._where = alpha, np.nonzero(a < 1.0)
        i, j = self._where
        self._a = a[self._where][:, None]
        self._bg = np.where((i // CHECK + j // CHECK) % 2 == 0, LIGHT, DARK).astype(np.float32)[:, None]

    def over(self, u8: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
        if alpha is None or u8.ndim != 3 or tuple(u8.shape[:2]) != tuple(alpha.shape[:2]):
            return u8
        if alpha is not self._alpha:
            self._prepare(alpha)
        if not self._where[0].size:
            return u8
        out = u8.copy()
        px = out[self._where].astype(np.float32)
        out[self._where] = np.clip(px * self._a + self._bg * (1.0 - self._a) + 0.5, 0, 255).astype(np.uint8)
        return out
