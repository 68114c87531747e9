"""Every error the command line prints takes one form: ``dpm-studio: error: `` and one line that is one
sentence ending in a full stop (errorlog.sentence, applied where errors are printed: main's funnel, the
parser, a batch's failed image, the last resort), as the app's error dialogs end theirs. A walk through
each branch of the funnel; tests/cli/test_hostile_matrix.py checks the same of its 240 runs."""

import pytest

from dpm_studio.cli.main import main
from dpm_studio.errorlog import sentence


def test_sentence_ends_every_message_once():
    assert sentence("cannot save a.png: the disk is full; free some space") == \
        "cannot save a.png: the disk is full; free some space."
    assert sentence("already a sentence.") == "already a sentence."
    assert sentence("what now?") == "what now?"
    assert sentence("a list ends:") == "a list ends."
    assert sentence("a name (see --help)  ") == "a name (see --help)."
    assert sentence("") == ""


def _walk(tmp_path, tiny_name):
    missing = str(tmp_path / "missing.png")
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    return {
        "parser": ["denoise", missing, "-o", "x.png", "--steps", "0"],
        "empty value": ["denoise", "", "-o", "x.png"],
        "train without a budget": ["train", "swiss-roll", "-o", str(tmp_path / "t")],
        "no such image": ["denoise", missing, "-o", str(tmp_path / "x.png")],
        "not an image": ["denoise", str(text), "-o", str(tmp_path / "x.png")],
        "no such checkpoint": ["evaluate", str(tmp_path / "nothing")],
        "a log in a missing folder": ["train", "swiss-roll", "-o", str(tmp_path / "t"), "--steps", "1",
                                      "--log", str(tmp_path / "no" / "log.csv"), "--no-eval"],
        "no such checkpoint to run": ["sample", "--size", "8x8", "-o", str(tmp_path / "s.png"),
                                      "--checkpoint", str(tmp_path / "nothing")],
    }


@pytest.mark.parametrize("case", ["parser", "empty value", "train without a budget", "no such image",
                                  "not an image", "no such checkpoint", "a log in a missing folder",
                                  "no such checkpoint to run"])
def test_every_branch_of_the_funnel_prints_one_sentence(tmp_path, tiny, capsys, case):
    assert main(_walk(tmp_path, tiny)[case]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    errors = [line for line in err if line.startswith("dpm-studio: error: ")]
    assert len(errors) == 1 and errors[0].endswith("."), err
    assert "Traceback" not in "\n".join(err)


def test_the_last_resort_is_one_sentence_too(tmp_path, monkeypatch, capsys):
    import importlib

    main_module = importlib.import_module("dpm_studio.cli.main")

    def broken(args):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setitem(main_module.COMMANDS, "checkpoints", broken)
    assert main(["checkpoints"]) == 70
    line = capsys.readouterr().err.strip()
    assert line.startswith("dpm-studio: internal error: RuntimeError: something nobody foresaw (the details are in ")
    assert line.endswith("; please report it).")
