"""Checkpoints that must be refused, never executed: pickles by name and by content,
misshapen or missing tensors (named, with both shapes), inconsistent cards."""

from __future__ import annotations

import ast
import hashlib
import json
import pickle
from pathlib import Path

import pytest
import torch

from dpm_studio.core import GaussianDiffusion, Schedule

from dpm_studio.core.files import checkpoint
from dpm_studio.core.files.checkpoint import CheckpointError
from dpm_studio.core.math.nets import build_net

SPEC = {"type": "multiscale", "kwargs": {"T": 10, "channels": 3}}


def _save(folder, name="m", spec=SPEC, channels=3):
    torch.manual_seed(0)
    return checkpoint.save(folder / name, GaussianDiffusion(Schedule("cosine", 10), "eps"), build_net(spec),
                           {"network": spec, "description": "t", "data": {"recipe": "t", "channels": channels}})


class _Evil:
    marker = None

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _evil_bytes(marker, protocol):
    _Evil.marker = marker
    return pickle.dumps(_Evil(), protocol=protocol)


@pytest.mark.parametrize("ext", [".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".bin", ".zip"])
def test_pickle_extensions_are_refused_without_opening(tmp_path, ext, monkeypatch):
    marker = tmp_path / "pwned"
    p = tmp_path / f"model{ext}"
    p.write_bytes(_evil_bytes(marker, 4))
    opened = []
    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: opened.append(self) or real_open(self, *a, **k))
    for fn in (checkpoint.resolve, checkpoint.load, checkpoint.read_card):
        with pytest.raises(CheckpointError, match="can run code when loaded"):
            fn(p)
    assert not marker.exists() and p not in opened


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
def test_pickle_content_under_a_safetensors_name_is_never_unpickled(tmp_path, protocol):
    card = _save(tmp_path)
    marker = tmp_path / "pwned"
    card.with_suffix(".safetensors").write_bytes(_evil_bytes(marker, protocol))
    with pytest.raises(CheckpointError, match="pickle or zip|not a valid safetensors"):
        checkpoint.load(card)
    assert not marker.exists()


def test_the_weights_go_through_safetensors_only(tmp_path, monkeypatch):
    import safetensors.torch

    calls = []
    for name in ("load_file", "load"):  # load: the bytes read once (and hashed against the card)
        real = getattr(safetensors.torch, name)
        monkeypatch.setattr(safetensors.torch, name, lambda *a, _real=real, **k: calls.append(a) or _real(*a, **k))
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load must never be called"))
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("pickle.load must never be called"))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("pickle.loads must never be called"))
    checkpoint.load(_save(tmp_path))
    assert calls


def test_no_module_can_unpickle():
    """No call of torch.load, pickle.load(s), numpy.load with allow_pickle, joblib or dill anywhere."""
    root = Path(__file__).resolve().parents[2] / "dpm_studio"
    bad = []
    for f in root.rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value.id if isinstance(node.func.value, ast.Name) else ""
                name = f"{owner}.{node.func.attr}"
                if name in ("torch.load", "pickle.load", "pickle.loads", "joblib.load", "dill.load", "dill.loads"):
                    bad.append(f"{f.name}:{node.lineno} {name}")
                if node.func.attr == "load" and any(k.arg == "allow_pickle" for k in node.keywords):
                    bad.append(f"{f.name}:{node.lineno} allow_pickle")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if any(n.split(".")[0] in ("pickle", "dill", "joblib", "cloudpickle") for n in names):
                    bad.append(f"{f.name}:{node.lineno} imports a pickler")
    assert bad == []


def _tampered(folder, edit):
    """A saved checkpoint whose weights ``edit(tensors)`` changed in place; returns (card, edit's value)."""
    from safetensors.torch import load_file, save_file

    card = _save(folder)
    weights = card.with_suffix(".safetensors")
    tensors = load_file(str(weights))
    value = edit(tensors)
    save_file(tensors, str(weights))
    return card, value


def _first_net_key(tensors, min_dim=0):
    return sorted(k for k in tensors if k.startswith("net.") and tensors[k].dim() >= min_dim)[0]


def test_misshapen_tensor_is_named_with_both_shapes(tmp_path):
    def edit(tensors):
        key = _first_net_key(tensors, 2)
        want = tuple(tensors[key].shape)
        tensors[key] = torch.zeros(2, 2)
        return key, want

    card, (key, want) = _tampered(tmp_path, edit)
    with pytest.raises(CheckpointError) as info:
        checkpoint.load(card)
    assert f"tensor {key} has shape (2, 2), the card's model needs {want}" in str(info.value)


def test_missing_and_unexpected_tensors_are_named(tmp_path):
    def edit(tensors):
        key = _first_net_key(tensors)
        tensors["net.surprise"] = tensors.pop(key)
        return key

    card, key = _tampered(tmp_path, edit)
    with pytest.raises(CheckpointError) as info:
        checkpoint.load(card)
    assert f"missing tensors: {key}; unexpected tensors: net.surprise" in str(info.value)


@pytest.mark.parametrize("bad,why", [(float("nan"), "holds NaN or infinite values"),
                                     (float("inf"), "holds NaN or infinite values"),
                                     (float("-inf"), "holds NaN or infinite values"),
                                     (-2e4, r"holds values as large as 2e\+04 \(at most 10000\)")])
def test_non_finite_or_huge_weights_are_refused_by_which(tmp_path, bad, why):
    """One value among ordinary ones is enough (the check is one largest-magnitude reduction per
    tensor, NaN included; the reason is looked for in the tensor refused)."""
    def edit(tensors):
        key = _first_net_key(tensors)
        tensors[key] = tensors[key].clone()
        tensors[key].view(-1)[-1] = bad
        return key

    card, key = _tampered(tmp_path, edit)
    with pytest.raises(CheckpointError, match=f"{key} {why}"):
        checkpoint.load(card)


def test_weights_at_the_largest_allowed_magnitude_load(tmp_path):
    def edit(tensors):
        key = _first_net_key(tensors)
        tensors[key] = tensors[key].clone()
        tensors[key].view(-1)[0] = -checkpoint.MAX_WEIGHT
        return key

    card, key = _tampered(tmp_path, edit)
    meta = json.loads(card.read_text())  # the card made for these weights
    meta["weights_sha256"] = hashlib.sha256(card.with_suffix(".safetensors").read_bytes()).hexdigest()
    card.write_text(json.dumps(meta))
    assert float(checkpoint.load(card).net.state_dict()[key[len("net."):]].view(-1)[0]) == -checkpoint.MAX_WEIGHT


def test_a_cards_network_is_built_on_meta_once_per_description(tmp_path, monkeypatch):
    """Finding a name and loading it both check that the weights can hold the card's network: the
    meta build (9 ms for photos-rgb-v2) is made once per description; a changed one is built again."""
    from dpm_studio.core.files import cardschema
    from dpm_studio.core.math import nets

    on_meta = []
    real = nets.build_net
    monkeypatch.setattr(nets, "build_net", lambda spec: (on_meta.append(spec) if torch.empty(0).is_meta else None)
                        or real(spec))
    cardschema._network_bytes.cache_clear()
    card = _save(tmp_path)
    for _ in range(3):
        checkpoint.load(card)
    assert on_meta == [SPEC]
    other = json.loads(card.read_text())
    other["network"]["kwargs"]["T"] = 11  # another description: built, and refused by its size
    with pytest.raises(cardschema.CardError, match="its network needs"):
        cardschema.check_weights_fit(other, 100)
    assert on_meta == [SPEC, other["network"]]


def test_card_whose_channels_disagree_with_its_network(tmp_path):
    card = _save(tmp_path, channels=1)
    with pytest.raises(CheckpointError, match="its data has 1 channel.* its network takes 3"):
        checkpoint.load(card)


@pytest.mark.parametrize("network", [{"type": "multiscale", "kwargs": {"T": 10, "channels": 3, "nonsense": 1}},
                                     {"type": "no-such-net"}, {"type": "multiscale", "kwargs": {"T": "ten"}}])
def test_unbuildable_network_is_one_clear_error(tmp_path, network):
    card = _save(tmp_path)
    meta = json.loads(card.read_text())
    meta["network"] = network
    card.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="describes a model that cannot be built|must be an integer"):
        checkpoint.load(card)


@pytest.mark.parametrize("text,msg", [("", "not valid JSON"), ("[1, 2]", "JSON object"), ("\xff\xfe", "JSON"),
                                      ('{"format": "other/9", "name": "x", "family": "gaussian", "network": {}, '
                                       '"diffusion": {"schedule": {}}, "data": {}}', "has format"),
                                      ('{"format": "dpm-studio-checkpoint/1", "name": "x", "family": "gaussian", '
                                       '"network": [], "diffusion": {"schedule": {}}, "data": {}}', "must be an object")])
def test_malformed_cards(tmp_path, text, msg):
    card = _save(tmp_path)
    card.write_text(text, encoding="latin-1")
    with pytest.raises(CheckpointError, match=msg):
        checkpoint.load(card)


def test_stored_schedule_that_differs_from_the_card_is_refused(tmp_path):
    """A fixed schedule is a function of its spec: weights holding other rates are inconsistent."""
    from safetensors.torch import load_file, save_file

    card = _save(tmp_path)
    weights = card.with_suffix(".safetensors")
    tensors = load_file(str(weights))
    tensors["diffusion.schedule._betas"][-1] = 0.5
    save_file(tensors, str(weights))
    with pytest.raises(CheckpointError, match=r"noise schedule differs.*t = 10"):
        checkpoint.load(card)
