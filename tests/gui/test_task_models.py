"""Each task has its own model in the app: the user's choice for that task, else the task's default
(paths.DEFAULT_CHECKPOINTS). The memory is the Qt-free session's (gui/model/taskmodels.py); the window's
picker shows the current task's. The tests flip the denoising default, as the lead will when a better
denoiser ships, and check that denoising follows it and inpainting and sampling do not."""

from __future__ import annotations

import pytest

from dpm_studio import paths
from dpm_studio.core.files.locations import shipped_checkpoints_dir
from dpm_studio.gui.model.session import Session
from dpm_studio.gui.model.taskmodels import TaskModels


@pytest.fixture
def flip(monkeypatch):
    """Denoising's default becomes another shipped checkpoint; inpainting and sampling keep theirs."""
    monkeypatch.setitem(paths.DEFAULT_CHECKPOINTS, "denoise", "textures-gray")
    return "textures-gray"


# -- the session's memory, without Qt -------------------------------------------------------------------
def test_a_task_without_a_choice_shows_its_default_read_when_asked(monkeypatch):
    m = Session().models
    assert {t: m.model_for(t) for t in ("inpaint", "denoise", "sample")} == paths.DEFAULT_CHECKPOINTS
    m.choose("inpaint", "/my/own.json")
    monkeypatch.setitem(paths.DEFAULT_CHECKPOINTS, "denoise", "textures-gray")   # a new version's default
    monkeypatch.setitem(paths.DEFAULT_CHECKPOINTS, "inpaint", "dead-leaves")
    assert m.model_for("denoise") == "textures-gray", "left to the default: follows it"
    assert m.model_for("inpaint") == "/my/own.json", "the user's choice sticks"
    assert m.model_for("sample") == paths.DEFAULT_CHECKPOINTS["sample"]
    with pytest.raises(ValueError, match="one of denoise, inpaint, sample"):
        m.model_for("train")


def test_a_choice_is_for_its_task_only_and_can_be_forgotten(flip):
    m = TaskModels()
    assert m.choose("denoise", "dead-leaves") == "denoise"
    assert m.model_for("denoise") == "dead-leaves" and m.chosen("inpaint") is None
    assert m.model_for("inpaint") == "photos-rgb" and m.model_for("sample") == "photos-rgb"
    assert m.choices() == {"denoise": "dead-leaves"}
    m.forget("denoise")
    assert m.model_for("denoise") == flip and m.choices() == {}


def test_the_card_shown_is_the_choice_else_the_default_among_those_listed(flip):
    cards = [{"name": "photos-rgb", "path": "/s/photos-rgb.json"}, {"name": flip, "path": f"/s/{flip}.json"},
             {"name": "mine", "path": "/u/mine.json"}]
    m = TaskModels()
    assert m.card_for("denoise", cards)["path"] == f"/s/{flip}.json"
    assert m.card_for("inpaint", cards)["path"] == "/s/photos-rgb.json"
    m.choose("inpaint", "/u/mine.json")
    assert m.card_for("inpaint", cards)["name"] == "mine"
    m.choose("inpaint", "/gone/removed.json")   # a chosen file no longer listed: the default
    assert m.card_for("inpaint", cards)["name"] == "photos-rgb"
    assert m.card_for("denoise", cards[:1]) is None, "neither listed: the picker keeps what it shows"


def test_a_black_and_white_model_picked_for_denoising_is_kept_for_inpainting(flip):
    m = TaskModels()
    assert m.choose("denoise", "digits-binary", binary=True) == "inpaint"
    assert m.model_for("inpaint") == "digits-binary" and m.model_for("denoise") == flip


def test_settings_restore_keeps_choices_and_reads_an_older_versions_one_model(flip):
    shipped = str(shipped_checkpoints_dir() / "photos-rgb.json")
    m = TaskModels()
    m.restore({"denoise": "/a.json", "inpaint": "", "train": "/x.json"})
    assert m.choices() == {"denoise": "/a.json"}
    # an older version saved the one default whether or not it was chosen: no choice, the defaults apply
    for legacy in ("photos-rgb", shipped):
        m.restore({}, legacy=legacy)
        assert m.choices() == {} and m.model_for("denoise") == flip
    # any other model was the user's: every task without a choice of its own keeps it
    m.restore({"denoise": "/a.json"}, legacy="/mine.json")
    assert m.choices() == {"denoise": "/a.json", "inpaint": "/mine.json", "sample": "/mine.json"}


def test_undo_does_not_change_a_tasks_model():
    """The model choice is not part of the undo history (it was not before either)."""
    import numpy as np

    s = Session()
    img = np.zeros((8, 8, 3), np.float32)
    s.open(img)
    s.models.choose("denoise", "dead-leaves")
    s.accept(img + 0.5, {"task": "denoise", "checkpoint": "dead-leaves"})
    s.models.choose("denoise", "textures-gray")
    assert s.undo() is not None and s.models.model_for("denoise") == "textures-gray"


# -- the window ------------------------------------------------------------------------------------------
def _shown(win) -> str:
    return win.task_panel.current_card()["name"]


def _pick(win, name):
    """Pick ``name`` in the model list as the user does (the combo's row)."""
    combo = win.task_panel.checkpoint
    i = next(i for i in range(combo.count()) if str(combo.itemData(i)).endswith(f"/{name}.json"))
    combo.setCurrentIndex(i)


def test_switching_tasks_switches_the_picker_to_that_tasks_model(flip, make_window):
    win = make_window(checkpoint=None)
    tp = win.task_panel
    tp.set_task("inpaint")
    assert _shown(win) == "photos-rgb"
    tp.set_task("denoise")
    assert _shown(win) == flip and tp.settings().checkpoint.endswith(f"/{flip}.json")
    assert win.checkpoints.wait_loaded()   # a model not loaded yet loads in a thread
    assert win.checkpoints.loaded.name == flip, "the model loaded for the plots and checks is the shown one"
    tp.set_task("sample")
    assert _shown(win) == "photos-rgb"
    # a user's pick is for the task on show, and sticks when coming back
    tp.set_task("denoise")
    _pick(win, "dead-leaves")
    tp.set_task("inpaint")
    assert _shown(win) == "photos-rgb"
    _pick(win, "tiny-rgb")
    tp.set_task("denoise")
    assert _shown(win) == "dead-leaves"
    tp.set_task("sample")
    assert _shown(win) == "photos-rgb"
    tp.set_task("inpaint")
    assert _shown(win) == "tiny-rgb"
    assert win.session.models.choices() == {"denoise": str(shipped_checkpoints_dir() / "dead-leaves.json"),
                                            "inpaint": win.task_panel.current_card()["path"]}


def test_a_run_uses_and_names_its_tasks_model(qtbot, monkeypatch, make_window):
    from gui_helpers import gradient_image

    monkeypatch.setitem(paths.DEFAULT_CHECKPOINTS, "denoise", "tiny-grey")
    monkeypatch.setitem(paths.DEFAULT_CHECKPOINTS, "inpaint", "tiny-rgb")
    win = make_window(checkpoint=None)
    win.files.set_image(gradient_image(24, 24, channels=1))
    win.task_panel.set_task("denoise")
    assert win.checkpoints.wait_loaded()
    with qtbot.waitSignal(win.runner.finished, timeout=60_000):
        assert win.runs.run()
    assert win.session.run["checkpoint"] == "tiny-grey"
    assert "result of tiny-grey under review" in win.windowTitle()
    assert "with tiny-grey" in win.statusBar().currentMessage()
    win.task_panel.set_task("inpaint")   # the picker shows inpainting's model; the result is still denoising's
    assert _shown(win) == "tiny-rgb" and "result of tiny-grey" in win.windowTitle()


def test_the_choices_outlive_the_window_and_an_older_ones_model_is_read(flip, tmp_path, make_window):
    from PySide6.QtCore import QSettings

    win = make_window("s.ini", checkpoint=None)
    win.task_panel.set_task("denoise")
    _pick(win, "dead-leaves")
    win.save_settings()
    again = make_window("s.ini", checkpoint=None)
    again.task_panel.set_task("inpaint")
    assert _shown(again) == "photos-rgb"
    again.task_panel.set_task("denoise")
    assert _shown(again) == "dead-leaves"
    # an older version kept one model for all in run/checkpoint: its default is no choice
    old = QSettings(str(tmp_path / "old.ini"), QSettings.IniFormat)
    old.setValue("run/checkpoint", str(shipped_checkpoints_dir() / "photos-rgb.json"))
    old.setValue("run/task", "denoise")
    old.sync()
    w = make_window("old.ini", checkpoint=None)
    assert w.task_panel.task() == "denoise" and _shown(w) == flip and w.session.models.choices() == {}
    w.save_settings()
    assert QSettings(str(tmp_path / "old.ini"), QSettings.IniFormat).value("run/checkpoint") is None


def test_a_black_and_white_model_chosen_for_denoising_is_kept_for_inpainting(flip, make_window):
    win = make_window(checkpoint=None)
    tp = win.task_panel
    tp.set_task("denoise")
    combo = tp.checkpoint
    row = next(i for i in range(combo.count()) if str(combo.itemData(i)).endswith("/digits-binary.json"))
    assert not combo.model().item(row).isEnabled(), "a binomial model cannot denoise: greyed in the list"
    assert win.checkpoints.select("digits-binary")   # chosen by the program: kept for inpainting
    assert tp.task() == "denoise" and _shown(win) == flip
    assert set(win.session.models.choices()) == {"inpaint"}
    tp.set_task("inpaint")
    assert _shown(win) == "digits-binary"
    _pick(win, "photos-rgb")
    tp.set_task("denoise")
    assert _shown(win) == flip
