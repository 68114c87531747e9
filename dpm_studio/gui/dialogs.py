"""Every question the app asks a person, in one place (tests swap :class:`Dialogs` for a scripted one),
and the conversions between Qt images and arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from .. import imageio

__all__ = ["Dialogs", "IMAGE_FILTER", "SAVE_FILTERS", "qimage_to_array", "array_to_qimage"]

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.webp *.gif *.ppm *.pgm);;All files (*)"
SAVE_FILTERS = {"PNG (*.png)": ".png", "JPEG (*.jpg *.jpeg)": ".jpg", "TIFF (*.tif *.tiff)": ".tif",
                "WebP (*.webp)": ".webp", "BMP (*.bmp)": ".bmp"}


class Dialogs:
    """All user prompts in one place (tests swap this object for a scripted one)."""

    def __init__(self, parent):
        self.parent = parent

    def open_image(self, folder: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, "Open Image", folder, IMAGE_FILTER)
        return path or None

    def save_image(self, folder: str, suggested: str) -> str | None:
        path, flt = QFileDialog.getSaveFileName(self.parent, "Save Image As", str(Path(folder) / suggested),
                                                ";;".join(SAVE_FILTERS))
        if not path:
            return None
        if Path(path).suffix.lower() not in imageio.WRITE_FORMATS:
            path += SAVE_FILTERS.get(flt, ".png")
        return path

    def quality(self, fmt: str, default: int) -> int | None:
        q, ok = QInputDialog.getInt(self.parent, f"{fmt} quality", f"{fmt} quality (1 = smallest, 100 = best):",
                                    default, 1, 100, 1)
        return q if ok else None

    def open_file(self, title: str, folder: str, flt: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, title, folder, flt)
        return path or None

    def save_file(self, title: str, path: str, flt: str) -> str | None:
        out, _ = QFileDialog.getSaveFileName(self.parent, title, path, flt)
        return out or None

    def folder(self, title: str, folder: str) -> str | None:
        return QFileDialog.getExistingDirectory(self.parent, title, folder) or None

    def error(self, title: str, text: str):
        QMessageBox.critical(self.parent, title, text)

    def confirm(self, title: str, text: str) -> bool:
        r = QMessageBox.question(self.parent, title, text, QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
        return r == QMessageBox.Yes

    def ask_unsaved(self, text: str, image: bool = True, mask: bool = False) -> str:
        """'save' (the image), 'save_mask' (with ``mask``: the mask is unsaved too), 'discard' or 'cancel'."""
        if not mask:
            r = QMessageBox.warning(self.parent, "Unsaved result", text,
                                    QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
            return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(r, "cancel")
        box = QMessageBox(QMessageBox.Warning, "Unsaved changes" if image else "Unsaved mask", text,
                          QMessageBox.NoButton, self.parent)
        answers = {}
        if image:
            b = box.addButton(QMessageBox.Save)
            b.setText("Save Image\u2026")
            answers[b] = "save"
        b = box.addButton("Save Mask\u2026", QMessageBox.AcceptRole)
        answers[b] = "save_mask"
        box.setDefaultButton(next(iter(answers)))
        answers[box.addButton(QMessageBox.Discard)] = "discard"
        box.setEscapeButton(box.addButton(QMessageBox.Cancel))
        box.exec()
        return answers.get(box.clickedButton(), "cancel")


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
