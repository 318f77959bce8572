"""A history of counts from before the workflow: ``python -m benchmarks.instrument.cost.history``.

``python -m benchmarks.instrument.cost.history GOOD..HEAD --out data.js [--case KEY ...]
[--plot DIR]`` counts the suite's cost cases (or the ``--case`` keys) at every
first-parent commit of the range, oldest first, each in a temporary worktree
and by this tree's instrument, and writes the points as github-action-benchmark
keeps them on gh-pages (``dev/bench/data.js``, series "recolor cost" by
default). Put that file on gh-pages before the workflow's first run and the
action appends to it. ``--plot`` draws each group of cases as one PNG (log
scale where the cases differ by more than ten times).

A commit where a case cannot be counted (the package does not import there,
or lacks the technique) has no point for that case.
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.instrument import adapter, gitref
from benchmarks.instrument.adapter import Case, Suite
from benchmarks.instrument.cost import callgrind, memo
from benchmarks.instrument.cost.decision import series_point
from benchmarks.instrument.files import write_text

__all__ = ["PREFIX", "commit_facts", "count_commit", "data_js", "main", "plot"]

#: How github-action-benchmark's data.js begins (its write.js, SCRIPT_PREFIX).
PREFIX = "window.BENCHMARK_DATA = "
TOOL = "customSmallerIsBetter"


def range_commits(revisions: str) -> list[str]:
    """The first-parent commits of ``GOOD..HEAD``, GOOD included, oldest first."""
    good, _, bad = revisions.partition("..")
    return [
        gitref.resolve(good, asked_by="the range's first commit"),
        *gitref.first_parent_commits(good, bad or "HEAD"),
    ]


def commit_facts(commit: str, repo_url: str) -> dict[str, Any]:
    """The commit as the action records it from a push event's ``head_commit``."""
    fields = ["%H", "%T", "%an", "%ae", "%cn", "%ce", "%cI", "%B"]
    shown = subprocess.run(
        ["git", "show", "-s", f"--format={'%x00'.join(fields)}", commit],
        cwd=gitref.ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sha, tree, author, author_email, committer, committer_email, date, message = shown.split(
        "\0", 7
    )
    return {
        "author": {"name": author, "email": author_email, "username": author},
        "committer": {"name": committer, "email": committer_email, "username": committer},
        "distinct": True,
        "id": sha,
        "message": message.strip(),
        "timestamp": date,
        "tree_id": tree,
        "url": f"{repo_url}/commit/{sha}" if repo_url else "",
    }


def count_commit(suite: Suite, commit: str, cases: Sequence[Case]) -> list[dict[str, Any]]:
    """The points of ``cases`` at ``commit``; a case that cannot be counted there has none."""
    points = []
    with gitref.worktree(commit) as root:
        try:
            countable = [case for case in cases if not suite.not_comparable(case, root, commit)]
        except RuntimeError:
            return []
        callgrind.warm_up(suite, countable, root)
        for case in countable:
            try:
                cost, _ = memo.measure(suite, case, root)
            except callgrind.CostError:
                continue
            points.append(series_point(suite, case.key, cost))
    return points


def data_js(entries: dict[str, list[dict[str, Any]]], repo_url: str, last_update_ms: int) -> str:
    """The text of a data.js holding ``entries``, series by series."""
    data = {"lastUpdate": last_update_ms, "repoUrl": repo_url, "entries": entries}
    return PREFIX + json.dumps(data, indent=2)


def history(
    commits: Sequence[str],
    cases: Sequence[Case],
    *,
    count: Callable[[str, Sequence[Case]], list[dict[str, Any]]],
    repo_url: str = "",
    progress: Callable[[str], object] = print,
) -> list[dict[str, Any]]:
    """One point of the series per commit that has a count, oldest first."""
    points = []
    for index, commit in enumerate(commits, 1):
        benches = count(commit, cases)
        facts = commit_facts(commit, repo_url)
        progress(
            f"[{index}/{len(commits)}] {commit[:9]} {facts['message'].splitlines()[0]}: "
            f"{len(benches)} of {len(cases)} cases counted"
        )
        if benches:
            stamp = datetime.fromisoformat(facts["timestamp"]).timestamp()  # with its offset
            points.append(
                {"commit": facts, "date": int(stamp * 1000), "tool": TOOL, "benches": benches}
            )
    return points


def plot(points: Sequence[dict[str, Any]], groups: dict[str, str], folder: Path) -> list[Path]:
    """One PNG per group of cases: estimated cycles at each commit, log scale if they differ
    by more than ten times."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    labels = [point["commit"]["id"][:7] for point in points]
    written = []
    for group in dict.fromkeys(groups.values()):
        figure, axes = plt.subplots(figsize=(8, 4.5))
        values_seen: list[float] = []
        for key in (key for key, name in groups.items() if name == group):
            values = [
                next((b["value"] for b in point["benches"] if b["name"] == key), None)
                for point in points
            ]
            shown = [(i, v) for i, v in enumerate(values) if v is not None]
            if shown:
                axes.plot(*zip(*shown, strict=True), marker="o", label=key)
                values_seen += [v for _, v in shown]
        if values_seen and max(values_seen) > 10 * min(values_seen):
            axes.set_yscale("log")
        axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        axes.set_ylabel("estimated cycles per call")
        axes.set_title(f"{group}: cost per call under callgrind, by commit")
        axes.legend(fontsize="small")
        figure.tight_layout()
        path = folder / f"{group.replace(' ', '-')}.png"
        figure.savefig(path, dpi=80)
        plt.close(figure)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.instrument.cost.history",
        description="Count a range of commits and write them as github-action-benchmark's data.js.",
    )
    parser.add_argument("revisions", metavar="GOOD..HEAD", help="the first-parent range to count")
    parser.add_argument("--out", type=Path, required=True, help="the data.js to write")
    parser.add_argument("--case", action="append", help="a case key (default: every cost case)")
    parser.add_argument("--series", default="recolor cost", help="the series name (the workflow's)")
    parser.add_argument("--repo-url", default="", help="https://github.com/OWNER/REPO")
    parser.add_argument("--plot", type=Path, metavar="DIR", help="also draw one PNG per group")
    parser.add_argument("--adapter", default="benchmarks.adapter", help="the suite's adapter")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check the arguments and say what would be counted; count nothing",
    )
    args = parser.parse_args(argv)
    suite = adapter.load(args.adapter)
    problem = callgrind.missing_tools()
    if problem and not args.dry_run:
        parser.error(problem)
    if ".." not in args.revisions:
        parser.error(f"the range is GOOD..HEAD, such as main~10..main; got {args.revisions!r}")
    if args.out.exists():
        parser.error(f"{args.out} exists; give another --out (nothing is overwritten)")
    try:
        cases = [suite.case_for(key) for key in args.case] if args.case else suite.cost_cases()
        commits = range_commits(args.revisions)
    except (ValueError, gitref.GitRefError, subprocess.CalledProcessError) as error:
        parser.error(str(error))
    if args.dry_run:
        print(
            f"would count {len(cases)} case(s) at {len(commits)} commit(s), "
            f"{len(cases) * len(commits)} counts, into {args.out}"
            + (f"; but first: {problem}" if problem else "")
        )
        return 0
    with memo.once_per_code():  # a commit that changed no package is not counted again
        points = history(
            commits, cases, count=functools.partial(count_commit, suite), repo_url=args.repo_url
        )
    write_text(args.out, data_js({args.series: points}, args.repo_url, int(time.time() * 1000)))
    print(f"{args.out}: {len(points)} points of {len(cases)} cases in series {args.series!r}")
    if args.plot is not None:
        for path in plot(points, {case.key: case.group for case in cases}, args.plot):
            print(f"{path}: drawn")
    return 0


if __name__ == "__main__":
    sys.exit(main())
