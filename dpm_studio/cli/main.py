"""Command line: ``dpm-studio [gui] [IMAGE] | inpaint | denoise | sample | replay | train | evaluate | checkpoints |
self-test``.

Every long job is a core generator; the commands only render its records (a progress
line on stderr) and this module turns user errors into one clear line and exit status 2.
Here: the parser's assembly, ``main`` (the error funnel and the last-resort handler),
``checkpoints``, ``gui`` and ``self-test``; ``train``/``evaluate`` live in :mod:`.train`,
``inpaint``/``denoise``/``sample`` in :mod:`.restore`, ``replay`` in :mod:`.replay`, what they
share in :mod:`.common`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


from .. import __version__
from . import args as A
from . import common, replay, restore, train
from .common import UserError
from ..errorlog import sentence


# -- checkpoints ---------------------------------------------------------------------------
def cmd_checkpoints(args) -> int:
    from ..core.files.cardschema import printable as p
    from ..core.files.checkpoint import is_image_card, scan_cards

    from ..core.files.locations import checkpoint_dirs, checkpoint_source

    cards, skipped = scan_cards()
    for line in skipped:  # a bad card never hides the good ones
        print(f"dpm-studio: warning: {p(line)}", file=sys.stderr)
    cards = [{**c, "where": checkpoint_source(c["path"])} for c in cards]
    if args.json:
        print(json.dumps([{**c, "image_model": is_image_card(c)} for c in cards]))
        return 0
    print("checkpoint folders, searched in this order (the first of a name wins):")
    for folder in checkpoint_dirs():
        note = "" if os.path.isdir(folder) else "  (not a folder: left out)" if os.path.lexists(folder) \
            else "  (does not exist yet)"  # a file named by $DPM_STUDIO_CHECKPOINTS was "does not exist yet"
        print(f"  {checkpoint_source(folder / 'x.json'):<8} {p(folder)}{note}")
    if not cards:
        print("no checkpoints found")
        return 0
    for c in cards:  # a card's text is anyone's: its control characters are printed escaped, never acted on
        b = c.get("bound", {})
        bound = f"K = {b['K']:.3f} {b.get('units', '')}" if isinstance(b.get("K"), (int, float)) \
            else "bound not measured"
        use = "images" if is_image_card(c) else "not for images"
        print(f"{p(c['name']):<16} {c['family']:<9} {use:<14} {p(c.get('description', '')[:60]):<60} {p(bound):<26} "
              f"{c['where']:<8} {p(c['path'])}")
        for other in c.get("shadows", []):
            print(f"{'':<16} (hides {p(other)})")
    return 0


# -- gui ---------------------------------------------------------------------------------------
def cmd_gui(args) -> int:
    from ..display import display_problem

    problem = display_problem()  # before Qt starts: Qt aborts the process instead of saying what to install
    if problem:
        raise UserError(problem)
    try:
        from ..gui.app import run_app
    except ImportError as e:
        raise UserError(f"the desktop app cannot start: {e}") from None
    common.startup_done()  # Qt and the app's modules imported: they live as long as it runs
    return run_app(getattr(args, "image", None))


def cmd_selftest(args) -> int:
    out = args.output_dir
    if out is not None and os.path.lexists(out) and not os.path.isdir(out):  # said "a.png: File exists"
        raise UserError(f"--output-dir {out} is not a folder: give a folder (made if missing) for the results")
    try:
        from ..gui.selftest import FILES, main as selftest
    except ImportError as e:
        raise UserError(f"the desktop app cannot start: {e}") from None
    there = sorted(n for n in FILES.values() if out is not None and os.path.lexists(os.path.join(out, n)))
    if there:   # the one rule for an output that exists (restore.existing_output); the self-test has no --overwrite
        raise UserError(f"--output-dir {out} holds {', '.join(there)}, which the self-test writes: give a new or "
                        "empty folder")
    return selftest(timeout_s=args.timeout, steps=args.steps, output_dir=args.output_dir, keep=args.keep,
                    offscreen=args.offscreen)


def build_parser() -> argparse.ArgumentParser:
    p = A.Parser(prog="dpm-studio", description="Inpaint and denoise images with diffusion "
                                "probabilistic models (Sohl-Dickstein et al. 2015).")
    p.add_argument("--version", action="version", version=f"dpm-studio {__version__}")
    sub = p.add_subparsers(dest="cmd")

    g = sub.add_parser("gui", help="open the desktop app (the default)")
    g.add_argument("image", nargs="?", help="an image to open")

    st = sub.add_parser("self-test", help="check the installed app end to end (headless when there is no "
                        "display); one JSON line, exit 0 when every check held")
    st.add_argument("--timeout", type=A.TIMEOUT, default=300.0, help="seconds before it gives up (default 300)")
    st.add_argument("--steps", type=A.STEPS, default=16, help="respaced reverse steps per run (default 16)")
    st.add_argument("--output-dir", default=None, help="keep the saved results here (default: a temporary "
                    "folder, removed unless a check fails)")
    st.add_argument("--keep", action="store_true", help="keep the temporary folder")
    st.add_argument("--offscreen", action="store_true", help="no window even when there is a display")

    c = sub.add_parser("checkpoints", help="list the available checkpoints")
    c.add_argument("--json", action="store_true", help="print the cards as a JSON list")
    train.add_parsers(sub)
    restore.add_parsers(sub)
    replay.add_parser(sub)
    return p


def cmd_inpaint(args) -> int:
    """One image (:mod:`.restore`), or several files or a folder (:mod:`.batch`, imported here: it
    reads the image formats from the core, which brings torch)."""
    from . import batch

    return batch.run(args, "inpaint") if batch.is_batch(args) else restore.cmd_inpaint(args)


def cmd_denoise(args) -> int:
    """As :func:`cmd_inpaint`."""
    from . import batch

    return batch.run(args, "denoise") if batch.is_batch(args) else restore.cmd_denoise(args)


def cmd_replay(args) -> int:
    """The command a saved result's record stands for (:mod:`.replay`), run by this parser and these commands."""
    return replay.cmd_replay(args, build_parser, COMMANDS)


COMMANDS = {"gui": cmd_gui, "checkpoints": cmd_checkpoints, "evaluate": train.cmd_evaluate, "train": train.cmd_train,
            "inpaint": cmd_inpaint, "denoise": cmd_denoise, "sample": restore.cmd_sample, "self-test": cmd_selftest,
            "replay": cmd_replay}


def _streams_take_any_file_name() -> None:
    """A file name need not be UTF-8 (``\\xff.png`` arrives as a lone surrogate): stdout writes it back
    as the name's own bytes, so ``$(dpm-studio denoise ...)`` names the file; stderr escapes it for
    reading. Without this a strict UTF-8 stdout made a successful run an internal error.

    A stream closed before the start (``2>&-``, a daemon's or cron's missing descriptor) is None in
    Python: it becomes the null device, where the first progress line was an internal error (exit 70,
    no result saved)."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
    for stream, errors in ((sys.stdout, "surrogateescape"), (sys.stderr, "backslashreplace")):
        try:
            stream.reconfigure(errors=errors)
        except (AttributeError, ValueError, OSError):  # not a text stream we can change
            pass


def _quiet_stdout() -> None:
    """Point stdout at the null device, so the exit's flush of a closed pipe says nothing."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real descriptor (a test's capture)
        pass


def _image_opens_the_app(argv: list, parser) -> list:
    """``dpm-studio photo.jpg`` is ``dpm-studio gui photo.jpg``, as a file manager's "Open with" calls
    it: a first word that is no command but a file, or a name with an image extension."""
    commands = next((a.choices for a in parser._subparsers._group_actions), {})
    if not argv or argv[0].startswith("-") or argv[0] in commands:
        return argv
    from ..core.files.safefiles import IMAGE_FORMATS

    first = Path(argv[0])
    if os.path.isfile(first) or first.suffix.lower() in IMAGE_FORMATS:  # isfile: a name too long is no file
        return ["gui", *argv]
    return argv


# The commands that end the start-up themselves (common.startup_done: once the model or the app
# is loaded); every other one collects garbage as usual from its first line.
ENDS_ITS_STARTUP = ("inpaint", "denoise", "sample", "gui", "replay")
# The commands that run a model and end: their process keeps freed memory for its next network pass
# (common.keep_freed_memory); the app, which lives on with photos opened and closed, and training do not.
RUNS_A_MODEL = ("inpaint", "denoise", "sample", "replay")


def main(argv=None) -> int:
    """The command line; ``argv`` None: this process's own (the console script, ``python -m
    dpm_studio`` and the bundle call it so), whose garbage collector is paused over the imports
    and the model's loading (:func:`common.pause_collector`). In-process callers pass ``argv``."""
    if argv is not None:
        return _main(argv)
    common.pause_collector()
    try:
        return _main(None)
    finally:
        common.process_ends()


def _main(argv) -> int:
    own_process = argv is None  # the console script's (main() without arguments), not an in-process call
    _streams_take_any_file_name()
    parser = build_parser()
    argv = _image_opens_the_app(list(sys.argv[1:] if argv is None else argv), parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a refused option (one line, A.Parser.error)
        return e.code if isinstance(e.code, int) else 2
    cmd = args.cmd or "gui"
    refused = A.empty_value(parser, args)
    if refused:
        print(f"dpm-studio: error: {sentence(refused)}", file=sys.stderr)
        return 2
    if cmd == "train" and args.minutes is None and args.steps is None:
        print("dpm-studio: error: train needs a budget: give --minutes or --steps.", file=sys.stderr)
        return 2
    if own_process and cmd in RUNS_A_MODEL:  # this process's own run of a model
        common.keep_freed_memory()
    if cmd not in ENDS_ITS_STARTUP:
        common.startup_done()
    with common.printable_stderr(cmd not in ("gui", "self-test")):  # the app's own stderr is left as it is
        return _funnel(cmd, args, argv)


def _funnel(cmd: str, args, argv) -> int:
    """The command, its errors a user can cause as one line and exit 2, the rest to :func:`A.last_resort`."""
    from ..core.files.cardschema import CheckpointError  # not .checkpoint: it brings torch, which `gui` defers
    from ..imageio import ImageIOError

    try:
        return COMMANDS[cmd](args)
    except (UserError, CheckpointError, ImageIOError) as e:
        print(f"dpm-studio: error: {sentence(e)}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:
        if (e.name or "").split(".")[0] not in ("skimage", "sklearn", "mlxtend"):
            return A.last_resort(e, argv)
        print(f"dpm-studio: error: this needs the Python package {e.name.split('.')[0]!r}, which is not installed: "
              "training data comes with the [data] extra (pip install -e \".[data]\"), which the desktop bundle "
              "leaves out.", file=sys.stderr)
        return 2
    except BrokenPipeError:  # stdout's reader left (| head): nothing more to say, as other tools do
        _quiet_stdout()
        return 141  # 128 + SIGPIPE, what a shell reports for a command its pipe's reader ended
    except OSError as e:  # a file the command itself opens (a --log in a missing folder, ...)
        if e.errno is None and not e.filename:  # not a file problem: an internal error
            return A.last_resort(e, argv)
        where = f"{e.filename}: " if e.filename else ""
        print(f"dpm-studio: error: {sentence(f'{where}{e.strerror or e}')}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dpm-studio: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - the last resort: one line, the details in a log
        from ..core.machine.memory import is_allocation_failure

        if is_allocation_failure(e):
            print("dpm-studio: error: ran out of memory; try a smaller image, fewer --samples, a smaller --tile or "
                  "--batch.", file=sys.stderr)
            return 2
        return A.last_resort(e, argv)


def run() -> None:
    """The process's entry (the console script, ``python -m dpm_studio``, the bundle): the command
    line, then the process ends (:func:`common.exit_process`)."""
    common.exit_process(main())


if __name__ == "__main__":
    run()
