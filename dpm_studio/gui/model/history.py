"""The undo history of the mask and the image, without Qt: each step the box it changed, before and after,
kept as compactly as gives the values back to the bit.

A step's pixels are float32 in [0, 1]. Where each value is a step of an 8-bit file (float32(k) / 255: an 8-bit
photo as opened, any result accepted into it, which Source.held rounds so; a hard mask) they are kept as the
uint8 k, where a step of a 16-bit one as uint16, else as float32 (:func:`pack`). A 12 MP 8-bit photo's step is
then 36 MB each way instead of 144, so the memory limit keeps several Accepts, not one (docs/speed.md). A large
box is packed in a thread of its own (0.15-0.7 s of a 12 MP photo, which an Accept would have held the GUI
thread for); until then the step holds its float32 copy, which an undo reads as well.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

__all__ = ["History", "MaskEdit", "bbox_of", "pack", "unpack_into", "patched"]

BOX_ROWS = 256   # rows compared at a time by bbox_of: the comparison's temporaries stay small
PACK_ROWS = 64   # rows packed at a time (and the first band tried: which type the whole will pack as)
PACK_NOW_BYTES = 2 ** 20   # smaller boxes (a brush stroke's) are packed at once, larger ones in a thread
CODES = (np.uint8, np.uint16)   # an 8-bit file's steps, then a 16-bit one's


def bbox_of(a: np.ndarray, b: np.ndarray):
    """Smallest box (x0, y0, x1, y1) holding every pixel where a and b ((H, W) or (H, W, C)) differ in any
    channel, or None. Compared a band of rows at a time: a 12 MP photo's whole comparison (36 MB of bools,
    then reduced over its channels, 0.4-0.8 s) was most of an Accept's undo record."""
    h, w = a.shape[:2]
    rows, cols = np.zeros(h, bool), np.zeros(w, bool)
    for r in range(0, h, BOX_ROWS):
        d = a[r:r + BOX_ROWS] != b[r:r + BOX_ROWS]
        rows[r:r + BOX_ROWS] = d.reshape(len(d), -1).any(axis=1)
        c = d.any(axis=0)   # over the band's rows first: the reduction numpy does fast
        cols |= c.any(axis=1) if c.ndim == 2 else c
    if not rows.any():
        return None
    rows, cols = np.flatnonzero(rows), np.flatnonzero(cols)
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def _codes_into(out: np.ndarray, x: np.ndarray) -> bool:
    """The integer codes k of ``x`` (float32) into ``out`` (uint8 or uint16), where every x is float32(k) / top
    (top 255 or 65535: how a file's values are read, core/files/formats.to_unit); False where one is not."""
    top = np.float32(np.iinfo(out.dtype).max)
    for r in range(0, x.shape[0], PACK_ROWS):
        xb = x[r:r + PACK_ROWS]
        k = xb * top
        k += np.float32(0.5)
        np.floor(k, out=k)
        if not (k.min(initial=0) >= 0 and k.max(initial=0) <= top and np.array_equal(k / top, xb)):
            return False   # NaN fails the comparison too
        out[r:r + PACK_ROWS] = k
    return True


def pack_type(a: np.ndarray):
    """The type :func:`pack` will keep ``a`` as, read from its first rows (uint8, uint16 or float32)."""
    if a.dtype != np.float32:
        return a.dtype.type
    head = a[:PACK_ROWS]
    for t in CODES:
        if _codes_into(np.empty(head.shape, t), head):
            return t
    return np.float32


def pack(a: np.ndarray, kind=None) -> np.ndarray:
    """``a`` (float32) as the narrowest array that gives it back to the bit (:func:`unpack_into`): uint8 codes
    where every value is float32(k) / 255, uint16 where float32(k) / 65535, else ``a`` itself. ``kind``: the
    type to try (:func:`pack_type`), by default the one its first rows pack as."""
    kind = pack_type(a) if kind is None else kind
    if a.dtype != np.float32 or kind is np.float32:
        return a
    out = np.empty(a.shape, kind)
    return out if _codes_into(out, a) else a


def unpack_into(dst: np.ndarray, p: np.ndarray):
    """Write kept values ``p`` (from :func:`pack`) into the float32 ``dst`` of the same shape."""
    if p.dtype == np.float32:
        dst[...] = p
        return
    np.copyto(dst, p, casting="unsafe")
    dst /= np.float32(np.iinfo(p.dtype).max)


def patched(picture: np.ndarray | None, box, patch: np.ndarray, shape) -> np.ndarray | None:
    """The picture (uint8) of an image of ``shape`` after an undo or redo that gave back ``patch``, its box ``box``'s
    (x0, y0, x1, y1; :meth:`History.picture`): ``patch`` itself where it is the whole image, else a copy of the
    ``picture`` before with ``patch`` over it (a copy: others may hold the one before, the compare's 'before');
    None where there is none (it is made from the pixels then)."""
    if patch.shape == tuple(shape):
        return patch
    if picture is None or picture.shape != tuple(shape):
        return None
    x0, y0, x1, y1 = box
    out = picture.copy()
    out[y0:y1, x0:x1] = patch
    return out


@dataclass
class MaskEdit:
    """One undoable change: the box it touched and the pixels before and after it (each as :func:`pack` keeps
    it, or float32 while it is being packed).

    ``kind`` says which array it changed ("mask", or "image" for an accepted result, which
    also carries the ``run`` record that made it). ``after`` None: not copied yet, the array holds it
    (History.record's ``owned``); the undo copies it out before it writes ``before`` back."""

    box: tuple[int, int, int, int]
    before: np.ndarray
    after: np.ndarray | None
    label: str = "stroke"
    kind: str = "mask"
    run: dict | None = None
    kept_as: type = np.float32   # what the sides are packed as (pack_type), while a thread packs them
    noise: tuple | None = None   # an image step: the noise level (core/run/noise.py) before and after it

    def _size(self, a: np.ndarray) -> int:
        """Bytes ``a`` takes once packed: a float32 array being packed counts as what it will be."""
        return a.size * np.dtype(self.kept_as).itemsize if a.dtype == np.float32 else a.nbytes

    @property
    def nbytes(self) -> int:
        return self._size(self.before) * (2 if self.after is None else 1) + (
            0 if self.after is None else self._size(self.after))


def _pack_sides(e: MaskEdit, sides: tuple):
    """In a packing thread (or at once for a small box): each of ``sides`` of ``e`` swapped for its packed
    values. An undo meanwhile reads either (the float32 copy is never written to); one that packs no smaller
    (a float image's) is kept as it was, and the step counts its float32 bytes from then on."""
    for side in sides:
        a = getattr(e, side)
        if a is not None and a.dtype == np.float32:
            p = pack(a, e.kept_as)
            if p is a:
                e.kept_as = np.float32
            setattr(e, side, p)


class History:
    """Undo/redo of edits to the mask and the image, stored as packed patches, bounded by count and by memory."""

    def __init__(self, max_steps: int = 100, max_bytes: int = 512 * 2 ** 20):
        self.max_steps, self.max_bytes = int(max_steps), int(max_bytes)
        self._undo: list[MaskEdit] = []
        self._redo: list[MaskEdit] = []
        self._packing: list[threading.Thread] = []

    def clear(self):
        self._undo.clear()
        self._redo.clear()

    def settle(self):
        """Wait for the packing threads (tests, benchmarks: the memory a step keeps once packed)."""
        for t in self._packing:
            t.join()
        self._packing.clear()

    def nbytes(self) -> int:
        """What the undo and redo steps keep (a step being packed: as it will be)."""
        return sum(e.nbytes for e in self._undo + self._redo)

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo_label(self) -> str:
        return self._undo[-1].label if self._undo else ""

    def redo_label(self) -> str:
        return self._redo[-1].label if self._redo else ""

    def last(self) -> MaskEdit | None:
        """The last step recorded (or redone): the next undo."""
        return self._undo[-1] if self._undo else None

    def undone(self, edit: MaskEdit) -> bool:
        """``edit`` is the last one undone (the next redo)."""
        return bool(self._redo) and self._redo[-1] is edit

    def noise_shown(self, edit: MaskEdit) -> float | None:
        """The noise level of the pixels an undo or redo of the image step ``edit`` gave back (the level
        before it when it was undone, after it when redone); None where the step kept none."""
        before, after = edit.noise or (None, None)
        return before if self.undone(edit) else after

    def picture(self, edit: MaskEdit) -> np.ndarray | None:
        """The 8-bit picture (uint8, ``edit.box``'s) of the pixels an undo or redo of ``edit`` gave back, where the
        step keeps them as uint8 codes: those codes are what to_uint8 makes of them, to the bit (k / 255 rounds
        back to k). None where it keeps them otherwise (a 16-bit or float image's, or still being packed). An undo
        of a 12 MP photo made its whole picture anew: 90-190 ms of the GUI thread (docs/undo.md)."""
        a = edit.before if self.undone(edit) else edit.after
        return a if a is not None and a.dtype == np.uint8 else None

    def _pack(self, e: MaskEdit, *sides: str):
        """Pack ``sides`` of ``e`` (those still float32): at once for a small box, else in a thread
        (:func:`_pack_sides`)."""
        sides = tuple(n for n in sides if getattr(e, n) is not None and getattr(e, n).dtype == np.float32)
        if not sides:   # kept as codes already (the review's: History.record's ``kept`` and ``kept_before``)
            return
        a = getattr(e, sides[0])
        e.kept_as = pack_type(a)
        if e.kept_as is np.float32:
            return
        if a.nbytes < PACK_NOW_BYTES:
            _pack_sides(e, sides)
            return
        self._packing = [t for t in self._packing if t.is_alive()]
        t = threading.Thread(target=_pack_sides, args=(e, sides), name="dpm-studio-undo-pack", daemon=True)
        self._packing.append(t)
        t.start()

    def record(self, before: np.ndarray, after: np.ndarray, label: str = "stroke", kind: str = "mask",
               run: dict | None = None, keep: bool = False, owned: bool = False,
               kept: np.ndarray | None = None, kept_before: np.ndarray | None = None) -> bool:
        """Record the change from ``before`` to ``after`` (whole arrays); False if nothing changed, unless
        ``keep`` (a step that changed no pixel: one unchanged pixel stands for it).

        ``owned``: ``before`` is the caller's copy, handed over (kept as it is when the whole of it changed),
        and ``after`` is the edited array itself, which only this history's undo and redo write to from now
        on: its box is copied out at the undo (an Accept of a 12 MP photo copied 288 MB here: docs/speed.md).
        ``kept``: the whole ``after`` as :func:`pack` keeps it, made already (the review's uint8 codes of an
        8-bit result, which the window shows: held, never written to); then the undo copies and packs nothing
        and a redo at once after it shows those codes (a 12 MP photo's redo within a second of its undo made its
        picture anew while the undo's packing thread ran). ``kept_before``: the whole ``before`` so, made already
        (the review's thread packed the document: measures.Packed); then nothing is packed after the Accept, and an
        undo at once after it shows those codes (it made the picture anew while the before side was packed)."""
        box = bbox_of(before, after)
        if box is None and not keep:
            return False
        box = box or (0, 0, 1, 1)
        x0, y0, x1, y1 = box
        whole = box == (0, 0, before.shape[1], before.shape[0])

        def box_of(a: np.ndarray, held: bool) -> np.ndarray:   # held: the step may keep ``a`` itself when whole
            return a if held and whole else a[y0:y1, x0:x1].copy()

        was = box_of(before, owned) if kept_before is None else box_of(kept_before, True)
        now = box_of(kept, True) if kept is not None else None if owned else box_of(after, False)
        e = MaskEdit(box, was, now, label, kind, run)
        self._pack(e, "before", "after")
        self._undo.append(e)
        self._redo.clear()
        total = sum(e.nbytes for e in self._undo)
        while len(self._undo) > self.max_steps or (total > self.max_bytes and len(self._undo) > 1):
            total -= self._undo.pop(0).nbytes
        return True

    @staticmethod
    def _target(arrays, kind):
        return arrays(kind) if callable(arrays) else arrays

    def undo(self, arrays):
        """Apply the last edit backwards, in place, to ``arrays`` (the mask, or a function from an
        edit's kind to its array); returns the edit or None."""
        return self._move(self._undo, self._redo, arrays, "before")

    def redo(self, arrays):
        """Apply the last undone edit again; returns the edit or None."""
        return self._move(self._redo, self._undo, arrays, "after")

    def _move(self, src, dst, arrays, side):
        """Pop an edit from ``src``, write its ``side`` (before/after) into its box, push it on ``dst``."""
        if not src:
            return None
        e = src.pop()
        x0, y0, x1, y1 = e.box
        target = self._target(arrays, e.kind)
        if e.after is None:   # recorded ``owned``: the array holds the edit's after until this undo
            e.after = target[y0:y1, x0:x1].copy()
            self._pack(e, "after")
        unpack_into(target[y0:y1, x0:x1], getattr(e, side))
        dst.append(e)
        return e
