"""The run side of the window: build a request from the task panel and the session, start it on
the runner's thread, show its frames, and review its result (the trajectory, the variants and
their spread, Accept and Discard).

:class:`RunController` is owned by the main window (``window.runs``). What a run is about
(its record, result, trajectory and chosen variant) lives in the session; the controller only
shows it. The runner's worker signals are connected to its ``@Slot`` methods: it is a QObject
made in the GUI thread, so they run there (a lambda would run in the worker thread).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QSignalBlocker, QTimer, Signal, Slot

from .model.maskops import covered as covered_by
from .model.predicates import COMPARE
from .run_bar import fmt_seconds
from .runner import JobRefused, ModelNotLoaded, RunJob
from ..core.run.jobs import check_model, model_refusal
from ..core.run.regions import MARGIN as REGION_MARGIN

#: A result under review that took this long (s) to make is not discarded by Run without a question: a shorter one
#: is cheaper to make again than a question is to answer at every try of another seed.
LONG_RESULT_S = 30.0

__all__ = ["RunController", "REGION_MARGIN", "runs_phrase", "unsaved_changes", "unsaved_with_mask"]


def runs_phrase(n: int) -> str:
    """'1 run', '3 runs' (not '1 run(s)')."""
    return f"{n} run" + ("" if n == 1 else "s")


def unsaved_changes(doc) -> str:
    """'photo.png has changes from 2 runs that are not saved': the runs since it was last saved."""
    n = doc.unsaved_runs()
    return f"{doc.name or 'The image'} has changes" + (f" from {runs_phrase(n)}" if n else "") + " that are not saved"


def unsaved_with_mask(doc, changes: bool) -> str:
    """'The painted mask and the changes to photo.png from 1 run are not saved' (``changes``: the image
    has unsaved changes too), or 'The painted mask is not saved' (session.mask_has_unused_edits)."""
    if not changes:
        return "The painted mask is not saved: no run has used it since it was last changed"
    n = doc.unsaved_runs()
    return f"The painted mask and the changes to {doc.name or 'the image'}" + \
        (f" from {runs_phrase(n)}" if n else "") + " are not saved"


# The core's words for the command line, and the app's for the same thing (the box the user types in).
PAINT_FIRST = "Paint over the region to fill first (brush B, rectangle R, lasso L)."


def is_next_step(why: str) -> bool:
    """A reason Run is off that is just the next thing to do (or to wait for), not an error."""
    return why in (PAINT_FIRST, "A run is in progress.") or why.startswith(("Open an image to ", "Loading the model"))


_APP_WORDS = {"give the noise level (sigma)": "type its noise level in the Noise std box"}


def app_wording(message: str) -> str:
    """A request's or job's error (core/run/requests.py, core/run/jobs.py) as a sentence of the app's:
    capitalised, with a full stop, the command line's option names swapped for the app's boxes."""
    for cli, app in _APP_WORDS.items():
        message = message.replace(cli, app)
    message = message.strip()
    return message[:1].upper() + message[1:] + ("" if message.endswith((".", "!", "?")) else ".")


class RunController(QObject):
    """Run, cancel, review, accept (see the module docstring)."""

    measured = Signal()   # a result's measure that an Accept waits for is made (emitted in its thread)

    def __init__(self, window):
        super().__init__(window)
        self.w, self.session, self.runner = window, window.session, window.runner
        self.measured.connect(self._on_measured)
        self.close_when_stopped = False   # the window closes once the step still computing ends
        self._plot_total = None
        self._run_started = 0.0
        self._running = ""   # "Running denoise with photos-rgb-v2": the status during a run
        self._notes = ""     # the run's notes ("  Note: ..."), said while it runs and again when it is done
        self._loaded = None   # the run's model
        self._waiting = False   # an Accept of ours waits for its result's measure (accept_result)
        self.runner.stage.connect(self._on_stage)
        self.runner.frame.connect(self._on_frame)
        self.runner.finished.connect(self._on_finished)
        self.runner.aborted.connect(self._on_aborted)
        self.runner.errored.connect(self._on_errored)

    def _status(self, text: str, ms: int = 0):
        self.w.statusBar().showMessage(text, ms)

    # -- before a run ---------------------------------------------------------------------------------
    def why_not(self, st, covered: int | None = None) -> str:
        """Why the task panel's settings ``st`` cannot run now ('' if they can). ``covered``: the mask's pixels
        (maskops.covered), where the caller counted them."""
        if self.runner.is_running():
            return "A run is in progress."
        if st.checkpoint is None and self.w.checkpoints.listing:
            return "Loading the models\u2026"
        if self.w.checkpoints.loading():
            return f"Loading the model {Path(self.w.checkpoints.loading()).stem}\u2026"
        if st.checkpoint is None:
            return "No image model is available: open a checkpoint (File \u203a Open Checkpoint)."
        if self.w.checkpoints.model_error:
            return self.w.checkpoints.model_error
        if st.task in ("inpaint", "denoise") and self.session.doc is None:
            return f"Open an image to {st.task} (or choose Sample)."
        if st.task == "inpaint":
            if not (covered if covered is not None else covered_by(self.session.mask)):
                return PAINT_FIRST
        doc = self.session.doc
        why = model_refusal(self.w.checkpoints.loaded, st.task, None if doc is None else doc.pixels)
        return app_wording(why) if why else ""   # the core's sentence (core/run/jobs.model_refusal), as the CLI's

    def update_hint(self, covered: int | None = None):
        """Under Run: why it cannot run, else what it will do that the user may not expect (a denoise limited
        to the mask left from an inpainting), else nothing. ``covered``: the mask's pixels (maskops.covered),
        where the caller counted them (a task switch counts once for this and the mask panel)."""
        tp = self.w.task_panel
        if self.session.state == "running":
            return tp.set_hint("")
        st = tp.settings()
        if covered is None and st.task in ("inpaint", "denoise") and self.session.doc is not None:
            covered = covered_by(self.session.mask)   # one pass, for both questions below
        why = self.why_not(st, covered)
        # the next step (open an image, paint the region) or a wait is a hint in the text's colour: red only
        # for what is wrong (no model, a model that cannot do this). The red read as an error as soon as an
        # image opened for inpainting.
        tp.set_hint(why or self.region_note(st, covered), note=not why or is_next_step(why))

    def region_note(self, st, covered: int | None = None) -> str:
        """A denoise with a mask painted works on the masked region only: say so before Run, not after.
        ``covered``: the mask's pixels, where counted (maskops.covered)."""
        m = self.session.mask if st.task == "denoise" and self.session.doc is not None else None
        n = None if m is None else covered if covered is not None else covered_by(m)
        if not n:   # _denoise_region's test, without its copy (48 MB at 12 MP) or a second pass
            return ""
        return f"Denoises the masked region only ({100.0 * n / m.size:.1f}%): Delete clears the mask."   # two lines at most

    def _denoise_region(self):
        """Denoising with a mask (or a selection) painted: the painted mask, which the run (with the
        request's ``feather``) limits to the crop around it (REGION_MARGIN px of context;
        core/run/regions.py), as ``denoise --mask`` does; None for the whole image."""
        m = self.session.mask
        return m.copy() if m is not None and (m > 0).any() else None

    # -- a run ----------------------------------------------------------------------------------------------
    def _may_drop_result(self) -> bool:
        """Run while a result waits under review discards it: one that took LONG_RESULT_S or more to make is not
        discarded without a question. A slipped Ctrl+Return (Accept is Ctrl+Shift+Return) threw away a 12 MP
        denoise of half an hour, with nothing said and nothing to undo."""
        took = float((self.session.run or {}).get("seconds") or 0.0)
        return took < LONG_RESULT_S or self.w.dialogs.confirm(
            "Discard the result?", f"The result under review took {fmt_seconds(took)} to make, and running again "
            "discards it. Run anyway? (No keeps it: Accept makes it the image.)")

    def run(self) -> bool:
        """Start the selected task on a copy of the image and mask."""
        w, tp = self.w, self.w.task_panel
        if self.runner.is_running():
            return False
        self.finish_accept()   # the run starts from the accepted result
        st = tp.settings()
        why = self.why_not(st)
        if why:
            tp.set_hint(why)
            self._status(why, 5000)
            return False
        if self.session.state == "review" and not self._may_drop_result():
            return False
        loaded = w.checkpoints.run_model(st.checkpoint)
        if loaded is None:
            return False
        if self.session.state == "review":
            self.leave_review(show_base=False)
        req = st.request()
        region = self._denoise_region() if req.task == "denoise" else None
        if req.task == "inpaint" or region is not None:   # the mask is used: read as the request says
            req = req.replace(feather=self.session.feather, soft_mask=self.session.soft_mask)
        try:  # the settings' own rules; the job's (core/run/jobs.py) are the run thread's, which measures the image
            inputs = self.session.job_inputs(req.validate(loaded), region, loaded)
            why = model_refusal(loaded, req.task, inputs.image)   # the model loaded now may not be the one shown
            if why:
                raise ValueError(why)
        except ValueError as e:
            return self._refuse(app_wording(str(e)))
        doc = self.session.doc
        # the picture the canvas shows already (uint8): converting the pixels again took 0.14 s of a 12 MP Run
        w.canvas.set_original(w.canvas.base_u8() if st.task != "sample" and doc is not None else None)
        self._plot_total = None
        w.plots.start_run(1)
        self._run_started = time.perf_counter()
        # on the run's device in the run's thread (the model shown is the CPU's): a CUDA load took seconds on Run
        self.runner.start(RunJob(loaded, inputs, device=st.device))
        tp.set_progress(0, 1, 0.0, None, "starting\u2026")   # not "idle" until the first frame
        w.result_bar.clear()
        # the record until the job is resolved (_on_stage); a job that uses the mask: its edits are used
        self.session.start_run(inputs.request.metadata(loaded), inputs)
        w.canvas.setFocus()  # Space and \ work at once, and Space does not press Run again
        w.empty_label.setVisible(False)
        if st.task == "sample":   # the canvas shows the sample, not the open image: say what it shows
            h, wd = st.size
            w.info_label.setText(f"{wd}\u00d7{h} sample, drawing")
        self._running, self._loaded = f"Running {st.task} with {loaded.card.get('name')}", loaded
        self._notes = ""
        self._status(self._running + "\u2026")
        return True

    def _refuse(self, why: str) -> bool:
        self.w.task_panel.set_hint(why)
        self._status(why, 5000)
        return False

    @Slot(object)
    def _on_stage(self, stage):
        """The run's thread measures the image (``stage.text``), or has resolved the job: its record is the
        run's, and its notes are said."""
        if self.session.state != "running":
            return
        if stage.job is None:
            took = time.perf_counter() - self._run_started
            self.w.task_panel.set_progress(0, 1, took, None, stage.text + "\u2026")
            self._status(f"{self._running}: {stage.text}\u2026")
            return
        job, loaded = stage.job, self._loaded
        # measured: the model runs now (the bar said "measuring the noise level" through a 12 MP photo's first tile)
        self.w.task_panel.set_progress(0, 1, time.perf_counter() - self._run_started, None, "running the model\u2026")
        self.session.resolved(stage.record)   # the command line's record: a region's crop is its region_box
        notes = [n for n in job.notes if not n.startswith("only the region")] + list(loaded.notes)
        notes += check_model(loaded, job)   # a grey model on a colour denoise: each channel on its own
        if job.region is not None:
            top, left, bottom, right = job.region.box
            notes.append(f"only the masked region ({right - left} \u00d7 {bottom - top} px); clear the mask "
                         "(Delete) to denoise the whole image")
        self._notes = "".join(f"  Note: {n}." for n in notes)
        self._status(self._running + "\u2026" + self._notes)

    def cancel(self):
        if self.runner.is_running():
            self.runner.cancel()
            self.w.task_panel.run_bar.stopping()
            self._status("Stopping after the current step\u2026")

    @Slot(object)
    def _on_frame(self, frame):
        if self.session.state != "running":
            return
        w = self.w
        if frame.total != self._plot_total:
            self._plot_total = frame.total
            w.plots.start_run(frame.total)
        w.canvas.show_frame(frame.display(w.show_x0), frame.box, frame.patches)
        value, maximum, text = frame.progress
        w.task_panel.set_progress(value, maximum, frame.elapsed, frame.eta, text)
        w.result_bar.set_live(frame.index, frame.total, frame.t, frame.progress[2])
        w.plots.update_run(frame)

    @Slot(object)
    def _on_finished(self, frame):
        if frame is None:
            self._on_aborted(None)
            return
        w, s = self.w, self.session
        s.finish_run(frame)   # the window shows the review (a session event)
        w.plots.update_run(frame)
        w.plots.end_run()
        n = len(s.trajectory) if s.trajectory is not None else 0
        w.result_bar.set_review(True, n, COMPARE(s))
        if (s.run or {}).get("task") == "sample":   # not the open document's size
            h, wd = frame.image.shape[:2]
            w.info_label.setText(f"{wd}\u00d7{h} sample (Accept opens it as a new image)")
        w.result_bar.set_variants(len(frame.samples or []), s.review.variant)
        self.scrub(max(0, n - 1))
        took = frame.elapsed
        model = (s.run or {}).get("checkpoint")   # the model the run used (the picker may show another task's since)
        by = f" with {model}" if model else ""
        by += f".{self._notes} "   # the command line's notes stay on its screen: here they stay in the status too
        value, maximum, text = frame.progress
        w.task_panel.set_progress(maximum, maximum, took, 0)
        w.task_panel.progress.setFormat(f"done: {text} in {took:.1f} s")
        if COMPARE(s):
            self._status(f"Done in {took:.1f} s{by}Accept (Ctrl+Shift+Return) keeps the result; hold \\ to see "
                         "the original.")
        else:   # a drawn sample: no original to see, and Accept opens it
            self._status(f"Done in {took:.1f} s{by}Accept (Ctrl+Shift+Return) opens the sample as a new image.")
        w.update_title()

    @Slot(object)
    def _on_aborted(self, last):
        at = f" at {last.progress[2]}" if last is not None and last.progress[2] else ""
        self._end_run(f"cancelled{at}", f"Cancelled{at}. The image and mask are unchanged.", 6000)
        self._after_run()

    @Slot(object)
    def _on_errored(self, info):
        if isinstance(info.exception, JobRefused):   # the job's rules, once the image was measured: a hint
            why = app_wording(str(info.exception))
            self._end_run("not run", why, 8000)
            self._refuse(why)
            return self._after_run()
        sys.stderr.write(info.traceback)
        if isinstance(info.exception, ModelNotLoaded):   # onto the run's device, in the run's thread
            self._end_run("not run", "The model could not be loaded; the image and mask are unchanged.", 8000)
            if not self.close_when_stopped:
                self.w.dialogs.error("Cannot load checkpoint", str(info.exception))
            return self._after_run()
        self._end_run("failed", "The run failed; the image and mask are unchanged.", 8000)
        if not self.close_when_stopped:
            self.w.dialogs.error("Run failed", f"The run stopped with an error:\n\n{info.message}\n\n"
                                               "The image and mask are unchanged.")
        self._after_run()

    def _end_run(self, progress: str, status: str, ms: int):
        """A run that ends without a result: back to editing the untouched image, and say so."""
        w = self.w
        self.session.end_run()
        doc = self.session.doc
        w.info_label.setText(doc.describe() if doc is not None else "")
        w.canvas.set_original(None)
        w.canvas.show_base()
        w.plots.end_run()
        w.task_panel.reset_progress(progress)
        self._status(status, ms)

    def _after_run(self):
        if self.close_when_stopped:
            self.close_when_stopped = False
            QTimer.singleShot(0, self.w.close)

    # -- review: the trajectory, N samples beside their mean, and their spread ----------------------------------
    def choose_variant(self, i: int):
        s, rb = self.session, self.w.result_bar
        s.choose_variant(i)
        self.w.update_actions()   # Accept greyed on the spread, saying why (set_choices)
        tr = s.trajectory
        if s.state == "review" and tr is not None:
            with QSignalBlocker(rb.slider):
                rb.slider.setValue(len(tr) - 1)
            self.scrub(len(tr) - 1)

    def scrub(self, k: int):
        """Show the k-th recorded frame of the chosen chain (the last: the chosen variant)."""
        s, w = self.session, self.w
        tr = s.trajectory
        if tr is None or not (0 <= k < len(tr)):
            return
        last = k == len(tr) - 1
        r = s.review
        if last and r is not None and r.samples():
            picture, top = r.picture()
            if top is not None:
                self._status(f"Uncertainty: where the {len(r.samples())} samples disagree (their per-pixel std); "
                             f"white = {top * 255:.0f} / 255 or more, black = they agree.")
            w.canvas.show_frame(picture)
        else:
            w.canvas.show_frame(tr.frame(k, w.show_x0, s.chain()))
        total = tr.total or (tr.indices[-1] + 1)
        step = tr.labels[k] if tr.labels and tr.labels[k] else f"step {tr.indices[k] + 1} / {total}"
        w.result_bar.step_label.setText("result" if last else f"{step}   t = {tr.times[k]:.4g}")
        w.plots.set_cursor(tr.indices[k], tr.times[k])

    def accept_result(self) -> bool:
        s, w = self.session, self.w
        if s.state != "review" or s.review is None:
            return False
        if s.accepting():   # chosen already (before has_unsaved, which would do it now: session.settle)
            return True
        if s.review.showing_spread():
            self._status("The uncertainty view is a map, not a result: pick a sample or the mean to accept.", 6000)
            return False
        doc, changes, mask = s.doc, s.has_unsaved(), s.mask_has_unused_edits()
        if s.review.opens_new() and (changes or mask):   # the sample replaces the image, its mask and history
            lost = unsaved_with_mask(doc, changes) if mask else unsaved_changes(doc)
            keep = " and ".join(k for k, on in (("save the image", changes), ("export the mask", mask)) if on)
            if not w.dialogs.confirm("Replace the edited image?", f"{lost}, and the sample opens in its place. "
                                     f"Open it anyway? (No keeps both: discard the sample, {keep}, then sample "
                                     "again.)"):
                return False
        self._clear_review()
        # the canvas and the window show it (session events); the GUI thread does not wait for the result's measure
        how = s.accept_later(self.measured.emit)
        if how == "accepting":   # done by _on_measured, once the result's measure is made: the GUI goes on meanwhile
            self._waiting = True
            self._status("Accepting the result\u2026", 0)
            w.update_actions()   # chosen: nothing to accept, discard or choose while it is done (greyed, saying so)
            return True
        return self._accepted(how)

    @Slot()
    def _on_measured(self):
        """The measure a waiting Accept needs is made: it is done now (session.settle), unless what needed it
        did it first (session.settle: an undo, an edit, another image)."""
        if self.session.accepting():
            self._accepted(self.session.settle())
        elif self._waiting:
            self._waiting = False
            self.w.update_title()
            self.w.update_actions()

    def finish_accept(self):
        """An Accept that waits for its result's measure is done first, waiting for it (a run, a save)."""
        if self.session.accepting():
            self._status("Accepting the result\u2026", 0)
            self._accepted(self.session.settle())

    def _accepted(self, how: str) -> bool:
        w = self.w
        self._waiting = False
        if how == "opened":
            self._status("The sample is open as a new image, sample.png. Save it with File \u203a Save "
                         "(Ctrl+S).", 6000)
        else:
            hidden = " The mask is hidden to show it (M shows it)." if w.hide_mask_for_result() else ""
            self._status("Result accepted (Ctrl+Z undoes it). Save it with File \u203a Save (Ctrl+S)."
                         + hidden, 6000)
        w.update_title()
        w.update_actions()
        return bool(how)

    def discard_result(self) -> bool:
        if self.session.state != "review" or self.session.accepting():   # Accept was chosen: it is being done
            return False
        self.leave_review()
        self._status("Result discarded.", 4000)
        return True

    def _clear_review(self):
        w = self.w
        w.result_bar.set_variants(0)
        w.canvas.set_split(False)
        w.canvas.set_original(None)

    def leave_review(self, show_base: bool = True):
        """Back to editing: the result is dropped (its trajectory stays for the exports)."""
        w = self.w
        self._clear_review()
        self.session.leave_review()
        doc = self.session.doc
        w.info_label.setText(doc.describe() if doc is not None else "")
        if show_base:
            if doc is not None:
                w.canvas.show_base()  # the view stays where the user put it, as Accept and Cancel keep it
            else:
                w.canvas.clear_image()
                w.empty_label.setVisible(True)
        w.update_title()

    def result_image(self) -> np.ndarray | None:
        """The result under review (see :meth:`Session.result_image`)."""
        return self.session.result_image()
