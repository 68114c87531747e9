"""Closed-form reverse kernels for Gaussian, mixture and binary data, for tests and benchmarks.

When the data are themselves N(m, v0) per dimension, q(x_0 | x_t) is Gaussian with
Var = 1 / (1/v0 + ab/(1 - ab)) and E = Var (m/v0 + sqrt(ab) x_t / (1 - ab)), so the
optimal reverse kernel between any two times is known exactly. :class:`GaussianDataOracle`
is a "network" that emits, through the diffusion's own heads and parametrisation, exactly
that kernel: sampling with it draws from N(m, v0), and conditioning with it must give the
analytic Bayesian posterior. :class:`MixtureOracle` (a 1-D Gaussian mixture) and
:class:`CorrelatedGaussianOracle` (N(0, C) over the last axis) emit the exact x_0 mean and
variance the same way (their reverse kernels are then Gaussian approximations of the true
ones, so the model's own p(x_0) is what conditioning must reach); :class:`BinaryDataOracle`
is the exact P(x_0 = 1 | x_t) of independent B(q) bits for a binomial diffusion's ``"x0"``
parametrisation.
"""

from __future__ import annotations

import torch
from torch import nn

from .binomial import _logit
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
        return emit_gaussian_heads(self.diffusion, x_t, t.double(), *self.x0_moments(x_t, t.double()))


def emit_gaussian_heads(d, x_t: torch.Tensor, t: torch.Tensor, x0: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """The network output (z_mu, z_Sigma) whose heads give x_0 estimate ``x0`` with variance ``v``."""
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


class MixtureOracle(nn.Module):
    """Data sum_k w_k N(m_k, v_k) per element: the exact E[x_0 | x_t] and Var[x_0 | x_t]."""

    def __init__(self, diffusion, weights, means, variances):
        super().__init__()
        self.diffusion = diffusion
        self.w, self.m, self.v = (torch.tensor(a, dtype=torch.float64) for a in (weights, means, variances))

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t = t.double()
        la = self.diffusion.log_alpha_bar(t)
        ab, one_m = bcast(torch.exp(la), x_t)[..., None], bcast(-torch.expm1(la), x_t)[..., None]
        x = x_t.double()[..., None]
        tot = ab * self.v + one_m                       # Var[x_t | component]
        log_resp = torch.log(self.w) - 0.5 * torch.log(tot) - 0.5 * (x - torch.sqrt(ab) * self.m) ** 2 / tot
        resp = torch.softmax(log_resp, dim=-1)
        var_k = 1.0 / (1.0 / self.v + ab / one_m)
        mean_k = var_k * (self.m / self.v + torch.sqrt(ab) * x / one_m)
        mean = (resp * mean_k).sum(-1)
        var = (resp * (var_k + mean_k ** 2)).sum(-1) - mean ** 2
        return emit_gaussian_heads(self.diffusion, x_t, t, mean.to(x_t.dtype), var.clamp(min=1e-12).to(x_t.dtype))


class CorrelatedGaussianOracle(nn.Module):
    """Data N(0, C) over the last axis of x (B, D): the exact E[x_0 | x_t] and diagonal of Cov[x_0 | x_t]."""

    def __init__(self, diffusion, cov):
        super().__init__()
        self.diffusion = diffusion
        self.C = torch.as_tensor(cov, dtype=torch.float64)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t = t.double()
        ab = float(torch.exp(self.diffusion.log_alpha_bar(t[:1])))
        eye = torch.eye(self.C.shape[0], dtype=torch.float64)
        gain = torch.sqrt(torch.tensor(ab)) * torch.linalg.solve(ab * self.C + (1 - ab) * eye, self.C).T
        mean = x_t.double() @ gain.T
        cov = self.C - ab * self.C @ torch.linalg.solve(ab * self.C + (1 - ab) * eye, self.C)
        var = torch.diagonal(cov).clamp(min=1e-12).expand_as(mean)
        return emit_gaussian_heads(self.diffusion, x_t, t, mean.to(x_t.dtype), var.to(x_t.dtype))


class BinaryDataOracle(nn.Module):
    """Independent B(q) bits: the ``"x0"`` head's output for the exact P(x_0 = 1 | x_t)."""

    def __init__(self, diffusion, q: float):
        super().__init__()
        self.diffusion, self.q = diffusion, float(q)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        d = self.diffusion
        t = t.double()
        x = x_t.double()
        ab = bcast(d.alpha_bar(t), x)
        p = d.base_rate
        l1 = x * (ab + p * (1 - ab)) + (1 - x) * (1 - ab) * (1 - p)
        l0 = x * (p * (1 - ab)) + (1 - x) * (1 - p * (1 - ab))
        post = l1 * self.q / (l1 * self.q + l0 * (1 - self.q))
        return (_logit(post) - _logit(d._prior_posterior_x0(x, t))).to(x_t.dtype)


def binomial_chain_marginal(d, net) -> float:
    """P(x_0 = 1) of a one-bit binomial chain from x_T ~ B(p), by its exact two-state recursion."""
    p1 = d.base_rate
    states = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    for t in range(d.T, 0, -1):
        dist, _ = d.p_dist(net, states, torch.full((2,), float(t), dtype=torch.float64))
        f0, f1 = (float(v) for v in dist.prob.reshape(-1))
        p1 = p1 * f1 + (1 - p1) * f0
    return p1
