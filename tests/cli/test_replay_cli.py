"""``dpm-studio replay`` and ``--keep-sample`` refuse what they cannot do in one line, exit 2, nothing written."""

from __future__ import annotations

import pytest

from dpm_studio.cli.main import main


def _one_error(capsys) -> str:
    err = [line for line in capsys.readouterr().err.strip().splitlines() if "error" in line]
    assert len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


@pytest.mark.parametrize("extra, words", [(["--keep-sample", "4", "--samples", "3"], "past the 3 draws"),
                                          (["--keep-sample", "1"], "the mmse method makes one estimate"),
                                          (["--keep-sample", "-1"], "out of range")])
def test_keep_sample_out_of_reach_is_one_line(tmp_path, tiny, img, capsys, extra, words):
    out = tmp_path / "out.png"
    method = [] if "mmse" in words else ["--method", "sample", "--steps", "2"]
    assert main(["denoise", str(img[0]), "-o", str(out), "--checkpoint", tiny, *method, *extra]) == 2
    assert words in _one_error(capsys) and not out.exists()


def test_replay_refuses_a_file_without_a_record_and_a_run_it_lacks(tmp_path, tiny, img, capsys):
    src, mask = img
    out = tmp_path / "again.png"
    assert main(["replay", str(src), "-o", str(out)]) == 2
    assert "carries no dpm-studio run record" in _one_error(capsys)
    made = tmp_path / "made.png"
    assert main(["inpaint", str(src), "--mask", str(mask), "-o", str(made), "--checkpoint", tiny, "--steps", "2"]) == 0
    capsys.readouterr()
    assert main(["replay", str(made), "--run", "2", "--mask", str(mask), "-o", str(out)]) == 2
    assert "holds 1 run; give 1 to 1" in _one_error(capsys) and not out.exists()
    assert main(["replay", str(made), "--mask", str(mask)]) == 2
    assert "give the output with -o" in _one_error(capsys)
    assert main(["replay", str(made), "--mask", str(mask), "-o", str(out)]) == 0
    assert out.exists()


def test_replay_says_what_a_record_holds_that_it_does_not_know(tmp_path, tiny, img, capsys):
    from dpm_studio import imageio

    src, mask = img
    made = tmp_path / "made.png"
    assert main(["inpaint", str(src), "--mask", str(mask), "-o", str(made), "--checkpoint", tiny, "--steps", "2"]) == 0
    data = imageio.load_image(made)
    meta = data.metadata
    meta["runs"][-1]["future_setting"] = 3
    newer = tmp_path / "newer.png"
    imageio.save_image(newer, data.pixels, metadata=meta)
    capsys.readouterr()
    assert main(["replay", str(newer), "--input", str(src), "--mask", str(mask), "--print"]) == 0
    out, err = capsys.readouterr()
    assert "holds future_setting, which this version does not know" in err
    assert out.startswith(f"dpm-studio inpaint {src} --mask {mask} -o OUT.png --checkpoint {tiny}")
