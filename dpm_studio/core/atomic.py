"""Atomic file writes: a temporary file in the target folder, then a rename.

A write that fails (a full disk, a permission problem, an exception in the writer) leaves
no partial file behind and the previous version, if any, untouched.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path, write) -> Path:
    """Call ``write(tmp_path)`` to fill a temporary file, then move it onto ``path``.

    The new file gets the permissions an ordinary new file would (mkstemp's are 0600).
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _default_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
