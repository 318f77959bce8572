"""``python -m benchmarks.instrument.history``: the stored history's change points.

- ``changes DATA_JS``: every case's change points in github-action-benchmark's
  data.js (a path, or ``REF:PATH`` such as ``gh-pages:dev/bench/data.js``);
- ``job DATA_JS --full FILE``: the history job's step (:mod:`~benchmarks.instrument.history.job`):
  the data.js merged into the full history, its change points found over all of it, a
  "Change points" section for the job summary, a picture per group, and a comment on the
  pushed commit when it brought a new regression.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks.instrument.history import changes, datajs, full, job


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instrument.history")
    commands = parser.add_subparsers(dest="command", required=True)
    defaults = changes.Settings()
    for name, help_text in (
        ("changes", "the change points of every case's series"),
        ("job", "the history job's step: the full history, its summary, pictures and comment"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("data_js", help="the action's data.js: a path, or REF:PATH")
        command.add_argument("--max-pvalue", type=float, default=defaults.max_pvalue)
        command.add_argument("--min-magnitude", type=float, default=defaults.min_magnitude)
        command.add_argument("--window", type=int, default=defaults.window)
        if name == "job":
            command.add_argument("--full", type=Path, required=True, help="the full history")
            command.add_argument("--summary", type=Path, help="append the section to this file")
            command.add_argument("--plots", type=Path, help="a folder for a PNG per group")
            command.add_argument("--pages-url", default="", help="where --plots is published")
            command.add_argument(
                "--comment", action="store_true", help="comment on a new regression"
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
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
        if args.command == "changes":
            print(changes.report(changes.find_all(every, settings), settings), end="")
            return 0
        return _job(args, every, settings)
    except (datajs.DataJsError, changes.DetectorMissing, job.CommentError) as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2


def _job(args: argparse.Namespace, every: list[datajs.Series], settings: changes.Settings) -> int:
    stored = full.load(args.full)
    full.merge(stored, every)
    full.save(stored, args.full)
    whole = full.series_of(stored)
    found = changes.find_all(whole, settings, newest=True)
    print(changes.report(found, settings), end="")
    pictures: dict[str, str] = {}
    if args.plots is not None:
        from benchmarks.instrument.history import plots

        drawn = plots.draw(whole, found.changes, args.plots)
        base = args.pages_url.rstrip("/")
        pictures = {
            group: f"{base}/{path.name}" if base else path.name for group, path in drawn.items()
        }
    commits = len({push[0] for push in stored["pushes"]})
    section = job.summary(found, settings, commits, pictures)
    if args.summary is not None:
        with args.summary.open("a", encoding="utf-8") as file:
            file.write(section)
    if args.comment:
        job.comment(found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
