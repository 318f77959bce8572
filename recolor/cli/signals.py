"""SIGTERM and SIGHUP as exceptions, so that the command line cleans up as on Ctrl-C.

Python turns SIGINT into KeyboardInterrupt, which unwinds the stack and runs
every ``finally``; SIGTERM and SIGHUP kill the process where it stands, and
a temporary file being written would stay. Inside :func:`stopping_signals_raise`
they raise :class:`Stopped` instead.

Only the first of them does: the process is stopping, and a second signal
(a burst of SIGTERMs, Ctrl-C pressed again) raised inside a ``finally``
would cut the cleanup short and leave the temporary file. From the first
one on, SIGINT, SIGTERM and SIGHUP are ignored to the end of the block.
After it, the caller's handlers are back, but for the ``recolor`` process
itself (``process_ends``): there they stay ignored, since a late one would
arrive in the interpreter's shutdown (its wait for threads), past every
handler, and print a traceback.

The stop is also recorded (:func:`stop_received`): code between the handler
and the command may catch it and raise an error of its own instead (numpy's
import turns whatever interrupts it into an ImportError), and the error it
caused must not be reported, or counted as an image that failed, in its place.
A stop raised where Python cannot raise it (a weakref callback, such as the one
importlib runs as it releases a module's lock; a ``__del__``) is dropped there
with no report: it is recorded, and the command stops on it all the same.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from types import FrameType

__all__ = [
    "Stopped",
    "ignore_the_terminals_signals",
    "raise_stop_received",
    "stop_received",
    "stopping_signals_raise",
]

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_STOPPING = (signal.SIGINT, *_SIGNALS)
#: The stop a signal raised in the current block, if one did.
_received: list[KeyboardInterrupt | Stopped] = []


class Stopped(BaseException):  # like KeyboardInterrupt, not an error
    """The process was asked to stop by ``signal_number``."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal_number = signal_number

    @property
    def name(self) -> str:
        return signal.Signals(self.signal_number).name


@contextlib.contextmanager
def stopping_signals_raise(*, process_ends: bool = False) -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Stopped` in the main thread.

    ``process_ends``: the process exits right after the block, so once a stop
    signal came, the stopping signals stay ignored rather than get the
    caller's handlers back.
    """
    previous = {number: signal.getsignal(number) for number in _STOPPING}
    previous_unraisable_hook = sys.unraisablehook
    _received.clear()

    def drop_a_recorded_stop(unraisable: sys.UnraisableHookArgs) -> None:
        if not any(unraisable.exc_value is stop for stop in _received):
            previous_unraisable_hook(unraisable)

    sys.unraisablehook = drop_a_recorded_stop
    for number in _SIGNALS:
        signal.signal(number, _raise_stopped)
    signal.signal(signal.SIGINT, _raise_interrupt)
    try:
        yield
    finally:
        sys.unraisablehook = previous_unraisable_hook
        stopped = bool(_received)
        _received.clear()
        if not (stopped and process_ends):
            for number, handler in previous.items():
                signal.signal(number, handler)


def stop_received() -> KeyboardInterrupt | Stopped | None:
    """The stop a signal raised in the current :func:`stopping_signals_raise` block, whatever
    became of it; None if none did."""
    return _received[0] if _received else None


def raise_stop_received() -> None:
    """Raise the stop a signal raised, if one did: for code about to report an error, which
    the stop may have caused."""
    stop = stop_received()
    if stop is not None:
        raise stop


def ignore_the_terminals_signals() -> None:
    """Ignore SIGINT and SIGHUP, which a terminal sends to its whole process group: for a
    process another one ends (a pool's, recolor.cli.pool_process)."""
    for name in ("SIGINT", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)


def _ignore_more() -> None:
    for number in _STOPPING:
        signal.signal(number, signal.SIG_IGN)


def _raise_stopped(signal_number: int, frame: FrameType | None) -> None:
    _raise(Stopped(signal_number))


def _raise_interrupt(signal_number: int, frame: FrameType | None) -> None:
    _raise(KeyboardInterrupt())


def _raise(stop: KeyboardInterrupt | Stopped) -> None:
    _ignore_more()
    _received.append(stop)
    raise stop
