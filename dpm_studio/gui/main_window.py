"""The main window: menus, canvas, panels, plots, and the run / review workflow.

States: ``edit`` (paint the mask, change settings), ``running`` (frames stream into the
canvas, the mask is locked, Cancel stops within one step), ``review`` (a finished run:
scrub the trajectory, compare, Accept or Discard). The user's image and mask are never
touched by a run; only Accept replaces the image.

Every dialog goes through :class:`Dialogs`, which tests replace, and every menu action
calls a method that takes plain arguments (``open_image(path)``, ``save_image(path)``,
...), so the same code paths run with and without a person in front of the screen.
"""

from __future__ import annotations

import platform
import sys
import time
import traceback
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QSettings, QSignalBlocker, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QDialog, QDialogButtonBox, QDockWidget, QFileDialog, QInputDialog, QLabel, QMainWindow,
    QMessageBox, QScrollArea, QTextBrowser, QToolBar, QVBoxLayout, QWidget,
)

from .. import __version__, imageio
from ..core.noise import estimate_noise_sigma
from ..core.requests import InpaintRequest, saved_metadata
from ..paths import DEFAULT_CHECKPOINT
from ..imageio import ImageData, ImageIOError
from . import icons
from .canvas import ImageCanvas, Tool
from .panels import MaskPanel, ResultBar
from .task_panel import TaskPanel
from .plots import PlotsDock
from .qtfix import protect_singletons
from .frames import uncertainty_u8
from .runner import RunJob, TaskRunner
from .safe_settings import safe_settings, typed_value
from .session import Session

__all__ = ["MainWindow", "Dialogs"]

APP_NAME = "DPM Studio"
MAX_RECENT = 10
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.webp *.gif *.ppm *.pgm);;All files (*)"
SAVE_FILTERS = {"PNG (*.png)": ".png", "JPEG (*.jpg *.jpeg)": ".jpg", "TIFF (*.tif *.tiff)": ".tif",
                "WebP (*.webp)": ".webp", "BMP (*.bmp)": ".bmp"}

SHORTCUTS = [
    ("File", [("Ctrl+O", "Open an image"), ("Ctrl+V", "Paste an image"), ("Ctrl+Shift+S", "Save As"),
              ("Ctrl+Q", "Quit")]),
    ("Mask tools", [("B", "Brush"), ("E", "Eraser"), ("R", "Rectangle (Alt: subtract)"),
                    ("L", "Lasso: drag freehand, or click points and double-click / Enter to close"),
                    ("H", "Pan tool"), ("[  ]", "Smaller / larger brush"), ("Shift+click", "Straight brush line"),
                    ("Ctrl+I", "Invert mask"), ("Delete", "Clear mask"), ("M", "Show / hide the mask overlay"),
                    ("Ctrl+Z / Ctrl+Shift+Z", "Undo / redo mask edits")]),
    ("View", [("Wheel", "Zoom about the cursor"), ("Middle or right drag, Space+drag", "Pan"),
              ("Ctrl+0", "Fit to window"), ("Ctrl+1", "Actual size"), ("Ctrl+= / Ctrl+-", "Zoom in / out")]),
    ("Run", [("Ctrl+Return", "Run"), ("Esc", "Cancel the run"), ("X", "Show x\u209c or the predicted x\u2080"),
             ("\\ (hold)", "Show the original"), ("Ctrl+Shift+Return", "Accept the result"),
             ("Ctrl+Backspace", "Discard the result")]),
]


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

    def ask_unsaved(self, text: str) -> str:
        """'save', 'discard' or 'cancel'."""
        r = QMessageBox.warning(self.parent, "Unsaved result", text,
                                QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
        return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(r, "cancel")


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


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, dialogs: Dialogs | None = None, parent=None):
        protect_singletons()  # PySide6 6.12 on Python 3.11 leaks references to None and True: see qtfix
        super().__init__(parent)
        self.settings = safe_settings(settings if settings is not None else QSettings())
        self.dialogs = dialogs if dialogs is not None else Dialogs(self)
        self.setObjectName("main-window")
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icons.app_icon())
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)

        self.session = Session()                # the document, the mask, the undo history
        self._data: ImageData | None = None     # how the document was read (format, notes)
        self._plot_total = None
        self._state = "edit"
        self._result = None                     # the done Frame of the last run
        self._trajectory = None
        self._run_info: dict | None = None
        self._show_x0 = False
        self._models: dict = {}
        self._loaded = None                     # the selected checkpoint, loaded on the CPU
        self._model_error = ""
        self._close_when_stopped = False
        self._extra_cards: list[str] = []

        self._build_widgets()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._connect()
        self.runner = TaskRunner(self)
        self.runner.frame.connect(self._on_frame)
        self.runner.finished.connect(self._on_finished)
        self.runner.aborted.connect(self._on_aborted)
        self.runner.errored.connect(self._on_errored)
        self._restore_settings()
        self.statusBar().showMessage("Open an image (Ctrl+O), drop one here, or paste one (Ctrl+V).")
        self.refresh_checkpoints(select=self.settings.value("run/checkpoint", "", str) or DEFAULT_CHECKPOINT)
        self._set_state("edit")

    # The open document's fields, kept in the session (gui/session.py).
    @property
    def _runs(self) -> list:
        return self.session.doc.runs if self.session.doc is not None else []

    def _doc_field(name, default=None):  # noqa: N805 - a property factory used in the class body
        def get(self):
            return getattr(self.session.doc, name) if self.session.doc is not None else default

        def put(self, value):
            if self.session.doc is not None:
                setattr(self.session.doc, name, value)
        return property(get, put)

    _path = _doc_field("path")
    _name = _doc_field("name")
    _dirty = _doc_field("dirty", False)
    del _doc_field

    # -- construction ---------------------------------------------------------------------------------------
    def _build_widgets(self):
        self.canvas = ImageCanvas(session=self.session)
        self.canvas.setAcceptDrops(False)
        self.canvas.viewport().setAcceptDrops(False)
        self.result_bar = ResultBar()  # always there, so the canvas never changes size when a run starts
        self.empty_label = QLabel("<div style='font-size:15pt; color:#9a9a9a'>Open an image to begin</div>"
                                  "<div style='color:#8a8a8a'>File \u203a Open (Ctrl+O), drag and drop a file "
                                  "here, or paste (Ctrl+V).<br>Or pick <b>Sample</b> to draw a new image from "
                                  "the model.</div>")
        self.empty_label.setAlignment(Qt.AlignCenter)
        self.empty_label.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.empty_label.setStyleSheet("background: transparent;")
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.canvas, 1)
        lay.addWidget(self.result_bar)
        self.setCentralWidget(central)
        self.empty_label.setParent(self.canvas)

        self.mask_panel = MaskPanel()
        self.task_panel = TaskPanel()
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.setSpacing(0)
        sl.addWidget(self.task_panel)
        mp = QWidget()
        ml = QVBoxLayout(mp)
        ml.setContentsMargins(6, 0, 6, 6)
        ml.addWidget(self.mask_panel)
        sl.addWidget(mp)
        sl.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.side_dock = QDockWidget("Controls", self)
        self.side_dock.setObjectName("task-dock")
        self.side_dock.setWidget(scroll)
        self.side_dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable)
        side.setMinimumWidth(300)
        self.addDockWidget(Qt.RightDockWidgetArea, self.side_dock)
        self.plots = PlotsDock(self)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.plots)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self.setCorner(Qt.TopRightCorner, Qt.RightDockWidgetArea)
        self.resizeDocks([self.plots], [210], Qt.Vertical)
        self.resizeDocks([self.side_dock], [330], Qt.Horizontal)

        sb = self.statusBar()
        self.pixel_label = QLabel("")
        self.pixel_label.setMinimumWidth(300)
        self.zoom_label = QLabel("")
        self.info_label = QLabel("")
        for w in (self.pixel_label, self.info_label, self.zoom_label):
            sb.addPermanentWidget(w)

    def _action(self, text, slot=None, shortcut=None, tip=None, checkable=False, icon=None) -> QAction:
        a = QAction(text, self)
        if shortcut:
            a.setShortcuts([QKeySequence(s) for s in shortcut] if isinstance(shortcut, (list, tuple))
                           else [QKeySequence(shortcut)])
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(tip)
        if icon:
            a.setIcon(icons.icon(icon))
        a.setCheckable(checkable)
        if slot is not None:
            a.triggered.connect(slot)
        self.addAction(a)
        return a

    def _build_actions(self):
        A = self._action
        self.act_open = A("&Open\u2026", self._open_dialog, QKeySequence.Open, "Open an image")
        self.act_paste = A("&Paste Image", self.paste, QKeySequence.Paste, "Paste an image from the clipboard")
        self.act_save_as = A("Save &As\u2026", self._save_dialog, ["Ctrl+Shift+S", "Ctrl+S"],
                             "Save the image (PNG, JPEG, TIFF, WebP, BMP)")
        self.act_export_mask = A("Export &Mask\u2026", self._export_mask_dialog, None, "Save the mask as a grey image")
        self.act_load_mask = A("&Load Mask\u2026", self._load_mask_dialog, None, "Load a mask image (white = fill)")
        self.act_export_gif = A("Export Trajectory as &GIF\u2026", self._export_gif_dialog, None,
                                "Save the recorded trajectory as an animated GIF")
        self.act_export_frames = A("Export Trajectory as PNG &Frames\u2026", self._export_frames_dialog, None,
                                   "Save the recorded trajectory as numbered PNG files")
        self.act_open_ckpt = A("Open &Checkpoint\u2026", self._open_checkpoint_dialog, None,
                               "Use a checkpoint file that is not in a checkpoint folder")
        self.act_refresh = A("&Rescan Checkpoints", lambda: self.refresh_checkpoints(), None,
                             "Look for new checkpoints in the checkpoint folders")
        self.act_quit = A("&Quit", self.close, QKeySequence.Quit)

        self.act_undo = A("&Undo", self.canvas.undo, ["Ctrl+Z"], "Undo the last mask edit", icon="undo")
        self.act_redo = A("&Redo", self.canvas.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo", icon="redo")
        self.act_invert = A("&Invert Mask", self.canvas.invert_mask, "Ctrl+I", "Swap filled and kept pixels",
                            icon="invert")
        self.act_clear = A("&Clear Mask", self.canvas.clear_mask, ["Delete", "Ctrl+Shift+A"], "Remove the whole mask",
                           icon="clear")
        self.act_copy = A("&Copy Image", self.copy_image, QKeySequence.Copy, "Copy the shown picture")
        self.tool_group = QActionGroup(self)
        self.tool_actions = {}
        for tool, text, key, tip in ((Tool.BRUSH, "&Brush", "B", "Paint the region to fill"),
                                     (Tool.ERASER, "&Eraser", "E", "Erase from the mask"),
                                     (Tool.RECT, "&Rectangle", "R", "Drag a rectangle (hold Alt to subtract)"),
                                     (Tool.LASSO, "&Lasso", "L", "Drag freehand, or click points and "
                                                                 "double-click to close a polygon"),
                                     (Tool.PAN, "&Pan", "H", "Drag to move the view")):
            a = A(text, None, key, f"{tip} ({key})", checkable=True, icon=tool.value)
            a.setData(tool.value)
            self.tool_group.addAction(a)
            self.tool_actions[tool] = a
        self.tool_actions[Tool.BRUSH].setChecked(True)
        self.act_smaller = A("S&maller Brush", lambda: self.canvas.grow_brush(1 / 1.25), "[")
        self.act_larger = A("&Larger Brush", lambda: self.canvas.grow_brush(1.25), "]")

        self.act_fit = A("&Fit to Window", self.canvas.fit, "Ctrl+0", icon="fit")
        self.act_actual = A("&Actual Size", lambda: self.canvas.set_zoom(1.0), "Ctrl+1")
        self.act_zoom_in = A("Zoom &In", lambda: self.canvas.zoom_by(1.25), ["Ctrl+=", "Ctrl++"])
        self.act_zoom_out = A("Zoom &Out", lambda: self.canvas.zoom_by(0.8), "Ctrl+-")
        self.act_overlay = A("Show &Mask Overlay", self._toggle_overlay, "M", checkable=True)
        self.act_overlay.setChecked(True)
        self.act_split = A("&Split Compare", None, None, "Before | after with a draggable divider", checkable=True)
        self.act_x0 = A("Show Predicted x\u2080", None, "X", "Show the model's x_0 estimate instead of x_t",
                        checkable=True)

        self.act_run = A("&Run", self.run, ["Ctrl+Return", "Ctrl+Enter"], "Run the task", icon="run")
        self.act_cancel = A("&Cancel Run", self.cancel, "Esc", "Stop after the current step", icon="stop")
        self.act_accept = A("&Accept Result", self.accept_result, "Ctrl+Shift+Return", "Make the result the image")
        self.act_discard = A("&Discard Result", self.discard_result, "Ctrl+Backspace", "Drop the result")
        self.act_estimate = A("&Estimate Noise Level", self.estimate_noise, None,
                              "Estimate the noise std of the image")
        self.act_seed = A("New Random &Seed", self.task_panel.new_seed, "Ctrl+Shift+R")

        self.act_shortcuts = A("&Keyboard Shortcuts", self.show_shortcuts, "F1")
        self.act_about = A("&About DPM Studio", self.show_about)

    def _build_menus(self):
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addAction(self.act_open)
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.sample_menu = m.addMenu("Open &Sample")
        self._fill_sample_menu()
        self.sample_menu.aboutToShow.connect(self._update_sample_menu)
        m.addAction(self.act_paste)
        m.addSeparator()
        m.addAction(self.act_save_as)
        m.addSeparator()
        m.addAction(self.act_load_mask)
        m.addAction(self.act_export_mask)
        m.addSeparator()
        m.addAction(self.act_export_gif)
        m.addAction(self.act_export_frames)
        m.addSeparator()
        m.addAction(self.act_open_ckpt)
        m.addAction(self.act_refresh)
        m.addSeparator()
        m.addAction(self.act_quit)

        m = mb.addMenu("&Edit")
        m.addAction(self.act_undo)
        m.addAction(self.act_redo)
        m.addSeparator()
        m.addAction(self.act_copy)
        m.addSeparator()
        for a in self.tool_actions.values():
            m.addAction(a)
        m.addAction(self.act_smaller)
        m.addAction(self.act_larger)
        m.addSeparator()
        m.addAction(self.act_invert)
        m.addAction(self.act_clear)

        m = mb.addMenu("&View")
        for a in (self.act_fit, self.act_actual, self.act_zoom_in, self.act_zoom_out):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.act_overlay)
        m.addAction(self.act_split)
        m.addAction(self.act_x0)
        m.addSeparator()
        m.addAction(self.side_dock.toggleViewAction())
        m.addAction(self.plots.toggleViewAction())

        m = mb.addMenu("&Run")
        for a in (self.act_run, self.act_cancel, None, self.act_accept, self.act_discard, None, self.act_estimate,
                  self.act_seed):
            m.addSeparator() if a is None else m.addAction(a)

        m = mb.addMenu("&Help")
        m.addAction(self.act_shortcuts)
        m.addAction(self.act_about)

    def _build_toolbar(self):
        tb = QToolBar("Tools", self)
        tb.setObjectName("tools-toolbar")
        tb.setToolButtonStyle(Qt.ToolButtonTextUnderIcon)
        tb.setIconSize(tb.iconSize() * 1.2)
        for a in self.tool_actions.values():
            tb.addAction(a)
        tb.addSeparator()
        for a, short in ((self.act_invert, "Invert"), (self.act_clear, "Clear"), (self.act_undo, "Undo"),
                         (self.act_redo, "Redo")):
            a.setIconText(short)
            tb.addAction(a)
        tb.addSeparator()
        self.act_fit.setIconText("Fit")
        tb.addAction(self.act_fit)
        self.addToolBar(Qt.LeftToolBarArea, tb)
        self.tools_toolbar = tb

    def _connect(self):
        c, mp, tp, rb = self.canvas, self.mask_panel, self.task_panel, self.result_bar
        self.tool_group.triggered.connect(self._on_tool_action)
        c.toolChanged.connect(self._on_tool_changed)
        c.historyChanged.connect(self._update_actions)
        c.imageEdited.connect(self._on_image_edited)
        c.maskChanged.connect(self._on_mask_changed)
        c.hovered.connect(self._on_hover)
        c.zoomChanged.connect(self._on_zoom)
        c.brushSizeChanged.connect(self._on_brush_size)
        mp.brushSizeChanged.connect(c.set_brush_size)
        mp.featherChanged.connect(self._on_feather)
        mp.opacityChanged.connect(c.set_overlay_opacity)
        mp.overlayToggled.connect(self._set_overlay_pref)
        tp.runRequested.connect(self.run)
        tp.cancelRequested.connect(self.cancel)
        tp.estimateRequested.connect(self.estimate_noise)
        tp.checkpointChanged.connect(self._on_checkpoint_changed)
        tp.taskChanged.connect(self._on_task_changed)
        rb.scrubbed.connect(self._on_scrub)
        rb.showX0Changed.connect(self._set_show_x0)
        rb.splitToggled.connect(self._set_split)
        rb.acceptRequested.connect(self.accept_result)
        rb.discardRequested.connect(self.discard_result)
        rb.variantChosen.connect(self._on_variant)
        self.act_split.toggled.connect(self._set_split)
        self.act_x0.toggled.connect(self._set_show_x0)

    # -- settings ----------------------------------------------------------------------------------------------
    def _restore_settings(self):
        s = self.settings
        geo = s.value("window/geometry")
        if geo is not None:
            self.restoreGeometry(geo)
        else:
            self.resize(1320, 860)
        st = s.value("window/state")
        if st is not None:
            self.restoreState(st)
        tp = self.task_panel
        tp.steps.setValue(typed_value(s, "run/steps", int(InpaintRequest.steps)))
        tp.steps_all.setChecked(typed_value(s, "run/steps_all", False))
        tp.seed.setValue(typed_value(s, "run/seed", 0))
        tp.samples.setValue(typed_value(s, "run/samples", 1))
        i = tp.mode.findData(s.value("run/mode", InpaintRequest.mode))
        tp.mode.setCurrentIndex(max(0, i))
        i = tp.start.findData(s.value("run/start", InpaintRequest.start))
        tp.start.setCurrentIndex(max(0, i))
        i = tp.variance.findData(s.value("run/variance", "learned"))
        tp.variance.setCurrentIndex(max(0, i))
        i = tp.device.findData(s.value("run/device", "cpu"))
        tp.device.setCurrentIndex(max(0, i))
        tp.set_task(s.value("run/task", "inpaint", str))
        self.mask_panel.brush.setValue(typed_value(s, "mask/brush", 24))
        self.canvas.set_brush_size(self.mask_panel.brush.value())
        self.canvas.set_feather(self.mask_panel.feather.value())
        self._extra_cards = self._str_list(s.value("checkpoints/extra", []))

    def save_settings(self):
        s, tp = self.settings, self.task_panel
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        st = tp.settings()
        s.setValue("run/checkpoint", st.checkpoint or "")
        s.setValue("run/steps", int(tp.steps.value()))
        s.setValue("run/steps_all", tp.steps_all.isChecked())
        s.setValue("run/seed", st.seed)
        s.setValue("run/samples", st.samples)
        s.setValue("run/mode", st.mode)
        s.setValue("run/start", st.start)
        s.setValue("run/variance", tp.variance.currentData())
        s.setValue("run/device", st.device)
        s.setValue("run/task", st.task)
        s.setValue("mask/brush", int(self.canvas.brush_size()))
        s.setValue("checkpoints/extra", self._extra_cards)
        s.sync()

    @staticmethod
    def _str_list(v) -> list[str]:
        if v is None:
            return []
        if isinstance(v, str):
            return [v] if v else []
        return [str(x) for x in v]

    def last_folder(self) -> str:
        return self.settings.value("paths/last_folder", str(Path.home()), str)

    def _remember_folder(self, path):
        self.settings.setValue("paths/last_folder", str(Path(path).resolve().parent))

    def recent_files(self) -> list[str]:
        return self._str_list(self.settings.value("paths/recent", []))

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
            a.triggered.connect(self._open_recent_action)
        m.addSeparator()
        m.addAction("Clear Recent Files", lambda: self.settings.setValue("paths/recent", []))

    @Slot()
    def _open_recent_action(self):
        a = self.sender()
        if a is not None and a.data():
            self.open_image(a.data())

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
            a.triggered.connect(self._open_sample_action)

    @Slot()
    def _update_sample_menu(self):
        for a in self.sample_menu.actions():
            if a.data():
                a.setEnabled(not self.runner.is_running())

    @Slot()
    def _open_sample_action(self):
        a = self.sender()
        if a is not None and a.data():
            self.open_sample(a.data())

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
        self._data = data
        doc = self.session.open(data.pixels, data.alpha, path, data.mode, data.bit_depth, name)
        self._show_noise_estimate(doc)
        self._trajectory = self._result = self._run_info = None   # the last run belonged to the last image
        self.task_panel.reset_progress("idle")
        self.plots.clear_run()
        self.canvas.set_image(doc.pixels, reset_mask=True, fit=True)
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
        meta = saved_metadata(self._runs, __version__)
        if self._data is not None and self._data.path is not None:
            meta["source"] = self._data.path.name
        return meta

    def save_image(self, path, quality: int = 95) -> bool:
        """Save the image (a result under review is accepted first). Errors become a dialog."""
        if self._state == "review":
            self.accept_result()
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
        depth = self._data.bit_depth if self._data is not None else 8
        try:
            imageio.save_image(path, img, alpha, quality=quality, metadata=self._metadata(), bit_depth=depth)
        except ImageIOError as e:
            self.dialogs.error("Cannot save image", str(e))
            return False
        self._path = path
        self._name = path.name
        self._dirty = False
        self._remember_folder(path)
        self._add_recent(path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {path}", 5000)
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
            q = self.dialogs.quality(fmt if fmt == "JPEG" else "WebP", int(self.settings.value("save/quality", 92)))
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

    # -- trajectory export ------------------------------------------------------------------------------------------
    def _trajectory_frames(self) -> list:
        tr = self._trajectory
        if tr is None:
            return []
        return tr.frames(self._show_x0)

    def export_trajectory_gif(self, path, duration_ms: int = 60) -> bool:
        frames = self._trajectory_frames()
        if not frames:
            self.statusBar().showMessage("Run a task first: there is no trajectory to export", 4000)
            return False
        try:
            imageio.save_gif(path, frames, duration_ms)
        except ImageIOError as e:
            self.dialogs.error("Cannot export trajectory", str(e))
            return False
        self.statusBar().showMessage(f"Exported {len(frames)} frames to {path}", 5000)
        return True

    def export_trajectory_frames(self, folder) -> bool:
        frames = self._trajectory_frames()
        if not frames:
            self.statusBar().showMessage("Run a task first: there is no trajectory to export", 4000)
            return False
        try:
            imageio.save_frames(folder, frames)
        except ImageIOError as e:
            self.dialogs.error("Cannot export trajectory", str(e))
            return False
        self.statusBar().showMessage(f"Exported {len(frames)} PNG frames to {folder}", 5000)
        return True

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

    def model(self, path: str, device: str = "cpu"):
        """A loaded checkpoint (cached); raises CheckpointError."""
        from ..core import checkpoint

        key = (str(path), device)
        if key not in self._models:
            if len(self._models) >= 4:
                self._models.pop(next(iter(self._models)))
            self._models[key] = checkpoint.load(path, device=device)
        return self._models[key]

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

    # -- run ----------------------------------------------------------------------------------------------------------
    def _check_run(self, st) -> str:
        """Why a run cannot start now ('' if it can)."""
        if self.runner.is_running():
            return "A run is in progress."
        if st.checkpoint is None:
            return "No image model is available: open a checkpoint (File \u203a Open Checkpoint)."
        if self._model_error:
            return self._model_error
        if st.task in ("inpaint", "denoise") and not self.canvas.has_image():
            return f"Open an image to {st.task} (or choose Sample)."
        if st.task == "inpaint":
            m = self.canvas.mask()
            if m is None or not (m > 0).any():
                return "Paint over the region to fill first (brush B, rectangle R, lasso L)."
        return ""

    def _update_hint(self):
        if self._state == "running":
            self.task_panel.set_hint("")
            return
        st = self.task_panel.settings()
        why = self._check_run(st)
        self.task_panel.set_hint(why)

    def run(self) -> bool:
        """Start the selected task on a copy of the image and mask."""
        if self.runner.is_running():
            return False
        st = self.task_panel.settings()
        why = self._check_run(st)
        if why:
            self.task_panel.set_hint(why)
            self.statusBar().showMessage(why, 5000)
            return False
        from ..core.checkpoint import CheckpointError

        try:
            loaded = self.model(st.checkpoint, st.device)
        except CheckpointError as e:
            self.dialogs.error("Cannot load checkpoint", str(e))
            return False
        except Exception as e:  # noqa: BLE001 - e.g. CUDA errors
            traceback.print_exc()
            self.dialogs.error("Cannot load checkpoint", f"{type(e).__name__}: {e}")
            return False
        if self._state == "review":
            self._leave_review(show_base=False)
        req = st.request()
        try:
            req.validate(loaded)
        except ValueError as e:
            self.task_panel.set_hint(str(e))
            self.statusBar().showMessage(str(e), 5000)
            return False
        image, kwargs = None, {}
        if st.task in ("inpaint", "denoise"):
            image = self.canvas.image().copy()
        if st.task == "inpaint":
            kwargs["mask"] = self.canvas.effective_mask()
        card = loaded.card
        extra = {"feather": self.canvas.feather()} if st.task == "inpaint" else {}
        self._run_info = req.metadata(loaded, **extra)
        self._result = None
        self._trajectory = None
        self.canvas.set_original(self.canvas.image() if st.task != "sample" else None)
        self._plot_total = None
        self.plots.start_run(1)
        self._run_started = time.perf_counter()
        self.runner.start(RunJob(loaded, req, image, kwargs))
        self._set_state("running")
        self.canvas.setFocus()  # Space and \ work at once, and Space does not press Run again
        self.empty_label.setVisible(False)
        note = ""
        if st.task == "inpaint" and bool((kwargs["mask"] > 0).all()):
            note = "  Note: the mask covers the whole image, so inpainting becomes unconditional sampling."
        self.statusBar().showMessage(f"Running {st.task} with {card.get('name')}\u2026{note}")
        return True

    def cancel(self):
        if self.runner.is_running():
            self.runner.cancel()
            self.task_panel.cancel_button.setEnabled(False)
            self.statusBar().showMessage("Stopping after the current step\u2026")

    @Slot(object)
    def _on_frame(self, frame):
        if self._state != "running":
            return
        if frame.total != self._plot_total:
            self._plot_total = frame.total
            self.plots.start_run(frame.total)
        self.canvas.show_frame(frame.display(self._show_x0), frame.box)
        value, maximum, text = frame.progress
        self.task_panel.set_progress(value, maximum, frame.elapsed, frame.eta, text)
        self.result_bar.set_live(frame.index, frame.total, frame.t, frame.progress[2])
        self.plots.update_run(frame)

    @Slot(object)
    def _on_finished(self, frame):
        if frame is None:
            self._on_aborted(None)
            return
        self._result = frame
        self._trajectory = frame.trajectory
        self._set_state("review")
        self.plots.update_run(frame)
        self.plots.end_run()
        n = len(self._trajectory) if self._trajectory is not None else 0
        self.result_bar.set_review(True, n)
        self._variant = 0
        self.result_bar.set_variants(len(frame.samples or []))
        self._on_scrub(max(0, n - 1))
        took = frame.elapsed
        self._run_info["seconds"] = round(took, 2)
        value, maximum, text = frame.progress
        self.task_panel.set_progress(maximum, maximum, took, 0)
        self.task_panel.progress.setFormat(f"done: {text} in {took:.1f} s")
        self.statusBar().showMessage(
            f"Done in {took:.1f} s. Accept (Ctrl+Shift+Return) keeps the result; hold \\ to see the original.")
        self._update_title()

    @Slot(object)
    def _on_aborted(self, last):
        self._set_state("edit")
        self.canvas.set_original(None)
        self.canvas.show_base()
        self.plots.end_run()
        at = f" at {last.progress[2]}" if last is not None and last.progress[2] else ""
        self.task_panel.reset_progress(f"cancelled{at}")
        self.statusBar().showMessage(f"Cancelled{at}. The image and mask are unchanged.", 6000)
        self._after_run()

    @Slot(object)
    def _on_errored(self, info):
        self._set_state("edit")
        self.canvas.set_original(None)
        self.canvas.show_base()
        self.plots.end_run()
        self.task_panel.reset_progress("failed")
        sys.stderr.write(info.traceback)
        self.statusBar().showMessage("The run failed; the image and mask are unchanged.", 8000)
        if not self._close_when_stopped:
            self.dialogs.error("Run failed", f"The run stopped with an error:\n\n{info.message}\n\n"
                                             "The image and mask are unchanged.")
        self._after_run()

    def _after_run(self):
        if self._close_when_stopped:
            self._close_when_stopped = False
            QTimer.singleShot(0, self.close)

    # -- variants: N samples beside their mean, and their spread -------------------------------------------
    def _samples(self) -> list:
        return (self._result.samples or []) if self._result is not None else []

    def _on_variant(self, i: int):
        self._variant = max(0, i)
        spread = self._variant == len(self._samples()) + 1
        self.result_bar.accept_button.setEnabled(self._state == "review" and not spread)
        tr = self._trajectory
        if self._state == "review" and tr is not None:
            with QSignalBlocker(self.result_bar.slider):
                self.result_bar.slider.setValue(len(tr) - 1)
            self._on_scrub(len(tr) - 1)

    def _variant_picture(self):
        """What the chosen variant shows: a float image, or the uncertainty map (uint8)."""
        samples, v = self._samples(), getattr(self, "_variant", 0)
        if not samples or v == 0:
            return self._result.image
        if v <= len(samples):
            return samples[v - 1]
        return uncertainty_u8(samples)

    def _on_scrub(self, k: int):
        tr = self._trajectory
        if tr is None or not (0 <= k < len(tr)):
            return
        last = k == len(tr) - 1
        if last and self._samples() and self._result is not None:
            self.canvas.show_frame(self._variant_picture())
        else:
            self.canvas.show_frame(tr.frame(k, self._show_x0))
        total = tr.total or (tr.indices[-1] + 1)
        step = tr.labels[k] if tr.labels and tr.labels[k] else f"step {tr.indices[k] + 1} / {total}"
        label = "result" if last else f"{step}   t = {tr.times[k]:.4g}"
        self.result_bar.step_label.setText(label)
        self.plots.set_cursor(tr.indices[k], tr.times[k])

    def result_image(self) -> np.ndarray | None:
        """The finished run's result (float (H, W, C)) while it is under review: the chosen
        sample, or the mean of the samples (also while their spread is shown)."""
        if self._result is None or self._state != "review":
            return None
        pic = self._variant_picture()
        return self._result.image if pic.dtype == np.uint8 else pic

    def accept_result(self) -> bool:
        if self._state != "review" or self._result is None:
            return False
        res = np.asarray(self.result_image(), dtype=np.float32)
        run = dict(self._run_info or {})
        n, v = len(self._samples()), getattr(self, "_variant", 0)
        if n:
            run["choice"] = f"sample {v} of {n}" if 1 <= v <= n else f"mean of {n}"
        if run.get("task") == "sample" or not self.canvas.has_image() or self.canvas.image_shape() != res.shape[:2]:
            return self._open_sample_result(res, run)
        self.session.accept(res, run)
        self._leave_review(show_base=False)
        self.canvas.image_edited()
        self.statusBar().showMessage("Result accepted (Ctrl+Z undoes it). Save it with File \u203a Save As "
                                     "(Ctrl+Shift+S).", 6000)
        self._update_title()
        self._update_actions()
        return True

    def _open_sample_result(self, res, run) -> bool:
        """A sample opens as a new document (the open photo is never overwritten by it)."""
        if self.has_unsaved_document() and not self.dialogs.confirm(
                "Replace the edited image?", f"{self._name or 'The image'} has changes from {len(self._runs)} "
                "run(s) that are not saved, and the sample opens in its place. Open it anyway? "
                "(No keeps both: discard the sample, save the image, then sample again.)"):
            return False
        self._leave_review(show_base=False)
        self._data = ImageData(res, None, None, "RGB" if res.shape[2] == 3 else "L")
        doc = self.session.open(res, name="sample.png", dirty=True, runs=[run])
        self._show_noise_estimate(doc)
        self.canvas.set_image(doc.pixels, reset_mask=True, fit=True)
        self.info_label.setText(self._data.describe())
        self.statusBar().showMessage("The sample is open as a new image, sample.png. Save it with File \u203a "
                                     "Save As (Ctrl+Shift+S).", 6000)
        self._update_title()
        self._update_actions()
        return True

    def has_unsaved_document(self) -> bool:
        return self.session.has_unsaved()

    def discard_result(self) -> bool:
        if self._state != "review":
            return False
        self._leave_review()
        self.statusBar().showMessage("Result discarded.", 4000)
        return True

    def _leave_review(self, show_base: bool = True):
        self._result = None
        self.result_bar.set_variants(0)
        self.canvas.set_split(False)
        self.canvas.set_original(None)
        self._set_state("edit")
        if show_base:
            if self.canvas.has_image():
                self.canvas.show_base()
                self.canvas.fit()
            else:
                self.canvas.clear_image()
                self.empty_label.setVisible(True)
        self._update_title()

    def _on_image_edited(self):
        """Undo or redo of an accepted result changed the pixels."""
        self._update_title()
        self._update_actions()

    def _show_noise_estimate(self, doc):
        """Each opened image gets its own noise level, measured and shown; none is carried over."""
        s = doc.noise_sigma * 255.0
        self.task_panel.sigma.setValue(max(0.5, round(s, 1)))
        self.task_panel.set_noise_note(f"estimated {s:.1f} for this image" if s >= 0.5 else
                                       "this image shows no measurable noise")

    def estimate_noise(self) -> float | None:
        img = self.canvas.image()
        if img is None:
            self.statusBar().showMessage("Open an image first", 3000)
            return None
        s = estimate_noise_sigma(img) * 255.0
        self.task_panel.sigma.setValue(max(0.5, round(s, 1)))
        self.statusBar().showMessage(f"Estimated noise std: {s:.1f} / 255", 5000)
        return s

    # -- state -------------------------------------------------------------------------------------------------------
    def state(self) -> str:
        return self._state

    def _set_state(self, state: str):
        self._state = state
        running, review = state == "running", state == "review"
        self.canvas.set_editable(state == "edit")
        self.task_panel.set_running(running)
        self.result_bar.set_review(review, len(self._trajectory) if (review and self._trajectory) else 0)
        self.result_bar.set_show_x0(self._show_x0)
        if not review:
            with QSignalBlocker(self.act_split):
                self.act_split.setChecked(False)
            self.canvas.set_split(False)
        self._apply_overlay()
        self._update_actions()
        self._update_hint()

    def _apply_overlay(self):
        self.canvas.set_overlay_visible(self.act_overlay.isChecked() and self._state == "edit")

    def _set_overlay_pref(self, on: bool):
        with QSignalBlocker(self.act_overlay):
            self.act_overlay.setChecked(on)
        self._apply_overlay()

    def _toggle_overlay(self):
        with QSignalBlocker(self.mask_panel.show_overlay):
            self.mask_panel.show_overlay.setChecked(self.act_overlay.isChecked())
        self._apply_overlay()

    def _set_split(self, on: bool):
        on = bool(on) and self._state == "review"
        for w in (self.act_split, self.result_bar.split_button):
            with QSignalBlocker(w):
                w.setChecked(on)
        self.canvas.set_split(on)

    def _set_show_x0(self, on: bool):
        self._show_x0 = bool(on)
        with QSignalBlocker(self.act_x0):
            self.act_x0.setChecked(self._show_x0)
        with QSignalBlocker(self.result_bar.x0_button), QSignalBlocker(self.result_bar.x_button):
            self.result_bar.set_show_x0(self._show_x0)
        if self._state == "review":
            self._on_scrub(self.result_bar.slider.value())

    def has_unsaved(self) -> bool:
        return self._state == "review" or self.session.has_unsaved()

    def _unsaved_text(self) -> str:
        if self._state == "review":
            return "The result of the last run has not been saved. Save it?"
        return f"{self._name or 'The image'} has changes from {len(self._runs)} run(s) that are not saved."

    def _update_title(self):
        if not self.canvas.has_image() and self._state != "review":
            self.setWindowTitle(APP_NAME)
            return
        name = getattr(self, "_name", None) or "untitled"
        mark = " \u2022 result under review" if self._state == "review" else ""
        star = "*" if self.has_unsaved() else ""
        self.setWindowTitle(f"{name}{star}{mark} \u2014 {APP_NAME}")

    def _update_actions(self, *_):
        edit, running = self._state == "edit", self._state == "running"
        has_img = self.canvas.has_image()
        for a in (self.act_undo, self.act_redo):
            a.setEnabled(edit)
        self.act_undo.setEnabled(edit and self.canvas.history.can_undo())
        self.act_redo.setEnabled(edit and self.canvas.history.can_redo())
        lbl = self.canvas.history.undo_label()
        self.act_undo.setText(f"&Undo {lbl}" if lbl else "&Undo")
        lbl = self.canvas.history.redo_label()
        self.act_redo.setText(f"&Redo {lbl}" if lbl else "&Redo")
        for a in (self.act_invert, self.act_clear, self.act_load_mask):
            a.setEnabled(edit and has_img)
        self.act_export_mask.setEnabled(has_img)
        for a in (self.act_open, self.act_paste):
            a.setEnabled(not running)
        self.act_save_as.setEnabled(not running and (has_img or self._state == "review"))
        has_traj = self._trajectory is not None and len(self._trajectory) > 0
        self.act_export_gif.setEnabled(has_traj and not running)
        self.act_export_frames.setEnabled(has_traj and not running)
        self.act_run.setEnabled(not running)
        self.act_cancel.setEnabled(running)
        self.act_accept.setEnabled(self._state == "review")
        self.act_discard.setEnabled(self._state == "review")
        self.act_split.setEnabled(self._state == "review")
        self.act_estimate.setEnabled(has_img and not running)
        self.task_panel.estimate.setEnabled(has_img and not running)
        for a in self.tool_actions.values():
            a.setEnabled(edit)
        self.act_open_ckpt.setEnabled(not running)
        self.act_refresh.setEnabled(not running)

    # -- canvas reports ---------------------------------------------------------------------------------------------
    def _on_tool_action(self, a: QAction):
        self.canvas.set_tool(Tool(a.data()))

    def _on_tool_changed(self, tool):
        a = self.tool_actions.get(Tool(tool))
        if a is not None and not a.isChecked():
            a.setChecked(True)

    def _on_brush_size(self, size: float):
        with QSignalBlocker(self.mask_panel.brush.spin), QSignalBlocker(self.mask_panel.brush.slider):
            self.mask_panel.brush.spin.setValue(int(round(size)))
            self.mask_panel.brush.slider.setValue(int(round(size)))

    def _on_feather(self, v: float):
        self.canvas.set_feather(v)

    def _on_mask_changed(self):
        m = self.canvas.mask()
        if m is None:
            self.mask_panel.set_coverage(None)
        else:
            n = int((m > 0).sum())
            self.mask_panel.set_coverage(n / max(1, m.size), n)
        self._update_actions()
        if self._state == "edit":
            self._update_hint()

    def _on_task_changed(self, task: str):
        self._update_hint()

    def _on_hover(self, pos):
        if pos is None:
            self.pixel_label.setText("")
            return
        info = self.canvas.pixel_info(*pos)
        if info is None:
            self.pixel_label.setText("")
            return
        v = np.atleast_1d(info["value"]).astype(int)
        if v.size == 1:
            val = f"grey {v[0]:3d}"
        else:
            val = "RGB " + " ".join(f"{x:3d}" for x in v[:3])
        text = f"x {info['x']:4d}  y {info['y']:4d}   {val}"
        if "mask" in info:
            text += f"   mask {info['mask']:.2f}"
        self.pixel_label.setText(text)

    def _on_zoom(self, z: float):
        shown = self.canvas.has_image() or self._state != "edit"
        self.zoom_label.setText(f"{z * 100:.0f}%" if shown else "")

    # -- help ---------------------------------------------------------------------------------------------------------
    def show_shortcuts(self):
        dlg = QDialog(self)
        dlg.setWindowTitle("Keyboard Shortcuts")
        lay = QVBoxLayout(dlg)
        tb = QTextBrowser()
        rows = []
        for section, items in SHORTCUTS:
            rows.append(f"<tr><td colspan=2><h3 style='margin-top:10px'>{section}</h3></td></tr>")
            for key, what in items:
                rows.append(f"<tr><td style='padding-right:18px'><b>{key.replace('<', '&lt;')}</b></td>"
                            f"<td>{what}</td></tr>")
        tb.setHtml("<table>" + "".join(rows) + "</table>")
        lay.addWidget(tb)
        bb = QDialogButtonBox(QDialogButtonBox.Close)
        bb.rejected.connect(dlg.reject)
        lay.addWidget(bb)
        dlg.resize(520, 560)
        dlg.setAttribute(Qt.WA_DeleteOnClose)
        dlg.show()
        return dlg

    def about_text(self) -> str:
        import PySide6
        import pyqtgraph
        import torch
        from PySide6.QtCore import qVersion

        return (f"<h3>DPM Studio {__version__}</h3>"
                "<p>Inpainting and denoising images with diffusion probabilistic models "
                "(Sohl-Dickstein, Weiss, Maheswaranathan, Ganguli, <i>Deep Unsupervised Learning using "
                "Nonequilibrium Thermodynamics</i>, ICML 2015).</p>"
                f"<p>Python {platform.python_version()}<br>torch {torch.__version__}<br>"
                f"PySide6 {PySide6.__version__} (Qt {qVersion()})<br>pyqtgraph {pyqtgraph.__version__}<br>"
                f"numpy {np.__version__}<br>{platform.system()} {platform.machine()}</p>")

    def show_about(self):
        QMessageBox.about(self, "About DPM Studio", self.about_text())

    # -- events -------------------------------------------------------------------------------------------------------
    # Backslash (show the original) and Space (pan) act while held: they need the release
    # too, which shortcuts do not give. Key events the focus widget ignores (the canvas
    # ignores both keys) travel up to the window.
    def _hold_key(self, ev, pressed: bool) -> bool:
        if ev.isAutoRepeat() or ev.key() not in (Qt.Key_Backslash, Qt.Key_Space):
            return False
        if ev.key() == Qt.Key_Backslash:
            self.canvas.set_showing_original(pressed)
        else:
            self.canvas.set_space_held(pressed)
        return True

    def keyPressEvent(self, ev):
        if not self._hold_key(ev, True):
            super().keyPressEvent(ev)

    def keyReleaseEvent(self, ev):
        if not self._hold_key(ev, False):
            super().keyReleaseEvent(ev)

    def changeEvent(self, ev):
        if ev.type() == QEvent.ActivationChange and not self.isActiveWindow():
            self.canvas.set_showing_original(False)
            self.canvas.set_space_held(False)
        super().changeEvent(ev)

    def dragEnterEvent(self, ev):
        md = ev.mimeData()
        if md.hasUrls() and any(u.isLocalFile() for u in md.urls()):
            ev.acceptProposedAction()
        elif md.hasImage():
            ev.acceptProposedAction()
        else:
            ev.ignore()

    def dropEvent(self, ev):
        md = ev.mimeData()
        for u in md.urls():
            if u.isLocalFile():
                ev.acceptProposedAction()
                p = u.toLocalFile()
                QTimer.singleShot(0, lambda p=p: self.open_image(p))  # not inside the drag's event
                return
        if md.hasImage():
            ev.acceptProposedAction()
            if self._busy("drop an image") or not self._confirm_replace():
                return
            px, alpha = qimage_to_array(QImage(md.imageData()))
            self.set_image(px, alpha, "dropped image")

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self.empty_label.resize(self.canvas.size())

    def showEvent(self, ev):
        super().showEvent(ev)
        self.empty_label.resize(self.canvas.size())

    def closeEvent(self, ev):
        if self.runner.is_running():
            if not self.dialogs.confirm("Stop the run?", "A run is in progress. Stop it and close the window?"):
                ev.ignore()
                return
            if not self.runner.shutdown(3000):
                # The current step is still computing: close as soon as it ends.
                self._close_when_stopped = True
                self.statusBar().showMessage("Waiting for the current step to finish\u2026")
                ev.ignore()
                return
            self._set_state("edit")
        if self.has_unsaved():
            ans = self.dialogs.ask_unsaved(self._unsaved_text())
            if ans == "cancel" or (ans == "save" and not self._save_dialog()):
                ev.ignore()
                return
        self.save_settings()
        ev.accept()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop any run; for application exit. A step still computing after ``timeout_ms`` gets up
        to a minute more: destroying a running QThread would abort the process."""
        return self.runner.shutdown(timeout_ms) or self.runner.shutdown(60_000)
