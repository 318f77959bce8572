"""Processes the tests start and wait for: a fresh interpreter, a condition polled."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def fresh_python(script: str, *args: str) -> str:
    """Run ``script`` with ``args`` in a new interpreter (nothing imported yet); its stdout."""
    completed = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()


def wait_until(condition: Callable[[], T], *, seconds: float, pause: float, failure: str) -> T:
    """``condition()``'s value once it is true, asked every ``pause`` seconds; an
    AssertionError saying ``failure`` if it is still false ``seconds`` on."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, failure
        time.sleep(pause)


def wait_for_signal_handlers(process: subprocess.Popen[bytes]) -> None:
    """Wait until ``process`` catches SIGTERM: recolor's handlers, set before its heavy
    imports, are in place (before then it is Python starting, which recolor cannot touch)."""
    status = Path(f"/proc/{process.pid}/status")

    def catches_sigterm() -> bool:
        caught = [line for line in status.read_text().splitlines() if line.startswith("SigCgt:")]
        return bool(caught) and bool(int(caught[0].split()[1], 16) & (1 << (signal.SIGTERM - 1)))

    wait_until(
        catches_sigterm, seconds=30, pause=0.001, failure="recolor never set its signal handlers"
    )
