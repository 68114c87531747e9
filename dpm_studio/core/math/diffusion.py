"""What Gaussian and binomial diffusion share: the schedule, and time.

Time runs t = 0 (data) .. T (prior). ``alpha_bar(t)`` is prod_{s<=t} (1 - b_s), so
q(x_t | x_0) keeps a fraction alpha_bar(t) of x_0. Time may be fractional: log
alpha_bar is interpolated linearly between integer steps, which is exact at the integers
and lets a trajectory start at the noise level matching an observation (denoising) or
skip steps (respacing). The rate of the jump s -> t (s < t) is
b_{s->t} = 1 - alpha_bar(t) / alpha_bar(s); for s = t - 1 it is b_t.

Subclasses implement one family and name their methods after the paper's symbols:
``q_sample`` (q(x_t | x_0)), ``q_step_sample`` (q(x_t | x_{t-1})), ``q_posterior``
(q(x_s | x_t, x_0)), ``p_dist`` (p(x_s | x_t), the learned reverse kernel), ``kl``,
``entropy_terms`` (H_q(X_T|X_0), H_q(X_1|X_0), H_p(X_T)), all in nats per dimension.
"""

from __future__ import annotations

import torch
from torch import nn

FIRST_STEPS = ("learned", "fixed")


def bcast(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Reshape a per-example tensor (B,) so it broadcasts against x (B, ...)."""
    v = v.to(device=x.device)
    if v.dim() == 0:
        return v.to(x.dtype)
    return v.to(x.dtype).reshape(v.shape[0], *([1] * (x.dim() - 1)))


def as_time(t, batch: int, device) -> torch.Tensor:
    """A time given as a number or tensor, as a float64 tensor of shape (batch,)."""
    t = torch.as_tensor(t, dtype=torch.float64, device=device)
    if t.dim() == 0:
        t = t.expand(batch)
    return t


class Diffusion(nn.Module):
    """Base class: holds the schedule and answers questions about time.

    ``first_step`` says what p(x_0 | x_1) is: ``"learned"`` uses the network like every
    other step; ``"fixed"`` uses the forward kernel read backwards, as the authors' code
    did. With the fixed first step and data whose moments match the prior, the paper's
    K (eq. 14) equals the exact evidence lower bound in expectation (see ``bound``).
    """

    family = "base"

    def __init__(self, schedule: nn.Module, first_step: str = "learned"):
        super().__init__()
        if first_step not in FIRST_STEPS:
            raise ValueError(f"first_step must be one of {FIRST_STEPS}")
        self.schedule = schedule
        self.first_step = first_step
        self._cache = None

    @property
    def T(self) -> int:
        return self.schedule.T

    def betas(self) -> torch.Tensor:
        return self.schedule.betas()

    def _log_alpha_bar_table(self) -> torch.Tensor:
        """log alpha_bar(t) at t = 0..T, float64 (recomputed while a schedule learns)."""
        if self.schedule.learned and torch.is_grad_enabled():
            b = self.schedule.betas()
            return torch.cat([b.new_zeros(1), torch.cumsum(torch.log1p(-b), 0)])
        b = self.schedule.betas().detach()
        key = (b.data_ptr(), b.device, b._version)
        if self._cache is None or self._cache[0] != key:
            table = torch.cat([b.new_zeros(1), torch.cumsum(torch.log1p(-b), 0)])
            self._cache = (key, table)
        return self._cache[1]

    def log_alpha_bar(self, t: torch.Tensor) -> torch.Tensor:
        """log alpha_bar(t) for (possibly fractional) t in [0, T], float64."""
        table = self._log_alpha_bar_table()
        t = t.to(table.device, torch.float64).clamp(0, self.T)
        i0 = torch.floor(t).clamp(max=self.T - 1)
        frac = t - i0
        i0 = i0.long()
        return table[i0] * (1 - frac) + table[i0 + 1] * frac

    def alpha_bar(self, t: torch.Tensor) -> torch.Tensor:
        return torch.exp(self.log_alpha_bar(t))

    def beta_between(self, s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """b_{s->t} = 1 - alpha_bar(t)/alpha_bar(s), the rate of one jump from s to t > s."""
        return -torch.expm1(self.log_alpha_bar(t) - self.log_alpha_bar(s))

    def step_beta(self, t: torch.Tensor) -> torch.Tensor:
        """b_t, the rate of the single step t-1 -> t (for fractional t, of (t-1) -> t)."""
        return self.beta_between((t - 1).clamp(min=0), t)

    # -- sampling-time helpers shared by both families ----------------------------------
    def x0_estimate(self, net, x_t: torch.Tensor, t) -> torch.Tensor:
        """The network's estimate of x_0 (Gaussian: E[x_0|x_t]; binomial: P(x_0 = 1 | x_t))."""
        t = as_time(t, x_t.shape[0], x_t.device)
        return self.p_dist(net, x_t, t)[1]

    # Subclasses: q_sample, q_step_sample, q_renoise, q_posterior, p_dist, kl, log_prob,
    # sample_dist, prior_sample, log_prior, entropy_terms, prior_kl, first_step_log_prob.


class Model(nn.Module):
    """A diffusion process and its reverse network, trained together (a learned schedule is a parameter)."""

    def __init__(self, diffusion, net):
        super().__init__()
        self.diffusion = diffusion
        self.net = net
