"""The app's model without Qt: the open document, its mask, one undo history, and the last run.

As napari's ``ViewerModel`` is to its window, :class:`Session` is to the main window: it
owns the document (the decoded file and what the app adds to it), the mask, the undo
history, the run state, the last run's record and trajectory, its result while under review (``review``:
gui/model/review.py, the chosen variant and what Accept takes), and the model each task runs
(``models``: gui/model/taskmodels.py).
It is the only writer of the document's pixels and of the mask, and says what changed
through ``session.events`` (gui/model/events.py), synchronously; the window and the canvas
subscribe and never write into each other. The history holds mask edits and accepted
results alike, so Ctrl+Z after Accept gives the pixels back. A sample drawn from the
model opens as a new document, never as an edit of the photo that happened to be open.

Events (each an :class:`~.events.Event`; ``event.source`` is the session):

- ``document``: another document (or none) is open: a new image, an empty mask and history
- ``pixels``: the document's pixels changed: in place, or an Accept after a review gave it a new array (Accept,
  undo or redo of one: ``event.edit`` is then the history's step, with the ``run`` record it undid or redid; None
  for Accept). ``event.u8``: the pixels as shown (uint8) when the session has them already (an Accept measured
  during the review), else None; ``event.patch``: an undo or redo's picture of ``event.edit.box`` where the step
  keeps it (History.picture: an 8-bit step's codes), else None
- ``mask``: the mask changed; ``event.live`` is True while a gesture paints (``event.box``,
  (x0, y0, x1, y1), is where), False once the change is whole (an edit, undo, load, clear)
- ``feather``: how far the mask's edge is softened changed (``event.feather``, px)
- ``history``: what undo and redo would do changed
- ``state``: "edit", "running" or "review" (``event.state``)
- ``result``: the last run's result, trajectory or chosen variant changed
- ``saved``: the document was saved (its name and path changed, it is clean)
- ``kept``: the mask as it is now is kept (a run started from it, it was exported or loaded), so
  whether it holds unused edits (:meth:`Session.mask_has_unused_edits`) may have changed
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from .events import EmitterGroup
from .frames import JobInputs
from .history import History, MaskEdit
from .maskops import covered
from .measures import Level as _Level, Measured as _Measured, Packed as _Packed   # threads of their own
from .review import Review
from .taskmodels import TaskModels
from ...core.run import masks
from ...core.files.decode import ImageData
from ...core.run.jobs import Job, Source, resolve, stamped
from ...core.run.noise import estimate_noise_sigma
from ...core.run.requests import InpaintRequest
from ...core.run.settings import default_of

__all__ = ["Document", "Session", "EVENTS"]

APP_SOFT_MASK = default_of(InpaintRequest, "soft_mask")  # the app's mask starts hard, as the request's default
EVENTS = ("document", "pixels", "mask", "feather", "history", "state", "result", "saved", "kept")


@dataclass
class Document(ImageData):
    """An image being worked on: the decoded file (:class:`~dpm_studio.core.files.decode.ImageData`:
    float pixels (H, W, C) in [0, 1], alpha, ``path`` read from, bit depth, value range, ICC,
    EXIF, the runs the file already carried) and what the app adds: its name, where it was
    last saved, the runs accepted into it, whether it changed since, its noise level."""

    name: str = "untitled"
    runs: list = field(default_factory=list)   # the accepted runs' records (saved as metadata)
    dirty: bool = False                          # changed since it was opened or saved
    noise: "float | _Level" = 0.0                # its noise level ([0, 1] units), or its measure under way
    saved_path: Path | None = None               # where it was last saved (``path``: read from)
    saved_quality: int | None = None             # the JPEG or WebP quality it was last saved at
    saved_runs: list = field(default_factory=list)   # ``runs`` as they were when it was last saved

    @property
    def noise_sigma(self) -> float:
        """Its noise level ([0, 1] units): measured when opened (waited for, if that measure is still under way),
        measured anew after an Accept, given back by undo and redo."""
        if isinstance(self.noise, _Level):
            self.noise = self.noise.value()
        return self.noise

    @noise_sigma.setter
    def noise_sigma(self, sigma: float):
        self.noise = float(sigma)

    def noise_measured(self) -> bool:
        """Its noise level is known: reading :attr:`noise_sigma` does not wait."""
        return not isinstance(self.noise, _Level) or self.noise.done()

    def unsaved_runs(self) -> int:
        """The accepted runs not in the file it was last saved to (an undone one is not counted)."""
        saved = {id(r) for r in self.saved_runs}
        return sum(id(r) not in saved for r in self.runs)

    def mark_saved(self, path: Path, quality: int | None = None):
        """It was saved to ``path`` (at JPEG or WebP ``quality``): named after it, clean, its runs in it."""
        self.saved_path, self.name, self.dirty, self.saved_quality = path, path.name, False, quality
        self.saved_runs = list(self.runs)

    @property
    def save_target(self) -> Path | None:
        """The file File > Save writes without asking: the one it was last saved to (in its format, at its
        quality). None: never saved; Save then asks where, as Save As (the file it was read from, the
        original, is never written over without a question)."""
        return self.saved_path

    @property
    def source(self) -> Source:
        """What a run needs to know of the file (its bit depth and value range)."""
        return Source.of(self)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.pixels.shape[:2])

    @property
    def where(self) -> Path | None:
        """The file it is in now: where it was saved last, else where it was read from."""
        return self.saved_path or self.path


def _same_run(a: dict, b: dict) -> bool:
    """Two run records of the same settings, inputs and choice (their time aside)."""
    when = ("time", "seconds", "result_sha256", "software")
    return {k: v for k, v in a.items() if k not in when} == {k: v for k, v in b.items() if k not in when}


class Session:
    """The document, the mask (float32 (H, W), 1 = fill), the undo history, the run state
    ("edit", "running": a run works on a copy, "review": its result waits for Accept) and
    the last run: ``run`` (its record, saved with an accepted result), ``review`` (its result while
    under review, :class:`~.review.Review`: the done Frame, the variant chosen, what Accept takes; None
    otherwise) and ``trajectory`` (kept after the review for exports)."""

    STATES = ("edit", "running", "review")
    # accept_later waits for a smaller result's measure: under 0.1 s even under load, not worth a state of its own
    LATER_PIXELS = 1_000_000

    def __init__(self):
        self.events = EmitterGroup(self, EVENTS)
        self._state = "edit"
        self.doc: Document | None = None
        self.mask: np.ndarray | None = None
        self.feather = 0.0          # px the mask's edge is softened by: the request's ``feather``
        self.soft_mask = APP_SOFT_MASK   # a loaded mask's grey values kept as its edge: the request's ``soft_mask``
        self._loaded_mask: np.ndarray | None = None   # the last mask loaded, with its grey values
        self._effective: np.ndarray | None = None   # cache: the mask feathered by ``feather``
        self._covered: int | None = None   # cache: the mask's masked pixels (maskops.covered)
        self.history = History()
        self.run: dict | None = None
        self.review: Review | None = None   # the last run's result, while it is under review
        self._before: _Packed | None = None   # the document packed for the undo step of the running run's Accept
        self.trajectory = None
        self._chain = 0   # whose trajectory is exported once the review has ended: the chain it last showed
        self._mask_kept: np.ndarray | None = None   # the mask as last used by a run, exported or loaded
        self.models = TaskModels()  # the model each task runs: the user's choice for it, else its default
        self.start_thread = threading.Thread.start   # its threads' start (the window's: gui/collector.hold_thread)

    @property
    def state(self) -> str:
        return self._state

    @state.setter
    def state(self, state: str):
        if state not in self.STATES:
            raise ValueError(f"the state must be one of {self.STATES}")
        self._state = state
        self.events.state(state=state)

    # -- documents ----------------------------------------------------------------------------------
    def open(self, pixels, alpha=None, path=None, mode: str | None = None, bit_depth: int = 8,
             name: str | None = None, dirty: bool | None = None, runs: list | None = None,
             value_scale: float = 1.0, value_offset: float = 0.0) -> Document:
        """Make ``pixels`` the document (see :meth:`open_data`)."""
        px = np.asarray(pixels, dtype=np.float32)
        px = px[:, :, None] if px.ndim == 2 else px
        return self.open_data(ImageData(px, alpha, Path(path) if path is not None else None,
                                        mode or ("RGB" if px.shape[2] >= 3 else "L"), int(bit_depth),
                                        value_scale=float(value_scale), value_offset=float(value_offset)),
                              name, dirty, runs)

    def open_data(self, data: ImageData, name: str | None = None, dirty: bool | None = None,
                  runs: list | None = None) -> Document:
        """The decoded ``data`` becomes the document: an empty mask, an empty history, the noise
        level measured, the last run forgotten (it belonged to the last image)."""
        self.settle()
        px = np.asarray(data.pixels, dtype=np.float32)
        px = np.ascontiguousarray(px[:, :, None] if px.ndim == 2 else px)
        kept = {f.name: getattr(data, f.name) for f in fields(ImageData) if f.name != "pixels"}
        path = kept["path"] = Path(kept["path"]) if kept["path"] is not None else None
        self.doc = Document(px, **kept, name=name or (path.name if path else "untitled"), runs=list(runs or []),
                            dirty=path is None if dirty is None else bool(dirty), noise=_Level(px, self.start_thread, data))
        self.mask = np.zeros(px.shape[:2], np.float32)
        self._mask_kept = None
        self.history.clear()
        self.run = self.review = self.trajectory = self._before = None
        self.events.document(document=self.doc)
        self.events.history()
        self._mask_changed(live=False, box=None)
        self.events.result()
        return self.doc

    def close(self):
        self.settle()
        self.doc, self.mask, self._mask_kept = None, None, None
        self.history.clear()
        self.events.document(document=None)
        self.events.history()
        self._mask_changed(live=False, box=None)

    def has_unsaved(self) -> bool:
        """The image holds runs its file does not, or lacks one its file holds: an accepted run since it
        was opened or saved, or one that was saved and then undone (the image on show is then not what
        the file it is named after holds). A pasted image with no run is not asked about."""
        self.settle()
        d = self.doc
        return d is not None and d.dirty and [id(r) for r in d.runs] != [id(r) for r in d.saved_runs]

    def mask_has_unused_edits(self) -> bool:
        """The mask holds edits that nothing keeps: it is not empty, and it changed (painted, erased,
        inverted, undone...) since a run last started from it, it was last exported or loaded from a
        file, or the image was opened. Replacing the image or closing would lose it (the history goes
        with the image), so only then is it worth a question; a mask kept after a run is not."""
        m = self.mask
        if m is None or not m.any():
            return False
        kept = self._mask_kept
        return kept is None or kept.shape != m.shape or not np.array_equal(kept, m)

    def mark_mask_kept(self, copy: np.ndarray | None = None):
        """The mask as it is now is kept elsewhere: it was exported, loaded from a file, or a run used it
        (``copy``: a copy of it already made, which nothing changes)."""
        self._mask_kept = None if self.mask is None else self.mask.copy() if copy is None else copy
        self.events.kept()

    def saved(self, path, quality: int | None = None):
        self.doc.mark_saved(Path(path), quality)
        self.events.saved(path=Path(path))

    def job(self, request, region=None, model=None) -> Job:
        """The job of ``request`` on the document and its mask, resolved by the rules the command
        line and the API use (core/run/jobs.py): a copy of the pixels, so edits during a run are safe.
        ``region``: a denoise's mask (painted, feathered by the request's ``feather`` as an inpainting's
        is) that limits it to the crop around it (core/run/regions.py).
        ``model``: the loaded checkpoint, whose card's defaults the request takes where it leaves them unset."""
        i = self.job_inputs(request, region, model)
        return resolve(i.request, i.image, i.mask, i.source, i.model)

    def job_inputs(self, request, region=None, model=None) -> JobInputs:
        """What :meth:`job` resolves (copies of the pixels and the mask), for the run's thread to resolve."""
        self.settle()
        if request.task == "sample":
            return JobInputs(request, model=model)
        if self.doc is None:
            raise ValueError(f"open an image to {request.task}")
        mask = self.mask.copy() if request.task == "inpaint" and self.mask is not None else region
        return JobInputs(request, self.doc.pixels.copy(), mask, self.doc.source, model)

    # -- the mask: every change goes through here -----------------------------------------------------
    def _mask_changed(self, live: bool, box, edit: MaskEdit | None = None):
        self._effective = self._covered = None
        self.events.mask(live=live, box=box, edit=edit)

    def covered(self) -> int | None:
        """How many pixels the mask fills (> 0; None without an image): counted once a change (maskops.covered),
        for the mask panel's line, the Run hint and the commands that need a mask."""
        if self._covered is None and self.mask is not None:
            self._covered = covered(self.mask)
        return self._covered

    def set_feather(self, amount: float):
        """Soften the mask's edge by ``amount`` px (what a run's request gets as ``feather``)."""
        amount = max(0.0, float(amount))
        if amount != self.feather:
            self.feather, self._effective = amount, None
            self.events.feather(feather=amount)

    def set_soft_mask(self, on: bool) -> bool:
        """Read a loaded mask's grey values as its edge (the request's ``soft_mask``) or not. Turned off, a mask
        holding grey values becomes the hard mask the run would read (undoable), so the mask shown is the mask
        run; returns whether the mask changed."""
        self.soft_mask = bool(on)
        m, loaded = self.mask, self._loaded_mask
        if m is None:
            return False
        if on:   # the loaded mask as it is still shown hard: its grey edge back
            if loaded is None or loaded.shape != m.shape or not np.array_equal(m, loaded > 0):
                return False
            return self.edit_mask(m.copy(), loaded, "soft mask edge")
        if not ((m > 0) & (m < 1)).any():
            return False
        return self.edit_mask(m.copy(), masks.prepare_mask(m, m.shape, soft=False), "hard mask edge")

    def effective_mask(self, copy: bool = True) -> np.ndarray | None:
        """The mask a run gets: the hard mask feathered by ``feather`` (core/run/masks.feather, the rule
        the command line applies); a new array unless ``copy`` is False (then do not modify it)."""
        if self.mask is None:
            return None
        if self._effective is None:
            self._effective = masks.feather(self.mask, self.feather)
        return self._effective.copy() if copy else self._effective

    def paint(self, op, *args) -> tuple | None:
        """A gesture paints: ``op(mask, *args)`` (a gui/model/maskops painter: paint_segment, paint_rect,
        paint_polygon) changes the mask in place and returns the box it touched. Not yet undoable:
        :meth:`end_gesture` records the gesture once it ends."""
        if self.mask is None:
            return None
        box = op(self.mask, *args)
        if box is not None:
            self._mask_changed(live=True, box=box)
        return box

    def end_gesture(self, before: np.ndarray, label: str) -> bool:
        """The gesture that started from the mask ``before`` ended: record it (False if it changed nothing)."""
        self.settle()   # after the Accept's step, as the user did them
        changed = self.history.record(before, self.mask, label)
        if changed:
            self.events.history()
        self._mask_changed(live=False, box=None)
        return changed

    def restore_mask(self, before: np.ndarray):
        """A gesture was abandoned: the mask is as it was before it (nothing recorded)."""
        if self.mask is not None and before.shape == self.mask.shape:
            self.mask[...] = before
            self._mask_changed(live=False, box=None)

    def edit_mask(self, before: np.ndarray, after: np.ndarray, label: str = "stroke") -> bool:
        """``after`` becomes the mask; record the change from ``before`` (False if nothing changed)."""
        self.settle()
        self.mask = np.ascontiguousarray(after, dtype=np.float32)
        changed = self.history.record(before, self.mask, label)
        if changed:
            self.events.history()
        self._mask_changed(live=False, box=None)
        return changed

    def set_mask(self, mask: np.ndarray, label: str = "load mask") -> bool:
        """Replace the mask (undoable) by ``mask`` as the app's runs read it (core/run/masks.prepare_mask,
        hard as the command line's default: any nonzero pixel is filled; with ``soft_mask`` its grey values).
        A loaded mask's grey pixels were kept, shown and exported half-filled, while the run filled them whole."""
        if self.mask is None:
            return False
        m = np.asarray(mask)
        if m.shape[:2] != self.mask.shape:
            raise ValueError(f"mask shape {m.shape} does not match the image {self.mask.shape}")
        self._loaded_mask = masks.prepare_mask(m, self.mask.shape, soft=True)   # its grey values, for Soft
        m = self._loaded_mask.copy() if self.soft_mask else masks.prepare_mask(m, self.mask.shape, soft=False)
        return self.edit_mask(self.mask.copy(), m, label)

    def invert_mask(self) -> bool:
        return self.mask is not None and self.edit_mask(self.mask.copy(), 1.0 - self.mask, "invert mask")

    def clear_mask(self) -> bool:
        return self.mask is not None and self.edit_mask(self.mask.copy(), np.zeros_like(self.mask), "clear mask")

    # -- the pixels: Accept, undo, redo ------------------------------------------------------------------
    def accept(self, pixels: np.ndarray, run: dict | None, label: str | None = None,
               measured: dict | None = None) -> bool:
        """A run's result of the document's size becomes the document (undoable, with its run record),
        as its file will hold it (rounded to the source's depth: Source.held), so that a file of several
        runs is what the command line makes by running each on the result saved by the one before, and
        replays so (dpm-studio replay --run K). ``measured``: those pixels, their noise level and picture
        already made (:class:`_Measured`): its pixels become the document's array (the old one the undo's)."""
        res = np.asarray(pixels, dtype=np.float32)
        res = res[:, :, None] if res.ndim == 2 else res
        if self.doc is None or res.shape != self.doc.pixels.shape:
            raise ValueError("a result of another size opens as a new document")
        label = label or f"accept {run.get('task', 'result') if run else 'result'}"
        was = self.doc.noise_sigma   # before the pixels change (an opened image's measure may still read them)
        if measured is not None:   # the review's rounded pixels become the document's, its old array the undo's
            before, self.doc.pixels = self.doc.pixels, measured["held"]
        else:
            before = self.doc.pixels.copy()   # handed to the history (owned): the one full copy an Accept makes
            self.doc.source.held(res, out=self.doc.pixels)   # rounded in place, in float32 (Source.held)
        if run is not None:   # what the file will hold, for a replay to compare (core/run/jobs.stamped)
            run.update(stamped(run, self.doc.pixels, self.doc.source, digest=(measured or {}).get("digest")))
        again = run is not None and self.doc.runs and _same_run(self.doc.runs[-1], run)
        # a run that changed no pixel is still in the file's record (as the command line's is), and undone
        # as a step; the same run again (same seed) on its own result is nothing new
        if not self.history.record(before, self.doc.pixels, label, kind="image", run=run, owned=True,
                                   keep=run is not None and not again, kept=_Measured.codes(measured),
                                   kept_before=(measured or {}).get("before")):
            return True
        if run is not None:
            self.doc.runs.append(run)
        # a denoised image is measured anew; the step keeps both levels, so an undo or redo measures nothing
        now = measured["sigma"] if measured is not None else estimate_noise_sigma(self.doc.pixels)
        self.history.last().noise = (was, now)
        self._pixels_changed(None, now, measured["u8"] if measured is not None else None)
        return True

    def _pixels_changed(self, edit: MaskEdit | None, sigma: float, u8: np.ndarray | None = None, patch=None):
        self.doc.dirty = True
        self.doc.noise_sigma = sigma
        self.events.pixels(edit=edit, u8=u8, patch=patch)
        self.events.history()

    def _array(self, kind: str) -> np.ndarray:
        return self.doc.pixels if kind == "image" else self.mask

    def undo(self) -> MaskEdit | None:
        self.settle()
        e = self.history.undo(self._array) if self.doc is not None else None
        if e is not None and e.kind == "image" and e.run is not None and self.doc.runs and self.doc.runs[-1] is e.run:
            self.doc.runs.pop()
        return self._stepped(e)

    def redo(self) -> MaskEdit | None:
        self.settle()
        e = self.history.redo(self._array) if self.doc is not None else None
        if e is not None and e.kind == "image" and e.run is not None:
            self.doc.runs.append(e.run)
        return self._stepped(e)

    def shown_run(self) -> dict | None:
        """The record of the run that made the pixels shown: the last accepted run the document still holds
        (after an undo the one before the undone run, after a redo the redone one); None for the image as
        opened, which no run of this session made. Its settings are what the controls show after a step."""
        return self.doc.runs[-1] if self.doc is not None and self.doc.runs else None

    def _stepped(self, e: MaskEdit | None) -> MaskEdit | None:
        if e is None:
            return None
        if e.kind == "image":
            sigma, patch = self.history.noise_shown(e), self.history.picture(e)   # patch: the codes, if 8-bit
            self._pixels_changed(e, estimate_noise_sigma(self.doc.pixels) if sigma is None else sigma, patch=patch)
        else:
            self.events.history()
            self._mask_changed(live=False, box=None, edit=e)   # an undo or redo: the window says which
        return e

    # -- the last run --------------------------------------------------------------------------------------
    def start_run(self, record: dict, job: Job | JobInputs | None = None):
        """A run starts (on copies of the pixels and mask); ``record`` is saved with its result (the run's
        thread sends the resolved one: :meth:`resolved`). When ``job`` (from :meth:`job` or
        :meth:`job_inputs`) uses the mask (it fills it, or a denoise is limited to it), the mask counts as
        used: it is no longer an unused edit (:meth:`mask_has_unused_edits`)."""
        self.settle()
        if job is not None and (job.mask is not None or getattr(job, "region", None) is not None):
            # the inputs' mask is a copy of the mask as it is (48 MB for 12 MP: not copied again)
            self.mark_mask_kept(job.mask if isinstance(job, JobInputs) else None)
        self.run, self.review, self.trajectory, self._chain = record, None, None, 0
        # the document as this run's Accept will keep it for undo, packed while the run goes (_Packed)
        sample = (record or {}).get("task") == "sample"   # opens as a new document: nothing to undo
        self._before = _Packed(self.doc.pixels) if self.doc is not None and not sample else None
        self.state = "running"
        self.events.result()

    def resolved(self, record: dict):
        """The running job was resolved (its noise measured): ``record`` is what its result is saved with."""
        if self.state == "running":
            self.run = record

    def finish_run(self, frame):
        """The run's last frame: its result goes under review (:class:`~.review.Review`, which starts making it
        as Accept would hold it)."""
        self.trajectory = frame.trajectory
        if self.run is not None:
            self.run["seconds"] = round(frame.elapsed, 2)
        self.review, self._before = Review(frame, self.run, self.doc, self._before), None
        self.state = "review"
        self.events.result()

    def end_run(self):
        """A run ended without a result (cancelled or failed): back to editing the untouched image."""
        self.leave_review()

    def leave_review(self):
        self.settle()   # an Accept chosen is done, not dropped (the window's Discard waits for it: run_control)
        self._chain = self.chain()   # the accepted draw's trajectory stays the one exported
        self.review = self._before = None
        self.state = "edit"
        self.events.result()

    def choose_variant(self, i: int):
        """Show variant ``i`` of the result under review (:meth:`.review.Review.choose`)."""
        if self.review is not None:
            self.review.choose(i)
            self.events.result()

    def chain(self) -> int:
        """Whose trajectory is shown and exported: the chosen draw's under review; after it, the draw it last showed
        (the accepted one: an export after Accept wrote chain 0, the mean's, whichever draw had been accepted)."""
        return self.review.chain() if self.review is not None else self._chain

    def result_image(self) -> np.ndarray | None:
        """The result under review (float (H, W, C): :meth:`.review.Review.image`), None when there is none."""
        return self.review.image() if self.review is not None and self.state == "review" else None

    def accepting(self) -> bool:
        """An Accept waits for its result's measure (:meth:`accept_later`): the result is still on show."""
        return self.review is not None and self.review.accepting

    def settle(self) -> str:
        """Do an Accept that waits for its result's measure (:meth:`accept_later`), waiting for it where it is not made
        yet: the window's slot once it is, and what needs the document as the Accept leaves it (a save, a run, an
        undo, an edit, another image) first; "accepted", or "" where none waits."""
        return self.accept_result() if self.accepting() else ""

    def accept_later(self, notify) -> str:
        """:meth:`accept_result` without waiting for the result's measure (0.5-4 s of a 12 MP photo under load) that
        is still being made (:meth:`.review.Review.later`): then "accepting", and it is done by :meth:`settle`."""
        r = self.review if self.state == "review" else None
        if r is not None and (r.accepting or r.later(notify, self.LATER_PIXELS)):
            return "accepting"
        return self.accept_result()

    def accept_result(self) -> str:
        """Accept the result under review: "accepted" into the document (undoable), or "opened"
        as a new document (a sample); "" when there is nothing to accept."""
        taken = self.review.taken() if self.review is not None and self.state == "review" else None
        if taken is None:
            return ""
        res, run, opens, measured = taken
        record, trajectory = self.run, self.trajectory
        self.leave_review()
        if opens:
            res = Source().held(res)   # as its (8-bit) file will hold it, as an accepted result is (accept)
            self.open_data(ImageData(res, None, None, "RGB" if res.shape[2] == 3 else "L"), "sample.png",
                           dirty=True, runs=[stamped(run, res, Source())])
            self.run, self.trajectory = record, trajectory   # still exportable, as after an Accept
            self.events.result()
            return "opened"
        self.accept(res, run, measured=measured)
        return "accepted"
