"""Speed on a laptop-class CPU (issue 26): one table, every row measured in the same run.

    python benchmarks/speed.py [--n 100] [--repeats 3] [--rows one,folder,inpaint,app,large] [--out FILE]
                               [--checkpoint NAME] [--denoise-options "--ensemble 1"] [--inpaint-options steps=10]
                               [--inpaint-threads 1]

``--checkpoint``: the model of the denoising and inpainting rows (default: each task's own, as the
command line and the app pick it: dpm_studio.paths.DEFAULT_CHECKPOINTS); ``--denoise-options``: more of the command line's options for the denoising rows;
``--inpaint-options``: settings of the inpainting row's request, NAME=INTEGER,... (the app's
defaults otherwise); ``--inpaint-threads``: torch's threads there (every core otherwise, as the app
and the command line run). Each is printed in the table's rows.

Rows (targets from issue 26):

1. One 256 x 256 8-bit photo (noise sigma 25, clipped at 0 and 255, as users' files are),
   ``dpm-studio denoise IN --sigma 25 -o OUT`` as its own process, from process start to the
   file written (the median of ``--repeats`` runs), against BM3D on the same pixels in-process
   (median of as many runs, alternating with ours); grey and colour. Target: at most BM3D's.
2. A folder of ``--n`` such photos (``dpm-studio denoise DIR --sigma 25 -o OUT/``, one
   process) against BM3D's in-process total on the same files. Target: at most half.
3. A 12 MP colour photo (4000 x 3000), the command line's defaults: wall time and the
   process's peak resident memory (``os.wait4``). Target: <= 120 s, <= 2 GB.
4. Inpainting a 64 x 64 hole in a 256 x 256 photo with the app's defaults (InpaintRequest()),
   one sample, in-process after the model is loaded (the first run and the median of
   ``--repeats``). Target: <= 1 s.
5. The app under Qt's offscreen platform: process start to the first window shown (the
   event loop's first turn after ``show()``); to the models listed (the app lists them in a
   thread once its window is shown: from then a run can start; no target); then opening a
   12 MP JPEG (File > Open's code path) until its pixels are on the canvas. Targets: <= 2 s
   and <= 1 s.

Our package's bytecode is compiled first (``compileall``), as an installed copy has it (pip compiles
it at install, the bundle ships it): where ``PYTHONDONTWRITEBYTECODE`` is set, as on this project's
machines, every run would otherwise compile our ~50 modules again (0.05 s CPU of one photo's 1.9 s;
docs/speed.md, third pass).

The machine's load average (1 min) is printed beside every row: on a shared machine only
ratios measured in the same run compare. Test images are crops of scikit-image's
pictures (never trained on).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dpm_studio.cli  # noqa: E402,F401  (first, as in the app and the CLI: it sets the process's thread waiting)

SIGMA = 25


def hole_case() -> tuple[np.ndarray, np.ndarray]:
    """Issue 26's inpainting row: astronaut's 256 x 256 crop at (128, 128) in [0, 1] and its 64 x 64 centre
    hole (1 = fill). benchmarks/omp_spin.py, frozen_ab.py and inpaint_passes.py time the same case."""
    from skimage import data

    mask = np.zeros((SIZE, SIZE), np.float32)
    mask[96:160, 96:160] = 1
    return data.astronaut()[128:384, 128:384].astype(np.float32) / 255.0, mask

CHECKPOINT = None   # --checkpoint; None: each task's default (dpm_studio.paths.DEFAULT_CHECKPOINTS)
DENOISE_OPTIONS: list[str] = []   # --denoise-options
INPAINT_OPTIONS: dict = {}   # --inpaint-options
INPAINT_THREADS = None   # --inpaint-threads; None: every core, as the app and the command line run
SIZE = 256
COLOUR_SOURCES = ("astronaut", "coffee", "chelsea", "rocket")
GREY_SOURCES = ("camera", "coins", "moon", "brick", "grass", "gravel")


def load() -> float:
    return os.getloadavg()[0]


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}


def noisy_u8(clean: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(clean.astype(np.float64) + SIGMA * rng.standard_normal(clean.shape), 0, 255).round().astype(np.uint8)


def crops(grey: bool, n: int) -> list[np.ndarray]:
    """``n`` noisy 256 x 256 crops of scikit-image's pictures, at seeded positions."""
    from skimage import data

    sources = [getattr(data, s)() for s in (GREY_SOURCES if grey else COLOUR_SOURCES)]
    sources = [s if (s.ndim == 2) == grey else s[..., :3] for s in sources]
    rng = np.random.default_rng(1 if grey else 2)
    out = []
    for k in range(n):
        src = sources[k % len(sources)]
        top = int(rng.integers(0, src.shape[0] - SIZE + 1))
        left = int(rng.integers(0, src.shape[1] - SIZE + 1))
        out.append(noisy_u8(src[top:top + SIZE, left:left + SIZE], 100 + k))
    return out


def bm3d_seconds(u8: np.ndarray) -> tuple[float, float]:
    """BM3D on ``u8`` in this process: (wall s, CPU s)."""
    import bm3d

    x = u8.astype(np.float32) / 255.0
    t0, c0 = time.perf_counter(), time.process_time()
    bm3d.bm3d_rgb(x, SIGMA / 255.0) if x.ndim == 3 else bm3d.bm3d(x, SIGMA / 255.0)
    return time.perf_counter() - t0, time.process_time() - c0


def run_child(argv: list[str]) -> tuple[float, float, float]:
    """``python -m dpm_studio ARGV`` as a child: (wall s from spawn to exit, peak RSS MB, CPU s user + system)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errf:
        p = subprocess.Popen([sys.executable, "-m", "dpm_studio", *argv], stdout=subprocess.DEVNULL, stderr=errf,
                             env=env())
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        errf.seek(0)
        lines = errf.read().strip().splitlines()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"dpm-studio {' '.join(argv)} failed: {lines[-1] if lines else ''}")
    return wall, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def denoise_argv(src, out) -> list[str]:
    """The timed command line: the defaults, or the checkpoint and options given."""
    return ["denoise", str(src), "--sigma", str(SIGMA), "-o", str(out),
            *(["--checkpoint", CHECKPOINT] if CHECKPOINT else []), *DENOISE_OPTIONS]


def _named(row: str) -> str:
    """A row's name, with the checkpoint and options that are not the defaults."""
    said = ([Path(CHECKPOINT).stem] if CHECKPOINT else []) + DENOISE_OPTIONS
    return f"{row} [{' '.join(said)}]" if said else row


def one_photo(tmp: Path, grey: bool, repeats: int) -> dict:
    u8 = crops(grey, 1)[0]
    path = tmp / f"one-{'grey' if grey else 'colour'}.png"
    Image.fromarray(u8).save(path)
    ours, theirs, la = [], [], load()
    for r in range(repeats):
        out = tmp / f"out-{r}.png"
        wall, _, cpu = run_child([*denoise_argv(path, out), "--overwrite"])
        ours.append((wall, cpu))
        theirs.append(bm3d_seconds(u8))
    (a, ac), (b, bc) = (tuple(statistics.median(v[i] for v in runs) for i in (0, 1)) for runs in (ours, theirs))
    return {"row": _named(f"one 256x256 {'grey' if grey else 'colour'} photo, CLI end to end vs BM3D in-process"),
            "ours": f"{a:.2f} s (CPU {ac:.2f})", "reference": f"{b:.2f} s (CPU {bc:.2f}) BM3D", "ratio": a / b,
            "target": "<= 1.00",
            "met": a <= b, "load": f"{la:.1f}-{load():.1f}"}


def folder(tmp: Path, grey: bool, n: int) -> dict:
    kind = "grey" if grey else "colour"
    src, dst = tmp / f"in-{kind}", tmp / f"out-{kind}"
    src.mkdir()
    images = crops(grey, n)
    for k, u8 in enumerate(images):
        Image.fromarray(u8).save(src / f"{k:03d}.png")
    la = load()
    bm, bmc = (sum(v) for v in zip(*(bm3d_seconds(u8) for u8 in images)))
    ours, _, cpu = run_child(denoise_argv(src, f"{dst}/"))
    assert len(list(dst.iterdir())) == n
    return {"row": _named(f"folder of {n} {kind} 256x256 photos, CLI total vs BM3D in-process total"),
            "ours": f"{ours:.1f} s (CPU {cpu:.1f})", "reference": f"{bm:.1f} s (CPU {bmc:.1f}) BM3D",
            "ratio": ours / bm, "target": "<= 0.50",
            "met": ours <= bm / 2, "load": f"{la:.1f}-{load():.1f}"}


def large(tmp: Path) -> list[dict]:
    from skimage import data

    photo = np.asarray(Image.fromarray(data.rocket()).convert("RGB").resize((4000, 3000), Image.LANCZOS))
    path = tmp / "large.png"
    Image.fromarray(noisy_u8(photo, 7)).save(path)
    la = load()
    wall, peak, cpu = run_child(denoise_argv(path, tmp / "large-out.png"))
    common = {"reference": "", "load": f"{la:.1f}-{load():.1f}"}
    return [{"row": _named("12 MP colour photo (rocket 4000x3000), CLI defaults: time"),
             "ours": f"{wall:.1f} s (CPU {cpu:.1f})", "ratio": None, "target": "<= 120 s", "met": wall <= 120, **common},
            {"row": _named("12 MP colour photo, CLI defaults: peak resident memory"), "ours": f"{peak:.0f} MB",
             "ratio": None, "target": "<= 2048 MB", "met": peak <= 2048, **common}]


def inpaint(repeats: int) -> dict:
    import torch

    from dpm_studio.core.files.checkpoint import load as load_ckpt, resolve
    from dpm_studio.core.run.requests import InpaintRequest
    from dpm_studio.core.run.tasks import run_task

    torch.set_num_threads(INPAINT_THREADS or os.cpu_count() or 1)
    from dpm_studio.paths import default_checkpoint

    loaded = load_ckpt(resolve(CHECKPOINT or default_checkpoint("inpaint")))
    a, mask = hole_case()
    la, times, cpus = load(), [], []
    for r in range(repeats + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in run_task(loaded, InpaintRequest(seed=r, **INPAINT_OPTIONS), a, mask=mask):
            pass
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    med = statistics.median(times[1:])
    said = ([Path(CHECKPOINT).stem] if CHECKPOINT else []) + \
        [f"{k}={v}" for k, v in INPAINT_OPTIONS.items()] + \
        ([f"{INPAINT_THREADS} thread{'s' if INPAINT_THREADS > 1 else ''}"] if INPAINT_THREADS else [])
    row = "inpaint a 64x64 hole (256x256 colour), app defaults, one sample, in-process"
    return {"row": f"{row} [{' '.join(said)}]" if said else row,
            "ours": f"{med:.2f} s (CPU {statistics.median(cpus[1:]):.2f}; first run {times[0]:.2f} s)", "reference": "", "ratio": None, "target": "<= 1 s",
            "met": med <= 1.0, "load": f"{la:.1f}-{load():.1f}"}


APP_CHILD = r"""
import sys, time
t_start = float(sys.argv[1]); photo = sys.argv[2]
import dpm_studio.cli as cli
cli.common.pause_collector()  # as main() does first in `dpm-studio gui`, before the imports below (docs/speed.md)
from dpm_studio.gui import main_window
shown = main_window.MainWindow.show

def show(self):
    shown(self)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def first_turn():
        print("window", time.time() - t_start, time.process_time(), flush=True)
        QTimer.singleShot(0, when_listed)

    def when_listed():
        # The models are listed once the window is shown, in a thread (gui/app.py; older windows
        # listed them before it): the open is timed after that, as File > Open would come.
        if getattr(getattr(self, "checkpoints", None), "listing", False):
            QTimer.singleShot(10, when_listed)
            return
        print("listed", time.time() - t_start, time.process_time(), flush=True)
        try:  # File > Open's code path (the window's files controller; older windows had it themselves)
            opener = self.files.open_image if hasattr(self, "files") else self.open_image
            t0, c0 = time.perf_counter(), time.process_time()
            ok = opener(photo)
            QApplication.processEvents()
            print("open", time.perf_counter() - t0, time.process_time() - c0, ok, flush=True)
        finally:  # a failure ends the run (it hung in the app's error dialog)
            QApplication.instance().quit()
    QTimer.singleShot(0, first_turn)

main_window.MainWindow.show = show
sys.argv = ["dpm-studio", "gui"]
sys.exit(cli.main())
"""


def app(tmp: Path) -> list[dict]:
    from skimage import data

    photo = tmp / "large.jpg"
    Image.fromarray(data.rocket()).convert("RGB").resize((4000, 3000), Image.LANCZOS).save(photo, quality=92)
    e = {**env(), "HOME": str(tmp / "home"), "XDG_CONFIG_HOME": str(tmp / "config")}
    la = load()
    r = subprocess.run([sys.executable, "-c", APP_CHILD, repr(time.time()), str(photo)], capture_output=True,
                       text=True, env=e, timeout=300)
    vals = {f[0]: f[1:3] for f in (line.split() for line in r.stdout.splitlines())
            if f[:1] in (["window"], ["listed"], ["open"])}
    if "window" not in vals or "open" not in vals:
        raise SystemExit(f"the app did not report: {r.stderr[-500:]}")
    (w, wc), (m, mc), (o, oc) = ((float(a), float(b)) for a, b in (vals["window"], vals["listed"], vals["open"]))
    common = {"reference": "", "ratio": None, "load": f"{la:.1f}-{load():.1f}"}
    return [{"row": "app (Qt offscreen): process start to first window shown", "ours": f"{w:.2f} s (CPU {wc:.2f})",
             "target": "<= 2 s", "met": w <= 2, **common},
            {"row": "app (Qt offscreen): process start to the models listed (Run can start)",
             "ours": f"{m:.2f} s (CPU {mc:.2f})", "target": "", "met": None, **common},
            {"row": "app (Qt offscreen): open a 12 MP JPEG (4000x3000) onto the canvas",
             "ours": f"{o:.2f} s (CPU {oc:.2f})",
             "target": "<= 1 s", "met": o <= 1, **common}]


def table(rows: list[dict]) -> str:
    lines = ["| row | ours | reference | ratio | target | met | load (1 min) |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.2f}"
        lines.append(f"| {r['row']} | {r['ours']} | {r['reference']} | {ratio} | {r['target']} | "
                     f"{'' if r['met'] is None else 'yes' if r['met'] else 'no'} | {r['load']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="photos per folder row (the issue's target: 100)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rows", default="one,folder,inpaint,app,large",
                    help="which rows, comma-separated (large, the 12 MP one, takes minutes)")
    ap.add_argument("--out", default=None, help="also write the table into this markdown file")
    ap.add_argument("--checkpoint", default=None, help="the denoising and inpainting rows' model (default: each "
                    "task's own, as the command line and the app pick it)")
    ap.add_argument("--denoise-options", default="", help="more command-line options for the denoising rows")
    ap.add_argument("--inpaint-options", default="", help="the inpainting row's request settings: NAME=INT,...")
    ap.add_argument("--inpaint-threads", type=int, default=None, help="torch's threads in the inpainting row "
                    "(default: every core, as the app and the command line run)")
    args = ap.parse_args(argv)
    import shlex

    global CHECKPOINT, DENOISE_OPTIONS, INPAINT_OPTIONS, INPAINT_THREADS
    INPAINT_THREADS = args.inpaint_threads
    CHECKPOINT, DENOISE_OPTIONS = args.checkpoint, shlex.split(args.denoise_options)
    INPAINT_OPTIONS = {k: int(v) for k, v in (kv.split("=") for kv in args.inpaint_options.split(",") if kv)}
    import compileall

    compileall.compile_dir(str(ROOT / "dpm_studio"), quiet=1)  # as installed (see above)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        which = set(args.rows.split(","))
        for grey in (True, False):
            if "one" in which:
                rows.append(one_photo(tmp, grey, args.repeats))
                print(table(rows[-1:]).splitlines()[-1], flush=True)
        for grey in (True, False):
            if "folder" in which:
                rows.append(folder(tmp, grey, args.n))
                print(table(rows[-1:]).splitlines()[-1], flush=True)
        if "inpaint" in which:
            rows.append(inpaint(args.repeats))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
        if "app" in which:
            rows += app(tmp)
            print("\n".join(table(rows[-3:]).splitlines()[-3:]), flush=True)
        if "large" in which:
            rows += large(tmp)
    print()
    text = table(rows)
    print(text)
    if args.out:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip()
        cmd = "python benchmarks/speed.py " + shlex.join(argv if argv is not None else sys.argv[1:])
        Path(args.out).write_text(f"Made by `{cmd}` at commit {rev}, {os.cpu_count()} CPUs.\n\n{text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
