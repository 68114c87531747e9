"""The app's settings without unpickling, without following a planted link, and never trusted.

PySide stores a Python object it cannot map to a Qt type as ``@Variant(...PyObjectWrapper...)``,
a pickle, and unpickles it again when the value is read: a planted settings file could run
code at start-up. The app only ever writes numbers, strings, booleans, string lists and
``@ByteArray`` blobs (window geometry), so before QSettings parses the file every key whose
value Qt would decode as ``@Variant`` is dropped from it (the file is left alone when it has
none; a file name holding ``@Variant(`` is no such value: Qt writes a leading ``@`` as ``@@``).

A settings path that is not a regular file (a FIFO, a device, a folder, a link to one of
them, a dangling link) or one over 1 MB is never opened by Qt: Qt would block on a FIFO and,
when saving, replace what a link points at. The app then runs on its defaults in memory
(:class:`MemorySettings`) and says so in one status-bar line (:func:`open_settings`).

Qt locks the file while saving through ``<file>.lock`` (QLockFile). A lock path that is a link
(to anything: a FIFO, a folder or a dangling link made Qt wait forever when saving; a link to a
regular file cost 35 s), a FIFO, a folder or a device is never Qt's own: the app then reads the
settings but never saves them (:func:`lock_problem`; checked at start and again before saving),
says so in one status-bar line, and never touches the lock path or what it points at.

Every value read goes through :class:`Checked`: the wrong type or out of range falls back to
the default, and the keys so reset make one status-bar line.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

MAX_SETTINGS_BYTES = 1 << 20
#: The names QSettings files the app's settings under (gui/app.py gives them to the QApplication).
ORG_NAME = "DPM Studio"
APP_NAME = "dpm-studio"

# Qt's INI reader turns these escapes into "@" (hex, octal): a value spelled with one is not ours.
_AT_ESCAPE = re.compile(r"\\x0*40(?![0-9a-fA-F])|\\0*100(?![0-7])", re.IGNORECASE)
_DECODED = ("@Variant(", "@DateTime(")  # the values Qt decodes with QDataStream (PySide: a pickle)


def _elements(value: str) -> list[str]:
    """The elements of an INI value as Qt splits a string list (commas outside quotes)."""
    out, cur, quoted = [], [], False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            out.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur))
    return [e.strip().lstrip('"') for e in out]


def _decoded_value(value: str) -> bool:
    """Whether Qt would run the INI value (or an element of it) through QDataStream."""
    if _AT_ESCAPE.search(value):
        return True
    return any(e.startswith(_DECODED) for e in _elements(value))


def _logical_lines(text: str) -> list[str]:
    """The file's lines, a line ending in an odd number of backslashes joined to the next (as Qt reads)."""
    out, cur = [], ""
    for line in text.splitlines(keepends=True):
        cur += line
        body = line.rstrip("\r\n")
        if (len(body) - len(body.rstrip("\\"))) % 2 == 1 and line != body:
            continue
        out.append(cur)
        cur = ""
    if cur:
        out.append(cur)
    return out


def settings_problem(path) -> str:
    """Why the settings file ``path`` must not be opened by Qt ('' when it may: a regular file,
    or a link to one, of at most 1 MB, or nothing there yet)."""
    p = Path(path)
    try:
        lst = os.lstat(p)
    except FileNotFoundError:
        return ""
    except OSError as e:
        return f"it cannot be examined ({e.strerror})"
    try:
        st = os.stat(p)
    except OSError:
        return "it is a link to nothing" if stat.S_ISLNK(lst.st_mode) else "it cannot be examined"
    if not stat.S_ISREG(st.st_mode):
        kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        return f"it is {'a link to ' if stat.S_ISLNK(lst.st_mode) else ''}{kind}"
    if st.st_size > MAX_SETTINGS_BYTES:
        return f"it is {st.st_size:,} bytes, far more than settings take"
    return ""


def lock_problem(path) -> str:
    """Why Qt must not lock the settings file ``path`` ('' when it may): its lock file
    ``path.lock`` exists and is not a regular file (a link, even to a regular file, a FIFO, a
    folder, a device). Only ``lstat``: the lock path is never followed, opened or removed."""
    lock = Path(str(path) + ".lock")
    try:
        st = os.lstat(lock)
    except FileNotFoundError:
        return ""
    except OSError as e:
        return f"its lock file {lock} cannot be examined ({e.strerror})"
    if stat.S_ISREG(st.st_mode):
        return ""
    kind = ("a link" if stat.S_ISLNK(st.st_mode) else "a folder" if stat.S_ISDIR(st.st_mode)
            else "a FIFO" if stat.S_ISFIFO(st.st_mode) else "not a regular file")
    return f"its lock file {lock} is {kind}"


def read_only(settings, name: str):
    """:class:`MemorySettings` holding what ``settings`` (a QSettings) reads now: reading takes no lock."""
    memory = MemorySettings(name)
    for key in settings.allKeys():
        try:
            memory.setValue(key, settings.value(key))
        except Exception:  # a value Qt cannot convert: Checked would reset it anyway
            pass
    return memory


def scrub(path) -> list[str]:
    """Drop every key whose value Qt would decode as ``@Variant`` (a possible pickle) from an INI
    settings file; returns their keys. Only a regular file is read; everything else stays."""
    path = Path(path)
    if settings_problem(path) or not path.exists():
        return []
    try:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return []
    if "Variant(" not in text and "DateTime(" not in text and not _AT_ESCAPE.search(text):
        return []
    dropped, kept = [], []
    for line in _logical_lines(text):
        key, eq, value = line.partition("=")
        if eq and _decoded_value(value.replace("\\\n", "").strip()):
            dropped.append(key.strip())
        else:
            kept.append(line)
    if not dropped:
        return []
    try:
        from ..core.files.atomic import atomic_write

        clean = "".join(kept)
        atomic_write(path, lambda tmp: Path(tmp).write_text(clean, encoding="utf-8", errors="surrogateescape"))
    except OSError:
        pass
    return dropped


class MemorySettings:
    """Settings held in memory only (what :func:`open_settings` gives when the file is unusable):
    the subset of QSettings the app uses, never written anywhere."""

    def __init__(self, file_name: str = ""):
        self._values: dict = {}
        self._file = file_name

    def value(self, key, default=None, type=None):  # noqa: A002 - QSettings' own keyword
        return self._values.get(key, default)

    def setValue(self, key, value):  # noqa: N802 - QSettings' API
        self._values[key] = value

    def remove(self, key):
        self._values.pop(key, None)

    def contains(self, key) -> bool:
        return key in self._values

    def allKeys(self) -> list:  # noqa: N802
        return list(self._values)

    def sync(self):
        pass

    def fileName(self) -> str:  # noqa: N802
        return self._file

    def format(self):
        return None


def default_settings_path() -> Path | None:
    """Where QSettings() keeps the app's settings on Linux and the BSDs (None elsewhere: native formats)."""
    if sys.platform.startswith(("win", "darwin")):
        return None
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / ORG_NAME / f"{APP_NAME}.conf"


def open_settings(settings=None):
    """(settings, note): the given QSettings (or the app's own file) after :func:`scrub`; or, when
    that file is not a regular file of a sane size, :class:`MemorySettings` and the note saying so."""
    from PySide6.QtCore import QSettings

    if settings is None:
        path = default_settings_path()
        if path is None:
            settings = QSettings()
        else:
            problem = settings_problem(path)
            if problem:
                return MemorySettings(str(path)), _read_only_note(path, problem)
            settings = QSettings(str(path), QSettings.IniFormat)
    name = settings.fileName() if hasattr(settings, "fileName") else ""
    if isinstance(settings, QSettings) and settings.format() == QSettings.IniFormat and name:
        problem = settings_problem(name)
        if problem:
            return MemorySettings(name), _read_only_note(name, problem)
        locked = lock_problem(name)
        if not locked and scrub(name):
            settings.sync()  # re-read the cleaned file
        if locked:
            return read_only(settings, name), _unsaved_note(name, locked)
    return settings, ""


def guard_save(settings):
    """(settings, note) before saving: a QSettings whose lock path has become a link (or a FIFO, a
    folder) since the start is swapped for an in-memory copy, so the save never goes there."""
    from PySide6.QtCore import QSettings

    if isinstance(settings, QSettings) and settings.format() == QSettings.IniFormat and settings.fileName():
        locked = lock_problem(settings.fileName())
        if locked:
            return read_only(settings, settings.fileName()), _unsaved_note(settings.fileName(), locked)
    return settings, ""


def _unsaved_note(path, problem: str) -> str:
    return f"Settings file {path} is read but not saved ({problem}; remove it to save settings again)"


def _read_only_note(path, problem: str) -> str:
    return (f"Settings file {path} is not used ({problem}): running on the default settings, "
            "and nothing is saved there")


class Checked:
    """Reads settings with a type and a range each. A value of the wrong type or out of range gives
    the default instead and its key is remembered in ``reset`` (a missing value is no problem)."""

    def __init__(self, settings):
        self.settings = settings
        self.reset: list[str] = []

    def _raw(self, key):
        try:
            return self.settings.value(key, None)
        except Exception:  # a value Qt cannot convert to Python
            self.reset.append(key)
            return None

    def _bad(self, key, default):
        self.reset.append(key)
        return default

    def number(self, key: str, default, lo, hi):
        """An int (or a float when ``default`` is a float) within [lo, hi]."""
        v = self._raw(key)
        if v is None:
            return default
        kind = type(default)
        try:
            if isinstance(v, bool) or isinstance(v, (list, tuple, bytes)):
                raise TypeError
            x = float(v) if kind is float else int(str(v).strip())
        except (TypeError, ValueError, OverflowError):
            return self._bad(key, default)
        if not (lo <= x <= hi):  # NaN fails too
            return self._bad(key, default)
        return x

    def flag(self, key: str, default: bool) -> bool:
        v = self._raw(key)
        if v is None:
            return default
        if isinstance(v, bool):
            return v
        s = str(v).strip().lower() if isinstance(v, str) else ""
        if s in ("true", "1"):
            return True
        if s in ("false", "0"):
            return False
        return self._bad(key, default)

    def text(self, key: str, default: str = "", choices=None) -> str:
        v = self._raw(key)
        if v is None:
            return default
        if not isinstance(v, str) or "\0" in v or (choices is not None and v not in choices):
            return self._bad(key, default)
        return v

    def texts(self, key: str, limit: int = 1000) -> list[str]:
        v = self._raw(key)
        if v is None:
            return []
        if isinstance(v, str):
            v = [v] if v else []
        if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) and "\0" not in x for x in v):
            return self._bad(key, [])
        return list(v)[:limit]

    def blob(self, key: str):
        """A QByteArray (window geometry and state), or None."""
        from PySide6.QtCore import QByteArray

        v = self._raw(key)
        if v is None:
            return None
        if isinstance(v, (bytes, bytearray)):
            return QByteArray(bytes(v))
        if not isinstance(v, QByteArray):
            return self._bad(key, None)
        return v

    def note(self) -> str:
        """One status-bar line naming the settings reset ('' when none)."""
        if not self.reset:
            return ""
        keys = list(dict.fromkeys(self.reset))
        return (f"Setting{'s' if len(keys) > 1 else ''} {', '.join(keys)} "
                f"{'were' if len(keys) > 1 else 'was'} unreadable or out of range: using the default")
