"""Sample sheets of the shipped image checkpoints, beside held-out data; writes docs/images/.

    python benchmarks/sample_sheets.py [NAME ...] [--n 16] [--steps 250] [--seed 0]

For each image checkpoint (default: every shipped one with an image recipe), draws ``n``
unconditional samples with a respaced reverse trajectory of ``steps`` steps at the
checkpoint's training patch size, and writes ``docs/images/samples-NAME.png``: the top
block is samples, the bottom block held-out patches of the same recipe (what the samples
should look like). Pixels are magnified (nearest neighbour) so patches are visible.
Prints a table of what was written and how long each took.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dpm_studio.core.files.checkpoint import list_cards, load, resolve  # noqa: E402
from dpm_studio.core.train.presets import preset_for_card  # noqa: E402
from dpm_studio.core.run.tasks import run_task  # noqa: E402

GAP = 4


def grid(tiles: list[np.ndarray], cols: int, zoom: int) -> Image.Image:
    """Tiles (h, w, C) in [0, 1] -> one RGB image, ``cols`` per row, magnified ``zoom`` times."""
    h, w = tiles[0].shape[:2]
    rows = (len(tiles) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * (w * zoom + GAP) + GAP, rows * (h * zoom + GAP) + GAP), (255, 255, 255))
    for k, t in enumerate(tiles):
        a = np.clip(t, 0, 1)
        a = np.repeat(a, 3, axis=2) if a.shape[2] == 1 else a
        im = Image.fromarray((a * 255 + 0.5).astype(np.uint8)).resize((w * zoom, h * zoom), Image.NEAREST)
        r, c = divmod(k, cols)
        sheet.paste(im, (GAP + c * (w * zoom + GAP), GAP + r * (h * zoom + GAP)))
    return sheet


def labelled(top: Image.Image, bottom: Image.Image, title: str) -> Image.Image:
    band = 22
    out = Image.new("RGB", (max(top.width, bottom.width), top.height + bottom.height + 3 * band), (255, 255, 255))
    d = ImageDraw.Draw(out)
    d.text((GAP, 4), title, fill=(0, 0, 0))
    d.text((GAP, band + 4), "samples", fill=(60, 60, 60))
    out.paste(top, (0, 2 * band))
    d.text((GAP, 2 * band + top.height + 4), "held-out data", fill=(60, 60, 60))
    out.paste(bottom, (0, 3 * band + top.height))
    return out


def sheet(name: str, n: int, steps: int, seed: int, out_dir: Path) -> dict:
    loaded = load(resolve(name))
    card = loaded.card
    preset = preset_for_card(card)
    patch = int(card["data"].get("patch", 64))
    t0 = time.perf_counter()
    rec = None
    # One trajectory per sample keeps memory small and each sample reproducible by its seed.
    tiles = []
    for k in range(n):
        for rec in run_task(loaded, "sample", size=(patch, patch), steps=steps, seed=seed + k):
            pass
        tiles.append(rec.image)
    seconds = time.perf_counter() - t0
    held = preset.held_out()[:n]
    if loaded.diffusion.family == "binomial":
        data = [h.permute(1, 2, 0).numpy() for h in held]
    else:
        sc = card["data"]["scale"]
        data = [(h.permute(1, 2, 0).numpy() * sc["std"] + sc["mean"]) for h in held]
    zoom = max(1, 128 // patch)
    cols = 8
    img = labelled(grid(tiles, cols, zoom), grid(data, cols, zoom),
                   f"{name}: {n} samples, {steps} respaced steps, seed {seed}; "
                   f"{card['training']['steps']} training steps")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"samples-{name}.png"
    img.save(path)
    return {"name": name, "path": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path), "patch": patch, "seconds": seconds,
            "train_steps": card["training"]["steps"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--steps", type=int, default=250)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "docs" / "images"))
    args = ap.parse_args(argv)
    names = args.names or [c["name"] for c in list_cards()
                           if c.get("data", {}).get("recipe") in ("photos-rgb", "textures-gray", "dead-leaves",
                                                                 "digits-binary")]
    rows = [sheet(n, args.n, args.steps, args.seed, Path(args.out)) for n in names]
    print("| checkpoint | patch | training steps | sheet | seconds |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['patch']} | {r['train_steps']} | {r['path']} | {r['seconds']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
