"""Which of a run's results is on show: the mean of its draws (variant 0), draw k (1..n), or the
draws' spread (n + 1), for a run of ``n`` draws. The rules the session applies to the result under
review (gui/model/session.py); the words for them and the default are the request's
(core/run/requests.py: ``choice_text``, ``default_variant``, ``kept_variant``)."""

from __future__ import annotations

import numpy as np

from .frames import uncertainty_map

__all__ = ["chain", "is_spread", "picture"]


def is_spread(n: int, variant: int) -> bool:
    """The uncertainty view is chosen: there is nothing to accept until a draw or the mean is picked."""
    return n > 0 and variant == n + 1


def chain(n: int, variant: int) -> int:
    """Whose trajectory is shown and exported: the chosen draw's (1..n), or the mean's (0)."""
    return variant if 1 <= variant <= n else 0


def picture(image: np.ndarray, samples: list, variant: int) -> tuple[np.ndarray, float | None]:
    """What ``variant`` shows of a result whose mean is ``image`` and whose draws are ``samples``: a float
    image, or the uncertainty map (uint8) with the spread that is white in it."""
    if not samples or variant == 0:
        return image, None
    if variant <= len(samples):
        return samples[variant - 1], None
    return uncertainty_map(samples)
