"""The plots on a small screen (helper appux, seen on Xvfb): under 889 px of height the noise curve wrapped
under the other two plots, below the dock's bottom edge (one scrolled to it), and at 760 x 600 the plots
under the canvas left the picture 286 px of the 600. Each test failed before its fix."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from dpm_studio.gui.plots import COLUMN, ROW, TABS, layout_for
from gui_helpers import gradient_image


def _settle(qtbot, n=4):
    for _ in range(n):
        QApplication.processEvents()
        qtbot.wait(20)


def _open(qtbot, win, size):
    win.files.set_image(gradient_image(64, 64))
    win.resize(*size)
    win.plots.show()
    _settle(qtbot)


def _whole_in_dock(view, dock) -> bool:
    """The view is drawn whole inside the dock's scroll area (none of it below or right of its edge)."""
    vp = dock.scroll.viewport()
    top_left = view.mapTo(vp, view.rect().topLeft())
    return view.isVisible() and top_left.x() >= 0 and top_left.y() >= 0 \
        and top_left.x() + view.width() <= vp.width() and top_left.y() + view.height() <= vp.height()


@pytest.mark.parametrize("size", [(760, 600), (889, 650), (1000, 760), (1280, 900)])
def test_every_plot_is_whole_in_the_dock_without_scrolling(qtbot, win, size):
    _open(qtbot, win, size)
    d = win.plots
    assert d.scroll.verticalScrollBar().maximum() == 0, (size, d.mode)
    assert d.scroll.horizontalScrollBar().maximum() == 0, (size, d.mode)
    for task, view in (("inpaint", d.sched_view), ("inpaint", d.trace_view), ("denoise", d.noise_glw)):
        win.task_panel.set_task(task)   # in tabs, the task's tab: the noise curve for a denoise
        _settle(qtbot, 2)
        assert _whole_in_dock(view, d), (size, d.mode, task, view.geometry())
        assert view.height() >= 140 and view.width() >= 110, (size, d.mode, view.size())


def test_a_short_window_keeps_the_picture_its_height_with_the_plots_open(qtbot, win):
    _open(qtbot, win, (760, 600))
    assert win.canvas.height() >= 0.75 * win.height(), win.canvas.height()
    assert win.compact_plots.beside() and win.plots.mode == COLUMN
    assert win.plots.height() > 400 and win.side_dock.visibleRegion().isEmpty(), "the plots' tab is the one on show"
    win.resize(1280, 900)   # a tall window: back under the canvas, side by side
    _settle(qtbot)
    assert win.dockWidgetArea(win.plots) == Qt.BottomDockWidgetArea and not win.compact_plots.beside()
    assert win.plots.mode == ROW and 190 <= win.plots.height() <= 230, win.plots.height()
    assert not win.side_dock.visibleRegion().isEmpty()


def test_the_plots_tab_comes_to_the_front_when_the_plots_are_shown_again(qtbot, win):
    _open(qtbot, win, (760, 600))
    win.act_plots.trigger()   # P: hidden, the Controls are on show
    _settle(qtbot)
    assert win.plots.isHidden() and not win.side_dock.visibleRegion().isEmpty()
    win.act_plots.trigger()   # P again: the plots' tab in front
    _settle(qtbot)
    assert win.compact_plots.beside() and win.side_dock.visibleRegion().isEmpty()
    win.side_dock.raise_()    # the user's choice of tab holds while the window is resized
    win.resize(780, 620)
    _settle(qtbot)
    assert not win.side_dock.visibleRegion().isEmpty()


def test_a_floating_plots_dock_stays_where_the_user_put_it(qtbot, win):
    _open(qtbot, win, (1280, 900))
    win.plots.setFloating(True)
    win.resize(760, 600)
    _settle(qtbot)
    assert win.plots.isFloating() and not win.compact_plots.beside()


def test_the_layout_follows_the_room():
    assert layout_for(900, 180) == ROW
    assert layout_for(400, 180) == TABS
    assert layout_for(330, 500) == COLUMN
