"""How much memory there is, how much a run will take, and what an allocation failure looks like.

A run that cannot fit is refused before it starts, in one line that says how much it
needs and how much there is; an allocation that fails anyway (the estimate is rough)
is recognised by any of the wordings PyTorch, the C allocator and Python use.
"""

from __future__ import annotations

import os

#: What "can't allocate", "out of memory" and friends look like in RuntimeError messages.
_ALLOC_WORDS = ("out of memory", "can't allocate memory", "cannot allocate memory", "defaultcpuallocator",
                "failed to allocate", "allocation of", "not enough memory", "std::bad_alloc")


class MemoryBudgetError(ValueError):
    """A run that would not fit in the memory available; the message says by how much."""


def _read_int(path: str) -> int | None:
    try:
        with open(path) as f:
            text = f.read(64).strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def available_bytes() -> int:
    """Memory this process can still take: MemAvailable, lowered by a cgroup (container) limit."""
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = 8 << 30  # unknown: assume a modest machine
    limit, used = _read_int("/sys/fs/cgroup/memory.max"), _read_int("/sys/fs/cgroup/memory.current")
    if limit is not None and used is not None:
        avail = min(avail, max(0, limit - used))
    return int(avail)


def gib(n: float) -> str:
    return f"{n / 2 ** 30:.1f} GB"


def is_allocation_failure(e: BaseException) -> bool:
    """True for MemoryError, torch's OutOfMemoryError and RuntimeErrors worded as allocation failures."""
    if isinstance(e, MemoryError):
        return True
    if type(e).__name__ == "OutOfMemoryError":
        return True
    return isinstance(e, RuntimeError) and any(w in str(e).lower() for w in _ALLOC_WORDS)


def network_bytes(card: dict, batch: int, height: int, width: int) -> int:
    """A rough peak for one network call on ``batch`` images of height x width (inference).

    Measured with photos-rgb's U-Net (float32, no gradients, one thread): 37, 168 and 292 MB
    more peak memory per image of 128, 256 and 384 pixels square, about 2.6 KB per pixel, or
    11-12 activations of the widest level at full resolution alive at once.
    """
    kw = card.get("network", {}).get("kwargs", {}) or {}
    if card.get("network", {}).get("type") == "unet":
        width_ch = int(kw.get("base", 28)) * max([int(m) for m in kw.get("channel_mults", (1, 2, 2))] or [1])
    else:
        width_ch = int(kw.get("conv_filters", 20)) * int(kw.get("num_scales", 3))
    return int(batch) * int(height) * int(width) * 4 * (12 * width_ch + 16)


def check_fits(need: int, what: str, hint: str, available: int | None = None) -> None:
    """Raise :class:`MemoryBudgetError` unless ``need`` bytes fit in what is available."""
    have = available_bytes() if available is None else available
    if need > have:
        raise MemoryBudgetError(f"{what} needs about {gib(need)} of memory and {gib(have)} is available: {hint}")


def run_bytes(loaded, job) -> int:
    """A rough peak for running ``job`` (a resolved :class:`~.jobs.Job`) with ``loaded``.

    The largest piece of the job's plan decides: a sample is one piece of ``size``;
    denoising works tile by tile (``tile_batch`` tiles per call for the one-step mean);
    inpainting works on a crop around each masked region. A grey model on a colour image
    runs each channel as its own image.
    """
    card, req = loaded.card, job.request
    model_c = int(card.get("data", {}).get("channels", 1))
    h, w = max(((b[2] - b[0], b[3] - b[1]) for b in job.plan), key=lambda hw: hw[0] * hw[1], default=(0, 0))
    if req.task == "sample":
        return network_bytes(card, req.samples, h, w)
    H, W, img_c = job.image.shape
    split = img_c if model_c == 1 else 1
    whole = H * W * 4 * 12 * max(img_c, 1)  # the image, its result and a few float copies
    if req.task == "denoise":
        if req.method == "mmse":
            batch = int(req.tile_batch) * split * (int(req.grey_draws) if model_c == 3 and img_c == 1 else 1)
        else:
            batch = int(req.samples) * split
        return whole + network_bytes(card, batch, h, w)
    return whole * (1 + int(req.samples)) + network_bytes(card, int(req.samples) * split, h, w)


def check_run(loaded, job, available: int | None = None) -> None:
    """Refuse a job that will not fit in memory, before anything is allocated for it."""
    hint = {"sample": "choose a smaller --size (or fewer samples)",
            "denoise": "use a smaller --tile or --tile-batch, or fewer --samples",
            "inpaint": "paint a smaller mask (the model works on a crop around each masked region), "
                       "use fewer --samples or a smaller image"}[job.task]
    check_fits(run_bytes(loaded, job), f"this {job.task} run", hint, available)
