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


@pytest.mark.parametrize("grey_model,grey_image,scale", [
    (False, False, 1.0), (False, False, 0.5), (False, False, 2.0), (False, True, 1.0), (True, True, 1.0),
    (True, False, 1.0), (True, True, 2.0)])
def test_the_one_step_denoise_uses_the_seed_only_where_it_draws_and_says_so(tmp_path, tiny, make_tiny, capsys,
                                                                            grey_model, grey_image, scale):
    """The posterior mean (mmse, the default) is one estimate: it draws noise only for a noise scale above 1 (the
    top-up) and for a grey image on a colour model (its colour-difference noise). Elsewhere (a grey image on a grey
    model at noise scale 1 was where it was seen) any seed gave the same pixels and nothing said so, while steps
    given to it were said to be unused. The rule (DenoiseRequest.draws_from_seed) is what the pixels do; the
    command line and the API say an unused seed, in the words of the other unused settings' note."""
    import warnings

    import numpy as np
    from PIL import Image

    from dpm_studio import api
    from dpm_studio.core.files.checkpoint import load_cached
    from dpm_studio.core.run.jobs import colour_noise
    from dpm_studio.core.run.requests import DenoiseRequest

    name = tiny
    if grey_model:
        make_tiny(tmp_path / "ckpt", "tiny-grey", 1)
        name = "tiny-grey"
    rng = np.random.default_rng(1)
    pixels = rng.integers(30, 226, (40, 40) if grey_image else (40, 40, 3), dtype=np.uint8)
    src = tmp_path / "in.png"
    Image.fromarray(pixels).save(src)
    for seed in (3, 4):
        assert main(["denoise", str(src), "-o", str(tmp_path / f"o{seed}.png"), "--checkpoint", name, "--sigma", "20",
                     "--seed", str(seed), "--noise-scale", str(scale)]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "seed is not used" in line]
    draws = DenoiseRequest(noise_scale=scale).draws_from_seed(colour_noise(load_cached(tmp_path / "ckpt" / name),
                                                                           pixels))
    assert draws == (grey_image and not grey_model or scale > 1)
    # in floats (an untrained model's colour-difference noise nearly cancels in a grey result: 8 bits hide it)
    unit = pixels.astype(np.float32) / 255
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = [api.denoise(unit, 20 / 255, checkpoint=name, seed=seed, noise_scale=scale) for seed in (3, 4)]
    assert (not np.array_equal(*outs)) == draws, "the rule says what the pixels do"
    assert len(notes) == (0 if draws else 2) and all(n.startswith("dpm-studio: note: ") for n in notes)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        api.denoise(pixels, 20, checkpoint=name, seed=5, noise_scale=scale)   # said as the command line says it
        api.denoise(pixels, 20, checkpoint=name, noise_scale=scale)   # the default seed: nothing to say
    assert len([w for w in said if "seed is not used" in str(w.message)]) == (0 if draws else 1)
    if not draws:   # a batch says it once
        folder = tmp_path / "batch"
        folder.mkdir()
        for k in range(2):
            Image.fromarray(pixels).save(folder / f"{k}.png")
        assert main(["denoise", str(folder), "-o", str(tmp_path / "outs"), "--checkpoint", name, "--sigma", "20",
                     "--seed", "3", "--steps", "4", "--noise-scale", str(scale)]) == 0
        err = capsys.readouterr().err.splitlines()
        assert sum("seed is not used" in line for line in err) == 1 and sum("steps apply" in line for line in err) == 1
