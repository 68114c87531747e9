"""The interface every training-data recipe has (:class:`Recipe`) and the helpers recipes share:
package versions and content hashes for the provenance, seeds derived from a tag."""

from __future__ import annotations

import hashlib
from importlib import metadata

import numpy as np
import torch


def _package_versions(*names: str) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _sha256(arr: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def _derived_seed(tag: str, seed: int) -> int:
    digest = hashlib.sha256(f"dpm_studio/{tag}/{int(seed)}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


class Recipe:
    """Common interface.  Subclasses set the attributes and implement the two draws."""

    name: str
    channels: int
    provenance: dict
    mean: float
    std: float
    kernel: str = "gaussian"

    def batch(self, n: int, patch: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """(n, channels, patch, patch) float32 training batch in model space."""
        raise NotImplementedError

    def held_out(self, n: int, patch: int, seed: int = 0) -> torch.Tensor:
        """Fixed (for a given n, patch, seed) held-out set, same shape and space as batch."""
        raise NotImplementedError

    def scale(self, x: torch.Tensor) -> torch.Tensor:
        """[0, 1] data -> model space (x - mean) / std."""
        return (x - self.mean) / self.std

    def unscale(self, z: torch.Tensor) -> torch.Tensor:
        """Model space -> [0, 1] data (not clipped)."""
        return z * self.std + self.mean

    def summary(self) -> str:
        return (f"{self.name}: {self.channels} channel(s), mean {self.mean:.4f}, "
                f"std {self.std:.4f}, {len(self.provenance.get('sources', []))} source(s)")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.summary()}>"


def dequantise(v: torch.Tensor, mean: float, std: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """8-bit values (a float tensor) to model space as every image recipe does:
    x = (v + u) / 256 with u ~ U(0, 1), then (x - mean) / std."""
    x = (v + torch.rand(v.shape, generator=generator)) / 256.0
    return ((x - mean) / std).contiguous()


def _check_patch(patch: int) -> int:
    patch = int(patch)
    if patch < 1:
        raise ValueError("patch must be >= 1")
    return patch
