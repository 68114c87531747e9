"""The open document's noise level, shown in the task panel and drawn in the plots dock.

:class:`NoiseReadout` (``window.noise``) subscribes to the session: each document opened, and
each change of its pixels (Accept, undo, redo), gets its own noise level, measured and shown;
none is carried over from the last image. Undo or redo of an accepted result also brings back the
settings of the run that made the image now shown: its noise choice, grain, steps, seed, mode... (each
choice is part of the run and of undo: gui/record_settings.show_step), once the new estimate is shown.
"""

from __future__ import annotations

import threading
import traceback

from PySide6.QtCore import QObject, QTimer, Slot

from . import collector
from .record_settings import show_step
from ..core.run.jobs import estimate_words

__all__ = ["NoiseReadout"]

#: The plots' curve is fitted on a grid of windows (a quarter megapixel): what a run fits on the whole image
#: (core/run/jobs.py) to within its error bars, at a small cost.
FIT_PIXELS = 256 * 256 * 4
POLL_MS = 15   # how often the GUI thread looks for the fit's result while it runs


def _fit_into(pixels, out: dict):
    """In the fit's thread: the curve of ``pixels`` into ``out["fit"]`` (None: none). It touches no Qt object:
    the GUI thread looks for the result (a window closed meanwhile is no object deleted under an emit)."""
    from ..core.run.noise_level import fit_noise_level

    try:
        out["fit"] = fit_noise_level(pixels[:, :, :3], max_pixels=FIT_PIXELS)
    except Exception:  # noqa: BLE001 - a plot must never stop the app: no curve
        traceback.print_exc()
        out["fit"] = None


class NoiseReadout(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w, self.session = window, window.session
        self.fit = None   # the noise curve fitted on the document (core/run/noise_level.py)
        self._unfitted = False   # the document has not been fitted: the plots were closed
        self._version = 0        # counts the document's pixels as they change (a fit of older ones is dropped)
        self._fitting: tuple | None = None   # the fit under way (one at a time): (thread, version, result)
        self._asked: tuple | None = None     # Run > Estimate asked, its level still measured: (document, version)
        self._poll = QTimer(self)            # looks for its result from the GUI thread
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._on_fitted)
        # The fit asked for once the event loop is back: an Accept, undo or open returns and the window
        # shows the new pixels first; several changes in a row fit once. It runs in a thread of its own
        # (0.13-0.3 s on a 12 MP photo; when the plots were opened it ran at once in the GUI thread):
        # the plot says "fitting..." until its curve comes.
        self.fit_timer = QTimer(self)
        self.fit_timer.setSingleShot(True)
        self.fit_timer.setInterval(0)
        self.fit_timer.timeout.connect(self._fit_now)
        # The opened image's noise level is measured in a thread the session starts (gui/model/measures.Level: up
        # to four fits, about 1 s of a 12 MP photo, that ran on the GUI thread); the collector holds it, and the GUI
        # thread looks for the level as it looks for the curve.
        self.session.start_thread = collector.hold_thread
        self._level_poll = QTimer(self)
        self._level_poll.setInterval(POLL_MS)
        self._level_poll.timeout.connect(self._on_level)
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
        self._version += 1   # first: a level Run > Estimate asked of the pixels before is not theirs (_answer)
        self._on_level()   # shown now if known, else "measuring" until it is
        # The curve is drawn in the plots dock only: fitted when it is open, else once it is opened
        # (0.15 s CPU of opening a 12 MP photo, for a dock that starts closed; docs/speed.md).
        self.fit, self._unfitted = None, True
        if not self.w.plots.isHidden():
            self.fit_timer.start()
        self.plot()

    @Slot()
    def _on_level(self):
        """The document's noise level in the task panel once it is measured (until then: being measured)."""
        doc = self.session.doc
        if doc is not None and not doc.noise_measured():
            if not self._level_poll.isActive():
                self.w.task_panel.show_estimate(None)
                self._level_poll.start()
            return
        came = self._level_poll.isActive()   # it came while the user could type a sigma: theirs is kept
        self._level_poll.stop()
        if doc is not None and not (came and self.w.task_panel.pages["denoise"].sigma255() is not None):
            self.w.task_panel.show_estimate(doc.noise_sigma * 255.0)
        if came and self._asked is not None:
            self._answer()   # Run > Estimate was asked meanwhile: its level, over a sigma typed, if still the same pixels

    def fitting(self) -> bool:
        """The curve of the document as it is now is being fitted, or will be once the event loop is back."""
        return self._unfitted and self.session.doc is not None and (
            self.fit_timer.isActive() or self._fitting is not None)

    @Slot()
    def _fit_now(self):
        """Start the fit of the document as it is now in a thread (nothing if it has closed since, is fitted,
        or a fit is under way: that one's result, of older pixels, is dropped and this one started then)."""
        doc = self.session.doc
        if doc is None or not self._unfitted or self._fitting is not None:
            return
        # The thread reads the document's own array, no copy (an Accept writes into it: that Accept's
        # version comes with the result, which is then dropped). A closed document's array lives on with it.
        out: dict = {}
        thread = threading.Thread(target=_fit_into, args=(doc.pixels, out), name="dpm-studio-noise-curve",
                                  daemon=True)
        self._fitting = (thread, self._version, out)
        collector.hold_thread(thread)   # no automatic collection while it runs (gui/collector.py)
        self._poll.start()
        self.plot()

    @Slot()
    def _on_fitted(self):
        """The poll: once the fit's thread has ended, its curve is drawn (of older pixels: dropped, fitted again)."""
        if self._fitting is None or self._fitting[0].is_alive():
            return
        _, version, out = self._fitting
        self._fitting = None
        self._poll.stop()
        fit = out.get("fit")
        if version == self._version and self._unfitted:
            self.fit, self._unfitted = fit, False
            self._typed_from_fit()
            self.plot()
        elif self._unfitted and not self.w.plots.isHidden():   # the pixels changed meanwhile: fit them now
            self._fit_now()

    @Slot(bool)
    def _on_plots_shown(self, visible: bool):
        if visible and self._unfitted and self.session.doc is not None:
            self._fit_now()

    def _on_pixels(self, event):
        self._on_document(event)
        e = event.edit   # undo or redo stepped over an accepted result: the settings of the run that made it
        if e is not None and e.kind == "image":
            show_step(self.w)

    @Slot()
    def _typed_from_fit(self):
        """"Typed a, b" chosen with both still 0: they start from the fitted law (its channels' mean), to edit."""
        tp = self.w.task_panel
        ms = tp.more_settings
        if tp.noise_controls.noise() != "poisson-gaussian" or ms.noise_a.value() or ms.noise_b.value():
            return
        if self._unfitted and self.session.doc is not None:
            self._fit_now()   # in its thread: the boxes are filled when it comes (_on_fitted)
            return
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
        self.w.plots.noise.show(noise_curves(self.fit, s, nc.scale(), typed=typed), nc.noise(),
                                fitting=self.fitting())

    @Slot()
    def estimate(self) -> float | None:
        """Run > Estimate Noise Level: the document's noise std shown (0-255 units), a typed one replaced. It is the
        level the document holds, estimate_noise_sigma of these very pixels, measured off the GUI thread when they
        came (opened: measures.Level; accepted: the review's thread) and given back by undo and redo: measuring
        them again here held the GUI thread up to seconds on a 12 MP photo. While the opened image's level is still
        measured it is shown once it comes, unless the image changed meanwhile (then the answer is dropped: it was
        for other pixels). Returns the level where it is known now, else None."""
        doc = self.session.doc
        if doc is None:
            self.w.statusBar().showMessage("Open an image first", 3000)
            return None
        self._asked = (doc, self._version)
        if not doc.noise_measured():
            self.w.statusBar().showMessage("Measuring the noise level\u2026", 5000)
            self._on_level()   # polls for it: _answer once it comes
            return None
        return self._answer()

    def _answer(self) -> float | None:
        """The level Run > Estimate asked for, shown if it is still of the pixels it asked about (else dropped)."""
        asked, self._asked = self._asked, None
        doc = self.session.doc
        if asked is None or asked[0] is not doc or asked[1] != self._version or not doc.noise_measured():
            return None
        s = doc.noise_sigma * 255.0
        self.w.task_panel.show_estimate(s)
        said = estimate_words(s / 255.0)   # the words of the noise note, the command line and the API
        self.w.statusBar().showMessage(said[:1].upper() + said[1:], 5000)
        return s
