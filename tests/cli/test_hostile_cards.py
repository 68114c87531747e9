"""Hostile checkpoint cards (issue 18, items 1, 4, 6, 7, 10, 12, 13): a bad card anywhere in the
checkpoint path is skipped with a warning by listings and refused with one line when named;
FIFOs are never opened; crafted sizes are refused before anything is allocated; toy models
are refused for image tasks; a card that hides a shipped one says so."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dpm_studio.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def _card(folder, name="tiny-rgb"):
    return json.loads((Path(folder) / f"{name}.json").read_text())


def _plant(folder, stem, card_or_text):
    text = card_or_text if isinstance(card_or_text, str) else json.dumps(card_or_text)
    (Path(folder) / f"{stem}.json").write_text(text)
    return Path(folder) / f"{stem}.json"


def bad_cards(folder) -> dict:
    """stem -> what is wrong, each planted as a card beside the good tiny-rgb."""
    good = _card(folder)
    made = {}

    def variant(stem, edit):
        c = json.loads(json.dumps(good))
        c["name"] = stem
        edit(c)
        _plant(folder, stem, c)
        made[stem] = stem

    _plant(folder, "nested", "[" * 200_000 + "]" * 200_000)
    made["nested"] = "nested"
    variant("string-k", lambda c: c.update(bound={"K": "x", "units": "bits"}))
    variant("null-name", lambda c: c.update(name=None))
    variant("x-channels", lambda c: c["data"].update(channels="x"))
    variant("inf-mean", lambda c: c["data"].update(scale={"mean": float("inf"), "std": 0.25}))
    variant("zero-std", lambda c: c["data"].update(scale={"mean": 0.5, "std": 0}))
    variant("string-std", lambda c: c["data"].update(scale={"mean": 0.5, "std": "wide"}))
    variant("huge-base", lambda c: c["network"]["kwargs"].update(base=1200) or c["network"].update(type="unet"))
    variant("huge-t", lambda c: c["diffusion"]["schedule"].update(T=300_000_000))
    # NaN is not JSON, but Python's json (and so a hand-edited card) accepts it
    (Path(folder) / "nan-channels.json").write_text(
        json.dumps({**good, "name": "nan-channels"}).replace('"channels": 3', '"channels": NaN'))
    made["nan-channels"] = "nan-channels"
    for stem in made:
        if stem != "nested":
            os.link(Path(folder) / "tiny-rgb.safetensors", Path(folder) / f"{stem}.safetensors")
    return made


def test_bad_cards_are_skipped_with_a_warning_and_the_good_ones_listed(tmp_path, tiny, capsys):
    folder = Path(os.environ["DPM_STUDIO_CHECKPOINTS"])
    made = bad_cards(folder)
    assert main(["checkpoints"]) == 0
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err
    listed = [line.split()[0] for line in cap.out.splitlines() if line and not line.startswith(" ")]
    assert "tiny-rgb" in listed and "photos-rgb" in listed
    assert not set(made) & set(listed), listed
    warned = [line for line in cap.err.splitlines() if line.startswith("dpm-studio: warning: skipped")]
    assert len(warned) == len(made), cap.err
    assert any("nested" in w and "nested too deeply" in w for w in warned), warned
    assert any("string-k" in w and "bound.K must be a finite number" in w for w in warned), warned
    assert main(["checkpoints", "--json"]) == 0
    cards = json.loads(capsys.readouterr().out)
    assert {c["name"] for c in cards} >= {"tiny-rgb", "photos-rgb"}


@pytest.mark.parametrize("stem,why", [("nested", "nested too deeply"), ("string-k", "bound.K"),
                                      ("x-channels", "data.channels must be an integer"),
                                      ("nan-channels", "channels must be"),
                                      ("inf-mean", "data.scale.mean"), ("zero-std", "data.scale.std"),
                                      ("string-std", "data.scale.std"),
                                      ("huge-base", "needs .* bytes of weights but its weights file holds only"),
                                      ("huge-t", "T = 300000000 is out of range")])
def test_a_bad_card_named_is_one_line(tmp_path, tiny, capsys, stem, why):
    folder = Path(os.environ["DPM_STUDIO_CHECKPOINTS"])
    bad_cards(folder)
    img = tmp_path / "in.png"
    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(img)
    assert main(["denoise", str(img), "-o", str(tmp_path / "o.png"), "--sigma", "10",
                 "--checkpoint", str(folder / f"{stem}.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dpm-studio: error:") and __import__("re").search(why, err[0]), err
    assert not (tmp_path / "o.png").exists()


def test_crafted_sizes_are_refused_before_allocating(tmp_path, tiny, monkeypatch):
    """base=1200 and T=3e8 used to allocate 4 GB / 9.4 GB before failing: nothing is built now."""
    import torch

    from dpm_studio.core.files import checkpoint

    folder = Path(os.environ["DPM_STUDIO_CHECKPOINTS"])
    bad_cards(folder)
    c = _card(folder, "huge-base")
    c["diffusion"]["schedule"]["T"] = 90_000  # in range, but more rates than the file holds
    c["network"]["kwargs"]["base"] = 4
    _plant(folder, "huge-base", c)
    built = []
    monkeypatch.setattr(checkpoint, "build_net", lambda spec: built.append(spec))
    for stem, why in (("huge-base", "cannot hold that many rates"), ("huge-t", "out of range")):
        with pytest.raises(checkpoint.CheckpointError, match=why):
            checkpoint.load(folder / f"{stem}.json")
    assert built == []
    assert torch.get_default_device().type == "cpu"


def test_a_fifo_card_in_the_checkpoint_folder_does_not_hang(tmp_path, monkeypatch, capsys, no_hang):
    folder = tmp_path / "ck"
    folder.mkdir()
    os.mkfifo(folder / "pipe.json")
    monkeypatch.setenv("DPM_STUDIO_CHECKPOINTS", str(folder))
    assert main(["checkpoints"]) == 0
    cap = capsys.readouterr()
    assert "photos-rgb" in cap.out
    assert "skipped" in cap.err and "named pipe" in cap.err and "Traceback" not in cap.err


@pytest.mark.parametrize("role", ["image", "mask", "card", "weights"])
def test_fifos_given_as_inputs_are_refused_not_waited_on(tmp_path, capsys, role, no_hang):
    folder = tmp_path / "ck"
    folder.mkdir()
    img, mask = tmp_path / "in.png", tmp_path / "m.png"
    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(img)
    Image.fromarray(np.pad(np.full((8, 8), 255, np.uint8), 4)).save(mask)
    ck = "photos-rgb"
    if role in ("image", "mask"):
        target = img if role == "image" else mask
        target.unlink()
        os.mkfifo(target)
    else:
        for ext in (".json", ".safetensors"):
            dst = folder / f"mine{ext}"
            if (role == "card") == (ext == ".json"):
                os.mkfifo(dst)
            else:
                os.symlink(ROOT / "checkpoints" / f"photos-rgb{ext}", dst)
        ck = str(folder / "mine.json")
    assert main(["inpaint", str(img), "--mask", str(mask), "-o", str(tmp_path / "o.png"), "--checkpoint", ck,
                 "--steps", "1"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("dpm-studio: error:") and "named pipe" in lines[-1], lines
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("toy", ["swiss-roll", "heartbeat"])
@pytest.mark.parametrize("task", ["denoise", "inpaint", "sample"])
def test_toy_models_are_refused_for_image_tasks(tmp_path, capsys, toy, task):
    img, mask = tmp_path / "in.png", tmp_path / "m.png"
    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(img)
    Image.fromarray(np.pad(np.full((8, 8), 255, np.uint8), 4)).save(mask)
    args = {"denoise": ["denoise", str(img), "--sigma", "10"], "inpaint": ["inpaint", str(img), "--mask", str(mask)],
            "sample": ["sample", "--size", "8x8"]}[task]
    assert main([*args, "-o", str(tmp_path / "o.png"), "--checkpoint", toy, "--steps", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not of images" in err[0], err


def test_checkpoints_says_which_models_are_not_for_images(capsys):
    assert main(["checkpoints"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    for toy in ("swiss-roll", "heartbeat"):
        assert "not for images" in rows[toy]
    assert "not for images" not in rows["photos-rgb"]
    assert main(["checkpoints", "--json"]) == 0
    flags = {c["name"]: c["image_model"] for c in json.loads(capsys.readouterr().out)}
    assert flags["photos-rgb"] and not flags["swiss-roll"] and not flags["heartbeat"]


def test_a_card_in_the_working_folder_does_not_replace_a_listed_one(tmp_path, tiny, monkeypatch, capsys):
    """./photos-rgb.json (or a folder named photos-rgb) in the working folder is not the default."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photos-rgb").mkdir()
    from dpm_studio.core.files import checkpoint

    assert checkpoint.resolve("photos-rgb") == ROOT / "checkpoints" / "photos-rgb.json"
    (tmp_path / "photos-rgb").rmdir()
    (tmp_path / "photos-rgb.json").write_text("{}")
    assert checkpoint.resolve("photos-rgb") == ROOT / "checkpoints" / "photos-rgb.json"


def test_a_user_card_shadowing_a_shipped_one_is_named_in_the_output(tmp_path, tiny, capsys):
    folder = Path(os.environ["DPM_STUDIO_CHECKPOINTS"])
    from dpm_studio.paths import default_checkpoint

    shipped = default_checkpoint("denoise")  # the name a denoise without --checkpoint looks up
    c = _card(folder)
    c["name"] = shipped
    _plant(folder, "impostor", c)
    os.link(folder / "tiny-rgb.safetensors", folder / "impostor.safetensors")
    img, out = tmp_path / "in.png", tmp_path / "o.png"
    Image.fromarray(np.full((16, 16, 3), 128, np.uint8)).save(img)
    assert main(["denoise", str(img), "-o", str(out), "--sigma", "10", "--method", "mmse", "--ensemble", "1"]) == 0
    err = capsys.readouterr().err
    assert f"hides the shipped checkpoint {shipped}" in err and str(folder / "impostor.json") in err
    with Image.open(out) as im:
        meta = json.loads(im.text["dpm-studio"])["runs"][-1]
    assert meta["checkpoint"] == shipped and "checkpoint_file" not in meta
    assert meta["checkpoint_sha256"] == hashlib.sha256((folder / "tiny-rgb.safetensors").read_bytes()).hexdigest()
    assert meta["checkpoint_sha256"] != hashlib.sha256((ROOT / "checkpoints" / f"{shipped}.safetensors")
                                                      .read_bytes()).hexdigest()
    assert main(["checkpoints"]) == 0
    assert f"(hides {ROOT / 'checkpoints' / f'{shipped}.json'})" in capsys.readouterr().out
