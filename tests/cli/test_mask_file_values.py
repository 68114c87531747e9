"""A mask file whose samples no rule reads as meant is refused in one line (imageio._mask_of, which the command
line, a batch and the app's Load Mask read masks by), as the API refuses such arrays (test_api_mask_values.py):
a float TIFF mask's NaN or infinity (read as 0 and 1 without a word: the decoder's note about them was never shown
for a mask) and negative samples (read from the minimum: a hole marked -1 on 0 came out inverted, every other
pixel filled). The command line reads no .npy mask ("not an image format"). Both fail without the check: the run
wrote its result, exit 0."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image

from dpm_studio import imageio
from dpm_studio.cli.main import main


def _files(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(tmp_path / "in.png")
    m = np.zeros((16, 16), np.float32)
    m[6:10, 6:10] = 1
    nan = m.copy()
    nan[7, 8] = np.nan
    tifffile.imwrite(tmp_path / "nan.tif", nan)
    tifffile.imwrite(tmp_path / "inf.tif", np.where(m > 0, np.inf, 0).astype(np.float32))
    tifffile.imwrite(tmp_path / "neg.tif", -m)
    tifffile.imwrite(tmp_path / "ok.tif", m * 0.5)
    return tmp_path / "in.png"


@pytest.mark.parametrize("name, words", [("nan.tif", "nan.tif cannot be a mask: 1 of its samples are NaN or infinite; "
                                          "a mask is 0 where the image is kept and more than 0 where it changes"),
                                         ("inf.tif", "inf.tif cannot be a mask: 16 of its samples are NaN or infinite"),
                                         ("neg.tif", "neg.tif cannot be a mask: its values reach -1, below 0")])
@pytest.mark.parametrize("task", ["inpaint", "denoise", "batch"])
def test_a_mask_file_of_nan_infinity_or_negative_values_is_one_line(tmp_path, tiny, capsys, name, words, task):
    src = _files(tmp_path)
    if task == "batch":   # one mask for a folder of images
        (tmp_path / "in").mkdir()
        src.rename(tmp_path / "in" / "a.png")
        src = tmp_path / "in"
    argv = ["inpaint" if task != "denoise" else "denoise", str(src), "--mask", str(tmp_path / name), "--checkpoint",
            tiny, "-o", str(tmp_path / ("out" if task == "batch" else "out.png"))]
    assert main(argv + (["--steps", "2"] if task != "denoise" else ["--sigma", "10"])) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0], err
    assert not (tmp_path / "out.png").exists() and not (tmp_path / "out").exists()


def test_a_float_mask_file_in_range_still_reads_as_before(tmp_path):
    _files(tmp_path)
    m = imageio.load_mask(tmp_path / "ok.tif")
    assert m.dtype == np.float32 and m.max() == 0.5 and (m > 0).sum() == 16
