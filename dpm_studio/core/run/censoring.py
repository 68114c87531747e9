"""The clipped pixels of a file before the first censoring pass (numpy and torch only).

A file stores its pixels clipped at 0 and 1; the denoiser reads a clipped pixel as censored, replacing it by the
mean of the value it stands for under an estimate of the image (core/math/conditioning.py ``censored_mean``;
core/run/tasks.py runs the expectation steps, each under the previous network pass's estimate). The first
pass would otherwise see the clipped values themselves: here they are read as censored under the file blurred,
an estimate that costs no network pass, so that pass sees no 0 or 1 either.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..math.conditioning import censored_mean

#: Before the first censoring pass a clipped pixel is read as censored under the file blurred by a Gaussian
#: of this std (px), not passed on as 0 or 1: that pass's estimate then barely sees the clipping, so it counts
#: as a view up to the clipped pixels themselves (``CENSOR_REACH``), and its censored values are better. 0: off.
#: Where the noise at the clipped pixels is stronger than ``CENSOR_PREFILL_NOISE`` the blur widens in proportion
#: (so its estimate keeps the same noise): 1 px at sigma 25 / 255, 2 px at 50 (docs/camera-noise.md).
CENSOR_PREFILL_BLUR = 1.0
CENSOR_PREFILL_NOISE = 25 / 255


def blurred(x: np.ndarray, sigma: float) -> np.ndarray:
    """(H, W, C) blurred by a Gaussian of std ``sigma`` px over H and W, edges extended."""
    r = int(math.ceil(4 * sigma))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k = (k / k.sum()).astype(np.float32)
    for axis in (0, 1):
        pad = [(0, 0)] * 3
        pad[axis] = (r, r)
        p, n = np.pad(x, pad, mode="edge"), x.shape[axis]
        x = sum(k[i] * p[(slice(None),) * axis + (slice(i, i + n),)] for i in range(2 * r + 1))
    return x


def prefilled(y_file: torch.Tensor, law, levels: int, floor: float) -> np.ndarray:
    """``y_file`` (H, W, C, [0, 1]) with its clipped pixels replaced by ``censored_mean`` under the file itself
    blurred (``CENSOR_PREFILL_BLUR`` px, wider where the noise there is stronger than ``CENSOR_PREFILL_NOISE``;
    the clipped values included): an expectation step from an estimate that costs no network pass (about
    10 ms on 256 x 256). ``law``: the file's noise law (its ``std``), ``floor``: the least std used."""
    out = y_file.numpy().copy()
    if not CENSOR_PREFILL_BLUR > 0:
        return out
    at = (out == 0) | (out == 1)  # read per channel, as censored_mean does
    if not at.any():
        return out

    def at_clipped(sigma):
        x_hat = blurred(out, sigma)[at].clip(0.0, 1.0).astype(np.float64)
        return x_hat, np.maximum(np.broadcast_to(law.std(x_hat), x_hat.shape), floor)

    x_hat, std = at_clipped(CENSOR_PREFILL_BLUR)
    wider = float(np.sqrt(np.mean(std ** 2))) / CENSOR_PREFILL_NOISE
    if wider > 1:
        x_hat, std = at_clipped(CENSOR_PREFILL_BLUR * wider)
    out[at] = censored_mean(torch.from_numpy(out[at]), torch.from_numpy(x_hat), torch.from_numpy(std), levels).numpy()
    return out
