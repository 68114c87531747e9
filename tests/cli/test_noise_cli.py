"""--noise auto | constant | poisson-gaussian on the command line and in the Python API."""

import json

import numpy as np
import pytest
from PIL import Image

from dpm_studio import api
from dpm_studio.cli.main import main
from dpm_studio.core.run.noise_law import FIT_A_SHRINK
from dpm_studio.imageio import METADATA_KEY


def _camera_file(path, a=0.01, b=0.001, size=64, seed=0):
    """A ramp with Poisson-Gaussian noise, as an 8-bit file."""
    rng = np.random.default_rng(seed)
    x = np.tile(np.linspace(0.05, 0.95, size), (size, 1))[:, :, None].repeat(3, 2)
    y = np.clip(np.round((x + np.sqrt(a * x + b) * rng.standard_normal(x.shape)) * 255), 0, 255).astype(np.uint8)
    Image.fromarray(y).save(path)
    return y


def _run(tmp_path, *extra):
    src, out = tmp_path / "in.png", tmp_path / "out.png"
    if not src.exists():
        _camera_file(src)
    code = main(["denoise", str(src), "-o", str(out), "--ensemble", "1", "--overwrite", *extra])
    meta = json.loads(Image.open(out).info[METADATA_KEY])["runs"][-1] if code == 0 else None
    return code, meta


def test_auto_is_the_default_and_records_the_fit(tmp_path, tiny, capsys):
    code, meta = _run(tmp_path, "--checkpoint", tiny)
    assert code == 0
    assert meta["noise"] == "poisson-gaussian" and meta["noise_fit"]["kind"] == "poisson-gaussian"
    fit = meta["noise_fit"]  # the denoiser is told the fit's a less a share of its standard error
    assert meta["noise_a"] == pytest.approx(fit["a"] - FIT_A_SHRINK * fit["a_se"], rel=1e-3) and meta["noise_a"] > 0
    assert "estimated noise: poisson-gaussian" in capsys.readouterr().err
    assert meta["noise_fit"]["a_se"] > 0 and len(meta["noise_fit"]["channels"]) == 3


def test_given_models_are_recorded(tmp_path, tiny):
    code, meta = _run(tmp_path, "--checkpoint", tiny, "--noise", "poisson-gaussian", "--noise-a", "0.004",
                      "--noise-b", "0.0004")
    assert code == 0 and (meta["noise"], meta["noise_a"], meta["noise_b"]) == ("poisson-gaussian", 0.004, 0.0004)
    assert "noise_fit" not in meta
    code, meta = _run(tmp_path, "--checkpoint", tiny, "--sigma", "12")  # today's command: constant
    assert code == 0 and meta["noise"] == "constant" and meta["sigma_255"] == 12.0 and "noise_a" not in meta
    code, meta = _run(tmp_path, "--checkpoint", tiny, "--noise", "constant")  # estimated sigma
    assert code == 0 and meta["noise"] == "constant" and meta["sigma_255"] > 0


@pytest.mark.parametrize("extra,message", [
    (["--noise", "poisson-gaussian", "--noise-a", "0.01"], "needs b from 0 to 1"),
    (["--noise", "poisson-gaussian", "--noise-a", "0", "--noise-b", "0"], "needs a or b above 0"),
    (["--noise", "poisson-gaussian", "--noise-a", "0.01", "--noise-b", "0.001", "--sigma", "5"], "sigma is a constant"),
    (["--noise-a", "0.01", "--noise-b", "0.001"], "need the Poisson-Gaussian noise model"),
    (["--noise", "auto", "--sigma", "5"], "given sigma is a constant"),
    (["--noise", "poisson-gaussian", "--noise-a", "2", "--noise-b", "0.1"], "noise's a must be 0 to 1"),
    (["--noise", "poisson-gaussian", "--noise-a", "0.01", "--noise-b", "nan"], "not a finite number"),
    (["--noise", "shot"], "invalid choice"),
])
def test_bad_noise_options_are_one_line(tmp_path, tiny, capsys, extra, message):
    code, _ = _run(tmp_path, "--checkpoint", tiny, *extra)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and message in err[-1] and not any("Traceback" in line for line in err)
    assert not (tmp_path / "out.png").exists()


def test_api_takes_the_same(tmp_path, tiny):
    y = _camera_file(tmp_path / "in.png")
    out = api.denoise(y, checkpoint=tiny, ensemble=1)  # auto
    assert out.shape == y.shape and out.dtype == np.uint8
    out2 = api.denoise(y, noise="poisson-gaussian", noise_a=0.01, noise_b=0.001, checkpoint=tiny, ensemble=1)
    assert out2.shape == y.shape
    with pytest.raises(ValueError, match="Poisson-Gaussian"):
        api.denoise(y, noise="poisson-gaussian", noise_a=0.01, checkpoint=tiny)
    with pytest.raises(ValueError, match="need the Poisson-Gaussian"):
        api.denoise(y, noise_a=0.01, noise_b=0.001, checkpoint=tiny)
    with pytest.raises(ValueError, match="one of"):
        api.denoise(y, noise="shot", checkpoint=tiny)
    with pytest.raises(ValueError, match="sigma is a constant"):
        api.denoise(y, 10, noise="auto", checkpoint=tiny)
