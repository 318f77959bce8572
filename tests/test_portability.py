"""The test suite collects on a system without POSIX's signals and process calls (Windows)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: Names Windows lacks, removed before anything is collected.
POSIX_ONLY = {
    "signal": ["SIGHUP", "SIGKILL", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGPIPE"],
    "os": ["fork", "killpg", "getuid", "setsid", "sched_getaffinity", "getpgid"],
}

SCRIPT = f"""
import os, signal, sys
for module, names in {POSIX_ONLY!r}.items():
    for name in names:
        if hasattr(sys.modules[module], name):
            delattr(sys.modules[module], name)
import pytest
sys.exit(pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider"]))
"""


def test_the_suite_collects_without_posix_only_names() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "error" not in completed.stdout.splitlines()[-1], completed.stdout[-3000:]
