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

Threads. The app runs its passes in a worker thread (gui/runner.py), its network inside a wrapper that
checks Cancel before each pass (:func:`network_of` traces the network inside, not the wrapper: traced
whole, the wrapper's threading.Event failed the deepcopy, so until then the app never ran a frozen pass,
yet copied the whole network each run). The trace leaves ~3,500 new objects alive (photos-rgb; an eager
pass ~50), enough to start CPython's cyclic collector in that thread, which freed earlier windows' Qt
objects from it: the segmentation fault that switched these passes off (c1bab4a). The app's collector
now runs only in the GUI thread while a worker runs (gui/collector.py); nothing here is Qt's business.
The cache is shared by threads under a lock (a trace is made once even when two threads ask at once).
"""

from __future__ import annotations

import copy
import threading
import warnings
import weakref

import torch
from torch import nn

MAX_SHAPES = 4

#: network -> {(shape, outputs, weights' version): frozen module, or None where tracing failed}
_FROZEN: "weakref.WeakKeyDictionary[nn.Module, dict]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()  # over _FROZEN's reads, writes and traces (a WeakKeyDictionary is not thread-safe)


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


def network_of(net) -> nn.Module | None:
    """The network inside a run's wrappers whose call is ``self.before_pass()`` then ``self.net(...)``
    (the app's, which checks its Cancel flag before each pass: gui/model/frames._StoppableNet), each
    ``before_pass()`` called now as its call would; None for any other wrapper (the eager pass serves).
    Traced whole, such a wrapper was deep-copied with its own attributes: a threading.Event, whose lock
    cannot be copied, so every app run copied the whole network and then fell back to the eager pass."""
    while not isinstance(net, nn.Module):
        if not callable(getattr(type(net), "before_pass", None)) or "net" not in vars(net):
            return None
        net.before_pass()
        net = vars(net)["net"]
    return net


def version(net: nn.Module) -> int:
    """Changes whenever a parameter is modified in place (an optimiser's step, a state dict loaded)."""
    return sum(p._version for p in net.parameters())


def frozen_pass(net: nn.Module, x: torch.Tensor, t: torch.Tensor, outputs: int | None = None):
    """The network's output for ``x`` (bf16, channels-last) at times ``t`` from its frozen pass at
    ``x``'s shape, traced now if new; None where a frozen pass cannot serve (the caller runs the
    eager pass)."""
    if (not isinstance(net, nn.Module) or torch.is_grad_enabled() or not getattr(net, "traceable", False)
            or x.device.type != "cpu" or x.dim() != 4 or t.dim() != 1 or t.shape[0] != x.shape[0] or not bool((t == t[0]).all())):
        return None
    with _LOCK:
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
    with _LOCK:
        _FROZEN.pop(net, None)
