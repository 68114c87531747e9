"""Soak: 200 runs through the window and its QThread runner (finished and reviewed, accepted
or discarded, or cancelled part-way), with memory and thread counts before and after.

Slow (a few minutes on a busy CPU): ``python -m pytest -m slow tests/gui/test_soak.py -s``
prints the numbers; docs/reliability.md records a run. ``DPM_STUDIO_SOAK_RUNS=1000`` runs
longer.
"""

from __future__ import annotations

import gc
import os
import time

import pytest

from gui_helpers import image_with_mask, live_qthreads, proc_status

RUNS = int(os.environ.get("DPM_STUDIO_SOAK_RUNS", 200))
WARM_UP = 10
RUN_TIMEOUT_MS = 60_000


def one_run(qtbot, win, k: int) -> str:
    """Run k: every 5th is cancelled after its first frame; the rest finish and are reviewed."""
    if k % 5 == 4:
        with qtbot.waitSignal(win.runner.frame, timeout=RUN_TIMEOUT_MS):
            assert win.runs.run()
        with qtbot.waitSignal(win.runner.aborted, timeout=RUN_TIMEOUT_MS):
            win.runs.cancel()
        return "cancelled"
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_TIMEOUT_MS):
        assert win.runs.run()
    win.result_bar.slider.setValue(0)  # scrub the trajectory as a user would
    if k % 4 == 0:
        assert win.runs.accept_result()
        return "accepted"
    assert win.runs.discard_result()
    return "discarded"


@pytest.mark.slow
def test_two_hundred_runs_keep_memory_and_threads_bounded(qtbot, win, record_property):
    image_with_mask(win, 48)
    win.task_panel.steps.setValue(8)
    win.dialogs.answers["unsaved"] = "discard"
    for k in range(WARM_UP):
        one_run(qtbot, win, k)
    gc.collect()
    rss0, threads0, qthreads0 = proc_status("VmRSS"), proc_status("Threads"), live_qthreads()
    t0 = time.perf_counter()
    outcomes: dict[str, int] = {}
    peak = rss0
    for k in range(RUNS):
        kind = one_run(qtbot, win, WARM_UP + k)
        outcomes[kind] = outcomes.get(kind, 0) + 1
        peak = max(peak, proc_status("VmRSS"))
        assert win.state() in ("edit",) and not win.runner.is_running()
    gc.collect()
    qtbot.wait(50)
    rss1, threads1, qthreads1 = proc_status("VmRSS"), proc_status("Threads"), live_qthreads()
    numbers = {"runs": RUNS, **outcomes, "seconds": round(time.perf_counter() - t0, 1),
               "rss_mb_before": round(rss0 / 1024, 1), "rss_mb_after": round(rss1 / 1024, 1),
               "rss_mb_peak": round(peak / 1024, 1), "os_threads": [threads0, threads1],
               "qthreads": [qthreads0, qthreads1]}
    for key, value in numbers.items():
        record_property(key, value)
    print(f"\nsoak: {numbers}")
    assert (rss1 - rss0) / 1024 < 50, f"RSS grew {(rss1 - rss0) / 1024:.1f} MB over {RUNS} runs"
    assert threads1 <= threads0 and qthreads1 <= qthreads0 and win.runner._thread is None
