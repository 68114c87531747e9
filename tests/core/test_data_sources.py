"""Wallpaper folders: the packages kept for evaluation stay out, the script's metadata reaches
the card, and photographs added to the folder leave a checkpoint's held-out set alone."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dpm_studio.core.train import presets
from dpm_studio.core.train.data import images as im
from dpm_studio.core.train.data.exclusion import EXCLUDED_PACKAGES, excluded_package
from dpm_studio.core.train.data.images import get_recipe

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fetch_wallpapers.sh"


@pytest.fixture(autouse=True)
def _setup(monkeypatch):
    monkeypatch.delenv(im.WALLPAPERS_ENV, raising=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    presets._recipe.cache_clear()
    yield
    presets._recipe.cache_clear()
    torch.set_num_threads(threads)


def _photo(path: Path, seed: int, hw=(96, 400)) -> np.ndarray:
    """A smooth random RGB picture (never one of the test images), saved losslessly."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (hw[0] // 8, hw[1] // 8, 3), dtype=np.uint8)
    a = np.asarray(Image.fromarray(small).resize((hw[1], hw[0]), Image.Resampling.BILINEAR))
    Image.fromarray(a).save(path)
    return a


def test_the_excluded_packages_are_the_evaluation_sets():
    assert EXCLUDED_PACKAGES == {"mate-backgrounds", "mypaint-data-extras"}


def test_folder_images_of_excluded_packages_are_skipped(tmp_path):
    folder = tmp_path / "wallpapers"
    folder.mkdir()
    good = _photo(folder / "good.png", 0)
    _photo(folder / "tagged.png", 1)
    (folder / "tagged.metadata.json").write_text(json.dumps({"package": "mate-backgrounds", "version": "1"}))
    _photo(folder / "mypaint-data-extras_paper.png", 2)
    installed = tmp_path / "usr" / "share" / "backgrounds" / "mate" / "nature"
    installed.mkdir(parents=True)
    _photo(installed / "Wood.png", 3)
    (folder / "linked.png").symlink_to(installed / "Wood.png")

    for r in (get_recipe("photos-rgb", wallpapers=folder, max_side=None),
              get_recipe("folder", path=folder, mode="rgb")):
        assert r.sources == ["file:good.png"]
        np.testing.assert_array_equal(np.concatenate([r.region(0), r.region(0, held=True)], axis=1), good)
        reasons = {s["file"]: s["reason"] for s in r.provenance["skipped"]}
        assert set(reasons) == {"tagged.png", "mypaint-data-extras_paper.png", "linked.png"}
        assert "mate-backgrounds" in reasons["tagged.png"] and "mate-backgrounds" in reasons["linked.png"]
        assert "mypaint-data-extras" in reasons["mypaint-data-extras_paper.png"]
        assert r.provenance["excluded_packages"] == sorted(EXCLUDED_PACKAGES)
    assert excluded_package("/usr/share/mypaint-data/2.0/backgrounds/paper.jpg") == "mypaint-data-extras"
    assert excluded_package(folder / "good.png", {"package": "lxqt-themes"}) is None


def test_a_recipe_refuses_a_source_of_an_excluded_package():
    a = np.zeros((40, 60, 1), np.uint8) + np.arange(60, dtype=np.uint8)[None, :, None]
    ok = im._Source("file:a.png", a, {"package": "lomiri-wallpapers-16.04"})
    assert im.ImageRecipe("x", [ok], 1).sources == ["file:a.png"]
    bad = im._Source("file:b.png", a, {"package": "mypaint-data-extras"})
    with pytest.raises(RuntimeError, match="mypaint-data-extras"):
        im.ImageRecipe("x", [ok, bad], 1)


@pytest.mark.parametrize("key", ["mate-backgrounds", "mypaint-data-extras", "mate", "gnome"])
def test_the_script_refuses_excluded_and_unknown_packages_before_downloading(tmp_path, key):
    dest = tmp_path / "out"
    res = subprocess.run(["bash", str(SCRIPT), str(dest), "--packages", f"plasma,{key}"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert ("kept for independent evaluation" if key != "gnome" else "unknown package key") in res.stderr
    assert not dest.exists()


def test_the_scripts_metadata_reaches_the_provenance(tmp_path):
    _photo(tmp_path / "lomiri16-Bridge.jpg", 0)
    (tmp_path / "lomiri16-Bridge.metadata.json").write_text(json.dumps(
        {"package": "lomiri-wallpapers-16.04", "version": "20.04.0-2", "source": "/usr/share/backgrounds/Bridge.jpg",
         "licence": "CC-BY-SA-4.0", "copyright": "2018. Sander Klootwijk", "authors": ["Sander Klootwijk"]}))
    _photo(tmp_path / "Kite.jpg", 1)
    (tmp_path / "Kite.metadata.json").write_text(json.dumps(
        {"package": "plasma-workspace-wallpapers", "version": "4:5.27.5-2", "source": "/usr/share/wallpapers/Kite",
         "licence_debian": "GPL-2+", "kde": {"KPlugin": {"Authors": [{"Name": "Risto"}], "License": "LGPLv3",
                                                         "Name": "Kite"}}}))
    r = get_recipe("photos-rgb", wallpapers=tmp_path)
    src = {s["file"]: s for s in r.provenance["sources"]}
    assert src["lomiri16-Bridge.jpg"]["licence"] == "CC-BY-SA-4.0"
    assert src["lomiri16-Bridge.jpg"]["authors"] == ["Sander Klootwijk"]
    assert src["Kite.jpg"]["licence"] == "LGPLv3" and src["Kite.jpg"]["authors"] == ["Risto"]
    assert src["Kite.jpg"]["package"] == "plasma-workspace-wallpapers" and src["Kite.jpg"]["title"] == "Kite"
    assert r.provenance["wallpapers"].startswith("photographs from Debian packages lomiri-wallpapers-16.04 "
                                                 "20.04.0-2, plasma-workspace-wallpapers 4:5.27.5-2")


def test_added_photographs_leave_a_checkpoints_held_out_set_alone(tmp_path, monkeypatch):
    for k, name in enumerate(("Kite.png", "Path.png", "summer.png")):
        _photo(tmp_path / name, k)
    monkeypatch.setenv(im.WALLPAPERS_ENV, str(tmp_path))
    preset = presets.get_preset("photos-rgb")
    card = {"name": "photos-rgb", "data": preset.card_data()}
    before, scale = preset.held_out(), card["data"]["scale"]
    assert before.shape == (64, 3, 64, 64)

    # another package's photographs, sorting before, between and after the card's files
    for k, name in enumerate(("A-new.png", "lxqt-fog.png", "zz.png")):
        _photo(tmp_path / name, 10 + k)
    presets._recipe.cache_clear()
    assert not torch.equal(presets.get_preset("photos-rgb").held_out(), before)  # the whole folder moved
    own = presets.preset_for_card(card)
    assert torch.equal(own.held_out(), before)
    assert own.card_data()["scale"] == scale
    assert [s["id"] for s in own.card_data()["provenance"]["sources"]] == \
        [s["id"] for s in card["data"]["provenance"]["sources"]]

    _photo(tmp_path / "Path.png", 99)   # one of the card's files changed
    presets._recipe.cache_clear()
    with pytest.raises(ValueError, match="Path.png differ"):
        presets.preset_for_card(card).held_out()
    os.remove(tmp_path / "Path.png")
    presets._recipe.cache_clear()
    with pytest.raises(FileNotFoundError, match="lacks Path.png"):
        presets.preset_for_card(card).held_out()


def test_a_lossless_copy_in_another_format_stands_for_a_cards_file(tmp_path, monkeypatch):
    """The GPU run carries the wallpapers as lossless WebP (same pixels, other name): a checkpoint
    trained on the JPEG/PNG files evaluates and resumes on them, and back; a lossy copy is refused."""
    pixels = {name: _photo(tmp_path / name, k) for k, name in enumerate(("Kite.png", "Path.png"))}
    monkeypatch.setenv(im.WALLPAPERS_ENV, str(tmp_path))
    presets._recipe.cache_clear()
    preset = presets.get_preset("photos-rgb")
    card = {"name": "photos-rgb", "data": preset.card_data()}
    before = preset.held_out()

    os.remove(tmp_path / "Path.png")
    Image.fromarray(pixels["Path.png"]).save(tmp_path / "Path.webp", lossless=True)
    presets._recipe.cache_clear()
    own = presets.preset_for_card(card)
    assert torch.equal(own.held_out(), before)
    assert own.card_data()["scale"] == card["data"]["scale"]
    src = {s["file"]: s for s in own.card_data()["provenance"]["sources"] if "file" in s}
    assert src["Path.webp"]["listed_as"] == "Path.png" and "listed_as" not in src["Kite.png"]
    assert presets.data_change(card["data"], own.card_data()) is None

    Image.fromarray(pixels["Path.png"]).save(tmp_path / "Path.webp", quality=90)  # lossy: other pixels
    presets._recipe.cache_clear()
    with pytest.raises(ValueError, match="Path.png differ"):
        presets.preset_for_card(card).held_out()
    lossy = presets.get_preset("photos-rgb").card_data()
    assert presets.data_change(card["data"], lossy).startswith("1 file(s) changed")

    Image.fromarray(pixels["Path.png"]).save(tmp_path / "Path.jpg", quality=95)  # two candidates: none chosen
    presets._recipe.cache_clear()
    with pytest.raises(FileNotFoundError, match="lacks Path.png"):
        presets.preset_for_card(card).held_out()


def test_resuming_on_a_folder_that_gained_a_photograph_warns(tmp_path, capsys):
    from dpm_studio.cli.main import main
    from dpm_studio.core.files.checkpoint import load

    folder = tmp_path / "photos"
    folder.mkdir()
    for k in range(2):
        _photo(folder / f"p{k}.png", k)
    out = tmp_path / "model"
    args = ["train", "textures-gray", "--data", str(folder), "-o", str(out), "--steps", "1", "--batch", "2",
            "--no-eval", "--threads", "1"]
    assert main(args) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(args + ["--resume"]) == 0          # the same data: no warning
    assert "warning" not in capsys.readouterr().err
    _photo(folder / "p2.png", 2)
    assert main(args + ["--resume"]) == 0
    err = capsys.readouterr().err
    assert "resuming on other data" in err and "1 source(s) added" in err and "scale mean/std" in err
    assert [s["id"] for s in load(out).card["data"]["provenance"]["sources"]] == [f"file:p{k}.png" for k in range(3)]


def test_data_change_names_added_removed_and_changed_files():
    def data(files, mean=0.5):
        return {"scale": {"mean": mean, "std": 0.25},
                "provenance": {"sources": [{"id": f"file:{f}", "file_sha256": sha} for f, sha in files.items()]}}

    old = data({"a.png": "1", "b.png": "2"})
    assert presets.data_change(old, data({"a.png": "1", "b.png": "2"})) is None
    assert presets.data_change(old, data({"a.png": "1", "b.png": "3", "c.png": "4"}, 0.6)) == \
        "1 source(s) added, 1 file(s) changed, scale mean/std 0.5000/0.2500 -> 0.6000/0.2500"
    assert presets.data_change(old, data({"a.png": "1"})) == "1 removed"


def test_a_cards_wallpaper_files_without_the_folder_are_an_error_not_the_bundled_photos(tmp_path, monkeypatch):
    """Without $DPM_STUDIO_WALLPAPERS a card trained on wallpapers got the bundled photographs'
    held-out set and scaling in silence, and `evaluate --update-card` wrote that bound onto a card."""
    for k, name in enumerate(("Kite.png", "Path.png")):
        _photo(tmp_path / name, k)
    monkeypatch.setenv(im.WALLPAPERS_ENV, str(tmp_path))
    presets._recipe.cache_clear()
    card = {"name": "photos-rgb", "data": presets.get_preset("photos-rgb").card_data()}
    monkeypatch.delenv(im.WALLPAPERS_ENV)
    presets._recipe.cache_clear()
    with pytest.raises(FileNotFoundError, match="trained on 2 wallpaper photographs; set \\$DPM_STUDIO_WALLPAPERS"):
        presets.preset_for_card(card).held_out()
    presets._recipe.cache_clear()
    assert presets.get_preset("photos-rgb").held_out().shape[1] == 3  # the preset itself still trains on the bundled ones
