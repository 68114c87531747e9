"""Run requests: defaults in one place (the command line's), clear refusals, one saved record."""

import json

import numpy as np
import pytest
import torch

from dpm_studio.core.run.requests import DenoiseRequest, InpaintRequest, SampleRequest, request_for, saved_metadata
from dpm_studio.core.run.tasks import run_task

from test_tasks import _loaded

torch.set_num_threads(1)


def test_defaults_are_the_command_lines():
    from dpm_studio.cli.main import build_parser

    p = build_parser()
    dn = p.parse_args(["denoise", "x.png", "-o", "y.png"])
    d = DenoiseRequest(sigma=0.1)
    assert (d.method, d.ensemble, d.tile, d.seed, d.samples) == (dn.method, dn.ensemble, dn.tile, dn.seed,
                                                                   dn.samples) == ("mmse", None, 256, 0, 1)
    # the views and censoring steps are the checkpoint's: 6 and 2 for a card that names none
    assert (d.for_model({}).ensemble, d.for_model({}).clip_steps) == (6, 2)
    i = InpaintRequest()
    assert (i.mode, i.start, i.start_sigma, i.steps, i.jump_length, i.jump_n_sample) == \
        ("forward-approx", "harmonic", 1.0, 19, 5, 2)
    assert InpaintRequest(mode="clamp").jump_length == 0 and InpaintRequest(mode="clamp").jump_n_sample == 1
    # the old names are aliases (saved metadata and scripts use them) and are recorded by the new ones
    assert InpaintRequest(mode="clamp").mode == "clamp-approx" and InpaintRequest(mode="forward").mode == "forward-approx"
    ex = InpaintRequest(mode="exact")
    assert (ex.smc, ex.start, ex.jump_length, ex.jump_n_sample) == (True, "noise", 0, 1), "exact: SMC from noise"
    assert InpaintRequest(jump_length=0).jump_n_sample == 1


@pytest.mark.parametrize("req,msg", [
    (DenoiseRequest(sigma=0.0), "noise level must be more than 0"),
    (InpaintRequest(feather=40), "feather"),
    (DenoiseRequest(sigma=0.1, ensemble=9), "ensemble size"),
    (DenoiseRequest(sigma=0.1, variance="large"), "sampled trajectories"),
    (DenoiseRequest(sigma=0.1, tile_batch=0), "tile batch"),
    (InpaintRequest(mode="clamp", jump_length=3), "forward-approx mode"),
    (InpaintRequest(mode="exact", start="harmonic"), "starts from noise"),
    (InpaintRequest(mode="fill"), "forward-approx, clamp-approx, exact"),
    (InpaintRequest(start_sigma=0), "starting noise"),
    (InpaintRequest(steps=0), "number of steps must be 1 to"),
    (InpaintRequest(samples=0), "samples"),
    (SampleRequest(size=(0, 5)), "size must be 1 to 4,096"),
    (InpaintRequest(variance="huge"), "step variance"),
    (DenoiseRequest(tile=33), "twice the overlap"),  # issue 27, item 15: 1,024 tiles of 64 x 64
    (DenoiseRequest(sigma=float("nan")), "noise level"),
])
def test_bad_settings_are_refused_with_one_clear_line(req, msg):
    with pytest.raises(ValueError, match=msg) as e:
        req.validate()
    assert "\n" not in str(e.value)


def test_run_task_takes_a_request_and_the_keyword_form_agrees():
    img = np.random.default_rng(0).random((24, 24, 3)).astype(np.float32)
    mask = np.zeros((24, 24), np.float32)
    mask[8:16, 8:16] = 1
    loaded = _loaded(3)
    # precision fp32: the keyword form keeps fp32, a request's auto may take bf16 on this CPU
    a = list(run_task(loaded, InpaintRequest(steps=4, jump_length=0, seed=3, context=8, precision="fp32"), img,
                      mask=mask))[-1].image
    b = list(run_task(loaded, "inpaint", img, mask=mask, steps=4, seed=3, mode="forward", start="harmonic",
                      context=8))[-1].image
    np.testing.assert_array_equal(a, b)
    # sigma None: estimated, here 0: no measurable noise, the image back as it is (it was refused)
    out = list(run_task(loaded, DenoiseRequest(), np.full((24, 24, 3), 0.5, np.float32)))[-1].image
    assert np.abs(out - 0.5).max() < 0.5 / 255
    with pytest.raises(TypeError):
        list(run_task(loaded, InpaintRequest(), img, mask=mask, steps=3))  # settings belong in the request


def test_grey_on_a_colour_model_costs_what_colour_does():
    """Defect 10: a grey image on a colour model ran four draws per tile (4x the network calls)."""
    loaded = _loaded(3)
    calls = []
    real = loaded.net.forward

    def counting(x, *a, **k):
        calls.append(x.shape[0])
        return real(x, *a, **k)

    loaded.net.forward = counting
    grey = np.random.default_rng(1).random((32, 32)).astype(np.float32)
    list(run_task(loaded, DenoiseRequest(sigma=0.1, ensemble=2), grey))
    grey_n = sum(calls)
    calls.clear()
    list(run_task(loaded, DenoiseRequest(sigma=0.1, ensemble=2), np.repeat(grey[:, :, None], 3, 2)))
    assert grey_n == sum(calls) == 2


def test_metadata_is_one_schema_with_every_setting():
    loaded = _loaded(3)
    m = InpaintRequest(steps=None, start="noise").metadata(loaded, feather=2.0)
    assert m["task"] == "inpaint" and m["checkpoint"] == "t" and m["steps"] == 30  # "all" recorded as run
    assert m["start"] == "noise" and "start_sigma" not in m and m["feather"] == 2.0
    d = DenoiseRequest(sigma=20 / 255).metadata(loaded)
    assert d["sigma_255"] == 20.0 and d["method"] == "mmse" and d["ensemble"] == 6 and "variance" not in d
    s = SampleRequest(size=(48, 64)).metadata("t")
    assert s["size"] == [64, 48] and s["checkpoint"] == "t"
    saved = saved_metadata([m, d, s], "9.9")
    assert json.loads(json.dumps(saved)) == saved and saved["software"] == "dpm-studio 9.9"
    assert request_for("denoise", sigma=0.1, method="sample").method == "sample"
    with pytest.raises(ValueError, match="no setting"):
        request_for("sample", sigma=0.1)


@pytest.mark.parametrize("task", ["inpaint", "sample", "denoise"])
def test_several_samples_come_back_each_beside_their_mean(task):
    """Issue 15, item 4: N samples to choose from, not only their average."""
    img = np.random.default_rng(0).random((24, 24, 3)).astype(np.float32)
    mask = np.zeros((24, 24), np.float32)
    mask[8:16, 8:16] = 1
    req = {"inpaint": InpaintRequest(steps=3, jump_length=0, samples=3, context=8),
           "sample": SampleRequest(size=(12, 12), steps=3, samples=3),
           "denoise": DenoiseRequest(sigma=0.1, method="sample", steps=3, samples=3, tile=16, overlap=4)}[task]
    last = list(run_task(_loaded(3), req, None if task == "sample" else img,
                         **({"mask": mask} if task == "inpaint" else {})))[-1]
    assert last.done and len(last.samples) == 3
    for v in last.samples:
        assert v.shape == last.image.shape
    assert not np.allclose(last.samples[0], last.samples[1])
    if task == "inpaint":  # known pixels stay, the mean is the average of the draws
        np.testing.assert_allclose(np.mean(last.samples, axis=0), last.image, atol=1e-5)
        for v in last.samples:
            np.testing.assert_array_equal(v[mask == 0], img[mask == 0])
    single = list(run_task(_loaded(3), req.replace(samples=1), None if task == "sample" else img,
                           **({"mask": mask} if task == "inpaint" else {})))[-1]
    assert single.samples is None


def test_the_keyword_form_lists_only_departures_from_the_requests_defaults():
    """The request is the one source of defaults: run_task's keyword form names only where it runs
    otherwise (tasks.KEYWORD_FORM), never a request's own default again (a copy that drifts: its
    jump_n_sample 1 and steps None repeated what a request's rules already give), and what it does
    not name is the request's."""
    from dataclasses import fields

    from dpm_studio.core.run.requests import REQUESTS
    from dpm_studio.core.run.tasks import KEYWORD_FORM, _request_from_keywords

    assert set(KEYWORD_FORM) == set(REQUESTS)
    for task, departures in KEYWORD_FORM.items():
        cls = REQUESTS[task]
        plain = cls()
        for name, value in departures.items():
            assert name in {f.name for f in fields(cls)}, (task, name)
            without = cls(**{k: v for k, v in departures.items() if k != name})   # the request's rules decide it
            assert getattr(without, name) != value, f"{task}'s {name} = {value!r} is what the request gives already"
        made = _request_from_keywords(task, {})
        for f in fields(cls):
            want = departures.get(f.name, getattr(plain, f.name))
            if f.name == "jump_n_sample":   # follows the jumps by the request's rule
                want = cls(**departures).jump_n_sample
            assert getattr(made, f.name) == want, (task, f.name)
    with pytest.raises(TypeError, match="unexpected keyword arguments colour"):
        _request_from_keywords("denoise", {"colour": 1})
