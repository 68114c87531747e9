"""Print the table of docs/one-way.md: every run setting of every task, as the request declares it and as the
command line, the Python API, the app and the saved record take it, each read from the running code (the
parser's options, the API's signature, the app's widgets, the record a run writes), not typed here.

    QT_QPA_PLATFORM=offscreen python scripts/one_way_table.py > /tmp/table.md

tests/gui/test_one_way_table.py checks that docs/one-way.md holds this table as printed and that each
surface's range and default is the request's (:func:`surfaces`).
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


if __name__ == "__main__":
    _app, panel, mask_panel = app_panels()
    print(table(surfaces(panel, mask_panel)))
