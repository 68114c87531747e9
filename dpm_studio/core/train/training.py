"""Training as a generator of step records.

:func:`train` maximises the stochastic estimate of K (``bound.training_objective``) and
yields a :class:`TrainRecord` after every optimiser step; the CLI's progress bar, its CSV
log and the tests consume the same generator. The consumer decides when to stop
(``steps`` and ``minutes`` are budgets the generator honours itself) and when to save:
``TrainState`` holds everything needed to resume bit-for-bit where a run stopped.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import torch
from torch import nn

from ..math.bound import LN2, analytic_terms, per_example, training_objective
from ..math.diffusion import Model
from ..math.rng import make_generator

OPTIMIZERS = ("adam", "rmsprop")
OBJECTIVES = ("bound", "hybrid")


def focus_probs(diffusion, sigma_lo: float, sigma_hi: float, fraction: float) -> torch.Tensor:
    """A sampling law for t over 1..T: uniform, with ``fraction`` of the mass moved onto the
    steps whose forward noise std (in model units, sqrt((1 - ab) / ab)) lies in
    [sigma_lo, sigma_hi].

    Denoising at a given noise level uses the network only near the step matched to that
    level, so training more often there buys PSNR where users need it. The hybrid
    objective reweights its bound term by 1 / (T q(t)), so its estimate of K stays unbiased;
    only the noise MSE (already a reweighted loss) is shifted toward the band.
    """
    if not (0.0 <= fraction < 1.0) or not (0 < sigma_lo < sigma_hi):
        raise ValueError("need 0 <= fraction < 1 and 0 < sigma_lo < sigma_hi")
    T = diffusion.T
    ab = diffusion.alpha_bar(torch.arange(1, T + 1, dtype=torch.float64)).detach().double()
    s = torch.sqrt((1 - ab) / ab)
    band = ((s >= sigma_lo) & (s <= sigma_hi)).double()
    if band.sum() == 0:  # the band falls between two steps: take the nearest one
        band[int(torch.argmin((s.log() - math.log(math.sqrt(sigma_lo * sigma_hi))).abs()))] = 1.0
    return (1 - fraction) / T + fraction * band / band.sum()


def hybrid_objective(diffusion, net, x0: torch.Tensor, generator=None, vlb_weight: float = 1e-3,
                     t_probs: torch.Tensor | None = None) -> dict:
    """Improved-diffusion's L_hybrid for an ``eps`` model: noise MSE plus a small weight on
    the bound's terms, whose mean part is detached so only the variance head learns from them.

    The noise MSE trains the mean far more steadily than K alone (whose per-step terms
    differ by orders of magnitude); the bound still trains the paper's variance head and the
    first step. Returns the same keys as ``bound.training_objective``: ``K`` is the usual
    one-sample estimate of K (per example, nats) and ``loss`` what is minimised.
    """
    if diffusion.family != "gaussian" or diffusion.parametrisation != "eps":
        raise ValueError("the hybrid objective needs a Gaussian model with the eps parametrisation")
    B, T = x0.shape[0], diffusion.T
    dims = x0[0].numel()
    dev = x0.device
    if t_probs is None:
        t = torch.randint(1, T + 1, (B,), generator=generator, device=dev).double()
        w = torch.ones(B, dtype=torch.float64, device=dev)
    else:
        t_probs = t_probs.to(dev)
        idx = torch.multinomial(t_probs, B, replacement=True, generator=generator)
        w = 1.0 / (T * t_probs[idx])
        t = (idx + 1).double()
    # float32 draws (then cast), so a seed gives the same noise whatever x0's dtype
    noise = torch.randn(x0.shape, generator=generator, device=dev).to(x0.dtype)
    x_t = diffusion.q_sample(x0, t, noise=noise)
    out = net(x_t, t.to(x0.dtype))
    z_mu, z_sigma = out.chunk(2, dim=1)
    mse = per_example((z_mu - noise) ** 2) / dims
    p, _ = diffusion.p_dist(None, x_t, t, out=torch.cat([z_mu.detach(), z_sigma], 1))
    q = diffusion.q_posterior(x0, x_t, t)
    q.var = q.var.clamp(min=1e-20)  # t = 1 has a point posterior; its term is the NLL below
    kl = per_example(diffusion.kl(q, p))
    nll = -per_example(diffusion.log_prob(p, x0))
    first = t == 1
    terms = analytic_terms(diffusion, x0)
    vlb = torch.where(first, nll - terms["H_q_1"], kl) * w.to(kl.dtype)  # nats; E over t: -(K - const)/T
    loss = mse + vlb_weight * T * vlb / dims
    with torch.no_grad():
        K = -T * vlb + terms["H_q_T"] - terms["H_q_1"] - terms["H_p_T"]
    return {"K": K, "loss": loss, "t": t}


@dataclass
class TrainRecord:
    step: int
    loss: float
    K: float            # this batch's estimate of K, bits per unit
    K_avg: float        # exponential moving average of K, bits per unit
    lr: float
    examples_per_s: float
    elapsed_s: float
    grad_norm: float


class TrainState:
    """Optimiser, EMA copy, step count and RNG: what a resumed run needs."""

    def __init__(self, model: Model, lr: float = 1e-3, optimizer: str = "adam", ema_decay: float = 0.999,
                 weight_decay: float = 0.0):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}")
        self.model = model
        params = [p for p in model.parameters() if p.requires_grad]
        if optimizer == "adam":
            self.opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
        else:
            self.opt = torch.optim.RMSprop(params, lr=lr, weight_decay=weight_decay)
        self.base_lr = lr
        self.ema_decay = ema_decay
        self.ema = copy.deepcopy(model).eval()
        for p in self.ema.parameters():
            p.requires_grad_(False)
        self.step = 0
        self.elapsed = 0.0
        self.k_avg = None
        self.rng: dict = {}         # saved generator states by name ("data", "device"), from restore()
        self.generators: dict = {}  # the live generators of the run in progress (anything with get_state)

    def rng_states(self) -> dict:
        """Each generator's state: the live run's where there is one, else the restored one."""
        return {**self.rng, **{k: g.get_state() for k, g in self.generators.items()}}

    def resume_generator(self, name: str, generator):
        """``generator`` continued from this state's saved or live position for ``name`` (a fresh
        run keeps its seed), and registered so that :meth:`tensors` saves where it got to."""
        saved = self.rng_states().get(name)
        if saved is not None:
            generator.set_state(saved.cpu())
        self.generators[name] = generator
        return generator

    def update_ema(self):
        d = min(self.ema_decay, (1 + self.step) / (10 + self.step))
        with torch.no_grad():
            for pe, pm in zip(self.ema.parameters(), self.model.parameters()):
                pe.mul_(d).add_(pm.detach(), alpha=1 - d)
            for be, bm in zip(self.ema.buffers(), self.model.buffers()):
                be.copy_(bm)

    # -- persistence: tensors for safetensors, scalars for JSON ----------------------------
    def tensors(self) -> dict:
        out = {f"model.{k}": v for k, v in self.model.state_dict().items()}
        out.update({f"ema.{k}": v for k, v in self.ema.state_dict().items()})
        opt = self.opt.state_dict()
        for pid, st in opt["state"].items():
            for k, v in st.items():
                if torch.is_tensor(v):
                    out[f"opt.{pid}.{k}"] = v if v.dim() else v.reshape(1)
        out.update({f"rng.{k}": v for k, v in self.rng_states().items()})
        return {k: v.detach().contiguous().clone() for k, v in out.items()}

    def meta(self) -> dict:
        return {"step": self.step, "elapsed": self.elapsed, "k_avg": self.k_avg, "base_lr": self.base_lr,
                "ema_decay": self.ema_decay}

    def restore(self, tensors: dict, meta: dict):
        """Continue from :meth:`tensors` and :meth:`meta`.

        A fixed schedule's rates come from the model being resumed into, not the saved
        state: they are a pure function of its spec, so a run resumed under a changed fixed
        schedule (the presets' cap on b_t) trains and saves the new one. A learned
        schedule's parameters are restored like the network's.
        """
        fixed = not getattr(self.model.diffusion.schedule, "learned", False)

        def from_model(k):  # a fixed schedule's rates: the model's own, never the saved ones
            return fixed and k.endswith("schedule._betas")

        for prefix, module in (("model.", self.model), ("ema.", self.ema)):
            part = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix) and not from_model(k)}
            missing, unexpected = module.load_state_dict(part, strict=False)
            missing = [k for k in missing if not from_model(k)]
            if missing or unexpected:
                raise RuntimeError(f"training state does not match the model: missing {missing}, "
                                   f"unexpected {unexpected}")
        opt = self.opt.state_dict()
        state = {}
        for k, v in tensors.items():
            if k.startswith("opt."):
                _, pid, name = k.split(".", 2)
                state.setdefault(int(pid), {})[name] = v.reshape(()) if name == "step" else v
        opt["state"] = state
        self.opt.load_state_dict(opt)
        self.step, self.elapsed, self.k_avg = int(meta["step"]), float(meta["elapsed"]), meta.get("k_avg")
        # The random generators' positions (states written before they were saved: reseeded at seed + step).
        self.rng = {k[len("rng."):]: v.cpu() for k, v in tensors.items() if k.startswith("rng.")}
        self.generators = {}


def lr_at(step: int, base: float, warmup: int, total: int | None) -> float:
    """Linear warm-up, then cosine decay to 10 % of ``base`` over ``total`` steps (if known)."""
    if step < warmup:
        return base * (step + 1) / warmup
    if not total:
        return base
    frac = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))


def distributed_context() -> tuple[int, int]:
    """(rank, world size) of an initialised torch.distributed group, else (0, 1)."""
    if not _initialised():
        return 0, 1
    import torch.distributed as dist

    return dist.get_rank(), dist.get_world_size()


def _initialised() -> bool:
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized()


def _ddp(net: nn.Module, device) -> nn.Module:
    from torch.nn.parallel import DistributedDataParallel

    dev = torch.device(device) if device is not None else next(net.parameters()).device
    return DistributedDataParallel(net, device_ids=[dev.index] if dev.type == "cuda" else None)


def distributed_net(model: Model, objective: str, device, world: int):
    """(the network a step calls, the parameters whose gradients are averaged by hand).

    With ``world`` > 1 (a torch.distributed group must be initialised): every replica
    starts from rank 0's weights; the hybrid objective (one forward per step, what DDP's
    reducer expects) calls the network through DistributedDataParallel; the bound, which
    may call the network twice per step, averages every gradient by hand instead.
    """
    if world <= 1:
        return model.net, []
    if not _initialised():
        raise RuntimeError("DDP training needs torch.distributed.init_process_group first (use torchrun)")
    import torch.distributed as dist

    for p in model.parameters():
        dist.broadcast(p.data, 0)
    net, owned = model.net, set()
    if objective == "hybrid":
        net = _ddp(model.net, device)
        owned = {id(p) for p in model.net.parameters()}
    return net, [p for p in model.parameters() if id(p) not in owned and p.requires_grad]


def gradient_step(state: TrainState, net, loss_fn, x0, generator, extra: dict, others: list, lr: float):
    """Set the learning rate, evaluate the objective on ``x0`` and back-propagate (averaging
    ``others``' gradients over a group); returns (objective's dict, mean loss, parameters with gradients)."""
    for g in state.opt.param_groups:
        g["lr"] = lr
    out = loss_fn(state.model.diffusion, net, x0, generator=generator, **extra)
    loss = out["loss"].mean()
    state.opt.zero_grad(set_to_none=True)
    loss.backward()
    if others:
        _all_reduce_grads(others)
    return out, loss, [p for p in state.model.parameters() if p.grad is not None]


def _all_reduce_grads(params):
    """Average the gradients of ``params`` (those DDP does not own) over the group."""
    import torch.distributed as dist

    world = dist.get_world_size()
    for p in params:
        if p.grad is not None:
            dist.all_reduce(p.grad)
            p.grad.div_(world)


def train(state: TrainState, batches, *, steps: int | None = None, minutes: float | None = None,
          clip: float = 1.0, warmup: int = 100, unit_size: float = 1.0, seed: int = 0,
          total_steps: int | None = None, objective: str = "bound", t_probs: torch.Tensor | None = None,
          device=None, ddp: bool | None = None):
    """Optimise ``state.model`` on ``batches(generator) -> x0``; yields a TrainRecord per step.

    Stops after ``steps`` more steps or ``minutes`` of wall time, whichever comes first.
    ``total_steps`` sets the length of the learning-rate decay (default: ``steps``).
    ``objective`` is ``"bound"`` (the paper: maximise the estimate of K) or ``"hybrid"``
    (:func:`hybrid_objective`, which takes ``t_probs``, a law for t: :func:`focus_probs`).
    ``device``: where batches are moved (the model must already be there).
    ``ddp``: wrap the network in DistributedDataParallel; None (default) does so when a
    torch.distributed group of more than one process is initialised.

    Under ``torchrun`` (an initialised torch.distributed group) every process draws its
    own batches (seeded by rank), the network is wrapped in DistributedDataParallel (the
    hybrid objective; the bound objective, which may call the network twice in a step,
    averages every gradient by hand instead), and the remaining parameters (a learned
    schedule) have their gradients averaged by hand, so each step is one step on the union
    of the processes' batches and all replicas stay identical. Timing budgets are agreed on by rank 0 so every process stops together.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}")
    if t_probs is not None and objective != "hybrid":
        raise ValueError("a law for t (t_probs) needs the hybrid objective")
    loss_fn = training_objective if objective == "bound" else hybrid_objective
    extra = {} if t_probs is None else {"t_probs": t_probs}
    if steps is None and minutes is None:
        raise ValueError("give a number of steps or a time budget in minutes")
    rank, world = distributed_context()
    run_seed = seed + state.step + 1_000_003 * rank
    # Batches are drawn on the CPU (the data pipelines' own generator); the objective's draws
    # (t, noise, x_t) on the model's device. On the CPU both are one generator, as always.
    # A resumed state continues each generator where it was saved (seed + step only for a
    # state without them), so a run in pieces is the uninterrupted run.
    data_gen = state.resume_generator("data", torch.Generator().manual_seed(run_seed))
    dev = torch.device(device) if device is not None else _model_device(state.model)
    gen = data_gen if dev.type == "cpu" else state.resume_generator("device", make_generator(dev, run_seed))
    model = state.model
    model.train()
    net, others = distributed_net(model, objective, device, world if ddp is None else (2 if ddp else 1))
    target = state.step + steps if steps is not None else None
    total = total_steps or target
    t_start = time.perf_counter()
    elapsed0 = state.elapsed
    while True:
        if target is not None and state.step >= target:
            break
        if minutes is not None and _agreed(time.perf_counter() - t_start >= minutes * 60, world):
            break
        tic = time.perf_counter()
        x0 = batches(data_gen)
        if x0.device != dev:
            x0 = x0.to(dev, non_blocking=True)
        lr = lr_at(state.step, state.base_lr, warmup, total)
        out, loss, params = gradient_step(state, net, loss_fn, x0, gen, extra, others, lr)
        gnorm = float(torch.nn.utils.clip_grad_norm_(params, clip)) if clip else float("nan")
        if math.isfinite(gnorm):
            state.opt.step()
        state.step += 1
        state.update_ema()
        k = float(out["K"].detach().mean()) / (LN2 * unit_size)
        state.k_avg = k if state.k_avg is None else 0.99 * state.k_avg + 0.01 * k
        dt = time.perf_counter() - tic
        state.elapsed = elapsed0 + (time.perf_counter() - t_start)
        yield TrainRecord(state.step, float(loss.detach()), k, state.k_avg, lr, world * x0.shape[0] / max(dt, 1e-9),
                          state.elapsed, gnorm)


def _model_device(model: nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def _agreed(flag: bool, world: int) -> bool:
    """Rank 0's decision, broadcast, so that time budgets stop every process at the same step."""
    if world == 1:
        return flag
    import torch.distributed as dist

    t = torch.tensor([1.0 if flag else 0.0])
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.broadcast(t, 0)
    return bool(t.item())


# -- the resume state on disk --------------------------------------------------------------
SHARD_BYTES = 15 * 2 ** 20  # each resume file stays under 16 MiB (a transfer limit, issue 13)


def state_files(base) -> list:
    """The files of the resume state saved at ``base`` (``OUT.train``): the JSON, then the shards."""
    from pathlib import Path

    base = Path(base)
    meta_path = Path(str(base) + ".json")
    files = [meta_path]
    n = 1
    if meta_path.exists():
        try:
            n = _read_meta(base)[1]
        except ValueError:  # load_state says what is wrong with it
            n = 1
    return files + [_shard_path(base, k) for k in range(n)]


def _read_meta(base) -> tuple[dict, int]:
    """(meta, shards) of a resume state's JSON: a regular file, bounded, a dict with 1-1000 shards."""
    from pathlib import Path

    from ..files.safefiles import UnsafeFile, loads_json, read_bytes

    limit = 16 << 20
    meta = loads_json(read_bytes(Path(str(base) + ".json"), limit, "resume state"), limit, what="resume state")
    shards = meta.get("shards", 1) if isinstance(meta, dict) else None
    if not isinstance(shards, int) or isinstance(shards, bool) or not 1 <= shards <= 1000:
        raise UnsafeFile(f"{base}.json is not a resume state DPM Studio wrote")
    return meta, shards


def _shard_path(base, k: int):
    from pathlib import Path

    # OUT.train.safetensors, then OUT.1.train.safetensors, ... (all match *.train.safetensors)
    if k == 0:
        return Path(str(base) + ".safetensors")
    stem = str(base)[:-len(".train")] if str(base).endswith(".train") else str(base)
    return Path(f"{stem}.{k}.train.safetensors")


def save_state(base, state: TrainState, max_bytes: int = SHARD_BYTES) -> list:
    """Write ``state`` (weights, EMA, optimiser moments, step, random generators' states) at ``base``
    in safetensors shards of at most ``max_bytes`` each (a single larger tensor gets a shard
    of its own), each written atomically, the JSON last; returns the paths written."""
    import json
    from pathlib import Path

    from safetensors.torch import save_file

    from ..files.atomic import atomic_write

    shards, size = [{}], 0
    for k, v in state.tensors().items():
        n = v.numel() * v.element_size()
        if shards[-1] and size + n > max_bytes:
            shards.append({})
            size = 0
        shards[-1][k] = v.cpu()
        size += n
    written = []
    for i, part in enumerate(shards):
        path = _shard_path(base, i)
        atomic_write(path, lambda tmp, part=part: save_file(part, tmp))
        written.append(path)
    meta = {**state.meta(), "shards": len(shards)}
    meta_path = Path(str(base) + ".json")
    atomic_write(meta_path, lambda tmp: Path(tmp).write_text(json.dumps(meta)))
    return [meta_path, *written]


def load_state(base, device="cpu") -> tuple[dict, dict]:
    """(tensors, meta) of a resume state written by :func:`save_state` (or an older single file)."""
    from safetensors.torch import load_file

    from ..files.safefiles import regular_file

    meta, shards = _read_meta(base)
    tensors = {}
    for k in range(shards):
        regular_file(_shard_path(base, k), "resume state")  # a FIFO would block
        tensors.update(load_file(str(_shard_path(base, k)), device=str(device)))
    return tensors, meta


def check_training(net_spec: dict, batch: int, unit_size: float, available: int | None = None) -> None:
    """Refuse a training batch of image patches that will not fit (activations kept for the
    backward pass, gradients and the optimiser's moments: about 3 inference peaks)."""
    from ..files.cardschema import IMAGE_NETS
    from ..machine.memory import check_fits, network_bytes

    if net_spec.get("type") not in IMAGE_NETS:
        return
    side = int(round(float(unit_size) ** 0.5))
    check_fits(3 * network_bytes({"network": net_spec}, batch, side, side), f"training with a batch of {batch:,}",
               "use a smaller --batch", available)
