"""The guard against PySide6's reference leak on None and True (6.12.0 on CPython 3.11):
without it a session aborts after some thousands of Qt calls; with it, it does not."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dpm_studio.gui.qtfix import leaks_per_call, protect_singletons

STRESS = """
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
if {guard}:
    from dpm_studio.gui.qtfix import protect_singletons
    protect_singletons()

class O(QObject):
    ping = Signal(bool)

w, o = QWidget(), O()
for _ in range(300_000):  # more calls than None and True have references to lose
    w.setEnabled(True)
    o.ping.emit(False)
print("alive")
"""


def _stress(guard: bool):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-c", STRESS.format(guard=guard)], capture_output=True, text=True,
                          env=env, timeout=180)


def test_the_window_is_guarded(win):
    if any(v > 0 for v in leaks_per_call().values()):
        assert protect_singletons()
        assert min(sys.getrefcount(o) for o in (None, True, False)) > 2 ** 39, "lifted when the window was made"
    else:
        assert not protect_singletons()


def test_a_long_session_survives_with_the_guard():
    r = _stress(guard=True)
    assert r.returncode == 0 and "alive" in r.stdout, r.stderr[-2000:]


def test_without_the_guard_the_leak_is_fatal_where_present():
    if not any(v > 0 for v in leaks_per_call().values()):
        pytest.skip("this PySide6 does not leak references")
    r = _stress(guard=False)
    assert r.returncode != 0 and "_dealloc: deallocating" in r.stderr
