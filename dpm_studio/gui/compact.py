"""The window on a small screen (760 x 600: a 800 px laptop, half of a 1366 px screen tiled side by
side): the tools toolbar drops the words under its icons (each keeps its tooltip) when they would
not all fit its height, or when the window is narrower than ``NARROW`` px, so the canvas keeps its
room and Fit never falls off the bottom. The result bar under the canvas wraps to two rows by
itself (panels.ResultBar). On a short window (under ``SHORT`` px high) the plots dock opens beside the
Controls, as a tab of the right-hand column, not under the canvas: under it they left the picture 286 of
the 600 px (CompactPlots)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Slot
from PySide6.QtWidgets import QDockWidget, QMainWindow, QToolBar

__all__ = ["CompactControls", "CompactPlots", "CompactToolbar", "CONTROLS_WIDTH", "NARROW", "PLOTS_HEIGHT", "SHORT"]

NARROW = 960   # px: below this the toolbar's words go (44 px of canvas back)
SHORT = 720    # px of window height: below this the plots are a tab beside the Controls, not under the canvas
PLOTS_HEIGHT = 210   # px: the plots dock's height under the canvas
CONTROLS_WIDTH = 330   # px: the Controls dock's width on a wide window (under NARROW: as narrow as its controls)


class CompactToolbar(QObject):
    """Watches the window's size; picks the toolbar's style to fit it."""

    def __init__(self, window, toolbar: QToolBar):
        super().__init__(window)
        self.window, self.toolbar = window, toolbar
        toolbar.setToolButtonStyle(Qt.ToolButtonTextUnderIcon)
        self._full_height = toolbar.sizeHint().height()   # every tool with its words
        window.installEventFilter(self)

    def eventFilter(self, obj, event):
        if obj is self.window and event.type() == QEvent.Resize:
            self.fit(event.size().width(), event.size().height())
        return False

    def fit(self, width: int, height: int):
        tb, w = self.toolbar, self.window
        room = height - w.menuBar().sizeHint().height() - w.statusBar().sizeHint().height()
        words = width >= NARROW and room >= self._full_height
        style = Qt.ToolButtonTextUnderIcon if words else Qt.ToolButtonIconOnly
        if tb.toolButtonStyle() != style:
            tb.setToolButtonStyle(style)


class CompactPlots(QObject):
    """Where the plots dock goes, by the window's height: under the canvas (``PLOTS_HEIGHT`` px) on a tall
    window, a tab beside the Controls on a short one, so that opening the plots leaves the picture its height
    (at 760 x 600 under the canvas they left it 286 px of 600; beside the Controls, 496). It moves the dock
    between those two places only: one the user made float or put at the top stays where it is."""

    def __init__(self, window: QMainWindow, plots: QDockWidget, side: QDockWidget):
        super().__init__(window)
        self.window, self.plots, self.side = window, plots, side
        self._timer = QTimer(self)   # after the resize or show that asked: not inside the window's layout pass
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.place)
        self._shown = False   # the plots were just shown (View > Plots, P): their tab comes to the front
        window.installEventFilter(self)
        plots.installEventFilter(self)

    def eventFilter(self, obj, event):
        if obj is self.plots and event.type() == QEvent.Show and not event.spontaneous():
            self._shown = True
            self._timer.start()
        elif obj is self.window and event.type() == QEvent.Resize:
            self._timer.start()
        return False

    def beside(self) -> bool:
        """The plots are a tab beside the Controls."""
        w = self.window
        return w.dockWidgetArea(self.plots) == Qt.RightDockWidgetArea and self.side in w.tabifiedDockWidgets(self.plots)

    @Slot()
    def place(self):
        w, p = self.window, self.plots
        shown, self._shown = self._shown, False
        if p.isHidden() or p.isFloating():
            return
        area = w.dockWidgetArea(p)
        if w.height() < SHORT:
            if area == Qt.BottomDockWidgetArea and not self.side.isHidden() and not self.side.isFloating():
                w.tabifyDockWidget(self.side, p)
                shown = True
            if shown and self.beside():
                p.raise_()
        elif self.beside():
            w.addDockWidget(Qt.BottomDockWidgetArea, p)
            w.resizeDocks([p], [PLOTS_HEIGHT], Qt.Vertical)


class CompactControls(QObject):
    """The Controls dock's width by the window's: ``CONTROLS_WIDTH`` on a wide window, its least (the controls'
    rows wrap their labels above the fields, gui/main_window.controls_dock) under ``NARROW`` px, so the canvas
    keeps the room (at 760 x 600 the canvas was 379 px wide beside a 330 px dock). Only on crossing NARROW:
    a width the user dragged stays while the window stays on one side of it."""

    def __init__(self, window: QMainWindow, side: QDockWidget):
        super().__init__(window)
        self.window, self.side = window, side
        self._narrow = None
        self._timer = QTimer(self)   # after the resize: not inside the window's layout pass
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.fit)
        window.installEventFilter(self)

    def eventFilter(self, obj, event):
        if obj is self.window and event.type() == QEvent.Resize:
            self._timer.start()
        return False

    @Slot()
    def fit(self):
        narrow = self.window.width() < NARROW
        if narrow == self._narrow or self.side.isHidden() or self.side.isFloating():
            return
        self._narrow = narrow
        width = self.side.minimumSizeHint().width() if narrow else CONTROLS_WIDTH
        self.window.resizeDocks([self.side], [width], Qt.Horizontal)
