"""Small numpy helpers the app needs that are not about Qt: frame bookkeeping (noise estimation lives in the core).

No Qt imports.
"""

from __future__ import annotations

import numpy as np

__all__ = ["frame_indices", "rms_change"]


def frame_indices(total: int, max_frames: int = 200) -> set[int]:
    """Which step indices (0 .. total-1) to keep when recording a trajectory of ``total`` steps.

    At most ``max_frames``, evenly spread, always including the first and the last step.
    """
    total = int(total)
    if total <= 0:
        return set()
    if total <= max_frames:
        return set(range(total))
    return {int(round(v)) for v in np.linspace(0, total - 1, max_frames)}


def rms_change(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Root-mean-square difference between two frames (NaN when one is missing)."""
    if a is None or b is None or a.shape != b.shape:
        return float("nan")
    d = np.asarray(a, dtype=np.float32) - np.asarray(b, dtype=np.float32)
    return float(np.sqrt(np.mean(d * d)))
