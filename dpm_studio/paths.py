"""Where bundled files live, in one place: source tree, installed package, or a frozen bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def app_root() -> Path:
    """The folder holding ``resources/`` and ``checkpoints/``.

    A PyInstaller bundle unpacks them under ``sys._MEIPASS``; a source checkout (or an
    editable install) has them beside the package.
    """
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def checkpoint_dirs() -> list[Path]:
    """Folders searched for checkpoints, in order: $DPM_STUDIO_CHECKPOINTS (a path list),
    the user's folder, then the shipped ``checkpoints/``."""
    dirs = [Path(p) for p in os.environ.get("DPM_STUDIO_CHECKPOINTS", "").split(os.pathsep) if p]
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    dirs.append(data_home / "dpm-studio" / "checkpoints")
    dirs.append(app_root() / "checkpoints")
    return dirs


def resources_dir() -> Path:
    return app_root() / "resources"
