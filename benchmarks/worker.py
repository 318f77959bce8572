"""A fresh process that measures cases for the gate: ``python -m benchmarks.worker``.

It reads a JSON list of cases on stdin and writes, for each case key, the
per-round ratios of :func:`benchmarks.gate.measure_ratios`.
"""

from __future__ import annotations

import json
import sys

from benchmarks.cases import Case
from benchmarks.gate import measure_ratios


def main() -> None:
    cases = [Case(**fields) for fields in json.load(sys.stdin)]
    json.dump({case.key: measure_ratios(case) for case in cases}, sys.stdout)


if __name__ == "__main__":
    main()
