"""A tiny untrained colour checkpoint in a checkpoint folder of the test's own (``tiny``)."""

import pytest
import torch

from dpm_studio.core import GaussianDiffusion, Schedule

from dpm_studio.core.files import checkpoint
from dpm_studio.core.math.nets import build_net


def save_tiny(folder, name="tiny-rgb", channels=3, seed=0):
    torch.manual_seed(seed)
    spec = {"type": "multiscale", "kwargs": {"T": 20, "channels": channels}}
    return checkpoint.save(folder / name, GaussianDiffusion(Schedule("cosine", 20), "eps"), build_net(spec),
                           {"network": spec, "description": "test", "data": {"recipe": "test", "channels": channels,
                            "scale": {"mean": 0.5, "std": 0.25}, "provenance": "untrained"}})


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    folder = tmp_path / "ckpt"
    save_tiny(folder)
    monkeypatch.setenv("DPM_STUDIO_CHECKPOINTS", str(folder))
    return "tiny-rgb"


@pytest.fixture
def make_tiny():
    """``make_tiny(folder, name, channels)`` writes another tiny checkpoint."""
    return save_tiny


@pytest.fixture
def img(tmp_path):
    """(in.png, m.png): a 32 x 32 RGB noise picture and a mask with an 8 x 8 hole in the middle."""
    import numpy as np
    from PIL import Image

    src, mask = tmp_path / "in.png", tmp_path / "m.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(src)
    Image.fromarray(np.pad(np.full((8, 8), 255, np.uint8), 12)).save(mask)
    return src, mask
