"""inpaint / denoise / sample from the command line: formats, modes, exit codes, error lines."""

import json

import numpy as np
import pytest
from PIL import Image

from dpm_studio.cli.main import main


def _img(path, mode, size=(40, 32)):
    rng = np.random.default_rng(0)
    c = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    a = rng.integers(0, 256, (size[1], size[0], c), dtype=np.uint8)
    Image.fromarray(a[:, :, 0] if c == 1 else a, mode).save(path)
    return a


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_inpaint_keeps_mode_and_known_pixels(tmp_path, tiny, mode):
    src = tmp_path / "in.png"
    a = _img(src, mode)
    m = np.zeros((32, 40), np.uint8)
    m[8:20, 10:30] = 255
    Image.fromarray(m).save(tmp_path / "mask.png")
    out = tmp_path / "out.png"
    assert main(["inpaint", str(src), "--mask", str(tmp_path / "mask.png"), "-o", str(out),
                 "--checkpoint", tiny, "--steps", "4"]) == 0
    res = Image.open(out)
    assert res.mode == mode and res.size == (40, 32)
    r = np.asarray(res).reshape(32, 40, -1)
    keep = m == 0
    assert np.array_equal(r[keep], a.reshape(32, 40, -1)[keep])
    from dpm_studio.imageio import METADATA_KEY

    saved = json.loads(res.info[METADATA_KEY])  # run settings recorded in the PNG, the app's schema
    assert saved["software"].startswith("dpm-studio ") and len(saved["runs"]) == 1
    meta = saved["runs"][0]
    assert meta["checkpoint"] == tiny and meta["steps"] == 4 and meta["task"] == "inpaint"
    assert meta["start"] == "harmonic" and meta["start_sigma"] == 1.0  # the default start

    out2 = tmp_path / "out2.png"  # the paper's start, from noise at t = T
    assert main(["inpaint", str(src), "--mask", str(tmp_path / "mask.png"), "-o", str(out2),
                 "--checkpoint", tiny, "--steps", "4", "--start", "noise"]) == 0
    r2 = np.asarray(Image.open(out2)).reshape(32, 40, -1)
    assert np.array_equal(r2[keep], r[keep]) and not np.array_equal(r2[~keep], r[~keep])
    assert json.loads(Image.open(out2).info[METADATA_KEY])["runs"][-1]["start"] == "noise"
    assert meta["variance"] == "learned"

    out3 = tmp_path / "out3.png"  # the large reverse variance: same known pixels, another fill
    assert main(["inpaint", str(src), "--mask", str(tmp_path / "mask.png"), "-o", str(out3),
                 "--checkpoint", tiny, "--steps", "4", "--variance", "large"]) == 0
    r3 = np.asarray(Image.open(out3)).reshape(32, 40, -1)
    assert np.array_equal(r3[keep], r[keep]) and not np.array_equal(r3[~keep], r[~keep])
    assert json.loads(Image.open(out3).info[METADATA_KEY])["runs"][-1]["variance"] == "large"


def test_variance_needs_a_sampled_trajectory(tmp_path, tiny, capsys):
    src = tmp_path / "noisy.png"
    _img(src, "RGB")
    out = tmp_path / "clean.png"
    assert main(["denoise", str(src), "-o", str(out), "--checkpoint", tiny, "--sigma", "20",
                 "--variance", "large"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["dpm-studio: error: the step variance applies to sampled trajectories (method 'sample')."]
    assert not out.exists()
    assert main(["denoise", str(src), "-o", str(out), "--checkpoint", tiny, "--sigma", "20", "--steps", "3",
                 "--method", "sample", "--variance", "large"]) == 0


def test_denoise_and_sample_write_images(tmp_path, tiny):
    src = tmp_path / "noisy.jpg"
    _img(src, "RGB")
    out = tmp_path / "clean.tif"
    assert main(["denoise", str(src), "-o", str(out), "--checkpoint", tiny, "--sigma", "20"]) == 0
    assert Image.open(out).size == (40, 32)
    assert main(["denoise", str(src), "-o", str(tmp_path / "c2.png"), "--checkpoint", tiny]) == 0  # estimated
    out = tmp_path / "s.webp"
    assert main(["sample", "--checkpoint", tiny, "-o", str(out), "--size", "24x16", "--steps", "3"]) == 0
    assert Image.open(out).size == (24, 16)


@pytest.mark.parametrize("case", ["missing", "not-image", "mask-size", "empty-mask", "bad-size", "overwrite",
                                  "bad-ext", "tile-batch", "start-sigma"])
def test_user_errors_exit_2_with_one_clear_line(tmp_path, tiny, capsys, case):
    src = tmp_path / "in.png"
    _img(src, "RGB")
    mask = tmp_path / "mask.png"
    Image.fromarray(np.full((32, 40), 255, np.uint8)).save(mask)
    out = str(tmp_path / "o.png")
    argv = {
        "missing": ["inpaint", str(tmp_path / "nope.png"), "--mask", str(mask), "-o", out, "--checkpoint", tiny],
        "not-image": ["denoise", str(tmp_path / "x.txt"), "-o", out, "--checkpoint", tiny],
        "mask-size": ["inpaint", str(src), "--mask", str(tmp_path / "small.png"), "-o", out, "--checkpoint", tiny],
        "empty-mask": ["inpaint", str(src), "--mask", str(tmp_path / "empty.png"), "-o", out, "--checkpoint", tiny],
        "bad-size": ["sample", "--checkpoint", tiny, "-o", out, "--size", "big"],
        "overwrite": ["denoise", str(src), "-o", str(src), "--checkpoint", tiny, "--sigma", "10"],
        "bad-ext": ["denoise", str(src), "-o", str(tmp_path / "o.xyz"), "--checkpoint", tiny, "--sigma", "10"],
        "tile-batch": ["denoise", str(src), "-o", out, "--checkpoint", tiny, "--sigma", "10", "--tile-batch", "0"],
        "start-sigma": ["inpaint", str(src), "--mask", str(mask), "-o", out, "--checkpoint", tiny,
                        "--start-sigma", "0"],
    }[case]
    (tmp_path / "x.txt").write_text("hello")
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(tmp_path / "small.png")
    Image.fromarray(np.zeros((32, 40), np.uint8)).save(tmp_path / "empty.png")
    before = src.read_bytes()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dpm-studio: error:") and "Traceback" not in err[0], err
    assert src.read_bytes() == before


def test_smc_prints_the_effective_sample_size_and_needs_a_sampled_trajectory(tmp_path, tiny, capsys):
    src = tmp_path / "noisy.png"
    _img(src, "RGB")
    out = tmp_path / "clean.png"
    assert main(["denoise", str(src), "-o", str(out), "--checkpoint", tiny, "--sigma", "20", "--smc"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "dpm-studio: error: sequential Monte Carlo weighs sampled trajectories (method 'sample')."]
    assert main(["denoise", str(src), "-o", str(out), "--checkpoint", tiny, "--sigma", "20", "--steps", "3",
                 "--method", "sample", "--samples", "3", "--smc"]) == 0
    err = capsys.readouterr().err
    assert "ESS 3.0" in err  # one noise level: the matched start is exact, the weights stay equal
    assert "dpm-studio: sequential Monte Carlo: effective sample size 3.0 at the end, 3.0 at the lowest" in err
    mask = tmp_path / "mask.png"
    m = np.zeros((32, 40), np.uint8)
    m[8:24, 10:30] = 128  # feathered: evidence on every pixel of the box
    Image.fromarray(m).save(mask)
    assert main(["inpaint", str(src), "--mask", str(mask), "--soft-mask", "-o", str(out), "--checkpoint", tiny,
                 "--steps", "4", "--samples", "4", "--smc", "--overwrite"]) == 0
    line = [s for s in capsys.readouterr().err.splitlines() if "sequential Monte Carlo" in s]
    assert len(line) == 1 and float(line[0].split("size ")[1].split(" ")[0]) <= 4.0
