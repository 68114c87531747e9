"""Checkpoints: safetensors + JSON card, bit-identical round trip, refusals with clear errors."""

import json
import os
import pickle

import pytest
import torch

from dpm_studio.core.files import checkpoint
from dpm_studio.core.files.checkpoint import CheckpointError
from dpm_studio.core.train.presets import get_preset


@pytest.fixture
def saved(tmp_path):
    preset = get_preset("swiss-roll")
    d, net = preset.build()
    with torch.no_grad():
        d.schedule.theta.add_(0.01)  # a learned schedule must round-trip too
    path = checkpoint.save(tmp_path / "roll", d, net, {"network": preset.net_spec, "data": preset.data,
                                                        "description": "test"})
    return path, d, net


def test_round_trip_is_bit_identical(saved):
    path, d, net = saved
    loaded = checkpoint.load(path)
    for a, b in zip(net.state_dict().values(), loaded.net.state_dict().values()):
        assert torch.equal(a, b)
    assert torch.equal(d.betas().detach(), loaded.diffusion.betas().detach())
    x, t = torch.randn(5, 2), torch.full((5,), 7.0)
    assert torch.equal(net.eval()(x, t), loaded.net(x, t))
    assert loaded.card["family"] == "gaussian" and loaded.card["parameters"] > 0


def test_malformed_card_is_refused_with_a_clear_error(saved):
    path, _, _ = saved
    path.write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        checkpoint.load(path)
    path.write_text(json.dumps({"format": checkpoint.FORMAT, "name": "x"}))
    with pytest.raises(CheckpointError, match="lacks"):
        checkpoint.load(path)


def test_a_pickle_is_never_loaded(saved, tmp_path):
    path, _, net = saved
    weights = path.with_suffix(".safetensors")
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    weights.write_bytes(pickle.dumps(Evil(), protocol=4))
    with pytest.raises(CheckpointError, match="pickle"):
        checkpoint.load(path)
    assert not marker.exists()
    torch.save(net.state_dict(), weights)  # a zip-based torch file
    with pytest.raises(CheckpointError, match="pickle or zip"):
        checkpoint.load(path)
    weights.write_bytes(b"\x00" * 10)
    with pytest.raises(CheckpointError, match="not a valid safetensors"):
        checkpoint.load(path)


def test_misshapen_or_missing_tensors_are_refused(saved):
    from safetensors.torch import load_file, save_file

    path, _, _ = saved
    weights = path.with_suffix(".safetensors")
    tensors = load_file(str(weights))
    key = next(k for k in tensors if k.startswith("net."))
    bad = dict(tensors)
    bad[key] = torch.zeros(3, 3)
    save_file(bad, str(weights))
    with pytest.raises(CheckpointError, match="shape"):
        checkpoint.load(path)
    del bad[key]
    save_file(bad, str(weights))
    with pytest.raises(CheckpointError, match="missing"):
        checkpoint.load(path)


def test_listing_and_resolving_by_name(saved, tmp_path, monkeypatch):
    monkeypatch.setenv("DPM_STUDIO_CHECKPOINTS", str(tmp_path))
    names = [c["name"] for c in checkpoint.list_cards()]
    assert "roll" in names
    assert checkpoint.resolve("roll") == saved[0]
    with pytest.raises(CheckpointError, match="no checkpoint named"):
        checkpoint.resolve("no-such-model")


def test_a_name_resolves_to_the_listings_winner_checking_only_that_names_cards(tmp_path, monkeypatch):
    """resolve gives the card the listing shows under a name (its first usable card in search order: a
    first folder's card of that name whose weights cannot hold its model is skipped), and builds only
    that name's networks to check them: building every card's was 0.025 s CPU of each command."""
    preset = get_preset("swiss-roll")
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, names in ((first, ("b",)), (second, ("a", "b", "c"))):
        for name in names:
            d, net = preset.build()
            checkpoint.save(folder / name, d, net, {"network": preset.net_spec, "data": preset.data,
                                                    "description": name})
    card = json.loads((first / "b.json").read_text())
    card["network"]["kwargs"]["hidden"] = 4096  # more numbers than its weights file holds
    (first / "b.json").write_text(json.dumps(card))
    built = []
    real = checkpoint.check_weights_fit
    monkeypatch.setattr(checkpoint, "check_weights_fit", lambda c, n: built.append(c["name"]) or real(c, n))
    found = checkpoint.resolve("b", dirs=[first, second])
    assert found == second / "b.json"
    assert built == ["b", "b"]  # the refused one and the winner; not a or c
    listed = {c["name"]: c["path"] for c in checkpoint.list_cards([first, second])}
    assert listed["b"] == str(found)
    with pytest.raises(CheckpointError, match=r"no checkpoint named 'z' \(available: a, b, c\)"):
        checkpoint.resolve("z", dirs=[first, second])


def test_the_cache_keeps_the_models_used_last_and_never_loads_when_asked(saved, tmp_path, monkeypatch):
    """load_cached keeps the models used last (the app and the API share it); cached() says what it would
    return at once, never loading: the app asks it whether a model must load in a thread."""
    path, d, net = saved
    other = checkpoint.save(tmp_path / "roll2", d, net, {"network": get_preset("swiss-roll").net_spec,
                                                         "data": get_preset("swiss-roll").data, "description": "t"})
    checkpoint.clear_cache()
    monkeypatch.setattr(checkpoint, "_CACHE_SIZE", 1)
    assert checkpoint.cached(path) is None
    first = checkpoint.load_cached(path)
    assert checkpoint.cached(path) is first and checkpoint.load_cached(path) is first
    assert checkpoint.cached(path, "meta") is None, "another device is another entry"
    checkpoint.load_cached(other)
    assert checkpoint.cached(path) is None, "let go: one model kept"
    assert checkpoint.cached(other) is not None
    assert checkpoint.load_cached(path) is not first
    st = path.with_suffix(".safetensors").stat()
    os.utime(path.with_suffix(".safetensors"), ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert checkpoint.cached(path) is None, "its files changed: not taken from the cache"
    assert checkpoint.cached(tmp_path / "missing") is None
    checkpoint.clear_cache()
