"""Dead leaves images (Lee, Mumford & Huang 2001), generated, never downloaded.

The model: opaque discs ("leaves") fall on the plane one after another; every pixel
shows the grey level of the disc on top of it.  The paper (Sohl-Dickstein et al. 2015,
Table 1 and 2) trains on dead leaves images but gives neither size nor exponent, so ours
are documented here.

Parameters (all lengths in pixels, the image spans [0, size] x [0, size], a pixel is
covered when its centre lies in a disc, boundary included):

- radius density p(r) proportional to r**-exponent on [r_min, r_max], default exponent 3
  (the scale-invariant choice of Lee, Mumford & Huang: equal covered area per octave of
  radius), r_min = 1, r_max = 1000, so an image of size <= 1000 sees discs at every
  scale from single pixels to the whole frame.  The defaults do not depend on ``size``:
  a 32 x 32 image is statistically a crop of a 64 x 64 one.
- disc centres: a homogeneous Poisson process in the plane.  Only discs that can touch
  the image matter, so a disc of radius r gets its centre uniform in the square
  [-r, size + r]^2; radii are therefore drawn from r**-exponent * (size + 2r)**2 on
  [r_min, r_max] (an exact mixture of three power laws, sampled by inverse CDF).  Discs
  of the corner regions that miss the frame paint nothing; the result is exactly the
  restriction of the stationary dead leaves process to the frame, no border effects.
- grey levels: i.i.d. per disc, by default uniform on ``grey_range`` = (0, 1); or any
  callable ``grey(shape, generator) -> tensor`` in [0, 1] (e.g. a Beta law).  Each pixel
  shows one disc's grey, so the marginal of every pixel is exactly the grey law (mean
  1/2, std 1/sqrt(12) for the default).  Values are continuous (not 8-bit), so no
  dequantisation noise is needed.
- number of discs: the stack is built from the top down (the first disc drawn is the
  topmost, later discs only paint pixels still uncovered), which is the exact "perfect
  simulation" of the infinite process; drawing stops as soon as every pixel is
  covered.  With the defaults a 64 x 64 image needs a few thousand discs.  A safety cap
  ``max_discs`` per image ends pathological settings (tiny r_min): pixels still
  uncovered then get one last background grey drawn from the same law.

Vectorisation: all n images advance together in rounds.  A round draws K discs per
still-unfinished image (K chosen so that each pixel is covered by about three of them on
average), rasterises every disc inside its own bounding box (discs are grouped by box
size so each group is one broadcast), keeps for each pixel the topmost disc of the
round and paints the pixels that were still uncovered.  The work is about (number of
layers drawn ~ log of the pixel count) x pixels, and does not grow with the number of
tiny discs that end up hidden.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

DEFAULT_R_MIN = 1.0
DEFAULT_R_MAX = 1000.0
DEFAULT_EXPONENT = 3.0
DEFAULT_MAX_DISCS = 200_000

_PAIR_BUDGET = 1 << 23  # (disc, pixel) box tests per round, bounds memory
_LAYERS_PER_ROUND = 3.0  # mean number of discs over a pixel drawn per round

GreyLaw = Callable[[tuple, torch.Generator | None], torch.Tensor]


def _power_integral(beta: float, a: float, b: float) -> float:
    """int_a^b r**-beta dr."""
    if abs(beta - 1.0) < 1e-12:
        return math.log(b / a)
    return (b ** (1.0 - beta) - a ** (1.0 - beta)) / (1.0 - beta)


def _power_inverse_cdf(u: torch.Tensor, beta: float, a: float, b: float) -> torch.Tensor:
    """Inverse CDF of the density proportional to r**-beta on [a, b], at u in [0, 1)."""
    if abs(beta - 1.0) < 1e-12:
        return a * torch.exp(u * math.log(b / a))
    e = 1.0 - beta
    lo, hi = a ** e, b ** e
    return (lo + u * (hi - lo)) ** (1.0 / e)


def _radius_mixture(size: float, r_min: float, r_max: float, exponent: float):
    """(component probabilities, exponents) for r**-exponent * (size + 2r)**2."""
    # (size + 2r)^2 = size^2 + 4 size r + 4 r^2
    betas = (exponent, exponent - 1.0, exponent - 2.0)
    coefs = (size * size, 4.0 * size, 4.0)
    w = [c * _power_integral(bt, r_min, r_max) for c, bt in zip(coefs, betas)]
    total = sum(w)
    return [x / total for x in w], betas


def _sample_window_radii(shape, size, r_min, r_max, exponent, generator) -> torch.Tensor:
    probs, betas = _radius_mixture(float(size), r_min, r_max, exponent)
    comp_u = torch.rand(shape, generator=generator, dtype=torch.float64)
    u = torch.rand(shape, generator=generator, dtype=torch.float64)
    r = _power_inverse_cdf(u, betas[0], r_min, r_max)
    edge = probs[0]
    for p, beta in zip(probs[1:], betas[1:]):
        sel = comp_u >= edge
        if bool(sel.any()):
            r = torch.where(sel, _power_inverse_cdf(u, beta, r_min, r_max), r)
        edge += p
    return r.clamp_(r_min, r_max).float()


def _draw_grey(shape, grey, grey_range, generator) -> torch.Tensor:
    if callable(grey):
        g = torch.as_tensor(grey(tuple(shape), generator), dtype=torch.float32)
        if tuple(g.shape) != tuple(shape):
            raise ValueError(f"grey law returned shape {tuple(g.shape)}, expected {tuple(shape)}")
        return g.clamp(0.0, 1.0)
    if grey != "uniform":
        raise ValueError(f"unknown grey law {grey!r}: use 'uniform' or a callable")
    lo, hi = grey_range
    return lo + (hi - lo) * torch.rand(shape, generator=generator)


def grey_moments(grey="uniform", grey_range=(0.0, 1.0), samples: int = 200_000) -> tuple[float, float]:
    """Mean and std of one pixel of a dead leaves image (= those of the grey law).

    Exact for the uniform law; estimated from ``samples`` fixed-seed draws otherwise.
    """
    if grey == "uniform":
        lo, hi = grey_range
        return (lo + hi) / 2.0, (hi - lo) / math.sqrt(12.0)
    g = _draw_grey((samples,), grey, grey_range, torch.Generator().manual_seed(0)).double()
    return float(g.mean()), float(g.std())




def _box_classes(size: int) -> list[int]:
    """Box sides used to group discs: 1..8 exactly, then steps of ~25 %, up to size."""
    sides = list(range(1, min(8, size) + 1))
    while sides[-1] < size:
        sides.append(min(size, max(sides[-1] + 1, int(math.ceil(sides[-1] * 1.25)))))
    return sides


def _paint_round(best, r, cx, cy, rows, size, classes):
    """Lowest disc id covering each pixel (scatter-min into ``best``).

    r, cx, cy: flat (D,) per disc; rows: (D,) image index of each disc; disc ids are
    their positions 0..D-1, lower id = higher in the stack.
    """
    npix = size * size
    # integer range of pixel rows / columns whose centres can be inside the disc
    y0 = torch.ceil(cy - r - 0.5).clamp_(min=0)
    y1 = torch.floor(cy + r - 0.5).clamp_(max=size - 1)
    x0 = torch.ceil(cx - r - 0.5).clamp_(min=0)
    x1 = torch.floor(cx + r - 0.5).clamp_(max=size - 1)
    side = torch.maximum(y1 - y0, x1 - x0) + 1  # <= 0 when the disc misses the frame
    ids = torch.arange(r.numel())
    lo = 0
    for cls in classes:
        sel = (side > lo) & (side <= cls)
        lo = cls
        if not bool(sel.any()):
            continue
        d = ids[sel]
        off = torch.arange(cls, dtype=torch.float32)
        yy = y0[d].unsqueeze(1) + off  # (Dc, cls)
        xx = x0[d].unsqueeze(1) + off
        dy = yy + 0.5 - cy[d].unsqueeze(1)
        dx = xx + 0.5 - cx[d].unsqueeze(1)
        dy2 = torch.where(yy <= y1[d].unsqueeze(1), dy * dy, torch.full_like(dy, math.inf))
        dx2 = torch.where(xx <= x1[d].unsqueeze(1), dx * dx, torch.full_like(dx, math.inf))
        rr = (r[d] * r[d]).view(-1, 1, 1)
        hit = (dy2.unsqueeze(2) + dx2.unsqueeze(1)) <= rr  # (Dc, cls, cls)
        k, i, j = hit.nonzero(as_tuple=True)
        pix = rows[d][k] * npix + yy[k, i].long() * size + xx[k, j].long()
        best.scatter_reduce_(0, pix, d[k], reduce="amin")


def dead_leaves(
    n: int,
    size: int,
    generator: torch.Generator | None = None,
    *,
    r_min: float = DEFAULT_R_MIN,
    r_max: float = DEFAULT_R_MAX,
    exponent: float = DEFAULT_EXPONENT,
    grey: str | GreyLaw = "uniform",
    grey_range: tuple[float, float] = (0.0, 1.0),
    max_discs: int = DEFAULT_MAX_DISCS,
) -> torch.Tensor:
    """n dead leaves images, shape (n, 1, size, size), float32 in [0, 1].

    Deterministic for a given ``generator`` state (all randomness is drawn from it, in
    an order fixed by n, size and the parameters).  See the module docstring for the
    meaning of the parameters.
    """
    n, size = int(n), int(size)
    if n < 0 or size < 1:
        raise ValueError("need n >= 0 and size >= 1")
    if not (0 < r_min <= r_max):
        raise ValueError("need 0 < r_min <= r_max")
    lo, hi = grey_range
    if not (0.0 <= lo <= hi <= 1.0):
        raise ValueError("grey_range must lie in [0, 1]")
    npix = size * size
    img = torch.zeros(n * npix, dtype=torch.float32)
    if n == 0:
        return img.view(0, 1, size, size)
    covered = torch.zeros(n * npix, dtype=torch.bool)
    classes = _box_classes(size)
    # discs per image that put on average one layer over every pixel
    probs, betas = _radius_mixture(float(size), r_min, r_max, exponent)
    w_total = sum(c * _power_integral(bt, r_min, r_max)
                  for c, bt in zip((size * size, 4.0 * size, 4.0), betas))
    per_layer = w_total / (math.pi * _power_integral(exponent - 2.0, r_min, r_max))
    active = torch.arange(n)
    drawn = 0
    while active.numel() > 0 and drawn < max_discs:
        a = active.numel()
        layers = min(_LAYERS_PER_ROUND, _PAIR_BUDGET / (1.5 * a * npix))
        k = int(max(1, min(math.ceil(layers * per_layer), max_discs - drawn)))
        r = _sample_window_radii((a, k), size, r_min, r_max, exponent, generator)
        span = size + 2.0 * r
        cx = torch.rand((a, k), generator=generator) * span - r
        cy = torch.rand((a, k), generator=generator) * span - r
        g = _draw_grey((a, k), grey, grey_range, generator).reshape(-1)
        drawn += k
        sentinel = a * k
        best = torch.full((n * npix,), sentinel, dtype=torch.long)
        rows = active.repeat_interleave(k)
        _paint_round(best, r.reshape(-1), cx.reshape(-1), cy.reshape(-1), rows, size, classes)
        new = (best < sentinel) & ~covered
        idx = new.nonzero(as_tuple=True)[0]
        img[idx] = g[best[idx]]
        covered[idx] = True
        active = (~covered.view(n, npix)).any(dim=1).nonzero(as_tuple=True)[0]
    if active.numel() > 0:  # safety cap reached: one background leaf per image
        bg = _draw_grey((n,), grey, grey_range, generator)
        rest = (~covered).nonzero(as_tuple=True)[0]
        img[rest] = bg[rest // npix]
    return img.view(n, 1, size, size)
