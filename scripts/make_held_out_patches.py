"""Write tests/data/photos-rgb-held-out.npz: held-out wallpaper crops the tests can re-measure
the shipped photos-rgb on without the wallpapers (no network).

    DPM_STUDIO_WALLPAPERS=/work/data/wallpapers python scripts/make_held_out_patches.py [--runs 8]
    python scripts/make_held_out_patches.py --checkpoint photos-rgb-v2 [--runs 6] [--n 16] [--n-t 4]

The crops are the first ``N`` of the card's own held-out set (``held_out_pixels(64, 64,
seed=0)`` of the photos-rgb recipe: the rightmost 20 % of the columns of every source
image, which training never sees), stored as the 8-bit pixels before dequantisation. With
them goes the reference: K of the shipped checkpoint on these crops, the mean of ``--runs``
independent runs of the same estimate tests/core/test_shipped.py makes, and the standard
deviation of one run, from which the test takes its tolerance.

``--checkpoint NAME`` measures another shipped checkpoint on the same crops, for a checkpoint
trained on every source image the crops come from (the same pixels) with the same column split,
so that the crops are held out for it too (not its card's held-out set: with other source images
its recipe draws other patches, so its reference is its own, not the card's K). It needs no
wallpapers and writes only that checkpoint's entry of tests/data/held-out-references.json: K on
the first ``--n`` crops with ``--n-t`` strata (fewer than photos-rgb's, to fit the CI's time),
the mean of ``--runs`` runs and one run's s.d.
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
REFS = ROOT / "tests" / "data" / "held-out-references.json"
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


def crops_held_out_for(card: dict, meta: dict, made_with: dict) -> None:
    """Raise SystemExit unless every source of the crops is a source of ``card`` with the same pixels,
    split by the same rule as ``made_with`` (the card the crops were cut for): the held-out columns are
    then the same, and ``card``'s model never trained on them."""
    prov = card["data"]["provenance"]
    have = {s.get("pixels_sha256") for s in prov["sources"]}
    missing = [s["id"] for s in meta["sources"] if s.get("pixels_sha256") not in have]
    if missing:
        raise SystemExit(f"{card['name']} was not trained on (the same pixels of) {', '.join(missing)}")
    if prov.get("split") != made_with["data"]["provenance"]["split"]:
        raise SystemExit(f"{card['name']}'s split is not photos-rgb's: {prov.get('split')}")


def other_checkpoint(name: str, runs: int, n: int, n_t: int) -> int:
    loaded = load(ROOT / "checkpoints" / name)
    ref = np.load(OUT)
    crops_held_out_for(loaded.card, json.loads(str(ref["meta"])), load(ROOT / "checkpoints" / "photos-rgb").card)
    pixels = ref["pixels"][:n]
    ks = np.array([patches_K(loaded, pixels, seed, n_t) for seed in range(1, runs + 1)])  # the test uses seed 0
    refs = json.loads(REFS.read_text()) if REFS.exists() else {}
    refs[name] = {"made_by": f"scripts/make_held_out_patches.py --checkpoint {name} --runs {runs} --n {n} --n-t {n_t}",
                  "weights_sha256": loaded.card["weights_sha256"], "crops": n, "n_t": n_t,
                  "K_ref": float(ks.mean()), "K_sd": float(ks.std(ddof=1)), "runs": runs, "K_runs": ks.tolist()}
    REFS.write_text(json.dumps(refs, indent=1) + "\n")
    print(f"{REFS}: {name} on the first {n} crops, {n_t} strata: K = {ks.mean():.4f}, one run's s.d. "
          f"{ks.std(ddof=1):.4f} over {runs} runs: {', '.join(f'{k:.3f}' for k in ks)}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--checkpoint", default="photos-rgb")
    ap.add_argument("--n", type=int, default=N, help="crops (another checkpoint only)")
    ap.add_argument("--n-t", type=int, default=N_T, help="strata (another checkpoint only)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.checkpoint != "photos-rgb":
        return other_checkpoint(args.checkpoint, args.runs, args.n, args.n_t)
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
