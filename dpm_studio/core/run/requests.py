"""One typed run request per task: the defaults, the checks and the saved record in one place.

The command line, the desktop app, the self-test and the Python API all build one of
:class:`InpaintRequest`, :class:`DenoiseRequest` or :class:`SampleRequest` and hand it to
:func:`dpm_studio.core.run.tasks.run_task` with the pixels (and, for inpainting, the mask). What
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

from ..files.cardschema import is_image_card
from ..math.choices import INPAINT_MODE_ALIASES, INPAINT_MODES, INPAINT_STARTS, VARIANCES  # the math owns them
from .grain import GRAINS, KNOWN_NOISES, check_grain_law
from .noise_law import NOISES, check_noise
from .regions import MARGIN
from .settings import check, default_of, is_real, is_whole, setting, spec_of

DENOISE_METHODS = ("mmse", "sample")
CLIPPINGS = ("censored", "ignore")
PRECISIONS = ("auto", "fp32", "bf16")
MAX_ENSEMBLE = 8  # the symmetries of the square (tasks.DIHEDRAL)
DEFAULT_ENSEMBLE = 6
# Expectation steps for clipped pixels before the final denoise. On 17 held-out wallpaper
# crops (8-bit files, one view; benchmarks/clipping.py): one step gained +1.66 / +4.27 dB
# at sigma 25 / 50 over ignoring the clipping, a second +0.10 / +0.38 more, a third +0.01 /
# +0.05. Each costs one network pass on tiles that have clipped pixels.
CLIP_STEPS = 2
MAX_CLIP_STEPS = 8
# Defaults a help text names besides its field (each written once: the field and its words read these).
INPAINT_STEPS = 19   # from the start step (34 network passes with the jumps; InpaintRequest)
JUMP_LENGTH, JUMP_N = 5, 2   # RePaint's resampling jumps with mode forward-approx
OVERLAP = 32   # px two denoising tiles share
STEPS = dict(what="number of steps", help="reverse steps; fewer than the model's T respaces the trajectory "
             "(faster, coarser)", lo=1, hi=100_000)
SAMPLES = dict(what="number of samples", lo=1, hi=256)
SIZE = (64, 64)   # a drawn image's (H, W) unless said: the command line's, the API's and the app's


@dataclass
class _Request:
    """What every task shares. ``steps`` None: the task's default (all T steps unless said)."""

    task: ClassVar[str] = ""
    steps: int | None = setting(None, **STEPS, default_text="all T")
    seed: int | None = setting(0, "seed", "the random seed: the same seed, settings and input give the same "
                               "result", lo=0, hi=2 ** 63 - 1)  # torch takes 64 bits: 2**64 overflowed
    samples: int = setting(1, help="draw this many samples; the result is their mean (the posterior mean), and "
                           "the app offers each beside it", **SAMPLES)
    variance: str = setting("learned", "step variance", "the variance of each reverse step on a sampled "
                            "trajectory of a Gaussian model: the model's learned one, or large (the forward "
                            "rate 1 - ab_t/ab_s), which leaves more texture and some grain", choices=VARIANCES)
    device: str = "cpu"
    # The network's arithmetic: "auto" is bf16 on a CPU with native bf16 (devices.native_bf16)
    # and fp32 elsewhere; the diffusion's own math stays fp32/fp64 either way.
    precision: str = setting("auto", "precision", "network arithmetic: auto takes bf16 on a CPU with native "
                             "bf16 (AMX or AVX512-BF16; 2-3x faster, PSNR within 0.005 dB) and fp32 elsewhere",
                             choices=PRECISIONS)
    # Weigh the ``samples`` draws as particles of sequential Monte Carlo (core/math/smc.py): the
    # result then targets p(x_0) r(x_0) exactly as the samples grow, whatever the evidence
    # (soft pixels, per-pixel noise), and every record carries the effective sample size.
    # A trajectory without it applies soft evidence by a per-step product, an approximation
    # (docs/conditioning.md). Needs a sampled trajectory and no resampling jumps.
    smc: bool = setting(False, "sequential Monte Carlo", "weigh the draws (samples) as sequential Monte Carlo "
                        "particles (a sampled trajectory, no resampling jumps): soft evidence (feathered pixels, "
                        "per-pixel noise) is then applied exactly as the samples grow (from an inpainting start "
                        "of noise), known pixels too with inpainting mode exact; prints the effective sample "
                        "size")

    def validate(self, loaded=None):
        """Raise ValueError with a user-facing message for a bad value; returns self.

        With ``loaded`` (a loaded checkpoint) also checks what depends on the model. Each
        declared setting's kind, then its range or choices (core/run/settings.py), then what ties them."""
        self._check_types()
        check(self)
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
            if kind.startswith("tuple"):  # a size (H, W) or a region (x, y, w, h): that many whole numbers
                n = kind.count("int")
                if isinstance(v, (str, bytes)) or not hasattr(v, "__len__") or len(v) != n \
                        or not all(is_whole(x) for x in v):
                    raise ValueError(f"{f.name} must be {n} whole numbers, not {v!r}")

    def replace(self, **changes):
        return replace(self, **changes)

    #: Settings whose default is the checkpoint's (its card's ``defaults.<task>``; core/files/cardschema.py
    #: checks them), with the default for a card that names none.
    model_defaults: ClassVar[dict] = {}

    def for_model(self, model):
        """This request with each of :attr:`model_defaults` left unset (None) taken from ``model`` (a loaded
        checkpoint, or its card), or the default here for a card that names none; self when none is unset.
        The job resolver (core/run/jobs.py) calls it, so the saved record says what ran."""
        unset = [k for k in self.model_defaults if getattr(self, k) is None]
        if not unset:
            return self
        card = getattr(model, "card", model)
        said = ((card if isinstance(card, dict) else {}).get("defaults") or {}).get(self.task) or {}
        return replace(self, **{k: said.get(k, self.model_defaults[k]) for k in unset})

    def metadata(self, loaded=None, **extra) -> dict:
        """The record saved with a result: the task, the checkpoint and every setting.

        ``loaded``: the loaded checkpoint (or just its name); with it, "all steps" is
        recorded as the number run (a denoising trajectory's "all" starts at the step
        matched to the noise, so it stays null), and a setting left to the model
        (:meth:`for_model`) as the model's value."""
        # The model by its name and the SHA-256 of its weights, never by where the file lies (a
        # user's home path would travel in every shared image); the hash tells a user's card
        # that shares a shipped name apart from the shipped one.
        digest = getattr(loaded, "sha256", "")
        unchecked = digest and not getattr(loaded, "weights_checked", True)  # an older card: said, and kept
        ran = self.for_model(loaded) if hasattr(loaded, "card") else self   # a bare name: unset stays null
        out = {"task": self.task, "checkpoint": getattr(loaded, "name", loaded),
               **({"checkpoint_sha256": digest} if digest else {}),
               **({"checkpoint_weights_checked": False} if unchecked else {}), **asdict(ran),
               "time": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra}
        T = int(loaded.diffusion.T) if hasattr(loaded, "diffusion") else None
        if T is not None and self.steps is None and self.task != "denoise":
            out["steps"] = T
        elif T is not None and self.steps is not None and int(self.steps) > T:  # more than T runs all T (the
            out["steps"] = T   # app's box stops there): --steps 80 on a 50-step model made the same pixels
        return out


@dataclass
class _MaskedRequest(_Request):
    """What a task that takes a mask shares: how the mask is read. The mask as given: hard (any
    nonzero pixel counts) or, with soft_mask, its grey values as the edge; then feathered outward
    by a Gaussian of std ``feather`` px (core/run/masks.py). Inpainting fills the mask; a
    denoise given one is limited to it (core/run/regions.py), the app's painted mask and the
    command line's ``denoise --mask`` alike."""

    soft_mask: bool = setting(False, "soft mask", "use grey mask values as a soft (feathered) edge")
    feather: float = setting(0.0, "feather", "soften the mask's edge outward: the mask is blurred by a "
                             "Gaussian of this std before a run; every painted pixel still counts in full",
                             lo=0, hi=32, unit="pixels", suffix=" px")


@dataclass
class InpaintRequest(_MaskedRequest):
    """Fill the masked pixels. Defaults (docs/conditioning.md): known pixels forward-noised
    (RePaint), a start from a forward-noised harmonic fill at noise std 1, 19 steps with
    resampling jumps of 5 traversed twice (34 network passes; 20 steps were 35 passes, the first
    of them from t = 496.05 to 496, a step that did nothing: core/math/sampling.py's time_grid).
    Measured on 64 x 64 holes in 256 x 256 photos with photos-rgb: from pure noise the fill took a colour of its own (8-11 dB in the
    hole); from the noised harmonic fill 13-15 dB."""

    task: ClassVar[str] = "inpaint"
    steps: int | None = setting(INPAINT_STEPS, **STEPS, default_text=f"{INPAINT_STEPS}, from the start step")
    # How the known pixels are honoured (core/math/conditioning.py's Inpaint): two rules, both
    # approximations for a delta r (named so; their error is in docs/conditioning.md), and the
    # exact route, sequential Monte Carlo weighing the known pixels (it turns ``smc`` on and
    # starts from noise). The old names "forward" and "clamp" stay accepted (saved metadata).
    mode: str = setting("forward-approx", "inpainting mode", "how the known pixels are kept: forward-approx "
                        "(an approximation: forward-noised copies at each step, RePaint), clamp-approx (an "
                        "approximation: held at their values, the paper; a model whose features do not "
                        "see the step, as photos-rgb's, leaves noise in the hole) or exact (sequential Monte Carlo "
                        "weighs the samples by the model's likelihood of the known pixels: exact as the "
                        "samples grow; turns smc on, starts from noise)", choices=INPAINT_MODES,
                        aliases=tuple(INPAINT_MODE_ALIASES.items()))
    start: str | None = setting(None, "start", "begin from a forward-noised smooth fill of the hole (harmonic: "
                                "an approximation, not the model's prior, so its colours continue those around "
                                "it) or from pure noise at t = T (noise: the paper)", choices=INPAINT_STARTS,
                                default_text="harmonic, noise with mode exact")
    start_sigma: float = setting(1.0, "starting noise level", "with start harmonic: the starting noise std in "
                                 "the model's unit-variance space (larger lets the model depart further from "
                                 "the smooth fill)", lo=0, hi=100, open_lo=True, unit="in model units")
    jump_length: int | None = setting(None, "jump length", "RePaint resampling: steps to go back at each jump "
                                      "(0 = off)", lo=0, hi=1000, unit="steps",
                                      default_text=f"{JUMP_LENGTH} with mode forward-approx, else 0")
    # (a crafted 1e9 repeats built a 3.4 GB jump schedule before anything ran)
    jump_n_sample: int | None = setting(None, "number of jump repeats", "RePaint resampling: times each jump "
                                        "segment is traversed", lo=1, hi=100, flag="--jump-n",
                                        default_text=f"{JUMP_N} with jumps, else 1")
    context: int = setting(48, "context", "pixels of known surroundings around each masked region",
                           lo=0, hi=4096, unit="pixels")
    # The fill's grain (core/run/grain.py): "match" gives the filled pixels the noise the known pixels
    # carry (var = a x + b per channel, fitted to them: ``grain_law``, recorded), "none" leaves the
    # model's clean fill. Default match: a hole in a grainy photo otherwise shows as a smooth patch; on
    # a clean photo the fit finds nothing worth adding and the fill is unchanged.
    grain: str = setting("match", "grain", "match: give the fill the noise of its surroundings (fitted to the "
                         "known pixels, at each filled pixel's own brightness; nothing on a clean photo); none: "
                         "leave the fill clean (e.g. to denoise afterwards)", choices=GRAINS)
    grain_law: dict | None = None
    # The known pixels' noise (core/math/conditioning.py's Inpaint ``known_var``): "none" takes them as exact
    # (a delta r: forward-noised to each step as if clean); "law" as the clean picture plus noise of the law
    # fitted to them (``grain_law``, the fit grain "match" uses): above a pixel's matched step it gets only the
    # difference of variances, below it the model alone carries it. Default law with forward-approx: on held-out
    # photos with noise it gained on average, most on smooth ones (a sky: +1.3 to +2.8 dB at sigma 25), and
    # a clean photo's law is "none", which changes nothing (docs/conditioning.md, session 19).
    known_noise: str | None = setting(None, "known pixels' noise", "law: the known pixels carry the noise fitted "
                                      "to them (a grainy photo or scan), so each step adds only the noise they "
                                      "lack and the fill does not continue their grain; none: they are exact "
                                      "(forward-noised as if clean); law needs forward-approx",
                                      choices=KNOWN_NOISES, default_text="law with mode forward-approx, else none")

    def __post_init__(self):
        self.mode = INPAINT_MODE_ALIASES.get(self.mode, self.mode) if isinstance(self.mode, str) else self.mode
        if self.mode == "exact":
            self.smc = True
        if self.start is None:
            self.start = "noise" if self.mode == "exact" else "harmonic"
        if self.known_noise is None:
            self.known_noise = "law" if self.mode == "forward-approx" else "none"
        if self.jump_length is None:
            self.jump_length = JUMP_LENGTH if self.mode == "forward-approx" and not self.smc else 0
        if self.jump_n_sample is None:
            self.jump_n_sample = JUMP_N if self.jump_length else 1

    def validate(self, loaded=None):
        super().validate(loaded)
        if self.jump_length and self.mode != "forward-approx":
            raise ValueError("resampling jumps need the forward-approx mode")
        if self.mode == "exact" and self.start != "noise":
            raise ValueError("the exact mode starts from noise (a smooth-fill start is not the model's prior): "
                             "set the start to noise")
        if self.smc and self.jump_length and int(self.jump_n_sample) > 1:
            raise ValueError("sequential Monte Carlo cannot weigh resampling jumps: set the jump length to 0")
        if self.known_noise == "law" and self.mode != "forward-approx":
            raise ValueError("noisy known pixels (known noise law) need the forward-approx mode")
        check_grain_law(self.grain_law)
        return self

    def metadata(self, loaded=None, **extra):
        out = super().metadata(loaded, **extra)
        if self.start != "harmonic":
            out.pop("start_sigma")
        if (self.grain != "match" and self.known_noise != "law") or self.grain_law is None:
            out.pop("grain_law")
        return out


@dataclass
class DenoiseRequest(_MaskedRequest):
    """Remove Gaussian noise of std ``sigma`` ([0, 1] units). Default: the one-step posterior
    mean ("mmse") averaged over 6 flips and rotations of each 256 px tile (about +0.2 dB
    for 6x the network calls); "sample" runs the reverse trajectory from the matched step
    (0.9 dB worse and 2.4x slower in the measurements of docs/benchmarks.md)."""

    task: ClassVar[str] = "denoise"
    model_defaults: ClassVar[dict] = {"ensemble": DEFAULT_ENSEMBLE, "clip_steps": CLIP_STEPS}
    steps: int | None = setting(None, **STEPS, default_text="every step from the one matched to the noise, with method "
                                "sample; mmse is one step")
    sigma: float | None = setting(None, "noise level", "the noise std in the image; to denoise harder than that, "
                                  "raise the noise scale", lo=0, hi=255, open_lo=True,
                                  unit="in 0-255 units, for a 16-bit file too", suffix=" / 255", scale=255,
                                  default_text="estimated from the image, by one rule for the app, the command "
                                  "line and the API")
    method: str = setting("mmse", "denoising method", "mmse: the one-step posterior mean, the best PSNR and "
                          "the fastest; sample: sampled reverse trajectories from the matched step (0.9 dB "
                          "worse, 2.4x slower; exact for one noise level, per-pixel levels approximately unless "
                          "smc)", choices=DENOISE_METHODS)
    # mmse: views averaged per tile, 1-8. None: the checkpoint's default (its card's
    # defaults.denoise, :meth:`for_model`), else DEFAULT_ENSEMBLE. With photos-rgb the 7th and
    # 8th views each added under 0.02 dB on every one of the 15 test cases (5 images x sigma
    # 15/25/50, 8-bit files; 6 views are 0.00-0.03 dB under 8) for a fifth of the default's
    # network passes (benchmarks/speed.py); a larger network may say fewer (docs/speed.md).
    ensemble: int | None = setting(None, "ensemble size", "mmse: average over N flips and rotations of each "
                                   "tile", lo=1, hi=MAX_ENSEMBLE, unit="views",
                                   default_text=f"the checkpoint's, {DEFAULT_ENSEMBLE} unless its card says")
    tile: int = setting(256, "tile", f"tile size for large images (at least twice the {OVERLAP} px overlap)",
                        lo=16, hi=4096, unit="pixels")
    overlap: int = setting(OVERLAP, "overlap", "pixels two neighbouring tiles share (blended)", lo=0, hi=2048,
                           unit="pixels")
    tile_batch: int | None = setting(None, "tile batch", "tiles per network call with method mmse", lo=1,
                                     hi=256, default_text="1 on a CPU, where larger batches ran slower, 8 on a GPU")
    # A grey image on a colour model: draws of the added colour-difference noise averaged
    # per tile (tasks.grey_as_colour_noise). One draw costs what a colour image does; with
    # the 8-view ensemble it lost 0.03 dB against four draws on camera and nothing on coins
    # (256 x 256 crops, sigma 25, photos-rgb at 12,326 steps; 10.8 s against 36.0 s on one thread).
    grey_draws: int = setting(1, "number of grey draws", "a grey image on a colour model: draws of the added "
                              "colour-difference noise averaged per tile", lo=1, hi=64)
    # A pixel stored as 0 or the file's top value: "censored" reads it as "x + noise fell at
    # or beyond the edge" (conditioning.censored_mean, tasks.CLIP_STEPS expectation steps);
    # "ignore" as an observation of 0 or 1. On held-out 8-bit files, photos-rgb: +0.8 /
    # +1.8 / +4.6 dB at sigma 15 / 25 / 50 (docs/clipping.md). ``levels``: the file's
    # quantisation steps (None: from the source's bit depth, 255 for 8-bit; core/run/jobs.py).
    clipping: str = setting("censored", "clipping", "censored: a pixel stored as 0 or the top value means the "
                            "noisy value fell at or beyond the edge, and is treated so; ignore: take it as an "
                            "ordinary observation", choices=CLIPPINGS)
    # Censored clipping's expectation steps (CLIP_STEPS above), one network pass each on a tile
    # with clipped pixels; None: the checkpoint's default, as ``ensemble``.
    clip_steps: int | None = setting(None, "number of censoring steps", "censored clipping: expectation steps "
                                     "for the clipped pixels before the final estimate, one network pass each",
                                     lo=1, hi=MAX_CLIP_STEPS,
                                     default_text=f"the checkpoint's, {CLIP_STEPS} unless its card says")
    levels: int | None = setting(None, "quantisation levels", "the file's steps between 0 and its top value",
                                 lo=1, hi=2 ** 32 - 1, default_text="from its bit depth, 255 for 8 bits")
    # The noise model: "constant" (std ``sigma``; None: estimated), "poisson-gaussian"
    # (var = noise_a x + noise_b in [0, 1] units: a camera's shot and read noise, denoised
    # through the generalized Anscombe transform, core/run/anscombe.py) or "auto" (var = a x + b
    # fitted from the image, constant where a is not significant: core/run/noise_law.py).
    # None: "constant" when ``sigma`` is given, else "auto". core/run/jobs.py resolves it; the
    # saved record carries the model run and, for "auto", the fit (``noise_fit``).
    # docs/camera-noise.md measures them.
    noise: str | None = setting(None, "noise model", "auto (fitted from the image: constant, or a camera's "
                                "signal-dependent var = a x + b), constant (one std: sigma, or estimated), or "
                                "poisson-gaussian (with noise a and b)", choices=NOISES,
                                default_text="auto; constant when a sigma is given")
    noise_a: float | None = setting(None, "Poisson-Gaussian noise's a", "with the poisson-gaussian model: "
                                    "var = a x + b, x the brightness; a, the shot noise's gain", lo=0, hi=1,
                                    unit="in [0, 1] image units, not 0-255", flag="--noise-a")
    noise_b: float | None = setting(None, "Poisson-Gaussian noise's b", "with the poisson-gaussian model: b, "
                                    "the variance at black (read noise)", lo=0, hi=1,
                                    unit="in [0, 1] image units, not 0-255", flag="--noise-b")
    noise_fit: dict | None = None
    # Denoise only this rectangle (x, y, width, height in pixels) and blend it back; the noise
    # is still the whole image's (core/run/regions.py). The app gives a painted mask instead.
    region: tuple[int, int, int, int] | None = setting(None, "region", "denoise only the rectangle X,Y,W,H "
                                                       f"(pixels from the top left) plus {MARGIN} px of context around "
                                                       "it; every pixel outside stays exactly as it was",
                                                       lo=0, hi=1_000_000, unit="pixels",
                                                       default_text="the whole image")
    # The noise std the model is told, times this: weaker or stronger denoising than the
    # fitted, given or estimated noise (the app's strength control, the command line's --noise-scale).
    # Above 1 the image's noise is topped up to the told level (core/run/noise_law.py's ToldNoise):
    # told alone, the model removed noise that was not there, worse than the input at 3 x.
    noise_scale: float = setting(1.0, "noise scale", "scale the noise std the model is told: above 1 denoises "
                                 "harder (the image's noise is topped up with fresh noise to the told level, so "
                                 "the result is smoother), below 1 keeps more of the grain", lo=0.25, hi=4, unit="times",
                                 suffix=" \u00d7")

    def validate(self, loaded=None):
        super().validate(loaded)
        check_noise(self)
        if self.region is not None:
            r = self.region
            if int(r[2]) < 1 or int(r[3]) < 1:
                raise ValueError(f"the region's width and height must be at least 1 pixel, not {r[2]}x{r[3]}")
        if self.variance != "learned" and self.method != "sample":
            raise ValueError("the step variance applies to sampled trajectories (method 'sample')")
        if self.smc and self.method != "sample":
            raise ValueError("sequential Monte Carlo weighs sampled trajectories (method 'sample')")
        if int(self.tile) < 2 * int(self.overlap):  # under twice the overlap a tile is all border: black
            raise ValueError(f"the tile must be at least twice the overlap ({2 * int(self.overlap)} pixels)")
        if loaded is not None and loaded.diffusion.family == "binomial":
            raise ValueError("denoising needs a Gaussian model, not a binary one")
        return self

    #: What each method does not use, in one place: the posterior mean is one estimate in one step (no steps,
    #: draws or step variance), a sampled trajectory averages no views. :meth:`unused` says the ones given (the
    #: command line's note, the API's warning), the record leaves them out, the app greys their boxes out.
    NOT_USED: ClassVar[dict] = {"mmse": ("steps", "samples", "variance"), "sample": ("ensemble",)}

    def draws_from_seed(self, colour_noise: bool | None = None) -> bool | None:
        """Whether the run draws noise from ``seed``. A sampled trajectory does; the posterior mean (mmse) is one
        estimate, E[x0 | y], the same for any seed, and draws only for a noise told stronger than the file's (a noise
        scale above 1: the top-up noise, tasks._top_up) or for a grey image on a colour model (its colour-difference
        noise, tasks.grey_as_colour_noise). ``colour_noise``: whether it is such an image (:func:`.jobs.colour_noise`);
        None while the image or the model is not known, and then None where only that decides."""
        if self.method != "mmse" or float(self.noise_scale) > 1.0:
            return True
        return None if colour_noise is None else bool(colour_noise)

    def unused(self, colour_noise: bool | None = None) -> list[str]:
        """The settings given (other than their defaults) that this method does not use (:attr:`NOT_USED`), and a
        seed the run draws nothing from (:meth:`draws_from_seed`, known with ``colour_noise``). The command line
        and the API say so, rather than run without a word as if they had been used (a step variance other than
        learned with mmse is refused instead, by :meth:`validate`). The record keeps the seed: a replay makes the
        same pixels with it."""
        names = [n for n in self.NOT_USED[self.method] if n != "variance" and
                 getattr(self, n) != default_of(type(self), n)]
        if self.seed != default_of(type(self), "seed") and self.draws_from_seed(colour_noise) is False:
            names.append("seed")
        return names

    def unused_note(self, names: list[str] | None = None) -> str | None:
        """The note on :meth:`unused` settings (``names``: those of them to say; the command line's and the API's
        words), or None."""
        names = self.unused() if names is None else list(names)
        seed = "seed" in names
        names = " and ".join(n for n in names if n != "seed")
        notes = []
        if names and self.method == "mmse":
            notes.append(f"{names} apply to a sampled trajectory (method sample): the posterior mean (mmse, the "
                         "default) is one step, so they are not used")
        elif names:
            notes.append(f"{names} applies to the posterior mean (method mmse): a sampled trajectory does not use it")
        if seed:
            notes.append("the seed is not used: the posterior mean (mmse, the default) draws no noise at a noise scale "
                         "of 1 or below on an image with the model's channels (it draws from the seed above 1, or for "
                         "a grey image on a colour model), so any seed gives the same pixels")
        return "; ".join(notes) or None

    def metadata(self, loaded=None, **extra):
        out = super().metadata(loaded, **extra)
        out["sigma_255"] = None if self.sigma is None else round(float(self.sigma) * 255, 2)
        if self.noise != "poisson-gaussian":
            out.pop("noise_a")
            out.pop("noise_b")
        if self.noise_fit is None:
            out.pop("noise_fit")
        if float(self.noise_scale) == 1.0:
            out.pop("noise_scale")
        for name, default in (("soft_mask", False), ("feather", 0.0)):  # how a mask is read: said when not
            if getattr(self, name) == default:   # the default (a masked denoise's record replays with --mask)
                out.pop(name)
        if self.region is None:
            out.pop("region")
        else:
            out["region"] = [int(v) for v in self.region]
        if self.clipping != "censored":
            out.pop("clip_steps")
        for name in self.NOT_USED[self.method]:   # what the method does not use is not recorded
            out.pop(name)
        return out


@dataclass
class SampleRequest(_Request):
    """Draw an image of ``size`` (H, W) from the model."""

    task: ClassVar[str] = "sample"
    samples: int = setting(1, help="draw this many samples; the first draw is the result (their mean, a blur "
                           "of unrelated images, is offered too), and the app offers each beside it", **SAMPLES)
    size: tuple[int, int] = setting(SIZE, "size", "the new image's size", lo=1, hi=4096, unit="pixels a side",
                                    suffix=" px", default_text=f"{SIZE[1]}x{SIZE[0]}")

    def validate(self, loaded=None):
        try:
            h, w = (int(v) for v in self.size)
        except (TypeError, ValueError):
            raise ValueError("the size must be two numbers, height and width") from None
        return super().validate(loaded)

    def metadata(self, loaded=None, **extra):
        out = super().metadata(loaded, **extra)
        out["size"] = [int(self.size[1]), int(self.size[0])]  # recorded as W x H, as typed
        return out


REQUESTS = {r.task: r for r in (InpaintRequest, DenoiseRequest, SampleRequest)}


def default_variant(task: str, n: int) -> int:
    """Which of a run's ``n`` samples its result is unless the user picks another: 0, their mean (the
    posterior mean, a restoration's best estimate in squared error), or 1, the first draw, for a drawn
    sample (the mean of unrelated images is a blur). The app shows it first; the command line saves it."""
    return 1 if n and task == "sample" else 0


def kept_variant(request, keep: int | None, n: int | None = None, name: str = "keep_sample") -> int | None:
    """The variant a result keeps when the user names one (``keep``: the command line's --keep-sample, the API's
    ``keep_sample``; 0 the mean, k the k-th draw, as the app's Accept keeps the one shown): ``keep`` checked
    against ``request`` (``name``: how the caller calls it, in the one-line ValueError), or None when not named
    (:func:`default_variant` then). ``n``: the draws the run made, when known."""
    if keep is None:
        return None
    lo, hi = variant_range(type(request))
    if isinstance(keep, bool) or not is_whole(keep) or not lo <= int(keep) <= hi:
        raise ValueError(f"{name} must be a whole number from {lo} (the mean) to {hi}, not {keep!r}")
    keep = int(keep)
    if keep and getattr(request, "method", "sample") != "sample":
        raise ValueError(f"{name} keeps one of several draws: the mmse method makes one estimate (use method "
                         "sample)")
    draws = int(request.samples) if n is None else n
    if keep > draws:
        raise ValueError(f"{name} {keep} is past the {draws} draws: give 1 to {draws} (or more samples)")
    return keep


def variant_range(cls) -> tuple[int, int]:
    """The variants a result of request class ``cls`` may keep: 0, the mean, to the most samples."""
    return 0, int(spec_of(cls, "samples").hi)


def choice_text(n: int, variant: int = 0) -> str:
    """What a result of ``n`` samples keeps, as its record says it (``choice``): "sample 2 of 4", or
    "mean of 4" (``variant`` 0: the posterior mean, what the command line and the API save)."""
    return f"sample {variant} of {n}" if 1 <= variant <= n else f"mean of {n}"


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


def request_of_record(record: dict):
    """The request a saved run record (:meth:`_Request.metadata`) was made with: its settings, the
    record's other entries (the checkpoint, the digests, the 0-255 sigma, the time) left out; the
    size is recorded W x H, a region as a list. Run on the same input (and mask), it makes the same
    pixels: the record holds the resolved settings (the noise law that ran, the levels, the tile batch)."""
    task = record.get("task") if isinstance(record, dict) else None
    if task not in REQUESTS:
        raise ValueError(f"the record names no task of {', '.join(REQUESTS)}: {task!r}")
    names = {f.name for f in fields(REQUESTS[task])}
    settings = {k: v for k, v in record.items() if k in names}
    if task == "sample" and isinstance(settings.get("size"), list) and len(settings["size"]) == 2:
        settings["size"] = (settings["size"][1], settings["size"][0])
    if isinstance(settings.get("region"), list):
        settings["region"] = tuple(settings["region"])
    if task == "denoise" and "clip_steps" not in record:   # recorded since a card may say them: before, always 2
        settings["clip_steps"] = CLIP_STEPS
    if task == "inpaint" and "grain" not in record:   # recorded since the fill may have grain: before, none
        settings["grain"] = "none"
    if task == "inpaint" and "known_noise" not in record:   # recorded since session 19: before, exact known pixels
        settings["known_noise"] = "none"
    return request_for(task, **settings)


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
