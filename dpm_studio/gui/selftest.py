"""``dpm-studio self-test``: the installed app, end to end, without a person in front of it.

It opens the main window (offscreen when there is no display), opens a bundled sample through
File > Open Sample, paints a mask with real mouse events on the canvas, runs a short
inpainting and a short denoising with the shipped ``photos-rgb`` checkpoint through the real
QThread runner, saves both results with the window's own Save code, reads them back with the
app's reader and checks them. It prints one JSON line and returns 0 only when every check held.

Everything is bounded: each run waits at most for what is left of ``timeout_s``, and the
command line adds a watchdog thread that ends the process if the event loop itself hangs.

PySide6 trap (see runner.py): the only signals connected here are the runner's GUI-thread
signals, and they go to ``@Slot`` methods of a QObject living in the GUI thread.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

import numpy as np

SAMPLE = "flower-small.png"
CHECKPOINT = "photos-rgb"
STEPS = 16
SIGMA_255 = 25.0
DEFAULT_TIMEOUT_S = 300.0
# The painted rectangle, in image pixels: (x0, y0, x1, y1), x1 and y1 exclusive.
MASK_RECT = (40, 36, 88, 84)

__all__ = ["run_selftest", "main", "DEFAULT_TIMEOUT_S"]


def _has_display() -> bool:
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def prepare_platform(offscreen: bool = False) -> str | None:
    """Before the QApplication exists: use Qt's offscreen platform when asked or when there is
    no display to open a window on. Returns the platform forced, or None."""
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is not None:
        return None
    if offscreen or not _has_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return "offscreen"
    return None


class _Dialogs:
    """Stands in for main_window.Dialogs: never opens a modal dialog, records every error."""

    def __init__(self, parent):
        self.parent = parent
        self.errors: list[str] = []

    def error(self, title, text):
        self.errors.append(f"{title}: {text}")

    def ask_unsaved(self, text, image=True, mask=False, doing=""):   # the same keywords as Dialogs.ask_unsaved
        return "discard"

    def confirm(self, title, text):
        return True

    def quality(self, fmt, default):
        return default

    def open_image(self, folder):
        return None

    def save_image(self, folder, suggested):
        return None

    def open_file(self, title, folder, flt):
        return None

    def save_file(self, title, path, flt):
        return None

    def folder(self, title, folder):
        return None


def _waiter_class():
    from PySide6.QtCore import QEventLoop, QObject, QTimer, Slot

    class Waiter(QObject):
        """Waits (bounded) for the runner's outcome; its slots run in the GUI thread."""

        def __init__(self, runner):
            super().__init__()
            self.outcome = None
            self._loop = QEventLoop(self)
            self._timer = QTimer(self)
            self._timer.setSingleShot(True)
            self._timer.timeout.connect(self._on_timeout)
            runner.finished.connect(self._on_finished)
            runner.aborted.connect(self._on_aborted)
            runner.errored.connect(self._on_errored)

        def wait(self, seconds: float):
            if self.outcome is None:
                self._timer.start(max(1, int(seconds * 1000)))
                self._loop.exec()
                self._timer.stop()
            return self.outcome

        def _done(self, kind, payload):
            if self.outcome is None:
                self.outcome = (kind, payload)
            self._loop.quit()

        @Slot(object)
        def _on_finished(self, frame):
            self._done("finished", frame)

        @Slot(object)
        def _on_aborted(self, frame):
            self._done("aborted", frame)

        @Slot(object)
        def _on_errored(self, info):
            self._done("errored", info)

        @Slot()
        def _on_timeout(self):
            self._done("timeout", None)

    return Waiter


class _Checks:
    def __init__(self):
        self.items: list[dict] = []

    def add(self, name: str, ok, detail: str = "") -> bool:
        self.items.append({"name": name, "pass": bool(ok), "detail": detail})
        return bool(ok)

    def all_passed(self) -> bool:
        return bool(self.items) and all(c["pass"] for c in self.items)


def _versions() -> dict:
    import PySide6
    import torch
    from PySide6.QtCore import qVersion

    from .. import __version__
    from ..core.files.locations import is_frozen

    return {"dpm_studio": __version__, "python": platform.python_version(), "torch": torch.__version__,
            "pyside6": PySide6.__version__, "qt": qVersion(), "numpy": np.__version__,
            "platform": f"{platform.system()} {platform.machine()}", "frozen": is_frozen()}


def _psnr(a, b) -> float:
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


def _drag(canvas, points):
    """Press, move and release the left button over image points, as a person would."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    vp = canvas.viewport()
    pts = [canvas.image_to_viewport(x, y) for x, y in points]
    QTest.mouseMove(vp, pts[0])
    QTest.mousePress(vp, Qt.LeftButton, Qt.NoModifier, pts[0])
    prev = pts[0]
    for p in pts[1:]:
        for k in range(1, 7):
            QTest.mouseMove(vp, prev + (p - prev) * k / 6)
        prev = p
    QTest.mouseRelease(vp, Qt.LeftButton, Qt.NoModifier, pts[-1])


#: The files the self-test writes into its output folder (``--output-dir``: one that holds any of them is
#: refused before the window starts, cli/main.cmd_selftest: nothing the user has is replaced).
FILES = {"settings": "settings.ini", "inpaint": "inpaint.png", "denoise": "denoise.png", "mask": "mask.png",
         "noisy": "noisy.png"}


def run_selftest(timeout_s: float = DEFAULT_TIMEOUT_S, steps: int = STEPS, output_dir=None,
                 keep: bool = False) -> dict:
    """Drive the real window through open sample, paint, inpaint, denoise, save; the summary dict.

    ``output_dir``: where the saved results go (default: a new temporary folder, removed
    afterwards unless ``keep`` or a check failed).
    """
    t_start = time.perf_counter()
    deadline = t_start + float(timeout_s)
    checks = _Checks()
    timings: dict[str, float] = {}
    summary: dict = {"command": "dpm-studio self-test", "ok": False, "checks": checks.items, "timings_s": timings,
                     "paths": {}}
    made_dir = output_dir is None
    out = Path(tempfile.mkdtemp(prefix="dpm-studio-selftest-") if made_dir else output_dir)
    out.mkdir(parents=True, exist_ok=True)
    uncaught: list[str] = []
    previous_hook = sys.excepthook

    def hook(etype, value, tb):  # an exception escaping a slot is a failed check, never a dialog
        uncaught.append("".join(traceback.format_exception(etype, value, tb)))

    sys.excepthook = hook
    made: dict = {}
    try:
        _drive(checks, timings, summary, out, deadline, steps, made)
    except Exception as e:  # noqa: BLE001 - reported as a failed check
        checks.add("no_exception", False, f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
    finally:
        win = made.get("window")
        if win is not None:
            errors = win.dialogs.errors
            checks.add("no_error_dialogs", not errors, "; ".join(errors))
            try:
                if not win.runner.shutdown(5000):
                    checks.add("runner_stopped", False, "the run thread did not stop within 5 s")
                if not win.checkpoints.shutdown(60):
                    checks.add("model_loaded", False, "a model's loading thread did not end within 60 s")
                win.close()
                win.deleteLater()
            except Exception as e:  # noqa: BLE001
                checks.add("window_closed", False, f"{type(e).__name__}: {e}")
        sys.excepthook = previous_hook
    checks.add("no_uncaught_exceptions", not uncaught, "\n".join(uncaught)[-2000:])
    summary["ok"] = checks.all_passed()
    summary["passed"] = sum(c["pass"] for c in checks.items)
    summary["failed"] = sum(not c["pass"] for c in checks.items)
    timings["total"] = round(time.perf_counter() - t_start, 2)
    kept = keep or not made_dir or not summary["ok"]
    summary["paths"]["output_dir"] = str(out) if kept else None
    if not kept:
        shutil.rmtree(out, ignore_errors=True)
    return summary


def _drive(checks: _Checks, timings: dict, summary: dict, out: Path, deadline: float, steps: int, made: dict):
    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from .. import imageio
    from ..core.files.checkpoint import list_cards
    from ..core.files.locations import app_root, shipped_checkpoints_dir
    from ..paths import resources_dir
    from .app import create_app
    from .canvas import Tool
    from .main_window import MainWindow
    from .model.taskmodels import TASKS

    t0 = time.perf_counter()
    app = create_app()
    summary["qt_platform"] = QApplication.platformName()
    summary["versions"] = _versions()
    card_path = shipped_checkpoints_dir() / f"{CHECKPOINT}.json"
    summary["paths"].update(app_root=str(app_root()), resources=str(resources_dir()), checkpoint=str(card_path))
    settings = QSettings(str(out / FILES["settings"]), QSettings.IniFormat)  # the user's settings stay untouched
    win = made["window"] = MainWindow(settings=settings)
    win.dialogs = _Dialogs(win)
    win.resize(960, 700)
    win.show()
    QTest.qWaitForWindowExposed(win, 5000)
    app.processEvents()
    timings["start_window"] = round(time.perf_counter() - t0, 2)
    checks.add("window_shown", win.isVisible(), f"platform {summary['qt_platform']}")
    checks.add("window_icon", not win.windowIcon().isNull() and not app.windowIcon().isNull(),
               "the application and window icon from resources/icons")

    # -- File > Open Sample ------------------------------------------------------------------------
    actions = {a.text(): a for a in win.sample_menu.actions() if a.data()}
    if not checks.add("samples_listed", SAMPLE in actions, f"File > Open Sample lists {sorted(actions)}"):
        return
    sample_path = Path(actions[SAMPLE].data())
    summary["paths"]["sample"] = str(sample_path)
    actions[SAMPLE].trigger()
    app.processEvents()
    ref = imageio.load_image(sample_path)
    img = win.canvas.image()
    if not checks.add("sample_opened", img is not None and img.shape == ref.pixels.shape
                      and np.array_equal(img, ref.pixels), f"{SAMPLE} {ref.describe()}"):
        return

    # -- the model -----------------------------------------------------------------------------------
    # the shipped model for every task the check runs (each task has its own model: session.models)
    if not win.checkpoints.select(str(card_path), tasks=TASKS):  # a user's checkpoint of that name hides it
        win.task_panel.set_cards(list_cards([shipped_checkpoints_dir()]), select=str(card_path))
        win.checkpoints.select(str(card_path), tasks=TASKS)
    win.checkpoints.wait_loaded(max(1.0, deadline - time.perf_counter()))   # loaded in a thread (gui/checkpoints.py)
    card = win.task_panel.current_card()
    if not checks.add("checkpoint_loaded", card is not None and Path(card["path"]) == card_path
                      and win.checkpoints.loaded is not None and not win.checkpoints.model_error,
                      f"{card_path} {win.checkpoints.model_error}".strip()):
        return

    # every task's default model is shipped and loads (the runs below use photos-rgb for each task)
    from ..core.files.checkpoint import CheckpointError, load_cached
    from ..paths import DEFAULT_CHECKPOINTS

    problems = []
    for task, name in DEFAULT_CHECKPOINTS.items():  # the cache the picker shares: each model read once
        try:
            load_cached(shipped_checkpoints_dir() / f"{name}.json")
        except (OSError, CheckpointError) as e:
            problems.append(f"{task}: {name}: {e}")
    checks.add("task_defaults_shipped", not problems,
               "; ".join(problems) or ", ".join(f"{t}: {n}" for t, n in DEFAULT_CHECKPOINTS.items()))

    # -- paint the mask with the rectangle tool ------------------------------------------------------
    win.tool_actions[Tool.RECT].trigger()
    win.canvas.fit()
    app.processEvents()
    x0, y0, x1, y1 = MASK_RECT
    _drag(win.canvas, [(x0, y0), ((x0 + x1) / 2, (y0 + y1) / 2), (x1, y1)])
    app.processEvents()
    mask = win.canvas.mask()
    want = np.zeros(img.shape[:2], bool)
    want[y0:y1, x0:x1] = True
    got = mask > 0 if mask is not None else np.zeros_like(want)
    if not checks.add("mask_painted", np.array_equal(got, want),
                      f"{int(got.sum())} pixels painted, {int(want.sum())} expected "
                      f"({int((got & want).sum())} in common)"):
        return

    Waiter = _waiter_class()

    def run(task: str):
        """Run ``task`` through the window and the runner; the result under review, or None."""
        tp.set_task(task)
        left = deadline - time.perf_counter()
        kind, payload, took = "timeout", None, 0.0
        if left > 1:
            waiter = Waiter(win.runner)
            t = time.perf_counter()
            if win.runs.run():
                kind, payload = waiter.wait(left)
                if kind == "timeout":
                    win.runner.shutdown(5000)
            else:
                kind, payload = "refused", win.task_panel.hint.text()
            took = round(time.perf_counter() - t, 2)
            waiter.deleteLater()
        timings[task] = took
        why = getattr(payload, "message", payload) if kind != "finished" else ""
        ok = checks.add(f"{task}_finished", kind == "finished" and win.state() == "review",
                        f"{kind}{': ' + str(why) if why else ''}, {steps} steps in {took} s")
        return np.asarray(win.runs.result_image()) if ok else None

    def export(task: str, result) -> None:
        """Save with the window's Save code (which accepts the result first) and read it back."""
        path = out / FILES[task]
        saved = win.files.save_image(path)
        back = imageio.load_image(path) if saved and path.exists() else None
        checks.add(f"{task}_exported", back is not None and back.pixels.shape == result.shape
                   and back.mode == ("RGB" if result.shape[2] == 3 else "L")
                   and np.abs(back.pixels - result).max() <= 0.5 / 255 + 1e-6
                   and back.metadata.get("runs", [{}])[0].get("task") == task, str(path))

    tp = win.task_panel
    tp.steps_all.setChecked(False)
    tp.steps.setValue(int(steps))
    tp.seed.setValue(0)
    tp.samples.setValue(1)

    # -- inpaint -----------------------------------------------------------------------------------
    res = run("inpaint")
    if res is None:
        return
    keep = ~want
    checks.add("inpaint_known_pixels_kept", res.shape == img.shape and np.array_equal(res[keep], img[keep]),
               f"{int(keep.sum())} known pixels")
    change = float(np.abs(res[want] - img[want]).mean())
    checks.add("inpaint_masked_pixels_changed", change > 0.02 and np.isfinite(res).all()
               and res.min() >= 0 and res.max() <= 1, f"mean |change| in the mask = {change:.4f}")
    export("inpaint", res)
    mpath = out / FILES["mask"]
    ok = win.files.export_mask(mpath) and mpath.exists()
    checks.add("mask_exported", ok and np.array_equal(imageio.load_mask(mpath, img.shape[:2]) > 0, want), str(mpath))

    # -- denoise: the sample with noise of a known level, opened as a file ------------------------------
    rng = np.random.default_rng(0)
    clean = ref.pixels
    noisy = np.round(np.clip(clean + rng.normal(0, SIGMA_255 / 255, clean.shape), 0, 1) * 255) / 255
    noisy_path = out / FILES["noisy"]
    imageio.save_image(noisy_path, noisy.astype(np.float32))
    opened = win.files.open_image(noisy_path)
    noisy_in = win.canvas.image()
    if not checks.add("noisy_opened", opened and noisy_in is not None and noisy_in.shape == clean.shape,
                      str(noisy_path)):
        return
    tp.sigma.setValue(SIGMA_255)
    den = run("denoise")
    if den is None:
        return
    diff = float(np.abs(den - noisy_in).mean()) if den.shape == noisy_in.shape else 0.0
    checks.add("denoise_shape", den.shape == noisy_in.shape and den.dtype == np.float32,
               f"{den.shape} {den.dtype}, input {noisy_in.shape}")
    checks.add("denoise_changed", diff > 0.01 and np.isfinite(den).all() and den.min() >= 0 and den.max() <= 1,
               f"mean |change| = {diff:.4f}")
    p_noisy, p_den = _psnr(noisy_in, clean), _psnr(den, clean)
    checks.add("denoise_closer_to_clean", p_den > p_noisy + 1.0,
               f"PSNR to the clean sample {p_noisy:.2f} dB -> {p_den:.2f} dB")
    export("denoise", den)


def _failure_line(name: str, detail: str) -> str:
    return json.dumps({"command": "dpm-studio self-test", "ok": False, "passed": 0, "failed": 1,
                       "checks": [{"name": name, "pass": False, "detail": detail}]}) + "\n"


def _report_qt_fatal():
    """A Qt fatal error (no usable platform plugin, say) would abort without a word on stdout:
    report it as the failing JSON line and exit 1 instead. For the command only: pytest-qt
    has its own handler in the test process."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    recent: list[str] = []

    def handler(kind, context, message):
        sys.stderr.write(message + "\n")
        if kind == QtMsgType.QtFatalMsg:
            sys.stdout.write(_failure_line("qt_started", " ".join(recent[-4:] + [message])))
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(1)
        recent.append(message)
        del recent[:-4]

    qInstallMessageHandler(handler)


def _watchdog(seconds: float) -> threading.Timer:
    """Ends the process with a failing JSON line if the event loop itself stops answering."""

    def fire():
        sys.stdout.write(_failure_line("finished_in_time", f"the self-test did not finish within {seconds:.0f} s"))
        sys.stdout.flush()
        os._exit(1)

    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()
    return t


def main(timeout_s: float = DEFAULT_TIMEOUT_S, steps: int = STEPS, output_dir=None, keep: bool = False,
         offscreen: bool = False) -> int:
    """The ``dpm-studio self-test`` command: one JSON line on stdout; 0 when every check held."""
    dog = _watchdog(float(timeout_s) + 30.0)
    try:
        prepare_platform(offscreen)
        _report_qt_fatal()
        summary = run_selftest(timeout_s, steps, output_dir, keep)
    finally:
        dog.cancel()
    sys.stdout.write(json.dumps(summary) + "\n")
    sys.stdout.flush()
    return 0 if summary["ok"] else 1
