"""The model core: pure torch/numpy, no Qt. The GUI, the CLI and the tests all drive it."""

from . import nets_image  # noqa: F401  (registers the image networks)
from .binomial import BinomialDiffusion
from .bound import BoundResult, evaluate_bound, log_likelihood_is, training_objective
from .conditioning import BinaryEvidence, Condition, Denoise, Inpaint, LogDensity
from .gaussian import GaussianDiffusion
from .sampling import Step, reverse_trajectory, sample
from .schedules import LearnedSchedule, Schedule, make_schedule

__all__ = [
    "BinaryEvidence", "BinomialDiffusion", "BoundResult", "Condition", "Denoise",
    "GaussianDiffusion", "Inpaint", "LearnedSchedule", "LogDensity", "Schedule", "Step",
    "evaluate_bound", "log_likelihood_is", "make_schedule", "reverse_trajectory", "sample",
    "training_objective",
]
