"""Sequential Monte Carlo over the reverse trajectory: the weights that make it exact.

Target: p(x_{0..T}) r(x_0), for any r a condition can evaluate. Particles are proposed by
the condition's own kernels M(x_s | x_t) (the model's kernel multiplied by r^gamma) and
the intermediate targets are twisted by r at the model's x_0 estimate, h_t(x_t) =
r(x0_hat(x_t)), with h_0 = r itself (the twisted diffusion sampler of Wu et al. 2023).
Each transition multiplies a particle's weight by

    w = p(x_s | x_t) h_s(x_s) / (M(x_s | x_t) h_t(x_t)),

so the weighted particles at x_0 target p(x_{0..T}) r(x_0) exactly, up to the Monte Carlo
error that shrinks as the particles grow. When the effective sample size
ESS = (sum w)^2 / sum w^2 of a group falls below a fraction of its particles, the group is
resampled (systematic resampling) and its weights reset.

Particles sit on the batch axis, ``groups`` independent problems interleaved as
``index = particle * groups + group`` (the layout of ``y.repeat(K, ...)``). Pure torch.
"""

from __future__ import annotations

import torch


def per_example(v: torch.Tensor | None, n: int, mask=None) -> torch.Tensor | None:
    """Sum a per-element log factor over everything but the batch axis (a (B,) tensor passes)."""
    if v is None:
        return None
    if mask is not None:
        v = torch.where(mask, v, torch.zeros_like(v))
    v = v.double()
    return v if v.dim() == 1 else v.reshape(n, -1).sum(1)


def log_kernel_ratio(diffusion, p_dist, m_dist, x: torch.Tensor, mask=None) -> torch.Tensor:
    """log p(x | .) - log M(x | .) per example, over the elements ``mask`` keeps.

    Where M is a point mass (a Gaussian of variance 0: a hard pixel's last step in exact
    inpainting) its density counts as 1, so the ratio is the model's own p(x | .) there: the
    final r, a delta, is then 1 at x too (:meth:`Inpaint.log_r`), and the weight is the
    likelihood p(y | x_1) of the known pixels."""
    log_m = diffusion.log_prob(m_dist, x)
    var = getattr(m_dist, "var", None)
    if var is not None:
        log_m = torch.where(var == 0, torch.zeros_like(log_m), log_m)
    lr = diffusion.log_prob(p_dist, x) - log_m
    keep = torch.isfinite(lr) if mask is None else mask & torch.isfinite(lr)
    return per_example(lr, x.shape[0], keep)


def group_view(log_w: torch.Tensor, groups: int) -> torch.Tensor:
    """(particles * groups,) -> (particles, groups)."""
    if log_w.shape[0] % groups:
        raise ValueError(f"the batch ({log_w.shape[0]}) must hold the same number of particles for each of "
                         f"{groups} groups")
    return log_w.reshape(-1, groups)


def effective_sample_size(log_w: torch.Tensor, groups: int = 1) -> torch.Tensor:
    """(sum w)^2 / sum w^2 per group, a (groups,) tensor between 1 and the particles per group."""
    w = torch.softmax(group_view(log_w, groups), dim=0)
    return 1.0 / (w ** 2).sum(0)


def systematic_resample(log_w: torch.Tensor, groups: int, generator=None) -> torch.Tensor:
    """Batch indices of a systematic resample of each group by its weights (groups stay in place)."""
    lw = group_view(log_w, groups)
    P = lw.shape[0]
    cdf = torch.cumsum(torch.softmax(lw, dim=0), dim=0).T.contiguous()  # (groups, P)
    cdf[:, -1] = 1.0
    u = (torch.rand(groups, 1, generator=generator, device=lw.device, dtype=torch.float64)
         + torch.arange(P, device=lw.device, dtype=torch.float64)) / P
    a = torch.searchsorted(cdf, u.to(cdf.dtype).contiguous()).clamp(max=P - 1).T  # (P, groups)
    return (a * groups + torch.arange(groups, device=lw.device)).reshape(-1)
