"""Binomial diffusion over binary data (paper eq. 4 and 8).

Forward kernel q(x_t = 1 | x_{t-1}) = x_{t-1} (1 - b_t) + p b_t with base rate p
(the paper writes p = 0.5; its heartbeat toy used p = 0.2), prior pi = B(p). Then
q(x_t = 1 | x_0) = x_0 ab_t + p (1 - ab_t) in closed form.

The reverse kernel p(x_{t-1} = 1 | x_t) = f_b(x_t, t) comes from the network's one
output per dimension by one of two parametrisations:

- ``"direct"`` (the paper): f_b = sigmoid(z);
- ``"x0"``: sigmoid(z) is P(x_0 = 1 | x_t) and f_b = sum over x_0 of q(x_{t-1} | x_t, x_0)
  P(x_0 | x_t), the exact reverse kernel when that probability is exact.

As in the Gaussian case both are converted to an x_0 probability (for ``"direct"`` by
inverting that mixture, which is linear in P(x_0 = 1)), from which the kernel to any
earlier time s follows, so respaced trajectories work for both. Nats per dimension.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .diffusion import Diffusion, as_time, bcast

PARAMETRISATIONS = ("direct", "x0")
_EPS = 1e-7


@dataclass
class BernoulliDist:
    """Independent bits: elementwise P(x = 1)."""

    prob: torch.Tensor


def _xlogy(x, y):
    return torch.where(x > 0, x * torch.log(y.clamp(min=1e-30)), torch.zeros_like(x))


def _logit(p):
    p = p.clamp(_EPS, 1 - _EPS)
    return torch.log(p) - torch.log1p(-p)


def bernoulli_kl(q: BernoulliDist, p: BernoulliDist) -> torch.Tensor:
    """KL(q || p) per element, nats."""
    a, b = q.prob, p.prob.clamp(_EPS, 1 - _EPS)
    return _xlogy(a, a) - a * torch.log(b) + _xlogy(1 - a, 1 - a) - (1 - a) * torch.log1p(-b)


def bernoulli_entropy(prob: torch.Tensor) -> torch.Tensor:
    return -(_xlogy(prob, prob) + _xlogy(1 - prob, 1 - prob))


def bernoulli_log_prob(d: BernoulliDist, x: torch.Tensor) -> torch.Tensor:
    p = d.prob.clamp(_EPS, 1 - _EPS)
    return x * torch.log(p) + (1 - x) * torch.log1p(-p)


class BinomialDiffusion(Diffusion):
    family = "binomial"

    def __init__(self, schedule, parametrisation: str = "direct", first_step: str = "learned",
                 base_rate: float = 0.5):
        super().__init__(schedule, first_step)
        if parametrisation not in PARAMETRISATIONS:
            raise ValueError(f"parametrisation must be one of {PARAMETRISATIONS}")
        if not 0 < base_rate < 1:
            raise ValueError("the base rate p of the prior B(p) must lie in (0, 1)")
        self.parametrisation = parametrisation
        self.base_rate = float(base_rate)

    def out_channels(self, channels: int) -> int:
        return channels

    # -- forward process ------------------------------------------------------------------
    def q_prob(self, x0: torch.Tensor, t) -> torch.Tensor:
        """q(x_t = 1 | x_0) = x_0 ab_t + p (1 - ab_t); x_0 may be a probability."""
        t = as_time(t, x0.shape[0], x0.device)
        ab = bcast(self.alpha_bar(t), x0)
        return x0 * ab + self.base_rate * (1 - ab)

    def q_sample(self, x0: torch.Tensor, t, generator=None) -> torch.Tensor:
        return torch.bernoulli(self.q_prob(x0, t), generator=generator)

    def q_renoise(self, x_s: torch.Tensor, s, t, generator=None) -> torch.Tensor:
        s = as_time(s, x_s.shape[0], x_s.device)
        t = as_time(t, x_s.shape[0], x_s.device)
        beta = bcast(self.beta_between(s, t), x_s)
        return torch.bernoulli(x_s * (1 - beta) + self.base_rate * beta, generator=generator)

    def q_step_dist(self, x_prev: torch.Tensor, t) -> BernoulliDist:
        """The forward kernel q(x_t = 1 | x_{t-1}) = x_{t-1} (1 - b_t) + p b_t (eq. 4)."""
        t = as_time(t, x_prev.shape[0], x_prev.device)
        b = bcast(self.step_beta(t), x_prev)
        return BernoulliDist(x_prev * (1 - b) + self.base_rate * b)

    def q_step_sample(self, x_prev: torch.Tensor, t, generator=None) -> torch.Tensor:
        """Draw x_t ~ B(x_{t-1} (1 - b_t) + p b_t) (eq. 4)."""
        t = as_time(t, x_prev.shape[0], x_prev.device)
        return self.q_renoise(x_prev, t - 1, t, generator)

    def _posterior_prob(self, x0, x_t, t, s):
        """q(x_s = 1 | x_t, x_0) by Bayes' rule on the two-state chain s -> t."""
        p = self.base_rate
        ab_s = bcast(self.alpha_bar(s), x_t)
        beta = bcast(self.beta_between(s, t), x_t)
        m = x0 * ab_s + p * (1 - ab_s)                       # q(x_s = 1 | x_0)
        k1 = x_t * (1 - beta + p * beta) + (1 - x_t) * (beta * (1 - p))   # q(x_t | x_s = 1)
        k0 = x_t * (p * beta) + (1 - x_t) * (1 - p * beta)               # q(x_t | x_s = 0)
        return k1 * m / (k1 * m + k0 * (1 - m))

    def q_posterior(self, x0: torch.Tensor, x_t: torch.Tensor, t, s=None) -> BernoulliDist:
        t = as_time(t, x_t.shape[0], x_t.device)
        s = (t - 1).clamp(min=0) if s is None else as_time(s, x_t.shape[0], x_t.device)
        return BernoulliDist(self._posterior_prob(x0, x_t, t, s))

    # -- reverse process ------------------------------------------------------------------
    def _prior_posterior_x0(self, x_t, t):
        """P(x_0 = 1 | x_t) if the data were B(p) themselves."""
        p = self.base_rate
        ab = bcast(self.alpha_bar(t), x_t)
        l1 = x_t * (ab + p * (1 - ab)) + (1 - x_t) * (1 - ab) * (1 - p)    # q(x_t | x_0 = 1)
        l0 = x_t * (p * (1 - ab)) + (1 - x_t) * (1 - p * (1 - ab))         # q(x_t | x_0 = 0)
        return l1 * p / (l1 * p + l0 * (1 - p))

    def p_dist(self, net, x_t: torch.Tensor, t, s=None, out=None, clip=None, variance: str = "learned"):
        """The reverse kernel p(x_s | x_t) and P(x_0 = 1 | x_t), as (BernoulliDist, x0_prob).

        ``variance`` exists for the shared signature: a Bernoulli kernel's variance follows from
        its mean, so only a Gaussian model has a choice of reverse variance.
        """
        if variance != "learned":
            raise ValueError("only a Gaussian model has a choice of reverse variance")
        t = as_time(t, x_t.shape[0], x_t.device)
        s = (t - 1).clamp(min=0) if s is None else as_time(s, x_t.shape[0], x_t.device)
        if out is None:
            out = net(x_t, t.to(x_t.dtype))
        s1 = (t - 1).clamp(min=0)
        a1 = self._posterior_prob(torch.ones_like(x_t), x_t, t, s1)
        a0 = self._posterior_prob(torch.zeros_like(x_t), x_t, t, s1)
        # Both heads are centred on the answer for data distributed as the prior itself
        # (as the Gaussian heads are centred on logit b_t): an untrained net gives K = L_null.
        prior_x0 = self._prior_posterior_x0(x_t, t)
        if self.parametrisation == "x0":
            x0 = torch.sigmoid(out + _logit(prior_x0))
            prob_native = x0 * a1 + (1 - x0) * a0
        else:
            prior_step = prior_x0 * a1 + (1 - prior_x0) * a0
            prob_native = torch.sigmoid(out + _logit(prior_step))
            x0 = ((prob_native - a0) / (a1 - a0).clamp(min=1e-12)).clamp(0, 1)
        native = bcast((s >= t - 1 - 1e-9).to(torch.float64), x_t) > 0
        b1 = self._posterior_prob(torch.ones_like(x_t), x_t, t, s)
        b0 = self._posterior_prob(torch.zeros_like(x_t), x_t, t, s)
        prob = torch.where(native, prob_native, x0 * b1 + (1 - x0) * b0)
        if self.first_step == "fixed":
            beta1 = bcast(self.step_beta(torch.ones_like(t)), x_t)
            fixed = bcast(((t == 1) & (s == 0)).to(torch.float64), x_t) > 0
            prob = torch.where(fixed, x_t * (1 - beta1) + self.base_rate * beta1, prob)
        return BernoulliDist(prob), x0

    kl = staticmethod(bernoulli_kl)
    log_prob = staticmethod(bernoulli_log_prob)

    def sample_dist(self, d: BernoulliDist, generator=None, noise: bool = True) -> torch.Tensor:
        if not noise:
            return (d.prob > 0.5).to(d.prob.dtype)
        return torch.bernoulli(d.prob, generator=generator)

    # -- prior and the analytic terms of K ------------------------------------------------
    def prior_sample(self, shape, generator=None, device=None, dtype=torch.float32) -> torch.Tensor:
        return torch.bernoulli(torch.full(shape, self.base_rate, device=device, dtype=dtype),
                               generator=generator)

    def log_prior(self, x: torch.Tensor) -> torch.Tensor:
        p = self.base_rate
        return x * math.log(p) + (1 - x) * math.log1p(-p)

    def entropy_terms(self, x0: torch.Tensor):
        """(H_q(X_T|X_0), H_q(X_1|X_0), H_p(X_T)) per element, nats (eq. 14)."""
        h_T = bernoulli_entropy(self.q_prob(x0, float(self.T)))
        h_1 = bernoulli_entropy(self.q_prob(x0, 1.0))
        h_p = torch.full_like(x0, float(bernoulli_entropy(torch.tensor(self.base_rate))))
        return h_T, h_1, h_p

    def prior_kl(self, x0: torch.Tensor) -> torch.Tensor:
        q = BernoulliDist(self.q_prob(x0, float(self.T)))
        return bernoulli_kl(q, BernoulliDist(torch.full_like(x0, self.base_rate)))

    def fixed_first_step_expected_log_prob(self, x0: torch.Tensor) -> torch.Tensor:
        """E_q(x_1|x_0) log B(x_0; x_1 (1 - b_1) + p b_1), summing over x_1 in {0, 1}."""
        b1 = float(self.step_beta(torch.ones(1, dtype=torch.float64))[0])
        q1 = self.q_prob(x0, 1.0)
        out = torch.zeros_like(x0)
        for x1, w in ((1.0, q1), (0.0, 1 - q1)):
            pr = BernoulliDist(torch.full_like(x0, x1 * (1 - b1) + self.base_rate * b1))
            out = out + w * bernoulli_log_prob(pr, x0)
        return out

    def null_log_likelihood(self, x0: torch.Tensor) -> torch.Tensor:
        return self.log_prior(x0)
