"""One request, one result, measured: scripts/one_way_table.py --measure's requests (inpaint; denoise with each
noise model; sample, the API's saved by ``Result.save`` with no source; with and without a seed, steps and a checkpoint given) through the command line, the Python API and
the app's Qt-free session model (gui/model, as the window drives it) give the same pixels and the same saved record
(but its times: the API's saved by ``Result.save``), and ``replay --strict`` of each saved result reproduces it
exactly. On a tiny untrained model (the
tasks' defaults pointed at it, so "no --checkpoint" is the default's path), 32 px: seconds a case."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import one_way_table as T  # noqa: E402


@pytest.fixture
def tiny_defaults(tiny, monkeypatch):
    from dpm_studio import paths

    monkeypatch.setattr(paths, "DEFAULT_CHECKPOINTS", {task: tiny for task in paths.DEFAULT_CHECKPOINTS})
    return tiny


@pytest.mark.parametrize("kind", T.KINDS)
def test_every_surface_makes_one_result_and_each_replays_exactly(tmp_path, tiny_defaults, kind):
    # a JPEG saved again as PNG: 64 px, where its grid is read (told no JPEG by its decoder, the command line and the
    # app read another noise than the API given its pixels: fails without core/run/jobs.Source.of's None)
    src, mask = T.measured_inputs(tmp_path, 64 if kind == "jpeg-png" else 32, kind)
    rows = T.measure(tmp_path, src, mask, tiny_defaults)
    assert len(rows) == len(T.MEASURED)
    assert {case[1] for case in T.MEASURED} == {"inpaint", "denoise", "sample"}   # session 19: sample measured too
    # the API's result saved by Result.save (with its input file as the source): the command line's pixels, the
    # command line's file metadata but the times, and it replays exactly (fails without api.Result: no record)
    bad = [r for r in rows if "error" in r or not (r["api_same"] and r["api_file_same"] and r["app_same"])
           or r["records"] or r["api_records"]
           or {r["replay_cli"], r["replay_app"], r["replay_api"]} != {"reproduced exactly"}]
    assert not bad, T.measured_table(bad)
