"""One rule for an output file that exists, for every command that writes an image: it is never
replaced without ``--overwrite`` (restore.existing_output). One image (inpaint, denoise, sample,
replay): refused in one line, exit 2, before any work, the old file byte for byte as it was. A
batch: that image skipped with the same rule (an interrupted batch resumes). Before, one image
replaced the existing file without a word while a batch skipped it: one job, two ways."""

import os

import numpy as np
import pytest
from PIL import Image

from dpm_studio.cli import restore
from dpm_studio.cli.main import main

OLD = b"the user's own file, not an image the run made"


def _argv(task, src, mask, out):
    if task == "sample":
        return ["sample", "--size", "16x16", "-o", str(out), "--checkpoint", "tiny-rgb", "--steps", "2"]
    extra = ["--mask", str(mask), "--steps", "2"] if task == "inpaint" else ["--sigma", "20", "--ensemble", "1"]
    return [task, str(src), *extra, "-o", str(out), "--checkpoint", "tiny-rgb"]


@pytest.mark.parametrize("task", ["denoise", "inpaint", "sample"])
def test_one_image_never_replaces_an_existing_output_without_overwrite(tmp_path, tiny, img, capsys, task):
    src, mask = img
    out = tmp_path / "result.png"
    out.write_bytes(OLD)
    assert main(_argv(task, src, mask, out)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["dpm-studio: error: result.png exists already: pass --overwrite to replace it, or choose "
                   "another -o."]
    assert out.read_bytes() == OLD and sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == \
        sorted(["in.png", "m.png", "result.png"])   # nothing else written (no temporary file left)
    assert main([*_argv(task, src, mask, out), "--overwrite"]) == 0
    with Image.open(out) as im:
        assert im.size in ((32, 32), (16, 16))     # the new result replaced it


def test_a_symbolic_link_to_an_existing_file_is_the_file_it_names(tmp_path, tiny, img, capsys):
    src, _ = img
    (tmp_path / "keep").mkdir()
    target = tmp_path / "keep" / "mine.png"
    target.write_bytes(OLD)
    link = tmp_path / "out.png"
    os.symlink(target, link)
    assert main(_argv("denoise", src, None, link)) == 2
    assert "out.png exists already" in capsys.readouterr().err and target.read_bytes() == OLD


def test_a_batch_skips_each_image_whose_output_exists_by_the_same_rule(tmp_path, tiny, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    for k, name in enumerate("abc"):
        Image.fromarray(np.random.default_rng(k).integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(src / f"{name}.png")
    (out / "b.png").write_bytes(OLD)
    argv = ["denoise", str(src), "-o", str(out), "--checkpoint", "tiny-rgb", "--sigma", "20", "--ensemble", "1"]
    assert main(argv) == 0   # a rerun resumes: what exists is not a failure
    err = capsys.readouterr().err
    assert (out / "b.png").read_bytes() == OLD
    assert "1 of 3 images already have an output" in err and "2 written, 1 skipped (output exists), 0 failed" in err
    assert main([*argv, "--overwrite"]) == 0
    assert (out / "b.png").read_bytes() != OLD and "3 written, 0 skipped" in capsys.readouterr().err


def test_one_place_decides_for_one_image_and_for_a_batch(tmp_path, tiny, img, monkeypatch, capsys):
    """Both go through restore.existing_output: a rule changed there changes both (here: never refuse)."""
    src, _ = img
    single, folder = tmp_path / "single.png", tmp_path / "out"
    folder.mkdir()
    single.write_bytes(OLD)
    (folder / "in.png").write_bytes(OLD)
    monkeypatch.setattr(restore, "existing_output", lambda out, overwrite: None)
    assert main(_argv("denoise", src, None, single)) == 0 and single.read_bytes() != OLD
    assert main(_argv("denoise", src, None, str(folder) + "/")) == 0 and (folder / "in.png").read_bytes() != OLD


def test_a_file_written_while_a_batch_runs_is_skipped_not_replaced(tmp_path, tiny, monkeypatch, capsys):
    """An output that appears after the batch listed its work (another run writing there) is skipped by the
    same rule when its image's turn comes, counted as skipped, not failed."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for k, name in enumerate("ab"):
        Image.fromarray(np.random.default_rng(k).integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(src / f"{name}.png")
    real = restore.cmd_denoise

    def meanwhile(args, loaded=None, progress=None):
        if args.input.endswith("a.png"):
            (out / "b.png").write_bytes(OLD)   # another process writes b's output during a's run
        return real(args, loaded=loaded, progress=progress)

    monkeypatch.setattr(restore, "cmd_denoise", meanwhile)
    assert main(["denoise", str(src), "-o", str(out), "--checkpoint", "tiny-rgb", "--sigma", "20",
                 "--ensemble", "1"]) == 0
    err = capsys.readouterr().err
    assert (out / "b.png").read_bytes() == OLD
    assert "skipped: b.png exists already" in err and "1 written, 1 skipped (output exists), 0 failed" in err


def test_replay_keeps_the_same_rule(tmp_path, tiny, img, capsys):
    src, _ = img
    made, again = tmp_path / "made.png", tmp_path / "again.png"
    assert main(_argv("denoise", src, None, made)) == 0
    again.write_bytes(OLD)
    assert main(["replay", str(made), "--input", str(src), "-o", str(again)]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == \
        "dpm-studio: error: again.png exists already: pass --overwrite to replace it, or choose another -o."
    assert again.read_bytes() == OLD
    assert main(["replay", str(made), "--input", str(src), "-o", str(again), "--overwrite"]) == 0
    with Image.open(again) as a, Image.open(made) as b:
        assert np.array_equal(np.asarray(a), np.asarray(b))


def test_the_self_test_never_writes_over_a_file_in_its_output_folder(tmp_path, capsys):
    """self-test --output-dir wrote inpaint.png, mask.png, ... over the folder's own files; such a folder is
    refused before the window starts (the self-test has no --overwrite)."""
    out = tmp_path / "results"
    out.mkdir()
    (out / "mask.png").write_bytes(OLD)
    assert main(["self-test", "--output-dir", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (f"dpm-studio: error: --output-dir {out} holds mask.png, which the "
                                               "self-test writes: give a new or empty folder.")
    assert (out / "mask.png").read_bytes() == OLD and sorted(p.name for p in out.iterdir()) == ["mask.png"]


def test_a_file_written_while_one_image_runs_is_not_replaced(tmp_path, tiny, img, monkeypatch, capsys):
    """The output is checked before the run and again before the save: a file another program wrote there
    meanwhile is refused with the same line, not replaced by the result."""
    src, _ = img
    out = tmp_path / "o.png"
    real = restore._run_to_end

    def meanwhile(gen, label, progress=None):
        rec = real(gen, label, progress)
        out.write_bytes(OLD)
        return rec

    monkeypatch.setattr(restore, "_run_to_end", meanwhile)
    assert main(_argv("denoise", src, None, out)) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == \
        "dpm-studio: error: o.png exists already: pass --overwrite to replace it, or choose another -o."
    assert out.read_bytes() == OLD


def test_a_file_written_while_the_result_is_encoded_is_not_replaced(tmp_path, tiny, img, monkeypatch, capsys):
    """After the last check the file is put there only if nothing is, in one step: a file another program
    writes while the result is being encoded (after every check) is still not replaced."""
    import dpm_studio.imageio as imageio

    src, _ = img
    out = tmp_path / "o.png"
    real_atomic = imageio.atomic_write

    def meanwhile(path, write, **kw):
        def write_then_race(tmp):
            write(tmp)
            out.write_bytes(OLD)   # another program, after the checks, before the rename
        return real_atomic(path, write_then_race, **kw)

    monkeypatch.setattr(imageio, "atomic_write", meanwhile)
    assert main(_argv("denoise", src, None, out)) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == \
        "dpm-studio: error: o.png exists already: pass --overwrite to replace it, or choose another -o."
    assert out.read_bytes() == OLD
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".o.png")) == []   # no temporary left
