"""Every question the app asks a person, in one place (tests swap :class:`Dialogs` for a scripted one),
and the conversions between Qt images and arrays."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QDialog, QFileDialog, QHeaderView, QInputDialog, QLabel, QMessageBox, QTreeView

from .. import imageio
from ..errorlog import sentence

__all__ = ["Dialogs", "IMAGE_FILTER", "SAVE_FILTERS", "file_dialog", "quality_dialog", "unsaved_box", "qimage_to_array", "array_to_qimage"]

#: Every extension the app reads (imageio.READ_EXTENSIONS, the one list): a hand-kept copy left out
#: .jfif, .jpe and .pbm, so a JPEG saved by a browser as .jfif, which the app opens, was not listed.
IMAGE_FILTER = f"Images ({' '.join('*' + e for e in imageio.READ_EXTENSIONS)});;All files (*)"
SAVE_FILTERS = {"PNG (*.png)": ".png", "JPEG (*.jpg *.jpeg)": ".jpg", "TIFF (*.tif *.tiff)": ".tif",
                "WebP (*.webp)": ".webp", "BMP (*.bmp)": ".bmp"}


#: Qt's own file dialog (where the desktop offers no native one: a bare X server, some window managers)
#: opens at about 630 x 430 px with fixed columns, which cut names, sizes and types short ("58....KiB",
#: "PN...ge"). Ours opens at this size (at most 85 % of the screen) with every column as wide as its text.
FILE_DIALOG_SIZE = (1000, 620)


def file_dialog(parent, title: str, path: str, flt: str = "", mode: str = "open") -> QFileDialog:
    """A file dialog (``mode`` "open", "save" or "folder") at ``path`` (a folder, or a file to select),
    sized so that its detail columns show whole names; a native dialog ignores the sizing."""
    dlg = QFileDialog(parent, title, "", flt)
    p = Path(path) if path else Path.home()
    if os.path.isdir(p) or mode == "folder":  # not Path.is_dir: a remembered name too long raised
        dlg.setDirectory(str(p))
    else:
        dlg.setDirectory(str(p.parent))
        dlg.selectFile(p.name)
    if mode == "save":
        dlg.setAcceptMode(QFileDialog.AcceptSave)
        dlg.setFileMode(QFileDialog.AnyFile)
    elif mode == "folder":
        dlg.setFileMode(QFileDialog.Directory)
        dlg.setOption(QFileDialog.ShowDirsOnly, True)
    else:
        dlg.setFileMode(QFileDialog.ExistingFile)
    dlg.setViewMode(QFileDialog.Detail)
    w, h = FILE_DIALOG_SIZE
    screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
    if screen is not None:
        avail = screen.availableGeometry()
        w, h = min(w, int(avail.width() * 0.85)), min(h, int(avail.height() * 0.85))
    dlg.resize(max(w, dlg.sizeHint().width()), max(h, dlg.sizeHint().height()))
    for view in dlg.findChildren(QTreeView):   # the detail view of Qt's own dialog
        header = view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeToContents)   # name, size, type, date: never cut
    return dlg


def _ask(dlg: QFileDialog) -> tuple[str | None, str]:
    """(the chosen path or None, the chosen filter) of ``dlg`` run modally."""
    if dlg.exec() != QDialog.Accepted or not dlg.selectedFiles():
        return None, ""
    return dlg.selectedFiles()[0] or None, dlg.selectedNameFilter()


def may_replace(dialogs, chosen: str, final) -> bool:
    """Whether ``final`` may be written: the app's form of the command line's ``--overwrite`` (one rule for
    an output that exists: cli/restore.existing_output). A save dialog asks before it hands back a name
    that exists; a name changed after it (an extension added: ``scan`` becomes ``scan.png``) was never
    asked about, so it is asked here. True when nothing is replaced or the user says Yes."""
    if str(final) == str(chosen) or not os.path.lexists(final):
        return True
    return dialogs.confirm("Replace the file?", f"{Path(final).name} exists already. Replace it? "
                           "What it holds now cannot be recovered.")


#: What a title bar takes beside its text: the icon, the three buttons and the margins (openbox: about 90 px).
TITLE_BAR_EXTRA = 120


def quality_dialog(parent, fmt: str, default: int) -> QInputDialog:
    """The JPEG or WebP quality question, wide enough for its title bar's text: at QInputDialog's own width
    the window manager cut "JPEG quality — DPM Studio" to "JPEG qualit...DPM Studio" (seen under Xvfb)."""
    dlg = QInputDialog(parent)
    dlg.setWindowTitle(f"{fmt} quality")
    dlg.setLabelText(f"{fmt} quality (1 = smallest, 100 = best):")
    dlg.setInputMode(QInputDialog.IntInput)
    dlg.setIntRange(1, 100)
    dlg.setIntStep(1)
    dlg.setIntValue(default)
    shown = f"{dlg.windowTitle()} — {QGuiApplication.applicationDisplayName()}"   # as X11 titles it
    # the dialog's layout sets its size from its contents (a minimum width on the dialog is overridden)
    dlg.findChild(QLabel).setMinimumWidth(dlg.fontMetrics().horizontalAdvance(shown) + TITLE_BAR_EXTRA)
    return dlg


class Dialogs:
    """All user prompts in one place (tests swap this object for a scripted one)."""

    def __init__(self, parent):
        self.parent = parent

    def open_image(self, folder: str) -> str | None:
        return _ask(file_dialog(self.parent, "Open Image", folder, IMAGE_FILTER))[0]

    def save_image(self, folder: str, suggested: str) -> str | None:
        path, flt = _ask(file_dialog(self.parent, "Save Image As", str(Path(folder) / suggested),
                                     ";;".join(SAVE_FILTERS), "save"))
        if not path:
            return None
        if Path(path).suffix.lower() not in imageio.WRITE_FORMATS:
            final = path + SAVE_FILTERS.get(flt, ".png")
            return final if may_replace(self, path, final) else None
        return path

    def quality(self, fmt: str, default: int) -> int | None:
        dlg = quality_dialog(self.parent, fmt, default)
        return dlg.intValue() if dlg.exec() == QDialog.Accepted else None

    def open_file(self, title: str, folder: str, flt: str) -> str | None:
        return _ask(file_dialog(self.parent, title, folder, flt))[0]

    def save_file(self, title: str, path: str, flt: str) -> str | None:
        return _ask(file_dialog(self.parent, title, path, flt, "save"))[0]

    def folder(self, title: str, folder: str) -> str | None:
        return _ask(file_dialog(self.parent, title, folder, mode="folder"))[0]

    def error(self, title: str, text: str):
        """An error dialog: ``title`` names what failed ("Cannot open image"); ``text`` says why and what to
        do, ended as every error message is (errorlog.sentence: the command line's too)."""
        QMessageBox.critical(self.parent, title, sentence(text))

    def confirm(self, title: str, text: str) -> bool:
        r = QMessageBox.question(self.parent, title, text, QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        return r == QMessageBox.Yes

    def ask_unsaved(self, text: str, image: bool = True, mask: bool = False, doing: str = "") -> str:
        """'save' (the image), 'save_mask' (with ``mask``: the mask is unsaved too), 'discard' or 'cancel'.
        ``doing``: what the user asked for ("Opening another image"), said with what it would lose."""
        box, answers = unsaved_box(self.parent, text, image, mask, doing)
        box.exec()
        return answers.get(box.clickedButton(), "cancel")


def unsaved_box(parent, text: str, image: bool = True, mask: bool = False, doing: str = "") -> tuple[QMessageBox, dict]:
    """The question before unsaved work is lost, and its answers by button. Every answer has a key
    (Alt+S, Alt+M, Alt+D; Esc cancels): Qt's own Save / Discard buttons had none, so without a mouse
    Discard was reached only by Tab (Alt+D did nothing, seen under Xvfb). One title for the image's
    changes (an accepted result, a result under review) with or without the mask's, "Unsaved mask" for the
    mask alone; under ``text`` what ``doing`` would lose and what each button does (the box titled
    "Unsaved result" said neither)."""
    box = QMessageBox(QMessageBox.Warning, "Unsaved changes" if image else "Unsaved mask", text,
                      QMessageBox.NoButton, parent)
    box.setInformativeText(unsaved_help(image, mask, doing))
    answers = {}
    if image:
        answers[box.addButton(QMessageBox.Save)] = "save"
        next(iter(answers)).setText("&Save Image\u2026" if mask else "&Save")
    if mask:
        answers[box.addButton("Save &Mask\u2026", QMessageBox.AcceptRole)] = "save_mask"
    box.setDefaultButton(next(iter(answers)))
    discard = box.addButton(QMessageBox.Discard)
    discard.setText("&Discard")
    answers[discard] = "discard"
    box.setEscapeButton(box.addButton(QMessageBox.Cancel))
    return box, answers


def unsaved_help(image: bool, mask: bool, doing: str = "") -> str:
    """What going on loses, and what the unsaved question's buttons do."""
    what = "the changes and the mask's edits" if image and mask else "the changes" if image else "the mask's edits"
    lose = f"{doing} without saving loses {what}. " if doing else ""
    if image and mask:
        save = "Save Image\u2026 saves the image first, Save Mask\u2026 the mask"
    elif image:
        save = "Save saves the image first"
    else:
        save = "Save Mask\u2026 saves the mask first"
    return f"{lose}{save}; Discard goes on without saving; Cancel goes back, nothing lost."


def qimage_to_array(img: QImage) -> tuple[np.ndarray, np.ndarray | None]:
    """A QImage -> (float RGB (H, W, 3) or grey (H, W, 1), alpha (H, W) or None)."""
    grey = img.isGrayscale() and not img.hasAlphaChannel()
    img = img.convertToFormat(QImage.Format_RGBA8888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    a = np.frombuffer(img.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)[:, :w * 4].reshape(h, w, 4)
    a = imageio.from_uint8(a.copy())
    alpha = a[:, :, 3] if img.hasAlphaChannel() and a[:, :, 3].min() < 1 else None
    px = a[:, :, :1] if grey else a[:, :, :3]
    return np.ascontiguousarray(px), alpha


def array_to_qimage(u8: np.ndarray) -> QImage:
    u8 = np.ascontiguousarray(u8 if u8.ndim == 3 else u8[:, :, None])
    if u8.shape[2] == 1:
        u8 = np.ascontiguousarray(np.repeat(u8, 3, axis=2))
    h, w = u8.shape[:2]
    return QImage(u8.data, w, h, 3 * w, QImage.Format_RGB888).copy()
