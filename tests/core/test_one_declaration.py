"""Each run setting's default and range written once (issue 23, item 2): the request's field
(core/run/requests.py). These fail when a second copy appears: a number in a help text that is
not the field's, or a widget or option range typed in a front end instead of read from the field."""

from __future__ import annotations

import re
from pathlib import Path

from dpm_studio.core.run.regions import MARGIN
from dpm_studio.core.run.requests import DenoiseRequest, InpaintRequest
from dpm_studio.core.run.settings import spec_of

PKG = Path(__file__).resolve().parents[2] / "dpm_studio"


def test_the_defaults_a_help_text_names_are_the_fields():
    inpaint, denoise = InpaintRequest(), DenoiseRequest()
    from dpm_studio.core.run.requests import SampleRequest

    said = {(cls, name): spec_of(cls, name).default_text for cls, name in (
        (InpaintRequest, "steps"), (InpaintRequest, "jump_length"), (InpaintRequest, "jump_n_sample"),
        (DenoiseRequest, "ensemble"), (DenoiseRequest, "clip_steps"), (SampleRequest, "size"))}
    assert said[InpaintRequest, "steps"].startswith(f"{inpaint.steps},")
    assert said[InpaintRequest, "jump_length"].startswith(f"{inpaint.jump_length} with mode {inpaint.mode}")
    assert said[InpaintRequest, "jump_n_sample"].startswith(f"{inpaint.jump_n_sample} with jumps")
    for name in ("ensemble", "clip_steps"):
        assert f"{DenoiseRequest.model_defaults[name]} unless" in said[DenoiseRequest, name]
    h, w = SampleRequest().size
    assert said[SampleRequest, "size"] == f"{w}x{h}"
    assert f"twice the {denoise.overlap} px overlap" in spec_of(DenoiseRequest, "tile").help
    assert f"plus {MARGIN} px of context" in spec_of(DenoiseRequest, "region").help


# The front ends' files that show or take run settings: their ranges come from the declarations
# (gui/panels.declared, cli/args.add_request_options), never from a number typed there.
SETTING_WIDGETS = ["gui/task_panel.py", "gui/task_pages.py", "gui/noise_view.py", "gui/panels.py"]
TYPED_RANGE = re.compile(r"\.set(Range|Minimum|Maximum)\(\s*[-\d.]|declared\(\s*_SliderSpin\(\s*[-\d.]")


def test_no_run_setting_widget_has_a_typed_range():
    found = [f"{name}:{i}: {line.strip()}" for name in SETTING_WIDGETS
             for i, line in enumerate((PKG / name).read_text().splitlines(), 1)
             if TYPED_RANGE.search(line) and "progress" not in line and "slider" not in line]
    assert not found, "a widget range typed in the app, not read from the request's field:\n" + "\n".join(found)


def test_no_restoration_option_has_a_typed_range():
    text = (PKG / "cli/restore.py").read_text()
    found = re.findall(r"(?:int_in|float_in)\(\s*[-\d.][^)]*\)", text)
    assert not found, f"an option's range typed in cli/restore.py, not declared on the request: {found}"


def test_the_apis_keywords_take_the_requests_defaults():
    """A keyword of the API that is a request's setting leaves it to the request (None) or has its
    default: api.inpaint's soft_mask=False was a second copy of InpaintRequest's."""
    import inspect
    from dataclasses import fields

    from dpm_studio import api
    from dpm_studio.core.run.requests import REQUESTS
    from dpm_studio.core.run.settings import default_of

    for task in REQUESTS:
        cls = REQUESTS[task]
        names = {f.name for f in fields(cls)}
        for name, p in inspect.signature(getattr(api, task)).parameters.items():
            if name in names and p.default is not inspect.Parameter.empty:
                assert p.default is None or p.default == default_of(cls, name), (task, name, p.default)


def test_the_noise_settings_are_refused_by_their_declarations():
    """noise_a and noise_b's 0-1 was written again in the noise law's check; now each value is refused
    by its declaration alone (this fails if the declared range goes and another check answers), and
    the noise law says only what ties them (a missing a or b, sigma beside them)."""
    import pytest

    for name in ("noise_a", "noise_b"):
        for bad in (2.0, -0.1, float("nan")):
            kw = {"noise_a": 0.01, "noise_b": 0.001, name: bad}
            with pytest.raises(ValueError) as e:
                DenoiseRequest(noise="poisson-gaussian", **kw).validate()
            assert str(e.value) == "the " + spec_of(DenoiseRequest, name).refusal(bad)
    with pytest.raises(ValueError, match="needs b from 0 to 1"):
        DenoiseRequest(noise="poisson-gaussian", noise_a=0.01).validate()
