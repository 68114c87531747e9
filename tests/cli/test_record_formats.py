"""Which results hold their run record, and what replay says of a record it cannot use (session 17).

A WebP result holds its record in an XMP packet of its own (core/files/decode.record_xmp; the file's EXIF stays
the source's) and replays like a PNG, TIFF or JPEG result; a BMP holds no text, which its save says and replay's
refusal names. A record is anyone's text: one that is not JSON, too large, too deep, or whose runs are not run
records, and settings of the wrong type or out of range, are refused by replay in one line, exit status 2, no
traceback, and nothing is written.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from dpm_studio import imageio
from dpm_studio.cli.main import main
from dpm_studio.core.files.decode import METADATA_KEY


def _made(tmp_path, tiny, img, name, *extra):
    made = tmp_path / name
    assert main(["denoise", str(img[0]), "-o", str(made), "--checkpoint", tiny, "--sigma", "20", *extra]) == 0
    return made


def _error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("dpm-studio: error: ")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("quality", ["90", "100"])   # lossy, and lossless (quality 100)
def test_a_webp_result_carries_its_record_and_replays_exactly(tmp_path, tiny, img, capsys, quality):
    """Fails without the XMP written by imageio.save_image and read by decode._metadata: 'carries no record'."""
    made = _made(tmp_path, tiny, img, "made.webp", "--quality", quality)
    run = imageio.load_image(made).metadata["runs"][-1]
    assert run["task"] == "denoise" and run["sigma_255"] == 20 and len(run["result_sha256"]) == 64
    with Image.open(made) as im:   # the source's EXIF is not where the record went
        assert b"dpm:record" in im.info["xmp"]
    capsys.readouterr()
    assert main(["replay", str(made), "-o", str(tmp_path / "again.webp"), "--strict"]) == 0
    assert "reproduced exactly" in capsys.readouterr().err
    again = imageio.load_image(tmp_path / "again.webp").metadata["runs"][-1]
    assert again["result_sha256"] == run["result_sha256"]


def test_a_record_in_xmp_keeps_every_character():
    from dpm_studio.core.files.decode import record_xmp, xmp_record

    meta = {"runs": [{"task": "denoise", "note": "a<b>&c \"'\u00e9 &amp; </dpm:record>"}], "source": "x&<y>.png"}
    text = json.dumps(meta)
    assert json.loads(xmp_record(record_xmp(text))) == meta
    assert xmp_record(b"<x:xmpmeta>another program's</x:xmpmeta>") is None and xmp_record(None) is None


def test_a_bmp_result_says_at_its_save_that_it_keeps_no_record_and_replay_says_why(tmp_path, tiny, img, capsys):
    made = _made(tmp_path, tiny, img, "made.bmp")
    err = capsys.readouterr().err
    assert "made.bmp: a BMP holds no text, so the run record is not saved" in err, err
    assert main(["replay", str(made), "-o", str(tmp_path / "again.png")]) == 2
    said = _error(capsys)
    assert "carries no dpm-studio run record" in said and "PNG, TIFF, JPEG or WebP" in said
    assert "a BMP holds no text" in said, said
    assert not (tmp_path / "again.png").exists()
    doc = type("Doc", (), {"runs": []})()   # the app's document before any run: nothing to lose, nothing said
    assert imageio.save_losses(tmp_path / "x.bmp", doc) == []


def _png_with_record(path, px, text: str):
    info = PngInfo()
    info.add_text(METADATA_KEY, text)
    Image.fromarray(px).save(path, pnginfo=info)
    return path


# (name, the record's text made from a good one, words the refusal must hold). The first five failed before:
# each was "carries no dpm-studio run record: only a result ... saved as PNG, TIFF or JPEG", of a PNG.
UNREADABLE = [
    ("not-json", lambda good: "{not json", "not valid JSON"),
    ("deep", lambda good: '{"runs":' + "[" * 5000 + "]" * 5000 + "}", "nested"),
    ("huge", lambda good: '{"runs": [{"task": "denoise", "pad": "' + "x" * 300_000 + '"}]}', "more than the"),
    ("runs-dict", lambda good: json.dumps(dict(good, runs={"a": 1})), "not a list of run records"),
    ("runs-strings", lambda good: json.dumps(dict(good, runs=["x"])), "not a list of run records"),
    ("no-runs", lambda good: json.dumps(dict(good, runs=[])), "record of no runs"),
    ("array", lambda good: "[1, 2]", "the record is not a JSON object"),
]
# settings of the wrong type or out of range: refused by the request's own check, in its words
BAD_SETTINGS = [
    ({"sigma": -0.1}, "the noise level must be more than 0"),
    ({"sigma": float("nan")}, "the noise level must be more than 0"),
    ({"sigma": "abc"}, "sigma must be a number, not 'abc'"),
    ({"method": "sample", "steps": 10 ** 9}, "the number of steps must be 1 to 100,000"),
    ({"method": "sample", "steps": 1e9}, "steps must be a whole number"),
    ({"noise": "poisson-gaussian", "noise_a": float("nan"), "noise_b": 0.001}, "noise's a must be 0 to 1"),
    ({"noise": "pink"}, "the noise model must be one of auto, constant, poisson-gaussian"),
    ({"task": "sharpen"}, "is a 'sharpen' run: only inpaint, denoise and sample replay"),
    ({"task": ["denoise"]}, "only inpaint, denoise and sample replay"),
    ({"seed": -5}, "the seed must be 0 to"),
    ({"tile": "big"}, "tile must be a whole number"),
    ({"region": [1, 2]}, "region must be 4 whole numbers"),
    ({"checkpoint_sha256": 12}, "not a SHA-256 digest"),
]


@pytest.mark.parametrize("case", UNREADABLE, ids=[c[0] for c in UNREADABLE])
def test_a_record_that_cannot_be_read_is_refused_saying_why(tmp_path, tiny, img, capsys, case):
    _, make, words = case
    made = _made(tmp_path, tiny, img, "made.png")
    good = imageio.load_image(made).metadata
    bad = _png_with_record(tmp_path / "bad.png", np.asarray(Image.open(made)), make(good))
    capsys.readouterr()
    assert main(["replay", str(bad), "-o", str(tmp_path / "again.png")]) == 2
    said = _error(capsys)
    assert words in said and len(said) < 400, said
    assert not (tmp_path / "again.png").exists()


@pytest.mark.parametrize("case", BAD_SETTINGS, ids=[json.dumps(c[0])[:40] for c in BAD_SETTINGS])
def test_a_record_of_wrong_types_or_values_is_refused_in_the_request_s_words(tmp_path, tiny, img, capsys, case):
    changes, words = case
    made = _made(tmp_path, tiny, img, "made.png")
    good = imageio.load_image(made).metadata
    good["runs"][0].update(changes)
    bad = _png_with_record(tmp_path / "bad.png", np.asarray(Image.open(made)), json.dumps(good))
    capsys.readouterr()
    assert main(["replay", str(bad), "-o", str(tmp_path / "again.png")]) == 2
    said = _error(capsys)
    assert words in said, said
    assert not (tmp_path / "again.png").exists()


@pytest.mark.parametrize("comment", [bytes(range(256)) * 10, b"{" + bytes(range(256)) * 10,
                                     b'{"runs": [{"task": "denoise", "sigma": -1}]}'],
                         ids=["garbage", "brace-then-garbage", "negative-sigma"])
def test_a_jpeg_whose_comment_is_garbage_or_a_bad_record_is_refused_in_one_line(tmp_path, img, capsys, comment):
    bad = tmp_path / "bad.jpg"
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(bad, comment=comment)
    assert main(["replay", str(bad), "-o", str(tmp_path / "again.png"), "--input", str(img[0])]) == 2
    said = _error(capsys)
    assert any(w in said for w in ("carries no dpm-studio run record", "cannot be read", "must be")), said


@pytest.mark.parametrize("record, words", [
    ('{"runs": [{"task": "denoise", "pad": "' + "x" * 2_000_000 + '"}]}', "2,000,042 characters, more than the"),
    ('{"runs": [{"task": "denoise" "x"}]}', "not valid JSON"),
], ids=["2-MB", "not-json"])
def test_a_webp_whose_xmp_record_is_too_large_or_not_json_is_refused_saying_why(tmp_path, capsys, record, words):
    from dpm_studio.core.files.decode import record_xmp

    bad = tmp_path / "bad.webp"
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(bad, xmp=record_xmp(record))
    assert main(["replay", str(bad), "-o", str(tmp_path / "again.png")]) == 2
    said = _error(capsys)
    assert "holds a dpm-studio record that cannot be read" in said and words in said, said
