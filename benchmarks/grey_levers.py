"""Levers for a grey image on the colour model under the generalized Anscombe transform (issue 22).

    python benchmarks/grey_levers.py SET VARIANT[,VARIANT...] [auto | time]
    python benchmarks/grey_levers.py SET fitshare     # per case: what the fit's error in a and b costs

``SEED_OFFSET=N`` adds N to every noisy file's seed (the same cases under other noise).

SET: test (the five test images in grey, the three (a, b) levels of benchmarks/camera_noise.py, its
seeds), testc (the three colour ones), const / constgrey (constant noise sigma 15/25/50, its seeds:
the one-sigma request) or heldout: Debian's mate-backgrounds nature photos (evaluation only, never
training), unpacked with `apt-get download mate-backgrounds && dpkg-deb -x mate-backgrounds_*.deb DIR`
under $MATE_DIR (default /tmp/grey22/eval/x), each a quarter size, its centre 256 x 256 in grey.
Each case runs the default request with the true a, b (``auto``: --noise auto) and each VARIANT, and
the table prints PSNR and the mean change against the first VARIANT (``time``: the seconds of
--noise auto under each VARIANT against the one-sigma request, best of 3 interleaved). VARIANTs: base (as shipped);
old (one view without the censoring's estimate as a second view); crN (that view's reach N px); preS (the
clipped pixels pre-filled under the file blurred by S px before the censoring pass, pre0: off; joined by +:
pre0+cr3 is the default before the pre-fill);
kK (the told std times K on the grey path); wR_G_B (the luminance as that weighted mean of the RGB
estimate); fF (the added colour-difference noise times F); gridN (the inverse's grid); cC / oO (the
transformed image's contrast about its centre / its offset); mean (the transform matched to the image
at its mean level); blendN (N noise levels blended per pixel, no transform); s1 (three shifted copies
as the colour channels); r:setting=value[+...] (a request setting, e.g. r:ensemble=3); prev (the grey
second view mirrored with the censoring pass's colour draw, before 6be0077); sv:GEO_DRAW[_kK][_cC][_wW] (the
second view as GEO: flip, id, roll1, flipr1, tr, r180; its colour draw same, new or anti; told K times the
std, the censoring pass C times; weight W); v3qQ[_bB] (a third view counted in the fraction Q of B x B
squares where the two views disagree most); shrinkL (--noise auto tells the fitted a less L standard
errors, noise_law.FIT_A_SHRINK; shipped 0.3). ``fitshare``: each case's fit (a, b off the truth, in
units of the truth, and the fit's standard errors), and the PSNR change against the true a, b with the
fitted a, b, the fitted a alone, the fitted b alone, and the true a or b 5 % / 30 % too high or too low. Docs:
docs/camera-noise.md, "Grey: the levers measured".
"""
import glob
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
from restoration import TEST_IMAGES, psnr, test_image
from camera_noise import camera_file, LEVELS
from skimage.color import rgb2gray
from dpm_studio.core.files.checkpoint import load, resolve
from dpm_studio.core.run.requests import DenoiseRequest
from dpm_studio.core.run import tasks
from dpm_studio.core.run.tasks import run_task

def camera_file_seeded(x, a, b, seed):
    return camera_file(x, a, b, seed + int(os.environ.get("SEED_OFFSET", "0")))


def cases(which):
    if which.startswith("const"):
        from camera_noise import variants
        for k, (name, mode, x) in enumerate(variants(False)):
            if which == "constgrey" and mode != "grey":
                continue
            for sig in (15, 25, 50):
                rng = np.random.default_rng(1000 + 10 * k + sig)
                y = (np.clip(np.round((x + sig / 255 * rng.standard_normal(x.shape)) * 255), 0, 255) / 255).astype(np.float32)
                yield name + mode[0], sig, None, None, x, y
        return
    if which == "testc":
        order = {n: i for i, n in enumerate(TEST_IMAGES)}
        for name in ("astronaut", "coffee", "chelsea"):
            x = test_image(name)
            for j, (a, b) in enumerate(LEVELS):
                yield name, j, a, b, x, camera_file_seeded(x, a, b, 100 * (2 * order[name] + 1) + j)
        return
    if which == "test":
        order = {n: i for i, n in enumerate(TEST_IMAGES)}
        for name in TEST_IMAGES:
            x = test_image(name)
            x = rgb2gray(x).astype(np.float32) if x.ndim == 3 else x
            for j, (a, b) in enumerate(LEVELS):
                yield name, j, a, b, x, camera_file_seeded(x, a, b, 100 * 2 * order[name] + j)
    else:
        from PIL import Image
        files = sorted(glob.glob(os.path.join(os.environ.get("MATE_DIR", "/tmp/grey22/eval/x"), "usr/share/backgrounds/mate/nature/*.jpg")))
        for i, f in enumerate(files):
            im = Image.open(f).convert("RGB")
            w, h = im.size
            im = im.resize((w // 4, h // 4), Image.BOX)
            x = np.asarray(im, np.float32) / 255
            hh, ww = x.shape[:2]
            t, l = (hh - 256) // 2, (ww - 256) // 2
            x = rgb2gray(x[t:t + 256, l:l + 256]).astype(np.float32)
            x = (np.round(x * 255) / 255).astype(np.float32)
            name = f.split("/")[-1][:-4]
            for j, (a, b) in enumerate(LEVELS):
                yield name, j, a, b, x, camera_file_seeded(x, a, b, 7000 + 10 * i + j)

ORIG = {k: getattr(tasks, k) for k in ("_mmse_input", "_mmse_output", "grey_as_colour_noise")}
from dpm_studio.core.run import noise_law as NL
from dpm_studio.core.run.anscombe import GeneralizedAnscombe, gat
ORIG_ANS = NL._anscombe
ORIG_SHRINK = NL.FIT_A_SHRINK
ORIG_OV = tasks._one_view_with_censoring


def prev_ov(loaded, ys, firsts, crops, s, greys=None, seeds=None):
    """The second view before the grey one turned with a fresh draw (at ce034f6): mirrored, the same draw."""
    from dpm_studio.core.math.sampling import mmse_estimate
    flip = [f is not None for f in firsts]
    x = mmse_estimate(loaded.diffusion, loaded.net, torch.cat([y.flip(3) if fl else y for y, fl in zip(ys, flip)]), s)
    out = []
    for xk, f, fl, crop in zip(torch.split(x, [y.shape[0] for y in ys]), firsts, flip, crops):
        if not fl:
            out.append(xk)
            continue
        clipped = torch.from_numpy(np.ascontiguousarray(tasks._clipped(crop), dtype=np.float32))
        near = torch.nn.functional.max_pool2d(clipped[None, None], 2 * tasks.CENSOR_REACH + 1, 1, tasks.CENSOR_REACH) > 0
        w = torch.where(near, 1.0, 0.5).to(xk)
        out.append(w * xk.flip(3) + (1 - w) * f)
    return torch.cat(out)
CUR = {}
def reset():
    for k, v in ORIG.items():
        setattr(tasks, k, v)
    NL._anscombe = ORIG_ANS
    NL.FIT_A_SHRINK = ORIG_SHRINK

def remapped(a, b, F0, F1, grid=400):
    g = GeneralizedAnscombe(a, b, grid=grid)
    g.f0, g.f1, g.sigma_u = F0, F1, 1.0 / (F1 - F0)
    return g

from dpm_studio.core.run import censoring
DEFAULTS = {"CENSOR_REACH": tasks.CENSOR_REACH, "CENSOR_PREFILL_BLUR": censoring.CENSOR_PREFILL_BLUR}


def variant(v):
    reset()
    tasks.CENSOR_REACH, censoring.CENSOR_PREFILL_BLUR = DEFAULTS["CENSOR_REACH"], DEFAULTS["CENSOR_PREFILL_BLUR"]
    import re
    if re.fullmatch(r"((pre[0-9.]+|cr[0-9]+)\+?)+", v):
        for part in v.split("+"):
            if part.startswith("pre"):  # the clipped pixels pre-filled under the file blurred by S px (pre0: off)
                censoring.CENSOR_PREFILL_BLUR = float(part[3:])
            else:
                tasks.CENSOR_REACH = int(part[2:])
        return
    tasks._one_view_with_censoring = ORIG_OV
    if v.startswith("shrink"):  # --noise auto's fitted a told L standard errors lower
        NL.FIT_A_SHRINK = float(v[6:])
        return
    if v.startswith("v3q"):  # a third view counted where the two disagree most (v3qQ[_bB])
        q, *bl = v[3:].split("_b")
        tasks._one_view_with_censoring = third_view(float(q), int(bl[0]) if bl else 32)
    if v == "prev":  # the grey second view mirrored with the same colour-difference draw (ce034f6)
        tasks._one_view_with_censoring = prev_ov
    if v == "old":
        from dpm_studio.core.math.sampling import mmse_estimate
        tasks._one_view_with_censoring = lambda loaded, ys, firsts, crops, s: mmse_estimate(loaded.diffusion, loaded.net, torch.cat(ys), s)
    if v == "base":
        return
    if v.startswith("sv:"):  # the second (final-pass) view: sv:GEO_DRAW_kK_wW (see second_view)
        parts = v[3:].split("_")
        cs = [float(q[1:]) for q in parts if q.startswith("c")]
        parts = [q for q in parts if not q.startswith("c")]
        c = cs[0] if cs else 1.0
        if c != 1.0:  # the censoring pass told c times the std too (every tile of the test set is clipped)
            def mi(piece, seed, grey_draws, _o=ORIG["_mmse_input"]):
                y, s = _o(piece, seed, grey_draws)
                return (y, s * c) if piece.how == "mean" else (y, s)
            tasks._mmse_input = mi
            k = float(([q for q in parts if q.startswith("k")] or ["k1"])[0][1:])
            parts = [q for q in parts if not q.startswith("k")] + [f"k{k / c}"]
        tasks._one_view_with_censoring = second_view(*parts)
    if v.startswith("k"):  # told scale on the grey-on-colour path
        k = float(v[1:])
        def mi(piece, seed, grey_draws, _o=ORIG["_mmse_input"]):
            y, s = _o(piece, seed, grey_draws)
            return (y, s * k) if piece.how == "mean" else (y, s)
        tasks._mmse_input = mi
    if v.startswith("f"):  # colour-difference noise scaled by f (told sqrt3 s still)
        f = float(v[1:])
        def g(y, sigma, generator=None):
            import math
            s = math.sqrt(3.0) * float(sigma)
            z = torch.randn(y.shape, generator=generator, dtype=torch.float32, device=y.device).to(y.dtype) * s
            return y + f * (z - z.mean(1, keepdim=True)), s
        tasks.grey_as_colour_noise = g
    if v.startswith("grid"):
        n = int(v[4:])
        NL._anscombe = lambda a, b: GeneralizedAnscombe(a, b, grid=n)
    if v.startswith("c") and not v.startswith("cr"):  # contrast c about the centre of u's range
        c = float(v[1:])
        def an(a, b):
            f0, f1 = float(gat(0.0, a, b)), float(gat(1.0, a, b)); span = (f1 - f0) / c
            mid = 0.5 * (f0 + f1)
            return remapped(a, b, mid - span / 2, mid + span / 2)
        NL._anscombe = an
    if v.startswith("o") and v != "old":  # shift u by o (in u units)
        o = float(v[1:])
        def an(a, b):
            f0, f1 = float(gat(0.0, a, b)), float(gat(1.0, a, b)); span = f1 - f0
            return remapped(a, b, f0 - o * span, f1 - o * span)
        NL._anscombe = an
    if v == "mean":  # first-order match at the image's mean intensity
        def an(a, b):
            m = CUR["mean"]; span = 1 / (a * m + b) ** 0.5
            F0 = float(gat(m, a, b)) - m * span
            return remapped(a, b, F0, F0 + span)
        NL._anscombe = an
    if v.startswith("w"):  # luminance weights r,g,b
        w = torch.tensor([float(c) for c in v[1:].split("_")], dtype=torch.float32)
        w = w / w.sum()
        def mo(piece, x0):
            if piece.how != "mean":
                return ORIG["_mmse_output"](piece, x0)
            x = x0.mean(0, keepdim=True)
            lum = (x * w[None, :, None, None].to(x)).sum(1, keepdim=True)
            return ORIG["_mmse_output"](piece, lum.expand(1, 3, *lum.shape[2:]).contiguous())
        tasks._mmse_output = mo

def second_view(geo="flip", draw="same", *rest):
    """The final pass of a clipped tile seen as GEO (flip, roll1, flipr1, tr, id) with the grey
    path's colour-difference noise the censoring pass's (same), a fresh draw (new) or negated
    (anti), told K times the std, averaged with weight W away from the clipped pixels."""
    from dpm_studio.core.math.sampling import mmse_estimate
    from dpm_studio.core.math.rng import make_generator
    k = float(([q for q in rest if q.startswith("k")] or ["k1"])[0][1:])
    wfar = float(([q for q in rest if q.startswith("w")] or ["w0.5"])[0][1:])
    def fwd(t):
        if geo == "flip": return t.flip(3)
        if geo == "roll1": return torch.roll(t, (1, 1), (2, 3))
        if geo == "flipr1": return torch.roll(t.flip(3), (1, 1), (2, 3))
        if geo == "tr": return t.transpose(2, 3)
        if geo == "r180": return torch.rot90(t, 2, (2, 3))
        return t
    def inv(t):
        if geo == "flip": return t.flip(3)
        if geo == "roll1": return torch.roll(t, (-1, -1), (2, 3))
        if geo == "flipr1": return torch.roll(t, (-1, -1), (2, 3)).flip(3)
        if geo == "tr": return t.transpose(2, 3)
        if geo == "r180": return torch.rot90(t, -2, (2, 3))
        return t
    def ov(loaded, ys, firsts, crops, s, greys=None, seeds=None):
        out = []
        for y, f, crop in zip(ys, firsts, crops):
            if f is None:
                out.append(mmse_estimate(loaded.diffusion, loaded.net, y, s))
                continue
            m = y.mean(1, keepdim=True)
            if draw == "new":
                y = tasks.grey_as_colour_noise(m.expand_as(y).contiguous(), s / 3 ** 0.5, make_generator(y.device, 777))[0]
            elif draw == "anti":
                y = 2 * m - y
            x = inv(mmse_estimate(loaded.diffusion, loaded.net, fwd(y), s * k))
            clipped = torch.from_numpy(np.ascontiguousarray(tasks._clipped(crop), dtype=np.float32))
            R = tasks.CENSOR_REACH
            near = torch.nn.functional.max_pool2d(clipped[None, None], 2 * R + 1, 1, R) > 0
            wt = torch.where(near, 1.0, wfar)
            if "r1" in geo:  # the wrapped seam: the censoring's estimate alone
                seam = torch.zeros_like(wt, dtype=torch.bool)
                seam[..., :2, :] = seam[..., -2:, :] = seam[..., :, :2] = seam[..., :, -2:] = True
                wt = torch.where(seam & ~near, 0.0, wt)
            wt = wt.to(x)
            out.append(wt * x + (1 - wt) * f)
        return torch.cat(out)
    return ov

def third_view(q, block=32):
    """The shipped two views, and a third (mirrored, another fresh draw) counted only in the fraction q
    of block x block squares where the two disagree most (an upper bound for a third pass over crops)."""
    from dpm_studio.core.math.sampling import mmse_estimate
    from dpm_studio.core.math.rng import make_generator
    def ov(loaded, ys, firsts, crops, s, greys=None, seeds=None):
        out = []
        for y, f, crop, sd in zip(ys, firsts, crops, seeds):
            two = ORIG_OV(loaded, [y], [f], [crop], s, [True], [sd])
            if f is None:
                out.append(two)
                continue
            m = y.mean(1, keepdim=True).expand_as(y).contiguous()
            y3 = tasks.grey_as_colour_noise(m, s / 3 ** 0.5, make_generator(y.device, 4242 + (sd or 0)))[0]
            x3 = mmse_estimate(loaded.diffusion, loaded.net, y3.flip(3), s).flip(3)
            x2 = 2 * two - f  # away from the clipped pixels two = (x2 + f) / 2
            dis = torch.nn.functional.avg_pool2d(((x2 - f) ** 2).mean(1, keepdim=True), block)
            thr = torch.quantile(dis.flatten(), 1 - q)
            sel = torch.nn.functional.interpolate((dis >= thr).float(), scale_factor=block)
            clipped = torch.from_numpy(np.ascontiguousarray(tasks._clipped(crop), dtype=np.float32))
            R = tasks.CENSOR_REACH
            near = torch.nn.functional.max_pool2d(clipped[None, None], 2 * R + 1, 1, R) > 0
            three = torch.where(near, (two + x3) / 2, (f + x2 + x3) / 3)
            out.append(sel * three + (1 - sel) * two)
        return torch.cat(out)
    return ov

def blend(model, y, a, b, k, views=1, pilot_views=1):
    from camera_noise import levels_blend
    from dpm_studio.core.run.tasks import _Piece, _uncensor, ensemble_mmse, _mmse_input, _mmse_output
    g = GeneralizedAnscombe(a, b)
    pre = _uncensor(model, y[:, :, None], g, 255, 0, "cpu", 1, 1)
    p = _Piece(model, pre, 1, "cpu", g)
    yy, s = _mmse_input(p, 0, 1)
    pilot = _mmse_output(p, ensemble_mmse(model.diffusion, model.net, yy, s, pilot_views))
    return np.clip(levels_blend(model, pre, g, pilot, k, views), 0, 1), pilot

def shifted(model, y, a, b, mode):
    from dpm_studio.core.run.tasks import _uncensor, ensemble_mmse, _scale
    from dpm_studio.core.math.sampling import mmse_estimate
    g = GeneralizedAnscombe(a, b)
    pre = _uncensor(model, y[:, :, None], g, 255, 0, "cpu", 1, 1)[:, :, 0]
    u = g.forward(pre).astype(np.float32)
    mean, std = _scale(model.card)
    offs = [(0, 0), (0, 1), (1, 0)] if mode == "s1" else [(0, 0), (0, 1), (1, 1)]
    P = np.pad(u, 2, mode="reflect")
    H, W = u.shape
    ch = [P[2 + di:2 + di + H, 2 + dj:2 + dj + W] for di, dj in offs]
    t = torch.from_numpy(np.stack(ch)[None].copy())
    yy = (t - mean) / std
    x0 = mmse_estimate(model.diffusion, model.net, yy, g.sigma_u / std)[0].numpy() * std + mean
    acc = np.zeros((H + 4, W + 4)); cnt = np.zeros((H + 4, W + 4))
    for c, (di, dj) in enumerate(offs):
        acc[2 + di:2 + di + H, 2 + dj:2 + dj + W] += x0[c]; cnt[2 + di:2 + di + H, 2 + dj:2 + dj + W] += 1
    out = (acc / np.maximum(cnt, 1))[2:2 + H, 2:2 + W]
    return np.clip(g.inverse(out), 0, 1)

def mavg(model, y, a, b, r, flip=True, newdraw=False, wfar=0.5):
    from dpm_studio.core.run.tasks import _uncensor_estimate, _Piece, _mmse_input, _mmse_output, ensemble_mmse, DIHEDRAL
    from scipy.ndimage import binary_dilation, uniform_filter
    g = GeneralizedAnscombe(a, b)
    hwc = y[:, :, None] if y.ndim == 2 else y
    crop, first = _uncensor_estimate(model, hwc, g, 255, 0, "cpu", 1, 1)
    piece = _Piece(model, crop, 1, "cpu", g)
    yy, s = _mmse_input(piece, 1 if newdraw else 0, 1)
    if first is None:
        return _mmse_output(piece, ensemble_mmse(model.diffusion, model.net, yy, s, 1))
    v = yy.flip(3) if flip else yy
    from dpm_studio.core.math.sampling import mmse_estimate
    B = mmse_estimate(model.diffusion, model.net, v, s)
    B = B.flip(3) if flip else B
    clipped = ((y == 0) | (y == 1)) if y.ndim == 2 else ((y == 0) | (y == 1)).any(2)
    near = binary_dilation(clipped, iterations=r) if r > 0 else clipped
    w = np.where(near, 1.0, wfar)
    w = torch.from_numpy(w.astype(np.float32))[None, None]
    x0 = w * B + (1 - w) * first
    return _mmse_output(piece, x0)

def timing(model, which, vs):
    """Seconds of the one-sigma request (sigma estimated outside, as camera_noise.py's rows) and of
    --noise auto under each VARIANT, in-process, best of 3 interleaved runs per case."""
    from dpm_studio.core.run.noise import estimate_noise_sigma
    ratios = {v: [] for v in vs}
    for name, j, a, b, x, y in cases(which):
        s = estimate_noise_sigma(y)
        best = {}
        for _ in range(3):
            for v in ["one"] + vs:
                variant("base" if v == "one" else v)
                req = DenoiseRequest(sigma=s) if v == "one" else DenoiseRequest(noise="auto")
                t0 = time.perf_counter()
                for _rec in run_task(model, req, y):
                    pass
                best[v] = min(best.get(v, 1e9), time.perf_counter() - t0)
        for v in vs:
            ratios[v].append(best[v] / best["one"])
        print(f"{name:14s} {j} one sigma {best['one']:.2f}s  " + "  ".join(f"{v} {best[v]:.2f}s ({best[v] / best['one']:.2f}x)" for v in vs), flush=True)
    for v in vs:
        r = np.array(ratios[v])
        print(f"{v:12s} auto / one sigma: mean {r.mean():.2f}x (min {r.min():.2f} max {r.max():.2f})")


def fit_share(model, which):
    """Per case: the fit's error and what it costs against the true a, b (module docstring)."""
    from dpm_studio.core.run.noise_level import fit_noise_level

    def den(y, a, b):
        rec = None
        for rec in run_task(model, DenoiseRequest(noise="poisson-gaussian", noise_a=float(a), noise_b=float(b)), y):
            pass
        return np.squeeze(rec.image)
    cols = ("fit", "fit a", "fit b", "a+5%", "a-5%", "b+30%", "b-30%")
    res = {c: [] for c in cols}
    print(f"{'case':16s} {'a off (s.e.)':>16s} {'b off (s.e.)':>16s} {'true a,b':>8s} " + " ".join(f"{c:>7s}" for c in cols))
    for name, j, a, b, x, y in cases(which):
        f = fit_noise_level(y)
        if f is None or f.kind == "constant":
            print(f"{name:14s} {j} called constant")
            continue
        true = psnr(den(y, a, b), x)
        laws = ((f.a, f.b), (f.a, b), (a, f.b), (1.05 * a, b), (0.95 * a, b), (a, 1.3 * b), (a, 0.7 * b))
        for c, (aa, bb) in zip(cols, laws):
            res[c].append(psnr(den(y, aa, bb), x) - true)
        print(f"{name:14s} {j} {f.a / a - 1:+7.1%} ({f.a_se / a:5.1%}) {f.b / b - 1:+7.1%} ({f.b_se / b:5.1%}) {true:8.3f} "
              + " ".join(f"{res[c][-1]:+7.3f}" for c in cols), flush=True)
    print(f"{'mean':16s} {'':16s} {'':16s} {'':8s} " + " ".join(f"{np.mean(res[c]):+7.3f}" for c in cols))


def main():
    which, vs = sys.argv[1], sys.argv[2].split(",")
    if vs == ["fitshare"]:
        return fit_share(load(resolve("photos-rgb-v2")), which)
    if len(sys.argv) > 3 and sys.argv[3] == "time":
        return timing(load(resolve("photos-rgb-v2")), which, vs)
    auto = len(sys.argv) > 3 and sys.argv[3] == "auto"
    model = load(resolve("photos-rgb-v2"))
    res = {v: [] for v in vs}
    for name, j, a, b, x, y in cases(which):
        row = []
        CUR["mean"] = float(y.mean())
        for v in vs:
            variant(v)
            t0 = time.perf_counter()
            kw = {}
            if v.startswith("r:"):
                for kv in v[2:].split("+"):
                    kk, vv = kv.split("=")
                    kw[kk] = vv if kk == "clipping" else int(vv)
            req = DenoiseRequest(noise="auto", **kw) if auto or a is None else DenoiseRequest(noise="poisson-gaussian", noise_a=a, noise_b=b, **kw)
            if v.startswith("mavg"):
                parts = v[4:].split("_")
                out = mavg(model, y, a, b, int(parts[0]), flip="nf" not in parts, newdraw="nd" in parts,
                           wfar=float([p for p in parts if p.startswith("w")][0][1:]) if any(p.startswith("w") for p in parts) else 0.5)
                p = psnr(np.squeeze(out), x)
            elif v in ("s1", "s2"):
                out = shifted(model, y, a, b, v)
                p = psnr(out, x)
            elif v.startswith("blend"):
                out, pilot = blend(model, y, a, b, int(v[5:]))
                p = psnr(np.squeeze(out), x)
            else:
                rec = None
                for rec in run_task(model, req, y):
                    pass
                p = psnr(np.squeeze(rec.image), x)
            res[v].append(p)
            row.append(f"{p:.2f} ({time.perf_counter() - t0:.1f}s)")
        print(f"{name:14s} {j} " + "  ".join(row), flush=True)
    for v in vs:
        d = np.array(res[v]) - np.array(res[vs[0]])
        print(f"{v:12s} mean {np.mean(res[v]):.3f}  vs {vs[0]}: {d.mean():+.3f} (min {d.min():+.3f} max {d.max():+.3f})")


if __name__ == "__main__":
    main()
