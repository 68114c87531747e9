"""Test helpers: a test picture, driving the canvas with real mouse events, process counters."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest


def vp_point(canvas, x, y) -> QPoint:
    """The viewport position over image point (x, y) (pixel centres are at k + 0.5)."""
    return canvas.image_to_viewport(x, y)


def drag(canvas, points, button=Qt.LeftButton, modifiers=Qt.NoModifier, steps_between=4):
    """Press at the first image point, move through the others, release at the last."""
    vp = canvas.viewport()
    pts = [vp_point(canvas, x, y) for x, y in points]
    QTest.mousePress(vp, button, modifiers, pts[0])
    prev = pts[0]
    for p in pts[1:]:
        for k in range(1, steps_between + 1):
            QTest.mouseMove(vp, prev + (p - prev) * k / steps_between)
        prev = p
    QTest.mouseRelease(vp, button, modifiers, pts[-1])


def click(canvas, x, y, button=Qt.LeftButton, modifiers=Qt.NoModifier):
    vp = canvas.viewport()
    p = vp_point(canvas, x, y)
    QTest.mouseMove(vp, p)
    QTest.mousePress(vp, button, modifiers, p)
    QTest.mouseRelease(vp, button, modifiers, p)


def double_click(canvas, x, y):
    vp = canvas.viewport()
    p = vp_point(canvas, x, y)
    QTest.mouseDClick(vp, Qt.LeftButton, Qt.NoModifier, p)


def pixmap_grey_alpha(pm):
    """A QPixmap's grey level and opacity per pixel, floats in [0, 1] ((H, W) each)."""
    from PySide6.QtGui import QImage

    im = pm.toImage().convertToFormat(QImage.Format_RGBA8888)
    a = np.frombuffer(im.constBits(), np.uint8)[: im.height() * im.bytesPerLine()]
    a = a.reshape(im.height(), im.bytesPerLine())[:, : im.width() * 4].reshape(im.height(), im.width(), 4)
    a = a.astype(np.float64) / 255
    return a[..., :3] @ [0.299, 0.587, 0.114], a[..., 3]


def gradient_image(h=32, w=32, channels=3, seed=0) -> np.ndarray:
    """A smooth test picture with some texture, float32 (H, W, C) in [0, 1], exactly 8-bit values."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    base = np.stack([xx, yy, 0.5 + 0.3 * np.sin(6 * xx + 3 * yy)], axis=2)[:, :, :channels]
    img = np.clip(base + 0.05 * rng.standard_normal(base.shape), 0, 1)
    return (np.round(img * 255) / 255).astype(np.float32)


def noisy_picture_and_mask(folder, h, w, *, seed, noise, green, blue, edge):
    """``folder``/in.png, a noisy 8-bit colour ramp (``noise`` in 0-255 units, clipped), and
    ``folder``/mask.png, a box with one row of grey value ``edge`` above it: (src, mask, pixels, mask array).
    ``green`` and ``blue``: the spans of those channels' ramp and ripple."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w] / h
    base = np.stack([xx, 0.3 + green * yy, 0.5 + blue * np.sin(9 * xx + 4 * yy)], axis=2)
    px = (np.clip(base + noise / 255 * rng.standard_normal(base.shape), 0, 1) * 255 + 0.5).astype(np.uint8)
    m = np.zeros((h, w), np.uint8)
    m[10:20, 8:22] = 255
    m[9, 8:22] = edge
    src, mask = folder / "in.png", folder / "mask.png"
    Image.fromarray(px).save(src)
    Image.fromarray(m).save(mask)
    return src, mask, px, m


def image_with_box(win, shape, box, task=None):
    """Give the window a test picture of ``shape`` (h, w) and a mask filling ``box`` (y0, y1, x0, x1); with ``task``,
    choose it in the task panel. Returns the picture and the mask."""
    img = gradient_image(*shape)
    win.files.set_image(img)
    mask = np.zeros(shape, np.float32)
    y0, y1, x0, x1 = box
    mask[y0:y1, x0:x1] = 1
    win.canvas.set_mask(mask)
    if task is not None:
        win.task_panel.set_task(task)
    return img, mask


def image_with_mask(win, size=32, margin=8, task=None):
    """Give the window a size x size test picture and a square mask ``margin`` pixels in (:func:`image_with_box`)."""
    return image_with_box(win, (size, size), (margin, size - margin) * 2, task)


def proc_status(field: str) -> int:
    """A number from /proc/self/status (Linux): VmRSS in kB, Threads as a count."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def live_qthreads() -> int:
    """QThread objects alive in this process (after a garbage collection)."""
    import gc

    from PySide6.QtCore import QThread

    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is QThread)  # type(): no __class__ lookups


# -- a tiny untrained checkpoint ------------------------------------------------------------
SPEC = {"type": "unet", "kwargs": {"T": 50, "channels": 3, "base": 8, "channel_mults": [1, 2], "groups": 4}}


def make_checkpoint(folder, name="tiny-rgb", channels=3, T=50):
    from dpm_studio.core import GaussianDiffusion, Schedule
    from dpm_studio.core.files import checkpoint
    from dpm_studio.core.math.nets import build_net

    spec = {"type": "unet", "kwargs": dict(SPEC["kwargs"], T=T, channels=channels)}
    d = GaussianDiffusion(Schedule("code", T), "eps")
    net = build_net(spec)
    return checkpoint.save(folder / name, d, net, {
        "network": spec, "description": "tiny test model",
        "data": {"recipe": "test", "channels": channels, "scale": {"mean": 0.5, "std": 0.25},
                 "provenance": "untrained test model"}})
