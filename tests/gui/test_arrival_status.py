"""Every way an image arrives replaces the start-up hint "Open an image (Ctrl+O)..." in the status bar
(helper appfix3). A drop of image data (not a file) left the hint on show over the dropped image: the
ways went through different code and only File > Open and Paste set a message; now they all pass
through ``FilesController._open``, which sets it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from dpm_studio import imageio
from dpm_studio.gui.dialogs import array_to_qimage
from gui_helpers import gradient_image

HINT = "Open an image (Ctrl+O)"


def _drop(win, md):
    win.dropEvent(QDropEvent(QPointF(50, 50), Qt.CopyAction, md, Qt.LeftButton, Qt.NoModifier))


def _drop_data(win, path):
    md = QMimeData()
    md.setImageData(array_to_qimage(imageio.to_uint8(gradient_image(20, 30))))
    _drop(win, md)


def _drop_file(win, path):
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(path))])
    _drop(win, md)


def _paste_data(win, path):
    QApplication.clipboard().setImage(array_to_qimage(imageio.to_uint8(gradient_image(20, 30))))
    win.files.paste()


def _paste_file(win, path):
    md = QMimeData()
    md.setUrls([QUrl.fromLocalFile(str(path))])
    QApplication.clipboard().setMimeData(md)
    win.files.paste()


def _recent(win, path):
    win.settings.setValue("paths/recent", [str(path)])
    win.files._fill_recent_menu()
    [a for a in win.recent_menu.actions() if a.data() == str(path)][0].trigger()


def _sample(win, path):
    from dpm_studio.paths import sample_images

    assert win.files.open_sample(sample_images()[0].name)


def _open_dialog(win, path):   # File > Open; the command line's image goes through files.open_image too
    win.dialogs.paths["open_image"] = str(path)
    win.files.open_dialog()


@pytest.mark.parametrize("arrive", [_drop_data, _drop_file, _paste_data, _paste_file, _recent, _sample,
                                    _open_dialog])
def test_every_way_an_image_arrives_replaces_the_open_hint(qtbot, win, image_file, arrive):
    path, _ = image_file
    assert win.statusBar().currentMessage().startswith(HINT)
    arrive(win, path)
    qtbot.waitUntil(lambda: win.canvas.image_shape() is not None, timeout=3000)
    msg = win.statusBar().currentMessage()
    assert HINT not in msg and msg.startswith(("Opened ", "Pasted a ", "Dropped a ")), msg
