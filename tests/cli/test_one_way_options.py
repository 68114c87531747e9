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


@pytest.mark.parametrize("extra,note", [
    (["--steps", "5"], "steps apply to a sampled trajectory (method sample): the posterior mean (mmse, the default) "
                       "is one step, so they are not used"),
    (["--steps", "5", "--samples", "3"], "steps and samples apply to a sampled trajectory"),
    (["--method", "sample", "--steps", "2", "--ensemble", "4"],
     "ensemble applies to the posterior mean (method mmse): a sampled trajectory does not use it"),
])
def test_a_denoise_setting_its_method_does_not_use_is_said(tmp_path, tiny, img, capsys, extra, note):
    """denoise --steps 5 (the default method, the one-step posterior mean) ran as without it, not a word said,
    while --variance and --smc with it were refused and the app greys Steps and Samples out. Now said, once
    (a batch too), and the API warns with the same words."""
    import warnings

    import numpy as np
    from PIL import Image

    from dpm_studio import api

    src, _ = img
    out = tmp_path / "o.png"
    assert main(["denoise", str(src), "-o", str(out), "--checkpoint", tiny, "--sigma", "20", *extra]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "not used" in line or "does not use" in line]
    assert len(notes) == 1 and notes[0].startswith("dpm-studio: note: ") and note in notes[0]
    folder = tmp_path / "batch"
    folder.mkdir()
    for k in range(2):
        Image.open(src).save(folder / f"{k}.png")
    assert main(["denoise", str(folder), "-o", str(tmp_path / "outs"), "--checkpoint", tiny, "--sigma", "20",
                 *extra]) == 0
    assert sum(note in line for line in capsys.readouterr().err.splitlines()) == 1   # once for the batch
    settings = dict(zip([a.lstrip("-") for a in extra[::2]], extra[1::2]))
    settings = {k: (v if k == "method" else int(v)) for k, v in settings.items()}
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        api.denoise(np.asarray(Image.open(src)), 20, checkpoint=tiny, **settings)
    assert [str(w.message) for w in said if note in str(w.message)]


def test_settings_a_method_uses_say_nothing(tmp_path, tiny, img, capsys):
    src, _ = img
    assert main(["denoise", str(src), "-o", str(tmp_path / "o.png"), "--checkpoint", tiny, "--sigma", "20",
                 "--method", "sample", "--steps", "2", "--samples", "2"]) == 0
    assert "note" not in capsys.readouterr().err
