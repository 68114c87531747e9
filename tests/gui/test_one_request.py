"""One request, one job, one result: the same request through the command line (``main(argv)``),
the Python API and the app (its window, headless) gives the same pixels bit for bit and the same
saved record, and that record run again gives the same pixels (issue 23).

Each case is one request's settings; the command line's options and the API's keywords are made
from them generically (each setting's declared flag, units and scale: core/run/settings.py), so a
setting that one front end reads differently from another fails here. The app is set through its
widgets, and the request its panel builds is checked to be the case's before it runs.
Tiny images (32 x 32) and few steps with the untrained test model: seconds per case.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from gui_helpers import noisy_picture_and_mask

from dpm_studio import api, imageio
from dpm_studio.cli.main import main
from dpm_studio.core.files.checkpoint import load_cached
from dpm_studio.core.run.jobs import Source, resolve
from dpm_studio.core.run.masks import mask_digest, prepare_mask
from dpm_studio.core.run.noise_law import noise_model
from dpm_studio.core.run.requests import REQUESTS, request_for, request_of_record
from dpm_studio.core.run.settings import specs
from dpm_studio.core.run.tasks import run_task

RUN_MS = 120_000
H = W = 32

# (task, settings in the request's own units). Each runs through the CLI, the API and the app.
CASES = [
    ("denoise", {}),                                                    # --noise auto: the fitted law
    ("denoise", {"noise": "constant"}),                                 # one sigma, estimated by the core
    ("denoise", {"sigma": 15 / 255, "noise_scale": 1.5}),               # typed, and the strength
    ("denoise", {"sigma": 20 / 255, "method": "sample", "steps": 5, "seed": 3, "samples": 2}),
    ("inpaint", {"steps": 5, "seed": 2, "feather": 2.0}),               # RePaint with jumps, feathered
    ("inpaint", {"steps": 4, "seed": 1, "samples": 2, "mode": "clamp-approx", "jump_length": 0}),
    ("inpaint", {"steps": 4, "seed": 5, "samples": 3, "mode": "exact"}),  # SMC, from noise
    ("inpaint", {"steps": 3, "seed": 6, "grain": "none"}),  # the fill left clean
    ("sample", {"steps": 5, "seed": 4, "samples": 2, "size": (16, 24)}),
    ("sample", {"steps": 2, "seed": 2 ** 40 + 3, "size": (8, 8)}),   # past the 2^31 - 1 a QSpinBox holds
    # More settings' boxes and the mask's Soft box (gui/more_settings.py): the law typed, the views, clipping,
    # precision, the start noise, a loaded mask's grey edge
    ("denoise", {"noise": "poisson-gaussian", "noise_a": 0.002, "noise_b": 0.0005}),
    ("denoise", {"sigma": 12 / 255, "ensemble": 2, "clipping": "ignore", "precision": "fp32"}),
    ("inpaint", {"steps": 3, "seed": 7, "soft_mask": True, "start": "noise", "jump_length": 0}),
    ("inpaint", {"steps": 3, "seed": 8, "start_sigma": 0.5, "precision": "fp32"}),
]
# A setting the app has no widget for: the command line, the API and the job, replayed, agree.
NO_WIDGET = [("denoise", {"sigma": 12 / 255, "region": (4, 6, 12, 10), "ensemble": 2})]


def _case_id(case):
    task, settings = case
    return task + "-" + ("-".join(f"{k}" for k in settings) or "defaults")


@pytest.fixture
def inputs(tmp_path):
    """A noisy 8-bit colour picture, and a mask (grey values at its edge: a soft mask has them)."""
    return noisy_picture_and_mask(tmp_path, H, W, seed=0, noise=15, green=0.5, blue=0.3, edge=128)


def _argv(task, settings, src, mask, out) -> list:
    """The command line of a request's settings: each from its declaration (flag, shown units)."""
    declared = specs(REQUESTS[task])
    argv = [task] + ([] if task == "sample" else [str(src)]) + (["--mask", str(mask)] if task == "inpaint" else [])
    argv += ["-o", str(out), "--checkpoint", "tiny-rgb"]
    for name, value in settings.items():
        if name == "size":
            argv += ["--size", f"{value[1]}x{value[0]}"]
            continue
        s = declared[name]
        flag = s.flag or "--" + name.replace("_", "-")
        if isinstance(value, bool):
            argv += [flag] if value else []
        elif isinstance(value, tuple):
            argv += [flag, ",".join(map(str, value))]
        else:
            shown = value * s.scale if s.scale != 1 else value
            argv += [flag, shown if isinstance(shown, str) else repr(shown)]  # repr: a float's every digit
    return argv


def _api(task, settings, px, m, loaded):
    kw = dict(settings)
    if task == "sample":  # floats in [0, 1]: as 8 bits, as the command line saves them
        return (api.sample(kw.pop("size"), checkpoint=loaded, **kw) * 255 + 0.5).astype(np.uint8)
    if "sigma" in kw:  # the API's sigma is in the array's units
        kw["sigma"] = kw["sigma"] * 255
    if task == "inpaint":
        return api.inpaint(px, m, checkpoint=loaded, **kw)
    return api.denoise(px, checkpoint=loaded, **kw)


def _set_app(win, task, settings, src, mask):
    """Choose ``settings`` in the window's widgets, as a user would."""
    tp, ms = win.task_panel, win.task_panel.more_settings
    s = dict(settings)
    if "soft_mask" in s:   # how a mask is read when it is loaded
        win.mask_panel.soft.setChecked(s.pop("soft_mask"))
    if task != "sample":
        assert win.files.open_image(src)
    tp.set_task(task)
    if task == "inpaint":
        assert win.files.load_mask(mask)
    if "steps" in s:
        tp.steps_all.setChecked(False)
        tp.steps.setValue(s.pop("steps"))
    for name, widget in (("seed", tp.seed), ("samples", tp.samples), ("jump_length", tp.jump_length)):
        if name in s:
            widget.setValue(s.pop(name))
    for name, combo in (("mode", tp.mode), ("method", tp.method), ("start", tp.start),
                        ("precision", ms.precision), ("clipping", ms.clipping)):
        if name in s:
            combo.setCurrentIndex(combo.findData(s.pop(name)))
    if "grain" in s:
        tp.grain.setChecked(s.pop("grain") == "match")
    if "feather" in s:
        win.mask_panel.feather.setValue(s.pop("feather"))
    if "noise" in s:
        tp.noise_controls.set_noise(s.pop("noise"))
    if "sigma" in s:
        tp.sigma.setValue(s.pop("sigma") * 255)   # a typed std: the constant model
    for name, box in (("ensemble", ms.ensemble), ("start_sigma", ms.start_sigma), ("noise_a", ms.noise_a),
                      ("noise_b", ms.noise_b)):
        if name in s:
            box.setValue(s.pop(name))
    if "noise_scale" in s:
        tp.noise_controls.strength.setValue(s.pop("noise_scale"))
    if "size" in s:
        h, w = s.pop("size")
        tp.height_spin.setValue(h)
        tp.width_spin.setValue(w)
    assert not s, f"no widget set for {sorted(s)}"


def _same_request(app_req, expected):
    """The app's request is the case's (all but the device, and how the mask is read: the session adds it)."""
    a = dataclasses.asdict(app_req)
    e = dataclasses.asdict(expected)
    for name in ("feather", "soft_mask"):
        a.pop(name, None), e.pop(name, None)
    if app_req.task == "denoise":  # noise None is "auto" or "constant" by sigma: the model it names
        a["noise"], e["noise"] = noise_model(app_req), noise_model(expected)
    assert a == e


def _record(path) -> dict:
    runs = imageio.load_image(path).metadata["runs"]
    assert len(runs) == 1
    return {k: v for k, v in runs[0].items() if k not in ("time", "seconds")}


def _u8(path) -> np.ndarray:
    data = imageio.load_image(path)
    assert data.bit_depth == 8
    px = (data.pixels * 255 + 0.5).astype(np.uint8)
    return px[:, :, 0] if px.shape[2] == 1 else px


def _replay(record, loaded, px, m):
    """Run a saved record again, from the image and mask it was made from: the result as 8 bits."""
    req = request_of_record(record)   # the one reading of a record (replay's too)
    job = resolve(req, None if req.task == "sample" else px.astype(np.float32) / np.float32(255),
                  m if req.task == "inpaint" else None, Source(8))
    assert job.request == req or req.task != "denoise" or req.noise != "auto", "a record holds the resolved noise"
    rec = None
    for rec in run_task(loaded, job):
        pass
    image = rec.image
    if record.get("choice", "").startswith("sample "):  # "sample 1 of 2": that draw, not the mean
        k, n = (int(v) for v in record["choice"].split()[1::2])
        assert n == len(rec.samples)
        image = rec.samples[k - 1]
    else:
        assert record.get("choice", f"mean of {req.samples}") == f"mean of {req.samples}"
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


def _check_record(record, task, settings, loaded, px, m, cli_px):
    """The record is complete: the model (name and weights' digest), every setting as asked, the noise
    the run used, the mask's digest; fed back, it makes the same pixels."""
    assert record["checkpoint"] == "tiny-rgb" and record["checkpoint_sha256"] == loaded.sha256
    from dpm_studio.core.machine.devices import native_bf16

    # the arithmetic that ran, not "auto" (which is bf16 on a CPU with native bf16, fp32 elsewhere)
    assert record["precision"] == settings.get("precision", "bf16" if native_bf16("cpu") else "fp32")
    for name, value in settings.items():
        want = [value[1], value[0]] if name == "size" else list(value) if isinstance(value, tuple) else value
        assert record[name] == want, name
    if task == "denoise":
        assert record["noise"] in ("constant", "poisson-gaussian"), "the noise law that ran, not 'auto'"
        assert record["levels"] == 255 and record["tile_batch"] == 1
        if "sigma" not in settings and "noise" not in settings:
            assert "noise_fit" in record, "an estimated noise says how it was fitted"
    if task == "inpaint":
        want = prepare_mask(imageio.load_mask(m[1]), (H, W), record["soft_mask"], record["feather"])
        assert record["mask_sha256"] == mask_digest(want), "the mask's digest is the run's mask's"
        assert record["mask_sha256"] != mask_digest(prepare_mask(m[0] > 200, (H, W))), "and tells masks apart"
    np.testing.assert_array_equal(_replay(record, loaded, px, m[0]), cli_px)


def _replays(saved, mask, tmp_path):
    """``dpm-studio replay`` of a saved result (its input found beside it by the record's source name)
    makes its pixels again, bit for bit, and the same record (but the noise's fit: the replay is told the
    noise the run fitted)."""
    from dpm_studio.cli.replay import _unknown_entries

    assert _unknown_entries(imageio.load_image(saved).metadata["runs"][-1]) == [], "every entry known to replay"
    again = tmp_path / "replayed.png"
    assert main(["replay", str(saved), *(["--mask", str(mask)] if mask else []), "-o", str(again)]) == 0
    np.testing.assert_array_equal(_u8(again), _u8(saved), err_msg="the replayed pixels differ")
    fitted = {"noise_fit"}   # how the first run fitted the noise it recorded; the replay is told that noise
    assert {k: v for k, v in _record(again).items() if k not in fitted} == \
        {k: v for k, v in _record(saved).items() if k not in fitted}


def _command_line(task, settings, inputs, ckpt_dir, tmp_path):
    """(the loaded model, the command line's result file, its pixels) of a case."""
    src, mask = inputs[:2]
    cli = tmp_path / "cli.png"
    assert main(_argv(task, settings, src, mask, cli)) == 0
    return load_cached(ckpt_dir / "tiny-rgb", "cpu"), cli, _u8(cli)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_the_command_line_the_api_and_the_app_make_one_result(qtbot, win, tmp_path, inputs, ckpt_dir, case):
    task, settings = case
    src, mask, px, m = inputs
    loaded, cli, cli_px = _command_line(task, settings, inputs, ckpt_dir, tmp_path)
    _set_app(win, task, settings, src, mask)
    _same_request(win.task_panel.settings().request(), request_for(task, **settings))
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run(), win.task_panel.hint.text()
    assert win.runs.accept_result()
    app = tmp_path / "app.png"
    assert win.files.save_image(app)
    np.testing.assert_array_equal(_u8(app), cli_px, err_msg="the app's pixels differ from the command line's")
    assert _record(app) == _record(cli), "the app saved another record than the command line"
    _replays(app, mask if task == "inpaint" else None, tmp_path)

    np.testing.assert_array_equal(_api(task, settings, px, m, loaded), cli_px,
                                  err_msg="the API's pixels differ from the command line's")
    _check_record(_record(cli), task, settings, loaded, px, (m, mask), cli_px)


@pytest.mark.parametrize("case", [c for c in CASES + NO_WIDGET if c[0] != "sample"], ids=_case_id)
def test_a_batch_of_one_file_in_a_folder_makes_the_command_lines_result(tmp_path, inputs, ckpt_dir, case):
    """A folder holding the one image (its mask matched by name in a folder of masks) goes through cli/batch.py:
    the same pixels and record as the image given alone."""
    task, settings = case
    src, mask = inputs[:2]
    _, cli, cli_px = _command_line(task, settings, inputs, ckpt_dir, tmp_path)
    folder, masks, out = tmp_path / "images", tmp_path / "masks", tmp_path / "outs"
    folder.mkdir()
    masks.mkdir()
    (folder / "in.png").write_bytes(src.read_bytes())
    (masks / "in.png").write_bytes(mask.read_bytes())
    argv = _argv(task, settings, folder, masks, out)
    assert main(argv) == 0, argv
    np.testing.assert_array_equal(_u8(out / "in.png"), cli_px, err_msg="the batch's pixels differ")
    assert _record(out / "in.png") == _record(cli), "the batch saved another record"


@pytest.mark.parametrize("case", NO_WIDGET, ids=_case_id)
def test_settings_without_a_widget_are_one_result_on_the_command_line_and_the_api(tmp_path, inputs, ckpt_dir,
                                                                                    case):
    task, settings = case
    px, m, mask = inputs[2], inputs[3], inputs[1]
    loaded, cli, cli_px = _command_line(task, settings, inputs, ckpt_dir, tmp_path)
    np.testing.assert_array_equal(_api(task, settings, px, m, loaded), cli_px)
    _check_record(_record(cli), task, settings, loaded, px, (m, mask), cli_px)
    _replays(cli, mask if task == "inpaint" else None, tmp_path)   # `dpm-studio replay` of the saved result too


def test_a_region_denoise_from_the_app_records_its_crop_and_mask_not_a_rectangle(qtbot, win, tmp_path, inputs):
    """The app's masked denoise wrote the crop's box (top, left, bottom, right) under "region", the
    request's x, y, width, height: run again as --region, another rectangle."""
    src, mask, px, m = inputs
    assert win.files.open_image(src) and win.files.load_mask(mask)
    win.task_panel.set_task("denoise")
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run(), win.task_panel.hint.text()
    run = win.session.run
    assert "region" not in run
    box = run["region_box"]
    assert box == [0, 0, H, W]  # 32 px of context around the mask: the whole of this small image
    assert run["mask_sha256"] == mask_digest(prepare_mask(win.session.effective_mask(), (H, W), soft=True))


def test_the_mask_the_app_shows_and_exports_is_the_mask_it_runs(inputs):
    """A loaded mask's grey pixels (an exported feathered mask, an antialiased edge) were kept in the
    session: the overlay and Export Mask showed them half-filled while the run filled them whole."""
    from dpm_studio.core.run.requests import InpaintRequest
    from dpm_studio.gui.model.session import Session

    src, mask = inputs[:2]
    s = Session()
    s.open_data(imageio.load_image(src))
    assert s.set_mask(imageio.load_mask(mask, (H, W)))
    assert 0 < imageio.load_mask(mask)[9, 10] < 1, "the file's grey row"
    for feather in (0.0, 2.0):
        s.set_feather(feather)
        job = s.job(InpaintRequest(steps=2, feather=feather))
        np.testing.assert_array_equal(s.effective_mask(), job.mask)


def test_save_as_jpeg_proposes_the_command_lines_quality(win, tmp_path, inputs, monkeypatch):
    """The app's Save As proposed JPEG quality 92 where the command line writes 95 unless told: the
    same result saved as JPEG from each was two different files."""
    import argparse

    from dpm_studio.cli.main import build_parser

    subs = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    cli_default = {a.dest: a.default for a in subs["denoise"]._actions}["quality"]
    proposed = []
    monkeypatch.setattr(win.dialogs, "quality", lambda fmt, default: proposed.append(default) or default)
    assert win.files.open_image(inputs[0])
    win.dialogs.paths["save_image"] = str(tmp_path / "out.jpg")
    assert win.files.save_dialog()
    assert proposed == [cli_default]


def test_a_one_step_denoise_has_no_hidden_steps_and_takes_the_seed_it_shows(qtbot, win, tmp_path, inputs):
    """The posterior mean greys out Steps, yet the app once ran and recorded what the box held from an earlier
    run. It greyed Seed too and ran seed 0, while `denoise --noise-scale 2 --seed 7` draws other pixels (the
    top-up noise of a scale above 1 is drawn from the seed): the app could not make what the command line made.
    Now Seed is shown and used, so the same visible settings make the same file."""
    src = inputs[0]
    files = {}
    for seed in ("0", "7"):
        files[seed] = tmp_path / f"cli{seed}.png"
        assert main(["denoise", str(src), "-o", str(files[seed]), "--checkpoint", "tiny-rgb", "--noise-scale", "2",
                     "--seed", seed]) == 0
    assert not np.array_equal(_u8(files["0"]), _u8(files["7"])), "the seed draws the top-up's pixels"
    assert win.files.open_image(src)
    tp = win.task_panel
    tp.set_task("sample")
    tp.steps_all.setChecked(False)
    tp.steps.setValue(7)   # left from an earlier run
    tp.seed.setValue(7)
    tp.set_task("denoise")
    tp.noise_controls.strength.setValue(2.0)
    assert tp.seed.isEnabled() and not tp.steps.isEnabled()
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run(), tp.hint.text()
    assert win.runs.accept_result()
    app = tmp_path / "app.png"
    assert win.files.save_image(app)
    assert _record(app) == _record(files["7"])
    np.testing.assert_array_equal(_u8(app), _u8(files["7"]))


def test_settings_a_one_step_denoise_does_not_use_are_not_recorded(tmp_path, inputs):
    """--steps and --samples given to the posterior mean change nothing it does, yet the record said
    "samples": 3, "steps": 5, where the app (which greys them out) said 1 and null: one result, two records."""
    src = inputs[0]
    plain, given = tmp_path / "plain.png", tmp_path / "given.png"
    assert main(["denoise", str(src), "-o", str(plain), "--checkpoint", "tiny-rgb", "--sigma", "10"]) == 0
    assert main(["denoise", str(src), "-o", str(given), "--checkpoint", "tiny-rgb", "--sigma", "10",
                 "--samples", "3", "--steps", "5"]) == 0
    np.testing.assert_array_equal(_u8(plain), _u8(given))
    assert _record(plain) == _record(given)
    assert "samples" not in _record(plain) and "steps" not in _record(plain)


def test_the_api_refuses_a_bad_sample_request_in_one_line(ckpt_dir):
    loaded = load_cached(ckpt_dir / "tiny-rgb", "cpu")
    for bad, words in (((0, 8), "size"), ((8, 8, 8), "size"), ("8x8", "size")):
        with pytest.raises(ValueError, match=words):
            api.sample(bad, checkpoint=loaded, steps=2)
    with pytest.raises(ValueError, match="sample has no setting sigma"):
        api.sample((8, 8), checkpoint=loaded, sigma=0.1)


def test_steps_past_the_models_T_are_recorded_as_the_steps_run(tmp_path, inputs):
    """More steps than the model's T run all T (the app's Steps box stops at T), yet the command line
    recorded --steps 80 on a 50-step model: one result, two records."""
    src, mask = inputs[:2]
    runs = {}
    for steps in ("50", "80"):
        out = tmp_path / f"s{steps}.png"
        assert main(["inpaint", str(src), "--mask", str(mask), "-o", str(out), "--checkpoint", "tiny-rgb",
                     "--steps", steps, "--jump-length", "0"]) == 0
        runs[steps] = out
    np.testing.assert_array_equal(_u8(runs["50"]), _u8(runs["80"]))
    assert _record(runs["80"]) == _record(runs["50"]) and _record(runs["80"])["steps"] == 50


@pytest.mark.parametrize("task, variant", [("inpaint", 2), ("sample", 0)])
def test_the_variant_the_app_keeps_replays(qtbot, win, tmp_path, inputs, task, variant):
    """The app's Accept keeps the variant shown (a draw, or the mean), and records it ("choice"); the command
    line saved only its default (the mean of a restoration, a sample's first draw) until --keep-sample."""
    src, mask = inputs[:2]
    settings = {"steps": 3, "seed": 6, "samples": 3, **({"size": (16, 16)} if task == "sample" else
                                                        {"mode": "clamp-approx", "jump_length": 0})}
    _set_app(win, task, settings, src, mask)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run(), win.task_panel.hint.text()
    win.session.choose_variant(variant)
    assert win.runs.accept_result()
    app = tmp_path / "app.png"
    assert win.files.save_image(app)
    assert _record(app)["choice"] == ("sample 2 of 3" if variant else "mean of 3")
    _replays(app, mask if task == "inpaint" else None, tmp_path)


def test_a_clean_image_with_a_constant_noise_is_the_command_lines_result(qtbot, win, tmp_path):
    """A clean picture (its noise estimate 0) denoised with Noise: Constant ran at the box's 0.5 / 255 with no
    note in the app, where ``--noise constant`` runs at 0.1 / 255 (core NO_NOISE), saying "no measurable noise:
    the image comes back as it is" (walk: a clean 200 x 150 PNG, the records' sigma_255 0.5 and 0.1). The
    estimate shown is the estimate, 0 too: the same request, pixels, record and note."""
    src, cli = tmp_path / "clean.png", tmp_path / "cli.png"
    imageio.save_image(src, np.tile(np.linspace(0, 1, 48, dtype=np.float32)[None, :, None], (32, 1, 3)))
    assert main(_argv("denoise", {"noise": "constant"}, src, None, cli)) == 0
    said = []
    win.statusBar().messageChanged.connect(said.append)
    _set_app(win, "denoise", {"noise": "constant"}, src, None)
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run(), win.task_panel.hint.text()
    assert win.runs.accept_result()
    app = tmp_path / "app.png"
    assert win.files.save_image(app)
    assert _record(app) == _record(cli) and _record(cli)["sigma_255"] == 0.1
    np.testing.assert_array_equal(_u8(app), _u8(cli))
    assert any("Note: no measurable noise: the image comes back as it is" in m for m in said), said


def test_a_clean_images_noise_std_box_shows_the_level_its_run_uses(qtbot, win, tmp_path):
    """A clean picture (no measurable noise): the Noise std box said 0.5 / 255 (its old floor) while its run used the
    core's NO_NOISE, 0.1 / 255 (the record's sigma_255 0.1). One truth: the box shows the level the run uses, and a
    run from the box as it stands records it."""
    from dpm_studio.core.run.noise import NO_NOISE

    src = tmp_path / "clean.png"
    imageio.save_image(src, np.tile(np.linspace(0, 1, 48, dtype=np.float32)[None, :, None], (32, 1, 3)))
    _set_app(win, "denoise", {"noise": "constant"}, src, None)
    page = win.task_panel.pages["denoise"]
    qtbot.waitUntil(lambda: "measuring" not in page.noise_note.text(), timeout=5000)
    assert win.session.doc.noise_sigma == 0.0 and page.sigma255() is None   # the estimate, not a typed level
    assert page.sigma.value() == round(NO_NOISE * 255, 1) == 0.1
    with qtbot.waitSignal(win.runner.finished, timeout=RUN_MS):
        assert win.runs.run(), win.task_panel.hint.text()
    assert win.session.run["sigma_255"] == page.sigma.value()
    assert win.runs.accept_result()
    for step in (win.session.undo, win.session.redo):   # the run's noise choice back: the estimate, not typed
        assert step() is not None
        assert page.sigma255() is None and page.sigma.value() == 0.1
