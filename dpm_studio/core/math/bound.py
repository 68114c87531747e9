"""The bound K on the log likelihood (paper eq. 14), L_null, and log p(x_0) by importance sampling.

    K = - sum_{t=2..T} E_q[ KL( q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t) ) ]
        + H_q(X_T | X_0) - H_q(X_1 | X_0) - H_p(X_T)

Everything here is computed per example in nats and reported in bits per *unit*: a
unit is what the caller divides by (the number of spatial pixels for images, colour
channels summed; 1 for a sequence or a point). The paper's K leaves out the first step
p(x_0 | x_1) and the mismatch between q(x_T | x_0) and pi; the exact evidence lower
bound of our model,

    ELBO = - KL(q(x_T | x_0) || pi) - sum_{t>=2} E KL(...) + E_q log p(x_0 | x_1),

is reported beside it. With the fixed first step (the forward kernel read backwards,
p(x_0|x_1) = N(sqrt(1-b_1) x_1, b_1) or B(x_1 (1-b_1) + p b_1)) the two agree in
expectation over data whose per-dimension second moment is 1 (Gaussian) or whose
rate of ones is p (binomial): the edge terms differ by (1 - x_0^2)(b_1 + ab_T)/2
nats per dimension in the Gaussian case, and by b_1 log(p/(1-p)) (x_0 - p) in the
binomial one. Importance sampling over N forward trajectories gives an estimate of
log p(x_0) whose expectation grows with N from the ELBO (N = 1) towards log p(x_0).

Long evaluations are generators yielding :class:`Progress` records and returning their
result through the final record's ``result``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

LN2 = math.log(2.0)


def per_example(x: torch.Tensor) -> torch.Tensor:
    """Sum over every dimension but the first."""
    return x.reshape(x.shape[0], -1).sum(1)


def to_bits(nats, unit_size: float = 1.0):
    """Convert nats per example to bits per unit."""
    return nats / (LN2 * unit_size)


DEQUANTISED_8BIT = "x = (v + U(0,1)) / 256"  # the image recipes' dequantisation, as their cards record it


def standard_units(K: float, data: dict, family: str, units: str) -> dict:
    """K (bits per unit, as measured) beside the figure papers report: an upper bound on the
    negative log-likelihood in bits per dimension.

    - 8-bit images (``data`` records the dequantisation x = (v + u) / 256, u ~ U(0, 1), and
      the model sees z = (x - mean) / std): K is a bound on the density of z summed over the
      C channels of a pixel. Per dimension the density of x is that of z divided by std, and
      a bin of the 8-bit scale is 1/256 wide, so log2 P(v) >= K / C - log2 std - 8 and
          NLL <= 8 + log2(std) - K / C   bits/dim
      (Nichol & Dhariwal 2021 report 2.94 on CIFAR-10 in these units).
    - binary data (a binomial model of 0/1 values): K is already a log-probability, so
      NLL <= -K / (dimensions per unit) bits/dim.
    - continuous data (dead leaves, toys): K bounds a differential log-density of the
      unit-variance data; it has no 8-bit equivalent (None).

    Returns ``{"nll_bits_per_dim": float | None, "meaning": str}``.
    """
    deq = str(data.get("provenance", {}).get("augmentation", {}).get("dequantisation", "")) \
        if isinstance(data.get("provenance"), dict) else ""
    channels = int(data.get("channels", 1))
    if deq == DEQUANTISED_8BIT:
        std = float(data["scale"]["std"])
        return {"nll_bits_per_dim": 8.0 + math.log2(std) - K / channels,
                "meaning": f"K: a lower bound on log2 density of dequantised pixels in unit-variance space, "
                           f"{channels} channel(s) summed per pixel; as NLL on the 8-bit scale: 8 + log2({std:.4f}) "
                           f"- K/{channels} bits/dim"}
    if family == "binomial":
        dims = channels if units == "bits/pixel" else int(math.prod(data.get("shape", [1])))
        return {"nll_bits_per_dim": -K / dims,
                "meaning": f"K: a lower bound on log2 P of the binary data per {units.split('/')[-1]}; "
                           f"NLL = -K/{dims} bits/dim"}
    return {"nll_bits_per_dim": None,
            "meaning": "K: a lower bound on a differential log2 density of continuous, unit-variance data; "
                       "no 8-bit equivalent"}


@dataclass
class Progress:
    """A step record of a long evaluation: ``done`` of ``total`` units of work."""

    done: int
    total: int
    result: object = None


@dataclass
class BoundResult:
    """The bound on held-out data, in bits per unit; stderr is of the mean over examples."""

    K: float
    K_stderr: float
    L_null: float
    K_minus_L_null: float
    elbo: float
    terms: dict
    units: str
    n: int
    K_per_dim: float = float("nan")
    per_example_K: torch.Tensor = field(repr=False, default=None)

    def as_dict(self) -> dict:
        return {"K": self.K, "K_stderr": self.K_stderr, "L_null": self.L_null,
                "K_minus_L_null": self.K_minus_L_null, "elbo": self.elbo, "K_per_dim": self.K_per_dim,
                "terms": self.terms, "units": self.units, "n": self.n}


def kl_at(diffusion, net, x0: torch.Tensor, t, generator=None, noise=None) -> torch.Tensor:
    """KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)) per element, nats, x_t ~ q(x_t | x_0).

    ``noise`` freezes the Gaussian draw of x_t (the paper's reparametrisation, which is
    how a learned schedule receives gradients).
    """
    if diffusion.family == "gaussian":
        x_t = diffusion.q_sample(x0, t, noise=noise, generator=generator)
    else:
        x_t = diffusion.q_sample(x0, t, generator=generator)
    q = diffusion.q_posterior(x0, x_t, t)
    p, _ = diffusion.p_dist(net, x_t, t)
    return diffusion.kl(q, p)


def first_step_log_prob(diffusion, net, x0: torch.Tensor, generator=None) -> torch.Tensor:
    """log p(x_0 | x_1) per element, nats: exact E_q(x_1|x_0) for the fixed first step,
    one draw x_1 ~ q(x_1 | x_0) for a learned one."""
    if diffusion.first_step == "fixed":
        return diffusion.fixed_first_step_expected_log_prob(x0)
    x1 = diffusion.q_sample(x0, 1.0, generator=generator)
    p, _ = diffusion.p_dist(net, x1, 1.0, 0.0)
    return diffusion.log_prob(p, x0)


def analytic_terms(diffusion, x0: torch.Tensor) -> dict:
    """H_q(X_T|X_0), H_q(X_1|X_0), H_p(X_T), KL(q(x_T|x_0)||pi), log pi(x_0); per example, nats."""
    h_T, h_1, h_p = diffusion.entropy_terms(x0)
    return {"H_q_T": per_example(h_T), "H_q_1": per_example(h_1), "H_p_T": per_example(h_p),
            "prior_kl": per_example(diffusion.prior_kl(x0)),
            "L_null": per_example(diffusion.null_log_likelihood(x0))}


def training_objective(diffusion, net, x0: torch.Tensor, generator=None) -> dict:
    """One-sample estimate of K per example (nats), the quantity training maximises.

    As in the authors' code, one random t in 2..T per example stands for the whole KL sum
    (scaled by T - 1). With a learned first step, t is drawn from 1..T instead and t = 1
    contributes T (log p(x_0 | x_1) + H_q(X_1|X_0)), which trains p(x_0 | x_1) and adds
    its gain over the paper's fixed edge to the estimate. Returns per-example tensors
    ``K`` (the estimate) and ``loss`` (-K per data dimension, for an optimiser).
    """
    B = x0.shape[0]
    T = diffusion.T
    dev = x0.device
    terms = analytic_terms(diffusion, x0)
    const = terms["H_q_T"] - terms["H_q_1"] - terms["H_p_T"]
    if diffusion.first_step == "learned":
        t = torch.randint(1, T + 1, (B,), generator=generator, device=dev)
        first = t == 1
        t_kl = torch.where(first, torch.full_like(t, 2), t)
        kl = per_example(kl_at(diffusion, net, x0, t_kl.double(), generator))
        lp = per_example(first_step_log_prob(diffusion, net, x0, generator) if first.any()
                         else torch.zeros_like(x0))
        est = torch.where(first, T * (lp + terms["H_q_1"]), -T * kl)
    else:
        t = torch.randint(2, T + 1, (B,), generator=generator, device=dev)
        est = -(T - 1) * per_example(kl_at(diffusion, net, x0, t.double(), generator))
    K = est + const
    dims = x0[0].numel()
    return {"K": K, "loss": -K / dims, "t": t}


def _bound_result(kl_sum, terms, x0, unit_size, units, lp1=None, extra=None) -> BoundResult:
    """K (eq. 14), the ELBO when the first-step term ``lp1`` is known, in bits per unit."""
    B = x0.shape[0]
    K = -kl_sum + terms["H_q_T"] - terms["H_q_1"] - terms["H_p_T"]
    bits = lambda v: float(to_bits(v.mean(), unit_size))  # noqa: E731
    out_terms = {"kl_sum": bits(kl_sum), "H_q_T": bits(terms["H_q_T"]), "H_q_1": bits(terms["H_q_1"]),
                 "H_p_T": bits(terms["H_p_T"]), "prior_kl": bits(terms["prior_kl"])}
    elbo = float("nan")
    if lp1 is not None:
        elbo = bits(-terms["prior_kl"] - kl_sum + lp1)
        out_terms["first_step_log_prob"] = bits(lp1)
    out_terms.update(extra or {})
    return BoundResult(
        K=bits(K), K_stderr=float(to_bits(K.std(), unit_size) / math.sqrt(max(B - 1, 1))),
        L_null=bits(terms["L_null"]), K_minus_L_null=bits(K - terms["L_null"]), elbo=elbo, terms=out_terms,
        units=units, n=B, K_per_dim=float(to_bits(K.mean(), x0[0].numel())), per_example_K=to_bits(K, unit_size))


def evaluate_bound(diffusion, net, x0: torch.Tensor, *, unit_size: float = 1.0, units: str = "bits",
                   n_mc: int = 1, generator=None, max_batch: int = 4096):
    """The full sum over t = 2..T of the bound on ``x0`` (a held-out batch).

    Each t uses ``n_mc`` draws of x_t per example. A generator of :class:`Progress`; the
    last record's ``result`` is a :class:`BoundResult`.
    """
    T = diffusion.T
    B = x0.shape[0]
    x0r = x0.repeat(n_mc, *([1] * (x0.dim() - 1)))
    per_chunk = max(1, max_batch // x0r.shape[0])
    kl_sum = torch.zeros(B, dtype=torch.float64, device=x0.device)
    ts = list(range(2, T + 1))
    # No yield inside a grad-mode context: the consumer runs between yields.
    for i in range(0, len(ts), per_chunk):
        chunk = ts[i:i + per_chunk]
        with torch.no_grad():
            xs = x0r.repeat(len(chunk), *([1] * (x0.dim() - 1)))
            tt = torch.tensor(chunk, dtype=torch.float64, device=x0.device).repeat_interleave(x0r.shape[0])
            kl = per_example(kl_at(diffusion, net, xs, tt, generator)).double()
            kl_sum += kl.reshape(len(chunk), n_mc, B).mean(1).sum(0)
        yield Progress(min(i + per_chunk, len(ts)), len(ts))
    with torch.no_grad():
        lp1 = torch.stack([per_example(first_step_log_prob(diffusion, net, x0, generator)).double()
                           for _ in range(n_mc)]).mean(0)
        terms = {k: v.double() for k, v in analytic_terms(diffusion, x0).items()}
    result = _bound_result(kl_sum, terms, x0, unit_size, units, lp1=lp1)
    yield Progress(len(ts), len(ts), result)


def t_strata(T: int, n_t: int, spacing: str = "log") -> tuple[torch.Tensor, torch.Tensor]:
    """Strata of the steps 2..T for :func:`estimate_bound`: (first step, number of steps) of each.

    ``"log"``: about ``n_t`` strata with geometrically growing widths (2, 4, 9, 20, 44, ... for
    T = 1000 and n_t = 8), each at least one step wide, so fewer when n_t is near T. The KL
    terms of a diffusion fall roughly as 1/t, so each such stratum holds a similar share of
    the sum and varies by a bounded factor within: with 8 strata the run-to-run s.d. of K on
    the shipped textures' held-out set fell from 1.8 (equal widths) to 0.06 bits/pixel.
    ``"uniform"``: ``n_t`` equal widths (the estimator before).
    """
    if spacing == "uniform":
        n_t = min(n_t, T - 1)  # at most one stratum per step (more gave strata of no steps)
        lo = 2 + torch.floor(torch.arange(n_t, dtype=torch.float64) * (T - 1) / n_t)
        hi = torch.cat([lo[1:], torch.tensor([T + 1.0], dtype=torch.float64)])
        return lo, hi - lo
    if spacing != "log":
        raise ValueError("the step strata must be 'log' or 'uniform'")
    edges = [2]
    for k in range(1, n_t + 1):
        e = max(edges[-1] + 1, int(round(2 * ((T + 1) / 2) ** (k / n_t))))
        edges.append(min(e, T + 1))
        if edges[-1] == T + 1:
            break
    edges[-1] = T + 1
    e = torch.tensor(edges, dtype=torch.float64)
    return e[:-1], e[1:] - e[:-1]


def estimate_bound(diffusion, net, x0: torch.Tensor, *, n_t: int = 16, unit_size: float = 1.0,
                   units: str = "bits", generator=None, max_batch: int = 1024, spacing: str = "log"):
    """A cheaper unbiased estimate of K: about ``n_t`` stratified steps per example instead of all T-1.

    The steps 2..T are cut into strata (:func:`t_strata`; ``spacing="log"`` by default) and
    each example gets its own uniform draw of t in every stratum, weighted by the stratum's
    width, so the per-example estimates are independent and ``K_stderr`` covers both the
    data and the choice of steps. A generator of :class:`Progress` like
    :func:`evaluate_bound`; the ELBO and first-step terms are not estimated here (NaN).
    """
    T, B = diffusion.T, x0.shape[0]
    n_t = max(1, min(n_t, T - 1))
    dev = x0.device
    lo, width = (v.to(dev) for v in t_strata(T, n_t, spacing))
    n_s = lo.shape[0]
    u = torch.rand(B, n_s, generator=generator, dtype=torch.float64, device=dev)
    if spacing == "uniform":  # exactly the earlier draws
        ts = (2 + torch.floor((torch.arange(n_s, dtype=torch.float64, device=dev)[None, :] + u) / n_s
                              * (T - 1))).clamp(max=T)
        weight = torch.full((n_s,), (T - 1) / n_s, dtype=torch.float64, device=dev)
    else:
        ts = lo[None, :] + torch.floor(u * width[None, :]).clamp(max=width[None, :] - 1)
        weight = width
    kl_sum = torch.zeros(B, dtype=torch.float64, device=dev)
    per_chunk = max(1, max_batch // B)
    for i in range(0, n_s, per_chunk):
        cols = ts[:, i:i + per_chunk]
        k = cols.shape[1]
        with torch.no_grad():
            xs = x0.repeat(k, *([1] * (x0.dim() - 1)))
            tt = cols.T.reshape(-1)
            kl = per_example(kl_at(diffusion, net, xs, tt, generator)).double()
            kl_sum += (kl.reshape(k, B) * weight[i:i + k, None]).sum(0)
        yield Progress(min(i + per_chunk, n_s), n_s)
    with torch.no_grad():
        terms = {k: v.double() for k, v in analytic_terms(diffusion, x0).items()}
    result = _bound_result(kl_sum, terms, x0, unit_size, units, extra={"n_t": n_s})
    yield Progress(n_s, n_s, result)


def log_likelihood_is(diffusion, net, x0: torch.Tensor, n_traj: int, generator=None):
    """Importance-sampled log p(x_0) per example (nats), from ``n_traj`` forward trajectories.

    Each trajectory x_1..x_T ~ q(. | x_0) weighs w = pi(x_T) prod_t p(x_{t-1}|x_t) / q(x_t|x_{t-1});
    the estimate is log mean w (the seed's "model probability"). A generator of
    :class:`Progress`; the final ``result`` is a dict with ``log_p`` (B,) and ``log_w``
    (n_traj, B), each nats per example.
    """
    T = diffusion.T
    B = x0.shape[0]
    x = x0.repeat(n_traj, *([1] * (x0.dim() - 1)))
    log_w = torch.zeros(x.shape[0], dtype=torch.float64, device=x0.device)
    for t in range(1, T + 1):
        with torch.no_grad():
            tt = torch.full((x.shape[0],), float(t), dtype=torch.float64, device=x0.device)
            x_new = diffusion.q_step_sample(x, tt, generator)
            log_q = diffusion.log_prob(diffusion.q_step_dist(x, tt), x_new)
            p, _ = diffusion.p_dist(net, x_new, tt)
            log_w += per_example(diffusion.log_prob(p, x) - log_q).double()
            x = x_new
        if t % 50 == 0 or t == T:
            yield Progress(t, T)
    with torch.no_grad():
        log_w += per_example(diffusion.log_prior(x)).double()
    log_w = log_w.reshape(n_traj, B)
    log_p = torch.logsumexp(log_w, 0) - math.log(n_traj)
    yield Progress(T, T, {"log_p": log_p, "log_w": log_w})


def run(gen):
    """Drain a Progress generator and return the final result."""
    last = None
    for last in gen:
        pass
    return last.result if last is not None else None
