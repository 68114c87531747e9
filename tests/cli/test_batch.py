"""Batch runs: a folder or several files in, a folder out; bad files skipped; masks by stem; resume."""

import numpy as np
import pytest
from PIL import Image

from dpm_studio.cli.main import main
from dpm_studio.imageio import load_image

H, W = 24, 32


def _photo(path, seed):
    a = np.random.default_rng(seed).integers(0, 256, (H, W, 3), dtype=np.uint8)
    Image.fromarray(a).save(path)
    return a


def _mask(path, rows, cols):
    m = np.zeros((H, W), np.uint8)
    m[rows, cols] = 255
    Image.fromarray(m).save(path)
    return m > 0


@pytest.fixture
def folder(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    photos = {name: _photo(src / f"{name}.png", k) for k, name in enumerate(("a", "b", "c"))}
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")  # an image by name only
    (src / "notes.txt").write_text("not an image: ignored")
    return src, photos


def _changed(out, photos, name):
    """Pixels of the result that differ from the input."""
    return np.any(np.asarray(Image.open(out / f"{name}.png")) != photos[name], axis=2)


def test_folder_with_a_broken_file_and_one_mask_for_all(tmp_path, folder, tiny, capsys):
    src, photos = folder
    hole = _mask(tmp_path / "hole.png", slice(4, 12), slice(6, 20))
    out = tmp_path / "out"
    status = main(["inpaint", str(src), "--mask", str(tmp_path / "hole.png"), "-o", str(out),
                   "--checkpoint", tiny, "--steps", "2"])
    err = capsys.readouterr().err
    assert status == 1  # one image failed
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b.png", "c.png"]
    for name in photos:  # every result: only the hole changed
        assert not _changed(out, photos, name)[~hole].any() and _changed(out, photos, name)[hole].any()
    assert "failed: broken.png" in err and "3 written, 0 skipped (output exists), 1 failed: broken.png" in err
    assert "Traceback" not in err and "1 failed: broken.png (not an image); 1 left out: notes.txt (not an image)" in err
    assert "[4/4] c.png [################] 2/2" in err and "all [################] 100%" in err  # both bars


def test_masks_matched_by_stem_and_several_files(tmp_path, folder, tiny, capsys):
    src, photos = folder
    masks = tmp_path / "masks"
    masks.mkdir()
    holes = {"a": _mask(masks / "a.png", slice(2, 8), slice(2, 10)),
             "b": _mask(masks / "b.bmp", slice(14, 22), slice(18, 30))}
    out = tmp_path / "out"
    status = main(["inpaint", str(src / "a.png"), str(src / "b.png"), str(src / "c.png"), "--mask", str(masks),
                   "-o", str(out), "--checkpoint", tiny, "--steps", "2"])
    err = capsys.readouterr().err
    assert status == 1 and "no mask for c.png" in err and not (out / "c.png").exists()
    for name, hole in holes.items():  # each image filled where its own mask says
        changed = _changed(out, photos, name)
        assert changed[hole].any() and not changed[~hole].any()


def test_resume_skips_existing_outputs_unless_overwrite(tmp_path, folder, tiny, capsys):
    src, photos = folder
    (src / "broken.png").unlink()
    out = tmp_path / "out"
    out.mkdir()
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(out / "b.png")  # left by an interrupted run
    argv = ["denoise", str(src), "-o", str(out), "--checkpoint", tiny, "--sigma", "20", "--ensemble", "1"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "2 written, 1 skipped" in err
    assert not np.asarray(Image.open(out / "b.png")).any()  # untouched
    assert np.asarray(Image.open(out / "a.png")).any()
    assert main(argv + ["--overwrite"]) == 0
    assert "3 written, 0 skipped" in capsys.readouterr().err
    assert np.asarray(Image.open(out / "b.png")).any()  # redone


def test_batch_keeps_16_bit_depth(tmp_path, tiny):
    src = tmp_path / "in"
    src.mkdir()
    from dpm_studio.imageio import save_image

    for k in range(2):
        save_image(src / f"p{k}.tif", np.random.default_rng(k).random((H, W, 3)).astype(np.float32), bit_depth=16)
    out = tmp_path / "out"
    assert main(["denoise", str(src), "-o", str(out), "--checkpoint", tiny, "--sigma", "10", "--ensemble", "1"]) == 0
    assert all(load_image(out / f"p{k}.tif").bit_depth == 16 for k in range(2))


@pytest.mark.parametrize("case", ["output-is-image", "bad-option", "mask-missing", "empty-folder", "over-inputs",
                                  "same-output-name"])
def test_batch_user_errors_exit_2_before_any_work(tmp_path, folder, tiny, capsys, case):
    src, _ = folder
    base = ["inpaint", str(src), "--checkpoint", tiny, "--steps", "2"]
    argv = {"output-is-image": base + ["--mask", str(src / "a.png"), "-o", str(tmp_path / "x.png")],
            "bad-option": base + ["--mask", str(src / "a.png"), "-o", str(tmp_path / "o"), "--mode", "clamp",
                                  "--jump-length", "3"],
            "mask-missing": base + ["--mask", str(tmp_path / "nope"), "-o", str(tmp_path / "o")],
            "empty-folder": ["inpaint", str(tmp_path / "o"), "--mask", "m.png", "-o", str(tmp_path / "p")],
            "over-inputs": base + ["--mask", str(src / "a.png"), "-o", str(src)],
            "same-output-name": ["inpaint", str(src / "a.png"), str(tmp_path / "a.gif"), "--mask", str(src / "b.png"),
                                 "-o", str(tmp_path / "o"), "--checkpoint", tiny]}[case]
    (tmp_path / "o").mkdir()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dpm-studio: error:"), err
    assert not any((tmp_path / "o").iterdir()) and not (tmp_path / "p").exists()


def test_single_file_behaviour_unchanged(tmp_path, tiny):
    a = _photo(tmp_path / "one.png", 3)
    hole = _mask(tmp_path / "m.png", slice(4, 10), slice(4, 10))
    assert main(["inpaint", str(tmp_path / "one.png"), "--mask", str(tmp_path / "m.png"), "-o",
                 str(tmp_path / "res.png"), "--checkpoint", tiny, "--steps", "2"]) == 0
    changed = np.any(np.asarray(Image.open(tmp_path / "res.png")) != a, axis=2)
    assert changed[hole].any() and not changed[~hole].any()


def test_one_file_into_an_existing_folder(tmp_path, tiny):
    a = _photo(tmp_path / "one.jpg", 4)
    (tmp_path / "out").mkdir()
    assert main(["denoise", str(tmp_path / "one.jpg"), "-o", str(tmp_path / "out"), "--checkpoint", tiny,
                 "--sigma", "10", "--ensemble", "1"]) == 0
    assert np.asarray(Image.open(tmp_path / "out" / "one.jpg")).shape == a.shape


def test_the_checkpoint_name_is_looked_up_once_per_command(tmp_path, tiny, monkeypatch, capsys):
    """Finding a checkpoint by name reads and checks every card in the checkpoint folders (0.025 s CPU):
    once per command, not once more for each image's output check (a batch of 3 did it 4 times, one
    image twice), and an output over the named checkpoint's files is still refused."""
    from dpm_studio.core.files import checkpoint

    scans = []  # walks over the checkpoint folders' cards (resolve's and the listing's, 718b571)
    real = checkpoint._card_files
    monkeypatch.setattr(checkpoint, "_card_files", lambda *a, **k: scans.append(1) or real(*a, **k))
    src = tmp_path / "in"
    src.mkdir()
    for k, name in enumerate("abc"):
        _photo(src / f"{name}.png", k)
    assert main(["denoise", str(src), "-o", str(tmp_path / "out"), "--checkpoint", tiny, "--sigma", "25"]) == 0
    assert len(list((tmp_path / "out").iterdir())) == 3 and len(scans) == 1
    scans.clear()
    assert main(["denoise", str(src / "a.png"), "-o", str(tmp_path / "a.png"), "--checkpoint", tiny,
                 "--sigma", "25"]) == 0
    assert len(scans) == 1
    weights = tmp_path / "ckpt" / f"{tiny}.safetensors"
    before = weights.read_bytes()
    (tmp_path / "link.png").symlink_to(weights)  # an output that is the checkpoint's weights under another name
    (tmp_path / "out2").mkdir()
    (tmp_path / "out2" / "a.png").symlink_to(weights)
    for inputs, out, status in (([src / "a.png"], tmp_path / "link.png", 2), ([src / "a.png", src / "b.png"], tmp_path / "out2", 1)):
        assert main(["denoise", *map(str, inputs), "-o", str(out), "--checkpoint", tiny, "--sigma", "25",
                     "--overwrite"]) == status
        assert "refusing to overwrite the checkpoint weights" in capsys.readouterr().err
    assert weights.read_bytes() == before


def _huge_png_header(path, side=100_000):
    """A PNG whose header claims side x side pixels (a decompression bomb by its header alone)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))


def test_the_summary_counts_and_names_every_file_not_run_and_why(tmp_path, tiny, capsys):
    """A README or a sidecar in a batch folder was left out without a word, and a failure was named
    without its kind: the summary now accounts for every file of the folder."""
    from dpm_studio.cli import batch

    src = tmp_path / "in"
    src.mkdir()
    _photo(src / "a.png", 0)
    _photo(src / "b.png", 1)
    (src / "notes.txt").write_text("which scans are done")
    (src / "a.xmp").write_text("<x:xmpmeta/>")
    (src / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # hidden: not the user's file
    (src / "later").mkdir()  # a subfolder has its own note
    argv = ["denoise", str(src), "-o", str(tmp_path / "out"), "--checkpoint", tiny, "--sigma", "20", "--ensemble", "1"]
    assert main(argv) == 0  # files that are not images by name leave the exit status alone
    err = capsys.readouterr().err
    assert "2 written, 0 skipped (output exists), 0 failed; 2 left out: a.xmp (not an image), " \
           "notes.txt (not an image)" in err
    assert "note: left out 2 files that will not run: a.xmp (not an image), notes.txt (not an image)" in err
    assert ".DS_Store" not in err and sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png"]

    (src / "empty.png").write_bytes(b"")
    (src / "cut.jpg").write_bytes(_jpeg_bytes()[:400])
    _huge_png_header(src / "huge.png")
    argv[3] = str(tmp_path / "out2")
    assert main(argv) == 1  # an image that cannot be run fails the batch, as documented
    err = capsys.readouterr().err
    line = [x for x in err.splitlines() if "batch denoise:" in x][-1]
    assert line == ("dpm-studio: batch denoise: 2 written, 0 skipped (output exists), 3 failed: cut.jpg (unreadable), "
                    "empty.png (not an image), huge.png (too large); 2 left out: a.xmp (not an image), "
                    "notes.txt (not an image)")
    assert "Traceback" not in err
    record = batch.summary("denoise", 2, 0, [("huge.png", "huge.png is 100,000\u00d7100,000 ... over the safety "
                                              "limit")], [("notes.txt", batch.NOT_AN_IMAGE)])
    assert record["status"] == 1 and record["failed"][0]["why"] == "too large"
    assert record["left_out"] == [{"name": "notes.txt", "why": "not an image"}]
    assert batch.failure_kind("cannot save a.png: the file is too large for the file size limit") == "not saved"
    assert batch.failure_kind("refusing to write a.png: a.png is a named pipe (FIFO)") == "not saved"
    assert batch.failure_kind("a.png: permission denied") == "unreadable"
    assert batch.failure_kind("no mask for c.png: nothing named c.* in masks") == "no mask"


def _jpeg_bytes():
    import io

    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (H, W, 3), dtype=np.uint8)).save(buf, "JPEG")
    return buf.getvalue()
