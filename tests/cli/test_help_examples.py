"""The examples at the end of each restoration command's --help run as written (with a test model in place
of the default one), and its help texts give every setting's range and default in one form, the units said."""

from __future__ import annotations

import argparse
import shlex

import numpy as np
import pytest
from PIL import Image

from dpm_studio.cli.main import build_parser, main
from dpm_studio.core.run.requests import REQUESTS
from dpm_studio.core.run.settings import default_of, specs

SIDE = 64


def _subparser(task: str) -> argparse.ArgumentParser:
    return next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices[task]


def _examples(task: str) -> list[list[str]]:
    """The example commands as --help prints them (after 'examples:'), each split as a shell would."""
    text = _subparser(task).format_help()
    assert "\nexamples:\n" in text, f"{task} --help lost its examples"
    lines = text.split("\nexamples:\n", 1)[1].splitlines()
    return [shlex.split(line.strip())[1:] for line in lines if line.strip().startswith("dpm-studio ")]


def _make_inputs(argv: list[str], folder) -> list:
    """Write the images, masks and folders an example reads (a 64 x 64 noisy picture; a mask with a hole);
    return the outputs it names."""
    rng = np.random.default_rng(0)
    picture = (np.clip(0.5 + 0.1 * rng.standard_normal((SIDE, SIDE, 3)), 0, 1) * 255).astype(np.uint8)
    hole = np.zeros((SIDE, SIDE), np.uint8)
    hole[20:36, 24:40] = 255
    outputs = []
    for k, word in enumerate(argv):
        before = argv[k - 1] if k else ""
        if before in ("-o", "--output"):
            outputs.append(folder / word / "a.png" if word.endswith("/") else folder / word)   # a folder: its image
            continue
        if word.startswith("-") or before.startswith("--") and before != "--mask":
            continue
        pixels = hole if before == "--mask" else picture
        if word.endswith("/"):
            (folder / word).mkdir()
            Image.fromarray(pixels).save(folder / word / "a.png")
        elif word.endswith(".png"):
            Image.fromarray(pixels).save(folder / word)
    return outputs


@pytest.mark.parametrize("task", list(REQUESTS))
def test_every_help_example_runs(tmp_path, tiny, monkeypatch, task):
    examples = _examples(task)
    assert len(examples) >= 2
    for n, argv in enumerate(examples):
        where = tmp_path / f"ex{n}"
        where.mkdir()
        monkeypatch.chdir(where)
        outputs = _make_inputs(argv, where)
        assert main([*argv, "--checkpoint", tiny]) == 0, f"dpm-studio {shlex.join(argv)}"
        assert outputs and all(out.is_file() for out in outputs), f"dpm-studio {shlex.join(argv)} wrote nothing"


@pytest.mark.parametrize("task", list(REQUESTS))
def test_each_settings_help_ends_with_its_range_unit_and_default_in_one_form(task):
    """The defaults of ensemble, clip steps, tile batch, levels, jumps and sigma were sentences inside their help
    ('(default: the checkpoint's, ...) (1 to 8)'), the steps' named every task's default in every command, and
    sample --samples said the result is their mean (sample saves the first draw). Now a help is what the setting
    does; the range with its unit and the default follow in one parenthesis, '(LO to HI UNIT; default X)'."""
    cls = REQUESTS[task]
    helps = {a.dest: a.help for a in _subparser(task)._actions}
    for name, spec in specs(cls).items():
        assert "default" not in spec.help.lower(), f"{task} {name}: the default is said in its help, not declared"
        if name not in helps:   # a setting the command line leaves to the job (none today but the noise's fit)
            continue
        text = helps[name].replace("%%", "%")
        assert text == spec.describe(default_of(cls, name)) or name == "size" and spec.describe() in text, \
            f"{task} --{name}: not the declaration's words"
        if isinstance(default_of(cls, name), bool):
            continue
        tail = text[text.rindex("(") + 1:]
        if spec.lo is not None:
            assert tail.startswith(spec.range_text()), f"{task} --{name}: the range is not the last parenthesis"
        if default_of(cls, name) is not None or spec.default_text:
            assert "default " in tail, f"{task} --{name}: no default said"
    assert "the first draw is the result" in helps.get("samples", "the first draw is the result") \
        if task == "sample" else "their mean" in helps["samples"]


def test_every_real_valued_setting_says_its_unit():
    """A noise level is 0-255 units on the command line and in the app, [0, 1] image units for noise a and b
    (the request's own), and model units for the starting sigma: each real-valued setting's help says which."""
    for cls in REQUESTS.values():
        for name, spec in specs(cls).items():
            kind = str(cls.__dataclass_fields__[name].type)
            if kind.startswith("float") and spec.lo is not None:
                assert spec.unit, f"{cls.task} {name}: a number without its unit"
    from dpm_studio.core.run.requests import DenoiseRequest
    from dpm_studio.core.run.settings import spec_of

    assert "0-255" in spec_of(DenoiseRequest, "sigma").unit
    assert "[0, 1] image units" in spec_of(DenoiseRequest, "noise_a").unit
    assert "[0, 1] image units" in spec_of(DenoiseRequest, "noise_b").unit


def test_device_says_the_same_in_every_command():
    helps = {task: {a.dest: a.help for a in _subparser(task)._actions}["device"]
             for task in ("inpaint", "denoise", "sample", "evaluate", "train")}
    first = helps["inpaint"]
    assert "default cpu" in first and all(h.startswith(first) for h in helps.values()), helps


def test_sample_without_a_size_draws_the_requests_default_size_everywhere(tmp_path, tiny):
    """`sample` required --size and api.sample a size, while the request (and the app's first Width x height)
    had 64 x 64: now each takes the request's default, and they draw the same pixels."""
    from dpm_studio import api, imageio
    from dpm_studio.core.run.requests import SampleRequest

    out = tmp_path / "drawn.png"
    assert main(["sample", "-o", str(out), "--checkpoint", tiny, "--steps", "2"]) == 0
    cli = imageio.load_image(out)
    drawn = api.sample(checkpoint=tiny, steps=2)
    assert cli.pixels.shape[:2] == drawn.shape[:2] == SampleRequest().size
    np.testing.assert_array_equal((cli.pixels * 255 + 0.5).astype(np.uint8), (drawn * 255 + 0.5).astype(np.uint8))
    assert cli.metadata["runs"][-1]["size"] == [SampleRequest().size[1], SampleRequest().size[0]]


def test_the_readmes_commands_parse_as_written():
    """Each `dpm-studio ...` line of the README's command-line block (its [optional] parts included) is a command
    the parser takes: a renamed option or a value out of range there fails here."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("## Command line", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines()
                if line.startswith("dpm-studio ")]
    assert len(commands) >= 8
    parser = build_parser()
    for line in commands:
        argv = shlex.split(line.replace("[", "").replace("]", ""))[1:]
        try:
            parser.parse_args(argv)
        except SystemExit as e:
            pytest.fail(f"the README's `{line}` does not parse (exit {e.code})")


@pytest.mark.parametrize("task", list(REQUESTS))
def test_a_value_out_of_range_is_refused_in_the_same_sentence_by_the_command_line_and_the_api(task, capsys):
    """--steps 0 said "0 is out of range: give 1 to 100,000" where api.inpaint(steps=0) and a replayed record said
    "the number of steps must be 1 to 100,000": now the option's type says the request's sentence."""
    from dpm_studio.core.run.requests import request_for

    actions = {a.dest: a for a in _subparser(task)._actions}
    checked = 0
    for name, spec in specs(REQUESTS[task]).items():
        if spec.lo is None or name in ("region", "size") or name not in actions:   # X,Y,W,H and WxH: own parsers
            continue
        shown = spec.hi + 1
        text = str(int(shown)) if isinstance(spec.hi, int) and spec.scale == 1 else repr(float(shown))
        flag = actions[name].option_strings[-1]
        inputs = [] if task == "sample" else ["in.png"] + (["--mask", "m.png"] if task == "inpaint" else [])
        assert main([task, *inputs, "-o", "o.png", flag, text]) == 2
        line = capsys.readouterr().err.strip()
        with pytest.raises(ValueError) as api_error:
            request_for(task, **{name: spec.held(type(spec.hi)(shown) if spec.scale == 1 else shown)}).validate()
        assert line == f"dpm-studio: error: argument {flag}: {api_error.value} (see dpm-studio {task} --help).", name
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("command", ["inpaint", "denoise", "sample", "replay", "train", "evaluate", "checkpoints",
                                     "self-test"])
def test_every_option_of_every_command_says_what_it_is(command):
    """train --batch, --lr, --optimizer, --seed and evaluate --seed had no help at all: an option --help lists
    without a word."""
    silent = [a.option_strings[-1] for a in _subparser(command)._actions
              if a.option_strings and not (a.help or "").strip()]
    assert not silent, f"{command}: {silent} have no help"
