"""Issue 27, round two, the file side: outputs never replace what a run reads or a device, batch
folders and masks are unambiguous. Every test hashes every file involved before and after."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dpm_studio.cli.main import main

H, W = 24, 32


def _hashes(*roots) -> dict:
    """SHA-256 of every regular file under the roots (links not followed), and the kind of the rest."""
    out = {}
    for root in roots:
        root = Path(root)
        for p in [root] if not root.is_dir() or root.is_symlink() else sorted(root.rglob("*")):
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode):
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
            elif not stat.S_ISDIR(st.st_mode):
                out[str(p)] = ("link", os.readlink(p)) if stat.S_ISLNK(st.st_mode) else ("mode", stat.S_IFMT(st.st_mode))
    return out


def _photo(path, seed=0):
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (H, W, 3), dtype=np.uint8)).save(path)


def _hole(path):
    m = np.zeros((H, W), np.uint8)
    m[6:14, 8:20] = 255
    Image.fromarray(m).save(path)


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dpm-studio: error:") and "Traceback" not in err[0], err
    return err[0]


@pytest.fixture
def work(tmp_path, tiny):
    _photo(tmp_path / "rgb.png")
    _hole(tmp_path / "m.png")
    return tmp_path, tmp_path / "ckpt"


@pytest.mark.parametrize("target", ["safetensors", "json"])
@pytest.mark.parametrize("how", ["symlink", "hardlink"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_item1_output_leading_to_the_checkpoint_is_refused(work, capsys, target, how, overwrite):
    """`ln -s ckpt/tiny-rgb.safetensors ckpt.png; inpaint rgb.png --mask m.png -o ckpt.png` replaced the weights."""
    d, ckpt = work
    dest = ckpt / f"tiny-rgb.{target}"
    out = d / "ckpt.png"
    (os.symlink if how == "symlink" else os.link)(dest, out)
    before = _hashes(d)
    argv = ["inpaint", str(d / "rgb.png"), "--mask", str(d / "m.png"), "-o", str(out), "--checkpoint", "tiny-rgb",
            "--steps", "2"] + (["--overwrite"] if overwrite else [])
    assert main(argv) == 2
    line = _one_error_line(capsys)
    assert f"refusing to overwrite the checkpoint" in line and f"tiny-rgb.{target}" in line
    assert _hashes(d) == before


def test_item1_batch_output_leading_to_the_checkpoint_is_refused(work, capsys):
    d, ckpt = work
    (d / "in").mkdir()
    _photo(d / "in" / "a.png")
    (d / "out").mkdir()
    os.symlink(ckpt / "tiny-rgb.safetensors", d / "out" / "a.png")
    before = _hashes(d)
    assert main(["inpaint", str(d / "in"), "--mask", str(d / "m.png"), "-o", str(d / "out"), "--checkpoint",
                 "tiny-rgb", "--steps", "2", "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert "failed: a.png: refusing to overwrite the checkpoint weights tiny-rgb.safetensors" in err
    assert _hashes(d) == before


def _make_special(path: Path, kind: str):
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "chardev":
        if os.geteuid() != 0:
            pytest.skip("mknod of a character device needs root")
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # a null device, inside the test's folder
    elif kind == "socket":
        import socket

        s = socket.socket(socket.AF_UNIX)
        s.bind(str(path))
        s.close()


@pytest.mark.parametrize("kind", ["chardev", "fifo", "socket"])
@pytest.mark.parametrize("via", ["direct", "symlink"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_item2_output_that_is_or_leads_to_a_device_fifo_or_socket_is_refused(work, capsys, kind, via, overwrite):
    d, _ = work
    special = d / "node"
    _make_special(special, kind)
    out = d / "out.png"
    if via == "symlink":
        os.symlink(special, out)
    else:
        special.rename(out)
        special = out
    before = _hashes(d)
    argv = ["denoise", str(d / "rgb.png"), "-o", str(out), "--checkpoint", "tiny-rgb", "--sigma", "20",
            "--ensemble", "1"] + (["--overwrite"] if overwrite else [])
    assert main(argv) == 2
    line = _one_error_line(capsys)
    assert "refusing to write out.png" in line and {"chardev": "a device", "fifo": "FIFO", "socket": "a socket"}[kind] in line
    assert _hashes(d) == before
    assert not stat.S_ISREG(os.stat(special).st_mode)  # still the node, not a PNG
    assert not [p for p in d.iterdir() if p.name.endswith(".tmp")]


def test_item2_the_atomic_write_itself_never_replaces_a_node_or_follows_a_dangling_link(tmp_path):
    """Defence in depth for every writer (the app's Save, checkpoints, settings): refused before writing."""
    from dpm_studio.imageio import ImageIOError, save_image

    os.mkfifo(tmp_path / "fifo.png")
    os.symlink(tmp_path / "fifo.png", tmp_path / "link.png")
    os.symlink(tmp_path / "nowhere" / "x.png", tmp_path / "dangling.png")
    before = _hashes(tmp_path)
    for name in ("fifo.png", "link.png", "dangling.png"):
        with pytest.raises(ImageIOError, match="FIFO|missing file"):
            save_image(tmp_path / name, np.zeros((4, 4, 3), np.float32))
    assert _hashes(tmp_path) == before and not (tmp_path / "nowhere").exists()


def test_item2_batch_output_fifo_is_refused_per_image(work, capsys):
    d, _ = work
    (d / "in").mkdir()
    _photo(d / "in" / "a.png")
    _photo(d / "in" / "b.png", 1)
    (d / "out").mkdir()
    os.mkfifo(d / "out" / "a.png")
    before = _hashes(d)
    assert main(["denoise", str(d / "in"), "-o", str(d / "out"), "--checkpoint", "tiny-rgb", "--sigma", "20",
                 "--ensemble", "1", "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert "failed: a.png: refusing to write a.png: a.png is a named pipe (FIFO)" in err
    after = _hashes(d)
    assert stat.S_ISFIFO(os.lstat(d / "out" / "a.png").st_mode)
    assert {k: v for k, v in after.items() if not k.endswith("out/b.png")} == before  # only b.png was written


@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("which", ["mask", "input"])
def test_item5_batch_output_folder_that_is_the_mask_or_input_folder_is_refused(tmp_path, tiny, capsys, overwrite, which):
    src, masks = tmp_path / "in", tmp_path / "masks"
    src.mkdir()
    masks.mkdir()
    for k, name in enumerate("ab"):
        _photo(src / f"{name}.png", k)
        _hole(masks / f"{name}.png")
    out = masks if which == "mask" else src
    before = _hashes(tmp_path)
    argv = ["inpaint", str(src), "--mask", str(masks), "-o", str(out) + "/.", "--checkpoint", tiny, "--steps", "2"]
    assert main(argv + (["--overwrite"] if overwrite else [])) == 2
    line = _one_error_line(capsys)
    assert f"is the {which} folder" in line
    assert _hashes(tmp_path) == before


def test_item5_mask_folder_that_is_the_input_folder_is_refused(tmp_path, tiny, capsys):
    src = tmp_path / "in"
    src.mkdir()
    _photo(src / "a.png")
    before = _hashes(tmp_path)
    assert main(["inpaint", str(src), "--mask", str(src), "-o", str(tmp_path / "out"), "--checkpoint", tiny]) == 2
    assert "is the input folder: each image would be its own mask" in _one_error_line(capsys)
    assert _hashes(tmp_path) == before


def test_item5_single_image_output_onto_the_mask_is_refused_even_with_overwrite(work, capsys):
    d, _ = work
    before = _hashes(d)
    assert main(["inpaint", str(d / "rgb.png"), "--mask", str(d / "m.png"), "-o", str(d / "m.png"), "--checkpoint",
                 "tiny-rgb", "--steps", "2", "--overwrite"]) == 2
    assert "refusing to overwrite the mask m.png" in _one_error_line(capsys)
    assert _hashes(d) == before


def test_item10_two_masks_of_one_stem_are_an_error_naming_both(tmp_path, tiny, capsys):
    src, masks = tmp_path / "in", tmp_path / "masks"
    src.mkdir()
    masks.mkdir()
    _photo(src / "a.png")
    _photo(src / "b.png", 1)
    _hole(masks / "a.png")
    Image.fromarray(np.full((H, W), 255, np.uint8)).save(masks / "a.jpg")
    _hole(masks / "b.png")
    before = _hashes(tmp_path)
    assert main(["inpaint", str(src), "--mask", str(masks), "-o", str(tmp_path / "out"), "--checkpoint", tiny,
                 "--steps", "2"]) == 2
    line = _one_error_line(capsys)
    assert "two masks for a.png" in line and "a.jpg and a.png" in line
    assert _hashes(tmp_path) == before and not (tmp_path / "out").exists()


def test_item19_a_mask_file_inside_the_input_folder_is_not_itself_inpainted(tmp_path, tiny, capsys):
    src = tmp_path / "in"
    src.mkdir()
    _photo(src / "a.png")
    _photo(src / "b.png", 1)
    _hole(src / "m.png")
    before = _hashes(tmp_path)
    assert main(["inpaint", str(src), "--mask", str(src / "m.png"), "-o", str(tmp_path / "out"), "--checkpoint",
                 tiny, "--steps", "2"]) == 0
    err = capsys.readouterr().err
    assert "m.png is the mask: it is not itself inpainted" in err and "2 written" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png"]
    assert {k: v for k, v in _hashes(tmp_path).items() if "/out/" not in k} == before


def test_item19_output_naming_a_new_folder_makes_it(work, capsys):
    d, _ = work
    before = _hashes(d)
    assert main(["denoise", str(d / "rgb.png"), "-o", str(d / "newdir") + "/", "--checkpoint", "tiny-rgb",
                 "--sigma", "20", "--ensemble", "1"]) == 0
    assert [p.name for p in (d / "newdir").iterdir()] == ["rgb.png"]
    with Image.open(d / "newdir" / "rgb.png") as im:
        assert im.size == (W, H)
    assert {k: v for k, v in _hashes(d).items() if "/newdir/" not in k} == before


def test_item16_a_symlink_loop_in_a_batch_folder_is_skipped_with_a_line(tmp_path, tiny, capsys):
    src = tmp_path / "in"
    src.mkdir()
    _photo(src / "a.png")
    os.symlink(src / "loop2.png", src / "loop1.png")
    os.symlink(src / "loop1.png", src / "loop2.png")
    before = _hashes(tmp_path)
    status = main(["denoise", str(src), "-o", str(tmp_path / "out"), "--checkpoint", tiny, "--sigma", "20",
                   "--ensemble", "1"])
    err = capsys.readouterr().err
    assert status == 0, err
    assert "skipped: loop1.png: a loop of symbolic links" in err and "skipped: loop2.png" in err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a.png"]
    assert {k: v for k, v in _hashes(tmp_path).items() if "/out/" not in k} == before


# -- item 16: file names that are not UTF-8 -------------------------------------------------------------
RUN = """
import sys
sys.argv[0] = "dpm-studio"
from dpm_studio.cli.main import COMMANDS, main
if sys.argv[1] == "--crash":  # an unforeseen error in a command, for the last-resort handler
    COMMANDS["denoise"] = lambda args: {}["no such key"]
    sys.exit(main(["denoise", sys.argv[2], "-o", "x.png"]))
sys.exit(main(sys.argv[1:]))
"""


def _run_strict(tmp_path, *argv):
    """The command line in a subprocess whose stdout and stderr are strict UTF-8."""
    import subprocess
    import sys

    import dpm_studio

    root = Path(dpm_studio.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "PYTHONPATH": str(root),
           "XDG_STATE_HOME": str(tmp_path / "state"), "HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-c", RUN, *argv], cwd=tmp_path, env=env, capture_output=True, timeout=300)


def test_item16_a_non_utf8_name_runs_and_prints_its_own_bytes(work):
    d, _ = work
    name = os.fsdecode(b"\xff\xfe.png")
    os.rename(d / "rgb.png", d / name)
    before = _hashes(d)
    out = os.fsdecode(b"o\xff.png")
    p = _run_strict(d, "denoise", name, "-o", out, "--checkpoint", "tiny-rgb", "--sigma", "20", "--ensemble", "1")
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"o\xff.png\n"  # the name's own bytes: $(dpm-studio ...) names the file
    with Image.open(d / out) as im:
        assert im.size == (W, H)
    assert {k: v for k, v in _hashes(d).items() if not k.endswith(out)} == before


def test_item16_a_non_utf8_name_in_a_batch_does_not_abort_it(work):
    d, _ = work
    (d / "in").mkdir()
    _photo(d / "in" / os.fsdecode(b"\xff.png"))
    _photo(d / "in" / "z.png", 1)
    before = _hashes(d)
    p = _run_strict(d, "denoise", "in", "-o", "out", "--checkpoint", "tiny-rgb", "--sigma", "20", "--ensemble", "1")
    assert p.returncode == 0, p.stderr
    assert b"2 written, 0 skipped (output exists), 0 failed" in p.stderr and b"Traceback" not in p.stderr
    assert sorted(os.listdir(os.fsencode(d / "out"))) == [b"z.png", b"\xff.png"]
    assert {k: v for k, v in _hashes(d).items() if "/out/" not in k} == before


def test_item16_the_last_resort_handler_logs_a_non_utf8_name(tmp_path):
    p = _run_strict(tmp_path, "--crash", os.fsdecode(b"a\xff.png"))
    err = p.stderr.decode("utf-8").strip().splitlines()
    assert p.returncode == 70 and len(err) == 1 and "internal error: KeyError" in err[0], p.stderr
    log = (tmp_path / "state" / "dpm-studio" / "last-error.log").read_text("utf-8")
    assert "a\\udcff.png" in log and "no such key" in log


@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("onto", ["another-input", "a-mask"])
def test_item1_a_batch_output_linked_to_another_input_or_a_mask_is_refused(tmp_path, tiny, capsys, overwrite, onto):
    src, masks, out = tmp_path / "in", tmp_path / "masks", tmp_path / "out"
    for folder in (src, masks, out):
        folder.mkdir()
    for k, name in enumerate("ab"):
        _photo(src / f"{name}.png", k)
        _hole(masks / f"{name}.png")
    os.link(src / "b.png" if onto == "another-input" else masks / "b.png", out / "a.png")  # a hard link
    before = _hashes(tmp_path)
    argv = ["inpaint", str(src), "--mask", str(masks), "-o", str(out), "--checkpoint", tiny, "--steps", "2"]
    assert main(argv + (["--overwrite"] if overwrite else [])) == 2
    line = _one_error_line(capsys)
    assert f"would write a.png over the {'input' if onto == 'another-input' else 'mask'} b.png" in line
    assert _hashes(tmp_path) == before
