"""Issue 26's inpainting row, lever by lever, in one process (docs/speed.md, session 11).

    python benchmarks/inpaint_passes.py [--threads 1] [--repeats 8] [--out-of-network]

The row's run (a 64 x 64 hole in astronaut's 256 x 256 centre, ``InpaintRequest(seed=r)``, the app's
defaults: 34 passes of photos-rgb over a 160 x 160 crop) with the network's inference paths switched
in turn, interleaved (the order reversed every other round, so a load change hits each alike):

- ``written out``: the U-Net's upsampling as nearest x2 and a 3 x 3 convolution, eager autocast passes
  (the code before session 11);
- ``transposed``: the upsampling as one transposed convolution (nets_image.upsample_conv), eager;
- ``frozen``: that, with the passes from a frozen trace (core/run/frozen.py: the app's default).

Prints each one's first run (the trace is paid there), the median wall and CPU seconds of the rest,
and how far its result is from the first path's. ``--out-of-network``: also the seconds spent outside
the network's passes. On a shared machine run it at nice -20 in its own scheduling group (docs/speed.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dpm_studio.cli  # noqa: E402,F401  (first, as in the app and the CLI: it sets the process's thread waiting)
from speed import hole_case  # noqa: E402  (issue 26's inpainting case, one definition)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None, help="torch's threads (default: every core)")
    ap.add_argument("--repeats", type=int, default=8)
    ap.add_argument("--out-of-network", action="store_true", help="also time what is not the network's pass")
    args = ap.parse_args(argv)
    import torch
    import torch.nn.functional as F

    from dpm_studio.core.files.checkpoint import load, resolve
    from dpm_studio.core.math import nets_image
    from dpm_studio.core.run import frozen, tasks
    from dpm_studio.core.run.requests import InpaintRequest
    from dpm_studio.core.run.tasks import run_task

    torch.set_num_threads(args.threads or os.cpu_count() or 1)
    loaded = load(resolve("photos-rgb"))
    img, mask = hole_case()
    transposed, frozen_pass = nets_image.upsample_conv, frozen.frozen_pass

    def written_out(conv, h):
        return conv(F.interpolate(h, scale_factor=2, mode="nearest"))

    def eager_pass(*_a, **_k):
        return None

    paths = {"written out": (written_out, eager_pass), "transposed": (transposed, eager_pass),
             "frozen": (transposed, frozen_pass)}
    in_net = [0.0]
    call = tasks._Bf16Net.__call__

    def timed(self, x, t, **kw):
        t0 = time.perf_counter()
        try:
            return call(self, x, t, **kw)
        finally:
            in_net[0] += time.perf_counter() - t0

    if args.out_of_network:
        tasks._Bf16Net.__call__ = timed

    def run(name, seed):
        nets_image.upsample_conv, frozen.frozen_pass = paths[name]
        in_net[0] = 0.0
        t0, c0 = time.perf_counter(), time.process_time()
        out = None
        for rec in run_task(loaded, InpaintRequest(seed=seed), img, mask=mask):
            out = rec.image
        return out, time.perf_counter() - t0, time.process_time() - c0, in_net[0]

    first, results = {}, {}
    for name in paths:
        results[name], wall, cpu, _ = run(name, 0)
        first[name] = (wall, cpu)
    walls, cpus, outside = ({n: [] for n in paths} for _ in range(3))
    for r in range(args.repeats):
        for name in (paths if r % 2 == 0 else list(paths)[::-1]):
            _, wall, cpu, net_s = run(name, r + 1)
            walls[name].append(wall)
            cpus[name].append(cpu)
            outside[name].append(wall - net_s)
    nets_image.upsample_conv, frozen.frozen_pass = transposed, frozen_pass
    tasks._Bf16Net.__call__ = call
    ref = results["written out"]
    print(f"threads {torch.get_num_threads()}, load {os.getloadavg()[0]:.1f}, {args.repeats} runs each after the first")
    print("| path | median wall (s) | median CPU (s) | first run (s) | result's max / hole mean difference |"
          + (" outside the network (s) |" if args.out_of_network else ""))
    print("|---|---|---|---|---|" + ("---|" if args.out_of_network else ""))
    for name in paths:
        d = np.abs(results[name] - ref)
        line = (f"| {name} | {statistics.median(walls[name]):.3f} | {statistics.median(cpus[name]):.3f} | "
                f"{first[name][0]:.3f} (CPU {first[name][1]:.3f}) | {d.max():.4f} / {d[96:160, 96:160].mean():.5f} |")
        if args.out_of_network:
            line += f" {statistics.median(outside[name]):.3f} |"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
