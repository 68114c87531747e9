"""No usable display: one line saying what is missing and how to fix it, exit status 2, before Qt starts."""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from dpm_studio import display

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the check is for Linux desktops")


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM",
                                                              "XDG_SESSION_TYPE")}
    env.update(PYTHONPATH=str(ROOT), **extra)
    return env


@pytest.mark.parametrize("extra,expect", [({}, "DISPLAY and WAYLAND_DISPLAY are unset"),
                                          ({"DISPLAY": ":97"}, "the window cannot open"),
                                          ({"QT_QPA_PLATFORM": "xcb"}, "DISPLAY is unset")])
def test_app_without_a_display_says_so_in_one_line_and_exits_2(extra, expect):
    r = subprocess.run([sys.executable, "-m", "dpm_studio"], env=_env(**extra), capture_output=True, text=True,
                       timeout=120)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, r.stderr
    assert len(lines) == 1 and lines[0].startswith("dpm-studio: error:") and expect in lines[0], lines
    assert "sudo apt install" in lines[0] or "no X server" in lines[0] or "unset" in lines[0]
    assert r.stdout == ""


def test_missing_xcb_libraries_name_the_packages():
    fake = lambda files: ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]  # noqa: E731
    msg = display.display_problem({"DISPLAY": ":0"}, missing_fn=fake)
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1 are missing" in msg
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1" in msg
    assert "sudo dnf install xcb-util-keysyms xcb-util-wm" in msg
    assert "\n" not in msg


def test_headless_platforms_and_other_systems_are_not_checked():
    assert display.display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display.display_problem({"QT_QPA_PLATFORM": "minimal"}) is None
    assert display.display_problem({}, system="darwin") is None
    assert display.display_problem({}, system="win32") is None


def test_a_listening_x_socket_passes_and_a_silent_one_fails():
    number = 90 + os.getpid() % 9
    none_missing = lambda files: []  # noqa: E731
    assert "no X server answers on DISPLAY=:%d" % number in display.display_problem(
        {"DISPLAY": f":{number}"}, missing_fn=none_missing)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(f"\0/tmp/.X11-unix/X{number}")
        server.listen(1)
        assert display.display_problem({"DISPLAY": f":{number}"}, missing_fn=none_missing) is None
    assert display.display_problem({"DISPLAY": "otherhost:0"}, missing_fn=none_missing) is None  # remote: let Qt try


def test_library_check_agrees_with_ldd():
    files = display._plugin_files("xcb")
    if not files or shutil.which("ldd") is None:
        pytest.skip("no PySide6 xcb plugin or no ldd here")
    needed, _ = display.needed_libraries(files[0])
    assert "libxcb.so.1" in needed and "libQt6XcbQpa.so.6" in needed
    ldd_missing = set()
    for f in files:
        out = subprocess.run(["ldd", str(f)], capture_output=True, text=True).stdout
        ldd_missing |= {line.split()[0] for line in out.splitlines() if "not found" in line}
    assert set(display.missing_libraries(files)) == ldd_missing


def test_in_a_bundle_libraries_beside_the_app_count(tmp_path, monkeypatch):
    """PyInstaller copies the build machine's xcb libraries into the bundle folder (sys._MEIPASS)."""
    files = display._plugin_files("xcb")
    if not files:
        pytest.skip("no PySide6 xcb plugin here")
    missing = display.missing_libraries(files)
    for name in missing:
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert display.missing_libraries(files) == []
    (tmp_path / "libxcb.so.1").write_bytes(b"")  # and nothing else changes
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "elsewhere"), raising=False)
    assert display.missing_libraries(files) == missing


def test_libraries_qt_itself_needs_are_checked_through_the_plugin(monkeypatch):
    """On a bare Debian 12 the plugin's own DT_NEEDED all loaded, and the window then died on
    libEGL.so.1: libqxcb needs libQt6Gui (beside Qt), which needs libEGL, libfontconfig and,
    through libQt6DBus, libdbus-1. The check follows Qt's libraries as ldd does."""
    files = display._plugin_files("xcb")
    if not files:
        pytest.skip("no PySide6 xcb plugin here")
    direct = set().union(*(display.needed_libraries(f)[0] for f in files))
    absent = {"libEGL.so.1", "libfontconfig.so.1", "libdbus-1.so.3"}
    assert not absent & direct  # only Qt's own libraries need them
    real = display.ctypes.CDLL

    def cdll(name, *a, **k):
        if name in absent:
            raise OSError(f"{name}: cannot open shared object file")
        return real(name, *a, **k)

    monkeypatch.setattr(display.ctypes, "CDLL", cdll)
    assert absent <= set(display.missing_libraries(files))
    msg = display.display_problem({"DISPLAY": ":0"}, missing_fn=lambda f: display.missing_libraries(f))
    assert "sudo apt install libdbus-1-3 libegl1 libfontconfig1" in msg and "\n" not in msg
