"""A fresh process that measures one case: ``python -m benchmarks.instrument.wallclock.worker``.

It reads one line of JSON on stdin, ``{"worker_module": name, "case": {...},
"against_reference": bool, "rounds": int, "min_round_seconds": float,
"root": path or null}``, then the case's input, and writes what it timed as
JSON: seconds per call of the case, its yardstick and the bandwidth probe
in each round, the bytes one copy of the input moves, and where the package
it measured came from. With ``--versions`` it writes, instead, the versions
it would measure with (Python's and the suite's), and times nothing.

``root`` names another tree (a git worktree of another commit) whose
package is measured. The instrument's measuring code is this tree's and is
imported before that tree goes on ``sys.path``; after it, only the suite's
worker module (:class:`~benchmarks.instrument.adapter.WorkerSide`) and what
it needs are imported.
"""

from __future__ import annotations

import importlib
import json
import platform
import sys
from typing import Any

from benchmarks.instrument.wallclock.timing import measurement_source  # this tree's, before root


def main() -> None:
    stdin = sys.stdin.buffer
    request = json.loads(stdin.readline())
    measure = measurement_source()  # imported before root goes on the path, as the loop is
    if request.get("root"):
        sys.path.insert(0, request["root"])
    suite: Any = importlib.import_module(request["worker_module"])
    if "--versions" in sys.argv[1:]:  # what this interpreter measures with, and nothing timed
        json.dump({**suite.versions(), "python": platform.python_version()}, sys.stdout)
        return
    calls = suite.worker_calls(
        request["case"], stdin, against_reference=request["against_reference"]
    )
    with suite.worker_threads(request["case"]):
        samples = measure(
            calls,
            rounds=request["rounds"],
            min_round_time=request["min_round_seconds"],
            case=request["case"],
        )
    json.dump(
        {**samples, "copy_bytes": request["copy_bytes"], "measured_file": suite.measured_file()},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
