"""What the session measures in threads of its own while the user looks: an opened image's noise level
(:class:`Level`), a result under review as Accept will hold it (:class:`Measured`) and the document as that
Accept's undo step will keep it (:class:`Packed`). Qt-free, as the session and its review that own them
(gui/model/session.py, review.py)."""
from __future__ import annotations

import threading

import numpy as np

from .history import pack, unpack_into
from ...core.files.decode import to_uint8
from ...core.run.jobs import Source, result_digest
from ...core.run.noise import estimate_noise_sigma


class Level:
    """An opened image's noise level (:func:`estimate_noise_sigma`), measured in a thread of its own: up to four
    fits of the noise law at low noise (about 0.26 s each on a 12 MP photo) that ran on the GUI thread while the
    window waited. ``start``: how the thread is started (the window's: gui/collector.hold_thread). Reading
    :meth:`value` waits for it; an error in the thread is measured again by the reader, as before."""

    def __init__(self, pixels: np.ndarray, start, data=None):   # data: the decoded file (its format: a JPEG?)
        self.pixels, self.jpeg, self.out = pixels, Source.of(data).jpeg, {}
        self.thread = threading.Thread(target=self._work, name="dpm-studio-open-noise", daemon=True)
        start(self.thread)

    def _work(self):
        try:
            self.out["sigma"] = estimate_noise_sigma(self.pixels, jpeg=self.jpeg)
        except Exception as e:  # noqa: BLE001 - the reader measures it itself
            self.out["error"] = e

    def done(self) -> bool:
        return not self.thread.is_alive()

    def value(self) -> float:
        self.thread.join()
        return self.out["sigma"] if "sigma" in self.out else estimate_noise_sigma(self.pixels, jpeg=self.jpeg)


class Packed:
    """The document's pixels as an Accept's undo step keeps them (history.pack: an 8-bit file's uint8 codes, which
    are their picture too), packed in a thread of its own from the start of the run whose result it will take. The
    step's before side was the document's old float32 array, packed in a thread after the Accept (0.15-0.7 s of a
    12 MP photo), and an undo before that was done had no codes to show: it made the whole picture anew on the GUI
    thread (docs/undo.md). The pixels do not change meanwhile (nothing writes them while a run goes or its result is
    under review: undo and redo wait for the edit state)."""

    def __init__(self, pixels: np.ndarray):
        self.pixels, self.out = pixels, {}
        self.thread = threading.Thread(target=self._work, name="dpm-studio-undo-before", daemon=True)
        self.thread.start()

    def _work(self):
        try:
            p = pack(self.pixels)
            if p is not self.pixels:   # kept as codes (a float image's stays itself: nothing gained)
                self.out["codes"] = p
        except Exception:  # noqa: BLE001 - the undo step packs them itself, as before
            pass

    def codes(self, pixels: np.ndarray) -> np.ndarray | None:
        """The codes of ``pixels``, without waiting: None where they are not made yet (an Accept then packs them after
        it, as before), kept as float32, or it packed other pixels."""
        if pixels is not self.pixels or self.thread.is_alive():
            return None
        return self.out.get("codes")


class Measured:
    """A result under review as Accept will hold it, made in a thread of its own while the user looks at it: the
    pixels rounded to the file's steps (Source.held), their noise level and their uint8 picture. An Accept of a
    1-3 MP photo spent most of its time on the GUI thread on the three (docs/undo.md); now it takes them.

    The rounded pixels are kept as the file's integer codes where they are its steps (history.pack: an 8-bit file's
    as uint8, which are their picture too; a 16-bit one's as uint16), and written back into the result's own array
    at Accept (:meth:`of`): a 12 MP 8-bit result's review held a float32 copy and a picture beside it, 180 MB, now
    the picture alone, 36 MB (docs/undo.md)."""

    def __init__(self, image: np.ndarray, source: Source, variant: int):
        self.image, self.source, self.variant = image, source, variant
        self.out: dict = {}
        self._lock, self._finished, self._then = threading.Lock(), False, None
        self.thread = threading.Thread(target=self._work, name="dpm-studio-accept-measure", daemon=True)
        self.thread.start()

    def _work(self):
        try:
            held = self.source.held(self.image)
            sigma, kept, digest = estimate_noise_sigma(held), pack(held), result_digest(held, self.source)
            codes = kept.dtype == np.uint8   # the picture is the codes themselves: the undo step keeps them (accept)
            self.out.update(sigma=sigma, held=kept, u8=kept if codes else to_uint8(held), codes=codes, digest=digest)
        except Exception as e:  # noqa: BLE001 - Accept then does the work itself, as before
            self.out["error"] = e
        finally:
            with self._lock:
                self._finished, then = True, self._then
            if then is not None:
                then()

    def when_done(self, then) -> bool:
        """Call ``then()`` (in the measuring thread: it must only post to the GUI thread) once the measure is made;
        False, and nothing called, where it is made already (the caller need not wait)."""
        with self._lock:
            if self._finished:
                return False
            self._then = then
            return True

    @staticmethod
    def codes(measured: dict | None) -> np.ndarray | None:
        """The uint8 codes of an 8-bit result as :meth:`of` gave it (its picture, which the window shows after Accept),
        for the undo step to keep as its after side, no copy: the undo copied the pixels out and packed them in a
        thread, and a redo before that was done made the whole picture anew. None for another result."""
        return measured["u8"] if measured is not None and measured.get("codes") else None

    def of(self, image: np.ndarray, source: Source) -> dict | None:
        """(held, sigma, u8) of ``image`` for ``source`` (waiting for the thread), None if it measured another.
        ``image``, the result's own array, which Accept drops, receives the held pixels where they were kept as
        codes (the one float32 array of them: ``held``)."""
        if image is not self.image or source != self.source:
            return None
        self.thread.join()
        out = self.out
        if "error" in out or out["held"].shape != image.shape or not (
                out["held"].dtype == np.float32 or image.flags.writeable):
            return None
        if out["held"].dtype != np.float32:
            unpack_into(image, out["held"])
            out["held"] = image
        return out
