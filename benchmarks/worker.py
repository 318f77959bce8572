"""A fresh process that measures one case for the gate: ``python -m benchmarks.worker``.

It reads one line of JSON on stdin, ``{"case": {...}, "against_copy": bool,
"recolor_root": path or null}``, then the case's image as raw RGBA bytes,
and writes the per-round ratios of :func:`benchmarks.measure.measure_ratios`
as a JSON list. ``recolor_root`` names another tree (a git worktree of
another commit) whose ``recolor`` package is measured; this tree's
``benchmarks`` package, imported first, measures both sides alike.
"""

from __future__ import annotations

import io
import json
import sys
import typing

import numpy as np

import benchmarks  # noqa: F401  # this tree's, before recolor_root goes on sys.path


def main() -> None:
    request = json.loads(sys.stdin.buffer.readline())
    if request.get("recolor_root"):
        sys.path.insert(0, request["recolor_root"])

    from benchmarks.cases import Case, load_technique, provide_image
    from benchmarks.measure import measure_ratios

    case = Case(**request["case"])
    load_technique(case)
    image = np.empty((case.size, case.size, 4), dtype=np.uint8)
    stdin = typing.cast(io.BufferedReader, sys.stdin.buffer)
    if stdin.readinto(image.reshape(-1).data) != image.nbytes:
        raise SystemExit(f"benchmark worker: the {case.key} image on stdin is incomplete")
    provide_image(image)
    json.dump(measure_ratios(case, against_copy=request["against_copy"]), sys.stdout)


if __name__ == "__main__":
    main()
