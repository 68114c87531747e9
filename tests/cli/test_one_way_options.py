"""The same option means the same thing, checked the same way, in every command that has it."""

import pytest

from dpm_studio.cli.main import main


@pytest.mark.parametrize("argv", [
    ["denoise", "in.png", "-o", "o.png"], ["inpaint", "in.png", "--mask", "m.png", "-o", "o.png"],
    ["sample", "--size", "8x8", "-o", "o.png"], ["train", "swiss-roll", "-o", "t", "--steps", "1"],
    ["evaluate", "swiss-roll"]])
def test_device_is_one_option_everywhere(tmp_path, monkeypatch, capsys, argv):
    """--device of train and evaluate was a bare text, checked after the data was read (train) and worded
    apart; now every command's is the parser's one type (cli/args.device), refused before anything runs."""
    monkeypatch.chdir(tmp_path)
    assert main([*argv, "--device", "tpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"dpm-studio: error: argument --device: device 'tpu' is not available here (use cpu or cuda) "
                   f"(see dpm-studio {argv[0]} --help)."]
    assert list(tmp_path.iterdir()) in ([], [tmp_path / "home"])
