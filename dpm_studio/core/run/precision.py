"""How a run's network passes are computed: channels-last weights, bf16 (autocast, or a frozen trace
per shape: :mod:`.frozen`), fp32 where bf16 cannot serve (on a CPU: NCHW, NNPACK's convolutions). Moved from tasks.py (its names stay importable
there)."""

from __future__ import annotations

import torch


def _contiguous(net) -> None:
    """Keep an image network's convolution weights NCHW (:class:`_Fp32Net`'s layout)."""
    if any(p.dim() == 4 and not p.is_contiguous() for p in net.parameters()):
        net.to(memory_format=torch.contiguous_format)


def _channels_last(net) -> None:
    """Keep an image network's convolution weights channels-last (NHWC) for inference.

    On the CPU the convolutions then skip layout conversions (one 256 x 256 photos-rgb
    pass, one thread: 0.31 s instead of 0.67 s; docs/architectures.md), with outputs equal
    to 3e-5."""
    if any(p.dim() == 4 and not p.is_contiguous(memory_format=torch.channels_last) for p in net.parameters()):
        net.to(memory_format=torch.channels_last)


#: Below this many pixels on a side a network pass runs in fp32: images 1-4 px wide came out NaN
#: in bf16 (a black image saved as a success).
MIN_BF16_SIDE = 8


class _Bf16Net:
    """A network whose forward runs under bf16 autocast and returns fp32 (attributes pass through).

    ``frozen``: passes run a frozen trace of the network per input shape where one can serve
    (core/run/frozen.py: runs of many passes of one shape, inpainting and sampling); else autocast.
    Where bf16 cannot serve, the pass runs in fp32 instead: an input under ``MIN_BF16_SIDE``
    pixels on a side, or a bf16 pass that gave NaN or infinity from finite inputs."""

    def __init__(self, net, frozen: bool = False):
        self.net, self.frozen = net, frozen

    def __call__(self, x, t, **kwargs):
        if x.dim() == 4 and min(x.shape[-2:]) < MIN_BF16_SIDE:
            return self.net(x, t, **kwargs).float()
        out = None
        if self.frozen and set(kwargs) <= {"outputs"}:
            from .frozen import frozen_pass, network_of

            xb = x.to(torch.bfloat16).contiguous(memory_format=torch.channels_last)
            out = frozen_pass(network_of(self.net), xb,  # the network inside the app's Cancel wrapper
                              torch.as_tensor(t, device=x.device).float().reshape(-1), kwargs.get("outputs"))
        if out is None:
            with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):
                out = self.net(x, t, **kwargs)
        out = out.float()
        if not bool(torch.isfinite(out).all()) and bool(torch.isfinite(x).all()):
            return self.net(x, t, **kwargs).float()
        return out

    def __getattr__(self, name):
        return getattr(self.net, name)


class _Fp32Net:
    """A network whose fp32 passes on the CPU run NCHW, their 3 x 3 convolutions through NNPACK's
    Winograd algorithm (core/math/nets_image.nnpack_convs; attributes pass through).

    On a CPU without native bf16 (this project's AMD EPYC, many laptops) the passes are fp32, and
    oneDNN's direct convolutions, channels-last, ran at about 75 % of the core's peak: 80 % of a pass.
    Winograd F(6x6, 3x3) does a quarter of their multiplications; NNPACK takes NCHW only, so the whole
    pass runs NCHW (the weights too: :func:`_contiguous`). photos-rgb-v2, 256 x 256, one thread:
    0.94 -> 0.81 s CPU a pass; outputs equal to 3e-5 (docs/speed.md). Only with torch on one thread
    (:func:`nnpack_serves`)."""

    def __init__(self, net):
        self.net = net

    def __call__(self, x, t, **kwargs):
        from ..math.nets_image import nnpack_convs

        with nnpack_convs():
            return self.net(x.contiguous(), t, **kwargs)

    def __getattr__(self, name):
        return getattr(self.net, name)


def nnpack_serves(net, device) -> bool:
    """Whether a fp32 run of ``net`` on ``device`` takes :class:`_Fp32Net`'s passes: a network that
    routes its convolutions through nets_image.conv3x3 (its ``nnpack``), on a CPU with NNPACK, torch
    on one thread (nets_image.nnpack_fits: with two, NNPACK's spinning pool made a pass slower)."""
    from ..math.nets_image import nnpack_fits

    return (torch.device(device).type == "cpu" and getattr(net, "nnpack", False) is True
            and nnpack_fits())


def _with_precision(loaded, precision: str, device, frozen: bool = False):
    """``loaded`` with its network in the arithmetic ``precision`` asks for ("auto": bf16 where
    :func:`~dpm_studio.core.machine.devices.native_bf16`, else fp32), its weights laid out for it;
    ``frozen``: bf16 passes from frozen traces where they serve (:class:`_Bf16Net`); fp32 on a CPU:
    NNPACK's convolutions where they serve (:class:`_Fp32Net`)."""
    from ..machine.devices import native_bf16

    if precision == "bf16" or (precision == "auto" and native_bf16(device)):
        _channels_last(loaded.net)
        return _with_net(loaded, _Bf16Net(loaded.net, frozen))
    if nnpack_serves(loaded.net, device):
        _contiguous(loaded.net)
        return _with_net(loaded, _Fp32Net(loaded.net))
    _channels_last(loaded.net)
    return loaded


def _with_net(loaded, net):
    """``loaded`` (a loaded checkpoint, or any object with a ``net``: a test's namespace) with ``net``."""
    import copy
    from dataclasses import is_dataclass, replace

    if is_dataclass(loaded):
        return replace(loaded, net=net)
    twin = copy.copy(loaded)
    twin.net = net
    return twin
