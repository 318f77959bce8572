"""A pool process of ``recolor apply`` (recolor.cli.pool): ``python -m recolor.cli.pool_process``.

It reads requests from its standard input and answers each on its standard
output, both as length-prefixed pickles, until its input ends. A request is
a function and its arguments (:func:`recolor.cli.batch.run_job` and an
image's); the answer is ``(True, what it returned)``, or ``(False, the
error's type and message)`` if it raised. The pipes are the only
way in: nothing listens on a port or a path another user could reach.

It runs in a session of its own, so the signals a terminal sends to its
process group (Ctrl-C, a hangup) reach only the command's own process,
which ends the pool; it also ignores them, where there are no sessions.
Anything the image code prints goes to standard error, never into the
answers.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
from typing import IO, Any

from recolor.cli.signals import ignore_the_terminals_signals

__all__ = ["read_message", "serve", "write_message"]

_LENGTH = struct.Struct("<Q")


def write_message(stream: IO[bytes], message: Any) -> None:
    """Write ``message`` to ``stream`` as a length-prefixed pickle, and flush it."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def read_message(stream: IO[bytes]) -> Any:
    """The next message on ``stream``; EOFError when the stream ends, even mid-message."""
    header = _read_exactly(stream, _LENGTH.size)
    (length,) = _LENGTH.unpack(header)
    return pickle.loads(_read_exactly(stream, length))


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) < size:
        raise EOFError
    return data


def main() -> None:
    ignore_the_terminals_signals()
    # A pool process serves a batch, over which numpy pays for its import (the techniques
    # and the PNG writer need it): bought now, before the first image rather than after it.
    import numpy  # noqa: F401

    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print goes to stderr
    serve(sys.stdin.buffer, answers)


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """Answer each request on ``requests`` until it ends (recolor.cli.pool also calls this in
    a process it forked)."""
    while True:
        try:
            function, arguments = read_message(requests)
        except EOFError:
            return
        try:
            answer = (True, function(*arguments))
        except Exception as error:  # the image's, answered; the process goes on
            answer = (False, f"{type(error).__name__}: {error}")
        write_message(answers, answer)


if __name__ == "__main__":
    main()
