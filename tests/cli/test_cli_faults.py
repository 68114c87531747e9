"""The command line on bad input, bad checkpoints and failing disks: exit status 2 and one
line on stderr, never a traceback; awkward but valid input works, with a note where the
result is not what one might assume."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from dpm_studio.cli.main import main

import faulty_files
from faulty_files import CASES, DISK_FAULTS, ERROR_CASES, OK_CASES, H, W, disk_fault


def _one_error_line(capsys, pattern=None):
    err = capsys.readouterr().err.strip().splitlines()
    errors = [e for e in err if e.startswith("dpm-studio: error:")]
    assert len(errors) == 1 and errors[0] == err[-1], err
    assert not any("Traceback" in e for e in err), err
    if pattern:
        assert re.search(pattern, errors[0]), errors[0]
    return errors[0]


def _no_stray_files(folder, keep):
    left = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in keep)
    assert left == [], f"partial or temporary files left: {left}"


@pytest.mark.parametrize("case", ERROR_CASES)
def test_bad_image_exits_2_with_one_line(tmp_path, tiny, capsys, case):
    path = faulty_files.make(case, tmp_path)
    out = tmp_path / "out.png"
    assert main(["denoise", str(path), "-o", str(out), "--checkpoint", tiny, "--sigma", "10"]) == 2
    _one_error_line(capsys, CASES[case][1][1])
    assert not out.exists()


@pytest.mark.parametrize("case", OK_CASES)
def test_awkward_images_are_restored(tmp_path, tiny, capsys, case):
    path = faulty_files.make(case, tmp_path)
    out = tmp_path / "out.png"
    assert main(["denoise", str(path), "-o", str(out), "--checkpoint", tiny, "--sigma", "10",
                 "--method", "mmse"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    _, (h, w, _), extra = CASES[case][1]
    with Image.open(out) as im:
        assert im.size == (w, h)
    if "note" in extra:
        assert re.search("dpm-studio: note: .*" + extra["note"], err), err


def test_a_decompression_bomb_never_prints_a_traceback(tmp_path, tiny):
    path = faulty_files.make("bomb-warning-zone", tmp_path)
    env = dict(os.environ, DPM_STUDIO_CHECKPOINTS=str(tmp_path / "ckpt"), PYTHONWARNINGS="default")
    r = subprocess.run([sys.executable, "-m", "dpm_studio", "denoise", str(path), "-o", str(tmp_path / "o.png"),
                        "--sigma", "10", "--checkpoint", tiny], capture_output=True, text=True, env=env)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()], r.stderr
    assert "safety limit" in r.stderr and "Traceback" not in r.stderr


def _mask(tmp_path, value):
    p = tmp_path / "mask.png"
    Image.fromarray(np.full((H, W), value, np.uint8)).save(p)
    return p


def test_full_mask_inpaints_as_sampling_with_a_note(tmp_path, tiny, capsys):
    src = faulty_files.make("cmyk-tiff", tmp_path)
    out = tmp_path / "out.png"
    assert main(["inpaint", str(src), "--mask", str(_mask(tmp_path, 255)), "-o", str(out), "--checkpoint", tiny,
                 "--steps", "3"]) == 0
    assert "note: the mask covers the whole image: inpainting becomes unconditional sampling" in \
        capsys.readouterr().err
    with Image.open(out) as im:
        assert im.size == (W, H)


@pytest.mark.parametrize("soft", [False, True])
def test_empty_mask_exits_2(tmp_path, tiny, capsys, soft):
    src = faulty_files.make("cmyk-tiff", tmp_path)
    argv = ["inpaint", str(src), "--mask", str(_mask(tmp_path, 0)), "-o", str(tmp_path / "o.png"),
            "--checkpoint", tiny] + (["--soft-mask"] if soft else [])
    assert main(argv) == 2
    _one_error_line(capsys, "the mask is empty: there is nothing to inpaint")


def test_missing_output_folder_is_refused_before_any_work(tmp_path, tiny, capsys):
    src = faulty_files.make("one-pixel", tmp_path)
    assert main(["denoise", str(src), "-o", str(tmp_path / "no" / "where.png"), "--checkpoint", tiny,
                 "--sigma", "10"]) == 2
    err = capsys.readouterr().err
    assert "denoise [" not in err, "no progress: nothing ran"
    assert err.strip().splitlines() == [err.strip()] and re.search("the folder .*no does not exist", err)


@pytest.mark.parametrize("fault", DISK_FAULTS)
def test_failing_disk_exits_2_and_leaves_no_partial_file(tmp_path, tiny, capsys, monkeypatch, fault):
    src = faulty_files.make("one-pixel", tmp_path)
    outdir = tmp_path / "out"
    outdir.mkdir()
    pattern = disk_fault(monkeypatch, fault)
    assert main(["denoise", str(src), "-o", str(outdir / "o.png"), "--checkpoint", tiny, "--sigma", "10"]) == 2
    _one_error_line(capsys, pattern)
    _no_stray_files(outdir, keep=())


# -- checkpoints ------------------------------------------------------------------------------------------------
def _restore(tmp_path, ckpt):
    src = faulty_files.make("one-pixel", tmp_path)
    return main(["denoise", str(src), "-o", str(tmp_path / "o.png"), "--checkpoint", str(ckpt), "--sigma", "10"])


@pytest.mark.parametrize("ext", [".pt", ".pth", ".ckpt", ".pkl"])
def test_pickle_checkpoints_are_refused_by_name(tmp_path, tiny, capsys, ext):
    import pickle

    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    p = tmp_path / f"model{ext}"
    p.write_bytes(pickle.dumps(Evil()))
    assert _restore(tmp_path, p) == 2
    _one_error_line(capsys, f"model{re.escape(ext)} is a {re.escape(ext)} file, a format that can run code")
    assert not marker.exists()


def test_bad_cards_and_weights_exit_2(tmp_path, tiny, capsys, make_tiny):
    from safetensors.torch import load_file, save_file

    card = make_tiny(tmp_path / "c", "bad")
    card.write_text("{not json")
    assert _restore(tmp_path, card) == 2
    _one_error_line(capsys, "not valid JSON")

    card = make_tiny(tmp_path / "c", "bad")
    weights = card.with_suffix(".safetensors")
    tensors = load_file(str(weights))
    key = sorted(k for k in tensors if k.startswith("net."))[0]
    tensors[key] = tensors[key].flatten()[:1].clone()
    save_file(tensors, str(weights))
    assert _restore(tmp_path, card) == 2
    _one_error_line(capsys, re.escape(key) + r" has shape \(1,\), the card's model needs \(")

    card = make_tiny(tmp_path / "c", "bad")
    meta = json.loads(card.read_text())
    meta["data"]["channels"] = 1
    card.write_text(json.dumps(meta))
    assert _restore(tmp_path, card) == 2
    _one_error_line(capsys, "its data has 1 channel.* its network takes 3")


def test_unconvertible_channel_count_is_refused_with_the_reason(tmp_path, capsys, make_tiny):
    card = make_tiny(tmp_path / "c", "two", channels=2)
    assert _restore(tmp_path, card) == 2
    _one_error_line(capsys, "takes 2-channel images and a 3-channel image cannot be converted")


def test_a_log_in_a_missing_folder_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "swiss-roll", "-o", "roll", "--steps", "1", "--log", str(tmp_path / "no" / "log.csv"),
                 "--no-eval"]) == 2
    _one_error_line(capsys, "No such file or directory")
