"""Denoising signal-dependent noise var = a x + b (requests' noise models, core/run/noise_law.py)."""

import numpy as np
import pytest

from dpm_studio.core.files.checkpoint import load, resolve
from dpm_studio.core.run.jobs import resolve as resolve_job
from dpm_studio.core.run.noise_law import noise_law
from dpm_studio.core.run.requests import DenoiseRequest
from dpm_studio.core.run.tasks import run_task


def _file(clean, a, b, seed):
    rng = np.random.default_rng(seed)
    noisy = clean + np.sqrt(a * clean + b) * rng.standard_normal(clean.shape)
    return (np.clip(np.round(noisy * 255), 0, 255) / 255).astype(np.float32)


@pytest.fixture(scope="module")
def photos():
    return load(resolve("photos-rgb"))


def _run(model, img, **settings):
    *_, rec = run_task(model, DenoiseRequest(ensemble=1, **settings), img)
    return rec.image


@pytest.mark.parametrize("level,a,b", [(0.03, 0.01, 0.001), (0.97, 0.01, 0.001), (0.02, 0.004, 0.0004)])
def test_flat_dark_and_bright_patches_keep_their_level(photos, level, a, b):
    """Through the transform, the exact unbiased inverse and the clipping: a dark patch is not
    brightened, a highlight not darkened, by more than 1/255 on average."""
    clean = np.full((64, 64, 3), level, np.float32)
    noisy = _file(clean, a, b, 1)
    assert ((noisy == 0) | (noisy == 1)).mean() > 0.1  # the clipping matters here
    out = _run(photos, noisy, noise="poisson-gaussian", noise_a=a, noise_b=b)
    assert abs(float(out.mean()) - level) <= 1 / 255, float(out.mean()) * 255
    assert out.std() < 0.5 * noisy.std()  # and it was denoised


def test_signal_dependent_beats_one_sigma_on_a_ramp(photos):
    x = np.tile(np.linspace(0.05, 0.95, 96, dtype=np.float32), (64, 1))[:, :, None].repeat(3, 2)
    noisy = _file(x, 0.01, 0.0005, 2)
    job = resolve_job(DenoiseRequest(), noisy)  # no sigma: fitted
    req = job.request
    assert req.noise == "poisson-gaussian" and req.noise_fit["kind"] == "poisson-gaussian"
    assert any("poisson-gaussian, var =" in n for n in job.notes)
    assert req.noise_a == pytest.approx(0.01, rel=0.3)
    one = _run(photos, noisy, sigma=float(np.sqrt(0.01 * 0.5 + 0.0005)))
    pg = _run(photos, noisy, noise="auto")
    err = lambda o: float(((o - x) ** 2).mean())  # noqa: E731
    assert err(pg) < err(one)


def test_auto_tells_a_fitted_a_lower_by_a_share_of_its_standard_error():
    """Over-telling the shot noise costs more than under-telling it (docs/camera-noise.md), so the
    denoiser runs the fit's a less FIT_A_SHRINK standard errors; the fit is recorded as fitted."""
    from dpm_studio.core.run.noise_law import FIT_A_SHRINK
    from dpm_studio.core.run.noise_level import fit_noise_level

    x = np.tile(np.linspace(0.05, 0.95, 96, dtype=np.float32), (64, 1))
    noisy = _file(x, 0.01, 0.0005, 4)
    fit = fit_noise_level(noisy)
    req = resolve_job(DenoiseRequest(), noisy).request
    assert fit.kind == "poisson-gaussian" and FIT_A_SHRINK > 0
    assert req.noise_fit["a"] == pytest.approx(fit.a, rel=1e-3)  # the record is the fit's own
    assert req.noise_a == pytest.approx(fit.a - FIT_A_SHRINK * fit.a_se, rel=1e-9)
    assert req.noise_a < fit.a - 0.1 * fit.a_se and req.noise_b == fit.b


def test_constant_noise_auto_is_todays_denoise(photos):
    from dpm_studio.core.run.noise import estimate_noise_sigma

    rng = np.random.default_rng(3)
    x = np.tile(np.linspace(0.2, 0.8, 64, dtype=np.float32), (64, 1))[:, :, None].repeat(3, 2)
    noisy = np.clip(np.round((x + 25 / 255 * rng.standard_normal(x.shape)) * 255), 0, 255).astype(np.float32) / 255
    req = resolve_job(DenoiseRequest(noise="auto"), noisy).request
    assert req.noise == "constant" and req.noise_fit["kind"] == "constant"
    assert req.sigma == pytest.approx(estimate_noise_sigma(noisy))
    np.testing.assert_array_equal(_run(photos, noisy, noise="auto"), _run(photos, noisy, sigma=req.sigma))


def test_requests_range_checked_and_recorded():
    with pytest.raises(ValueError, match="noise model must be one of"):
        DenoiseRequest(noise="gaussian", sigma=0.1).validate()
    for a, b in [(None, 0.001), (0.01, None), (-0.1, 0.001), (0.01, 1.5), (0.0, 0.0), (float("nan"), 0.1),
                 ("0.01", 0.001), (True, 0.001)]:
        with pytest.raises(ValueError, match="Poisson-Gaussian|must be a number"):
            DenoiseRequest(noise="poisson-gaussian", noise_a=a, noise_b=b).validate()
    with pytest.raises(ValueError, match="sigma is a constant"):
        DenoiseRequest(noise="poisson-gaussian", noise_a=0.01, noise_b=0.001, sigma=0.1).validate()
    with pytest.raises(ValueError, match="given sigma is a constant"):
        DenoiseRequest(noise="auto", sigma=0.1).validate()
    with pytest.raises(ValueError, match="need the Poisson-Gaussian"):
        DenoiseRequest(noise_a=0.01, noise_b=0.001).validate()
    DenoiseRequest(noise="auto").validate()  # fitted when the job is resolved
    req = DenoiseRequest(noise="poisson-gaussian", noise_a=0.004, noise_b=0.0004).validate()
    meta = req.metadata("photos-rgb")
    assert meta["noise"] == "poisson-gaussian" and meta["noise_a"] == 0.004 and meta["noise_b"] == 0.0004
    assert "noise_a" not in DenoiseRequest(sigma=0.1).metadata("photos-rgb")
    law = noise_law(req)
    assert law.sigma_u > 0 and np.allclose(law.std(np.array([0.0, 1.0])), np.sqrt([0.0004, 0.0044]))
    assert noise_law(DenoiseRequest(noise="poisson-gaussian", noise_a=0.0, noise_b=0.01)).sigma_u == pytest.approx(0.1)
    with pytest.raises(ValueError, match="resolve"):
        noise_law(DenoiseRequest(noise="auto"))
    assert noise_law(DenoiseRequest(sigma=0.1)).sigma_u == 0.1  # sigma alone: constant


def test_noise_scale_scales_the_std():
    req = DenoiseRequest(noise="poisson-gaussian", noise_a=0.004, noise_b=0.0004, noise_scale=2.0).validate()
    law = noise_law(req)
    assert np.allclose(law.std(np.array([0.0, 1.0])), 2 * np.sqrt([0.0004, 0.0044]))
    assert noise_law(DenoiseRequest(sigma=0.1, noise_scale=0.5)).sigma_u == pytest.approx(0.05)
    assert req.metadata("photos-rgb")["noise_scale"] == 2.0
    assert "noise_scale" not in DenoiseRequest(sigma=0.1).metadata("photos-rgb")
    for bad in (0.1, 5.0, float("nan"), "2"):
        with pytest.raises(ValueError, match="noise scale|must be a number"):
            DenoiseRequest(sigma=0.1, noise_scale=bad).validate()
