"""The inpainting fill's grain through the command line, a batch, the record and replay, and the API."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dpm_studio import api, imageio
from dpm_studio.cli.main import main

A, B = 0.004, 0.0004   # camera-like noise, var = a x + b ([0, 1] units)


def _noisy(size=96, seed=0):
    """A smooth colour picture with camera-like noise, as an 8-bit file holds it, and a centre hole."""
    r, c = np.mgrid[0:size, 0:size] / size
    x = np.stack([0.25 + 0.5 * r, 0.35 + 0.3 * c, 0.5 + 0.2 * np.sin(3 * r + 2 * c)], 2)
    y = x + np.sqrt(A * x + B) * np.random.default_rng(seed).standard_normal(x.shape)
    mask = np.zeros((size, size), np.uint8)
    mask[size // 3:2 * size // 3, size // 3:2 * size // 3] = 255
    return np.clip(np.round(y * 255), 0, 255).astype(np.uint8), mask


@pytest.fixture
def noisy(tmp_path):
    y, mask = _noisy()
    src, m = tmp_path / "noisy.png", tmp_path / "hole.png"
    Image.fromarray(y).save(src)
    Image.fromarray(mask).save(m)
    return src, m


def _hole_diff_std(a, b, mask):
    return float(np.std((a.astype(np.float64) - b.astype(np.float64))[mask > 0]))


def test_grain_flag_changes_only_the_fill_records_the_law_and_replays_the_same_pixels(tmp_path, tiny, noisy, capsys):
    src, m = noisy
    mask = np.asarray(Image.open(m))
    run = ["inpaint", str(src), "--mask", str(m), "--checkpoint", tiny, "--steps", "3", "--jump-length", "0"]
    assert main([*run, "-o", str(tmp_path / "none.png"), "--grain", "none"]) == 0
    assert main([*run, "-o", str(tmp_path / "match.png")]) == 0   # match: the default
    none, match = (imageio.load_image(tmp_path / f"{k}.png") for k in ("none", "match"))
    a, b = (np.round(d.pixels * 255) for d in (none, match))
    assert np.array_equal(a[mask == 0], b[mask == 0])
    # the grain is the fitted law's: about sqrt(0.004 x + 0.0004) * 255 = 10-14 at these intensities
    assert 8 < _hole_diff_std(a, b, mask) < 16
    rec = match.metadata["runs"][-1]
    assert rec["grain"] == "match" and rec["grain_law"]["kind"] == "poisson-gaussian"
    none_rec = none.metadata["runs"][-1]   # the law is still the known pixels' (known_noise "law", the default)
    assert none_rec["grain"] == "none" and none_rec["known_noise"] == "law" and none_rec["grain_law"] == rec["grain_law"]
    capsys.readouterr()
    again = tmp_path / "again.png"
    assert main(["replay", str(tmp_path / "match.png"), "--input", str(src), "--mask", str(m), "-o", str(again)]) == 0
    assert np.array_equal(imageio.load_image(again).pixels, match.pixels)
    assert main(["replay", str(tmp_path / "none.png"), "--input", str(src), "--mask", str(m), "--print"]) == 0
    assert "--grain none" in capsys.readouterr().out


def test_a_bad_grain_is_one_line_and_exit_2(tmp_path, tiny, noisy, capsys):
    src, m = noisy
    out = tmp_path / "o.png"
    assert main(["inpaint", str(src), "--mask", str(m), "--checkpoint", tiny, "-o", str(out), "--grain", "heavy"]) == 2
    err = capsys.readouterr().err
    assert "--grain" in err and "invalid choice" in err and "Traceback" not in err and not out.exists()


def test_a_batch_takes_the_grain_for_every_image(tmp_path, tiny, noisy):
    src, m = noisy
    folder = tmp_path / "in"
    folder.mkdir()
    for k in range(2):
        Image.fromarray(_noisy(seed=k)[0]).save(folder / f"p{k}.png")
    out = tmp_path / "out"
    assert main(["inpaint", str(folder), "--mask", str(m), "--checkpoint", tiny, "--steps", "2", "--jump-length",
                 "0", "--grain", "none", "-o", str(out)]) == 0
    for k in range(2):
        assert imageio.load_image(out / f"p{k}.png").metadata["runs"][-1]["grain"] == "none"


def test_the_api_takes_grain_and_refuses_a_bad_one(tiny):
    from dpm_studio.core.files.checkpoint import load, resolve

    loaded = load(resolve(tiny))
    y, mask = _noisy()
    runs = {g: api.inpaint(y, mask, checkpoint=loaded, steps=3, jump_length=0, grain=g) for g in ("none", "match")}
    assert runs["none"].dtype == np.uint8 and np.array_equal(runs["none"][mask == 0], y[mask == 0])
    assert np.array_equal(runs["match"][mask == 0], y[mask == 0])
    assert 8 < _hole_diff_std(runs["none"], runs["match"], mask) < 16
    with pytest.raises(ValueError, match="grain must be one of match, none"):
        api.inpaint(y, mask, checkpoint=loaded, grain="coarse")
