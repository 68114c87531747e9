"""``dpm-studio denoise --mask MASK``: denoise only inside a mask, as the app does with a painted one.

The mask is read as ``inpaint --mask`` reads it (imageio.load_mask, core/run/masks.prepare_mask:
hard unless --soft-mask, feathered by --feather; a photograph refused), so a bad one is one line
and exit 2 before anything is written: another size, not an image, all black (nothing to denoise:
refused, leave --mask out to denoise the whole image), a photograph.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dpm_studio import imageio
from dpm_studio.cli.main import main
from dpm_studio.core.run.masks import feather, mask_digest

H, W = 40, 48


@pytest.fixture
def noisy(tmp_path):
    rng = np.random.default_rng(1)
    ramp = np.linspace(0.2, 0.8, W, dtype=np.float32)[None, :, None] * np.array([1.0, 0.6, 0.3], np.float32)
    px = np.clip(np.round((ramp + rng.normal(0, 0.1, (H, W, 3))) * 255), 0, 255).astype(np.uint8)
    src, mask = tmp_path / "in.png", tmp_path / "m.png"
    Image.fromarray(px).save(src)
    m = np.zeros((H, W), np.uint8)
    m[6:16, 8:20] = 255
    Image.fromarray(m).save(mask)
    return src, mask, px, m


def test_denoise_mask_changes_only_the_feathered_mask_and_records_it(tmp_path, tiny, noisy, capsys):
    src, mask, px, m = noisy
    out = tmp_path / "out.png"
    assert main(["denoise", str(src), "--mask", str(mask), "--feather", "2", "-o", str(out), "--checkpoint", tiny,
                 "--ensemble", "1"]) == 0, capsys.readouterr().err
    weights = feather((m > 0).astype(np.float32), 2.0)
    changed = (np.asarray(Image.open(out)) != px).any(axis=2)
    assert not changed[weights == 0].any(), "every pixel outside the feathered mask exactly as it was"
    assert changed[m > 0].mean() > 0.5
    run = imageio.load_image(out).metadata["runs"][-1]
    assert run["feather"] == 2.0 and "soft_mask" not in run and "region" not in run
    assert run["mask_sha256"] == mask_digest(weights)


@pytest.mark.parametrize("bad, words", [("small", "is 48\u00d730 but the image is 48\u00d740"),
                                        ("text", "not an image file"),
                                        ("black", "the mask is empty (all black)"),
                                        ("photo", "looks like a photograph"),
                                        ("missing", "no such file")])
def test_a_bad_denoise_mask_is_one_line_and_writes_nothing(tmp_path, tiny, noisy, capsys, bad, words):
    src, _, px, _ = noisy
    mask = tmp_path / f"{bad}.png"
    if bad == "small":
        Image.fromarray(np.full((30, 48), 255, np.uint8)).save(mask)
    elif bad == "text":
        mask.write_text("not a picture")
    elif bad == "black":
        Image.fromarray(np.zeros((H, W), np.uint8)).save(mask)
    elif bad == "photo":
        Image.fromarray(px).save(mask)
    out = tmp_path / "out.png"
    capsys.readouterr()
    rc = main(["denoise", str(src), "--mask", str(mask), "-o", str(out), "--checkpoint", tiny])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and not out.exists()
    assert len(err) == 1 and words in err[0] and "Traceback" not in err[0], err


def test_a_batch_denoise_takes_a_mask_folder_matched_by_name(tmp_path, tiny, noisy, capsys):
    src, _, px, m = noisy
    images, masks, outs = tmp_path / "images", tmp_path / "masks", tmp_path / "outs"
    images.mkdir(), masks.mkdir()
    for name, box in (("a", (slice(0, 8), slice(0, 10))), ("b", (slice(20, 30), slice(30, 40)))):
        Image.fromarray(px).save(images / f"{name}.png")
        mm = np.zeros((H, W), np.uint8)
        mm[box] = 255
        Image.fromarray(mm).save(masks / f"{name}.png")
    assert main(["denoise", str(images), "--mask", str(masks), "-o", str(outs), "--checkpoint", tiny,
                 "--ensemble", "1"]) == 0, capsys.readouterr().err
    for name, far in (("a", (slice(30, 40), slice(38, 48))), ("b", (slice(0, 4), slice(0, 4)))):
        changed = (np.asarray(Image.open(outs / f"{name}.png")) != px).any(axis=2)
        assert changed.any() and not changed[far].any(), name


def test_the_api_denoises_inside_a_mask_as_the_command_line_does(tmp_path, tiny, noisy, capsys):
    """api.denoise had no mask: the app and the command line denoised inside one, a script could not."""
    from dpm_studio import api

    src, mask, px, m = noisy
    out = tmp_path / "out.png"
    assert main(["denoise", str(src), "--mask", str(mask), "--feather", "2", "-o", str(out), "--checkpoint", tiny,
                 "--ensemble", "1", "--sigma", "20"]) == 0
    got = api.denoise(px, 20, mask=m, feather=2, checkpoint=tiny, ensemble=1)
    assert np.array_equal(got, np.asarray(Image.open(out)))
    assert not np.array_equal(got, api.denoise(px, 20, checkpoint=tiny, ensemble=1))   # not the whole image's
