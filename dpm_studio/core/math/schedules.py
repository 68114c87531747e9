"""Forward diffusion rate schedules b_1 .. b_T.

Every schedule is a ``torch.nn.Module`` whose :meth:`betas` returns a float64 tensor
of length T, entry ``i`` holding b_{i+1} (the rate of forward step i -> i+1). Fixed
schedules keep their rates in a buffer; :class:`LearnedSchedule` holds b_2 .. b_T as
parameters trained by gradient ascent on the bound K, with b_1 fixed, as in the paper
(Sohl-Dickstein et al. 2015, section 2.4.1). Schedules are described by a small JSON
dictionary (``spec``) so a checkpoint card can rebuild them.
"""

from __future__ import annotations

import math

import torch
from torch import nn

# The original code's squashing of the rates into [min, 1 - 1e-5].
_MIN_BETA = 1e-6
_MAX_BETA = 1.0 - 1e-5


def _squash(b: torch.Tensor, b1_offset: float = 0.0) -> torch.Tensor:
    lo = torch.full_like(b, _MIN_BETA)
    lo[0] = lo[0] + b1_offset
    return lo + b * (1.0 - lo - 1e-5)


def paper_betas(T: int) -> torch.Tensor:
    """The paper's heartbeat schedule b_t = 1 / (T - t + 1), t = 1..T.

    It gives prod_{s<=t} (1 - b_s) = (T - t) / T, so the keep probability falls
    linearly to zero. b_T = 1 is squashed to 1 - 1e-5 so logit(b_t) stays finite.
    """
    t = torch.arange(1, T + 1, dtype=torch.float64)
    return _squash(1.0 / (T - t + 1))


def code_betas(T: int, step1: float = 1e-3) -> torch.Tensor:
    """The authors' code: b = 1 / linspace(T, 2, T), squashed, plus ``step1`` on b_1."""
    base = 1.0 / torch.linspace(float(T), 2.0, T, dtype=torch.float64)
    return _squash(base, b1_offset=step1)


def linear_betas(T: int, start: float = 1e-4, end: float = 0.02) -> torch.Tensor:
    """Linear rates (Ho et al. 2020), scaled by 1000 / T so the total noise is T-invariant."""
    scale = 1000.0 / T
    return torch.linspace(start * scale, min(end * scale, 0.999), T, dtype=torch.float64)


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """Cosine schedule (Nichol & Dhariwal 2021): alpha_bar(t) = cos^2((t/T + s)/(1 + s) pi/2)."""
    t = torch.arange(T + 1, dtype=torch.float64) / T
    f = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2
    ab = f / f[0]
    return (1 - ab[1:] / ab[:-1]).clamp(max=max_beta)


def geometric_betas(T: int, start: float = 1e-4, end: float = 0.999) -> torch.Tensor:
    """Noise variance 1 - alpha_bar(t) growing geometrically from ``start`` (= b_1) to ``end``.

    Every step then shrinks the remaining noise by the same factor, so each reverse step
    is equally hard: a good start for data on a thin manifold (the swiss roll).
    """
    v = torch.exp(torch.linspace(math.log(start), math.log(end), T, dtype=torch.float64))
    ab = torch.cat([torch.ones(1, dtype=torch.float64), 1 - v])
    return 1 - ab[1:] / ab[:-1]


FIXED = {
    "paper": paper_betas,
    "code": code_betas,
    "linear": linear_betas,
    "cosine": cosine_betas,
    "geometric": geometric_betas,
}


class Schedule(nn.Module):
    """A fixed schedule: the rates live in a float64 buffer."""

    learned = False

    def __init__(self, kind: str, T: int, **kwargs):
        super().__init__()
        if kind not in FIXED:
            raise ValueError(f"unknown schedule {kind!r}; choose one of {sorted(FIXED)} or 'learned'")
        if T < 2:
            raise ValueError("a trajectory needs T >= 2 steps")
        self.kind, self.T, self.kwargs = kind, int(T), dict(kwargs)
        self.register_buffer("_betas", FIXED[kind](self.T, **kwargs))

    def betas(self) -> torch.Tensor:
        return self._betas

    def spec(self) -> dict:
        return {"kind": self.kind, "T": self.T, **self.kwargs}


class LearnedSchedule(nn.Module):
    """b_1 fixed, b_2..b_T = lo + (hi - lo) sigmoid(theta), theta trained through K.

    ``init`` names the fixed schedule the parameters start from. Gradients reach theta
    through the "frozen noise" reparametrisation x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps
    used in the bound, and through the analytic entropy terms.
    """

    learned = True

    def __init__(self, T: int, init: str = "code", b1: float | None = None,
                 lo: float = 1e-5, hi: float = 0.999, **init_kwargs):
        super().__init__()
        base = FIXED[init](int(T), **init_kwargs)
        self.T, self.init, self.lo, self.hi, self.init_kwargs = int(T), init, lo, hi, dict(init_kwargs)
        b1 = float(base[0]) if b1 is None else float(b1)
        self.b1 = b1
        self.register_buffer("_b1", torch.tensor([b1], dtype=torch.float64))
        frac = ((base[1:] - lo) / (hi - lo)).clamp(1e-6, 1 - 1e-6)
        self.theta = nn.Parameter(torch.log(frac) - torch.log1p(-frac))

    def betas(self) -> torch.Tensor:
        rest = self.lo + (self.hi - self.lo) * torch.sigmoid(self.theta.double())
        return torch.cat([self._b1, rest])

    def spec(self) -> dict:
        return {"kind": "learned", "T": self.T, "init": self.init, "b1": self.b1,
                "lo": self.lo, "hi": self.hi, **self.init_kwargs}


def make_schedule(spec: dict) -> nn.Module:
    """Build a schedule from its JSON ``spec`` (as written on a checkpoint card)."""
    spec = dict(spec)
    kind = spec.pop("kind")
    T = spec.pop("T")
    if kind == "learned":
        return LearnedSchedule(T, **spec)
    return Schedule(kind, T, **spec)
