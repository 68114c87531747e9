"""Change events without Qt: the session says what changed, the window and the canvas listen.

As napari's ``EmitterGroup`` (``napari/utils/events``), but small: an :class:`EmitterGroup`
has one :class:`EventEmitter` per declared name (a name not declared is an AttributeError,
so a typo fails where it is written), ``connect(callback)`` subscribes, and calling the
emitter delivers an :class:`Event` to every callback at once, in the order they connected,
in the caller's thread. A bound method is held weakly (a closed canvas does not stay alive
because the session still knows it); a plain function is held strongly.

No Qt here: the session and its tests run without a QApplication. The session is changed
only in the GUI thread, so its callbacks may touch widgets.
"""

from __future__ import annotations

import weakref
from types import MethodType, SimpleNamespace
from typing import Callable

__all__ = ["Event", "EventEmitter", "EmitterGroup"]


class Event(SimpleNamespace):
    """What an emitter delivers: ``type`` (the emitter's name), ``source`` (who changed), and the
    emitter's keyword arguments as attributes (``event.box``, ``event.live`` ...)."""


class EventEmitter:
    """One kind of change. ``connect(cb)``; ``disconnect(cb)``; ``emitter(**fields)`` calls every ``cb(event)``."""

    def __init__(self, name: str, source=None):
        self.name, self.source = name, source
        self._callbacks: list = []   # weakref.WeakMethod or the function itself

    def connect(self, callback: Callable) -> Callable:
        if not callable(callback):
            raise TypeError(f"{self.name}: {callback!r} is not callable")
        ref = weakref.WeakMethod(callback) if isinstance(callback, MethodType) else callback
        if callback not in self.callbacks():
            self._callbacks.append(ref)
        return callback

    def disconnect(self, callback: Callable | None = None):
        """Forget ``callback`` (every callback when None)."""
        if callback is None:
            self._callbacks.clear()
        else:
            self._callbacks = [r for r in self._callbacks if self._resolve(r) not in (None, callback)]

    @staticmethod
    def _resolve(ref):
        return ref() if isinstance(ref, weakref.WeakMethod) else ref

    def callbacks(self) -> list:
        return [cb for cb in map(self._resolve, self._callbacks) if cb is not None]

    def __call__(self, **fields) -> Event:
        event = Event(type=self.name, source=self.source, **fields)
        self._callbacks = [r for r in self._callbacks if self._resolve(r) is not None]  # the dead go
        for cb in self.callbacks():
            cb(event)
        return event

    def __repr__(self):
        return f"<EventEmitter {self.name!r}: {len(self.callbacks())} callbacks>"


class EmitterGroup:
    """A fixed set of emitters, one attribute each: ``group.document.connect(cb)``."""

    def __init__(self, source=None, names: tuple = ()):
        self._names = tuple(names)
        for name in self._names:
            setattr(self, name, EventEmitter(name, source))

    @property
    def names(self) -> tuple:
        return self._names

    def __iter__(self):
        return (getattr(self, n) for n in self._names)

    def __repr__(self):
        return f"<EmitterGroup {', '.join(self._names)}>"
