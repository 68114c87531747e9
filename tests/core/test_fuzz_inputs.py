"""Fuzzing the two kinds of JSON anyone can hand the app (issue 18): checkpoint cards and the
run settings inside images. Whatever the values, a card is read, listed and loaded or refused
with a CheckpointError (never another exception), and an image's metadata is a dict or
ignored, never an error."""

from __future__ import annotations

import copy
import json
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from dpm_studio import imageio
from dpm_studio.core.files import checkpoint
from dpm_studio.core.files.checkpoint import CheckpointError

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2 ** 70, max_value=2 ** 70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
                    st.sampled_from([0, 1, 2, 3, -1, 1e308, "x", "", "gaussian", "unet", "cosine", 1200,
                                     300_000_000, 1e-300]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                      max_leaves=12)
#: Where in a card a value goes (paths of keys; the last key may be new).
PLACES = [("name",), ("family",), ("description",), ("format",), ("network",), ("network", "type"),
          ("network", "kwargs"), ("network", "kwargs", "T"), ("network", "kwargs", "channels"),
          ("network", "kwargs", "conv_filters"), ("network", "kwargs", "num_scales"), ("network", "kwargs", "J"),
          ("diffusion",), ("diffusion", "schedule"), ("diffusion", "schedule", "T"),
          ("diffusion", "schedule", "kind"), ("diffusion", "schedule", "s"), ("diffusion", "parametrisation"),
          ("diffusion", "first_step"), ("data",), ("data", "channels"), ("data", "scale"),
          ("data", "scale", "mean"), ("data", "scale", "std"), ("bound",), ("bound", "K"), ("bound", "units"),
          ("parameters",), ("training",), ("weights",)]


@pytest.fixture(scope="module")
def tiny_card(tmp_path_factory):
    import torch

    from dpm_studio.core import GaussianDiffusion, Schedule
    from dpm_studio.core.math.nets import build_net

    folder = tmp_path_factory.mktemp("fuzz-ckpt")
    torch.manual_seed(0)
    spec = {"type": "multiscale", "kwargs": {"T": 10, "channels": 3, "conv_filters": 4, "dense_units": 4}}
    path = checkpoint.save(folder / "base", GaussianDiffusion(Schedule("cosine", 10), "eps"), build_net(spec),
                           {"network": spec, "description": "fuzz", "data": {"recipe": "t", "channels": 3,
                            "scale": {"mean": 0.5, "std": 0.25}}})
    return folder, json.loads(path.read_text())


def _put(card, place, value):
    d = card
    for k in place[:-1]:
        if not isinstance(d.get(k), dict):
            d[k] = {}
        d = d[k]
    d[place[-1]] = value


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(PLACES), VALUES), min_size=1, max_size=3))
def test_any_card_is_loaded_or_refused_with_a_checkpoint_error(tiny_card, edits):
    folder, base = tiny_card
    card = copy.deepcopy(base)
    for place, value in edits:
        _put(card, place, value)
    path = folder / "fuzzed.json"
    path.write_text(json.dumps(card, allow_nan=True))
    weights = folder / "fuzzed.safetensors"
    if not weights.exists():
        os.link(folder / "base.safetensors", weights)
    try:
        read = checkpoint.read_card(path)
    except CheckpointError as e:
        assert "\n" not in str(e)
        read = None
    cards, skipped = checkpoint.scan_cards([folder])
    assert "base" in [c["name"] for c in cards]
    listed = {c["path"] for c in cards} | {p for c in cards for p in c.get("shadows", [])}
    was_skipped = any("fuzzed.json" in s for s in skipped)
    assert was_skipped if read is None else (str(path) in listed or was_skipped)
    if read is not None:
        assert isinstance(read["name"], str) and read["name"]
        b = read.get("bound") or {}
        assert b.get("K") is None or math.isfinite(b["K"])
        try:
            loaded = checkpoint.load(path)
        except CheckpointError as e:
            assert "\n" not in str(e)
        else:
            assert loaded.net is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(meta=st.one_of(VALUES.map(lambda v: json.dumps(v, allow_nan=True)), st.text(max_size=200),
                      st.integers(min_value=1, max_value=3000).map(lambda n: '{"runs": ' + "[" * n + "]" * n + "}")))
def test_any_image_metadata_is_a_dict_or_ignored(tmp_path, meta):
    info = PngImagePlugin.PngInfo()
    info.add_text(imageio.METADATA_KEY, meta)
    p = tmp_path / "m.png"
    Image.fromarray(np.full((4, 4, 3), 7, np.uint8)).save(p, pnginfo=info)
    data = imageio.load_image(p)
    assert isinstance(data.metadata, dict) and data.pixels.shape == (4, 4, 3)
