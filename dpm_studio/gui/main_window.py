"""The main window: it lays out the canvas, the panels and the plots, owns the parts that do the
work, and shows what the session (gui/model/session.py) says changed.

States: ``edit`` (paint the mask, change settings), ``running`` (frames stream into the
canvas in place, the mask is locked, Cancel stops within one step), ``review`` (a finished
run: scrub the trajectory, pick a variant, compare, Accept or Discard). The user's image and
mask are never touched by a run; only Accept changes the image, and Ctrl+Z undoes it.

The window owns, by composition: the session (the document, the mask, the history, the last
run), ``files`` (gui/files.py: open, paste, save, masks, recent files), ``runs``
(gui/run_control.py: the request, the runner thread, the review), ``checkpoints``
(gui/checkpoints.py), ``exports`` (gui/exports.py: the trajectory off the GUI thread) and
``noise`` (gui/noise_readout.py). The commands are declared once in gui/actions.py (menus,
toolbar, shortcuts, F1 sheet, enablement over the session). Every dialog goes through
:class:`Dialogs`, which tests replace, and every command takes plain arguments
(``files.open_image(path)``, ``files.save_image(path)``, ``runs.run()``), so the same code runs
with and without a person in front of the screen.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QSettings, QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QDockWidget, QFormLayout, QLabel, QMainWindow, QScrollArea, QVBoxLayout, QWidget

from . import actions, icons, window_settings
from .canvas import ImageCanvas, Tool
from .checkpoints import CheckpointsController
from .compact import CONTROLS_WIDTH, PLOTS_HEIGHT, CompactControls, CompactPlots, CompactToolbar
from .dialogs import Dialogs
from .exports import TrajectoryExports
from .files import FilesController
from .noise_readout import NoiseReadout
from .panels import MaskPanel, ResultBar
from .model.predicates import COMPARE, DECIDE, RESULT
from .plots import PlotsDock
from .qtfix import protect_singletons
from .run_control import RunController, unsaved_changes, unsaved_with_mask
from .runner import TaskRunner
from .safe_settings import guard_save, open_settings
from .status_bar import StatusBar
from .theme import mend_disabled, mend_palette
from .model.session import Session
from .task_panel import LEAST_WIDTH as CONTROLS_LEAST, TaskPanel

__all__ = ["MainWindow", "Dialogs"]

APP_NAME = "DPM Studio"


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, dialogs: Dialogs | None = None, parent=None,
                 list_models: bool = True):
        """``list_models``: list the checkpoints and load the task's model before returning; False
        (the app's start-up, gui/app.py): the caller starts that once the window is shown
        (``checkpoints.refresh_in_background()``: torch is imported in a thread)."""
        protect_singletons()  # PySide6 6.12 on Python 3.11 leaks references to None and True: see qtfix
        mend_palette()   # a dark palette's disabled text readable, check boxes' edges drawn (gui/theme.py)
        super().__init__(parent)
        self.settings, self.settings_note = open_settings(settings)
        self.dialogs = dialogs if dialogs is not None else Dialogs(self)
        self.setObjectName("main-window")
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(icons.app_icon())
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)

        self.session = Session()                # the document, the mask, the history, the last run
        self.show_x0 = False                    # frames show the model's x_0 estimate
        self._mask_hidden_for_result = False    # Accept hid the mask overlay (hide_mask_for_result)
        self._build_widgets(list_models)
        self.runner = TaskRunner(self)
        self.runs = RunController(self)
        self.checkpoints = CheckpointsController(self)
        self.noise = NoiseReadout(self)
        self.files = FilesController(self)
        self.exports = TrajectoryExports(self)
        self.actions = actions.build(self)   # menus, toolbar, shortcuts: gui/actions.py
        self.files.bind_menus()
        self.exporter = self.exports.exporter
        self.tool_group = self.action_groups["tools"]
        self.compact = CompactToolbar(self, self.tools_toolbar)   # a small screen: icons only
        self.compact_plots = CompactPlots(self, self.plots, self.side_dock)   # a short one: the plots beside the Controls
        self.compact_controls = CompactControls(self, self.side_dock)   # a narrow one: the Controls as narrow as they go
        self.tool_actions = {Tool(self.actions[t.value].data()): self.actions[t.value] for t in Tool}
        self.act_brush.setChecked(True)
        self.act_overlay.setChecked(True)
        self.view_menu.addAction(self.side_dock.toggleViewAction())
        self.plots.visibilityChanged.connect(self._on_plots_visibility)
        self._connect()
        note = window_settings.restore(self)
        self._on_plots_visibility(False)
        self.statusBar().showMessage(note or "Open an image (Ctrl+O), drop one here, or paste one (Ctrl+V).")
        # the task's model: the user's choice for it (settings), else its default
        if list_models:
            self.checkpoints.refresh()
        else:
            self.checkpoints.listing = True
        self.session.state = "edit"

    def parts(self) -> tuple:
        """The objects the actions' commands are found on (gui/actions.py)."""
        return (self.files, self.runs, self.checkpoints, self.exports, self.noise, self.canvas, self.canvas.tools,
                self.task_panel, self.session)

    def doc_name(self) -> str | None:
        return self.session.doc.name if self.session.doc is not None else None

    # -- construction ---------------------------------------------------------------------------------------
    def _build_widgets(self, devices_now: bool = True):
        self.canvas = ImageCanvas(session=self.session)
        self.canvas.setAcceptDrops(False)
        self.canvas.viewport().setAcceptDrops(False)
        self.result_bar = ResultBar()  # always there, so the canvas never changes size when a run starts
        self.empty_label = QLabel("<div style='font-size:15pt; color:#9a9a9a'>Open an image to begin</div>"
                                  "<div style='color:#8a8a8a'>File \u203a Open (Ctrl+O), drag and drop a file "
                                  "here, or paste (Ctrl+V).<br>Or pick <b>Sample</b> to draw a new image from "
                                  "the model.</div>")
        self.empty_label.setAlignment(Qt.AlignCenter)
        self.empty_label.setWordWrap(True)   # a narrow canvas (760 px window): its lines were cut at both sides
        self.empty_label.setContentsMargins(12, 0, 12, 0)
        self.empty_label.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.empty_label.setStyleSheet("background: transparent;")
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.canvas, 1)
        lay.addWidget(self.result_bar)
        self.setCentralWidget(central)
        self.canvas.set_cover(self.empty_label)   # kept at the canvas's size

        self.mask_panel = MaskPanel()
        self.task_panel = TaskPanel(devices=None if devices_now else [])   # [] : asked with the models
        self.side_dock = controls_dock(self, self.task_panel, self.mask_panel)
        self.addDockWidget(Qt.RightDockWidgetArea, self.side_dock)
        self.plots = PlotsDock(self)
        self.addDockWidget(Qt.BottomDockWidgetArea, self.plots)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self.setCorner(Qt.TopRightCorner, Qt.RightDockWidgetArea)
        self.resizeDocks([self.plots], [PLOTS_HEIGHT], Qt.Vertical)
        self.resizeDocks([self.side_dock], [CONTROLS_WIDTH], Qt.Horizontal)

        sb = StatusBar(self)   # a message too long ends in an ellipsis, whole in its tooltip
        self.setStatusBar(sb)
        self.pixel_label = QLabel("")
        self.pixel_label.setMinimumWidth(300)
        self.zoom_label = QLabel("")
        self.info_label = QLabel("")
        for w in (self.pixel_label, self.info_label, self.zoom_label):
            sb.addPermanentWidget(w)
        sb.set_readout(self.pixel_label)   # shown while the pointer is on the image: empty, it took 300 px

    def _connect(self):
        c, mp, tp, rb, ev = self.canvas, self.mask_panel, self.task_panel, self.result_bar, self.session.events
        ev.document.connect(self._on_document)
        ev.pixels.connect(self._on_pixels)
        ev.mask.connect(self._on_mask)
        ev.history.connect(self.update_actions)
        ev.state.connect(self._on_state)
        ev.result.connect(self.update_actions)
        ev.saved.connect(self.update_title)
        ev.kept.connect(self.update_title)   # a mask kept (run, exported, loaded): its edits no longer unsaved
        self.tool_group.triggered.connect(self._on_tool_action)
        c.toolChanged.connect(self._on_tool_changed)
        c.hovered.connect(self._on_hover)
        c.zoomChanged.connect(self._on_zoom)
        c.brushSizeChanged.connect(self._on_brush_size)
        mp.brushSizeChanged.connect(c.set_brush_size)
        mp.featherChanged.connect(c.set_feather)
        mp.softToggled.connect(self.session.set_soft_mask)
        mp.opacityChanged.connect(c.set_overlay_opacity)
        mp.overlayToggled.connect(self.set_overlay_pref)
        tp.runRequested.connect(self.runs.run)
        tp.cancelRequested.connect(self.runs.cancel)
        tp.taskChanged.connect(self._on_task_changed)
        # a refusal about the noise ("type its noise level in the Noise std box") goes once it is typed
        tp.sigma.valueChanged.connect(self._on_noise_changed)
        tp.noise_controls.changed.connect(self._on_noise_changed)
        rb.scrubbed.connect(self.runs.scrub)
        rb.showX0Changed.connect(self._set_show_x0)
        rb.splitToggled.connect(self._set_split)
        rb.acceptRequested.connect(self.runs.accept_result)
        rb.discardRequested.connect(self.runs.discard_result)
        rb.variantChosen.connect(self.runs.choose_variant)
        self.act_split.toggled.connect(self._set_split)
        self.act_x0.toggled.connect(self._set_show_x0)

    def save_settings(self):
        self.settings, note = guard_save(self.settings)  # a lock path made a link since the start
        if note:
            self.statusBar().showMessage(note)
        window_settings.save(self)

    # -- what the session says ------------------------------------------------------------------------------------
    def state(self) -> str:
        return self.session.state

    def _on_state(self, event):
        state = event.state
        running, review = state == "running", state == "review"
        tr = self.session.trajectory
        self.canvas.set_editable(state == "edit")
        self.task_panel.set_running(running)
        self.result_bar.set_review(review, len(tr) if (review and tr) else 0, COMPARE(self.session))
        self.result_bar.set_show_x0(self.show_x0)
        if not review:
            with QSignalBlocker(self.act_split):
                self.act_split.setChecked(False)
            self.canvas.set_split(False)
        if state == "edit":   # the run's step ("step 68 / 1000  t = 466", "result") no longer describes the canvas
            self.result_bar.clear()
            self.plots.hide_cursor()
        self._apply_overlay()
        self.update_actions()
        self.runs.update_hint()

    def _on_document(self, event):
        """Another document is open: say what it is (the canvas shows it, the noise readout measures it)."""
        self._show_mask_again()
        doc = event.document
        self.task_panel.pages["sample"].set_image_size(doc.shape[:2] if doc is not None else None)
        self.task_panel.set_image_channels(doc.pixels.shape[2] if doc is not None else None)   # does Seed draw
        if doc is not None:
            self.empty_label.setVisible(False)
            self.info_label.setText(doc.describe())
        self.update_title()
        self.update_actions()

    def _on_pixels(self, event):
        """Accept, or undo or redo of one, changed the pixels."""
        msg = self.statusBar().currentMessage()
        if msg.startswith("Result accepted") or msg.startswith("Accepted the result"):
            self.statusBar().clearMessage()   # it no longer holds after Ctrl+Z
        if getattr(event, "edit", None) is not None:   # an undo or redo: say which step (a denoise may not show)
            self._show_mask_again()
            self.statusBar().showMessage(step_message(self.session, event.edit), 8000)
        self.update_title()
        self.update_actions()

    def _on_mask(self, event):
        self._show_mask_again()   # a stroke begun, or an edit undone: the mask is what the user works on
        if event.live:
            return
        n = self.session.covered()   # one pass a change, for the mask panel's line, the hint and the commands
        self.mask_panel.show_coverage(self.session.mask, self.task_panel.task(), n)
        self.update_actions()
        self.update_title()   # a painted, erased or undone mask: its unused edits are unsaved work
        if getattr(event, "edit", None) is not None:   # an undo or redo of a mask edit: say which
            self.statusBar().showMessage(step_message(self.session, event.edit), 8000)
        if self.session.state == "edit":
            self.runs.update_hint(n)

    def _apply_overlay(self):
        self.canvas.set_overlay_visible(self.act_overlay.isChecked() and self.session.state == "edit")

    def _on_plots_visibility(self, _visible: bool):
        with QSignalBlocker(self.act_plots):
            self.act_plots.setChecked(not self.plots.isHidden())

    def hide_mask_for_result(self) -> bool:
        """An accepted result lies under the mask that made it (an inpainting's fill, a region's denoise):
        the overlay covered the very pixels just accepted, so it is hidden (the Show box and the View menu
        say so) until the mask is edited, an undo or redo, another image, or the user shows it (M)."""
        m = self.session.mask
        if not self.act_overlay.isChecked() or m is None or not (m > 0).any():
            return False
        self.set_overlay_pref(False)
        self._mask_hidden_for_result = True
        return True

    def _show_mask_again(self):
        if self._mask_hidden_for_result:
            self.set_overlay_pref(True)

    def set_overlay_pref(self, on: bool):
        """The mask overlay shown or not (View > Show Mask Overlay and the mask panel's box agree)."""
        self._mask_hidden_for_result = False
        for w in (self.act_overlay, self.mask_panel.show_overlay):
            with QSignalBlocker(w):
                w.setChecked(bool(on))
        self._apply_overlay()

    def _set_split(self, on: bool):
        on = bool(on) and self.session.state == "review"
        for w in (self.act_split, self.result_bar.split_button):
            with QSignalBlocker(w):
                w.setChecked(on)
        self.canvas.set_split(on)

    def _set_show_x0(self, on: bool):
        self.show_x0 = bool(on)
        with QSignalBlocker(self.act_x0):
            self.act_x0.setChecked(self.show_x0)
        with QSignalBlocker(self.result_bar.x0_button), QSignalBlocker(self.result_bar.x_button):
            self.result_bar.set_show_x0(self.show_x0)
        if self.session.state == "review":
            self.runs.scrub(self.result_bar.slider.value())

    def has_unsaved(self) -> bool:
        return self.session.state == "review" or self.session.has_unsaved()

    def unsaved_text(self, mask: bool = False) -> str:
        """What closing or replacing the image would lose: the unsaved result, and with ``mask`` the
        painted mask's unused edits too."""
        return unsaved_text(self.session, mask)

    def update_title(self, *_):
        self.setWindowTitle(window_title(self.session, self.doc_name(), self.has_unsaved()))

    def update_actions(self, *_):
        actions.update_enabled(self.actions, self.session)
        s = self.session   # the result bar's Accept, Discard and draws, greyed as the commands are and saying why
        self.result_bar.set_choices(RESULT.why(s), DECIDE.why(s), DECIDE.why(s) if s.state == "review" else "")
        h = self.session.history
        self.act_undo.setText(f"&Undo {h.undo_label()}" if h.undo_label() else "&Undo")
        self.act_redo.setText(f"&Redo {h.redo_label()}" if h.redo_label() else "&Redo")
        doc, running = self.session.doc is not None, self.session.state == "running"
        self.task_panel.grey(self.task_panel.estimate, doc and not running,
                             "not while a run is going" if running else "open an image to measure its noise")

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

    def _on_noise_changed(self, *_):
        if self.session.state == "edit":
            self.runs.update_hint()

    def _on_task_changed(self, task: str):
        self.plots.show_for_task(task)   # in tabs (a small dock): the noise curve for a denoise
        self.checkpoints.show_task_model()   # each task has its own model (session.models)
        if self.session.state == "edit" and (self.session.run or {}).get("task") != task:
            self.task_panel.reset_progress("idle")   # "done: step 19 / 19" of an inpainting read as a denoise's
        n = self.session.covered()   # counted once a change, for the hint and the mask panel's line
        self.runs.update_hint(n)
        self.mask_panel.show_coverage(self.session.mask, task, n)

    def _on_hover(self, pos):
        text = pixel_text(self.canvas.pixel_info(*pos) if pos is not None else None)
        self.pixel_label.setText(text)
        self.statusBar().show_readout(bool(text))   # it gives way to a timed message too long beside it

    def _on_zoom(self, z: float):
        shown = self.session.doc is not None or self.session.state != "edit"
        self.zoom_label.setText(f"{z * 100:.0f}%" if shown else "")

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
        if ev.type() == QEvent.PaletteChange and hasattr(self, "noise"):   # not while the window is built
            actions.follow_palette(self)   # a desktop theme switched: the painted icons and plots follow
            QTimer.singleShot(0, mend_disabled)   # not inside the change: mending changes the palette again
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
                QTimer.singleShot(0, lambda p=p: self.files.open_image(p))  # not inside the drag's event
                return
        if md.hasImage():
            ev.acceptProposedAction()
            self.files.drop_image(QImage(md.imageData()))

    def resizeEvent(self, ev):
        super().resizeEvent(ev)
        self.empty_label.resize(self.canvas.size())

    def showEvent(self, ev):
        super().showEvent(ev)
        self.empty_label.resize(self.canvas.size())

    def closeEvent(self, ev):
        if self.exporter.is_running() and not self.dialogs.confirm(
                "Stop the export?", "The trajectory is being exported. Stop it (a GIF is not written) and close "
                "the window?"):
            ev.ignore()
            return
        if self.runner.is_running():
            if not self.dialogs.confirm("Stop the run?", "A run is in progress. Stop it and close the window?"):
                ev.ignore()
                return
            if not self.runner.shutdown(3000):
                # The current step is still computing: close as soon as it ends.
                self.runs.close_when_stopped = True
                self.statusBar().showMessage("Waiting for the current step to finish\u2026")
                ev.ignore()
                return
            self.session.end_run()
        if not self.files.confirm_replace("Closing the window"):   # the unsaved result and an unused mask: one question
            ev.ignore()   # the export, if any, goes on: it was stopped here before the question
            return
        self.exporter.shutdown(3000)  # a cancelled GIF writes nothing; PNG frames stop after the current one
        self.save_settings()
        ev.accept()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Stop any run; for application exit. A step still computing after ``timeout_ms`` gets up
        to a minute more: destroying a running QThread would abort the process."""
        self.exporter.shutdown(timeout_ms)
        self.checkpoints.shutdown(60.0)   # a model half loaded: it cannot be stopped, and is seconds at most
        return self.runner.shutdown(timeout_ms) or self.runner.shutdown(60_000)


# -- what the window says: text from the session, outside the window class -----------------------------------
def window_title(session, name: str | None, unsaved: bool) -> str:
    """The title: the image's name, * for unsaved work (the image's changes, a result under review, or mask
    edits no run, export or load keeps: closing or replacing the image asks about all three), a result
    under review and the model that made it."""
    review = session.state == "review"
    if session.doc is None and not review:
        return APP_NAME
    model = (session.run or {}).get("checkpoint") if review else None   # the model the run used
    mark = (f" \u2022 result of {model} under review" if model else " \u2022 result under review") if review else ""
    star = "*" if unsaved or session.mask_has_unused_edits() else ""
    return f"{name or 'untitled'}{star}{mark} \u2014 {APP_NAME}"


def unsaved_text(session, mask: bool = False) -> str:
    """What closing or replacing the image would lose: the unsaved result, and with ``mask`` the painted
    mask's unused edits too."""
    doc, review = session.doc, session.state == "review"
    if not mask:
        return "The result of the last run is not saved." if review else unsaved_changes(doc) + "."
    if review:
        return "The result of the last run and the painted mask are not saved."
    return unsaved_with_mask(doc, session.has_unsaved()) + "."


def step_message(session, edit) -> str:
    """The status line after an undo or redo of ``edit`` (an accepted result's: the panel shows the settings of the
    run that made the image now shown, gui/record_settings.show_step, and says so: the controls changing unasked)."""
    shown = edit.kind == "image" and session.shown_run() is not None
    note = " The panel shows the settings of the run that made it." if shown else ""
    if session.history.undone(edit):
        what = "image" if edit.kind == "image" else "mask"
        return f"Undid {edit.label}: the {what} is as it was before it (Ctrl+Shift+Z redoes it).{note}"
    return f"Redid {edit.label} (Ctrl+Z undoes it).{note}"


def pixel_text(info: dict | None) -> str:
    """The status bar's readout of the pixel under the pointer (canvas.pixel_info), '' off the image."""
    if info is None:
        return ""
    v = np.atleast_1d(info["value"]).astype(int)
    val = f"grey {v[0]:3d}" if v.size == 1 else "RGB " + " ".join(f"{x:3d}" for x in v[:3])
    text = f"x {info['x']:4d}  y {info['y']:4d}   {val}"
    return text + (f"   mask {info['mask']:.2f}" if "mask" in info else "")


def controls_dock(window, task_panel, mask_panel) -> QDockWidget:
    """The Controls dock: the task panel over the mask panel, scrolled vertically, never narrower
    than its controls."""
    side = QWidget()
    sl = QVBoxLayout(side)
    sl.setContentsMargins(0, 0, 0, 0)
    sl.setSpacing(0)
    sl.addWidget(task_panel)
    mp = QWidget()
    ml = QVBoxLayout(mp)
    ml.setContentsMargins(6, 0, 6, 6)
    ml.addWidget(mask_panel)
    sl.addWidget(mp)
    sl.addStretch(1)
    scroll = QScrollArea()
    scroll.setWidget(side)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
    scroll.setFocusPolicy(Qt.NoFocus)   # not a Tab stop: it showed no focus, so one Tab seemed to do nothing
    dock = QDockWidget("Controls", window)
    dock.setObjectName("task-dock")
    dock.setWidget(scroll)
    # closable, so View › Controls hides and shows it (without it the entry sat greyed out)
    dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable | QDockWidget.DockWidgetClosable)
    # A row whose field does not fit beside its label puts the label above it (a narrow window's dock,
    # gui/compact.CompactControls): the controls went no narrower than 312 px
    for form in side.findChildren(QFormLayout):
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)
    side.setMinimumWidth(CONTROLS_LEAST)
    # the dock is never squeezed below its controls' width (the vertical scroll bar beside them)
    scroll.setMinimumWidth(CONTROLS_LEAST + scroll.verticalScrollBar().sizeHint().width())
    return dock
