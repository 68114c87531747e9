"""The result of the last run while it is under review, without Qt: the run's done frame, which of its variants is
chosen (:mod:`.variants`: the mean, a draw, or the draws' spread), what Accept would take of it and where that goes
(into the document, or a new one), and that result made as Accept will hold it, in a thread while the user looks
(:class:`~.measures.Measured`; the document packed for the undo step since the run started: :class:`~.measures.Packed`).

It lives as long as the review: the session (gui/model/session.py) makes one when a run finishes and drops it on
Accept, Discard, another run or another document, so nothing of the review outlives it. The session still says
when it changes (its ``result`` event) and decides what Accept does to the document."""

from __future__ import annotations

import numpy as np

from . import variants
from .measures import Measured, Packed
from ...core.run.requests import choice_text, default_variant

__all__ = ["Review"]


class Review:
    """The run's last ``frame`` (its mean ``image``, its draws ``samples``) under review; ``run``: the run's
    record; ``doc``: the document it would go into (None: none is open); ``before``: that document packed for
    the Accept's undo step (started with the run), or None. ``variant``: 0 = the mean, 1..n a draw,
    n + 1 the draws' spread. Sampling draws unrelated images, whose mean is a blur, so draw 1 is shown first
    (restoring shows the posterior mean, its best estimate in squared error: requests.default_variant)."""

    def __init__(self, frame, run: dict | None, doc, before: Packed | None = None):
        self.frame, self.run, self.doc, self.before = frame, run, doc, before
        self.variant = default_variant((run or {}).get("task", ""), len(self.samples()))
        self.measured: Measured | None = None
        self.accepting = False   # Accept was chosen and waits for its measure (later)
        self._measure()

    def samples(self) -> list:
        return self.frame.samples or []

    def choose(self, i: int):
        """Show variant ``i``; what Accept would take is measured anew where it changed."""
        if self.accepting:   # the variant Accept takes is kept
            return
        self.variant = max(0, int(i))
        if self.measured is None or self.measured.variant != self.variant:
            self._measure()

    def showing_spread(self) -> bool:
        """The uncertainty view is chosen: there is nothing to accept until a draw or the mean is picked."""
        return variants.is_spread(len(self.samples()), self.variant)

    def chain(self) -> int:
        """Whose trajectory is shown and exported (:func:`.variants.chain`)."""
        return variants.chain(len(self.samples()), self.variant)

    def picture(self) -> tuple[np.ndarray, float | None]:
        """What the chosen variant shows (:func:`.variants.picture`)."""
        return variants.picture(self.frame.image, self.samples(), self.variant)

    def image(self) -> np.ndarray:
        """The result (float (H, W, C)): the chosen draw, or the mean of the draws (also while their spread is
        shown: no spread map made)."""
        return self.frame.image if self.showing_spread() else self.picture()[0]

    def record(self) -> dict:
        """The run's record as an accepted result carries it (which draw, or the mean, was kept)."""
        run = dict(self.run or {})
        n = len(self.samples())
        if n:
            run["choice"] = choice_text(n, self.variant)
        return run

    def opens_new(self) -> bool:
        """Accept opens the result as a new document: a drawn sample, or a result of another size."""
        return (self.run or {}).get("task") == "sample" or self.doc is None \
            or self.doc.shape != self.image().shape[:2]

    def taken(self) -> tuple | None:
        """What Accept takes: (the result as float32, its record, whether it opens as a new document, its measure
        (:meth:`.measures.Measured.of`, with ``before``: the document's pixels packed for the undo step, or None)
        or None); None while the spread is shown."""
        if self.showing_spread():
            return None
        self.accepting = False   # it is taken now
        res, opens = np.asarray(self.image(), dtype=np.float32), self.opens_new()
        measured = self.measured.of(res, self.doc.source) if self.measured is not None and not opens else None
        if measured is not None:
            measured = dict(measured, before=self.before.codes(self.doc.pixels) if self.before is not None else None)
        return res, self.record(), opens, measured

    def later(self, notify, pixels: int) -> bool:
        """Accept may be done once the measure is made, without waiting for it: the result is of ``pixels`` or more,
        goes into the document, and its measure is still being made; ``notify()`` is then called in the measure's
        thread when it is (it must only post to the GUI thread) and the review is ``accepting`` meanwhile."""
        m = self.measured
        self.accepting = m is not None and m.image.shape[0] * m.image.shape[1] >= pixels and \
            not self.showing_spread() and not self.opens_new() and m.when_done(notify)
        return self.accepting

    def _measure(self):
        """Start making the result shown as Accept will hold it, if it would go into the document; the last one
        made is dropped."""
        self.measured = None
        if self.showing_spread() or self.opens_new():
            return
        self.measured = Measured(np.asarray(self.image(), dtype=np.float32), self.doc.source, self.variant)
