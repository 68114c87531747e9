"""The command line and the API run and record a checkpoint's own denoising defaults (its card's
``defaults``; tests/core/test_model_defaults.py has the core's side)."""

import json

import numpy as np


def _clipped(seed=4):
    """A 32 x 32 8-bit noisy colour picture with pixels stored as 0 and 255."""
    rng = np.random.default_rng(seed)
    clean = np.clip(0.5 + 0.45 * np.sin(np.arange(32) / 4)[:, None, None] + np.zeros((32, 32, 3)), 0, 1)
    noisy = np.clip(np.round((clean + 25 / 255 * rng.standard_normal(clean.shape)) * 255), 0, 255)
    assert ((noisy == 0) | (noisy == 255)).any()
    return noisy.astype(np.uint8)


def test_the_command_line_runs_and_records_the_cards_defaults(tmp_path, monkeypatch, make_tiny):
    from PIL import Image

    from dpm_studio import api
    from dpm_studio.cli.main import main
    from dpm_studio.imageio import METADATA_KEY

    folder = tmp_path / "ckpt"
    make_tiny(folder, "tiny-rgb")
    card_path = folder / "tiny-rgb.json"
    card = json.loads(card_path.read_text())
    card["defaults"] = {"denoise": {"ensemble": 2, "clip_steps": 1}}
    card_path.write_text(json.dumps(card))
    monkeypatch.setenv("DPM_STUDIO_CHECKPOINTS", str(folder))
    src = tmp_path / "in.png"   # 16-bit, so that the views' difference on an untrained model shows
    Image.fromarray(_clipped()[:, :, 0].astype(np.uint16) * 257).save(src)
    out = tmp_path / "out.png"
    assert main(["denoise", str(src), "-o", str(out), "--checkpoint", "tiny-rgb", "--sigma", "25"]) == 0
    run = json.loads(Image.open(out).info[METADATA_KEY])["runs"][0]
    assert (run["ensemble"], run["clip_steps"]) == (2, 1)
    got = np.asarray(Image.open(out))
    u16 = np.asarray(Image.open(src))
    assert got.dtype == u16.dtype == np.uint16
    same = api.denoise(u16, 25 * 257, checkpoint="tiny-rgb", ensemble=2, clip_steps=1)
    assert np.array_equal(got, same)
    other = api.denoise(u16, 25 * 257, checkpoint="tiny-rgb", ensemble=6, clip_steps=2)
    assert not np.array_equal(got, other)
    assert np.array_equal(api.denoise(u16, 25 * 257, checkpoint="tiny-rgb"), got)   # the API takes the card's too
