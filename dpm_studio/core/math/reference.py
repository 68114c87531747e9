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
parametrisation, :class:`CopiedBitsOracle` the same for a pair of correlated bits (the second a
copy of the first with some probability); :func:`binomial_chain_joint` is the exact law of x_0
that a small binomial chain's own (factorised) kernels reach.
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


def _bit_likelihoods(d, x_t: torch.Tensor, t: torch.Tensor):
    """q(x_t | x_0 = 1) and q(x_t | x_0 = 0) per bit."""
    ab = bcast(d.alpha_bar(t), x_t)
    p = d.base_rate
    return (x_t * (ab + p * (1 - ab)) + (1 - x_t) * (1 - ab) * (1 - p),
            x_t * (p * (1 - ab)) + (1 - x_t) * (1 - p * (1 - ab)))


class BinaryDataOracle(nn.Module):
    """Independent B(q) bits: the ``"x0"`` head's output for the exact P(x_0 = 1 | x_t)."""

    def __init__(self, diffusion, q: float):
        super().__init__()
        self.diffusion, self.q = diffusion, float(q)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        d = self.diffusion
        t = t.double()
        x = x_t.double()
        l1, l0 = _bit_likelihoods(d, x, t)
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


class CopiedBitsOracle(nn.Module):
    """Pairs of bits (B, 2): x_1 ~ B(q), x_2 = x_1 with probability ``rho``, else a fresh B(q) draw.
    Emits each bit's exact P(x_0 = 1 | both bits of x_t) through the ``"x0"`` head."""

    def __init__(self, diffusion, q: float, rho: float):
        super().__init__()
        self.diffusion = diffusion
        q, rho = float(q), float(rho)
        b = torch.tensor([1 - q, q], dtype=torch.float64)
        self.joint = (1 - rho) * b[:, None] * b[None, :] + rho * torch.diag(b)  # [x_1, x_2]

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        d = self.diffusion
        t = t.double()
        x = x_t.double()
        l1, l0 = _bit_likelihoods(d, x, t)
        lik = torch.stack([l0, l1], -1)  # (B, 2 bits, 2 values)
        post = self.joint * lik[:, 0, :, None] * lik[:, 1, None, :]  # (B, x_1, x_2)
        post = post / post.sum((1, 2), keepdim=True)
        x0 = torch.stack([post[:, 1].sum(1), post[:, :, 1].sum(1)], 1)
        return (_logit(x0) - _logit(d._prior_posterior_x0(x, t))).to(x_t.dtype)


def binomial_chain_joint(d, net, dim: int) -> torch.Tensor:
    """The law of x_0 (dim bits) reached by a binomial chain from x_T ~ B(p)^dim through the model's
    factorised kernels, by its exact recursion over the 2^dim states: a (2,) * dim tensor."""
    states = torch.tensor([[(i >> (dim - 1 - k)) & 1 for k in range(dim)] for i in range(2 ** dim)],
                          dtype=torch.float64)
    p = d.base_rate
    law = torch.prod(torch.where(states > 0, p, 1 - p), 1).double()
    for t in range(d.T, 0, -1):
        dist, _ = d.p_dist(net, states, torch.full((2 ** dim,), float(t), dtype=torch.float64))
        prob = dist.prob.double()  # (from, bit)
        kernel = torch.prod(torch.where(states[None] > 0, prob[:, None], 1 - prob[:, None]), -1)  # (from, to)
        law = law @ kernel
    return law.reshape((2,) * dim)
