"""A fresh process that measures one case for the gate: ``python -m benchmarks.worker``.

It reads ``{"case": {...}, "against_copy": bool, "recolor_root": path or null}``
as JSON on stdin and writes the per-round ratios of
:func:`benchmarks.gate.measure_ratios` as a JSON list. ``recolor_root`` names
another tree (a git worktree of another commit) whose ``recolor`` package is
measured; this tree's ``benchmarks`` package, imported first, measures both
sides alike.
"""

from __future__ import annotations

import json
import sys

import benchmarks  # noqa: F401  # this tree's, before recolor_root goes on sys.path


def main() -> None:
    request = json.load(sys.stdin)
    if request.get("recolor_root"):
        sys.path.insert(0, request["recolor_root"])

    from benchmarks.cases import Case
    from benchmarks.gate import measure_ratios

    case = Case(**request["case"])
    json.dump(measure_ratios(case, against_copy=request["against_copy"]), sys.stdout)


if __name__ == "__main__":
    main()
