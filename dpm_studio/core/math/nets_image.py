"""Fully convolutional reverse-process networks for images.

Both networks map ``(x_t, t)`` with ``x_t`` of shape (B, C, H, W) (data scaled to unit
variance) and ``t`` a float tensor of shape (B,) in [0, T] (fractional values allowed) to
raw outputs of shape (B, outputs_per_channel * C, H, W): for Gaussian models
(``outputs_per_channel=2``) the channels are [z_mu for the C channels, then z_Sigma for the
C channels], as ``out.chunk(2, dim=1)`` expects; for binomial models
(``outputs_per_channel=1``) they are the C logits.

Both accept any H and W: the input is padded (reflect, at the bottom and right) to a
multiple of the network's downsampling factor and the output is cropped back, so one model
serves every image size. Every constructor argument is JSON-serialisable, so a network is
rebuilt from its checkpoint spec ``{"type": "multiscale" | "unet", "kwargs": {...}}`` by
:func:`dpm_studio.core.math.nets.build_net`.

- :class:`MultiScaleConvNet` (``"multiscale"``) is the paper's image network (App. D, the
  authors' ``MLP_conv_dense``): multi-scale convolution layers, then a per-pixel MLP that
  emits J temporal-basis coefficients per output, reduced by :class:`TemporalBasis`.
- :class:`UNet` (``"unet"``) is a small residual U-Net (GroupNorm, SiLU), conditioned on t
  through the same temporal basis at its output (default) or through a sinusoidal embedding
  of t added in every residual block.

Pure torch: no Qt, no printing.
"""

from __future__ import annotations

import math
import threading
from contextlib import contextmanager
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .netbase import TemporalBasis, register

__all__ = ["MultiScaleConvNet", "UNet", "pad_to_multiple", "sinusoidal_embedding"]


# ----------------------------------------------------------------------------- helpers

#: Levels of halving an image network may have (pooling by at most 2^6 = 64 px): a crafted card
#: asking for 40 scales padded every image to a multiple of 2^39, past any storage size.
MAX_LEVELS = 7


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Pad the last two dims at the bottom/right up to a multiple of ``multiple``.

    Reflect padding where the image is large enough for it, replicate otherwise (reflect
    needs the pad to be smaller than the dimension). Padding only at the bottom/right keeps
    the pooling grid anchored at the top-left pixel, so shifts by multiples of ``multiple``
    commute with the network away from the borders.
    """
    H, W = x.shape[-2:]
    ph, pw = (-H) % multiple, (-W) % multiple
    if ph == 0 and pw == 0:
        return x
    mode = "reflect" if (ph < H and pw < W) else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode)


def _as_time(t, batch: int, device) -> torch.Tensor:
    """t as a float32 tensor of shape (B,) (a scalar is broadcast over the batch)."""
    t = torch.as_tensor(t, device=device).float()
    if t.dim() == 0:
        t = t.expand(batch)
    return t.reshape(batch)


def sinusoidal_embedding(t: torch.Tensor, T: int, dim: int, min_period: float = 8.0) -> torch.Tensor:
    """Sinusoidal features of t, shape (B, dim).

    Periods (in steps) are geometric from ``4 T`` down to ``min_period``, so the slowest
    feature is monotone over [0, T] and the fastest changes by at most 2 pi / min_period
    radians per step: fractional t interpolates smoothly between neighbouring steps.
    """
    half = dim // 2
    periods = torch.exp(torch.linspace(math.log(4.0 * max(T, 1)), math.log(min_period), half,
                                       device=t.device))
    ang = 2 * math.pi * t.float()[:, None] / periods[None, :]
    emb = torch.cat([torch.sin(ang), torch.cos(ang)], dim=1)
    if dim % 2:
        emb = F.pad(emb, (0, 1))
    return emb


# ----------------------------------------------------------------------------- multi-scale

class MultiScaleConv(nn.Module):
    """One multi-scale convolution layer (authors' ``MultiScaleConvolution``).

    For each scale s: mean-pool by 2^s, conv (``filter_size`` square, zero 'same' padding),
    leaky ReLU, nearest upsampling back by 2^s; the scales are summed and divided by their
    number. (As the authors' code notes, the nonlinearity is applied per scale, not once
    after the sum as the paper describes.) H and W must be multiples of 2^(num_scales-1).
    """

    def __init__(self, c_in: int, c_out: int, num_scales: int, filter_size: int, leak: float):
        super().__init__()
        self.num_scales, self.leak = int(num_scales), float(leak)
        self.convs = nn.ModuleList(
            nn.Conv2d(c_in, c_out, filter_size, padding=filter_size // 2) for _ in range(self.num_scales))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        acc = None
        for s, conv in enumerate(self.convs):
            f = 2 ** s
            h = F.avg_pool2d(x, f) if f > 1 else x
            h = F.leaky_relu(conv(h), self.leak)
            if f > 1:
                h = F.interpolate(h, scale_factor=f, mode="nearest")
            acc = h if acc is None else acc + h
        return acc / self.num_scales


@register("multiscale")
class MultiScaleConvNet(nn.Module):
    """The paper's image network (App. D; the authors' ``MLP_conv_dense``), fully convolutional.

    Lower part: ``conv_layers`` multi-scale convolution layers of ``conv_filters`` filters
    (``filter_size`` x ``filter_size``, ``num_scales`` scales: mean-pool by 2^s, conv, leaky
    ReLU, upsample, average over scales). Upper part: a per-pixel MLP (1x1 convolutions) of
    ``dense_layers`` linear layers, counted as in the authors' ``n_layers_dense_upper``:
    ``dense_layers - 1`` hidden layers of ``dense_units`` leaky-ReLU units, then a linear
    layer emitting J coefficients per output, which :class:`TemporalBasis` reduces with g(t).
    Defaults follow the authors' code (4 conv layers of 20 3x3 filters, upper MLP 2 x 20,
    leaky-ReLU slope 0.05, J = 10); ``num_scales`` = 3 gives the paper's multi-scale
    convolution (the code's own default was a single scale).

    The paper's parallel dense pathway for CIFAR-10 (a 500-unit MLP over the whole image)
    is deliberately omitted: it ties the network to one image size and breaks full
    convolutionality. Inputs of any H, W are reflect-padded to a multiple of
    2^(num_scales - 1) and the output is cropped back.
    """

    def __init__(self, T: int, channels: int = 1, outputs_per_channel: int = 2, J: int = 10,
                 conv_layers: int = 4, conv_filters: int = 20, filter_size: int = 3,
                 num_scales: int = 3, dense_layers: int = 2, dense_units: int = 20,
                 leak: float = 0.05):
        super().__init__()
        if outputs_per_channel not in (1, 2):
            raise ValueError("outputs_per_channel must be 1 (binomial) or 2 (Gaussian)")
        if filter_size % 2 != 1:
            raise ValueError("filter_size must be odd")
        if num_scales < 1 or conv_layers < 1 or dense_layers < 1:
            raise ValueError("num_scales, conv_layers and dense_layers must be >= 1")
        if num_scales > MAX_LEVELS:
            raise ValueError(f"num_scales must be at most {MAX_LEVELS} (pooling by 2^{MAX_LEVELS - 1} px), "
                             f"not {num_scales}")
        self.T, self.channels, self.outputs_per_channel = int(T), int(channels), int(outputs_per_channel)
        self.n_out = self.channels * self.outputs_per_channel
        self.leak = float(leak)
        self.factor = 2 ** (int(num_scales) - 1)
        self.basis = TemporalBasis(T, J)
        layers, c = [], self.channels
        for _ in range(conv_layers):
            layers.append(MultiScaleConv(c, conv_filters, num_scales, filter_size, leak))
            c = conv_filters
        self.conv = nn.ModuleList(layers)
        dense = []
        for _ in range(dense_layers - 1):
            dense.append(nn.Conv2d(c, dense_units, 1))
            c = dense_units
        self.dense = nn.ModuleList(dense)
        self.readout = nn.Conv2d(c, self.basis.J * self.n_out, 1)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        B, C, H, W = x.shape
        if C != self.channels:
            raise ValueError(f"expected {self.channels} channels, got {C}")
        t = _as_time(t, B, x.device)
        h = pad_to_multiple(x, self.factor)
        for layer in self.conv:
            h = layer(h)
        h = h[:, :, :H, :W]  # everything above is per pixel: crop before the MLP
        for layer in self.dense:
            h = F.leaky_relu(layer(h), self.leak)
        return self.basis.reduce(self.readout(h), t)


# ----------------------------------------------------------------------------- U-Net

def _groups(c: int, groups: int) -> int:
    g = min(groups, c)
    while c % g:
        g -= 1
    return g


def norm_silu(norm: nn.GroupNorm, x: torch.Tensor) -> torch.Tensor:
    """SiLU(GroupNorm(x)), the SiLU in place at inference (one activation-sized buffer fewer).

    Measured on the photos model (256 x 256, one thread, bf16 autocast, channels-last): the
    alternatives that looked cheaper alone were slower in the network: GroupNorm in fp32
    (+15%), or on a contiguous copy (+40%, the next convolution converts it back)."""
    return F.silu(norm(x), inplace=not torch.is_grad_enabled())


# ----------------------------------------------------------------------------- NNPACK convolutions

_NNPACK = threading.local()  # .on: this thread's passes run their 3 x 3 convolutions through NNPACK
_NNPACK_READY: list = []     # [bool] once asked: NNPACK initialised in this process (torch._nnpack_available)


def nnpack_ready() -> bool:
    """Whether torch's NNPACK serves here (it initialises it: a call before that failed)."""
    if not _NNPACK_READY:
        try:
            _NNPACK_READY.append(bool(torch._nnpack_available()))
        except (AttributeError, RuntimeError):
            _NNPACK_READY.append(False)
    return _NNPACK_READY[0]


def nnpack_fits() -> bool:
    """Whether this process's passes may take NNPACK's convolutions: NNPACK here, and torch on one
    thread. With more, NNPACK's own thread pool, whose idle workers spin, ran beside OpenMP's: on this
    project's 2-core AMD EPYC under load, 2 threads, one photos-rgb-v2 pass (256 x 256) took 1.17 ->
    1.51 s CPU and 3.4 -> 4.6 s wall, where one thread gained 0.94 -> 0.81 s CPU (docs/speed.md)."""
    return nnpack_ready() and torch.get_num_threads() == 1


@contextmanager
def nnpack_convs(on: bool = True):
    """Within it, this thread's inference passes compute their 3 x 3 stride-1 convolutions of fp32
    NCHW inputs on the CPU with NNPACK (Winograd F(6x6, 3x3): about a quarter of the multiplications)
    instead of oneDNN's direct convolution (:func:`conv3x3`), where they fit (:func:`nnpack_fits`:
    torch on one thread). The same convolution, its sums reassociated: photos-rgb-v2's outputs equal
    to 3e-5 of their 5.5 (docs/speed.md). Elsewhere (bf16, channels-last inputs, training, a GPU,
    several threads) nothing changes."""
    before = getattr(_NNPACK, "on", False)
    _NNPACK.on = bool(on) and nnpack_fits()
    try:
        yield
    finally:
        _NNPACK.on = before


def _nnpack_serves(conv: nn.Conv2d, h: torch.Tensor) -> bool:
    return (getattr(_NNPACK, "on", False) and not torch.is_grad_enabled() and h.dim() == 4
            and h.device.type == "cpu" and h.dtype == torch.float32 and conv.weight.dtype == torch.float32
            and conv.kernel_size == (3, 3) and conv.stride == (1, 1) and conv.padding == (1, 1)
            and conv.dilation == (1, 1) and conv.groups == 1 and conv.padding_mode == "zeros"
            and h.is_contiguous() and conv.weight.is_contiguous() and not torch.is_autocast_enabled("cpu"))


def conv3x3(conv: nn.Conv2d, h: torch.Tensor) -> torch.Tensor:
    """``conv(h)``; within :func:`nnpack_convs`, where NNPACK serves (:func:`_nnpack_serves`), its
    Winograd convolution. On this project's AMD EPYC (AVX2, no bf16), one thread: 96 -> 96 channels
    at 128 x 128, 30 ms channels-last (oneDNN) -> 16 ms; a whole photos-rgb-v2 pass 0.94 -> 0.81 s CPU."""
    if _nnpack_serves(conv, h):
        try:
            return torch._nnpack_spatial_convolution(h, conv.weight, conv.bias, [1, 1], [1, 1])
        except RuntimeError:  # NNPACK refused (a shape it cannot tile): the module's own pass serves
            pass
    return conv(h)


def _upsampled_taps(w: torch.Tensor, dim: int) -> torch.Tensor:
    """Along ``dim``, the 3 taps of a convolution that reads a nearest-upsampled (x2) input as the 4 taps
    of a stride-2 transposed convolution reading the input itself: output row 2i reads input rows
    i - 1 (tap 0) and i (taps 1 + 2), row 2i + 1 reads rows i (taps 0 + 1) and i + 1 (tap 2); the
    transposed kernel holds them flipped: [w2, w1 + w2, w0 + w1, w0]."""
    w0, w1, w2 = w.unbind(dim)
    return torch.stack([w2, w1 + w2, w0 + w1, w0], dim)


def upsample_conv(conv: nn.Conv2d, h: torch.Tensor) -> torch.Tensor:
    """``conv`` (3 x 3, padding 1) of ``h`` upsampled x2 by nearest neighbours.

    At inference this is one transposed convolution (stride 2, 4 x 4, padding 1) on ``h`` itself,
    its kernel the 3 x 3 one's taps summed per output phase (:func:`_upsampled_taps`): the same sum
    in 16 products per input pixel instead of 36 over the upsampled copy, with no upsampled copy.
    Equal in fp32 to 1e-5; in bf16 the summed taps round once (differences of a bf16 step). 56 -> 56
    channels from 80 x 80 to 160 x 160, one thread, bf16: 3.7 -> 1.8 ms (docs/speed.md, session 11).
    Training keeps the upsample and the convolution (its gradients are the module's own)."""
    if torch.is_grad_enabled() or conv.kernel_size != (3, 3) or conv.stride != (1, 1) or conv.padding != (1, 1):
        return conv(F.interpolate(h, scale_factor=2, mode="nearest"))
    if _nnpack_serves(conv, h):  # NCHW: oneDNN's transposed convolution there took 1.6x its channels-last time
        return conv3x3(conv, F.interpolate(h, scale_factor=2, mode="nearest"))
    k = _upsampled_taps(_upsampled_taps(conv.weight, 2), 3)   # (out, in, 4, 4), summed in the weights' dtype
    return F.conv_transpose2d(h, k.transpose(0, 1), conv.bias, stride=2, padding=1)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv3x3 twice with a residual connection (1x1 when widths differ).

    With ``temb_dim`` a projection of the time embedding is added per channel between the
    two convolutions.
    """

    def __init__(self, c_in: int, c_out: int, groups: int, temb_dim: int = 0):
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(c_in, groups), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.temb = nn.Linear(temb_dim, c_out) if temb_dim else None
        self.norm2 = nn.GroupNorm(_groups(c_out, groups), c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, temb: torch.Tensor | None = None) -> torch.Tensor:
        h = conv3x3(self.conv1, norm_silu(self.norm1, x))
        if self.temb is not None:
            h = h + self.temb(temb)[:, :, None, None]
        h = conv3x3(self.conv2, norm_silu(self.norm2, h))
        return self.skip(x) + h


@register("unet")
class UNet(nn.Module):
    """A small fully convolutional residual U-Net (GroupNorm, SiLU).

    ``len(channel_mults)`` resolution levels of widths ``base * m``, ``num_res_blocks``
    residual blocks per level on the way down and up (skip connections concatenated once
    per level), two residual blocks at the bottom, stride-2 3x3 convolutions down,
    nearest upsampling + 3x3 convolution up. Inputs of any H, W are reflect-padded to a
    multiple of 2^(levels - 1) and the output is cropped back.

    Time enters either
    - ``time="basis"`` (default, the paper's way): the body ignores t and the head emits J
      coefficients per output, reduced with the temporal basis g(t); or
    - ``time="embedding"``: a sinusoidal embedding of t (:func:`sinusoidal_embedding`), passed
      through a 2-layer MLP, is added in every residual block; the head emits the outputs
      directly (J unused).

    The head's last convolution is zero-initialised, so an untrained network outputs zeros.
    GroupNorm statistics are taken over the whole (padded) image, so unlike
    :class:`MultiScaleConvNet` the network is not strictly translation-equivariant.
    Defaults (base 28, mults (1, 2, 2), 1 block per level) give about 0.54 M parameters.
    """

    def __init__(self, T: int, channels: int = 1, outputs_per_channel: int = 2, J: int = 10,
                 base: int = 28, channel_mults: Sequence[int] = (1, 2, 2), num_res_blocks: int = 1,
                 groups: int = 8, time: str = "basis"):
        super().__init__()
        if outputs_per_channel not in (1, 2):
            raise ValueError("outputs_per_channel must be 1 (binomial) or 2 (Gaussian)")
        if time not in ("basis", "embedding"):
            raise ValueError("time must be 'basis' or 'embedding'")
        mults = [int(m) for m in channel_mults]
        if not mults or num_res_blocks < 1:
            raise ValueError("need at least one level and one residual block per level")
        if len(mults) > MAX_LEVELS:
            raise ValueError(f"channel_mults may have at most {MAX_LEVELS} levels, not {len(mults)}")
        self.T, self.channels, self.outputs_per_channel = int(T), int(channels), int(outputs_per_channel)
        self.n_out = self.channels * self.outputs_per_channel
        self.time = time
        self.factor = 2 ** (len(mults) - 1)
        self.basis = TemporalBasis(T, J) if time == "basis" else None
        if time == "embedding":
            self.temb_in = base
            temb_dim = 4 * base
            self.temb_mlp = nn.Sequential(nn.Linear(base, temb_dim), nn.SiLU(), nn.Linear(temb_dim, temb_dim))
        else:
            temb_dim = 0
            self.temb_mlp = None

        self.conv_in = nn.Conv2d(self.channels, base, 3, padding=1)
        self.down_blocks, self.downsamples = nn.ModuleList(), nn.ModuleList()
        skips, c = [], base
        for i, m in enumerate(mults):
            blocks = nn.ModuleList()
            for _ in range(num_res_blocks):
                blocks.append(ResBlock(c, base * m, groups, temb_dim))
                c = base * m
            self.down_blocks.append(blocks)
            skips.append(c)
            if i < len(mults) - 1:
                self.downsamples.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
        self.mid = nn.ModuleList([ResBlock(c, c, groups, temb_dim), ResBlock(c, c, groups, temb_dim)])
        self.up_blocks, self.upsamples = nn.ModuleList(), nn.ModuleList()
        for i in reversed(range(len(mults))):
            blocks = nn.ModuleList()
            for k in range(num_res_blocks):
                c_in = c + skips[i] if k == 0 else c
                blocks.append(ResBlock(c_in, base * mults[i], groups, temb_dim))
                c = base * mults[i]
            self.up_blocks.append(blocks)
            if i > 0:
                self.upsamples.append(nn.Conv2d(c, c, 3, padding=1))
        n_head = self.n_out * (self.basis.J if self.basis is not None else 1)
        self.norm_out = nn.GroupNorm(_groups(c, groups), c)
        self.conv_out = nn.Conv2d(c, n_head, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    partial_outputs = True  # forward(..., outputs=n) computes only the first n outputs per pixel
    nnpack = True  # its 3 x 3 convolutions go through conv3x3 (NNPACK within nnpack_convs())
    traceable = True  # a TorchScript trace per input shape and one t per batch is its forward (core/run/frozen.py)

    def forward(self, x: torch.Tensor, t: torch.Tensor, outputs: int | None = None) -> torch.Tensor:
        """Raw outputs (B, n_out, H, W); ``outputs`` = n: only the first n of them (a Gaussian
        model's mean head is the first half), the rest not computed."""
        B, C, H, W = x.shape
        if C != self.channels:
            raise ValueError(f"expected {self.channels} channels, got {C}")
        n = self.n_out if outputs is None else int(outputs)
        if not 1 <= n <= self.n_out:
            raise ValueError(f"outputs must be between 1 and {self.n_out}")
        t = _as_time(t, B, x.device)
        temb = None
        if self.temb_mlp is not None:
            temb = self.temb_mlp(sinusoidal_embedding(t, self.T, self.temb_in))
        h = conv3x3(self.conv_in, pad_to_multiple(x, self.factor))
        skips = []
        for i, blocks in enumerate(self.down_blocks):
            for blk in blocks:
                h = blk(h, temb)
            skips.append(h)
            if i < len(self.downsamples):
                h = self.downsamples[i](h)
        for blk in self.mid:
            h = blk(h, temb)
        for j, blocks in enumerate(self.up_blocks):
            h = torch.cat([h, skips.pop()], dim=1)
            for blk in blocks:
                h = blk(h, temb)
            if j < len(self.upsamples):
                h = upsample_conv(self.upsamples[j], h)
        return self._head(norm_silu(self.norm_out, h), t, n)[:, :, :H, :W]

    def _head(self, h: torch.Tensor, t: torch.Tensor, n: int) -> torch.Tensor:
        """The last convolution, for the first ``n`` outputs. With the temporal basis and one t
        for the whole batch (inference), g(t) is folded into the weights first: one
        convolution to n channels instead of one to J n channels and a reduction
        (the same sum, reordered; 256 x 256 colour, mean head only: 3 output channels, not 60)."""
        J = self.basis.J if self.basis is not None else 1
        w, b = self.conv_out.weight[:n * J], self.conv_out.bias[:n * J]
        if self.basis is None:
            return F.conv2d(h, w, b, padding=1)
        if bool((t == t[0]).all()):
            g = self.basis(t[:1])[0].to(w.dtype)  # (J,)
            w = torch.einsum("j,njcuv->ncuv", g, w.reshape(n, J, *w.shape[1:]))
            return F.conv2d(h, w, b.reshape(n, J) @ g, padding=1)
        return self.basis.reduce(F.conv2d(h, w, b, padding=1), t)
