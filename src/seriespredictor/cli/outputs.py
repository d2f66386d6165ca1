"""Outputs, checked before any work and written atomically, and the notes and warnings printed
on the way."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

from ..errors import SeriesValidationError
from ..atomic import atomic_output


def _inputs(args) -> list[Path]:
    return [Path(p) for p in (getattr(args, "data", None), getattr(args, "model", None)) if p]


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def _check_target(path: Path, args, *, folder: bool = False, flag: str = "--out") -> None:
    """Refuse an output that would replace an input, an existing file without --overwrite, or
    that cannot be written; create nothing."""
    for source in _inputs(args):
        if _same(path, source) or (source.is_dir() and source.resolve() in path.resolve().parents):
            raise SeriesValidationError(f"{flag} {str(path)!r} would write onto the input {str(source)!r}; choose another {flag}")
    if path.exists() or path.is_symlink():
        if path.is_dir() != folder:
            kind = "a folder; give a file name" if path.is_dir() else "a file; give a folder name"
            raise SeriesValidationError(f"{flag} {str(path)!r} is {kind}")
        if not folder and path.exists() and not path.is_file():
            raise SeriesValidationError(f"{flag} {str(path)!r} is not a regular file (a FIFO or device); give a file name")
        if not args.overwrite and not folder:
            raise SeriesValidationError(f"{str(path)!r} already exists; pass --overwrite to replace it")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise SeriesValidationError(f"cannot create {str(path)!r}: {str(parent)!r} is a file, not a folder")
    try:  # an unnamed file, gone when closed: catches read-only file systems and missing permissions alike
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as e:
        raise SeriesValidationError(f"cannot write {str(path)!r}: {e.strerror} in {str(parent)!r}; choose another {flag}") from None


def _check_outputs(args, names: tuple[str, ...]) -> None:
    out = Path(args.out)
    _check_target(out, args, folder=True)
    for name in names:
        _check_target(out / name, args)


def _write(out: Path, writers: dict) -> None:
    """Write each file of ``out`` through a temporary file in the same folder, renamed only once
    every file is complete: no file is half-written, and a failure replaces none of them."""
    with contextlib.ExitStack() as files:
        for name, write in writers.items():
            write(files.enter_context(atomic_output(out / name)))



def _note(args, message: str) -> None:
    if not args.quiet:
        print(message)


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)
