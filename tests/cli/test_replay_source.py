"""``replay`` of a result whose record names its source outside the result's folder. A result dpm-studio
saves records its source by the file's name alone (core/run/requests.saved_metadata), looked for beside
the result; an edited record naming ``../secret.png`` made replay read a file outside that folder. Such a
source is never read: one line, exit 2, asking for --input; --print names INPUT.png instead."""

import json

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from dpm_studio.cli.main import main
from dpm_studio.core.files.decode import METADATA_KEY

DENOISE = ["--checkpoint", "tiny-rgb", "--sigma", "20", "--ensemble", "1", "--steps", "2"]


def _result(tmp_path, source):
    """(a folder holding in.png and result.png, whose record names ``source``; the file outside it)."""
    work = tmp_path / "work"
    work.mkdir()
    px = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(px).save(work / "in.png")
    Image.fromarray(px).save(tmp_path / "secret.png")   # outside the folder: never to be read
    made = work / "made.png"
    assert main(["denoise", str(work / "in.png"), "-o", str(made), *DENOISE]) == 0
    with Image.open(made) as im:
        meta = json.loads(im.text[METADATA_KEY])
        assert meta["source"] == "in.png"   # what a record written by us names: the file name alone
        meta["source"] = source
        info = PngInfo()
        info.add_text(METADATA_KEY, json.dumps(meta))
        im.save(work / "result.png", pnginfo=info)
    return work, tmp_path / "secret.png"


ESCAPING = ["../secret.png", "{tmp}/secret.png", "sub/../../secret.png", "..\\secret.png", "..", "a\x00b.png"]


@pytest.mark.parametrize("source", ESCAPING)
@pytest.mark.parametrize("all_runs", [False, True])
def test_a_source_outside_the_results_folder_is_never_read(tmp_path, tiny, capsys, monkeypatch, source, all_runs):
    source = source.replace("{tmp}", str(tmp_path))
    work, secret = _result(tmp_path, source)
    capsys.readouterr()
    read = []
    import dpm_studio.cli.restore as restore

    real = restore._read
    monkeypatch.setattr(restore, "_read", lambda p: read.append(str(p)) or real(p))
    extra = ["--all-runs"] if all_runs else []
    assert main(["replay", str(work / "result.png"), "-o", str(work / "again.png"), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dpm-studio: error: result.png names its source ")
    assert err[0].endswith("which is not a file name beside it (a result dpm-studio saves records the name "
                           "alone), so it is not read: give the input with --input.")
    assert read == [] and not (work / "again.png").exists()
    assert main(["replay", str(work / "result.png"), "--print", *extra]) == 0
    printed = capsys.readouterr().out
    assert "INPUT.png" in printed and "secret" not in printed
    assert main(["replay", str(work / "result.png"), "--input", str(work / "in.png"), "-o", str(work / "again.png"),
                 *extra]) == 0   # given by the user: run


def test_a_file_name_beside_the_result_is_still_found(tmp_path, tiny, capsys):
    work, _ = _result(tmp_path, "in.png")
    assert main(["replay", str(work / "result.png"), "-o", str(work / "again.png")]) == 0
    with Image.open(work / "again.png") as a, Image.open(work / "made.png") as b:
        assert np.array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("all_runs", [False, True])
def test_a_result_saved_under_its_sources_name_is_not_taken_for_its_source(tmp_path, tiny, capsys, all_runs):
    """``denoise photos/noisy.png -o clean/noisy.png`` (a batch's results keep their inputs' names): the
    record's source "noisy.png", looked for beside the result, was the result itself, and replay denoised the
    result again without a word (walk: a 256 px photo at sigma 25, the replay off by up to 11/255). Now it is
    refused in one line, exit 2, asking for --input; with --input it runs as before."""
    work, _ = _result(tmp_path, "in.png")
    out = tmp_path / "out"
    out.mkdir()
    assert main(["denoise", str(work / "in.png"), "-o", str(out / "in.png"), *DENOISE]) == 0
    capsys.readouterr()
    extra = ["--all-runs"] if all_runs else []
    assert main(["replay", str(out / "in.png"), "-o", str(out / "again.png"), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["dpm-studio: error: in.png is the result, not the image it was made from (saved under its "
                   "source's name, in another folder or over it): give the input with --input."]
    assert not (out / "again.png").exists()
    assert main(["replay", str(out / "in.png"), "--input", str(work / "in.png"), "-o", str(out / "again.png"),
                 *extra]) == 0
    with Image.open(out / "again.png") as a, Image.open(out / "in.png") as b:
        assert np.array_equal(np.asarray(a), np.asarray(b))
