"""A guard against a PySide6 reference-count bug that aborts the app after a while.

PySide6 6.12.0 on CPython 3.11 drops a reference to the object a call returns when that
object is ``None`` or a bool: every Qt method that returns nothing
(``widget.setEnabled(True)``, ``label.setText(...)``) loses one reference to None, and
every ``signal.emit(...)`` (which returns True) one to True. When a count reaches zero
the interpreter aborts with "Fatal Python error: none_dealloc: deallocating None" (or
"bool_dealloc"). None starts near 70,000 references and one run of the app costs about
700, so the app died after about a hundred runs (found by tests/gui/test_soak.py); True
starts lower still. From CPython 3.12 on these objects are immortal and the bug does no
harm; PySide6 6.11.3 does not have it.

:func:`protect_singletons` measures the leaks once and, only if there is one, does what
3.12 does: it lifts the reference counts of None, True and False by 2**40, far beyond
what any session can use up. They are static objects that are never freed, so the extra
count changes nothing else.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["leaks_per_call", "protect_singletons"]

HEADROOM = 1 << 40
SINGLETONS = (None, True, False)
_state: dict = {}


def leaks_per_call(calls: int = 200) -> dict:
    """References lost per call: to None by a void Qt method, to True by ``signal.emit``."""
    from PySide6.QtCore import QObject, Signal

    class Probe(QObject):
        ping = Signal()

    probe = Probe()
    none0, true0 = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(calls):
        probe.setObjectName("probe")
    none1 = sys.getrefcount(None)
    for _ in range(calls):
        probe.ping.emit()
    true1 = sys.getrefcount(True)
    return {"None": (none0 - none1) / calls, "True": (true0 - true1) / calls}


def _lift(obj) -> bool:
    count = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is PyObject's first field
    if abs(count.value - sys.getrefcount(obj)) > 4:  # a sanity check of that layout
        return False
    count.value += HEADROOM
    return True


def protect_singletons() -> bool:
    """Apply the guard once per process; True if the counts had to be lifted."""
    if "applied" in _state:
        return _state["applied"]
    applied = False
    if sys.implementation.name == "cpython" and sys.version_info < (3, 12) and \
            any(v > 0 for v in leaks_per_call().values()):
        applied = all([_lift(obj) for obj in SINGLETONS])
        if not applied:  # an unusual build (trace-refs): say so rather than guess
            print("dpm-studio: warning: cannot guard against the PySide6 reference leak on this Python "
                  "build; long sessions may abort", file=sys.stderr)
    _state["applied"] = applied
    return applied
