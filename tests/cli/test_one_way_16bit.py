"""A 16-bit image gives the same pixels through the command line (a 16-bit PNG) and the API (a uint16 array):
the same source depth, so the same quantisation levels, noise estimate and censoring of clipped pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dpm_studio import api, imageio
from dpm_studio.cli.main import main


def _noisy16(channels: int) -> np.ndarray:
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:32, 0:32] / 32
    base = np.stack([xx, 0.2 + 0.6 * yy, 0.5 + 0.3 * np.sin(7 * xx)], axis=2)[:, :, :channels]
    noisy = np.clip(base + 0.05 * rng.standard_normal(base.shape), 0, 1)   # clipped at both ends, as files are
    return (noisy * 65535 + 0.5).astype(np.uint16)


@pytest.mark.parametrize("channels, extra", [(3, []), (3, ["--sigma", "12"]), (1, [])])
def test_a_16bit_denoise_is_one_result_on_the_command_line_and_the_api(tmp_path, tiny, channels, extra):
    px = _noisy16(channels)
    src, out = tmp_path / "in16.png", tmp_path / "out16.png"
    if channels == 1:
        Image.fromarray(px[:, :, 0]).save(src)   # a 16-bit grey PNG (mode I;16)
    else:
        import tifffile

        src = tmp_path / "in16.tif"
        out = tmp_path / "out16.tif"
        tifffile.imwrite(src, px)
    assert main(["denoise", str(src), "-o", str(out), "--checkpoint", tiny, *extra]) == 0
    data = imageio.load_image(out)
    assert data.bit_depth == 16
    cli = np.round(data.pixels * 65535).astype(np.uint16).reshape(px.shape)
    sigma = None if not extra else float(extra[1]) * 65535 / 255   # the API's sigma is in the array's units
    got = api.denoise(px if channels == 3 else px[:, :, 0], sigma, checkpoint=tiny)
    np.testing.assert_array_equal(got.reshape(px.shape), cli)
