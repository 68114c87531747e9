"""Kinds of file a user has (not damaged ones) that benchmarks/hostile_inputs.py round seven found read
wrongly (docs/hostile-inputs.md), each through the command line: a grey or RGB PNG whose tRNS chunk marks
one colour transparent came out opaque (the transparency lost in the result); a multi-page LZW TIFF was
called "an animation of 3 frames"."""

import io
import struct
import zlib

import numpy as np
from PIL import Image

from dpm_studio import imageio
from dpm_studio.cli.main import main


def _key_png(path, mode):
    a = np.random.default_rng(0).integers(10, 250, (16, 16), dtype=np.uint8)
    a[3:6, 4:9] = 5  # the transparent colour
    if mode == "L":
        Image.fromarray(a).save(path, transparency=5)
    elif mode == "I;16":
        Image.fromarray(a.astype(np.uint16) * 257).save(path, transparency=5 * 257)
    elif mode == "RGB16":  # read by formats.read_png16, not Pillow: the tRNS chunk put in by hand
        from dpm_studio.core.files import formats

        b = io.BytesIO()
        formats.write_png(b, np.dstack([a, a, a]).astype(np.uint16) * 257)
        data, key = b.getvalue(), struct.pack(">HHH", *[5 * 257] * 3)
        i = data.find(b"IDAT") - 4
        path.write_bytes(data[:i] + struct.pack(">I", 6) + b"tRNS" + key + struct.pack(">I", zlib.crc32(b"tRNS" + key))
                         + data[i:])
    else:
        Image.fromarray(np.dstack([a, a, a])).save(path, transparency=(5, 5, 5))
    return a == 5


def test_a_png_with_a_transparent_colour_keeps_its_transparency(tmp_path, tiny):
    for mode in ("L", "RGB", "I;16", "RGB16"):
        src = tmp_path / f"key-{mode.replace(';', '')}.png"
        hole = _key_png(src, mode)
        data = imageio.load_image(src)
        assert data.alpha is not None, mode  # was None: the transparent pixels shown opaque
        np.testing.assert_array_equal(data.alpha == 0, hole)
        out = tmp_path / f"out-{src.name}"
        assert main(["denoise", str(src), "--checkpoint", tiny, "--sigma", "10", "-o", str(out)]) == 0
        back = imageio.load_image(out)
        assert back.alpha is not None, mode
        np.testing.assert_array_equal(back.alpha == 0, hole)


def test_a_multi_page_tiff_read_by_pillow_says_pages_not_frames(tmp_path, tiny, capfd):
    a = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    frames = [Image.fromarray(np.roll(a, k, 0)) for k in range(3)]
    b = io.BytesIO()
    frames[0].save(b, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw")  # LZW: Pillow's path
    src = tmp_path / "scan.tif"
    src.write_bytes(b.getvalue())
    assert imageio.load_image(src).notes == ["scan.tif has 3 pages: only the first page is used"]
    capfd.readouterr()
    assert main(["denoise", str(src), "--checkpoint", tiny, "--sigma", "10", "-o", str(tmp_path / "o.png")]) == 0
    assert "dpm-studio: note: scan.tif has 3 pages: only the first page is used" in capfd.readouterr().err


def test_a_batch_that_writes_nothing_leaves_no_folder_of_its_own(tmp_path, tiny):
    """A batch into a full or read-only disk, or of images that all fail, made its output folder (and the
    folders above it) and left them empty: a refused run leaves nothing behind."""
    for k in range(2):
        (tmp_path / f"junk{k}.png").write_bytes(b"not an image")
    out = tmp_path / "new" / "deeper" / "out"
    junk = [str(tmp_path / "junk0.png"), str(tmp_path / "junk1.png")]
    argv = ["denoise", *junk, "--checkpoint", tiny, "--sigma", "10"]
    assert main(argv + ["-o", str(out)]) == 1
    assert not (tmp_path / "new").exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    assert main(argv + ["-o", str(kept)]) == 1
    assert kept.is_dir()  # the user's own folder stays
    good = tmp_path / "good.png"
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(good)
    assert main(["denoise", *junk, str(good), "--checkpoint", tiny, "--sigma", "10", "-o", str(out)]) == 1
    assert len(list(out.iterdir())) == 1  # one written: the folder and its result stay
