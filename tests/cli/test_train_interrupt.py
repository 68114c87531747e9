"""An interrupted ``dpm-studio train`` (SIGTERM from a scheduler or a GPU lease ending, Ctrl+C)
saves its checkpoint and resume state and exits 128 + the signal with one line; before, only the
last periodic --save-every save (5 minutes) survived. A real subprocess in a temp folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dpm_studio.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def _train(tmp_path, *extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    args = [sys.executable, "-m", "dpm_studio", "train", "heartbeat", "-o", str(tmp_path / "hb"), "--no-eval",
            "--threads", "1", "--log", str(tmp_path / "log.csv"), *extra]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_saves_the_resume_state_and_exits_cleanly(tmp_path, sig, capsys):
    proc = _train(tmp_path, "--steps", "100000")
    log = tmp_path / "log.csv"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:  # wait for the first logged steps
        if log.exists() and len(log.read_text().splitlines()) >= 2:
            break
        time.sleep(0.1)
    assert proc.poll() is None, proc.stderr.read()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + int(sig), err
    last = err.strip().splitlines()[-1]
    assert f"{sig.name}: training stopped at step" in last and "--resume" in last and "Traceback" not in err
    step = json.loads((tmp_path / "hb.train.json").read_text())["step"]
    assert step >= 10 and f"step {step};" in last
    card = json.loads((tmp_path / "hb.json").read_text())
    assert card["training"]["steps"] == step
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temporary file left
    # the saved state resumes: three more steps from where it stopped
    assert main(["train", "heartbeat", "-o", str(tmp_path / "hb"), "--no-eval", "--resume", "--steps", "3"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["steps"] == step + 3
