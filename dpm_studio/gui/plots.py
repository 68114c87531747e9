"""The plots dock: the loaded model's schedule and reverse variance, and a live trace of a run.

Right of those: the opened image's noise curve (gui/noise_view.py).
Left: the forward schedule b_t and the model's reverse variance per step (the mean
over pixels of Sigma_t = Var p(x_{t-1} | x_t), evaluated once per checkpoint on a small
random input), both on a log scale against t, with a marker at the current t during a
run. Right: the RMS change of the image per step (how much each step moves x), with the
current step marked. A run with sequential Monte Carlo adds the effective sample size of the
particles at each record (how far their weights spread) on the trace's right axis, for such a run only.
"""

from __future__ import annotations

import html
import weakref

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (
    QDockWidget, QGridLayout, QHBoxLayout, QScrollArea, QTabWidget, QVBoxLayout, QWidget,
)

from .noise_view import NoisePlot
from .theme import text_ink

__all__ = ["PlotsDock", "schedule_curves", "layout_for", "PLOTS_MIN_WIDTH", "ROW", "COLUMN", "TABS"]

PLOTS_MIN_WIDTH = 700   # px: the three plots with their titles and axis labels whole, side by side
WRAPPED_MIN_WIDTH = 340   # px: the schedule and the trace side by side (a tab; the noise curve in the other)
PLOT_MIN_WIDTH = 110      # px: one plot, its title and axis labels whole
PLOT_MIN_HEIGHT = 140
COLUMN_MIN_HEIGHT = 3 * PLOT_MIN_HEIGHT + 12   # px: the three one above the other (the grid's spacing)
ROW, COLUMN, TABS = "row", "column", "tabs"


def layout_for(width: int, height: int) -> str:
    """How the plots are laid out in a dock of ``width`` x ``height`` px (its scroll area): side by side where they
    fit across, else one above the other where they fit down, else in two tabs."""
    if width >= PLOTS_MIN_WIDTH + 8:
        return ROW
    return COLUMN if height >= COLUMN_MIN_HEIGHT + 8 else TABS


def nice_top(v: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above ``v`` (> 0): an axis that ends on a round number."""
    k = np.floor(np.log10(v))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * 10.0 ** k >= v * (1 - 1e-9):
            return float(m * 10.0 ** k)
    return float(10.0 ** (k + 1))


_CURVES = weakref.WeakKeyDictionary()   # a loaded network -> (its diffusion (weak), the arguments, its curves)


def schedule_curves(loaded, n_points: int = 64, size: int = 16, seed: int = 0) -> dict:
    """b_t for t = 1..T and the model's mean reverse variance at up to ``n_points`` steps.

    The reverse variance comes from one batched call ``diffusion.p_dist(net, x, t)`` on a
    random (size x size) input x ~ pi (binomial: the Bernoulli variance p(1 - p)). Kept per loaded network (the
    checkpoint cache's): each task switch selects its model again, and ran it on the GUI thread (0.5-2.5 s).
    """
    d, net = loaded.diffusion, loaded.net
    kept = _CURVES.get(net)
    if kept is not None and kept[0]() is d and kept[1] == (n_points, size, seed):
        return kept[2]
    import torch  # with the model, not with the window: the app shows its window before torch is loaded

    with torch.no_grad():
        betas = d.betas().detach().double().cpu().numpy()
        T = int(d.T)
        ts = np.unique(np.round(np.linspace(1, T, min(n_points, T))).astype(int))
        device = next((p.device for p in net.parameters()), torch.device("cpu"))
        channels = int(loaded.card.get("data", {}).get("channels", 1))
        g = torch.Generator(device="cpu").manual_seed(seed)
        x = d.prior_sample((len(ts), channels, size, size), g, "cpu", torch.float32).to(device)
        t = torch.as_tensor(ts, dtype=torch.float64, device=device)
        try:
            dist, _ = d.p_dist(net, x, t)
            if hasattr(dist, "var"):
                var = dist.var.double().mean(dim=(1, 2, 3)).cpu().numpy()
            else:
                p = dist.prob.double()
                var = (p * (1 - p)).mean(dim=(1, 2, 3)).cpu().numpy()
        except Exception:  # a model that cannot take this input: show the schedule alone
            var = np.full(len(ts), np.nan)
    _CURVES[net] = (weakref.ref(d), (n_points, size, seed), {"t": np.arange(1, T + 1), "beta": betas, "t_var": ts.astype(float),
                                                 "var": var, "family": d.family})
    return _CURVES[net][2]


def _fmt(v: float) -> str:
    return f"{v:g}" if 1e-3 <= v < 1e4 else f"{v:.0e}".replace("e-0", "e-")


def log_ticks(lo: float, hi: float) -> list:
    """Ticks for an axis holding log10 values: decades, plus 2 and 5 when the range is short."""
    d0, d1 = int(np.floor(lo)), int(np.ceil(hi))
    major, minor = [], []
    for d in range(d0, d1 + 1):
        if lo - 1e-9 <= d <= hi + 1e-9:
            major.append((float(d), _fmt(10.0 ** d)))
        if d1 - d0 <= 2:
            for m in (2, 5):
                v = d + np.log10(m)
                if lo <= v <= hi:
                    minor.append((float(v), _fmt(m * 10.0 ** d)))
    if len(major) < 2:
        major, minor = major + minor, []
    return [major, minor]


class PlotsDock(QDockWidget):
    def __init__(self, parent=None):
        super().__init__("Schedule && trajectory", parent)
        self.setObjectName("plots-dock")
        self.setAllowedAreas(Qt.BottomDockWidgetArea | Qt.TopDockWidgetArea | Qt.RightDockWidgetArea)
        # Three views (the schedule, the run's trace, the image's noise curve), laid out to the dock's room
        # (arrange()): side by side in a wide dock, one above the other in a tall one (beside the Controls on
        # a short screen: gui/compact.py), and in two tabs in a dock both narrow and short. The noise curve
        # wrapped under the other two at 760 x 600 and 889 x 650, off the dock's bottom: one had to scroll to it.
        self.sched_view, self.trace_view = pg.GraphicsLayoutWidget(), pg.GraphicsLayoutWidget()
        self.noise_glw = pg.GraphicsLayoutWidget()
        for v in (self.sched_view, self.trace_view, self.noise_glw):
            v.setBackground(None)
            v.setMinimumSize(PLOT_MIN_WIDTH, PLOT_MIN_HEIGHT)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(2, 2, 2, 2)
        self.flat = QWidget()
        self.grid = QGridLayout(self.flat)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.pair_page, self.noise_page = QWidget(), QWidget()
        self.pair = QHBoxLayout(self.pair_page)
        self.noise_box = QVBoxLayout(self.noise_page)
        for box in (self.pair, self.noise_box):
            box.setContentsMargins(0, 2, 0, 0)
        self.tabs.addTab(self.pair_page, "Schedule && run")
        self.tabs.addTab(self.noise_page, "Noise curve")
        self.tabs.setTabToolTip(0, "The model's schedule and the run's trace")
        self.tabs.setTabToolTip(1, "The image's noise std against intensity (what a denoising run uses)")
        lay.addWidget(self.flat)
        lay.addWidget(self.tabs)
        self.body = body
        # a body larger than the dock (one dragged smaller than its plots need) scrolls
        self.scroll = scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.installEventFilter(self)
        self.setWidget(scroll)
        self.mode = None

        self.sched = self.sched_view.addPlot(row=0, col=0)
        self.sched.setTitle("schedule (log scale)", size="9pt")   # a left-axis label overlapped its ticks
        self.sched.setLabel("bottom", "t")
        self.sched.showGrid(x=True, y=True, alpha=0.2)
        self.sched.setMouseEnabled(x=False, y=False)
        self.sched.hideButtons()
        self.var_curve = self.sched.plot([], [], pen=pg.mkPen((220, 90, 60), width=2.5),
                                         name="\u03a3\u209c model reverse variance")
        self.beta_curve = self.sched.plot([], [], pen=pg.mkPen((52, 120, 200), width=2, style=Qt.DashLine),
                                          name="b\u209c forward")
        self.t_line = pg.InfiniteLine(angle=90, pen=pg.mkPen((120, 120, 120), width=1, style=Qt.DashLine))
        self.t_line.setVisible(False)
        self.sched.addItem(self.t_line, ignoreBounds=True)

        self.trace = self.trace_view.addPlot(row=0, col=0)
        self.trace.setTitle("RMS change of x", size="9pt")
        self.trace.setLabel("bottom", "network evaluation")
        self.trace.setToolTip("The RMS change of the image x (on the 0-255 scale) at each network evaluation (resampling jumps "
                              "revisit steps); the red line is the current one")
        self.trace.showGrid(x=True, y=True, alpha=0.2)
        self.trace.setMouseEnabled(x=False, y=False)
        self.trace.hideButtons()
        self.trace_curve = self.trace.plot([], [], pen=pg.mkPen((60, 160, 90), width=2))
        self.step_line = pg.InfiniteLine(angle=90, pen=pg.mkPen((200, 60, 60), width=1))
        self.step_line.setVisible(False)
        self.trace.addItem(self.step_line, ignoreBounds=True)
        # Sequential Monte Carlo: the effective sample size per record, on the trace's right axis (same
        # evaluations along x) in a view of its own, shown only while a run carries it (frames.Frame.ess).
        # A third plot beside the trace did not fit the dock's width at 1100 px: the layout overflowed.
        self.ess_view = pg.ViewBox(enableMouse=False)
        self.trace.scene().addItem(self.ess_view)
        self.trace.getAxis("right").linkToView(self.ess_view)
        self.ess_view.setXLink(self.trace)
        self.ess_curve = pg.PlotCurveItem(pen=pg.mkPen((150, 80, 190), width=2))
        self.ess_view.addItem(self.ess_curve)
        self.trace.vb.sigResized.connect(self._sync_ess_view)
        self._clear_ess()
        # The image's noise curve (gui/noise_view.py), in a view of its own: a run's trace repaints
        # up to 8 times a second and must not repaint the curve's histogram with it.
        self.noise = NoisePlot(self.noise_glw.addPlot(row=0, col=0))
        self.arrange(ROW)
        # Before any run the trace has nothing to measure: no numbers on its axes (0 to 1 in steps of 0.2 read as
        # data), a note instead.
        self.no_run = pg.TextItem("no run yet", anchor=(0.5, 0.5))
        self.no_run.setPos(0.5, 0.5)
        self.trace.addItem(self.no_run, ignoreBounds=True)
        self.trace.getAxis("right").setTextPen(pg.mkColor(150, 80, 190))
        self.follow_palette()
        for p in (self.sched, self.trace, self.noise.plot):
            p.getAxis("left").setWidth(46)
        self._T = None
        self.curves = None
        self._pending = None
        self._ytop = 0.0
        self.trace.enableAutoRange(y=False)
        self._show_empty(True)
        # Plots are the most expensive thing to repaint: a run updates them at most 8 times a second.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(125)
        self._timer.timeout.connect(self._apply)

    # -- model ----------------------------------------------------------------------------------------
    def set_model(self, loaded, why: str = "no model"):
        """Plot b_t and the reverse variance of a loaded checkpoint (None clears, the title saying ``why``)."""
        if loaded is None:
            self.beta_curve.setData([], [])
            self.var_curve.setData([], [])
            self.curves = None
            self.sched.setTitle(f"schedule ({why})", size="9pt")
            return
        c = schedule_curves(loaded)
        self.curves = c
        self._T = int(c["t"][-1])
        # log10 on a linear axis with our own ticks: pyqtgraph's log axis piles its labels up
        beta = np.log10(np.clip(c["beta"], 1e-12, None))
        self.beta_curve.setData(c["t"], beta)
        var = c["var"]
        ok = np.isfinite(var) & (var > 0)
        lv = np.log10(var[ok])
        self.var_curve.setData(c["t_var"][ok], lv)
        lo = float(min(beta.min(), lv.min() if lv.size else beta.min()))
        hi = float(max(beta.max(), lv.max() if lv.size else beta.max()))
        self.sched.getAxis("left").setTicks(log_ticks(lo, hi))
        self.sched.setYRange(lo, hi, padding=0.05)
        name = html.escape(str(loaded.card.get("name", "")))
        # the title doubles as the legend (a legend box would cover the curves)
        # the model's name is in the tooltip: in the title it widened the plot past the dock (TITLE_ROOM)
        self.sched.setTitle("<span style='color:#3478c8'>b<sub>t</sub> - -</span> &nbsp;"
                            "<span style='color:#dc5a3c'>\u03a3<sub>t</sub> \u2014</span> &nbsp;log scale", size="9pt")
        self.sched.setToolTip(f"{name}, T = {self._T}: the forward schedule b_t (dashed) and the mean reverse "
                              "variance \u03a3_t of the model (solid) at each t (on a random input), log scale")
        self.sched.setXRange(0, self._T, padding=0.02)

    # -- run -------------------------------------------------------------------------------------------
    def start_run(self, total: int):
        self._timer.stop()
        self._pending = None
        self._ytop = 0.0
        self.trace_curve.setData([], [])
        self._clear_ess()
        self._show_empty(False)
        # one evaluation: its point in the middle (at the right edge, under the step line, it was a lone dot)
        self.trace.setXRange(*((0.5, 1.5) if total <= 1 else (0, total)), padding=0.02)
        self.trace_curve.setSymbol("o" if total <= 1 else None)
        # Evaluations are counted: whole numbers only (a 4-tile denoise had ticks at 0.5, 1.5, ...)
        self.trace.getAxis("bottom").setTicks([[(i, str(i)) for i in range(total + 1)], []] if total <= 10 else None)
        self.step_line.setVisible(True)
        self.step_line.setValue(0)
        self.t_line.setVisible(self._T is not None)

    def update_run(self, frame, now: bool = False):
        """A frame (see runner.Frame): update the trace and both markers (coalesced, <= 8/s)."""
        self._pending = frame
        if now or frame.done:
            self._timer.stop()
            self._apply()
        elif not self._timer.isActive():
            self._timer.start()

    def _apply(self):
        frame, self._pending = self._pending, None
        if frame is None:
            return
        rms = np.asarray(frame.rms, dtype=float)
        steps = np.arange(1, len(rms) + 1)
        ok = np.isfinite(rms)
        self.trace_curve.setData(steps[ok], rms[ok])
        top = float(rms[ok].max()) if ok.any() else 0.0
        if top > self._ytop or top < 0.4 * self._ytop:  # rescale rarely: axis relayouts are costly
            # on the 0-255 scale of the picture's values (as the noise curve): one frame of 4e-5 showed "5e-05"
            top255 = nice_top(max(top * 1.15, 1e-6) * 255)
            self._ytop = top255 / 255
            # room past both ends for the end labels: with a grid pyqtgraph drops a label that sticks out of the plot,
            # and a 60 px high trace (760 x 600) read "12.5" alone
            self.trace.setYRange(-0.12 * self._ytop, 1.12 * self._ytop, padding=0)
            self.trace.getAxis("left").setTicks([[(k * self._ytop / 2, f"{k * top255 / 2:.3g}") for k in range(3)], []])
        self.step_line.setValue(frame.index + 1)
        if self._T is not None:
            self.t_line.setValue(frame.t)
        self._show_ess(getattr(frame, "ess", None))

    def _show_ess(self, ess):
        if ess is None:
            return
        ess = np.asarray(ess, dtype=float)
        ok = np.isfinite(ess)
        if not ok.any():
            return
        if not self.ess_view.isVisible():
            self.trace.setLabel("right", "effective sample size")   # shows the axis
            self.ess_view.setVisible(True)
        self.ess_curve.setData(np.arange(1, len(ess) + 1)[ok], ess[ok])
        self.ess_view.setYRange(0, max(1.0, float(ess[ok].max())), padding=0.05)

    def _clear_ess(self):
        self.ess_curve.setData([], [])
        self.ess_view.setVisible(False)
        self.trace.hideAxis("right")

    def _sync_ess_view(self):
        self.ess_view.setGeometry(self.trace.vb.sceneBoundingRect())
        self.ess_view.linkedViewChanged(self.trace.vb, self.ess_view.XAxis)

    def ess_data(self) -> tuple[np.ndarray, np.ndarray]:
        """(record number, effective sample size) of the curve shown; empty when none."""
        x, y = self.ess_curve.getData()
        return (np.asarray([] if x is None else x, float), np.asarray([] if y is None else y, float))

    def set_cursor(self, index: int, t: float):
        """Mark a step picked on the timeline."""
        self.step_line.setVisible(True)
        self.step_line.setValue(index + 1)
        if self._T is not None:
            self.t_line.setVisible(True)
            self.t_line.setValue(t)

    def hide_cursor(self):
        """No step is on show (editing again): the trace stays, its step marks go."""
        self.step_line.setVisible(False)
        self.t_line.setVisible(False)

    def clear_run(self):
        """Forget the last run (another image was opened)."""
        self._timer.stop()
        self._pending = None
        self.trace_curve.setData([], [])
        self._clear_ess()
        self.step_line.setVisible(False)
        self.t_line.setVisible(False)
        self._ytop = 0.0
        self.trace.setXRange(0, 1, padding=0.02)   # no axes left over from the last image's run
        self.trace.setYRange(0, 1, padding=0.02)
        self._show_empty(True)

    def _show_empty(self, empty: bool):
        """No run on this image yet: the trace's axes without numbers, and the note that says why."""
        self.no_run.setVisible(empty)
        for ax in ("left", "bottom"):
            self.trace.getAxis(ax).setStyle(showValues=not empty)
        if empty:
            self.trace.getAxis("left").setTicks(None)
            self.trace_curve.setSymbol(None)

    def eventFilter(self, obj, event):
        if obj is self.scroll and event.type() == QEvent.Resize:
            self.arrange(layout_for(event.size().width(), event.size().height()))
        return False

    def arrange(self, mode: str):
        """Lay the three plots out: ``ROW`` side by side, ``COLUMN`` one above the other, ``TABS`` the
        schedule and the trace side by side in one tab, the noise curve in the other."""
        if mode == self.mode:
            return
        self.mode = mode
        views = (self.sched_view, self.trace_view, self.noise_glw)
        for i in range(3):
            self.grid.setRowStretch(i, 0)
            self.grid.setColumnStretch(i, 0)
        if mode == TABS:
            self.pair.addWidget(self.sched_view, 1)
            self.pair.addWidget(self.trace_view, 1)
            self.noise_box.addWidget(self.noise_glw, 1)
            self.body.setMinimumSize(WRAPPED_MIN_WIDTH, PLOT_MIN_HEIGHT + self.tabs.tabBar().sizeHint().height())
        else:
            for i, v in enumerate(views):
                self.grid.removeWidget(v)
                self.grid.addWidget(v, *((0, i) if mode == ROW else (i, 0)))
                (self.grid.setColumnStretch if mode == ROW else self.grid.setRowStretch)(i, 1)
            self.body.setMinimumSize(*((PLOTS_MIN_WIDTH, PLOT_MIN_HEIGHT) if mode == ROW else
                                       (PLOT_MIN_WIDTH, COLUMN_MIN_HEIGHT)))
        self.flat.setVisible(mode != TABS)
        self.tabs.setVisible(mode == TABS)
        # "network evaluation" was cut off under a plot a third of a 400 px dock wide; the tooltip says whose
        self.trace.setLabel("bottom", "network evaluation" if mode != TABS else "evaluation")

    def plot_views(self) -> tuple:
        """(plot item, the view that draws it) for the schedule, the trace and the noise curve."""
        return (self.sched, self.sched_view), (self.trace, self.trace_view), (self.noise.plot, self.noise_glw)

    def reveal(self, view):
        """In tabs, bring the tab that holds ``view`` (one of :meth:`plot_views`) to the front."""
        if self.mode == TABS:
            self.tabs.setCurrentIndex(int(view is self.noise_glw))

    def show_for_task(self, task: str):
        """In tabs, the tab the task uses most: the noise curve for a denoising run, else the schedule and trace."""
        self.tabs.setCurrentIndex(1 if task == "denoise" else 0)

    def run_is_empty(self) -> bool:
        x, _ = self.trace_curve.getData()
        return x is None or len(x) == 0

    def end_run(self):
        self._timer.stop()
        self._apply()
        self.t_line.setVisible(False)

    def follow_palette(self):
        """The axes' text in the palette's ink: (90, 90, 90) under a light palette, light grey under a dark
        one (gui/theme.py); again when the palette changes (a desktop theme switched). The titles too: pyqtgraph's
        grey (150, 150, 150) was 2.6:1 on the light window; all of it reads at 4.5:1 now (theme.text_ink)."""
        fg = text_ink(0.62)
        self.no_run.setColor(fg)
        for p in (self.sched, self.trace, self.noise.plot):
            for ax in ("left", "bottom"):
                p.getAxis(ax).setTextPen(fg)
            p.titleLabel.setText(p.titleLabel.text, color=fg)   # kept by the later setTitle calls
