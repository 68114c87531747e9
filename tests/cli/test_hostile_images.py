"""Hostile image files (issue 18, items 2-5 and the misleading messages): metadata nested to
break the parser, documents under image names, devices and pipes, symlink loops, oversized ICC
blocks, and images larger than memory holds: one line and exit 2 (or the image read with its
bad metadata ignored), never a traceback, never a hang, never Ghostscript."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from dpm_studio import imageio
from dpm_studio.cli.main import main


def _one_error(capsys, pattern):
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("dpm-studio: error:") and "Traceback" not in "\n".join(err), err
    assert __import__("re").search(pattern, err[-1]), err[-1]
    return err[-1]


def _denoise(tmp_path, src, *extra):
    return main(["denoise", str(src), "-o", str(tmp_path / "out.png"), "--checkpoint", "tiny-rgb", "--sigma", "10",
                 "--method", "mmse", "--ensemble", "1", *extra])


def _png_with_metadata(path, text):
    info = PngImagePlugin.PngInfo()
    info.add_text(imageio.METADATA_KEY, text)
    Image.fromarray(np.full((16, 16, 3), 100, np.uint8)).save(path, pnginfo=info)
    return path


@pytest.mark.parametrize("kind", ["png", "tiff"])
def test_deeply_nested_metadata_is_ignored_not_a_traceback(tmp_path, tiny, capsys, kind):
    text = '{"runs": ' + "[" * 66_000 + "]" * 66_000 + "}"  # about 133 KB: a RecursionError in json.loads
    if kind == "png":
        src = _png_with_metadata(tmp_path / "deep.png", text)
    else:
        src = tmp_path / "deep.tif"
        Image.fromarray(np.full((16, 16, 3), 100, np.uint8)).save(src, tiffinfo={270: text})
    data = imageio.load_image(src)
    assert data.metadata == {} and data.pixels.shape == (16, 16, 3)
    assert _denoise(tmp_path, src) == 0
    assert "Traceback" not in capsys.readouterr().err
    with Image.open(tmp_path / "out.png") as im:
        assert im.size == (16, 16)
        assert json.loads(im.text[imageio.METADATA_KEY])["runs"][-1]["task"] == "denoise"


def test_metadata_that_is_too_large_or_too_deep_is_ignored(tmp_path):
    deep = json.dumps(json.loads("[" * 20 + "]" * 20))
    assert imageio.load_image(_png_with_metadata(tmp_path / "a.png", '{"runs": ' + deep + "}")).metadata == {}
    big = json.dumps({"a": "x" * 300_000})
    assert imageio.load_image(_png_with_metadata(tmp_path / "b.png", big)).metadata == {}
    ok = json.dumps({"runs": [{"task": "denoise", "steps": 3}]})
    assert imageio.load_image(_png_with_metadata(tmp_path / "c.png", ok)).metadata == json.loads(ok)


def _eps(path):
    path.write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n0 0 moveto 10 10 lineto stroke\nshowpage\n")
    return path


def test_an_eps_renamed_png_never_reaches_ghostscript(tmp_path, tiny, capsys, monkeypatch):
    from PIL import EpsImagePlugin

    called = []
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", lambda *a, **k: called.append(a))
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", lambda self: called.append("open") or 1 / 0)
    assert _denoise(tmp_path, _eps(tmp_path / "photo.png")) == 2
    _one_error(capsys, r"photo\.png is a PostScript or PDF document named \.png, not an image")
    assert called == []
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("name", ["drawing.eps", "doc.pdf", "layers.psd", "noext"])
def test_formats_the_app_does_not_offer_are_refused_by_name(tmp_path, tiny, capsys, name):
    src = tmp_path / name
    Image.fromarray(np.full((16, 16, 3), 100, np.uint8)).save(src, format="PNG")  # even valid content
    assert _denoise(tmp_path, src) == 2
    _one_error(capsys, "is not an image format DPM Studio opens")


def test_formats_are_told_by_content_among_the_offered_ones(tmp_path, tiny):
    src = tmp_path / "really-a-jpeg.png"
    Image.fromarray(np.full((16, 16, 3), 100, np.uint8)).save(src, format="JPEG")
    assert imageio.load_image(src).pixels.shape == (16, 16, 3)


@pytest.mark.parametrize("special,pattern", [("/dev/zero", "zero is a device, not an image"),
                                             ("loop", "a loop of symbolic links"),
                                             ("dangling", "symbolic link to a missing file")])
def test_devices_and_symlink_loops_get_their_own_message(tmp_path, tiny, capsys, special, pattern):
    if special == "loop":
        src = tmp_path / "loop.png"
        os.symlink(tmp_path / "loop2.png", src)
        os.symlink(src, tmp_path / "loop2.png")
    elif special == "dangling":
        src = tmp_path / "gone.png"
        os.symlink(tmp_path / "nothing.png", src)
    else:
        src = special
    assert _denoise(tmp_path, src) == 2
    _one_error(capsys, pattern)


def test_an_oversized_icc_block_is_named_as_such(tmp_path, tiny, capsys):
    src = tmp_path / "icc.png"
    noise = np.random.default_rng(0).integers(0, 255, 3_000_000, dtype=np.uint8).tobytes()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(src, icc_profile=noise)
    assert _denoise(tmp_path, src) == 2
    _one_error(capsys, "metadata block .*larger than is safe")


def test_the_pixel_budget_follows_available_memory(tmp_path, tiny, capsys, monkeypatch):
    from dpm_studio.core.machine import memory

    src = tmp_path / "in.png"
    Image.fromarray(np.full((256, 256, 3), 100, np.uint8)).save(src)
    monkeypatch.setattr(memory, "available_bytes", lambda: 1 << 20)  # 1 MB free
    assert imageio.pixel_budget() < 256 * 256 < imageio.pixel_limit()
    assert _denoise(tmp_path, src) == 2
    _one_error(capsys, r"256\u00d7256 .*needs about .* of memory and 0\.0 GB is available")
    monkeypatch.setattr(memory, "available_bytes", lambda: 64 << 30)
    assert imageio.pixel_budget() == imageio.pixel_limit()


def test_the_pixel_budget_applies_to_16_bit_files_too(tmp_path, tiny, capsys, monkeypatch):
    from dpm_studio.core.machine import memory

    src = tmp_path / "deep.png"  # 16-bit colour: read by imageio's own decoder, not Pillow
    imageio.save_image(src, np.full((256, 256, 3), 0.4, np.float32), bit_depth=16)
    assert imageio.load_image(src).bit_depth == 16
    monkeypatch.setattr(memory, "available_bytes", lambda: 1 << 20)
    assert _denoise(tmp_path, src) == 2
    _one_error(capsys, "pixels that the memory available .* can hold")
