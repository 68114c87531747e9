"""``dpm-studio replay`` says whether it made the pixels the run made: a result's record holds their SHA-256
(core/run/jobs.stamped) and the software that made them; ``--strict`` turns a difference into exit status 1.
The package's version was 0.1.0 from the start, so replaying an old record with today's code gave other pixels
in silence."""

from __future__ import annotations

import re

import numpy as np
import pytest

from dpm_studio import imageio
from dpm_studio.cli.main import main
from dpm_studio.core.run.jobs import Source


def _made(tmp_path, tiny, img, name="made.png"):
    src, _ = img
    made = tmp_path / name
    assert main(["denoise", str(src), "-o", str(made), "--checkpoint", tiny, "--sigma", "20"]) == 0
    return made


def _verdict(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("dpm-studio: run ")]
    assert len(err) == 1, err
    return err[0]


def test_a_replay_with_the_same_code_says_it_reproduced_the_result_exactly(tmp_path, tiny, img, capsys):
    made = _made(tmp_path, tiny, img)
    run = imageio.load_image(made).metadata["runs"][-1]
    data = imageio.load_image(made)
    assert run["result_sha256"] == Source(8).digest(data.pixels) and run["software"].startswith("dpm-studio ")
    capsys.readouterr()
    for strict in ([], ["--strict"]):
        out = tmp_path / f"again{len(strict)}.png"
        assert main(["replay", str(made), "-o", str(out), *strict]) == 0
        assert "reproduced exactly" in _verdict(capsys)
        assert imageio.load_image(out).metadata["runs"][-1]["result_sha256"] == run["result_sha256"]


def _as_if_made_by_older_code(made, to, changed: int, digest: bool = True):
    """``made`` as another version's run would have saved it: ``changed`` pixels a few steps off (its pixels), their
    digest in its record (or none: a record from before records held one)."""
    data = imageio.load_image(made)
    px = data.pixels.copy()
    for i in range(changed):
        px[i, 3 * i] = np.clip(px[i, 3 * i] + 3 / 255 * (1 if px[i, 3 * i, 0] < 0.5 else -1), 0, 1)
    meta = data.metadata
    run = meta["runs"][-1]
    run.pop("result_sha256"), run.pop("software")
    if digest:
        run.update(result_sha256=Source(8).digest(px), software="dpm-studio 0.1.0")
    imageio.save_image(to, px, metadata=meta)
    return to


def test_a_replay_that_makes_other_pixels_says_by_how_much_and_strict_fails(tmp_path, tiny, img, capsys):
    made = _made(tmp_path, tiny, img)
    old = _as_if_made_by_older_code(made, tmp_path / "old.png", changed=5)
    capsys.readouterr()
    assert main(["replay", str(old), "-o", str(tmp_path / "a.png")]) == 0   # said, not failed, unless asked
    said = _verdict(capsys)
    assert re.search(r"run 1 of old\.png differs from the recorded result: max \|diff\| = 3/255 on 5 of 1024 pixels "
                     r"\(recorded by dpm-studio 0\.1\.0, now dpm-studio \S+\)", said), said
    out = tmp_path / "b.png"
    assert main(["replay", str(old), "-o", str(out), "--strict"]) == 1
    assert "differs from the recorded result" in _verdict(capsys) and out.exists()   # the replay is kept


def test_a_record_from_before_digests_still_replays_with_a_note(tmp_path, tiny, img, capsys):
    made = _made(tmp_path, tiny, img)
    same = _as_if_made_by_older_code(made, tmp_path / "same.png", changed=0, digest=False)
    other = _as_if_made_by_older_code(made, tmp_path / "other.png", changed=2, digest=False)
    capsys.readouterr()
    assert main(["replay", str(same), "-o", str(tmp_path / "a.png"), "--strict"]) == 0   # the file's pixels are its
    said = _verdict(capsys)
    assert "recorded without a digest of its pixels; the replay made the file's own pixels" in said, said
    assert main(["replay", str(other), "-o", str(tmp_path / "b.png")]) == 0
    assert "differs from the file's pixels: max |diff| = 3/255 on 2 of 1024 pixels" in _verdict(capsys)
    twice = tmp_path / "twice.png"   # its first run's pixels are not in the file: nothing to compare with
    assert main(["denoise", str(same), "-o", str(twice), "--checkpoint", tiny, "--sigma", "10"]) == 0
    capsys.readouterr()
    for strict, rc in (([], 0), (["--strict"], 1)):
        assert main(["replay", str(twice), "--run", "1", "--input", str(img[0]), "-o", str(tmp_path / f"c{rc}.png"),
                     *strict]) == rc
        said = _verdict(capsys)
        assert "run 1 of twice.png: whether the replay reproduced it cannot be checked: it was recorded without a " \
            "digest of its pixels, and the file holds a later run's pixels" in said, said


def test_every_run_of_a_file_is_checked_with_all_runs(tmp_path, tiny, img, capsys):
    made = _made(tmp_path, tiny, img)
    twice = tmp_path / "twice.png"
    assert main(["denoise", str(made), "-o", str(twice), "--checkpoint", tiny, "--sigma", "10"]) == 0
    (tmp_path / "made.png").rename(tmp_path / "kept.png")   # the first run's result is not the source beside it
    capsys.readouterr()
    assert main(["replay", str(twice), "--all-runs", "--input", str(img[0]), "-o", str(tmp_path / "all.png"),
                 "--strict"]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith("dpm-studio: run ")]
    assert len(said) == 2 and all("reproduced exactly" in s for s in said), said


def test_a_16_bit_result_s_digest_is_of_its_file_s_samples(tmp_path, tiny, capsys):
    from dpm_studio.core.files import formats

    src = tmp_path / "deep.png"
    rng = np.random.default_rng(1)
    with open(src, "wb") as fp:
        formats.write_png(fp, rng.integers(0, 65536, (24, 32, 3), dtype=np.uint16))
    made = tmp_path / "made16.png"
    assert main(["denoise", str(src), "-o", str(made), "--checkpoint", tiny, "--sigma", "20"]) == 0
    data = imageio.load_image(made)
    assert data.bit_depth == 16 and data.metadata["runs"][-1]["result_sha256"] == Source(16).digest(data.pixels)
    capsys.readouterr()
    assert main(["replay", str(made), "-o", str(tmp_path / "again16.png"), "--strict"]) == 0
    assert "reproduced exactly" in _verdict(capsys)


def test_a_jpeg_result_carries_its_record_and_replays(tmp_path, tiny, img, capsys):
    """A JPEG result's record is its COM segment (imageio.save_image); the decoder read PNG text and TIFF
    descriptions only, so a JPEG result could not be replayed at all though replay's refusal named JPEG. Its
    digest is of the pixels it was encoded from, so the replay's verdict compares with the record, not the file."""
    made = _made(tmp_path, tiny, img, name="made.jpg")
    run = imageio.load_image(made).metadata["runs"][-1]
    assert run["task"] == "denoise" and len(run["result_sha256"]) == 64
    capsys.readouterr()
    assert main(["replay", str(made), "-o", str(tmp_path / "again.png"), "--strict"]) == 0
    assert "reproduced exactly" in _verdict(capsys)


def test_a_file_with_no_record_is_refused_naming_the_formats_that_hold_one(tmp_path, img, capsys):
    plain = tmp_path / "plain.bmp"   # a WebP holds its record since session 17 (tests/cli/test_record_formats.py)
    imageio.save_image(plain, imageio.load_image(img[0]).pixels, metadata={"runs": [{"task": "denoise"}]})
    capsys.readouterr()
    assert main(["replay", str(plain), "-o", str(tmp_path / "x.png")]) != 0
    err = capsys.readouterr().err
    assert "PNG, TIFF, JPEG or WebP" in err and "a BMP holds no text" in err and "Traceback" not in err, err
