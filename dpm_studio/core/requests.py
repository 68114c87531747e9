"""One typed run request per task: the defaults, the checks and the saved record in one place.

The command line, the desktop app, the self-test and the Python API all build one of
:class:`InpaintRequest`, :class:`DenoiseRequest` or :class:`SampleRequest` and hand it to
:func:`dpm_studio.core.tasks.run_task` with the pixels (and, for inpainting, the mask). What
a request leaves unset takes the defaults written here and nowhere else; :meth:`validate`
refuses a bad value with one line a user can act on (a ``ValueError``); :meth:`metadata`
is the record every saved image carries (one schema for the app and the command line,
collected under ``{"software": ..., "runs": [...]}`` by :func:`saved_metadata`).

Units: ``sigma`` is the noise std in the image's [0, 1] units (the record also gives it in
0-255 units); ``start_sigma`` is in the model's unit-variance space; ``size`` is (H, W).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields, replace
from typing import ClassVar

from ..limits import check_whole, is_real, is_whole
from .cardschema import is_image_card
from .gaussian import VARIANCES

INPAINT_MODES = ("clamp", "forward")
INPAINT_STARTS = ("harmonic", "noise")
DENOISE_METHODS = ("mmse", "sample")
CLIPPINGS = ("censored", "ignore")
PRECISIONS = ("auto", "fp32", "bf16")
MAX_ENSEMBLE = 8  # the symmetries of the square (tasks.DIHEDRAL)
DEFAULT_ENSEMBLE = 6


@dataclass
class _Request:
    """What every task shares. ``steps`` None: the task's default (all T steps unless said)."""

    task: ClassVar[str] = ""
    steps: int | None = None
    seed: int | None = 0
    samples: int = 1          # > 1: that many draws; the result is their mean (the posterior mean)
    variance: str = "learned"  # reverse-step variance on a trajectory: "learned" or "large" (Gaussian only)
    device: str = "cpu"
    # The network's arithmetic: "auto" is bf16 on a CPU with native bf16 (devices.native_bf16)
    # and fp32 elsewhere; the diffusion's own math stays fp32/fp64 either way.
    precision: str = "auto"
    # Weigh the ``samples`` draws as particles of sequential Monte Carlo (core/smc.py): the
    # result then targets p(x_0) r(x_0) exactly as the samples grow, whatever the evidence
    # (soft pixels, per-pixel noise), and every record carries the effective sample size.
    # A trajectory without it applies soft evidence by a per-step product, an approximation
    # (docs/conditioning.md). Needs a sampled trajectory and no resampling jumps.
    smc: bool = False

    def validate(self, loaded=None):
        """Raise ValueError with a user-facing message for a bad value; returns self.

        With ``loaded`` (a loaded checkpoint) also checks what depends on the model."""
        self._check_types()
        if self.seed is not None:
            check_whole("seed", self.seed)  # torch takes at most 64 bits: 2**64 was an OverflowError
        if self.steps is not None and int(self.steps) < 1:
            raise ValueError("the number of steps must be at least 1")
        if int(self.samples) < 1:
            raise ValueError("the number of samples must be at least 1")
        if self.variance not in VARIANCES:
            raise ValueError(f"the step variance must be one of {', '.join(VARIANCES)}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"the precision must be one of {', '.join(PRECISIONS)}")
        card = getattr(loaded, "card", None) or {}
        if "network" in card and not is_image_card(card):
            what = card.get("data", {}).get("recipe") or card["network"].get("type")
            raise ValueError(f"checkpoint {loaded.name!r} is a model of {what} data, not of images: it cannot "
                             f"{self.task} an image (choose an image checkpoint: see `dpm-studio checkpoints`)")
        if loaded is not None and self.variance != "learned" and loaded.diffusion.family != "gaussian":
            raise ValueError("only a Gaussian model has a choice of step variance")
        return self

    def _check_types(self):
        """Each setting of its declared kind: a whole number is an int (steps=2.7 or "x" and a bool
        are refused, not truncated), a number is a real number, a text a string."""
        for f in fields(self):
            v, kind = getattr(self, f.name), str(f.type)
            if v is None and "None" in kind:
                continue
            if kind.startswith("int") and not is_whole(v):
                raise ValueError(f"{f.name} must be a whole number, not {v!r}")
            if kind.startswith("float") and not is_real(v):
                raise ValueError(f"{f.name} must be a number, not {v!r}")
            if kind.startswith("bool") and not isinstance(v, bool):
                raise ValueError(f"{f.name} must be True or False, not {v!r}")
            if kind.startswith("str") and not isinstance(v, str):
                raise ValueError(f"{f.name} must be a text, not {v!r}")

    def replace(self, **changes):
        return replace(self, **changes)

    def metadata(self, loaded=None, **extra) -> dict:
        """The record saved with a result: the task, the checkpoint and every setting.

        ``loaded``: the loaded checkpoint (or just its name); with it, "all steps" is
        recorded as the number run (a denoising trajectory's "all" starts at the step
        matched to the noise, so it stays null)."""
        # The model by its name and the SHA-256 of its weights, never by where the file lies (a
        # user's home path would travel in every shared image); the hash tells a user's card
        # that shares a shipped name apart from the shipped one.
        digest = getattr(loaded, "sha256", "")
        out = {"task": self.task, "checkpoint": getattr(loaded, "name", loaded),
               **({"checkpoint_sha256": digest} if digest else {}), **asdict(self),
               "time": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra}
        if self.steps is None and self.task != "denoise" and hasattr(loaded, "diffusion"):
            out["steps"] = int(loaded.diffusion.T)
        return out


@dataclass
class InpaintRequest(_Request):
    """Fill the masked pixels. Defaults (docs/conditioning.md): known pixels forward-noised
    (RePaint), a start from a forward-noised harmonic fill at noise std 1, 20 steps with
    resampling jumps of 5 traversed twice. Measured on 64 x 64 holes in 256 x 256 photos
    with photos-rgb: from pure noise the fill took a colour of its own (8-11 dB in the
    hole); from the noised harmonic fill 13-15 dB."""

    task: ClassVar[str] = "inpaint"
    steps: int | None = 20
    mode: str = "forward"          # "forward" (RePaint) or "clamp" (the paper)
    start: str = "harmonic"        # "harmonic" (a noised smooth fill) or "noise" (pure noise at t = T)
    start_sigma: float = 1.0       # with start "harmonic": starting noise std, model units
    jump_length: int | None = None  # None: 5 with mode "forward", 0 (no jumps) with "clamp"
    jump_n_sample: int | None = None  # None: 2 with jumps, 1 without
    context: int = 48              # pixels of known surroundings around each masked region
    # The mask as given: hard (any nonzero pixel is filled) or, with soft_mask, its grey values as
    # the edge; then feathered outward by a Gaussian of std ``feather`` px (core/masks.py).
    soft_mask: bool = False
    feather: float = 0.0

    def __post_init__(self):
        if self.jump_length is None:
            self.jump_length = 5 if self.mode == "forward" and not self.smc else 0
        if self.jump_n_sample is None:
            self.jump_n_sample = 2 if self.jump_length else 1

    def validate(self, loaded=None):
        super().validate(loaded)
        if self.mode not in INPAINT_MODES:
            raise ValueError(f"the inpainting mode must be one of {', '.join(INPAINT_MODES)}")
        if self.start not in INPAINT_STARTS:
            raise ValueError(f"the start must be one of {', '.join(INPAINT_STARTS)}")
        if not 0 < float(self.start_sigma) <= 100:  # also NaN and infinity
            raise ValueError("the starting noise level must be positive and at most 100")
        if not 0 <= int(self.jump_length) <= 1000 or not 1 <= int(self.jump_n_sample) <= 100:
            # (a crafted 1e9 repeats built a 3.4 GB jump schedule before anything ran)
            raise ValueError("the jump length must be 0-1000 and the jump repeats 1-100")
        if self.jump_length and self.mode != "forward":
            raise ValueError("resampling jumps need the forward mode")
        if self.smc and self.jump_length and int(self.jump_n_sample) > 1:
            raise ValueError("sequential Monte Carlo cannot weigh resampling jumps: set the jump length to 0")
        if int(self.context) < 0:
            raise ValueError("the context around the mask must be at least 0 pixels")
        if not 0 <= float(self.feather) <= 32:
            raise ValueError("the feather must be 0-32 pixels")
        return self

    def metadata(self, loaded=None, **extra):
        out = super().metadata(loaded, **extra)
        if self.start != "harmonic":
            out.pop("start_sigma")
        return out


@dataclass
class DenoiseRequest(_Request):
    """Remove Gaussian noise of std ``sigma`` ([0, 1] units). Default: the one-step posterior
    mean ("mmse") averaged over 6 flips and rotations of each 256 px tile (about +0.2 dB
    for 6x the network calls); "sample" runs the reverse trajectory from the matched step
    (0.9 dB worse and 2.4x slower in the measurements of docs/benchmarks.md)."""

    task: ClassVar[str] = "denoise"
    sigma: float | None = None     # None: estimated from the image (core/jobs.py)
    method: str = "mmse"
    # mmse: views averaged per tile, 1-8. The 7th and 8th views each added under 0.02 dB on
    # every one of the 15 test cases (5 images x sigma 15/25/50, 8-bit files; 6 views are
    # 0.00-0.03 dB under 8) for a fifth of the default's network passes (benchmarks/speed.py).
    ensemble: int = DEFAULT_ENSEMBLE
    tile: int = 256
    overlap: int = 32
    tile_batch: int | None = None  # tiles per network call (None: 1 on a CPU, 8 on a GPU)
    # A grey image on a colour model: draws of the added colour-difference noise averaged
    # per tile (tasks.grey_as_colour_noise). One draw costs what a colour image does; with
    # the 8-view ensemble it lost 0.03 dB against four draws on camera and nothing on coins
    # (256 x 256 crops, sigma 25, photos-rgb at 12,326 steps; 10.8 s against 36.0 s on one thread).
    grey_draws: int = 1
    # A pixel stored as 0 or the file's top value: "censored" reads it as "x + noise fell at
    # or beyond the edge" (conditioning.censored_mean, tasks.CLIP_STEPS expectation steps);
    # "ignore" as an observation of 0 or 1. On held-out 8-bit files, photos-rgb: +0.8 /
    # +1.8 / +4.6 dB at sigma 15 / 25 / 50 (docs/clipping.md). ``levels``: the file's
    # quantisation steps (None: from the source's bit depth, 255 for 8-bit; core/jobs.py).
    clipping: str = "censored"
    levels: int | None = None
    # The noise model: "constant" (std ``sigma``; None: estimated), "poisson-gaussian"
    # (var = noise_a x + noise_b in [0, 1] units: a camera's shot and read noise, denoised
    # through the generalized Anscombe transform, core/anscombe.py) or "auto" (var = a x + b
    # fitted from the image, constant where a is not significant: core/noise_law.py).
    # None: "constant" when ``sigma`` is given, else "auto". core/jobs.py resolves it; the
    # saved record carries the model run and, for "auto", the fit (``noise_fit``).
    # docs/camera-noise.md measures them.
    noise: str | None = None
    noise_a: float | None = None
    noise_b: float | None = None
    noise_fit: dict | None = None

    def validate(self, loaded=None):
        super().validate(loaded)
        from .noise_law import check_noise

        check_noise(self)
        if self.sigma is not None and not 0 < float(self.sigma) <= 1:  # also NaN and infinity
            raise ValueError("denoising needs a positive noise level of at most 255 (0-255 units)")
        if self.method not in DENOISE_METHODS:
            raise ValueError(f"the denoising method must be one of {', '.join(DENOISE_METHODS)}")
        if self.variance != "learned" and self.method != "sample":
            raise ValueError("the step variance applies to sampled trajectories (method 'sample')")
        if self.smc and self.method != "sample":
            raise ValueError("sequential Monte Carlo weighs sampled trajectories (method 'sample')")
        if not 1 <= int(self.ensemble) <= MAX_ENSEMBLE:
            raise ValueError(f"the ensemble size must be between 1 and {MAX_ENSEMBLE}")
        if self.tile_batch is not None and int(self.tile_batch) < 1:
            raise ValueError("the tile batch must be at least 1")
        if int(self.tile) < 8 or not 0 <= int(self.overlap) < int(self.tile):
            raise ValueError("the tile must be at least 8 pixels and the overlap smaller than the tile")
        if int(self.grey_draws) < 1:
            raise ValueError("the grey draws must be at least 1")
        if self.clipping not in CLIPPINGS:
            raise ValueError(f"clipping must be one of {', '.join(CLIPPINGS)}")
        if self.levels is not None and not int(self.levels) >= 1:
            raise ValueError("the quantisation levels must be at least 1")
        if loaded is not None and loaded.diffusion.family == "binomial":
            raise ValueError("denoising needs a Gaussian model, not a binary one")
        return self

    def metadata(self, loaded=None, **extra):
        out = super().metadata(loaded, **extra)
        out["sigma_255"] = None if self.sigma is None else round(float(self.sigma) * 255, 2)
        if self.noise != "poisson-gaussian":
            out.pop("noise_a")
            out.pop("noise_b")
        if self.noise_fit is None:
            out.pop("noise_fit")
        if self.method == "mmse":
            out.pop("variance")
        else:
            out.pop("ensemble")
        return out


@dataclass
class SampleRequest(_Request):
    """Draw an image of ``size`` (H, W) from the model."""

    task: ClassVar[str] = "sample"
    size: tuple[int, int] = (64, 64)

    def validate(self, loaded=None):
        super().validate(loaded)
        try:
            h, w = (int(v) for v in self.size)
        except (TypeError, ValueError):
            raise ValueError("the size must be two numbers, height and width") from None
        if not (1 <= h <= 4096 and 1 <= w <= 4096):
            raise ValueError("the size must be between 1x1 and 4096x4096")
        return self

    def metadata(self, loaded=None, **extra):
        out = super().metadata(loaded, **extra)
        out["size"] = [int(self.size[1]), int(self.size[0])]  # recorded as W x H, as typed
        return out


REQUESTS = {r.task: r for r in (InpaintRequest, DenoiseRequest, SampleRequest)}


def request_for(task: str, **settings):
    """The request of ``task`` with ``settings``; unknown settings are refused."""
    if task not in REQUESTS:
        raise ValueError(f"the task must be one of {', '.join(REQUESTS)}")
    cls = REQUESTS[task]
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"{task} has no setting {', '.join(unknown)}")
    return cls(**settings)


def saved_metadata(runs: list[dict], version: str, source=None) -> dict:
    """What a saved image carries: the software and the runs that made it, oldest first.

    ``source``: the decoded file the result came from (``ImageData``), if any: its own
    runs (a result of a result) come first and its file name is recorded. The app and the
    command line both save through here."""
    path = getattr(source, "path", None)
    earlier = getattr(source, "metadata", None)
    earlier = earlier.get("runs", []) if isinstance(earlier, dict) else []
    return {"software": f"dpm-studio {version}", "runs": [*earlier, *runs],
            **({"source": path.name} if path is not None else {})}
