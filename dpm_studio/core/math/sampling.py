"""The reverse trajectory as a generator of small step records.

:func:`reverse_trajectory` runs p(x_{0..T}) (optionally multiplied by a condition r) and
yields one :class:`Step` per transition, so a GUI runner or a progress bar consumes the
same code. The last record has ``s == 0`` and carries the result. A seed gives
bit-identical results on the same device and torch build.

Fewer steps than T ("respacing") use the kernel p(x_s | x_t) between non-adjacent times
that each diffusion derives from its x_0 estimate. RePaint's resampling jumps
(Lugmayr et al. 2022) re-noise the state forward by ``jump_length`` grid steps
``jump_n_sample - 1`` times at each jump point; those records have ``forward=True``.

With ``smc=True`` the batch is a population of weighted particles (:mod:`.smc`): the
trajectory then targets p(x_{0..T}) r(x_0) exactly as the particles grow, whatever r, and
every record carries the effective sample size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .conditioning import Condition
from .diffusion import bcast
from .rng import generator_for, make_generator
from .smc import effective_sample_size, log_kernel_ratio, per_example, systematic_resample


@dataclass
class Step:
    """One transition x_t -> x_s of the trajectory (s < t, or s > t for a forward jump)."""

    index: int
    total: int
    t: float
    s: float
    x: torch.Tensor
    x0: torch.Tensor | None
    forward: bool = False
    ess: float | None = None  # sequential Monte Carlo: the smallest group's effective sample size of x_t's
    #                             complete weights (the last record: of x_0's, before the final resampling)
    resampled: bool = False   # sequential Monte Carlo: whether this step resampled the particles

    @property
    def done(self) -> bool:
        return self.index + 1 == self.total


def time_grid(T: int, steps: int | None = None, t_start: float | None = None) -> list[float]:
    """Descending times from the start to 0, with ``steps`` transitions (all when None).

    The grid always ends ..., 1, 0 so the last transition is the model's own first step. A
    respaced grid from a fractional start (denoising's matched step, inpainting's smooth-fill
    start) is spread evenly from that start: its first transition used to go to the integer just
    below it (496.05 -> 496 of inpainting's 20 steps of ~26: a network pass that did nothing).
    """
    top = float(T if t_start is None else t_start)
    top_int = int(np.floor(top))
    if abs(top - top_int) < 1e-9:
        ints_from, head = top_int, []
    else:
        ints_from, head = top_int, [top]
    n_ints = ints_from  # integers ints_from .. 1
    if steps is None or steps - len(head) >= n_ints:
        ints = list(range(ints_from, 0, -1))
    else:
        if head:
            ints = sorted({int(round(v)) for v in np.linspace(top, 1, max(1, steps))[1:]}, reverse=True)
        else:
            ints = sorted({int(round(v)) for v in np.linspace(ints_from, 1, max(1, steps))}, reverse=True)
    grid = head + [float(i) for i in ints if i >= 1] + [0.0]
    if grid[0] == 0.0:  # a start below t = 1
        grid = [top, 0.0]
    return grid


def transitions(n: int, jump_length: int = 0, jump_n_sample: int = 1) -> list[tuple[int, int]]:
    """Index pairs (i, j) over a grid of n+1 times (index 0 = start); j = i + 1 steps down.

    With jumps, after reaching every ``jump_length``-th index the trajectory goes back up
    ``jump_length`` indices (forward noise) and down again, ``jump_n_sample - 1`` times.
    """
    pairs, i = [], 0
    if jump_length <= 0 or jump_n_sample <= 1:
        return [(k, k + 1) for k in range(n)]
    jumps = {k: jump_n_sample - 1 for k in range(jump_length, n, jump_length)}
    while i < n:
        pairs.append((i, i + 1))
        i += 1
        if jumps.get(i, 0) > 0:
            jumps[i] -= 1
            for _ in range(jump_length):
                pairs.append((i, i - 1))
                i -= 1
    return pairs


def reverse_trajectory(diffusion, net, shape, *, condition: Condition | None = None,
                       steps: int | None = None, seed: int | None = 0, generator=None,
                       device=None, dtype=torch.float32, denoise_last: bool | None = None,
                       jump_length: int = 0, jump_n_sample: int = 1, x_start=None, clip_x0=None,
                       variance: str = "learned", smc: bool = False, groups: int = 1,
                       ess_fraction: float = 0.5, quiet_last_jump: bool = False):
    """Sample from p(x_0) r(x_0); yields :class:`Step` records, the last one at s = 0.

    ``shape`` is the batch shape (B, ...). ``steps`` respaces the trajectory; ``seed``
    (or an explicit ``generator``) fixes every draw. ``denoise_last`` returns the mean of
    the final kernel instead of a draw from it (default: on for Gaussian models).
    ``clip_x0`` = (lo, hi) keeps the model's x_0 estimate inside the data's range.
    ``variance``: a Gaussian model's reverse variance, ``"learned"`` (its variance head) or
    ``"large"`` (the forward rate between the two times; ``GaussianDiffusion.p_dist``).
    ``quiet_last_jump``: a respaced draw that lands on t = 1 (a jump of more than one step) takes
    the posterior's variance only, not the learned kernel's share of the model's x_0 uncertainty
    (ab_1 v): that share is drawn there at once as independent noise per pixel, and the one step
    left (t = 1 -> 0, the model's own, built for t = 1's tiny noise) keeps it as grain. Every step
    of the trajectory shapes it; a 19-step inpainting of photos-rgb left 1.88 / 255 of fine grain in
    a bokeh fill whose photo has 1.05 (every step: 1.55; docs/inpaint-grain.md); a 20-step sample of
    photos-rgb had 8.51 / 255 against 7.72 with it (every step 2.94), a 5-step sampled denoising at
    sigma 50 lost 2.0 dB without it. Learned variance only.

    ``smc=True``: sequential Monte Carlo (:mod:`.smc`), the batch being ``groups``
    interleaved populations of particles, resampled when a group's effective sample size
    falls below ``ess_fraction`` of its particles; the last record's particles are
    resampled to equal weights. Every step is a draw (``denoise_last`` is off), and
    resampling jumps are refused (their forward noise has no weight).
    """
    device = torch.device(device or "cpu")
    condition = condition or Condition()
    gen = generator_for(generator, device) or make_generator(device, seed)
    if smc:
        if jump_length > 0 and jump_n_sample > 1:
            raise ValueError("sequential Monte Carlo cannot weigh resampling jumps; turn the jumps off")
        denoise_last = False
    if denoise_last is None:
        denoise_last = diffusion.family == "gaussian"
    start = condition.start(diffusion, shape, gen, device, dtype)
    if start is None:
        t_start = float(diffusion.T)
        x = diffusion.prior_sample(shape, gen, device, dtype) if x_start is None else x_start
    else:
        t_start, x = start
    grid = time_grid(diffusion.T, steps, t_start)
    pairs = transitions(len(grid) - 1, jump_length, jump_n_sample)
    with torch.no_grad():
        x = condition.prepare(x, t_start, diffusion, gen)
    B = shape[0]
    if smc:
        tilt = per_example(condition.start_log_tilt(x), B)
        log_w = torch.zeros(B, dtype=torch.float64, device=device) if tilt is None else -tilt
        log_h = torch.zeros(B, dtype=torch.float64, device=device)
    for k, (i, j) in enumerate(pairs):
        t, s = grid[i], grid[j]
        ess, resampled = None, False
        with torch.no_grad():
            if s > t:  # a RePaint jump back up: forward noise
                x = diffusion.q_renoise(x, t, s, gen)
                x0 = None
            else:
                tt = torch.full((B,), t, dtype=torch.float64, device=device)
                ss = torch.full((B,), s, dtype=torch.float64, device=device)
                out, x0_var = None, None
                if smc and diffusion.family == "gaussian":  # the model's Var[x_0 | x_t] widens the twist
                    out = net(x, tt.to(x.dtype))
                    # A learned variance head below the posterior's implies Var[x_0 | x_t] <= 0 (12-27 % of
                    # photos-rgb's pixels at t = 100-500): a twist that sharp spreads the log weights by
                    # 1e9-1e12 nats. Any positive twist keeps the weights exact; the example's mean is the floor.
                    x0_var = diffusion.heads(out, x, tt)[1].clamp(min=0)
                    x0_var = torch.maximum(x0_var, x0_var.mean(dim=tuple(range(1, x0_var.dim())), keepdim=True))
                dist, x0 = diffusion.p_dist(net, x, tt, ss, out=out, clip=clip_x0, variance=variance)
                if smc:  # complete the last transition's weight with the twist at x_t, resample if low
                    h = per_example(condition.log_r(x0, x0_var), B)
                    if h is not None:
                        log_w, log_h = log_w + h - log_h, h
                    # the record's ESS: of the complete weights of x_t (before its twist the weights
                    # of x_s are half a factor and read far lower than what resampling sees)
                    ess = float(effective_sample_size(log_w, groups).min())
                    if ess < ess_fraction * (B // groups):
                        idx = systematic_resample(log_w, groups, gen)
                        x, x0, log_h = x[idx], x0[idx], log_h[idx]
                        dist = type(dist)(*(getattr(dist, f)[idx] for f in dist.__dataclass_fields__))
                        log_w, resampled = torch.zeros_like(log_w), True
                if quiet_last_jump and variance == "learned" and diffusion.family == "gaussian" and 0 < s <= 1 < t - s:
                    dist = type(dist)(dist.mean, bcast(diffusion.posterior_coefficients(tt, ss)[2], x)
                                      .to(dist.var.dtype).expand_as(dist.var))
                cond_dist = condition.apply(dist, x, tt, ss, diffusion, gen)
                x = diffusion.sample_dist(cond_dist, gen, noise=not (s == 0 and denoise_last))
                if smc and cond_dist is not dist:
                    log_w = log_w + log_kernel_ratio(diffusion, dist, cond_dist, x, condition.weight_mask(x))
                x = condition.merge(x, s, diffusion, gen)
                if s == 0:
                    x = condition.finalize(x)
                    if smc:  # the twist's last factor is r itself; return equally weighted particles
                        h = per_example(condition.log_r(x), B)
                        if h is not None:
                            log_w = log_w + h - log_h
                        ess = float(effective_sample_size(log_w, groups).min())
                        x = x[systematic_resample(log_w, groups, gen)]
                        resampled = True
                x0 = condition.finalize(x0)
            if smc and ess is None:
                ess = float(effective_sample_size(log_w, groups).min())
        yield Step(k, len(pairs), t, s, x, x0, forward=s > t, ess=ess, resampled=resampled)


def sample(diffusion, net, shape, **kwargs) -> torch.Tensor:
    """Run :func:`reverse_trajectory` to the end and return x_0."""
    last = None
    for last in reverse_trajectory(diffusion, net, shape, **kwargs):
        pass
    return last.x


def mmse_estimate(diffusion, net, y: torch.Tensor, sigma: float) -> torch.Tensor:
    """One network evaluation: E[x_0 | y] for y = x_0 + sigma n, from the matched step.

    sqrt(ab(t*)) y is a draw of x_{t*}; the model's x_0 estimate there is its posterior
    mean given y (exact for a perfect eps or x_0 predictor).
    """
    from .conditioning import matched_time

    t_star = matched_time(diffusion, float(sigma) ** 2)
    ab = diffusion.alpha_bar(torch.tensor([t_star], dtype=torch.float64))
    with torch.no_grad():
        x_t = float(torch.sqrt(ab)) * y
        return diffusion.x0_estimate(net, x_t, t_star)
