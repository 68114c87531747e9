"""An atomic write is durable too (benchmarks/hostile_inputs.py round seven, interrupted writes): the
temporary file's data reached the disk only when the kernel chose, so a power cut just after the rename
could leave the result's name on an empty file with the old contents gone (ext4's delayed allocation).
Now the file is synced before the rename and the folder after it."""

import os

from dpm_studio.core.files import atomic


def test_the_data_is_synced_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        where = f"/proc/self/fd/{fd}"
        events.append(("sync", "folder" if os.path.isdir(where) else os.readlink(where), os.fstat(fd).st_size))
        return real_fsync(fd)

    def replace(a, b):
        events.append(("rename", str(a), str(b)))
        return real_replace(a, b)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(atomic.os, "replace", replace)
    atomic.atomic_write(target, lambda tmp: open(tmp, "wb").write(b"new contents"))
    assert target.read_bytes() == b"new contents"
    kinds = [e[0] for e in events]
    assert kinds == ["sync", "rename", "sync"], events
    assert events[0][1] == events[1][1] and events[0][2] == len(b"new contents")  # the temporary file, written whole
    assert events[2][1] == "folder"


def test_a_new_file_put_by_a_hard_link_is_synced_too(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (synced.append(os.fstat(fd).st_size), real_fsync(fd))[1])
    atomic.atomic_write(tmp_path / "new.png", lambda tmp: open(tmp, "wb").write(b"12345"), replace=False)
    assert (tmp_path / "new.png").read_bytes() == b"12345"
    assert synced and synced[0] == 5 and len(synced) == 2
