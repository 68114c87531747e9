"""Writes under hostile conditions (issue 18, items 8 and 9): an output never replaces an input
(image, mask, a hard or symbolic link to one) without --overwrite; a file written over keeps its
mode and a symlinked output keeps its link; a legal 250-character name saves; SIGTERM or SIGHUP
during a save leaves no temporary file behind."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dpm_studio.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def _denoise(src, out, *extra):
    return main(["denoise", str(src), "-o", str(out), "--checkpoint", "tiny-rgb", "--sigma", "20",
                 "--ensemble", "1", *extra])


@pytest.mark.parametrize("how", ["mask", "hardlink-of-input", "symlink-to-mask"])
def test_an_output_never_replaces_an_input_without_overwrite(tmp_path, tiny, img, capsys, how):
    src, mask = img
    before = {p: p.read_bytes() for p in (src, mask)}
    out = {"mask": mask, "hardlink-of-input": tmp_path / "link.png", "symlink-to-mask": tmp_path / "sym.png"}[how]
    if how == "hardlink-of-input":
        os.link(src, out)
    elif how == "symlink-to-mask":
        os.symlink(mask, out)
    assert main(["inpaint", str(src), "--mask", str(mask), "-o", str(out), "--checkpoint", tiny,
                 "--steps", "2"]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "refusing to overwrite the" in line and "--overwrite" in line
    assert {p: p.read_bytes() for p in (src, mask)} == before


def test_a_file_written_over_keeps_its_mode(tmp_path, tiny, img):
    src, _ = img
    out = tmp_path / "private.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(out)
    os.chmod(out, 0o600)
    assert _denoise(src, out, "--overwrite") == 0
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with Image.open(out) as im:
        assert im.size == (32, 32)  # the new result, not the old 4 x 4 file


def test_a_symlinked_output_keeps_its_link(tmp_path, tiny, img):
    src, _ = img
    real = tmp_path / "real"
    real.mkdir()
    target = real / "result.png"
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(target)
    link = tmp_path / "result.png"
    os.symlink(target, link)
    assert _denoise(src, link, "--overwrite") == 0
    assert link.is_symlink() and Path(os.readlink(link)) == target
    with Image.open(target) as im:
        assert im.size == (32, 32)
    assert sorted(p.name for p in real.iterdir()) == ["result.png"]


def test_a_250_character_name_saves(tmp_path, tiny, img):
    src, _ = img
    out = tmp_path / ("n" * 246 + ".png")
    assert len(out.name) == 250
    assert _denoise(src, out) == 0
    with Image.open(out) as im:
        assert im.size == (32, 32)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


WRITER = """
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("atomic", sys.argv[1])
atomic = importlib.util.module_from_spec(spec); spec.loader.exec_module(atomic)
def slow(tmp):
    with open(tmp, "wb") as f:
        f.write(b"x" * 1_000_000); f.flush()
        print("writing", flush=True)
        time.sleep(60)
atomic.atomic_write(sys.argv[2], slow)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_a_save_leaves_no_temporary_file(tmp_path, sig):
    tmp_path = tmp_path / "w"
    tmp_path.mkdir()
    out = tmp_path / "out.png"
    out.write_bytes(b"the previous version")
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(ROOT / "dpm_studio" / "core" / "files" / "atomic.py"), str(out)],
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "writing"
        assert [q for q in tmp_path.iterdir() if q.name.endswith(".tmp")]  # the partial file exists now
        p.send_signal(sig)
        assert p.wait(timeout=30) == -sig
    finally:
        p.kill()
    assert sorted(q.name for q in tmp_path.iterdir()) == ["out.png"]
    assert out.read_bytes() == b"the previous version"
