"""Print the table of docs/one-way.md: every run setting of every task, as the request declares it and as the
command line, the Python API, the app and the saved record take it, each read from the running code (the
parser's options, the API's signature, the app's widgets, the record a run writes), not typed here.

    QT_QPA_PLATFORM=offscreen python scripts/one_way_table.py > /tmp/table.md

tests/gui/test_one_way_table.py checks that docs/one-way.md holds this table as printed and that each
surface's range and default is the request's (:func:`surfaces`).

With ``--measure`` it runs instead each of :data:`MEASURED`'s requests (inpaint; denoise with each noise model;
sample; with and without a seed, steps and a checkpoint given) on one small picture through the command line, the
Python API (``api.denoise_result``/``inpaint_result``, saved by ``Result.save`` with the input file as its source;
``api.sample_result``, saved by ``Result.save``: a drawn sample has no source) and the
app's Qt-free session model (gui/model: the document, the run's frames, Accept, the saved record, as the window
drives them), and prints whether the pixels, the three saved records (but their times) and a ``replay --strict``
of each saved result agree (:func:`measure`; tests/cli/test_one_way_measured.py runs it on a tiny model):

    QT_QPA_PLATFORM=offscreen python scripts/one_way_table.py --measure [--side 32] [--checkpoint NAME]
"""

from __future__ import annotations

import argparse
import inspect
import sys
from dataclasses import fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dpm_studio import api  # noqa: E402
from dpm_studio.core.run.requests import REQUESTS  # noqa: E402
from dpm_studio.core.run.settings import default_of, specs  # noqa: E402

#: Fields of a request that are not settings a user gives: what a run resolved and records.
RESOLVED = ("noise_fit", "grain_law")


def cli_actions(task: str) -> dict:
    """{setting: the argparse action} of ``dpm-studio TASK``."""
    from dpm_studio.cli.main import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices[task]
    return {a.dest: a for a in sub._actions}


def cli_range(action) -> tuple | None:
    """(lo, hi) an option's type accepts, found by asking it (None for a choice, a switch or a text)."""
    parse = action.type
    if parse is None or action.choices is not None or getattr(parse, "__name__", "") not in ("integer", "number"):
        return None

    def ok(v) -> bool:
        try:
            parse(repr(v))
            return True
        except argparse.ArgumentTypeError:
            return False
    lo = next((v for v in (0, 0.01, 0.25, 1, 16) if ok(v)), None)
    hi = next((v for v in (1, 4, 8, 32, 64, 100, 255, 256, 1000, 2048, 4096, 100_000, 1_000_000, 2 ** 32 - 1,
                           2 ** 63 - 1)[::-1] if ok(v)), None)
    return lo, hi


def app_widgets(panel, mask_panel) -> dict:
    """{task: {setting: (the app's label, the widget)}}: the controls that show a setting."""
    from dpm_studio.gui.more_settings import CLI_ONLY

    tp, ms = panel, panel.more_settings
    common = {"steps": ("Sampling > Steps", tp.steps), "seed": ("Sampling > Seed", tp.seed),
              "samples": ("Sampling > Samples", tp.samples), "variance": ("More settings > Step noise", tp.variance),
              "smc": ("More settings > Weighing", tp.smc), "device": ("More settings > Device", tp.device),
              "precision": ("More settings > Precision", ms.precision)}
    mask = {"feather": ("Mask > Feather", mask_panel.feather), "soft_mask": ("Mask > Soft", mask_panel.soft)}
    # no box: a record's value is kept, shown and run (gui/more_settings.CLI_ONLY; the differences below say why)
    carried = {task: {name: ("no box; a record's value is kept (More settings > From the record)", None)
                      for name in names} for task, names in CLI_ONLY.items()}
    return {
        "inpaint": {**common, **mask, "mode": ("Inpaint > Known pixels", tp.mode), "start": ("Inpaint > Start from",
                    tp.start), "jump_length": ("Inpaint > Resample jumps (first box)", tp.jump_length),
                    "jump_n_sample": ("Inpaint > Resample jumps (second box)", tp.jump_n),
                    "grain": ("Inpaint > Match the photo's grain", tp.grain),
                    "start_sigma": ("More settings > Start noise", ms.start_sigma), **carried["inpaint"]},
        "denoise": {**common, **mask, "noise": ("Denoise > Noise (Curve = auto, Constant, Typed a, b = "
                                                "poisson-gaussian)", tp.noise_controls.model),
                    "noise_scale": ("Denoise > Noise (strength)", tp.noise_controls.strength),
                    "sigma": ("Denoise > Noise std", tp.sigma), "method": ("Denoise > Method", tp.method),
                    "ensemble": ("More settings > Views", ms.ensemble),
                    "clipping": ("More settings > Clipped pixels", ms.clipping),
                    "noise_a": ("More settings > Noise (a)", ms.noise_a),
                    "noise_b": ("More settings > Noise (b)", ms.noise_b),
                    "region": ("the painted mask (its box, recorded as region_box)", None), **carried["denoise"]},
        "sample": {**{k: v for k, v in common.items() if k != "smc"},   # greyed out: nothing to weigh
                   "size": ("Sample > Width x height", tp.width_spin)},
    }


def app_range(widget) -> tuple | None:
    spin = getattr(widget, "spin", widget)
    if not hasattr(spin, "maximum"):
        return None
    lo, hi = spin.minimum(), spin.maximum()
    return (int(lo), int(hi)) if float(lo).is_integer() and float(hi).is_integer() else (lo, hi)


def app_choices(widget) -> tuple | None:
    """A choice box's values (its items' data), or None for another widget."""
    if hasattr(widget, "findData"):
        return tuple(widget.itemData(i) for i in range(widget.count()))
    return None


def record_keys(task: str) -> set:
    """The keys a default run's record holds (without a model: what the request itself writes)."""
    return set(REQUESTS[task]().metadata())


def surfaces(panel=None, mask_panel=None) -> list[dict]:
    """One row per (task, setting): the request's declaration and each surface's name, range and default."""
    widgets = app_widgets(panel, mask_panel) if panel is not None else {}
    rows = []
    for task, cls in REQUESTS.items():
        actions = cli_actions(task)
        api_params = inspect.signature(getattr(api, task)).parameters
        keys = record_keys(task)
        for f in fields(cls):
            name = f.name
            if name in RESOLVED:
                continue
            spec = specs(cls).get(name)
            action = actions.get(name)
            label, widget = widgets.get(task, {}).get(name, (None, None))
            default = default_of(cls, name)
            rows.append(dict(
                task=task, name=name, spec=spec, default=default,
                request_range=None if spec is None or spec.lo is None else (spec.lo, spec.hi),
                choices=None if spec is None else spec.choices,
                cli=None if action is None else action.option_strings[-1], cli_default=getattr(action, "default", None),
                cli_range=None if action is None else cli_range(action),
                cli_choices=None if action is None or action.choices is None else tuple(action.choices),
                api=name if name in api_params or "settings" in api_params else None,
                app=label, app_widget=widget, app_range=None if widget is None else app_range(widget),
                app_choices=None if widget is None else app_choices(widget),
                record=name if name in keys else f"{name} (when it applies)"))
    return rows


def _num(v) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:g}"


def table(rows) -> str:
    out = ["| task | setting | range, unit (request) | default | command line | API keyword | app | record |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        spec = r["spec"]
        if spec is None:
            rng = "any device found (`cpu`, `cuda`, `cuda:N`)" if r["name"] == "device" else ""
        elif spec.choices:
            rng = ", ".join(f"`{c}`" for c in spec.choices)
        elif spec.lo is not None:
            rng = spec.range_text() + (f" {spec.unit}" if spec.unit else "")
        else:
            rng = "on / off"
        if spec is not None and spec.default_text:
            default = spec.default_text
        elif isinstance(r["default"], tuple):
            default = "x".join(map(str, r["default"][::-1]))
        else:
            default = "off" if r["default"] is False else "-" if r["default"] is None else \
                _num(r["default"]) if isinstance(r["default"], float) else str(r["default"])
        if spec is not None and spec.scale != 1 and isinstance(r["default"], (int, float)):
            default = _num(r["default"] * spec.scale)
        app = r["app"] or "-"
        if r["app_range"] and spec is not None and spec.lo is not None and r["app_range"][1] < spec.hi:
            app += f" (at most {_num(r['app_range'][1])})"
        if r["app_choices"] and spec is not None and spec.choices and set(r["app_choices"]) != set(spec.choices):
            app += " (offers " + ", ".join(f"`{c}`" for c in r["app_choices"]) + ")"
        api_kw = r["api"] or "-"
        if r["task"] != "sample" and r["name"] == "sigma":
            api_kw += " (the array's units: 0-255 for uint8, 0-65535 for uint16, 0-1 for floats)"
        cli = f"`{r['cli']}`" if r["cli"] else "-"
        out.append(f"| {r['task']} | `{r['name']}` | {rng} | {default} | {cli} | `{api_kw}` | {app} | "
                   f"`{r['record']}` |".replace("`-`", "-"))
    return "\n".join(out)


def app_panels():
    """The app's task panel and mask panel, built headless (a QApplication made if there is none)."""
    from PySide6.QtWidgets import QApplication

    from dpm_studio.gui.panels import MaskPanel
    from dpm_studio.gui.task_panel import TaskPanel

    app = QApplication.instance() or QApplication([])
    return app, TaskPanel(devices=[]), MaskPanel()


# -- the same request through every surface, measured --------------------------------------------------------
#: (case, task, settings in the request's own units, checkpoint given: True (``--checkpoint``) or None (the
#: task's default, paths.default_checkpoint)). The brief of session 17: each task and noise model, with and
#: without an explicit seed, steps and checkpoint.
MEASURED = [
    ("inpaint, defaults", "inpaint", {}, None),
    ("inpaint, seed steps", "inpaint", {"seed": 3, "steps": 4}, True),
    ("denoise --noise auto", "denoise", {}, None),
    ("denoise --noise auto, sample seed steps", "denoise", {"method": "sample", "seed": 2, "steps": 3}, True),
    ("denoise constant --sigma", "denoise", {"sigma": 20 / 255}, None),
    ("denoise constant --sigma, seed steps (not used)", "denoise", {"sigma": 20 / 255, "seed": 4, "steps": 3}, True),
    ("denoise --noise constant, estimated", "denoise", {"noise": "constant"}, None),
    ("denoise poisson-gaussian", "denoise", {"noise": "poisson-gaussian", "noise_a": 0.002, "noise_b": 0.0005},
     None),
    ("denoise poisson-gaussian, sample seed steps", "denoise", {"noise": "poisson-gaussian", "noise_a": 0.002,
     "noise_b": 0.0005, "method": "sample", "seed": 6, "steps": 3}, True),
    ("sample, defaults", "sample", {}, None),
    ("sample, seed steps size", "sample", {"seed": 5, "steps": 4, "size": (24, 40)}, True),
]
#: What differs between two saves of one request: when it ran and how long it took.
TIMES = ("time", "seconds")


def _argv(task: str, settings: dict, checkpoint, src, mask, out) -> list[str]:
    """The command line of a case: each setting by its one declared option (cli/replay._option, replay's)."""
    from dpm_studio.cli.replay import _option

    cls = REQUESTS[task]
    argv = [task, *([str(src)] if task != "sample" else []), *(["--mask", str(mask)] if task == "inpaint" else []),
            "-o", str(out)]
    argv += ["--checkpoint", checkpoint] if checkpoint else []
    for name, value in settings.items():   # a sample's size (h, w) is --size WxH, as replay's record_argv gives it
        argv += ["--size", f"{value[1]}x{value[0]}"] if name == "size" else _option(cls, name, value)
    return argv


def _session_result(task: str, settings: dict, checkpoint, src, mask, out):
    """The app's run, driven through its Qt-free model as the window drives it (gui/run_control.run, the run's
    thread's gui/model/frames.task_frames, Accept, gui/files.save_image): the saved file."""
    import warnings

    from dpm_studio import __version__, imageio
    from dpm_studio.core.files.checkpoint import load_cached
    from dpm_studio.core.run.requests import request_for, saved_metadata
    from dpm_studio.gui.model.frames import RunJob, Stage, task_frames
    from dpm_studio.gui.model.session import Session
    from dpm_studio.paths import default_checkpoint

    s = Session()
    s.open_data(imageio.load_image(src))   # a sample needs no image; its Accept opens it as a new one
    loaded = load_cached(checkpoint or default_checkpoint(task), "cpu")
    req = request_for(task, **settings)
    if task == "inpaint":   # File > Load Mask, then the request reads the mask as the session holds it
        m, _ = imageio.load_mask_record(mask, s.doc.shape)
        s.set_mask(m, "load mask")
        req = req.replace(feather=s.feather, soft_mask=s.soft_mask)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inputs = s.job_inputs(req.validate(loaded), None, loaded)
    s.start_run(inputs.request.metadata(loaded), inputs)
    for item in task_frames(RunJob(loaded, inputs)):
        if isinstance(item, Stage):
            if item.job is not None:
                s.resolved(item.record)
        elif item.done:
            s.finish_run(item)
    assert s.accept_result() == ("opened" if task == "sample" else "accepted")
    imageio.save_image(out, s.doc.pixels, s.doc.alpha, metadata=saved_metadata(s.doc.runs, __version__, s.doc),
                       **imageio.export_options(s.doc))
    return out


def _api_result(task: str, settings: dict, checkpoint, px, m, src, out):
    """The API's run on the array a script would pass, saved as a script saves it (``Result.save`` with the file
    the array was read from as its source; a sample's with none): (its pixels, the saved file)."""
    import warnings

    import numpy as np

    from dpm_studio import api

    kw = dict(settings, **({"checkpoint": checkpoint} if checkpoint else {}))
    if "sigma" in kw:   # the API's sigma is in the array's units (0-255 for uint8, 0-65535 for uint16)
        kw["sigma"] = kw["sigma"] * (65535 if px.dtype == np.uint16 else 255)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if task == "sample":
            r = api.sample_result(**kw)
            r.save(out, overwrite=True)
        else:
            r = api.inpaint_result(px, m, **kw) if task == "inpaint" else api.denoise_result(px, **kw)
            r.save(out, source=src, overwrite=True)
    return r.pixels, out


def _replayed(saved: Path, mask, out: Path) -> str:
    """``dpm-studio replay --strict`` of a saved result (its input found beside it): its verdict's words."""
    import contextlib
    import io

    from dpm_studio.cli.main import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(["replay", str(saved), *(["--mask", str(mask)] if mask else []), "-o", str(out), "--strict",
                   "--overwrite"])
    said = [line for line in err.getvalue().splitlines() if line.startswith(("dpm-studio: run ", "dpm-studio: error"))]
    return "reproduced exactly" if rc == 0 and any("reproduced exactly" in line for line in said) else \
        f"rc {rc}: {said[-1] if said else err.getvalue().strip()[-200:]}"


def _records_differ(a: dict, b: dict) -> str:
    """'' where two run records are the same but for their times, else which entries differ."""
    keys = sorted(k for k in set(a) | set(b) if k not in TIMES and a.get(k, "(none)") != b.get(k, "(none)"))
    return ", ".join(f"{k}: {a.get(k, '(none)')!r} / {b.get(k, '(none)')!r}" for k in keys)


def _files_differ(a: dict, b: dict) -> str:
    """'' where two saved files' metadata (core/run/requests.saved_metadata: the software, the source's name, the
    runs) are the same but for their runs' times, else what differs."""
    said = _records_differ({k: v for k, v in a.items() if k != "runs"}, {k: v for k, v in b.items() if k != "runs"})
    ra, rb = a.get("runs") or [], b.get("runs") or []
    if len(ra) != len(rb):
        return ", ".join(filter(None, [said, f"runs: {len(ra)} / {len(rb)}"]))
    return ", ".join(filter(None, [said, *(_records_differ(x, y) for x, y in zip(ra, rb))]))


def measure(folder: Path, src: Path, mask: Path, checkpoint: str | None = None, cases=None) -> list[dict]:
    """Each case of ``cases`` (default :data:`MEASURED`) through the command line, the API and the session model
    on ``src`` (and ``mask``), in ``folder``; ``checkpoint``: the one a case that gives one names. One row a case:
    whether the API's and the app's pixels are the command line's, the API's and the app's saved records the
    command line's (but their times), and each saved result replays exactly."""
    import contextlib
    import io
    import time

    import numpy as np

    from dpm_studio import imageio
    from dpm_studio.cli.main import main

    data = imageio.load_image(src)
    levels, dtype = (65535, np.uint16) if data.bit_depth == 16 else (255, np.uint8)
    px = (data.pixels * levels + 0.5).astype(dtype)   # the array a script would hand the API
    px = px[:, :, 0] if px.shape[2] == 1 else px
    m = imageio.load_mask(mask)

    def codes(path, task):   # a file's samples, at its depth (a drawn sample's file: 8 bits)
        top, kind = (255, np.uint8) if task == "sample" else (levels, dtype)
        return (imageio.load_image(path).pixels * top + 0.5).astype(kind)

    def record(path):
        return imageio.load_image(path).metadata

    rows = []
    for name, task, settings, given in cases or MEASURED:
        ckpt = checkpoint if given else None
        t0 = time.perf_counter()
        cli, app, api_png = folder / "cli.png", folder / "app.png", folder / "api.png"
        for f in (cli, app, api_png):
            f.unlink(missing_ok=True)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = main(_argv(task, settings, ckpt, src, mask, cli))
        if rc:
            rows.append(dict(case=name, error=f"command line rc {rc}: {err.getvalue().strip()[-200:]}"))
            continue
        api_px, _ = _api_result(task, settings, ckpt, px, m, src, api_png)
        if task == "sample":   # floats in [0, 1], which its file holds as 8 bits
            api_px = imageio.to_uint8(api_px)
        _session_result(task, settings, ckpt, src, mask, app)
        a, b, c = record(cli), record(app), record(api_png)
        used = mask if task == "inpaint" else None
        ref = codes(cli, task)
        rows.append(dict(
            case=name, api_same=bool(api_px.size == ref.size and np.array_equal(ref, api_px.reshape(ref.shape))),
            api_file_same=bool(np.array_equal(ref, codes(api_png, task))),
            app_same=bool(np.array_equal(ref, codes(app, task))), records=_files_differ(a, b),
            api_records=_files_differ(a, c),
            replay_cli=_replayed(cli, used, folder / "again-cli.png"),
            replay_app=_replayed(app, used, folder / "again-app.png"),
            replay_api=_replayed(api_png, used, folder / "again-api.png"),
            checkpoint=a["runs"][-1].get("checkpoint"), seconds=time.perf_counter() - t0))
    return rows


def measured_table(rows) -> str:
    out = ["| request | model | API's pixels (returned, saved) = command line's | app's pixels = command line's | "
           "API's saved record = command line's (but times) | app's saved record = command line's (but times) | "
           "replay of the command line's | of the API's | of the app's |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['case']} | | {r['error']} | | | | | | |")
            continue
        yes = {True: "same", False: "**differ**"}
        api = "same" if r["api_same"] and r["api_file_same"] else \
            f"**returned {yes[r['api_same']]}, saved {yes[r['api_file_same']]}**"
        out.append(f"| {r['case']} | {r['checkpoint']} | {api} | {yes[r['app_same']]} | "
                   f"{'same' if not r['api_records'] else '**' + r['api_records'] + '**'} | "
                   f"{'same' if not r['records'] else '**' + r['records'] + '**'} | {r['replay_cli']} | "
                   f"{r['replay_api']} | {r['replay_app']} |")
    return "\n".join(out)


KINDS = ("png", "jpeg", "png16", "grey", "jpeg-png")


def measured_inputs(folder: Path, side: int = 32, kind: str = "png", image=None) -> tuple[Path, Path]:
    """A noisy picture of ``side`` px and a mask with a square hole, written in ``folder``: ``image``'s centre
    (a file; default a smooth gradient and an edge with std 15 / 255 of noise), saved as ``kind``: an 8-bit
    colour PNG, a JPEG (quality 90: its 8 x 8 grid is what the noise estimate looks for in a JPEG), a 16-bit
    colour PNG, an 8-bit grey PNG, a JPEG saved again as an 8-bit PNG (its pixels hold the JPEG's grid; the file's
    format says PNG)."""
    import numpy as np
    from PIL import Image

    from dpm_studio import imageio

    if image is not None:
        px = imageio.load_image(image).pixels
        top, left = max(0, (px.shape[0] - side) // 2), max(0, (px.shape[1] - side) // 2)
        clean = px[top:top + side, left:left + side]
        noisy = clean if clean.shape[2] == 3 else np.repeat(clean, 3, axis=2)
    else:
        rng = np.random.default_rng(0)
        y, x = np.mgrid[0:side, 0:side] / side
        clean = np.stack([0.3 + 0.4 * x, 0.5 + 0.2 * (y > 0.5), 0.6 - 0.3 * y], axis=2)
        noisy = np.clip(clean + rng.normal(0, 15 / 255, clean.shape), 0, 1)
    if kind == "grey":
        noisy = noisy.mean(axis=2)
    src = folder / ("picture.jpg" if kind == "jpeg" else "picture.png")
    if kind == "png16":
        imageio.save_image(src, noisy, bit_depth=16)
    elif kind == "jpeg":
        imageio.save_image(src, noisy, quality=90)
    elif kind == "jpeg-png":
        imageio.save_image(folder / "first.jpg", noisy, quality=85)
        imageio.save_image(src, imageio.load_image(folder / "first.jpg").pixels)
    else:
        Image.fromarray((noisy * 255 + 0.5).astype(np.uint8)).save(src)
    mask = folder / "hole.png"
    h, w = noisy.shape[:2]
    hole = np.zeros((h, w), np.uint8)
    hole[h // 4: h // 2, w // 4: w // 2] = 255
    Image.fromarray(hole).save(mask)
    return src, mask


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--measure", action="store_true", help="run each request through every surface (see above)")
    ap.add_argument("--side", type=int, default=32, help="the measured picture's side (px)")
    ap.add_argument("--checkpoint", default="photos-rgb", help="the model a case that gives --checkpoint names")
    ap.add_argument("--kind", choices=KINDS, default="png", help="the measured picture's file: 8-bit colour PNG, "
                    "JPEG, 16-bit colour PNG, 8-bit grey PNG, a JPEG saved again as PNG")
    ap.add_argument("--image", default=None, help="the picture's centre is this file's (default: a made one)")
    a = ap.parse_args(argv)
    if not a.measure:
        _app, panel, mask_panel = app_panels()
        print(table(surfaces(panel, mask_panel)))
        return
    import tempfile

    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="one-way-") as tmp:
        src, mask = measured_inputs(Path(tmp), a.side, a.kind, a.image)
        rows = measure(Path(tmp), src, mask, a.checkpoint)
    print(measured_table(rows))
    print(f"\n{len(rows)} requests, {sum(r.get('seconds', 0) for r in rows):.0f} s")


if __name__ == "__main__":
    main()
