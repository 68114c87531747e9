"""The model core: pure torch/numpy, no Qt. The GUI, the CLI and the tests all drive it.

Its wings, each importing only those below it (``lint-imports`` holds them to it):

- ``run/``: running a job: requests and settings, the job resolver, masks, regions, tiles, the
  noise estimate and law, ``run_task``;
- ``train/``: training and data (independent of ``run/``);
- ``files/``: files and checkpoints: safe opening, atomic writes, the image decoder, cards;
- ``machine/``: memory and devices;
- ``math/``: the paper's math: diffusion, the two families, schedules, networks, conditioning,
  SMC, sampling, the bound.

The names below are the math's, for scripts: ``from dpm_studio.core import GaussianDiffusion``.
"""

from .math import nets_image  # noqa: F401  (registers the image networks)
from .math.binomial import BinomialDiffusion
from .math.bound import BoundResult, evaluate_bound, log_likelihood_is, training_objective
from .math.conditioning import BinaryEvidence, Condition, Denoise, Inpaint, LogDensity
from .math.gaussian import GaussianDiffusion
from .math.sampling import Step, reverse_trajectory, sample
from .math.schedules import LearnedSchedule, Schedule, make_schedule

__all__ = [
    "BinaryEvidence", "BinomialDiffusion", "BoundResult", "Condition", "Denoise",
    "GaussianDiffusion", "Inpaint", "LearnedSchedule", "LogDensity", "Schedule", "Step",
    "evaluate_bound", "log_likelihood_is", "make_schedule", "reverse_trajectory", "sample",
    "training_objective",
]
