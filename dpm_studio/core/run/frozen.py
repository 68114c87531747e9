"""Frozen network passes for runs of many passes of one shape (inpainting, sampling).

A run of 34 passes of one 160 x 160 crop (issue 26's 64 x 64 hole) spends a part of each pass in
Python and torch's dispatch (module calls, autocast's casts of every weight): about 0.85 ms of a
28 ms pass, more in a whole run. Here the network's pass at one input shape is traced once with
TorchScript (``torch.jit.trace`` of a copy whose convolutions hold bf16 weights, the GroupNorms fp32,
as bf16 autocast runs them) and frozen (``torch.jit.freeze``: weights as constants, folded where
the graph allows); later passes of that shape run the frozen graph. Measured (docs/speed.md,
session 11): the hole's run 1.24 -> 1.05 s on one thread, the trace 0.1-0.2 s once per network and
shape (the first run pays it); outputs equal to the autocast pass within a bf16 step.

Only where it is the same function: no gradients, a network that says it can be traced
(``traceable``: the U-Net), on the CPU, one t for the whole batch (the trace holds the folded
head). At most ``MAX_SHAPES`` traces are kept per network, the least recently used dropped first (a
shape seen again is traced again: the same frozen pass, so a run's pixels never depend on which runs
came before it). Anything the tracer refuses falls back to the eager pass, for that shape, for good.
The eager pass (``_Bf16Net``'s autocast, or fp32) stays the reference.
"""

from __future__ import annotations

import copy
import warnings
import weakref

import torch
from torch import nn

MAX_SHAPES = 4

#: network -> {(shape, outputs, weights' version): frozen module, or None where tracing failed}
_FROZEN: "weakref.WeakKeyDictionary[nn.Module, dict]" = weakref.WeakKeyDictionary()


class _Outputs(nn.Module):
    """``net(x, t, outputs=n)`` as a module of two inputs (what the tracer records)."""

    def __init__(self, net: nn.Module, outputs: int | None):
        super().__init__()
        self.net, self.outputs = net, outputs

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(x, t, outputs=self.outputs)


def _bf16_copy(net: nn.Module) -> nn.Module:
    """A copy whose convolutions hold bf16 weights (channels-last kept), everything else as it was."""
    twin = copy.deepcopy(net).eval()
    for m in twin.modules():
        if isinstance(m, nn.Conv2d):
            m.to(torch.bfloat16)
    return twin


def _trace(net: nn.Module, x: torch.Tensor, t: torch.Tensor, outputs: int | None):
    with warnings.catch_warnings():  # the tracer's warnings about shape-dependent branches: a trace is per shape
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(_Outputs(_bf16_copy(net), outputs), (x, t), check_trace=False)
        return torch.jit.freeze(traced.eval())


def version(net: nn.Module) -> int:
    """Changes whenever a parameter is modified in place (an optimiser's step, a state dict loaded)."""
    return sum(p._version for p in net.parameters())


def frozen_pass(net: nn.Module, x: torch.Tensor, t: torch.Tensor, outputs: int | None = None):
    """The network's output for ``x`` (bf16, channels-last) at times ``t`` from its frozen pass at
    ``x``'s shape, traced now if new; None where a frozen pass cannot serve (the caller runs the
    eager pass)."""
    if (torch.is_grad_enabled() or not getattr(net, "traceable", False) or x.device.type != "cpu"
            or x.dim() != 4 or t.dim() != 1 or t.shape[0] != x.shape[0] or not bool((t == t[0]).all())):
        return None
    ver = version(net)
    passes = _FROZEN.get(net)
    if passes is None or any(k[2] != ver for k in passes):  # new, or its weights changed since
        passes = _FROZEN[net] = {}
    key = (tuple(x.shape), outputs, ver)
    if key in passes:
        passes[key] = passes.pop(key)  # the most recently used last
    else:
        while len(passes) >= MAX_SHAPES:
            passes.pop(next(iter(passes)))
        try:
            passes[key] = _trace(net, x, t, outputs)
        except Exception:  # a tracer that refuses this network or shape: the eager pass serves
            passes[key] = None
    fn = passes[key]
    return None if fn is None else fn(x, t)


def forget(net: nn.Module) -> None:
    """Drop the network's frozen passes."""
    _FROZEN.pop(net, None)
