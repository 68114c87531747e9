"""Region denoise and the grey-model refusal, one way (issues 24 and 27, left open): the request
carries the region, the core's job resolver cuts it and places it back, and the core refuses a
grey model asked to inpaint a colour image, so the command line, the API and the app agree."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from dpm_studio import api
from dpm_studio.cli.main import main
from dpm_studio.core.run.jobs import resolve
from dpm_studio.core.run.noise import estimate_noise_sigma
from dpm_studio.core.run.requests import DenoiseRequest

H, W = 40, 56


def _noisy(seed=0):
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.2, 0.8, W, dtype=np.float32)[None, :, None] * np.array([1.0, 0.6, 0.3], np.float32)
    return np.clip(np.round((ramp + rng.normal(0, 0.1, (H, W, 3))) * 255), 0, 255).astype(np.uint8)


def test_cli_region_changes_only_the_rectangle(tmp_path, tiny, capsys):
    src, out = tmp_path / "in.png", tmp_path / "out.png"
    Image.fromarray(_noisy()).save(src)
    rc = main(["denoise", str(src), "-o", str(out), "--checkpoint", tiny, "--region", "10,5,20,12",
               "--ensemble", "1"])
    assert rc == 0
    a, b = np.asarray(Image.open(src)).astype(int), np.asarray(Image.open(out)).astype(int)
    changed = np.abs(a - b).max(axis=2) > 0
    inside = np.zeros((H, W), bool)
    inside[5:17, 10:30] = True
    assert not changed[~inside].any()          # every pixel outside exactly as it was
    assert changed[inside].mean() > 0.5        # the rectangle itself was denoised
    from dpm_studio.imageio import METADATA_KEY

    assert json.loads(Image.open(out).info[METADATA_KEY])["runs"][-1]["region"] == [10, 5, 20, 12]


@pytest.mark.parametrize("region, words", [("50,5,20,12", "does not lie inside the 56x40 image"),
                                           ("1,2,3", "must be 4 whole numbers"),
                                           ("1,2,0,4", "at least 1 pixel"),
                                           ("a,b,c,d", "must be 4 whole numbers")])
def test_cli_bad_region_is_one_line_and_writes_nothing(tmp_path, tiny, capsys, region, words):
    src, out = tmp_path / "in.png", tmp_path / "out.png"
    Image.fromarray(_noisy()).save(src)
    rc = main(["denoise", str(src), "-o", str(out), "--checkpoint", tiny, f"--region={region}"])
    err = capsys.readouterr().err.strip()
    assert rc != 0 and words in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_cli_grey_model_refuses_to_inpaint_colour(tmp_path, tiny, make_tiny, monkeypatch, capsys, img):
    import os

    make_tiny(type(tmp_path)(os.environ["DPM_STUDIO_CHECKPOINTS"]), "tiny-grey", channels=1)
    src, mask = img
    out = tmp_path / "out.png"
    rc = main(["inpaint", str(src), "--mask", str(mask), "-o", str(out), "--checkpoint", "tiny-grey",
               "--steps", "2"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and not out.exists()
    assert [line for line in err if "error" in line] == [err[-1]] and "grey model" in err[-1]
    # a grey picture stored as RGB is not colour: it is inpainted
    Image.fromarray(np.repeat(np.asarray(Image.open(src))[:, :, :1], 3, axis=2)).save(src)
    assert main(["inpaint", str(src), "--mask", str(mask), "-o", str(out), "--checkpoint", "tiny-grey",
                 "--steps", "2"]) == 0


def test_api_region_and_grey_refusal(tmp_path, tiny, make_tiny):
    import os

    noisy = _noisy(1)
    out = api.denoise(noisy, region=(3, 4, 10, 9), checkpoint=tiny, ensemble=1)
    inside = np.zeros((H, W), bool)
    inside[4:13, 3:13] = True
    assert out.shape == noisy.shape and out.dtype == np.uint8
    assert np.array_equal(out[~inside], noisy[~inside]) and not np.array_equal(out[inside], noisy[inside])
    with pytest.raises(ValueError, match="does not lie inside"):
        api.denoise(noisy, region=(50, 0, 10, 10), checkpoint=tiny)
    with pytest.raises(ValueError, match="region must be 4 whole numbers"):
        api.denoise(noisy, region=(1.5, 0, 10, 10), checkpoint=tiny)
    make_tiny(type(tmp_path)(os.environ["DPM_STUDIO_CHECKPOINTS"]), "tiny-grey", channels=1)
    mask = np.zeros((H, W), bool)
    mask[10:20, 10:20] = True
    with pytest.raises(ValueError, match="grey model and the image has colour"):
        api.inpaint(noisy, mask, checkpoint="tiny-grey", steps=2)


def test_region_noise_is_the_whole_images_and_a_mask_is_the_same_region():
    """The crop's noise is measured on the whole image (a flat crop would read as noiseless), and a
    rectangle given as the request's region or as a denoise mask (the app's way) makes one job."""
    img = _noisy(2).astype(np.float32) / 255
    img[0:12, 0:16] = 0.5  # a flat corner: no noise of its own
    job = resolve(DenoiseRequest(noise="constant", region=(0, 0, 16, 12)), img)
    assert job.request.sigma == pytest.approx(min(1.0, float(estimate_noise_sigma(img))))
    assert job.image.shape[:2] == (H, 16 + 32) and job.region.box == (0, 0, H, 48)  # 32 px of context
    mask = np.zeros(img.shape[:2], np.float32)
    mask[0:12, 0:16] = 1
    by_mask = resolve(DenoiseRequest(noise="constant"), img, mask)
    assert by_mask.region.box == job.region.box and np.array_equal(by_mask.region.weights, job.region.weights)
    assert by_mask.request.sigma == job.request.sigma and np.array_equal(by_mask.image, job.image)


def test_region_range_is_the_requests():
    """--region and DenoiseRequest(region=) read the one declaration (core/run/settings.py)."""
    import argparse

    from dpm_studio.cli.main import build_parser
    from dpm_studio.core.run.settings import spec_of

    subs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    action = next(a for a in subs["denoise"]._actions if a.dest == "region")
    hi = int(spec_of(DenoiseRequest, "region").hi)
    assert action.type(f"0,0,1,{hi}") == (0, 0, 1, hi)
    DenoiseRequest(region=(0, 0, 1, hi)).validate()
    for bad in ((-1, 0, 1, 1), (0, 0, 1, hi + 1)):
        with pytest.raises(argparse.ArgumentTypeError):
            action.type(",".join(map(str, bad)))
        with pytest.raises(ValueError):
            DenoiseRequest(region=bad).validate()
