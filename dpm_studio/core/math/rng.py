"""Random generators on the device of the tensors they feed.

A ``torch.Generator`` belongs to one device, and a draw refuses a generator of another
device ("Expected a 'cuda' device type for generator but found 'cpu'"). Every draw in the
core therefore states ``device=`` (or draws from an input tensor, as ``bernoulli`` and
``multinomial`` do) and takes a generator made here for that device. On the CPU a seed
gives the same numbers as ``torch.Generator().manual_seed(seed)``; on another device a
seed is reproducible on that device, not equal to the CPU's numbers.
"""

from __future__ import annotations

import torch


def make_generator(device=None, seed: int | None = 0) -> torch.Generator:
    """A generator on ``device`` (default: the CPU), seeded with ``seed`` (None: fresh entropy)."""
    dev = torch.device(device if device is not None else "cpu")
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    g = torch.Generator(device=dev)
    if seed is None:
        g.seed()
    else:
        g.manual_seed(int(seed))
    return g


def generator_for(generator: torch.Generator | None, device) -> torch.Generator | None:
    """``generator`` if it lives on ``device`` (or is None); else a clear error, before a draw fails deep inside."""
    if generator is None:
        return None
    dev = torch.device(device)
    if generator.device.type != dev.type:
        raise ValueError(f"a random generator on {generator.device} cannot draw for tensors on {dev}; "
                         "make it with dpm_studio.core.math.rng.make_generator(device, seed)")
    return generator
