"""The core is pure torch/numpy: importing it must not load Qt."""

import subprocess
import sys


def test_core_import_loads_no_qt():
    code = ("import sys, dpm_studio.core, dpm_studio.core.files.checkpoint, dpm_studio.core.train.training;"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'PyQt5', 'PyQt6')"
            " or m.startswith('dpm_studio.gui')];"
            "print(','.join(bad)); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, f"Qt modules imported by the core: {r.stdout} {r.stderr}"
