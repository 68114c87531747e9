"""The command line: ``main`` (the parser, the error funnel, ``checkpoints``, ``gui``,
``self-test``), ``restore`` (inpaint, denoise, sample), ``train`` (train, evaluate),
``batch`` (several files or a folder), ``args`` (typed options, and the run settings' options
made from their declarations) and ``common`` (progress, loading a checkpoint).

``main`` is also this package's ``main``: the ``dpm-studio`` console script's entry point.
"""

import os

# Set once for the whole process, before torch is first imported (OpenMP reads it then; a
# user's own setting wins): threads waiting for work sleep instead of spinning. On this
# shared 2-core machine at load 11, one 256 x 256 denoise took 62 s wall (10.7 s CPU) with
# spinning threads and 13 s (2.8 s CPU) with sleeping ones; a thread spinning on a busy core
# steals it from the thread doing the work. docs/speed.md.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .main import main  # noqa: E402

__all__ = ["main"]
