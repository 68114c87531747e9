"""A training loop that keeps an accelerator busy (the plain loop is ``training.train``).

The plain loop draws every batch on the CPU, moves it, and reads three numbers back per
step (loss, K, gradient norm), so the GPU waits on the host. :func:`train_fast` optimises
the same objectives with the same learning-rate schedule and EMA, and differs only in how
the work reaches the device:

- image data: the recipe's training images live on the device as uint8 (:class:`DeviceCrops`);
  crops, flips, desaturation and dequantisation are drawn there for the whole batch, with
  the same laws as ``ImageRecipe.batch``; other data is drawn on the CPU by a background
  thread and copied from pinned memory (:class:`Prefetch`);
- t, the noise and x_t are drawn on the device (one generator of the device, seeded);
- the network runs under bf16 autocast (``amp``), in channels_last where that pays; the diffusion math
  (schedules, KL, log-likelihoods) stays fp32/fp64 and the weights stay fp32;
- Adam is fused and skips a step with a non-finite gradient norm on the device itself
  (``found_inf``), and the EMA is one foreach lerp, so nothing waits for the host;
- loss, K and gradient norm are kept on the device and read back every ``sync_every``
  steps, when the records of those steps are yielded together (same fields as the plain
  loop's, ``examples_per_s`` averaged over the window).

Results for a seed are reproducible on a given device but differ from the plain loop's
(other generator, other batch draws). The plain loop stays the CPU default.
"""

from __future__ import annotations

import math
import queue
import threading
import time

import numpy as np
import torch
from torch import nn

from ..math.bound import LN2, training_objective
from ..machine.devices import native_bf16
from ..math.rng import make_generator
from .training import (OBJECTIVES, TrainRecord, _agreed, distributed_context, distributed_net, gradient_step,
                       hybrid_objective, lr_at)


class DeviceCrops:
    """``ImageRecipe`` training batches drawn on ``device`` from its images held there as uint8.

    Same laws as ``ImageRecipe.batch``: an image chosen in proportion to its number of
    crop positions, a uniform position in its training region, desaturation with the
    recipe's ``gray_fraction`` (luma rounded to an integer level), flips, then
    x = (v + U(0, 1)) / 256 scaled to (x - mean) / std.
    """

    def __init__(self, recipe, patch: int, device, channels_last: bool = False):
        from .data.images import _LUMA_WEIGHTS

        self.patch, self.device = int(patch), torch.device(device)
        self.channels, self.flips = recipe.channels, recipe.flips
        self.gray_fraction, self.mean, self.std = recipe.gray_fraction, float(recipe.mean), float(recipe.std)
        self.channels_last = channels_last
        regions = recipe._regions(self.patch, held=False)
        images = recipe._images
        H, W = max(a.shape[0] for a in images), max(a.shape[1] for a in images)
        packed = np.zeros((len(images), H, W, self.channels), dtype=np.uint8)
        for k, a in enumerate(images):
            packed[k, :a.shape[0], :a.shape[1]] = a
        self.pixels = torch.from_numpy(packed).to(self.device)  # (N, H, W, C) uint8
        cols = list(zip(*regions))
        as_t = lambda v, dt=torch.long: torch.tensor(v, dtype=dt, device=self.device)  # noqa: E731
        self.image, self.lo, self.nx, self.ny = as_t(cols[0]), as_t(cols[1]), as_t(cols[2]), as_t(cols[3])
        self.weights = (self.nx * self.ny).double()
        self.offsets = torch.arange(self.patch, device=self.device)
        self.luma = _LUMA_WEIGHTS.to(self.device).view(1, 3, 1, 1) if self.channels == 3 else None

    def nbytes(self) -> int:
        return self.pixels.numel()

    def __call__(self, n: int, generator: torch.Generator) -> torch.Tensor:
        dev, g = self.device, generator
        pick = torch.multinomial(self.weights, n, replacement=True, generator=g)
        uy = torch.rand(n, generator=g, dtype=torch.float64, device=dev)
        ux = torch.rand(n, generator=g, dtype=torch.float64, device=dev)
        ny, nx = self.ny[pick], self.nx[pick]
        y = torch.minimum((uy * ny).long(), ny - 1)
        x = self.lo[pick] + torch.minimum((ux * nx).long(), nx - 1)
        rows = (y[:, None] + self.offsets)[:, :, None]            # (n, P, 1)
        cols = (x[:, None] + self.offsets)[:, None, :]            # (n, 1, P)
        v = self.pixels[self.image[pick][:, None, None], rows, cols]  # (n, P, P, C) uint8
        v = v.permute(0, 3, 1, 2).float()
        if self.gray_fraction:
            grey = torch.rand(n, generator=g, device=dev) < self.gray_fraction
            luma = (v * self.luma).sum(1, keepdim=True).round().expand_as(v)
            v = torch.where(grey.view(-1, 1, 1, 1), luma, v)
        if self.flips in ("h", "hv"):
            fh = torch.rand(n, generator=g, device=dev) < 0.5
            v = torch.where(fh.view(-1, 1, 1, 1), v.flip(-1), v)
        if self.flips == "hv":
            fv = torch.rand(n, generator=g, device=dev) < 0.5
            v = torch.where(fv.view(-1, 1, 1, 1), v.flip(-2), v)
        x0 = ((v + torch.rand(v.shape, generator=g, device=dev)) / 256.0 - self.mean) / self.std
        return x0.contiguous(memory_format=torch.channels_last) if self.channels_last else x0.contiguous()


def channels_last_pays(device) -> bool:
    """Whether the image networks train faster in channels_last on ``device``: on a CPU with
    native bf16, not on CUDA. On an NVIDIA H100 (2026-12-06, docs/gpu.md) the fast loop took
    unet-te from 704 to 871 examples/s of 128 x 128 crops (batch 64) and from 2,689 to 3,350
    examples/s of 64 x 64 crops (batch 256) with the default (contiguous) layout, photos-rgb
    from 1,397 to 1,758: GroupNorm and the additions are slower in channels_last there."""
    dev = torch.device(device)
    return dev.type == "cpu" and native_bf16(dev)


def device_data(preset, batch: int, device, channels_last: bool | None = None):
    """What :func:`train_fast` draws from for ``preset``: its images on ``device``
    (:class:`DeviceCrops`) for an image recipe, else its CPU batch function."""
    from .data.images import ImageRecipe

    recipe = preset.recipe() if preset.recipe is not None else None
    if isinstance(recipe, ImageRecipe):
        patch = int(round(math.sqrt(preset.unit_size)))
        dev = torch.device(device)
        cl = channels_last_pays(dev) if channels_last is None else channels_last
        return DeviceCrops(recipe, patch, device, channels_last=cl)
    return lambda g: preset.batch(batch, g)


class Prefetch:
    """CPU batches ``batches(generator)`` drawn ahead by one thread (one CPU generator, so the
    sequence is the same as drawing them in turn) and copied to ``device`` from pinned memory."""

    def __init__(self, batches, seed: int, device, depth: int = 3, state: torch.Tensor | None = None):
        self.device = torch.device(device)
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        gen = torch.Generator().manual_seed(seed)
        if state is not None:
            gen.set_state(state)
        self._consumed = gen.get_state()  # the generator's state after the last batch handed out
        pin = self.device.type == "cuda"

        def work():
            try:
                while not self._stop.is_set():
                    x = batches(gen)
                    x = (x.pin_memory() if pin else x, gen.get_state())
                    while not self._stop.is_set():
                        try:
                            self._q.put(x, timeout=0.1)
                            break
                        except queue.Full:
                            continue
            except BaseException as e:  # handed to the consumer, raised there
                self._q.put(e)

        self._thread = threading.Thread(target=work, name="dpm-prefetch", daemon=True)
        self._thread.start()

    def __call__(self, n=None, generator=None) -> torch.Tensor:
        x = self._q.get()
        if isinstance(x, BaseException):
            raise x
        x, self._consumed = x
        return x.to(self.device, non_blocking=True)

    def get_state(self) -> torch.Tensor:
        """The data generator's state as of the batches consumed so far (not those drawn ahead)."""
        return self._consumed

    def close(self):
        self._stop.set()
        try:
            while True:
                self._q.get_nowait()
        except queue.Empty:
            pass
        self._thread.join(timeout=5)


class AutocastNet(nn.Module):
    """An image network under autocast (bf16 by default) in channels_last; returns fp32
    outputs, so everything outside the network (the diffusion's math) stays in full precision."""

    def __init__(self, net: nn.Module, device_type: str, amp: bool = True, dtype=torch.bfloat16,
                 channels_last: bool = False):
        super().__init__()
        self.inner, self.device_type, self.amp, self.dtype = net, device_type, amp, dtype
        self.channels_last = channels_last

    def forward(self, x, t):
        image = x.dim() == 4
        if self.channels_last and image:
            x = x.contiguous(memory_format=torch.channels_last)
        # Only image networks (convolutions) gain from bf16; the toys' small MLPs, whose bound
        # is compared with the paper's numbers, keep fp32.
        with torch.autocast(self.device_type, dtype=self.dtype, enabled=self.amp and image):
            out = self.inner(x, t)
        return out.float()


def fused_adam(state) -> None:
    """Give ``state`` a fused Adam (same hyper-parameters and moments): it can skip a step on
    the device when the gradient norm is not finite. Leaves RMSprop as it is."""
    opt = state.opt
    if not isinstance(opt, torch.optim.Adam) or opt.defaults.get("fused"):
        return
    params = [p for g in opt.param_groups for p in g["params"]]
    if not params or any(not p.is_floating_point() for p in params):
        return
    sd = opt.state_dict()
    new = torch.optim.Adam(params, lr=opt.defaults["lr"], weight_decay=opt.defaults["weight_decay"], fused=True)
    for g in sd["param_groups"]:
        g["fused"] = True
    new.load_state_dict(sd)
    state.opt = new


def _ema_foreach(state) -> None:
    d = min(state.ema_decay, (1 + state.step) / (10 + state.step))
    with torch.no_grad():
        ema = list(state.ema.parameters())
        torch._foreach_lerp_(ema, [p.detach() for p in state.model.parameters()], 1 - d)
        for be, bm in zip(state.ema.buffers(), state.model.buffers()):
            be.copy_(bm)


def train_fast(state, data, *, batch: int, steps: int | None = None, minutes: float | None = None,
               clip: float = 1.0, warmup: int = 100, unit_size: float = 1.0, seed: int = 0,
               total_steps: int | None = None, objective: str = "bound", t_probs: torch.Tensor | None = None,
               device="cuda", ddp: bool | None = None, amp: bool | None = None, channels_last: bool | None = None,
               compile: bool = False, sync_every: int = 25):
    """Optimise ``state.model`` (already on ``device``); yields :class:`TrainRecord` s in bursts.

    ``data`` is a :class:`DeviceCrops` (called as ``data(batch, generator)`` with the device
    generator) or a CPU batch function ``batches(generator) -> x0`` as for ``training.train``
    (drawn ahead by :class:`Prefetch`). ``amp`` (bf16 autocast on the network) defaults to on
    for CUDA and for a CPU with native bf16, ``channels_last`` to :func:`channels_last_pays`; ``compile`` wraps the
    network in ``torch.compile``. Budgets, warm-up, decay, clipping, EMA and torchrun
    behave as in ``training.train``; a time budget is checked every step on one process
    and at every read-back under torchrun.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}")
    if t_probs is not None and objective != "hybrid":
        raise ValueError("a law for t (t_probs) needs the hybrid objective")
    if steps is None and minutes is None:
        raise ValueError("give a number of steps or a time budget in minutes")
    if sync_every < 1:
        raise ValueError("sync_every must be at least 1")
    dev = torch.device(device)
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    on_gpu = dev.type == "cuda"
    # bf16 and channels_last pay on a GPU and on a CPU with native bf16 (AMX/AVX512-BF16): unet-te
    # trained at 18 examples/s of 64 x 64 crops on 2 such cores against 9.6 in fp32 (issue 21).
    fast_bf16 = on_gpu or native_bf16(dev)
    amp = fast_bf16 if amp is None else amp
    channels_last = channels_last_pays(dev) if channels_last is None else channels_last
    loss_fn = training_objective if objective == "bound" else hybrid_objective
    extra = {} if t_probs is None else {"t_probs": t_probs.to(dev)}
    rank, world = distributed_context()
    run_seed = seed + state.step + 1_000_003 * rank
    # Each generator continues from the resumed state's saved position (seed + step for a state
    # without one), and the state saves where it got to: a run in pieces is the uninterrupted run.
    gen = state.resume_generator("device", make_generator(dev, run_seed))
    prefetch = None
    if isinstance(data, DeviceCrops):
        draw = lambda: data(batch, gen)  # noqa: E731
    elif on_gpu:
        prefetch = draw = Prefetch(data, run_seed, dev, state=state.rng_states().get("data"))
        state.generators["data"] = prefetch
    else:
        cpu_gen = state.resume_generator("data", torch.Generator().manual_seed(run_seed))
        draw = lambda: data(cpu_gen).to(dev)  # noqa: E731

    model = state.model
    model.train()
    if channels_last:
        model.net.to(memory_format=torch.channels_last)
    fused_adam(state)
    fused = bool(state.opt.defaults.get("fused"))
    net, others = distributed_net(model, objective, dev, world if ddp is None else (2 if ddp else 1))
    if compile:
        net = torch.compile(net)
    net = AutocastNet(net, dev.type, amp=amp, channels_last=channels_last)

    target = state.step + steps if steps is not None else None
    total = total_steps or target
    t_start = time.perf_counter()
    elapsed0 = state.elapsed
    pending: list = []
    window_start = t_start
    try:
        while True:
            if target is not None and state.step >= target:
                break
            if minutes is not None and (world == 1 or not pending):
                if _agreed(time.perf_counter() - t_start >= minutes * 60, world):
                    break
            x0 = draw()
            lr = lr_at(state.step, state.base_lr, warmup, total)
            out, loss, params = gradient_step(state, net, loss_fn, x0, gen, extra, others, lr)
            # max_norm inf when clipping is off: the norm is still measured, nothing is scaled
            gnorm = torch.nn.utils.clip_grad_norm_(params, clip or float("inf"), foreach=True)
            if fused:
                state.opt.found_inf = (~torch.isfinite(gnorm)).float()
                state.opt.step()
            elif math.isfinite(float(gnorm)):  # RMSprop: one read-back per step
                state.opt.step()
            state.step += 1
            _ema_foreach(state)
            pending.append((state.step, lr, x0.shape[0],
                            torch.stack([loss.detach().double(), out["K"].detach().double().mean(),
                                         gnorm.detach().double()])))
            if len(pending) >= sync_every:
                yield from _flush(state, pending, window_start, t_start, elapsed0, unit_size, world)
                window_start = time.perf_counter()
        if pending:
            yield from _flush(state, pending, window_start, t_start, elapsed0, unit_size, world)
    finally:
        if prefetch is not None:
            prefetch.close()
        if hasattr(state.opt, "found_inf"):
            del state.opt.found_inf


def _flush(state, pending, window_start, t_start, elapsed0, unit_size, world):
    values = torch.stack([v for *_, v in pending]).tolist()  # the window's one read-back
    now = time.perf_counter()
    dt = (now - window_start) / len(pending)
    state.elapsed = elapsed0 + (now - t_start)
    records = []
    for k, ((step, lr, n, _), (loss, K, gnorm)) in enumerate(zip(pending, values)):
        k_bits = K / (LN2 * unit_size)
        state.k_avg = k_bits if state.k_avg is None else 0.99 * state.k_avg + 0.01 * k_bits
        elapsed = state.elapsed - dt * (len(pending) - 1 - k)
        records.append(TrainRecord(step, loss, k_bits, state.k_avg, lr, world * n / max(dt, 1e-9), elapsed, gnorm))
    pending.clear()
    yield from records
