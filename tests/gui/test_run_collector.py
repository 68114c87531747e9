"""The cyclic garbage collector never runs in a run's thread (gui/collector.py).

A collection there frees whatever unreachable cycles exist, earlier windows' Qt objects among them, from the
wrong thread: the GUI thread's event loop then touched freed memory and the process died with a segmentation
fault (a clean-clone CI run, the frozen passes' trace leaving ~3,500 new objects in the run thread; one full
collection there freed 8,501 Qt wrappers of earlier windows). While a worker thread runs, the GUI thread
collects instead."""

from __future__ import annotations

import gc
import threading

import pytest

from dpm_studio.core.run import frozen, tasks
from dpm_studio.gui import collector


def no_holds(qtbot):
    """Wait until no worker thread holds the collector: a test that switches collection on itself under a hold
    (the window's model loading in a thread since d5948ea, or an earlier test's Accept measure still running)
    lets the next worker thread start with collection on, and a collection falls in it (these tests failed when
    run alone, and once in the whole suite)."""
    qtbot.waitUntil(lambda: collector.holding() == 0, timeout=30_000)


@pytest.fixture
def collections(qtbot, win):
    """(thread name, generation) of every collection started while the test runs; the collector's
    thresholds lowered (a collection every 50 allocations) so that one falls in any thread that allocates.
    Collection is switched on only once no worker thread holds the collector (:func:`no_holds`)."""
    no_holds(qtbot)
    seen = []

    def record(phase, info):
        if phase == "start":
            seen.append((threading.current_thread().name, info["generation"]))

    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    gc.enable()
    gc.set_threshold(50, 2, 2)
    gc.callbacks.append(record)
    yield seen
    gc.callbacks.remove(record)
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


def test_an_inpainting_with_frozen_passes_collects_only_in_the_gui_thread(qtbot, win, collections, monkeypatch):
    from gui_helpers import image_with_mask

    traced, trace = [], frozen._trace

    def recorded(*args):
        out = trace(*args)
        traced.append(threading.current_thread().name)
        return out

    monkeypatch.setattr(frozen, "_trace", recorded)
    # The frozen passes are bf16 passes, which "auto" precision takes only on a CPU with native bf16:
    # on any other CPU (an AMD EPYC without avx512_bf16, seen here) the run would go fp32 and trace nothing.
    from dpm_studio.core.machine import devices
    from dpm_studio.core.run import jobs
    monkeypatch.setattr(devices, "native_bf16", lambda device: True)
    monkeypatch.setattr(jobs, "native_bf16", lambda device: True)
    for net in list(frozen._FROZEN.keys()):  # a network an earlier test traced (models are shared): traced again
        frozen.forget(net)

    assert "inpaint" in tasks.FROZEN_TASKS  # the app's default: the frozen passes are on
    image_with_mask(win)
    qtbot.waitUntil(lambda: collector.holding() == 0)   # the opened image's noise level: measured in a thread
    win.task_panel.steps.setValue(3)
    gui = threading.current_thread().name
    with qtbot.waitSignal(win.runner.finished, timeout=60_000):
        assert win.runs.run()
        during = (gc.isenabled(), collector.holding())
    assert [c for c in collections if c[0] != gui] == []  # none in the run's thread
    assert during == (False, 1)  # while the thread ran, collecting was the GUI thread's job
    assert any(c[0] == gui for c in collections)  # the GUI thread's timer collected meanwhile
    assert traced and all(name != gui for name in traced)  # the run traced in its own thread (else this proves nothing)
    assert gc.isenabled() and collector.holding() == 0  # the thread has ended: automatic collection as before


def test_the_collector_is_held_per_thread_and_restores_what_it_found(qapp):
    enabled = gc.isenabled()
    try:
        for start in (True, False):
            (gc.enable if start else gc.disable)()
            collector.hold()
            collector.hold()  # a run and an export at once
            assert not gc.isenabled() and collector.holding() == 2
            collector.release()
            assert not gc.isenabled()
            collector.release()
            collector.release()  # one too many: ignored
            assert gc.isenabled() is start and collector.holding() == 0
    finally:
        (gc.enable if enabled else gc.disable)()


def test_the_gui_threads_collector_runs_a_full_collection_only_when_cpython_would(qtbot, monkeypatch):
    """The timer's collection follows CPython's rule for the oldest generation: a full collection once the
    objects moved into it since the last are a quarter of those it held. Without the rule the first run of
    a process paid a full collection of the heap in the GUI thread (314 ms of the window's 322 ms stall)."""
    seen = []

    def record(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    c = collector._GuiCollector()
    monkeypatch.setattr(gc, "get_threshold", lambda: (700, 10, 10))
    gc.callbacks.append(record)
    try:
        # counts: the youngest generation over its threshold, the oldest over its own, the middle one not/so
        for counts, pending, expected in (((800, 3, 11), 0, 0), ((800, 11, 11), 0, 1), ((800, 3, 11), 249, 0),
                                          ((800, 3, 11), 250, 2)):
            monkeypatch.setattr(gc, "get_count", lambda: counts)
            c.long_lived, c.pending = 1000, pending
            seen.clear()
            c.collect()
            assert seen == [expected], (counts, pending, seen)
        assert c.pending == 0 and abs(c.long_lived - len(gc.get_objects(2))) < 1000   # counted again after it
    finally:
        gc.callbacks.remove(record)


def test_the_model_listing_thread_leaves_the_collector_to_the_gui_thread(qtbot, make_window, monkeypatch):
    """The start-up's listing thread (gui/checkpoints._scan) is held as any worker thread is: the collector
    is paused from the GUI thread while it runs, and the thread never switches it back on itself: it used to,
    at its end, under a run started meanwhile (which then ran with automatic collection on: a collection in
    the run's thread), and that run's hold, taken while the listing had it off, never switched it back on."""
    from dpm_studio.core.files import checkpoint

    win = make_window()
    scan, entered, go = checkpoint.scan_cards, threading.Event(), threading.Event()

    def slow_scan(*a, **k):
        entered.set()
        assert go.wait(30)
        return scan(*a, **k)

    monkeypatch.setattr(checkpoint, "scan_cards", slow_scan)
    no_holds(qtbot)
    enabled = gc.isenabled()
    gc.enable()
    try:
        thread = win.checkpoints.refresh_in_background()
        assert entered.wait(30)
        assert not gc.isenabled() and collector.holding() == 1   # held by the GUI thread for the listing
        collector.hold()                                          # a run starts while the models are listed
        go.set()
        thread.join(30)
        qtbot.waitUntil(lambda: not win.checkpoints.listing and collector.holding() == 1, timeout=10_000)
        assert not gc.isenabled()                                 # still off: the run's thread is running
        collector.release()                                       # the run ends
        assert gc.isenabled() and collector.holding() == 0
        assert win.task_panel.cards()                             # the listing itself still arrived
    finally:
        gc.unfreeze()
        (gc.enable if enabled else gc.disable)()
