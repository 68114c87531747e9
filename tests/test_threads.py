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


def test_the_command_line_makes_waiting_threads_sleep_before_torch_is_imported():
    """dpm_studio.cli sets OMP_WAIT_POLICY=PASSIVE before anything imports torch (OpenMP reads it
    once); a user's own setting is kept."""
    import os

    code = ("import os, sys, dpm_studio.cli.main; "
            "print(os.environ.get('OMP_WAIT_POLICY'), os.environ.get('GOMP_SPINCOUNT'), 'torch' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["PASSIVE", "1000", "False"]   # sleep, after a 10 us spin
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**env, "OMP_WAIT_POLICY": "ACTIVE", "GOMP_SPINCOUNT": "0"})
    assert r.stdout.split() == ["ACTIVE", "0", "False"]
