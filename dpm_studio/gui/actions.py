"""Every command of the app declared once: the menus, the toolbar, the shortcuts, the F1 sheet
and when each command is enabled are all generated from :data:`ACTIONS` (as napari declares
its actions in ``_qt/_qapp_model/qactions``), so a shortcut cannot be bound without being in
the help sheet, and a menu entry cannot be enabled where its command would refuse.

Each :class:`Act` holds the command it calls (``call``: a function defined on one of the
window's parts (``window.parts()``), e.g. ``FilesController.open_dialog``, with its arguments; or a function of
the window), its menu, its place on the toolbar, and ``when``: a named predicate over the
session (gui/model/predicates.py, e.g. ``EDIT & HAS_IMAGE``). Both are Python names, so a typo
fails when this module is imported.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QTextBrowser, QToolBar, QVBoxLayout

from . import icons
from .canvas import ImageCanvas
from .checkpoints import CheckpointsController
from .exports import TrajectoryExports
from .files import FilesController
from .mask_tools import MaskTools
from .noise_readout import NoiseReadout
from .model.predicates import (ALWAYS, CAN_REDO, CAN_UNDO, COMPARE, EDIT, HAS_IMAGE, HAS_MASK, HAS_PICTURE,
                               DECIDE, HAS_TRAJECTORY, MODEL_READY, RESULT, RUNNING, When)
from .run_control import RunController
from .model.session import Session
from .record_settings import use_saved_result
from .task_panel import TaskPanel
from .theme import restyle_notes

__all__ = ["Act", "ACTIONS", "MENUS", "KEYS_WITHOUT_ACTIONS", "build", "update_enabled", "shortcut_rows",
           "show_shortcuts", "about_text"]


@dataclass(frozen=True)
class Act:
    name: str                      # the window gets it as act_<name>
    text: str
    call: tuple = ()               # (function, *args): a method of a window part, or a function of the window
    keys: tuple = ()               # shortcuts (QKeySequence strings or standard key names)
    tip: str = ""
    menu: str | None = None        # "File", "Edit", "View", "Run", "Help"
    toolbar: str | None = None     # the short text under its toolbar icon
    icon: str | None = None
    checkable: bool = False
    when: When = ALWAYS            # enabled when it holds over the session
    sep: bool = False              # a separator before it in its menu
    group: str | None = None       # exclusive group (the mask tools)
    data: str | None = None


# -- the window's own commands (functions of the window) ---------------------------------------------------
def _quit(w):
    w.close()


def _toggle_subtract(w):
    on = w.act_subtract.isChecked()
    w.canvas.set_subtract(on)
    w.statusBar().showMessage("Subtract: the mask tools take pixels out of the mask (S again to add)" if on
                              else "Add: the mask tools add to the mask", 4000)


def _toggle_overlay(w):
    w.set_overlay_pref(w.act_overlay.isChecked())


def _toggle_plots(w):
    w.plots.setVisible(w.act_plots.isChecked())


def about_text() -> str:
    import numpy as np
    import PySide6
    import pyqtgraph
    import torch
    from PySide6.QtCore import qVersion

    from .. import __version__

    return (f"<h3>DPM Studio {__version__}</h3>"
            "<p>Inpainting and denoising images with diffusion probabilistic models "
            "(Sohl-Dickstein, Weiss, Maheswaranathan, Ganguli, <i>Deep Unsupervised Learning using "
            "Nonequilibrium Thermodynamics</i>, ICML 2015).</p>"
            f"<p>Python {platform.python_version()}<br>torch {torch.__version__}<br>"
            f"PySide6 {PySide6.__version__} (Qt {qVersion()})<br>pyqtgraph {pyqtgraph.__version__}<br>"
            f"numpy {np.__version__}<br>{platform.system()} {platform.machine()}</p>")


def _show_about(w):
    QMessageBox.about(w, "About DPM Studio", about_text())


def _show_shortcuts(w):
    return show_shortcuts(w)


# Menu entries that are not actions: "@recent", "@samples" (submenus), "@docks" (the docks' toggles).
MENUS = ("File", "Edit", "View", "Run", "Help")
SUBMENUS = {"File": (("after", "open", "@recent"), ("after", "@recent", "@samples"))}
F, R, C, X, V = FilesController, RunController, CheckpointsController, TrajectoryExports, ImageCanvas

ACTIONS: tuple[Act, ...] = (
    # -- File
    Act("open", "&Open\u2026", (F.open_dialog,), ("Ctrl+O",), "Open an image", "File", when=~RUNNING),
    Act("paste", "&Paste Image", (F.paste,), ("Ctrl+V",), "Paste an image from the clipboard", "File",
        when=~RUNNING),
    Act("save", "&Save", (F.save,), ("Ctrl+S",), "Save the image to the file it was last saved to (the first "
        "time, ask where, as Save As)", "File", when=~RUNNING & HAS_PICTURE, sep=True),
    Act("save_as", "Save &As\u2026", (F.save_dialog,), ("Ctrl+Shift+S",),
        "Save the image to a file you choose (PNG, JPEG, TIFF, WebP, BMP)", "File", when=~RUNNING & HAS_PICTURE),
    Act("load_mask", "&Load Mask\u2026", (F.load_mask_dialog,), (), "Load a mask image (white = fill)", "File",
        when=EDIT & HAS_IMAGE, sep=True),
    Act("export_mask", "Export &Mask\u2026", (F.export_mask_dialog,), (), "Save the mask as a grey image", "File",
        when=HAS_IMAGE & HAS_MASK),
    Act("export_gif", "Export Trajectory as &GIF\u2026", (X.gif_dialog,), (),
        "Save the recorded trajectory as an animated GIF", "File", when=HAS_TRAJECTORY & ~RUNNING, sep=True),
    Act("export_frames", "Export Trajectory as PNG &Frames\u2026", (X.frames_dialog,), (),
        "Save the recorded trajectory as numbered PNG files", "File", when=HAS_TRAJECTORY & ~RUNNING),
    Act("import_ckpt", "&Import Checkpoint\u2026", (C.import_dialog,), (),
        "Check a checkpoint (.safetensors + .json) and copy it into your models folder", "File",
        when=~RUNNING, sep=True),
    Act("open_ckpt", "Open &Checkpoint\u2026", (C.open_dialog,), (),
        "Use a checkpoint file where it is, for this session and the next", "File", when=~RUNNING),
    Act("refresh", "&Rescan Checkpoints", (C.refresh,), (),
        "Look for new checkpoints in the checkpoint folders", "File", when=~RUNNING),
    Act("quit", "&Quit", (_quit,), ("Ctrl+Q",), "Close the window", "File", sep=True),
    # -- Edit
    Act("undo", "&Undo", (V.undo,), ("Ctrl+Z",), "Undo the last mask edit or accepted result", "Edit",
        "Undo", "undo", when=EDIT & CAN_UNDO),
    Act("redo", "&Redo", (V.redo,), ("Ctrl+Shift+Z", "Ctrl+Y"), "Redo", "Edit", "Redo", "redo",
        when=EDIT & CAN_REDO),
    Act("copy", "&Copy Image", (F.copy_image,), ("Ctrl+C",), "Copy the shown picture", "Edit", sep=True),
    Act("brush", "&Brush", (), ("B",), "Paint the region to fill", "Edit", "Brush", "brush", True, EDIT,
        sep=True, group="tools", data="brush"),
    Act("eraser", "&Eraser", (), ("E",), "Erase from the mask", "Edit", "Eraser", "eraser", True, EDIT,
        group="tools", data="eraser"),
    Act("rect", "&Rectangle", (), ("R",), "Drag a rectangle (hold Ctrl to subtract)", "Edit", "Rectangle", "rect",
        True, EDIT, group="tools", data="rect"),
    Act("lasso", "&Lasso", (), ("L",), "Drag freehand, or click points and double-click (or Enter) to close",
        "Edit", "Lasso", "lasso", True, EDIT, group="tools", data="lasso"),
    Act("pan", "&Pan", (), ("H",), "Drag to move the view", "Edit", "Pan", "pan", True, EDIT, group="tools",
        data="pan"),
    Act("subtract", "S&ubtract from Mask", (_toggle_subtract,), ("S",),
        "Brush, rectangle and lasso take pixels out of the mask (or hold Ctrl while dragging)", "Edit", "Subtract",
        "subtract", True, EDIT),
    Act("smaller", "S&maller Brush", (MaskTools.grow_brush, 0.8), ("[",), "A smaller brush", "Edit"),
    Act("larger", "&Larger Brush", (MaskTools.grow_brush, 1.25), ("]",), "A larger brush", "Edit"),
    Act("invert", "&Invert Mask", (Session.invert_mask,), ("Ctrl+I",), "Swap filled and kept pixels", "Edit",
        "Invert", "invert", when=EDIT & HAS_IMAGE, sep=True),
    Act("clear", "&Clear Mask", (Session.clear_mask,), ("Delete", "Ctrl+Shift+A"), "Remove the whole mask", "Edit",
        "Clear", "clear", when=EDIT & HAS_IMAGE & HAS_MASK),
    # -- View
    Act("fit", "&Fit to Window", (V.fit,), ("Ctrl+0",), "Show the whole image", "View", "Fit", "fit"),
    Act("actual", "&Actual Size", (V.set_zoom, 1.0), ("Ctrl+1",), "One screen pixel per image pixel", "View"),
    Act("zoom_in", "Zoom &In", (V.zoom_by, 1.25), ("Ctrl+=", "Ctrl++"), "Zoom in", "View"),
    Act("zoom_out", "Zoom &Out", (V.zoom_by, 0.8), ("Ctrl+-",), "Zoom out", "View"),
    Act("overlay", "Show &Mask Overlay", (_toggle_overlay,), ("M",), "Show or hide the mask overlay", "View",
        checkable=True, sep=True),
    Act("split", "&Split Compare", (), (), "Before | after with a draggable divider", "View", checkable=True,
        when=COMPARE),
    Act("x0", "Show Predicted x\u2080", (), ("X",), "Show the model's x_0 estimate instead of x_t", "View",
        checkable=True),
    Act("plots", "Schedule && Trajectory &Plots", (_toggle_plots,), ("P",),
        "Show or hide the plots of the noise schedule and the run", "View", checkable=True),
    # -- Run
    Act("run", "&Run", (R.run,), ("Ctrl+Return", "Ctrl+Enter"), "Run the task", "Run", icon="run",
        when=~RUNNING & MODEL_READY),
    Act("cancel", "&Cancel Run", (R.cancel,), ("Esc",), "Stop after the current step", "Run", icon="stop",
        when=RUNNING),
    Act("accept", "&Accept Result", (R.accept_result,), ("Ctrl+Shift+Return",), "Make the result the image", "Run",
        when=RESULT, sep=True),
    Act("discard", "&Discard Result", (R.discard_result,), ("Ctrl+Backspace",), "Drop the result", "Run",
        when=DECIDE),
    Act("estimate", "&Estimate Noise Level", (NoiseReadout.estimate,), (), "Measure the noise std of the image",
        "Run", when=HAS_IMAGE & ~RUNNING, sep=True),
    Act("use_record", "Use Settings of a Saved &Result\u2026", (use_saved_result,), (),
        "Put every setting of the last run a saved result carries (the app's or the command line's) in the "
        "controls, with its task and model, to run again or change", "Run", when=~RUNNING),
    Act("seed", "New Random &Seed", (TaskPanel.new_seed,), ("Ctrl+Shift+R",), "Draw a new random seed", "Run"),
    # -- Help
    Act("shortcuts", "&Keyboard Shortcuts", (_show_shortcuts,), ("F1",), "This list of keys", "Help"),
    Act("models_folder", "Open &Models Folder", (C.open_models_folder,), (),
        "Show the folder where your own checkpoints live (File \u203a Import Checkpoint copies them there)",
        "Help"),
    Act("about", "&About DPM Studio", (_show_about,), (), "Versions and the paper", "Help"),
)
del F, R, C, X, V

# Keys the canvas reads itself (held keys and mouse gestures): they have no action but belong on the sheet.
KEYS_WITHOUT_ACTIONS = {
    "Edit": (("Shift+click", "Straight brush line from the last point"),
             ("Ctrl+drag (or Alt+drag)", "Brush, rectangle or lasso subtracts"),
             ("Enter", "Close a click-by-click lasso polygon")),
    "View": (("Wheel", "Zoom about the cursor"), ("Middle or right drag, Space+drag", "Pan")),
    "Run": (("\\ (hold)", "Show the original"),),
}


def _command(window, call: tuple):
    """The callable of an Act's ``call``: its function on the window part of the class that defines
    it (looked up when the action fires, so it is always the current one), or a function of the window."""
    func, args = call[0], call[1:]
    parts = [p for p in window.parts() if getattr(type(p), func.__name__, None) is func]
    if parts:
        part, name = parts[0], func.__name__
        return lambda *_: getattr(part, name)(*args)
    if "." in func.__qualname__:
        raise LookupError(f"the window has no part that defines {func.__qualname__}")
    return lambda *_: func(window, *args)


def follow_palette(window):
    """The palette changed (a desktop theme switched to dark or back): the painted icons, the plots' axes and
    the noise curve drawn anew in its ink (gui/theme.py); drawn once at start they stayed dark on dark."""
    for a in ACTIONS:
        if a.icon:
            window.actions[a.name].setIcon(icons.icon(a.icon))
    window.plots.follow_palette()
    window.noise.plot()
    restyle_notes(window)   # the notes' grey: 4.5:1 on the window, light or dark


def build(window) -> dict:
    """Make every action (as ``window.act_<name>``), the menus and the tools toolbar; returns them by name."""
    acts, groups = {}, {}
    for a in ACTIONS:
        q = QAction(a.text, window)
        if a.keys:
            q.setShortcuts([QKeySequence(k) for k in a.keys])
        tip = _tip(a)
        q.setStatusTip(tip)
        q.setToolTip(tip)
        if a.icon:
            q.setIcon(icons.icon(a.icon))
        if a.toolbar:
            q.setIconText(a.toolbar)
        q.setCheckable(a.checkable)
        if a.data:
            q.setData(a.data)
        if a.group:
            groups.setdefault(a.group, QActionGroup(window)).addAction(q)
        if a.call:
            q.triggered.connect(_command(window, a.call))
        window.addAction(q)
        acts[a.name] = q
        setattr(window, f"act_{a.name}", q)
    window.action_groups = groups
    mb = window.menuBar()
    menus = {name: mb.addMenu(f"&{name}") for name in MENUS}
    for a in ACTIONS:
        m = menus[a.menu]
        if a.sep and m.actions():
            m.addSeparator()
        m.addAction(acts[a.name])
        if a.name == "open":
            window.recent_menu = m.addMenu("Open &Recent")
            window.sample_menu = m.addMenu("Open &Sample")
        if a.name == "x0":
            m.addSeparator()
            window.view_menu = m
    window.menus = menus
    tb = QToolBar("Tools", window)
    tb.setObjectName("tools-toolbar")
    tb.setToolButtonStyle(Qt.ToolButtonTextUnderIcon)
    tb.setIconSize(tb.iconSize() * 1.2)
    last = None
    for a in ACTIONS:
        if a.toolbar:
            if last is not None and a.menu != last.menu or (last is not None and a.group != last.group):
                tb.addSeparator()
            tb.addAction(acts[a.name])
            last = a
    window.addToolBar(Qt.LeftToolBarArea, tb)
    window.tools_toolbar = tb
    return acts


def update_enabled(acts: dict, session):
    """Enable each action by its ``when`` over the session; a greyed one's tooltip says why."""
    for a in ACTIONS:
        if a.when is not ALWAYS:
            ok, q = a.when(session), acts[a.name]
            q.setEnabled(ok)
            tip = _tip(a)
            q.setToolTip(tip if ok else f"Greyed out: {a.when.why(session)}.\n\n{tip}")


def _tip(a: Act) -> str:
    return a.tip + (f" ({a.keys[0]})" if a.keys else "")


def shortcut_rows() -> list[tuple[str, list[tuple[str, str]]]]:
    """The F1 sheet: every bound shortcut of :data:`ACTIONS` by menu, then the keys the canvas reads."""
    rows = []
    for menu in MENUS:
        items = [(" / ".join(a.keys), (a.tip or a.text.replace("&", "").rstrip("\u2026")))
                 for a in ACTIONS if a.menu == menu and a.keys]
        items += list(KEYS_WITHOUT_ACTIONS.get(menu, ()))
        if items:
            rows.append((menu, items))
    return rows


def show_shortcuts(parent):
    dlg = QDialog(parent)
    dlg.setWindowTitle("Keyboard Shortcuts")
    lay = QVBoxLayout(dlg)
    tb = QTextBrowser()
    rows = []
    for section, items in shortcut_rows():
        rows.append(f"<tr><td colspan=2><h3 style='margin-top:10px'>{section}</h3></td></tr>")
        for key, what in items:
            rows.append(f"<tr><td style='padding-right:18px'><b>{key.replace('<', '&lt;')}</b></td>"
                        f"<td>{what}</td></tr>")
    tb.setHtml("<table>" + "".join(rows) + "</table>")
    lay.addWidget(tb)
    bb = QDialogButtonBox(QDialogButtonBox.Close)
    bb.rejected.connect(dlg.reject)
    lay.addWidget(bb)
    dlg.resize(560, 600)
    dlg.setAttribute(Qt.WA_DeleteOnClose)
    dlg.show()
    return dlg
