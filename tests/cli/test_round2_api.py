"""The Python API's promises against hostile keywords, and the checkpoint path's size (issue 27,
items 15 and 19). A bad value is a ValueError with one line, raised before any work; the API's
ranges are the command line's (one declaration per setting: core/run/settings.py); the checkpoint files are unchanged after."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from dpm_studio import api
from dpm_studio.cli.main import main

H, W = 24, 32


def _hashes(folder) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(folder).iterdir())}


@pytest.fixture
def photo():
    return np.random.default_rng(0).integers(0, 256, (H, W, 3), dtype=np.uint8)


@pytest.fixture
def hole():
    m = np.zeros((H, W), bool)
    m[6:14, 8:22] = True
    return m


BAD = [("inpaint", dict(steps=2.7)), ("inpaint", dict(steps="x")), ("inpaint", dict(seed=2 ** 64)),
       ("inpaint", dict(seed=-1)), ("inpaint", dict(samples=True)), ("inpaint", dict(samples=1000)),
       ("inpaint", dict(steps=10 ** 11)), ("inpaint", dict(jump_length=2.5)), ("inpaint", dict(start_sigma="1")),
       ("denoise", dict(tile=33)), ("denoise", dict(tile=63)), ("denoise", dict(tile_batch=0.5)),
       ("denoise", dict(ensemble="8")), ("inpaint", dict(soft_mask="no")),
       ("denoise", dict(sigma="x")), ("denoise", dict(steps=2.7, method="sample"))]


@pytest.mark.parametrize("task, kw", BAD, ids=[f"{t}-{next(iter(k))}={k[next(iter(k))]!r}" for t, k in BAD])
def test_bad_keywords_raise_valueerror_before_any_work(tiny, tmp_path, photo, hole, task, kw, monkeypatch):
    from dpm_studio.core.run import tasks

    folder = tmp_path / "ckpt"
    before = _hashes(folder)
    ran = []
    monkeypatch.setattr(tasks, "run_task", lambda *a, **k: ran.append(1) or iter(()))
    with pytest.raises(ValueError) as e:  # was TypeError, OverflowError, or 1,024 tiles (tile=33)
        if task == "inpaint":
            api.inpaint(photo, hole, checkpoint=tiny, **kw)
        else:
            api.denoise(photo, **{"sigma": 10, **kw}, checkpoint=tiny)
    assert type(e.value) is ValueError and "\n" not in str(e.value)
    assert ran == [] and _hashes(folder) == before


def test_the_api_ranges_are_the_command_lines():
    """Every run setting the command line offers takes exactly the range the request (the API)
    checks: both read the setting's one declaration."""
    import argparse

    from dpm_studio.cli.main import build_parser
    from dpm_studio.core.run.requests import REQUESTS
    from dpm_studio.core.run.settings import specs

    subs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    checked = 0
    for task, cls in REQUESTS.items():
        for action in subs[task]._actions:
            spec = specs(cls).get(action.dest)
            if spec is None or spec.lo is None or action.type is None or action.dest in ("size", "region"):  # WxH; X,Y,W,H
                continue
            held = (lambda v: v / spec.scale) if spec.scale != 1 else (lambda v: v)  # noqa: E731
            lo, hi = spec.lo + (1e-6 if spec.open_lo else 0), spec.hi
            for v in (lo, hi):
                assert action.type(repr(v)) == v
                tied = {"overlap": 0} if action.dest == "tile" else {"tile": 4096} if action.dest == "overlap" \
                    else {}  # a tile is also twice its overlap
                req = cls(**{action.dest: held(action.type(repr(v)))}, **tied)
                if action.dest not in ("noise_a", "noise_b"):  # those need the poisson-gaussian model too
                    req.validate()
            for out in (spec.lo - 1, spec.hi + 1):
                with pytest.raises(argparse.ArgumentTypeError):
                    action.type(str(out))
                with pytest.raises(ValueError):
                    cls(**{action.dest: held(type(spec.hi)(out))}).validate()
            checked += 1
    assert checked >= 14


@pytest.mark.parametrize("mask", [np.full((H, W), "0"), np.full((H, W), "abc", dtype=object), "mask.png"])
def test_a_string_mask_is_refused_not_all_ones(tiny, tmp_path, photo, mask):
    before = _hashes(tmp_path / "ckpt")
    with pytest.raises(ValueError, match="mask"):
        api.inpaint(photo, mask, checkpoint=tiny, steps=2)
    assert _hashes(tmp_path / "ckpt") == before


def test_good_keywords_still_work(tiny, photo, hole):
    out = api.inpaint(photo, hole, checkpoint=tiny, steps=np.int64(2), seed=2 ** 63 - 1)
    assert out.shape == photo.shape and np.array_equal(out[~hole], photo[~hole])
    out = api.denoise(photo, 12.5, checkpoint=tiny, tile=64, ensemble=1)
    assert out.shape == photo.shape


def test_a_long_checkpoint_path_is_listed_in_linear_time(tmp_path, monkeypatch, capsys):
    """2,000 entries in DPM_STUDIO_CHECKPOINTS took 22 s and 8,000 never ended: every card and
    folder resolved the whole list again. Counted, not timed: the path resolutions per entry."""
    import os

    calls = []
    real = Path.resolve

    def counting(self, *a, **k):
        calls.append(1)
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "resolve", counting)
    per_entry = []
    for n in (200, 800):
        folders = [tmp_path / f"n{n}-{i}" for i in range(n)]
        monkeypatch.setenv("DPM_STUDIO_CHECKPOINTS", os.pathsep.join(map(str, folders)))
        calls.clear()
        assert main(["checkpoints"]) == 0
        assert capsys.readouterr().out.count(f"n{n}-") == n
        per_entry.append(len(calls) / n)
    assert per_entry[1] < 1.5 * per_entry[0] + 1, per_entry  # quadratic: 4 times as many per entry
