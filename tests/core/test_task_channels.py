"""Images whose channels do not match the checkpoint: converted where that is well defined
(grey model on RGB per channel, RGB model on grey by replication, alpha kept aside), refused
with the reason otherwise."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dpm_studio.core import GaussianDiffusion, Schedule
from dpm_studio.core.files.checkpoint import Loaded
from dpm_studio.core.math.nets import build_net
from dpm_studio.core.run.tasks import run_task


def _loaded(channels):
    torch.manual_seed(0)
    spec = {"type": "multiscale", "kwargs": {"T": 10, "channels": channels}}
    card = {"name": "t", "data": {"channels": channels, "scale": {"mean": 0.5, "std": 0.25}}}
    return Loaded(GaussianDiffusion(Schedule("cosine", 10), "eps"), build_net(spec).eval(), card, None)


def _image(c, h=12, w=16):
    return np.random.default_rng(c).random((h, w, c)).astype(np.float32)


def _mask(h=12, w=16):
    m = np.zeros((h, w), np.float32)
    m[3:8, 4:12] = 1
    return m


@pytest.mark.parametrize("model_c,image_c", [(1, 1), (1, 3), (3, 1), (3, 3), (1, 2), (3, 2), (1, 4), (3, 4)])
@pytest.mark.parametrize("task", ["inpaint", "denoise"])
def test_output_has_the_input_channels_and_alpha_is_untouched(model_c, image_c, task):
    img = _image(image_c)
    if task == "inpaint" and model_c == 1 and image_c >= 3:  # a grey picture stored as RGB(A): colour is refused
        img[:, :, 1:3] = img[:, :, :1]
    kw = {"mask": _mask(), "steps": 2} if task == "inpaint" else {"sigma": 0.1, "method": "mmse"}
    recs = list(run_task(_loaded(model_c), task, img, **kw))
    out = recs[-1].image
    assert out.shape == img.shape and 0 <= out.min() and out.max() <= 1
    if image_c in (2, 4):
        np.testing.assert_array_equal(out[:, :, -1], img[:, :, -1])
        for r in recs[:-1]:  # previews carry the alpha of the region they show
            assert r.image.shape[2] == image_c
    if task == "inpaint":
        keep = _mask() == 0
        np.testing.assert_array_equal(out[keep], img[keep])


def test_grey_model_on_rgb_restores_each_channel_as_a_grey_image():
    """Per channel: the R channel of an RGB run equals a grey run on the R channel alone."""
    img = _image(3)
    both = list(run_task(_loaded(1), "denoise", img, sigma=0.1, method="mmse"))[-1].image
    red = list(run_task(_loaded(1), "denoise", img[:, :, :1], sigma=0.1, method="mmse"))[-1].image
    np.testing.assert_allclose(both[:, :, :1], red, atol=1e-6)


@pytest.mark.parametrize("model_c,image_c", [(2, 3), (3, 5), (2, 1)])
def test_other_channel_counts_are_refused_with_the_reason(model_c, image_c):
    with pytest.raises(ValueError, match=f"takes {model_c}-channel images and a"):
        list(run_task(_loaded(model_c), "denoise", _image(image_c), sigma=0.1, method="mmse"))


@pytest.mark.parametrize("bad", [np.zeros((0, 5)), np.zeros((4, 0, 3)), np.zeros((2, 2, 2, 2)), np.zeros(5)])
def test_degenerate_arrays_are_refused(bad):
    with pytest.raises(ValueError, match="non-empty"):
        list(run_task(_loaded(1), "denoise", bad, sigma=0.1))
