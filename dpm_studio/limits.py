"""The ranges of the run settings every front end offers, in one place and free of imports.

The command line builds its option types from these (``cliargs``), the Python API checks its
keywords against them, and the requests' own ``validate`` checks the types. A range here is
what a person may ask for: ``tile`` under 64 (twice the 32 px overlap) is all border, and a
33 px tile on 64 x 64 ran 1,024 tiles.
"""

WHOLE = {
    "steps": (1, 100_000),
    "seed": (0, 2 ** 63 - 1),
    "samples": (1, 256),
    "tile": (64, 4096),
    "tile_batch": (1, 256),
    "jump_length": (0, 1000),
    "jump_n_sample": (1, 100),
}
START_SIGMA = (0.0, 100.0)   # (lo, hi]
SIGMA_255 = (0.0, 255.0)     # (lo, hi]
NOISE_AB = (0.0, 1.0)        # [lo, hi]: var = a x + b in [0, 1] image units


def check_whole(name: str, value, lo: int | None = None, hi: int | None = None, *, optional: bool = True):
    """``value`` as a whole number in [lo, hi] (the range of ``WHOLE[name]`` when not given), or a
    ValueError saying so; a bool, a float such as 2.7, a string are refused, None when ``optional``."""
    if value is None and optional:
        return None
    if lo is None:
        lo, hi = WHOLE[name]
    if not is_whole(value):
        raise ValueError(f"{name} must be a whole number from {lo:,} to {hi:,}, not {value!r}")
    v = int(value)
    if not lo <= v <= hi:
        raise ValueError(f"{name} must be from {lo:,} to {hi:,}, not {v:,}")
    return v


def is_whole(value) -> bool:
    """An int (numpy's integer scalars too), not a bool, a float or a string."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or _numpy_int(value)


def _numpy_int(value) -> bool:
    kind = getattr(getattr(value, "dtype", None), "kind", "")
    return kind in ("i", "u") and getattr(value, "ndim", 1) == 0


def is_real(value) -> bool:
    """A finite or infinite real number (int, float, numpy scalar), not a bool or a string."""
    if isinstance(value, (bool, str, bytes)):
        return False
    try:
        float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return getattr(value, "ndim", 0) == 0
