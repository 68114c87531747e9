"""atomic_write(..., replace=False): a file at the target is never replaced, even one that appears while
the temporary file is written; the link-less fallback keeps the rule too."""

import errno
import os

import pytest

from dpm_studio.core.files import atomic
from dpm_studio.core.files.atomic import OutputExists, atomic_write


def _write(data):
    def write(tmp):
        with open(tmp, "wb") as f:
            f.write(data)
    return write


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_new_file_is_written_and_no_temporary_is_left(tmp_path):
    out = tmp_path / "new.png"
    atomic_write(out, _write(b"new"), replace=False)
    assert out.read_bytes() == b"new" and _leftovers(tmp_path) == []
    assert os.stat(out).st_nlink == 1   # the temporary's name is gone, not a second link


def test_an_existing_file_is_kept(tmp_path):
    out = tmp_path / "old.png"
    out.write_bytes(b"old")
    with pytest.raises(OutputExists):
        atomic_write(out, _write(b"new"), replace=False)
    assert out.read_bytes() == b"old" and _leftovers(tmp_path) == []
    atomic_write(out, _write(b"new"))   # replace=True (the default) still replaces
    assert out.read_bytes() == b"new"


def test_a_file_that_appears_during_the_write_is_kept(tmp_path):
    out = tmp_path / "race.png"

    def write(tmp):
        _write(b"new")(tmp)
        out.write_bytes(b"theirs")
    with pytest.raises(OutputExists):
        atomic_write(out, write, replace=False)
    assert out.read_bytes() == b"theirs" and _leftovers(tmp_path) == []


@pytest.mark.parametrize("appears", [False, True])
def test_without_hard_links_the_rule_holds(tmp_path, monkeypatch, appears):
    def no_link(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")
    monkeypatch.setattr(atomic.os, "link", no_link)
    out = tmp_path / "fat.png"
    if appears:
        out.write_bytes(b"theirs")
        with pytest.raises(OutputExists):
            atomic_write(out, _write(b"new"), replace=False)
        assert out.read_bytes() == b"theirs"
    else:
        atomic_write(out, _write(b"new"), replace=False)
        assert out.read_bytes() == b"new"
    assert _leftovers(tmp_path) == []
