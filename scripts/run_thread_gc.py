"""Reproducer of the frozen passes' crash (docs/speed.md, "The frozen passes' crash"): the app's inpainting
runs in its run thread (TaskRunner's QThread, the frozen passes on) while the GUI thread waits in its event
loop and leaves behind what a closed window leaves to the cyclic collector: a cycle holding a GUI-thread Qt
object (here a running timer, one every 5 ms). A collection in the run thread frees it from there and the
process dies with a segmentation fault (exit status 139); with gui/collector.py the run thread never collects.

    python scripts/run_thread_gc.py [RUNS]        # 3 runs by default; one line at the end if it survived
    for i in $(seq 20); do python scripts/run_thread_gc.py 3 >/dev/null 2>&1; echo $?; done | sort | uniq -c

Environment: TREE (the source tree to import, this one by default), FROZEN=1 (switch the frozen passes on
where an older tree has them off), CYCLES=0 (no leftovers: nothing to free), GARBAGE=N (N closed windows
too), GC_THRESHOLD=a,b,c (the collector's thresholds over each run)."""
import faulthandler, gc, os, sys, tempfile, threading
from pathlib import Path
faulthandler.enable()
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for v in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[v] = "1"
tree = os.environ.get("TREE", str(Path(__file__).resolve().parents[1]))
sys.path[:0] = [tree, tree + "/tests/gui", tree + "/tests"]
tmp = Path(tempfile.mkdtemp(prefix="frozen-repro-"))
os.environ.update(HOME=str(tmp), XDG_CONFIG_HOME=str(tmp / "c"), XDG_DATA_HOME=str(tmp / "d"),
                  DPM_STUDIO_CHECKPOINTS=str(tmp / "ck"))
import torch
torch.set_num_threads(1)
from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication
app = QApplication([])
from gui_helpers import make_checkpoint, image_with_mask
from conftest import ScriptedDialogs  # tests/gui/conftest.py's stand-in dialogs
(tmp / "ck").mkdir()
make_checkpoint(tmp / "ck", "tiny-rgb", 3)
from dpm_studio.core.run import tasks
if os.environ.get("FROZEN") == "1":
    tasks.FROZEN_TASKS = ("inpaint", "sample")
from dpm_studio.gui.main_window import MainWindow

gc.freeze(); gc.collect()  # as the app's start-up does (cli.common.startup_done, gui.checkpoints._scan)
worker_gcs = []
def cb(phase, info):
    if phase == "stop" and threading.current_thread() is not threading.main_thread():
        worker_gcs.append((info["generation"], info["collected"]))
gc.callbacks.append(cb)

def window(i):
    win = MainWindow(settings=QSettings(str(tmp / f"s{i}.ini"), QSettings.IniFormat))
    win.dialogs = ScriptedDialogs(win)
    win.resize(1100, 760); win.show()
    assert win.checkpoints.select("tiny-rgb", tasks=("inpaint", "denoise", "sample"))
    return win

class Leftover:
    """What a closed window leaves to the cyclic collector: a cycle holding a GUI-thread Qt object (a running timer)."""
    def __init__(self):
        self.timer = QTimer()
        self.timer.timeout.connect(self.tick)
        self.timer.start(1)
        self.me = self
    def tick(self):
        pass

def settle(ms=50):
    loop = QEventLoop(); QTimer.singleShot(ms, loop.quit); loop.exec()

runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
GARBAGE = int(os.environ.get("GARBAGE", "0"))
AMPLIFY = os.environ.get("GC_THRESHOLD")  # an amplifier over each run: collections more often, so one falls in its thread
for i in range(runs):
    win = window(f"{i}-run")
    image_with_mask(win)
    win.task_panel.steps.setValue(3)
    for j in range(GARBAGE):  # windows used and closed, left to the cyclic collector (as a test's or a dialog's)
        w = window(f"{i}-{j}"); w.close(); w.deleteLater(); settle()
        QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete); del w
    loop = QEventLoop()
    win.runner.finished.connect(loop.quit); win.runner.errored.connect(loop.quit)
    QTimer.singleShot(60_000, loop.quit)
    default = gc.get_threshold()
    if AMPLIFY:
        gc.set_threshold(*map(int, AMPLIFY.split(",")))
    litter = QTimer()
    if os.environ.get("CYCLES", "1") == "1":  # the GUI thread leaves such cycles behind while the run goes on
        litter.timeout.connect(Leftover)
        litter.start(5)
    assert win.runs.run()
    loop.exec()
    litter.stop()
    gc.set_threshold(*default)
    win.runner.shutdown(5000); win.close(); win.deleteLater(); del win, loop
print(f"survived {runs} runs; collections in the run thread (generation, collected): {worker_gcs}", flush=True)
import shutil  # noqa: E402
shutil.rmtree(tmp, ignore_errors=True)
