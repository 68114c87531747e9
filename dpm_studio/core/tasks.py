"""Image-level tasks (inpaint, denoise, sample) as generators of step records.

This is the layer the GUI runner and the CLI share: images go in as float arrays in
[0, 1] of shape (H, W, C), the model works in its own unit-variance space (the card's
``data.scale``), and every record carries the current state and the model's x_0
estimate back in image space, ready to show. The last record (``done``) carries the
result: a single sample, or the mean of ``samples`` samples (the posterior mean).

Channel mismatches are handled, not refused: a grey model restores each colour channel
of an RGB image as its own grey image; a colour model restores a grey image as RGB with
equal channels and returns their mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .conditioning import Condition, Denoise, Inpaint
from .sampling import reverse_trajectory

TASKS = ("inpaint", "denoise", "sample")


@dataclass
class TaskStep:
    index: int
    total: int
    t: float
    image: np.ndarray        # the current state x_t, (H, W, C) in [0, 1]
    x0: np.ndarray | None    # the model's estimate of x_0, same layout
    done: bool = False


def _scale(card):
    sc = card["data"].get("scale", {"mean": 0.0, "std": 1.0})
    return float(sc.get("mean", 0.0)), float(sc.get("std", 1.0))


def _to_batch(img: np.ndarray, channels: int) -> tuple[torch.Tensor, str]:
    """(H, W, C) -> (B, channels, H, W) plus how to undo it."""
    if img.ndim == 2:
        img = img[:, :, None]
    c = img.shape[2]
    t = torch.from_numpy(np.ascontiguousarray(img, dtype=np.float32)).permute(2, 0, 1)[None]
    if c == channels:
        return t, "same"
    if channels == 1:
        return t.permute(1, 0, 2, 3), "split"     # each image channel a grey sample
    if c == 1 and channels == 3:
        return t.expand(1, 3, *t.shape[2:]).clone(), "mean"
    raise ValueError(f"cannot run a {channels}-channel model on a {c}-channel image")


def _from_batch(x: torch.Tensor, how: str) -> np.ndarray:
    if how == "split":
        x = x.permute(1, 0, 2, 3)
    elif how == "mean":
        x = x.mean(1, keepdim=True)
    return x[0].permute(1, 2, 0).cpu().numpy()


def run_task(loaded, task: str, image: np.ndarray | None = None, *, mask: np.ndarray | None = None,
             sigma: float | None = None, size: tuple[int, int] | None = None, steps: int | None = None,
             seed: int | None = 0, samples: int = 1, mode: str = "clamp", device="cpu",
             jump_length: int = 0, jump_n_sample: int = 1):
    """Run ``task`` with a loaded checkpoint; yields :class:`TaskStep` records.

    ``image``: (H, W) or (H, W, C) floats in [0, 1]. ``mask``: (H, W) floats in [0, 1],
    1 = fill this pixel, fractional = feathered edge. ``sigma``: noise std in the image's
    [0, 1] units. ``size``: (H, W) for unconditional sampling. ``samples`` > 1 averages
    that many samples (the posterior mean); records show the first sample.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}")
    d, net, card = loaded.diffusion, loaded.net, loaded.card
    channels = int(card["data"].get("channels", 1))
    mean, std = _scale(card)
    binary = d.family == "binomial"
    if task == "sample":
        if size is None:
            raise ValueError("sampling needs an output size")
        how, B = "same", 1
        shape = (samples, channels, int(size[0]), int(size[1]))
        cond = Condition()
    else:
        if image is None:
            raise ValueError(f"{task} needs an image")
        x_img, how = _to_batch(image, channels)
        B = x_img.shape[0]
        y = (x_img > 0.5).float() if binary else (x_img - mean) / std
        y = y.repeat(samples, 1, 1, 1).to(device)
        shape = tuple(y.shape)
        if task == "inpaint":
            if mask is None:
                raise ValueError("inpainting needs a mask")
            known = 1.0 - torch.from_numpy(np.asarray(mask, dtype=np.float32))[None, None]
            cond = Inpaint(y, known.to(device).expand(shape[0], 1, *shape[2:]).expand_as(y), mode=mode)
        else:
            if binary:
                raise ValueError("denoising needs a Gaussian model")
            if sigma is None or sigma <= 0:
                raise ValueError("denoising needs a positive noise level")
            cond = Denoise(y, float(sigma) / std, start="matched")

    def to_image(x):
        if x is None:
            return None
        first = x[:B] if task != "sample" else x[:1]
        v = first if binary else first * std + mean
        return np.clip(_from_batch(v, how), 0.0, 1.0)

    gen = reverse_trajectory(d, net, shape, condition=cond, steps=steps, seed=seed, device=device,
                             jump_length=jump_length, jump_n_sample=jump_n_sample)
    for rec in gen:
        if rec.done:
            x = rec.x
            if samples > 1:
                x = x.reshape(samples, -1, *x.shape[1:]).float().mean(0)
            result = to_image(x)
            if task == "inpaint":  # known pixels come back exactly as they went in
                img = np.asarray(image, dtype=np.float32)
                img = img[:, :, None] if img.ndim == 2 else img
                keep = np.asarray(mask)[:, :, None] <= 0
                result = np.where(keep, img, result)
            yield TaskStep(rec.index, rec.total, rec.t, result, to_image(rec.x0), True)
        else:
            yield TaskStep(rec.index, rec.total, rec.t, to_image(rec.x), to_image(rec.x0))
