"""The ``seriespredictor`` command and ``python -m seriespredictor``.

SIGTERM is turned into an exception before the heavy imports (torch, pandas: seconds on a busy
machine), so Ctrl-C or SIGTERM at any moment ends with one line; :func:`seriespredictor.cli.main`
does the rest.
"""

import signal

from .errors import interrupt_exit, raise_terminated


def main() -> int:
    signal.signal(signal.SIGTERM, raise_terminated)
    try:
        from .cli import main as run

        return run()
    except KeyboardInterrupt as e:  # while loading, or between the CLI's own handlers
        return interrupt_exit(e)


if __name__ == "__main__":
    raise SystemExit(main())
