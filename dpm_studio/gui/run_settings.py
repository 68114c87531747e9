"""What the task panel shows, as plain data: :class:`RunSettings` builds the core's run request from it
(core/run/requests.py), the one request the command line and the API build from their options."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.run.noise_law import NOISES
from ..core.run.requests import DenoiseRequest, InpaintRequest, SampleRequest
from ..core.run.settings import spec_of

__all__ = ["RunSettings", "TASK_NAMES"]

TASK_NAMES = {"inpaint": "Inpaint", "denoise": "Denoise", "sample": "Sample"}

_INPAINT, _DENOISE, _SAMPLE = InpaintRequest(), DenoiseRequest(), SampleRequest()  # the defaults the widgets start from


@dataclass
class RunSettings:
    """What the panel shows; :meth:`request` turns it into the core's run request."""

    task: str = "inpaint"
    checkpoint: str | None = None      # the card path
    steps: int | None = None           # None = all T steps
    seed: int = _INPAINT.seed
    samples: int = _INPAINT.samples
    mode: str = _INPAINT.mode
    sigma255: float | None = None      # None: the estimate (core/run/jobs.py measures it, as the CLI does)
    size: tuple[int, int] = _SAMPLE.size   # (H, W) for sampling
    device: str = "cpu"
    jump_length: int | None = None     # None: the request's (5 with RePaint, else 0)
    jump_n_sample: int | None = None
    start: str | None = _INPAINT.start  # inpainting: "harmonic" (smooth fill + noise) or "noise" (paper)
    variance: str = _INPAINT.variance  # reverse-step variance on a trajectory: "learned" or "large"
    method: str = _DENOISE.method      # denoising: "mmse" (one step, 8 views) or "sample" (a trajectory)
    noise: str = NOISES[0]             # denoising: "auto" (the fitted curve), "constant" (sigma), "poisson-gaussian"
    noise_scale: float = _DENOISE.noise_scale  # denoising: the noise std told to the model, times this
    smc: bool = _INPAINT.smc            # inpainting, a sampled denoise: weigh the draws as SMC particles
    grain: str = _INPAINT.grain         # inpainting: "match" (the photo's noise in the fill) or "none"
    more: dict = field(default_factory=dict)   # "More settings" (gui/more_settings.py): the request's keywords

    @property
    def sigma(self) -> float | None:
        return None if self.sigma255 is None else spec_of(DenoiseRequest, "sigma").held(float(self.sigma255))

    def request(self):
        common = dict(steps=self.steps, seed=self.seed, samples=self.samples, device=self.device,
                      variance=self.variance, **self.more)
        smc = dict(smc=self.smc) if self.task == "denoise" and self.method == "sample" else {}
        if self.task == "inpaint":
            return InpaintRequest(mode=self.mode, start=self.start, jump_length=self.jump_length,
                                  jump_n_sample=self.jump_n_sample, smc=self.smc, grain=self.grain, **common)
        if self.task == "denoise":
            if self.noise == "constant":
                return DenoiseRequest(sigma=self.sigma, noise="constant", noise_scale=self.noise_scale,
                                      method=self.method, **smc, **common)
            return DenoiseRequest(noise=self.noise, noise_scale=self.noise_scale, method=self.method, **smc,
                                  **common)
        return SampleRequest(size=self.size, **common)
