"""The ``seriespredictor`` command and ``python -m seriespredictor``.

Loading torch and pandas takes seconds on a busy machine. A KeyboardInterrupt raised inside that
import can land in a C extension's start-up (pybind11 then aborts the process) or in a callback
that Python only reports as ignored (the command then runs on). So while the command loads,
Ctrl-C and SIGTERM end it at once with one line: nothing has been read or written yet.
:func:`seriespredictor.cli.main` handles them from then on.
"""

import os
import signal

from .errors import interrupt_exit, raise_terminated


def _exit_while_loading(signum, frame):
    word, status = ("terminated", 143) if signum == signal.SIGTERM else ("interrupted", 130)
    try:
        os.write(2, f"seriespredictor: {word}\n".encode())
    except OSError:  # no standard error to write to
        pass
    os._exit(status)  # not an exception: there is nothing to clean up, and no import to unwind


def main() -> int:
    # A signal that the command was started ignoring (a background job of a script ignores Ctrl-C) stays ignored.
    caught = [s for s in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(s) is not signal.SIG_IGN]
    previous = {s: signal.signal(s, _exit_while_loading) for s in caught}
    from .cli import main as run

    for s, handler in previous.items():
        signal.signal(s, raise_terminated if s == signal.SIGTERM else handler)
    try:
        return run()
    except KeyboardInterrupt as e:  # between the CLI's own handlers
        return interrupt_exit(e)
    finally:
        _forget_caught_interrupts()


def _forget_caught_interrupts() -> None:
    """Keep the exit status the command chose. A KeyboardInterrupt that passes through code run by
    ``exec`` of a string (dataclasses and namedtuples build their methods so, inside imports that
    torch makes mid-training) leaves CPython a note to end the process by SIGINT, even once the
    command has caught it; the next ``exec`` of a string clears that note."""
    exec("pass")


if __name__ == "__main__":
    raise SystemExit(main())
