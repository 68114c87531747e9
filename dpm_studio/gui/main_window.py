"""The main window: it lays out the canvas, the panels and the plots and binds them to the
session (gui/session.py: the document, the mask, one undo history).

States: ``edit`` (paint the mask, change settings), ``running`` (frames stream into the
canvas in place, the mask is locked, Cancel stops within one step), ``review`` (a finished
run: scrub the trajectory, pick a variant, compare, Accept or Discard). The user's image and
mask are never touched by a run; only Accept changes the image, and Ctrl+Z undoes it.

The commands are declared once in gui/actions.py (menus, toolbar, shortcuts, F1 sheet,
enablement); the file side lives in gui/window_files.py and the run side in
gui/window_run.py. Every dialog goes through :class:`Dialogs`, which tests replace, and every
command takes plain arguments (``open_image(path)``, ``save_image(path)``, ...), so the same
code runs with and without a person in front of the screen.
"""

from __future__ import annotations

import platform

import numpy as np
from PySide6.QtCore import QEvent, QSettings, QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QScrollArea, QVBoxLayout, QWidget

from .. import __version__
from ..core.requests import InpaintRequest
from ..core.settings import spec_of
from ..paths import DEFAULT_CHECKPOINT
from . import actions, icons
from .canvas import ImageCanvas, Tool
from .dialogs import Dialogs, qimage_to_array
from .exports import Exporter
from .panels import MaskPanel, ResultBar
from .plots import PlotsDock
from .qtfix import protect_singletons
from .runner import TaskRunner
from .safe_settings import Checked, open_settings
from .session import Session
from .task_panel import TASK_NAMES, TaskPanel
from .window_files import FilesMixin
from .window_run import RunMixin, runs_phrase

__all__ = ["MainWindow", "Dialogs"]

APP_NAME = "DPM Studio"


class MainWindow(FilesMixin, RunMixin, QMainWindow):
    def __init__(self, settings: QSettings | None = None, dialogs: Dialogs | None = None, parent=None):
        protect_singletons()  # PySide6 6.12 on Python 3.11 leaks references to None and True: see qtfix
        super().__init__(parent)
        self.settings, self._settings_note = open_settings(settings)
        self.dialogs = dialogs if dialogs is not None else Dialogs(self)
        self.setObjectName("main-window")
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icons.app_icon())
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)

        self.session = Session()                # the document, the mask, the undo history
        self._plot_total = None
        self._result = None                     # the done Frame of the last run
        self._trajectory = None
        self._run_info: dict | None = None
        self._show_x0 = False
        self._loaded = None                     # the selected checkpoint, loaded on the CPU
        self._model_error = ""
        self._close_when_stopped = False
        self._extra_cards: list[str] = []

        self._build_widgets()
        self.actions = actions.build(self)   # menus, toolbar, shortcuts: gui/actions.py
        self.tool_group = self.action_groups["tools"]
        self.tool_actions = {Tool(self.actions[t.value].data()): self.actions[t.value] for t in Tool}
        self.act_brush.setChecked(True)
        self.act_overlay.setChecked(True)
        self.view_menu.addAction(self.side_dock.toggleViewAction())
        self.plots.visibilityChanged.connect(self._on_plots_visibility)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_sample_menu()
        self.sample_menu.aboutToShow.connect(self._update_sample_menu)
        self._connect()
        self.runner = TaskRunner(self)
        self.runner.frame.connect(self._on_frame)
        self.runner.finished.connect(self._on_finished)
        self.runner.aborted.connect(self._on_aborted)
        self.runner.errored.connect(self._on_errored)
        self.exporter = Exporter(self)
        self.exporter.finished.connect(self._on_export_finished)
        self.exporter.aborted.connect(self._on_export_aborted)
        self.exporter.errored.connect(self._on_export_errored)
        note = self._restore_settings()
        self._on_plots_visibility(False)
        self.statusBar().showMessage(note or "Open an image (Ctrl+O), drop one here, or paste one (Ctrl+V).")
        self.refresh_checkpoints(select=self._start_checkpoint or DEFAULT_CHECKPOINT)
        self._set_state("edit")

    # The run state and the open document's fields, kept in the session (gui/session.py).
    @property
    def _state(self) -> str:
        return self.session.state

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

    _name = _doc_field("name")
    _dirty = _doc_field("dirty", False)
    del _doc_field

    @property
    def _data(self):
        """The document: the decoded file and what the app added to it (gui/session.Document)."""
        return self.session.doc

    @property
    def _path(self):
        return self.session.doc.where if self.session.doc is not None else None

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
        scroll.setMinimumWidth(310)  # the dock is never squeezed below its controls' width
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
        tp.noise_controls.changed.connect(self._plot_noise)
        tp.sigma.valueChanged.connect(self._plot_noise)
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
        """Every setting read with its type and range (gui/safe_settings.Checked): a bad value gives
        its default, and the keys so reset make one status-bar line with the read-only note."""
        c, tp = Checked(self.settings), self.task_panel
        geo = c.blob("window/geometry")
        if geo is None or not self.restoreGeometry(geo):
            if geo is not None:
                c.reset.append("window/geometry")
            self.resize(1320, 860)
        st = c.blob("window/state")
        if st is None or not self.restoreState(st):
            # Closed until asked for (View › Plots, P): at 1280 x 700 it took a third of the height
            # that restoring needs for the picture. Open or closed, it is remembered with the window.
            self.plots.hide()
            if st is not None:
                c.reset.append("window/state")

        def spin(w, key, default):
            w.setValue(c.number(key, default, w.minimum(), w.maximum()))

        def combo(w, key, default, aliases=()):
            choices = [w.itemData(i) for i in range(w.count())]
            old = dict(aliases)  # an old name saved by an earlier version: its new choice
            v = c.text(key, default, choices + list(old))
            w.setCurrentIndex(max(0, w.findData(old.get(v, v))))

        spin(tp.steps, "run/steps", int(InpaintRequest.steps))
        tp.steps_all.setChecked(c.flag("run/steps_all", False))
        spin(tp.seed, "run/seed", 0)
        spin(tp.samples, "run/samples", 1)
        combo(tp.mode, "run/mode", InpaintRequest.mode, spec_of(InpaintRequest, "mode").aliases)
        combo(tp.start, "run/start", "harmonic")
        combo(tp.variance, "run/variance", "learned")
        combo(tp.device, "run/device", "cpu")
        tp.set_task(c.text("run/task", "inpaint", list(TASK_NAMES)))
        spin(self.mask_panel.brush.spin, "mask/brush", 24)
        self.canvas.set_brush_size(self.mask_panel.brush.value())
        self.canvas.set_feather(self.mask_panel.feather.value())
        self._extra_cards = c.texts("checkpoints/extra")
        self._start_checkpoint = c.text("run/checkpoint", "")
        c.text("paths/last_folder")  # read when used; checked now so that a bad one is said at start
        c.texts("paths/recent")
        c.number("save/quality", 92, 1, 100)
        for key in dict.fromkeys(c.reset):  # not read again next time
            self.settings.remove(key)
        return "; ".join(n for n in (self._settings_note, c.note()) if n)

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

    # -- state -------------------------------------------------------------------------------------------------------
    def state(self) -> str:
        return self._state

    def _set_state(self, state: str):
        self.session.state = state
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

    def _toggle_subtract(self):
        self.canvas.set_subtract(self.act_subtract.isChecked())
        self.statusBar().showMessage("Subtract: the mask tools take pixels out of the mask (S again to add)"
                                     if self.act_subtract.isChecked() else "Add: the mask tools add to the mask", 4000)

    def _toggle_plots(self):
        self.plots.setVisible(self.act_plots.isChecked())

    def _on_plots_visibility(self, _visible: bool):
        with QSignalBlocker(self.act_plots):
            self.act_plots.setChecked(not self.plots.isHidden())

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
        return f"{self._name or 'The image'} has changes from {runs_phrase(len(self._runs))} that are not saved."

    def _update_title(self):
        if not self.canvas.has_image() and self._state != "review":
            self.setWindowTitle(APP_NAME)
            return
        name = getattr(self, "_name", None) or "untitled"
        mark = " \u2022 result under review" if self._state == "review" else ""
        star = "*" if self.has_unsaved() else ""
        self.setWindowTitle(f"{name}{star}{mark} \u2014 {APP_NAME}")

    def action_context(self) -> dict:
        """The words an action's ``when`` is read from (gui/actions.py)."""
        edit, running, review = self._state == "edit", self._state == "running", self._state == "review"
        has_img = self.canvas.has_image()
        return {"edit": edit, "running": running, "review": review, "has_image": has_img,
                "has_picture": has_img or review, "result": review and not self.showing_spread(), "can_undo": self.canvas.history.can_undo(),
                "can_redo": self.canvas.history.can_redo(),
                "has_trajectory": self._trajectory is not None and len(self._trajectory) > 0}

    def _update_actions(self, *_):
        ctx = self.action_context()
        actions.update_enabled(self.actions, ctx)
        lbl = self.canvas.history.undo_label()
        self.act_undo.setText(f"&Undo {lbl}" if lbl else "&Undo")
        lbl = self.canvas.history.redo_label()
        self.act_redo.setText(f"&Redo {lbl}" if lbl else "&Redo")
        self.task_panel.estimate.setEnabled(ctx["has_image"] and not ctx["running"])

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
        return actions.show_shortcuts(self)

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
        self.exporter.shutdown(3000)  # a cancelled GIF writes nothing; PNG frames stop after the current one
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
        self.exporter.shutdown(timeout_ms)
        return self.runner.shutdown(timeout_ms) or self.runner.shutdown(60_000)
