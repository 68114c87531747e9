"""Where bundled files live, in one place: source tree, installed package, or a frozen bundle.

Everything that reads a shipped file (``resources/``: the icon, the sample images; and
``checkpoints/``) asks this module, so the three layouts are handled here only:

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

#: The application's reverse-DNS id: the .desktop file, the AppStream metainfo and Wayland's
#: app id use it. The ``.invalid`` top-level domain says the project has no domain of its own yet.
APP_ID = "invalid.dpm_studio.DPMStudio"
#: The themed icon name (``Icon=`` in the .desktop file; the files in ``resources/icons/``).
ICON_NAME = "dpm-studio"
#: Sizes of the rendered PNG icons (``resources/icons/hicolor/NxN/apps/dpm-studio.png``).
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

_SOURCE_ROOT = Path(__file__).resolve().parent.parent


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


def resources_dir() -> Path:
    return app_root() / "resources"


def samples_dir() -> Path:
    return resources_dir() / "samples"


def sample_images() -> list[Path]:
    """The bundled sample images (File > Open Sample), sorted by name."""
    folder = samples_dir()
    if not folder.is_dir():
        return []
    from .core.safefiles import PHOTO_FORMATS  # (imported here: the core brings torch)

    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_FORMATS)


def icon_file(size: int | None = None) -> Path:
    """The application icon: the SVG, or the PNG rendered at ``size`` pixels."""
    icons = resources_dir() / "icons" / "hicolor"
    if size is None:
        return icons / "scalable" / "apps" / f"{ICON_NAME}.svg"
    return icons / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"


# The checkpoint for a user's own photos when nothing else is chosen (command line and app).
DEFAULT_CHECKPOINT = "photos-rgb"
