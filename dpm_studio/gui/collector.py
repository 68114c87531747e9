"""The cyclic garbage collector runs in the GUI thread while a worker thread runs.

CPython runs a collection in whichever thread happens to allocate past the collector's threshold,
and a collection frees every unreachable cycle, whichever thread made it. A cycle holding Qt objects
(the Python side of a closed window, dialog or controller: wrappers whose C++ objects the GUI thread
owns, active timers among them) freed in a run's thread deletes those C++ objects from the wrong
thread; the GUI thread's event loop then touches freed memory and the process dies ("Fatal Python
error: Segmentation fault", the faulting thread the GUI thread's event loop). Measured: one full
collection in the run's thread during tests/gui/test_hostile_open_export.py freed 8,501 Qt wrappers
of earlier windows. Any allocation in the run can set it off (a collection starts each time ~700 more
objects are alive than before); the frozen passes' trace made it happen in nearly every run: photos-rgb's
deepcopy and trace leave ~3,500 more objects alive, an eager pass ~50 (docs/speed.md, "The frozen passes'
crash").

So while a worker thread runs (:class:`~dpm_studio.gui.runner.WorkerHost`: a run, an export), the
automatic collector is paused and a GUI-thread timer collects instead, generation by generation
with CPython's own thresholds and its rule for the oldest generation: a full collection only once the
objects moved into it since the last one are a quarter of those it held then (CPython's
long_lived_pending / long_lived_total, counted here from this timer's own collections). Without that rule
(pyqtgraph's GarbageCollector has none) the first tick after ten middle-generation collections ran a full
one: in the first run of a process, a full collection of the whole heap in the GUI thread, 314 ms of a
322 ms stall of the window before the run's first frame (benchmarks/run_press.py; docs/speed.md, "The first
run's stall"). Once the last worker thread has ended, automatic collection resumes as it was.

A plain Python thread the GUI thread starts (the start-up's model listing) is held with
:func:`hold_thread`: held from before its start, released by the GUI thread's timer once the thread has
ended, whatever became of the object that started it. Such a thread never switches the collector on or
off itself: one that did (the listing re-enabled it at its end) switched it back on under a run that had
started meanwhile, and let the collection its next allocations set off run in that thread.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot

__all__ = ["hold", "release", "holding", "hold_thread"]

#: How often the GUI thread looks at the collector's counts while collection is its job (ms).
INTERVAL_MS = 100


class _GuiCollector(QObject):
    """Lives in the GUI thread; counts the worker threads running."""

    def __init__(self):
        super().__init__()
        self.holders = 0
        self.paused_it = False
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.collect)
        self.long_lived: int | None = None   # objects in the oldest generation after the last full collection
        self.pending = 0                     # objects moved into it since (survivors of this timer's collections)
        self.threads: list = []              # hold_thread's (thread, quiet), released once ended
        self.quiet = 0                       # holders that want no collection at all meanwhile (hold_thread)

    @Slot()
    def collect(self):
        """What the automatic collector would do now, here in the GUI thread."""
        for held in [h for h in self.threads if not h[0].is_alive()]:
            self.threads.remove(held)
            self.quiet -= held[1]
            release()
        if self.quiet:   # a hold_thread(quiet=True) thread runs: no collection anywhere
            return
        thresholds, counts = gc.get_threshold(), gc.get_count()
        if thresholds[0] <= 0 or counts[0] <= thresholds[0]:
            return
        # CPython's choice: the oldest generation over its threshold (collecting it collects the younger),
        # the oldest only when a full collection is due (the module docstring)
        g = max(g for g in range(3) if counts[g] > thresholds[g])
        if g == 2 and not self._full_due():
            g = 1 if counts[1] > thresholds[1] else 0
        young = sum(len(gc.get_objects(k)) for k in range(g + 1)) if g == 1 else 0
        found = gc.collect(g)
        if g == 2:
            self.long_lived, self.pending = len(gc.get_objects(2)), 0
        elif g == 1:
            self.pending += max(0, young - found)   # the survivors moved into the oldest generation

    def _full_due(self) -> bool:
        """CPython's rule: pending objects at least a quarter of the long-lived ones. Their count is
        taken the first time it is asked (counting them walks the heap's list once, ~20 ms here)."""
        if self.long_lived is None:
            self.long_lived = len(gc.get_objects(2))
        return self.pending >= self.long_lived // 4


_collector: _GuiCollector | None = None


def hold() -> None:
    """A worker thread is about to start (call in the GUI thread): no collection runs outside it
    until :func:`release`."""
    global _collector
    if _collector is None:
        _collector = _GuiCollector()
    c = _collector
    if c.holders == 0:
        c.paused_it = gc.isenabled()
        if c.paused_it:
            gc.disable()
        c.timer.start()
    c.holders += 1


def release() -> None:
    """A worker thread :func:`hold` was called for has ended (call in the GUI thread)."""
    c = _collector
    if c is None or c.holders == 0:
        return
    c.holders -= 1
    if c.holders == 0:
        c.timer.stop()
        if c.paused_it:
            gc.enable()
        c.paused_it = False


def hold_thread(thread, quiet: bool = False) -> None:
    """Start ``thread`` (a ``threading.Thread``, not yet started; call in the GUI thread) under a hold: the
    hold ends at the first tick of the GUI thread's timer after the thread has ended. ``quiet``: no
    collection at all until then, not even in the GUI thread (a thread that makes many objects that live
    as long as the app and freezes them at its end: the start-up's import of torch)."""
    hold()
    c = _collector
    c.quiet += bool(quiet)
    c.threads.append((thread, bool(quiet)))
    thread.start()


def holding() -> int:
    """How many worker threads hold the collector in the GUI thread now."""
    return 0 if _collector is None else _collector.holders
