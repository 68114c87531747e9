"""Issue 27, round two, the decoders: every numeric TIFF type read right or refused naming it,
bounded PNG inflation, no SIGBUS on a TIFF cut short, 16-bit PNG EXIF orientation, oversized
ICC profiles, EXIF too large for a JPEG, stale temporary files. Through the command line (in a
subprocess under a memory limit where memory is the point), with every file hashed before and after."""

from __future__ import annotations

import functools
import hashlib
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from dpm_studio.cli.main import main

import dpm_studio

ROOT = Path(dpm_studio.__file__).resolve().parents[1]  # the tree under test (subprocesses import it too)
H, W = 24, 32


def _hashes(folder) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(folder).iterdir()) if p.is_file()}


def _hole(path, h=H, w=W):
    m = np.zeros((h, w), np.uint8)
    m[8:12, 10:14] = 255
    Image.fromarray(m).save(path)
    return m > 0


def _lines(capsys):
    return capsys.readouterr().err.strip().splitlines()


# -- item 8: TIFF sample types --------------------------------------------------------------------------
def _values(kind: str) -> np.ndarray:
    rng = np.random.default_rng(1)
    u = rng.random((H, W, 3))
    return {
        "float32-near-max": (u * 3.0e38).astype(np.float32),        # the 2^128 scale overflowed: read as all 0
        "float16": u.astype(np.float16),
        "float64-in-float32": (u * 1000).astype(np.float32).astype(np.float64),
        "float32-signed": (u * 1000 - 200).astype(np.float32),
        "int8": rng.integers(-128, 128, (H, W, 3)).astype(np.int8),
        "int16": rng.integers(-32768, 32768, (H, W, 3)).astype(np.int16),
        "int32": rng.integers(-1_000_000, 1_000_000, (H, W, 3)).astype(np.int32),
        "uint32": rng.integers(0, 10_000_000, (H, W, 3)).astype(np.uint32),
        "int64": rng.integers(-5_000_000, 5_000_000, (H, W, 3)).astype(np.int64),
    }[kind]


@pytest.mark.parametrize("kind", ["float32-near-max", "float16", "float64-in-float32", "float32-signed", "int8", "int16",
                                  "int32", "uint32", "int64"])
def test_item8_each_tiff_type_round_trips_exactly_through_inpainting(tmp_path, tiny, capsys, kind):
    """Inpainting keeps every known pixel: the saved TIFF holds the input's values exactly there (signed
    floats, mapped from [min, max] into float32 pixels, to float32 rounding of that span)."""
    a = _values(kind)
    tifffile.imwrite(tmp_path / "in.tif", a, photometric="rgb")
    hole = _hole(tmp_path / "m.png")
    before = _hashes(tmp_path)
    assert main(["inpaint", str(tmp_path / "in.tif"), "--mask", str(tmp_path / "m.png"), "-o",
                 str(tmp_path / "out.tif"), "--checkpoint", tiny, "--steps", "2"]) == 0, _lines(capsys)
    out = tifffile.imread(tmp_path / "out.tif").astype(np.float64)
    assert np.isfinite(out).all()
    want = a.astype(np.float64)
    tol = (want.max() - want.min()) * 2.0 ** -23 if kind == "float32-signed" else 0.0
    np.testing.assert_allclose(out[~hole], want[~hole], rtol=0, atol=tol)
    assert {k: v for k, v in _hashes(tmp_path).items() if k != "out.tif"} == before


@pytest.mark.parametrize("kind,why", [
    ("float64-1e300", r"its float64 values reach 1e\+300, beyond the float32 range"),
    ("outlier", r"its float32 values span -1e\+30 to .* but 98% of them lie within"),
    ("complex64", r"its samples are complex64, a type DPM Studio does not read"),
])
def test_item8_what_float32_cannot_hold_is_refused_in_one_line_naming_the_type(tmp_path, tiny, capsys, kind, why):
    import re

    u = np.random.default_rng(2).random((H, W, 3))
    a = {"float64-1e300": u * 1e300, "outlier": u.astype(np.float32),
         "complex64": (u + 1j * u).astype(np.complex64)}[kind]
    if kind == "outlier":
        a[3, 4, 0] = -1e30  # a no-data marker: everything else was read as one flat value
    tifffile.imwrite(tmp_path / "in.tif", a, photometric="rgb")
    before = _hashes(tmp_path)
    assert main(["denoise", str(tmp_path / "in.tif"), "-o", str(tmp_path / "out.tif"), "--checkpoint", tiny,
                 "--sigma", "10", "--ensemble", "1"]) == 2
    err = _lines(capsys)
    assert len(err) == 1 and err[0].startswith("dpm-studio: error: in.tif: ") and re.search(why, err[0]), err
    assert _hashes(tmp_path) == before


# -- items 11 and 12: bounded in a subprocess ---------------------------------------------------------------
BOUNDED = """
import resource, sys, time
import dpm_studio.cli.main, dpm_studio.core, torch  # imported before the limit: only the run is bounded
from dpm_studio.cli.main import main
vm = int([l for l in open("/proc/self/status") if l.startswith("VmSize")][0].split()[1]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + int(sys.argv[1]) * 2 ** 20, resource.RLIM_INFINITY))
t0 = time.perf_counter()
status = main(sys.argv[2:])
print("seconds", round(time.perf_counter() - t0, 1), file=sys.stderr)
sys.exit(status)
"""


def _bounded(tmp_path, mib, *argv, timeout=120):
    """The command line with at most ``mib`` MiB of address space beyond its imports, and a time limit."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_STATE_HOME": str(tmp_path / "state"), "HOME": str(tmp_path),
           "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", BOUNDED, str(mib), *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _deflate_then_zeros(head: bytes, n: int) -> bytes:
    """A zlib stream of ``head`` then ``n`` zero bytes. Run-length strategy: the same 1,032:1 stream
    as level 9 in half its time (1.4 s CPU a gibibyte against 2.5)."""
    d = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_RLE)
    block = bytes(1 << 20)
    return d.compress(head) + b"".join(d.compress(block) for _ in range(n >> 20)) + d.flush()


@functools.cache
def _zeros_deflated(n: int) -> bytes:  # shared by the tests: made once per run
    return _deflate_then_zeros(b"", n)


def _png16(w: int, h: int, rows: bytes, *extra: bytes, idat: bytes | None = None) -> bytes:
    head = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
    return head + b"".join(extra) + _chunk(b"IDAT", idat if idat is not None else zlib.compress(rows)) \
        + _chunk(b"IEND", b"")


GIB = 1 << 30


@pytest.mark.parametrize("where", ["IDAT", "iCCP", "iTXt"])
def test_item11_a_png16_inflating_to_a_gibibyte_loads_within_a_bound(tmp_path, tiny, where):
    """A 1 MB file whose pixel data, ICC profile or text inflates to 1 GiB: the pixels are inflated
    only as far as the header declares, the profile or text is dropped; 400 MiB is plenty."""
    w = h = 64
    rows = b"".join(b"\x00" + (bytes(range(256)) * 2)[:w * 6] for _ in range(h))
    if where == "IDAT":  # the declared rows, then a gibibyte of zeros in the same stream
        data = _png16(w, h, b"", idat=_deflate_then_zeros(rows, GIB))
    elif where == "iCCP":
        data = _png16(w, h, rows, _chunk(b"iCCP", b"icc\0\0" + _zeros_deflated(GIB)))
    else:
        data = _png16(w, h, rows, _chunk(b"iTXt", b"dpm-studio\0\1\0\0\0" + _zeros_deflated(GIB)))
    assert len(data) < 1_200_000
    (tmp_path / "bomb.png").write_bytes(data)
    before = _hashes(tmp_path)
    p = _bounded(tmp_path, 400, "denoise", "bomb.png", "-o", "out.png", "--checkpoint", tiny, "--sigma", "10",
                 "--ensemble", "1")
    assert p.returncode == 0, p.stderr
    if where == "iCCP":
        assert "its ICC profile inflates beyond 1,024 KB: it is ignored" in p.stderr
    with Image.open(tmp_path / "out.png") as im:
        assert im.size == (w, h)
    assert {k: v for k, v in _hashes(tmp_path).items() if k != "out.png"} == before


def test_item11_a_tall_thin_paeth_png16_is_unfiltered_a_band_at_a_time(tmp_path, tiny):
    """1 x 20000, every row Paeth-filtered: the diagonal rebuild took 3.3 GB; by bands it takes little."""
    h = 20000
    rng = np.random.default_rng(3)
    px = rng.integers(0, 65536, (h, 1, 3), dtype=np.uint16)
    be = px.astype(">u2").view(np.uint8).reshape(h, 6)
    up = be.copy()
    up[1:] = be[1:] - be[:-1]  # Paeth on a 1-pixel row predicts the pixel above
    rows = np.concatenate([np.full((h, 1), 4, np.uint8), up], axis=1).tobytes()
    (tmp_path / "thin.png").write_bytes(_png16(1, h, rows))
    hole = np.zeros((h, 1), np.uint8)
    hole[100:110] = 255
    Image.fromarray(hole).save(tmp_path / "m.png")
    before = _hashes(tmp_path)
    p = _bounded(tmp_path, 900, "inpaint", "thin.png", "--mask", "m.png", "-o", "out.tif", "--checkpoint", tiny,
                 "--steps", "1", "--precision", "fp32", timeout=300)
    assert p.returncode == 0, p.stderr
    out = tifffile.imread(tmp_path / "out.tif").reshape(h, 1, 3)
    known = np.ones(h, bool)
    known[100:110] = False
    np.testing.assert_array_equal(out[known], px[known])  # decoded exactly (known pixels are kept)
    assert {k: v for k, v in _hashes(tmp_path).items() if k != "out.tif"} == before


def test_item11_a_3_gb_sparse_file_with_a_png16_header_is_refused_at_once(tmp_path, tiny):
    head = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 16, 2, 0, 0, 0))
    with open(tmp_path / "sparse.png", "wb") as f:
        f.write(head)
        f.truncate(3 * GIB)  # sparse: no disk space used
    p = _bounded(tmp_path, 400, "denoise", "sparse.png", "-o", "out.png", "--checkpoint", tiny, "--sigma", "10")
    err = p.stderr.strip().splitlines()
    assert p.returncode == 2 and "sparse.png cannot be read" in err[0] and "invalid type" in err[0], p.stderr
    assert float(err[-1].split()[1]) < 10 and not (tmp_path / "out.png").exists()


TRUNCATE_WHILE_READING = """
import os, sys, threading, time
import numpy as np
from dpm_studio.core.files import formats
path = sys.argv[1]
real = formats.to_unit
def slow_to_unit(samples, *a, **k):  # cut the file short between the header and the pixel reads
    os.truncate(path, 4096)
    return real(samples, *a, **k)
formats.to_unit = slow_to_unit
from dpm_studio.cli.main import main
sys.exit(main(["denoise", path, "-o", "out.tif", "--checkpoint", "tiny-rgb", "--sigma", "10", "--ensemble", "1"]))
"""


def test_item12_a_tiff_truncated_while_loading_is_one_line_not_sigbus(tmp_path, tiny):
    a = np.random.default_rng(4).integers(0, 65536, (512, 512, 3), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "big.tif", a, photometric="rgb")  # uncompressed: was memory-mapped
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "s")}
    p = subprocess.run([sys.executable, "-c", TRUNCATE_WHILE_READING, str(tmp_path / "big.tif")], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=120)
    err = p.stderr.strip().splitlines()
    assert p.returncode == 2, (p.returncode, p.stderr)  # -7 (SIGBUS) before
    assert len(err) == 1 and "big.tif cannot be read: its data stops before the picture is complete" in err[0], err
    assert not (tmp_path / "out.tif").exists()


# -- item 19 --------------------------------------------------------------------------------------------
def test_item19_a_16_bit_png_is_turned_upright_by_its_exif_orientation(tmp_path, tiny, capsys):
    px = np.random.default_rng(5).integers(0, 65536, (H, W, 3), dtype=np.uint16)
    ex = Image.Exif()
    ex[0x0112] = 6  # stored rotated: shown turned 90 degrees clockwise
    ex[0x010F] = "TestMaker"
    rows = np.concatenate([np.zeros((H, 1), np.uint8), px.astype(">u2").view(np.uint8).reshape(H, W * 6)], 1)
    (tmp_path / "r.png").write_bytes(_png16(W, H, rows.tobytes(), _chunk(b"eXIf", ex.tobytes()[6:])))
    hole = np.zeros((W, H), np.uint8)  # the upright image is H wide and W tall
    hole[2:4, 2:4] = 255
    Image.fromarray(hole).save(tmp_path / "m.png")
    before = _hashes(tmp_path)
    assert main(["inpaint", str(tmp_path / "r.png"), "--mask", str(tmp_path / "m.png"), "-o",
                 str(tmp_path / "out.tif"), "--checkpoint", tiny, "--steps", "1"]) == 0, _lines(capsys)
    upright = np.rot90(px, -1)  # orientation 6: rotate 90 degrees clockwise
    out = tifffile.imread(tmp_path / "out.tif")
    assert out.shape == upright.shape
    np.testing.assert_array_equal(out[4:], upright[4:])
    assert {k: v for k, v in _hashes(tmp_path).items() if k != "out.tif"} == before


@pytest.mark.parametrize("fmt", ["jpg", "tif"])
def test_item19_a_20_mb_icc_profile_is_not_carried_into_an_output_that_would_not_load(tmp_path, tiny, capsys, fmt):
    px = np.random.default_rng(6).integers(0, 256, (H, W, 3), dtype=np.uint8)
    icc = b"\0\0\0\0" + bytes(np.random.default_rng(7).integers(0, 256, 20 * 2 ** 20, dtype=np.uint8))
    if fmt == "jpg":
        Image.fromarray(px).save(tmp_path / "in.jpg", icc_profile=icc[:16_000_000])
    else:
        tifffile.imwrite(tmp_path / "in.tif", px, photometric="rgb", iccprofile=icc)
    before = _hashes(tmp_path)
    assert main(["denoise", str(tmp_path / f"in.{fmt}"), "-o", str(tmp_path / "out.png"), "--checkpoint", tiny,
                 "--sigma", "10", "--ensemble", "1"]) == 0
    err = capsys.readouterr().err
    assert "its ICC profile is" in err and "it is ignored" in err
    from dpm_studio.imageio import load_image

    assert load_image(tmp_path / "out.png").pixels.shape == (H, W, 3)  # the output opens
    assert {k: v for k, v in _hashes(tmp_path).items() if k != "out.png"} == before


def test_item19_an_exif_too_large_for_a_jpeg_is_refused_before_the_run(tmp_path, tiny, capsys, monkeypatch):
    ex = Image.Exif()
    ex[0x010E] = "x" * 70_000  # ImageDescription: a 70 KB EXIF block
    Image.fromarray(np.random.default_rng(8).integers(0, 256, (H, W, 3), dtype=np.uint8)).save(
        tmp_path / "in.png", exif=ex.tobytes())
    from dpm_studio.cli import restore as cr

    monkeypatch.setattr(cr, "_run_to_end", lambda *a, **k: pytest.fail("the run started"))
    before = _hashes(tmp_path)
    assert main(["denoise", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.jpg"), "--checkpoint", tiny,
                 "--sigma", "10", "--ensemble", "1"]) == 2
    err = _lines(capsys)
    assert len(err) == 1 and "the input's EXIF block is" in err[0] and "more than a JPEG holds (65,533)" in err[0], err
    assert _hashes(tmp_path) == before


# -- item 19: temporary files left by a signal ------------------------------------------------------------
WRITER = """
import sys, time
from dpm_studio.core.files import atomic
def slow(tmp):
    with open(tmp, "wb") as f:
        f.write(b"x" * 100_000); f.flush()
        print("writing", flush=True)
        time.sleep(60)
atomic.atomic_write(sys.argv[1], slow)
"""


def _interrupted_save(folder: Path, sig) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-c", WRITER, str(folder / "out.png")], stdout=subprocess.PIPE, text=True,
                         env=env)
    try:
        assert p.stdout.readline().strip() == "writing"
        assert [q for q in folder.iterdir() if q.name.endswith(".tmp")]  # the partial file exists now
        p.send_signal(sig)
        return p.wait(timeout=60)
    finally:
        p.kill()
        p.wait()


@pytest.mark.parametrize("name", ["SIGQUIT", "SIGUSR1", "SIGALRM"])
def test_item19_other_signals_during_a_save_leave_no_temporary_file(tmp_path, name):
    import signal

    d = tmp_path / "w"
    d.mkdir()
    (d / "out.png").write_bytes(b"the previous version")
    sig = getattr(signal, name)
    assert _interrupted_save(d, sig) == -sig
    assert sorted(q.name for q in d.iterdir()) == ["out.png"]
    assert (d / "out.png").read_bytes() == b"the previous version"


def test_item19_a_temporary_file_left_by_sigkill_is_cleaned_by_the_next_save_there(tmp_path, tiny, capsys):
    import signal

    d = tmp_path / "photos"
    d.mkdir()
    (d / "out.png").write_bytes(b"the previous version")
    assert _interrupted_save(d, signal.SIGKILL) == -signal.SIGKILL
    [left] = [q for q in d.iterdir() if q.name.endswith(".tmp")]
    hour_ago = os.stat(left).st_mtime - 3600
    os.utime(left, (hour_ago, hour_ago))
    (d / ".fresh.png.dpm-abcd1234.tmp").write_bytes(b"being written by another save now")  # recent: kept
    (d / ".notes.abcdefgh.tmp").write_bytes(b"a user's own file")  # not ours: kept however old
    os.utime(d / ".notes.abcdefgh.tmp", (hour_ago, hour_ago))
    Image.fromarray(np.random.default_rng(9).integers(0, 256, (H, W, 3), dtype=np.uint8)).save(d / "in.png")
    before = _hashes(d)
    del before[left.name]
    assert main(["denoise", str(d / "in.png"), "-o", str(d / "res.png"), "--checkpoint", tiny, "--sigma", "10",
                 "--ensemble", "1"]) == 0, _lines(capsys)
    after = _hashes(d)
    assert left.name not in after
    assert {k: v for k, v in after.items() if k != "res.png"} == before
