"""The denoising strength (``noise_scale``): a noise told stronger than the file's is topped up to
that level first, so the result is smoother, never worse than the input (core/run/noise_law.py)."""

import numpy as np
import pytest
from skimage import data

from dpm_studio.core.files.checkpoint import load, resolve
from dpm_studio.core.run.noise_law import noise_law
from dpm_studio.core.run.requests import DenoiseRequest
from dpm_studio.core.run.tasks import run_task


@pytest.fixture(scope="module")
def photos():
    return load(resolve("photos-rgb"))


@pytest.fixture(scope="module")
def clean():
    return data.astronaut()[160:224, 200:264].astype(np.float32) / 255


def _file(clean, std, seed=0):
    noisy = clean + std * np.random.default_rng(seed).standard_normal(clean.shape)
    return (np.clip(np.round(noisy * 255), 0, 255) / 255).astype(np.float32)


def _run(model, img, **settings):
    *_, rec = run_task(model, DenoiseRequest(**settings), img)
    return rec.image


def _rmse(a, b):
    return float(np.sqrt(np.mean((a.astype(np.float64) - b) ** 2)))


def _tv(a):
    return float(np.abs(np.diff(a, axis=0)).mean() + np.abs(np.diff(a, axis=1)).mean())


@pytest.mark.parametrize("noise", [dict(sigma=20 / 255), dict(noise="poisson-gaussian", noise_a=0.004, noise_b=0.0004)])
def test_a_stronger_told_noise_is_smoother_and_never_worse_than_the_input(photos, clean, noise):
    """Told 2 and 3 times the noise there is, the model used to remove noise that was not there:
    worse than the noisy input (astronaut, sigma 20: RMSE 15.7 and 27.2 against 18.7)."""
    if "sigma" in noise:
        noisy = _file(clean, noise["sigma"])
    else:
        noisy = _file(clean, np.sqrt(noise["noise_a"] * clean + noise["noise_b"]))
    outs = {k: _run(photos, noisy, seed=0, noise_scale=k, **noise) for k in (1.0, 2.0, 3.0)}
    for k in (2.0, 3.0):
        assert _rmse(outs[k], clean) < 0.8 * _rmse(noisy, clean), (k, _rmse(outs[k], clean), _rmse(noisy, clean))
    assert _tv(outs[3.0]) < _tv(outs[2.0]) < _tv(outs[1.0]) < _tv(noisy)


def test_scale_1_adds_no_noise_and_the_top_up_is_seeded(photos, clean):
    law = noise_law(DenoiseRequest(sigma=0.1))
    assert law.top_up == 0 and law.file is law
    told = noise_law(DenoiseRequest(sigma=0.1, noise_scale=2.0))
    assert told.sigma_u == pytest.approx(0.2) and told.top_up == pytest.approx(np.sqrt(3) * 0.1)
    assert told.file.sigma_u == pytest.approx(0.1)  # clipped pixels are read under the file's noise
    noisy = _file(clean, 20 / 255)
    # One-step colour denoising at scale 1 draws no noise: the seed changes nothing.
    assert np.array_equal(_run(photos, noisy, sigma=20 / 255, seed=0), _run(photos, noisy, sigma=20 / 255, seed=5))
    two = _run(photos, noisy, sigma=20 / 255, seed=0, noise_scale=2.0)
    assert np.array_equal(two, _run(photos, noisy, sigma=20 / 255, seed=0, noise_scale=2.0))  # reproducible
    assert not np.array_equal(two, _run(photos, noisy, sigma=20 / 255, seed=5, noise_scale=2.0))  # fresh noise
