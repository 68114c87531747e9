"""Closed-form reverse kernels for Gaussian data, for tests and documentation.

When the data are themselves N(m, v0) per dimension, q(x_0 | x_t) is Gaussian with
Var = 1 / (1/v0 + ab/(1 - ab)) and E = Var (m/v0 + sqrt(ab) x_t / (1 - ab)), so the
optimal reverse kernel between any two times is known exactly. :class:`GaussianDataOracle`
is a "network" that emits, through the diffusion's own heads and parametrisation, exactly
that kernel: sampling with it draws from N(m, v0), and conditioning with it must give the
analytic Bayesian posterior.
"""

from __future__ import annotations

import torch
from torch import nn

from .diffusion import bcast


def gaussian_posterior(m, v0, y, noise_var):
    """Posterior of x ~ N(m, v0) given y = x + noise of variance ``noise_var``: (mean, var)."""
    var = 1.0 / (1.0 / v0 + 1.0 / noise_var)
    return var * (m / v0 + y / noise_var), var


class GaussianDataOracle(nn.Module):
    def __init__(self, diffusion, mean=0.0, var=1.0):
        super().__init__()
        self.diffusion = diffusion
        self.m = float(mean)
        self.v0 = float(var)

    def x0_moments(self, x_t: torch.Tensor, t: torch.Tensor):
        la = self.diffusion.log_alpha_bar(t.double())
        ab, one_m = bcast(torch.exp(la), x_t), bcast(-torch.expm1(la), x_t)
        var = 1.0 / (1.0 / self.v0 + ab / one_m)
        return var * (self.m / self.v0 + torch.sqrt(ab) * x_t / one_m), var.expand_as(x_t)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        d = self.diffusion
        t = t.double()
        x0, v = self.x0_moments(x_t, t)
        c0, ct, var1 = d.posterior_coefficients(t, (t - 1).clamp(min=0))
        c0, ct, var1 = bcast(c0, x_t), bcast(ct, x_t), bcast(var1, x_t)
        b = bcast(d.step_beta(t), x_t)
        sigma = var1 + c0 ** 2 * v
        z_sigma = (torch.log(sigma) - torch.log1p(-sigma)) - (torch.log(b) - torch.log1p(-b))
        mu = c0 * x0 + ct * x_t
        if d.parametrisation == "paper":
            z_mu = (mu - x_t * (1 - sigma)) / sigma
        elif d.parametrisation == "code":
            z_mu = (mu - x_t * torch.sqrt(1 - b)) / torch.sqrt(b)
        else:
            la = bcast(d.log_alpha_bar(t), x_t)
            z_mu = (x_t - torch.exp(0.5 * la) * x0) / torch.sqrt(-torch.expm1(la))
        return torch.cat([z_mu, z_sigma], dim=1).to(x_t.dtype)
