"""What benchmarks/hostile_inputs.py found (docs/hostile-inputs.md), each through its entry point.

Every case here failed before its fix: a damaged TIFF printed Pillow's warnings and libtiff's own
lines above the error (or above a result, without a word of ours); a file name holding a newline or
an escape sequence split the one error line or recoloured the terminal; ``--checkpoint /`` (or ``.``,
``./``) was an internal error; a shot-noise gain negligible against the read noise divided by zero;
the API's ``device=" CPU "`` was torch's RuntimeError; ``sigma`` over 1 for a float array was refused
in 0-255 units the caller never used.
"""

import io
import math

import numpy as np
import pytest
from PIL import Image

from dpm_studio import api, imageio
from dpm_studio.cli.main import main
from dpm_studio.core.files.cardschema import CheckpointError
from faulty_files import lzw_tiff_with_bad_codes, tiff_with_a_tag_past_its_end


def _rgb(h=24, w=33):
    return np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _stderr_lines(capfd):
    err = capfd.readouterr().err
    return [line for line in err.splitlines() if line.strip() and "\r" not in line and not line.startswith("denoise [")]


def test_a_damaged_tiff_is_one_line_saying_what_is_wrong_in_our_words(tmp_path, tiny, capfd):
    src = lzw_tiff_with_bad_codes(tmp_path / "scan.tif")
    before = src.read_bytes()
    capfd.readouterr()
    assert main(["denoise", str(src), "--checkpoint", tiny, "--sigma", "10", "-o", str(tmp_path / "o.png")]) == 2
    lines = _stderr_lines(capfd)
    assert lines == [lines[0]] and lines[0].startswith("dpm-studio: error: scan.tif cannot be read"), lines
    # libtiff's "Using code not yet in table" and Pillow's "decoder error -2", said for a user
    assert lines[0].endswith("scan.tif cannot be read: its compressed pixel data is damaged; copy it again from "
                             "where it came from."), lines
    assert "Using code" not in lines[0] and "decoder error" not in lines[0]
    assert src.read_bytes() == before and not (tmp_path / "o.png").exists()


def test_a_tiff_that_loads_with_decoder_warnings_says_so_in_one_note(tmp_path, tiny, capfd):
    src = tiff_with_a_tag_past_its_end(tmp_path / "scan.tif")
    data = imageio.load_image(src)
    assert data.pixels.shape == (24, 33, 3)
    # Pillow's "Tag data larger than file. Skipping tag 305", said for a user, with the tag's name
    assert [n for n in data.notes if "damaged" in n] == [
        "scan.tif is damaged: some of its tags, the entries that describe the picture, are damaged (Software); what "
        "could be read of it is used, so check the picture, and if parts of it look wrong, copy the file again from "
        "where it came from"], data.notes
    capfd.readouterr()
    assert main(["denoise", str(src), "--checkpoint", tiny, "--sigma", "10", "-o", str(tmp_path / "o.png")]) == 0
    lines = _stderr_lines(capfd)
    assert all(line.startswith("dpm-studio: note: ") for line in lines), lines  # no UserWarning, no Pillow source
    assert sum("is damaged" in line for line in lines) == 1


@pytest.mark.parametrize("name", ["a\nb.png", "c\x1b[31mred.png", "d\u202egnp.png"])
def test_a_control_character_in_a_file_name_keeps_the_error_on_one_line(tmp_path, tiny, capfd, name):
    src = tmp_path / name
    src.write_bytes(b"not an image")
    capfd.readouterr()
    assert main(["denoise", str(src), "--checkpoint", tiny, "--sigma", "10", "-o", str(tmp_path / "o.png")]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err and "\u202e" not in err, repr(err)
    assert err.startswith("dpm-studio: error: ") and "is not an image file" in err


@pytest.mark.parametrize("given", ["/", ".", "./"])
def test_a_checkpoint_path_that_names_no_file_is_one_line(tmp_path, tiny, img, capfd, given):
    src, _ = img
    capfd.readouterr()
    rc = main(["denoise", str(src), "--checkpoint", given, "--sigma", "10", "-o", str(tmp_path / "o.png")])
    err = capfd.readouterr().err
    assert rc == 2, err
    assert "names a folder, not a checkpoint" in err and "internal error" not in err
    with pytest.raises(CheckpointError, match="names a folder"):
        api.denoise(np.zeros((8, 8, 3), np.uint8), 10, checkpoint=given)


def test_a_shot_noise_negligible_against_the_read_noise_is_constant_noise(tmp_path, tiny, img, capfd):
    src, _ = img
    runs = {"pg": ["--noise", "poisson-gaussian", "--noise-a", "1e-20", "--noise-b", "0.001"],
            "constant": ["--noise", "constant", "--sigma", repr(math.sqrt(0.001) * 255)]}
    for name, opts in runs.items():
        rc = main(["denoise", str(src), "--checkpoint", tiny, *opts, "--seed", "1", "-o", str(tmp_path / f"{name}.png")])
        assert rc == 0, capfd.readouterr().err
    a, b = (np.asarray(Image.open(tmp_path / f"{n}.png")) for n in runs)
    assert np.array_equal(a, b)


def test_the_api_reads_a_device_as_the_command_line_does(tiny):
    img = _rgb(8, 8)
    assert np.array_equal(api.denoise(img, 10, device=" CPU ", checkpoint=tiny, seed=1),
                          api.denoise(img, 10, device="cpu", checkpoint=tiny, seed=1))


def test_the_api_says_sigma_in_the_arrays_own_units(tiny):
    img = _rgb(8, 8).astype(np.float32) / 255
    with pytest.raises(ValueError, match=r"at most 1 for a float32 image, not 10"):
        api.denoise(img, 10, checkpoint=tiny)
    with pytest.raises(ValueError, match=r"at most 255 for a uint8 image, not 300"):
        api.denoise(_rgb(8, 8), 300, checkpoint=tiny)
    assert api.denoise(img, 10 / 255, checkpoint=tiny).shape == img.shape


def _edited(tmp_path, tiny, img, edit):
    """res.png, an inpainting of ``img`` whose run record ``edit`` changed (as a text editor would)."""
    import json

    from PIL.PngImagePlugin import PngInfo

    src, mask = img
    res = tmp_path / "res.png"
    assert main(["inpaint", str(src), "--mask", str(mask), "--checkpoint", tiny, "--steps", "2", "-o", str(res)]) == 0
    meta = json.loads(Image.open(res).text["dpm-studio"])
    edit(meta["runs"][0])
    info = PngInfo()
    info.add_text("dpm-studio", json.dumps(meta))
    Image.open(res).save(res, pnginfo=info)
    return res


@pytest.mark.parametrize("key", ["checkpoint_sha256", "mask_sha256"])
@pytest.mark.parametrize("value", [5, 1e308, True, {"a": {}}, [], "abc"])
def test_a_replayed_record_whose_digest_is_not_a_digest_is_one_line(tmp_path, tiny, img, capfd, key, value):
    res = _edited(tmp_path, tiny, img, lambda run: run.__setitem__(key, value))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    capfd.readouterr()
    rc = main(["replay", str(res), "--mask", str(img[1]), "-o", str(tmp_path / "again.png")])
    err = capfd.readouterr().err
    assert rc == 2, err
    assert f"its {key} is" in err and "not a SHA-256 digest" in err and err.count("\n") == 1, err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_a_replayed_record_with_an_unknown_entry_named_with_an_escape_notes_it_printably(tmp_path, tiny, img, capfd):
    res = _edited(tmp_path, tiny, img, lambda run: run.__setitem__("\x1b[31mred", 1))
    capfd.readouterr()
    assert main(["replay", str(res), "--print"]) == 0
    err = capfd.readouterr().err
    assert "\x1b" not in err and "\\x1b[31mred" in err, repr(err)


def test_a_batch_never_writes_a_names_control_characters_to_the_terminal(tmp_path, tiny, img, capfd):
    src, _ = img
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ok.png").write_bytes(src.read_bytes())
    (folder / "g\nood.png").write_bytes(src.read_bytes())
    (folder / "x\ny.png").write_bytes(b"junk")
    (folder / "z\x1b[2Jw.png").write_bytes(b"junk")
    (folder / "n\notes.txt").write_bytes(b"junk")
    capfd.readouterr()
    rc = main(["denoise", str(folder), "--checkpoint", tiny, "--sigma", "10", "-o", str(tmp_path / "out")])
    out, err = capfd.readouterr()
    assert rc == 1, err
    assert "\x1b" not in err, repr(err)
    lines = [line for line in err.split("\n") if line]
    assert all(line.startswith(("dpm-studio: ", "[", "\r")) for line in lines), lines  # no line begins mid-name
    assert "x\\ny.png (not an image)" in err and "z\\x1b[2Jw.png (not an image)" in err and "n\\notes.txt" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["g\nood.png", "ok.png"]
    assert str(tmp_path / "out" / "g\nood.png") in out  # stdout names the file itself, for $(...)


@pytest.mark.parametrize("frames", [1, 3])
def test_a_file_that_fails_to_decode_is_closed_at_once(tmp_path, frames):
    """A truncated file stayed open for as long as its error lived (a ResourceWarning when it went;
    a descriptor held by whatever keeps the error, as the app's last exception)."""
    import gc
    import warnings

    b = io.BytesIO()
    pictures = [Image.fromarray(np.roll(_rgb(64, 64), k, 0)) for k in range(frames)]
    pictures[0].save(b, format="PNG", save_all=frames > 1, append_images=pictures[1:])  # PNG, APNG
    cut = tmp_path / "cut.png"
    cut.write_bytes(b.getvalue()[: len(b.getvalue()) * 2 // (3 * frames)])  # inside the first frame
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            with pytest.raises(imageio.ImageIOError):
                imageio.load_image(cut)
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], [str(w.message) for w in caught]
