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

# The names are imported on first use (PEP 562), not with the package: every module of the core
# (the image decoder the app opens files with, the card reader) sits under this package, and
# importing the math here brought torch (0.8-1.1 s CPU) into every process that touched any of
# them, the app's start-up before its first window included (docs/speed.md, issue 26's app rows).
# The image networks register themselves when a card first names one (math.nets.build_net).
_NAMES = {
    "BinomialDiffusion": ".math.binomial",
    "BoundResult": ".math.bound", "evaluate_bound": ".math.bound", "log_likelihood_is": ".math.bound",
    "training_objective": ".math.bound",
    "BinaryEvidence": ".math.conditioning", "Condition": ".math.conditioning", "Denoise": ".math.conditioning",
    "Inpaint": ".math.conditioning", "LogDensity": ".math.conditioning",
    "GaussianDiffusion": ".math.gaussian",
    "Step": ".math.sampling", "reverse_trajectory": ".math.sampling", "sample": ".math.sampling",
    "LearnedSchedule": ".math.schedules", "Schedule": ".math.schedules", "make_schedule": ".math.schedules",
}

__all__ = sorted(_NAMES)


def __getattr__(name):
    if name not in _NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_NAMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *_NAMES})
