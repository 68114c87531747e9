"""The session is the only writer of the pixels and the mask; the canvas and the window show what it says."""

from __future__ import annotations

import numpy as np
from gui_helpers import drag, gradient_image
from PySide6.QtWidgets import QApplication

from dpm_studio.gui.canvas import ImageCanvas


def test_the_canvas_shows_what_the_session_changes(qtbot):
    c = ImageCanvas()
    qtbot.addWidget(c)
    c.resize(300, 300)
    c.show()
    s = c.session
    img = gradient_image(24, 24)
    s.open(img)   # not through the canvas
    before = c.base_u8().copy()
    assert c.has_image() and c.shown().shape == (24, 24, 3)
    np.testing.assert_array_equal(c.shown(), c.base_u8())
    m = np.zeros((24, 24), np.float32)
    m[4:10, 4:10] = 1
    s.set_mask(m)
    assert c.overlay_item.image[5, 5, 3] > 0 and c.overlay_item.image[20, 20, 3] == 0
    s.accept(np.ones((24, 24, 3), np.float32), {"task": "inpaint"})
    assert (c.shown() == 255).all(), "Accept through the session is on the canvas"
    assert c.undo() and (c.shown() == before).all()
    s.close()
    assert not c.has_image() and c.shown() is None


def test_a_stroke_on_the_canvas_is_written_by_the_session(qtbot):
    c = ImageCanvas()
    qtbot.addWidget(c)
    c.resize(300, 300)
    c.show()
    qtbot.waitExposed(c)
    c.set_image(gradient_image(32, 32))
    QApplication.processEvents()
    seen = []
    c.session.events.mask.connect(lambda e: seen.append(e.live))
    c.set_brush_size(5)
    drag(c, [(5.5, 5.5), (25.5, 5.5)])
    assert seen and seen[0] is True and seen[-1] is False and c.session.mask[5, 10] == 1
    assert c.session.history.undo_label() == "brush stroke"


def test_the_window_follows_the_session(win):
    """A mask or an Accept made through the session updates the window's actions, coverage and title."""
    win.files.set_image(gradient_image(16, 16))
    s = win.session
    assert not win.act_undo.isEnabled()
    m = np.zeros((16, 16), np.float32)
    m[:8] = 1
    s.set_mask(m)
    assert win.act_undo.isEnabled() and "load mask" in win.act_undo.text()
    assert "50" in win.mask_panel.coverage.text()
    s.accept(np.zeros((16, 16, 3), np.float32), {"task": "denoise"})
    assert "*" in win.windowTitle() and "accept denoise" in win.act_undo.text()
    assert (win.canvas.shown() == 0).all()


def test_actions_call_functions_and_are_enabled_by_predicates(win):
    from dpm_studio.gui import actions
    from dpm_studio.gui.model.predicates import When

    for a in actions.ACTIONS:
        assert isinstance(a.when, When), a.name
        assert not a.call or callable(a.call[0]), a.name
    assert not win.act_invert.isEnabled()
    win.session.open(gradient_image(8, 8))   # through the session: the menus follow
    assert win.act_invert.isEnabled() and not win.act_undo.isEnabled()
    win.act_invert.trigger()
    assert win.session.mask.min() == 1 and win.act_undo.isEnabled() and "invert mask" in win.act_undo.text()
    win.session.start_run({"task": "denoise"})
    assert not win.act_invert.isEnabled() and win.act_cancel.isEnabled() and not win.act_run.isEnabled()


def test_the_mask_panels_feather_goes_to_the_session_and_into_the_run(win, qtbot):
    win.files.set_image(gradient_image(32, 32))
    m = np.zeros((32, 32), np.float32)
    m[8:24, 8:24] = 1
    win.session.set_mask(m)
    win.mask_panel.feather.setValue(3)
    assert win.session.feather == 3 and win.canvas.feather() == 3
    qtbot.waitUntil(lambda: 0 < win.canvas.overlay_item.image[6, 16, 3] < win.canvas.overlay_item.image[16, 16, 3],
                    timeout=2000)   # the overlay shows the session's feathered mask
    win.task_panel.set_task("inpaint")
    with qtbot.waitSignal(win.runner.finished, timeout=60000):
        assert win.runs.run()
    assert win.session.run["feather"] == 3.0
