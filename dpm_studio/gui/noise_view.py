"""The app's view of the image's noise: the fitted noise curve and the controls over it.

:func:`noise_curves` (Qt-free) turns a fit (core/run/noise_level.py) into what the plots dock
draws: the noise std against intensity per channel (sqrt(a x + b), times the strength),
the std measured in each intensity bin with the number of smooth blocks behind it (the
histogram the fit was made on), and the constant-sigma line for comparison.
:class:`NoiseControls` chooses the model a denoising run uses (the fitted curve, or one
constant sigma) and its strength; :class:`NoisePlot` draws the curves in a plot item.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QDoubleSpinBox

from .panels import declared, declared_choice
from .theme import ink
from ..core.run.noise import NO_NOISE
from ..core.run.noise_law import NOISES
from ..core.run.requests import DenoiseRequest
from ..core.run.settings import default_of

__all__ = ["NOISE_CHOICES", "NoiseControls", "NoisePlot", "noise_curves", "noise_title", "run_noise_choice"]

#: The Noise box's words for each noise model; the plot's title starts with the one chosen (the two agree: the
#: title said "noise: σ = 6.0 (flat)" while the box said "Curve", on a photo with constant noise).
NOISE_CHOICES = {"auto": "Curve", "constant": "Constant", "poisson-gaussian": "Typed a, b"}

CHANNEL_COLOURS = {3: [(210, 60, 60), (60, 160, 80), (60, 100, 210)]}   # a grey image's: the axes' ink


def noise_curves(fit, sigma: float | None, scale: float = 1.0, n: int = 65, typed: tuple | None = None) -> dict:
    """What the noise plot shows, in 0-255 units: ``x`` (intensity), ``curves`` (one std curve
    per channel, times ``scale``), ``points`` (per channel: bin levels, measured stds, block
    counts), ``constant`` (the one-sigma line, times ``scale``; None without an estimate)
    and ``kind`` ("constant", "poisson-gaussian", or None without a fit); ``typed``: the law (a, b) typed by
    hand ("Typed a, b"), drawn as ``typed`` (its std curve, times ``scale``) beside the fit."""
    x = np.linspace(0.0, 1.0, n)
    out = {"x": x * 255, "curves": [], "points": [], "kind": None,
           "constant": None if not sigma else float(sigma) * 255 * scale,
           "typed": None if typed is None else np.sqrt(np.maximum(float(typed[0]) * x + float(typed[1]), 0.0))
           * 255 * scale}
    if fit is None:
        return out
    out["kind"] = fit.kind
    for c in fit.channels or (fit,):
        out["curves"].append(np.sqrt(np.maximum(c.a * x + c.b, 0.0)) * 255 * scale)
        out["points"].append((np.asarray(c.levels, float) * 255, np.asarray(c.stds, float) * 255,
                              np.asarray(c.counts, float)))
    return out


def noise_title(curves: dict, model: str) -> tuple[str, str, bool]:
    """(title, tooltip, constant) of the noise plot: what the next run will use, by the rule of
    core/run/noise_law.resolve_noise. ``model`` "auto" (Curve) runs the fitted var = a x + b only
    where the fit found a slope ("poisson-gaussian"); a flat fit, or none, runs one constant std
    (the estimate), as the Constant model does. ``constant``: the dashed line is the law that runs
    (drawn bold, the fitted curves thin). The title said "constant" over bold sloped curves: the
    fit's kind, not what was drawn nor what would run. It starts with the model's name in the Noise box
    (NOISE_CHOICES), so "Curve" in the box is "Curve (flat): σ = 6.0" over a flat fit."""
    s = curves.get("constant")
    std = (f"{s:.1f}" if s < 100 else f"{s:.0f}") if s else "estimated"  # short: the title fits a 888 px window
    legend = "dots are measured stds, grey bars how many smooth blocks each bin had"
    chosen = NOISE_CHOICES.get(model, model)
    if model == "poisson-gaussian":
        return (f"{chosen}: var = a x + b",
                f"The run uses the law typed under More settings, var = a x + b (the bold black curve); {legend}; "
                "the thin curves are the fit on the image, the dashed line the one-sigma estimate, for comparison",
                False)
    if model != "constant" and curves.get("kind") == "poisson-gaussian":
        return (f"{chosen}: var = a x + b",
                f"The run uses the noise std fitted on the image, var = a x + b per channel (the bold curves); {legend}; "
                "the dashed line is the one-sigma estimate, for comparison", False)
    if model == "constant":
        why, title = "the Constant model is chosen", f"{chosen}: \u03c3 = {std}"
    elif curves.get("kind") is None:
        why, title = "no noise curve could be fitted on this image", f"{chosen} (no fit): \u03c3 = {std}"
    else:
        why, title = ("the fitted slope is not significant (within 2 standard errors of 0), so Curve runs one "
                      "constant std"), f"{chosen} (flat): \u03c3 = {std}"
    thin = "; the thin curves are the fit, var = a x + b, for comparison" if curves.get("curves") else ""
    return title, (f"The run uses one constant noise std, {std} (0-255 units, the bold dashed line): {why}{thin}; "
                   f"{legend}"), True


def run_noise_choice(run: dict | None, estimate255: float | None):
    """The noise choice a denoising run record was made with: (model, strength, typed std in
    0-255 units or None for the image's estimate), or None for another task. "auto" resolved
    to a fit (``noise_fit`` recorded) is the Curve, a Poisson-Gaussian law without a fit was typed ("Typed
    a, b": its a and b are the More settings' boxes); a constant std other than the estimate
    ``estimate255`` of the pixels it ran on was typed."""
    if not run or run.get("task") != "denoise":
        return None
    if run.get("noise") == "poisson-gaussian" and "noise_fit" not in run:   # a law typed (a, b in the record)
        return "poisson-gaussian", float(run.get("noise_scale", default_of(DenoiseRequest, "noise_scale"))), None
    curve = "noise_fit" in run
    s = run.get("sigma_255")
    typed = None
    if estimate255 is not None and not estimate255 > 0:   # a clean image's estimate runs at the core's NO_NOISE
        estimate255 = NO_NOISE * 255.0
    if not curve and s is not None and (estimate255 is None or abs(float(s) - round(estimate255, 2)) > 0.006):
        typed = float(s)
    scale = run.get("noise_scale", default_of(DenoiseRequest, "noise_scale"))  # the default is not recorded
    return ("auto" if curve else "constant"), float(scale), typed


class NoiseControls(QObject):
    """The noise model of a denoising run: "auto" (the fitted curve) or "constant", and a
    strength; two widgets (``model``, ``strength``) the task panel lays out where it likes."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        # a camera's poisson-gaussian law is what Curve fits (the command line's --noise-a/-b type one in)
        self.model = declared_choice(
            DenoiseRequest, "noise", NOISE_CHOICES,
            current=NOISES[0],
            tip="Curve: the noise std as a function of brightness, fitted from the image (a camera's shot and read "
                "noise, var = a x + b; constant where the image says so). Constant: one std for the whole image "
                "(the Noise std box). Typed a, b: a camera's law var = a x + b as you know it (a and b under "
                "More settings, [0, 1] image units; the plots dock draws it).")
        self.strength = QDoubleSpinBox()
        self.strength.setSingleStep(0.05)
        self.strength.setDecimals(2)
        declared(self.strength, DenoiseRequest, "noise_scale")   # range, suffix, tooltip: the request's
        self.strength.setValue(default_of(DenoiseRequest, "noise_scale"))
        self.model.currentIndexChanged.connect(self._emit)
        self.strength.valueChanged.connect(self._emit)

    @Slot()
    def _emit(self, *_):
        self.changed.emit()

    def noise(self) -> str:
        return self.model.currentData()

    def scale(self) -> float:
        return float(self.strength.value())

    def set_noise(self, noise: str):
        i = self.model.findData(noise)
        if i >= 0 and i != self.model.currentIndex():
            self.model.setCurrentIndex(i)

    def restore(self, run: dict | None, estimate255: float | None, sigma_box) -> bool:
        """Undo or redo stepped over an accepted result: back to the noise choice its run was
        made with (the choice is part of the run and of undo); a typed std goes back in
        ``sigma_box`` (typing a std chooses Constant)."""
        choice = run_noise_choice(run, estimate255)
        if choice is None:
            return False
        noise, scale, typed = choice
        if typed is not None and sigma_box.value() != typed:
            sigma_box.setValue(typed)
        elif typed is not None:  # the box shows it already (as the estimate): say it was typed
            sigma_box.valueChanged.emit(typed)
        self.set_noise(noise)
        self.strength.setValue(scale)
        return True


class NoisePlot:
    """The noise curve drawn in a pyqtgraph plot item: measured stds over the histogram of
    their blocks, the fitted curve per channel and the dashed constant-sigma line."""

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        plot.setTitle("noise std", size="9pt")
        plot.setLabel("bottom", "intensity (0-255)")
        plot.setLabel("left", "std (0-255)")
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setXRange(0, 255, padding=0.02)
        self._items: list = []
        self.curves = None
        self.title = "noise std"

    def show(self, curves: dict, model: str = "auto", fitting: bool = False):
        """Draw ``curves`` (:func:`noise_curves`) for the noise ``model`` chosen ("auto" or "constant"):
        the law the run will use bold, and named in the title (:func:`noise_title`). ``fitting``: the
        image's curve is being fitted (in its thread): the title says so until it comes (the tooltip, when
        another model than Curve runs)."""
        title, tip, use_constant = noise_title(curves, model)
        typed = curves.get("typed") if model == "poisson-gaussian" else None
        if fitting and model == "auto":   # the fit is the law Curve runs: the title waits for it
            title, tip = f"{NOISE_CHOICES[model]}: fitting\u2026", "The noise curve is being fitted on the image; it is drawn when ready"
        elif fitting:
            tip += " (the fitted curves are being fitted on the image: drawn when ready)"
        for it in self._items:
            self.plot.removeItem(it)
        self._items = []
        self.curves = curves
        tops = [1.0]
        tops += [float(c.max()) for c in curves["curves"]]
        if typed is not None:
            tops.append(float(typed.max()))
        tops += [float(p[1].max()) for p in curves["points"] if len(p[1])]
        if curves["constant"]:
            tops.append(curves["constant"])
        top = 1.15 * max(tops)
        counts = np.concatenate([p[2] for p in curves["points"]]) if curves["points"] else np.zeros(0)
        if counts.size:  # the histogram of the measurements, scaled to the lower third
            levels = np.concatenate([p[0] for p in curves["points"]])
            bars = pg.BarGraphItem(x=levels, height=counts / counts.max() * top / 3, width=255 / 30,
                                   brush=pg.mkBrush(150, 150, 150, 70), pen=pg.mkPen(None))
            self._add(bars)
        grey = [ink(0.62).getRgb()[:3]]   # (90, 90, 90) under a light palette; it vanished under a dark one
        colours = CHANNEL_COLOURS.get(len(curves["curves"]), grey * len(curves["curves"]))
        for (lv, sd, _), curve, col in zip(curves["points"], curves["curves"], colours):
            self._add(pg.ScatterPlotItem(lv, sd, size=5, brush=pg.mkBrush(*col, 160), pen=pg.mkPen(None)))
            self._add(pg.PlotDataItem(curves["x"], curve, pen=pg.mkPen(*col, width=1 if use_constant or typed is
                                                                       not None else 2.5)))
        if typed is not None:   # the law typed by hand: the one that runs
            self._add(pg.PlotDataItem(curves["x"], typed, pen=pg.mkPen(ink(0.92), width=2.5)))   # was 20, 20, 20
        if curves["constant"]:
            line = pg.InfiniteLine(pos=curves["constant"], angle=0,
                                   pen=pg.mkPen(ink(0.85), width=2.5 if use_constant else 1, style=Qt.DashLine))
            self._add(line)
        self.plot.setYRange(0, top, padding=0)
        # short: the whole sentence as a title made the plot wider than its part of the dock
        self.plot.setTitle(title, size="9pt")
        self.plot.setToolTip(tip)
        self.title = title

    def _add(self, item):
        self.plot.addItem(item)
        self._items.append(item)
