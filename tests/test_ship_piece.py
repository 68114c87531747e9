"""scripts/ship_piece.py: a piece's weights and training go in, what the shipped card says the model is
for stays, and the description's example count follows the pieces."""

import importlib.util
import json
from pathlib import Path

import torch

from dpm_studio.core import GaussianDiffusion, Schedule
from dpm_studio.core.files import checkpoint
from dpm_studio.core.math.nets import build_net

ROOT = Path(__file__).resolve().parents[1]
SPEC = {"type": "multiscale", "kwargs": {"T": 20, "channels": 3}}


def _ship_piece():
    spec = importlib.util.spec_from_file_location("ship_piece", ROOT / "scripts" / "ship_piece.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _save(folder: Path, name: str, seed: int, card: dict) -> Path:
    torch.manual_seed(seed)
    return checkpoint.save(folder / name, GaussianDiffusion(Schedule("cosine", 20), "eps"), build_net(SPEC),
                           {"network": SPEC, **card})


def _training(pieces):
    seen = {}
    for p in pieces:
        d = seen.setdefault(p["device"], {"examples": 0, "minutes": 0.0, "pieces": 0})
        d["examples"] += p["examples"]
        d["minutes"] += p["minutes"]
        d["pieces"] += 1
    return {"pieces": pieces, "seen": seen, "commands": [f"train {len(pieces)}"]}


def test_the_piece_replaces_weights_and_training_and_keeps_the_shipped_description(tmp_path):
    gpu = {"device": "cuda", "examples": 1_000_000, "minutes": 6.0}
    shipped = _save(tmp_path / "checkpoints", "photos-x", 0, {
        "description": "Photos (1.00 M training examples): the default for denoising",
        "data": {"recipe": "photos-rgb", "channels": 3, "scale": {"mean": 0.5, "std": 0.25}, "provenance": "kept"},
        "defaults": {"denoise": {"ensemble": 1}},
        "training": {**_training([gpu]), "notes": {"source_run": "piece 1 on a GPU"}}})
    piece = _save(tmp_path / "run", "photos-rgb", 1, {
        "description": "whatever the training run wrote",
        "data": {"recipe": "photos-rgb", "channels": 3, "scale": {"mean": 0.5, "std": 0.25}, "provenance": "run"},
        "training": _training([gpu, {"device": "cpu", "examples": 48_000, "minutes": 98.0}])})

    assert _ship_piece().main([str(tmp_path / "run"), "--into", "photos-x", "--note", "piece 2 on the CPU",
                               "--checkpoints", str(tmp_path / "checkpoints")]) == 0

    card = json.loads(shipped.read_text())
    assert card["description"] == "Photos (1.05 M training examples): the default for denoising"
    assert card["data"]["provenance"] == "kept" and card["defaults"] == {"denoise": {"ensemble": 1}}
    assert card["training"]["seen"]["cpu"]["examples"] == 48_000
    assert card["training"]["notes"]["source_run"] == "piece 1 on a GPU; piece 2 on the CPU"
    assert card["training"]["commands"] == ["train 1", "train 2"]
    shipped_net = checkpoint.load(shipped).net.state_dict()
    piece_net = checkpoint.load(piece).net.state_dict()
    assert all(torch.equal(shipped_net[k], piece_net[k]) for k in piece_net)


def test_a_piece_of_another_network_is_refused(tmp_path, capsys):
    _save(tmp_path / "checkpoints", "photos-x", 0, {"description": "d", "data": {"recipe": "r", "channels": 3}})
    run = _save(tmp_path / "run", "photos-rgb", 1, {"description": "d", "data": {"recipe": "r", "channels": 3}})
    card = json.loads(run.read_text())
    card["network"] = {"type": "unet-te", "kwargs": {}}
    run.write_text(json.dumps(card))
    before = (tmp_path / "checkpoints" / "photos-x.json").read_text()
    assert _ship_piece().main([str(tmp_path / "run"), "--into", "photos-x", "--note", "n",
                               "--checkpoints", str(tmp_path / "checkpoints")]) == 2
    assert "network is not photos-x's" in capsys.readouterr().err
    assert (tmp_path / "checkpoints" / "photos-x.json").read_text() == before
