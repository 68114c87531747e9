"""What a real file's noise is, against the r(x_0) the denoiser is told; writes docs/file-likelihood.md.

    python benchmarks/file_likelihood.py lownoise [--set test|heldout|wallpapers] [--sigmas 1,2,3,5,8,12]
    python benchmarks/file_likelihood.py rounding                # the 8-bit rounding's likelihood, by numbers
    python benchmarks/file_likelihood.py rounding --denoise --set test --kinds grey --images 1 --sigmas 1,2,3,5
    python benchmarks/file_likelihood.py jpegfit --set test --sigmas 5,15,25      # what the estimates read on JPEGs
    python benchmarks/file_likelihood.py jpeg --set heldout --kinds colour --images 1 --sigmas 5,15  # denoised
    python benchmarks/file_likelihood.py sixteen --set test --kinds grey --images 1 --sigmas 3,15  # 16-bit files
    python benchmarks/file_likelihood.py doc                     # the tables from the saved runs, into --out

``lownoise``: 8-bit files (y = x + s n, rounded, clipped at 0 and 255) at low noise, denoised by the CLI's
default (``api.denoise(y)``: ``--noise auto``, which runs the one-sigma estimate where its fit says constant)
and told one constant sigma: the truth, the median estimate it ran before (``median_noise_sigma``) and the
estimate as this commit reads it (``estimate_noise_sigma``). Each case appends a JSON line to a file per set
under $FILE_LIKELIHOOD_RUNS (default /tmp/file_likelihood), so a long run can be stopped and resumed; a case
whose estimate the code now reads differently is measured again. Sets: the five test images (256 x 256 centre
crops, as they are), the held-out Debian mate-backgrounds nature photos (a quarter size, centre 256 x 256,
colour and grey; ``--mate``), the held-out fifth of the wallpapers photos-rgb's card lists
(``DPM_STUDIO_WALLPAPERS``, 192 x 192 centre crops, as benchmarks/clipping.py). One torch thread.
"""

from __future__ import annotations

import argparse
import glob
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from restoration import TEST_IMAGES, psnr, test_image  # noqa: E402

RUNS = Path(os.environ.get("FILE_LIKELIHOOD_RUNS", "/tmp/file_likelihood"))


def heldout_mate(mate: str):
    from PIL import Image
    from skimage.color import rgb2gray

    files = sorted(glob.glob(os.path.join(mate, "usr/share/backgrounds/mate/nature/*.jpg")))
    if not files:
        raise SystemExit(f"no mate-backgrounds nature photos under {mate}")
    for f in files:
        im = Image.open(f).convert("RGB")
        w, h = im.size
        x = np.asarray(im.resize((w // 4, h // 4), Image.BOX), np.float32) / 255
        t, left = (x.shape[0] - 256) // 2, (x.shape[1] - 256) // 2
        x = np.round(x[t:t + 256, left:left + 256] * 255) / 255
        yield Path(f).stem, "colour", x.astype(np.float32)
        yield Path(f).stem, "grey", (np.round(rgb2gray(x) * 255) / 255).astype(np.float32)


def wallpaper_crops():
    from clipping import held_out_crops

    from dpm_studio.core.files.checkpoint import load, resolve
    from dpm_studio.paths import default_checkpoint

    for k, x in enumerate(held_out_crops(load(resolve(default_checkpoint("denoise"))))):
        yield f"wallpaper{k}", "colour", x


def cases(which: str, mate: str):
    if which == "test":
        for name in TEST_IMAGES:
            x = test_image(name)
            yield name, "colour" if x.ndim == 3 else "grey", x
    elif which == "heldout":
        yield from heldout_mate(mate)
    else:
        yield from wallpaper_crops()


def chosen(args):
    """(index in the set, name, kind, clean image) of the set's images of ``--kinds``, at most ``--images``."""
    kinds, count = args.kinds.split(","), 0
    for i, (name, kind, x) in enumerate(cases(args.set, args.mate)):
        if kind not in kinds:
            continue
        count += 1
        if count > args.images:
            return
        yield i, name, kind, x


def eight_bit(x: np.ndarray, s255: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.round((x + s255 / 255 * rng.standard_normal(x.shape)) * 255), 0, 255).astype(np.uint8)


def fit_level(fit, y: np.ndarray) -> float:
    """The fitted law's std at the image's mean intensity, 0-1 units."""
    return math.sqrt(max(fit.a * float(np.mean(y)) + fit.b, 1e-12))


def lownoise(args):
    from dpm_studio import api
    from dpm_studio.core.run.noise import estimate_noise_sigma, median_noise_sigma
    from dpm_studio.core.run.noise_level import fit_noise_level

    out = RUNS / f"lownoise-{args.set}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    done = {}   # a row whose estimate this commit reads differently is measured again (the last row counts)
    if out.exists():
        done = {(r["name"], r["kind"], r["sigma"]): r for r in map(json.loads, out.read_text().splitlines())}
    sigmas = [float(v) for v in args.sigmas.split(",")]
    for i, name, kind, x in chosen(args):
        for s in sigmas:
            y8 = eight_bit(x, s, 7000 + 100 * i + int(10 * s))
            y = y8.astype(np.float32) / 255
            old = done.get((name, kind, s))
            if old is not None:
                new = estimate_noise_sigma(y) * 255
                if abs(old["new"] - new) < 0.01:
                    continue
                if old["fit_kind"] == "constant":   # only the estimate moved: the default's run again
                    row = dict(old, new=new, auto=psnr(api.denoise(y8).astype(np.float32) / 255, x))
                    row["told_new"] = row["auto"]
                    print(json.dumps(row), flush=True)
                    with out.open("a") as f:
                        f.write(json.dumps(row) + "\n")
                    continue
            fit = fit_noise_level(y)
            # "median": the estimate before (median_noise_sigma), "new": estimate_noise_sigma as this commit reads
            row = {"name": name, "kind": kind, "sigma": s, "noisy": None, "median": median_noise_sigma(y) * 255,
                   "new": estimate_noise_sigma(y) * 255, "pooled_fit": fit_level(fit, y) * 255,
                   "fit_kind": fit.kind}
            p = lambda out8: psnr(out8.astype(np.float32) / 255, x)  # noqa: E731
            row["noisy"] = p(y8)
            row["auto"] = p(api.denoise(y8))   # the CLI's default (--noise auto) as this commit runs it
            for label, told in (("told_true", s), ("told_new", row["new"]), ("told_median", row["median"])):
                if label == "told_new" and fit.kind == "constant":
                    row[label] = row["auto"]   # the same request
                elif label == "told_median" and row["median"] == row["new"] and "told_new" in row:
                    row[label] = row["told_new"]
                else:
                    row[label] = p(api.denoise(y8, min(told, 255.0), noise="constant"))
            print(json.dumps(row), flush=True)
            with out.open("a") as f:
                f.write(json.dumps(row) + "\n")


def rounding_table() -> list[str]:
    """The likelihood of an 8-bit value y given x under N(0, s^2) noise then rounding, the Gaussian convolved with
    the rounding box, P(y) = Phi((y + 1/2 - x) / s) - Phi((y - 1/2 - x) / s) (0-255 units), against the
    Gaussian told today (std s) and the one with the rounding's variance added (std sqrt(s^2 + 1/12))."""
    from scipy.stats import norm

    lines = ["| sigma (0-255) | std of y - x | excess kurtosis | max abs log ratio, N(s) (within 3 std) | "
             "max abs log ratio, N(sqrt(s^2 + 1/12)) | KL(bin, N(s)) nats | KL(bin, N(sqrt(s^2 + 1/12))) nats |",
             "|---|---|---|---|---|---|---|"]
    for s in (0.5, 1, 2, 3, 5):
        d = np.linspace(-12 * s - 2, 12 * s + 2, 400001)   # d = y - x, a fine grid
        step = d[1] - d[0]
        p = norm.cdf((d + 0.5) / s) - norm.cdf((d - 0.5) / s)
        p /= p.sum() * step
        var = float((p * d * d).sum() * step)
        kurt = float((p * d ** 4).sum() * step) / var ** 2 - 3
        row = [f"{s:g}", f"{math.sqrt(var):.4f}", f"{kurt:+.4f}"]
        ratios, kls = [], []
        for g in (s, math.sqrt(s * s + 1 / 12)):
            q = norm.pdf(d, scale=g)
            inside = np.abs(d) <= 3 * math.sqrt(var)
            ratios.append(f"{np.abs(np.log(p[inside]) - np.log(q[inside])).max():.4f}")
            ok = p > 1e-300
            kls.append(f"{float((p[ok] * np.log(p[ok] / q[ok])).sum() * step):.2e}")
        lines.append("| " + " | ".join(row + ratios + kls) + " |")
    return lines


def rounding_denoise(args):
    """The same 8-bit files denoised told std s and std sqrt(s^2 + 1/12) (the rounding's variance added), the
    output kept in floats (not rounded again), PSNR against the clean crop."""
    from dpm_studio.core.files.checkpoint import load, resolve
    from dpm_studio.core.run.jobs import Source
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.core.run.tasks import run_task
    from dpm_studio.paths import default_checkpoint
    from restoration import last

    model = load(resolve(default_checkpoint("denoise")))
    out = RUNS / f"rounding-{args.set}.jsonl"
    for i, name, kind, x in chosen(args):
        for s in (float(v) for v in args.sigmas.split(",")):
            y = eight_bit(x, s, 7000 + 100 * i + int(10 * s)).astype(np.float32) / 255
            row = {"name": name, "kind": kind, "sigma": s}
            for label, told in (("told_s", s), ("told_s_q", math.sqrt(s * s + 1 / 12))):
                req = DenoiseRequest(sigma=told / 255, noise="constant", levels=255)
                row[label] = psnr(last(run_task(model, req, y, source=Source(8))).reshape(x.shape), x)
            print(json.dumps(row), flush=True)
            with out.open("a") as f:
                f.write(json.dumps(row) + "\n")


def sixteen(args):
    """16-bit files (rounded to 65535 steps, clipped at 0 and 65535) through the API as uint16 (the source 16
    bits, as the command line reads a 16-bit PNG): the default, and told the median, the estimate and the truth."""
    from dpm_studio import api
    from dpm_studio.core.run.noise import estimate_noise_sigma, median_noise_sigma

    for i, name, kind, x in chosen(args):
        for s in (float(v) for v in args.sigmas.split(",")):
            rng = np.random.default_rng(5)
            y16 = np.clip(np.round((x + s / 255 * rng.standard_normal(x.shape)) * 65535), 0, 65535).astype(np.uint16)
            y = y16.astype(np.float32) / 65535
            p = lambda out16: psnr(out16.astype(np.float32) / 65535, x)  # noqa: E731
            row = {"name": name, "kind": kind, "sigma": s, "noisy": p(y16), "clipped": float(((y == 0) | (y == 1)).mean()),
                   "median": median_noise_sigma(y) * 255, "new": estimate_noise_sigma(y) * 255, "auto": p(api.denoise(y16))}
            for label, told in (("told_median", row["median"]), ("told_true", s)):
                row[label] = p(api.denoise(y16, told * 257, noise="constant"))
            print(json.dumps(row), flush=True)
            with (RUNS / f"sixteen-{args.set}.jsonl").open("a") as f:
                f.write(json.dumps(row) + "\n")


def jpeg_file(x: np.ndarray, s255: float, quality: int, seed: int) -> np.ndarray:
    """``x`` plus noise of std ``s255``, saved as a JPEG of ``quality`` (4:2:0 for colour, Pillow's default
    there) and read back, [0, 1]."""
    import io

    from PIL import Image

    y8 = eight_bit(x, s255, seed)
    buf = io.BytesIO()
    Image.fromarray(y8).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())), np.float32) / 255


def jpeg_fits(args):
    """What the noise estimates read on noisy JPEGs: the median, the fit (kind, a, b), per quality."""
    from dpm_studio.core.run.noise import estimate_noise_sigma, median_noise_sigma
    from dpm_studio.core.run.noise_level import fit_noise_level

    out = RUNS / f"jpegfit-{args.set}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    for i, (name, kind, x) in enumerate(cases(args.set, args.mate)):
        for s in (float(v) for v in args.sigmas.split(",")):
            for q in (None, 95, 90, 75):
                y = eight_bit(x, s, 9000 + 100 * i + int(s)).astype(np.float32) / 255 if q is None else \
                    jpeg_file(x, s, q, 9000 + 100 * i + int(s))
                fit = fit_noise_level(y)
                row = {"name": name, "kind": kind, "sigma": s, "quality": q, "median": median_noise_sigma(y) * 255,
                       "estimate": estimate_noise_sigma(y) * 255, "fit_kind": None if fit is None else fit.kind,
                       "a": None if fit is None else fit.a, "a_se": None if fit is None else fit.a_se,
                       "b": None if fit is None else fit.b, "rms_err": float(np.sqrt(np.mean((y - x) ** 2))) * 255}
                print(json.dumps(row), flush=True)
                with out.open("a") as f:
                    f.write(json.dumps(row) + "\n")


def jpeg_denoise(args):
    """Noisy JPEGs denoised by the CLI's default and told one sigma: the truth, the median estimate, the estimate
    as this commit reads it (the same where the median reads LOW_NOISE or more), the file's rms error."""
    from dpm_studio import api
    from dpm_studio.core.run.noise import estimate_noise_sigma, median_noise_sigma

    out = RUNS / f"jpeg-{args.set}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out.exists():
        done = {(r["name"], r["kind"], r["sigma"], r["quality"]) for r in map(json.loads, out.read_text().splitlines())}
    for i, name, kind, x in chosen(args):
        for s in (float(v) for v in args.sigmas.split(",")):
            for q in (int(v) for v in args.qualities.split(",")):
                if (name, kind, s, q) in done:
                    continue
                y = jpeg_file(x, s, q, 9000 + 100 * i + int(s))
                y8 = np.round(y * 255).astype(np.uint8)
                p = lambda out8: psnr(out8.astype(np.float32) / 255, x)  # noqa: E731
                row = {"name": name, "kind": kind, "sigma": s, "quality": q, "noisy": p(y8),
                       "rms_err": float(np.sqrt(np.mean((y - x) ** 2))) * 255,
                       "median": median_noise_sigma(y) * 255, "new": estimate_noise_sigma(y) * 255}
                row["auto"] = p(api.denoise(y8))
                told = {"told_true": s, "told_median": row["median"], "told_new": row["new"]}
                for label, v in told.items():
                    same = [k for k in told if k < label and k in row and told[k] == v]
                    row[label] = row[same[0]] if same else p(api.denoise(y8, min(max(v, 0.01), 255.0), noise="constant"))
                print(json.dumps(row), flush=True)
                with out.open("a") as f:
                    f.write(json.dumps(row) + "\n")


def _rows(name: str) -> list[dict]:
    """A run's rows, the last of each case (file, kind, sigma[, quality])."""
    path = RUNS / f"{name}.jsonl"
    rows = {}
    for r in map(json.loads, path.read_text().splitlines() if path.exists() else []):
        rows[(r["name"], r["kind"], r["sigma"], r.get("quality"))] = r
    return list(rows.values())


def before_after(r: dict) -> tuple[float, float]:
    """(--noise auto before this change, after) for a lownoise row: a constant fit ran the median estimate before
    and runs the new estimate now (the median where SHARED says the channels share their noise; rows measured
    before that guard are mapped through it here); a signal-dependent fit ran and runs its law."""
    from dpm_studio.core.run.noise import SHARED

    if r["fit_kind"] != "constant":
        return r["auto"], r["auto"]
    shared = r["kind"] == "colour" and r["pooled_fit"] < SHARED * r["new"]
    return r["told_median"], r["told_median"] if shared else r["told_new"]


def lownoise_tables(sets=("test", "heldout", "wallpapers")) -> list[str]:
    lines = ["| set | sigma | files | median estimate | new estimate | PSNR before (dB) | PSNR after | told the truth | "
             "change mean | change worst | change best |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for which in sets:
        rows = _rows(f"lownoise-{which}")
        for s in sorted({r["sigma"] for r in rows}):
            sel = [r for r in rows if r["sigma"] == s]
            ba = np.array([before_after(r) for r in sel])
            d = ba[:, 1] - ba[:, 0]
            lines.append(f"| {which} | {s:g} | {len(sel)} | {np.mean([r['median'] for r in sel]):.2f} | "
                         f"{np.mean([r['new'] for r in sel]):.2f} | {ba[:, 0].mean():.2f} | {ba[:, 1].mean():.2f} | "
                         f"{np.mean([r['told_true'] for r in sel]):.2f} | {d.mean():+.3f} | {d.min():+.3f} | {d.max():+.3f} |")
    return lines


def table(columns, rows) -> list[str]:
    """A markdown table: ``columns`` (title, a row's cell) pairs."""
    return (["| " + " | ".join(t for t, _ in columns) + " |", "|" + "---|" * len(columns)]
            + ["| " + " | ".join(cell(r) for _, cell in columns) + " |" for r in rows])


def _f(key, fmt=".2f"):
    return lambda r: format(r[key], fmt)


FILE = [("file", _f("name", "")), ("kind", _f("kind", "")), ("sigma", _f("sigma", "g"))]


def lownoise_rows(which: str) -> list[str]:
    rows = [dict(r, before=b, after=a) for r in _rows(f"lownoise-{which}") for b, a in [before_after(r)]]
    return table(FILE + [("median", _f("median")), ("new", _f("new")), ("colour fit", _f("pooled_fit")),
                         ("fit", _f("fit_kind", "")), ("before (dB)", _f("before")), ("after", _f("after")),
                         ("truth told", _f("told_true"))], rows)


def jpeg_rows(which: str) -> list[str]:
    return table(FILE + [("quality", _f("quality", "")), ("rms error of the file", _f("rms_err")),
                         ("median", _f("median")), ("fits' level", _f("new")), ("noisy (dB)", _f("noisy")),
                         ("--noise auto", _f("auto")), ("told median", _f("told_median")),
                         ("told fits' level", _f("told_new")), ("told the sigma before JPEG", _f("told_true"))],
                 _rows(f"jpeg-{which}"))


def jpeg_fit_rows(which: str) -> list[str]:
    return table(FILE + [("quality", lambda r: str(r["quality"] or "PNG")), ("rms error of the file", _f("rms_err")),
                         ("median", _f("median")), ("fit", _f("fit_kind", "")),
                         ("fit's sqrt(b)", lambda r: f"{math.sqrt(max(r['b'], 0)) * 255:.2f}"),
                         ("a / s.e.", lambda r: f"{r['a'] / max(r['a_se'], 1e-12):+.1f}")], _rows(f"jpegfit-{which}"))


def rounding_denoise_rows(which: str) -> list[str]:
    return table([("file", _f("name", "")), ("sigma", _f("sigma", "g")), ("told s (dB)", _f("told_s", ".3f")),
                  ("told sqrt(s^2 + 1/12)", _f("told_s_q", ".3f")),
                  ("difference", lambda r: f"{r['told_s'] - r['told_s_q']:+.3f}")], _rows(f"rounding-{which}"))


def write_doc(path: Path):
    """Each table between its markers (<!-- NAME --> ... <!-- /NAME -->) in ``path``, from the saved runs."""
    tables = {"LOWNOISE": lownoise_tables(),
              "ROWS": sum((lownoise_rows(w) + [""] for w in ("test", "heldout", "wallpapers")), [])[:-1],
              "ROUNDING": rounding_table(), "ROUNDING_DENOISE": rounding_denoise_rows("test"),
              "JPEG": jpeg_rows("heldout") + [""] + jpeg_fit_rows("test"),
              "SIXTEEN": table(FILE + [("clipped", lambda r: f"{100 * r['clipped']:.1f} %"), ("noisy (dB)", _f("noisy")),
                                       ("median", _f("median")), ("new", _f("new")),
                                       ("before: told the median", _f("told_median")), ("--noise auto now", _f("auto")),
                                       ("told the truth", _f("told_true"))], _rows("sixteen-test"))}
    text = path.read_text()
    for name, lines in tables.items():
        a, b = f"<!-- {name} -->", f"<!-- /{name} -->"
        head, rest = text.split(a, 1)
        text = head + a + "\n" + "\n".join(lines) + "\n" + b + rest.split(b, 1)[1]
    path.write_text(text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("part", choices=("lownoise", "rounding", "jpegfit", "jpeg", "sixteen", "doc"))
    ap.add_argument("--set", choices=("test", "heldout", "wallpapers"), default="test")
    ap.add_argument("--sigmas", default="1,2,3,5,8,12")
    ap.add_argument("--out", default=str(ROOT / "docs" / "file-likelihood.md"))
    ap.add_argument("--kinds", default="grey,colour")
    ap.add_argument("--denoise", action="store_true", help="rounding: also denoise told s and sqrt(s^2 + 1/12)")
    ap.add_argument("--qualities", default="95,75")
    ap.add_argument("--images", type=int, default=100, help="at most this many images of the set")
    ap.add_argument("--mate", default=os.environ.get("MATE_DIR", "/tmp/grey22/eval/x"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    if args.part == "lownoise":
        lownoise(args)
    elif args.part == "jpeg":
        jpeg_denoise(args)
    elif args.part == "sixteen":
        sixteen(args)
    elif args.part == "jpegfit":
        jpeg_fits(args)
    elif args.part == "doc":
        write_doc(Path(args.out))
    elif args.part == "rounding":
        print("\n".join(rounding_table()))
        if args.denoise:
            rounding_denoise(args)


if __name__ == "__main__":
    main()
