"""The model core: pure torch/numpy, no Qt. The GUI, the CLI and the tests all drive it.

Its names load on first use (PEP 562), so a light module of the core (where files live, the
safe file reads) can be imported without torch: the command line starts without it.
"""

from importlib import import_module

_WHERE = {
    "BinomialDiffusion": "binomial", "BoundResult": "bound", "evaluate_bound": "bound",
    "log_likelihood_is": "bound", "training_objective": "bound", "BinaryEvidence": "conditioning",
    "Condition": "conditioning", "Denoise": "conditioning", "Inpaint": "conditioning",
    "LogDensity": "conditioning", "GaussianDiffusion": "gaussian", "Step": "sampling",
    "reverse_trajectory": "sampling", "sample": "sampling", "LearnedSchedule": "schedules",
    "Schedule": "schedules", "make_schedule": "schedules",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
