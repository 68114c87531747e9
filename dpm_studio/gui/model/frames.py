"""A run's frames as the app sees them, without Qt: where each one lies, how far along it is.

:func:`task_frames` wraps :func:`dpm_studio.core.run.tasks.run_task` and does the per-step
bookkeeping in the worker thread: the RMS change per step, a bounded recording of the
trajectory as uint8 crops with their boxes (:class:`Trajectory`), and the progress in the
units the user chose (:func:`progress_text`).

A frame of a large image shows only the crop being worked on; its ``box`` (top, left,
bottom, right) says where that crop lies in the image, and :func:`composite` puts it
there, so the canvas and every export show the whole image at its own size.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from .analysis import frame_indices, rms_change
from ...core.run.regions import Region, region_box  # noqa: F401  (the app's names for the core's region denoise)
from ...imageio import from_uint8, to_uint8

__all__ = ["Frame", "Trajectory", "RunJob", "JobInputs", "Stage", "JobRefused", "ModelNotLoaded", "Region", "region_box", "RunCancelled",
           "task_frames", "measuring", "composite", "progress_text", "uncertainty_map"]


class RunCancelled(Exception):
    """Raised inside a run's network call once its stop flag is set: the run ends there."""


class ModelNotLoaded(Exception):
    """The run's model could not be loaded onto its device in the run's thread (:attr:`RunJob.device`): the
    reason, as the user reads it (the checkpoint's error, or the device's: out of memory, a driver fault)."""


class JobRefused(ValueError):
    """The job's rules refused the run once its inputs were measured (core/run/jobs.py: one line a user
    can act on, e.g. an image with no measurable noise): not a failure of the run."""


@dataclass
class JobInputs:
    """What a job is resolved from (core/run/jobs.resolve's arguments), copied when Run is pressed. The run's
    thread resolves it: on a 12 MP photo the noise fit, the grain's and the mask's take about a second,
    which froze the window when it was done on Run (docs/speed.md)."""

    request: object
    image: np.ndarray | None = None
    mask: np.ndarray | None = None
    source: object = None
    model: object = None

    def steps(self):
        """The core's resolver as a generator of Measuring records; returns the job."""
        from ...core.run.jobs import resolve_steps

        return resolve_steps(self.request, self.image, self.mask, self.source, self.model)


@dataclass
class Stage:
    """A run's step before its first network pass: what is measured now (``text``, e.g. "fitting the
    noise"), or, with ``job``, the job resolved, with its ``record`` (what a saved result carries)."""

    text: str = ""
    job: object = None
    record: dict | None = None


class _StoppableNet:
    """The run's network, checking the stop flag before each evaluation.

    A step record comes after a whole tile's work (a posterior-mean tile is up to ten network
    passes: eight views and two for clipped pixels, 1.8-4 s here), so a flag read between
    records made Cancel wait for the tile; read before each pass it waits for one pass."""

    def __init__(self, net, stop):
        self.net, self.stop = net, stop

    def before_pass(self):
        """Called before each pass, the frozen passes' included (core/run/frozen.network_of)."""
        if self.stop.is_set():
            raise RunCancelled()

    def __call__(self, *args, **kwargs):
        self.before_pass()
        return self.net(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.net, name)


def _paste(out: np.ndarray, crop: np.ndarray, box):
    top, left, bottom, right = box
    if crop.shape[2] != out.shape[2]:  # e.g. a grey crop of a grey image shown as RGB
        crop = np.repeat(crop[:, :, :1], out.shape[2], axis=2) if out.shape[2] > crop.shape[2] \
            else crop[:, :, :out.shape[2]]
    out[top:bottom, left:right] = crop


def composite(base_u8: np.ndarray | None, crop_u8: np.ndarray, box, patches=()) -> np.ndarray:
    """``crop_u8`` pasted into a copy of ``base_u8`` at ``box``, over the ``patches`` ((box, crop)
    pairs: the pieces the run has finished); the crop itself when there is no box."""
    if box is None or base_u8 is None:
        return crop_u8
    out = base_u8.copy()
    for b, c in patches:
        _paste(out, c, b)
    _paste(out, crop_u8, box)
    return out


def uncertainty_map(samples: list) -> tuple[np.ndarray, float]:
    """The per-pixel spread of the samples as a picture, and the spread shown as white.

    The spread is the std over the draws, averaged over channels; it is scaled so that its
    99th percentile among the pixels where the draws differ is white, through a heat scale
    (black, red, yellow, white), so a small disagreement is still visible. Returns
    (uint8 (H, W, 3), the std in [0, 1] units that maps to white)."""
    s = np.std(np.stack([np.asarray(x, np.float32) for x in samples]), axis=0).mean(axis=2)
    moving = s[s > 0]
    top = float(np.percentile(moving, 99)) if moving.size else 0.0
    v = np.clip(s / top, 0.0, 1.0) if top > 0 else s
    heat = np.stack([np.clip(3 * v, 0, 1), np.clip(3 * v - 1, 0, 1), np.clip(3 * v - 2, 0, 1)], axis=2)
    return to_uint8(heat), top


def _mean_u8(crops: list) -> np.ndarray:
    return np.rint(np.mean(np.stack(crops).astype(np.float32), axis=0)).astype(np.uint8)


def _pick(one, draws, variant: int):
    """The crop a variant shows: ``one`` for a single draw, draw ``variant`` (1..n), or the draws' mean."""
    if not draws:
        return one
    if 1 <= variant <= len(draws):
        return draws[variant - 1]
    return _mean_u8(draws)


@dataclass
class Trajectory:
    """A bounded recording of a run: uint8 crops of x_t and of the x_0 estimate per kept step,
    with the box each lies in; :meth:`frame` gives them composited into the input image.

    A run with several samples records every draw's own chain (``draws``, ``draws_x0``, and
    each finished piece's ``patch_draws``) and its results (``samples``), so each sample
    has its own trajectory ending on that sample, and the mean's ends on the mean."""

    indices: list = field(default_factory=list)
    times: list = field(default_factory=list)
    x: list = field(default_factory=list)
    x0: list = field(default_factory=list)
    boxes: list = field(default_factory=list)
    labels: list = field(default_factory=list)   # progress in the user's units at each kept step
    finished: list = field(default_factory=list)  # the pieces finished so far at each kept step (a count)
    patches: list = field(default_factory=list)   # (box, crop) of every finished piece, in order
    draws: list = field(default_factory=list)     # per kept step: each draw's x_t crop (uint8), or None
    draws_x0: list = field(default_factory=list)  # per kept step: each draw's x_0 crop, or None
    patch_draws: list = field(default_factory=list)  # per finished piece: each draw's crop, or None
    samples: list | None = None   # the last frame's draws as whole images (uint8); its x is their mean
    total: int = 0
    base: np.ndarray | None = None   # the input image (uint8), what the crops are pasted into

    def __len__(self) -> int:
        return len(self.indices)

    def append(self, index, t, image_u8, x0_u8, box=None, label="", finished=0, draws=None, draws_x0=None):
        self.labels.append(label)
        self.finished.append(int(finished))
        self.indices.append(int(index))
        self.times.append(float(t))
        self.x.append(image_u8)
        self.x0.append(x0_u8)
        self.boxes.append(box)
        self.draws.append(draws)
        self.draws_x0.append(draws_x0)

    def n_draws(self) -> int:
        return len(self.samples) if self.samples else 0

    def frame(self, k: int, predicted: bool = False, variant: int = 0) -> np.ndarray:
        """The k-th recorded frame as the whole image (uint8); the x_0 estimate if asked and available.

        ``variant`` picks whose chain a run with several samples shows: 1..n a sample's own,
        anything else (0 = the mean) the mean of the draws; a single draw has one chain."""
        draws = self.draws[k] if k < len(self.draws) else None
        if k == len(self) - 1 and self.samples and draws is None:
            crop = _pick(self.x[k], self.samples, variant) if 1 <= variant <= len(self.samples) else self.x[k]
        elif predicted and self.x0[k] is not None:
            crop = _pick(self.x0[k], self.draws_x0[k] if k < len(self.draws_x0) else None, variant)
        else:
            crop = _pick(self.x[k], draws, variant)
        n = self.finished[k] if self.finished else 0
        patches = [(b, _pick(c, self.patch_draws[i] if i < len(self.patch_draws) else None, variant))
                   for i, (b, c) in enumerate(self.patches[:n])]
        return composite(self.base, crop, self.boxes[k], patches)

    def frames(self, predicted: bool = False, variant: int = 0) -> list:
        """Every recorded frame as the whole image, as [0, 1] floats (what imageio writes)."""
        return [from_uint8(self.frame(k, predicted, variant)) for k in range(len(self))]


@dataclass
class Frame:
    """One step of a run as the GUI sees it."""

    index: int
    total: int
    t: float
    image: np.ndarray            # x_t (or the result when done), (h, w, C) float in [0, 1]
    x0: np.ndarray | None        # the model's x_0 estimate
    done: bool
    elapsed: float               # seconds since the run started
    rms: np.ndarray              # RMS change of x per step so far, shape (index + 1,)
    trajectory: Trajectory | None = None   # only on the last frame
    image_u8: np.ndarray | None = None     # ready to show (converted in the worker thread)
    x0_u8: np.ndarray | None = None
    box: tuple | None = None     # (top, left, bottom, right) of the image this frame shows; None = all
    progress: tuple = (0, 1, "")  # (value, maximum, text) in the user's units
    samples: list | None = None  # the last frame of a run with several samples: each draw
    patches: tuple = ()          # (box, crop) of the pieces finished before this one, shown under it
    ess: np.ndarray | None = None  # sequential Monte Carlo: each record's effective sample size so far
                                   # (NaN where a record had none); None for a run without SMC

    def display(self, predicted: bool = False) -> np.ndarray:
        """What the canvas shows: x_t, or the x_0 estimate when asked and available (uint8)."""
        if predicted and self.x0 is not None:
            return self.x0_u8 if self.x0_u8 is not None else to_uint8(self.x0)
        return self.image_u8 if self.image_u8 is not None else to_uint8(self.image)

    warm: float | None = None    # ``elapsed`` at the run's first record: the steps after it are the steady ones
    begun: float | None = None   # ``elapsed`` when the job was resolved (its noise measured): the first pass began

    STEADY = 2   # records after the first before the time left is estimated from the steady ones
    LONG = 2.0   # s: records at least this long are estimated from the first on (a tile of a large photo)

    @property
    def eta(self) -> float | None:
        """Seconds left, from the steady steps' pace; None while too few are done to tell ("estimating").
        The first record carries the warm-up (the first pass's allocations, the threads waking, for the
        app the noise fit): from elapsed / n the first estimates were several times too long. Records of
        ``LONG`` seconds or more (a 12 MP photo's tiles: 2-4 s each, 250 of them) are estimated from the first
        on, at their pace since the job was resolved (the noise fit left out; the first pass's warm-up is
        then a small part): they said "estimating" for the first two tiles, 10-45 s (docs/undo.md)."""
        left = self.total - self.index - 1
        if self.warm is not None and self.index >= self.STEADY:
            return (self.elapsed - self.warm) / self.index * left
        if self.begun is not None:
            pace = (self.elapsed - self.begun) / (self.index + 1)
            if pace >= self.LONG:
                return pace * left
        return None


@dataclass
class RunJob:
    """A run as the app starts it, made the moment Run is pressed: the loaded checkpoint and
    the job (:func:`dpm_studio.core.run.jobs.resolve`: its request, pixels, mask and plan, the same
    the command line runs), or its :class:`JobInputs`, which :func:`task_frames` resolves first.

    ``device``: the run's model is ``loaded``'s checkpoint taken from the core's cache on that device, in
    the run's thread, before anything else (a CUDA copy is a whole load: read, checked, moved, 1-3 s of a
    photo model, which Run did on the GUI thread); None runs ``loaded`` as it is."""

    loaded: object
    job: object
    max_frames: int = 200
    frame_budget_bytes: int = 256 * 2 ** 20
    stop: object = None   # a threading.Event: once set, the next network pass raises RunCancelled
    device: str | None = None


def progress_text(req, index: int, total: int, parts: int = 1, steps: int | None = None) -> tuple:
    """(value, maximum, text) of a run at record ``index`` of ``total``, in the user's units.

    A trajectory counts the steps the user set (``steps``; resampling jumps and respacing
    make more records than that), region by region for several masked regions; one-step
    denoising counts tiles."""
    task, method = getattr(req, "task", req), getattr(req, "method", None)
    n = index + 1
    if task == "denoise" and method == "mmse":
        return n, total, f"tile {n} / {total}" if total > 1 else "posterior mean"
    parts = max(1, int(parts))
    per = max(1, total // parts)
    part, within = min(parts - 1, index // per), index % per + 1
    if task == "denoise":
        pct = int(100 * n / max(1, total))
        return n, total, f"{pct}%" + (f"  (tile {part + 1} / {parts})" if parts > 1 else "")
    S = int(steps) if steps else per
    k = min(S, max(1, math.ceil(within * S / per)))
    text = f"step {k} / {S}"
    if parts > 1:
        text += f"  (region {part + 1} / {parts})"
    return n, total, text


def _input_at(image, box):
    """The input pixels where a record lies (``box``: top, left, bottom, right; None = all), or None."""
    if image is None:
        return None
    return image if box is None else image[box[0]:box[2], box[1]:box[3]]


def task_frames(job: RunJob):
    """Generator of :class:`Frame` for a job; the bookkeeping happens here, in the worker."""
    from ...core.run.tasks import run_task

    t0 = time.perf_counter()
    if job.device is not None:
        job.loaded = yield from _on_device(job.loaded, job.device)
        if isinstance(job.job, JobInputs) and job.job.model is not None:
            job.job.model = job.loaded   # resolved for the model that runs (its files may have changed since)
    if isinstance(job.job, JobInputs):   # measured here, in the run's thread: see JobInputs
        job.job = yield from _resolved(job)
    begun = time.perf_counter() - t0
    prev = None
    rms: list[float] = []
    ess: list[float] = []   # the records' effective sample sizes (sequential Monte Carlo), NaN where none
    traj = Trajectory()
    region = getattr(job.job, "region", None)  # a region denoise: the core places its crop back
    if region is not None:
        traj.base = to_uint8(region.image)
    elif job.job.image is not None:
        traj.base = to_uint8(job.job.image)
    start = region.image if region is not None else job.job.image  # the input the records change
    keep: set[int] | None = None
    last = None  # (box, crop, draws) of the record before
    last_x0 = None  # (box, x0, draws_x0) of the last record with an x_0 estimate
    parts = len(job.job.plan)  # the pieces the core works on one after the other (regions or tiles)
    req = job.job.request
    steps = (req.steps or getattr(job.loaded.diffusion, "T", None)) if req.task != "denoise" else None
    loaded = job.loaded
    if job.stop is not None:
        from dataclasses import replace

        loaded = replace(loaded, net=_StoppableNet(loaded.net, job.stop))
    records = run_task(loaded, job.job)
    warm = None
    for rec in records:
        elapsed = time.perf_counter() - t0   # when the record came
        if warm is None:
            warm = elapsed
        if keep is None:
            traj.total = rec.total
            frame_bytes = max(1, rec.image.size) * 2 * (1 + len(rec.draws or ()))  # x and x0 as uint8
            n_keep = int(max(2, min(job.max_frames, job.frame_budget_bytes // frame_bytes)))
            keep = frame_indices(rec.total, n_keep)
        box = getattr(rec, "box", None)
        if last is not None and last[0] is not None and last[0] != box:
            traj.patches.append(last[:2])  # a piece is finished: it stays on show under the next one
            traj.patch_draws.append([to_uint8(d) for d in last[2]] if last[2] else None)
        # Within a piece, the change from the record before; a new piece (a tile, a region) or the
        # final blend against the input where it lies: against the last piece's pixels the trace
        # of a tiled denoise compared two places of the picture, or was NaN where their sizes differed.
        if prev is None or last is None or last[0] != box:
            prev = _input_at(start, box)
        rms.append(rms_change(rec.image, prev))
        rec_ess = getattr(rec, "ess", None)
        ess.append(float("nan") if rec_ess is None else float(rec_ess))
        prev = rec.image
        u8 = to_uint8(rec.image)
        x0, d_x0 = rec.x0, getattr(rec, "draws_x0", None)
        if x0 is not None:
            last_x0 = (box, x0, d_x0)
        elif last_x0 is not None and last_x0[0] == box:
            # A RePaint jump back up (forward noise) makes no new estimate: the last one stands. Without
            # it "predicted x0" showed x_t on those frames, and flickered between the two during a run.
            x0, d_x0 = last_x0[1], last_x0[2]
        # a posterior mean's tile is its own estimate: one picture for both (47 MB of a 12 MP run's trajectory)
        x0_u8 = None if x0 is None else u8 if x0 is rec.image else to_uint8(x0)
        draws = getattr(rec, "draws", None)
        last = (box, u8, draws)
        progress = progress_text(req, rec.index, rec.total, parts, steps)
        if rec.index in keep or rec.done:
            traj.append(rec.index, rec.t, u8, x0_u8, box, progress[2], len(traj.patches),
                        [to_uint8(d) for d in draws] if draws else None,
                        [to_uint8(d) for d in d_x0] if d_x0 and d_x0[0] is not None else None)
        if rec.done and getattr(rec, "samples", None):
            traj.samples = [to_uint8(v) for v in rec.samples]
        yield Frame(rec.index, rec.total, rec.t, rec.image, x0, rec.done,
                    elapsed, np.asarray(rms, dtype=np.float32),
                    traj if rec.done else None, u8, x0_u8, box, progress,
                    getattr(rec, "samples", None) if rec.done else None, tuple(traj.patches),
                    np.asarray(ess, dtype=np.float64) if np.isfinite(ess).any() else None, warm, begun)


def _on_device(loaded, device: str):
    """``loaded``'s checkpoint on ``device``, from the core's cache (loaded there the first time, and again
    once its files change: the cache's key has their times), with a :class:`Stage` saying so off the CPU;
    a failure is a :class:`ModelNotLoaded`. Torch's CUDA may be used from any thread: the run's network
    passes ran on the device in this thread already."""
    from ...core.files import checkpoint

    if device != "cpu":
        yield Stage(f"loading the model onto {device}")
    try:
        return checkpoint.load_cached(loaded.path, device)
    except checkpoint.CheckpointError as e:
        raise ModelNotLoaded(str(e)) from e
    except Exception as e:  # noqa: BLE001 - e.g. CUDA out of memory: said as the load's, not as a crash
        raise ModelNotLoaded(f"{type(e).__name__}: {e}") from e


def _resolved(job: RunJob):
    """Resolve ``job``'s inputs, yielding a :class:`Stage` per measurement and one with the job and its
    record; returns the job. A refusal by the job's rules is a :class:`JobRefused`; a Cancel during a
    measurement ends the run there (:func:`_watched`)."""
    steps = job.job.steps()
    shown = None
    try:
        while True:   # a measurement is many steps of one record (each a chance to stop): one Stage says it
            what = _watched(steps, job.stop).what
            if what != shown:
                shown = what
                yield Stage(what)
    except StopIteration as done:
        resolved = done.value
    except ValueError as e:
        raise JobRefused(str(e)) from e
    yield Stage("", resolved, resolved.metadata(job.loaded))
    return resolved


_MEASURING = threading.Lock()   # one measurement at a time: Run pressed again at once after a Cancel waits for
                                # the abandoned one (cancellable) instead of running beside it on a busy CPU


def measuring() -> bool:
    """A measurement is running, perhaps one a Cancel abandoned (its thread outlives the run's)."""
    return _MEASURING.locked()


def _watched(steps, stop):
    """``next(steps)``, run in a helper thread while ``stop`` (the run's Cancel) is watched: a step can be
    long (a mask's reading, the noise level's estimate; the noise and grain fits are stepped, 5-40 ms a step
    of a 12 MP photo's 0.5-1 s: core/run/noise_level.fit_noise_level_steps), so a Cancel read between steps
    could wait for all of it. On Cancel the run ends at once (RunCancelled); the step under way finishes on
    its own in its daemon thread and the rest of the measurement is never run (it holds no Qt object)."""
    if stop is None:
        return next(steps)
    out = {}

    def work():
        with _MEASURING:
            try:
                out["value"] = next(steps)
            except BaseException as e:  # noqa: BLE001 - StopIteration (the job) and errors go back to the run
                out["error"] = e

    helper = threading.Thread(target=work, name="dpm-studio-measure", daemon=True)
    helper.start()
    while helper.is_alive():
        if stop.is_set():
            raise RunCancelled()
        helper.join(0.02)
    if "error" in out:
        raise out["error"]
    return out["value"]
