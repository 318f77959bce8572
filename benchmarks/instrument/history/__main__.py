"""``python -m benchmarks.instrument.history changes DATA_JS``: the change points of every
case's series in github-action-benchmark's data.js (a path, or ``gh-pages:dev/bench/data.js``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from benchmarks.instrument.history import changes, datajs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instrument.history")
    commands = parser.add_subparsers(dest="command", required=True)
    found = commands.add_parser("changes", help="the change points of every case's series")
    found.add_argument("data_js", help="the action's data.js: a path, or REF:PATH")
    defaults = changes.Settings()
    found.add_argument("--max-pvalue", type=float, default=defaults.max_pvalue)
    found.add_argument("--min-magnitude", type=float, default=defaults.min_magnitude)
    found.add_argument("--window", type=int, default=defaults.window)
    args = parser.parse_args(argv)
    if not 0 < args.max_pvalue < 1:
        parser.error(f"--max-pvalue must be between 0 and 1, got {args.max_pvalue}")
    if args.min_magnitude < 0:
        parser.error(f"--min-magnitude must be 0 or more, got {args.min_magnitude}")
    if args.window < changes.MIN_POINTS:
        parser.error(f"--window must be {changes.MIN_POINTS} points or more, got {args.window}")
    settings = changes.Settings(args.max_pvalue, args.min_magnitude, args.window)
    try:
        every = datajs.load(datajs.read_text(args.data_js), name=args.data_js)
        print(changes.report(every, settings), end="")
    except (datajs.DataJsError, changes.DetectorMissing) as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
