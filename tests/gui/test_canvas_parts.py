"""The canvas's parts on their own: the mask tools (gui/mask_tools.py) driven in image
coordinates with no canvas, the mask overlay, the split compare and the run's crop layer."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt

from dpm_studio.core.run import masks
from dpm_studio.gui.model import maskops
from dpm_studio.gui.compare_view import SplitCompare
from dpm_studio.gui.mask_overlay import MaskOverlay
from dpm_studio.gui.mask_tools import MaskTools, Tool
from dpm_studio.gui.run_crop import RunCrop
from dpm_studio.gui.model.session import Session

SCALE = 10.0  # the tools' screen: 10 viewport pixels per image pixel


def P(x, y):
    return QPointF(x, y)


def S(x, y):
    return QPointF(x * SCALE, y * SCALE)


class Recorder:
    """What the session says while the tools work (its mask and history events)."""

    def __init__(self, session):
        self.live, self.done, self.history = [], 0, 0
        session.events.mask.connect(self.on_mask)
        session.events.history.connect(self.on_history)

    def on_mask(self, event):
        if event.live:
            self.live.append(event.box)
        else:
            self.done += 1

    def on_history(self, _event):
        self.history += 1


@pytest.fixture
def tools(qapp):
    session = Session()
    session.open(np.zeros((32, 32, 3), np.float32))
    t = MaskTools(session, lambda x, y: S(x, y))
    t.rec = Recorder(session)
    return t


def gesture(tools, points, mods=Qt.NoModifier):
    tools.press(P(*points[0]), S(*points[0]), mods)
    for x, y in points[1:]:
        tools.move(P(x, y), S(x, y))
    tools.release(P(*points[-1]), S(*points[-1]))


def test_a_brush_stroke_paints_live_and_lands_in_the_sessions_history(tools):
    tools.set_brush_size(3)
    gesture(tools, [(4.5, 4.5), (12.5, 4.5), (20.5, 4.5)])
    m = tools.session.mask
    assert m[4, 4:21].all() and m[10:].sum() == 0
    assert tools.rec.live and all(b is not None for b in tools.rec.live), "the overlay follows the stroke by boxes"
    assert tools.rec.done == 1 and tools.rec.history == 1
    assert tools.session.history.undo_label() == "brush stroke"
    tools.session.undo()
    assert tools.session.mask.sum() == 0


def test_eraser_ctrl_and_subtract_mode_take_pixels_out(tools):
    tools.session.mask[:] = 1
    tools.set_brush_size(1)
    tools.set_tool(Tool.ERASER)
    gesture(tools, [(2.5, 2.5)])
    tools.set_tool(Tool.BRUSH)
    gesture(tools, [(4.5, 2.5)], mods=Qt.ControlModifier)
    tools.set_subtract(True)
    gesture(tools, [(6.5, 2.5)])
    assert tools.session.mask.sum() == 32 * 32 - 3
    assert tools.session.history.undo_label() == "brush stroke"


def test_a_rectangle_needs_a_drag_and_a_lasso_click_starts_a_polygon(tools):
    tools.set_tool(Tool.RECT)
    gesture(tools, [(4, 4)])                      # a click: no rectangle
    assert tools.session.mask.sum() == 0 and not tools.session.history.can_undo()
    gesture(tools, [(4, 4), (10, 8)])
    assert tools.session.mask.sum() == 6 * 4 and tools.session.history.undo_label() == "rectangle"
    tools.set_tool(Tool.LASSO)
    gesture(tools, [(20, 20)])
    assert tools.polygon_open() and tools.in_gesture() and not tools.dragging()
    for x, y in ((28, 20), (28, 28)):
        tools.press(P(x, y), S(x, y), Qt.NoModifier)
    before = tools.session.mask.sum()
    tools.press(P(20.3, 20.2), S(20.3, 20.2), Qt.NoModifier)   # within 8 screen px of the first vertex
    assert not tools.polygon_open() and tools.session.mask.sum() > before
    assert tools.session.history.undo_label() == "polygon"


def test_keys_close_shorten_or_drop_a_polygon(tools):
    tools.set_tool(Tool.LASSO)
    gesture(tools, [(2, 2)])                      # a click opens the polygon
    for x, y in ((14, 2), (14, 14)):
        tools.press(P(x, y), S(x, y), Qt.NoModifier)
    assert tools.key(Qt.Key_Backspace)               # back to two vertices
    assert tools.key(Qt.Key_Return) and tools.session.mask.sum() == 0, "two vertices fill nothing"
    gesture(tools, [(2, 2)])
    assert tools.key(Qt.Key_Escape) and not tools.in_gesture()
    assert not tools.key(Qt.Key_Escape), "with no gesture the key is not the tools'"


def test_cancel_restores_the_mask_and_a_new_tool_cancels(tools):
    tools.set_brush_size(5)
    tools.press(P(8, 8), S(8, 8), Qt.NoModifier)
    tools.move(P(20, 8), S(20, 8))
    assert tools.session.mask.sum() > 0
    changed = []
    tools.toolChanged.connect(changed.append)
    tools.set_tool(Tool.RECT)
    assert changed == [Tool.RECT] and not tools.dragging()
    assert tools.session.mask.sum() == 0 and not tools.session.history.can_undo()


def test_the_tools_write_the_mask_only_through_the_session(tools, monkeypatch):
    """Every gesture paints with session.paint and lands with session.end_gesture (or is undone
    with session.restore_mask): with those three stubbed out the mask never changes."""
    calls = []
    for name in ("paint", "end_gesture", "restore_mask"):
        monkeypatch.setattr(tools.session, name, lambda *a, _n=name: calls.append(_n))
    tools.set_brush_size(4)
    gesture(tools, [(3, 3), (9, 3)])
    tools.set_tool(Tool.RECT)
    gesture(tools, [(4, 4), (12, 12)])
    tools.set_tool(Tool.LASSO)
    gesture(tools, [(2, 2), (20, 2), (20, 20)])
    tools.press(P(5, 5), S(5, 5), Qt.NoModifier)
    tools.cancel()
    assert tools.session.mask.sum() == 0
    assert calls == ["paint", "paint", "paint", "end_gesture", "paint", "end_gesture", "paint", "end_gesture",
                     "restore_mask"]


def test_brush_size_is_clamped_and_said_once(tools):
    sizes = []
    tools.brushSizeChanged.connect(sizes.append)
    tools.set_brush_size(1000)
    tools.set_brush_size(1000)
    tools.set_brush_size(0)
    tools.grow_brush(1.25)
    assert sizes == [500.0, 1.0, 2.0]


def test_the_ring_shows_for_the_brush_over_a_mask_only(tools):
    tools.set_brush_size(8)
    tools.place_ring(P(10, 10))
    assert tools.ring.isVisible() and tools.ring.rect().width() == 8
    tools.place_ring(P(10, 10), show=False)
    assert not tools.ring.isVisible()
    tools.set_tool(Tool.RECT)
    tools.place_ring(P(10, 10))
    assert not tools.ring.isVisible()
    tools.set_tool(Tool.BRUSH)
    tools.session.close()
    tools.place_ring(P(10, 10))
    assert not tools.ring.isVisible() and not tools.paints()


def test_the_overlay_feathers_as_a_run_does_and_redraws_a_stroke_by_its_box(qapp):
    session = Session()
    session.open(np.zeros((24, 24, 3), np.float32))
    m = np.zeros((24, 24), np.float32)
    m[8:16, 8:16] = 1
    session.set_mask(m)   # the session writes the mask; the overlay reads it
    ov = MaskOverlay(session)
    ov.set_opacity(1.0)
    ov.set_feather(3.0)
    np.testing.assert_array_equal(ov.effective(), masks.feather(session.mask, 3.0))
    ov.refresh()
    assert 0 < ov.value_at(12, 6) < 1
    before = ov.item.image[:, :, 3].copy()
    session.paint(maskops.paint_rect, (0, 0), (2, 2), 1.0)
    session.paint(maskops.paint_rect, (20, 20), (22, 22), 1.0)
    ov.changed(live=True, box=(0, 0, 2, 2))
    alpha = ov.item.image[:, :, 3]
    assert (alpha[0:2, 0:2] == 255).all(), "the stroke's box is drawn hard"
    np.testing.assert_array_equal(alpha[20:22, 20:22], before[20:22, 20:22])   # outside the box: untouched
    ov.changed()
    assert (ov.item.image[20:22, 20:22, 3] > 0).all()
    ov.set_opacity(0.5)
    assert ov.item.image[12, 12, 3] == 128
    ov.set_visible(False)
    assert not ov.item.isVisible() and not ov.visible()


def test_the_split_shows_the_original_left_of_the_divider(qapp):
    vb = pg.ViewBox()
    cmp = SplitCompare(vb)
    before = np.full((10, 20, 3), 7, np.uint8)
    after = np.full((10, 20, 3), 200, np.uint8)
    cmp.set_original(before)
    cmp.follow(after, False)
    cmp.set_on(True)
    assert cmp.line.isVisible() and cmp.line.value() == 10
    assert cmp.item.isVisible() and cmp.item.image.shape[:2] == (10, 10) and (cmp.item.image == 7).all()
    cmp.line.setValue(4)
    assert cmp.item.image.shape[:2] == (10, 4)
    cmp.follow(after, True)     # the original shown whole: no divider
    assert not cmp.line.isVisible() and not cmp.item.isVisible()
    cmp.follow(np.zeros((5, 5, 3), np.uint8), False)   # a picture of another size: nothing to split
    assert not cmp.line.isVisible()


def test_the_crop_layer_pastes_finished_pieces_and_the_current_crop(qapp):
    vb = pg.ViewBox()
    crop = RunCrop(vb)
    base = np.zeros((8, 8, 1), np.uint8)
    piece = np.full((4, 4, 1), 50, np.uint8)
    under = crop.under(base, [])
    assert under is base
    under = crop.under(base, [((0, 0, 4, 4), piece)])
    assert under[:4, :4].min() == 50 and under[4:].max() == 0 and base.max() == 0
    crop.show(np.full((4, 4, 1), 90, np.uint8), (4, 4, 8, 8))
    shown = crop.over(under)
    assert shown[4:, 4:].min() == 90 and shown[:4, :4].min() == 50
    crop.set_visible(False)
    assert not crop.item.isVisible()
    crop.hide()
    assert crop.over(under) is under and crop.under(base, []) is base


def test_an_empty_mask_builds_no_overlay_layer_and_a_stroke_after_one_shows_no_old_mask(qapp):
    """Every image opens with an empty mask: no layer is built for it (a transparent 12 MP layer
    was 0.2-0.4 s of File > Open, docs/speed.md); the next stroke draws the layer whole, without
    what a cleared mask held."""
    session = Session()
    session.open(np.zeros((24, 24, 3), np.float32))
    ov = MaskOverlay(session)
    ov.set_opacity(1.0)
    ov.refresh()
    assert ov.item.image is None
    m = np.zeros((24, 24), np.float32)
    m[2:6, 2:6] = 1
    session.set_mask(m)
    ov.refresh()
    assert ov.item.image[3, 3, 3] == 255
    session.set_mask(np.zeros((24, 24), np.float32))
    ov.refresh()
    assert ov.item.image is None
    session.paint(maskops.paint_rect, (20, 20), (22, 22), 1.0)
    ov.changed(live=True, box=(20, 20, 22, 22))
    alpha = ov.item.image[:, :, 3]
    assert (alpha[20:22, 20:22] == 255).all() and alpha[3, 3] == 0
