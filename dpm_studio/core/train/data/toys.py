"""The paper's two fully specified toy data sets, generated (never downloaded).

Binary heartbeat (paper section 3.1): sequences of length 20 with a 1 in every 5th
position; the first 1 falls uniformly in positions 1..5, so there are exactly 5
sequences and the true log-likelihood is log2(1/5) = -2.322 bits per sequence.

Swiss roll: the paper gives no generation parameters, so ours are documented here.
theta ~ U(1.5 pi, 4.5 pi), point (theta cos theta, theta sin theta), plus isotropic
Gaussian noise of std ``noise`` (default 0.1, in those raw units, where the roll spans
about 27 x 24), then each coordinate standardised by the fixed mean and std of the
noise-free roll so the data have (near) zero mean and unit variance per coordinate.
"""

from __future__ import annotations

import math

import numpy as np
import torch

HEARTBEAT_LENGTH = 20
HEARTBEAT_PERIOD = 5
HEARTBEAT_TRUE_LOG2P = math.log2(1 / HEARTBEAT_PERIOD)

SWISS_ROLL_NOISE = 0.1


def heartbeat_sequences() -> torch.Tensor:
    """The 5 distinct heartbeat sequences, shape (5, 20), float 0/1."""
    x = torch.zeros(HEARTBEAT_PERIOD, HEARTBEAT_LENGTH)
    for k in range(HEARTBEAT_PERIOD):
        x[k, k::HEARTBEAT_PERIOD] = 1
    return x


def heartbeat_batch(n: int, generator=None) -> torch.Tensor:
    """n sequences drawn uniformly from the 5."""
    idx = torch.randint(0, HEARTBEAT_PERIOD, (n,), generator=generator)
    return heartbeat_sequences()[idx]


def _raw_roll(theta: np.ndarray) -> np.ndarray:
    return np.stack([theta * np.cos(theta), theta * np.sin(theta)], axis=1)


def _roll_moments():
    theta = np.linspace(1.5 * np.pi, 4.5 * np.pi, 200001)
    pts = _raw_roll(theta)
    return pts.mean(0), pts.std(0)


_MEAN, _STD = _roll_moments()


def swiss_roll(n: int, generator: torch.Generator | None = None, noise: float = SWISS_ROLL_NOISE) -> torch.Tensor:
    """n points of the standardised swiss roll, shape (n, 2), float32."""
    u = torch.rand(n, generator=generator, dtype=torch.float64).numpy()
    theta = 1.5 * np.pi * (1 + 2 * u)
    pts = _raw_roll(theta)
    eps = torch.randn(n, 2, generator=generator, dtype=torch.float64).numpy()
    pts = pts + noise * eps
    return torch.from_numpy((pts - _MEAN) / _STD).float()
