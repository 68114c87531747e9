"""Image tasks: crops around the mask, seamless tiles, channel handling, clear refusals."""

import numpy as np
import pytest
import torch

from dpm_studio.core import GaussianDiffusion, Schedule
from dpm_studio.core.files.checkpoint import Loaded
from dpm_studio.core.math.nets import build_net
from dpm_studio.core.run.tasks import run_task
from dpm_studio.core.run.tiling import blend_weights, inpaint_boxes, tile_boxes


def _loaded(channels=1, net="multiscale"):
    torch.manual_seed(0)
    spec = {"type": net, "kwargs": {"T": 30, "channels": channels}}
    d = GaussianDiffusion(Schedule("cosine", 30), "eps")
    n = build_net(spec).eval()
    with torch.no_grad():  # a net that does something: small random output
        for p in n.parameters():
            p.mul_(0.5)
    card = {"name": "t", "data": {"channels": channels, "scale": {"mean": 0.5, "std": 0.25}}}
    return Loaded(d, n, card, None)


def _last(gen):
    recs = list(gen)
    assert recs[-1].done and all(not r.done for r in recs[:-1])
    return recs


def test_inpaint_boxes_cover_the_mask_with_context():
    m = np.zeros((300, 400), bool)
    m[10:20, 10:30] = True
    m[200:260, 300:310] = True
    boxes = inpaint_boxes(m, context=16, multiple=8)
    assert len(boxes) == 2
    for top, left, bottom, right in boxes:
        assert (bottom - top) % 8 == 0 and (right - left) % 8 == 0
    covered = np.zeros_like(m)
    for top, left, bottom, right in boxes:
        covered[top:bottom, left:right] = True
    assert covered[m].all() and covered.mean() < 0.2
    m[20:200, 25:300] = True  # now one region
    assert len(inpaint_boxes(m, context=16)) == 1


def test_crop_inpainting_changes_no_pixel_outside_the_mask():
    g = np.random.default_rng(0)
    img = g.random((96, 120, 3)).astype(np.float32)
    mask = np.zeros((96, 120), np.float32)
    mask[10:20, 10:25] = 1
    mask[70:80, 90:110] = 1
    recs = _last(run_task(_loaded(3), "inpaint", img, mask=mask, steps=5, seed=1, context=8))
    out = recs[-1].image
    assert out.shape == img.shape
    assert np.array_equal(out[mask == 0], img[mask == 0])
    assert not np.allclose(out[mask == 1], img[mask == 1])
    assert any(r.box is not None and r.box[2] - r.box[0] < 96 for r in recs[:-1])  # crops, not the photo


def test_tiled_denoising_matches_the_untiled_run():
    """The multiscale net sees a bounded neighbourhood, so blended tiles with enough overlap
    reproduce the whole-image result: within 1e-4 (0-1 units) everywhere."""
    g = np.random.default_rng(1)
    img = np.clip(0.5 + 0.2 * g.standard_normal((80, 100)), 0, 1).astype(np.float32)
    whole = _last(run_task(_loaded(1), "denoise", img, sigma=0.1, method="mmse", tile=512))[-1].image
    tiled = _last(run_task(_loaded(1), "denoise", img, sigma=0.1, method="mmse", tile=48, overlap=24))[-1].image
    assert whole.shape == tiled.shape == (80, 100, 1)
    assert np.abs(whole - img[:, :, None]).mean() > 1e-3  # the net does change the image
    assert np.abs(whole - tiled).max() < 1e-4


def _oracle(channels):
    """A checkpoint whose "network" is the exact model of i.i.d. N(0, 1) pixels in model space, i.e.
    N(0.5, 0.25^2) image values: every task's right answer is known in closed form."""
    from dpm_studio.core.math.reference import GaussianDataOracle

    d = GaussianDiffusion(Schedule("cosine", 200), "eps")
    card = {"name": "oracle", "data": {"channels": channels, "scale": {"mean": 0.5, "std": 0.25}}}
    return Loaded(d, GaussianDataOracle(d).eval(), card, None)


def _posterior_mean(img, sigma):
    """E[x | y] for x ~ N(0.5, 0.25^2) per pixel and y = x + N(0, sigma^2), in image units."""
    s2 = (sigma / 0.25) ** 2
    return 0.5 + (img - 0.5) / (1 + s2)


def test_grey_model_restores_each_colour_channel_to_its_posterior_mean():
    """A grey model on a colour image denoises each channel on its own: with the exact model every
    channel's MMSE output is that channel's analytic posterior mean."""
    img = (0.3 + 0.4 * np.random.default_rng(2).random((24, 24, 3))).astype(np.float32)
    out = _last(run_task(_oracle(1), "denoise", img, sigma=0.1, method="mmse"))[-1].image
    assert out.shape == (24, 24, 3)
    np.testing.assert_allclose(out, _posterior_mean(img, 0.1), atol=1e-4)


def test_colour_model_on_a_grey_image_averages_the_channels_estimates():
    """A grey image on a colour model: the observation gets extra noise, i.i.d. across channels, so
    each channel sees noise 0.1 sqrt(3) while the channels' mean stays the grey image, and the
    channels' estimates are averaged back to one grey channel. The exact model of independent
    channels makes each channel's estimate linear, so the result is exactly the shrinkage under
    noise variance 3 s^2 (it cannot pool the channels; a real colour model does)."""
    grey = (0.3 + 0.4 * np.random.default_rng(3).random((24, 24))).astype(np.float32)
    out = _last(run_task(_oracle(3), "denoise", grey, sigma=0.1, method="mmse", seed=0))[-1].image
    assert out.shape == (24, 24, 1)
    np.testing.assert_allclose(out[..., 0], _posterior_mean(grey, 0.1 * np.sqrt(3)), atol=1e-4)


def test_posterior_mean_of_samples_and_unconditional_sampling_follow_the_data():
    """Exact model of i.i.d. pixels, the paper's start from noise: the hole is independent of its
    surroundings, so one sample's hole pixels are N(0.5, 0.25^2) clipped to [0, 1] (s.d. 0.233), the
    mean of 3 samples has s.d. 0.233 / sqrt(3), and pixels outside the hole are kept exactly;
    unconditional samples have the data's mean and spread."""
    img = np.full((24, 24), 0.5, np.float32)
    mask = np.zeros((24, 24), np.float32)
    mask[4:20, 4:20] = 1
    hole = mask > 0
    n = int(hole.sum())
    for samples, sd in ((1, 0.233), (3, 0.233 / np.sqrt(3))):
        out = _last(run_task(_oracle(1), "inpaint", img, mask=mask, steps=20, samples=samples, seed=1,
                             start="noise"))[-1].image[..., 0]
        assert np.array_equal(out[~hole], img[~hole])
        assert abs(float(out[hole].mean()) - 0.5) < 4 * sd / np.sqrt(n)
        assert abs(float(out[hole].std()) - sd) < 4 * sd / np.sqrt(2 * n), (samples, float(out[hole].std()))
    out = _last(run_task(_oracle(3), "sample", size=(20, 12), steps=20, seed=2))[-1].image
    assert out.shape == (20, 12, 3) and 0 <= out.min() and out.max() <= 1
    se = 0.25 / np.sqrt(out.size)
    assert abs(float(out.mean()) - 0.5) < 4 * se and abs(float(out.std()) - 0.233) < 4 * se, float(out.std())


@pytest.mark.parametrize("kwargs,msg", [
    ({"task": "inpaint", "mask": np.zeros((8, 8))}, "mask is empty"),
    ({"task": "inpaint", "mask": np.ones((4, 8))}, "the mask is 8x4"),
    ({"task": "denoise", "sigma": 0}, "noise level must be more than 0"),
])
def test_user_errors_are_clear(kwargs, msg):
    img = np.zeros((8, 8), np.float32)
    task = kwargs.pop("task")
    with pytest.raises(ValueError, match=msg):
        list(run_task(_loaded(1), task, img, **kwargs))


def test_tiles_cover_and_blend_weights_are_positive():
    boxes = tile_boxes(700, 300, tile=256, overlap=32)
    cover = np.zeros((700, 300), int)
    for t, l, b, r in boxes:
        cover[t:b, l:r] += 1
    assert cover.min() >= 1
    w = blend_weights(64, 64, 16)
    assert w.min() > 0 and w[32, 32] == 1.0


def test_grey_image_on_a_colour_model_gets_iid_noise_across_channels():
    from dpm_studio.core.run.tasks import grey_as_colour_noise

    g = torch.Generator().manual_seed(0)
    e = torch.randn(20000, 1, 1, 1, generator=g) * 0.2
    y = (0.3 + e).expand(20000, 3, 1, 1).clone()   # one grey observation copied to R, G, B
    y2, s = grey_as_colour_noise(y, 0.2, g)
    assert abs(s - 0.2 * 3 ** 0.5) < 1e-12
    assert torch.allclose(y2.mean(1), y.mean(1), atol=1e-5)   # the grey observation is kept
    n = (y2 - 0.3).reshape(20000, 3)
    cov = n.T @ n / 20000
    assert torch.allclose(cov, torch.eye(3) * s * s, atol=0.01)


def test_flip_and_rotation_ensemble_undoes_each_view():
    from dpm_studio.core.math.sampling import mmse_estimate
    from dpm_studio.core.run.tasks import ensemble_mmse

    L = _loaded(channels=3)
    y = torch.randn(1, 3, 20, 28, generator=torch.Generator().manual_seed(0))
    one = mmse_estimate(L.diffusion, L.net, y, 0.4)
    assert torch.allclose(ensemble_mmse(L.diffusion, L.net, y, 0.4, 1), one)
    flipped = mmse_estimate(L.diffusion, L.net, y.flip(3), 0.4).flip(3)
    assert torch.allclose(ensemble_mmse(L.diffusion, L.net, y, 0.4, 2), (one + flipped) / 2, atol=1e-6)
    views = [torch.rot90(mmse_estimate(L.diffusion, L.net, torch.rot90(y, r, (2, 3)), 0.4), -r, (2, 3))
             for r in range(4)]
    eight = ensemble_mmse(L.diffusion, L.net, y, 0.4, 8)
    assert eight.shape == y.shape and not torch.allclose(eight, one)
    assert (eight - sum(views) / 4).abs().max() < (one - sum(views) / 4).abs().max()  # closer to the rotation mean
    img = np.random.default_rng(0).random((20, 28, 3)).astype(np.float32)
    out = _last(run_task(L, "denoise", img, sigma=0.1, method="mmse", ensemble=8))[-1].image
    assert out.shape == img.shape and 0 <= out.min() and out.max() <= 1
    with pytest.raises(ValueError):
        ensemble_mmse(L.diffusion, L.net, y, 0.4, 9)


def test_tile_batches_group_consecutive_tiles_of_one_shape():
    from dpm_studio.core.run.tasks import tile_batches

    boxes = tile_boxes(100, 70, tile=32, overlap=8)
    for size in (1, 3, 64):
        groups = tile_batches(boxes, size)
        assert [k for g in groups for k in g] == list(range(len(boxes)))
        for g in groups:
            assert len(g) <= size
            assert len({(boxes[k][2] - boxes[k][0], boxes[k][3] - boxes[k][1]) for k in g}) == 1
    assert len(tile_batches(boxes, 1)) == len(boxes)


@pytest.mark.parametrize("channels,image_channels", [(3, 3), (3, 1), (1, 3)])
def test_batched_tiles_denoise_like_one_tile_at_a_time(channels, image_channels):
    """GroupNorm statistics are per example, so sharing a network call changes nothing but speed."""
    loaded = _loaded(channels, net="unet")
    with torch.no_grad():  # the U-Net's head starts at zero (identity denoiser): give it some output
        for p in loaded.net.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
    rng = np.random.default_rng(4)
    img = rng.random((70, 90, image_channels)).astype(np.float32).squeeze()
    kw = dict(sigma=0.1, method="mmse", tile=32, overlap=8, ensemble=2, seed=3)
    one = _last(run_task(loaded, "denoise", img, tile_batch=1, **kw))
    many = _last(run_task(loaded, "denoise", img, tile_batch=5, **kw))
    assert len(one) == len(many)  # one record per tile either way
    one, many = one[-1].image, many[-1].image
    assert one.shape == many.shape == (70, 90, image_channels)
    assert np.abs(one - img.reshape(one.shape)).mean() > 1e-3  # the net does change the image
    np.testing.assert_allclose(many, one, atol=2e-5)
    with pytest.raises(ValueError, match="tile batch"):
        _last(run_task(loaded, "denoise", img, tile_batch=0, **kw))


@pytest.mark.parametrize("task", ["inpaint", "sample", "denoise"])
def test_every_sampled_task_asks_for_the_quiet_last_jump(monkeypatch, task):
    """The fill's last respaced draw into t = 1 takes the posterior's variance (core/math/sampling.py's
    ``quiet_last_jump``): without it a 19-step fill of photos-rgb held 1.8x the fine grain of the photo's
    bokeh around it, a 20-step sample 8.51 / 255 against 7.72 with it (every step 2.94), and a 5-step
    sampled denoising at sigma 50 lost 2.0 dB (docs/inpaint-grain.md)."""
    from dpm_studio.core.run import tasks

    seen = []
    real = tasks.reverse_trajectory

    def spy(*a, **k):
        seen.append(k.get("quiet_last_jump"))
        return real(*a, **k)

    monkeypatch.setattr(tasks, "reverse_trajectory", spy)
    img = np.full((16, 16), 0.5, np.float32)
    mask = np.zeros((16, 16), np.float32)
    mask[5:10, 5:10] = 1
    if task == "inpaint":
        _last(run_task(_oracle(1), "inpaint", img, mask=mask, steps=6))
    elif task == "sample":
        _last(run_task(_oracle(1), "sample", steps=6, size=(8, 8)))
    else:
        _last(run_task(_oracle(1), "denoise", img, sigma=0.2, method="sample", steps=4))
    assert seen == [True]
