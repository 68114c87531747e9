"""The window's settings: read back at start, each with its type and range, and written at close.

Every setting is read with :class:`~.safe_settings.Checked`: a bad value gives its default, and
the keys so reset make one status-bar line with the read-only note.
"""

from __future__ import annotations

from ..core.run.requests import InpaintRequest
from ..imageio import DEFAULT_QUALITY, QUALITY
from ..core.run.settings import spec_of
from .safe_settings import Checked
from .model.taskmodels import TASKS
from .run_settings import TASK_NAMES

__all__ = ["restore", "save"]


#: The first window's size (no saved geometry), where the screen has room for it.
FIRST_SIZE = (1320, 860)


def first_size(window) -> tuple[int, int]:
    """FIRST_SIZE, made to fit the screen's free area: 1320 x 860 on a 1366 x 768 laptop (or a 1600 x
    1000 screen at 150 % scale, 1067 x 667 logical px) put the status bar and the bottom of the
    Controls below the screen's edge (seen under Xvfb with QT_SCALE_FACTOR)."""
    w, h = FIRST_SIZE
    screen = window.screen()
    if screen is not None:
        avail = screen.availableGeometry()
        # the frame and title bar lie outside the size set here (about 25 px on openbox)
        w, h = min(w, int(avail.width() * 0.96)), min(h, int(avail.height() * 0.92))
    return w, h


def restore(window) -> str:
    """Every setting read with its type and range (gui/safe_settings.Checked): a bad value gives
    its default, and the keys so reset make one status-bar line with the read-only note."""
    c, tp = Checked(window.settings), window.task_panel
    geo = c.blob("window/geometry")
    if geo is None or not window.restoreGeometry(geo):
        if geo is not None:
            c.reset.append("window/geometry")
        window.resize(*first_size(window))
    st = c.blob("window/state")
    if st is None or not window.restoreState(st):
        # Closed until asked for (View › Plots, P): at 1280 x 700 it took a third of the height
        # that restoring needs for the picture. Open or closed, it is remembered with the window.
        window.plots.hide()
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
    tp.expect_device(c.text("run/device", "cpu"))   # until the devices are known (the app's start-up)
    combo(tp.device, "run/device", "cpu")
    tp.set_task(c.text("run/task", "inpaint", list(TASK_NAMES)))
    tp.more_settings.restore(c)
    window.mask_panel.soft.setChecked(c.flag("mask/soft", window.mask_panel.soft.isChecked()))
    spin(window.mask_panel.brush.spin, "mask/brush", 24)
    window.canvas.set_brush_size(window.mask_panel.brush.value())
    window.canvas.set_feather(window.mask_panel.feather.value())
    window.checkpoints.extra_cards = c.texts("checkpoints/extra")
    # each task's model (none: its default); an earlier version's one model for all: session.models.restore
    window.session.models.restore({t: c.text(f"models/{t}", "") for t in TASKS}, legacy=c.text("run/checkpoint", ""))
    c.text("paths/last_folder")  # read when used; checked now so that a bad one is said at start
    c.texts("paths/recent")
    c.number("save/quality", DEFAULT_QUALITY, *QUALITY)
    for key in dict.fromkeys(c.reset):  # not read again next time
        window.settings.remove(key)
    return "; ".join(n for n in (window.settings_note, c.note()) if n)

def save(window):
    s, tp = window.settings, window.task_panel
    s.setValue("window/geometry", window.saveGeometry())
    s.setValue("window/state", window.saveState())
    st = tp.settings()
    chosen = window.session.models.choices()   # only the user's choices: a task left to its default follows it
    for t in TASKS:
        if t in chosen:
            s.setValue(f"models/{t}", chosen[t])
        else:
            s.remove(f"models/{t}")
    s.remove("run/checkpoint")   # read once, by the version that replaced it with models/<task>
    s.setValue("run/steps", int(tp.steps.value()))
    s.setValue("run/steps_all", tp.steps_all.isChecked())
    s.setValue("run/seed", int(tp.seed.value()))   # the boxes, not the run's (a one-step denoise runs neither)
    s.setValue("run/samples", int(tp.samples.value()))
    s.setValue("run/mode", st.mode)
    s.setValue("run/start", st.start)
    s.setValue("run/variance", tp.variance.currentData())
    s.setValue("run/device", st.device)
    s.setValue("run/task", st.task)
    s.setValue("mask/brush", int(window.canvas.brush_size()))
    s.setValue("mask/soft", window.mask_panel.soft.isChecked())
    tp.more_settings.save(s)
    s.setValue("checkpoints/extra", window.checkpoints.extra_cards)
    s.sync()
