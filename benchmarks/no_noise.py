"""A file with no measurable noise: does the network change it when told NO_NOISE (0.1 / 255), and what does
giving it back unchanged (core/run/jobs.py's UNCHANGED, no network) save?

    python benchmarks/no_noise.py --files 12 --side 256          # 8-bit and 16-bit: samples the network changes
    python benchmarks/no_noise.py --truth16 --files 14           # 16-bit: towards a clean truth, or away
    python benchmarks/no_noise.py --time --reps 2                # 1 MP: the network against the short-circuit

The images are the held-out mate backgrounds (/tmp/grey22/eval/x, never trained or tuned on): the centre
``side`` px of each PNG, colour (8-bit), grey (their mean, 8-bit) and a 16-bit version (smoothed by [1 2 1] / 4
each way, off the 8-bit lattice). Each is denoised by the default model, told constant noise NO_NOISE,
method mmse and sample, seed 0, the network forced to run (the job's ``unchanged`` cleared); the result held
at the file's depth (Source.held) is compared with the file. ``--truth16``: a 192 px centre blurred (Gaussian
1.5 px: the truth), noise 0-0.4 / 255 added, held at 16 bits; the RMSE to the truth of the file and of the
network's result. ``--time``: a 1024 x 1024 8-bit crop, torch on one thread, the network and the short-circuit
interleaved (A B A B), medians of the calling thread's CPU seconds and of wall seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HELD_OUT = "/tmp/grey22/eval/x/usr/share/backgrounds/mate/*/*.png"


def _run(loaded, img, depth, **settings):
    from dpm_studio.core.run.jobs import Source, resolve
    from dpm_studio.core.run.noise import NO_NOISE
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.core.run.tasks import run_task

    job = resolve(DenoiseRequest(sigma=NO_NOISE, noise="constant", seed=0, **settings), img, None, Source(depth),
                  loaded)
    job = dataclasses.replace(job, unchanged=None)   # the network, as before the short-circuit
    rec = None
    for rec in run_task(loaded, job):
        pass
    return rec.image


def _centre(f, side):
    from dpm_studio.imageio import load_image

    px = load_image(f).pixels
    px = px[:, :, :3] if px.shape[2] >= 3 else np.repeat(px, 3, axis=2)
    h, w = px.shape[:2]
    t, l = max(0, (h - side) // 2), max(0, (w - side) // 2)
    return np.ascontiguousarray(px[t:t + side, l:l + side])


def changes(loaded, files, side):
    from dpm_studio.core.run.jobs import Source
    from dpm_studio.core.run.noise import estimate_noise_sigma

    for f in files:
        img8 = _centre(f, side)
        k = np.array([1, 2, 1], np.float32) / 4
        sm = img8.copy()
        for ax in (0, 1):
            sm = np.apply_along_axis(lambda v: np.convolve(v, k, mode="same"), ax, sm)
        for name, img, depth in (("rgb8", img8, 8), ("grey8", Source(8).held(img8.mean(2, keepdims=True)), 8),
                                 ("rgb16", Source(16).held(sm), 16)):
            top = 255 if depth == 8 else 65535
            for m in ("mmse", "sample"):
                out = Source(depth).held(_run(loaded, img, depth, method=m))
                dq = np.abs(np.round(out * top) - np.round(img * top))
                print(f"{Path(f).name[:24]:24s} {name:5s} {m:6s} estimate {estimate_noise_sigma(img) * 255:5.2f} / 255, "
                      f"clipped {float(((img <= 0) | (img >= 1)).mean()):.3f}: {int((dq > 0).sum()):6d} of {dq.size} "
                      f"samples changed, largest {dq.max():.0f} / {top}", flush=True)


def truth16(loaded, files):
    from scipy.ndimage import gaussian_filter

    from dpm_studio.core.run.jobs import Source
    from dpm_studio.core.run.noise import estimate_noise_sigma

    rng = np.random.default_rng(0)
    for f in files:
        truth = gaussian_filter(_centre(f, 192).astype(np.float64), (1.5, 1.5, 0))
        if truth.std() < 1e-3:
            continue
        for s in (0.0, 0.05, 0.1, 0.2, 0.4):
            x = Source(16).held((truth + rng.normal(0, s / 255, truth.shape)).astype(np.float32))
            y = Source(16).held(_run(loaded, x, 16))
            rmse = lambda a: float(np.sqrt(np.mean((a - truth) ** 2)) * 255)  # noqa: E731
            print(f"{Path(f).name[:22]:22s} noise {s:.2f} / 255, estimate {estimate_noise_sigma(x) * 255:.2f}: RMSE "
                  f"to the truth: file {rmse(x):.4f}, network {rmse(y):.4f} / 255", flush=True)


def timing(loaded, reps):
    import torch

    from dpm_studio.core.run.jobs import resolve
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.core.run.tasks import run_task

    torch.set_num_threads(1)
    files = sorted(glob.glob(HELD_OUT))
    img = next(c for c in (_centre(f, 1024) for f in files) if c.shape[:2] == (1024, 1024) and c.std() > 0.01)
    job = resolve(DenoiseRequest(), img, None, None, loaded)
    print(f"1024 x 1024: {job.notes}")
    times = {"network": [], "unchanged": []}
    for _ in range(reps):
        for name in times:
            j = dataclasses.replace(job, unchanged=None) if name == "network" else job
            t, w = time.thread_time(), time.perf_counter()   # this thread's CPU: a pool's spinning is not the run's
            for _rec in run_task(loaded, j):
                pass
            times[name].append((time.thread_time() - t, time.perf_counter() - w))
            print(f"  {name}: {times[name][-1][0]:.4f} s CPU, {times[name][-1][1]:.4f} s wall", flush=True)
    for name, v in times.items():
        print(f"{name}: median {statistics.median(c for c, _ in v):.4f} s CPU, "
              f"{statistics.median(w for _, w in v):.4f} s wall, of {len(v)}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--files", type=int, default=12)
    p.add_argument("--side", type=int, default=256)
    p.add_argument("--truth16", action="store_true")
    p.add_argument("--time", action="store_true")
    p.add_argument("--reps", type=int, default=2)
    a = p.parse_args(argv)
    from dpm_studio.api import load_checkpoint

    loaded = load_checkpoint(None, task="denoise")
    files = sorted(glob.glob(HELD_OUT))[:a.files]
    if a.time:
        timing(loaded, a.reps)
    elif a.truth16:
        truth16(loaded, files)
    else:
        changes(loaded, files, a.side)


if __name__ == "__main__":
    main()
