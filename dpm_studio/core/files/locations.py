"""Where the core finds checkpoints, in one place: $DPM_STUDIO_CHECKPOINTS, the user's folder,
and the ones that come with the app (source tree, installed package, or a frozen bundle).

Standard library only (the core's files-and-checkpoints wing): ``core/files/checkpoint.py`` lists
and resolves checkpoints from here, and :mod:`dpm_studio.paths` finds the app's resources
from the same :func:`app_root`. The layouts:

- a source checkout or an editable install (``pip install -e .``): the folders beside the
  ``dpm_studio`` package, at the top of the repository;
- a PyInstaller bundle (``packaging/dpm-studio.spec``): ``sys.frozen`` is set and the
  folders are unpacked under ``sys._MEIPASS`` (``dist/dpm-studio/_internal/``);
- a wheel: ``resources/`` is installed as data files under ``<prefix>/share/dpm-studio/``
  (see ``[tool.setuptools.data-files]`` in ``pyproject.toml``).
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path

_SOURCE_ROOT = Path(__file__).resolve().parents[3]  # dpm_studio/core/files/locations.py -> the source tree


def is_frozen() -> bool:
    """True inside a PyInstaller (or similar) bundle."""
    return bool(getattr(sys, "frozen", False))


def app_root() -> Path:
    """The folder holding ``resources/`` and ``checkpoints/``.

    A PyInstaller bundle unpacks them under ``sys._MEIPASS``; a source checkout (or an
    editable install) has them beside the package; a wheel install has ``resources/``
    under ``<prefix>/share/dpm-studio``.
    """
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    if is_frozen():  # a freezer without _MEIPASS: the files sit beside the executable
        return Path(sys.executable).resolve().parent
    if (_SOURCE_ROOT / "resources").is_dir() or (_SOURCE_ROOT / "checkpoints").is_dir():
        return _SOURCE_ROOT
    installed = Path(sys.prefix) / "share" / "dpm-studio"
    if installed.is_dir():
        return installed
    return _SOURCE_ROOT


def checkpoint_dirs() -> list[Path]:
    """Folders searched for checkpoints, in order: $DPM_STUDIO_CHECKPOINTS (a path list),
    the user's folder, then the shipped ``checkpoints/``."""
    dirs = [Path(p) for p in dict.fromkeys(os.environ.get("DPM_STUDIO_CHECKPOINTS", "").split(os.pathsep)) if p]
    dirs.append(user_checkpoints_dir())
    dirs.append(shipped_checkpoints_dir())
    return dirs


def user_checkpoints_dir() -> Path:
    """The user's own checkpoints: $XDG_DATA_HOME/dpm-studio/checkpoints (~/.local/share/...)."""
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "dpm-studio" / "checkpoints"


def checkpoint_source(path) -> str:
    """Which of :func:`checkpoint_dirs` holds ``path``: "env" ($DPM_STUDIO_CHECKPOINTS), "user",
    "shipped", or "elsewhere" (a path given directly)."""
    folder = Path(path).resolve().parent
    env, user, shipped = _resolved_dirs(os.environ.get("DPM_STUDIO_CHECKPOINTS", ""), str(user_checkpoints_dir()),
                                        str(shipped_checkpoints_dir()))
    if folder in env:
        return "env"
    if folder == user:
        return "user"
    if folder == shipped:
        return "shipped"
    return "elsewhere"


@lru_cache(maxsize=4)
def _resolved_dirs(env: str, user: str, shipped: str):
    """The checkpoint folders resolved once per setting, as a set: resolving all of them for every
    card was quadratic (2,000 folders in $DPM_STUDIO_CHECKPOINTS: minutes; 8,000 never ended)."""
    return frozenset(Path(p).resolve() for p in env.split(os.pathsep) if p), Path(user).resolve(), \
        Path(shipped).resolve()


def shipped_checkpoints_dir() -> Path:
    """The checkpoints that come with the app (the last of :func:`checkpoint_dirs`)."""
    return app_root() / "checkpoints"
