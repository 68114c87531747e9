"""A saved run record back in the app's controls: the one request the record holds
(core/run/requests.request_of_record, replay's reading too) shown in the task panel, the mask panel and
"More settings", so a result the command line (or the app) made can be made again or changed in the app.

- :func:`use_saved_result` (Run > Use Settings of a Saved Result…): every setting of the last run a
  result file carries, with its model and task; the settings the app has no box for (gui/more_settings.CLI_ONLY)
  are carried, shown on the "From the record" row, not reset to the request's defaults.
- :func:`show_step`: undo or redo of an accepted result gives back the settings of the run that made the image
  now shown (after an undo the run before the undone one; after a redo the redone one), all but its model and
  device and the mask's Feather and Soft; the image as opened (no run made it) leaves the controls as they are.
"""

from __future__ import annotations

from pathlib import Path

from ..core.run.requests import CLIP_STEPS, request_of_record
from .more_settings import card_default
from .noise_view import run_noise_choice

__all__ = ["show_step", "show_request", "use_saved_result"]


def _request(run):
    """The request of run record ``run``, or None where it holds none a run could make."""
    if not isinstance(run, dict):
        return None
    try:
        return request_of_record(run).validate()
    except (TypeError, ValueError):
        return None


def _resolved(window, req) -> dict:
    """What the app resolves itself for the command-line-only settings a request leaves unset (the open file's
    levels, the device's tile batch, the model's censoring steps): a record's equal values are not carried."""
    from ..core.run.jobs import default_tile_batch

    doc = window.session.doc
    card = window.task_panel.current_card()
    return {"levels": None if doc is None else doc.source.levels, "tile_batch": default_tile_batch(req.device),
            "clip_steps": card_default(card, "denoise", "clip_steps", CLIP_STEPS)}


def _uses_mask(run: dict) -> bool:
    return run.get("task") == "inpaint" or "mask_sha256" in run


def show_step(window) -> bool:
    """Undo or redo stepped over an accepted result: the controls show the settings of the run that made the
    pixels now shown (:meth:`~.model.session.Session.shown_run`), so the panel describes the image on screen;
    False (the controls as they are) for the image as opened, which no run made. Not its model and device (an
    undo is instant: choosing a model loads it, a device is the machine's) nor the mask's Soft and Feather (how
    the mask is read stays with the mask: turning Soft off during an undo would write a mask edit into the
    history being stepped through, and lose the redo)."""
    run = window.session.shown_run()
    return run is not None and show_request(window, run, step=True) == []


def show_request(window, run: dict, step: bool = False) -> list[str]:
    """Every setting of run record ``run`` in the controls: its task and model, the panel's boxes, the mask's
    feather and soft edge, More settings (``step``, an undo or redo: not the model, the device or the mask's:
    :func:`show_step`). Returns what could not be shown (each a short phrase)."""
    req = _request(run)
    if req is None:
        return ["its settings cannot run"]
    tp, task, missed = window.task_panel, req.task, []
    tp.set_task(task)
    name = None if step else run.get("checkpoint")
    if name and not window.checkpoints.select(str(name)):
        missed.append(f"its model {name} is not listed")
    if req.steps is None:
        tp.steps_all.setChecked(True)
    else:
        tp.steps_all.setChecked(False)
        tp.steps.setValue(int(req.steps))
    tp.seed.setValue(int(req.seed))
    tp.samples.setValue(int(req.samples))
    tp.variance.setCurrentIndex(max(0, tp.variance.findData(req.variance)))
    if not step and tp.device.findData(req.device) >= 0:
        tp.device.setCurrentIndex(tp.device.findData(req.device))
    elif not step:
        missed.append(f"its device {req.device} is not here")
    if task == "inpaint":
        tp.mode.setCurrentIndex(max(0, tp.mode.findData(req.mode)))
        if req.mode != "exact":
            tp.smc.setChecked(bool(req.smc))
            tp.start.setCurrentIndex(max(0, tp.start.findData(req.start)))
        if req.mode == "forward-approx" and not req.smc:   # jumps of 0 ("off") too
            tp.jump_length.setValue(int(req.jump_length))
            tp.jump_n.setValue(int(req.jump_n_sample))
        tp.pages["inpaint"].set_grain(req.grain)
    elif task == "denoise":
        tp.method.setCurrentIndex(max(0, tp.method.findData(req.method)))
        if req.method == "sample":
            tp.smc.setChecked(bool(req.smc))
        doc = window.session.doc
        estimate = None if doc is None else doc.noise_sigma * 255.0
        if run_noise_choice(run, estimate) is not None:
            tp.noise_controls.restore(run, estimate, tp.sigma)
        if req.region is not None and not step:
            missed.append("its region (paint it as the mask: the app denoises inside a painted mask)")
    else:
        h, w = req.size
        tp.height_spin.setValue(int(h))
        tp.width_spin.setValue(int(w))
    if _uses_mask(run) and not step:
        window.mask_panel.feather.setValue(float(req.feather))
        window.mask_panel.soft.setChecked(bool(req.soft_mask))
    tp.more_settings.show(req, _resolved(window, req))
    return missed


def use_saved_result(window, path=None) -> bool:
    """Run > Use Settings of a Saved Result…: the last run of a result file (``path``; None asks for one) in the
    controls, to run again on the open image or to change first."""
    import traceback

    from .. import imageio
    from ..imageio import ImageIOError

    if path is None:
        from .dialogs import IMAGE_FILTER

        path = window.dialogs.open_file("Use Settings of a Saved Result", window.files.last_folder(), IMAGE_FILTER)
        if not path:
            return False
    say, name = window.statusBar().showMessage, Path(path).name
    try:
        meta = imageio.load_image(path).metadata
    except ImageIOError as e:
        window.dialogs.error("Cannot read the result", str(e))
        return False
    except Exception as e:  # noqa: BLE001 - a decoder bug must not take the app down (as File > Open)
        traceback.print_exc()
        window.dialogs.error("Cannot read the result", f"{name}: unexpected error while reading ({e})")
        return False
    runs = meta.get("runs") if isinstance(meta, dict) else None
    if not isinstance(runs, list) or not runs:
        say(f"{name} carries no run record: it was not made by DPM Studio", 8000)
        return False
    missed = show_request(window, runs[-1])
    if missed == ["its settings cannot run"]:
        say(f"The last run of {name}: its settings cannot run (an edited record?); the controls are as they were",
            8000)
        return False
    note = f" (not shown: {'; '.join(missed)})" if missed else ""
    say(f"The settings of the last run of {name} ({len(runs)} in all) are in the controls{note}", 10000)
    return True
