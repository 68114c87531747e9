"""Packaging: where paths.py finds the shipped files (source tree, frozen bundle, wheel), the
application icon, the sample images, the Linux .desktop file and AppStream metainfo."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dpm_studio import paths
from dpm_studio.core.files import locations

ROOT = Path(__file__).resolve().parents[1]
LINUX = ROOT / "packaging" / "linux"
SAMPLES = ("brick-texture.png", "flower-small.png", "handwriting.png", "rocket.jpg")


def _pyproject() -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


# -- paths.py -------------------------------------------------------------------------------------
def test_source_tree_paths():
    assert not locations.is_frozen()
    assert locations.app_root() == ROOT
    assert paths.resources_dir() == ROOT / "resources"
    assert paths.samples_dir() == ROOT / "resources" / "samples"
    assert [p.name for p in paths.sample_images()] == sorted(SAMPLES)
    assert paths.icon_file().is_file() and paths.icon_file().suffix == ".svg"
    assert paths.icon_file(48) == ROOT / "resources/icons/hicolor/48x48/apps/dpm-studio.png"
    assert locations.shipped_checkpoints_dir() == ROOT / "checkpoints"
    assert locations.checkpoint_dirs()[-1] == ROOT / "checkpoints"
    assert (locations.shipped_checkpoints_dir() / "photos-rgb.json").is_file()


def _fake_bundle(root: Path) -> Path:
    internal = root / "dpm-studio" / "_internal"
    (internal / "resources" / "samples").mkdir(parents=True)
    (internal / "resources" / "samples" / "a.png").write_bytes(b"")
    (internal / "resources" / "samples" / "LICENSES.md").write_text("")
    (internal / "checkpoints").mkdir()
    return internal


def test_frozen_bundle_paths(monkeypatch, tmp_path):
    internal = _fake_bundle(tmp_path)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(internal), raising=False)
    monkeypatch.delenv("DPM_STUDIO_CHECKPOINTS", raising=False)
    assert locations.is_frozen()
    assert locations.app_root() == internal
    assert paths.resources_dir() == internal / "resources"
    assert [p.name for p in paths.sample_images()] == ["a.png"], "only images, not LICENSES.md"
    assert paths.icon_file(16) == internal / "resources/icons/hicolor/16x16/apps/dpm-studio.png"
    assert locations.shipped_checkpoints_dir() == internal / "checkpoints"
    dirs = locations.checkpoint_dirs()
    assert dirs[-1] == internal / "checkpoints" and len(dirs) == 2  # the user's folder, then the bundle's


def test_frozen_without_meipass_uses_the_executables_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "dpm-studio"))
    assert locations.app_root() == tmp_path
    assert locations.shipped_checkpoints_dir() == tmp_path / "checkpoints"


def test_installed_share_folder_when_there_is_no_source_tree(monkeypatch, tmp_path):
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    monkeypatch.setattr(locations, "_SOURCE_ROOT", tmp_path / "site-packages")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    (tmp_path / "prefix" / "share" / "dpm-studio" / "resources").mkdir(parents=True)
    assert locations.app_root() == tmp_path / "prefix" / "share" / "dpm-studio"


# -- resources -------------------------------------------------------------------------------------
def test_icon_svg_and_png_sizes():
    from PIL import Image

    svg = ET.parse(paths.icon_file()).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.get("viewBox") == "0 0 512 512"
    assert paths.ICON_SIZES == (16, 24, 32, 48, 64, 128, 256, 512)
    for n in paths.ICON_SIZES:
        with Image.open(paths.icon_file(n)) as im:
            assert im.format == "PNG" and im.size == (n, n) and im.mode == "RGBA"
            alpha = im.getchannel("A")
            assert alpha.getextrema() == (0, 255), "an opaque tile on a transparent margin"


def test_samples_are_small_licensed_and_not_test_images():
    from PIL import Image

    files = paths.sample_images()
    assert sum(p.stat().st_size for p in files) < 1.5e6
    licences = (paths.samples_dir() / "LICENSES.md").read_text()
    for p in files:
        assert f"`{p.name}`" in licences
        assert not any(t in p.name for t in ("camera", "astronaut", "coffee", "chelsea", "coins"))
        with Image.open(p) as im:
            assert max(im.size) <= 512
    assert "flower-small.png" in {p.name for p in files}, "the self-test's sample"


# -- Linux desktop integration ------------------------------------------------------------------------
def _desktop_entry() -> configparser.SectionProxy:
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str  # keys are case-sensitive
    cp.read(LINUX / f"{paths.APP_ID}.desktop", encoding="utf-8")
    return cp["Desktop Entry"]


def test_desktop_file_names_the_command_and_icon():
    e = _desktop_entry()
    assert e["Type"] == "Application" and e["Name"] == "DPM Studio"
    exe = e["Exec"].split()
    assert exe[0] == e["TryExec"] == "dpm-studio"
    assert "dpm-studio" in _pyproject()["project"]["scripts"], "Exec runs the installed console script"
    assert exe[1:] == ["gui", "%f"], "dpm-studio gui [IMAGE]"
    assert e["Icon"] == paths.ICON_NAME
    assert paths.icon_file().name == f"{e['Icon']}.svg" and paths.icon_file(48).name == f"{e['Icon']}.png"
    assert e["Terminal"] == "false" and "Graphics" in e["Categories"].split(";")
    assert all(m.startswith("image/") for m in e["MimeType"].rstrip(";").split(";"))


def test_metainfo_matches_the_desktop_file_and_pyproject():
    meta = LINUX / f"{paths.APP_ID}.metainfo.xml"
    root = ET.parse(meta).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == paths.APP_ID
    launch = root.find("launchable")
    assert launch.get("type") == "desktop-id" and (LINUX / launch.text).is_file()
    assert root.findtext("icon") == _desktop_entry()["Icon"]
    assert root.findtext("provides/binary") == "dpm-studio"
    project = _pyproject()["project"]
    assert root.findtext("project_license") == project["license"]["text"]
    assert root.find("releases/release").get("version") == project["version"]
    assert root.findtext("name") == _desktop_entry()["Name"]


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_file_validates():
    r = subprocess.run(["desktop-file-validate", str(LINUX / f"{paths.APP_ID}.desktop")],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "error" not in r.stdout, r.stdout + r.stderr


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream not installed")
def test_metainfo_validates():
    r = subprocess.run(["appstreamcli", "validate", "--no-net", str(LINUX / f"{paths.APP_ID}.metainfo.xml")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


# -- the desktop bundle leaves out the training-data packages -----------------------------------------------
def test_a_missing_data_package_is_one_line_and_status_2(monkeypatch, capsys):
    from dpm_studio.cli.main import COMMANDS, main

    def needs(name):
        def cmd(args):
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return cmd

    monkeypatch.setitem(COMMANDS, "checkpoints", needs("skimage.data"))
    assert main(["checkpoints"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'skimage'" in err and "[data]" in err
    monkeypatch.setitem(COMMANDS, "checkpoints", needs("no_such_internal_module"))
    capsys.readouterr()
    # a real bug is not dressed up as a user error: the last-resort handler, exit 70 (issue 18)
    assert main(["checkpoints"]) == 70
    assert "internal error: ModuleNotFoundError" in capsys.readouterr().err
