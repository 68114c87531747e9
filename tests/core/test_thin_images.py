"""Thin images (1 x 100,000, 3 x 50,000, 100,000 x 1) are denoised as strips packed into one block
(core/run/tiling.py's Strips): their cost follows their pixels, their result has no seams, and
every other image runs exactly as before."""

import numpy as np
import pytest
import torch

from dpm_studio.core import GaussianDiffusion, Schedule
from dpm_studio.core.files.checkpoint import Loaded
from dpm_studio.core.math.nets import build_net
from dpm_studio.core.run import tiling
from dpm_studio.core.run.tasks import run_task
from dpm_studio.core.run.tiling import Strips


def _unet(channels=3):
    torch.manual_seed(0)
    d = GaussianDiffusion(Schedule("cosine", 30), "eps")
    n = build_net({"type": "unet", "kwargs": {"T": 30, "channels": channels, "base": 8,
                                              "channel_mults": [1, 1, 1, 1]}}).eval()  # a multiple of 8
    card = {"name": "t", "data": {"channels": channels, "scale": {"mean": 0.5, "std": 0.25}}}
    return Loaded(d, n, card, None)


def _oracle(channels):
    from dpm_studio.core.math.reference import GaussianDataOracle

    d = GaussianDiffusion(Schedule("cosine", 200), "eps")
    card = {"name": "oracle", "data": {"channels": channels, "scale": {"mean": 0.5, "std": 0.25}}}
    return Loaded(d, GaussianDataOracle(d).eval(), card, None)


def _result(loaded, img, **kw):
    rec = None
    for rec in run_task(loaded, "denoise", img, **kw):
        pass
    assert rec.done and rec.box is None
    return rec.image


@pytest.mark.parametrize("shape", [(1, 8000), (3, 4000), (8000, 1)])
def test_a_thin_image_runs_as_one_block_not_a_tile_per_256_px(monkeypatch, shape):
    """Tiled as an image, 1 x 8000 ran 36 network passes of 1 x 256, each padded to the network's
    multiple of rows (8 here, as photos-rgb-v2's): 9.2x its pixels, at a small tensor's cost per
    pixel. As strips: one pass over a block of 36 segments of 4 rows (the row and copies of it), 4.6x;
    3 x 4000: one pass over the 18 tiles' pixels."""
    from dpm_studio.core.math import nets_image

    seen = []
    real = nets_image.pad_to_multiple

    def count(x, multiple):
        out = real(x, multiple)
        seen.append(out.shape[0] * out.shape[-2] * out.shape[-1])
        return out

    monkeypatch.setattr(nets_image, "pad_to_multiple", count)
    img = np.random.default_rng(0).random((*shape, 3)).astype(np.float32)
    kw = dict(sigma=0.1, method="mmse", ensemble=1, clipping="ignore")
    out = _result(_unet(), img, **kw)
    assert out.shape == img.shape and np.isfinite(out).all()
    now, seen[:] = list(seen), []
    monkeypatch.setattr(tiling, "THIN", 0)
    _result(_unet(), img, **kw)
    assert len(now) == 1 and len(seen) >= 18 and now[0] <= sum(seen)
    assert now[0] <= 5 * shape[0] * shape[1]


@pytest.mark.parametrize("shape", [(1, 3000), (4, 700), (2000, 2), (3, 257)])
def test_strips_pack_and_unpack_to_the_same_pixels(shape):
    img = np.random.default_rng(1).random((*shape, 2)).astype(np.float32)
    s = Strips.of(*shape, 256, 32)
    block = s.pack(img)
    assert block.shape == (*s.shape, 2) and s.shape == (len(s.starts) * min(2 * min(shape) + 2, 8), 256)
    back, box = s.unpack(block)
    assert box == (0, 0, *shape)
    np.testing.assert_allclose(back, img, atol=1e-6)


@pytest.mark.parametrize("shape", [(2, 1500), (1500, 1)])
def test_a_thin_image_gets_each_pixels_own_estimate_across_the_joins(shape):
    """The exact model of i.i.d. pixels: the right answer is each pixel's own posterior mean, which
    the packed block's neighbours cannot change; the segments' blend at every join keeps it."""
    img = np.random.default_rng(2).random((*shape, 1)).astype(np.float32)
    out = _result(_oracle(1), img, sigma=0.1, method="mmse")
    s2 = (0.1 / 0.25) ** 2
    np.testing.assert_allclose(out, 0.5 + (img - 0.5) / (1 + s2), atol=1e-4)


def test_a_thin_images_records_show_its_own_pixels():
    img = np.random.default_rng(3).random((1, 1200, 3)).astype(np.float32)
    recs = list(run_task(_oracle(3), "denoise", img, sigma=0.1, method="sample", steps=3, tile=64, overlap=16))
    assert recs[-1].done and recs[-1].image.shape == img.shape
    for r in recs[:-1]:
        top, left, bottom, right = r.box
        assert 0 <= top < bottom <= 1 and 0 <= left < right <= 1200
        assert r.image.shape == r.x0.shape == (bottom - top, right - left, 3)


@pytest.mark.parametrize("shape", [(5, 300), (300, 40), (64, 64), (2, 200)])
def test_other_images_run_as_before_bit_for_bit(monkeypatch, shape):
    """Only a short side of at most tiling.THIN (4) px on an image longer than a tile is packed."""
    img = np.random.default_rng(4).random((*shape, 3)).astype(np.float32)
    kw = dict(sigma=0.1, method="mmse", ensemble=2, tile=256, overlap=32, seed=0)
    now = _result(_unet(), img, **kw)
    monkeypatch.setattr(tiling, "THIN", 0)
    before = _result(_unet(), img, **kw)
    assert np.array_equal(now, before)
