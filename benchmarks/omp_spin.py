"""Issue 26's inpainting row under one OpenMP wait setting: the 64 x 64 hole with the app's defaults,
grain "match" (the default) and "none", interleaved, medians in seconds (docs/speed.md, session 11).

    GOMP_SPINCOUNT=1000 python benchmarks/omp_spin.py [--reps 5] [--threads 2]

The setting is read by OpenMP when torch is first imported, so it is given in the environment; this
script imports dpm_studio.cli first, as the command line and the app do (its defaults: PASSIVE, a
spin of 1000; an environment value wins). Prints one line per run and the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dpm_studio.cli  # noqa: E402,F401  (the process's OpenMP settings, before torch)
from speed import hole_case  # noqa: E402  (issue 26's inpainting case, one definition)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()

    import torch

    from dpm_studio.core.files.checkpoint import load, resolve
    from dpm_studio.core.run.requests import InpaintRequest
    from dpm_studio.core.run.tasks import run_task
    from dpm_studio.paths import default_checkpoint

    torch.set_num_threads(args.threads)
    loaded = load(resolve(default_checkpoint("inpaint")))
    a, mask = hole_case()

    def run(grain):
        t0 = time.perf_counter()
        for _ in run_task(loaded, InpaintRequest(seed=1, grain=grain), a, mask=mask):
            pass
        return time.perf_counter() - t0

    print(f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')} GOMP_SPINCOUNT={os.environ.get('GOMP_SPINCOUNT')} "
          f"threads={args.threads}", flush=True)
    for g in ("match", "none"):
        print(f"warm-up {g}: {run(g):.3f} s", flush=True)
    res = {"match": [], "none": []}
    for _ in range(args.reps):
        for g in res:
            res[g].append(run(g))
            print(f"{g}: {res[g][-1]:.3f} s", flush=True)
    print("medians: " + ", ".join(f"{g} {statistics.median(v):.3f} s" for g, v in res.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
