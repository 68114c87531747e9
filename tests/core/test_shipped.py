"""Every shipped checkpoint loads, says where its data came from, and still has the bound on its card."""

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from dpm_studio.core.math.bound import estimate_bound, run
from dpm_studio.core.files.checkpoint import list_cards, load
from dpm_studio.core.train.presets import preset_for_card
from dpm_studio.core.files.locations import app_root

SHIPPED = list_cards([app_root() / "checkpoints"])


def test_the_paper_toys_are_shipped():
    names = {c["name"] for c in SHIPPED}
    assert {"heartbeat", "swiss-roll"} <= names


@pytest.mark.parametrize("card", SHIPPED, ids=[c["name"] for c in SHIPPED])
def test_card_is_complete(card):
    for key in ("description", "network", "diffusion", "data", "training", "bound"):
        assert key in card, key
    assert card["data"].get("provenance")
    assert card["training"]["steps"] > 0 and card["training"]["wall_time_s"] > 0
    assert card["training"]["hardware"]
    assert {"K", "K_stderr", "units", "n"} <= set(card["bound"])


# The run-to-run standard deviation of the re-measurement below (N_T stratified steps on the card's
# held-out set, spacing_for() strata), bits per unit, and the number of runs it is from, measured by
# `python benchmarks/shipped_bound_noise.py --runs R NAME` (DPM_STUDIO_WALLPAPERS set for the photos
# models) on 2026-11-28, photos-rgb-v2 on 2026-12-06 (on its card's own held-out set: preset_for_card).
# On a fixed held-out set the estimate's only noise is Monte Carlo (the draws of t and x_t); the card's
# K_stderr is the spread over the held-out examples, which both measurements share, so it is not the
# tolerance. The image cards were re-measured (`dpm-studio evaluate NAME --update-card`, 32 log-spaced
# strata) when the log strata cut this noise 30-fold.
N_T = 8
NOISE = {  # name: (s.d. of one re-measurement, runs); the old equal-width strata in brackets
    "dead-leaves": (0.0153, 5),  # (0.58)
    "textures-gray": (0.0222, 5),  # (1.80)
    "photos-rgb": (0.0964, 5),
    "photos-rgb-v2": (0.0526, 5),  # 161 s a run on the loaded 2-core machine; weights x 0.75: K -0.58
    "digits-binary": (0.0008, 5),  # (0.0018)
    "heartbeat": (0.0260, 6),  # equal widths (0.098 with log strata)
    "swiss-roll": (0.1447, 6),  # equal widths
}
# 95 % upper confidence bound of a standard deviation estimated from R runs: s * sqrt((R-1) / chi2_0.05(R-1)).
_CHI2_05 = {4: 0.711, 5: 1.145, 6: 1.635, 7: 2.167}


def _held_out(card):
    """Toys: 2,000 points (the set repeated). Images: the card's whole held-out set (64-500 patches)."""
    x0 = preset_for_card(card).held_out()
    n = 2000 if x0.dim() == 2 else x0.shape[0]
    return x0.repeat(math.ceil(n / x0.shape[0]), *([1] * (x0.dim() - 1)))[:n] if x0.shape[0] < n else x0[:n]


def spacing_for(x0):
    """Images: log-spaced step strata (their KL terms fall as 1/t: 30x less noise on the textures);
    the toys: equal widths (the heartbeat's noise is 4x lower with them)."""
    return "log" if x0.dim() == 4 else "uniform"


def _tolerance(name):
    """4 standard deviations of the difference, each taken at the 95 % upper bound of its measured
    value: this estimate's noise, and the card's own (its 32-strata estimate has at most half of it:
    s.d. falls at least as 1 / sqrt(steps); the toys' cards are full sums with less still)."""
    assert name in NOISE, f"no measured noise for {name}: run benchmarks/shipped_bound_noise.py {name}"
    sd, runs = NOISE[name]
    return 4 * sd * math.sqrt((runs - 1) / _CHI2_05[runs - 1]) * math.sqrt(1 + 1 / 4)


@pytest.mark.parametrize("card", SHIPPED, ids=[c["name"] for c in SHIPPED])
def test_card_bound_is_re_measured(card):
    """Re-measure K on the card's held-out data with a stratified subset of steps; it must agree with
    the card within four standard deviations of the estimate's measured noise."""
    sources = card["data"].get("provenance", {})
    sources = sources.get("sources", []) if isinstance(sources, dict) else []
    if any(src.get("origin") == "wallpaper folder" for src in sources) and not os.environ.get("DPM_STUDIO_WALLPAPERS"):
        pytest.skip("trained on the Debian wallpapers: set DPM_STUDIO_WALLPAPERS (scripts/fetch_wallpapers.sh) "
                    "to re-measure on the same held-out split (test_photos_on_the_shipped_held_out_patches "
                    "re-measures photos-rgb and photos-rgb-v2 without them, on crops both held out)")
    loaded = load(card["path"])
    preset = preset_for_card(card)
    try:
        x0 = _held_out(card)
    except FileNotFoundError as e:  # a folder with other wallpapers (.ci/run fetches photos-rgb's package only)
        pytest.skip(f"the wallpaper folder lacks this card's files ({str(e)[:120]}...): "
                    "test_photos_on_the_shipped_held_out_patches re-measures it on shared crops")
    res = run(estimate_bound(loaded.diffusion, loaded.net, x0, n_t=N_T, unit_size=preset.unit_size, units=preset.units,
                             generator=torch.Generator().manual_seed(0), spacing=spacing_for(x0)))
    tol = _tolerance(card["name"])
    assert abs(res.K - card["bound"]["K"]) < tol, (res.K, card["bound"]["K"], tol)


HELD_OUT_PATCHES = Path(__file__).resolve().parents[1] / "data" / "photos-rgb-held-out.npz"
# Other shipped checkpoints' K on (the first of) the same crops: one made for each checkpoint trained on every
# image the crops come from, with the same split, so the crops are held out for it too, though not its card's
# own held-out set. Made by `python scripts/make_held_out_patches.py --checkpoint NAME` (no wallpapers needed).
HELD_OUT_REFERENCES = Path(__file__).resolve().parents[1] / "data" / "held-out-references.json"


def _crop_references():
    """{name: reference} per checkpoint measured on the shipped crops: K_ref, K_sd (one run's), runs, crops
    (the first that many), n_t (strata) and, where it was made for other weights, their weights_sha256."""
    ref = np.load(HELD_OUT_PATCHES)
    out = {"photos-rgb": {"K_ref": float(ref["K_ref"]), "K_sd": float(ref["K_sd"]), "runs": int(ref["runs"]),
                          "crops": ref["pixels"].shape[0], "n_t": int(ref["n_t"])}}
    return out | json.loads(HELD_OUT_REFERENCES.read_text())


CROP_REFERENCES = _crop_references()


@pytest.mark.parametrize("name", CROP_REFERENCES)
def test_photos_on_the_shipped_held_out_patches(name):
    """The photo models re-measured with no network and no wallpapers: 32 of photos-rgb's held-out crops
    ship with the tests (tests/data, made by scripts/make_held_out_patches.py), with K on them measured when
    they were made (the mean of ``runs`` runs; one run's s.d., 0.27 bits/pixel for photos-rgb: the draws of
    the dequantisation noise add to those of t and x_t); the same estimate must agree within 4 s.d. at the
    95 % upper bound of that measurement. photos-rgb-v2 (trained on the same images and more, split alike,
    so these crops are held out for it too) is measured on the first 16 with 8 strata: its network costs
    2.7 times photos-rgb's per patch, and the CI's time is short. Its reference is its own K on these crops,
    not its card's (the card's held-out set has patches of its other images)."""
    from dpm_studio.core.train.data.images import dequantise

    r = CROP_REFERENCES[name]
    pixels = np.load(HELD_OUT_PATCHES)["pixels"][:r["crops"]]
    loaded = load(app_root() / "checkpoints" / name)
    assert r.get("weights_sha256", loaded.card["weights_sha256"]) == loaded.card["weights_sha256"], (
        f"checkpoints/{name} has new weights: remake its reference (scripts/make_held_out_patches.py --checkpoint {name})")
    g = torch.Generator().manual_seed(0)
    scale = loaded.card["data"]["scale"]
    x0 = dequantise(torch.from_numpy(pixels).permute(0, 3, 1, 2).float(), scale["mean"], scale["std"], g)
    res = run(estimate_bound(loaded.diffusion, loaded.net, x0, n_t=r["n_t"], unit_size=64.0 * 64.0,
                             units="bits/pixel", generator=g))
    runs = r["runs"]
    tol = 4 * r["K_sd"] * math.sqrt((runs - 1) / _CHI2_05[runs - 1]) * math.sqrt(1 + 1 / runs)
    assert abs(res.K - r["K_ref"]) < tol, (res.K, r["K_ref"], tol)
