"""What a command imports before its work starts (issue 26: start-up is most of one photo's time)."""

import subprocess
import sys

import numpy as np
from PIL import Image


def _run(code: str) -> str:
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_reading_a_png_loads_only_its_own_decoder(tmp_path):
    """The extension's decoder is tried first, so Pillow does not import its ~50 plugins
    (0.1-0.2 s of every command); the content still decides (a PNG named .jpg still opens)."""
    Image.fromarray(np.full((8, 8, 3), 7, np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "b.jpg").write_bytes((tmp_path / "a.png").read_bytes())
    code = ("import sys; from dpm_studio.imageio import load_image; d = load_image(sys.argv[1]); "
            "print(d.pixels.shape[0], sorted(m for m in sys.modules if m.endswith('ImagePlugin')))")
    out = _run(code.replace("sys.argv[1]", repr(str(tmp_path / "a.png"))))
    assert out == "8 ['PIL.PngImagePlugin']"
    assert _run(code.replace("sys.argv[1]", repr(str(tmp_path / "b.jpg")))).startswith("8 ")


def test_the_denoise_path_does_not_import_scipy():
    """scipy.ndimage (0.2-0.4 s) is for inpainting's crops only."""
    assert _run("import sys, dpm_studio.cli, dpm_studio.core.run.tasks, dpm_studio.imageio; "
                "print('scipy' in sys.modules)") == "False"
