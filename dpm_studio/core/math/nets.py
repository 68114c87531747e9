"""Reverse-process networks: time enters through the paper's temporal basis or a per-step readout.

Every network maps (x_t, t) -> raw outputs, t a float tensor of shape (B,), fractional
values allowed. Gaussian models read two outputs per data dimension (z_mu, z_Sigma),
binomial ones one (a logit). Networks are rebuilt from a JSON ``spec`` (``build_net``),
so a checkpoint never stores code.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .netbase import NETWORKS, TemporalBasis, register  # noqa: F401  (the registry, re-exported)


def _randn(*shape, scale: float) -> torch.Tensor:
    """``torch.randn(*shape) * scale``; only a shape on the meta device, where a card's network is
    sized before it is built (random numbers there would cost seconds of imports, once)."""
    if torch.empty(0).device.type == "meta":
        return torch.empty(*shape)
    return torch.randn(*shape) * scale


class PerStepReadout(nn.Module):
    """A separate linear readout for every time step ("readout per time step" in the paper).

    Fractional t interpolates linearly between the neighbouring steps' weights.
    """

    def __init__(self, T: int, n_in: int, n_out: int):
        super().__init__()
        self.T = int(T)
        self.weight = nn.Parameter(_randn(self.T + 1, n_in, n_out, scale=0.1 / math.sqrt(n_in)))
        self.bias = nn.Parameter(torch.zeros(self.T + 1, n_out))

    def forward(self, h: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t = t.float().clamp(0, self.T)
        i0 = torch.floor(t).long().clamp(max=self.T - 1)
        f = (t - i0.float())[:, None]
        B = h.shape[0]
        steps, inv = torch.unique(torch.cat([i0, i0 + 1]), return_inverse=True)
        if steps.numel() <= 8 and B > 4 * steps.numel():
            # Few distinct steps in a large batch (an evaluation sweeps t one step at a time):
            # each step's readout once for the whole batch, instead of a (B, n_in, n_out)
            # copy of the weights per example (a 20,000-point swiss-roll evaluation: 90 s -> 2 s).
            out = torch.einsum("bh,sho->bso", h, self.weight[steps]) + self.bias[steps]
            pick = lambda k: out.gather(1, k.view(B, 1, 1).expand(B, 1, out.shape[2])).squeeze(1)  # noqa: E731
            return pick(inv[:B]) * (1 - f) + pick(inv[B:]) * f
        w = self.weight[i0] * (1 - f[:, :, None]) + self.weight[i0 + 1] * f[:, :, None]
        b = self.bias[i0] * (1 - f) + self.bias[i0 + 1] * f
        return torch.einsum("bh,bho->bo", h, w) + b


class HeartbeatMLP(nn.Module):
    """The paper's heartbeat network: n inputs, 3 hidden layers of 50 sigmoid units, a readout per step.

    ``readout="per-step"`` is the paper's separate linear readout for every t;
    ``readout="basis"`` shares J readouts mixed by the temporal basis g(t), which
    learns far faster because every step's gradient trains every readout;
    ``readout="both"`` adds a per-step readout (starting at zero) to the basis one, so
    training is fast early and every step can still be refined on its own.
    ``activation`` is the paper's sigmoid by default; tanh escapes the initial plateau sooner.
    """

    def __init__(self, T: int, n: int = 20, hidden: int = 50, layers: int = 3, outputs_per_dim: int = 1,
                 readout: str = "per-step", J: int = 20, activation: str = "sigmoid"):
        super().__init__()
        act = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "silu": nn.SiLU}[activation]
        mods, width = [], n
        for _ in range(layers):
            mods += [nn.Linear(width, hidden), act()]
            width = hidden
        self.body = nn.Sequential(*mods)
        self.n_out = n * outputs_per_dim
        self.readout_kind = readout
        if readout == "per-step":
            self.readout = PerStepReadout(T, hidden, self.n_out)
        if readout == "both":
            self.per_step = PerStepReadout(T, hidden, self.n_out)
            with torch.no_grad():
                self.per_step.weight.zero_()
        if readout in ("basis", "both"):
            self.basis = TemporalBasis(T, J)
            self.readout = nn.Linear(hidden, J * self.n_out)
            with torch.no_grad():
                self.readout.weight.mul_(0.1)
                self.readout.bias.zero_()
        if readout not in ("per-step", "basis", "both"):
            raise ValueError("readout must be 'per-step', 'basis' or 'both'")

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        h = self.body(2 * x - 1)
        if self.readout_kind == "per-step":
            return self.readout(h, t)
        coeffs = self.readout(h).reshape(x.shape[0], self.n_out, self.basis.J).reshape(x.shape[0], -1)
        out = self.basis.reduce(coeffs, t)
        if self.readout_kind == "both":
            out = out + self.per_step(h, t)
        return out


class NormalizedRBF(nn.Module):
    """The paper's swiss-roll network: a normalised RBF layer and a readout per time step.

    Outputs (z_mu, z_Sigma) for each of the ``dim`` coordinates, laid out as (B, 2 * dim).
    """

    def __init__(self, T: int, dim: int = 2, units: int = 16, scale: float = 1.5):
        super().__init__()
        self.centres = nn.Parameter(_randn(units, dim, scale=scale))
        self.log_width = nn.Parameter(torch.full((units,), math.log(0.5)))
        self.readout = PerStepReadout(T, units, 2 * dim)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        d2 = ((x[:, None, :] - self.centres[None]) ** 2).sum(-1)
        h = torch.softmax(-d2 / (2 * torch.exp(2 * self.log_width)), dim=1)
        return self.readout(h, t)


class PointMLP(nn.Module):
    """A small MLP over points or sequences with a per-step readout; richer than the RBF."""

    def __init__(self, T: int, dim: int = 2, hidden: int = 64, layers: int = 3, outputs_per_dim: int = 2):
        super().__init__()
        mods, width = [], dim
        for _ in range(layers):
            mods += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        self.body = nn.Sequential(*mods)
        self.readout = PerStepReadout(T, hidden, dim * outputs_per_dim)
        self.t_embed = TemporalBasis(T, 10)
        self.t_in = nn.Linear(10, hidden)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        h = self.body[0](x) + self.t_in(self.t_embed(t))
        for m in list(self.body)[1:]:
            h = m(h)
        return self.readout(h, t)


NETWORKS.update({
    "heartbeat-mlp": HeartbeatMLP,
    "rbf": NormalizedRBF,
    "point-mlp": PointMLP,
})


def build_net(spec: dict) -> nn.Module:
    """Rebuild a network from ``{"type": name, "kwargs": {...}}``."""
    kind = spec.get("type")
    if kind not in NETWORKS:
        from . import nets_image  # noqa: F401  (registers the image networks; not imported with the package)
    if kind not in NETWORKS:
        raise ValueError(f"unknown network type {kind!r}; known: {sorted(NETWORKS)}")
    return NETWORKS[kind](**spec.get("kwargs", {}))
