"""A fresh interpreter for the tests that must start from nothing imported."""

from __future__ import annotations

import subprocess
import sys


def fresh_python(script: str, *args: str) -> str:
    """Run ``script`` with ``args`` in a new interpreter (nothing imported yet); its stdout."""
    completed = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip()
