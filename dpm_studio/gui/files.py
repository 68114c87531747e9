"""The file side of the window: recent files, samples, open / paste / copy / save, and masks.

:class:`FilesController` is owned by the main window (``window.files``). It reads files into
the session (``session.open_data``: the decoded file becomes the document) and writes the
session's document and mask out; the canvas and the window show the change because the
session says so. Every command takes plain arguments (``open_image(path)``,
``save_image(path)``), so the same code runs with and without a person in front of the screen;
the ``*_dialog`` commands ask through the window's :class:`~.dialogs.Dialogs` first.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QGuiApplication, QImage

from .. import __version__, imageio
from ..core.files.safefiles import same_file
from ..core.run.masks import NotAMask, check_mask
from ..core.run.requests import saved_metadata
from ..imageio import ImageData, ImageIOError
from .dialogs import IMAGE_FILTER, array_to_qimage, may_replace, qimage_to_array
from .safe_settings import Checked

__all__ = ["FilesController", "MAX_RECENT"]

MAX_RECENT = 10


class FilesController(QObject):
    """Images and masks in and out (see the module docstring)."""

    def __init__(self, window):
        super().__init__(window)
        self.w, self.session = window, window.session

    def bind_menus(self):
        """File > Open Recent and Open Sample, once the menus exist (gui/actions.build)."""
        self.w.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_sample_menu()
        self.w.sample_menu.aboutToShow.connect(self._update_sample_menu)

    def _status(self, text: str, ms: int = 0, path=None):
        """``path``: a file named in ``text``, whose name stays in sight in a narrow window (gui/status_bar.py)."""
        self.w.statusBar().showMessage(text, ms, path=path)

    # -- folders and recent files -------------------------------------------------------------------------
    def last_folder(self) -> str:
        return Checked(self.w.settings).text("paths/last_folder", "") or str(Path.home())

    def _remember_folder(self, path):
        self.w.settings.setValue("paths/last_folder", str(Path(path).resolve().parent))

    def recent_files(self) -> list[str]:
        return Checked(self.w.settings).texts("paths/recent", MAX_RECENT)

    def _add_recent(self, path):
        p = str(Path(path).resolve())
        recent = [r for r in self.recent_files() if r != p]
        self.w.settings.setValue("paths/recent", ([p] + recent)[:MAX_RECENT])

    @Slot()
    def _fill_recent_menu(self):
        m = self.w.recent_menu
        m.clear()
        recent = self.recent_files()
        if not recent:
            a = m.addAction("No recent files")
            a.setEnabled(False)
            return
        for i, p in enumerate(recent):
            a = m.addAction(f"&{(i + 1) % 10}  {Path(p).name}")
            a.setToolTip(p)
            a.setStatusTip(p)
            a.setData(p)
            a.setEnabled(os.path.exists(p))  # not Path.exists: a settings file's name too long raised
            a.triggered.connect(lambda _=False, p=p: self.open_image(p))
        m.addSeparator()
        m.addAction("Clear Recent Files", lambda: self.w.settings.setValue("paths/recent", []))

    # -- sample images (resources/samples) ---------------------------------------------------------------
    def _fill_sample_menu(self):
        from ..paths import sample_images

        m = self.w.sample_menu
        m.clear()
        samples = sample_images()
        if not samples:
            a = m.addAction("No sample images found")
            a.setEnabled(False)
            return
        for p in samples:
            a = m.addAction(p.name)
            a.setData(str(p))
            a.setStatusTip(f"Open the sample image {p.name}")
            a.triggered.connect(lambda _=False, p=str(p): self.open_sample(p))

    @Slot()
    def _update_sample_menu(self):
        for a in self.w.sample_menu.actions():
            if a.data():
                a.setEnabled(not self.w.runner.is_running())

    def open_sample(self, name_or_path) -> bool:
        """File > Open Sample: open a bundled sample (by file name or path) as File > Open does, but
        leave the last folder and the recent files alone (the samples live inside the app)."""
        from ..paths import sample_images

        p = Path(name_or_path)
        match = [s for s in sample_images() if s.name == p.name or s == p]
        if not match:
            self.w.dialogs.error("Cannot open sample", f"There is no sample image {p.name!r}.")
            return False
        s = self.w.settings
        folder, recent = s.value("paths/last_folder"), s.value("paths/recent")
        ok = self.open_image(match[0])
        for key, value in (("paths/last_folder", folder), ("paths/recent", recent)):
            if value is None:
                s.remove(key)
            else:
                s.setValue(key, value)
        return ok

    # -- images ----------------------------------------------------------------------------------------------------
    def busy(self, what: str) -> bool:
        if self.w.runner.is_running():
            self._status(f"Cannot {what} while a run is in progress: cancel it first (Esc).", 5000)
            return True
        return False

    def confirm_replace(self, doing: str = "Opening another image") -> bool:
        """Before the image is replaced (open, drop, paste) or the window closes: one question about
        what would be lost, an unsaved result and a mask with unused edits (the session's
        ``mask_has_unused_edits``: a mask kept after a run, or exported, is not asked about). After a
        Save or Save Mask the other, if still unsaved, is asked about. False = keep everything."""
        w, s = self.w, self.session
        w.runs.finish_accept()   # an Accept chosen is done first: asked about, it is the image's change, not a result
        for _ in range(3):
            image, mask = w.has_unsaved(), s.mask_has_unused_edits()
            if not (image or mask):
                return True
            if mask:
                ans = w.dialogs.ask_unsaved(w.unsaved_text(mask=True), image=image, mask=True, doing=doing)
            else:
                ans = w.dialogs.ask_unsaved(w.unsaved_text(), doing=doing)
            if ans == "discard":
                return True
            if ans == "save":
                saved = self.save_dialog()
            elif ans == "save_mask":
                saved = self.export_mask_dialog()
            else:
                return False
            if not saved:
                return False
        return False

    def open_image(self, path) -> bool:
        """File > Open with a path: load, show, reset the mask. Errors become a dialog."""
        if self.busy("open an image"):
            return False
        path = Path(path)
        try:
            data = imageio.load_image(path)
        except ImageIOError as e:
            self.w.dialogs.error("Cannot open image", str(e))
            self._status(f"Could not open {path.name}", 5000)
            if path.parent.is_dir():   # the next Open starts where this file is, not back in the home folder
                self.w.settings.setValue("paths/last_folder", os.path.abspath(path.parent))
            return False
        except Exception as e:  # noqa: BLE001 - a decoder bug must not take the app down
            traceback.print_exc()
            self.w.dialogs.error("Cannot open image", f"{path.name}: unexpected error while reading ({e})")
            return False
        if not self.confirm_replace():
            return False
        notes = "".join(f"  Note: {n}." for n in data.notes)  # e.g. only an animation's first frame
        self._open(data, None, f"Opened {path.name} ({data.describe()}).{notes}", 8000 if notes else 5000)
        self._remember_folder(path)
        self._add_recent(path)
        return True

    def set_image(self, pixels: np.ndarray, alpha=None, name: str | None = None, verb: str = "Opened") -> None:
        """Use an array as the image (paste, drop, tests); the status bar says "<verb> a W×H image"."""
        px = np.asarray(pixels, dtype=np.float32)
        if px.ndim == 2:
            px = px[:, :, None]
        self._open(ImageData(px, alpha, None, "RGB" if px.shape[2] == 3 else "L"), name,
                   f"{verb} a {px.shape[1]}\u00d7{px.shape[0]} image", 5000)

    def drop_image(self, img: QImage) -> bool:
        """Image data dropped onto the window (not a file): as a paste of it."""
        if self.busy("drop an image") or not self.confirm_replace("Dropping an image here"):
            return False
        px, alpha = qimage_to_array(img)
        self.set_image(px, alpha, "dropped image", "Dropped")
        return True

    def _open(self, data: ImageData, name: str | None, message: str, ms: int):
        """The one way an image arrives (open, recent, sample, command line, drop, paste): it becomes
        the document and ``message`` replaces the status bar's "Open an image..." hint."""
        w = self.w
        if self.session.state == "review":
            w.runs.leave_review()
        self.session.open_data(data, name)   # the canvas, the window and the noise readout show it
        w.task_panel.reset_progress("idle")
        w.result_bar.clear()   # no "tile 1 / 216" or slider left from the last image's run
        w.plots.clear_run()
        w.canvas.set_original(None)
        self._status(message, ms)

    def paste(self) -> bool:
        if self.busy("paste"):
            return False
        md = QGuiApplication.clipboard().mimeData()
        if md is not None and md.hasImage():
            img = QGuiApplication.clipboard().image()
            if not img.isNull():
                if not self.confirm_replace("Pasting an image"):
                    return False
                px, alpha = qimage_to_array(img)
                self.set_image(px, alpha, "pasted image", "Pasted")
                return True
        if md is not None and md.hasUrls():
            for url in md.urls():
                if url.isLocalFile():
                    return self.open_image(url.toLocalFile())
        self._status("The clipboard holds no image", 4000)
        return False

    def copy_image(self):
        shown = self.w.canvas.shown()
        if shown is not None:
            QGuiApplication.clipboard().setImage(array_to_qimage(shown))
            self._status("Copied the picture to the clipboard", 3000)

    def open_dialog(self):
        path = self.w.dialogs.open_image(self.last_folder())
        if path:
            self.open_image(path)

    def metadata(self) -> dict:
        doc = self.session.doc
        return saved_metadata(doc.runs if doc is not None else [], __version__, doc)

    def save_image(self, path, quality: int = imageio.DEFAULT_QUALITY) -> bool:
        """Save the image (a result under review is accepted first). Errors become a dialog."""
        w, accepted = self.w, self.session.accepting()
        w.runs.finish_accept()   # an Accept waiting for its result's measure: the image saved holds it
        if self.session.state == "review":
            if not w.dialogs.confirm("Accept the result?", "The result under review is not part of the image "
                                     "yet. Accept it and save the image with it? (Ctrl+Z undoes the Accept; "
                                     "No leaves the result under review, unsaved.)"):
                self._status("Not saved: the result is still under review.", 5000)
                return False
            accepted = w.runs.accept_result()
        doc = self.session.doc
        if doc is None:
            self._status("Nothing to save", 3000)
            return False
        path = Path(path)
        replaced = doc.saved_path is not None and os.path.exists(path) and same_file(path, doc.saved_path)
        if doc.path is not None and not replaced and os.path.exists(path) and same_file(path, doc.path) and \
                not w.dialogs.confirm("Replace the original?", f"{path.name} is the image you opened. "
                                      "Replace it with the edited image? The original cannot be recovered."):
            self._status("Not saved: the original is unchanged. Choose another name.", 5000)
            return False
        try:  # the source's depth, value range, ICC and EXIF, as the command line keeps them
            imageio.save_image(path, doc.pixels, doc.alpha, quality=quality, metadata=self.metadata(),
                               **imageio.export_options(doc))
        except ImageIOError as e:
            w.dialogs.error("Cannot save image", str(e))
            return False
        fmt = imageio.WRITE_FORMATS.get(path.suffix.lower())
        self.session.saved(path, quality if fmt in ("JPEG", "WEBP") else None)   # the window's title follows
        self._remember_folder(path)
        self._add_recent(path)
        lost = "".join(f"  Note: {n}." for n in imageio.save_losses(path, doc))  # e.g. a JPEG drops the alpha
        self._status((f"Accepted the result and saved {path}" if accepted else f"Saved {path}") + lost,
                     10000 if lost else 5000, path)
        return True

    def save(self) -> bool:
        """File > Save (Ctrl+S): the image into the file it was last saved to, in its format (at its quality),
        with the metadata Save As writes; the first time, where Save As would ask (the original is not
        written over without a question: gui/model/session.Document.save_target)."""
        doc = self.session.doc
        if doc is None or doc.save_target is None:
            return self.save_dialog()
        return self.save_image(doc.save_target, doc.saved_quality or imageio.DEFAULT_QUALITY)

    def save_dialog(self) -> bool:
        s, w = self.session, self.w
        if s.doc is None and s.review is None:
            return False
        doc = s.doc
        suggested = Path((doc.name if doc is not None else None) or "untitled.png")
        if suggested.suffix.lower() not in imageio.WRITE_FORMATS:
            suggested = suggested.with_suffix(".png")
        if doc is not None and doc.where is not None and doc.dirty:
            suggested = suggested.with_name(suggested.stem + "-dpm" + suggested.suffix)
        path = w.dialogs.save_image(self.last_folder(), suggested.name)
        if not path:
            return False
        quality = imageio.DEFAULT_QUALITY
        fmt = imageio.WRITE_FORMATS.get(Path(path).suffix.lower())
        if fmt in ("JPEG", "WEBP"):
            q = w.dialogs.quality(fmt if fmt == "JPEG" else "WebP",
                                  Checked(w.settings).number("save/quality", imageio.DEFAULT_QUALITY, *imageio.QUALITY))
            if q is None:
                return False
            quality = q
            w.settings.setValue("save/quality", q)
        return self.save_image(path, quality)

    # -- masks -------------------------------------------------------------------------------------------------------
    def load_mask(self, path) -> bool:
        if self.busy("load a mask") or self.session.doc is None:
            return False
        try:  # a mask this app exported gives back what was painted and its feather: the same mask
            m, feather = imageio.load_mask_record(path, self.session.doc.shape)
            check_mask(m)  # a photograph picked as the mask would mark nearly every pixel
        except (ImageIOError, NotAMask) as e:
            self.w.dialogs.error("Cannot load mask", f"{Path(path).name}: {e}" if isinstance(e, NotAMask) else str(e))
            return False
        self.session.set_mask(m, "load mask")
        self.session.mark_mask_kept()   # it is in the file it came from
        said = ""
        if feather is not None and feather != self.session.feather:
            self.w.mask_panel.feather.setValue(feather)   # the panel, the overlay and the next run's feather
            said = f" with its feather, {self.session.feather:g} px"
        if not (m > 0).any():
            self._status(f"Loaded mask {Path(path).name}: it is empty, so there is nothing to inpaint yet (white "
                         "pixels mark the region to fill)", 8000)
        else:
            self._status(f"Loaded mask {Path(path).name}{said}", 4000)
        return True

    def export_mask(self, path) -> bool:
        m = self.session.effective_mask()
        if m is None:
            return False
        try:  # the feathered mask a run gets, and what was painted: Load Mask gives back the same mask
            imageio.save_mask(path, m, painted=self.session.mask, feather=self.session.feather)
        except ImageIOError as e:
            self.w.dialogs.error("Cannot export mask", str(e))
            return False
        self.session.mark_mask_kept()   # no longer an unused edit: replacing the image does not ask about it
        self._status(f"Exported the mask to {path}", 4000, path)
        return True

    def load_mask_dialog(self):
        p = self.w.dialogs.open_file("Load Mask", self.last_folder(), IMAGE_FILTER)
        if p:
            self.load_mask(p)

    def export_mask_dialog(self) -> bool:
        stem = Path(self.w.doc_name() or "untitled").stem
        p = self.w.dialogs.save_file("Export Mask", str(Path(self.last_folder()) / f"{stem}-mask.png"),
                                     "PNG (*.png);;TIFF (*.tif *.tiff)")
        if not p:
            return False
        if Path(p).suffix.lower() not in (".png", ".tif", ".tiff", ".bmp"):
            if not may_replace(self.w.dialogs, p, p + ".png"):   # the dialog asked about the name without it
                return False
            p += ".png"
        return self.export_mask(p)
