"""A file with no measurable noise comes back as it is, without the network (core/run/jobs.py's UNCHANGED), and
every front end says a noise estimate in the same words (jobs.estimate_words)."""

import numpy as np
import pytest

from dpm_studio.core.run.jobs import Source, estimate_words, resolve
from dpm_studio.core.run.noise import NO_NOISE
from dpm_studio.core.run.requests import DenoiseRequest
from dpm_studio.core.run.tasks import run_task


class _NoNetwork:
    """A loaded checkpoint whose network must not run: a clean file's denoise needs none."""

    channels, name, sha256 = 3, "no-network", ""
    card = {"name": "no-network", "data": {"channels": 3, "scale": {"mean": 0.5, "std": 0.25}}}

    def __init__(self):
        from dpm_studio.core import GaussianDiffusion, Schedule

        self.diffusion = GaussianDiffusion(Schedule("cosine", 20), "eps")

    @property
    def net(self):
        raise AssertionError("the network ran for a clean file")


def _clean(shape=(40, 56, 3), levels=255):
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    ramp = np.round((xx / shape[1] * 0.6 + yy / shape[0] * 0.3)[:, :, None] * levels) / levels
    return np.repeat(ramp, shape[2], axis=2).astype(np.float32)


@pytest.mark.parametrize("depth", [8, 16])
@pytest.mark.parametrize("settings", [{}, {"method": "sample", "samples": 3}, {"region": (4, 4, 20, 16)}])
def test_a_clean_file_comes_back_to_the_bit_without_the_network(depth, settings):
    img = _clean(levels=2 ** depth - 1)
    job = resolve(DenoiseRequest(**settings), img, None, Source(depth))
    assert job.request.sigma == NO_NOISE and job.unchanged == "no measurable noise: the image comes back as it is"
    assert job.metadata()["unchanged"] == job.unchanged   # the record says why
    recs = list(run_task(_NoNetwork(), job))
    assert len(recs) == 1 and recs[0].done and (recs[0].index, recs[0].total) == (0, 1)
    assert np.array_equal(recs[0].image, img)
    if settings.get("samples"):
        assert len(recs[0].samples) == 3 and all(np.array_equal(s, img) for s in recs[0].samples)


def test_the_alpha_comes_back_too_and_a_told_level_at_most_no_noise_is_the_same_run():
    img = np.concatenate([_clean(), np.full((40, 56, 1), 0.5, np.float32)], axis=2)
    job = resolve(DenoiseRequest(sigma=NO_NOISE), img)   # the level a replayed clean record gives
    assert job.unchanged and job.unchanged.endswith("the image comes back as it is"), job.unchanged
    assert np.array_equal(list(run_task(_NoNetwork(), job))[-1].image, img)
    for told in (DenoiseRequest(sigma=2 * NO_NOISE), DenoiseRequest(sigma=NO_NOISE, noise_scale=3.0),
                 DenoiseRequest(noise="poisson-gaussian", noise_a=1e-6, noise_b=1e-9)):
        assert resolve(told, img).unchanged is None   # told more noise, or a law: the network runs


def test_a_noise_estimate_has_one_wording():
    # the app said "this image shows no measurable noise" for an estimate under 0.5 / 255 where the command line
    # said "estimated noise sigma = 0.3 (0-255 units)": one function says it for both, and the API
    assert estimate_words(0.0) == "no measurable noise"
    assert estimate_words(0.3 / 255) == "estimated noise std 0.3 / 255"
    assert estimate_words(14.8 / 255) == "estimated noise std 14.8 / 255"
    assert estimate_words(0.02 / 255) == "estimated noise std 0.02 / 255"
    rng = np.random.default_rng(0)
    noisy = np.clip(_clean() + rng.normal(0, 12 / 255, (40, 56, 3)), 0, 1).astype(np.float32)
    job = resolve(DenoiseRequest(noise="constant"), noisy)
    assert job.notes[0] == estimate_words(job.request.sigma), job.notes
