"""What the cap on b_t costs or saves at the end of the trajectory, per image checkpoint.

    python benchmarks/last_step_kl.py [photos-rgb textures-gray dead-leaves] [--n 32]

For each checkpoint's network, the KL terms of the bound at t = 995..1000 on ``n`` of its
preset's held-out images, in bits/pixel, with the cosine schedule capped at 0.999 (Nichol &
Dhariwal), 0.9, 0.75 and 0.5 (the presets' choice). The network is the same in every row;
only b_998..b_1000 differ. Prints a markdown table (docs/checkpoints.md quotes it).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dpm_studio.core.math import bound  # noqa: E402
from dpm_studio.core.files.checkpoint import load, resolve  # noqa: E402
from dpm_studio.core.math.gaussian import GaussianDiffusion  # noqa: E402
from dpm_studio.core.train.presets import preset_for_card  # noqa: E402
from dpm_studio.core.math.schedules import Schedule  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=["photos-rgb", "textures-gray", "dead-leaves"])
    ap.add_argument("--n", type=int, default=32, help="held-out images per checkpoint")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    print("| checkpoint | cap on b_t | b_998, b_999, b_1000 | KL t = 995..999 | KL t = 1000 | sum |")
    print("|---|---|---|---|---|---|")
    for name in args.names:
        loaded = load(resolve(name))
        x0 = preset_for_card(loaded.card).held_out()[:args.n]
        per_pixel = x0[0].numel() / x0.shape[1] * math.log(2)  # bits per spatial pixel
        for cap in (0.999, 0.9, 0.75, 0.5):
            d = GaussianDiffusion(Schedule("cosine", loaded.diffusion.T, max_beta=cap),
                                  loaded.diffusion.parametrisation, first_step=loaded.diffusion.first_step)
            g = torch.Generator().manual_seed(0)
            kls = []
            for t in range(d.T - 5, d.T + 1):
                tt = torch.full((x0.shape[0],), float(t), dtype=torch.float64)
                with torch.no_grad():
                    kls.append(float(bound.per_example(bound.kl_at(d, loaded.net, x0, tt, g)).mean()) / per_pixel)
            b = d.betas()[-3:].tolist()
            print(f"| {name} | {cap:g} | {', '.join(f'{v:.3f}' for v in b)} | "
                  f"{', '.join(f'{v:.4f}' for v in kls[:-1])} | {kls[-1]:.4f} | {sum(kls):.4f} |", flush=True)


if __name__ == "__main__":
    main()
