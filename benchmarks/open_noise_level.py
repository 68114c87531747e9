"""Opening a 12 MP photo with low noise: the seconds the caller (the GUI thread) spent in Session.open on the noise
level before (estimate_noise_sigma there: up to four fits of the noise law) and now (gui/model/session._Level: a
thread), and when the level comes. lxqt-fog.jpg (DPM_STUDIO_WALLPAPERS) resized to 4000 x 3000, sigma 2 / 255.

    python benchmarks/open_noise_level.py
"""
import time, numpy as np, torch, os
torch.set_num_threads(1)
from PIL import Image
from dpm_studio.gui.model.session import Session
from dpm_studio.core.run.noise import estimate_noise_sigma
im = Image.open(os.path.join(os.environ.get("DPM_STUDIO_WALLPAPERS", "/work/data/wallpapers"), "lxqt-fog.jpg")).convert("RGB").resize((4000, 3000), Image.BICUBIC)
x = np.asarray(im, np.float32) / 255
y = (np.clip(np.round((x + 2 / 255 * np.random.default_rng(0).standard_normal(x.shape, dtype=np.float32)) * 255), 0, 255) / 255).astype(np.float32)
old, new, wait = [], [], []
for r in range(3):
    t = time.perf_counter(); s_old = estimate_noise_sigma(y); old.append(time.perf_counter() - t)
    s = Session(); t = time.perf_counter(); d = s.open(y); new.append(time.perf_counter() - t)
    t = time.perf_counter(); v = d.noise_sigma; wait.append(time.perf_counter() - t)
    assert v == s_old
print(f"12 MP (4000x3000, sigma 2): the estimate on the caller's thread {np.median(old):.2f} s (median of 3); open() now {np.median(new):.3f} s, then the level comes {np.median(wait):.2f} s later; level {v*255:.2f}")
