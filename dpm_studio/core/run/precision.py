"""How a run's network passes are computed: channels-last weights, bf16 (autocast, or a frozen trace
per shape: :mod:`.frozen`), fp32 where bf16 cannot serve. Moved from tasks.py (its names stay importable
there)."""

from __future__ import annotations

import torch


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


def _with_precision(loaded, precision: str, device, frozen: bool = False):
    """``loaded`` with its network in the arithmetic ``precision`` asks for ("auto": bf16 where
    :func:`~dpm_studio.core.machine.devices.native_bf16`, else fp32); ``frozen``: bf16 passes from
    frozen traces where they serve (:class:`_Bf16Net`)."""
    from dataclasses import replace

    from ..machine.devices import native_bf16

    if precision == "bf16" or (precision == "auto" and native_bf16(device)):
        return replace(loaded, net=_Bf16Net(loaded.net, frozen))
    return loaded
