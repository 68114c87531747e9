"""Each task's default model (paths.DEFAULT_CHECKPOINTS) is what the command line and the API run
when no checkpoint is named. The tests flip the denoising default to another model, as the lead will
when a better denoiser ships, and check that denoising follows it and inpainting and sampling do not."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from dpm_studio import api, paths
from dpm_studio.cli.main import main


@pytest.fixture
def flipped(tmp_path, monkeypatch, make_tiny):
    """Two tiny colour models of different weights; denoising's default is "tiny-den", the others' "tiny-rgb"."""
    folder = tmp_path / "ckpt"
    make_tiny(folder, "tiny-rgb")
    make_tiny(folder, "tiny-den", seed=1)
    monkeypatch.setenv("DPM_STUDIO_CHECKPOINTS", str(folder))
    monkeypatch.setitem(paths.DEFAULT_CHECKPOINTS, "denoise", "tiny-den")
    monkeypatch.setitem(paths.DEFAULT_CHECKPOINTS, "inpaint", "tiny-rgb")
    monkeypatch.setitem(paths.DEFAULT_CHECKPOINTS, "sample", "tiny-rgb")
    return folder


def _runs(path):
    return json.loads(Image.open(path).info["dpm-studio"])["runs"]


def test_default_checkpoint_reads_the_one_table():
    assert set(paths.DEFAULT_CHECKPOINTS) == {"denoise", "inpaint", "sample"}
    for task, name in paths.DEFAULT_CHECKPOINTS.items():
        assert paths.default_checkpoint(task) == name
    with pytest.raises(ValueError, match="one of denoise, inpaint, sample"):
        paths.default_checkpoint("train")
    # kept importable for older scripts: the inpainting (and sampling) default
    assert api.DEFAULT_CHECKPOINT == paths.DEFAULT_CHECKPOINT == paths.DEFAULT_CHECKPOINTS["inpaint"]


def test_each_command_runs_its_own_tasks_default(tmp_path, flipped, img):
    src, mask = img
    assert main(["denoise", str(src), "-o", str(tmp_path / "d.png"), "--sigma", "20"]) == 0
    assert main(["inpaint", str(src), "--mask", str(mask), "-o", str(tmp_path / "i.png"), "--steps", "2"]) == 0
    assert main(["sample", "-o", str(tmp_path / "s.png"), "--size", "8x8", "--steps", "2"]) == 0
    assert _runs(tmp_path / "d.png")[-1]["checkpoint"] == "tiny-den"
    assert _runs(tmp_path / "i.png")[-1]["checkpoint"] == "tiny-rgb"
    assert _runs(tmp_path / "s.png")[-1]["checkpoint"] == "tiny-rgb"
    # a named checkpoint still wins over the default
    assert main(["denoise", str(src), "-o", str(tmp_path / "d2.png"), "--sigma", "20", "--checkpoint", "tiny-rgb"]) == 0
    assert _runs(tmp_path / "d2.png")[-1]["checkpoint"] == "tiny-rgb"


def test_a_batch_runs_its_tasks_default(tmp_path, flipped, img):
    src, mask = img
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        (folder / name).write_bytes(src.read_bytes())
    assert main(["denoise", str(folder), "-o", str(tmp_path / "dn"), "--sigma", "20"]) == 0
    assert main(["inpaint", str(folder), "--mask", str(mask), "-o", str(tmp_path / "in"), "--steps", "2"]) == 0
    for name in ("a.png", "b.png"):
        assert _runs(tmp_path / "dn" / name)[-1]["checkpoint"] == "tiny-den"
        assert _runs(tmp_path / "in" / name)[-1]["checkpoint"] == "tiny-rgb"


@pytest.mark.parametrize("task, name, word", [("denoise", "tiny-den", "denoising"), ("inpaint", "tiny-rgb", "inpainting"),
                                              ("sample", "tiny-rgb", "sampling")])
def test_help_names_the_tasks_default(flipped, capsys, monkeypatch, task, name, word):
    monkeypatch.setenv("COLUMNS", "500")   # argparse wraps the help, also at a name's hyphen
    assert main([task, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert f"(default: {name}, the {word} default;" in text


def test_a_replay_runs_the_recorded_model_after_the_default_changed(tmp_path, flipped, img, monkeypatch):
    src, _ = img
    made = tmp_path / "made.png"
    assert main(["denoise", str(src), "-o", str(made), "--sigma", "20"]) == 0
    monkeypatch.setitem(paths.DEFAULT_CHECKPOINTS, "denoise", "tiny-rgb")   # the default moves on
    assert main(["replay", str(made), "-o", str(tmp_path / "again.png")]) == 0
    assert _runs(tmp_path / "again.png")[-1]["checkpoint"] == "tiny-den"
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "again.png")), np.asarray(Image.open(made)))
    # the new default gives other pixels: the replay did not run it
    assert main(["denoise", str(src), "-o", str(tmp_path / "new.png"), "--sigma", "20"]) == 0
    assert not np.array_equal(np.asarray(Image.open(tmp_path / "new.png")), np.asarray(Image.open(made)))


def test_the_api_runs_each_tasks_default_and_a_named_one(tmp_path, flipped, img):
    src, mask = img
    photo = np.asarray(Image.open(src))
    hole = np.asarray(Image.open(mask)) > 0
    for task, argv, call in [
        ("denoise", ["denoise", str(src), "--sigma", "20"], lambda **k: api.denoise(photo, 20, **k)),
        ("inpaint", ["inpaint", str(src), "--mask", str(mask), "--steps", "2"],
         lambda **k: api.inpaint(photo, hole, steps=2, **k)),
    ]:
        for name in ("tiny-den", "tiny-rgb"):
            out = tmp_path / f"{task}-{name}.png"
            assert main([*argv, "-o", str(out), "--checkpoint", name]) == 0
        want = paths.default_checkpoint(task)
        other = {"tiny-den": "tiny-rgb", "tiny-rgb": "tiny-den"}[want]
        by_default = call()
        np.testing.assert_array_equal(by_default, np.asarray(Image.open(tmp_path / f"{task}-{want}.png")))
        assert not np.array_equal(by_default, np.asarray(Image.open(tmp_path / f"{task}-{other}.png")))
        np.testing.assert_array_equal(call(checkpoint=other), np.asarray(Image.open(tmp_path / f"{task}-{other}.png")))
    assert api.load_checkpoint(task="denoise").name == "tiny-den"
    assert api.load_checkpoint().name == "tiny-rgb"
    assert api.sample((8, 8), steps=2, seed=3).shape == (8, 8, 3)
