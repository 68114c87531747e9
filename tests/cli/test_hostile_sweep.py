"""A demanding user's hostile inputs, round three (the file cases themselves are in
tests/faulty_files.py, run through the command line by test_cli_faults.py and through the app by
tests/gui/test_bad_input.py): what those do not cover. Every case: one clear line and exit 2, or a
result; never a traceback; the user's files unchanged."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import faulty_files
from dpm_studio import api, imageio
from dpm_studio.cli.main import main


def _hashes(folder) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(folder).iterdir()) if p.is_file()}


def _error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dpm-studio: error: ") and "Traceback" not in err[0], err
    return err[0]


def test_16_bit_grey_with_alpha_keeps_its_depth_and_its_alpha(tmp_path, tiny):
    """Pillow reads a 16-bit grey+alpha PNG as 8-bit RGBA; the result must stay 16-bit grey with the
    very same alpha samples."""
    src = faulty_files.make("grey16-alpha", tmp_path)
    out = tmp_path / "out.png"
    assert main(["denoise", str(src), "-o", str(out), "--checkpoint", tiny, "--sigma", "20", "--ensemble",
                 "1"]) == 0
    got = imageio.load_image(out)
    assert got.bit_depth == 16 and got.pixels.shape == (faulty_files.H, faulty_files.W, 1)
    want_alpha = faulty_files.grey16_alpha()[:, :, 1] / 65535.0
    np.testing.assert_array_equal(np.round(got.alpha * 65535), np.round(want_alpha * 65535))
    grey = np.round(got.pixels[:, :, 0] * 65535).astype(np.int64)
    assert (grey % 257 != 0).any()  # not 8-bit values widened


def test_non_utf8_and_long_names_in_and_out(tmp_path, tiny, capsys, img):
    src, _ = img
    odd = tmp_path / os.fsdecode(b"caf\xe9-\xff.png")
    shutil.copy(src, odd)
    out = tmp_path / os.fsdecode(b"out-\xe9.png")
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    r = subprocess.run([sys.executable, "-m", "dpm_studio", "denoise", os.fsencode(odd), "-o", os.fsencode(out),
                        "--checkpoint", tiny, "--sigma", "10", "--ensemble", "1"], env=env, capture_output=True,
                       timeout=120)  # a real terminal's stdout (pytest's capture cannot hold such a name)
    assert r.returncode == 0 and b"Traceback" not in r.stderr, r.stderr[-2000:]
    assert out.is_file()
    before = _hashes(tmp_path)
    too_long = tmp_path / ("X" * 300 + ".png")  # over the file system's 255 bytes
    assert main(["denoise", str(src), "-o", str(too_long), "--checkpoint", tiny, "--sigma", "10"]) == 2
    assert "File name too long" in _error(capsys)
    assert _hashes(tmp_path) == before


def test_an_output_whose_folder_is_a_file_says_so(tmp_path, tiny, capsys, img):
    src, _ = img
    before = _hashes(tmp_path)
    assert main(["denoise", str(src), "-o", str(src / "x.png"), "--checkpoint", tiny, "--sigma", "10"]) == 2
    assert f"the folder {src} is a file, not a folder" in _error(capsys)  # it said "does not exist"
    assert _hashes(tmp_path) == before


def test_an_output_that_is_a_folder_receives_the_result_under_the_inputs_name(tmp_path, tiny, capsys, img):
    src, _ = img
    folder = tmp_path / "results.png"  # a folder, even with an image's extension
    folder.mkdir()
    before = _hashes(tmp_path)
    assert main(["denoise", str(src), "-o", str(folder), "--checkpoint", tiny, "--sigma", "10", "--ensemble",
                 "1"]) == 0
    assert (folder / src.name).is_file() and _hashes(tmp_path) == before


def test_the_api_names_a_colour_masks_shape(tiny):
    photo = faulty_files.rgb_u8(8, 8)
    with pytest.raises(ValueError, match=r"one value per pixel, an \(H, W\) array of 8 x 8, not an array of shape "
                                         r"\(8, 8, 3\)"):
        api.inpaint(photo, np.ones((8, 8, 3), bool), checkpoint=tiny)  # said "the mask is 8x8 but the image is 8x8"


def test_the_api_takes_a_region_as_an_array_and_refuses_text(tiny):
    noisy = faulty_files.rgb_u8(24, 24)
    out = api.denoise(noisy, 10, region=np.array([2, 3, 5, 6]), checkpoint=tiny, ensemble=1)
    assert np.array_equal(out[:3], noisy[:3])
    with pytest.raises(ValueError, match=r"region must be 4 whole numbers, not '2,3,5,6'"):  # "must be a number"
        api.denoise(noisy, 10, region="2,3,5,6", checkpoint=tiny)


def test_the_api_refuses_an_array_larger_than_memory_in_one_line(tiny, monkeypatch):
    from dpm_studio.core.machine import memory

    monkeypatch.setattr(memory, "available_bytes", lambda: 1 << 20)  # 1 MB left
    with pytest.raises(ValueError, match=r"the image \(1,000 x 1,000\) as float32 needs about .* of memory"):
        api.denoise(np.zeros((1000, 1000, 3), np.uint8), 10, checkpoint=tiny)  # was a bare MemoryError


@pytest.mark.parametrize("case", faulty_files.ERROR_CASES)
def test_a_bad_file_is_exactly_one_line_on_stderr(tmp_path, tiny, capsys, case):
    """Nothing else on stderr: tifffile's own warnings ("incorrect StripByteCounts count") came above
    the error line for a TIFF claiming 60000 x 60000."""
    path = faulty_files.make(case, tmp_path)
    before = _hashes(tmp_path)
    assert main(["denoise", str(path), "-o", str(tmp_path / "out.png"), "--checkpoint", tiny, "--sigma", "10"]) == 2
    _error(capsys)
    assert _hashes(tmp_path) == before


@pytest.mark.parametrize("case", ["bomb-tiff", "truncated-tiff"])
def test_a_bad_tiff_is_one_line_in_a_real_process(tmp_path, tiny, case):
    """pytest's log capture hides what logging's last-resort handler prints in a real process."""
    path = faulty_files.make(case, tmp_path)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    r = subprocess.run([sys.executable, "-m", "dpm_studio", "denoise", str(path), "-o", str(tmp_path / "out.png"),
                        "--checkpoint", tiny, "--sigma", "10"], env=env, capture_output=True, text=True, timeout=120)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and lines[0].startswith("dpm-studio: error: "), r.stderr


def test_a_16_bit_colour_ppm_keeps_its_16_bits(tmp_path, tiny):
    """Pillow read it as 8-bit RGB without a word; its samples are read as stored now."""
    data = imageio.load_image(faulty_files.make("ppm16", tmp_path))
    assert data.bit_depth == 16 and not data.notes
    np.testing.assert_array_equal(np.round(data.pixels * 65535).astype(np.uint16), faulty_files.deep_rgb())
    out = tmp_path / "out.png"
    assert main(["inpaint", str(tmp_path / "deep.ppm"), "--mask", str(_hole(tmp_path)), "-o", str(out),
                 "--checkpoint", tiny, "--steps", "2"]) == 0
    assert imageio.load_image(out).bit_depth == 16


def _hole(folder):
    m = np.zeros((faulty_files.H, faulty_files.W), np.uint8)
    m[2:5, 2:5] = 255
    Image.fromarray(m).save(folder / "hole.png")
    return folder / "hole.png"
