"""Writes that really fail, for root too (these tests run as root, where chmod stops nothing):
a read-only file system and a full disk, each a tmpfs mounted in a private mount namespace
(``unshare -m``: the mount never reaches the machine's; skipped where mounting is not allowed),
and a file size limit (RLIMIT_FSIZE, which binds root and needs no privilege). Each: one line
naming the cause and a non-zero exit; the input, and an output already there, byte for byte as
they were; no temporary file left; a refusal before the run where the folder cannot be written."""

from __future__ import annotations

import hashlib
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def _sha(p: Path) -> str:
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def can_mount(tmp_path_factory):
    d = tmp_path_factory.mktemp("probe")
    if shutil.which("unshare") is None:
        pytest.skip("no unshare")
    r = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs '{d}'"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a private namespace here: {r.stderr.strip()}")


@pytest.fixture
def files(tmp_path):
    """in.png (128 x 128 noise: a 49 KB PNG result), m.png, old.png (an earlier output, 30 KB), and a
    folder of four inputs for a batch."""
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)).save(tmp_path / "in.png")
    m = np.zeros((128, 128), np.uint8)
    m[50:70, 50:70] = 255
    Image.fromarray(m).save(tmp_path / "m.png")
    Image.fromarray(rng.integers(0, 256, (100, 100, 3), dtype=np.uint8)).save(tmp_path / "old.png")
    (tmp_path / "batch").mkdir()
    for name in "abcd":
        shutil.copy(tmp_path / "in.png", tmp_path / "batch" / f"{name}.png")
    return tmp_path


def _in_namespace(tmp: Path, size: str, read_only: bool, args: list[str], seed_name="out.png"):
    """Mount a tmpfs of ``size`` on tmp/mnt in a private namespace, put old.png there as ``seed_name``
    (then remount it read-only if asked), run dpm-studio ``args`` (MNT in them names the mount), and
    return (exit status, stderr, the mount's listing, the seeded file's hash as left)."""
    mnt = tmp / "mnt"
    mnt.mkdir(exist_ok=True)
    cmd = " ".join(f"'{a}'" for a in [sys.executable, "-m", "dpm_studio", *[a.replace("MNT", str(mnt)) for a in args]])
    script = f"""set -e
mount -t tmpfs -o size={size} tmpfs '{mnt}'
cp '{tmp}/old.png' '{mnt}/{seed_name}'
{"mount -o remount,ro '%s'" % mnt if read_only else ""}
set +e
{cmd} 2> '{tmp}/stderr'
echo $? > '{tmp}/rc'
ls -A '{mnt}' > '{tmp}/listing'
sha256sum '{mnt}/{seed_name}' | cut -d' ' -f1 > '{tmp}/seed.sha'
"""
    r = subprocess.run(["unshare", "-m", "bash", "-c", script], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    err = (tmp / "stderr").read_text().replace("\r", "\n")
    return (int((tmp / "rc").read_text()), err, (tmp / "listing").read_text().split(),
            (tmp / "seed.sha").read_text().strip())


def _lines(err: str, prefix: str) -> list[str]:
    return [ln for ln in err.splitlines() if ln.startswith(prefix)]


def test_a_read_only_file_system_is_refused_before_the_run_keeping_the_old_output(files, tiny, can_mount):
    before = _sha(files / "in.png")
    rc, err, listing, seed = _in_namespace(files, "1m", True, [
        "inpaint", str(files / "in.png"), "--mask", str(files / "m.png"), "-o", "MNT/out.png", "--overwrite",
        "--checkpoint", tiny, "--steps", "1", "--jump-length", "0"])
    assert rc == 2 and "Traceback" not in err
    assert _lines(err, "dpm-studio: error:") == [
        f"dpm-studio: error: cannot save out.png: {files / 'mnt'} is on a read-only file system; choose another folder."]
    assert "inpaint [" not in err  # refused before the run, not after it
    assert listing == ["out.png"] and seed == _sha(files / "old.png") and _sha(files / "in.png") == before


def test_a_batch_into_a_read_only_folder_is_one_line_not_one_per_image(files, tiny, can_mount):
    rc, err, listing, seed = _in_namespace(files, "1m", True, [
        "denoise", str(files / "batch"), "-o", "MNT", "--overwrite", "--checkpoint", tiny, "--sigma", "20",
        "--ensemble", "1"], seed_name="a.png")
    assert rc == 2 and "Traceback" not in err
    assert len(_lines(err, "dpm-studio:")) == 1 and "read-only file system" in err and "failed:" not in err
    assert listing == ["a.png"] and seed == _sha(files / "old.png")


def test_a_full_disk_keeps_the_old_output_and_leaves_no_temporary_file(files, tiny, can_mount):
    rc, err, listing, seed = _in_namespace(files, "64k", False, [
        "inpaint", str(files / "in.png"), "--mask", str(files / "m.png"), "-o", "MNT/out.png", "--overwrite",
        "--checkpoint", tiny, "--steps", "1", "--jump-length", "0"])
    assert rc == 2 and "Traceback" not in err
    assert _lines(err, "dpm-studio: error:") == [
        "dpm-studio: error: cannot save out.png: the disk is full; free some space or choose another folder."]
    assert listing == ["out.png"] and seed == _sha(files / "old.png")


def test_a_batch_onto_a_full_disk_stops_at_the_first_image_that_cannot_be_saved(files, tiny, can_mount):
    rc, err, listing, seed = _in_namespace(files, "64k", False, [
        "denoise", str(files / "batch"), "-o", "MNT", "--overwrite", "--checkpoint", tiny, "--sigma", "20",
        "--ensemble", "1"], seed_name="a.png")
    assert rc == 1 and "Traceback" not in err
    assert _lines(err, "dpm-studio: failed:") == [
        "dpm-studio: failed: a.png: cannot save a.png: the disk is full; free some space or choose another folder."]
    assert "the batch stops: 3 images not run" in err and "[2/4]" not in err  # no run spent on b, c, d
    assert listing == ["a.png"] and seed == _sha(files / "old.png")


def _file_size_limit(limit):
    def set_limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    return set_limit


def test_a_file_size_limit_is_named_and_keeps_the_old_output(files, tiny):
    """ulimit -f binds root too; Python ignores SIGXFSZ, so the write fails with EFBIG half-way."""
    out = files / "out.png"
    shutil.copy(files / "old.png", out)
    before = {p.name: _sha(p) for p in files.iterdir() if p.is_file()}
    r = subprocess.run([sys.executable, "-m", "dpm_studio", "inpaint", str(files / "in.png"), "--mask",
                        str(files / "m.png"), "-o", str(out), "--overwrite", "--checkpoint", tiny, "--steps", "1",
                        "--jump-length", "0"], preexec_fn=_file_size_limit(40_000), capture_output=True, text=True,
                       timeout=600)
    err = r.stderr.replace("\r", "\n")
    assert r.returncode == 2 and "Traceback" not in err
    assert _lines(err, "dpm-studio: error:") == [
        "dpm-studio: error: cannot save out.png: it would be larger than this system lets a program write (a file "
        "size limit: ulimit -f, or the file system's largest file); choose another folder or a smaller format."]
    assert {p.name: _sha(p) for p in files.iterdir() if p.is_file()} == before  # no temporary file, old output kept


def test_writing_over_the_input_on_a_full_disk_keeps_the_input(files, tiny, can_mount):
    """-o the input itself with --overwrite: the input is replaced only by a finished result; a disk
    that fills up half-way leaves it byte for byte."""
    rc, err, listing, seed = _in_namespace(files, "48k", False, [
        "denoise", "MNT/photo.png", "-o", "MNT/photo.png", "--overwrite", "--checkpoint", tiny, "--sigma", "20",
        "--ensemble", "1"], seed_name="photo.png")
    assert rc == 2 and "Traceback" not in err and "the disk is full" in err
    assert listing == ["photo.png"] and seed == _sha(files / "old.png")
