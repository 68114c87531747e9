"""Hostile inputs, many at a time: an attack table over the decoder, the command line, the API, replay
records and checkpoints, each attempt classified by what the house rule asks (docs/hostile-inputs.md).

    python benchmarks/hostile_inputs.py [--quick] [--only images,options,names,api,replay,checkpoints,kinds,kinds-api,app,places]

(kinds, kinds-api, app, places: round seven's kinds of file and output places, benchmarks/hostile_kinds.py.)

Everything happens in a temporary folder of its own (HOME too; FIFOs and links only there), with a
tiny untrained checkpoint, torch on one thread. Each attempt is one of

  ok      a result (or the file read), nothing else on stderr but notes
  refused one line: an ImageIOError / CheckpointError / ValueError, or exit 2 and one error line
  BAD     anything else: another exception, exit 70 (internal error), more than one error line, a
          Python warning or a C library's own line on stderr, an escape character on stderr, a hang
          (an alarm), an input changed, a partial or refused output left behind

and the table gives the counts per group, then every BAD attempt. --quick takes fewer cut points,
flips and option values: 2,684 attempts in 30 s; the full run, 10,470 in 119 s (2 shared cores, load 9).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import io
import json
import os
import random
import shutil
import signal
import struct
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


class Hang(Exception):
    pass


def _alarm(*_):
    raise Hang()


@contextlib.contextmanager
def fd2_captured():
    """What anything (Python or C) writes to file descriptor 2 meanwhile, as a list of one string."""
    sys.stderr.flush()
    got, saved = [], os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield got
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            got.append(sink.read().decode("utf-8", "replace"))


def judged(fn, refused=(ValueError,), timeout: int = 30, ours=lambda e: True) -> tuple[str, str]:
    """(outcome, why) of calling ``fn``: ok; refused by one of ``refused`` in one line (and ``ours(e)``);
    else BAD (another exception, a message of several lines, a hang past ``timeout`` s)."""
    outcome, why = "ok", ""
    signal.alarm(timeout)
    try:
        r = fn()
        if isinstance(r, np.ndarray) and r.dtype.kind == "f" and not np.isfinite(r).all():
            outcome, why = "BAD", "a non-finite result"
    except refused as e:
        outcome, why = ("refused", "") if "\n" not in str(e) and ours(e) else ("BAD", f"{type(e).__name__}: {e}")
    except Hang:
        outcome, why = "BAD", "hang"
    except Exception as e:  # noqa: BLE001 - the point of the table
        outcome, why = "BAD", f"{type(e).__name__}: {e}"
    finally:
        signal.alarm(0)
    return outcome, why


class Table:
    def __init__(self):
        self.counts: dict[str, Counter] = {}
        self.bad: list[tuple] = []

    def add(self, group: str, outcome: str, label: str = "", why: str = ""):
        self.counts.setdefault(group, Counter())[outcome] += 1
        if outcome == "BAD":
            self.bad.append((group, label, why))

    def print(self, seconds: float):
        print(f"\n| group | attempts | ok | refused (one line) | BAD |\n|---|---|---|---|---|")
        for g, c in self.counts.items():
            print(f"| {g} | {sum(c.values())} | {c['ok']} | {c['refused']} | {c['BAD']} |")
        print(f"\n{sum(sum(c.values()) for c in self.counts.values())} attempts in {seconds:.0f} s; BAD: {len(self.bad)}")
        for g, label, why in self.bad:
            print(f"  BAD {g}: {label}: {why[:300]}")


# -- the files -------------------------------------------------------------------------------------
def image_bases() -> dict[str, bytes]:
    import tifffile

    from dpm_studio.core.files import formats

    rgb = np.random.default_rng(0).integers(0, 256, (24, 33, 3), dtype=np.uint8)
    out = {}

    def pil(name, im, **kw):
        b = io.BytesIO()
        im.save(b, **kw)
        out[name] = b.getvalue()

    pil("a.png", Image.fromarray(rgb), format="PNG")
    pil("a.jpg", Image.fromarray(rgb), format="JPEG")
    pil("p.jpg", Image.fromarray(rgb), format="JPEG", progressive=True)
    pil("cmyk.jpg", Image.fromarray(rgb).convert("CMYK"), format="JPEG")
    pil("a.webp", Image.fromarray(rgb), format="WEBP")
    pil("l.webp", Image.fromarray(rgb), format="WEBP", lossless=True)
    pil("a.gif", Image.fromarray(rgb).convert("P"), format="GIF")
    pil("a.bmp", Image.fromarray(rgb), format="BMP")
    pil("a.ppm", Image.fromarray(rgb), format="PPM")
    pil("a.tif", Image.fromarray(rgb), format="TIFF")
    pil("lzw.tif", Image.fromarray(rgb), format="TIFF", compression="tiff_lzw")
    pil("rgba.png", Image.fromarray(np.dstack([rgb, rgb[..., :1]])), format="PNG")
    frames = [Image.fromarray(np.roll(rgb, k, 0)) for k in range(3)]
    for name, fmt in (("anim.png", "PNG"), ("anim.webp", "WEBP")):
        b = io.BytesIO()
        frames[0].save(b, format=fmt, save_all=True, append_images=frames[1:])
        out[name] = b.getvalue()
    for name, data, kw in (("16.tif", rgb.astype(np.uint16) * 257, {}), ("f.tif", rgb.astype(np.float32) / 255, {}),
                           ("16z.tif", rgb.astype(np.uint16) * 257, {"compression": "zlib"}),
                           ("ft.tif", rgb.astype(np.float32) / 255, {"tile": (16, 16)})):
        b = io.BytesIO()
        tifffile.imwrite(b, data, **kw)
        out[name] = b.getvalue()
    b = io.BytesIO()
    formats.write_png(b, rgb.astype(np.uint16) * 257)
    out["16.png"] = b.getvalue()
    return out


def attack_images(t: Table, work: Path, quick: bool):
    """Every base file cut at many points and with bytes changed, through load_image and load_mask."""
    from dpm_studio import imageio

    work.mkdir()
    rnd = random.Random(1)
    for name, data in image_bases().items():
        n = len(data)
        step = max(1, n // (12 if quick else 60))
        cuts = sorted(set(range(0, min(n, 16 if quick else 64))) | set(range(64, n, step)) | {n - 1, n - 2, n - 12})
        variants = [(f"cut {c}/{n}", data[:c]) for c in cuts if c >= 0]
        for k in range(15 if quick else 80):
            b = bytearray(data)
            for _ in range(rnd.choice([1, 2, 4, 16])):
                b[rnd.randrange(n)] = rnd.randrange(256)
            variants.append((f"flip {k}", bytes(b)))
        for label, blob in variants:
            p = work / name
            p.write_bytes(blob)
            for role, fn in (("image", imageio.load_image), ("mask", imageio.load_mask)):
                with fd2_captured() as err, warnings.catch_warnings(record=True) as ws:
                    warnings.simplefilter("always")
                    outcome, why = judged(lambda fn=fn: fn(p), (imageio.ImageIOError,), 20)
                if outcome != "BAD" and ws:
                    outcome, why = "BAD", f"a warning: {ws[0].message}"
                elif outcome != "BAD" and err[0].strip():
                    outcome, why = "BAD", f"on fd 2: {err[0].strip().splitlines()[0]}"
                t.add(f"images ({role})", outcome, f"{name} {label}", why)


# -- the command line ------------------------------------------------------------------------------
def run_cli(argv, timeout=180):
    """(exit status or 'HANG'/'RAISED ...', the error lines, everything on stderr)."""
    from dpm_studio.cli.main import main

    err, out = io.StringIO(), io.StringIO()
    signal.alarm(timeout)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            rc = main(argv)
    except Hang:
        rc = "HANG"
    except BaseException as e:  # noqa: BLE001
        rc = f"RAISED {type(e).__name__}: {e}"
    finally:
        signal.alarm(0)
    text = err.getvalue()
    lines = [x for x in text.splitlines() if x.strip() and "\r" not in x and "] " not in x[:40]]
    errors = [x for x in lines if not x.startswith(("dpm-studio: note:", "dpm-studio: warning:"))]
    return rc, errors, text


def judge_cli(t: Table, group: str, label: str, argv, out: Path | None, watch: list[Path] = (), batch: bool = False,
              expect: str | None = None, check=None, keep_out: bool = False):
    """One command line run judged; ``batch``: exit 1 (some images failed) and a line per failed image are its own.
    ``expect``: "ok" or "refused", the only right outcome; ``check(out)``: what is wrong with a result, or "";
    ``keep_out``: ``out`` is the user's (a link to the input, a file to replace): never removed here."""
    before = {p: p.read_bytes() for p in watch}
    rc, errors, text = run_cli(argv + (["-o", str(out)] if out is not None else []))
    if batch:
        errors = [x for x in errors if not x.startswith(("dpm-studio: failed: ", "dpm-studio: batch "))]
        rc = 2 if rc == 1 else rc
    why = ""
    if rc not in (0, 2):
        why = f"exit {rc}: {(errors or [''])[-1]}"
    elif len(errors) > 1 or "Traceback" in text or "Warning:" in text:
        why = " / ".join(errors[-2:])
    elif "\x1b" in text:
        why = "an escape character on stderr"
    elif any(p.read_bytes() != b for p, b in before.items()):
        why = "an input changed"
    elif out is not None and rc == 2 and out.exists() and not keep_out:
        why = "refused, yet an output was left"
    elif expect is not None and ("ok" if rc == 0 else "refused") != expect:
        why = f"{'ok' if rc == 0 else 'refused'}, where {expect} was right: {(errors or [''])[-1]}"
    elif check is not None and rc == 0 and out is not None:
        why = check(out)
    t.add(group, "BAD" if why else ("ok" if rc == 0 else "refused"), label, why)
    if out is not None and out.exists() and out.is_file() and not out.is_symlink() and not keep_out:
        out.unlink()


def _photo_and_mask(work: Path):
    """A new ``work`` folder with a 16 x 16 colour photo (in.png) and a mask of its centre 4 x 4 (m.png);
    their paths and the generator that drew the photo (seed 0)."""
    work.mkdir()
    rng = np.random.default_rng(0)
    src, mask = work / "in.png", work / "m.png"
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(src)
    Image.fromarray(np.pad(np.full((4, 4), 255, np.uint8), 6)).save(mask)
    return src, mask, rng


def attack_options(t: Table, work: Path, quick: bool):
    src, mask, rng = _photo_and_mask(work)
    grey = work / "g.png"
    Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).save(grey)
    values = ["0", "-1", "1", "1e12", "nan", "inf", "1e-300", "0x10", "1_000", "abc", " 5", "2.5", "9" * 40, "-0", "1e308"]
    if quick:
        values = ["0", "-1", "1e12", "nan", "1e-300", "abc"]
    base = {"denoise": ["denoise", str(src), "--checkpoint", "tiny-rgb", "--sigma", "10"],
            "inpaint": ["inpaint", str(src), "--mask", str(mask), "--checkpoint", "tiny-rgb", "--steps", "3"],
            "sample": ["sample", "--checkpoint", "tiny-rgb", "--steps", "3", "--size", "16x16"]}
    options = {"denoise": ["--quality", "--steps", "--seed", "--sigma", "--noise-a", "--noise-b", "--noise-scale", "--samples",
                           "--ensemble", "--tile", "--tile-batch", "--feather", "--overlap", "--grey-draws", "--levels"],
               "inpaint": ["--quality", "--steps", "--seed", "--samples", "--jump-length", "--jump-n", "--start-sigma",
                           "--feather", "--context"],
               "sample": ["--quality", "--steps", "--seed", "--samples"]}
    special = {"--region": ["0,0,8,8", "0,0,0,0", "-1,0,8,8", "0,0,99999,8", "nan,0,4,4", "0,0,16,16,1", "8,8,9,9"],
               "--size": ["0x0", "1x1", "16x0", "x", "99999x1", "1e3x2", "4x-4", "4X4", "16x16x16"],
               "--checkpoint": ["/", ".", "./", "..", "nope", str(work), str(src)]}
    for cmd, opts in options.items():
        for opt in opts:
            for v in values:
                argv = list(base[cmd])
                if opt in ("--noise-a", "--noise-b"):
                    i = argv.index("--sigma")
                    del argv[i:i + 2]
                    argv += ["--noise", "poisson-gaussian", "--noise-a", "0.01", "--noise-b", "0.001"]
                    j = argv.index(opt)
                    del argv[j:j + 2]
                if opt == "--grey-draws":
                    argv[1] = str(grey)
                judge_cli(t, f"options ({cmd})", f"{opt} {v!r}", argv + [opt, v], work / "out.png", [src, mask])
    for opt, vs in special.items():
        cmd = "sample" if opt == "--size" else "denoise"
        for v in vs:
            argv = [a for a in base[cmd]]
            if opt in argv:
                i = argv.index(opt)
                del argv[i:i + 2]
            judge_cli(t, f"options ({cmd})", f"{opt} {v!r}", argv + [opt, v], work / "out.png", [src, mask])
    judge_cli(t, "options (denoise)", "--noise-a 1e-20 --noise-b 0.001",
              ["denoise", str(src), "--checkpoint", "tiny-rgb", "--noise", "poisson-gaussian", "--noise-a", "1e-20",
               "--noise-b", "0.001"], work / "out.png", [src])


def attack_names(t: Table, work: Path):
    """File names a terminal acts on, and output places, through single runs and a batch."""
    work.mkdir()
    rng = np.random.default_rng(0)
    good = work / "good.png"
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(good)
    folder = work / "batch"
    folder.mkdir()
    for name in ("a\nb.png", "c\x1b[31mred.png", "d\u202egnp.png", "e\x07.png"):
        p = work / name
        p.write_bytes(b"junk")
        judge_cli(t, "names", f"{name!r} as the image", ["denoise", str(p), "--checkpoint", "tiny-rgb", "--sigma", "10"],
                  work / "out.png", [p])
        (folder / name).write_bytes(b"junk")
        shutil.copy(good, folder / ("ok-" + name))
    judge_cli(t, "names", "a batch of such names", ["denoise", str(folder), "--checkpoint", "tiny-rgb", "--sigma", "10",
                                                    "-o", str(work / "bout")], None, [], batch=True)
    os.mkfifo(work / "fifo.png")
    os.symlink("loop.png", work / "loop.png")
    (work / "file").write_text("x")
    for o in ["out.PNG", ".png", "out.png ", "out", "out.gif", "out.exr", "file/x.png", "fifo.png", "loop.png", "good.png",
              "./good.png", "nodir/x.png", "x" * 300 + ".png", "out.png\n", "/dev/stdout", "-"]:
        judge_cli(t, "outputs", f"-o {o!r}"[:60], ["denoise", str(good), "--checkpoint", "tiny-rgb", "--sigma", "10", "-o",
                                                    str(work / o) if not o.startswith("/") and o != "-" else o], None,
                  [good])
        for p in work.iterdir():
            if p.is_file() and not p.is_symlink() and p.name not in ("good.png", "file") and p.suffix != "" \
                    and p.stat().st_size and p.name != "fifo.png" and not p.name.startswith(("a\n", "c\x1b", "d\u202e", "e\x07")):
                p.unlink()


# -- the API ---------------------------------------------------------------------------------------
def attack_api(t: Table, quick: bool, work: Path | None = None):
    from dpm_studio import api

    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    u8 = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    m = np.zeros((16, 16), np.uint8)
    m[6:10, 6:10] = 1
    C = {"checkpoint": "tiny-rgb"}

    def ours(e):  # a TypeError raised by the API itself, not by Python deep inside
        return type(e) is not TypeError or "api.py" in traceback.extract_tb(e.__traceback__)[-1].filename

    def attempt(label, fn, refused=(ValueError, TypeError), must_refuse=False):
        outcome, why = judged(fn, refused, 60, ours)
        if must_refuse and outcome == "ok":   # a value no rule reads as meant, run without a word
            outcome, why = "BAD", "accepted silently"
        t.add("api", outcome, label, why)

    images = {"bool": u8 > 128, "int16": u8.astype(np.int16), "f16": (u8 / 255).astype(np.float16), "f64": u8 / 255.0,
              "complex": (u8 / 255).astype(np.complex64), "object": u8.astype(object), "0-d": np.array(5, np.uint8),
              "1-d": u8[0, :, 0], "4-d": u8[None], "5 channels": np.zeros((4, 4, 5), np.uint8), "1x1": u8[:1, :1],
              "0x5": u8[:0, :5], "reversed view": u8[::2, ::-1], "big-endian u16": u8.astype(">u2") * 257,
              "uint32": u8.astype(np.uint32), "a list": u8.tolist(), "a str": "in.png", "None": None,
              "floats over 1": u8.astype(np.float32), "all NaN": np.full((8, 8), np.nan, np.float32),
              "grey+alpha": np.dstack([u8[..., 0], u8[..., 1]]), "RGBA": np.dstack([u8, u8[..., :1]])}
    for k, im in images.items():
        attempt(f"denoise image {k}", lambda im=im: api.denoise(im, 10 if getattr(im, "dtype", None) in (np.uint8,) else None, **C))
        attempt(f"inpaint image {k}", lambda im=im: api.inpaint(im, m if np.ndim(im) < 2 or np.shape(im)[:2] != (16, 16)
                                                                 else m, steps=2, **C))
    masks = {"bool": m > 0, "NaN": np.where(m > 0, np.nan, 0.0), "inf": m * np.inf, "negative": -m.astype(np.int8),
             "3-d": np.dstack([m] * 3), "1-d": m[0], "wrong size": m[:5], "a list": m.tolist(), "a str": "m.png",
             "all zero": m * 0, "all one": m * 0 + 1, "complex": m.astype(np.complex64), "object": m.astype(object)}
    for k, mk in masks.items():
        attempt(f"inpaint mask {k}", lambda mk=mk: api.inpaint(u8, mk, steps=2, **C))
        attempt(f"denoise mask {k}", lambda mk=mk: api.denoise(u8, 10, mask=mk, **C))
    # session 19: mask values no rule reads as meant must be refused (each ran without a word before): NaN (read as
    # 0, kept), infinity, negative values, a soft mask of 0-255 floats (clipped: nearly hard), a soft 0/1 uint8 mask
    # (a fill of 1/255), a soft 0-255 int64 one (3e-17); and a float image's infinity (refused already)
    hole = m.astype(np.float32)
    silent = {"a NaN in the hole": np.where(np.arange(256).reshape(16, 16) == 120, np.nan, hole),
              "NaN outside the hole": np.where(np.arange(256).reshape(16, 16) == 3, np.nan, hole),
              "+inf marking the hole": np.where(hole > 0, np.inf, 0.0), "negative floats": -hole,
              "negative int8": -m.astype(np.int8)}
    soft = {"0-255 floats": hole * 255, "uint8 0/1": m, "int64 0/255": m.astype(np.int64) * 255}
    for k, mk in silent.items():
        attempt(f"inpaint mask {k}", lambda mk=mk: api.inpaint(u8, mk, steps=2, **C), must_refuse=True)
        attempt(f"denoise mask {k}", lambda mk=mk: api.denoise(u8, 10, mask=mk, **C), must_refuse=True)
    for k, mk in soft.items():
        attempt(f"inpaint soft mask {k}", lambda mk=mk: api.inpaint(u8, mk, soft_mask=True, steps=2, **C),
                must_refuse=True)
        attempt(f"denoise soft mask {k}", lambda mk=mk: api.denoise(u8, 10, mask=mk, soft_mask=True, **C),
                must_refuse=True)
    attempt("denoise image +inf", lambda: api.denoise(np.where(hole[..., None] > 0, np.inf, u8 / 255.0), 0.1, **C),
            must_refuse=True)
    sigmas = {"True": True, "'5'": "5", "nan": float("nan"), "inf": float("inf"), "-1": -1, "0": 0, "1e300": 1e300,
              "1j": 1j, "[5]": [5], "300": 300, "1e-300": 1e-300}
    for k, s in sigmas.items():
        attempt(f"denoise sigma {k}", lambda s=s: api.denoise(u8, s, **C))
    attempt("denoise sigma 10 on a float image", lambda: api.denoise(u8 / 255.0, 10, **C))
    settings = {"steps": ["3", True, 2.7, 0, 10 ** 12], "seed": [-1, 2 ** 70, "1"], "samples": [0, 10 ** 6],
                "device": ["", "tpu", None, " CPU ", "meta", "cuda:99"], "region": [(0, 0, 0, 0), (0, 0, 99, 99), "0,0,4,4"],
                "tile": [0, 63, "64"], "noise_scale": [0, float("inf")], "bogus_key": [1], "precision": ["fp8", None]}
    for k, vs in settings.items():
        for v in vs[: 2 if quick else None]:
            attempt(f"denoise {k}={v!r}", lambda k=k, v=v: api.denoise(u8, 10, **{k: v}, **C))
    attempt("denoise noise_a=1e-20", lambda: api.denoise(u8, noise="poisson-gaussian", noise_a=1e-20, noise_b=1e-3, **C))
    for s in [(0, 0), (-1, 5), (16,), "16x16", None, (1e9, 1), (2.5, 4), (True, True), (5000, 5000)]:
        attempt(f"sample size {s!r}", lambda s=s: api.sample(s, steps=2, **C))
    for k, c in {"bytes": b"tiny-rgb", "int": 5, "a folder": "/", "'.'": ".", "missing": "nope", "NUL": "tiny\0rgb",
                 "5000 chars": "x" * 5000, "''": ""}.items():
        attempt(f"checkpoint {k}", lambda c=c: api.denoise(u8, 10, checkpoint=c))
    # session 18: an uneven nested list, a mask given where sigma goes, a progress that is no function, and the
    # *_result functions' Result.save (docs/one-way.md): paths and sources that are no file, or not the input's
    attempt("denoise image rows of uneven length", lambda: api.denoise([[0, 1], [2]], **C))
    attempt("denoise sigma = the mask", lambda: api.denoise(u8, m, **C))
    attempt("inpaint progress=5", lambda: api.inpaint(u8, m, steps=2, progress=5, **C))
    attempt("denoise_result image a str", lambda: api.denoise_result("in.png", **C))
    attempt("sample_result size (0, 4)", lambda: api.sample_result((0, 4), steps=2, **C))
    if work is None:
        return
    work.mkdir(parents=True, exist_ok=True)
    Image.fromarray(u8).save(work / "in.png")
    Image.fromarray(255 - u8).save(work / "other.png")
    (work / "folder.png").mkdir(exist_ok=True)
    r = api.denoise_result(u8, 10, **C)
    paths = {"None": None, "bytes": b"x.png", "''": "", "an int": 5, "a folder": work / "folder.png",
             "no extension": work / "x", "unknown extension": work / "x.xyz", "no such folder": work / "no" / "x.png",
             "300 chars": work / ("x" * 300 + ".png"), "NUL": str(work / "a\0.png"), "the source": work / "in.png"}
    for k, p in paths.items():
        attempt(f"Result.save path {k}", lambda p=p: r.save(p, source=work / "in.png", overwrite=True))
    sources = {"missing": work / "missing.png", "other pixels": work / "other.png", "a folder": work,
               "an array": u8, "a text file": Path(__file__)}
    for k, src in sources.items():
        attempt(f"Result.save source {k}", lambda src=src: r.save(work / "s.png", source=src))
    for q in (0, 101, "95", True, float("nan")):
        attempt(f"Result.save quality {q!r}", lambda q=q: r.save(work / "q.jpg", quality=q))
    r.save(work / "made.png")
    attempt("Result.save over a file", lambda: r.save(work / "made.png"), (FileExistsError,))
    attempt("sample_result save with a source", lambda: api.sample_result((4, 4), steps=2, **C).save(
        work / "drawn.png", source=work / "in.png"))


# -- replay records --------------------------------------------------------------------------------
def attack_replay(t: Table, work: Path, quick: bool):
    from PIL.PngImagePlugin import PngInfo

    src, mask, _ = _photo_and_mask(work)
    res = work / "res.png"
    assert run_cli(["inpaint", str(src), "--mask", str(mask), "--checkpoint", "tiny-rgb", "--steps", "2", "-o", str(res)])[0] == 0
    base = json.loads(Image.open(res).text["dpm-studio"])
    values = [None, "x", -1, 0, 1e308, float("nan"), 10 ** 30, [], {}, True, "\n\x1b[31m", [[1]]]
    if quick:
        values = [None, "x", -1, 1e308, {}, True]
    edits = []
    for key in base["runs"][0]:
        for v in values:
            edits.append((f"{key}={v!r}"[:50], lambda r, k=key, v=v: r["runs"][0].__setitem__(k, v)))
        edits.append((f"no {key}", lambda r, k=key: r["runs"][0].pop(k)))
    for v in [None, "x", [], [None], [1], {}, [base["runs"][0]] * 1000]:
        edits.append((f"runs={v!r}"[:50], lambda r, v=v: r.__setitem__("runs", v)))
    for v in [None, 5, "", "../in.png", "/etc/passwd", "in.png\0", "\x1b[31m.png", "x" * 300 + ".png"]:
        edits.append((f"source={v!r}"[:50], lambda r, v=v: r.__setitem__("source", v)))
    edits.append(("an unknown entry named with an escape", lambda r: r["runs"][0].__setitem__("\x1b[31mx", 1)))
    texts = [(label, json.dumps(_edited(base, f))) for label, f in edits]
    texts += [("not JSON", "{not json"), ("a list", "[1,2]"), ("nested 100,000 deep", "[" * 100000 + "]" * 100000),
              ("a 5,000-digit number", '{"runs": [{"steps": ' + "9" * 5000 + "}]}")]
    for label, text in texts:
        info = PngInfo()
        info.add_text("dpm-studio", text)
        edited = work / "edited.png"
        Image.open(res).save(edited, pnginfo=info)
        judge_cli(t, "replay --print", label, ["replay", str(edited), "--print"], None, [src, mask, edited])
        judge_cli(t, "replay", label, ["replay", str(edited), "--mask", str(mask)], work / "again.png", [src, mask, edited])


def _edited(base: dict, edit) -> dict:
    r = copy.deepcopy(base)
    edit(r)
    return r


# -- checkpoints -----------------------------------------------------------------------------------
def attack_checkpoints(t: Table, work: Path, quick: bool):
    from dpm_studio.core.files import checkpoint
    from dpm_studio.core.files.cardschema import CheckpointError

    src = work / "src"
    weights, card = (src / "tiny-rgb.safetensors").read_bytes(), (src / "tiny-rgb.json").read_bytes()
    unsigned = json.loads(card)
    unsigned.pop("weights_sha256", None)  # so that a changed header is parsed, not refused by its digest
    unsigned = json.dumps(unsigned).encode()
    header = struct.unpack("<Q", weights[:8])[0]
    rnd = random.Random(0)
    cases = [("unchanged (the control: must load)", weights, card), ("unchanged, unsigned", weights, unsigned)]
    for c in sorted(set(range(0, 80, 1 if not quick else 8)) | set(range(80, header + 8, 7 if not quick else 97))
                    | set(range(header + 8, len(weights), max(1, len(weights) // (50 if not quick else 8))))):
        cases.append((f"weights cut at {c}", weights[:c], unsigned))
    for k in range(400 if not quick else 40):
        b = bytearray(weights)
        for _ in range(rnd.choice([1, 2, 4])):
            b[rnd.randrange(8, header + 8)] = rnd.choice([rnd.randrange(256), ord("9"), ord('"'), ord(","), ord("-")])
        cases.append((f"header flip {k}", bytes(b), unsigned))
    for v in [0, 1, header - 1, header + 1, len(weights), 2 ** 31, 2 ** 63, 2 ** 64 - 1]:
        cases.append((f"header length {v}", struct.pack("<Q", v) + weights[8:], unsigned))
    for nan in (b"\x00\x00\xc0\x7f", b"\x00\x00\x80\x7f"):
        b = bytearray(weights)
        b[header + 8: header + 12] = nan
        cases.append((f"weights with {nan.hex()}", bytes(b), unsigned))
    import pickle

    cases.append(("a pickle named .safetensors", pickle.dumps({"net.x": [1.0]}), unsigned))
    for c in range(0, len(card), max(1, len(card) // (80 if not quick else 10))):
        cases.append((f"card cut at {c}", weights, card[:c]))
    for k in range(300 if not quick else 30):
        b = bytearray(card)
        for _ in range(rnd.choice([1, 2, 3])):
            b[rnd.randrange(len(card))] = rnd.choice([rnd.randrange(32, 127), ord("9"), ord('"'), ord("-"), ord("[")])
        cases.append((f"card flip {k}", weights, bytes(b)))
    for label, w, c in cases:
        folder = work / "case"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        (folder / "tiny-rgb.safetensors").write_bytes(w)
        (folder / "tiny-rgb.json").write_bytes(c)
        outcome, why = judged(lambda: checkpoint.load(folder / "tiny-rgb.json"), (CheckpointError,))
        t.add("checkpoints", outcome, label, why)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="images,options,names,api,replay,checkpoints,kinds,kinds-api,app,places")
    args = ap.parse_args()
    groups = args.only.split(",")
    import torch

    torch.set_num_threads(1)
    signal.signal(signal.SIGALRM, _alarm)
    t = Table()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        work = Path(tmp)
        os.environ["HOME"] = str(work / "home")  # the last-error log, settings: never the user's own
        os.environ.pop("XDG_STATE_HOME", None)
        (work / "home").mkdir()
        sys.path.insert(0, str(ROOT / "tests" / "cli"))
        from conftest import save_tiny

        save_tiny(work / "ckpt")
        save_tiny(work / "checkpoints" / "src")
        os.environ["DPM_STUDIO_CHECKPOINTS"] = str(work / "ckpt")
        import hostile_kinds as K

        H = sys.modules[__name__]
        steps = {"images": lambda: attack_images(t, work / "images", args.quick),
                 "kinds": lambda: K.attack_cli(t, work / "kinds-cli", H, args.quick),
                 "kinds-api": lambda: K.attack_api(t, work / "kinds-api", H, args.quick),
                 "app": lambda: K.attack_app(t, work / "kinds-app", H, args.quick),
                 "places": lambda: K.attack_places(t, work / "places", H, args.quick),
                 "options": lambda: attack_options(t, work / "options", args.quick),
                 "names": lambda: attack_names(t, work / "names"),
                 "api": lambda: attack_api(t, args.quick, work / "api"),
                 "replay": lambda: attack_replay(t, work / "replay", args.quick),
                 "checkpoints": lambda: attack_checkpoints(t, work / "checkpoints", args.quick)}
        for g in groups:
            s = time.perf_counter()
            steps[g]()
            print(f"{g}: {time.perf_counter() - s:.0f} s", file=sys.stderr, flush=True)
    t.print(time.perf_counter() - t0)
    return 1 if t.bad else 0


if __name__ == "__main__":
    sys.exit(main())
