"""When a command can be used: named tests over the session, without Qt.

Each :class:`When` is a module constant (a misspelt name is a NameError when gui/actions.py is
imported, not a menu entry that silently stays enabled); ``EDIT & HAS_IMAGE`` and ``~RUNNING``
combine them, and ``when(session)`` answers.
"""

from __future__ import annotations

from typing import Callable

__all__ = ["When", "ALWAYS", "EDIT", "RUNNING", "REVIEW", "HAS_IMAGE", "HAS_PICTURE", "RESULT", "CAN_UNDO",
           "CAN_REDO", "HAS_TRAJECTORY", "COMPARE"]


class When:
    """A named predicate over a :class:`~.session.Session`."""

    def __init__(self, name: str, test: Callable):
        self.name, self._test = name, test

    def __call__(self, session) -> bool:
        return bool(self._test(session))

    def __and__(self, other: "When") -> "When":
        return When(f"{self.name} and {other.name}", lambda s: self(s) and other(s))

    def __invert__(self) -> "When":
        return When(f"not {self.name}", lambda s: not self(s))

    def __repr__(self):
        return f"When({self.name!r})"


ALWAYS = When("always", lambda s: True)
EDIT = When("edit", lambda s: s.state == "edit")
RUNNING = When("running", lambda s: s.state == "running")
REVIEW = When("review", lambda s: s.state == "review")
HAS_IMAGE = When("has_image", lambda s: s.doc is not None)
HAS_PICTURE = When("has_picture", lambda s: s.doc is not None or s.state == "review")
RESULT = When("result", lambda s: s.state == "review" and not s.showing_spread())  # something to accept
CAN_UNDO = When("can_undo", lambda s: s.history.can_undo())
CAN_REDO = When("can_redo", lambda s: s.history.can_redo())
# a result with an original to compare it with: a drawn sample has none
COMPARE = When("compare", lambda s: s.state == "review" and (s.run or {}).get("task") != "sample")
HAS_TRAJECTORY = When("has_trajectory", lambda s: s.trajectory is not None and len(s.trajectory) > 0)
