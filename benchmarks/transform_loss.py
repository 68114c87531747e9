"""Where the Anscombe transform loses to one sigma on a held-out colour photo (issue 22's lowest level).

    python benchmarks/transform_loss.py [--photo lomiri16-Bridge] [--level 0]

One photo of benchmarks/auto_low_noise.py (the same crop, noise and seed), in colour, denoised with the true a, b
(the transform) and with one estimated sigma, and then taken apart: the four 128 x 128 quadrants; each channel
alone as a grey image; the clean photo warped by the transform with i.i.d. noise added (the model's gain on the
warped image against the plain one at the same noise); and two laws that equalise the noise without the
transform's tone curve: each channel scaled about its blurred self to the std at the image's mean (``gain``, per
channel), or all channels by one gain read from their mean (``shared``). One torch thread, the default checkpoint.
``PATHS`` and :func:`run_path`: those laws and flattened ones told a law, for auto_low_noise.py's ``--paths``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import numpy as np  # noqa: E402
import torch  # noqa: E402

from held_out_crops import photos  # noqa: E402
from camera_noise import LEVELS, camera_file  # noqa: E402
from restoration import psnr  # noqa: E402
from dpm_studio.core.run import tasks  # noqa: E402
from dpm_studio.core.run.anscombe import GeneralizedAnscombe  # noqa: E402
from dpm_studio.core.run.noise import estimate_noise_sigma  # noqa: E402
from dpm_studio.core.run.noise_law import flattened  # noqa: E402
from dpm_studio.core.run.requests import DenoiseRequest  # noqa: E402


class RegionGain:
    """u = m + k (z - m): the file about its blurred self m (``blur`` px), scaled per pixel to noise of the std at
    the image's mean; ``shared``: one gain for the channels, from their mean. The law interface of
    core/run/anscombe.py for one tile (forward keeps what inverse needs)."""

    top_up = 0.0
    file = property(lambda self: self)

    def __init__(self, a, b, blur, shared):
        self.a, self.b, self.blur, self.shared = a, b, blur, shared

    def std(self, x):
        return np.sqrt(np.maximum(self.a * np.asarray(x, np.float64) + self.b, 0.0))

    def forward(self, z):
        from scipy.ndimage import gaussian_filter
        z = np.asarray(z, np.float64)
        m = np.stack([gaussian_filter(z[..., c], self.blur, mode="nearest") for c in range(z.shape[-1])], -1)
        if self.shared:
            m = np.broadcast_to(m.mean(-1, keepdims=True), z.shape)
        self.sigma_u = float(self.std(z.mean()))
        self.m, self.k = m, self.sigma_u / np.maximum(self.std(np.clip(m, 0, 1)), 1e-6)
        return self.m + self.k * (z - self.m)

    def inverse(self, u):
        return self.m + (np.asarray(u, np.float64) - self.m) / self.k


#: Colour paths told a law (a, b): name -> the request's noise settings, or a law object for tasks.noise_law.
PATHS = {
    "shared8": lambda a, b, y: RegionGain(a, b, 8.0, True),
    "shared4": lambda a, b, y: RegionGain(a, b, 4.0, True),
}
#: flatN (N = 0-100): the law flattened about the image's mean to N % of its slope (flat100: the law itself)
PATHS.update({f"flat{n}": (lambda k: lambda a, b, y: flattened(a, b, float(np.mean(y)), k))(n / 100)
              for n in range(101)})


def run_path(model, name, y, a, b, **kw):
    """The result of the path ``name`` (PATHS) told var = a x + b on the file ``y``."""
    law = PATHS[name](a, b, y)
    if isinstance(law, tuple):
        return run(model, y, noise="poisson-gaussian", noise_a=law[0], noise_b=law[1], **kw)
    return run(model, y, law, noise="poisson-gaussian", noise_a=a, noise_b=b, **kw)


def run(model, y, law=None, **kw):
    """run_task's result for DenoiseRequest(**kw) on ``y``, with ``law`` (a law the core does not offer, for this
    measurement only) in place of the request's."""
    real = tasks.noise_law
    if law is not None:
        tasks.noise_law = lambda req: law
    try:
        rec = None
        for rec in tasks.run_task(model, DenoiseRequest(**kw), y.astype(np.float32)):
            pass
    finally:
        tasks.noise_law = real
    return np.squeeze(rec.image)


def main():
    from dpm_studio.core.files.checkpoint import load, resolve
    from dpm_studio.paths import default_checkpoint
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photo", default="lomiri16-Bridge")
    ap.add_argument("--level", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = load(resolve(default_checkpoint("denoise")))
    a, b = LEVELS[args.level]

    def ours(y, law=None, **kw):
        return run(model, y, law, **kw)

    name, seed, x = next((n, s, x) for n, s, x in photos() if n.startswith(args.photo[:16]))
    y = camera_file(x, a, b, seed + args.level)
    true = dict(noise="poisson-gaussian", noise_a=a, noise_b=b)
    s = estimate_noise_sigma(y)
    one, tr = ours(y, sigma=s), ours(y, **true)
    print(f"{name} colour, level {args.level}: one sigma ({s * 255:.2f}) {psnr(one, x):.2f}, true a, b "
          f"{psnr(tr, x):.2f}")
    print("channel: one sigma / true a, b in colour; alone as grey: its own one sigma / true a, b")
    for c in range(3):
        yc, xc = y[..., c:c + 1], x[..., c]
        print(f"  {'RGB'[c]}: {psnr(one[..., c], xc):.2f} / {psnr(tr[..., c], xc):.2f}; "
              f"{psnr(ours(yc, sigma=estimate_noise_sigma(yc)), xc):.2f} / {psnr(ours(yc, **true), xc):.2f}")
    print("quadrant (rows, cols): clipped share, one sigma, true a, b")
    for r0 in (0, 128):
        for c0 in (0, 128):
            xq, yq = x[r0:r0 + 128, c0:c0 + 128], y[r0:r0 + 128, c0:c0 + 128]
            print(f"  {r0}:{r0 + 128}, {c0}:{c0 + 128}: {float(np.mean(yq == 1)):.4f}, "
                  f"{psnr(ours(yq, sigma=estimate_noise_sigma(yq)), xq):.2f}, {psnr(ours(yq, **true), xq):.2f}")
    g = GeneralizedAnscombe(a, b)
    n = np.random.default_rng(1).standard_normal(x.shape)
    print("the clean photo plain / warped by the transform, i.i.d. noise added: the model's gain (dB)")
    for sig in (g.sigma_u, float(np.sqrt(a * x.mean() + b))):
        gains = []
        for c in (x.astype(np.float64), g.forward(x.astype(np.float64))):
            yn, c32 = (c + sig * n).astype(np.float32), c.astype(np.float32)
            gains.append(psnr(ours(yn, sigma=sig), c32) - psnr(yn, c32))
        print(f"  noise {sig * 255:.2f}: {gains[0]:.2f} / {gains[1]:.2f}")
    print("noise equalised without the tone curve (true a, b): per channel / one shared gain")
    for blur in (20.0, 3.0):
        per, shared = (psnr(ours(y, RegionGain(a, b, blur, sh), **true), x) for sh in (False, True))
        print(f"  about the photo blurred {blur:g} px: {per:.2f} / {shared:.2f}")


if __name__ == "__main__":
    main()
