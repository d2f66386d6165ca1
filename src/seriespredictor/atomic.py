"""Crash-safe, atomic writing: a file or directory is built under a temporary name next to its
destination, flushed to disk, then put in its place in one step, so the path always holds the
old or the new version, whatever stops the process.

A directory replaces another in one step with Linux ``renameat2(RENAME_EXCHANGE)``; the old one
is deleted afterwards. Where the filesystem has no ``RENAME_EXCHANGE`` (non-Linux, some network
filesystems) the old one is renamed to ``.<name>.old-<pid>`` and the new one renamed in: readers
may then briefly find nothing, and a crash between the two renames leaves the old version under
the ``.old-`` name, which the next write of that path puts back. Temporaries
(``.<name>.tmp-<pid>-<random>``) of killed processes are deleted by the next write of the same path.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import shutil
import signal
import stat
import threading
from pathlib import Path

from .errors import SeriesValidationError

_libc = ctypes.CDLL(None, use_errno=True)
_AT_FDCWD, _RENAME_NOREPLACE, _RENAME_EXCHANGE = -100, 1, 2


def _renameat2(src: Path, dst: Path, flags: int) -> bool:
    """``renameat2``; False where the system or filesystem does not support it."""
    fn = getattr(_libc, "renameat2", None)
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(src), None, str(dst))


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to the new file ``path`` and flush it to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _clean_stale(path: Path) -> None:
    """Delete temporaries of dead processes next to ``path``; put back an old model that a
    crash in the fallback replace left under its ``.old-`` name."""
    for tmp in path.parent.glob(f".{path.name}.*-*"):
        kind, _, owner = tmp.name.removeprefix(f".{path.name}.").partition("-")
        pid = owner.split("-")[0]
        if kind not in ("tmp", "old") or not pid.isdigit() or _pid_alive(int(pid)):
            continue
        if kind == "old" and not os.path.lexists(path):
            os.rename(tmp, path)
        elif tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


def _temporary(path: Path) -> Path:
    """A name next to ``path`` that no other process or thread uses, and that
    :func:`_clean_stale` deletes once its process is dead."""
    return path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


@contextlib.contextmanager
def atomic_output(path):
    """Yield a temporary file name next to ``path`` (next to the file a symlink points to);
    when the block completes, the temporary file replaces ``path`` in one rename, otherwise it
    is deleted: ``path`` never holds a half-written file, whatever stops the process.

    Raises:
        SeriesValidationError: ``path`` exists and is not a regular file (a folder, a FIFO,
            a device), which a rename would destroy.
    """
    given, path = path, Path(os.path.realpath(path))
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        raise SeriesValidationError(f"{str(path)!r} exists and is not a regular file (a folder, FIFO or device); "
                                    "give the name of a file to write")
    path.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(path)
    tmp = _temporary(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as e:
        if e.filename is not None:
            raise
        raise OSError(e.errno, e.strerror, str(given)) from None  # writers such as pandas' leave out the file name
    finally:
        _clean_up(lambda: tmp.unlink(missing_ok=True))


def _publish(tmp: Path, path: Path, overwrite: bool) -> None:
    """Move the complete directory ``tmp`` to ``path``; a replaced model ends up at ``tmp``."""
    while True:
        if overwrite and os.path.lexists(path):
            try:
                if not _renameat2(tmp, path, _RENAME_EXCHANGE):
                    _replace_in_two_steps(tmp, path)
                return
            except FileNotFoundError:
                continue  # another process removed the path meanwhile
        try:
            if not _renameat2(tmp, path, _RENAME_NOREPLACE):
                os.rename(tmp, path)  # fails on an existing non-empty directory
            return
        except OSError as e:
            if e.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            if not overwrite:
                raise exists_error(path) from None
            # another process created the path meanwhile: swap with it


def exists_error(path: Path) -> FileExistsError:
    return FileExistsError(f"{str(path)!r} already exists; pass overwrite=True (CLI: --overwrite) to replace it")


def _replace_in_two_steps(tmp: Path, path: Path) -> None:
    """The fallback without ``RENAME_EXCHANGE``: readers may briefly find no model."""
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    os.rename(path, old)
    try:
        os.rename(tmp, path)
    except BaseException:
        os.rename(old, path)
        raise
    os.rename(old, tmp)


@contextlib.contextmanager
def atomic_directory(path: Path, *, overwrite: bool):
    """Yield a new, empty directory next to ``path``; when the block completes, it is flushed to
    disk and takes the place of ``path`` in one step (replacing what is there only when
    ``overwrite``), otherwise it is deleted and ``path`` is left as it was.

    Raises:
        FileExistsError: ``path`` exists (or was created meanwhile) and ``overwrite`` is False.
    """
    _clean_stale(path)
    tmp = _temporary(path)
    try:
        tmp.mkdir()
        yield tmp
        _fsync_dir(tmp)
        _publish(tmp, path, overwrite)
        _fsync_dir(path.parent)
    finally:
        _clean_up(lambda: shutil.rmtree(tmp, ignore_errors=True))  # the new directory's leftovers, or the replaced one


def _clean_up(remove) -> None:
    """Run ``remove()`` to its end with signals held. A Ctrl-C or SIGTERM delivered just before
    (its exception not yet raised) lands inside this call: a removal it cut short is run again,
    and that exception is raised once the removal is done."""
    landed, done = None, False
    while not done:
        try:
            with _signals_held():
                remove()
                done = True
        except BaseException as e:  # the signal's exception: finish the removal first
            landed = e
    if landed is not None:
        raise landed


@contextlib.contextmanager
def _signals_held():
    """Hold Ctrl-C and SIGTERM back until the block is done (in the main thread, where Python
    runs signal handlers), so a cleanup is not cut short; the held signal then acts."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
