"""The noise fit after a noise-free fill (issue 22: a fill made with grain none must not make a later
denoise's fit read the photo as quiet).

    python benchmarks/fill_then_fit.py

Three colour test images with camera-like noise var = 0.01 x + 0.001 ([0, 1] units, 8-bit, clipped),
a centre hole of 64 and of 128 px filled by `api.inpaint(..., grain="none")` (the model's clean fill),
then the law fitted on the noisy file and on the filled one (core/run/noise_level.fit_noise_level).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from camera_noise import camera_file  # noqa: E402
from restoration import test_image  # noqa: E402

from dpm_studio import api  # noqa: E402
from dpm_studio.core.run.noise_level import fit_noise_level  # noqa: E402

A, B = 0.01, 0.001


def main() -> None:
    torch.set_num_threads(1)
    print(f"true law: a = {A}, b = {B}\n")
    print("| image | hole | noisy: a, b, kind | after the fill: a, b, kind |\n|---|---|---|---|")
    for name in ("astronaut", "coffee", "chelsea"):
        x = test_image(name)
        y = camera_file(x, A, B, seed=3)
        f0 = fit_noise_level(y)
        for hole in (64, 128):
            m = np.zeros(x.shape[:2], np.float32)
            c = x.shape[0] // 2 - hole // 2
            m[c:c + hole, c:c + hole] = 1
            f1 = fit_noise_level(api.inpaint(y, m, grain="none", seed=0))
            print(f"| {name} | {hole} px | {f0.a:.4f}, {f0.b:.5f}, {f0.kind} | {f1.a:.4f}, {f1.b:.5f}, {f1.kind} |",
                  flush=True)


if __name__ == "__main__":
    main()
