"""Gaussian diffusion (paper section 2, eq. 3 and 7, appendix D heads).

Forward kernel q(x_t | x_{t-1}) = N(x_t; sqrt(1 - b_t) x_{t-1}, b_t I), prior pi = N(0, I).
The reverse kernel p(x_{t-1} | x_t) = N(mu, Sigma) with diagonal Sigma is produced from
the network's two outputs (z_mu, z_Sigma), each already reduced over the temporal basis,
by one of three mean parametrisations:

- ``"paper"`` (App. D, eqs 64-65): Sigma = sigmoid(z_Sigma + logit b_t),
  mu = (x_t - z_mu)(1 - Sigma) + z_mu. The authors' code divides z_Sigma by sqrt(T) before
  the sigmoid; we do not (the paper's form), so the variance head's effective learning
  rate is sqrt(T) times theirs (docs/reproductions.md);
- ``"code"`` (the authors' code): mu = x_t sqrt(1 - b_t) + z_mu sqrt(b_t), same Sigma;
- ``"eps"`` (Ho et al. 2020): z_mu predicts the noise, x_0 = (x_t - sqrt(1 - ab_t) z_mu) / sqrt(ab_t),
  mu = the posterior mean given that x_0, same Sigma head.

Every parametrisation is converted to an estimate of x_0 and an implied x_0 variance
v = (Sigma - Sigma_post) / c0^2, where Sigma_post and c0 are the posterior variance and
x_0 coefficient of the native step t-1 <- t. From (x_0, v) the kernel to any earlier
time s is mean = c0(s,t) x_0 + ct(s,t) x_t and var = Sigma_post(s,t) + c0(s,t)^2 v, which
for s = t - 1 gives back exactly (mu, Sigma); for s < t - 1 it is the respaced step.
For sampling, ``variance="large"`` swaps that variance for the forward process's own
1 - ab_t / ab_s (Ho et al. 2020's sigma^2 = beta, the upper of their two fixed choices; b_t
for s = t - 1): more noise is carried down the trajectory, and the model turns part of it
into texture (docs/conditioning.md). The bound always uses the learned variance.
All log densities, KLs and entropies are in nats per dimension.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .choices import VARIANCES  # noqa: F401  (the reverse kernels' variance when sampling)
from .diffusion import Diffusion, as_time, bcast

PARAMETRISATIONS = ("paper", "code", "eps")
_HALF_LOG_2PI_E = 0.5 * (1.0 + math.log(2 * math.pi))


@dataclass
class GaussianDist:
    """A diagonal Gaussian over x: elementwise mean and variance."""

    mean: torch.Tensor
    var: torch.Tensor


def normal_kl(q: GaussianDist, p: GaussianDist) -> torch.Tensor:
    """KL(q || p) per element, in nats. Zero iff the two agree."""
    return 0.5 * (torch.log(p.var) - torch.log(q.var) + (q.var + (q.mean - p.mean) ** 2) / p.var - 1.0)


def normal_log_prob(d: GaussianDist, x: torch.Tensor) -> torch.Tensor:
    return -0.5 * (math.log(2 * math.pi) + torch.log(d.var) + (x - d.mean) ** 2 / d.var)


class GaussianDiffusion(Diffusion):
    family = "gaussian"

    def __init__(self, schedule, parametrisation: str = "paper", first_step: str = "learned"):
        super().__init__(schedule, first_step)
        if parametrisation not in PARAMETRISATIONS:
            raise ValueError(f"parametrisation must be one of {PARAMETRISATIONS}")
        self.parametrisation = parametrisation

    def out_channels(self, channels: int) -> int:
        """Network outputs per data channel: z_mu and z_Sigma."""
        return 2 * channels

    # -- forward process ------------------------------------------------------------------
    def q_mean_variance(self, x0: torch.Tensor, t) -> GaussianDist:
        """q(x_t | x_0) = N(sqrt(ab_t) x_0, (1 - ab_t) I)."""
        t = as_time(t, x0.shape[0], x0.device)
        la = self.log_alpha_bar(t)
        return GaussianDist(bcast(torch.exp(0.5 * la), x0) * x0,
                            bcast(-torch.expm1(la), x0).expand_as(x0))

    def q_sample(self, x0: torch.Tensor, t, noise=None, generator=None) -> torch.Tensor:
        """Draw x_t ~ q(x_t | x_0); ``noise`` (standard normal) may be given ("frozen")."""
        if noise is None:
            noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        t = as_time(t, x0.shape[0], x0.device)
        la = self.log_alpha_bar(t)
        return bcast(torch.exp(0.5 * la), x0) * x0 + bcast(torch.sqrt(-torch.expm1(la)), x0) * noise

    def q_renoise(self, x_s: torch.Tensor, s, t, generator=None) -> torch.Tensor:
        """Draw x_t ~ q(x_t | x_s) for s < t: the forward process run from s to t."""
        s = as_time(s, x_s.shape[0], x_s.device)
        t = as_time(t, x_s.shape[0], x_s.device)
        beta = self.beta_between(s, t)
        noise = torch.randn(x_s.shape, generator=generator, device=x_s.device, dtype=x_s.dtype)
        return bcast(torch.sqrt(1 - beta), x_s) * x_s + bcast(torch.sqrt(beta), x_s) * noise

    def q_step_dist(self, x_prev: torch.Tensor, t) -> GaussianDist:
        """The forward kernel q(x_t | x_{t-1}) = N(sqrt(1 - b_t) x_{t-1}, b_t I) (eq. 3)."""
        t = as_time(t, x_prev.shape[0], x_prev.device)
        b = bcast(self.step_beta(t), x_prev)
        return GaussianDist(torch.sqrt(1 - b) * x_prev, b.expand_as(x_prev))

    def q_step_sample(self, x_prev: torch.Tensor, t, generator=None) -> torch.Tensor:
        """Draw x_t ~ q(x_t | x_{t-1}) = N(sqrt(1 - b_t) x_{t-1}, b_t I) (eq. 3)."""
        t = as_time(t, x_prev.shape[0], x_prev.device)
        return self.q_renoise(x_prev, t - 1, t, generator)

    def posterior_coefficients(self, t: torch.Tensor, s: torch.Tensor):
        """(c0, ct, var) with q(x_s | x_t, x_0) = N(c0 x_0 + ct x_t, var), float64, s < t."""
        la_t, la_s = self.log_alpha_bar(t), self.log_alpha_bar(s)
        one_m_ab_t, one_m_ab_s = -torch.expm1(la_t), -torch.expm1(la_s)
        beta = -torch.expm1(la_t - la_s)
        c0 = torch.exp(0.5 * la_s) * beta / one_m_ab_t
        ct = torch.sqrt(1 - beta) * one_m_ab_s / one_m_ab_t
        return c0, ct, beta * one_m_ab_s / one_m_ab_t

    def q_posterior(self, x0: torch.Tensor, x_t: torch.Tensor, t, s=None) -> GaussianDist:
        """q(x_s | x_t, x_0), by default s = t - 1 (the posterior used in the bound)."""
        t = as_time(t, x_t.shape[0], x_t.device)
        s = (t - 1).clamp(min=0) if s is None else as_time(s, x_t.shape[0], x_t.device)
        c0, ct, var = self.posterior_coefficients(t, s)
        return GaussianDist(bcast(c0, x_t) * x0 + bcast(ct, x_t) * x_t, bcast(var, x_t).expand_as(x_t))

    # -- reverse process ------------------------------------------------------------------
    def heads(self, out: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor):
        """Network output -> (x0_hat, v): the estimate of x_0 and its implied variance."""
        z_mu, z_sigma = out.chunk(2, dim=1)
        s1 = (t - 1).clamp(min=0)
        c0, ct, var1 = self.posterior_coefficients(t, s1)
        b = self.step_beta(t)
        logit_b = torch.log(b) - torch.log1p(-b)
        sigma = torch.sigmoid(z_sigma + bcast(logit_b, z_sigma))
        c0x = bcast(c0, x_t)
        x0 = self._x0_from_heads(z_mu, sigma, x_t, t)
        v = (sigma - bcast(var1, x_t)) / c0x ** 2
        return x0, v

    def _x0_from_heads(self, z_mu, sigma, x_t, t):
        """The x_0 estimate from the mean head ``z_mu`` (and, for "paper" only, the variance head's sigma)."""
        if self.parametrisation == "eps":
            la = self.log_alpha_bar(t)
            return (x_t - bcast(torch.sqrt(-torch.expm1(la)), x_t) * z_mu) / bcast(torch.exp(0.5 * la), x_t)
        c0, ct, _ = self.posterior_coefficients(t, (t - 1).clamp(min=0))
        if self.parametrisation == "paper":
            mu = (x_t - z_mu) * (1 - sigma) + z_mu
        else:  # code
            b = self.step_beta(t)
            mu = x_t * bcast(torch.sqrt(1 - b), x_t) + z_mu * bcast(torch.sqrt(b), x_t)
        return (mu - bcast(ct, x_t) * x_t) / bcast(c0, x_t)

    def x0_estimate(self, net, x_t: torch.Tensor, t) -> torch.Tensor:
        """E[x_0 | x_t]. Where x_0 needs only the mean head ("eps", "code") and the network can
        compute its outputs in part (``net.partial_outputs``, :class:`~.nets_image.UNet`), the
        variance head is not computed: a denoise's one-step estimate skips a tenth of its work."""
        t = as_time(t, x_t.shape[0], x_t.device)
        if self.parametrisation == "paper" or not getattr(net, "partial_outputs", False):
            return self.p_dist(net, x_t, t)[1]
        z_mu = net(x_t, t.to(x_t.dtype), outputs=x_t.shape[1])
        return self._x0_from_heads(z_mu, None, x_t, t)

    def p_dist(self, net, x_t: torch.Tensor, t, s=None, out=None, clip=None, variance: str = "learned"):
        """The reverse kernel p(x_s | x_t) and the x_0 estimate, as (GaussianDist, x0_hat).

        ``s`` defaults to t - 1 (the model's own step); an earlier s gives the respaced
        kernel described in the module docstring. ``out`` is the network's output if it
        has already been computed. ``clip`` = (lo, hi) clamps the x_0 estimate to the data's
        range before the kernel is formed (for sampling: an eps model's x_0 estimate near
        t = T divides by sqrt(ab_T) ~ 0 and would otherwise throw the trajectory off; the
        bound never clips). ``variance`` is ``"learned"`` (the variance head, carried to s
        as above) or ``"large"`` (1 - ab_t / ab_s, see the module docstring).
        """
        if variance not in VARIANCES:
            raise ValueError(f"the reverse variance must be one of {VARIANCES}")
        t = as_time(t, x_t.shape[0], x_t.device)
        s = (t - 1).clamp(min=0) if s is None else as_time(s, x_t.shape[0], x_t.device)
        if out is None:
            out = net(x_t, t.to(x_t.dtype))
        x0, v = self.heads(out, x_t, t)
        if clip is not None:
            x0 = x0.clamp(*clip)
        c0, ct, var_s = self.posterior_coefficients(t, s)
        c0x = bcast(c0, x_t)
        mean = c0x * x0 + bcast(ct, x_t) * x_t
        var = bcast(var_s, x_t) + c0x ** 2 * v
        respaced = bcast((s < t - 1 - 1e-9).to(torch.float64), x_t) > 0
        floor = torch.where(respaced, 1e-2 * bcast(var_s, x_t), torch.zeros_like(var)) + 1e-12
        var = torch.maximum(var, floor)
        if variance == "large":
            var = bcast(self.beta_between(s, t), x_t).expand_as(var).to(var.dtype)
        if self.first_step == "fixed":
            b1 = self.step_beta(torch.ones_like(t))
            fixed = bcast(((t == 1) & (s == 0)).to(torch.float64), x_t) > 0
            mean = torch.where(fixed, bcast(torch.sqrt(1 - b1), x_t) * x_t, mean)
            var = torch.where(fixed, bcast(b1, x_t).expand_as(var), var)
        return GaussianDist(mean, var), x0

    kl = staticmethod(normal_kl)
    log_prob = staticmethod(normal_log_prob)

    def sample_dist(self, d: GaussianDist, generator=None, noise: bool = True) -> torch.Tensor:
        if not noise:
            return d.mean
        eps = torch.randn(d.mean.shape, generator=generator, device=d.mean.device, dtype=d.mean.dtype)
        return d.mean + torch.sqrt(d.var) * eps

    # -- prior and the analytic terms of K ------------------------------------------------
    def prior_sample(self, shape, generator=None, device=None, dtype=torch.float32) -> torch.Tensor:
        return torch.randn(shape, generator=generator, device=device, dtype=dtype)

    def log_prior(self, x: torch.Tensor) -> torch.Tensor:
        """log pi(x) per element, pi = N(0, I)."""
        return -0.5 * (math.log(2 * math.pi) + x ** 2)

    def entropy_terms(self, x0: torch.Tensor):
        """(H_q(X_T|X_0), H_q(X_1|X_0), H_p(X_T)) per element, nats (eq. 14)."""
        T = torch.tensor([float(self.T)], device=x0.device)
        one = torch.ones(1, device=x0.device, dtype=torch.float64)
        h_T = _HALF_LOG_2PI_E + 0.5 * torch.log(-torch.expm1(self.log_alpha_bar(T)))
        h_1 = _HALF_LOG_2PI_E + 0.5 * torch.log(self.step_beta(one))
        h_p = torch.full_like(h_T, _HALF_LOG_2PI_E)
        return tuple(h.to(x0.dtype).expand(x0.shape) for h in (h_T, h_1, h_p))

    def prior_kl(self, x0: torch.Tensor) -> torch.Tensor:
        """KL(q(x_T | x_0) || pi) per element, nats."""
        q = self.q_mean_variance(x0, float(self.T))
        return normal_kl(q, GaussianDist(torch.zeros_like(x0), torch.ones_like(x0)))

    def fixed_first_step_expected_log_prob(self, x0: torch.Tensor) -> torch.Tensor:
        """E_q(x_1|x_0) log N(x_0; sqrt(1-b_1) x_1, b_1) = -log(2 pi b_1)/2 - (b_1 x_0^2 + 1 - b_1)/2."""
        b1 = float(self.step_beta(torch.ones(1, dtype=torch.float64))[0])
        return -0.5 * math.log(2 * math.pi * b1) - 0.5 * (b1 * x0 ** 2 + 1 - b1)

    def null_log_likelihood(self, x0: torch.Tensor) -> torch.Tensor:
        """log pi(x_0) per element: the likelihood under the prior alone (L_null)."""
        return self.log_prior(x0)
