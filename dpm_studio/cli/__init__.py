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
# ... but a short spin first (GNU OpenMP's spin count, which torch's Linux wheels use; it takes
# precedence over the policy's 0; other OpenMP runtimes ignore it): 1000 turns, about 10 us,
# before a waiting thread sleeps. Each network pass hands work to the second thread several
# hundred times, and waking a sleeping thread each time cost issue 26's 64 x 64 hole 0.25 s of
# 1.1 (quiet, 2 threads: 1.09 -> 0.85 s); with six busy processes on the 2 cores the row took the
# same 5.1-6.0 s either way (the 3 ms default spin is what cost 5x there). docs/speed.md.
os.environ.setdefault("GOMP_SPINCOUNT", "1000")

from .main import main  # noqa: E402

__all__ = ["main"]
