"""The history job's change-point step: the whole history, its summary, pictures and comment.

``python -m benchmarks.instrument.history job DATA_JS --full FILE`` merges the
data.js the action just appended to into the full history
(:mod:`~benchmarks.instrument.history.full`), finds every case's change
points over all of it, and writes a "Change points" section for the job
summary (``--summary``), one picture per group of cases (``--plots``) and,
with ``--comment``, a comment on the pushed commit when this push brought a
new regression change point: one the history without its point did not
have. A change point's push may hold several commits: the section gives,
for each, the command that finds the commit inside it (a bisection of the
counts for a cost series, an A/B of the wall clock for the others).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping

from benchmarks.instrument.history import changes
from benchmarks.instrument.history.changes import Change, Found, Settings

__all__ = ["CommentError", "comment", "since_which_commit", "summary"]

COST_UNIT = "estimated cycles"
#: What a comment needs from the runner: where the API is, the repository, the commit, a token.
COMMENT_VARIABLES = ("GITHUB_API_URL", "GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_TOKEN")


class CommentError(Exception):
    """The comment could not be made; the message is one line that says why."""


def since_which_commit(change: Change) -> str:
    """The command that finds the commit, inside the change point's push, that made it."""
    before, after = change.series.points[change.index - 1].commit, change.first.commit
    case = change.series.case
    if change.series.unit == COST_UNIT:
        return f"python -m benchmarks.instrument.cost.bisect {before} {case} --bad {after}"
    return (
        f"git checkout {after} && python -m pytest --benchmark-only "
        f'--recolor-compare {before} -k "{case}"'
    )


def _row(change: Change, new: bool) -> str:
    first = change.first
    kind = ("**new** " if new else "") + ("REGRESSION" if change.regression else "improvement")
    commit = f"[{first.commit[:9]}]({first.url})" if first.url else first.commit[:9]
    world = ", ".join(change.world_changes()) or "nothing"
    return (
        f"| {kind} | {change.series.series} / {change.series.case} | "
        f"{change.mean_before:.4g} → {change.mean_after:.4g} {change.series.unit} | "
        f"{change.ratio:.3f}x | {change.pvalue:.2g} | {commit} {first.subject} | {world} |"
    )


def summary(found: Found, settings: Settings, pushes: int, pictures: Mapping[str, str]) -> str:
    """The job summary's "Change points" section, in Markdown."""
    lines = [
        "",  # the step before may have left its last line open
        "## Change points",
        "",
        f"{len(found.changes)} change point{'' if len(found.changes) == 1 else 's'} over the "
        f"whole history ({pushes} pushes), found by "
        f"{changes.detector_version()} (E-divisive means, kept at {settings}); this push "
        "brought " + (f"{len(found.new)}." if found.new else "none."),
    ]
    if pictures:
        lines += [
            "",
            "Pictures: " + ", ".join(f"[{name}]({url})" for name, url in pictures.items()),
        ]
    if found.changes:
        lines += [
            "",
            "| | series / case | mean before → after | ratio | p | first commit after | "
            "also changed there |",
            "|---|---|---|---:|---:|---|---|",
            *(_row(change, change in found.new) for change in found.changes),
            "",
            "Since which commit inside the push (a push may hold several):",
            "",
            *(
                f"- {change.series.series} / {change.series.case}: `{since_which_commit(change)}`"
                for change in found.changes
                if change.regression
            ),
        ]
    if found.short:
        lines += [
            "",
            f"Too short to judge (fewer than {changes.MIN_POINTS} points): "
            + ", ".join(f"{s.series} / {s.case} ({len(s.points)})" for s in found.short),
        ]
    return "\n".join(lines) + "\n"


def comment(found: Found, environment: Mapping[str, str] = os.environ) -> str | None:
    """Comment on the pushed commit when this push brought a regression change point; the
    comment's text, or None when there is nothing to say."""
    regressions = [change for change in found.new if change.regression]
    if not regressions:
        return None
    body = "\n".join(
        [
            "A change point: this push brought a regression that the history before it did "
            "not have (python -m benchmarks.instrument.history).",
            "",
            "| | series / case | mean before → after | ratio | p | first commit after | "
            "also changed there |",
            "|---|---|---|---:|---:|---|---|",
            *(_row(change, True) for change in regressions),
            "",
            *(f"- `{since_which_commit(change)}`" for change in regressions),
        ]
    )
    missing = [name for name in COMMENT_VARIABLES if not environment.get(name)]
    if missing:
        raise CommentError(f"--comment needs {', '.join(missing)} (set by a GitHub runner)")
    api, repository = environment["GITHUB_API_URL"], environment["GITHUB_REPOSITORY"]
    request = urllib.request.Request(
        f"{api}/repos/{repository}/commits/{environment['GITHUB_SHA']}/comments",
        data=json.dumps({"body": body}).encode(),
        headers={
            "Authorization": f"token {environment['GITHUB_TOKEN']}",
            "Accept": "application/vnd.github+json",
            "Content-Type": "application/json",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            answer.read()
    except (urllib.error.URLError, OSError) as error:
        raise CommentError(f"the comment on {environment['GITHUB_SHA']} failed: {error}") from None
    return body
