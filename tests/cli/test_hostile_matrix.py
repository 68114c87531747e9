"""A demanding user's hostile inputs, round five: every hostile file in every place the command line
reads one (the image of denoise and inpaint, the mask of inpaint and denoise, one file of a folder
batch), and the values a script passes when a variable is unset. Each run: exit 0 with a right
result, or exit 2 (1 for a batch where an image failed) with exactly one ``dpm-studio: error:``
line; never a traceback, a hang or an internal error; every file the user had is unchanged.

The files themselves come from tests/faulty_files.py (shared with the loader and app tests) and
:data:`EXTRA` below; a FIFO is opened under an alarm, so a blocking open fails the test instead of
hanging it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import faulty_files
from faulty_files import H, W, folder_state
from dpm_studio import imageio
from dpm_studio.cli.main import main


# -- the hostile files -------------------------------------------------------------------------------------------
def _folder_named_png(folder: Path) -> Path:
    p = folder / "folder.png"
    p.mkdir()
    return p


def _fifo(folder: Path) -> Path:
    p = folder / "pipe.png"
    os.mkfifo(p)
    return p


def _loop(folder: Path) -> Path:
    p = folder / "loop.png"
    os.symlink(folder / "loop2.png", p)
    os.symlink(p, folder / "loop2.png")
    return p


def _dangling(folder: Path) -> Path:
    p = folder / "gone.png"
    os.symlink(folder / "nothing-here.png", p)
    return p


def _too_long(folder: Path) -> Path:
    return folder / ("x" * 300 + ".png")  # over the file system's 255 bytes


def _wide(folder: Path) -> Path:
    p = folder / "wide.png"
    Image.new("RGB", (100_000, 1), (40, 90, 200)).save(p)
    return p


def _float_tiff(folder: Path) -> Path:
    import tifffile

    p = folder / "float.tif"
    tifffile.imwrite(p, np.random.default_rng(1).random((H, W, 3), dtype=np.float32), photometric="rgb")
    return p


def _icc_jpeg(folder: Path) -> Path:
    from PIL import ImageCms

    p = folder / "icc.jpg"
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.fromarray(faulty_files.rgb_u8()).save(p, icc_profile=profile, quality=95)
    return p


def _colour_mask(folder: Path) -> Path:
    """A colour image that is a mask: red strokes on black (a colour mask counts where any channel is lit)."""
    a = np.zeros((H, W, 3), np.uint8)
    a[4:9, 6:14, 0] = 255
    p = folder / "red-mask.png"
    Image.fromarray(a).save(p)
    return p


#: name -> (builder, what the loader does: "error" or the (h, w) it reads)
EXTRA = {"folder-named-png": (_folder_named_png, "error"), "fifo": (_fifo, "error"), "symlink-loop": (_loop, "error"),
         "dangling-link": (_dangling, "error"), "name-too-long": (_too_long, "error"),
         "100000x1": (_wide, (1, 100_000)), "float32-tiff": (_float_tiff, (H, W)),
         "icc-jpeg": (_icc_jpeg, (H, W)), "colour-mask": (_colour_mask, (H, W))}
CASES = {**{k: (lambda f, k=k: faulty_files.make(k, f), "error" if e[0] == "error" else e[1][:2])
            for k, (_, e) in faulty_files.CASES.items()}, **EXTRA}


def _errors(err: str) -> list[str]:
    return [line for line in err.replace("\r", "\n").splitlines() if line.startswith("dpm-studio: error")]


def _check(rc, err, *, ok_codes=(0, 2)):
    assert rc in ok_codes, err[-2000:]
    assert "Traceback" not in err and "internal error" not in err, err[-2000:]
    if rc == 2:
        errors = _errors(err)
        assert len(errors) == 1 and "\n" not in errors[0], err[-2000:]
        assert errors[0].endswith("."), errors[0]   # every error one sentence, as the app's dialogs (errorlog.sentence)
        return errors[0]
    failed = [line for line in err.replace("\r", "\n").splitlines() if line.startswith("dpm-studio: failed:")]
    assert all(line.endswith(".") for line in failed), failed   # a batch's image that failed: the same form
    return None


def _good(folder: Path) -> tuple[Path, Path]:
    src, mask = folder / "good.png", folder / "hole.png"
    Image.fromarray(faulty_files.rgb_u8()).save(src)
    m = np.zeros((H, W), np.uint8)
    m[5:10, 8:16] = 255
    Image.fromarray(m).save(mask)
    return src, mask


TINY = ["--checkpoint", "tiny-rgb"]
DENOISE = [*TINY, "--sigma", "20", "--ensemble", "1", "--tile", "4096"]  # the 100000 x 1 PNG: 25 tiles, not 447
INPAINT = [*TINY, "--steps", "2"]


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("role", ["denoise", "inpaint", "mask", "denoise-mask"])
def test_every_hostile_file_in_every_place_a_file_is_read(tmp_path, tiny, capsys, no_hang, case, role):
    files, out_dir = tmp_path / "files", tmp_path / "out"
    files.mkdir()
    out_dir.mkdir()
    good, hole = _good(files)
    bad = CASES[case][0](files)
    expect = CASES[case][1]
    out = out_dir / "result.png"
    argv = {"denoise": ["denoise", bad, "-o", out, *DENOISE], "inpaint": ["inpaint", bad, "--mask", hole, "-o", out,
                                                                            *INPAINT],
            "mask": ["inpaint", good, "--mask", bad, "-o", out, *INPAINT],
            "denoise-mask": ["denoise", good, "--mask", bad, "-o", out, *DENOISE]}[role]
    before = folder_state(files)
    rc = main([str(a) for a in argv])
    error = _check(rc, capsys.readouterr().err)
    assert folder_state(files) == before  # nothing the user had is changed, whatever happened
    if expect == "error":
        assert rc == 2 and not out.exists() and folder_state(out_dir) == {}, error
        return
    if role == "denoise":  # every file that loads is denoised, at its own (upright) size
        assert rc == 0, error
        assert imageio.load_image(out).pixels.shape[:2] == expect
    elif role == "inpaint" and expect == (H, W):
        assert rc == 0, error
        got = imageio.load_image(out)
        assert got.pixels.shape[:2] == expect
    if rc == 2:
        assert not out.exists() and folder_state(out_dir) == {}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_hostile_file_in_a_folder_batch_fails_alone(tmp_path, tiny, capsys, no_hang, case):
    """The batch runs every other image, names the bad one in its summary and exits 1 if it failed."""
    files, out_dir = tmp_path / "files", tmp_path / "out"
    files.mkdir()
    good, hole = _good(files)
    hole.unlink()  # the batch's only other file is the good image
    CASES[case][0](files)
    before = folder_state(files)
    rc = main(["denoise", str(files), "-o", str(out_dir), *DENOISE])
    err = capsys.readouterr().err
    assert rc in (0, 1) and "Traceback" not in err and "internal error" not in err, err[-2000:]
    assert (out_dir / "good.png").is_file()  # one bad file never stops the others
    assert folder_state(files) == before
    summary = [line for line in err.replace("\r", "\n").splitlines() if "batch denoise:" in line]
    assert len(summary) == 1, err[-2000:]
    if rc == 1:
        assert "failed:" in summary[0]


@pytest.mark.parametrize("ext", [".jfif", ".jpe", ".JFIF"])
def test_a_jpeg_named_jfif_or_jpe_is_read_and_written(tmp_path, tiny, capsys, ext):
    """A browser's "Save image as" on Windows writes .jfif: it is a JPEG, read as one and written as one
    (alone and in a folder batch), not refused by its name."""
    src = tmp_path / f"web{ext}"
    Image.fromarray(faulty_files.rgb_u8()).save(src, format="JPEG", quality=95)
    out = tmp_path / f"out{ext}"
    assert main(["denoise", str(src), "-o", str(out), *DENOISE]) == 0, capsys.readouterr().err[-2000:]
    with Image.open(out) as im:
        assert im.format == "JPEG" and im.size == Image.open(src).size
    folder_out = tmp_path / "batch"
    assert main(["denoise", str(tmp_path), "-o", str(folder_out), *DENOISE]) == 0
    assert sorted(p.name for p in folder_out.iterdir() if p.suffix.lower() == ext.lower()) == sorted([src.name, out.name])


def test_an_exif_rotated_jpeg_comes_out_the_right_way_up(tmp_path, tiny, capsys):
    """Stored 20 wide x 10 high, its left quarter white, with orientation 6 (turn a quarter clockwise to
    show it): shown 10 wide x 20 high, white along the top.
    The result must be that picture, upright, and not carry the orientation tag (a viewer would turn it again)."""
    src = faulty_files.make("exif-rotated", tmp_path)
    out = tmp_path / "out.jpg"
    assert main(["denoise", str(src), "-o", str(out), *DENOISE]) == 0
    with Image.open(out) as im:
        assert im.size == (10, 20)
        assert im.getexif().get(0x0112, 1) == 1
        a = np.asarray(im.convert("L"), dtype=np.float32)
    assert a[:5].mean() > a[5:].mean() + 100  # white along the top, as shown


# -- a script's unset variable: an empty name -----------------------------------------------------------------------
EMPTY = [
    ("denoise-input", ["denoise", "", "-o", "OUT/", *DENOISE], "argument input"),
    ("denoise-output", ["denoise", "IMG", "-o", "", *DENOISE], "argument -o/--output"),
    ("inpaint-mask", ["inpaint", "IMG", "--mask", "", "-o", "OUT/r.png", *INPAINT], "argument --mask"),
    ("denoise-checkpoint", ["denoise", "IMG", "-o", "OUT/r.png", "--checkpoint", "", "--sigma", "20"],
     "argument --checkpoint"),
    ("denoise-device", ["denoise", "IMG", "-o", "OUT/r.png", *DENOISE, "--device", ""], "argument --device"),
    ("sample-output", ["sample", *TINY, "-o", "", "--size", "8x8", "--steps", "1"], "argument -o/--output"),
    ("evaluate", ["evaluate", ""], "argument checkpoint"),
    ("replay", ["replay", ""], "argument result"),
    ("train-output", ["train", "swiss-roll", "-o", "", "--steps", "1"], "argument -o/--output"),
    ("train-log", ["train", "swiss-roll", "-o", "OUT/t", "--steps", "1", "--log", ""], "argument --log"),
    ("train-data", ["train", "swiss-roll", "-o", "OUT/t", "--steps", "1", "--data", ""], "argument --data"),
    ("train-init", ["train", "swiss-roll", "-o", "OUT/t", "--steps", "1", "--init", ""], "argument --init"),
]


@pytest.mark.parametrize("argv,names", [(a, n) for _, a, n in EMPTY], ids=[i for i, _, _ in EMPTY])
def test_an_empty_name_is_refused_not_taken_for_the_working_folder(tmp_path, tiny, capsys, monkeypatch, argv, names):
    """``""`` is ``Path(".")``: ``denoise "" -o out/`` denoised every image of the working folder (its masks
    too), ``-o ""`` wrote the result into it, ``--checkpoint ""``, ``evaluate ""``, ``train -o ""`` and
    ``--device ""`` were internal errors (exit 70), ``train --log/--data/--init ""`` ran as if not given."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    good, _ = _good(work)
    before = folder_state(work)
    argv = [str(good) if a == "IMG" else a.replace("OUT", str(tmp_path / "out")) for a in argv]
    assert main(argv) == 2
    error = _check(2, capsys.readouterr().err)
    assert names in error and "empty" in error, error
    assert folder_state(work) == before and not (tmp_path / "out").exists()


@pytest.mark.parametrize("device,why", [("", "empty"), ("tpu", "not available here"), ("cuda:x", "cuda"),
                                        (" CPU ", None)])
def test_a_device_is_checked_before_the_image_is_read(tmp_path, tiny, capsys, device, why):
    """``denoise --device ""`` reached torch.device("") while choosing the precision: exit 70."""
    good, _ = _good(tmp_path)
    out = tmp_path / "r.png"
    rc = main(["denoise", str(good), "-o", str(out), *DENOISE, "--device", device])
    err = capsys.readouterr().err
    if why is None:
        assert rc == 0 and out.is_file(), err
        return
    assert rc == 2 and why in _check(rc, err) and not out.exists()


def test_the_api_names_a_checkpoint_that_is_no_name(tiny):
    from dpm_studio import api

    for bad in ("", "  ", 0, 3.5):  # "" was "PosixPath('.') has an empty name", 0 a TypeError
        with pytest.raises(ValueError, match="a checkpoint is a name or a path"):
            api.denoise(faulty_files.rgb_u8(8, 8), 20, checkpoint=bad)


# -- a result whose run record was edited: replay ---------------------------------------------------------------------
RECORDS = [  # (the run record's entries changed, what the one line says)
    ({"steps": 0}, "the number of steps must be 1 to 100,000"),
    ({"steps": "many"}, "steps must be a whole number, not 'many'"),
    ({"steps": True}, "steps must be a whole number, not True"),
    ({"sigma": float("nan")}, "the noise level must be"),
    ({"seed": -5}, "the seed must be 0 to"),
    ({"ensemble": [[[1]]]}, "ensemble must be a whole number"),
    ({"region": "0,0,4,4"}, "region must be 4 whole numbers"),
    ({"samples": 10 ** 6}, "the number of samples must be 1 to 256"),
    ({"method": "magic"}, "the denoising method must be one of"),
    ({"task": "sample", "size": [100_000, 100_000]}, "the size must be 1 to 4,096 pixels a side"),
    ({"choice": "sample x of y"}, "its choice 'sample x of y' is not 'sample K of N'"),
    ({"device": "tpu"}, "cannot be run here: argument --device: device 'tpu' is not available here"),
]


@pytest.mark.parametrize("edit,says", RECORDS, ids=[",".join(e) + "=" + str(list(e.values())[0])[:12] for e, _ in RECORDS])
def test_an_edited_run_record_is_one_line_when_replayed(tmp_path, tiny, capsys, edit, says):
    """A result's record is anyone's text. Settings the parser refuses raised SystemExit out of main() (in a
    process: argparse's line, not saying it came from the record); [[1]] was an internal error (exit 70);
    a bad choice said "invalid literal for int() with base 10: 'x'"."""
    import json

    from PIL.PngImagePlugin import PngInfo

    from dpm_studio.core.files.decode import METADATA_KEY

    good, _ = _good(tmp_path)
    result = tmp_path / "result.png"
    assert main(["denoise", str(good), "-o", str(result), *DENOISE]) == 0
    capsys.readouterr()
    with Image.open(result) as im:
        meta = json.loads(im.text[METADATA_KEY])
        meta["runs"][0].update(edit)
        info = PngInfo()
        info.add_text(METADATA_KEY, json.dumps(meta))
        im.save(tmp_path / "edited.png", pnginfo=info)
    before = folder_state(tmp_path)
    for extra in (["-o", str(tmp_path / "again.png")], ["--print"]):
        if "device" in edit and extra == ["--print"]:
            continue  # the command it stands for is printed; only running it needs the device
        assert main(["replay", str(tmp_path / "edited.png"), "--input", str(good), *extra]) == 2
        error = _check(2, capsys.readouterr().err)
        assert error.startswith("dpm-studio: error: run 1 of edited.png") and says in error, error
    assert folder_state(tmp_path) == before


# -- the process's own streams -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("closed", ["stderr", "stdout", "both"])
def test_a_run_with_a_closed_stream_still_saves_its_result(tmp_path, tiny, monkeypatch, closed):
    """``2>&-`` (a daemon's or cron's missing descriptor) makes sys.stderr None: the first progress line was
    an internal error, exit 70, and no result saved."""
    import sys

    good, _ = _good(tmp_path)
    out = tmp_path / "r.png"
    for name in (["stdout", "stderr"] if closed == "both" else [closed]):
        monkeypatch.setattr(sys, name, None)
    assert main(["denoise", str(good), "-o", str(out), *DENOISE]) == 0
    assert imageio.load_image(out).pixels.shape == (H, W, 3)


def test_a_pipe_whose_reader_left_ends_quietly(tiny, monkeypatch):
    """``dpm-studio checkpoints --json | head -c 10`` said "dpm-studio: error: Broken pipe" (exit 2)."""
    import io
    import sys

    class Gone(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    err = io.StringIO()
    monkeypatch.setattr(sys, "stdout", Gone())
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["checkpoints", "--json"]) == 141
    assert err.getvalue() == ""


def test_a_first_word_too_long_for_a_file_name_is_no_traceback(tmp_path, capsys, monkeypatch):
    """``dpm-studio <300 characters>`` asked Path.is_file() before the error funnel: ENAMETOOLONG's traceback."""
    from dpm_studio.cli.main import _image_opens_the_app, build_parser

    monkeypatch.chdir(tmp_path)
    assert main(["x" * 300]) == 2
    assert "invalid choice" in _check(2, capsys.readouterr().err)
    long_png = "x" * 300 + ".png"  # an image's name: the app opens it (and says it cannot)
    assert _image_opens_the_app([long_png], build_parser()) == ["gui", long_png]


# -- masks of a batch ----------------------------------------------------------------------------------------------------
def _batch(folder: Path) -> tuple[Path, Path]:
    imgs, masks = folder / "imgs", folder / "masks"
    imgs.mkdir()
    masks.mkdir()
    for s in range(3):
        Image.fromarray(faulty_files.rgb_u8(seed=s)).save(imgs / f"p{s}.png")
    m = np.zeros((H, W), np.uint8)
    m[5:9, 5:9] = 255
    Image.fromarray(m).save(masks / "p0.png")
    return imgs, masks


@pytest.mark.parametrize("case", ["fifo", "symlink-loop", "dangling-link", "truncated-png", "empty-file"])
def test_one_unreadable_mask_for_a_whole_batch_is_refused_once(tmp_path, tiny, capsys, no_hang, case):
    """Each image was said to fail, "p0.png (not an image)" in the summary, where the images were fine."""
    imgs, masks = _batch(tmp_path)
    bad = CASES[case][0](masks)
    before = folder_state(imgs)
    assert main(["inpaint", str(imgs), "--mask", str(bad), "-o", str(tmp_path / "out"), *INPAINT]) == 2
    error = _check(2, capsys.readouterr().err)
    assert "the mask for every image cannot be read: " + bad.name in error, error
    assert folder_state(imgs) == before and not (tmp_path / "out").exists()


def test_a_bad_mask_in_a_mask_folder_is_named_as_the_mask(tmp_path, tiny, capsys, no_hang):
    """A mask and its image share a name: "failed: p1.png: p1.png is a named pipe" did not say which."""
    imgs, masks = _batch(tmp_path)
    os.mkfifo(masks / "p1.png")
    faulty_files.make("truncated-png", masks).rename(masks / "p2.png")
    assert main(["inpaint", str(imgs), "--mask", str(masks), "-o", str(tmp_path / "out"), *INPAINT]) == 1
    err = capsys.readouterr().err
    assert "failed: p1.png: --mask p1.png is a named pipe" in err and "failed: p2.png: --mask p2.png cannot be read" in err
    assert "1 written, 0 skipped (output exists), 2 failed: p1.png (bad mask), p2.png (bad mask)" in err, err
    assert (tmp_path / "out" / "p0.png").is_file()


def test_a_batch_into_a_dangling_link_says_so(tmp_path, tiny, capsys):
    imgs, masks = _batch(tmp_path)
    os.symlink(tmp_path / "nowhere", tmp_path / "out")
    assert main(["inpaint", str(imgs), "--mask", str(masks / "p0.png"), "-o", str(tmp_path / "out"), *INPAINT]) == 2
    assert "a symbolic link to a missing folder" in _check(2, capsys.readouterr().err)  # said "File exists"


# -- an interrupted run -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("onto", ["old-output", "the-input"])
def test_ctrl_c_during_a_run_leaves_the_old_file_and_no_partial_one(tmp_path, tiny, onto):
    """A real process, interrupted after its first tile: exit 130 with one line, the file it was to replace
    (an earlier output, or the input itself with --overwrite) byte for byte as it was, nothing else written."""
    import subprocess
    import sys

    src = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (1024, 1024, 3), dtype=np.uint8)).save(src)
    out = src if onto == "the-input" else tmp_path / "out.png"
    if onto == "old-output":
        Image.fromarray(faulty_files.rgb_u8()).save(out)
    before = folder_state(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    p = subprocess.Popen([sys.executable, "-m", "dpm_studio", "denoise", str(src), "-o", str(out), "--checkpoint", "tiny-rgb",
                          "--sigma", "20", "--ensemble", "8", "--tile", "64", "--overlap", "8", "--overwrite"],
                         env=env, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # a background shell ignores it
    try:
        first = p.stderr.readline()  # the progress bar's first line: the run has started
        assert "denoise [" in first, first
        p.send_signal(signal.SIGINT)
        rest = p.stderr.read()
        assert p.wait(timeout=60) == 130, first + rest
    finally:
        p.kill()
    assert "dpm-studio: interrupted" in rest and "Traceback" not in rest, rest
    assert folder_state(tmp_path) == before


def test_training_on_photos_too_small_for_a_held_out_patch_says_how_large(tmp_path, capsys):
    """A folder of 300 x 300 photos said only "no held-out region fits a 64x64 patch (largest possible is 60)"."""
    data = tmp_path / "photos"
    data.mkdir()
    for s in range(2):
        Image.fromarray(faulty_files.rgb_u8(300, 300, seed=s)).save(data / f"p{s}.png")
    faulty_files.make("truncated-png", data)  # and a file that cannot be read, skipped
    argv = ["train", "photos-rgb", "--data", str(data), "-o", str(tmp_path / "m"), "--steps", "1", "--no-eval"]
    assert main(argv) == 2
    error = _check(2, capsys.readouterr().err)
    assert "largest possible is 60): at least one image must be 321 px wide and 64 px high" in error, error
    Image.fromarray(faulty_files.rgb_u8(64, 321)).save(data / "wide.png")  # as it says: then it trains
    assert main([*argv, "--batch", "2"]) == 0


@pytest.mark.parametrize("kind", ["file", "fifo", "name-too-long"])
def test_a_checkpoint_folder_that_is_no_folder_is_said_and_the_rest_listed(tmp_path, capsys, monkeypatch, kind):
    target = tmp_path / "models"
    if kind == "file":
        target.write_text("not a folder")
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target = tmp_path / ("m" * 300)
    monkeypatch.setenv("DPM_STUDIO_CHECKPOINTS", str(target))
    assert main(["checkpoints"]) == 0
    out = capsys.readouterr().out
    assert "photos-rgb" in out
    line = next(x for x in out.splitlines() if str(target) in x)
    assert line.endswith("(not a folder: left out)" if kind != "name-too-long" else "(does not exist yet)"), line


def test_self_test_into_a_file_says_it_is_not_a_folder(tmp_path, capsys):
    good, _ = _good(tmp_path)
    before = folder_state(tmp_path)
    assert main(["self-test", "--output-dir", str(good), "--timeout", "5"]) == 2
    assert "--output-dir " + str(good) + " is not a folder" in _check(2, capsys.readouterr().err)  # "File exists"
    assert folder_state(tmp_path) == before


@pytest.mark.parametrize("output", [".", "..", "/", "models/.."])
def test_train_into_a_folder_name_says_to_give_a_checkpoint_name(tmp_path, capsys, monkeypatch, output):
    """``train -o .`` was an internal error, exit 70: "PosixPath('.') has an empty name"."""
    work = tmp_path / "work"
    (work / "models").mkdir(parents=True)
    monkeypatch.chdir(work)
    assert main(["train", "swiss-roll", "-o", output, "--steps", "1", "--no-eval"]) == 2
    assert "names a folder: give the checkpoint's path without extension" in _check(2, capsys.readouterr().err)
    assert folder_state(work) == {"models": "folder"}


# -- an output format that cannot hold what the input has -----------------------------------------------------------------
@pytest.mark.parametrize("source,output,says", [
    ("rgba.png", "r.jpg", "a JPEG holds no transparency, so the alpha channel is left out"),
    ("grey16.png", "r.webp", "WebP holds 8 bits per channel, so the input's 16-bit values are rounded to 8 bits"),
    ("grey16.png", "r.jpg", "JPEG holds 8 bits per channel"),
    ("float.tif", "r.png", "float values outside [0, 1] are scaled into 16-bit PNG levels"),
    ("rgba.png", "r.webp", None), ("grey16.png", "r.tif", None), ("float.tif", "r.tif", None)])
def test_an_output_format_that_drops_part_of_the_input_says_so(tmp_path, tiny, capsys, source, output, says):
    """A JPEG of an RGBA picture lost its alpha and a WebP of a 16-bit scan its depth without a word."""
    import tifffile

    a = faulty_files.rgb_u8()
    Image.fromarray(np.dstack([a, np.linspace(0, 255, W, dtype=np.uint8)[None].repeat(H, 0)]), "RGBA").save(
        tmp_path / "rgba.png")
    faulty_files.make("i16", tmp_path)  # grey16.png
    tifffile.imwrite(tmp_path / "float.tif", a.astype(np.float32) / 100 - 1, photometric="rgb")  # -1 to 1.55
    assert main(["denoise", str(tmp_path / source), "-o", str(tmp_path / output), *DENOISE]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("dpm-studio: note: " + output)]
    if says is None:
        assert notes == []
    else:
        assert len(notes) == 1 and says in notes[0], notes
