"""The menu actions no other test used, driven by their menu text through the real file dialogs
(QFileDialog's exec patched to answer at once), each checked by what it produced."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtGui import QAction, QGuiApplication, QImage
from PySide6.QtWidgets import QDialog, QFileDialog

from dpm_studio import imageio
from gui_helpers import gradient_image, image_with_mask, make_checkpoint

RUN_MS = 60_000


def action(win, text: str) -> QAction:
    """The window's action whose menu text (without '&' and a trailing ellipsis) is ``text``."""
    want = text.lower()
    found = {a for a in win.findChildren(QAction)
             if a.text().replace("&", "").rstrip("\u2026").strip().lower() == want}
    assert len(found) == 1, f"{text!r}: {len(found)} actions"
    a = found.pop()
    assert a.isEnabled(), f"{text!r} is disabled"
    return a


@pytest.fixture
def real_dialogs(win, monkeypatch):
    """The window's own Dialogs; ``answer(kind, value)`` sets what the next file dialog answers (``kind``:
    "open", "save" or "folder", checked against the dialog's own mode)."""
    try:
        from dpm_studio.gui.dialogs import Dialogs
    except ImportError:
        from dpm_studio.gui.main_window import Dialogs
    win.dialogs = Dialogs(win)
    asked = []

    def answer(kind, value):
        def exec_(dlg):
            mode = "save" if dlg.acceptMode() == QFileDialog.AcceptSave else \
                "folder" if dlg.fileMode() == QFileDialog.Directory else "open"
            asked.append(mode)
            dlg.selectFile(str(value))
            return QDialog.Accepted
        assert kind in ("open", "save", "folder"), kind
        monkeypatch.setattr(QFileDialog, "exec", exec_)
    answer.asked = asked
    return answer


def _qimage_rgb(q: QImage) -> np.ndarray:
    q = q.convertToFormat(QImage.Format_RGB888)
    a = np.frombuffer(q.constBits(), np.uint8, q.sizeInBytes()).reshape(q.height(), q.bytesPerLine())
    return a[:, :q.width() * 3].reshape(q.height(), q.width(), 3).copy()


def test_copy_image_puts_the_shown_pixels_on_the_clipboard(win):
    img = gradient_image(24, 40)
    win.files.set_image(img)
    QGuiApplication.clipboard().clear()
    action(win, "Copy Image").trigger()
    np.testing.assert_array_equal(_qimage_rgb(QGuiApplication.clipboard().image()), imageio.to_uint8(img))


def test_rescan_checkpoints_finds_one_added_since_the_window_opened(tmp_path, monkeypatch, make_window):
    folder = tmp_path / "ckpts"
    make_checkpoint(folder, "tiny-rgb", 3)
    monkeypatch.setenv("DPM_STUDIO_CHECKPOINTS", str(folder))
    win = make_window()
    make_checkpoint(folder, "tiny-later", 3)
    assert not win.checkpoints.select("tiny-later")
    action(win, "Rescan Checkpoints").trigger()
    assert win.checkpoints.select("tiny-later")
    assert win.task_panel.current_card()["name"] == "tiny-later"


def test_zoom_actions(qtbot, win):
    win.files.set_image(gradient_image(48, 64))  # 64 wide, 48 tall
    action(win, "Actual Size").trigger()
    assert win.canvas.zoom() == pytest.approx(1.0, rel=1e-3)
    action(win, "Zoom In").trigger()
    assert win.canvas.zoom() == pytest.approx(1.25, rel=1e-3)
    action(win, "Zoom Out").trigger()
    assert win.canvas.zoom() == pytest.approx(1.0, rel=1e-3)
    action(win, "Fit to Window").trigger()
    qtbot.wait(20)
    (x0, x1), (y0, y1) = win.canvas.vb.viewRange()
    assert x0 <= 0.5 and x1 >= 63.5 and y0 <= 0.5 and y1 >= 47.5, "the whole picture is in view"
    assert win.canvas.zoom() > 2, "and it fills the window (far larger than 1:1 for a 64 x 48 picture)"


def test_mask_overlay_action_shows_and_hides_the_mask_tint(qtbot, win):
    img, mask = image_with_mask(win)
    win.canvas.fit()
    qtbot.wait(20)
    p = win.canvas.image_to_viewport(16.5, 16.5)  # the centre of pixel (16, 16), inside the mask

    def colour():
        qtbot.wait(20)
        return _qimage_rgb(win.canvas.viewport().grab().toImage())[p.y(), p.x()].astype(int)

    act = action(win, "Show Mask Overlay")
    assert act.isChecked()
    tinted = colour()
    act.trigger()
    assert not act.isChecked()
    plain = colour()
    assert np.abs(plain - imageio.to_uint8(img)[16, 16]).max() <= 8, "without the overlay: the picture itself"
    assert np.abs(tinted - plain).max() > 20, "with it: the mask's tint"
    act.trigger()
    assert np.abs(colour() - tinted).max() <= 2


def test_new_random_seed_changes_the_runs_seed(win):
    before = win.task_panel.settings().seed
    action(win, "New Random Seed").trigger()
    first = win.task_panel.settings().seed
    action(win, "New Random Seed").trigger()
    assert len({before, first, win.task_panel.settings().seed}) == 3


def test_export_mask_and_load_mask_through_the_file_dialogs(win, real_dialogs, tmp_path):
    _, mask = image_with_mask(win)
    real_dialogs("save", str(tmp_path / "m.png"))
    action(win, "Export Mask").trigger()
    back = np.asarray(Image.open(tmp_path / "m.png").convert("L"))
    np.testing.assert_array_equal(back > 127, mask > 0.5)
    other = np.zeros((32, 32), np.uint8)
    other[2:10, 20:30] = 255
    Image.fromarray(other).save(tmp_path / "other.png")
    real_dialogs("open", str(tmp_path / "other.png"))
    action(win, "Load Mask").trigger()
    np.testing.assert_array_equal(win.canvas.mask() > 0.5, other > 0)
    assert real_dialogs.asked == ["save", "open"]


def test_trajectory_exports_through_the_file_dialogs(qtbot, win, real_dialogs, tmp_path):
    image_with_mask(win)
    win.task_panel.steps_all.setChecked(False)
    win.task_panel.steps.setValue(4)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run()
    n = len(win.session.trajectory)
    assert n >= 2
    last = win.canvas.shown().copy()
    real_dialogs("save", str(tmp_path / "run"))  # no extension: .gif is added
    with qtbot.waitSignal(win.exporter.finished, timeout=RUN_MS):  # written off the GUI thread
        action(win, "Export Trajectory as GIF").trigger()
    im = Image.open(tmp_path / "run.gif")
    assert im.n_frames == n
    im.seek(n - 1)
    assert np.abs(np.asarray(im.convert("RGB")).astype(int) - last).mean() < 12  # up to the palette
    real_dialogs("folder", str(tmp_path / "frames"))
    (tmp_path / "frames").mkdir()
    with qtbot.waitSignal(win.exporter.finished, timeout=RUN_MS):
        action(win, "Export Trajectory as PNG Frames").trigger()
    files = sorted((tmp_path / "frames").glob("*.png"))
    assert len(files) == n
    np.testing.assert_array_equal(np.asarray(Image.open(files[-1]).convert("RGB")), last)


def test_open_checkpoint_uses_a_card_outside_the_checkpoint_folders(win, real_dialogs, tmp_path):
    make_checkpoint(tmp_path / "elsewhere", "tiny-away", 3)
    assert not win.checkpoints.select("tiny-away")
    real_dialogs("open", str(tmp_path / "elsewhere" / "tiny-away.json"))
    action(win, "Open Checkpoint").trigger()
    assert win.task_panel.current_card()["name"] == "tiny-away"


def test_clear_and_export_mask_wait_for_a_mask(win):
    """Edit > Clear Mask (and its toolbar button) and File > Export Mask were enabled on an image with no mask:
    Clear did nothing and said nothing, Export wrote an all-black file (Xvfb, helper app17). They are greyed,
    saying why, until the mask fills a pixel, and again once it is cleared; undo gives them back."""
    win.files.set_image(gradient_image(24, 32))
    clear, export = win.act_clear, win.act_export_mask
    for act in (clear, export):
        assert not act.isEnabled() and "the mask is empty: paint the region first" in act.toolTip()
    mask = np.zeros((24, 32), np.float32)
    mask[4:9, 5:11] = 1
    win.canvas.set_mask(mask)
    assert clear.isEnabled() and export.isEnabled() and not clear.toolTip().startswith("Greyed")
    clear.trigger()
    assert not win.session.mask.any() and not clear.isEnabled() and not export.isEnabled()
    win.act_undo.trigger()
    assert win.session.mask.any() and clear.isEnabled() and export.isEnabled()
    win.act_invert.trigger()   # every pixel but the box: still a mask
    assert clear.isEnabled() and win.session.covered() == 24 * 32 - 30
