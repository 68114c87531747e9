"""The API's result carries its request and run record, and saves them as the command line does: api.denoise_result,
inpaint_result and sample_result return an api.Result whose ``record`` is the command line's record of the same run
(core/run/jobs.result_record, the one builder; but its time), and whose ``save`` writes the command line's file (the
same samples, the record in a PNG, TIFF, JPEG or WebP; a BMP warns that it holds none), which ``dpm-studio replay
--strict`` reproduces to the bit. ``api.denoise`` and the others still return an ndarray. Each test fails without
api.Result (the API returned pixels only, and a script could not save a result replay could run)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from dpm_studio import api, imageio
from dpm_studio.cli.main import main

TIMES = ("time", "seconds")


def _meta(path):
    return imageio.load_image(path).metadata


def _same_but_times(a: dict, b: dict):
    drop = lambda r: {k: v for k, v in r.items() if k not in TIMES}   # noqa: E731
    assert {k: v for k, v in a.items() if k != "runs"} == {k: v for k, v in b.items() if k != "runs"}
    assert [drop(r) for r in a["runs"]] == [drop(r) for r in b["runs"]]


def _replay(path, *extra) -> tuple[int, str]:
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(["replay", str(path), "-o", str(path.with_name("again-" + path.stem + ".png")), "--strict",
                   "--overwrite", *map(str, extra)])
    return rc, err.getvalue()


def test_the_plain_functions_still_return_arrays(tiny):
    px = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    out = api.denoise(px, 20, checkpoint=tiny, ensemble=1)
    assert type(out) is np.ndarray and out.dtype == np.uint8
    r = api.denoise_result(px, 20, checkpoint=tiny, ensemble=1)
    assert isinstance(r, api.Result) and np.array_equal(r.pixels, out) and np.array_equal(np.asarray(r), out)


@pytest.mark.parametrize("suffix", [".png", ".tif", ".jpg", ".webp"])
def test_a_denoise_result_saved_holds_the_command_line_s_record_and_replays_exactly(tmp_path, tiny, img, suffix):
    src = img[0]
    cli, mine = tmp_path / f"cli{suffix}", tmp_path / f"api{suffix}"
    assert main(["denoise", str(src), "-o", str(cli), "--checkpoint", tiny]) == 0
    r = api.denoise_result(np.asarray(Image.open(src)), checkpoint=tiny)
    # the request as it ran: the noise law fitted from the image, as the record says
    assert r.request.noise == r.record["noise"] and r.record["noise_fit"] == r.request.noise_fit
    assert r.save(mine, source=src) == mine
    _same_but_times(_meta(cli), _meta(mine))   # the software, the source's name, every entry of the run
    assert np.array_equal(imageio.load_image(cli).pixels, imageio.load_image(mine).pixels)
    rc, said = _replay(mine)
    assert rc == 0 and "reproduced exactly" in said


def test_an_inpainting_of_several_draws_keeps_its_choice_and_replays_with_its_mask(tmp_path, tiny, img):
    src, mask = img
    cli, mine = tmp_path / "cli.png", tmp_path / "api.png"
    argv = ["--checkpoint", tiny, "--steps", "3", "--samples", "2", "--seed", "5", "--keep-sample", "2"]
    assert main(["inpaint", str(src), "--mask", str(mask), "-o", str(cli), *argv]) == 0
    r = api.inpaint_result(np.asarray(Image.open(src)), np.asarray(Image.open(mask)), checkpoint=tiny, steps=3,
                           samples=2, seed=5, keep_sample=2)
    assert r.record["choice"] == "sample 2 of 2" and "mask_sha256" in r.record
    r.save(mine, source=src)
    _same_but_times(_meta(cli), _meta(mine))
    rc, said = _replay(mine, "--mask", mask)
    assert rc == 0 and "reproduced exactly" in said


def test_sixteen_bits_and_alpha_are_saved_as_the_command_line_saves_them(tmp_path, tiny):
    rng = np.random.default_rng(1)
    px = rng.integers(0, 65536, (16, 20, 4), dtype=np.uint16)
    px[..., 3] = np.linspace(0, 65535, 20, dtype=np.uint16)[None, :]
    src, cli, mine = tmp_path / "in.png", tmp_path / "cli.png", tmp_path / "api.png"
    imageio.save_image(src, px[..., :3] / 65535.0, px[..., 3] / 65535.0, bit_depth=16)
    assert main(["denoise", str(src), "-o", str(cli), "--checkpoint", tiny, "--sigma", "10"]) == 0
    r = api.denoise_result(px, 10 * 257, checkpoint=tiny)
    r.save(mine, source=src)
    a, b = imageio.load_image(cli), imageio.load_image(mine)
    assert b.bit_depth == 16 and np.array_equal(a.pixels, b.pixels) and np.array_equal(a.alpha, b.alpha)
    _same_but_times(a.metadata, b.metadata)
    assert _replay(mine)[0] == 0


def test_a_drawn_sample_saves_and_replays(tmp_path, tiny):
    r = api.sample_result((8, 12), checkpoint=tiny, steps=2, seed=3)
    assert r.pixels.dtype == np.float32 and r.record["task"] == "sample" and r.record["size"] == [12, 8]
    out = r.save(tmp_path / "drawn.png")
    assert "source" not in _meta(out)
    rc, said = _replay(out)
    assert rc == 0 and "reproduced exactly" in said
    with pytest.raises(ValueError, match="made from no image"):
        r.save(tmp_path / "x.png", source=out)


def test_without_a_source_replay_takes_the_input(tmp_path, tiny, img):
    src = img[0]
    r = api.denoise_result(np.asarray(Image.open(src)), 20, checkpoint=tiny, ensemble=1)
    out = r.save(tmp_path / "sub.png")
    assert "source" not in _meta(out)
    rc, said = _replay(out)
    assert rc == 2 and "give the input with --input" in said
    rc, said = _replay(out, "--input", src)
    assert rc == 0 and "reproduced exactly" in said


def test_a_bmp_says_it_keeps_no_record(tmp_path, tiny, img):
    r = api.denoise_result(np.asarray(Image.open(img[0])), 20, checkpoint=tiny, ensemble=1)
    with pytest.warns(UserWarning, match="a BMP holds no text, so the run record is not saved"):
        r.save(tmp_path / "out.bmp")
    assert not _meta(tmp_path / "out.bmp")


def test_a_save_refuses_what_would_not_replay_or_would_lose_a_file(tmp_path, tiny, img):
    src = img[0]
    px = np.asarray(Image.open(src))
    r = api.denoise_result(px, 20, checkpoint=tiny, ensemble=1)
    other = tmp_path / "other.png"
    Image.fromarray(255 - px).save(other)
    with pytest.raises(ValueError, match="does not hold the pixels the run read"):
        r.save(tmp_path / "a.png", source=other)
    deep = tmp_path / "deep.png"
    imageio.save_image(deep, px / 255.0, bit_depth=16)
    with pytest.raises(ValueError, match="is 16-bit and the array the run read was 8-bit"):
        r.save(tmp_path / "a.png", source=deep)
    with pytest.raises(ValueError, match="refusing to save over the source"):
        r.save(src, source=src, overwrite=True)
    with pytest.raises(ValueError, match="cannot save as '.xyz'"):
        r.save(tmp_path / "a.xyz")
    with pytest.raises(ValueError, match="quality must be a whole number from 1 to 100"):
        r.save(tmp_path / "a.jpg", quality=0)
    out = r.save(tmp_path / "a.png", source=src)
    with pytest.raises(FileExistsError, match="a.png exists already: pass overwrite=True"):
        r.save(out)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert r.save(out, source=src, overwrite=True) == out
    assert not list(tmp_path.glob("*.tmp*")) and not (tmp_path / "a.jpg").exists()


def test_one_builder_makes_the_command_line_s_and_the_api_s_record(tmp_path, tiny, img, monkeypatch):
    """cli/restore._save and api.Result build the record through core/run/jobs.result_record, not each its own."""
    from dpm_studio.core.run import jobs

    calls = []
    real = jobs.result_record

    def spy(*a, **k):
        calls.append(a[0].task)
        return real(*a, **k)

    monkeypatch.setattr(jobs, "result_record", spy)
    src = img[0]
    assert main(["denoise", str(src), "-o", str(tmp_path / "c.png"), "--checkpoint", tiny, "--sigma", "20",
                 "--ensemble", "1"]) == 0
    api.denoise_result(np.asarray(Image.open(src)), 20, checkpoint=tiny, ensemble=1)
    assert calls == ["denoise", "denoise"]
