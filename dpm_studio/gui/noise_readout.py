"""The open document's noise level, shown in the task panel and drawn in the plots dock.

:class:`NoiseReadout` (``window.noise``) subscribes to the session: each document opened, and
each change of its pixels (Accept, undo, redo), gets its own noise level, measured and shown;
none is carried over from the last image. Undo or redo of an accepted denoise also brings back
the noise choice its run was made with, and of an accepted inpainting its grain (each choice is part
of the run and of undo).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Slot

from .model.session import run_grain
from .record_settings import show_more
from ..core.run.noise import estimate_noise_sigma

__all__ = ["NoiseReadout"]


class NoiseReadout(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w, self.session = window, window.session
        self.fit = None   # the noise curve fitted on the document (core/run/noise_level.py)
        self._unfitted = False   # the document has not been fitted: the plots were closed
        # The fit runs once the event loop is back (0.13-0.3 s on a 12 MP photo): an Accept, undo or
        # open returns and the window shows the new pixels first; several changes in a row fit once.
        self.fit_timer = QTimer(self)
        self.fit_timer.setSingleShot(True)
        self.fit_timer.setInterval(0)
        self.fit_timer.timeout.connect(self._fit_now)
        self.session.events.document.connect(self._on_document)
        window.plots.visibilityChanged.connect(self._on_plots_shown)
        self.session.events.pixels.connect(self._on_pixels)
        tp = window.task_panel
        tp.noise_controls.changed.connect(self.plot)
        tp.sigma.valueChanged.connect(self.plot)
        tp.more_settings.noise_a.valueChanged.connect(self.plot)
        tp.more_settings.noise_b.valueChanged.connect(self.plot)
        tp.noise_controls.changed.connect(self._typed_from_fit)
        tp.estimateRequested.connect(self.estimate)

    def _on_document(self, _event):
        doc = self.session.doc
        if doc is None:
            return
        self.w.task_panel.show_estimate(doc.noise_sigma * 255.0)
        # The curve is drawn in the plots dock only: fitted when it is open, else once it is opened
        # (0.15 s CPU of opening a 12 MP photo, for a dock that starts closed; docs/speed.md).
        self.fit, self._unfitted = None, True
        if not self.w.plots.isHidden():
            self.fit_timer.start()
        self.plot()

    @Slot()
    def _fit_now(self):
        """The deferred fit of the document as it is now (None if it has closed since)."""
        from ..core.run.noise_level import fit_noise_level

        doc = self.session.doc
        if doc is None or not self._unfitted:
            return
        # The curve drawn is fitted on a grid of windows (a quarter megapixel): what a run
        # fits on the whole image (core/run/jobs.py) to within its error bars, at a small cost.
        self.fit = fit_noise_level(doc.pixels[:, :, :3], max_pixels=256 * 256 * 4)
        self._unfitted = False
        self.plot()

    @Slot(bool)
    def _on_plots_shown(self, visible: bool):
        if visible and self._unfitted and self.session.doc is not None:
            self._fit_now()

    def _on_pixels(self, event):
        self._on_document(event)
        e = event.edit   # undo or redo stepped over an accepted result: back to its run's noise choice
        if e is not None and e.kind == "image":
            tp = self.w.task_panel
            tp.noise_controls.restore(e.run, self.session.doc.noise_sigma * 255.0, tp.sigma)
            tp.pages["inpaint"].set_grain(run_grain(e.run))   # an inpainting's grain, likewise
            show_more(self.w, e.run)   # and the More settings' boxes (precision, views, clipping, typed law...)

    @Slot()
    def _typed_from_fit(self):
        """"Typed a, b" chosen with both still 0: they start from the fitted law (its channels' mean), to edit."""
        tp = self.w.task_panel
        ms = tp.more_settings
        if tp.noise_controls.noise() != "poisson-gaussian" or ms.noise_a.value() or ms.noise_b.value():
            return
        if self._unfitted and self.session.doc is not None:
            self._fit_now()
        chans = [c for c in (getattr(self.fit, "channels", None) or (self.fit,)) if c is not None]
        if chans:
            ms.noise_a.setValue(max(0.0, sum(float(c.a) for c in chans) / len(chans)))
            ms.noise_b.setValue(max(0.0, sum(float(c.b) for c in chans) / len(chans)))

    @Slot()
    def plot(self):
        """The noise curve in the plots dock, as the Noise model controls say."""
        from .noise_view import noise_curves

        tp = self.w.task_panel
        nc, s, ms = tp.noise_controls, float(tp.sigma.value()) / 255.0, tp.more_settings
        typed = (float(ms.noise_a.value()), float(ms.noise_b.value()))   # "Typed a, b" (More settings)
        self.w.plots.noise.show(noise_curves(self.fit, s, nc.scale(), typed=typed), nc.noise())

    @Slot()
    def estimate(self) -> float | None:
        """Run > Estimate Noise Level: measure the document's noise std and show it (0-255 units)."""
        doc = self.session.doc
        if doc is None:
            self.w.statusBar().showMessage("Open an image first", 3000)
            return None
        s = estimate_noise_sigma(doc.pixels) * 255.0
        self.w.task_panel.show_estimate(s)
        self.w.statusBar().showMessage(f"Estimated noise std: {s:.1f} / 255", 5000)
        return s
