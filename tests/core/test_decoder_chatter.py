"""While a TIFF is decoded, file descriptor 2 points at a file of the decoder's (libtiff writes its
messages there itself: core/files/chatter.py). It is the process's descriptor, not the thread's: a line
another thread wrote to stderr in that window was taken into the file's note (and never reached the
terminal), and two TIFFs decoded at once each restored the other's descriptor. Now one decode at a time
diverts it, only libtiff's lines are the file's, and everything else goes on to the real stderr."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from dpm_studio import imageio
from dpm_studio.core.files import chatter, decode
from faulty_files import lzw_tiff_with_bad_codes, tiff_with_a_tag_past_its_end


def _during_each_decode(monkeypatch, action):
    """Run ``action`` in another thread while each file is decoded (descriptor 2 diverted)."""
    real = decode._load_image

    def load(path):
        t = threading.Thread(target=action)
        t.start()
        t.join()
        return real(path)

    monkeypatch.setattr(decode, "_load_image", load)


def test_another_threads_stderr_during_a_decode_reaches_stderr_not_the_note(tmp_path, monkeypatch, capfd):
    def write():
        os.write(2, b"run thread: step 3 of 10\n")
        print("RuntimeWarning: a warning of another thread's", file=sys.stderr, flush=True)

    _during_each_decode(monkeypatch, write)
    bad = lzw_tiff_with_bad_codes(tmp_path / "scan.tif")
    capfd.readouterr()
    with pytest.raises(imageio.ImageIOError) as e:
        imageio.load_image(bad)
    err = capfd.readouterr().err
    assert "run thread: step 3 of 10\n" in err and "a warning of another thread's" in err, err
    assert "run thread" not in str(e.value) and "another thread" not in str(e.value)
    assert str(e.value) == ("scan.tif cannot be read: its compressed pixel data is damaged; copy it again from where it "
                            "came from")
    assert "Using code" not in err  # libtiff's own lines are still the file's, off the terminal

    damaged = tiff_with_a_tag_past_its_end(tmp_path / "tags.tif")
    data = imageio.load_image(damaged)
    assert not any("run thread" in n for n in data.notes), data.notes
    assert "run thread: step 3 of 10\n" in capfd.readouterr().err


def test_two_tiffs_decoded_at_once_each_keep_their_own_messages(tmp_path, monkeypatch, capfd):
    """Without one decode at a time, the second diversion saved the first's file as "stderr" and restored
    it, so libtiff's lines of the later decode went into the earlier file's sink or to the terminal."""
    bads = [lzw_tiff_with_bad_codes(tmp_path / f"scan{k}.tif") for k in range(4)]
    real = decode._load_image

    def slow(path):  # each decode holds descriptor 2 long enough for the others to start
        time.sleep(0.05)
        return real(path)

    monkeypatch.setattr(decode, "_load_image", slow)
    errors = {}

    def load(p):
        try:
            imageio.load_image(p)
        except imageio.ImageIOError as e:
            errors[p.name] = str(e)

    capfd.readouterr()
    threads = [threading.Thread(target=load, args=(p,)) for p in bads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert capfd.readouterr().err == ""
    assert errors == {p.name: f"{p.name} cannot be read: its compressed pixel data is damaged; copy it again "
                      "from where it came from" for p in bads}


def test_only_libtiffs_lines_are_taken_as_the_files():
    for line in ("tempfile.tif: Using code not yet in table.", "LZWDecode: Not enough data at scanline 3 (short 9 bytes).",
                 'TIFFFetchNormalTag: Incompatible type for "RowsPerStrip".', "ZIPDecode: Decoding error at scanline 0."):
        assert chatter._LIBTIFF_LINE.fullmatch(line), line
    for line in ("RuntimeWarning: x", "/a/b.py:12: UserWarning: y", "dpm-studio: note: z", "run thread: step 3 of 10",
                 "Traceback (most recent call last):", "  warnings.warn(x)"):
        assert not chatter._LIBTIFF_LINE.fullmatch(line), line


def test_pillows_logged_error_on_a_tiff_is_the_files_not_the_terminals(tmp_path, capfd, monkeypatch):
    """Pillow's TIFF reader logs "More samples per pixel than can be decoded: 771" (logging's last resort wrote
    it to stderr, found by the full benchmark once only libtiff's lines were kept from descriptor 2)."""
    import io
    import logging

    import numpy as np
    from PIL import Image

    monkeypatch.setattr(logging.getLogger(), "handlers", [])  # as outside pytest: logging's last resort, stderr
    b = io.BytesIO()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(b, "TIFF", compression="tiff_lzw")
    data = bytearray(b.getvalue())
    entry = data.find(bytes([0x15, 0x01, 0x03, 0x00]))  # tag 277 (SamplesPerPixel), SHORT, little-endian
    data[entry + 8: entry + 10] = (771).to_bytes(2, "little")
    (tmp_path / "spp.tif").write_bytes(bytes(data))
    capfd.readouterr()
    with pytest.raises(imageio.ImageIOError) as e:
        imageio.load_image(tmp_path / "spp.tif")
    assert capfd.readouterr().err == ""
    # a TIFF whose decoder said why: that, not "not an image file in a format DPM Studio reads"
    assert str(e.value) == ("spp.tif cannot be read: some of its tags, the entries that describe the picture, are "
                            "damaged (SamplesPerPixel); copy it again from where it came from"), str(e.value)
