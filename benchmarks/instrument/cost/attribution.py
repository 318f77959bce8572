"""Where a cost grew: the functions whose instructions changed most between two counted calls.

A case's counts keep callgrind's per-function data (:func:`profile`, or the
gate's own counts where it kept them), in ``.benchmarks/callgrind/<case>/<side>/``, where
``callgrind_annotate`` or KCachegrind open it. :func:`attribute` reads the
median counted call of each side through ``callgrind_annotate`` (self and
inclusive instructions per function, with its file where callgrind knows it)
and ranks the functions by how much their own instructions changed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from benchmarks.instrument.adapter import Case, Suite
from benchmarks.instrument.cost import callgrind, memo
from benchmarks.instrument.cost.callgrind import Cost

__all__ = [
    "THIS_TREE",
    "Attribution",
    "FunctionChange",
    "attribute",
    "count_kept",
    "discard",
    "dumps_of",
    "explain",
    "function_costs",
    "keep",
    "profile",
]

#: Where the kept dumps go, one folder per case and side.
DUMPS = callgrind.ROOT / ".benchmarks" / "callgrind"
#: Functions a failure message names.
TOP = 5
_RECURSION = re.compile(r"'[0-9]+$")
_LINE = re.compile(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*?)(?:\s+\[([^\]]*)\])?\s*$")


@dataclass(frozen=True)
class FunctionChange:
    """One function's instructions in the reference's call and in this tree's."""

    function: str  # file:function, as callgrind_annotate names it (??? for no file)
    self_before: int
    self_after: int
    inclusive_before: int
    inclusive_after: int
    line: int | None = None  # the function's first line in its file, where callgrind knows it

    @property
    def change(self) -> int:
        return self.self_after - self.self_before


@dataclass(frozen=True)
class Attribution:
    """The functions that explain a change of instructions between two calls."""

    changes: tuple[FunctionChange, ...]  # the largest changes of self instructions first
    total_before: int
    total_after: int
    dumps: tuple[Path, Path]  # the reference's call, this tree's

    @property
    def explained_share(self) -> float:
        """The share of the total change that the listed functions' own changes add up to."""
        total = self.total_after - self.total_before
        if total == 0:
            return 1.0
        return sum(change.change for change in self.changes) / total

    def describe(self) -> str:
        rows = [
            f"  {c.change:+,} self ({c.self_before:,} -> {c.self_after:,}; inclusive "
            f"{c.inclusive_before:,} -> {c.inclusive_after:,}) {c.function}"
            + (f" (line {c.line})" if c.line else "")
            for c in self.changes
        ]
        return "\n".join(
            [
                f"where the instructions changed ({self.total_before:,} -> "
                f"{self.total_after:,}; these {len(self.changes)} functions explain "
                f"{self.explained_share:.0%}):",
                *rows,
                f"  per-function data: callgrind_annotate {self.dumps[1]} (this tree), "
                f"{self.dumps[0]} (the reference); KCachegrind opens them too",
            ]
        )


def function_costs(dump: Path, *, inclusive: bool) -> dict[str, int]:
    """Instructions per function in one dump, self or inclusive, by ``callgrind_annotate``."""
    completed = subprocess.run(
        [
            "callgrind_annotate",
            f"--inclusive={'yes' if inclusive else 'no'}",
            "--threshold=100",
            "--show=Ir",
            str(dump),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    costs: dict[str, int] = {}
    table = completed.stdout.split("file:function", 1)[-1]
    for line in table.splitlines():
        match = _LINE.match(line)
        if match and match.group(2) != "PROGRAM TOTALS":
            name = _short(match.group(2), match.group(3))
            costs[name] = costs.get(name, 0) + int(match.group(1).replace(",", ""))
    return costs


def function_lines(dump: Path) -> dict[str, int]:
    """The first line of each function in its own file, where the dump knows lines.

    Read from the dump itself (callgrind's format: compressed ``(id) name``
    names, relative positions ``+n``/``-n``/``*``, and ``fi=``/``fe=`` for
    code inlined from other files, whose lines are not the function's own).
    """
    names: dict[str, dict[str, str]] = {"file": {}, "fn": {}}
    own_file = current_file = function = ""
    position = 0
    first: dict[str, int] = {}

    def named(kind: str, text: str) -> str:
        match = re.match(r"\((\d+)\)\s*(.*)", text)
        if match is None:
            return text
        if match.group(2):
            names[kind][match.group(1)] = match.group(2)
        return names[kind].get(match.group(1), "")

    for line in dump.read_text(encoding="utf-8", errors="replace").splitlines():
        key, equals, value = line.partition("=")
        if equals and key in ("fl", "fi", "fe", "cfi", "cfl"):
            file = named("file", value)
            if key == "fl":
                own_file = current_file = file
            elif key in ("fi", "fe"):
                current_file = file
        elif equals and key in ("fn", "cfn"):
            name = named("fn", value)
            if key == "fn":
                function, current_file = name, own_file
        elif line[:1].isdigit() or line[:1] in "+-*":
            token = line.split(None, 1)[0] if line.strip() else "*"
            try:
                if token.startswith(("+", "-")):
                    position += int(token)
                elif token != "*":
                    position = int(token)
            except ValueError:  # not a cost line after all
                continue
            if position > 0 and function and current_file == own_file:
                key_name = _short(f"{own_file}:{function}", None)
                first[key_name] = min(first.get(key_name, position), position)
    return first


def _short(name: str, library: str | None) -> str:
    """``file.c:function``: the file without its folders (the library's where callgrind
    knows no file), and a recursion's ``'2`` merged into the function."""
    where, _, function = name.rpartition(":")
    if where == "???" and library:
        where = library
    return f"{Path(where).name}:{_RECURSION.sub('', function)}"


def attribute(before: Path, after: Path, *, top: int = TOP) -> Attribution:
    """The ``top`` functions whose own instructions changed most from ``before`` to ``after``."""
    self_before = function_costs(before, inclusive=False)
    self_after = function_costs(after, inclusive=False)
    inclusive_before = function_costs(before, inclusive=True)
    inclusive_after = function_costs(after, inclusive=True)
    names = set(self_before) | set(self_after)
    lines = {**function_lines(before), **function_lines(after)}
    changes = sorted(
        (
            FunctionChange(
                name,
                self_before.get(name, 0),
                self_after.get(name, 0),
                inclusive_before.get(name, 0),
                inclusive_after.get(name, 0),
                lines.get(name),
            )
            for name in names
        ),
        key=lambda change: (-abs(change.change), change.function),
    )
    return Attribution(
        tuple(change for change in changes[:top] if change.change),
        sum(self_before.values()),
        sum(self_after.values()),
        (before, after),
    )


def profile(suite: Suite, case: Case, root: Path | None, folder: Path) -> Path:
    """Count ``case`` in the tree at ``root`` (this tree's for None), keeping the dumps in
    ``folder``; the dump of the call with the median estimated cycles."""
    return _moved(_count_beside(suite, case, root, folder.parent)[2], folder)


def count_kept(suite: Suite, case: Case, root: Path | None) -> tuple[Cost, str, Path]:
    """:func:`callgrind.measure`'s count, its dumps kept in a folder of its own beside the
    case's sides (two runs in one tree never mix theirs): the cost, the CPU numpy saw, and
    the dump of the call with the median estimated cycles. :func:`keep` moves them to a
    side's folder, and :func:`discard` removes them."""
    return _count_beside(suite, case, root, dumps_of(case))


def keep(case: Case, side: str, dump: Path) -> Path:
    """Move the count whose median dump is ``dump`` to ``dumps_of(case) / side``, replacing what
    an earlier run left there; the median dump at its new place."""
    return _moved(dump, dumps_of(case) / side)


def _count_beside(
    suite: Suite, case: Case, root: Path | None, beside: Path
) -> tuple[Cost, str, Path]:
    beside.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=".count-", dir=beside))
    try:
        dumps, simulated_cpu = memo.count_into(suite, folder, case, root)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    median = callgrind.median_cost(list(dumps.values()))
    dump = next(path for path, cost in dumps.items() if cost == median)
    return median, simulated_cpu, dump


def _moved(dump: Path, folder: Path) -> Path:
    """The count of ``dump`` moved to ``folder``, in place of what was there; the dump there."""
    shutil.rmtree(folder, ignore_errors=True)
    try:
        dump.parent.rename(folder)
    except OSError:  # another run in this tree put its own there meanwhile: this one stays
        return dump
    return folder / dump.name


def discard(dumps: Iterable[Path]) -> None:
    """Remove the counts whose median dumps are ``dumps``, but those :func:`keep` moved."""
    for dump in dumps:
        shutil.rmtree(dump.parent, ignore_errors=True)


#: The folder of a case's dumps counted in this tree.
THIS_TREE = "this-tree"


def explain(
    suite: Suite,
    case: Case,
    reference_root: Path,
    *,
    side: str = "reference",
    kept: Mapping[str, Path] | None = None,
) -> Attribution:
    """Where ``case`` costs what it does here, against the tree at ``reference_root``.

    ``kept`` maps a side (``side``, :data:`THIS_TREE`) this run already counted with
    :func:`count_kept` to its median dump: that count is kept and read, not made again.
    """
    counted = kept or {}

    def median_dump(name: str, root: Path | None) -> Path:
        if name in counted:
            return keep(case, name, counted[name])
        return profile(suite, case, root, dumps_of(case) / name)

    return attribute(median_dump(side, reference_root), median_dump(THIS_TREE, None))


def dumps_of(case: Case) -> Path:
    """The folder of ``case``'s kept dumps, a sub-folder per side."""
    return DUMPS / case.key
