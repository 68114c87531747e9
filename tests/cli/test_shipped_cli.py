"""The command line with its default models (paths.DEFAULT_CHECKPOINTS: the shipped photos-rgb, or the
denoiser that replaces it for denoising), on a small photo-like image."""

import numpy as np
import pytest
from PIL import Image

from dpm_studio.cli.main import main
from dpm_studio.paths import default_checkpoint


def _psnr(a, b):
    return 10 * np.log10(1.0 / float(np.mean((a - b) ** 2)))


@pytest.fixture
def clean(tmp_path, monkeypatch):
    """A smooth 48 x 48 colour picture (8-bit), and no checkpoint folder but the shipped one."""
    monkeypatch.delenv("DPM_STUDIO_CHECKPOINTS", raising=False)
    yy, xx = np.mgrid[0:48, 0:48] / 48.0
    img = np.stack([0.2 + 0.6 * xx, 0.3 + 0.4 * yy, 0.5 + 0.25 * np.sin(4 * xx + 2 * yy)], axis=2)
    return np.round(img * 255) / 255


def _save(path, a):
    Image.fromarray(np.round(np.clip(a, 0, 1) * 255).astype(np.uint8)).save(path)


def _load(path):
    return np.asarray(Image.open(path).convert("RGB"), np.float64) / 255


def _model(path):
    import json

    return json.loads(Image.open(path).info["dpm-studio"])["runs"][-1]["checkpoint"]


def test_default_denoise_with_the_shipped_photos_rgb_removes_most_of_the_noise(tmp_path, clean):
    noisy = clean + np.random.default_rng(0).normal(0, 25 / 255, clean.shape)
    _save(tmp_path / "noisy.png", noisy)
    noisy = _load(tmp_path / "noisy.png")
    assert main(["denoise", str(tmp_path / "noisy.png"), "-o", str(tmp_path / "out.png"), "--sigma", "25"]) == 0
    out = _load(tmp_path / "out.png")
    assert out.shape == clean.shape and _model(tmp_path / "out.png") == default_checkpoint("denoise")
    # 20.2 dB in, 36.1 dB out (measured): a smooth picture is what the model denoises best.
    assert _psnr(out, clean) > _psnr(noisy, clean) + 8, (_psnr(noisy, clean), _psnr(out, clean))


def test_default_inpaint_with_the_shipped_photos_rgb_continues_the_picture(tmp_path, clean):
    _save(tmp_path / "in.png", clean)
    mask = np.zeros((48, 48), np.uint8)
    mask[18:30, 18:30] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    assert main(["inpaint", str(tmp_path / "in.png"), "--mask", str(tmp_path / "mask.png"),
                 "-o", str(tmp_path / "out.png"), "--seed", "1"]) == 0
    out, hole = _load(tmp_path / "out.png"), mask > 0
    assert _model(tmp_path / "out.png") == default_checkpoint("inpaint")
    np.testing.assert_array_equal(out[~hole], clean[~hole])
    # The hole follows the smooth picture: far closer than a flat fill with the picture's mean colour
    # (measured: mean error 0.011 against 0.044).
    flat = np.abs(clean[hole] - clean.reshape(-1, 3).mean(0)).mean()
    err = np.abs(out[hole] - clean[hole]).mean()
    assert err < 0.5 * flat, (err, flat)
