"""What a command imports before its work starts (issue 26: start-up is most of one photo's time)."""

import subprocess
import sys

import numpy as np
from PIL import Image


def _run(code: str) -> str:
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_reading_a_png_loads_only_its_own_decoder(tmp_path):
    """The extension's decoder is tried first, so Pillow does not import its ~50 plugins
    (0.1-0.2 s of every command); the content still decides (a PNG named .jpg still opens)."""
    Image.fromarray(np.full((8, 8, 3), 7, np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "b.jpg").write_bytes((tmp_path / "a.png").read_bytes())
    code = ("import sys; from dpm_studio.imageio import load_image; d = load_image(sys.argv[1]); "
            "print(d.pixels.shape[0], sorted(m for m in sys.modules if m.endswith('ImagePlugin')))")
    out = _run(code.replace("sys.argv[1]", repr(str(tmp_path / "a.png"))))
    assert out == "8 ['PIL.PngImagePlugin']"
    assert _run(code.replace("sys.argv[1]", repr(str(tmp_path / "b.jpg")))).startswith("8 ")


def test_the_denoise_path_does_not_import_scipy():
    """scipy.ndimage (0.2-0.4 s) is for inpainting's crops only."""
    assert _run("import sys, dpm_studio.cli, dpm_studio.core.run.tasks, dpm_studio.imageio; "
                "print('scipy' in sys.modules)") == "False"


def test_a_signal_dependent_denoise_does_not_import_scipy():
    """--noise auto on camera-like noise builds the generalized Anscombe transform's exact inverse, whose
    Poisson weights need log(k!): scipy.special.gammaln cost 0.1-0.2 s of import in every such run."""
    code = ("import sys, numpy as np; from dpm_studio.core.run.anscombe import GeneralizedAnscombe; "
            "g = GeneralizedAnscombe(0.004, 0.0004); x = np.linspace(0, 1, 5); "
            "print(float(np.abs(g.inverse(g.forward(x)) - x).max()) < 0.05, 'scipy' in sys.modules)")
    assert _run(code) == "True False"


# The process's own command line: what its garbage collector did (a subprocess, as the console script runs).
_COLLECTOR = r"""
import gc, sys
import dpm_studio.cli
m = sys.modules['dpm_studio.cli.main']  # the module (the package's `main` is the function)
seen = {}
if sys.argv[1] == "checkpoints":  # a command that does not end its start-up itself: collecting from its start
    m.COMMANDS["checkpoints"] = lambda args: seen.setdefault("collecting", gc.isenabled()) and 0
full = gc.get_stats()[2]["collections"]
sys.argv = ["dpm-studio", *sys.argv[1:]]
rc = m.main()
print(rc, gc.isenabled(), gc.get_freeze_count(), gc.get_stats()[2]["collections"] - full, seen.get("collecting"))
"""


def test_the_command_line_does_not_walk_torchs_objects_in_full_collections(tmp_path):
    """A denoise's process pauses the collector over its imports and the model's loading, then freezes what
    is alive: none of the three full collections over torch's ~165,000 objects (0.3-0.4 s CPU with the
    exit's), and the collector runs again afterwards."""
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 24), dtype=np.uint8)).save(tmp_path / "g.png")
    out = _run(_COLLECTOR.replace("sys.argv[1:]", repr(["denoise", str(tmp_path / "g.png"), "--sigma", "25",
                                                         "-o", str(tmp_path / "o.png")])).replace(
        "sys.argv[1]", "'denoise'"))
    rc, enabled, frozen, full, _ = out.splitlines()[-1].split()  # after the saved file's name
    assert (rc, enabled, full) == ("0", "True", "0")
    assert int(frozen) > 100_000  # torch's objects (and the rest of the start-up's) out of the collector's sight
    assert (tmp_path / "o.png").is_file()


def test_other_commands_collect_as_usual_and_in_process_calls_leave_the_collector_alone():
    out = _run(_COLLECTOR.replace("sys.argv[1:]", "['checkpoints']").replace("sys.argv[1]", "'checkpoints'"))
    assert out.splitlines()[-1].split()[1::3] == ["True", "True"]  # enabled after the command, and while it ran
    out = _run("import gc; from dpm_studio.cli.main import main; before = gc.get_freeze_count(); "
               "rc = main(['checkpoints']); print(rc, gc.isenabled(), gc.get_freeze_count() == before)")
    assert out.splitlines()[-1] == "0 True True"


# The process's end (common.exit_process): the command's exit status, its atexit handlers and its
# buffered output as with sys.exit, without the interpreter's tear-down of every module (0.07 s).
_EXIT = r"""
import atexit, sys
import dpm_studio.cli
m = sys.modules["dpm_studio.cli.main"]
atexit.register(lambda: print("atexit ran", flush=False))
sys.argv = ["dpm-studio", *ARGS]
print("buffered line", end="\n", flush=False)
BEFORE
try:
    m.run()
except SystemExit:  # the usual exit: the interpreter's tear-down follows
    print("usual exit", flush=False)
    raise
print("after run")  # never
"""


def _process(args, before=""):
    code = _EXIT.replace("ARGS", repr(args)).replace("BEFORE", before)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)


def test_the_process_ends_with_its_status_handlers_and_output_but_no_teardown(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 24), dtype=np.uint8)).save(tmp_path / "g.png")
    r = _process(["denoise", str(tmp_path / "g.png"), "--sigma", "25", "-o", str(tmp_path / "o.png")])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "buffered line" and lines[-1] == "atexit ran" and str(tmp_path / "o.png") in lines
    assert "usual exit" not in r.stdout and "after run" not in r.stdout and (tmp_path / "o.png").is_file()
    r = _process(["denoise", str(tmp_path / "missing.png"), "--sigma", "25", "-o", str(tmp_path / "m.png")])
    assert r.returncode == 2 and "missing.png" in r.stderr and r.stdout.splitlines()[-1] == "atexit ran"
    assert "usual exit" not in r.stdout


def test_with_qt_loaded_or_another_thread_the_process_ends_as_usual():
    """The app's windows are torn down, and a thread still working is waited for, by the usual exit."""
    r = _process(["--version"], before="import PySide6.QtCore")
    assert r.returncode == 0 and "usual exit" in r.stdout and "atexit ran" in r.stdout
    # the thread lives until the main thread has ended (not a fixed 3 s, which a loaded machine's
    # start-up outlasted: the thread was gone before the exit and the test failed)
    r = _process(["--version"], before="import threading, time\n"
                 "def _work():\n"
                 "    while threading.main_thread().is_alive():\n"
                 "        time.sleep(0.02)\n"
                 "    print('thread done')\n"
                 "threading.Thread(target=_work).start()")
    assert r.returncode == 0 and "usual exit" in r.stdout and "thread done" in r.stdout


# The restoration commands' own process keeps the memory it frees for its next network pass
# (common.keep_freed_memory): glibc on its own gives the first pass's freed activations back to the
# kernel and faults the second pass's in again, page by page.
_REUSE = r"""
import resource, sys
import torch
from dpm_studio.cli import common
kept = common.keep_freed_memory() if sys.argv[1] == "keep" else None
faults = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_minflt
rounds = []
for _ in range(2):  # two passes' worth of activations (6-24 MB), allocated, touched and freed
    before = faults()
    xs = [torch.empty(mb * 262144).fill_(1.0) for mb in (6, 12, 18, 6, 12, 24)]
    del xs
    rounds.append(faults() - before)
print(kept, *rounds)
"""


def test_a_second_pass_reuses_the_first_ones_freed_memory():
    import pytest

    if not sys.platform.startswith("linux"):
        pytest.skip("glibc's allocator only")
    kept, first, second = _run(_REUSE.replace("sys.argv[1]", "'keep'")).split()
    if kept == "False":
        pytest.skip("not glibc (no mallopt)")
    assert kept == "True" and int(second) < int(first) / 2  # 6,144 of 19,980 here
    _, first, second = _run(_REUSE.replace("sys.argv[1]", "'leave'")).split()
    assert int(second) > 0.8 * int(first)  # glibc on its own: 19,947 of 20,008


_KEEPS = r"""
import sys
import dpm_studio.cli
from dpm_studio.cli import common
m = sys.modules["dpm_studio.cli.main"]
called = []
common.keep_freed_memory = lambda: called.append(1) or True
sys.argv = ["dpm-studio", *ARGS]
m.main() if IN_PROCESS is None else m.main(IN_PROCESS)
print("called", len(called))
"""


def test_a_denoise_process_keeps_freed_memory_and_other_commands_and_callers_do_not(tmp_path):
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 24), dtype=np.uint8)).save(tmp_path / "g.png")
    denoise = ["denoise", str(tmp_path / "g.png"), "--sigma", "25", "-o", str(tmp_path / "o.png"), "--overwrite"]
    run = lambda args, in_process=None: _run(_KEEPS.replace("ARGS", repr(args)).replace(  # noqa: E731
        "IN_PROCESS", repr(in_process))).splitlines()[-1]
    assert run(denoise) == "called 1"
    assert run(["checkpoints"]) == "called 0"
    assert run([], in_process=denoise) == "called 0"  # main(argv): someone else's process
