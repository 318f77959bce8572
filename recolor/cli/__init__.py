"""The ``recolor`` command: recolour files, list the techniques, race them.

Run ``recolor --help``, or ``python -m recolor --help``. Every failure is one
line on stderr and a non-zero exit status: 2 when the command line was
wrong, 1 when the work failed, 130 on Ctrl-C and 128 + N when signal N
(SIGTERM, SIGHUP) stopped it; temporary files are removed in every case.

This module stays light (no numpy, Pillow or OpenCV) so that Ctrl-C is
handled from the first moment; the work is in the modules beside it, from
recolor.cli.parser on. Every error a user can cause is a
:class:`~recolor.errors.RecolorError`, reported in one line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from recolor.cli.arguments import parse_color
from recolor.cli.signals import (
    Stopped,
    raise_stop_received,
    stopping_signals_raise,
)
from recolor.errors import RecolorError
from recolor.files.display import shown

__all__ = ["command", "main", "parse_color"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    The caller's signal handlers are back when it returns.
    """
    return _main(argv, process_ends=False)


def command() -> int:
    """The ``recolor`` process (its console script, ``python -m recolor``): :func:`main` on
    ``sys.argv``, after which the process exits, a late stop signal ignored."""
    return _main(None, process_ends=True)


def _main(argv: Sequence[str] | None, *, process_ends: bool) -> int:
    # The stop is caught outside the block: a signal that lands as its handlers are set,
    # or while an error below is being reported, is still one line and its status.
    try:
        with stopping_signals_raise(process_ends=process_ends):
            status = _run(argv)
            raise_stop_received()  # one that code below caught and went on after
            return status
    except (KeyboardInterrupt, Stopped) as stop:
        return _stopped(stop)


def _run(argv: Sequence[str] | None) -> int:
    try:
        from recolor.cli import parser  # the heavy imports, with Ctrl-C handled

        return parser.run(argv)
    except BrokenPipeError:
        # Nothing more can reach stdout; keep Python from failing to flush it at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _fail("recolor: error: the output was closed before the end (broken pipe)", 1)
    except RecolorError as error:
        from recolor.cli.options import described

        # 2 for a command line that cannot be right (UsageError), as argparse's own.
        return _fail(f"recolor: error: {described(error)}", getattr(error, "exit_status", 1))
    except OSError as error:
        # What the commands did not foresee about a file: still one line.
        return _fail(f"recolor: error: {error}", 1)
    except Exception:
        # A signal raised inside an import or a class body arrives as another exception.
        raise_stop_received()
        raise


def _fail(message: str, status: int) -> int:
    raise_stop_received()  # the error is the stop's doing: the stop is what happened
    print(shown(message), file=sys.stderr)
    return status


def _stopped(stop: KeyboardInterrupt | Stopped) -> int:
    if isinstance(stop, Stopped):
        message, status = f"recolor: stopped by {stop.name}", 128 + stop.signal_number
    else:
        message, status = "recolor: interrupted", 130
    print(message, file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(command())
