"""How noisy tests/core/test_shipped.py's re-measurement of each card's K is; prints a table.

    python benchmarks/shipped_bound_noise.py [--runs 6] [--scale 0.75] [NAME ...]

The test re-measures K on the card's own held-out set with a stratified estimate over
``N_T`` steps. On a fixed data set the estimate's only noise is Monte Carlo (the draws of
t and x_t), so the tolerance the test allows comes from this script: the standard
deviation of K over ``--runs`` independent seeds. ``--scale`` also measures the checkpoint
with every weight multiplied by that factor, a damaged model the test must reject.
Set DPM_STUDIO_WALLPAPERS for the models trained on the wallpapers.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dpm_studio.core.math.bound import estimate_bound, run  # noqa: E402
from dpm_studio.core.files.checkpoint import list_cards, load  # noqa: E402
from dpm_studio.core.train.presets import preset_for_card  # noqa: E402
from dpm_studio.core.files.locations import app_root  # noqa: E402

N_T = 8  # as tests/core/test_shipped.py


def held_out(card):
    """The test's held-out set (preset_for_card: the files the card lists): toys 2,000 points (repeated), images the card's whole set."""
    x0 = preset_for_card(card).held_out()
    n = 2000 if x0.dim() == 2 else x0.shape[0]
    return x0.repeat(math.ceil(n / x0.shape[0]), *([1] * (x0.dim() - 1)))[:n] if x0.shape[0] < n else x0[:n]


def remeasure(loaded, preset, x0, seed: int, spacing: str, n_t: int = N_T) -> float:
    return run(estimate_bound(loaded.diffusion, loaded.net, x0, n_t=n_t, unit_size=preset.unit_size,
                              units=preset.units, generator=torch.Generator().manual_seed(seed), spacing=spacing)).K


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--scale", type=float, default=0.75)
    ap.add_argument("--n-t", type=int, default=N_T, help="strata per estimate (default: the test's); measured "
                    "with 4 log strata: s.d. 0.049 dead leaves, 0.179 textures, 0.173 photos, 0.0012 digits")
    ap.add_argument("--spacing", choices=("test", "log", "uniform"), default="test",
                    help="step strata: the test's choice (log for images, uniform for the toys) or one for all")
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"| checkpoint | card K | re-measured K, mean of {args.runs} | s.d. over runs | weights x {args.scale} | seconds/run |")
    print("|---|---|---|---|---|---|")
    for card in list_cards([app_root() / "checkpoints"]):
        if args.names and card["name"] not in args.names:
            continue
        try:
            x0 = held_out(card)
        except Exception as e:  # noqa: BLE001 - e.g. no wallpapers here
            print(f"| {card['name']} | skipped: {type(e).__name__}: {e} |||||")
            continue
        loaded, preset = load(card["path"]), preset_for_card(card)
        t0 = time.perf_counter()
        spacing = args.spacing if args.spacing != "test" else ("log" if x0.dim() == 4 else "uniform")
        n_t = args.n_t
        ks = torch.tensor([remeasure(loaded, preset, x0, s, spacing, n_t) for s in range(args.runs)], dtype=torch.float64)
        per_run = (time.perf_counter() - t0) / args.runs
        with torch.no_grad():
            for p in loaded.net.parameters():
                p.mul_(args.scale)
        damaged = remeasure(loaded, preset, x0, 0, spacing, n_t)
        print(f"| {card['name']} ({spacing}) | {card['bound']['K']:.4f} | {float(ks.mean()):.4f} | {float(ks.std()):.4f} "
              f"| {damaged:.3f} | {per_run:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
