"""The app's settings without unpickling: a QSettings whose file holds typed values only.

PySide stores a Python object it cannot map to a Qt type as ``@Variant(...PyObjectWrapper...)``,
a pickle, and unpickles it again when the value is read: a planted settings file could run
code at start-up. The app only ever writes numbers, strings, booleans, string lists and
``@ByteArray`` blobs (window geometry), so before QSettings parses the file every
``@Variant`` entry is dropped from it (and the file is left alone when it has none).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

_VARIANT = re.compile(r"^[^=\n]*=\s*@Variant\(.*$", re.MULTILINE)
MAX_SETTINGS_BYTES = 1 << 20


def scrub(path) -> list[str]:
    """Drop every ``@Variant`` value (a possible pickle) from an INI settings file; returns their keys."""
    path = Path(path)
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return []
        if st.st_size > MAX_SETTINGS_BYTES:  # not ours: start from defaults rather than parse it
            path.rename(path.with_name(path.name + ".too-large"))
            return ["(all)"]
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    if "@Variant(" not in text:
        return []
    dropped = [m.group(0).split("=", 1)[0].strip() for m in _VARIANT.finditer(text)]
    clean = _VARIANT.sub("", text)
    if "@Variant(" in clean:  # a value spread over lines we cannot parse: keep nothing of it
        clean = ""
    try:
        from ..core.atomic import atomic_write

        atomic_write(path, lambda tmp: Path(tmp).write_text(clean, encoding="utf-8"))
    except OSError:
        return dropped
    return dropped


def safe_settings(settings=None):
    """``settings`` (or the app's default QSettings) after :func:`scrub` of its file."""
    from PySide6.QtCore import QSettings

    if settings is None:
        settings = QSettings()
    if settings.format() in (QSettings.IniFormat, QSettings.NativeFormat) and settings.fileName():
        if scrub(settings.fileName()):
            settings.sync()  # re-read the cleaned file
    return settings


def typed_value(settings, key: str, default):
    """The setting ``key`` as the type of ``default`` (int, float, bool or str); ``default`` when it is
    missing or does not convert (a hand-edited ``steps=abc`` must not stop the app from starting)."""
    kind = type(default)
    try:
        v = settings.value(key, default)
        if kind is bool:
            return v if isinstance(v, bool) else str(v).strip().lower() in ("true", "1", "yes")
        out = kind(v)
        if kind is float and out != out:
            return default
        return out
    except (TypeError, ValueError, OverflowError):
        return default
