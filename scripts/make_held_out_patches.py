"""Write tests/data/photos-rgb-held-out.npz: held-out wallpaper crops the tests can re-measure
the shipped photos-rgb on without the wallpapers (no network).

    DPM_STUDIO_WALLPAPERS=/work/data/wallpapers python scripts/make_held_out_patches.py [--runs 8]

The crops are the first ``N`` of the card's own held-out set (``held_out_pixels(64, 64,
seed=0)`` of the photos-rgb recipe: the rightmost 20 % of the columns of every source
image, which training never sees), stored as the 8-bit pixels before dequantisation. With
them goes the reference: K of the shipped checkpoint on these crops, the mean of ``--runs``
independent runs of the same estimate tests/core/test_shipped.py makes, and the standard
deviation of one run, from which the test takes its tolerance.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dpm_studio.core.math.bound import estimate_bound, run  # noqa: E402
from dpm_studio.core.files.checkpoint import load  # noqa: E402
from dpm_studio.core.train.data.images import dequantise  # noqa: E402
from dpm_studio.core.train.presets import _recipe, get_preset, preset_for_card  # noqa: E402

OUT = ROOT / "tests" / "data" / "photos-rgb-held-out.npz"
N = 32  # of the card's 64: 240 KB
N_T = 8  # steps per crop, as the test


def patches_K(loaded, pixels: np.ndarray, seed: int, n_t: int = N_T) -> float:
    """K (bits/pixel) of ``loaded`` on 8-bit crops dequantised and scaled as the recipe does
    (x = (v + u) / 256, then (x - mean) / std with the card's scale); ``seed`` draws u, t and x_t.
    tests/core/test_shipped.py makes the same estimate with seed 0."""
    g = torch.Generator().manual_seed(seed)
    scale = loaded.card["data"]["scale"]
    x0 = dequantise(torch.from_numpy(pixels).permute(0, 3, 1, 2).float(), scale["mean"], scale["std"], g)
    return run(estimate_bound(loaded.diffusion, loaded.net, x0, n_t=n_t, unit_size=float(x0.shape[-1] * x0.shape[-2]),
                              units="bits/pixel", generator=g)).K


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=8)
    args = ap.parse_args()
    torch.set_num_threads(1)
    loaded = load(ROOT / "checkpoints" / "photos-rgb")
    sources = loaded.card["data"]["provenance"]["sources"]
    files = tuple(sorted(s["file"] for s in sources if s.get("origin") == "wallpaper folder"))
    recipe = _recipe("photos-rgb", files, any(s["id"].startswith(("skimage:", "sklearn:")) for s in sources))
    scale = loaded.card["data"]["scale"]
    if not (math.isclose(recipe.mean, scale["mean"], rel_tol=1e-9) and math.isclose(recipe.std, scale["std"], rel_tol=1e-9)):
        raise SystemExit("these wallpapers are not the ones the card was trained on (the data's scale differs)")
    preset = get_preset("photos-rgb")
    pixels = recipe.held_out_pixels(preset.held_out_n, int(round(math.sqrt(preset.unit_size))), seed=0)[:N]
    x_card = preset_for_card(loaded.card).held_out()[:N]  # the card's own held-out set, as the evaluation sees it
    v_back = (x_card.double() * scale["std"] + scale["mean"]) * 256
    if not bool(((v_back - torch.from_numpy(pixels).permute(0, 3, 1, 2).double()).abs() < 1.001).all()):
        raise SystemExit("the crops are not the card's held-out set")
    ks = np.array([patches_K(loaded, pixels, seed) for seed in range(1, args.runs + 1)])  # the test uses seed 0
    sources = [{k: s[k] for k in ("id", "origin", "licence", "authors", "title", "pixels_sha256") if k in s}
               for s in recipe.provenance["sources"]]
    meta = {"made_by": "scripts/make_held_out_patches.py", "crops": f"the first {N} of held_out_pixels(64, 64, seed=0) "
            "of the photos-rgb recipe (its held-out split: the rightmost 20 % of each source's columns)",
            "sources": sources, "checkpoint_steps": loaded.card["training"]["steps"],
            "K_runs": ks.tolist(), "n_t": N_T}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, pixels=pixels, K_ref=ks.mean(), K_sd=ks.std(ddof=1), runs=len(ks), n_t=N_T,
                        meta=np.array(json.dumps(meta)))
    print(f"{OUT}: {OUT.stat().st_size / 1e3:.0f} KB, K = {ks.mean():.4f}, one run's s.d. {ks.std(ddof=1):.4f} "
          f"over {len(ks)} runs: {', '.join(f'{k:.3f}' for k in ks)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
