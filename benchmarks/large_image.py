"""A 12-megapixel photo through the command line: time, peak memory and tile seams.

    python benchmarks/large_image.py [--checkpoint photos-rgb] [--out docs/large-image.md] [--thin]

Makes a 4000 x 3000 RGB photo (a Debian wallpaper photograph from $DPM_STUDIO_WALLPAPERS
resized up, else scikit-image's ``rocket``: never one of the test images' crops that the
quality benchmarks use), then runs, each as its own ``dpm-studio`` process as a user would:

1. ``inpaint`` with a 200 x 200 square mask (crop path: the model sees one crop around the
   hole, never the whole photo);
2. ``denoise`` of the photo with Gaussian noise of sigma 25, one-step MMSE in blended tiles.

Wall time and peak resident memory of each process come from ``os.wait4`` (the kernel's
ru_maxrss of that child), so they include Python start-up, reading and writing the PNGs.

Seams: the tiled denoise is compared with one untiled run over a window that straddles a
tile corner; the largest difference inside the window (away from its own border, where
the untiled run lacks context) says how much tiling changes the result, and
``docs/images/large-denoise-crop.png`` shows noisy | tiled result | difference x 20 at
that corner for the eye.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

W, H = 4000, 3000
HOLE = 200
SIGMA = 25
# The second denoise row: one view per tile (the first row is the command line's default of 6).
ENSEMBLE = 1


def source_photo() -> tuple[np.ndarray, str]:
    folder = os.environ.get("DPM_STUDIO_WALLPAPERS")
    if folder and Path(folder).is_dir():
        files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        if files:
            im = Image.open(files[0]).convert("RGB")
            return np.asarray(im.resize((W, H), Image.LANCZOS)), f"Debian wallpaper {files[0].name}, resized"
    from skimage import data

    im = Image.fromarray(data.rocket()).convert("RGB")
    return np.asarray(im.resize((W, H), Image.LANCZOS)), "scikit-image rocket, resized"


def run_measured(argv: list[str], cwd=None) -> tuple[float, float, int, str]:
    """Run ``dpm-studio ARGV`` as a child: (wall s, its own peak RSS in MB from os.wait4, exit, stderr tail)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errf:
        p = subprocess.Popen([sys.executable, "-m", "dpm_studio", *argv], stdout=subprocess.DEVNULL, stderr=errf,
                             cwd=cwd)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        errf.seek(0)
        lines = errf.read().strip().splitlines()
    return wall, usage.ru_maxrss / 1024.0, p.returncode, lines[-1] if lines else ""


#: Thin images (H, W) for ``--thin``: a strip of the photo's rows laid end to end, and a photo of about
#: the 1 x 100,000 strip's cost before strips were packed (core/run/tiling.py's Strips).
THIN = ((1, 100_000), (3, 50_000), (100_000, 1), (1264, 1264))


def thin_rows(pick: list[str]) -> list[tuple]:
    """``dpm-studio denoise --sigma 25`` (the defaults) of each :data:`THIN` image, in a child run from
    a scratch folder (so that $PYTHONPATH picks the code: /work/main for before)."""
    photo, _ = source_photo()
    flat = photo.reshape(-1, 3)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for k, (h, w) in enumerate(THIN):
            clean = (flat[:h * w].reshape(h, w, 3) if min(h, w) < 64 else photo[:h, :w]).astype(np.float32) / 255.0
            rng = np.random.default_rng(0)
            noisy = np.clip(np.round((clean + SIGMA / 255.0 * rng.standard_normal(clean.shape)) * 255), 0, 255)
            Image.fromarray(noisy.astype(np.uint8)).save(tmp / "thin.png")
            argv = ["denoise", str(tmp / "thin.png"), "-o", str(tmp / f"out{k}.png"), "--sigma", str(SIGMA)] + pick
            wall, peak, rc, tail = run_measured(argv, cwd=tmp)
            out = np.asarray(Image.open(tmp / f"out{k}.png")).astype(np.float32) / 255.0 if rc == 0 else None
            psnr = [10 * np.log10(1 / np.mean((v - clean) ** 2)) for v in (noisy / 255.0, out) if v is not None]
            rows.append((f"denoise {h} x {w} ({h * w:,} px)", wall, peak, rc,
                         "PSNR " + " -> ".join(f"{v:.2f}" for v in psnr) + " dB" + (f"; {tail}" if rc else "")))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=None,
                    help="default: each command's own default model (dpm_studio.paths.DEFAULT_CHECKPOINTS)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "large-image.md"))
    ap.add_argument("--thin", action="store_true", help="only the thin images' rows (1 x 100,000, 3 x 50,000, "
                    "100,000 x 1 and a 1.6 MP photo, denoised with the defaults at sigma 25), printed, not written")
    args = ap.parse_args(argv)
    if args.thin:
        print("| run | seconds | peak memory (MB) | exit | check |\n|---|---|---|---|---|")
        for name, wall, peak, rc, note in thin_rows(["--checkpoint", args.checkpoint] if args.checkpoint else []):
            print(f"| {name} | {wall:.1f} | {peak:.0f} | {rc} | {note} |", flush=True)
        return 0
    from dpm_studio.core.files.checkpoint import load, resolve
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.core.run.tasks import run_task
    from dpm_studio.core.run.tiling import tile_boxes

    from dpm_studio.paths import default_checkpoint

    pick = ["--checkpoint", args.checkpoint] if args.checkpoint else []
    photo, origin = source_photo()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        Image.fromarray(photo).save(tmp / "photo.png")
        mask = np.zeros((H, W), np.uint8)
        top, left = (H - HOLE) // 2, (W - HOLE) // 2
        mask[top:top + HOLE, left:left + HOLE] = 255
        Image.fromarray(mask).save(tmp / "mask.png")
        rng = np.random.default_rng(0)
        clean = photo.astype(np.float32) / 255.0
        noisy = np.clip(clean + SIGMA / 255.0 * rng.standard_normal(clean.shape, dtype=np.float32), 0, 1)
        Image.fromarray((noisy * 255 + 0.5).astype(np.uint8)).save(tmp / "noisy.png")
        noisy = (noisy * 255 + 0.5).astype(np.uint8).astype(np.float32) / 255.0  # what the file holds

        inp = ["inpaint", str(tmp / "photo.png"), "--mask", str(tmp / "mask.png"), "-o", str(tmp / "filled.png"),
               "--seed", "0"] + pick  # the command line's default settings
        wall, peak, rc, tail = run_measured(inp)
        filled = np.asarray(Image.open(tmp / "filled.png")) if rc == 0 else None
        outside_same = bool(filled is not None and np.array_equal(filled[mask == 0], photo[mask == 0]))
        rows.append(("inpaint, 200 x 200 hole", wall, peak, rc, f"pixels outside the mask unchanged: {outside_same}"))

        default = ["denoise", str(tmp / "noisy.png"), "-o", str(tmp / "denoised8.png"),
                   "--sigma", str(SIGMA)] + pick  # the command line's defaults (the model's card's views)
        wall, peak, rc, _ = run_measured(default)
        out8 = np.asarray(Image.open(tmp / "denoised8.png")).astype(np.float32) / 255.0 if rc == 0 else None
        psnr8 = 10 * np.log10(1 / np.mean((out8 - clean) ** 2)) if out8 is not None else float("nan")
        rows.append(("denoise sigma 25, the command line's defaults", wall, peak, rc,
                     f"PSNR -> {psnr8:.2f} dB"))
        den = ["denoise", str(tmp / "noisy.png"), "-o", str(tmp / "denoised.png"), *pick,
               "--sigma", str(SIGMA), "--method", "mmse", "--ensemble", str(ENSEMBLE)]
        wall, peak, rc, tail2 = run_measured(den)
        denoised = np.asarray(Image.open(tmp / "denoised.png")).astype(np.float32) / 255.0 if rc == 0 else None
        psnr_in = 10 * np.log10(1 / np.mean((noisy - clean) ** 2))
        psnr_out = 10 * np.log10(1 / np.mean((denoised - clean) ** 2)) if denoised is not None else float("nan")
        rows.append((f"denoise sigma 25, MMSE in tiles, {ENSEMBLE} view(s)", wall, peak, rc,
                     f"PSNR {psnr_in:.2f} -> {psnr_out:.2f} dB (a wallpaper is training data: this says the "
                     "run worked, not how good it is; see benchmarks.md)" if "wallpaper" in origin
                     else f"PSNR {psnr_in:.2f} -> {psnr_out:.2f} dB"))

        # Seams: the tiled result against one untiled run over a window straddling a tile corner.
        boxes = tile_boxes(H, W)
        ys = sorted({b[0] for b in boxes})
        xs = sorted({b[1] for b in boxes})
        cy, cx = ys[len(ys) // 2], xs[len(xs) // 2]  # a tile's top-left corner inside the overlap grid
        win = 320
        wy, wx = cy - win // 2, cx - win // 2
        loaded = load(resolve(args.checkpoint or default_checkpoint("denoise")))
        rec = None
        for rec in run_task(loaded, DenoiseRequest(sigma=SIGMA / 255.0, tile=win, ensemble=ENSEMBLE),
                            noisy[wy:wy + win, wx:wx + win]):
            pass
        untiled = rec.image.reshape(win, win, 3)
        tiled = denoised[wy:wy + win, wx:wx + win]
        m = 48  # the untiled window's own border lacks context
        diff = np.abs(tiled - untiled)[m:-m, m:-m]
        rows.append(("seams: |tiled - untiled| at a tile corner", float("nan"), float("nan"), 0,
                     f"max {diff.max() * 255:.2f}, mean {diff.mean() * 255:.3f} (0-255 units; 8-bit "
                     "quantisation of the tiled PNG alone gives up to 0.5)"))
        vis = np.concatenate([noisy[wy:wy + win, wx:wx + win], tiled,
                              np.clip(np.abs(tiled - untiled) * 20, 0, 1)], axis=1)
        img_dir = ROOT / "docs" / "images"
        img_dir.mkdir(parents=True, exist_ok=True)
        Image.fromarray((vis * 255 + 0.5).astype(np.uint8)).save(img_dir / "large-denoise-crop.png")
        for a, b in ((tail, "inpaint"), (tail2, "denoise")):
            if a:
                print(f"{b} stderr: {a}", file=sys.stderr)

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    lines = ["# A 12-megapixel photo", "",
             f"Made by `python benchmarks/large_image.py {' '.join(argv if argv is not None else sys.argv[1:])}` "
             f"at commit {commit} on this project's 2-core CPU machine (no GPU). Photo: {W} x {H}, {origin}. "
             "Each command runs as its own `dpm-studio` process; times include start-up and PNG input/output; "
             "peak memory is the process's maximum resident set.", "",
             "| run | seconds | peak memory (MB) | exit | check |", "|---|---|---|---|---|"]
    for name, wall, peak, rc, note in rows:
        ws = "" if wall != wall else f"{wall:.1f}"
        ps = "" if peak != peak else f"{peak:.0f}"
        lines.append(f"| {name} | {ws} | {ps} | {rc} | {note} |")
    lines += ["", f"Inpainting: `dpm-studio {' '.join(a if '/' not in a else Path(a).name for a in inp)}`.",
              f"Denoising: `dpm-studio {' '.join(a if '/' not in a else Path(a).name for a in default)}` (the "
              f"defaults) and `dpm-studio {' '.join(a if '/' not in a else Path(a).name for a in den)}`.", "",
              "Each tile with clipped pixels (most of them here: the noisy file is clipped at 0 and 255) costs two "
              f"more one-view passes for the censored-pixel steps (tasks.CLIP_STEPS), so the defaults run about 10 "
              f"passes per tile and {ENSEMBLE} view(s) about 3.", "",
              "![noisy, tiled result, difference x 20 at a tile corner](images/large-denoise-crop.png)", "",
              f"The crop is {win} x {win} pixels centred on a corner where four 256 x 256 tiles overlap by 32 "
              "pixels: noisy input, the tiled result, and 20 times its difference from one untiled run "
              "over the same window."]
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
