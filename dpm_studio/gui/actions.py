"""Every command of the app declared once: the menus, the toolbar, the shortcuts, the F1 sheet
and when each command is enabled are all generated from :data:`ACTIONS` (as napari declares
its actions in ``_qt/_qapp_model/qactions``), so a shortcut cannot be bound without being in
the help sheet, and a menu entry cannot be enabled where its command would refuse.

Each :class:`Act` names the window method it calls (a dotted path such as ``canvas.undo`` is
looked up from the window), its menu, its place on the toolbar, and ``when``: the states it
is enabled in, a few words joined by "and" ("edit and has_image") read from the window's
:meth:`action_context`.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QToolBar, QVBoxLayout

from . import icons

__all__ = ["Act", "ACTIONS", "MENUS", "KEYS_WITHOUT_ACTIONS", "build", "update_enabled", "shortcut_rows",
           "show_shortcuts"]


@dataclass(frozen=True)
class Act:
    name: str                      # the window gets it as act_<name>
    text: str
    slot: str | None = None        # a window method, dotted for a child's ("canvas.undo"), args after ':'
    keys: tuple = ()               # shortcuts (QKeySequence strings or standard key names)
    tip: str = ""
    menu: str | None = None        # "File", "Edit", "View", "Run", "Help"
    toolbar: str | None = None     # the short text under its toolbar icon
    icon: str | None = None
    checkable: bool = False
    when: str = ""                 # enabled when every word holds ("" = always)
    sep: bool = False              # a separator before it in its menu
    group: str | None = None       # exclusive group (the mask tools)
    data: str | None = None


# Menu entries that are not actions: "@recent", "@samples" (submenus), "@docks" (the docks' toggles).
MENUS = ("File", "Edit", "View", "Run", "Help")
SUBMENUS = {"File": (("after", "open", "@recent"), ("after", "@recent", "@samples"))}

ACTIONS: tuple[Act, ...] = (
    # -- File
    Act("open", "&Open\u2026", "_open_dialog", ("Ctrl+O",), "Open an image", "File", when="not running"),
    Act("paste", "&Paste Image", "paste", ("Ctrl+V",), "Paste an image from the clipboard", "File",
        when="not running"),
    Act("save_as", "Save &As\u2026", "_save_dialog", ("Ctrl+Shift+S", "Ctrl+S"),
        "Save the image (PNG, JPEG, TIFF, WebP, BMP)", "File", when="not running and has_picture", sep=True),
    Act("load_mask", "&Load Mask\u2026", "_load_mask_dialog", (), "Load a mask image (white = fill)", "File",
        when="edit and has_image", sep=True),
    Act("export_mask", "Export &Mask\u2026", "_export_mask_dialog", (), "Save the mask as a grey image", "File",
        when="has_image"),
    Act("export_gif", "Export Trajectory as &GIF\u2026", "_export_gif_dialog", (),
        "Save the recorded trajectory as an animated GIF", "File", when="has_trajectory and not running", sep=True),
    Act("export_frames", "Export Trajectory as PNG &Frames\u2026", "_export_frames_dialog", (),
        "Save the recorded trajectory as numbered PNG files", "File", when="has_trajectory and not running"),
    Act("import_ckpt", "&Import Checkpoint\u2026", "_import_checkpoint_dialog", (),
        "Check a checkpoint (.safetensors + .json) and copy it into your models folder", "File",
        when="not running", sep=True),
    Act("open_ckpt", "Open &Checkpoint\u2026", "_open_checkpoint_dialog", (),
        "Use a checkpoint file where it is, for this session and the next", "File", when="not running"),
    Act("refresh", "&Rescan Checkpoints", "refresh_checkpoints", (),
        "Look for new checkpoints in the checkpoint folders", "File", when="not running"),
    Act("quit", "&Quit", "close", ("Ctrl+Q",), "Close the window", "File", sep=True),
    # -- Edit
    Act("undo", "&Undo", "canvas.undo", ("Ctrl+Z",), "Undo the last mask edit or accepted result", "Edit",
        "Undo", "undo", when="edit and can_undo"),
    Act("redo", "&Redo", "canvas.redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "Redo", "Edit", "Redo", "redo",
        when="edit and can_redo"),
    Act("copy", "&Copy Image", "copy_image", ("Ctrl+C",), "Copy the shown picture", "Edit", sep=True),
    Act("brush", "&Brush", None, ("B",), "Paint the region to fill", "Edit", "Brush", "brush", True, "edit",
        sep=True, group="tools", data="brush"),
    Act("eraser", "&Eraser", None, ("E",), "Erase from the mask", "Edit", "Eraser", "eraser", True, "edit",
        group="tools", data="eraser"),
    Act("rect", "&Rectangle", None, ("R",), "Drag a rectangle (hold Ctrl to subtract)", "Edit", "Rectangle", "rect",
        True, "edit", group="tools", data="rect"),
    Act("lasso", "&Lasso", None, ("L",), "Drag freehand, or click points and double-click (or Enter) to close",
        "Edit", "Lasso", "lasso", True, "edit", group="tools", data="lasso"),
    Act("pan", "&Pan", None, ("H",), "Drag to move the view", "Edit", "Pan", "pan", True, "edit", group="tools",
        data="pan"),
    Act("subtract", "S&ubtract from Mask", "_toggle_subtract", ("S",),
        "Brush, rectangle and lasso take pixels out of the mask (or hold Ctrl while dragging)", "Edit", "Subtract",
        "subtract", True, "edit"),
    Act("smaller", "S&maller Brush", "canvas.grow_brush:0.8", ("[",), "A smaller brush", "Edit"),
    Act("larger", "&Larger Brush", "canvas.grow_brush:1.25", ("]",), "A larger brush", "Edit"),
    Act("invert", "&Invert Mask", "canvas.invert_mask", ("Ctrl+I",), "Swap filled and kept pixels", "Edit",
        "Invert", "invert", when="edit and has_image", sep=True),
    Act("clear", "&Clear Mask", "canvas.clear_mask", ("Delete", "Ctrl+Shift+A"), "Remove the whole mask", "Edit",
        "Clear", "clear", when="edit and has_image"),
    # -- View
    Act("fit", "&Fit to Window", "canvas.fit", ("Ctrl+0",), "Show the whole image", "View", "Fit", "fit"),
    Act("actual", "&Actual Size", "canvas.set_zoom:1.0", ("Ctrl+1",), "One screen pixel per image pixel", "View"),
    Act("zoom_in", "Zoom &In", "canvas.zoom_by:1.25", ("Ctrl+=", "Ctrl++"), "Zoom in", "View"),
    Act("zoom_out", "Zoom &Out", "canvas.zoom_by:0.8", ("Ctrl+-",), "Zoom out", "View"),
    Act("overlay", "Show &Mask Overlay", "_toggle_overlay", ("M",), "Show or hide the mask overlay", "View",
        checkable=True, sep=True),
    Act("split", "&Split Compare", None, (), "Before | after with a draggable divider", "View", checkable=True,
        when="review"),
    Act("x0", "Show Predicted x\u2080", None, ("X",), "Show the model's x_0 estimate instead of x_t", "View",
        checkable=True),
    Act("plots", "Schedule && Trajectory &Plots", "_toggle_plots", ("P",),
        "Show or hide the plots of the noise schedule and the run", "View", checkable=True),
    # -- Run
    Act("run", "&Run", "run", ("Ctrl+Return", "Ctrl+Enter"), "Run the task", "Run", icon="run",
        when="not running"),
    Act("cancel", "&Cancel Run", "cancel", ("Esc",), "Stop after the current step", "Run", icon="stop",
        when="running"),
    Act("accept", "&Accept Result", "accept_result", ("Ctrl+Shift+Return",), "Make the result the image", "Run",
        when="result", sep=True),
    Act("discard", "&Discard Result", "discard_result", ("Ctrl+Backspace",), "Drop the result", "Run",
        when="review"),
    Act("estimate", "&Estimate Noise Level", "estimate_noise", (), "Measure the noise std of the image", "Run",
        when="has_image and not running", sep=True),
    Act("seed", "New Random &Seed", "task_panel.new_seed", ("Ctrl+Shift+R",), "Draw a new random seed", "Run"),
    # -- Help
    Act("shortcuts", "&Keyboard Shortcuts", "show_shortcuts", ("F1",), "This list of keys", "Help"),
    Act("models_folder", "Open &Models Folder", "open_models_folder", (),
        "Show the folder where your own checkpoints live (File \u203a Import Checkpoint copies them there)",
        "Help"),
    Act("about", "&About DPM Studio", "show_about", (), "Versions and the paper", "Help"),
)

# Keys the canvas reads itself (held keys and mouse gestures): they have no action but belong on the sheet.
KEYS_WITHOUT_ACTIONS = {
    "Edit": (("Shift+click", "Straight brush line from the last point"),
             ("Ctrl+drag (or Alt+drag)", "Brush, rectangle or lasso subtracts"),
             ("Enter", "Close a click-by-click lasso polygon")),
    "View": (("Wheel", "Zoom about the cursor"), ("Middle or right drag, Space+drag", "Pan")),
    "Run": (("\\ (hold)", "Show the original"),),
}


def _slot(window, spec: str):
    """The callable for a slot spec, looked up when the action fires (so it is always the current one)."""
    path, _, arg = spec.partition(":")

    def fire(*_):
        obj = window
        for part in path.split("."):
            obj = getattr(obj, part)
        return obj(float(arg)) if arg else obj()
    return fire


def build(window) -> dict:
    """Make every action (as ``window.act_<name>``), the menus and the tools toolbar; returns them by name."""
    acts, groups = {}, {}
    for a in ACTIONS:
        q = QAction(a.text, window)
        if a.keys:
            q.setShortcuts([QKeySequence(k) for k in a.keys])
        tip = a.tip + (f" ({a.keys[0]})" if a.keys else "")
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
        if a.slot:
            q.triggered.connect(_slot(window, a.slot))
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


def _holds(when: str, ctx: dict) -> bool:
    for word in filter(None, (w.strip() for w in when.split(" and "))):
        neg = word.startswith("not ")
        if bool(ctx[word[4:] if neg else word]) == neg:
            return False
    return True


def update_enabled(acts: dict, ctx: dict):
    """Enable each action by its ``when`` in the window's current context."""
    for a in ACTIONS:
        if a.when:
            acts[a.name].setEnabled(_holds(a.when, ctx))


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
