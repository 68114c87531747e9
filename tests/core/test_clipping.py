"""Real files are clipped at 0 and 1: the censored likelihood (conditioning.censored_mean)."""

import numpy as np
import pytest
import torch

from dpm_studio.core.files.checkpoint import load, resolve
from dpm_studio.core.math.conditioning import censored_mean
from dpm_studio.core.run.tasks import run_task


def test_censored_mean_is_the_truncated_normal_mean():
    rng = np.random.default_rng(0)
    s, levels = 0.1, 255
    lo, hi = 0.5 / levels, 1 - 0.5 / levels
    for x in (-0.05, 0.02, 0.2, 0.97):
        draws = x + s * rng.standard_normal(2_000_000)
        below, above = draws[draws < lo], draws[draws > hi]
        y = torch.tensor([0.0, 1.0, 0.5], dtype=torch.float64)
        out = censored_mean(y, torch.tensor(x, dtype=torch.float64), s, levels).numpy()
        if below.size > 1000:
            assert out[0] == pytest.approx(below.mean(), abs=4 * below.std() / np.sqrt(below.size) + 1e-6)
        if above.size > 1000:
            assert out[1] == pytest.approx(above.mean(), abs=4 * above.std() / np.sqrt(above.size) + 1e-6)
        assert out[2] == 0.5  # an unclipped pixel is an ordinary observation
        assert out[0] < lo and out[1] > hi


def test_censored_mean_is_finite_far_in_the_tails():
    y = torch.tensor([0.0, 0.0, 1.0, 1.0])
    x = torch.tensor([1.0, -3.0, 0.0, 4.0])  # estimates far on the wrong and right side of each edge
    out = censored_mean(y, x, 0.01)
    assert torch.isfinite(out).all()
    assert out[0] < 0.5 / 255 and out[2] > 1 - 0.5 / 255


def _file(clean, sigma255, seed):
    rng = np.random.default_rng(seed)
    noisy = clean + sigma255 / 255 * rng.standard_normal(clean.shape)
    return (np.clip(np.round(noisy * 255), 0, 255) / 255).astype(np.float32)


@pytest.fixture(scope="module")
def photos():
    return load(resolve("photos-rgb"))


def _denoise(model, img, clipping):
    *_, rec = run_task(model, "denoise", img, sigma=25 / 255, method="mmse", ensemble=1, clipping=clipping)
    return rec.image


def test_a_dark_clipped_patch_is_not_brightened(photos):
    # A dark flat patch with sigma-25 noise: about 45 % of its pixels are stored as 0. Read
    # as observations of 0 they pull the estimate up (the clipped noise has a positive mean).
    clean = np.full((64, 64, 3), 0.02, np.float32)
    noisy = _file(clean, 25, 1)
    assert (noisy == 0).mean() > 0.3
    err_ignore = abs(float(_denoise(photos, noisy, "ignore").mean()) - 0.02)
    err_censored = abs(float(_denoise(photos, noisy, "censored").mean()) - 0.02)
    assert err_censored < 0.5 * err_ignore


def test_nothing_clipped_means_nothing_changes(photos):
    clean = np.full((32, 32, 3), 0.5, np.float32)
    noisy = _file(clean, 10, 2)
    assert not ((noisy <= 0) | (noisy >= 1)).any()
    np.testing.assert_array_equal(_denoise(photos, noisy, "censored"), _denoise(photos, noisy, "ignore"))


def test_unknown_clipping_is_refused(photos):
    with pytest.raises(ValueError, match="clipping"):
        _denoise(photos, np.zeros((8, 8, 3), np.float32), "clip")


def test_noise_estimate_leaves_clipped_blocks_out():
    from dpm_studio.core.run.noise import estimate_noise_sigma

    yy, xx = np.mgrid[0:128, 0:128] / 128
    clean = np.where(xx < 0.5, 0.03, 0.3 + 0.4 * yy)[:, :, None].repeat(3, 2)  # a dark half that clips
    noisy = _file(clean, 25, 3)
    assert (noisy == 0).mean() > 0.15
    assert abs(estimate_noise_sigma(noisy) * 255 - 25) < 1.5


def test_cli_denoise_treats_clipped_pixels_as_censored(tmp_path):
    # The command line's default on an 8-bit file: the shipped photos model, clipping censored.
    import json

    from PIL import Image

    from dpm_studio.cli.main import main
    from dpm_studio.imageio import METADATA_KEY

    clean = np.full((48, 48, 3), 0.03, np.float32)
    Image.fromarray((_file(clean, 25, 4) * 255).round().astype(np.uint8)).save(tmp_path / "dark.png")
    means = {}
    for clipping in ("censored", "ignore"):
        out = tmp_path / f"{clipping}.png"
        extra = [] if clipping == "censored" else ["--clipping", "ignore"]
        assert main(["denoise", str(tmp_path / "dark.png"), "-o", str(out), "--sigma", "25", "--ensemble", "1",
                     *extra]) == 0
        im = Image.open(out)
        means[clipping] = np.asarray(im, np.float64).mean() / 255
        assert json.loads(im.info[METADATA_KEY])["runs"][0]["clipping"] == clipping
    assert abs(means["censored"] - 0.03) < 0.5 * abs(means["ignore"] - 0.03)


def _second_view_weight(clipped, r):
    """The final pass's weight in a one-view run with a censoring pass: 1 within r px (square) of a
    clipped pixel, 0.5 elsewhere (written out here, not the code's max-pool)."""
    near = np.zeros_like(clipped)
    for i, j in zip(*np.nonzero(clipped)):
        near[max(i - r, 0):i + r + 1, max(j - r, 0):j + r + 1] = True
    assert near.any() and not near.all()
    return torch.from_numpy(np.where(near, 1.0, 0.5).astype(np.float32))


def test_the_censoring_steps_last_estimate_is_the_identity_view(photos):
    """A clipped file with the 6-view default: 2 censoring passes and 5 more views (the censoring's
    last one-view estimate serves as the identity view, docs/speed.md), 7 network passes, and the
    result is that estimate averaged with the other 5 views of the censored pixels; unclipped: 6;
    with one view (3 passes) it is averaged with the mirrored view away from the clipped pixels."""
    from dataclasses import replace

    from dpm_studio.core.run import tasks as T
    from dpm_studio.core.run.requests import DenoiseRequest

    calls = []

    class Counting:
        def __init__(self, net):
            self.net = net

        def __call__(self, *a, **k):
            calls.append(1)
            return self.net(*a, **k)

        def __getattr__(self, name):
            return getattr(self.net, name)

    counted = replace(photos, net=Counting(photos.net))
    clean = np.clip(0.5 + 0.45 * np.sin(np.arange(32) / 4)[:, None, None] + np.zeros((32, 32, 3)), 0, 1)
    noisy = _file(clean.astype(np.float32), 25, 4)
    assert ((noisy == 0) | (noisy == 1)).any()
    req = DenoiseRequest(sigma=25 / 255, precision="fp32", seed=0)
    *_, rec = run_task(counted, req, noisy)
    assert len(calls) == 2 + 5 and req.for_model(photos).ensemble == 6
    law = T.noise_law(req)
    crop, first = T._uncensor_estimate(photos, noisy, law, 255, 0, "cpu", 1)
    piece = T._Piece(photos, crop, 1, "cpu", law)
    y, s = T._mmse_input(piece, 0, 1)
    views = [T.ensemble_mmse(photos.diffusion, photos.net, torch.rot90(y, r, (2, 3)).flip(3) if f else
                             torch.rot90(y, r, (2, 3)), s, 1) for r, f in T.DIHEDRAL[1:6]]
    views = [torch.rot90(v.flip(3) if f else v, -r, (2, 3)) for v, (r, f) in zip(views, T.DIHEDRAL[1:6])]
    np.testing.assert_allclose(rec.image, T._mmse_output(piece, (first + sum(views)) / 6), atol=1e-5)
    calls.clear()
    *_, rec = run_task(counted, req.replace(ensemble=1), noisy)
    assert len(calls) == 3
    # One view: the mirrored view of the censored pixels, averaged with the censoring's estimate
    # except within CENSOR_REACH px of a clipped pixel (the final estimate alone there).
    mirrored = T.ensemble_mmse(photos.diffusion, photos.net, y.flip(3), s, 1).flip(3)
    w = _second_view_weight(((noisy == 0) | (noisy == 1)).any(2), T.CENSOR_REACH)
    np.testing.assert_allclose(rec.image, T._mmse_output(piece, w * mirrored + (1 - w) * first), atol=1e-5)
    assert np.abs(rec.image - T._mmse_output(piece, mirrored)).max() > 1e-3  # the censoring's estimate counts
    calls.clear()
    *_, rec = run_task(counted, req, np.full((32, 32, 3), 0.5, np.float32))
    assert len(calls) == 6


def test_a_grey_tiles_second_view_is_turned_with_a_fresh_colour_draw(photos):
    """A grey file on the colour model with one view after a censoring pass: the final pass sees the
    censored pixels turned by 180 degrees with a fresh draw of the colour-difference noise (seeded
    GREY_SECOND_DRAW past the tile's), not mirrored with the censoring pass's draw, and is averaged
    with the censoring's estimate away from the clipped pixels (docs/camera-noise.md)."""
    from dpm_studio.core.math.rng import make_generator
    from dpm_studio.core.math.sampling import mmse_estimate
    from dpm_studio.core.run import tasks as T
    from dpm_studio.core.run.requests import DenoiseRequest

    clean = np.clip(0.5 + 0.45 * np.sin(np.arange(32) / 4)[:, None] + np.zeros((32, 32)), 0, 1)
    noisy = _file(clean.astype(np.float32), 25, 4)
    assert ((noisy == 0) | (noisy == 1)).any()
    req = DenoiseRequest(sigma=25 / 255, precision="fp32", seed=3, ensemble=1, clip_steps=1)
    *_, rec = run_task(photos, req, noisy)
    law = T.noise_law(req)
    crop, first = T._uncensor_estimate(photos, noisy[:, :, None], law, 255, 3, "cpu", 1, 1)
    piece = T._Piece(photos, crop, 1, "cpu", law)
    y, s = T._mmse_input(piece, 3, 1)
    fresh, _ = T.grey_as_colour_noise(y.mean(1, keepdim=True).expand_as(y).contiguous(), s / 3 ** 0.5,
                                      make_generator(y.device, T.GREY_SECOND_DRAW + 3))
    assert (fresh - y).abs().max() > 0.1 and torch.allclose(fresh.mean(1), y.mean(1), atol=1e-5)
    turned = torch.rot90(mmse_estimate(photos.diffusion, photos.net, torch.rot90(fresh, 2, (2, 3)), s), -2, (2, 3))
    mirrored = mmse_estimate(photos.diffusion, photos.net, y.flip(3), s).flip(3)
    w = _second_view_weight((noisy == 0) | (noisy == 1), T.CENSOR_REACH)
    np.testing.assert_allclose(rec.image, T._mmse_output(piece, w * turned + (1 - w) * first), atol=1e-5)
    assert np.abs(rec.image - T._mmse_output(piece, w * mirrored + (1 - w) * first)).max() > 1e-3


def test_the_censoring_pass_sees_the_clipped_pixels_prefilled(photos):
    """Before the first censoring pass each clipped pixel is read as censored under the file itself blurred
    by a Gaussian of CENSOR_PREFILL_BLUR px (edges extended; no network pass), so that pass, whose estimate
    is also a view of the result, sees no 0 or 1 (docs/camera-noise.md, "the clipped pixels pre-filled")."""
    from scipy.ndimage import gaussian_filter

    from dpm_studio.core.run import censoring as C
    from dpm_studio.core.run import tasks as T
    from dpm_studio.core.run.anscombe import ConstantNoise, GeneralizedAnscombe

    a, b = 0.004, 0.0004
    rng = np.random.default_rng(5)
    clean = np.clip(0.01 + 0.6 * np.sin(np.arange(32) / 6)[:, None] ** 2 + np.zeros((32, 32)), 0, 1)
    noisy = clean + np.sqrt(a * clean + b) * rng.standard_normal(clean.shape)
    noisy = (np.clip(np.round(noisy * 255), 0, 255) / 255).astype(np.float32)[:, :, None]
    clipped = noisy == 0
    assert 0.02 < clipped.mean() < 0.5
    law = GeneralizedAnscombe(a, b)
    assert C.CENSOR_PREFILL_BLUR > 0

    def blurred(px):
        return np.clip(gaussian_filter(noisy[:, :, 0].astype(np.float64), px, mode="nearest", truncate=4.0),
                       0, 1)[:, :, None]

    std = np.maximum(np.sqrt(a * blurred(C.CENSOR_PREFILL_BLUR) + b), 0.5 / 255)  # under 25 / 255: not widened
    want = censored_mean(torch.from_numpy(noisy), torch.from_numpy(blurred(C.CENSOR_PREFILL_BLUR)),
                         torch.from_numpy(std)).numpy()
    pre = C.prefilled(torch.from_numpy(noisy), law, 255, 0.5 / 255)
    np.testing.assert_allclose(pre, want, atol=1e-6)
    assert (pre[clipped] < 0.5 / 255).all() and (pre[clipped] < 0).mean() > 0.9
    np.testing.assert_array_equal(pre[~clipped], noisy[~clipped])
    import warnings

    with warnings.catch_warnings():  # nothing clipped: the file as it is, without a warning on an empty mean
        warnings.simplefilter("error")
        flat = torch.full((4, 4, 1), 0.5)
        np.testing.assert_array_equal(C.prefilled(flat, law, 255, 0.5 / 255), flat.numpy())
    # Noise of std 50 / 255 at the clipped pixels, twice CENSOR_PREFILL_NOISE: the blur twice as wide.
    strong = ConstantNoise(2 * C.CENSOR_PREFILL_NOISE)
    wide = censored_mean(torch.from_numpy(noisy), torch.from_numpy(blurred(2 * C.CENSOR_PREFILL_BLUR)),
                         2 * C.CENSOR_PREFILL_NOISE).numpy()
    np.testing.assert_allclose(C.prefilled(torch.from_numpy(noisy), strong, 255, 0.5 / 255), wide, atol=1e-6)

    def one_pass(img):
        piece = T._Piece(photos, img, 1, "cpu", law)
        y, s = T._mmse_input(piece, 0, 1)
        return T.ensemble_mmse(photos.diffusion, photos.net, y, s, 1)

    _, first = T._uncensor_estimate(photos, noisy, law, 255, 0, "cpu", 1, 1)
    torch.testing.assert_close(first, one_pass(want.astype(np.float32)), atol=1e-5, rtol=0)
    assert (first - one_pass(noisy)).abs().max() > 1e-2  # the file's own 0s would give another estimate
