"""Can the window open here? Checked before Qt starts, so a stock desktop gets a fix, not an abort.

Qt aborts the process (SIGABRT, a paragraph about platform plugins) when it has no display
or when its X11 plugin cannot load a system library, and its message names
``libxcb-cursor0`` whatever is missing. :func:`display_problem` looks first, in a few tens
of milliseconds and without importing Qt: which platform Qt would pick (``QT_QPA_PLATFORM``,
``WAYLAND_DISPLAY``, ``DISPLAY``), whether that display's socket answers, and whether the
platform plugin's shared libraries all load (the ELF ``DT_NEEDED`` entries of
``libqxcb.so`` / ``libQt6XcbQpa.so.6`` or ``libqwayland.so`` and of the Qt libraries they
load, each found in Qt's own folder, the bundle, or by the system loader). It returns one
line saying what is missing and the packages to install, or None. Linux only; elsewhere Qt
brings what it needs.
"""

from __future__ import annotations

import ctypes
import os
import socket
import struct
import sys
from pathlib import Path

__all__ = ["display_problem", "needed_libraries", "missing_libraries", "PACKAGES"]

#: soname -> (Debian/Ubuntu package, Fedora package) for what Qt's xcb and wayland plugins need.
PACKAGES = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl"),
}
#: Platforms that need no display server (Qt's own names).
HEADLESS = ("offscreen", "minimal", "minimalegl", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")
HOW_TO_RUN_HEADLESS = ("the command line needs no display (dpm-studio inpaint|denoise --help), and "
                       "'dpm-studio self-test' checks the app offscreen")


def needed_libraries(path) -> tuple[list[str], list[str]]:
    """(DT_NEEDED sonames, DT_RUNPATH/DT_RPATH folders) of a 64-bit little-endian ELF file."""
    data = Path(path).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    dynamic = next((s for s in sections if s[1] == 6), None)  # SHT_DYNAMIC
    if dynamic is None:
        return [], []
    strtab = sections[dynamic[6]]  # sh_link: the string table
    needed, paths = [], []

    def string(off):
        start = strtab[4] + off
        return data[start:data.index(b"\0", start)].decode()

    for k in range(dynamic[5] // 16):
        tag, val = struct.unpack_from("<qQ", data, dynamic[4] + 16 * k)
        if tag == 0:
            break
        if tag == 1:  # DT_NEEDED
            needed.append(string(val))
        elif tag in (15, 29):  # DT_RPATH, DT_RUNPATH
            origin = str(Path(path).resolve().parent)
            paths += [p.replace("$ORIGIN", origin).replace("${ORIGIN}", origin) for p in string(val).split(":") if p]
    return needed, paths


def missing_libraries(files) -> list[str]:
    """The sonames ``files`` need that neither sit beside Qt nor load from the system.

    Qt's own libraries found beside it are followed too (the plugin needs ``libQt6Gui``, which
    needs ``libEGL``, ``libfontconfig``, ``libQt6DBus`` -> ``libdbus-1``, ...), as ``ldd`` does:
    on a bare Debian the plugin's direct needs alone left the window failing on ``libEGL.so.1``.
    System libraries are left to the loader, which loads their own needs with them.
    """
    missing: list[str] = []
    queue, seen = [Path(f) for f in files], set()
    while queue:
        f = queue.pop(0)
        if f.resolve() in seen:
            continue
        seen.add(f.resolve())
        needed, folders = needed_libraries(f)
        folders = [*folders, str(f.resolve().parent)]
        if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
            folders.append(sys._MEIPASS)  # a PyInstaller bundle carries the build machine's copies
        for name in needed:
            if name in missing:
                continue
            beside = next((Path(d, name) for d in folders if Path(d, name).exists()), None)
            if beside is not None:
                if name.startswith("libQt6") and beside.stat().st_size:
                    queue.append(beside)
                continue
            try:
                ctypes.CDLL(name)  # the system loader's own search (ld.so.cache, LD_LIBRARY_PATH, ...)
            except OSError:
                missing.append(name)
    return missing


def _qt_dir() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "Qt"


def _plugin_files(platform: str) -> list[Path]:
    qt = _qt_dir()
    if qt is None:
        return []
    files = {"xcb": [qt / "plugins/platforms/libqxcb.so", qt / "lib/libQt6XcbQpa.so.6"],
             "wayland": [qt / "plugins/platforms/libqwayland.so"]}[platform]
    return [f for f in files if f.exists()]


def _x_answers(display: str) -> bool:
    """Whether a local X display's socket accepts a connection (remote displays are assumed to)."""
    host, _, rest = display.rpartition(":")
    if host not in ("", "unix") or not rest:
        return True
    number = rest.split(".")[0]
    for address in ("\0/tmp/.X11-unix/X" + number, "/tmp/.X11-unix/X" + number):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(0.5)
                s.connect(address)
            return True
        except OSError:
            continue
    return False


def _wayland_answers(name: str, env) -> bool:
    path = Path(name) if name.startswith("/") else Path(env.get("XDG_RUNTIME_DIR", "/nonexistent"), name)
    return path.exists()


def _install_hint(libs: list[str]) -> str:
    deb = sorted({PACKAGES[n][0] for n in libs if n in PACKAGES})
    rpm = sorted({PACKAGES[n][1] for n in libs if n in PACKAGES})
    if not deb:
        return "install the packages that provide them"
    them = "them" if len(libs) > 1 else "it"
    return f"install {them}: sudo apt install {' '.join(deb)} (Fedora: sudo dnf install {' '.join(rpm)})"


#: platform -> (its variable, the plugin's name in messages, how to tell the server answers, what is absent)
_PLATFORMS = {
    "xcb": ("DISPLAY", "X11 (xcb)", lambda value, env: _x_answers(value), "no X server answers on DISPLAY={}"),
    "wayland": ("WAYLAND_DISPLAY", "Wayland", _wayland_answers, "no Wayland compositor at WAYLAND_DISPLAY={}"),
}


def _platform_problem(platform: str, env, missing_fn) -> str | None:
    if platform not in _PLATFORMS:
        return None  # a platform we do not know how to check: let Qt try
    variable, label, answers, silent = _PLATFORMS[platform]
    value = env.get(variable, "")
    if not value:
        return f"no {label.split()[0]} display: {variable} is unset"
    files = _plugin_files(platform)
    missing = missing_fn(files) if files else []
    if missing:
        return (f"Qt's {label} platform plugin cannot load: {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} missing; {_install_hint(missing)}")
    return None if answers(value, env) else silent.format(value)


def _unknown_platforms(candidates: list[str], env) -> str | None:
    """A line when QT_QPA_PLATFORM names only platforms with no plugin here (Qt would abort, exit 134)."""
    qt = _qt_dir()
    folder = qt / "plugins" / "platforms" if qt is not None else None
    if folder is None or not folder.is_dir() or env.get("QT_QPA_PLATFORM_PLUGIN_PATH") or env.get("QT_PLUGIN_PATH"):
        return None  # plugins we cannot see: let Qt try
    have = sorted(f.name[4:].split(".")[0] for f in folder.glob("libq*.so*"))
    if not have or any(c in have or c.split("-")[0] in have for c in candidates):
        return None
    return (f"the window cannot open: QT_QPA_PLATFORM={env.get('QT_QPA_PLATFORM', '').strip()!r} names no Qt "
            f"platform plugin here (available: {', '.join(have)}); unset it, or set it to one of those")


def display_problem(env=None, missing_fn=missing_libraries, system: str | None = None) -> str | None:
    """One line saying why the window cannot open here and how to fix it, or None when it can."""
    env = os.environ if env is None else env
    if (system or sys.platform) != "linux" or env.get("DPM_STUDIO_SKIP_DISPLAY_CHECK"):
        return None
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        candidates = [c.split(":")[0].strip() for c in chosen.split(";") if c.strip()]
        unknown = _unknown_platforms(candidates, env)
        if unknown is not None:
            return unknown
    elif not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return ("no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset): start it from a "
                f"desktop session (or ssh -X); {HOW_TO_RUN_HEADLESS}")
    else:  # Qt's own guess: Wayland when there is one (in a Wayland session), X11 (or XWayland)
        candidates = ["wayland", "xcb"] if env.get("WAYLAND_DISPLAY") else ["xcb"]
    if any(c in HEADLESS for c in candidates):
        return None
    problems = []
    for c in candidates:  # the first that works is the one Qt will use
        try:
            problem = _platform_problem(c, env, missing_fn)
        except (OSError, ValueError, struct.error, IndexError):
            return None  # the check itself failed (an unusual Qt layout): let Qt try
        if problem is None:
            return None
        problems.append(problem)
    return f"the window cannot open: {'; and '.join(problems)}; {HOW_TO_RUN_HEADLESS}"
