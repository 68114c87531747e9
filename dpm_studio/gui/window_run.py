"""The window's run side: starting and cancelling a run, its frames, the review of its result
(the trajectory, the variants and their spread), Accept and Discard, the noise level.

A mixin of :class:`~dpm_studio.gui.main_window.MainWindow`.
"""

from __future__ import annotations

import sys
import time
import traceback

import numpy as np
from PySide6.QtCore import QSignalBlocker, QTimer, Slot

from .frames import uncertainty_map
from .runner import RunJob
from ..core.jobs import has_colour
from ..core.noise import estimate_noise_sigma
from ..core.regions import MARGIN as REGION_MARGIN

__all__ = ["RunMixin", "REGION_MARGIN", "runs_phrase"]


def runs_phrase(n: int) -> str:
    """'1 run', '3 runs' (not '1 run(s)')."""
    return f"{n} run" + ("" if n == 1 else "s")



class RunMixin:
    """Run, review, accept (see the module docstring)."""

    def _check_run(self, st) -> str:
        """Why a run cannot start now ('' if it can)."""
        if self.runner.is_running():
            return "A run is in progress."
        if st.checkpoint is None:
            return "No image model is available: open a checkpoint (File \u203a Open Checkpoint)."
        if self._model_error:
            return self._model_error
        if st.task in ("inpaint", "denoise") and not self.canvas.has_image():
            return f"Open an image to {st.task} (or choose Sample)."
        if st.task == "inpaint":
            m = self.canvas.mask()
            if m is None or not (m > 0).any():
                return "Paint over the region to fill first (brush B, rectangle R, lasso L)."
            if self._grey_model_on_colour():
                return "A grey model fills a colour photo with colour noise: choose a colour model (photos-rgb)."
        return ""

    def _denoise_region(self):
        """Denoising with a mask (or a selection) painted: the feathered mask that limits the run to
        the crop around it (REGION_MARGIN px of context; core/regions.py); None for the whole image."""
        m = self.canvas.effective_mask()
        return m if m is not None and (m > 0).any() else None

    def _grey_model_on_colour(self) -> bool:
        """The selected model is grey and the image has colour (channels that differ, read on every
        4th pixel so a 10 MP photo is checked in milliseconds)."""
        loaded = self._loaded
        if loaded is None or loaded.channels != 1 or not self.canvas.has_image():
            return False
        return has_colour(self.canvas.image())  # the core's rule (core/jobs.check_model)

    def _update_hint(self):
        if self._state == "running":
            self.task_panel.set_hint("")
            return
        st = self.task_panel.settings()
        why = self._check_run(st)
        self.task_panel.set_hint(why)

    def run(self) -> bool:
        """Start the selected task on a copy of the image and mask."""
        if self.runner.is_running():
            return False
        st = self.task_panel.settings()
        why = self._check_run(st)
        if why:
            self.task_panel.set_hint(why)
            self.statusBar().showMessage(why, 5000)
            return False
        from ..core.checkpoint import CheckpointError

        try:
            loaded = self.model(st.checkpoint, st.device)
        except CheckpointError as e:
            self.dialogs.error("Cannot load checkpoint", str(e))
            return False
        except Exception as e:  # noqa: BLE001 - e.g. CUDA errors
            traceback.print_exc()
            self.dialogs.error("Cannot load checkpoint", f"{type(e).__name__}: {e}")
            return False
        if self._state == "review":
            self._leave_review(show_base=False)
        req = st.request()
        if req.task == "inpaint":
            req = req.replace(feather=self.canvas.feather())
        region = self._denoise_region() if req.task == "denoise" else None
        try:  # the command line's rules (core/jobs.py); a mask on a denoise limits it to the region
            job = self.session.job(req.validate(loaded), region)
        except ValueError as e:
            self.task_panel.set_hint(str(e))
            self.statusBar().showMessage(str(e), 5000)
            return False
        card = loaded.card
        self._run_info = job.metadata(loaded)
        if job.region is not None:
            self._run_info["region"] = list(job.region.box)
        self._result = None
        self._trajectory = None
        self.canvas.set_original(self.canvas.image() if st.task != "sample" else None)
        self._plot_total = None
        self.plots.start_run(1)
        self._run_started = time.perf_counter()
        self.runner.start(RunJob(loaded, job))
        self.task_panel.set_progress(0, 1, 0.0, None, "starting\u2026")   # not "idle" until the first frame
        self.result_bar.clear()
        self._set_state("running")
        self.canvas.setFocus()  # Space and \ work at once, and Space does not press Run again
        self.empty_label.setVisible(False)
        notes = [n for n in job.notes if not n.startswith("only the region")]
        if st.task == "denoise":
            from ..core.jobs import check_model
            notes += check_model(loaded, job)  # a grey model on colour: each channel on its own
        if job.region is not None:
            top, left, bottom, right = job.region.box
            notes.append(f"only the masked region ({right - left} \u00d7 {bottom - top} px); clear the mask "
                         "(Delete) to denoise the whole image")
        note = "".join(f"  Note: {n}." for n in notes)
        self.statusBar().showMessage(f"Running {st.task} with {card.get('name')}\u2026{note}")
        return True

    def cancel(self):
        if self.runner.is_running():
            self.runner.cancel()
            self.task_panel.cancel_button.setEnabled(False)
            self.statusBar().showMessage("Stopping after the current step\u2026")

    @Slot(object)
    def _on_frame(self, frame):
        if self._state != "running":
            return
        if frame.total != self._plot_total:
            self._plot_total = frame.total
            self.plots.start_run(frame.total)
        self.canvas.show_frame(frame.display(self._show_x0), frame.box, frame.patches)
        value, maximum, text = frame.progress
        self.task_panel.set_progress(value, maximum, frame.elapsed, frame.eta, text)
        self.result_bar.set_live(frame.index, frame.total, frame.t, frame.progress[2])
        self.plots.update_run(frame)

    @Slot(object)
    def _on_finished(self, frame):
        if frame is None:
            self._on_aborted(None)
            return
        self._result = frame
        self._trajectory = frame.trajectory
        self._set_state("review")
        self.plots.update_run(frame)
        self.plots.end_run()
        n = len(self._trajectory) if self._trajectory is not None else 0
        self.result_bar.set_review(True, n)
        if (self._run_info or {}).get("task") == "sample":   # not the open document's size
            h, w = frame.image.shape[:2]
            self.info_label.setText(f"{w}\u00d7{h} sample (Accept opens it as a new image)")
        # Sampling draws unrelated images, whose mean is a blur: show sample 1 (restoring shows the
        # posterior mean, its best estimate in squared error).
        n_samples = len(frame.samples or [])
        self._variant = 1 if n_samples and (self._run_info or {}).get("task") == "sample" else 0
        self.result_bar.set_variants(n_samples, self._variant)
        self._on_scrub(max(0, n - 1))
        took = frame.elapsed
        self._run_info["seconds"] = round(took, 2)
        value, maximum, text = frame.progress
        self.task_panel.set_progress(maximum, maximum, took, 0)
        self.task_panel.progress.setFormat(f"done: {text} in {took:.1f} s")
        self.statusBar().showMessage(
            f"Done in {took:.1f} s. Accept (Ctrl+Shift+Return) keeps the result; hold \\ to see the original.")
        self._update_title()

    @Slot(object)
    def _on_aborted(self, last):
        at = f" at {last.progress[2]}" if last is not None and last.progress[2] else ""
        self._end_run(f"cancelled{at}", f"Cancelled{at}. The image and mask are unchanged.", 6000)
        self._after_run()

    @Slot(object)
    def _on_errored(self, info):
        sys.stderr.write(info.traceback)
        self._end_run("failed", "The run failed; the image and mask are unchanged.", 8000)
        if not self._close_when_stopped:
            self.dialogs.error("Run failed", f"The run stopped with an error:\n\n{info.message}\n\n"
                                             "The image and mask are unchanged.")
        self._after_run()

    def _end_run(self, progress: str, status: str, ms: int):
        """A run that ends without a result: back to editing the untouched image, and say so."""
        self._set_state("edit")
        self.canvas.set_original(None)
        self.canvas.show_base()
        self.plots.end_run()
        self.task_panel.reset_progress(progress)
        self.statusBar().showMessage(status, ms)

    def _after_run(self):
        if self._close_when_stopped:
            self._close_when_stopped = False
            QTimer.singleShot(0, self.close)

    # -- variants: N samples beside their mean, and their spread -------------------------------------------
    def _samples(self) -> list:
        return (self._result.samples or []) if self._result is not None else []

    def showing_spread(self) -> bool:
        """The uncertainty view is shown: there is nothing to accept until a sample or the mean is picked."""
        samples = self._samples()
        return bool(samples) and getattr(self, "_variant", 0) == len(samples) + 1

    def _on_variant(self, i: int):
        self._variant = max(0, i)
        self.result_bar.accept_button.setEnabled(self._state == "review" and not self.showing_spread())
        self._update_actions()
        tr = self._trajectory
        if self._state == "review" and tr is not None:
            with QSignalBlocker(self.result_bar.slider):
                self.result_bar.slider.setValue(len(tr) - 1)
            self._on_scrub(len(tr) - 1)

    def _chain(self) -> int:
        """Whose trajectory is shown and exported: the chosen sample's (1..n), or the mean's (0)."""
        v, n = getattr(self, "_variant", 0), len(self._samples())
        return v if 1 <= v <= n else 0

    def _variant_picture(self):
        """What the chosen variant shows: a float image, or the uncertainty map (uint8)."""
        samples, v = self._samples(), getattr(self, "_variant", 0)
        if not samples or v == 0:
            return self._result.image
        if v <= len(samples):
            return samples[v - 1]
        picture, top = uncertainty_map(samples)
        self.statusBar().showMessage(f"Uncertainty: where the {len(samples)} samples disagree (their per-pixel "
                                     f"std); white = {top * 255:.0f} / 255 or more, black = they agree.")
        return picture

    def _on_scrub(self, k: int):
        tr = self._trajectory
        if tr is None or not (0 <= k < len(tr)):
            return
        last = k == len(tr) - 1
        if last and self._samples() and self._result is not None:
            self.canvas.show_frame(self._variant_picture())
        else:
            self.canvas.show_frame(tr.frame(k, self._show_x0, self._chain()))
        total = tr.total or (tr.indices[-1] + 1)
        step = tr.labels[k] if tr.labels and tr.labels[k] else f"step {tr.indices[k] + 1} / {total}"
        label = "result" if last else f"{step}   t = {tr.times[k]:.4g}"
        self.result_bar.step_label.setText(label)
        self.plots.set_cursor(tr.indices[k], tr.times[k])

    def result_image(self) -> np.ndarray | None:
        """The finished run's result (float (H, W, C)) while it is under review: the chosen
        sample, or the mean of the samples (also while their spread is shown)."""
        if self._result is None or self._state != "review":
            return None
        pic = self._variant_picture()
        return self._result.image if pic.dtype == np.uint8 else pic

    def accept_result(self) -> bool:
        if self._state != "review" or self._result is None:
            return False
        if self.showing_spread():
            self.statusBar().showMessage("The uncertainty view is a map, not a result: pick a sample or the mean "
                                         "to accept.", 6000)
            return False
        res = np.asarray(self.result_image(), dtype=np.float32)
        run = dict(self._run_info or {})
        n, v = len(self._samples()), getattr(self, "_variant", 0)
        if n:
            run["choice"] = f"sample {v} of {n}" if 1 <= v <= n else f"mean of {n}"
        if run.get("task") == "sample" or not self.canvas.has_image() or self.canvas.image_shape() != res.shape[:2]:
            return self._open_sample_result(res, run)
        self._leave_review(show_base=False)
        self.session.accept(res, run)   # the canvas shows the new pixels (a session event)
        self._show_noise_estimate(self.session.doc)
        self.statusBar().showMessage("Result accepted (Ctrl+Z undoes it). Save it with File \u203a Save As "
                                     "(Ctrl+Shift+S).", 6000)
        self._update_title()
        self._update_actions()
        return True

    def _open_sample_result(self, res, run) -> bool:
        """A sample opens as a new document (the open photo is never overwritten by it)."""
        if self.has_unsaved_document() and not self.dialogs.confirm(
                "Replace the edited image?", f"{self._name or 'The image'} has changes from "
                f"{runs_phrase(len(self._runs))} that are not saved, and the sample opens in its place. Open it "
                "anyway? (No keeps both: discard the sample, save the image, then sample again.)"):
            return False
        self._leave_review(show_base=False)
        doc = self.session.open(res, name="sample.png", dirty=True, runs=[run])
        self._show_noise_estimate(doc)
        self.info_label.setText(self._data.describe())
        self.statusBar().showMessage("The sample is open as a new image, sample.png. Save it with File \u203a "
                                     "Save As (Ctrl+Shift+S).", 6000)
        self._update_title()
        self._update_actions()
        return True

    def has_unsaved_document(self) -> bool:
        return self.session.has_unsaved()

    def discard_result(self) -> bool:
        if self._state != "review":
            return False
        self._leave_review()
        self.statusBar().showMessage("Result discarded.", 4000)
        return True

    def _leave_review(self, show_base: bool = True):
        self._result = None
        self.result_bar.set_variants(0)
        self.canvas.set_split(False)
        self.canvas.set_original(None)
        self._set_state("edit")
        self.info_label.setText(self._data.describe() if self._data is not None and self.canvas.has_image() else "")
        if show_base:
            if self.canvas.has_image():
                self.canvas.show_base()  # the view stays where the user put it, as Accept and Cancel keep it
            else:
                self.canvas.clear_image()
                self.empty_label.setVisible(True)
        self._update_title()

    def _on_image_edited(self):
        """Undo or redo of an accepted result changed the pixels (and so their noise level)."""
        msg = self.statusBar().currentMessage()
        if msg.startswith("Result accepted") or msg.startswith("Accepted the result"):
            self.statusBar().clearMessage()   # it no longer holds after Ctrl+Z
        self._show_noise_estimate(self.session.doc)
        e = self.session.history.last_step   # and back to the noise choice of the run it stepped over
        if e is not None and e.kind == "image":
            self.task_panel.noise_controls.restore(e.run, self.session.doc.noise_sigma * 255.0, self.task_panel.sigma)
        self._update_title()
        self._update_actions()

    def _show_noise_estimate(self, doc):
        """Each opened image gets its own noise level, measured and shown; none is carried over."""
        self._show_noise_level(doc.noise_sigma * 255.0)
        from ..core.noise_level import fit_noise_level

        # The curve drawn is fitted on a grid of windows (a quarter megapixel): what a run
        # fits on the whole image (core/jobs.py) to within its error bars, at a small cost.
        px = getattr(doc, "pixels", None)
        self._noise_fit = None if px is None else fit_noise_level(px[:, :, :3], max_pixels=256 * 256 * 4)
        self._plot_noise()

    @Slot()
    def _plot_noise(self):
        """The noise curve in the plots dock, as the Noise model controls say."""
        from .noise_view import noise_curves

        nc, s = self.task_panel.noise_controls, float(self.task_panel.sigma.value()) / 255.0
        self.plots.noise.show(noise_curves(getattr(self, "_noise_fit", None), s, nc.scale()),
                              use_constant=nc.noise() == "constant")

    def _show_noise_level(self, s: float):
        self.task_panel.show_estimate(s)

    def estimate_noise(self) -> float | None:
        img = self.canvas.image()
        if img is None:
            self.statusBar().showMessage("Open an image first", 3000)
            return None
        s = estimate_noise_sigma(img) * 255.0
        self._show_noise_level(s)
        self.statusBar().showMessage(f"Estimated noise std: {s:.1f} / 255", 5000)
        return s
