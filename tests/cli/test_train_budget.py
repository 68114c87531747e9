"""A training budget too small to train: ``train --minutes 1e-9`` trained no step, saved an untrained
checkpoint and exited 0. Now --minutes is range-checked by the parser (0.01 to a year: the loop checks
the clock before each step, so the first always starts), and a run that trained no step says so, exits
non-zero and writes no checkpoint."""

import pytest

from dpm_studio.cli.main import main
from dpm_studio.core.train import training

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("minutes", ["1e-9", "0", "0.005", "-1", "nan", "1e9"])
def test_a_budget_out_of_range_is_refused_before_anything_is_written(tmp_path, capsys, minutes):
    (tmp_path / "w").mkdir()
    out = tmp_path / "w" / "roll"
    assert main(["train", "swiss-roll", "-o", str(out), "--minutes", minutes, "--no-eval"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dpm-studio: error: argument --minutes: ")
    assert ("give 0.01 to 525600" in err[0]) or "not a finite number" in err[0]
    assert list((tmp_path / "w").iterdir()) == []


def test_a_run_that_trains_no_step_saves_nothing_and_fails(tmp_path, capsys, monkeypatch):
    def no_steps(state, batches, **kw):   # a budget spent before the first step (a slow first check)
        return iter(())

    monkeypatch.setattr(training, "train", no_steps)
    (tmp_path / "w").mkdir()
    out = tmp_path / "w" / "roll"
    assert main(["train", "swiss-roll", "-o", str(out), "--minutes", "0.01", "--no-eval"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == ("dpm-studio: error: no training step ran within --minutes 0.01: nothing was saved; "
                       "give a larger --minutes or --steps.")
    assert list((tmp_path / "w").iterdir()) == []


def test_the_smallest_budget_trains_and_saves(tmp_path, capsys):
    (tmp_path / "w").mkdir()
    out = tmp_path / "w" / "roll"
    assert main(["train", "swiss-roll", "-o", str(out), "--minutes", "0.01", "--no-eval", "--batch", "16"]) == 0
    assert (tmp_path / "w" / "roll.json").is_file() and (tmp_path / "w" / "roll.safetensors").is_file()
