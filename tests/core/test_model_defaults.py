"""A checkpoint's own run defaults (its card's ``defaults``): a denoise's views and censoring steps.

A larger network may denoise better with fewer views than the shipped one needs (docs/speed.md,
"v2 in the time budget"): its card then says so, and every front end (the command line, the app,
the API) runs and records what the card says wherever the request leaves the setting unset."""

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from dpm_studio.core.files.cardschema import CARD_DEFAULTS, CardError, check_card
from dpm_studio.core.run.requests import REQUESTS, DenoiseRequest
from dpm_studio.core.run.settings import spec_of
from dpm_studio.core.run.tasks import run_task

from test_tasks import _loaded

torch.set_num_threads(1)


class Counting:
    """A network that counts its passes."""

    def __init__(self, net):
        self.net, self.calls = net, 0

    def __call__(self, *a, **k):
        self.calls += 1
        return self.net(*a, **k)

    def __getattr__(self, name):
        return getattr(self.net, name)


def _clipped(seed=4):
    """A 32 x 32 8-bit noisy colour file with pixels stored as 0 and 255."""
    rng = np.random.default_rng(seed)
    clean = np.clip(0.5 + 0.45 * np.sin(np.arange(32) / 4)[:, None, None] + np.zeros((32, 32, 3)), 0, 1)
    noisy = np.clip(np.round((clean + 25 / 255 * rng.standard_normal(clean.shape)) * 255), 0, 255) / 255
    assert ((noisy == 0) | (noisy == 1)).any()
    return noisy.astype(np.float32)


def _with_defaults(loaded, **denoise):
    card = {**loaded.card, "defaults": {"denoise": denoise}} if denoise else loaded.card
    return replace(loaded, card=card, net=Counting(loaded.net))


def _passes_and_record(loaded, req, img):
    from dpm_studio.core.run.jobs import resolve

    job = resolve(req, img, None, None, loaded)
    *_, rec = run_task(loaded, job)
    return loaded.net.calls, job.metadata(loaded), rec.image


def test_the_card_sets_the_views_and_censoring_steps_and_the_record_says_them():
    base = _loaded(3)
    img, req = _clipped(), DenoiseRequest(sigma=25 / 255, precision="fp32")
    n, rec, _ = _passes_and_record(_with_defaults(base), req, img)
    assert n == 2 + 5 and (rec["ensemble"], rec["clip_steps"]) == (6, 2)   # a card without: today's defaults
    n, rec, one = _passes_and_record(_with_defaults(base, ensemble=1, clip_steps=1), req, img)
    assert n == 1 + 1 and (rec["ensemble"], rec["clip_steps"]) == (1, 1)   # one censoring pass, one view
    # the same pixels as asking for them on a card without defaults
    n, _, same = _passes_and_record(_with_defaults(base), req.replace(ensemble=1, clip_steps=1), img)
    assert n == 2 and np.array_equal(one, same)
    # what the request says wins over the card
    n, rec, _ = _passes_and_record(_with_defaults(base, ensemble=1, clip_steps=1), req.replace(ensemble=3), img)
    assert n == 1 + 2 and (rec["ensemble"], rec["clip_steps"]) == (3, 1)
    n, rec, _ = _passes_and_record(_with_defaults(base, ensemble=2), req.replace(clipping="ignore"), img)
    assert n == 2 and rec["ensemble"] == 2 and "clip_steps" not in rec   # nothing censored: no steps to record


def test_a_sampled_denoise_takes_the_cards_censoring_steps():
    base = _loaded(3)
    req = DenoiseRequest(sigma=25 / 255, precision="fp32", method="sample", steps=3)
    n3, rec, _ = _passes_and_record(_with_defaults(base, clip_steps=3), req, _clipped())
    n1, rec1, _ = _passes_and_record(_with_defaults(base, clip_steps=1), req, _clipped())
    assert n3 - n1 == 2 and rec["clip_steps"] == 3 and rec1["clip_steps"] == 1 and "ensemble" not in rec


def test_a_job_resolved_without_the_model_takes_its_defaults_when_it_runs():
    """The command line resolves before it loads the model and records after the run."""
    from dpm_studio.core.run.jobs import resolve

    loaded = _with_defaults(_loaded(3), ensemble=2, clip_steps=1)
    job = resolve(DenoiseRequest(sigma=25 / 255, precision="fp32"), _clipped())
    assert job.request.ensemble is None
    list(run_task(loaded, job))
    assert loaded.net.calls == 1 + 1 and (job.request.ensemble, job.request.clip_steps) == (2, 1)
    assert job.metadata(loaded)["ensemble"] == 2


@pytest.mark.parametrize("defaults,msg", [
    (3, "'defaults' must be an object"),
    ({"inpaint": {"steps": 3}}, "defaults.inpaint is not a task"),
    ({"denoise": {"tile": 64}}, "defaults.denoise.tile is not a setting"),
    ({"denoise": {"ensemble": 9}}, "defaults.denoise.ensemble = 9 is out of range"),
    ({"denoise": {"clip_steps": 0}}, "defaults.denoise.clip_steps = 0 is out of range"),
    ({"denoise": {"ensemble": 1.5}}, "must be an integer"),
    ({"denoise": {"ensemble": True}}, "must be an integer"),
])
def test_a_bad_card_default_is_refused_in_one_line(defaults, msg):
    card = {"name": "x", "family": "gaussian", "network": {"type": "unet", "kwargs": {}},
            "diffusion": {"schedule": {"kind": "cosine", "T": 10}}, "data": {}, "defaults": defaults}
    with pytest.raises(CardError, match=msg) as e:
        check_card(card)
    assert "\n" not in str(e.value)


def test_the_card_schema_and_the_requests_name_the_same_settings_and_ranges():
    for task, allowed in CARD_DEFAULTS.items():
        cls = REQUESTS[task]
        assert set(cls.model_defaults) == set(allowed)
        for name, hi in allowed.items():
            spec = spec_of(cls, name)
            assert (spec.lo, spec.hi) == (1, hi) and 1 <= cls.model_defaults[name] <= hi


def test_a_record_from_before_card_defaults_replays_with_the_two_censoring_steps_it_ran():
    from dpm_studio.core.run.requests import request_of_record

    old = {"task": "denoise", "sigma": 0.1, "ensemble": 6, "clipping": "censored", "method": "mmse"}
    assert request_of_record(old).for_model({"defaults": {"denoise": {"clip_steps": 1}}}).clip_steps == 2
    new = DenoiseRequest(sigma=0.1).for_model({"defaults": {"denoise": {"ensemble": 1, "clip_steps": 1}}})
    again = request_of_record(new.metadata(_loaded(3)))
    assert (again.ensemble, again.clip_steps) == (1, 1)
