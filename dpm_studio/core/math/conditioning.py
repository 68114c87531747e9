"""Multiplying the model by r(x_0) (paper section 2.5, appendix C).

The target is p~(x_0) proportional to p(x_0) r(x_0). Every condition here is one object
with four hooks the sampler calls; the defaults do nothing:

- ``start(diffusion, shape, ...)``: optionally a time t* < T and a state x_{t*} to start
  the reverse trajectory from (denoising matched to the observation noise);
- ``prepare(x, t, ...)``: adjust the starting state (known pixels, pi r);
- ``apply(dist, x_t, t, s, ...)``: multiply the reverse kernel p(x_s | x_t) by r;
- ``merge(x_s, s, ...)``: overwrite part of the new state (RePaint's per-step merge);
- ``finalize(x)``: make the output honour hard constraints exactly.

Conditions work in the model's data space (unit-variance scaling) and broadcast over the
batch, so one condition drives K samples for a posterior mean.

How much of r each step applies (``product``) is an approximation whatever the choice:
the paper (eq. 23) multiplies every reverse kernel by the whole r, which over many small
steps settles near p r^2; ``"balanced"`` (the default) multiplies by r^(1/2), which lands
on p r only when the data are distributed as the prior (N(0, 1) data, B(0.5) bits) and is
biased elsewhere (N(2, 1) data, y = 0, s^2 = 0.5: mean 0.98 for 0.67); ``"noised"``
multiplies p(x_s | x_t) by r carried to x_s by the forward process, the proposal that
sequential Monte Carlo uses. Exact routes: ``Denoise(start="matched")`` for one Gaussian
noise level (no product at all), and ``reverse_trajectory(..., smc=True)`` for any r,
which weighs the particles with :meth:`Condition.log_r` (:mod:`.smc`). Hard constraints
(a delta, d in {0, 1}) are set outright by the approximate inpainting rules, the same under every
product; ``Inpaint(mode="exact")`` weighs them by sequential Monte Carlo instead.
docs/conditioning.md has the measurements (benchmarks/conditioning_exact.py).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .binomial import BernoulliDist
from .diffusion import as_time, bcast
from .gaussian import GaussianDist

from .choices import DENOISE_STARTS, INPAINT_MODE_ALIASES, INPAINT_MODES, INPAINT_STARTS, PRODUCTS  # noqa: F401


class Condition:
    """r(x_0) = 1: unconditional sampling."""

    def start(self, diffusion, shape, generator=None, device=None, dtype=torch.float32):
        return None

    def prepare(self, x, t, diffusion, generator=None):
        return x

    def apply(self, dist, x_t, t, s, diffusion, generator=None):
        return dist

    def merge(self, x_s, s, diffusion, generator=None):
        return x_s

    def finalize(self, x):
        return x

    def log_r(self, x0, x0_var=None):
        """log r(x_0) per element, up to a constant, for the part of r that sequential Monte
        Carlo weighs (None: nothing to weigh). Called at the final x_0 and, as the twist, at
        the model's x_0 estimate of every x_t, with ``x0_var`` the model's variance of x_0
        given x_t (Gaussian models), which widens a Gaussian r to the predictive
        N(y; x0_hat, var + x0_var): the exact twist when x_0 given x_t is Gaussian."""
        return None

    def weight_mask(self, x):
        """Where the ratio p(x_s | x_t) / M(x_s | x_t) of the model's kernel to the one this
        condition samples from enters the weights (None: everywhere). Hard constraints,
        whose elements a kernel sets outright, are left out."""
        return None

    def start_log_tilt(self, x):
        """log of the factor (up to a constant) by which ``prepare`` tilted the prior's draw
        x_T ~ pi, per element (None: no tilt)."""
        return None


Unconditional = Condition


def gaussian_log_r(x, y, var, x0_var=None):
    """log N(y; x, var + x0_var) up to a constant, 0 where var is infinite."""
    v = var if x0_var is None else var + x0_var
    return torch.where(torch.isinf(v), torch.zeros_like(x), -(y - x) ** 2 / (2 * v) - 0.5 * torch.log(v))


def binary_log_r(x, d):
    """log r for bit evidence d = r(x = 1): log(x d + (1 - x)(1 - d)). For a probability x in
    (0, 1) (the model's x_0 estimate) it is log E[r(x_0)], the natural twist."""
    return torch.log((x * d + (1 - x) * (1 - d)).clamp(min=1e-30))


def gaussian_product(dist: GaussianDist, y: torch.Tensor, noise_var: torch.Tensor) -> GaussianDist:
    """N(mean, var) N(y; x, noise_var), renormalised: the exact product of two Gaussians.

    Sigma' = (Sigma^-1 + s^-2)^-1, mu' = Sigma' (Sigma^-1 mu + s^-2 y). ``noise_var`` may be 0
    (a delta: x = y) or inf (no information) per element.
    """
    w = dist.var / (dist.var + noise_var)
    w = torch.where(torch.isinf(noise_var), torch.zeros_like(w), w)
    mean = torch.where(noise_var == 0, y.expand_as(dist.mean), dist.mean + w * (y - dist.mean))
    var = torch.where(noise_var == 0, torch.zeros_like(dist.var), (1 - w) * dist.var)
    return GaussianDist(mean, var)


def binary_product(dist: BernoulliDist, d: torch.Tensor) -> BernoulliDist:
    """Bits with P(x=1) = c times evidence r(x=1) = d: c d / (c d + (1 - c)(1 - d))."""
    c = dist.prob
    num = c * d
    den = num + (1 - c) * (1 - d)
    return BernoulliDist(torch.where(den > 0, num / den.clamp(min=1e-30), d))


def inpaint_mode(name: str) -> str:
    """The canonical inpainting mode of ``name`` (an old name maps to its new one)."""
    name = INPAINT_MODE_ALIASES.get(name, name)
    if name not in INPAINT_MODES:
        raise ValueError(f"inpainting mode must be one of {', '.join(INPAINT_MODES)}")
    return name


def hard_noised_evidence(diffusion, s, y):
    """A delta r(x_0) = [x_0 = y] carried to x_s: the likelihood p(x_0 = y | x_s) as a Gaussian in x_s,
    N(x_s; y / sqrt(ab_s), (1 - ab_s) / ab_s), which is exact for prior-like (N(0, 1)) data, where
    x_0 | x_s ~ N(sqrt(ab_s) x_s, 1 - ab_s); a delta again at s = 0. The proposal of ``mode="exact"``
    is the model's kernel times it (the optimal proposal for such data: on the 4 x 4 N(0, 1) check
    the ESS stays at 63.8 of 64). Not q(x_s | y) = N(x_s; sqrt(ab_s) y, 1 - ab_s), which was used
    before: without the 1 / q(x_s) of Bayes' rule it pulled the known pixels towards sqrt(ab_s) y
    and shrank them (std 0.58 at s = 632 where a noised image has 0.96), so the network saw a
    too-smooth context (smallest ESS of the correlated pair 71 of 1,000, now 364)."""
    ab = bcast(diffusion.alpha_bar(s), y)
    return (y / torch.sqrt(ab)).to(y.dtype), ((1 - ab) / ab).to(y.dtype).expand_as(y)


def per_step_power(product: str, allowed=PRODUCTS) -> float:
    """The power gamma of r applied at each reverse step: 1/2 balanced, 1 the paper's product
    (and ``"noised"``, whose r is carried to x_s first: :func:`noised_evidence`)."""
    if product not in allowed:
        raise ValueError(f"the per-step product must be one of {allowed}")
    return 0.5 if product == "balanced" else 1.0


def noised_evidence(diffusion, s, y, var):
    """Gaussian evidence N(y; x_0, var) carried to x_s by the forward process: x_s = sqrt(ab_s) x_0 +
    sqrt(1 - ab_s) n makes it N(sqrt(ab_s) y; x_s, ab_s var + 1 - ab_s) under prior-like data.
    ``product="noised"`` multiplies each kernel p(x_s | x_t) by it: weak at high noise, r itself at
    s = 0, close to the twisted kernel that sequential Monte Carlo wants (its proposal). Elements
    with var 0 (hard) or inf (none) are left as they are."""
    ab = bcast(diffusion.alpha_bar(s), var)
    soft = (var > 0) & torch.isfinite(var)
    return (torch.where(soft, torch.sqrt(ab) * y, y.expand_as(var)),
            torch.where(soft, ab * var + 1 - ab, var))


def noised_bit_evidence(diffusion, s, d):
    """Bit evidence d = r(x_0 = 1) carried to x_s: r_s(x_s) = sum_x0 q(x_s | x_0) r(x_0), as a probability."""
    ab = bcast(diffusion.alpha_bar(s), d)
    p = diffusion.base_rate
    one = d * (ab + p * (1 - ab)) + (1 - d) * p * (1 - ab)
    zero = d * (1 - ab) * (1 - p) + (1 - d) * (1 - p * (1 - ab))
    return torch.where((d > 0) & (d < 1), one / (one + zero), d)


def binary_power(d: torch.Tensor, gamma: float) -> torch.Tensor:
    """Evidence d = r(x=1) raised to ``gamma`` and renormalised: d^g / (d^g + (1 - d)^g)."""
    if gamma == 1.0:
        return d
    a, b = d.clamp(0, 1) ** gamma, (1 - d.clamp(0, 1)) ** gamma
    return a / (a + b)


def harmonic_fill(y: torch.Tensor, known: torch.Tensor, iters: int = 60) -> torch.Tensor:
    """``y`` with its unknown pixels replaced by the solution of Laplace's equation.

    ``y``: (B, C, H, W); ``known``: (B, 1, H, W), 1 where a pixel is known. The unknown
    pixels get the smoothest surface that meets the known ones at the hole's edge (the
    steady state of heat flow from the boundary), solved coarse to fine: each level
    starts from the upsampled solution of the level below and relaxes it with ``iters``
    Jacobi sweeps, so the cost stays linear in the number of pixels for any hole size.
    """
    hard = known > 0.5
    if min(y.shape[-2:]) <= 4 or not hard.any():
        w = known.sum((2, 3), keepdim=True)
        m = (y * known).sum((2, 3), keepdim=True) / w.clamp(min=1e-12)
        return torch.where(hard, y, torch.where(w > 0, m, torch.zeros_like(m)).expand_as(y))
    pooled = F.avg_pool2d(known, 2, ceil_mode=True)
    coarse_y = F.avg_pool2d(y * known, 2, ceil_mode=True) / pooled.clamp(min=1e-12)
    coarse = harmonic_fill(coarse_y, (pooled > 0).to(y.dtype), iters)
    x = F.interpolate(coarse, scale_factor=2, mode="bilinear", align_corners=False)[..., :y.shape[-2], :y.shape[-1]]
    x = torch.where(hard, y, x)
    # A Jacobi sweep: each unknown pixel becomes the mean of its 4 neighbours (the border replicated),
    # summed from shifted views: a depthwise 3 x 3 convolution did the same sums in 7-9x the time, its
    # cost per call (6 levels x 60 sweeps) larger than the pixels' (126-143 ms -> 15-19 ms for a
    # 160 x 160 crop; docs/speed.md, session 11); equal to 2e-7.
    for _ in range(iters):
        p = F.pad(x, (1, 1, 1, 1), mode="replicate")
        x = torch.where(hard, y, ((p[..., :-2, 1:-1] + p[..., 2:, 1:-1]) + (p[..., 1:-1, :-2] + p[..., 1:-1, 2:])) * 0.25)
    return x


class Inpaint(Condition):
    """r is a delta on the known pixels and flat elsewhere; soft where confidence is in (0, 1).

    ``y``: the image (data space); ``confidence``: 1 where a pixel is known exactly,
    0 where it is to be filled, in between for a feathered edge. A confidence c maps to a
    Gaussian r = N(y; x, kappa (1 - c) / c) (binomial: evidence d = 1/2 + c (y - 1/2)),
    so a soft edge blends instead of seaming, in both modes: each step multiplies a soft
    pixel's kernel by r as ``product`` says (an approximation, see the module's docstring;
    exact with ``smc=True``), so the r does not depend on the number of steps.

    Hard pixels (c = 1, a delta r) by ``mode``:

    - ``"exact"``: weighed by sequential Monte Carlo (``reverse_trajectory(..., smc=True)``
      is required), the twisted diffusion sampler's inpainting limit (Wu et al. 2023; SMCDiff,
      Trippe et al. 2022, weighs by the same likelihood of the noised known pixels). A
      particle's known pixels are proposed from the model's kernel times p(x_0 = y | x_s), the
      delta carried to x_s (:func:`hard_noised_evidence`; the delta itself at s = 0), and the
      weights carry the twist N(y; x0_hat, Var[x_0 | x_t]) over them, so the last step
      weighs by the model's own p(x_0 = y | x_1): the particles target p(x_0 | known = y)
      exactly as they grow. Starts from noise at t = T (a smooth-fill start is not the
      model's prior).
    - ``"clamp-approx"`` (the paper and its code; old name ``"clamp"``): the known pixels are
      held at y at every step, r(x_t) = r(x_0). An approximation.
    - ``"forward-approx"`` (RePaint; old name ``"forward"``): after each step the known
      pixels are replaced by a fresh draw from q(x_s | y); combine it with ``jump_length`` and
      ``jump_n_sample`` in the sampler for resampling jumps. An approximation.

    Both approximations are rules, not weights (their error is measured in
    docs/conditioning.md); with them sequential Monte Carlo weighs only the soft pixels.

    ``known_var`` (forward-approx only; model units, broadcast to ``y``): the known pixels are not
    exact but y = x_0 + sqrt(v) e, a grainy photo's (r a Gaussian likelihood, not a delta). At a step
    s whose noise exceeds theirs, 1 - ab_s > ab_s v, sqrt(ab_s) y already carries ab_s v of it, so the
    merge adds only the difference 1 - ab_s (1 + v) (the denoiser's matched start, pixel by pixel:
    x_s then has q(x_s | x_0)'s law); below that step the known pixels hold no more than their noise
    allows and the model's kernel carries them. None (the default): exact known pixels, as before.
    InpaintRequest's ``known_noise="law"`` (the default with forward-approx) sets it from the law fitted
    to the known pixels: on held-out photos with sigma 10 / 25 noise the fill gained +0.27 / +1.04 dB on
    average, no photo less (docs/conditioning.md, session 19).

    ``start="noise"`` (the paper) begins at t = T with isotropic noise in the hole.
    ``start="harmonic"`` begins at the step where the forward noise has std
    ``start_sigma`` (in the data's unit-variance space) from a forward-noised
    :func:`harmonic_fill` of the hole. A small image network sees only a few dozen pixels
    around each one, so from pure noise the middle of a large hole knows nothing of its
    surroundings and settles on a colour of its own; the smooth fill carries the edge's
    colours inwards and the model draws the structure and texture on top (SDEdit's
    truncated trajectory, Meng et al. 2022). Gaussian models only; a binary model starts
    from noise.
    """

    def __init__(self, y: torch.Tensor, confidence: torch.Tensor, mode: str = "clamp-approx", kappa: float = 0.05,
                 start: str = "noise", start_sigma: float = 1.0, product: str = "balanced", known_var=None):
        self.gamma, self.noised = per_step_power(product), product == "noised"
        mode = inpaint_mode(mode)
        if known_var is not None:
            known_var = torch.as_tensor(known_var, dtype=y.dtype, device=y.device)
            if mode != "forward-approx":
                raise ValueError("noisy known pixels (known_var) need the forward-approx mode")
            if not bool(torch.isfinite(known_var).all()) or bool((known_var < 0).any()):
                raise ValueError("the known pixels' noise variance must be finite and not negative")
        self.known_var = known_var
        if mode == "exact" and start != "noise":
            raise ValueError("the exact inpainting mode starts from noise at t = T (a smooth-fill start is not "
                             "the model's prior)")
        if start not in INPAINT_STARTS:
            raise ValueError(f"inpainting start must be one of {INPAINT_STARTS}")
        if not start_sigma > 0:
            raise ValueError("the starting noise level must be positive")
        self.start_kind, self.start_sigma = start, float(start_sigma)
        if confidence.shape[2:] != y.shape[2:] or confidence.shape[1] not in (1, y.shape[1]):
            raise ValueError("the confidence map must match the image's size")
        self.y = y
        self.c = confidence.to(y.dtype).clamp(0, 1).expand_as(y) if confidence.shape[1] == 1 \
            else confidence.to(y.dtype).clamp(0, 1)
        self.hard = self.c >= 1
        self.mode = mode
        self.kappa = kappa
        self._binary = False

    def start(self, diffusion, shape, generator=None, device=None, dtype=torch.float32):
        self._binary = diffusion.family == "binomial"
        if self.start_kind != "harmonic" or diffusion.family != "gaussian":
            return None
        t0 = matched_time(diffusion, self.start_sigma ** 2)
        known = self.hard.all(dim=1, keepdim=True).to(self.y.dtype)
        init = harmonic_fill(self.y, known).expand(shape).to(device or self.y.device, dtype)
        return t0, diffusion.q_sample(init, t0, generator=generator)

    def _r_var(self):
        """The variance kappa (1 - c) / c of a soft pixel's Gaussian r (inf where c = 0, 0 where c = 1)."""
        c = self.c
        return torch.where(c > 0, self.kappa * (1 - c) / c.clamp(min=1e-12), torch.full_like(c, math.inf))

    def _noise_var(self):
        """The variance of r^gamma, the Gaussian evidence one step applies; outside clamp mode the
        hard pixels get none here (the merge sets them, or :meth:`apply` proposes them exactly)."""
        var = self._r_var() / self.gamma
        return var if self.mode == "clamp-approx" else torch.where(self.hard, torch.full_like(var, math.inf), var)

    def _bit_evidence(self):
        d = 0.5 + self.c * (self.y - 0.5)
        return d if self.mode == "clamp-approx" else torch.where(self.hard, torch.full_like(d, 0.5), d)

    def prepare(self, x, t, diffusion, generator=None):
        if self.mode == "clamp-approx":
            return torch.where(self.hard, self.y.expand_as(x), x)
        x = self.merge(x, t, diffusion, generator)
        t_val = float(torch.as_tensor(t).reshape(-1)[0])
        if self.known_var is not None and t_val > 0:  # a start below a known pixel's matched step: sqrt(ab) y,
            ab = bcast(diffusion.alpha_bar(as_time(t_val, x.shape[0], x.device)), x)  # the least noise it has
            x = torch.where(self.hard & ~self._above_match(t_val, diffusion, x), (torch.sqrt(ab) * self.y).to(x.dtype), x)
        return x

    def apply(self, dist, x_t, t, s, diffusion, generator=None):
        exact_hard = self.mode == "exact" and bool(self.hard.any())
        if isinstance(dist, BernoulliDist):
            d = self._bit_evidence()
            out = binary_product(dist, noised_bit_evidence(diffusion, s, d) if self.noised
                                 else binary_power(d, self.gamma))
            if exact_hard:  # the hard bits' delta carried to x_s: full support until s = 0
                ab = bcast(diffusion.alpha_bar(s), self.y)
                p = diffusion.base_rate
                carried = (self.y * (ab + p * (1 - ab)) + (1 - self.y) * p * (1 - ab)).to(self.y.dtype)
                out = BernoulliDist(torch.where(self.hard, binary_product(dist, carried).prob, out.prob))
            return out
        var = self._noise_var()
        if self.noised:
            out = gaussian_product(dist, *noised_evidence(diffusion, s, self.y, var.expand_as(dist.mean)))
        else:
            out = gaussian_product(dist, self.y, var)
        if exact_hard:
            hard = gaussian_product(dist, *hard_noised_evidence(diffusion, s, self.y.expand_as(dist.mean)))
            out = GaussianDist(torch.where(self.hard, hard.mean, out.mean), torch.where(self.hard, hard.var, out.var))
        return out

    def merge(self, x_s, s, diffusion, generator=None):
        if self.mode != "forward-approx":
            return x_s
        s_val = float(torch.as_tensor(s).reshape(-1)[0])
        y = self.y.expand_as(x_s)
        if self.known_var is not None and s_val > 0:
            return torch.where(self.hard & self._above_match(s_val, diffusion, x_s),
                               self._noisy_known(y, s_val, diffusion, generator), x_s)
        known = y if s_val <= 0 else diffusion.q_sample(y, s_val, generator=generator)
        return torch.where(self.hard, known, x_s)

    def _above_match(self, s: float, diffusion, like):
        """Where x_s is noisier than a known pixel's own noise in the model's space: 1 - ab_s > ab_s v,
        i.e. s above the pixel's matched step (:func:`matched_time` of v)."""
        ab = float(diffusion.alpha_bar(torch.tensor([s], dtype=torch.float64)))
        return ((1 - ab) > ab * self.known_var).expand_as(like)

    def _noisy_known(self, y, s: float, diffusion, generator=None):
        """A draw of x_s given a known pixel y = x_0 + sqrt(v) e (e standard normal): sqrt(ab_s) y already
        carries noise of variance ab_s v, so it gets only the difference, 1 - ab_s (1 + v), to have x_s's
        law (the denoiser's matched start, pixel by pixel); at the matched step itself none. The noise is
        drawn as :meth:`q_sample` draws it, so v = 0 gives today's merge to the bit."""
        noise = torch.randn(y.shape, generator=generator, device=y.device, dtype=y.dtype)
        la = diffusion.log_alpha_bar(as_time(s, y.shape[0], y.device))
        extra = bcast(-torch.expm1(la), y) - bcast(torch.exp(la), y) * self.known_var
        return bcast(torch.exp(0.5 * la), y) * y + torch.sqrt(extra.clamp(min=0)) * noise

    def _weighed(self):
        """The pixels whose r the weights carry: the soft ones, and in exact mode the hard ones too."""
        soft = (self.c > 0) & ~self.hard
        return soft | self.hard if self.mode == "exact" else soft

    def log_r(self, x0, x0_var=None):
        """Soft pixels: log r (twisted by Var[x_0 | x_t]). Hard pixels in exact mode: the twist
        log N(y; x0_hat, Var[x_0 | x_t]) (bits: log P(x_0 = y) under x0_hat) at an x_0 estimate, and
        0 at the final x_0, which the delta proposal has set to y (a point mass counts as density 1,
        as in :func:`.smc.log_kernel_ratio`, so the last step weighs by p(y | x_1))."""
        weighed = self._weighed()
        if not bool(weighed.any()):
            return None
        if self._binary:
            lr = binary_log_r(x0, 0.5 + self.c * (self.y - 0.5))
        else:
            lr = gaussian_log_r(x0, self.y, self._r_var().expand_as(x0), x0_var)
            if self.mode == "exact":
                twist = torch.zeros_like(x0) if x0_var is None else \
                    gaussian_log_r(x0, self.y, torch.zeros_like(x0), x0_var.clamp(min=1e-12))
                lr = torch.where(self.hard.expand_as(x0), twist, lr)
        return torch.where(weighed.expand_as(x0), lr, torch.zeros_like(lr))

    def weight_mask(self, x):
        return torch.ones_like(x, dtype=torch.bool) if self.mode == "exact" else ~self.hard.expand_as(x)

    def finalize(self, x):
        return torch.where(self.hard, self.y.expand_as(x), x)


def matched_time(diffusion, noise_var: float) -> float:
    """The (fractional) t* at which q(x_t | x_0) has the noise of an observation y = x_0 + s n.

    sqrt(ab) y = sqrt(ab) x_0 + sqrt(ab) s n has the law of x_t when ab s^2 = 1 - ab,
    i.e. ab(t*) = 1 / (1 + s^2). Returns T when the schedule never gets that noisy.
    """
    table = diffusion._log_alpha_bar_table().detach()
    target = -math.log1p(noise_var)
    if target <= float(table[-1]):
        return float(diffusion.T)
    i = int(torch.searchsorted(-table, torch.tensor(-target, dtype=table.dtype, device=table.device)).item()) - 1
    i = max(0, min(i, diffusion.T - 1))
    lo, hi = float(table[i]), float(table[i + 1])
    frac = 0.0 if lo == hi else (lo - target) / (lo - hi)
    return i + min(max(frac, 0.0), 1.0)


class Denoise(Condition):
    """r(x_0) = N(y; x_0, s^2): an observation with Gaussian noise of std ``sigma``.

    ``sigma`` is a number or a tensor broadcasting against ``y`` (per-pixel noise levels).

    ``start="matched"`` (the default) is exact under the model for one noise level:
    sqrt(ab(t*)) y is a draw from q(x_{t*} | x_0) at the t* where the forward noise equals
    s, so the unconditioned reverse trajectory from there samples p(x_0 | y). With
    per-pixel levels it starts at the t* of the noisiest level s_max^2, which is exact for
    the evidence N(y; x_0, s_max^2); what is left, r_res = N(y; x_0, v) with
    1/v = 1/s^2 - 1/s_max^2 (nothing where s = s_max), is applied by the per-step product
    (``product``), an approximation, or weighed exactly by sequential Monte Carlo
    (``reverse_trajectory(..., smc=True)``; its weights r_res / (its product) are bounded).
    When s exceeds x_T's own noise there is no t*: the trajectory starts at x_T ~ pi r and
    the whole r goes through the product (approximate) or the weights (exact).

    ``start="prior-approx"`` is the paper's start, x_T ~ pi r with the whole r multiplied into every
    kernel by the product: an approximation on its own (measured in docs/conditioning.md;
    biased wherever the data are not distributed as the prior), exact with ``smc=True``.
    :attr:`exact` says whether the plain trajectory (no weights) targets p r exactly.
    """

    def __init__(self, y: torch.Tensor, sigma, start: str = "matched", product: str = "balanced"):
        self.gamma, self.noised = per_step_power(product), product == "noised"
        if start not in DENOISE_STARTS:
            raise ValueError(f"denoising start must be one of {DENOISE_STARTS}")
        self.y = y
        self.sigma = torch.as_tensor(sigma, dtype=y.dtype, device=y.device)
        if float(self.sigma.min()) <= 0:
            raise ValueError("the noise level must be positive")
        self.start_mode = start
        self._t_star = None
        self._r_var = self.sigma ** 2  # the variance of the part of r the product and the weights apply

    @property
    def exact(self) -> bool:
        """True when the plain reverse trajectory samples p(x_0 | y) exactly (one matched level)."""
        return self._t_star is not None and bool(torch.isinf(self._r_var).all())

    def start(self, diffusion, shape, generator=None, device=None, dtype=torch.float32):
        self._t_star, self._r_var = None, self.sigma ** 2
        if self.start_mode != "matched":
            return None
        if diffusion.family != "gaussian":
            raise ValueError("denoising with a Gaussian likelihood needs a Gaussian model")
        var = self.sigma ** 2
        v_max = float(var.max())
        if -math.log1p(v_max) <= float(diffusion._log_alpha_bar_table()[-1]):
            return None  # noisier than x_T itself: start at x_T ~ pi r
        t_star = matched_time(diffusion, v_max)
        ab = math.exp(float(diffusion.log_alpha_bar(torch.tensor([t_star]))[0]))
        self._t_star = t_star
        self._r_var = torch.where(var >= v_max, torch.full_like(var, math.inf), 1 / (1 / var - 1 / v_max))
        return t_star, math.sqrt(ab) * self.y.expand(shape).to(device=device, dtype=dtype)

    def prepare(self, x, t, diffusion, generator=None):
        if self._t_star is not None:
            return x
        # x_T ~ pi(x) r(x) = N(y / (1 + s^2), s^2 / (1 + s^2)).
        var = self.sigma ** 2
        post_var = var / (1 + var)
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return self.y / (1 + var) + torch.sqrt(post_var) * noise

    def apply(self, dist, x_t, t, s, diffusion, generator=None):
        if self.exact:
            return dist
        var = (self._r_var / self.gamma).expand_as(dist.mean)
        if self.noised:
            return gaussian_product(dist, *noised_evidence(diffusion, s, self.y, var))
        return gaussian_product(dist, self.y, var)

    def log_r(self, x0, x0_var=None):
        if self.exact:
            return None
        return gaussian_log_r(x0, self.y, self._r_var.expand_as(x0), x0_var)

    def start_log_tilt(self, x):
        return None if self._t_star is not None else gaussian_log_r(x, self.y, (self.sigma ** 2).expand_as(x))


def censored_mean(y: torch.Tensor, x_hat: torch.Tensor, sigma, levels: int = 255) -> torch.Tensor:
    """The expectation step for a clipped file: ``y`` with each clipped pixel replaced by
    the mean of the value it stands for.

    A real file stores q(x + s n): quantised to ``levels`` steps and clipped to [0, 1]. A
    pixel stored as 0 does not say x + s n = 0 but x + s n < lo = 0.5 / levels (the
    rounding threshold), a likelihood Phi((lo - x) / s) rather than N(0; x, s^2); at the
    top, x + s n > hi = 1 - 0.5 / levels. Given an estimate ``x_hat`` of x (any shape
    broadcasting with ``y``; in [0, 1] units like ``y`` and ``sigma``), the unclipped
    value of such a pixel has the truncated-normal mean
        below:  x_hat - s phi(a) / Phi(a),      a = (lo - x_hat) / s,
        above:  x_hat + s phi(b) / (1 - Phi(b)), b = (hi - x_hat) / s,
    so ``y`` turns back into an observation x + s n with Gaussian noise, which is what
    r(x_0) = N(y; x_0, s^2 I) and the denoiser assume. One such step (x_hat from one
    denoising pass, then denoising again) is an EM iteration for the censored likelihood
    (measured in docs/benchmarks.md). Only pixels exactly at 0 or 1 are replaced;
    the quantisation's own noise, variance 1 / (12 levels^2), is not added: from s = 1 step
    the exact likelihood of a rounded pixel (the Gaussian convolved with the step's box) is
    N(sqrt(s^2 + 1/12)) to 1 % in likelihood ratio, and a denoiser told s rather than that
    did better by under 0.01 dB at s = 1-5 (docs/file-likelihood.md). ``sigma`` may be a
    tensor broadcasting with ``y``: the noise std at each pixel (signal-dependent noise,
    s = sqrt(a x_hat + b)).
    """
    if torch.is_tensor(sigma):
        sigma = sigma.double()
        if not bool((sigma > 0).all()):
            raise ValueError("the noise level must be positive")
    elif not sigma > 0:
        raise ValueError("the noise level must be positive")
    y64, x64 = y.double(), x_hat.double().expand_as(y)
    lo, hi = 0.5 / levels, 1.0 - 0.5 / levels
    a, b = (lo - x64) / sigma, (hi - x64) / sigma
    log_phi = lambda z: -0.5 * z * z - 0.5 * math.log(2 * math.pi)  # noqa: E731
    below = x64 - sigma * torch.exp(log_phi(a) - torch.special.log_ndtr(a))
    above = x64 + sigma * torch.exp(log_phi(b) - torch.special.log_ndtr(-b))
    out = torch.where(y64 == 0, below, torch.where(y64 == 1, above, y64))
    return out.to(y.dtype)


class LogDensity(Condition):
    """Any differentiable log r: each kernel's mean moves to mu + gamma Sigma d log r / dx at mu.

    ``log_r`` maps a batch x (B, ...) to log r per example (B,) or per element. This is
    the paper's first-order perturbation (appendix C, gamma = 1 with ``product="paper"``),
    right when r is smooth on the scale of one step's variance; the default gamma = 1/2
    applies r once over the trajectory (see the module's docstring).
    """

    def __init__(self, log_r, product: str = "balanced"):
        self.log_r_fn = log_r
        self.gamma = per_step_power(product, ("balanced", "paper"))

    def apply(self, dist, x_t, t, s, diffusion, generator=None):
        if not isinstance(dist, GaussianDist):
            raise ValueError("a log-density condition needs a Gaussian model")
        with torch.enable_grad():
            m = dist.mean.detach().requires_grad_(True)
            grad, = torch.autograd.grad(self.log_r_fn(m).sum(), m)
        return GaussianDist(dist.mean + self.gamma * dist.var * grad, dist.var)

    def log_r(self, x0, x0_var=None):
        with torch.no_grad():
            return self.log_r_fn(x0)


class BinaryEvidence(Condition):
    """Binomial r: independent evidence d = r(x = 1) per bit (0.5 = no information).

    Each step multiplies the kernel by r^(1/2) (``product="balanced"``), so B(0.5) bits with
    d = 0.9 end at P(x = 1) = 0.9; ``product="paper"`` applies d itself at every step.
    """

    def __init__(self, d: torch.Tensor, product: str = "balanced"):
        self.d = d.clamp(0, 1)
        self.step_d = binary_power(self.d, per_step_power(product))
        self.noised = product == "noised"

    def apply(self, dist, x_t, t, s, diffusion, generator=None):
        if not isinstance(dist, BernoulliDist):
            raise ValueError("binary evidence needs a binomial model")
        return binary_product(dist, noised_bit_evidence(diffusion, s, self.d) if self.noised else self.step_d)

    def log_r(self, x0, x0_var=None):
        return binary_log_r(x0, self.d)

    def weight_mask(self, x):
        return ((self.d > 0) & (self.d < 1)).expand_as(x)
