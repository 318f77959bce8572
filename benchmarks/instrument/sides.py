"""The other side of a comparison: REF's tree, or this tree under another interpreter.

Both instruments measure this tree beside another side (``--recolor-compare
REF``, ``--recolor-compare-env PYTHON``); what either side must hold before
anything is measured is checked here, once, as a usage error in one line.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from benchmarks.instrument import gitref
from benchmarks.instrument.adapter import Suite

__all__ = ["reference_tree", "versions_under"]

#: The folder the instrument's package is imported from: workers start there.
ROOT = Path(__file__).resolve().parents[len(__name__.split(".")) - 1]
_WORKER = "benchmarks.instrument.wallclock.worker"


def reference_tree(suite: Suite, ref: str, cleanup: contextlib.ExitStack) -> Path:
    """REF's tree, checked out until ``cleanup`` closes, its package loadable; else a usage
    error in one line."""
    try:
        root: Path = cleanup.enter_context(gitref.worktree(ref))
    except gitref.GitRefError as error:
        raise pytest.UsageError(str(error)) from error
    cases = suite.cases()
    try:
        if cases:
            suite.not_comparable(cases[0], root, ref)  # loads REF's package, or says why not
    except RuntimeError as error:
        raise pytest.UsageError(f"--recolor-compare {ref}: {error}") from None
    return root


def interpreter_versions(suite: Suite, interpreter: str) -> dict[str, Any]:
    """What ``interpreter`` measures with; a usage error in one line when it cannot."""
    try:
        return versions_under(suite, interpreter)
    except RuntimeError as error:
        raise pytest.UsageError(f"--recolor-compare-env: {error}") from error


@cache
def versions_under(suite: Suite, interpreter: str) -> dict[str, Any]:
    """What ``interpreter`` measures with: Python's version and the suite's versions there.

    Asked of the worker module under that interpreter, in this tree: the
    other side of ``--recolor-compare-env``. RuntimeError when it cannot
    import the measured package.
    """
    completed = subprocess.run(
        [interpreter, "-m", _WORKER, "--versions"],
        input=json.dumps({"worker_module": suite.about.worker_module}).encode(),
        capture_output=True,
        check=False,
        cwd=ROOT,
    )
    lines = completed.stdout.decode(errors="replace").strip().splitlines()
    if completed.returncode != 0 or not lines:
        last = (completed.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{interpreter} cannot run the benchmark worker here: {last}")
    found: dict[str, Any] = json.loads(lines[-1])
    return found
