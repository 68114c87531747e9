"""Issue 22's time target: ``--noise auto`` against today's default, ``--noise constant`` (one sigma estimated
from the image), in-process, one torch thread, interleaved (constant, auto, constant, auto, ...).

    python benchmarks/noise_auto_time.py [--set testc|test|photo] [--level 0|1|2] [--repeats N] [--warm]

Each run is a whole ``run_task`` of the default request (the job resolved from the pixels: the fit, or the
one-sigma estimate, counted). The Anscombe inverse's table is made anew each run (``--warm``: kept between
runs, as the app keeps it for a photo it has fitted once): a command-line run makes it once. Prints per case
the median and least wall seconds and CPU seconds (``time.process_time``: what a busy machine disturbs least)
of each request, and over all cases the mean of the per-case ratios auto / constant of the medians and of
the least times. Sets: testc (astronaut, coffee, chelsea in colour at the three (a, b) of
benchmarks/camera_noise.py), test (the five test images in grey, the same levels), photo (a 2048 x 1536
colour wallpaper, lxqt-fog.jpg from DPM_STUDIO_WALLPAPERS, with var = 0.004 x + 0.0004), large (skimage's rocket
resized to 4000 x 3000, 12 MP colour, and the 4224 x 3168 wallpaper lomiri16-Dragonfly_by_Bolly.jpg in grey, 13 MP,
the same law: a whole run there is minutes of network passes a request, so the large set skips the untimed first
run of each request; ``--image`` picks one case by name, ``--parts`` times the parts alone).

``--parts``: instead of whole runs, the CPU seconds (medians and least of ``--repeats``, interleaved) of what auto
adds to the one-sigma request and what that request spends before its network passes: the resolve of each
request (the fit or the estimate, the JPEG reading), the fit, the JPEG reading, the estimate, the Anscombe
inverse's table, and the transform's forward, inverse and std over the whole image (a run applies them per tile:
forward and inverse twice on a tile with clipped pixels, std once). The network passes are the same in both.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import numpy as np  # noqa: E402
import torch  # noqa: E402

from camera_noise import LEVELS, camera_file  # noqa: E402
from restoration import TEST_IMAGES, test_image  # noqa: E402
from dpm_studio.core.run import noise_law  # noqa: E402
from dpm_studio.core.run.requests import DenoiseRequest  # noqa: E402

REQUESTS = {"constant": DenoiseRequest(noise="constant"), "auto": DenoiseRequest(noise="auto")}


def cases(which):
    if which == "large":
        from skimage import data
        from skimage.transform import resize
        x = resize(data.rocket().astype(np.float32) / 255, (3000, 4000), order=1).astype(np.float32)
        yield "rocket 12MP", 1, camera_file(x, *LEVELS[1], 4040)
        from PIL import Image
        d = os.environ.get("DPM_STUDIO_WALLPAPERS", "/work/data/wallpapers")
        x = np.asarray(Image.open(os.path.join(d, "lomiri16-Dragonfly_by_Bolly.jpg")).convert("L"), np.float32) / 255
        yield "dragonfly grey 13MP", 1, camera_file(x, *LEVELS[1], 4041)
        return
    if which == "photo":
        from PIL import Image
        d = os.environ.get("DPM_STUDIO_WALLPAPERS", "/work/data/wallpapers")
        x = np.asarray(Image.open(os.path.join(d, "lxqt-fog.jpg")).convert("RGB"), np.float32) / 255
        yield "lxqt-fog", 1, camera_file(x, *LEVELS[1], 4040)
        return
    from skimage.color import rgb2gray
    for k, name in enumerate(TEST_IMAGES):
        x = test_image(name)
        if which == "testc" and x.ndim != 3:
            continue
        if which == "test" and x.ndim == 3:
            x = rgb2gray(x).astype(np.float32)
        for j, (a, b) in enumerate(LEVELS):
            yield name, j, camera_file(x, a, b, 100 * (2 * k + (which == "testc")) + j)


def timed(loaded, req, y, warm):
    from dpm_studio.core.run.tasks import run_task
    if not warm:
        noise_law._anscombe.cache_clear()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in run_task(loaded, req, y):
        pass
    return time.perf_counter() - t0, time.process_time() - c0


def parts(y, repeats):
    """CPU seconds of auto's parts on ``y`` (``--parts``): {name: array of ``repeats``}, interleaved."""
    from dpm_studio.core.run import jobs
    from dpm_studio.core.run.anscombe import GeneralizedAnscombe
    from dpm_studio.core.run.noise import estimate_noise_sigma
    from dpm_studio.core.run.noise_jpeg import jpeg_noise_sigma
    from dpm_studio.core.run.noise_level import fit_noise_level
    req = jobs.resolve(REQUESTS["auto"], y).request
    # a constant verdict: the transform's costs at the middle level's law, for comparison
    law = noise_law.noise_law(req if req.noise == "poisson-gaussian" else
                              DenoiseRequest(noise="poisson-gaussian", noise_a=0.004, noise_b=0.0004))
    u = law.forward(y)
    runs = {"resolve constant": lambda: jobs.resolve(REQUESTS["constant"], y),
            "resolve auto": lambda: jobs.resolve(REQUESTS["auto"], y),
            "fit": lambda: fit_noise_level(y), "JPEG reading": lambda: jpeg_noise_sigma(y),
            "estimate": lambda: estimate_noise_sigma(y), "table": lambda: GeneralizedAnscombe(law.a, law.b),
            "forward": lambda: law.forward(y), "inverse": lambda: law.inverse(u), "std": lambda: law.std(u)}
    t = {k: [] for k in runs}
    for _ in range(repeats):
        for k, f in runs.items():
            c0 = time.process_time()
            f()
            t[k].append(time.process_time() - c0)
    return req.noise, {k: np.array(v) for k, v in t.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", default="testc", choices=("testc", "test", "photo", "large"))
    ap.add_argument("--parts", action="store_true", help="time auto's parts, not whole runs")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--level", type=int, choices=(0, 1, 2), help="only this (a, b) of the test sets (default: all three)")
    ap.add_argument("--warm", action="store_true", help="keep the Anscombe table between runs")
    ap.add_argument("--checkpoint", default="photos-rgb-v2")
    ap.add_argument("--image", help="only the cases whose name contains this")
    args = ap.parse_args()
    torch.set_num_threads(1)
    from dpm_studio.core.files.checkpoint import load, resolve
    loaded = load(resolve(args.checkpoint))
    cols = {"wall median": (0, np.median), "wall least": (0, np.min), "cpu median": (1, np.median), "cpu least": (1, np.min)}
    others = [k for k in REQUESTS if k != "constant"]
    ratios = {(k, c): [] for k in others for c in cols}
    for name, j, y in cases(args.set):
        if args.level is not None and j != args.level or args.image and args.image not in name:
            continue
        if args.parts:
            verdict, t = parts(y, args.repeats)
            print(f"{name:10s} {j}  {'x'.join(map(str, y.shape))}, auto's verdict {verdict}: " + ", ".join(
                f"{k} {np.median(v) * 1e3:.1f} ms ({v.min() * 1e3:.1f})" for k, v in t.items()), flush=True)
            continue
        for req in REQUESTS.values() if args.set != "large" else ():  # once each untimed: caches, first-touch pages
            timed(loaded, req, y, True)
        t = {k: [] for k in REQUESTS}
        for r in range(args.repeats):
            for k, req in REQUESTS.items():
                t[k].append(timed(loaded, req, y, args.warm))
                if args.set == "large":   # minutes a run: each said as it ends (several calls' runs can be pooled)
                    print(f"  {name} repeat {r + 1} {k}: wall {t[k][-1][0]:.2f} s, cpu {t[k][-1][1]:.2f} s, load "
                          f"{os.getloadavg()[0]:.1f}", flush=True)
        s = {k: np.array(v) for k, v in t.items()}
        for k in others:
            for c, (i, f) in cols.items():
                ratios[k, c].append(f(s[k][:, i]) / f(s["constant"][:, i]))
        print(f"{name:10s} {j}  {'x'.join(map(str, y.shape))}  " + "  ".join(f"{k} wall {np.median(v[:, 0]):.3f} s (least {v[:, 0].min():.3f}), cpu "
                                              f"{np.median(v[:, 1]):.3f} ({v[:, 1].min():.3f})" for k, v in s.items())
              + "".join(f"  {k} / constant: " + ", ".join(f"{c} {ratios[k, c][-1]:.3f}x" for c in cols) for k in others),
              flush=True)
    for k in others if not args.parts else ():
        print(f"{k} / constant over {len(ratios[k, 'cpu median'])} cases ({args.repeats} interleaved repeats, "
              f"{'table kept' if args.warm else 'table made each run'}, load {os.getloadavg()[0]:.1f}): "
              + ", ".join(f"{c} mean {np.mean(ratios[k, c]):.3f}x (min {np.min(ratios[k, c]):.3f}, max "
                          f"{np.max(ratios[k, c]):.3f})" for c in cols))

if __name__ == "__main__":
    main()
