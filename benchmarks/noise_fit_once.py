"""The one-sigma estimate after --noise auto's constant verdict, with auto's fit handed to it (jobs.resolve) against
the estimate fitting again (before): CPU seconds of resolving the default request, interleaved, medians.

    python benchmarks/noise_fit_once.py [REPEATS]

Cases: the colour test images and camera (256 x 256) and lxqt-fog.jpg (2048 x 1536, DPM_STUDIO_WALLPAPERS) with
constant noise sigma 2 / 255 (8-bit, clipped): low noise, where the estimate reads the fitted law.
"""
import os, sys, time, numpy as np, torch
torch.set_num_threads(1)
from PIL import Image
from dpm_studio.core.run import jobs
from dpm_studio.core.run.noise import estimate_noise_sigma
from dpm_studio.core.run.requests import DenoiseRequest
from dpm_studio.core.run.steps import result
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from restoration import test_image
def noisy(x, s, seed):
    return (np.clip(np.round((x + s / 255 * np.random.default_rng(seed).standard_normal(x.shape)) * 255), 0, 255) / 255).astype(np.float32)
cases = [(n, noisy(test_image(n), 2, 1)) for n in ("astronaut", "coffee", "chelsea")]
cases.append(("camera", noisy(test_image("camera"), 2, 1)))
x = np.asarray(Image.open(os.path.join(os.environ.get("DPM_STUDIO_WALLPAPERS", "/work/data/wallpapers"), "lxqt-fog.jpg")).convert("RGB"), np.float32) / 255
cases.append(("fog", noisy(x, 2, 1)))
new = jobs.estimate_noise_sigma
old = lambda img, fit=None: estimate_noise_sigma(img)
for name, y in cases:
    t = {"old": [], "new": []}
    for r in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        for k, f in (("old", old), ("new", new)):
            jobs.estimate_noise_sigma = f
            t0 = time.process_time(); job = result(jobs.resolve_steps(DenoiseRequest(), y)); t[k].append(time.process_time() - t0)
    print(f"{name} {y.shape} {job.request.noise} sigma {job.request.sigma*255:.2f}: resolve cpu median old {np.median(t['old']):.3f} s new {np.median(t['new']):.3f} s ({1 - np.median(t['new'])/np.median(t['old']):.0%} less)", flush=True)
