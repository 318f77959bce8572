"""What ``recolor apply`` promises of a batch, wherever its images are recoloured.

The jobs are planned, and every output refused or skipped, before any image
is read; each image gets one line, the batch its count, and the exit status
is 1 if any image failed. The command's own process (recolor.cli.apply) and
a Dask cluster (recolor.cli.cluster) both go through here.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from recolor.cli.job import Outcome
from recolor.cli.options import CommandError, UsageError, described
from recolor.files.atomic import remove_leftovers
from recolor.files.display import shown
from recolor.files.urls import Location, check_output_url, joined, make_folder_url, name_of
from recolor.files.write import check_output_path

__all__ = ["Job", "Plan", "Tally", "check_output", "plan_jobs", "progress_bar"]

#: One image: where it is read, where it is written.
Job = tuple[Location, Location]


class Plan(NamedTuple):
    """A batch, every output checked before any work."""

    jobs: list[Job]
    #: The jobs whose output already exists, to skip (``--ignore-existing``).
    existing: set[Job]


def plan_jobs(args: argparse.Namespace) -> Plan:
    """The batch's pairs of (input, output), every output checked before any work.

    Leftover temporary files of killed recolor processes are removed from
    the local output folders.
    """
    if args.out_dir is None:
        if len(args.paths) != 2:
            got = "1 path" if len(args.paths) == 1 else f"{len(args.paths)} paths"
            raise UsageError(f"apply takes INPUT OUTPUT, or INPUT... --out-dir DIR; got {got}")
        source, target = args.paths
        if isinstance(target, Path) and target.is_dir():
            raise UsageError(
                f"{shown(target)}: is a folder; to write into it under the input's name, pass "
                f"--out-dir {shown(target)}"
            )
        jobs = [(source, target)]
    else:
        _make_folder(args.out_dir)
        names = [name_of(source) for source in args.paths]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise UsageError(
                f"several inputs would be written to the same name: "
                f"{', '.join(map(shown, duplicates))}"
            )
        jobs = [
            (source, joined(args.out_dir, name))
            for source, name in zip(args.paths, names, strict=True)
        ]
    for source, target in jobs:
        _refuse_the_input_unless_forced(source, target, args.force)
    existing = {job for job in jobs if not check_output(job[1], args)}
    for folder in {target.parent for _, target in jobs if isinstance(target, Path)}:
        remove_leftovers(folder)
    return Plan(jobs, existing)


def _refuse_the_input_unless_forced(source: Location, target: Location, force: bool) -> None:
    """An output that is its own input replaces it: only with --force, and said so."""
    if not (isinstance(source, Path) and isinstance(target, Path)):
        return
    try:
        same = target.exists() and os.path.samefile(source, target)
    except OSError:
        return  # the input is missing: its own error, when it is read
    if same and force:
        print(f"recolor: {shown(target)}: is the input itself, replaced (--force)", file=sys.stderr)
    elif same:
        raise CommandError(
            f"{shown(target)}: is the input itself; pass --force to replace it with the "
            "recoloured image (written atomically: the input stays whole until then)"
        )


def check_output(target: Location, args: argparse.Namespace) -> bool:
    """Refuse an output that cannot be written; False: skip it (``--ignore-existing``)."""
    if isinstance(target, Path):
        return check_output_path(target, force=args.force, skip_existing=args.ignore_existing)
    return check_output_url(target, force=args.force, skip_existing=args.ignore_existing)


def _make_folder(folder: Location) -> None:
    if not isinstance(folder, Path):
        make_folder_url(folder)
        return
    try:
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"{shown(folder)}: --out-dir is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or str(error)
        raise CommandError(f"{shown(folder)}: --out-dir cannot be created ({reason})") from None


class Tally:
    """One line per image, the count at the end, and the exit status."""

    def __init__(self, jobs: list[Job], progress: Any) -> None:
        self.jobs = jobs
        self.progress = progress
        self.counts = {"recoloured": 0, "skipped": 0, "failed": 0}

    def recoloured(self, job: Job, outcome: Outcome) -> None:
        source, target = job
        for note in outcome.notes:
            self.progress.write(f"recolor: {note}", file=sys.stderr)
        self.counts["recoloured"] += 1
        self.progress.write(
            f"{shown(source)} -> {shown(target)}: "
            f"{outcome.changed} of {outcome.total} pixels recoloured"
        )
        if not outcome.changed:
            self.progress.write(
                f"recolor: warning: {shown(source)}: no pixel matched the colour to replace; "
                "the output has the input's pixels",
                file=sys.stderr,
            )

    def skipped(self, job: Job) -> None:
        source, target = job
        self.counts["skipped"] += 1
        self.progress.write(f"{shown(source)} -> {shown(target)}: skipped, it exists")

    def failed(self, error: BaseException | str) -> None:
        self.counts["failed"] += 1
        message = error if isinstance(error, str) else described(error)
        self.progress.write(f"recolor: error: {message}", file=sys.stderr)

    def status(self) -> int:
        """Print the count (for a batch) and the failures; the exit status."""
        if len(self.jobs) > 1:
            print(", ".join(f"{count} {what}" for what, count in self.counts.items()))
        if self.counts["failed"]:
            print(
                f"recolor: {self.counts['failed']} of {len(self.jobs)} images failed",
                file=sys.stderr,
            )
            return 1
        return 0


class _NoProgress:
    """One image: no progress bar, and no import of tqdm either."""

    def __init__(self, items: Any) -> None:
        self.items = items

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def update(self, count: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    @staticmethod
    def write(text: str, file: TextIO | None = None) -> None:
        print(text, file=file)


def progress_bar(items: Any, total: int) -> Any:
    """``items`` wrapped in a progress bar on stderr (tqdm's), for more than one image, when
    stderr is a terminal: a log file gets the lines and the count, not the bar's frames."""
    if total < 2 or not sys.stderr.isatty():
        return _NoProgress(items)
    from tqdm import tqdm

    return tqdm(items, total=total, desc="recolor", unit="image", file=sys.stderr)
