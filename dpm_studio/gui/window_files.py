"""The window's file side: recent files, samples, open / paste / save, masks, trajectory
exports, and the checkpoints (the model list, opening and importing, the models folder).

A mixin of :class:`~dpm_studio.gui.main_window.MainWindow`; every command takes plain
arguments, so the same code runs with and without a person in front of the screen.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from .. import __version__, imageio
from ..core.requests import saved_metadata
from ..imageio import ImageData, ImageIOError
from .dialogs import IMAGE_FILTER, array_to_qimage, qimage_to_array
from .safe_settings import Checked

__all__ = ["FilesMixin", "MAX_RECENT"]

MAX_RECENT = 10
GIF_MAX_FRAMES = 40   # a trajectory GIF's frames, evenly spread; the PNG frames keep them all


class FilesMixin:
    """Files and checkpoints (see the module docstring)."""

    def last_folder(self) -> str:
        return Checked(self.settings).text("paths/last_folder", "") or str(Path.home())

    def _remember_folder(self, path):
        self.settings.setValue("paths/last_folder", str(Path(path).resolve().parent))

    def recent_files(self) -> list[str]:
        return Checked(self.settings).texts("paths/recent", MAX_RECENT)

    def _add_recent(self, path):
        p = str(Path(path).resolve())
        recent = [r for r in self.recent_files() if r != p]
        self.settings.setValue("paths/recent", ([p] + recent)[:MAX_RECENT])

    def _fill_recent_menu(self):
        m = self.recent_menu
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
            a.setEnabled(Path(p).exists())
            a.triggered.connect(lambda _=False, p=p: self.open_image(p))
        m.addSeparator()
        m.addAction("Clear Recent Files", lambda: self.settings.setValue("paths/recent", []))

    # -- sample images (resources/samples) ---------------------------------------------------------------
    def _fill_sample_menu(self):
        from ..paths import sample_images

        m = self.sample_menu
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
        for a in self.sample_menu.actions():
            if a.data():
                a.setEnabled(not self.runner.is_running())

    def open_sample(self, name_or_path) -> bool:
        """File > Open Sample: open a bundled sample (by file name or path) as File > Open does, but
        leave the last folder and the recent files alone (the samples live inside the app)."""
        from ..paths import sample_images

        p = Path(name_or_path)
        match = [s for s in sample_images() if s.name == p.name or s == p]
        if not match:
            self.dialogs.error("Cannot open sample", f"There is no sample image {p.name!r}.")
            return False
        s = self.settings
        folder, recent = s.value("paths/last_folder"), s.value("paths/recent")
        ok = self.open_image(match[0])
        for key, value in (("paths/last_folder", folder), ("paths/recent", recent)):
            if value is None:
                s.remove(key)
            else:
                s.setValue(key, value)
        return ok

    # -- images ----------------------------------------------------------------------------------------------------
    def _busy(self, what: str) -> bool:
        if self.runner.is_running():
            self.statusBar().showMessage(f"Cannot {what} while a run is in progress: cancel it first (Esc).", 5000)
            return True
        return False

    def _confirm_replace(self) -> bool:
        """Before the image is replaced: offer to save an unsaved result. False = keep the current image."""
        if not self.has_unsaved():
            return True
        ans = self.dialogs.ask_unsaved(self._unsaved_text())
        if ans == "save":
            return self._save_dialog()
        return ans == "discard"

    def open_image(self, path) -> bool:
        """File > Open with a path: load, show, reset the mask. Errors become a dialog."""
        if self._busy("open an image"):
            return False
        path = Path(path)
        try:
            data = imageio.load_image(path)
        except ImageIOError as e:
            self.dialogs.error("Cannot open image", str(e))
            self.statusBar().showMessage(f"Could not open {path.name}", 5000)
            return False
        except Exception as e:  # noqa: BLE001 - a decoder bug must not take the app down
            traceback.print_exc()
            self.dialogs.error("Cannot open image", f"{path.name}: unexpected error while reading ({e})")
            return False
        if not self._confirm_replace():
            return False
        self._set_image_data(data, path)
        self._remember_folder(path)
        self._add_recent(path)
        notes = "".join(f"  Note: {n}." for n in data.notes)  # e.g. only an animation's first frame
        self.statusBar().showMessage(f"Opened {path.name} ({data.describe()}).{notes}", 8000 if notes else 5000)
        return True

    def set_image(self, pixels: np.ndarray, alpha=None, name: str | None = None) -> None:
        """Use an array as the image (paste, tests)."""
        px = np.asarray(pixels, dtype=np.float32)
        if px.ndim == 2:
            px = px[:, :, None]
        self._set_image_data(ImageData(px, alpha, None, "RGB" if px.shape[2] == 3 else "L"), None, name)

    def _set_image_data(self, data: ImageData, path: Path | None, name: str | None = None):
        if self._state == "review":
            self._leave_review()
        doc = self.session.open_data(data, name)   # the canvas shows it (a session event)
        self._show_noise_estimate(doc)
        self._trajectory = self._result = self._run_info = None   # the last run belonged to the last image
        self.task_panel.reset_progress("idle")
        self.result_bar.clear()   # no "tile 1 / 216" or slider left from the last image's run
        self.plots.clear_run()
        self.canvas.set_original(None)
        self.empty_label.setVisible(False)
        self.info_label.setText(data.describe())
        self._update_title()
        self._update_actions()

    def paste(self) -> bool:
        if self._busy("paste"):
            return False
        md = QGuiApplication.clipboard().mimeData()
        if md is not None and md.hasImage():
            img = QGuiApplication.clipboard().image()
            if not img.isNull():
                if not self._confirm_replace():
                    return False
                px, alpha = qimage_to_array(img)
                self.set_image(px, alpha, "pasted image")
                self.statusBar().showMessage(f"Pasted a {px.shape[1]}\u00d7{px.shape[0]} image", 5000)
                return True
        if md is not None and md.hasUrls():
            for url in md.urls():
                if url.isLocalFile():
                    return self.open_image(url.toLocalFile())
        self.statusBar().showMessage("The clipboard holds no image", 4000)
        return False

    def copy_image(self):
        shown = self.canvas.shown()
        if shown is not None:
            QGuiApplication.clipboard().setImage(array_to_qimage(shown))
            self.statusBar().showMessage("Copied the picture to the clipboard", 3000)

    def _open_dialog(self):
        path = self.dialogs.open_image(self.last_folder())
        if path:
            self.open_image(path)

    def _metadata(self) -> dict:
        return saved_metadata(self._runs, __version__, self._data)

    def save_image(self, path, quality: int = 95) -> bool:
        """Save the image (a result under review is accepted first). Errors become a dialog."""
        accepted = False
        if self._state == "review":
            if not self.dialogs.confirm("Accept the result?", "The result under review is not part of the image "
                                        "yet. Accept it and save the image with it? (Ctrl+Z undoes the Accept; "
                                        "No leaves the result under review, unsaved.)"):
                self.statusBar().showMessage("Not saved: the result is still under review.", 5000)
                return False
            accepted = self.accept_result()
        img = self.canvas.image()
        if img is None:
            self.statusBar().showMessage("Nothing to save", 3000)
            return False
        path = Path(path)
        source = self._data.path if self._data is not None else None
        if source is not None and path.exists() and path.resolve() == Path(source).resolve() and \
                not self.dialogs.confirm("Replace the original?", f"{path.name} is the image you opened. "
                                         "Replace it with the edited image? The original cannot be recovered."):
            self.statusBar().showMessage("Not saved: the original is unchanged. Choose another name.", 5000)
            return False
        alpha = self._data.alpha if self._data is not None else None
        try:  # the source's depth, value range, ICC and EXIF, as the command line keeps them
            imageio.save_image(path, img, alpha, quality=quality, metadata=self._metadata(),
                               **imageio.export_options(self._data))
        except ImageIOError as e:
            self.dialogs.error("Cannot save image", str(e))
            return False
        self.session.saved(path)
        self._remember_folder(path)
        self._add_recent(path)
        self._update_title()
        self.statusBar().showMessage(f"Accepted the result and saved {path}" if accepted else f"Saved {path}", 5000)
        return True

    def _save_dialog(self) -> bool:
        if self.canvas.image() is None and self._result is None:
            return False
        suggested = Path(self._name or "untitled.png")
        if suggested.suffix.lower() not in imageio.WRITE_FORMATS:
            suggested = suggested.with_suffix(".png")
        if self._path is not None and self._dirty:
            suggested = suggested.with_name(suggested.stem + "-dpm" + suggested.suffix)
        path = self.dialogs.save_image(self.last_folder(), suggested.name)
        if not path:
            return False
        quality = 95
        fmt = imageio.WRITE_FORMATS.get(Path(path).suffix.lower())
        if fmt in ("JPEG", "WEBP"):
            q = self.dialogs.quality(fmt if fmt == "JPEG" else "WebP", Checked(self.settings).number("save/quality", 92, 1, 100))
            if q is None:
                return False
            quality = q
            self.settings.setValue("save/quality", q)
        return self.save_image(path, quality)

    # -- masks -------------------------------------------------------------------------------------------------------
    def load_mask(self, path) -> bool:
        if self._busy("load a mask") or not self.canvas.has_image():
            return False
        try:
            m = imageio.load_mask(path, self.canvas.image_shape())
        except ImageIOError as e:
            self.dialogs.error("Cannot load mask", str(e))
            return False
        self.canvas.set_mask(m, "load mask")
        if not (m > 0).any():
            self.statusBar().showMessage(f"Loaded mask {Path(path).name}: it is empty, so there is nothing to "
                                         "inpaint yet (white pixels mark the region to fill)", 8000)
        else:
            self.statusBar().showMessage(f"Loaded mask {Path(path).name}", 4000)
        return True

    def export_mask(self, path) -> bool:
        m = self.canvas.effective_mask()
        if m is None:
            return False
        try:
            imageio.save_mask(path, m)
        except ImageIOError as e:
            self.dialogs.error("Cannot export mask", str(e))
            return False
        self.statusBar().showMessage(f"Exported the mask to {path}", 4000)
        return True

    def _load_mask_dialog(self):
        p = self.dialogs.open_file("Load Mask", self.last_folder(), IMAGE_FILTER)
        if p:
            self.load_mask(p)

    def _export_mask_dialog(self):
        stem = Path(self._name or "untitled").stem
        p = self.dialogs.save_file("Export Mask", str(Path(self.last_folder()) / f"{stem}-mask.png"),
                                   "PNG (*.png);;TIFF (*.tif *.tiff)")
        if p:
            if Path(p).suffix.lower() not in (".png", ".tif", ".tiff", ".bmp"):
                p += ".png"
            self.export_mask(p)

    # -- trajectory export (off the GUI thread: gui/exports.py) ---------------------------------------------------
    def _trajectory_frames(self, indices=None):
        """The chosen chain's frames as whole images, composited one at a time (in the exporter's thread)."""
        from ..imageio import from_uint8

        tr, predicted, chain = self._trajectory, self._show_x0, self._chain()  # read now, in the GUI thread
        ks = list(range(len(tr)) if indices is None else indices)
        return (from_uint8(tr.frame(k, predicted, chain)) for k in ks)

    def _export_trajectory(self, steps, n: int, what: str, done) -> bool:
        """Run ``steps(frames)`` (a generator, one item per frame) off the GUI thread; ``done(k)`` is the
        status text once k frames are written."""
        if self._trajectory is None or not len(self._trajectory):
            self.statusBar().showMessage("Run a task first: there is no trajectory to export", 4000)
            return False
        if self.exporter.is_running():
            self.statusBar().showMessage("An export is in progress.", 4000)
            return False
        self._export_done = done
        self.exporter.start(steps, n, f"Exporting {what}\u2026", self)
        self.statusBar().showMessage(f"Exporting {what}\u2026 (Cancel in the progress window stops it)")
        return True

    @Slot(int)
    def _on_export_finished(self, n: int):
        self.statusBar().showMessage(self._export_done(n), 5000)

    @Slot(int)
    def _on_export_aborted(self, n: int):
        self.statusBar().showMessage(f"Export cancelled ({n} of {self.exporter.total} frames were done).", 6000)

    @Slot(object)
    def _on_export_errored(self, info):
        self.statusBar().showMessage("The export failed.", 5000)
        self.dialogs.error("Cannot export trajectory", info.message)

    def export_trajectory_gif(self, path, duration_ms: int = 60) -> bool:
        """Start writing the chosen chain as a GIF (at most GIF_MAX_FRAMES frames, evenly spread, the last
        one included; at most imageio.GIF_MAX_SIDE px); the exporter reports the end."""
        from .analysis import frame_indices

        n = len(self._trajectory) if self._trajectory is not None else 0
        keep = sorted(frame_indices(n, GIF_MAX_FRAMES))
        return self._export_trajectory(imageio.save_gif_steps(path, self._trajectory_frames(keep), duration_ms),
                                       len(keep), "the trajectory as a GIF",
                                       lambda k: f"Exported {k} frames to {path}")

    def export_trajectory_frames(self, folder) -> bool:
        n = len(self._trajectory) if self._trajectory is not None else 0
        return self._export_trajectory(imageio.save_frames_steps(folder, self._trajectory_frames(), n), n,
                                       "the trajectory's frames", lambda k: f"Exported {k} PNG frames to {folder}")

    def _export_gif_dialog(self):
        stem = Path(self._name or "untitled").stem
        p = self.dialogs.save_file("Export Trajectory as GIF",
                                   str(Path(self.last_folder()) / f"{stem}-trajectory.gif"), "GIF (*.gif)")
        if p:
            self.export_trajectory_gif(p if p.lower().endswith(".gif") else p + ".gif")

    def _export_frames_dialog(self):
        p = self.dialogs.folder("Export Trajectory Frames to Folder", self.last_folder())
        if p:
            self.export_trajectory_frames(p)

    # -- checkpoints -------------------------------------------------------------------------------------------------
    def refresh_checkpoints(self, select: str | None = None):
        from ..core import checkpoint

        cards, skipped = checkpoint.scan_cards()  # bad cards are skipped, with a word in the status bar
        if skipped:
            self.statusBar().showMessage(f"{len(skipped)} checkpoint card(s) {skipped[0]}", 15000)
        names = {c["name"] for c in cards}
        for p in list(self._extra_cards):
            try:
                card = checkpoint.read_card(p)
            except checkpoint.CheckpointError:
                self._extra_cards.remove(p)
                continue
            card["path"] = card.pop("_path")
            if card["name"] not in names:
                cards.append(card)
                names.add(card["name"])
        cur = select or self.task_panel.settings().checkpoint
        self.task_panel.set_cards(cards, select=cur)

    def select_checkpoint(self, name_or_path: str) -> bool:
        """Pick a listed checkpoint by name or card path."""
        return self.task_panel.select(name_or_path)

    def _open_checkpoint_dialog(self):
        p = self.dialogs.open_file("Open Checkpoint", self.last_folder(), "Checkpoint cards (*.json *.safetensors)")
        if p:
            self.open_checkpoint(p)

    def open_checkpoint(self, path) -> bool:
        from ..core import checkpoint

        try:
            card_path = checkpoint.resolve(path)
            checkpoint.read_card(card_path)
        except checkpoint.CheckpointError as e:
            self.dialogs.error("Cannot use checkpoint", str(e))
            return False
        if str(card_path) not in self._extra_cards:
            self._extra_cards.append(str(card_path))
        self.refresh_checkpoints(select=str(card_path))
        return True

    def _import_checkpoint_dialog(self):
        p = self.dialogs.open_file("Import Checkpoint", self.last_folder(),
                                   "Checkpoints (*.safetensors *.json)")
        if p:
            self.import_checkpoint(p)

    def import_checkpoint(self, path) -> bool:
        """File > Import Checkpoint: check it loads, copy its two files into the models folder, select it."""
        from ..core.checkpoint import CheckpointError
        from .models import import_checkpoint

        QApplication.setOverrideCursor(Qt.WaitCursor)
        try:
            card_path = import_checkpoint(path)
        except CheckpointError as e:
            self.dialogs.error("Cannot import checkpoint", str(e))
            return False
        except Exception as e:  # noqa: BLE001 - a bad file must not take the app down
            traceback.print_exc()
            self.dialogs.error("Cannot import checkpoint", f"{Path(path).name}: {type(e).__name__}: {e}")
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self.refresh_checkpoints(select=str(card_path))
        self.statusBar().showMessage(f"Imported {card_path.stem} into your models folder ({card_path.parent})", 8000)
        return True

    def open_models_folder(self) -> str:
        """Help > Open Models Folder: the user's checkpoint folder (made if missing) in the file manager."""
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        from ..core.locations import user_checkpoints_dir

        folder = user_checkpoints_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            self.dialogs.error("Cannot open the models folder", f"{folder}: {e.strerror or e}")
            return ""
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.statusBar().showMessage(f"Your models folder is {folder}", 10000)
        return str(folder)

    def model(self, path: str, device: str = "cpu"):
        """A loaded checkpoint (the core's cache, shared with the API: reloaded when its files
        change); raises CheckpointError."""
        from ..core import checkpoint

        return checkpoint.load_cached(path, device)

    @Slot(str)
    def _on_checkpoint_changed(self, path: str):
        from ..core.checkpoint import CheckpointError

        self._loaded, self._model_error = None, ""
        if path:
            QApplication.setOverrideCursor(Qt.WaitCursor)
            try:
                self._loaded = self.model(path)
            except CheckpointError as e:
                self._model_error = str(e)
            except Exception as e:  # noqa: BLE001
                traceback.print_exc()
                self._model_error = f"cannot load this checkpoint: {e}"
            finally:
                QApplication.restoreOverrideCursor()
        try:
            self.plots.set_model(self._loaded)
        except Exception:  # noqa: BLE001 - a plot must never stop the app
            traceback.print_exc()
        self._update_hint()
        self._update_actions()
