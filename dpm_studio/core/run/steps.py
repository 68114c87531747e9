"""Driving the core's step generators (every long job in the core is a generator of small step records that
returns its result: ``value = yield from job(...)``)."""

from __future__ import annotations

__all__ = ["result", "relabel"]


def result(steps):
    """Run the step generator ``steps`` to its end, its records unread; its return value."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def relabel(steps, record):
    """``steps`` with each of its records replaced by ``record`` (yielded after each step: say it before the
    first yourself where it is due); returns its value (``v = yield from
    relabel(...)``): a measurement's many small steps seen from outside as one thing being measured, which
    can still be stopped between any two of them."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value
        yield record
