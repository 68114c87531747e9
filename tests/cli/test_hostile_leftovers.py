"""Issue 27's leftovers: signed float TIFFs, integers beyond float32's 24 bits, a settings lock that
is a link, checkpoint cards without weights_sha256. Each through the command line, the API or
the loader the app uses, every file hashed before and after where a refusal must change nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import tifffile

from dpm_studio import imageio
from dpm_studio.cli.main import main

H, W = 16, 20


def _hashes(folder) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(folder).iterdir()) if p.is_file()}


# -- signed float TIFFs: from the minimum by a power of two, exact on the span's 2^-24 grid ----------
@pytest.mark.parametrize("values", [
    np.arange(-1000, -1000 + H * W * 3, dtype=np.float32) % 2000 - 1000,          # integers as floats
    (np.arange(H * W * 3, dtype=np.float32) - 300) / 256,                          # 1/256 steps, signed
])
def test_signed_float_tiff_on_its_grid_round_trips_exactly(tmp_path, values):
    a = values.reshape(H, W, 3).astype(np.float32)
    tifffile.imwrite(tmp_path / "in.tif", a, photometric="rgb")
    d = imageio.load_image(tmp_path / "in.tif")
    assert not d.notes  # nothing was rounded, so nothing to say
    imageio.save_image(tmp_path / "out.tif", d.pixels, None, **imageio.export_options(d))
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "out.tif"), a)


def test_signed_float_tiff_finer_than_its_grid_says_so(tmp_path, tiny, capsys):
    a = (np.random.default_rng(0).random((H, W, 3)) * 1000 - 200).astype(np.float32)
    a[0, 0, 0] = 1e-6  # far finer than 2^-24 of a 1,024 span
    tifffile.imwrite(tmp_path / "in.tif", a, photometric="rgb")
    assert main(["denoise", str(tmp_path / "in.tif"), "-o", str(tmp_path / "out.tif"), "--checkpoint", tiny,
                 "--sigma", "5", "--ensemble", "1", "--region", "0,0,4,4"]) == 0
    err = capsys.readouterr().err
    assert "are held to 6.1e-05 (2^-24 of 1024): finer differences are rounded" in err
    out = tifffile.imread(tmp_path / "out.tif").astype(np.float64)
    far = np.ones((H, W), bool)
    far[:4 + 32, :4 + 32] = False  # the region and its context
    np.testing.assert_allclose(out[far], a[far], rtol=0, atol=1024 * 2.0 ** -24)


# -- integers beyond 2^24: refused naming the type, unless their values sit on float32's grid ---------
@pytest.mark.parametrize("dtype, top", [(np.int32, 2 ** 31 - 1), (np.uint32, 2 ** 32 - 1), (np.int64, 2 ** 40)])
def test_integers_that_need_more_than_24_bits_are_refused(tmp_path, tiny, capsys, dtype, top):
    a = np.random.default_rng(1).integers(0, top, (H, W, 3)).astype(dtype)
    tifffile.imwrite(tmp_path / "in.tif", a, photometric="rgb")
    before = _hashes(tmp_path)
    assert main(["denoise", str(tmp_path / "in.tif"), "-o", str(tmp_path / "out.tif"), "--checkpoint", tiny,
                 "--sigma", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and np.dtype(dtype).name in err[0] and "bits would be lost" in err[0], err
    assert _hashes(tmp_path) == before
    from dpm_studio import api

    with pytest.raises(ValueError):  # the API takes no such array either
        api.denoise(a, checkpoint=tiny)


def test_wide_integers_on_float32s_grid_round_trip_exactly(tmp_path):
    a = (np.random.default_rng(2).integers(-2 ** 19, 2 ** 19, (H, W, 3)) * 1024).astype(np.int64)  # 30 bits
    tifffile.imwrite(tmp_path / "in.tif", a, photometric="rgb")
    d = imageio.load_image(tmp_path / "in.tif")
    imageio.save_image(tmp_path / "out.tif", d.pixels, None, **imageio.export_options(d))
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "out.tif").astype(np.int64), a)


# -- a card without weights_sha256 (an older user checkpoint): loads, with a warning said and recorded ------
def _strip_digest(folder, name="tiny-rgb"):
    import json

    card = Path(folder) / f"{name}.json"
    data = json.loads(card.read_text())
    data.pop("weights_sha256")
    card.write_text(json.dumps(data))


def test_a_card_without_weights_sha256_loads_with_a_warning_said_and_recorded(tmp_path, tiny, make_tiny, capsys):
    import json
    import os
    import warnings

    from dpm_studio import api
    from dpm_studio.imageio import METADATA_KEY
    from PIL import Image

    _strip_digest(os.environ["DPM_STUDIO_CHECKPOINTS"])
    src, out = tmp_path / "in.png", tmp_path / "out.png"
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (H, W, 3), dtype=np.uint8)).save(src)
    assert main(["denoise", str(src), "-o", str(out), "--checkpoint", tiny, "--sigma", "10", "--ensemble", "1"]) == 0
    err = capsys.readouterr().err
    assert "dpm-studio: warning: checkpoint tiny-rgb: its card tiny-rgb.json records no weights_sha256" in err
    run = json.loads(Image.open(out).info[METADATA_KEY])["runs"][-1]
    assert run["checkpoint_weights_checked"] is False and len(run["checkpoint_sha256"]) == 64
    with pytest.warns(UserWarning, match="records no weights_sha256"):
        api.load_checkpoint(tiny)
    # a card that has it says nothing and records nothing more
    make_tiny(Path(os.environ["DPM_STUDIO_CHECKPOINTS"]), "tiny-ok")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok = api.load_checkpoint("tiny-ok")
    assert ok.notes == () and ok.weights_checked


def test_every_shipped_checkpoint_records_its_weights_and_loads_without_a_warning():
    from dpm_studio.core.files.checkpoint import load
    from dpm_studio.core.files.locations import shipped_checkpoints_dir

    cards = sorted(shipped_checkpoints_dir().glob("*.json"))
    assert len(cards) >= 6
    for card in cards:
        loaded = load(card)
        assert loaded.weights_checked and loaded.notes == (), card.name


@pytest.mark.parametrize("name,why", [("a/b", "is a name, not a path"), ("a\\b", "is a name, not a path"),
                                      ("x\ty", "control characters")])
def test_a_card_name_that_could_not_be_found_by_name_is_refused_before_training(tmp_path, capsys, name, why):
    """`train --name a/b` trained and wrote a card that `--checkpoint a/b` then read as a path: refused in one
    line, exit 2, before anything is written."""
    out = tmp_path / "out"
    assert main(["train", "swiss-roll", "-o", str(out / "m"), "--name", name, "--steps", "1"]) == 2
    err = capsys.readouterr().err
    assert why in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
