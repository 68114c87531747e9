"""--keep-sample (the app's Accept of the draw it shows) is the API's keep_sample too: the same draw kept, the
same refusals in the same words (core/run/requests.kept_variant)."""

from __future__ import annotations

import numpy as np
import pytest

from dpm_studio import api, imageio
from dpm_studio.cli.main import main


def _u8(path):
    return (imageio.load_image(path).pixels * 255 + 0.5).astype(np.uint8)


@pytest.mark.parametrize("keep", [0, 2])
def test_the_api_keeps_the_draw_the_command_line_keeps(tmp_path, tiny, img, keep):
    src, mask = img
    out, drawn = tmp_path / "o.png", tmp_path / "d.png"
    assert main(["inpaint", str(src), "--mask", str(mask), "-o", str(out), "--checkpoint", tiny, "--steps", "3",
                 "--samples", "3", "--mode", "clamp-approx", "--keep-sample", str(keep)]) == 0
    from PIL import Image

    px, m = np.asarray(Image.open(src)), np.asarray(Image.open(mask))
    got = api.inpaint(px, m, checkpoint=tiny, steps=3, samples=3, mode="clamp-approx", keep_sample=keep)
    np.testing.assert_array_equal(got, _u8(out))
    assert main(["sample", "-o", str(drawn), "--checkpoint", tiny, "--steps", "2", "--samples", "3", "--size",
                 "16x8", "--keep-sample", str(keep)]) == 0
    s = api.sample((8, 16), checkpoint=tiny, steps=2, samples=3, keep_sample=keep)
    np.testing.assert_array_equal((s * 255 + 0.5).astype(np.uint8), _u8(drawn))
    if keep:   # another draw than the default's
        assert not np.array_equal(got, api.inpaint(px, m, checkpoint=tiny, steps=3, samples=3, mode="clamp-approx"))


@pytest.mark.parametrize("extra, kw, words", [
    (["--samples", "2", "--keep-sample", "3"], {"samples": 2, "keep_sample": 3}, "3 is past the 2 draws"),
    (["--keep-sample", "1", "--samples", "2"], {"samples": 2, "keep_sample": 1, "method": "mmse"},
     "keeps one of several draws: the mmse method makes one estimate"),
])
def test_a_kept_draw_that_cannot_be_is_refused_in_the_same_words(tmp_path, tiny, img, capsys, extra, kw, words):
    src = img[0]
    assert main(["denoise", str(src), "-o", str(tmp_path / "o.png"), "--checkpoint", tiny, *extra,
                 *(["--method", "sample"] if kw.get("method") != "mmse" else [])]) == 2
    line = capsys.readouterr().err.strip()
    from PIL import Image

    with pytest.raises(ValueError) as e:
        api.denoise(np.asarray(Image.open(src)), 20, checkpoint=tiny, **{"method": "sample", **kw})
    assert words in line and words in str(e.value)
    assert line == f"dpm-studio: error: {str(e.value).replace('keep_sample', '--keep-sample')}."
