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


#: The model each task runs when none is chosen: the command line (``--checkpoint`` left out), the
#: API (``checkpoint=None``) and the app (a task whose model the user has not picked) all read it
#: here, through :func:`default_checkpoint`, at the moment they need it. One model need not be best
#: at everything: a network that denoises better may inpaint no better and slower. A saved result
#: records the checkpoint it was made with (name and weights' SHA-256), so changing an entry here
#: never changes what a replay runs.
DEFAULT_CHECKPOINTS = {"denoise": "photos-rgb-v2", "inpaint": "photos-rgb", "sample": "photos-rgb"}


def default_checkpoint(task: str) -> str:
    """The checkpoint ``task`` ("denoise", "inpaint" or "sample") runs when none is chosen."""
    try:
        return DEFAULT_CHECKPOINTS[task]
    except KeyError:
        raise ValueError(f"no default checkpoint for the task {task!r}: one of "
                         f"{', '.join(DEFAULT_CHECKPOINTS)}") from None


#: Deprecated: one default for every task, from before the defaults were per task. Kept importable
#: (``dpm_studio.api.DEFAULT_CHECKPOINT``) for scripts that name it; it is the inpainting (and
#: sampling) default, the general photo model, which a model better only at denoising does not
#: replace. Use :func:`default_checkpoint` (nothing in dpm_studio reads this name).
DEFAULT_CHECKPOINT = DEFAULT_CHECKPOINTS["inpaint"]
