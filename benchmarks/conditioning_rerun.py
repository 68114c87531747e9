"""One row of conditioning_exact.py, rerun with many populations: is a large z a bias or a draw?

    python benchmarks/conditioning_rerun.py [--particles 1000] [--populations 1024] [--seeds 1-4]

The row: N(0, 1) data, a soft pixel (c = 0.2, kappa = 0.05, y = 1), ``Inpaint(mode="forward-approx",
product="noised")`` with sequential Monte Carlo over 20 steps, the statistic E[(x - m)^2] for the
exact posterior mean m (p r = N(0.8333, 0.1667)). Each seed is one independent batch of
``populations`` populations of ``particles`` particles, the estimate the mean of the populations'
estimates and its standard error their spread / sqrt(populations). The last line pools the seeds.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import torch

from conditioning_exact import gauss_model, run
from dpm_studio.core import Inpaint
from dpm_studio.core.math.reference import GaussianDataOracle, gaussian_posterior


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--particles", type=int, default=1000)
    ap.add_argument("--populations", type=int, default=1024)
    ap.add_argument("--seeds", default="1-4", help="FIRST-LAST")
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    first, last = (int(v) for v in args.seeds.split("-"))
    d = gauss_model()
    net = GaussianDataOracle(d)
    c = 0.2
    pm, pv = gaussian_posterior(0.0, 1.0, 1.0, 0.05 * (1 - c) / c)
    P, R = args.particles, args.populations
    print(f"{R} populations x {P} particles, {args.steps} steps; variance exact {pv:.5f}\n")
    print("| seed | variance | s.e. | z | min ESS | s |")
    print("|---|---|---|---|---|---|")
    ests = []
    for seed in range(first, last + 1):
        t0 = time.time()
        cond = Inpaint(torch.tensor([[1.0]]), torch.tensor([[c]]), mode="forward-approx", kappa=0.05, product="noised")
        x, ess = run(d, net, 1, cond, P=P, R=R, smc=True, steps=args.steps, seed=seed)
        per_pop = ((x[..., 0] - pm) ** 2).mean(0)
        est, se = float(per_pop.mean()), float(per_pop.std()) / math.sqrt(R)
        ests.append((est, se))
        print(f"| {seed} | {est:.5f} | {se:.5f} | {(est - pv) / se:+.2f} | {ess:.0f} | {time.time() - t0:.0f} |",
              flush=True)
    est = sum(e for e, _ in ests) / len(ests)
    se = math.sqrt(sum(s * s for _, s in ests)) / len(ests)
    print(f"\npooled over {len(ests)} seeds: {est:.5f} +- {se:.5f} for {pv:.5f}, z = {(est - pv) / se:+.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
