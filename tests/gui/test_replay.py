"""A result the app saved replays on the command line (``dpm-studio replay``) to the same pixels.

The app denoises only inside a painted mask; the command line had no ``denoise --mask``, so such a
result had no command that made it again. Here the app runs (its widgets, headless), saves the
result and exports its mask; ``dpm-studio replay RESULT --mask MASK`` reads the record and runs the
command it stands for. Same pixels, bit for bit, from the hard mask file the user painted or loaded
with the feather the record names, and from the mask the app exported (feathered, holding the painted
mask and its feather: imageio.load_mask_record).
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dpm_studio import imageio
from dpm_studio.cli.main import main

RUN_MS = 120_000
H, W = 32, 40


@pytest.fixture
def moving_model(tmp_path, monkeypatch):
    """The checkpoint folder holds a tiny-rgb whose (random, untrained) network changes the pixels it
    denoises: the shared test model's zero last layer gave the noisy image back, which any replay matches.
    Requested before ``win``, so the window finds it."""
    from dpm_studio.core import GaussianDiffusion, Schedule
    from dpm_studio.core.files import checkpoint
    from dpm_studio.core.math.nets import build_net

    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    folder = tmp_path / "ckpt"
    spec = {"type": "multiscale", "kwargs": {"T": 20, "channels": 3}}
    checkpoint.save(folder / "tiny-rgb", GaussianDiffusion(Schedule("cosine", 20), "eps"), build_net(spec),
                    {"network": spec, "description": "test", "data": {"recipe": "test", "channels": 3,
                     "scale": {"mean": 0.5, "std": 0.25}, "provenance": "untrained"}})
    monkeypatch.setenv("DPM_STUDIO_CHECKPOINTS", str(folder))


@pytest.fixture
def inputs(tmp_path):
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:H, 0:W] / H
    base = np.stack([xx / 1.3, 0.3 + 0.5 * yy, 0.5 + 0.3 * np.sin(9 * xx + 4 * yy)], axis=2)
    px = (np.clip(base + 20 / 255 * rng.standard_normal(base.shape), 0, 1) * 255 + 0.5).astype(np.uint8)
    m = np.zeros((H, W), np.uint8)
    m[4:14, 6:20] = 255   # the masked region and its 32 px of context: not the whole image
    src, mask = tmp_path / "in.png", tmp_path / "mask.png"
    Image.fromarray(px).save(src)
    Image.fromarray(m).save(mask)
    return src, mask


def _u8(path) -> np.ndarray:
    data = imageio.load_image(path)
    return (data.pixels * 255 + 0.5).astype(np.uint8)


def _app_masked_denoise(qtbot, win, tmp_path, src, mask, feather, method="mmse"):
    """The app: open, load the mask, feather it, denoise (a sampled trajectory when asked), Accept,
    save, export the mask. Returns (the saved result, the exported mask)."""
    assert win.files.open_image(src) and win.files.load_mask(mask)
    win.mask_panel.feather.setValue(feather)
    tp = win.task_panel
    tp.set_task("denoise")
    tp.method.setCurrentIndex(tp.method.findData(method))
    if method == "sample":
        tp.steps_all.setChecked(False)
        tp.steps.setValue(3)
        tp.samples.setValue(2)
        tp.seed.setValue(5)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run(), tp.hint.text()
    assert win.session.run["feather"] == feather if feather else "feather" not in win.session.run
    assert win.runs.accept_result()
    app, exported = tmp_path / "app.png", tmp_path / "app-mask.png"
    assert win.files.save_image(app) and win.files.export_mask(exported)
    return app, exported


@pytest.mark.parametrize("feather, method", [(0.0, "mmse"), (2.0, "mmse"), (1.5, "sample")])
def test_an_app_masked_denoise_replays_on_the_command_line(moving_model, qtbot, win, tmp_path, inputs, capsys,
                                                           feather, method):
    src, mask = inputs
    app, exported = _app_masked_denoise(qtbot, win, tmp_path, src, mask, feather, method)
    before = _u8(src)
    changed = (_u8(app) != before).any(axis=2)
    assert changed[4:14, 6:20].mean() > 0.5 and not changed[20:, 28:].any(), "only the masked region changed"

    # the hard mask the user painted (loaded here), and the record's feather: bit for bit
    out = tmp_path / "cli.png"
    assert main(["replay", str(app), "--mask", str(mask), "-o", str(out)]) == 0, capsys.readouterr().err
    np.testing.assert_array_equal(_u8(out), _u8(app))
    assert imageio.load_image(out).metadata["runs"][-1]["mask_sha256"] == \
        imageio.load_image(app).metadata["runs"][-1]["mask_sha256"]

    # the mask as the app exported it (feathered, with the painted mask and the feather in the file): exact
    out2 = tmp_path / "cli2.png"
    assert main(["replay", str(app), "--mask", str(exported), "-o", str(out2)]) == 0, capsys.readouterr().err
    np.testing.assert_array_equal(_u8(out2), _u8(app))

    # the printed command is the one that ran: run it as printed
    capsys.readouterr()
    assert main(["replay", str(app), "--mask", str(mask), "-o", str(tmp_path / "p.png"), "--print"]) == 0
    printed = capsys.readouterr().out.strip().split()
    assert printed[:3] == ["dpm-studio", "denoise", str(src)] and "--mask" in printed
    assert ("--feather" in printed) == (feather > 0)
    assert main(printed[1:]) == 0
    np.testing.assert_array_equal(_u8(tmp_path / "p.png"), _u8(app))


def test_a_replay_with_another_mask_is_refused_in_one_line(moving_model, qtbot, win, tmp_path, inputs, capsys):
    src, mask = inputs
    app, _ = _app_masked_denoise(qtbot, win, tmp_path, src, mask, 0.0)
    other = tmp_path / "other.png"
    m = np.asarray(Image.open(mask)).copy()
    m[14, 6:20] = 255   # one row more
    Image.fromarray(m).save(other)
    out = tmp_path / "cli.png"
    capsys.readouterr()
    for argv, words in ((["--mask", str(other)], "not the mask the run used"),
                        ([], "used a mask: give it with --mask")):
        assert main(["replay", str(app), *argv, "-o", str(out)]) == 2
        err = [line for line in capsys.readouterr().err.strip().splitlines() if "error" in line]
        assert len(err) == 1 and words in err[0] and not out.exists(), err


def test_an_app_file_of_two_runs_replays_run_by_run(moving_model, qtbot, win, tmp_path, inputs, capsys):
    """The app kept an accepted result in float, so its second run read pixels no saved file holds: run 2
    of its file replayed from the saved first result (8-bit) came out different. An accepted result is
    now what its file holds, so each run replays from the result saved before it."""
    import shutil

    src, mask = inputs
    app, _ = _app_masked_denoise(qtbot, win, tmp_path, src, mask, 0.0)
    first = shutil.copy(app, tmp_path / "first.png")
    assert np.array_equal(win.session.doc.pixels, imageio.load_image(first).pixels), "the app holds the file"
    tp = win.task_panel
    assert win.session.clear_mask()   # the second run denoises the whole image, the first run's region too
    tp.set_task("denoise")
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run(), tp.hint.text()
    assert win.runs.accept_result()
    second = tmp_path / "second.png"
    assert win.files.save_image(second)
    runs = imageio.load_image(second).metadata["runs"]
    assert [r["task"] for r in runs] == ["denoise", "denoise"] and "mask_sha256" not in runs[1]

    out = tmp_path / "again.png"
    assert main(["replay", str(second), "--input", str(first), "-o", str(out)]) == 0, capsys.readouterr().err
    np.testing.assert_array_equal(_u8(out), _u8(second))
    out1 = tmp_path / "again1.png"
    assert main(["replay", str(second), "--run", "1", "--input", str(src), "--mask", str(mask), "-o",
                 str(out1)]) == 0, capsys.readouterr().err
    np.testing.assert_array_equal(_u8(out1), _u8(first))

    # every run in turn from the source the file names (beside it), as the app ran them: the app's pixels
    chained = tmp_path / "chained.png"
    capsys.readouterr()
    assert main(["replay", str(second), "--all-runs", "--mask", str(mask), "-o", str(chained), "--strict"]) == 0, \
        capsys.readouterr().err
    np.testing.assert_array_equal(_u8(chained), _u8(second))
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith("dpm-studio: run ")]
    assert len(said) == 2 and all("reproduced exactly" in line for line in said), said   # the app's digests
    assert imageio.load_image(chained).metadata["runs"][0]["mask_sha256"] == runs[0]["mask_sha256"]
    assert len(imageio.load_image(chained).metadata["runs"]) == 2
    # from the first result (it carries run 1): run 2 only; the printed commands are the ones that ran
    capsys.readouterr()
    assert main(["replay", str(second), "--all-runs", "--input", str(first), "-o", str(tmp_path / "p.png"),
                 "--print"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and printed[0].split()[1:3] == ["denoise", str(first)]
    assert main(["replay", str(second), "--all-runs", "--print"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()
    assert [p.split()[1:3] for p in printed] == [["denoise", str(src)], ["denoise", "run1.png"]]
    assert "--mask" in printed[0].split() and "--mask" not in printed[1].split()
