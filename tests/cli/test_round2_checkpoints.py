"""Checkpoints against hostile weights and cards (issue 27, items 9 and 18): a card names the
SHA-256 of the weights it was measured on, so zeroed, swapped or retrained weights never run
under its name and figures; every file involved hashes the same before and after."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dpm_studio.cli.main import main

SHIPPED = Path(__file__).resolve().parents[2] / "checkpoints"


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def hashes(*paths) -> dict:
    return {str(p): sha(p) for p in paths}


@pytest.mark.parametrize("card", sorted(SHIPPED.glob("*.json")), ids=lambda p: p.stem)
def test_every_shipped_card_records_the_hash_of_its_weights(card):
    recorded = json.loads(card.read_text()).get("weights_sha256")
    assert recorded == sha(card.with_suffix(".safetensors")), f"{card.name}: re-record weights_sha256"


def test_training_and_saving_write_the_hash(tmp_path, monkeypatch):
    import dataclasses

    from dpm_studio.core.train import presets

    roll = presets.get_preset("swiss-roll")  # evaluate on 200 held-out points: the same path, faster
    monkeypatch.setitem(presets.PRESETS, "swiss-roll", dataclasses.replace(roll, held_out=lambda: roll.held_out()[:200]))
    out = tmp_path / "toy"
    assert main(["train", "swiss-roll", "-o", str(out), "--steps", "3", "--batch", "16", "--no-eval"]) == 0
    card = json.loads((tmp_path / "toy.json").read_text())
    assert card["weights_sha256"] == sha(tmp_path / "toy.safetensors")
    assert main(["evaluate", str(tmp_path / "toy.json"), "--mc", "1", "--update-card", "--json"]) == 0
    assert json.loads((tmp_path / "toy.json").read_text())["weights_sha256"] == sha(tmp_path / "toy.safetensors")


def _noisy_png(path):
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(path)


@pytest.mark.parametrize("how", ["zeroed", "swapped"])
def test_weights_that_are_not_the_cards_are_refused_naming_both(tmp_path, tiny, capsys, how):
    import torch
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "ckpt"
    weights, card = folder / "tiny-rgb.safetensors", folder / "tiny-rgb.json"
    if how == "zeroed":  # passed every load check and "denoised" by returning the input, exit 0
        tensors = load_file(str(weights))
        save_file({k: (torch.zeros_like(v) if k.startswith("net.") else v) for k, v in tensors.items()}, str(weights))
    else:  # other weights of the same shapes (another run's) under this card's name and figures
        tensors = load_file(str(weights))
        g = torch.Generator().manual_seed(1)
        save_file({k: (v + 1e-3 * torch.randn(v.shape, generator=g) if k.startswith("net.") else v)
                   for k, v in tensors.items()}, str(weights))
    src = tmp_path / "in.png"
    _noisy_png(src)
    before = hashes(src, weights, card)
    capsys.readouterr()
    rc = main(["denoise", str(src), "-o", str(tmp_path / "out.png"), "--sigma", "20", "--checkpoint", "tiny-rgb"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert sha(weights) in err and json.loads(card.read_text())["weights_sha256"] in err
    assert not (tmp_path / "out.png").exists() and hashes(src, weights, card) == before


def test_a_malformed_recorded_hash_is_a_card_error(tmp_path, tiny, capsys):
    card = tmp_path / "ckpt" / "tiny-rgb.json"
    d = json.loads(card.read_text())
    card.write_text(json.dumps({**d, "weights_sha256": "zz"}))
    _noisy_png(tmp_path / "x.png")
    assert main(["denoise", str(tmp_path / "x.png"), "-o", str(tmp_path / "o.png"), "--checkpoint", str(card)]) == 2
    assert "weights_sha256 must be 64 lowercase hexadecimal digits" in capsys.readouterr().err


# -- item 17: card text printed escaped; names the loader refuses are refused by train too -----------------------
HOSTILE = "\x1b[2J\x1b]0;pwned\x07fake\nline\x7f\x9b31m\u202eend"


def test_checkpoints_prints_a_cards_control_characters_escaped(tmp_path, tiny, capsys):
    card = tmp_path / "ckpt" / "tiny-rgb.json"
    d = json.loads(card.read_text())
    card.write_text(json.dumps({**d, "description": HOSTILE}))
    before = hashes(card, card.with_suffix(".safetensors"))
    capsys.readouterr()
    assert main(["checkpoints"]) == 0
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("tiny-rgb"))
    for raw in ("\x1b", "\x07", "\x7f", "\x9b", "\u202e"):
        assert raw not in out, repr(raw)
    assert "\\x1b[2J\\x1b]0;pwned\\x07fake\\nline" in line  # one line, the sequence visible, not acted on
    assert hashes(card, card.with_suffix(".safetensors")) == before


@pytest.mark.parametrize("bad", ["tiny\x7f", "tiny\x85", "tiny\u202egpj"])
def test_a_card_name_with_del_c1_or_bidi_controls_is_refused(tmp_path, tiny, capsys, bad):
    card = tmp_path / "ckpt" / "tiny-rgb.json"
    d = json.loads(card.read_text())
    card.write_text(json.dumps({**d, "name": bad}))
    _noisy_png(tmp_path / "x.png")
    capsys.readouterr()
    assert main(["denoise", str(tmp_path / "x.png"), "-o", str(tmp_path / "o.png"), "--sigma", "9",
                 "--checkpoint", str(card)]) == 2
    err = capsys.readouterr().err
    assert "name holds control characters" in err and bad not in err
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("name", ["evil\x1b]0;pwned\x07", "del\x7f", "c1\x9b2J"])
def test_train_refuses_a_name_its_loader_would_refuse(tmp_path, capsys, name):
    out = tmp_path / "runs" / "toy"
    out.parent.mkdir()
    capsys.readouterr()
    assert main(["train", "swiss-roll", "-o", str(out), "--steps", "1", "--batch", "8", "--no-eval",
                 "--name", name]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "control characters" in err and name not in err
    assert list(out.parent.iterdir()) == []  # nothing written


# -- item 14: a leftover torchrun environment ---------------------------------------------------------------------
def _train_with_env(tmp_path, extra_env, *args, timeout=120):
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), OMP_NUM_THREADS="1",
               PYTHONPATH=str(Path(__file__).resolve().parents[2]), **extra_env)
    (tmp_path / "runs").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "dpm_studio", "train", "swiss-roll", "-o", str(tmp_path / "runs" / "r"),
                           "--steps", "2", "--batch", "8", "--no-eval", *args],
                          capture_output=True, text=True, env=env, timeout=timeout)


def test_a_leftover_torchrun_environment_times_out_and_says_why(tmp_path):
    # rank 1 never comes: this waited forever (the subprocess limit would fail the test)
    r = _train_with_env(tmp_path, {"WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "0"}, "--rendezvous-timeout", "3")
    assert r.returncode == 2, r.stderr[-500:]
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "WORLD_SIZE=2" in r.stderr and "within 3 s" in r.stderr and "unset WORLD_SIZE" in r.stderr
    assert list((tmp_path / "runs").iterdir()) == []


@pytest.mark.parametrize("env", [{"LOCAL_RANK": "x"}, {"LOCAL_RANK": "-1"}, {"LOCAL_RANK": "7"},
                                 {"RANK": "2"}, {"WORLD_SIZE": "0"}, {"WORLD_SIZE": "two"}])
def test_a_bad_torchrun_variable_is_one_line(tmp_path, env):
    r = _train_with_env(tmp_path, {"WORLD_SIZE": "2", "RANK": "0", "LOCAL_RANK": "0", **env}, timeout=60)
    var, value = next(iter(env.items()))
    assert r.returncode == 2, r.stderr[-500:]  # LOCAL_RANK=x was exit 70
    assert r.stderr.count("\n") == 1 and f"{var}={value!r}" in r.stderr
    assert list((tmp_path / "runs").iterdir()) == []


# -- item 18: crafted cards, half-precision weights, bad environments ------------------------------------------------
def _rehash(card_path):
    d = json.loads(card_path.read_text())
    d["weights_sha256"] = sha(card_path.with_suffix(".safetensors"))
    card_path.write_text(json.dumps(d))


def test_a_crafted_multiscale_card_is_refused_before_it_runs(tmp_path, capsys):
    """num_scales 40 padded every image to a multiple of 2^39: the run died with exit 70 (a storage
    size overflow) after the card passed every check."""
    from safetensors.torch import load_file, save_file

    from dpm_studio.core import GaussianDiffusion, Schedule

    from dpm_studio.core.files import checkpoint
    from dpm_studio.core.math.nets import build_net

    folder = tmp_path / "ckpt"
    spec = {"type": "multiscale", "kwargs": {"T": 20, "channels": 3, "conv_layers": 1, "conv_filters": 2,
                                             "num_scales": 1}}
    card = checkpoint.save(folder / "deep", GaussianDiffusion(Schedule("cosine", 20), "eps"), build_net(spec),
                           {"network": spec, "data": {"channels": 3, "scale": {"mean": 0.5, "std": 0.25}}})
    weights = card.with_suffix(".safetensors")
    tensors = load_file(str(weights))
    for s in range(1, 40):  # the weights of 40 scales, as a crafted card would bring them
        for part in ("weight", "bias"):
            tensors[f"net.conv.0.convs.{s}.{part}"] = tensors[f"net.conv.0.convs.0.{part}"].clone()
    save_file(tensors, str(weights))
    d = json.loads(card.read_text())
    d["network"]["kwargs"]["num_scales"] = 40
    card.write_text(json.dumps(d))
    _rehash(card)
    assert weights.stat().st_size < 64 * 1024
    _noisy_png(tmp_path / "x.png")
    before = hashes(card, weights, tmp_path / "x.png")
    capsys.readouterr()
    rc = main(["denoise", str(tmp_path / "x.png"), "-o", str(tmp_path / "o.png"), "--sigma", "9",
               "--checkpoint", str(card)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "num_scales must be at most 7" in err, err
    assert not (tmp_path / "o.png").exists() and hashes(card, weights, tmp_path / "x.png") == before


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_weights_are_refused_for_their_type(tmp_path, tiny, capsys, dtype):
    import torch
    from safetensors.torch import load_file, save_file

    card = tmp_path / "ckpt" / "tiny-rgb.json"
    weights = card.with_suffix(".safetensors")
    tensors = load_file(str(weights))
    save_file({k: (v.to(getattr(torch, dtype)) if k.startswith("net.") else v) for k, v in tensors.items()},
              str(weights))
    _rehash(card)  # the type is the reason, not the hash
    _noisy_png(tmp_path / "x.png")
    before = hashes(card, weights)
    capsys.readouterr()
    rc = main(["denoise", str(tmp_path / "x.png"), "-o", str(tmp_path / "o.png"), "--sigma", "9",
               "--checkpoint", "tiny-rgb"])
    err = capsys.readouterr().err
    assert rc == 2 and f"holds {dtype} values; weights must be float32" in err, err
    assert "bytes" not in err  # it blamed a byte count
    assert hashes(card, weights) == before and not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("kind", ["a file", "a FIFO", "missing"])
def test_a_bad_wallpaper_folder_is_one_line(tmp_path, monkeypatch, capsys, kind):
    import os

    target = tmp_path / "wallpapers"
    if kind == "a file":
        target.write_bytes(b"\0" * 64)
    elif kind == "a FIFO":  # what /dev/zero stood for: not a folder (made here, never the machine's own)
        os.mkfifo(target)
    monkeypatch.setenv("DPM_STUDIO_WALLPAPERS", str(target))
    (tmp_path / "runs").mkdir()
    capsys.readouterr()
    rc = main(["train", "photos-rgb", "-o", str(tmp_path / "runs" / "p"), "--steps", "1", "--no-eval"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "wallpaper folder" in err and "internal error" not in err
    assert list((tmp_path / "runs").iterdir()) == []


def test_an_unknown_qt_platform_is_one_line_not_an_abort(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DPM_STUDIO_SKIP_DISPLAY_CHECK", "QT_PLUGIN_PATH",
                                                             "QT_QPA_PLATFORM_PLUGIN_PATH")}
    env.update(QT_QPA_PLATFORM="garbage", PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    r = subprocess.run([sys.executable, "-m", "dpm_studio", "gui"], capture_output=True, text=True, env=env,
                       timeout=120, cwd=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr[-500:])  # was Qt's abort, exit 134
    assert r.stderr.count("\n") == 1 and "QT_QPA_PLATFORM='garbage'" in r.stderr and "offscreen" in r.stderr
