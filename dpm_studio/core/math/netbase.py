"""What every reverse-process network module shares: the paper's temporal basis, the registry of
network types that checkpoint cards name, and ``register``. Its own module so that :mod:`.nets`
(whose ``build_net`` imports the image networks when a card first names one) and
:mod:`.nets_image` (which registers them) do not import each other.
"""

from __future__ import annotations

import torch
from torch import nn

#: Network type (a card's ``network.type``) -> class; :mod:`.nets` and :mod:`.nets_image` fill it.
NETWORKS: dict = {}


def register(name: str):
    """Decorator adding a network class to the registry that checkpoint cards name."""
    def deco(cls):
        NETWORKS[name] = cls
        return cls
    return deco


class TemporalBasis(nn.Module):
    """J Gaussian bumps g_j(t) over t mapped to [-1, 1], normalised to sum to 1 (authors' code).

    Centres linspace(-1, 1, J), width half the centre spacing. A head that emits J
    coefficients per output is reduced to one value per output by their dot product with
    g(t), so the network's function changes smoothly with t.
    """

    def __init__(self, T: int, J: int = 10):
        super().__init__()
        self.T, self.J = int(T), int(J)
        centres = torch.linspace(-1, 1, self.J, device="cpu")  # J numbers; also under the meta device
        self.register_buffer("centres", centres)
        self.width = float(centres[1] - centres[0]) / 2 if self.J > 1 else 1.0

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        """g(t), shape (B, J)."""
        xx = (t.float() - 1) / max(self.T - 1, 1) * 2 - 1
        g = torch.exp(-(xx[:, None] - self.centres[None, :]) ** 2 / (2 * self.width ** 2))
        return g / g.sum(1, keepdim=True)

    def reduce(self, coeffs: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Dot the J coefficients of each output with g(t).

        ``coeffs`` has shape (B, J * n, ...) (J-major per output channel group); the result
        has shape (B, n, ...).
        """
        g = self(t)
        B, C = coeffs.shape[:2]
        c = coeffs.reshape(B, C // self.J, self.J, *coeffs.shape[2:])
        g = g.reshape(B, 1, self.J, *([1] * (coeffs.dim() - 2)))
        return (c * g).sum(2)
