"""The suite's own set-up: torch on one thread here and in the subprocesses tests start."""

import subprocess
import sys

import torch


def test_torch_runs_on_one_thread_in_tests_and_their_subprocesses():
    assert torch.get_num_threads() == 1
    r = subprocess.run([sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"
