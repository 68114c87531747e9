"""Where the app's bundled resources live (the icon, the sample images), and its ids.

The layouts (source tree, installed package, frozen bundle) are told apart once, by
:func:`dpm_studio.core.files.locations.app_root`, which also finds the checkpoints.
"""

from __future__ import annotations

from pathlib import Path

#: The application's reverse-DNS id: the .desktop file, the AppStream metainfo and Wayland's
#: app id use it. The ``.invalid`` top-level domain says the project has no domain of its own yet.
APP_ID = "invalid.dpm_studio.DPMStudio"
#: The themed icon name (``Icon=`` in the .desktop file; the files in ``resources/icons/``).
ICON_NAME = "dpm-studio"
#: Sizes of the rendered PNG icons (``resources/icons/hicolor/NxN/apps/dpm-studio.png``).
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resources_dir() -> Path:
    from .core.files.locations import app_root  # (here: importing the core brings torch, which start-up avoids)

    return app_root() / "resources"


def samples_dir() -> Path:
    return resources_dir() / "samples"


def sample_images() -> list[Path]:
    """The bundled sample images (File > Open Sample), sorted by name."""
    folder = samples_dir()
    if not folder.is_dir():
        return []
    from .core.files.safefiles import PHOTO_FORMATS  # (imported here: the core brings torch)

    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_FORMATS)


def icon_file(size: int | None = None) -> Path:
    """The application icon: the SVG, or the PNG rendered at ``size`` pixels."""
    icons = resources_dir() / "icons" / "hicolor"
    if size is None:
        return icons / "scalable" / "apps" / f"{ICON_NAME}.svg"
    return icons / f"{size}x{size}" / "apps" / f"{ICON_NAME}.png"


# The checkpoint for a user's own photos when nothing else is chosen (command line and app).
DEFAULT_CHECKPOINT = "photos-rgb"
