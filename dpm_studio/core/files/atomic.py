"""Atomic file writes: a temporary file in the target folder, then a rename.

A write that fails (a full disk, a permission problem, an exception in the writer) leaves
no partial file behind and the previous version, if any, untouched. Also:

- SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGALRM during a write remove its temporary
  file before the process ends the way it would have (the previous handler runs, or the
  default action); what no handler can catch (SIGKILL, a power cut) leaves a hidden
  ``.NAME.dpm-XXXXXXXX.tmp``, removed by the next save in that folder once it has not been
  written to for :data:`STALE_SECONDS` (a write in progress touches its file continually);
- a file written over keeps its permission bits (a mode-600 file stays 600), and a
  symbolic link keeps pointing where it did: the regular file it points to is replaced;
- nothing but a regular file (or a new name) is ever replaced: a device, FIFO or socket,
  a link to one, or a link to a missing file is refused (:class:`NotWritable`, a
  ValueError) before anything is written;
- the temporary name is short (at most 32 characters of the target's name), so a legal
  250-character name can be saved;
- the temporary file is flushed to the disk before it is renamed, and the folder after (a power cut
  right after a save keeps the old file or the new one, never an empty one).
"""

from __future__ import annotations

import errno
import os
import re
import signal
import stat
import tempfile
import threading
import time
from pathlib import Path

#: Temporary files being written now (removed on SIGTERM/SIGHUP).
_PENDING: set[str] = set()
_LOCK = threading.Lock()
_INSTALLED: dict[int, object] = {}


#: Signals whose handler removes the temporary files being written (SIGINT raises KeyboardInterrupt,
#: which the write's own clean-up handles).
SIGNALS = ("SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM")
#: A temporary file of ours not written to for this long is a leftover (SIGKILL, a crash).
STALE_SECONDS = 15 * 60
#: Our temporary files: ``.`` + up to 32 characters of the target's name + ``.dpm-`` + mkstemp's 8.
_OURS = re.compile(r"\..{1,32}\.dpm-[a-z0-9_]{8}\.tmp", re.S)
#: Folders cleaned of stale temporary files by this process already (once each is enough).
_CLEANED: set[str] = set()


def _clean_stale(folder: Path, target_name: str) -> None:
    """Remove leftover temporary files of ours in ``folder``: regular files named like ours (or like
    the unmarked ``.NAME.XXXXXXXX.tmp`` earlier versions wrote for this very target) and untouched
    for STALE_SECONDS. Never a link, never a file being written now; errors are ignored."""
    key = os.path.abspath(folder)
    if key in _CLEANED:
        return
    _CLEANED.add(key)
    earlier = re.compile(r"\." + re.escape(target_name[:32]) + r"\.[a-z0-9_]{8}\.tmp", re.S)
    now = time.time()
    with _LOCK:
        pending = {os.path.abspath(p) for p in _PENDING}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for e in entries:
        if not (_OURS.fullmatch(e.name) or earlier.fullmatch(e.name)) or os.path.abspath(e.path) in pending:
            continue
        try:
            st = e.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and now - st.st_mtime > STALE_SECONDS:
                os.unlink(e.path)
        except OSError:
            pass


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _on_signal(signum, frame):
    with _LOCK:
        pending = list(_PENDING)
    for tmp in pending:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    previous = _INSTALLED.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
        return
    if previous == signal.SIG_IGN:
        return
    signal.signal(signum, signal.SIG_DFL)  # end as the signal would have ended us
    os.kill(os.getpid(), signum)


def _install_handlers() -> None:
    """Chain our clean-up in front of :data:`SIGNALS` (main thread only; once per handler change)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for name in SIGNALS:
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            current = signal.getsignal(sig)
            if current is _on_signal:
                continue
            _INSTALLED[sig] = current
            signal.signal(sig, _on_signal)
        except (ValueError, OSError):  # not the main thread of the main interpreter
            pass


class NotWritable(ValueError):
    """The path names something that is never written over; the message is one line."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def writable_target(path, what: str = "output") -> None:
    """Refuse to write at ``path`` when what it finally names is not a regular file or nothing.

    Written there, a device, FIFO or socket (or a link to one) would be replaced by a regular
    file (as root, a link to /dev/null would replace /dev/null) or block; a symbolic link to a
    missing file would create a file wherever it points. A folder cannot be written over.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise NotWritable(f"{path.name} is a symbolic link to a missing file ({os.readlink(path)}); "
                             f"not writing the {what} through it") from None
        return
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise NotWritable(f"{path.name} is a loop of symbolic links; not writing the {what} there") from None
        return  # a missing folder, no permission: the write itself says so
    if not stat.S_ISREG(st.st_mode):
        raise NotWritable(f"{path.name} is {_kind(st.st_mode)}; the {what} is written only to a regular file "
                         "or a new name")


def _target(path: Path) -> Path:
    """The file to replace: a symlink's final target (the link itself stays), else ``path``."""
    if path.is_symlink():
        return Path(os.path.realpath(path))
    return path


def probe_folder(folder) -> Path:
    """Make a file in ``folder`` and remove it: raises the OSError a save there would meet at its start
    (a read-only file system, no permission), before a long run is spent on a result it cannot keep."""
    fd, tmp = tempfile.mkstemp(prefix=".dpm-probe-", suffix=".tmp", dir=folder)
    os.close(fd)
    os.unlink(tmp)
    return Path(folder)


class OutputExists(FileExistsError):
    """``atomic_write(..., replace=False)`` found a file at the target when it came to put its own there."""


def _put_new(tmp: str, target: Path) -> None:
    """Move ``tmp`` to ``target`` only if nothing is there, in one step: a hard link fails with EEXIST where
    a file (or link) appeared in the meantime, so no check-then-rename window is left. A file system without
    hard links (FAT, some network shares) falls back to a last check and a rename."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise OutputExists(errno.EEXIST, "exists already", str(target)) from None
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
        if os.path.lexists(target):
            raise OutputExists(errno.EEXIST, "exists already", str(target)) from None
        os.replace(tmp, target)
        return
    os.unlink(tmp)


def _sync(path, folder: bool = False) -> None:
    """Flush ``path``'s data (or a folder's entries) to the disk. The rename is what makes a write atomic for
    other programs; without this, a power cut or crash of the machine soon after it could leave the new
    name on an empty or partly written file (delayed allocation), the old contents gone too. A file system
    that cannot sync a folder (some network shares) is left to do what it does."""
    try:
        fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if folder else 0))
    except OSError:
        if folder:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not folder:
            raise
    finally:
        os.close(fd)


def atomic_write(path, write, *, replace: bool = True) -> Path:
    """Call ``write(tmp_path)`` to fill a temporary file, then move it onto ``path``.

    A new file gets the permissions an ordinary new file would (mkstemp's are 0600); a file
    written over keeps its own. With ``replace`` False a file at ``path`` (one that was there, or one
    another program wrote while ``write`` ran) is never replaced: :class:`OutputExists` is raised and
    the temporary file removed. Returns ``path``.
    """
    path = Path(path)
    writable_target(path)
    target = _target(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = _default_mode()
    _install_handlers()
    _clean_stale(folder, target.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:32]}.dpm-", suffix=".tmp", dir=folder)
    os.close(fd)
    with _LOCK:
        _PENDING.add(tmp)
    try:
        write(tmp)
        os.chmod(tmp, mode)
        _sync(tmp)  # on the disk before its name is: a power cut after the rename keeps old or new, never an empty file
        if replace:
            os.replace(tmp, target)
        else:
            _put_new(tmp, target)
        _sync(folder, folder=True)  # the rename itself
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        with _LOCK:
            _PENDING.discard(tmp)
    return path
