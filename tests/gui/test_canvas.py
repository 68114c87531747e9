"""The canvas tools driven by real mouse and key events on the viewport."""

from __future__ import annotations

import numpy as np
import pytest
from gui_helpers import click, double_click, drag, gradient_image
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from dpm_studio.gui.canvas import ImageCanvas, Tool


@pytest.fixture
def canvas(qtbot):
    c = ImageCanvas()
    qtbot.addWidget(c)
    c.resize(420, 420)
    c.show()
    qtbot.waitExposed(c)
    c.set_image(gradient_image(32, 32))
    QApplication.processEvents()
    return c


def test_mapping_puts_pixel_centres_under_the_mouse(canvas):
    for x, y in ((0.5, 0.5), (16.5, 7.5), (31.5, 31.5)):
        p = canvas.viewport_to_image(QPointF(canvas.image_to_viewport(x, y)))
        assert abs(p.x() - x) < 0.2 and abs(p.y() - y) < 0.2


def test_brush_and_eraser_strokes(canvas):
    canvas.set_brush_size(5)
    drag(canvas, [(5.5, 5.5), (25.5, 5.5), (25.5, 25.5)])
    m = canvas.mask()
    assert m[4:8, 5:26].all() and m[5:26, 24:28].all()
    assert m[12:20, 5:20].sum() == 0
    assert set(np.unique(m)) == {0.0, 1.0}
    painted = m.copy()
    canvas.set_tool(Tool.ERASER)
    canvas.set_brush_size(3)
    drag(canvas, [(10.5, 5.5), (15.5, 5.5)])
    assert canvas.mask()[5, 10:16].sum() == 0
    assert canvas.mask()[5, 5:9].all()
    assert canvas.undo()
    np.testing.assert_array_equal(canvas.mask(), painted)
    assert canvas.undo()
    assert canvas.mask().sum() == 0
    assert canvas.redo() and canvas.redo()
    assert canvas.mask()[5, 10:16].sum() == 0


def test_single_click_dabs_and_shift_click_draws_a_line(canvas):
    canvas.set_brush_size(1)
    click(canvas, 3.5, 3.5)
    assert canvas.mask()[3, 3] == 1 and canvas.mask().sum() == 1
    click(canvas, 13.5, 3.5, modifiers=Qt.ShiftModifier)
    assert canvas.mask()[3, 3:14].all()


def test_rectangle_with_alt_subtracts(canvas):
    canvas.set_tool(Tool.RECT)
    drag(canvas, [(4, 4), (20, 12)])
    m = canvas.mask()
    assert m[4:12, 4:20].all() and m.sum() == 16 * 8
    drag(canvas, [(8, 6), (12, 10)], modifiers=Qt.AltModifier)
    assert canvas.mask()[6:10, 8:12].sum() == 0 and canvas.mask().sum() == 16 * 8 - 16


def test_lasso_freehand_and_polygon(canvas):
    canvas.set_tool(Tool.LASSO)
    drag(canvas, [(4, 4), (28, 4), (28, 28), (4, 28)])
    m = canvas.mask()
    assert m[6:26, 6:26].all() and m[0].sum() == 0 and m[30].sum() == 0
    canvas.clear_mask()
    assert canvas.mask().sum() == 0
    # click-click-click polygon, closed by a double-click
    click(canvas, 2, 2)
    click(canvas, 14, 2)
    click(canvas, 14, 14)
    assert canvas.in_gesture() and canvas.mask().sum() == 0
    double_click(canvas, 2, 14)
    m = canvas.mask()
    assert m[3:13, 3:13].all() and m[20:].sum() == 0
    assert canvas.history.undo_label() == "polygon"


def test_invert_clear_feather(canvas):
    canvas.set_tool(Tool.RECT)
    drag(canvas, [(8, 8), (24, 24)])
    canvas.invert_mask()
    assert canvas.mask()[0, 0] == 1 and canvas.mask()[16, 16] == 0
    canvas.undo()
    canvas.set_feather(2.0)
    eff = canvas.effective_mask()
    assert 0 < eff[16, 7] < 1 and eff[16, 8] == 1 and eff[16, 16] == 1 and eff[0, 0] == 0  # the band lies outside
    np.testing.assert_array_equal(np.unique(canvas.mask()), [0, 1]), "the painted mask stays hard"


def test_pan_with_right_drag_and_space_does_not_paint(canvas):
    r0 = canvas.vb.viewRect()
    drag(canvas, [(16, 16), (24, 20)], button=Qt.RightButton)
    r1 = canvas.vb.viewRect()
    assert r1.x() < r0.x() - 3 and canvas.mask().sum() == 0
    canvas.set_space_held(True)
    drag(canvas, [(16, 16), (8, 16)])
    canvas.set_space_held(False)
    assert canvas.vb.viewRect().x() > r1.x() + 3 and canvas.mask().sum() == 0


def test_wheel_zoom_and_fit(canvas):
    z0 = canvas.zoom()
    vp = canvas.viewport()
    pos = QPointF(canvas.image_to_viewport(16, 16))
    ev = QWheelEvent(pos, QPointF(vp.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 240), Qt.NoButton,
                     Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(vp, ev)
    assert canvas.zoom() > z0 * 1.2
    canvas.fit()
    assert abs(canvas.zoom() - z0) / z0 < 0.05
    canvas.set_zoom(1.0)
    assert abs(canvas.zoom() - 1.0) < 0.02


def test_brush_size_keys_and_lock(qtbot, canvas):
    canvas.set_brush_size(10)
    canvas.grow_brush(1.25)
    assert canvas.brush_size() > 10
    canvas.set_editable(False)
    drag(canvas, [(5, 5), (20, 20)])
    assert canvas.mask().sum() == 0, "a locked canvas pans instead of painting"


def test_escape_cancels_a_polygon(canvas):
    canvas.set_tool(Tool.LASSO)
    click(canvas, 2, 2)
    click(canvas, 14, 2)
    QTest.keyClick(canvas, Qt.Key_Escape)
    assert not canvas.in_gesture() and canvas.mask().sum() == 0


def test_pixel_info(canvas):
    info = canvas.pixel_info(3.2, 5.9)
    assert info["x"] == 3 and info["y"] == 5 and info["mask"] == 0
    assert canvas.pixel_info(-1, 3) is None


def test_transparent_pixels_show_over_a_checkerboard_on_screen_only(qtbot, win, tmp_path):
    """An RGBA file's transparent hole showed the colours hidden under it (seen on Xvfb): nothing said
    the hole was there. The screen shows a checkerboard there; the readout and the pixels keep the colour."""
    from PIL import Image

    from dpm_studio.gui.checks import DARK, LIGHT

    rgba = np.zeros((40, 48, 4), np.uint8)
    rgba[..., 0], rgba[..., 3] = 200, 255
    rgba[8:24, 8:24, 3] = 0      # a transparent hole
    rgba[30:34, 30:34, 3] = 128  # half transparent
    Image.fromarray(rgba).save(tmp_path / "hole.png")
    assert win.files.open_image(tmp_path / "hole.png")
    shown = win.canvas.image_item.image
    assert tuple(shown[9, 9]) == (LIGHT,) * 3 and tuple(shown[9, 17]) == (DARK,) * 3  # 8 px squares
    assert tuple(shown[2, 2]) == (200, 0, 0)
    assert abs(int(shown[31, 31, 0]) - round(200 * 128 / 255 + LIGHT * (1 - 128 / 255))) <= 1
    assert list(win.canvas.pixel_info(9, 9)["value"]) == [200, 0, 0]  # the readout: the file's colour
    assert float(win.session.doc.pixels[9, 9, 0]) == pytest.approx(200 / 255)


def test_the_picture_and_the_overlay_are_drawn_from_their_bytes_without_rescaling(qtbot, canvas):
    """uint8 pictures go to pyqtgraph without levels: with levels (0, 255) it rescaled every pixel to
    the same value (0.07 s CPU of opening a 12 MP photo, of each run frame; docs/speed.md). What is
    drawn is still the picture's bytes, and the mask overlay's colour and opacity."""
    rng = np.random.default_rng(3)
    img = rng.random((40, 56, 3)).astype(np.float32)
    canvas.set_image(img)
    item = canvas.image_item
    assert item.getLevels() is None
    item.render()
    q = item.qimage
    got = np.array([[q.pixelColor(x, y).getRgb()[:3] for x in range(56)] for y in range(40)], np.uint8)
    assert np.array_equal(got, canvas.base_u8())
    m = np.zeros((40, 56), np.float32)
    m[5:20, 10:30] = 1
    canvas.set_mask(m)
    over = canvas.overlay.item
    assert over.getLevels() is None
    over.render()
    c = over.qimage.pixelColor(12, 7)
    assert c.alpha() > 0 and over.qimage.pixelColor(0, 0).alpha() == 0
