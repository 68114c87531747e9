#!/usr/bin/env python3
"""Regenerate ``resources/``: the application icon (SVG and PNGs) and the sample images.

    python scripts/make_resources.py            # everything
    python scripts/make_resources.py --icon     # only the icon
    python scripts/make_resources.py --samples  # only the samples (needs the [data] extra)

Deterministic: the icon's particles come from a fixed seed, the PNGs are rendered from the
SVG with Qt's SVG renderer (PySide6's QtSvg), and the samples are cut from images that ship
inside scikit-image and scikit-learn (nothing is downloaded). The test images camera,
astronaut, coffee, chelsea and coins are never used.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dpm_studio.paths import ICON_NAME, ICON_SIZES  # noqa: E402

RES = ROOT / "resources"
ICONS = RES / "icons" / "hicolor"
SAMPLES = RES / "samples"


# -- the icon ------------------------------------------------------------------------------------
def icon_svg(seed: int = 5) -> str:
    """A warm disc on a night-blue tile whose left half dissolves into square grains of noise:
    the reverse diffusion trajectory, noise becoming an image, in one glyph.

    512 x 512 units; the grains are 32 units (one pixel of the 16 px icon) and sit on that
    grid, so the small renderings stay crisp.
    """
    rng = random.Random(seed)
    cx, cy, r = 288, 256, 144
    cell = 32
    grains = []
    # Cells of the disc's left half: kept with a probability that falls to the left, and the
    # further left, the further a kept grain has drifted (in whole cells).
    for gy in range(2, 14):
        for gx in range(2, 10):
            x, y = gx * cell, gy * cell
            mx, my = x + cell / 2, y + cell / 2
            if (mx - cx) ** 2 + (my - cy) ** 2 > (r + 8) ** 2 or x + cell > cx:
                continue
            d = (cx - mx) / r                      # 0 at the centre line, 1 at the left edge
            if rng.random() > 1.05 - 0.55 * d:
                continue
            drift = int(round(rng.gauss(0, 1.6 * d)))
            dx = -abs(int(round(rng.gauss(0, 2.2 * d))))
            gx2, gy2 = gx + dx, gy + drift
            if not (2 <= gx2 <= 13 and 2 <= gy2 <= 13):
                continue
            grains.append((gx2 * cell, gy2 * cell, 1.0 - 0.45 * d * rng.random()))
    # A few loose grains far out on the left: pure noise.
    for _ in range(7):
        gx, gy = rng.randint(2, 4), rng.randint(3, 12)
        grains.append((gx * cell, gy * cell, 0.35 + 0.4 * rng.random()))
    seen, rects = set(), []
    for x, y, a in grains:
        if (x, y) in seen:
            continue
        seen.add((x, y))
        rects.append(f'    <rect x="{x + 2}" y="{y + 2}" width="{cell - 4}" height="{cell - 4}" rx="4" '
                     f'fill="url(#disc)" fill-opacity="{a:.2f}"/>')
    half = f"M {cx} {cy - r} A {r} {r} 0 0 1 {cx} {cy + r} Z"
    return "\n".join([
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">',
        "  <title>DPM Studio</title>",
        "  <defs>",
        '    <linearGradient id="tile" x1="0" y1="0" x2="0" y2="1">',
        '      <stop offset="0" stop-color="#2b3a6b"/>',
        '      <stop offset="1" stop-color="#141b33"/>',
        "    </linearGradient>",
        f'    <linearGradient id="disc" gradientUnits="userSpaceOnUse" x1="0" y1="{cy - r}" x2="0" y2="{cy + r}">',
        '      <stop offset="0" stop-color="#ffd166"/>',
        '      <stop offset="1" stop-color="#e84078"/>',
        "    </linearGradient>",
        "  </defs>",
        '  <rect x="32" y="32" width="448" height="448" rx="88" fill="url(#tile)"/>',
        f'  <path d="{half}" fill="url(#disc)"/>',
        '  <g id="noise">',
        *rects,
        "  </g>",
        "</svg>",
        "",
    ])


def render_pngs(svg_path: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - QImage painting needs it
    renderer = QSvgRenderer(str(svg_path))
    if not renderer.isValid():
        raise SystemExit(f"Qt cannot read {svg_path}")
    out = []
    for n in ICON_SIZES:
        img = QImage(n, n, QImage.Format_ARGB32)
        img.fill(Qt.transparent)
        p = QPainter(img)
        p.setRenderHint(QPainter.Antialiasing)
        p.setRenderHint(QPainter.SmoothPixmapTransform)
        renderer.render(p)
        p.end()
        path = ICONS / f"{n}x{n}" / "apps" / f"{ICON_NAME}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not img.save(str(path), "PNG"):
            raise SystemExit(f"cannot write {path}")
        out.append(path)
    return out


def make_icon() -> None:
    svg = ICONS / "scalable" / "apps" / f"{ICON_NAME}.svg"
    svg.parent.mkdir(parents=True, exist_ok=True)
    svg.write_text(icon_svg())
    for p in [svg, *render_pngs(svg)]:
        print(f"{p.relative_to(ROOT)}  {p.stat().st_size} bytes")


# -- the samples -----------------------------------------------------------------------------------
# name -> (loader, crop box (left, top, right, bottom) in the source or None, longest side, format)
SAMPLE_SPECS = {
    "flower-small.png": ("sklearn:flower", (180, 40, 436, 296), 128, "PNG"),
    "rocket.jpg": ("skimage:rocket", None, 512, "JPEG"),
    "handwriting.png": ("skimage:text", None, 448, "PNG"),
    "brick-texture.png": ("skimage:brick", (0, 0, 384, 384), 384, "PNG"),
}

SOURCES = {
    "sklearn:flower": ("scikit-learn `sklearn/datasets/images/flower.jpg` (`load_sample_image('flower.jpg')`)",
                       "Creative Commons Attribution 2.0 (CC BY 2.0), "
                       "<https://creativecommons.org/licenses/by/2.0/>; photograph by vultilion on Flickr "
                       "(<https://www.flickr.com/photos/vultilion/6056698931/>), as noted in scikit-learn's "
                       "`sklearn/datasets/images/README.txt`. Cropped and scaled by DPM Studio."),
    "skimage:rocket": ("scikit-image `skimage/data/rocket.jpg` (`skimage.data.rocket()`)",
                       "Public domain: the launch of DSCOVR on a Falcon 9, photographed by SpaceX and released "
                       "into the public domain (<https://www.flickr.com/photos/spacexphotos/16511594820/>), as "
                       "noted in `skimage.data.rocket`'s documentation. Scaled by DPM Studio."),
    "skimage:text": ("scikit-image `skimage/data/text.png` (`skimage.data.text()`)",
                     "Public domain: from Wikipedia (<https://en.wikipedia.org/wiki/File:Corner.png>), "
                     "\"no known copyright restrictions, released into the public domain\" "
                     "(`skimage.data.text`'s documentation). Unchanged pixels."),
    "skimage:brick": ("scikit-image `skimage/data/brick.png` (`skimage.data.brick()`)",
                      "CC0 1.0 (public domain dedication): from CC0Textures, Bricks25 "
                      "(<https://cc0textures.com/view.php?tex=Bricks25>), as noted in `skimage.data.brick`'s "
                      "documentation. Cropped by DPM Studio."),
}

PURPOSE = {
    "flower-small.png": "a small colour photograph (128 x 128): runs finish in seconds; `dpm-studio self-test` "
                        "uses it",
    "rocket.jpg": "a colour photograph (JPEG): night sky, launch towers and bright lights",
    "handwriting.png": "a grey photograph of handwritten formulas on paper, like a scanned page",
    "brick-texture.png": "a grey texture",
}


def _load_source(key: str):
    import numpy as np

    kind, name = key.split(":")
    if kind == "skimage":
        import skimage.data as skd

        return np.asarray(getattr(skd, name)())
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "images" / f"{name}.jpg"
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def make_samples() -> None:
    from PIL import Image

    SAMPLES.mkdir(parents=True, exist_ok=True)
    lines = ["# Sample images", "",
             "The images under File \u203a Open Sample. Each comes from an image that ships inside "
             "scikit-image or scikit-learn; `scripts/make_resources.py --samples` makes them again from "
             "those packages (nothing is downloaded). None of them is one of the test images (camera, "
             "astronaut, coffee, chelsea, coins).", "",
             "| file | size | what | source | licence |", "|---|---|---|---|---|"]
    for name, (key, box, side, fmt) in SAMPLE_SPECS.items():
        a = _load_source(key)
        im = Image.fromarray(a)
        if box is not None:
            im = im.crop(box)
        scale = side / max(im.size)
        if scale < 1:
            im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.LANCZOS)
        path = SAMPLES / name
        if fmt == "JPEG":
            im.save(path, "JPEG", quality=88, optimize=True)
        else:
            im.save(path, "PNG", optimize=True)
        origin, licence = SOURCES[key]
        mode = "grey" if im.mode == "L" else "RGB"
        lines.append(f"| `{name}` | {im.width} x {im.height} {mode} | {PURPOSE[name]} | {origin} | {licence} |")
        print(f"{path.relative_to(ROOT)}  {im.width}x{im.height} {im.mode}  {path.stat().st_size} bytes")
    (SAMPLES / "LICENSES.md").write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--icon", action="store_true", help="only the icon")
    ap.add_argument("--samples", action="store_true", help="only the sample images")
    args = ap.parse_args(argv)
    both = not (args.icon or args.samples)
    if args.icon or both:
        make_icon()
    if args.samples or both:
        make_samples()
    return 0


if __name__ == "__main__":
    sys.exit(main())
