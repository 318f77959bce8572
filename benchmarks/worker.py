"""A fresh process that measures one case for the gate: ``python -m benchmarks.worker``.

It reads one line of JSON on stdin, ``{"case": {...}, "against_copy": bool,
"rounds": int, "min_round_seconds": float, "recolor_root": path or null}``,
then the case's image as raw RGBA bytes, and writes what it timed as JSON:
seconds per call of the case, its yardstick and the bandwidth probe in
each round, the bytes one copy of the image moves, and where the
``recolor`` it measured came from.

``recolor_root`` names another tree (a git worktree of another commit)
whose ``recolor`` package is measured. Every measuring module is this
tree's and is imported before that tree goes on ``sys.path``; after it,
only benchmarks/calls.py and what it needs (the case model, the
yardsticks) are imported, and they use recolor's public names alone.
"""

from __future__ import annotations

import io
import json
import sys
import typing

import numpy as np

from benchmarks.instrument.timing import time_rounds  # this tree's, before recolor_root


def main() -> None:
    request = json.loads(sys.stdin.buffer.readline())
    if request.get("recolor_root"):
        sys.path.insert(0, request["recolor_root"])

    import recolor
    from benchmarks import calls
    from benchmarks.cases import Case

    case = Case(**request["case"])
    calls.load_technique(case)
    image = np.empty((case.size, case.size, 4), dtype=np.uint8)
    stdin = typing.cast(io.BufferedReader, sys.stdin.buffer)
    if stdin.readinto(image.reshape(-1).data) != image.nbytes:
        raise SystemExit(f"benchmark worker: the {case.key} image on stdin is incomplete")
    calls.provide_image(image)
    measured = calls.measured_calls(case, against_copy=request["against_copy"])
    with calls.case_threads(case):
        samples = time_rounds(
            measured, rounds=request["rounds"], min_round_time=request["min_round_seconds"]
        )
    json.dump(
        {**samples, "copy_bytes": 2 * image.nbytes, "recolor_file": recolor.__file__},
        sys.stdout,
    )


if __name__ == "__main__":
    main()
