"""When a command can be used: named tests over the session, without Qt.

Each :class:`When` is a module constant (a misspelt name is a NameError when gui/actions.py is
imported, not a menu entry that silently stays enabled); ``EDIT & HAS_IMAGE`` and ``~RUNNING``
combine them, and ``when(session)`` answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

__all__ = ["When", "ALWAYS", "EDIT", "RUNNING", "REVIEW", "HAS_IMAGE", "HAS_PICTURE", "HAS_MASK", "RESULT", "DECIDE", "CAN_UNDO",
           "CAN_REDO", "HAS_TRAJECTORY", "COMPARE", "RUN_GOING", "MODEL_READY"]


class When:
    """A named predicate over a :class:`~.session.Session`; ``why(session)`` says, where it is false, why
    (the greyed command's tooltip)."""

    def __init__(self, name: str, test: Callable, why: Callable | str = ""):
        self.name, self._test = name, test
        self._why = why if callable(why) else (lambda s, w=why: w)

    def __call__(self, session) -> bool:
        return bool(self._test(session))

    def why(self, session) -> str:
        """Why it does not hold now ('' where it does)."""
        return "" if self(session) else self._why(session)

    def __and__(self, other: "When") -> "When":
        return When(f"{self.name} and {other.name}", lambda s: self(s) and other(s),
                    lambda s: self.why(s) or other.why(s))

    def __invert__(self) -> "When":
        return When(f"not {self.name}", lambda s: not self(s), NOT_WHY.get(self.name, ""))

    def __repr__(self):
        return f"When({self.name!r})"


#: Why a control is greyed while a run is going (the commands' tooltips and the task panel's).
RUN_GOING = "not while a run is going (Cancel stops it)"


def _busy(s) -> str:
    """Why a command that needs the edit state waits."""
    return RUN_GOING if s.state == "running" else \
        "a result waits under the canvas: Accept or Discard it first"


NOT_WHY = {"running": RUN_GOING}
ALWAYS = When("always", lambda s: True)
EDIT = When("edit", lambda s: s.state == "edit", _busy)
RUNNING = When("running", lambda s: s.state == "running", "no run is going")
REVIEW = When("review", lambda s: s.state == "review", "no result is under review")
HAS_IMAGE = When("has_image", lambda s: s.doc is not None, "open an image first")
HAS_PICTURE = When("has_picture", lambda s: s.doc is not None or s.state == "review", "open an image first")
# an Accept chosen and waiting for its result's measure (Session.accept_later) is being done: nothing to decide
_ACCEPTING = "the result is being accepted"
RESULT = When("result",   # something to accept
              lambda s: s.state == "review" and s.review is not None and not s.review.accepting
              and not s.review.showing_spread(),
              lambda s: _ACCEPTING if s.state == "review" and s.review is not None and s.review.accepting
              else "the samples' spread is a map, not a result: choose a sample or their mean"
              if s.state == "review" else "no result is under review")
DECIDE = When("decide", lambda s: s.state == "review" and not (s.review is not None and s.review.accepting),   # discard
              lambda s: _ACCEPTING if s.state == "review" else "no result is under review")
HAS_MASK = When("has_mask", lambda s: bool(s.covered()),   # counted once a change: Session.covered
                lambda s: "the mask is empty: paint the region first" if s.doc is not None else "open an image first")
CAN_UNDO = When("can_undo", lambda s: s.history.can_undo(), "nothing to undo")
CAN_REDO = When("can_redo", lambda s: s.history.can_redo(), "nothing to redo")
# a result with an original to compare it with: a drawn sample has none
COMPARE = When("compare", lambda s: s.state == "review" and (s.run or {}).get("task") != "sample",
               lambda s: "a drawn sample has no original to compare with" if s.state == "review"
               else "no result is under review")
MODEL_READY = When("model_ready", lambda s: not s.models.loading,   # loaded in a thread: gui/checkpoints.py
                   lambda s: f"the model {Path(s.models.loading).stem} is loading")
HAS_TRAJECTORY = When("has_trajectory", lambda s: s.trajectory is not None and len(s.trajectory) > 0,
                      "no run has recorded a trajectory yet")
