"""Each run setting, one name, range and default on every surface: the request's declaration (core/run/
requests.py) against the command line's options, the API's keywords, the app's widgets and the saved record,
each read from the running code (scripts/one_way_table.py). docs/one-way.md holds the table as printed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("one_way_table", ROOT / "scripts" / "one_way_table.py")
ow = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ow)

#: (task, setting) the command line has no option for, and why. A new one fails until it is written here.
NO_OPTION = {("sample", "smc"): "an unconditional draw has no evidence to weigh: SMC changes nothing there"}


@pytest.fixture
def rows(qtbot):
    from dpm_studio.gui.panels import MaskPanel
    from dpm_studio.gui.task_panel import TaskPanel

    panel, mask_panel = TaskPanel(devices=[]), MaskPanel()
    qtbot.addWidget(panel)
    qtbot.addWidget(mask_panel)
    yield ow.surfaces(panel, mask_panel)
    del panel, mask_panel   # held until the test ends: the rows hold their widgets


def test_docs_one_way_holds_the_table_as_the_code_makes_it(rows):
    text = (ROOT / "docs" / "one-way.md").read_text()
    assert ow.table(rows) in text, "docs/one-way.md is out of date: QT_QPA_PLATFORM=offscreen python " \
                                   "scripts/one_way_table.py prints the table it should hold"


def test_the_command_line_has_every_setting_with_the_requests_range_choices_and_default(rows):
    for r in rows:
        where = f"{r['task']} {r['name']}"
        if r["cli"] is None:
            assert (r["task"], r["name"]) in NO_OPTION, f"{where}: no option on the command line"
            continue
        spec = r["spec"]
        if spec is None:
            continue
        if r["request_range"] is not None and r["name"] not in ("region", "size"):   # X,Y,W,H and WxH: own parsers
            lo, hi = r["cli_range"]
            assert hi == spec.hi and (lo == spec.lo or spec.open_lo and lo > spec.lo), \
                f"{where}: the option takes {lo} to {hi}, the request {spec.range_text()}"
        if spec.choices is not None:
            assert r["cli_choices"] == spec.choices, where
        default = r["default"]
        if r["name"] != "size" and not isinstance(default, bool):   # --size is WxH (default None: the request's)
            shown = default * spec.scale if isinstance(default, (int, float)) and spec.scale != 1 else default
            assert r["cli_default"] == shown, f"{where}: option default {r['cli_default']!r}, request {shown!r}"


def test_the_api_takes_every_setting_by_its_name(rows):
    assert all(r["api"] == r["name"] for r in rows), [r["name"] for r in rows if r["api"] != r["name"]]


def test_the_apps_widgets_take_the_requests_range_choices_and_default(rows):
    """A widget's range is the request's (the Seed box stopped at 2^31 - 1, a QSpinBox's limit), its choices the request's
    (Noise offers auto and constant: a camera's law is what auto fits), its first value the request's default."""
    from dpm_studio.core.run.requests import REQUESTS

    shown = [r for r in rows if r["app_widget"] is not None]
    assert {r["name"] for r in shown} >= {"steps", "seed", "samples", "variance", "smc", "device", "feather", "mode",
                                          "start", "jump_length", "jump_n_sample", "grain", "noise", "noise_scale",
                                          "sigma", "method", "size", "precision", "soft_mask", "start_sigma",
                                          "ensemble", "clipping", "noise_a", "noise_b"}
    for r in shown:
        where, spec, w = f"{r['task']} {r['name']}", r["spec"], r["app_widget"]
        assert r["cli"] is not None, f"{where}: the app offers what the command line does not"
        if r["app_range"] is not None and spec is not None:
            lo, hi = r["app_range"]
            assert hi == spec.hi, f"{where}: the app's box goes to {hi}, the request to {spec.hi}"
            assert lo == spec.lo or spec.open_lo and spec.lo < lo <= spec.lo + 0.1, f"{where}: from {lo}"
        if r["app_choices"] is not None and spec is not None and spec.choices is not None:
            assert set(r["app_choices"]) <= set(spec.choices), f"{where}: the app offers {r['app_choices']}"
            first = REQUESTS[r["task"]]()
            assert w.currentData() == getattr(first, r["name"]) or r["name"] == "noise", \
                f"{where}: the app starts at {w.currentData()}, the request at {getattr(first, r['name'])}"
        elif r["app_range"] is not None and isinstance(r["default"], (int, float)) and r["name"] != "sigma":
            value = getattr(w, "value")()
            assert value == r["default"] * spec.scale, f"{where}: the app starts at {value}, the request at {r['default']}"


def test_what_the_record_holds_is_read_back_as_the_same_setting(rows):
    """Every setting a record holds comes back from it under its own name (requests.request_of_record)."""
    from dpm_studio.core.run.requests import REQUESTS, request_of_record

    for task, cls in REQUESTS.items():
        record = cls().metadata()
        again = request_of_record(record)
        for name in record:
            if hasattr(again, name) and name not in ("size",):
                assert getattr(again, name) == getattr(cls(), name), f"{task} {name}"


@pytest.mark.parametrize("smc", [False, True])
def test_the_apps_inpainting_request_leaves_to_the_request_what_its_greyed_boxes_do_not_say(qtbot, smc):
    """With jumps greyed (clamp, exact, SMC) the panel passed its own 0 and 1 for them, a second copy of the
    request's rule (InpaintRequest.__post_init__); now it passes nothing and the request decides, so each mode
    and weighing gives the request the command line makes from the same options."""
    from dpm_studio.core.math.choices import INPAINT_MODES
    from dpm_studio.core.run.requests import request_for
    from dpm_studio.gui.task_panel import TaskPanel

    tp = TaskPanel(devices=[])
    qtbot.addWidget(tp)
    tp.set_task("inpaint")
    tp.smc.setChecked(smc)
    for mode in INPAINT_MODES:
        tp.mode.setCurrentIndex(tp.mode.findData(mode))
        got = tp.settings().request()
        want = request_for("inpaint", mode=mode, smc=smc, start=got.start)
        assert (got.jump_length, got.jump_n_sample, got.smc, got.start) == \
            (want.jump_length, want.jump_n_sample, want.smc, want.start), (mode, smc)
        got.validate()


@pytest.mark.parametrize("method", ["mmse", "sample"])
def test_what_a_denoising_method_does_not_use_is_one_rule_for_the_app_the_note_and_the_record(qtbot, method):
    """The app greyed Steps, Samples and Step noise by its own test of the method, the command line's note and
    the API's warning had their own list, the record a third: now each reads DenoiseRequest.NOT_USED."""
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.gui.task_panel import TaskPanel

    tp = TaskPanel(devices=[])
    qtbot.addWidget(tp)
    tp.set_task("denoise")
    tp.method.setCurrentIndex(tp.method.findData(method))
    boxes = {"steps": tp.steps_all, "samples": tp.samples, "variance": tp.variance}
    greyed = {name for name, box in boxes.items() if not box.isEnabled()}
    rule = set(DenoiseRequest.NOT_USED[method])
    assert greyed == rule & set(boxes), (method, greyed)
    given = DenoiseRequest(method=method, steps=3, samples=2, ensemble=2)
    assert set(given.unused()) == rule - {"variance"}
    assert not rule & set(given.metadata()), "the record holds a setting its method does not use"
    req = tp.settings().request()
    assert all(getattr(req, n) == getattr(DenoiseRequest(), n) for n in rule), "a greyed box's value ran"


def test_a_choice_box_holds_only_declared_values(qtbot):
    """The app's choice boxes (known pixels, start, method, step noise, noise model) typed their values beside
    their labels, a second list of each setting's choices: now a box takes its values from the declaration, and
    a label for a value the request does not declare stops the app at start-up, not at Run."""
    from dpm_studio.core.run.requests import DenoiseRequest, InpaintRequest
    from dpm_studio.gui.panels import declared_choice

    box = declared_choice(InpaintRequest, "mode", {"exact": "Exact", "forward-approx": "RePaint"}, "tip")
    assert [box.itemData(i) for i in range(box.count())] == ["forward-approx", "exact"]   # the declared order
    assert box.currentData() == InpaintRequest().mode
    with pytest.raises(ValueError, match="declares no choice forward"):
        declared_choice(InpaintRequest, "mode", {"forward": "RePaint"}, "tip")   # the old name: not a choice now
    assert declared_choice(DenoiseRequest, "noise", {"auto": "Curve"}, "tip", current="auto").currentData() == "auto"


def test_the_seed_is_greyed_where_the_run_draws_nothing_from_it(qtbot, win):
    """The one-step posterior mean draws from the seed only at a Strength above 1 or for a grey image on a colour
    model (DenoiseRequest.draws_from_seed; the command line's note says an unused seed): elsewhere the app greys
    Seed (and its dice) as it greys the other settings a run does not use, and says why."""
    import numpy as np

    tp = win.task_panel
    colour = np.random.default_rng(0).random((24, 24, 3)).astype(np.float32)
    win.files.set_image(colour)
    tp.set_task("denoise")
    assert tp.method.currentData() == "mmse" and tp.noise_controls.scale() == 1.0
    assert not tp.seed.isEnabled() and not tp.dice.isEnabled() and "any seed gives the same pixels" in tp.seed.toolTip()
    tp.noise_controls.strength.setValue(2.0)   # the top-up noise is drawn from it
    assert tp.seed.isEnabled() and tp.dice.isEnabled() and "Greyed out" not in tp.seed.toolTip()
    tp.noise_controls.strength.setValue(1.0)
    tp.method.setCurrentIndex(tp.method.findData("sample"))
    assert tp.seed.isEnabled()
    tp.method.setCurrentIndex(tp.method.findData("mmse"))
    assert not tp.seed.isEnabled()
    win.files.set_image(colour[:, :, :1])   # a grey image on the colour model: its colour-difference noise
    assert tp.seed.isEnabled()
    assert win.checkpoints.select("tiny-grey", tasks=("denoise",))   # a grey model: nothing drawn
    assert not tp.seed.isEnabled()
    tp.set_task("inpaint")
    assert tp.seed.isEnabled()


def test_every_setting_has_a_box_in_the_app_or_is_kept_from_a_record(rows):
    """A setting without a box is one the app keeps on the command line on purpose (gui/more_settings.CLI_ONLY,
    docs/one-way.md says why), whose value a record brings in is carried, not reset; a new setting fails here
    until it has a box or is written there."""
    from dpm_studio.gui.more_settings import CLI_ONLY

    without = {(r["task"], r["name"]) for r in rows if r["app_widget"] is None}
    kept = {(task, name) for task, names in CLI_ONLY.items() for name in names}
    assert without == kept | {("denoise", "region"), ("sample", "smc")}, without ^ kept
