"""The app's model without Qt: the open document, its mask and one undo history.

The window only binds a :class:`Session` (as napari's window binds its ViewerModel):
the canvas reads and writes the document's pixels and the mask through it, and the
history holds mask edits and accepted results alike, so Ctrl+Z after Accept gives the
pixels back. A sample drawn from the model opens as a new document (:meth:`Session.open`),
never as an edit of the photo that happened to be open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .maskops import History, MaskEdit
from ..core.jobs import Job, Source, resolve
from ..core.noise import estimate_noise_sigma

__all__ = ["Document", "Session"]


@dataclass
class Document:
    """An image being worked on: float pixels (H, W, C) in [0, 1], the alpha kept aside,
    where it came from and how it is saved again, and the runs accepted into it."""

    pixels: np.ndarray
    alpha: np.ndarray | None = None
    path: Path | None = None
    mode: str = "RGB"
    bit_depth: int = 8
    name: str = "untitled"
    runs: list = field(default_factory=list)   # the accepted runs' records (saved as metadata)
    dirty: bool = False                          # changed since it was opened or saved
    noise_sigma: float = 0.0                     # estimated when opened, [0, 1] units
    value_scale: float = 1.0                     # a float file's values: pixels * value_scale + value_offset
    value_offset: float = 0.0

    @property
    def source(self) -> Source:
        """What a run needs to know of the file (its bit depth and value range)."""
        return Source(self.bit_depth, self.value_scale, self.value_offset)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.pixels.shape[:2])


class Session:
    """The document, the mask (float32 (H, W), 1 = fill), the undo history and the run state:
    "edit", "running" (a run works on a copy) or "review" (its result waits for Accept)."""

    STATES = ("edit", "running", "review")

    def __init__(self):
        self._state = "edit"
        self.doc: Document | None = None
        self.mask: np.ndarray | None = None
        self.history = History()

    @property
    def state(self) -> str:
        return self._state

    @state.setter
    def state(self, state: str):
        if state not in self.STATES:
            raise ValueError(f"the state must be one of {self.STATES}")
        self._state = state

    # -- documents ----------------------------------------------------------------------------------
    def open(self, pixels, alpha=None, path=None, mode: str | None = None, bit_depth: int = 8,
             name: str | None = None, dirty: bool | None = None, runs: list | None = None,
             value_scale: float = 1.0, value_offset: float = 0.0) -> Document:
        """Make ``pixels`` the document: an empty mask, an empty history, the noise level measured."""
        px = np.asarray(pixels, dtype=np.float32)
        px = np.ascontiguousarray(px[:, :, None] if px.ndim == 2 else px)
        path = Path(path) if path is not None else None
        self.doc = Document(px, alpha, path, mode or ("RGB" if px.shape[2] >= 3 else "L"), int(bit_depth),
                            name or (path.name if path else "untitled"), list(runs or []),
                            path is None if dirty is None else bool(dirty), estimate_noise_sigma(px),
                            float(value_scale), float(value_offset))
        self.mask = np.zeros(px.shape[:2], np.float32)
        self.history.clear()
        return self.doc

    def job(self, request, region=None) -> Job:
        """The job of ``request`` on the document and its mask, resolved by the rules the command
        line and the API use (core/jobs.py): a copy of the pixels, so edits during a run are safe.
        ``region``: a denoise's (feathered) mask that limits it to the crop around it (core/regions.py)."""
        if request.task == "sample":
            return resolve(request)
        if self.doc is None:
            raise ValueError(f"open an image to {request.task}")
        mask = self.mask.copy() if request.task == "inpaint" and self.mask is not None else region
        return resolve(request, self.doc.pixels.copy(), mask, self.doc.source)

    def close(self):
        self.doc, self.mask = None, None
        self.history.clear()

    def has_unsaved(self) -> bool:
        return self.doc is not None and self.doc.dirty and bool(self.doc.runs)

    def saved(self, path):
        self.doc.path, self.doc.name, self.doc.dirty = Path(path), Path(path).name, False

    # -- edits ------------------------------------------------------------------------------------------
    def edit_mask(self, before: np.ndarray, after: np.ndarray, label: str = "stroke") -> bool:
        """``after`` is the mask now; record the change from ``before`` (False if nothing changed)."""
        self.mask = np.ascontiguousarray(after, dtype=np.float32)
        return self.history.record(before, self.mask, label)

    def accept(self, pixels: np.ndarray, run: dict | None, label: str | None = None) -> bool:
        """A run's result of the document's size becomes the document (undoable, with its run record)."""
        res = np.asarray(pixels, dtype=np.float32)
        res = res[:, :, None] if res.ndim == 2 else res
        if self.doc is None or res.shape != self.doc.pixels.shape:
            raise ValueError("a result of another size opens as a new document")
        label = label or f"accept {run.get('task', 'result') if run else 'result'}"
        before = self.doc.pixels.copy()
        self.doc.pixels[...] = res
        self.history.record(before, self.doc.pixels, label, kind="image", run=run)
        if run is not None:
            self.doc.runs.append(run)
        self.doc.dirty = True
        self.doc.noise_sigma = estimate_noise_sigma(self.doc.pixels)  # a denoised image is measured anew
        return True

    def _array(self, kind: str) -> np.ndarray:
        return self.doc.pixels if kind == "image" else self.mask

    def undo(self) -> MaskEdit | None:
        e = self.history.undo(self._array) if self.doc is not None else None
        if e is not None and e.kind == "image":
            if e.run is not None and self.doc.runs and self.doc.runs[-1] is e.run:
                self.doc.runs.pop()
            self.doc.dirty = True
            self.doc.noise_sigma = estimate_noise_sigma(self.doc.pixels)
        return e

    def redo(self) -> MaskEdit | None:
        e = self.history.redo(self._array) if self.doc is not None else None
        if e is not None and e.kind == "image":
            if e.run is not None:
                self.doc.runs.append(e.run)
            self.doc.dirty = True
            self.doc.noise_sigma = estimate_noise_sigma(self.doc.pixels)
        return e
