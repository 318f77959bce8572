"""A fresh process that measures one case for the gate: ``python -m benchmarks.worker``.

It reads a case as JSON on stdin and writes the per-round ratios of
:func:`benchmarks.gate.measure_ratios` as a JSON list.
"""

from __future__ import annotations

import json
import sys

from benchmarks.cases import Case
from benchmarks.gate import measure_ratios


def main() -> None:
    case = Case(**json.load(sys.stdin))
    json.dump(measure_ratios(case), sys.stdout)


if __name__ == "__main__":
    main()
